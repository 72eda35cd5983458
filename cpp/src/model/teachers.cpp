#include "onlinesgd/model/teachers.hpp"

#include <algorithm>
#include <cmath>

#include "onlinesgd/rng.hpp"

namespace onlinesgd::model {

Eigen::MatrixXd psd_factor(const Eigen::MatrixXd& A) {
  const Eigen::Index n = A.rows();
  const double tol = 1e-13 * std::max(1.0, A.diagonal().maxCoeff());
  Eigen::MatrixXd L = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double d = A(j, j) - L.row(j).head(j).squaredNorm();
    if (d <= tol) continue;  // a zero pivot: row j depends on the earlier ones, its column stays zero
    L(j, j) = std::sqrt(d);
    for (Eigen::Index i = j + 1; i < n; ++i) L(i, j) = (A(i, j) - L.row(i).head(j).dot(L.row(j).head(j))) / L(j, j);
  }
  return L;
}

RowMatrix overlap_teacher_rows(const ModelConfig& cfg) {
  const int M = cfg.M;
  const Eigen::Index N = cfg.N;
  RowMatrix U(M, N);
  for (int m = 0; m < M; ++m) {
    rng::normal_row(cfg.seed, rng::Stream::Teacher, static_cast<std::uint64_t>(m), U.row(m).data(),
                    static_cast<std::size_t>(N));
    // Gram-Schmidt twice keeps the rows orthonormal to rounding ("twice is enough")
    for (int pass = 0; pass < 2; ++pass)
      for (int q = 0; q < m; ++q) U.row(m) -= U.row(m).dot(U.row(q)) * U.row(q);
    U.row(m) /= U.row(m).norm();
  }
  U *= std::sqrt(static_cast<double>(N));
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> omega(
      cfg.teacher_overlap.data(), M, M);
  const Eigen::MatrixXd L = psd_factor(omega);
  // row by row rather than one matrix product, whose blocking could depend on the threads
  RowMatrix B = RowMatrix::Zero(M, N);
  for (int m = 0; m < M; ++m)
    for (int q = 0; q <= m; ++q)
      if (L(m, q) != 0.0) B.row(m) += L(m, q) * U.row(q);
  return B;
}

Eigen::VectorXd teacher_readout(const ModelConfig& cfg) {
  Eigen::VectorXd v = cfg.teacher_readout.empty()
                          ? Eigen::VectorXd::Constant(cfg.M, cfg.teacher_v)
                          : Eigen::Map<const Eigen::VectorXd>(cfg.teacher_readout.data(), cfg.M).eval();
  const double beta = cfg.readout_similarity;
  if (std::isnan(beta)) return v;
  for (int p = 1; p < cfg.tasks(); ++p) {
    const int Mp = cfg.task_rows(p);
    const Eigen::VectorXd prev = v.segment(cfg.task_first_row(p - 1), Mp);
    const double norm = prev.norm();
    auto next = v.segment(cfg.task_first_row(p), Mp);
    if (norm == 0.0 || beta * beta == 1.0) {  // nothing to rotate, or no orthogonal part
      next = beta * prev;
      continue;
    }
    const Eigen::VectorXd e = prev / norm;
    Eigen::VectorXd perp(Mp);
    rng::normal_row(cfg.seed, rng::Stream::Readouts, static_cast<std::uint64_t>(p), perp.data(),
                    static_cast<std::size_t>(Mp));
    for (int pass = 0; pass < 2; ++pass) perp -= perp.dot(e) * e;
    perp /= perp.norm();
    next = norm * (beta * e + std::sqrt(1.0 - beta * beta) * perp);
  }
  return v;
}

}  // namespace onlinesgd::model

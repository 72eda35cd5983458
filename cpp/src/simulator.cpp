#include "onlinesgd/simulator.hpp"

#include <algorithm>
#include <cmath>

#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"

namespace onlinesgd {
namespace {

/// Rows i.i.d. N(0, std^2) from double normals; in float the rows are rounded one at a time,
/// so a float32 run never holds a double copy of its weights.
template <class Matrix>
Matrix gaussian_rows(std::uint64_t seed, rng::Stream stream, int rows, std::int64_t N, double std) {
  Matrix W(rows, N);
  Eigen::VectorXd row(N);
  for (int r = 0; r < rows; ++r) {
    rng::normal_row(seed, stream, static_cast<std::uint64_t>(r), row.data(), N);
    W.row(r) = (std * row).cast<typename Matrix::Scalar>().transpose();
  }
  return W;
}

/// A B^T / N in double, widening float rows a chunk of columns at a time (no N-sized temporary).
Eigen::MatrixXd gram(const RowMatrixF& A, const RowMatrixF& B) {
  constexpr Eigen::Index kChunk = 1024;
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(A.rows(), B.rows());
  for (Eigen::Index c = 0; c < A.cols(); c += kChunk) {
    const Eigen::Index w = std::min(kChunk, A.cols() - c);
    const RowMatrix a = A.middleCols(c, w).cast<double>(), b = B.middleCols(c, w).cast<double>();
    G.noalias() += a * b.transpose();
  }
  return G / static_cast<double>(A.cols());
}

}  // namespace

Simulator::Simulator(const ModelConfig& cfg) : cfg_(cfg) {
  teacher_.v = Eigen::VectorXd::Constant(cfg.M, cfg.teacher_v);
  student_.v = Eigen::VectorXd::Constant(cfg.K, cfg.v_init);
  if (is_float()) {
    Bf_ = gaussian_rows<RowMatrixF>(cfg.seed, rng::Stream::Teacher, cfg.M, cfg.N, 1.0);
    Wf_ = gaussian_rows<RowMatrixF>(cfg.seed, rng::Stream::Student, cfg.K, cfg.N, cfg.init_std);
    fast_f_.resize(cfg);
  } else {
    teacher_.W = gaussian_rows<RowMatrix>(cfg.seed, rng::Stream::Teacher, cfg.M, cfg.N, 1.0);
    student_.W = gaussian_rows<RowMatrix>(cfg.seed, rng::Stream::Student, cfg.K, cfg.N, cfg.init_std);
    fast_d_.resize(cfg);
  }
  if (uses_teacher_frame(cfg)) {
    frame_ = TeacherFrame(teacher().W);
    if (is_float()) frame_.rows_to_frame(Wf_);
    else frame_.rows_to_frame(student_.W);
  }
}

TwoLayerNet Simulator::student() const {
  TwoLayerNet s{stored_W(), student_.v};
  frame_.rows_from_frame(s.W);
  return s;
}

TwoLayerNet Simulator::teacher() const {
  if (!is_float()) return teacher_;
  return TwoLayerNet{Bf_.cast<double>(), teacher_.v};
}

RowMatrix Simulator::stored_W() const { return is_float() ? RowMatrix(Wf_.cast<double>()) : student_.W; }

void Simulator::set_stored_W(const RowMatrix& W) {
  if (is_float()) Wf_ = W.cast<float>();
  else student_.W = W;
  diverged_ = false;
}

template <class Matrix>
void Simulator::store_student(Matrix W) {
  frame_.rows_to_frame(W);
  if (is_float()) Wf_ = W.template cast<float>();
  else student_.W = W.template cast<double>();
}

void Simulator::set_student(const RowMatrix& W, const Eigen::VectorXd& v) {
  store_student(W);
  student_.v = v;
  diverged_ = false;
}

void Simulator::set_teacher(const RowMatrix& B, const Eigen::VectorXd& v_star) {
  const RowMatrix W = student().W;  // in the input basis, before the frame changes
  if (is_float()) Bf_ = B.cast<float>();
  else teacher_.W = B;
  teacher_.v = v_star;
  if (uses_teacher_frame(cfg_)) {
    frame_ = TeacherFrame(teacher().W);
    store_student(W);
  }
}

Eigen::VectorXd Simulator::input(std::uint64_t sample) const {
  Eigen::VectorXd x(cfg_.N);
  if (is_float()) {
    Eigen::VectorXf xf(cfg_.N);
    rng::input_row(cfg_.seed, sample, cfg_.inputs, xf.data(), static_cast<std::size_t>(cfg_.N));
    x = xf.cast<double>();
  } else {
    rng::input_row(cfg_.seed, sample, cfg_.inputs, x.data(), static_cast<std::size_t>(cfg_.N));
  }
  if (in_teacher_frame()) frame_.from_frame(x.data());  // x = O x', drawn in the frame
  return x;
}

std::uint64_t Simulator::advance(std::uint64_t n, int threads) {
  if (diverged_) return 0;
  const Eigen::MatrixXd* L = in_teacher_frame() ? &frame_.L() : nullptr;
  const std::uint64_t done =
      is_float() ? fast_f_.advance(cfg_, Wf_.data(), cfg_.N, Bf_.data(), cfg_.N, student_.v, teacher_.v, steps_, n,
                                   threads, L)
                 : fast_d_.advance(cfg_, student_.W.data(), cfg_.N, teacher_.W.data(), cfg_.N, student_.v,
                                   teacher_.v, steps_, n, threads, L);
  steps_ += done;
  if (done < n) diverged_ = true;
  return done;
}

bool Simulator::step_on(const RowMatrix& X, const Eigen::VectorXd& zeta) {
  StepWorkspace ws;
  ws.resize(static_cast<int>(X.rows()), cfg_.N, cfg_.K, cfg_.M);
  ws.X = X;
  ws.zeta = zeta;
  bool ok;
  if (is_float() || in_teacher_frame()) {  // in the input basis, then stored again
    TwoLayerNet s = student(), t = teacher();
    ok = sgd_step(s, t, s.v, cfg_, ws);
    if (ok) {
      store_student(s.W);
      student_.v = s.v;
    }
  } else {
    ok = sgd_step(student_, teacher_, student_.v, cfg_, ws);
  }
  if (ok) ++steps_;
  else diverged_ = true;
  return ok;
}

Overlaps Simulator::overlaps() const {
  Overlaps o;
  const double inv_n = 1.0 / static_cast<double>(cfg_.N);
  // Q is the same in any basis; in the teacher frame W B^T = W' (B O)^T = W'[:, :M] L^T.
  if (is_float()) {
    o.Q = gram(Wf_, Wf_);
    o.T = gram(Bf_, Bf_);
    if (!in_teacher_frame()) o.R = gram(Wf_, Bf_);
    else o.R = inv_n * (Wf_.leftCols(cfg_.M).cast<double>() * frame_.L().transpose());
  } else {
    o.Q = inv_n * (student_.W * student_.W.transpose());
    o.T = inv_n * (teacher_.W * teacher_.W.transpose());
    if (!in_teacher_frame()) o.R = inv_n * (student_.W * teacher_.W.transpose());
    else o.R = inv_n * (student_.W.leftCols(cfg_.M) * frame_.L().transpose());
  }
  o.v = student_.v;
  o.v_star = teacher_.v;
  return o;
}

double Simulator::generalisation_error() const {
  return onlinesgd::generalisation_error(overlaps(), cfg_.g_student, cfg_.g_teacher);
}

}  // namespace onlinesgd

namespace onlinesgd {

std::vector<std::uint64_t> advance_replicas(const std::vector<Simulator*>& sims, std::uint64_t n) {
  std::vector<std::uint64_t> done(sims.size(), 0);
  if (sims.empty()) return done;
  const int threads = max_threads();
  if (step_threads(sims.front()->config(), threads) > 1 || sims.size() == 1) {
    for (std::size_t r = 0; r < sims.size(); ++r) done[r] = sims[r]->advance(n);
  } else {
    parallel_for(static_cast<std::int64_t>(sims.size()), true,
                 [&](std::int64_t r) { done[r] = sims[r]->advance(n, 1); });
  }
  return done;
}

}  // namespace onlinesgd

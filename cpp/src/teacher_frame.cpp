#include "onlinesgd/teacher_frame.hpp"

namespace onlinesgd {

bool uses_teacher_frame(const ModelConfig& cfg) { return input_traits(cfg.inputs).rotation_invariant && cfg.M < cfg.N; }

TeacherFrame::TeacherFrame(const RowMatrix& B) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(B.transpose());
  qr_ = qr.matrixQR();
  tau_ = qr.hCoeffs();
  const auto M = B.rows();
  L_ = qr_.topRows(M).triangularView<Eigen::Upper>().toDenseMatrix().transpose();
}

void TeacherFrame::reflect(int m, double* w) const {
  const Eigen::Index N = qr_.rows();
  const double* u = qr_.col(m).data();  // u[m] = 1 (implicit), u[j > m] stored
  double dot = w[m];
  for (Eigen::Index j = m + 1; j < N; ++j) dot += u[j] * w[j];
  const double c = tau_(m) * dot;
  w[m] -= c;
  for (Eigen::Index j = m + 1; j < N; ++j) w[j] -= c * u[j];
}

// w O = (O^T w^T)^T with O^T = H_{M-1} ... H_0 (each H_m symmetric): H_0 acts first.
void TeacherFrame::to_frame(double* w) const {
  for (int m = 0; m < tau_.size(); ++m) reflect(m, w);
}

void TeacherFrame::from_frame(double* w) const {
  for (int m = static_cast<int>(tau_.size()) - 1; m >= 0; --m) reflect(m, w);
}

template <class Matrix>
void TeacherFrame::rows(Matrix& W, bool into) const {
  if (empty()) return;
  Eigen::VectorXd row(W.cols());
  for (Eigen::Index k = 0; k < W.rows(); ++k) {
    row = W.row(k).transpose().template cast<double>();
    into ? to_frame(row.data()) : from_frame(row.data());
    W.row(k) = row.transpose().cast<typename Matrix::Scalar>();
  }
}

template <class Matrix>
void TeacherFrame::rows_to_frame(Matrix& W) const {
  rows(W, true);
}

template <class Matrix>
void TeacherFrame::rows_from_frame(Matrix& W) const {
  rows(W, false);
}

template void TeacherFrame::rows_to_frame(RowMatrix&) const;
template void TeacherFrame::rows_to_frame(RowMatrixF&) const;
template void TeacherFrame::rows_from_frame(RowMatrix&) const;
template void TeacherFrame::rows_from_frame(RowMatrixF&) const;

}  // namespace onlinesgd

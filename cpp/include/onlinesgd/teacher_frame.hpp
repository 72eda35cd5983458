#pragma once
/// The teacher frame: an orthonormal input basis whose first M axes span the teacher's rows.
///
/// Gaussian inputs x ~ N(0, I_N) have the same law in every orthonormal basis, so the
/// simulator may draw x' = O^T x directly and keep the student as W' = W O. Then the student's
/// fields W' x' = W x are unchanged, the update W' += c x'^T is the update W += c x^T seen in the
/// frame, and the teacher's fields B x = B O x' = L x'[0:M] cost M^2 per sample instead of a pass
/// over B (B O = [L 0], L lower triangular): the step streams K rows instead of K + M. The
/// trajectory has exactly the law of a simulation in the input basis (docs/model.md).
///
/// O = H_0 H_1 ... H_{M-1}, the Householder reflectors of the QR decomposition B^T = O [R; 0],
/// so L = R^T. Applying O to a row costs O(M N); nothing N x N is ever formed.
#include <cstdint>

#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/network.hpp"

namespace onlinesgd {

/// Whether a simulation of cfg runs in the teacher frame: Gaussian inputs (Rademacher inputs are
/// not rotation invariant) and M < N.
bool uses_teacher_frame(const ModelConfig& cfg);

class TeacherFrame {
 public:
  TeacherFrame() = default;
  /// The frame of the teacher rows B (M x N, M < N).
  explicit TeacherFrame(const RowMatrix& B);

  bool empty() const { return tau_.size() == 0; }
  /// B O = [L 0]: M x M, lower triangular.
  const Eigen::MatrixXd& L() const { return L_; }

  /// w <- w O: a row (length N) from the input basis into the frame.
  void to_frame(double* w) const;
  /// w <- w O^T: a row from the frame back into the input basis.
  void from_frame(double* w) const;

  /// Every row of W into / out of the frame (float rows go through double one at a time).
  template <class Matrix>
  void rows_to_frame(Matrix& W) const;
  template <class Matrix>
  void rows_from_frame(Matrix& W) const;

 private:
  void reflect(int m, double* w) const;
  template <class Matrix>
  void rows(Matrix& W, bool into) const;

  Eigen::MatrixXd qr_;   // N x M: Eigen's packed QR; below the diagonal, the reflectors' tails
  Eigen::VectorXd tau_;  // M reflector coefficients: H_m = I - tau_m u_m u_m^T, u_m[m] = 1
  Eigen::MatrixXd L_;
};

extern template void TeacherFrame::rows_to_frame(RowMatrix&) const;
extern template void TeacherFrame::rows_to_frame(RowMatrixF&) const;
extern template void TeacherFrame::rows_from_frame(RowMatrix&) const;
extern template void TeacherFrame::rows_from_frame(RowMatrixF&) const;

}  // namespace onlinesgd

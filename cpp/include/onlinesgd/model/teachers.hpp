#pragma once
/// The teachers of a model: their first layers when their overlaps are prescribed, and their
/// readouts (docs/theory.md §5; several teachers, continual learning). Rows drawn i.i.d. N(0, 1)
/// without prescribed overlaps are drawn by the simulator itself (row m = Teacher stream row m).
#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/network.hpp"

namespace onlinesgd::model {

/// A lower-triangular L with L L^T = A for a symmetric positive semi-definite A: Cholesky, with a
/// zero column wherever the pivot is <= 1e-13 max(1, max A_ii) (a singular A, e.g. two identical
/// teachers; then the rows of L that depend on earlier ones reproduce them exactly).
Eigen::MatrixXd psd_factor(const Eigen::MatrixXd& A);

/// The M teacher rows (M x N) with T = B B^T / N = Omega (cfg.teacher_overlap) to rounding:
/// Gaussian rows of the Teacher stream (row m = stream row m), orthonormalised by Gram-Schmidt
/// applied twice and scaled to U U^T / N = I, then B = L U with L = psd_factor(Omega). Teacher 1
/// is then the same for every Omega that starts with the same block. Needs M <= N.
RowMatrix overlap_teacher_rows(const ModelConfig& cfg);

/// The readout v* of the M teacher rows: cfg.teacher_readout, or teacher_v on every row; with a
/// readout similarity beta, teacher p + 1's readout is teacher p's rotated within its span:
/// |v*_p| (beta e + sqrt(1 - beta^2) e_perp), e = v*_p / |v*_p| and e_perp a unit vector orthogonal
/// to e drawn from the Readouts stream (counter p + 1), so cos(v*_p, v*_{p+1}) = beta and the
/// norms are equal. Needs equal teacher sizes (and M_p >= 2 unless beta = +-1).
Eigen::VectorXd teacher_readout(const ModelConfig& cfg);

}  // namespace onlinesgd::model

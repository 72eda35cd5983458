#pragma once
/// Re-triangularisation for the overlap engine (docs/engines.md). The engine's state is a lower
/// triangular factor L of the Gram matrix of the tracked rows (rows = vectors, columns = an
/// orthonormal basis); a step adds to it and appends columns, and these routines bring it back
/// to lower triangular form by orthogonal transformations of the columns, which change the basis
/// and leave the Gram matrix L L^T exact. Both finish with a non-negative diagonal, which makes
/// the factor of a full-rank matrix unique: the two methods give the same L up to rounding.
#include "onlinesgd/network.hpp"

namespace onlinesgd::chain {

/// A lower-triangular n x n block stored by columns (column j at a + j ld), so that a rotation
/// of two columns runs over two contiguous arrays.
struct TriBlock {
  double* a;
  int n;
  int ld;
  double* col(int j) const { return a + static_cast<long>(j) * ld; }
};

/// Householder LQ in place: A (r x c, r <= c) becomes [L 0] with L lower triangular, non-negative
/// diagonal and the same A A^T. O(r^2 c): for small blocks, for Langevin steps (whose noise is
/// a full rank-K update) and for the initial factor. `work` holds c doubles of scratch.
void householder_lq(Eigen::Ref<RowMatrix> A, double* work);

/// [L 0] + c w^T re-triangularised with Givens rotations, O(n^2) (Golub & Van Loan, Matrix
/// Computations, 12.5.1, transposed): L is n x n, w has `coords` >= n entries, and the coordinates
/// beyond n are new basis directions (the columns a step appends: the perpendicular parts of its
/// inputs), in which L is zero. The result is lower triangular again, zero beyond column n, so a
/// step's new directions cost a rotation of w each rather than a sweep over L. The rotations
/// change the basis, so the coordinate vectors others[0 .. n_others) (the later samples of a
/// minibatch, `coords` entries each) are rotated along. L must have room for coords columns
/// (those beyond n zero); w is overwritten.
void rank_one_update(const TriBlock& L, int coords, const double* c, double* w, double* const* others, int n_others);

/// out = L z for the first `rows` rows of a lower-triangular block with L.n columns (the fields
/// of a sample: rows = d). Inline: at K = M = 2 a call costs as much as the product. Small
/// blocks take row-wise dot products: column-wise updates of out would reload, as vectors,
/// entries just stored one by one (a store-forwarding stall per column, 15 % of a K = 2 step).
inline void lower_times(const TriBlock& L, int rows, const double* z, double* out) {
  if (rows <= 16) {
    for (int i = 0; i < rows; ++i) {
      double sum = 0.0;
      for (int j = 0; j <= i && j < L.n; ++j) sum += L.col(j)[i] * z[j];
      out[i] = sum;
    }
    return;
  }
  for (int i = 0; i < rows; ++i) out[i] = 0.0;
  for (int j = 0; j < L.n; ++j) {
    const double* a = L.col(j);
    const double zj = z[j];
    for (int i = j; i < rows; ++i) out[i] += a[i] * zj;
  }
}

/// Flips the sign of each column whose diagonal entry is negative (a change of basis).
void positive_diagonal(const TriBlock& L);

}  // namespace onlinesgd::chain

#include "onlinesgd/chain/triangular.hpp"

#include <cmath>

namespace onlinesgd::chain {
namespace {

/// Rotates the pair (x, y) of each row r in [first, n): (c x + s y, -s x + c y).
inline void rotate(double* x, double* y, int first, int n, double c, double s) {
  for (int r = first; r < n; ++r) {
    const double a = x[r], b = y[r];
    x[r] = c * a + s * b;
    y[r] = c * b - s * a;
  }
}

/// The rotation that takes (x, y) to (sqrt(x^2 + y^2), 0); false when y is already 0. Entries
/// are O(1) overlaps: sqrt of the sum of squares cannot overflow before the run diverges.
inline bool givens(double x, double y, double& c, double& s) {
  if (y == 0.0) return false;
  const double inv = 1.0 / std::sqrt(x * x + y * y);
  c = x * inv;
  s = y * inv;
  return true;
}

}  // namespace

void householder_lq(Eigen::Ref<RowMatrix> A, double* v) {
  const int rows = static_cast<int>(A.rows()), cols = static_cast<int>(A.cols());
  for (int i = 0; i < rows; ++i) {
    double* a = &A(i, 0);
    double tail = 0.0;
    for (int j = i + 1; j < cols; ++j) tail += a[j] * a[j];
    if (tail == 0.0) continue;
    const double x0 = a[i], alpha = std::sqrt(x0 * x0 + tail);
    const double v0 = x0 + (x0 >= 0.0 ? alpha : -alpha);         // no cancellation
    const double beta = 1.0 / (alpha * (alpha + std::abs(x0)));  // 2 / |v|^2
    v[i] = v0;
    for (int j = i + 1; j < cols; ++j) v[j] = a[j];
    a[i] = x0 >= 0.0 ? -alpha : alpha;
    for (int j = i + 1; j < cols; ++j) a[j] = 0.0;
    for (int r = i + 1; r < rows; ++r) {
      double* b = &A(r, 0);
      double dot = 0.0;
      for (int j = i; j < cols; ++j) dot += b[j] * v[j];
      dot *= beta;
      for (int j = i; j < cols; ++j) b[j] -= dot * v[j];
    }
  }
  for (int i = 0; i < rows; ++i)
    if (A(i, i) < 0.0)
      for (int r = i; r < rows; ++r) A(r, i) = -A(r, i);
}

void rank_one_update(const TriBlock& L, int coords, const double* c, double* w, double* const* others, int n_others) {
  const int n = L.n;
  double cs, sn;
  // Rotate w onto the first axis from the last coordinate up: L becomes upper Hessenberg (one
  // entry above the diagonal, in rows that exist), and c w^T becomes w_0 c e_0^T.
  for (int i = coords - 1; i >= 1; --i) {
    if (!givens(w[i - 1], w[i], cs, sn)) continue;
    w[i - 1] = cs * w[i - 1] + sn * w[i];
    w[i] = 0.0;
    if (i - 1 < n) rotate(L.col(i - 1), L.col(i), i - 1, n, cs, sn);
    for (int o = 0; o < n_others; ++o) rotate(others[o] + i - 1, others[o] + i, 0, 1, cs, sn);
  }
  double* c0 = L.col(0);
  for (int r = 0; r < n; ++r) c0[r] += w[0] * c[r];
  // Back to lower triangular: zero each entry above the diagonal against the diagonal. The last
  // one, (n - 1, n), empties column n: the new directions are folded in.
  for (int i = 0; i < n && i + 1 < coords; ++i) {
    double* a = L.col(i);
    double* b = L.col(i + 1);
    if (!givens(a[i], b[i], cs, sn)) continue;
    rotate(a, b, i, n, cs, sn);
    b[i] = 0.0;
    for (int o = 0; o < n_others; ++o) rotate(others[o] + i, others[o] + i + 1, 0, 1, cs, sn);
  }
}

void positive_diagonal(const TriBlock& L) {
  for (int j = 0; j < L.n; ++j) {
    double* a = L.col(j);
    if (a[j] < 0.0)
      for (int r = j; r < L.n; ++r) a[r] = -a[r];
  }
}

}  // namespace onlinesgd::chain

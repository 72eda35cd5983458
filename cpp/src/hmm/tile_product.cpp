// No fused multiply-adds: the same sequence of IEEE operations on every instruction-set clone.
#pragma GCC optimize("fp-contract=off")
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif
#include "onlinesgd/tile_product.hpp"

#include <algorithm>
#include <vector>

// One clone per x86-64 level, chosen by the loader (GCC's ifunc): Eigen's GEMM, compiled for the
// baseline, runs at a third of this machine's rate (bench/README.md); Eigen itself cannot be
// cloned safely, since its template instances from different -march flags would be merged.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ONLINESGD_TILE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ONLINESGD_TILE_CLONES
#endif

namespace onlinesgd::hmm {
namespace {

constexpr int kRows = 4, kCols = 16;  // a register block: 4 x 16 accumulators

}  // namespace

ONLINESGD_TILE_CLONES
void tile_product(const double* C, std::int64_t ldc, const double* F, std::int64_t ldf, double* X, std::int64_t ldx,
                  int rows, int cols, std::int64_t D) {
  // A strip of F (D x 16) is packed contiguous (F's rows are N apart: one page per k otherwise)
  // and stays in L2 while every block of 4 rows reads it.
  thread_local std::vector<double> strip;
  strip.resize(static_cast<std::size_t>(D) * kCols);
  for (int j0 = 0; j0 < cols; j0 += kCols) {
    const int nj = std::min(kCols, cols - j0);
    for (std::int64_t k = 0; k < D; ++k)
      for (int j = 0; j < kCols; ++j) strip[k * kCols + j] = j < nj ? F[k * ldf + j0 + j] : 0.0;
    const double* f0 = strip.data();
    for (int i0 = 0; i0 < rows; i0 += kRows) {
      const int ni = std::min(kRows, rows - i0);
      double acc[kRows][kCols] = {};
      if (ni == kRows) {
        const double *c0 = C + i0 * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
        for (std::int64_t k = 0; k < D; ++k) {
          const double* f = f0 + k * kCols;
          for (int j = 0; j < kCols; ++j) {
            acc[0][j] += c0[k] * f[j];
            acc[1][j] += c1[k] * f[j];
            acc[2][j] += c2[k] * f[j];
            acc[3][j] += c3[k] * f[j];
          }
        }
      } else {  // the last rows: the same order of operations per element
        for (std::int64_t k = 0; k < D; ++k) {
          const double* f = f0 + k * kCols;
          for (int r = 0; r < ni; ++r)
            for (int j = 0; j < kCols; ++j) acc[r][j] += C[(i0 + r) * ldc + k] * f[j];
        }
      }
      for (int r = 0; r < ni; ++r)
        for (int j = 0; j < nj; ++j) X[(i0 + r) * ldx + j0 + j] = acc[r][j];
    }
  }
}

}  // namespace onlinesgd::hmm

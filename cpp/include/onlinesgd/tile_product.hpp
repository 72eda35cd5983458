#pragma once
/// The hidden manifold simulator's input product, one tile at a time (hmm_simulator.cpp).
#include <cstdint>

namespace onlinesgd::hmm {

/// X = C F for a tile: C is rows x D (row stride ldc), F is D x cols (row stride ldf), X is rows x
/// cols (row stride ldx). Every element sums its D products in order k = 0, 1, ..., without fused
/// multiply-adds, so the bits do not depend on the thread count nor on the instruction set (the
/// function is compiled for several x86-64 levels and picked at load time where the compiler can).
void tile_product(const double* C, std::int64_t ldc, const double* F, std::int64_t ldf, double* X, std::int64_t ldx,
                  int rows, int cols, std::int64_t D);

}  // namespace onlinesgd::hmm

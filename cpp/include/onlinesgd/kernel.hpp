#pragma once
/// The fused step kernel and the input generators, compiled once per instruction-set target
/// (generic, x86-64-v3 = AVX2+FMA, x86-64-v4 = AVX-512) and chosen at run time by CPU
/// features. This header holds only plain structs and declarations (no inline code), so the
/// per-target translation units can include it without one target's code leaking into another
/// through the linker's choice of inline functions.
///
/// Every target runs the same sequence of IEEE operations: the kernels are compiled with
/// -ffp-contract=off and use explicit fma where a fused multiply-add is wanted, dot products
/// accumulate in 32 fixed lanes reduced in a fixed tree, and float<->integer conversions are
/// bit manipulations. Results are therefore bit-identical across targets (and thread counts).
#include <cstddef>
#include <cstdint>

#include "onlinesgd/model/inputs.hpp"

namespace onlinesgd::kernel {

inline constexpr int kBlock = 1024;  ///< columns per block: one counter key per (sample, block)

/// One column block of the fused step. Pointers point at the block's first column.
/// First applies the `updates` pending updates one after another, W[k] += coef[u K + k] x_cur[u]
/// for u = 0, 1, ... (each rounded: the same bits as one update at a time); then draws `draws`
/// inputs x_next[d] from keys[d] and writes partial[d (K + M) + r] = (row r of [W; B]) . x_next[d]
/// over this block, in double, and with `cross` set (draws == 2) *cross = x_next[0] . x_next[1].
/// A minibatch step is updates = draws = batch; a pair of online steps (fast_step.hpp) applies two
/// updates and draws the next two inputs with their cross product. With `decay` each update u is
/// W[k] = fma(coef, x_cur[u], decay[u] W[k]); with noise_std the step ends with
/// W[k] = fma(noise_std, xi_k, W[k]) (one step per pass then).
/// A trivial aggregate (no member initialisers, so no constructor code is emitted in the
/// per-target units): value-initialise it with `BlockArgs<Real> a{};`.
template <class Real>
struct BlockArgs {
  Real* W;  ///< K rows, leading dimension ldw
  std::int64_t ldw;
  int K;
  const Real* B;  ///< M teacher rows, leading dimension ldb
  std::int64_t ldb;
  int M;
  const Real* x_cur;  ///< `updates` rows, leading dimension ldx
  Real* x_next;       ///< `draws` rows, leading dimension ldx
  std::int64_t ldx;
  int updates;                ///< pending updates to apply (0: none)
  const Real* coef;           ///< updates x K update coefficients
  int draws;                  ///< inputs to draw (0: none)
  const std::uint64_t* keys;  ///< draws counter keys of x_next's blocks
  Inputs inputs;
  int count;        ///< columns in this block (kBlock except the last)
  double* partial;  ///< draws x (K + M) block dot products
  double* cross;    ///< null, or x_next[0] . x_next[1] over this block (draws == 2)
  /// Weight decay and Langevin noise (model/rule.hpp), applied to W only:
  const Real* decay;  ///< null, or per update u the factor W is multiplied by just before update u
  Real noise_std;     ///< 0, or after the updates W[k] += noise_std xi_k, xi_k the normals of noise_keys[k]
  const std::uint64_t* noise_keys;  ///< K counter keys, one per row (noise_std != 0)
  Real* noise_buf;                  ///< scratch for 2 kBlock values (noise_std != 0)
};

/// Function table of one compiled target.
struct Table {
  const char* name;
  /// The first `count` (<= kBlock) values of the block keyed by `key`; they do not depend on count.
  void (*normal_d)(std::uint64_t key, double* out, int count);
  void (*normal_f)(std::uint64_t key, float* out, int count);
  void (*sign_d)(std::uint64_t key, double* out, int count);
  void (*sign_f)(std::uint64_t key, float* out, int count);
  void (*block_d)(const BlockArgs<double>& args);
  void (*block_f)(const BlockArgs<float>& args);
  /// Phase kernels for the benchmark's time split: dot products, and the update alone.
  double (*dot_d)(const double* w, const double* x, int n);
  double (*dot_f)(const float* w, const float* x, int n);
  void (*axpy_d)(double* w, double c, const double* x, int n);
  void (*axpy_f)(float* w, float c, const float* x, int n);
};

/// The table in use (chosen once from the CPU features, or by select()).
const Table& active();
/// Names of the targets compiled into this build, best last (e.g. generic, x86-64-v3, x86-64-v4).
const char* const* compiled(int* count);
/// Names of the compiled targets this CPU can run.
bool supported(const char* name);
/// Switches to the named target; returns false (and changes nothing) when it is not compiled
/// or the CPU lacks its features. For tests and benchmarks.
bool select(const char* name);

// Per-target tables, defined in cpp/src/kernel/kernel_<target>.cpp.
const Table* table_generic();
const Table* table_x86_64_v3();
const Table* table_x86_64_v4();

}  // namespace onlinesgd::kernel

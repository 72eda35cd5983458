// The kernels, written as plain loops over fixed lane counts for the compiler to vectorise.
// Included once by each kernel_<target>.cpp with ONLINESGD_KERNEL_NS and ONLINESGD_KERNEL_NAME
// defined; everything lives in that per-target namespace (and an anonymous one), and only
// compiler builtins are called, so no function compiled for one instruction set can be picked
// by the linker for another target. No #pragma once: each target includes it exactly once.
//
// Generator (documented for users in rng.hpp): a block key seeds 16 xoshiro256++ lanes via
// splitmix64; Box-Muller with our own polynomial log (fdlibm/musl coefficients) and sin/cos
// on [0, pi/4) (fdlibm kernels in double, Cephes in float), the angle's octant chosen by
// three random bits (swap and two signs: the dihedral symmetries of the square map [0, pi/4)
// onto the whole circle, uniformly).
#include <cstdint>

#include "onlinesgd/kernel.hpp"

namespace onlinesgd::kernel::ONLINESGD_KERNEL_NS {
namespace {

using u64 = std::uint64_t;
using u32 = std::uint32_t;

constexpr int kLanes = 16;  // xoshiro lanes: two independent vectors even on AVX-512 (latency)
constexpr int kAcc = 32;  // dot-product lanes: fixed, so every target sums in the same order
constexpr u64 kOneBitsD = 0x3FF0000000000000ULL;
constexpr u32 kOneBitsF = 0x3F800000u;

inline double as_double(u64 u) {
  double d;
  __builtin_memcpy(&d, &u, sizeof d);
  return d;
}
inline u64 bits(double d) {
  u64 u;
  __builtin_memcpy(&u, &d, sizeof u);
  return u;
}
inline float as_float(u32 u) {
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}
inline u32 bits(float f) {
  u32 u;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
}
inline u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }

inline u64 splitmix_at(u64 key, u64 i) {
  u64 z = key + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// GCC/Clang vector extension, as wide as the target's registers (ONLINESGD_KERNEL_VEC bytes:
// 64 on AVX-512, 32 elsewhere), so xoshiro runs as whole-vector operations. The lanes and
// their outputs are the same whatever the width.
#ifndef ONLINESGD_KERNEL_VEC
#define ONLINESGD_KERNEL_VEC 32
#endif
typedef u64 vu64 __attribute__((vector_size(ONLINESGD_KERNEL_VEC)));
typedef u32 vu32 __attribute__((vector_size(ONLINESGD_KERNEL_VEC)));
constexpr int kVecLanes = ONLINESGD_KERNEL_VEC / 8;
constexpr int kVecLanes32 = ONLINESGD_KERNEL_VEC / 4;
constexpr int kVecs = kLanes / kVecLanes;

inline vu64 rotl(vu64 x, int k) { return (x << k) | (x >> (64 - k)); }

/// kLanes xoshiro256++ generators; lane l starts from splitmix64 outputs 4l .. 4l+3 of the key.
struct Gen {
  vu64 s0[kVecs], s1[kVecs], s2[kVecs], s3[kVecs];

  explicit Gen(u64 key) {
    u64 a[kLanes], b[kLanes], c[kLanes], d[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      a[l] = splitmix_at(key, 4 * l + 0);
      b[l] = splitmix_at(key, 4 * l + 1);
      c[l] = splitmix_at(key, 4 * l + 2);
      d[l] = splitmix_at(key, 4 * l + 3);
    }
    __builtin_memcpy(s0, a, sizeof s0);
    __builtin_memcpy(s1, b, sizeof s1);
    __builtin_memcpy(s2, c, sizeof s2);
    __builtin_memcpy(s3, d, sizeof s3);
  }

  /// out[t * kLanes + l] = next output t of lane l, for t < steps.
  inline void next(u64* __restrict out, int steps) {
    for (int t = 0; t < steps; ++t) {
      for (int v = 0; v < kVecs; ++v) {
        const vu64 r = rotl(s0[v] + s3[v], 23) + s0[v];
        __builtin_memcpy(out + t * kLanes + v * kVecLanes, &r, sizeof r);
        const vu64 x = s1[v] << 17;
        s2[v] ^= s0[v];
        s3[v] ^= s1[v];
        s1[v] ^= s2[v];
        s0[v] ^= s3[v];
        s2[v] ^= x;
        s3[v] = rotl(s3[v], 45);
      }
    }
  }
};

// A block's normals are drawn in chunks of 128 (64 Box-Muller pairs), so that the fused step
// can stream the weights chunk by chunk while the generator works (overlapping memory traffic
// with arithmetic). Chunk c is columns [128 c, 128 c + 128); pair i < 64 of a chunk fills
// columns i and 64 + i.
constexpr int kChunk = 128;
constexpr int kPairs = kChunk / 2;

// ---- double Box-Muller: pair i uses outputs i and 512 + i, writes out[i] and out[512 + i] ----
constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01,
                 kLg3 = 2.857142874366239149e-01, kLg4 = 2.222219843214978396e-01,
                 kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                 kLg7 = 1.479819860511658591e-01;
constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
constexpr double kS1 = -1.66666666666666324348e-01, kS2 = 8.33333333332248946124e-03,
                 kS3 = -1.98412698298579493134e-04, kS4 = 2.75573137070700676789e-06,
                 kS5 = -2.50507602534068634195e-08, kS6 = 1.58969099521155010221e-10;
constexpr double kC1 = 4.16666666666666019037e-02, kC2 = -1.38888888888741095749e-03,
                 kC3 = 2.48015872894767294178e-05, kC4 = -2.75573143513906633035e-07,
                 kC5 = 2.08757232129817482790e-09, kC6 = -1.13596475577881948265e-11;
constexpr double kPiOver4 = 0.78539816339744830962;

/// One chunk of double normals: 16 xoshiro steps; pair i uses outputs i and 64 + i.
void chunk_d(Gen& g, double* __restrict out) {
  alignas(64) u64 buf[kChunk];
  g.next(buf, kChunk / kLanes);
  constexpr int kHalf = kPairs;
  for (int i = 0; i < kHalf; ++i) {
    const u64 a = buf[i], b = buf[kHalf + i];
    // u1 in (0, 1] from the top 52 bits of a, so log(u1) is finite.
    const double u1 = 2.0 - as_double((a >> 12) | kOneBitsD);
    // log(u1) as in fdlibm/musl: u1 = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)).
    const u64 ix = bits(u1) + (kOneBitsD - 0x3FE6A09E00000000ULL);
    const double dk = as_double(0x4330000000000000ULL | (ix >> 52)) - (4503599627370496.0 + 1023.0);
    const double f = as_double((ix & 0x000FFFFFFFFFFFFFULL) + 0x3FE6A09E00000000ULL) - 1.0;
    const double hfsq = 0.5 * f * f;
    const double s = f / (2.0 + f);
    const double z = s * s, w = z * z;
    const double t1 = w * __builtin_fma(w, __builtin_fma(w, kLg6, kLg4), kLg2);
    const double t2 = z * __builtin_fma(w, __builtin_fma(w, __builtin_fma(w, kLg7, kLg5), kLg3), kLg1);
    const double logu = s * (hfsq + (t2 + t1)) + dk * kLn2Lo - hfsq + f + dk * kLn2Hi;
    const double r = __builtin_sqrt(-2.0 * logu);
    // angle in [0, pi/4) from the top 52 bits of b
    const double x = (as_double((b >> 12) | kOneBitsD) - 1.0) * kPiOver4;
    const double x2 = x * x;
    const double ps = __builtin_fma(
        x2, __builtin_fma(x2, __builtin_fma(x2, __builtin_fma(x2, __builtin_fma(x2, kS6, kS5), kS4), kS3), kS2), kS1);
    const double sn = __builtin_fma(x * x2, ps, x);
    const double pc = __builtin_fma(
        x2, __builtin_fma(x2, __builtin_fma(x2, __builtin_fma(x2, __builtin_fma(x2, kC6, kC5), kC4), kC3), kC2), kC1);
    const double cs = __builtin_fma(x2 * x2, pc, __builtin_fma(-0.5, x2, 1.0));
    // octant: bit 11 of a swaps (cos, sin), bits 10 and 9 flip their signs
    const u64 swap = u64(0) - ((a >> 11) & 1);
    const u64 cb = bits(cs), sb = bits(sn);
    const u64 p = ((cb & ~swap) | (sb & swap)) ^ (((a >> 10) & 1) << 63);
    const u64 q = ((sb & ~swap) | (cb & swap)) ^ (((a >> 9) & 1) << 63);
    out[i] = r * as_double(p);
    out[kHalf + i] = r * as_double(q);
  }
}

// ---- float Box-Muller: one 64-bit output per pair ----
constexpr float kLg1f = 0.66666662693f, kLg2f = 0.40000972152f, kLg3f = 0.28498786688f, kLg4f = 0.24279078841f;
constexpr float kLn2Hif = 6.9313812256e-01f, kLn2Lof = 9.0580006145e-06f;
constexpr float kS1f = -1.6666654611e-1f, kS2f = 8.3321608736e-3f, kS3f = -1.9515295891e-4f;
constexpr float kC1f = 4.166664568298827e-2f, kC2f = -1.388731625493765e-3f, kC3f = 2.443315711809948e-5f;

/// One chunk of float normals: 4 xoshiro steps (64 outputs) read as 128 little-endian 32-bit
/// words; pair i uses words i and 64 + i (contiguous 32-bit loads, no 64 -> 32 bit shuffles).
void chunk_f(Gen& g, float* __restrict out) {
  alignas(64) u64 buf64[kChunk / 2];
  g.next(buf64, kChunk / 2 / kLanes);
  constexpr int kHalf = kPairs;
  alignas(64) u32 buf[kChunk];
  __builtin_memcpy(buf, buf64, sizeof buf);
  for (int i = 0; i < kHalf; ++i) {
    const u32 a = buf[i], b = buf[kHalf + i];
    const float u1 = 2.0f - as_float((a >> 9) | kOneBitsF);  // bits 9..31 of a: u1 in (0, 1]
    const u32 ix = bits(u1) + (kOneBitsF - 0x3F3504F3u);
    const float dk = static_cast<float>(static_cast<int>(ix >> 23) - 0x7f);
    const float f = as_float((ix & 0x007FFFFFu) + 0x3F3504F3u) - 1.0f;
    const float hfsq = 0.5f * f * f;
    const float s = f / (2.0f + f);
    const float z = s * s, w = z * z;
    const float t1 = w * __builtin_fmaf(w, kLg4f, kLg2f);
    const float t2 = z * __builtin_fmaf(w, kLg3f, kLg1f);
    const float logu = s * (hfsq + (t2 + t1)) + dk * kLn2Lof - hfsq + f + dk * kLn2Hif;
    const float r = __builtin_sqrtf(-2.0f * logu);
    const float x = (as_float((b >> 9) | kOneBitsF) - 1.0f) * 0.78539816339f;  // bits 9..31 of b
    const float x2 = x * x;
    const float sn = __builtin_fmaf(x * x2, __builtin_fmaf(x2, __builtin_fmaf(x2, kS3f, kS2f), kS1f), x);
    const float cs = __builtin_fmaf(x2 * x2, __builtin_fmaf(x2, __builtin_fmaf(x2, kC3f, kC2f), kC1f),
                                    __builtin_fmaf(-0.5f, x2, 1.0f));
    const u32 swap = u32(0) - ((a >> 8) & 1);  // bits 8, 7, 6 of a: octant
    const u32 cb = bits(cs), sb = bits(sn);
    const u32 p = ((cb & ~swap) | (sb & swap)) ^ (((a >> 7) & 1) << 31);
    const u32 q = ((sb & ~swap) | (cb & swap)) ^ (((a >> 6) & 1) << 31);
    out[i] = r * as_float(p);
    out[kHalf + i] = r * as_float(q);
  }
}

template <class Real>
void copy_prefix(const Real* src, Real* dst, int count) {
  for (int i = 0; i < count; ++i) dst[i] = src[i];
}

inline void chunk(Gen& g, double* out) { chunk_d(g, out); }
inline void chunk(Gen& g, float* out) { chunk_f(g, out); }

/// Chunk c of a block into out (the chunk's own columns), only its first `len` values.
template <class Real>
inline void chunk_prefix(Gen& g, Real* out, int len) {
  if (len == kChunk) return chunk(g, out);
  alignas(64) Real tmp[kChunk];
  chunk(g, tmp);
  copy_prefix(tmp, out, len);
}

template <class Real>
void normal(u64 key, Real* out, int count) {
  Gen g(key);
  for (int c0 = 0; c0 < count; c0 += kChunk) chunk_prefix(g, out + c0, count - c0 < kChunk ? count - c0 : kChunk);
}
void normal_d(u64 key, double* out, int count) { normal(key, out, count); }
void normal_f(u64 key, float* out, int count) { normal(key, out, count); }

// Rademacher, written with vector extensions (plain loops did not vectorise). A block takes
// one xoshiro step (16 outputs = 1024 bits). Double: element 16 j + w is bit j of 64-bit
// word w. Float: the bits read as 32 words of 32 bits, element 32 j + w is bit j of word w.
void signs_d(const u64* __restrict words, double* __restrict out) {
  constexpr int kV = 16 / kVecLanes;
  vu64 w[kV];
  __builtin_memcpy(w, words, sizeof w);
  for (int j = 0; j < 64; ++j)
    for (int v = 0; v < kV; ++v) {
      const vu64 r = (((w[v] >> j) & 1) << 63) | kOneBitsD;
      __builtin_memcpy(out + 16 * j + v * kVecLanes, &r, sizeof r);
    }
}
void signs_f(const u64* __restrict words, float* __restrict out) {
  constexpr int kV = 32 / kVecLanes32;
  vu32 w[kV];
  __builtin_memcpy(w, words, sizeof w);
  for (int j = 0; j < 32; ++j)
    for (int v = 0; v < kV; ++v) {
      const vu32 r = (((w[v] >> j) & 1u) << 31) | kOneBitsF;
      __builtin_memcpy(out + 32 * j + v * kVecLanes32, &r, sizeof r);
    }
}

void sign_d(u64 key, double* out, int count) {
  alignas(64) u64 words[16];
  Gen(key).next(words, 1);
  if (count == kBlock) return signs_d(words, out);
  alignas(64) double tmp[kBlock];
  signs_d(words, tmp);
  copy_prefix(tmp, out, count);
}
void sign_f(u64 key, float* out, int count) {
  alignas(64) u64 words[16];
  Gen(key).next(words, 1);
  if (count == kBlock) return signs_f(words, out);
  alignas(64) float tmp[kBlock];
  signs_f(words, tmp);
  copy_prefix(tmp, out, count);
}

inline void draw(Inputs inputs, u64 key, double* out, int count) {
  inputs == Inputs::Rademacher ? sign_d(key, out, count) : normal_d(key, out, count);
}
inline void draw(Inputs inputs, u64 key, float* out, int count) {
  inputs == Inputs::Rademacher ? sign_f(key, out, count) : normal_f(key, out, count);
}

/// Sum of 32 lanes in a fixed tree.
inline double reduce(double* acc) {
  for (int s = kAcc / 2; s > 0; s /= 2)
    for (int l = 0; l < s; ++l) acc[l] += acc[l + s];
  return acc[0];
}

inline double fma_r(double a, double b, double c) { return __builtin_fma(a, b, c); }
inline float fma_r(float a, float b, float c) { return __builtin_fmaf(a, b, c); }

// Dot products accumulate in kAcc lanes: lane l sums the products of the columns j = l mod 32
// of a block in increasing j, whether a block is done at once or chunk by chunk, so both give
// the same bits. float64 accumulates exact fma in double. float32 accumulates the block's
// products in float lanes (at most 32 terms each) and the lanes and blocks in double: widening
// every product to double cost as much as drawing the input, and the float lane sums add an
// error of ~1e-7 relative to a local field, the size of the weights' own float rounding and far
// below the 1/sqrt(N) fluctuations.

/// acc += lanes of w . x over n columns (n from a multiple of 32).
template <class Real>
inline void dot_acc(const Real* __restrict w, const Real* __restrict x, int n, Real* __restrict acc_out) {
  Real acc[kAcc];
  for (int l = 0; l < kAcc; ++l) acc[l] = acc_out[l];
  int j = 0;
  for (; j + kAcc <= n; j += kAcc)
    for (int l = 0; l < kAcc; ++l) acc[l] = fma_r(w[j + l], x[j + l], acc[l]);
  for (int l = 0; j + l < n; ++l) acc[l] = fma_r(w[j + l], x[j + l], acc[l]);
  for (int l = 0; l < kAcc; ++l) acc_out[l] = acc[l];
}

/// w += c xc, then acc += lanes of (updated w) . xn: one pass over w.
template <class Real>
inline void axpy_dot_acc(Real* __restrict w, Real c, const Real* __restrict xc, const Real* __restrict xn, int n,
                         Real* __restrict acc_out) {
  Real acc[kAcc];
  for (int l = 0; l < kAcc; ++l) acc[l] = acc_out[l];
  int j = 0;
  for (; j + kAcc <= n; j += kAcc)
    for (int l = 0; l < kAcc; ++l) {
      const Real u = fma_r(c, xc[j + l], w[j + l]);
      w[j + l] = u;
      acc[l] = fma_r(u, xn[j + l], acc[l]);
    }
  for (int l = 0; j + l < n; ++l) {
    const Real u = fma_r(c, xc[j + l], w[j + l]);
    w[j + l] = u;
    acc[l] = fma_r(u, xn[j + l], acc[l]);
  }
  for (int l = 0; l < kAcc; ++l) acc_out[l] = acc[l];
}

template <class Real>
inline double finish(const Real* acc) {
  double wide[kAcc];
  for (int l = 0; l < kAcc; ++l) wide[l] = acc[l];
  return reduce(wide);
}

template <class Real>
double dot(const Real* w, const Real* x, int n) {
  Real acc[kAcc] = {};
  dot_acc(w, x, n, acc);
  return finish(acc);
}

template <class Real>
void axpy(Real* __restrict w, Real c, const Real* __restrict x, int n) {
  for (int j = 0; j < n; ++j) w[j] = fma_r(c, x[j], w[j]);
}

constexpr int kMaxChunkedRows = 8;

/// Gaussian inputs, one sample, few rows: draw a chunk, then update and dot every row over it
/// while the generator's next chunk is computed; the weights stream from L2/L3 in the
/// background instead of in a separate phase.
template <class Real>
void block_chunked(const BlockArgs<Real>& a) {
  const int n = a.count, P = a.K + a.M;
  Real acc[kMaxChunkedRows][kAcc] = {};
  Gen g(a.keys[0]);
  for (int c0 = 0; c0 < n; c0 += kChunk) {
    const int len = n - c0 < kChunk ? n - c0 : kChunk;
    Real* xn = a.x_next + c0;
    chunk_prefix(g, xn, len);
    for (int k = 0; k < a.K; ++k) {
      Real* w = a.W + k * a.ldw + c0;
      if (a.coef) axpy_dot_acc(w, a.coef[k], a.x_cur + c0, xn, len, acc[k]);
      else dot_acc(w, xn, len, acc[k]);
    }
    for (int m = 0; m < a.M; ++m) dot_acc(a.B + m * a.ldb + c0, xn, len, acc[a.K + m]);
  }
  for (int r = 0; r < P; ++r) a.partial[r] = finish(acc[r]);
}

template <class Real>
void block(const BlockArgs<Real>& a) {
  const int n = a.count, P = a.K + a.M;
  if (a.draw && a.batch == 1 && P <= kMaxChunkedRows && a.inputs == Inputs::Gaussian) return block_chunked(a);
  if (a.draw)
    for (int b = 0; b < a.batch; ++b) draw(a.inputs, a.keys[b], a.x_next + b * a.ldx, n);
  for (int k = 0; k < a.K; ++k) {
    Real* w = a.W + k * a.ldw;
    if (a.coef && a.draw && a.batch == 1) {
      Real acc[kAcc] = {};
      axpy_dot_acc(w, a.coef[k], a.x_cur, a.x_next, n, acc);
      a.partial[k] = finish(acc);
      continue;
    }
    if (a.coef)
      for (int b = 0; b < a.batch; ++b) axpy(w, a.coef[b * a.K + k], a.x_cur + b * a.ldx, n);
    if (a.draw)
      for (int b = 0; b < a.batch; ++b) a.partial[b * P + k] = dot(w, a.x_next + b * a.ldx, n);
  }
  if (a.draw)
    for (int m = 0; m < a.M; ++m)
      for (int b = 0; b < a.batch; ++b) a.partial[b * P + a.K + m] = dot(a.B + m * a.ldb, a.x_next + b * a.ldx, n);
}

void block_d(const BlockArgs<double>& a) { block(a); }
void block_f(const BlockArgs<float>& a) { block(a); }
double dot_d(const double* w, const double* x, int n) { return dot(w, x, n); }
double dot_f(const float* w, const float* x, int n) { return dot(w, x, n); }
void axpy_d(double* w, double c, const double* x, int n) { axpy(w, c, x, n); }
void axpy_f(float* w, float c, const float* x, int n) { axpy(w, c, x, n); }

const Table kTable = {ONLINESGD_KERNEL_NAME, normal_d, normal_f, sign_d, sign_f, block_d, block_f,
                      dot_d, dot_f, axpy_d, axpy_f};

}  // namespace
}  // namespace onlinesgd::kernel::ONLINESGD_KERNEL_NS

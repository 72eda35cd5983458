// The kernels, written as plain loops over fixed lane counts for the compiler to vectorise.
// Included once by each kernel_<target>.cpp with ONLINESGD_KERNEL_NS and ONLINESGD_KERNEL_NAME
// defined; everything lives in that per-target namespace (and an anonymous one), and only
// compiler builtins are called, so no function compiled for one instruction set can be picked
// by the linker for another target. No #pragma once: each target includes it exactly once.
//
// Generator (documented for users in rng.hpp): a block key seeds 8 xoshiro256++ lanes via
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

constexpr int kLanes = 8;
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

/// Lane-parallel xoshiro256++ (structure of arrays) seeded by splitmix64 from one key.
struct Lanes {
  u64 s0[kLanes], s1[kLanes], s2[kLanes], s3[kLanes];
};

inline u64 splitmix_at(u64 key, u64 i) {
  u64 z = key + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline void seed(u64 key, Lanes& st) {
  for (int l = 0; l < kLanes; ++l) {
    st.s0[l] = splitmix_at(key, 4 * l + 0);
    st.s1[l] = splitmix_at(key, 4 * l + 1);
    st.s2[l] = splitmix_at(key, 4 * l + 2);
    st.s3[l] = splitmix_at(key, 4 * l + 3);
  }
}

// GCC/Clang vector extension, as wide as the target's registers (ONLINESGD_KERNEL_VEC bytes:
// 64 on AVX-512, 32 elsewhere), so xoshiro runs as whole-vector operations. The lanes and
// their outputs are the same whatever the width.
#ifndef ONLINESGD_KERNEL_VEC
#define ONLINESGD_KERNEL_VEC 32
#endif
typedef u64 vu64 __attribute__((vector_size(ONLINESGD_KERNEL_VEC)));
constexpr int kVecLanes = ONLINESGD_KERNEL_VEC / 8;
constexpr int kVecs = kLanes / kVecLanes;

inline vu64 rotl(vu64 x, int k) { return (x << k) | (x >> (64 - k)); }

/// out[t * 8 + l] = output t of lane l, for t < steps.
inline void fill(u64 key, u64* __restrict out, int steps) {
  Lanes st;
  seed(key, st);
  vu64 s0[kVecs], s1[kVecs], s2[kVecs], s3[kVecs];
  __builtin_memcpy(s0, st.s0, sizeof s0);
  __builtin_memcpy(s1, st.s1, sizeof s1);
  __builtin_memcpy(s2, st.s2, sizeof s2);
  __builtin_memcpy(s3, st.s3, sizeof s3);
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

void box_muller_d(const u64* __restrict buf, double* __restrict out) {
  constexpr int kHalf = kBlock / 2;
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

void box_muller_f(const u64* __restrict buf, float* __restrict out) {
  constexpr int kHalf = kBlock / 2;
  for (int i = 0; i < kHalf; ++i) {
    const u64 a = buf[i];
    const u32 hi = static_cast<u32>(a >> 32), lo = static_cast<u32>(a);
    const float u1 = 2.0f - as_float((hi >> 9) | kOneBitsF);  // bits 41..63: (0, 1]
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
    const float x = (as_float((lo >> 9) | kOneBitsF) - 1.0f) * 0.78539816339f;  // bits 9..31
    const float x2 = x * x;
    const float sn = __builtin_fmaf(x * x2, __builtin_fmaf(x2, __builtin_fmaf(x2, kS3f, kS2f), kS1f), x);
    const float cs = __builtin_fmaf(x2 * x2, __builtin_fmaf(x2, __builtin_fmaf(x2, kC3f, kC2f), kC1f),
                                    __builtin_fmaf(-0.5f, x2, 1.0f));
    const u32 swap = u32(0) - (hi & 1);  // bits 32, 33, 34: octant
    const u32 cb = bits(cs), sb = bits(sn);
    const u32 p = ((cb & ~swap) | (sb & swap)) ^ (((hi >> 1) & 1) << 31);
    const u32 q = ((sb & ~swap) | (cb & swap)) ^ (((hi >> 2) & 1) << 31);
    out[i] = r * as_float(p);
    out[kHalf + i] = r * as_float(q);
  }
}

template <class Real>
void copy_prefix(const Real* src, Real* dst, int count) {
  for (int i = 0; i < count; ++i) dst[i] = src[i];
}

void normal_d(u64 key, double* out, int count) {
  alignas(64) u64 buf[kBlock];
  fill(key, buf, kBlock / kLanes);
  if (count == kBlock) return box_muller_d(buf, out);
  alignas(64) double tmp[kBlock];
  box_muller_d(buf, tmp);
  copy_prefix(tmp, out, count);
}

void normal_f(u64 key, float* out, int count) {
  alignas(64) u64 buf[kBlock / 2];
  fill(key, buf, kBlock / 2 / kLanes);
  if (count == kBlock) return box_muller_f(buf, out);
  alignas(64) float tmp[kBlock];
  box_muller_f(buf, tmp);
  copy_prefix(tmp, out, count);
}

// Rademacher: element 16 j + w is bit j of word w (16 words = 1024 bits per block).
void signs_d(const u64* __restrict words, double* __restrict out) {
  for (int j = 0; j < 64; ++j)
    for (int w = 0; w < 16; ++w) out[16 * j + w] = as_double((((words[w] >> j) & 1) << 63) | kOneBitsD);
}
void signs_f(const u64* __restrict words, float* __restrict out) {
  for (int j = 0; j < 64; ++j)
    for (int w = 0; w < 16; ++w)
      out[16 * j + w] = as_float((static_cast<u32>((words[w] >> j) & 1) << 31) | kOneBitsF);
}

void sign_d(u64 key, double* out, int count) {
  alignas(64) u64 words[16];
  fill(key, words, 16 / kLanes);
  if (count == kBlock) return signs_d(words, out);
  alignas(64) double tmp[kBlock];
  signs_d(words, tmp);
  copy_prefix(tmp, out, count);
}
void sign_f(u64 key, float* out, int count) {
  alignas(64) u64 words[16];
  fill(key, words, 16 / kLanes);
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

/// w . x in double; products of floats are exact in double.
template <class Real>
double dot(const Real* __restrict w, const Real* __restrict x, int n) {
  double acc[kAcc] = {};
  int j = 0;
  for (; j + kAcc <= n; j += kAcc)
    for (int l = 0; l < kAcc; ++l)
      acc[l] = __builtin_fma(static_cast<double>(w[j + l]), static_cast<double>(x[j + l]), acc[l]);
  for (int l = 0; j + l < n; ++l)
    acc[l] = __builtin_fma(static_cast<double>(w[j + l]), static_cast<double>(x[j + l]), acc[l]);
  return reduce(acc);
}

inline double fma_r(double a, double b, double c) { return __builtin_fma(a, b, c); }
inline float fma_r(float a, float b, float c) { return __builtin_fmaf(a, b, c); }

template <class Real>
void axpy(Real* __restrict w, Real c, const Real* __restrict x, int n) {
  for (int j = 0; j < n; ++j) w[j] = fma_r(c, x[j], w[j]);
}

/// w += c x_cur, then returns (updated w) . x_next: one pass over w.
template <class Real>
double axpy_dot(Real* __restrict w, Real c, const Real* __restrict xc, const Real* __restrict xn, int n) {
  double acc[kAcc] = {};
  int j = 0;
  for (; j + kAcc <= n; j += kAcc)
    for (int l = 0; l < kAcc; ++l) {
      const Real u = fma_r(c, xc[j + l], w[j + l]);
      w[j + l] = u;
      acc[l] = __builtin_fma(static_cast<double>(u), static_cast<double>(xn[j + l]), acc[l]);
    }
  for (int l = 0; j + l < n; ++l) {
    const Real u = fma_r(c, xc[j + l], w[j + l]);
    w[j + l] = u;
    acc[l] = __builtin_fma(static_cast<double>(u), static_cast<double>(xn[j + l]), acc[l]);
  }
  return reduce(acc);
}

template <class Real>
void block(const BlockArgs<Real>& a) {
  const int n = a.count, P = a.K + a.M;
  if (a.draw)
    for (int b = 0; b < a.batch; ++b) draw(a.inputs, a.keys[b], a.x_next + b * a.ldx, n);
  for (int k = 0; k < a.K; ++k) {
    Real* w = a.W + k * a.ldw;
    if (a.coef && a.draw && a.batch == 1) {
      a.partial[k] = axpy_dot(w, a.coef[k], a.x_cur, a.x_next, n);
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

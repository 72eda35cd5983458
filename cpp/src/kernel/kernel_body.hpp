// The kernels, written as plain loops over fixed lane counts for the compiler to vectorise.
// Included once by each kernel_<target>.cpp with ONLINESGD_KERNEL_NS and ONLINESGD_KERNEL_NAME
// defined; everything lives in that per-target namespace (and an anonymous one), and only
// compiler builtins are called, so no function compiled for one instruction set can be picked
// by the linker for another target. No #pragma once: each target includes it exactly once.
//
// Generator (documented for users in rng.hpp): a block key seeds 16 xoshiro256++ lanes via
// splitmix64. Double normals: Marsaglia-Tsang ziggurat with 2048 layers (tables in ziggurat.hpp),
// one xoshiro output per normal on the fast path (multiply, compare, gathered table reads);
// the ~0.23% rejected elements (wedges, tail) are completed exactly in scalar code from their own
// counter-based words splitmix_at(key ^ kZigSalt, (index << 32) + t). Float normals: Box-Muller
// with our own division-free polynomial log and sin/cos on [0, pi/4) (Cephes),
// the angle's octant chosen by three random bits (swap and two signs: the dihedral symmetries
// of the square map [0, pi/4) onto the whole circle, uniformly). A float ziggurat was measured
// no faster than float Box-Muller here (0.51 vs 0.49 ns with the 2048-layer tables: two 16-wide
// gathers per 16 normals and the rejection branches), so float keeps Box-Muller.
#include <cstdint>

#include "onlinesgd/kernel.hpp"
#include "ziggurat.hpp"

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wuninitialized flags.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace onlinesgd::kernel::ONLINESGD_KERNEL_NS {
namespace {

using u64 = std::uint64_t;
using u32 = std::uint32_t;

constexpr int kLanes = 16;  // xoshiro lanes: two independent vectors even on AVX-512 (latency)
constexpr int kAcc = 32;    // dot-product lanes: fixed, so every target sums in the same order
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
  u64 key;               ///< block key (seeds the ziggurat's rejection words)
  int chunks = 0;        ///< normal chunks drawn so far
  const ZigTables* zig;  ///< ziggurat tables

  explicit Gen(u64 key_) : key(key_), zig(&zig_tables()) {
    const u64 key = key_;
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

// A block's normals are drawn in chunks of 128 (the unit of the generator's word layout and of
// its rejection masks). Chunk c is columns [128 c, 128 c + 128); element i of a chunk is column
// 128 c + i.
constexpr int kChunk = 128;

// ---- Ziggurat (tables in ziggurat.hpp) ----
// Fast path, one random word per normal: layer i = bits 0..10, sign = bit 11, u in [0, 1) from the
// top 52 bits of the 64-bit word; z = u x[i], accepted when z < x[i + 1]
// (99.77% of draws): a multiply, a compare and two table lookups, vectorised with gathers (one
// gather and a conservative bound on AVX-512, see zig_fast_d).
// Rejected elements (tail, wedges) are redone in scalar code with their own counter-based words
// splitmix_at(key ^ kZigSalt, (index << 32) + t), t = 0, 1, ...: index is the element's position
// in the block, so the value is still a pure function of (key, position).
// 2048 layers rather than the classic 256: the rejections (whose scalar completion and mispredicted
// branches cost 0.36 ns per normal at 256 layers) fall from 1.5% to 0.23%, and the 16 KiB table
// still sits in L1 for the gathers: a double normal went from 1.00 to 0.77 ns (Intel Xeon).
constexpr u64 kZigSalt = 0x5A16C0DE7A11F00DULL;
constexpr int kZigBits = ZigTables::kBits;  // layer = bits 0 .. kZigBits - 1, sign = bit kZigBits
constexpr u64 kZigMask = ZigTables::kLayers - 1;

constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01, kLg3 = 2.857142874366239149e-01,
                 kLg4 = 2.222219843214978396e-01, kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                 kLg7 = 1.479819860511658591e-01;
constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;

/// log(y) for normal y > 0 (fdlibm/musl polynomial; explicit fma, same bits on every target).
inline double log_d(double y) {
  const u64 ix = bits(y) + (kOneBitsD - 0x3FE6A09E00000000ULL);
  const double dk = static_cast<double>(static_cast<int>(ix >> 52) - 1023);
  const double f = as_double((ix & 0x000FFFFFFFFFFFFFULL) + 0x3FE6A09E00000000ULL) - 1.0;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s, w = z * z;
  const double t1 = w * __builtin_fma(w, __builtin_fma(w, kLg6, kLg4), kLg2);
  const double t2 = z * __builtin_fma(w, __builtin_fma(w, __builtin_fma(w, kLg7, kLg5), kLg3), kLg1);
  return s * (hfsq + (t2 + t1)) + dk * kLn2Lo - hfsq + f + dk * kLn2Hi;
}

/// Exact completion of a rejected draw: layer i, candidate z = u x[i], sign neg. Returns the
/// signed normal. Word t = 0, 1, ... of the element's own sequence is splitmix_at(key ^ kZigSalt,
/// (index << 32) + t). Loop: accept z if z < x[i + 1]; layer 0 samples the tail beyond r
/// (Marsaglia 1964: two words per try); other layers take one word for the wedge test (y uniform
/// in [f(x[i]), f(x[i + 1])), accept when y < exp(-z^2 / 2)) and, if it fails, the next word
/// for a new layer, sign and u as in the fast path.
/// The chord through the layer's corners and the bound e decide most wedge points without the
/// logarithm (slack 1e-14 covers rounding; points that close take the exact test), and the
/// common outcomes are selected without branches.
__attribute__((noinline)) double zig_slow(const ZigTables& T, u64 key, u64 index, int i, double z, bool neg) {
  const u64 k = key ^ kZigSalt;
  u64 t = index << 32;
  auto open01 = [&]() { return 1.0 - static_cast<double>(splitmix_at(k, t++) >> 11) * 0x1p-53; };  // (0, 1]
  constexpr double kSlack = 1e-14;
  constexpr double kInf = __builtin_inf();
  for (;;) {
    if (z < T.x[i + 1]) return neg ? -z : z;
    if (i == 0) {  // tail beyond r
      double a, y;
      do {
        a = -log_d(open01()) / T.r;
        y = -log_d(open01());
      } while (y + y < a * a);
      const double v = T.r + a;
      return neg ? -v : v;
    }
    const double y = T.f[i] + static_cast<double>(splitmix_at(k, t) >> 11) * 0x1p-53 * (T.f[i + 1] - T.f[i]);
    const double yc = T.f[i + 1] + (z - T.x[i + 1]) * T.slope[i];
    const int kind = T.kind[i];
    // accept when y < lo, reject when y >= hi, exact test between
    const double lo = kind > 0 ? yc - T.e[i] - kSlack : kind < 0 ? yc - kSlack : -kInf;
    const double hi = kind > 0 ? yc + kSlack : kind < 0 ? yc + T.e[i] + kSlack : kInf;
    bool acc = y < lo;
    if (!acc && y < hi) acc = -2.0 * log_d(y) > z * z;
    // next attempt, drawn whether needed or not (selected without a branch)
    const u64 w = splitmix_at(k, t + 1);
    const int i2 = static_cast<int>(w & kZigMask);
    const double z2 = (as_double((w >> 12) | kOneBitsD) - 1.0) * T.x[i2];
    const bool ok2 = z2 < T.x[i2 + 1];
    const u64 sel = u64(0) - static_cast<u64>(acc);
    const u64 zb = (bits(z) & sel) | (bits(z2) & ~sel);
    const u64 sb = ((static_cast<u64>(neg) & sel) | (((w >> kZigBits) & 1) & ~sel)) << 63;
    if (acc | ok2) return as_double(zb | sb);
    t += 2;
    i = i2;
    neg = (w >> kZigBits) & 1;
    z = z2;
  }
}

// Fast paths, for `chunks` consecutive chunks: draw their words into buf (element i uses word i)
// and write out[i] = the signed candidate, bit i of rej[i / 64] set when element i is rejected
// (the masks build up in registers: or-ing into memory element by element made a store-to-load
// chain that cost more than the draws). GCC 12 does not emit gathers on its own (it emulates
// them with scalar loads), so the x86 targets use the gather intrinsics; every target computes
// the same IEEE values, so every target gives the same bits.
#if defined(__AVX512F__) && ONLINESGD_KERNEL_VEC == 64
// AVX-512, in one pass with the generator: each xoshiro vector goes straight from registers into
// the ziggurat (the words are still stored to buf, for the rejected elements, but not reloaded).
// - The acceptance test compares u with its layer group's conservative bound (q_group: 32
//   entries held in four registers, looked up with permutes), so only x[i] is gathered. Draws
//   beyond their bound go to zig_slow, whose exact test z < x[i + 1] comes first, so every
//   value is the one the two-gather test gives. Gathers are slow on AMD Zen 4: a double normal
//   went from 1.75 to 0.88 ns there (this and the registers for the masks).
// - u = m 2^-52 for the 52-bit integer m: m converts to double exactly and multiplies the
//   table x_scaled = x 2^-52, and the bounds are scaled by 2^52; scaling by powers of two is
//   exact, so z and the test are bit for bit those of (1.m - 1) x[i] and u < q.
// - Several chunks in one call keep the generator's state and the constants in registers.
// On Zen 4 this took the fast path from 0.79 to 0.67 ns per normal in a tight loop, and a whole
// block of normals (with its rejections) from 0.89 to 0.85 ns.
__attribute__((always_inline)) inline void zig_fast_d(Gen& g, const ZigTables& T, double* __restrict out,
                                                      u64* __restrict buf, u64* rej, int chunks = 1) {
  static_assert(ZigTables::kGroups == 32, "four registers of bounds");
  static_assert(kVecs == 2 && kVecLanes == 8, "two 8-lane xoshiro vectors");
  const double* xs = T.x_scaled;
  const __m512i mask = _mm512_set1_epi64(kZigMask);
  const __m512i half = _mm512_set1_epi64(ZigTables::kLayers / 2), fold = _mm512_set1_epi64(kZigMask);
  const __m512i sign = _mm512_set1_epi64(static_cast<long long>(0x8000000000000000ULL));
  const __m512d s52 = _mm512_set1_pd(0x1p52);
  const __m512d q0 = _mm512_mul_pd(_mm512_loadu_pd(T.q_group), s52),
                q1 = _mm512_mul_pd(_mm512_loadu_pd(T.q_group + 8), s52),
                q2 = _mm512_mul_pd(_mm512_loadu_pd(T.q_group + 16), s52),
                q3 = _mm512_mul_pd(_mm512_loadu_pd(T.q_group + 24), s52);
  __m512i s0[2], s1[2], s2[2], s3[2];
  __builtin_memcpy(s0, g.s0, sizeof s0);
  __builtin_memcpy(s1, g.s1, sizeof s1);
  __builtin_memcpy(s2, g.s2, sizeof s2);
  __builtin_memcpy(s3, g.s3, sizeof s3);
  for (int c = 0; c < chunks; ++c, out += kChunk, buf += kChunk, rej += 2) {
    u64 m[2] = {0, 0};
#pragma GCC unroll 16
    for (int i = 0; i < kChunk; i += 8) {
      const int v = (i >> 3) & 1;  // output t = i / 16 of vector v: word i, as Gen::next stores it
      const __m512i a = _mm512_add_epi64(_mm512_rol_epi64(_mm512_add_epi64(s0[v], s3[v]), 23), s0[v]);
      const __m512i x = _mm512_slli_epi64(s1[v], 17);
      s2[v] = _mm512_xor_si512(s2[v], s0[v]);
      s3[v] = _mm512_xor_si512(s3[v], s1[v]);
      s1[v] = _mm512_xor_si512(s1[v], s2[v]);
      s0[v] = _mm512_xor_si512(s0[v], s3[v]);
      s2[v] = _mm512_xor_si512(s2[v], x);
      s3[v] = _mm512_rol_epi64(s3[v], 45);
      _mm512_store_si512(buf + i, a);
      const __m512i l = _mm512_and_si512(a, mask);
      const __m512d u = _mm512_cvtepu64_pd(_mm512_srli_epi64(a, 12));  // 2^52 u, exact
      // group (zig_group): lzcnt of l, or of kLayers - 1 - l in the upper half, whose 4 low bits
      // pick one of 16 bounds (the permutes read only those), the half picks the pair of registers
      const __mmask8 upper = _mm512_test_epi64_mask(l, half);
      const __m512i lz = _mm512_lzcnt_epi64(_mm512_mask_xor_epi64(l, upper, l, fold));
      const __m512d q =
          _mm512_mask_blend_pd(upper, _mm512_permutex2var_pd(q0, lz, q1), _mm512_permutex2var_pd(q2, lz, q3));
      const __m512d z = _mm512_mul_pd(u, _mm512_i64gather_pd(l, xs, 8));
      const __mmask8 ok = _mm512_cmp_pd_mask(u, q, _CMP_LT_OQ);
      // z | (bit kZigBits of a, moved to the sign): one shift and one ternary-logic op
      const __m512i sg = _mm512_slli_epi64(a, 63 - kZigBits);
      _mm512_storeu_pd(out + i, _mm512_castsi512_pd(_mm512_ternarylogic_epi64(_mm512_castpd_si512(z), sg, sign, 0xF8)));
      m[i >> 6] |= static_cast<u64>(static_cast<unsigned char>(~ok)) << (i & 63);
    }
    rej[0] = m[0];
    rej[1] = m[1];
  }
  __builtin_memcpy(g.s0, s0, sizeof s0);
  __builtin_memcpy(g.s1, s1, sizeof s1);
  __builtin_memcpy(g.s2, s2, sizeof s2);
  __builtin_memcpy(g.s3, s3, sizeof s3);
}
#elif defined(__AVX2__)
void zig_fast_chunk_d(Gen& g, const ZigTables& T, double* __restrict out, u64* __restrict buf, u64* rej) {
  g.next(buf, kChunk / kLanes);
  const double* tx = T.x;
  const __m256i mask = _mm256_set1_epi64x(kZigMask), one = _mm256_set1_epi64x(static_cast<long long>(kOneBitsD));
  const __m256d onef = _mm256_set1_pd(1.0);
  u64 m[2] = {0, 0};
#pragma GCC unroll 32
  for (int i = 0; i < kChunk; i += 4) {
    const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf + i));
    const __m256i l = _mm256_and_si256(a, mask);
    const __m256d u = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(a, 12), one)), onef);
    const __m256d z = _mm256_mul_pd(u, _mm256_i64gather_pd(tx, l, 8));
    const __m256d ok = _mm256_cmp_pd(z, _mm256_i64gather_pd(tx + 1, l, 8), _CMP_LT_OQ);
    const __m256i sgn = _mm256_slli_epi64(_mm256_srli_epi64(a, kZigBits), 63);
    _mm256_storeu_pd(out + i, _mm256_castsi256_pd(_mm256_or_si256(_mm256_castpd_si256(z), sgn)));
    m[i >> 6] |= static_cast<u64>(~_mm256_movemask_pd(ok) & 0xF) << (i & 63);
  }
  rej[0] = m[0];
  rej[1] = m[1];
}
#else
void zig_fast_chunk_d(Gen& g, const ZigTables& T, double* __restrict out, u64* __restrict buf, u64* rej) {
  g.next(buf, kChunk / kLanes);
  const double* tx = T.x;
  u64 m[2] = {0, 0};
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 64; ++i) {
      const u64 a = buf[64 * h + i];
      const u64 l = a & kZigMask;
      const double z = (as_double((a >> 12) | kOneBitsD) - 1.0) * tx[l];
      m[h] |= static_cast<u64>(!(z < tx[l + 1])) << i;
      out[64 * h + i] = as_double(bits(z) | ((a >> kZigBits) << 63));
    }
  rej[0] = m[0];
  rej[1] = m[1];
}
#endif
#if !(defined(__AVX512F__) && ONLINESGD_KERNEL_VEC == 64)
inline void zig_fast_d(Gen& g, const ZigTables& T, double* out, u64* buf, u64* rej, int chunks = 1) {
  for (int c = 0; c < chunks; ++c) zig_fast_chunk_d(g, T, out + c * kChunk, buf + c * kChunk, rej + 2 * c);
}
#endif

/// `chunks` chunks of double normals: the fast paths of all of them, then the rejected elements
/// (their values depend only on the key and their position, not on the order of completion;
/// completing them after a whole block keeps their branches out of the vector loop).
__attribute__((always_inline)) inline void chunks_d(Gen& g, double* __restrict out, int chunks) {
  alignas(64) u64 buf[kBlock];  // chunks <= kBlock / kChunk
  const ZigTables& T = *g.zig;
  u64 rej[2 * kBlock / kChunk];
  zig_fast_d(g, T, out, buf, rej, chunks);
  for (int w = 0; w < 2 * chunks; ++w)
    for (u64 m = rej[w]; m; m &= m - 1) {
      const int i = 64 * w + __builtin_ctzll(m);
      const u64 a = buf[i];
      const int l = static_cast<int>(a & kZigMask);
      const double z = (as_double((a >> 12) | kOneBitsD) - 1.0) * T.x[l];
      out[i] = zig_slow(T, g.key, static_cast<u64>(g.chunks) * kChunk + i, l, z, (a >> kZigBits) & 1);
    }
  g.chunks += chunks;
}

/// One chunk of double normals: 8 xoshiro steps; element i uses output i.
__attribute__((always_inline)) inline void chunk_d(Gen& g, double* __restrict out) { chunks_d(g, out, 1); }

// ---- float Box-Muller: pair i < 64 of a chunk fills columns i and 64 + i ----
// log(1 + f) = f - f^2 / 2 + f^3 P(f) on [sqrt(1/2) - 1, sqrt(2) - 1]: P of degree 7, a Chebyshev
// least-squares fit of (log1p(f) - f + f^2 / 2) / f^3, rounded to float. Checked exhaustively over
// all 2^23 values of u1: r = sqrt(-2 log u1) is within 6.2e-8 relative of its double-precision value.
// It replaced fdlibm's f / (2 + f) form, whose division made a float normal 0.50 instead of 0.43 ns.
constexpr float kLogP[8] = {3.333332837e-01f, -2.500029504e-01f, 2.000147104e-01f, -1.664225012e-01f,
                            1.420211494e-01f, -1.297214478e-01f, 1.271267831e-01f, -8.102270216e-02f};
constexpr float kLn2Hif = 6.9313812256e-01f, kLn2Lof = 9.0580006145e-06f;
constexpr float kS1f = -1.6666654611e-1f, kS2f = 8.3321608736e-3f, kS3f = -1.9515295891e-4f;
constexpr float kC1f = 4.166664568298827e-2f, kC2f = -1.388731625493765e-3f, kC3f = 2.443315711809948e-5f;

/// One chunk of float normals: 4 xoshiro steps (64 outputs) read as 128 little-endian 32-bit
/// words; pair i uses words i and 64 + i (contiguous 32-bit loads, no 64 -> 32 bit shuffles).
/// Inlined into the loop over a block's chunks, which then keeps the generator's state and the
/// constants in registers: a float normal 0.44 -> 0.415 ns on Zen 4.
__attribute__((always_inline)) inline void chunk_f(Gen& g, float* __restrict out) {
  alignas(64) u64 buf64[kChunk / 2];
  g.next(buf64, kChunk / 2 / kLanes);
  constexpr int kHalf = kChunk / 2;
  alignas(64) u32 buf[kChunk];
  __builtin_memcpy(buf, buf64, sizeof buf);
  for (int i = 0; i < kHalf; ++i) {
    const u32 a = buf[i], b = buf[kHalf + i];
    const float u1 = 2.0f - as_float((a >> 9) | kOneBitsF);  // bits 9..31 of a: u1 in (0, 1]
    const u32 ix = bits(u1) + (kOneBitsF - 0x3F3504F3u);
    const float dk = static_cast<float>(static_cast<int>(ix >> 23) - 0x7f);
    const float f = as_float((ix & 0x007FFFFFu) + 0x3F3504F3u) - 1.0f;
    const float f2 = f * f, f3 = f2 * f;
    float poly = kLogP[7];
    for (int j = 6; j >= 0; --j) poly = __builtin_fmaf(poly, f, kLogP[j]);
    const float logu = dk * kLn2Hif + (__builtin_fmaf(f3, poly, __builtin_fmaf(-0.5f, f2, f)) + dk * kLn2Lof);
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
  if constexpr (sizeof(Real) == 8)
    if (count == kBlock) return chunks_d(g, out, kBlock / kChunk);
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
// of a block in increasing j. float64 accumulates exact fma in double. float32 accumulates the
// block's products in float lanes (at most 32 terms each) and the lanes and blocks in double:
// widening every product to double cost as much as drawing the input, and the float lane sums add an
// error of ~1e-7 relative to a local field, the size of the weights' own float rounding and far
// below the 1/sqrt(N) fluctuations.

// The kAcc lanes live in registers as kAcc / L vectors of L lanes (intrinsics: GCC's own
// vectorisation of the lane loops kept the accumulators on the stack between iterations, and on
// Zen 4 that store-to-load chain made the row passes 3x slower than their loads and stores).
// Lane l of vector v is acc[v L + l], so the sums are the same on every target.
// The same eight wrappers for each x86 width: P is the intrinsics' prefix, VD / VF the types.
#define ONLINESGD_VECTOR_OPS(VD, VF, P)                              \
  inline VD vload(const double* p) { return P##_loadu_pd(p); }       \
  inline VF vload(const float* p) { return P##_loadu_ps(p); }        \
  inline void vstore(double* p, VD v) { P##_storeu_pd(p, v); }       \
  inline void vstore(float* p, VF v) { P##_storeu_ps(p, v); }        \
  inline VD vbroadcast(double c) { return P##_set1_pd(c); }          \
  inline VF vbroadcast(float c) { return P##_set1_ps(c); }           \
  inline VD vfma(VD a, VD b, VD c) { return P##_fmadd_pd(a, b, c); } \
  inline VF vfma(VF a, VF b, VF c) { return P##_fmadd_ps(a, b, c); }
#if defined(__AVX512F__) && ONLINESGD_KERNEL_VEC == 64
ONLINESGD_VECTOR_OPS(__m512d, __m512, _mm512)
template <class Real>
constexpr int kLanesOf = 64 / sizeof(Real);
#elif defined(__AVX2__) && defined(__FMA__)
ONLINESGD_VECTOR_OPS(__m256d, __m256, _mm256)
template <class Real>
constexpr int kLanesOf = 32 / sizeof(Real);
#else
inline double vload(const double* p) { return *p; }
inline float vload(const float* p) { return *p; }
inline void vstore(double* p, double v) { *p = v; }
inline void vstore(float* p, float v) { *p = v; }
inline double vbroadcast(double c) { return c; }
inline float vbroadcast(float c) { return c; }
inline double vfma(double a, double b, double c) { return __builtin_fma(a, b, c); }
inline float vfma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
template <class Real>
constexpr int kLanesOf = 1;
#endif
#undef ONLINESGD_VECTOR_OPS

// The sum of the kAcc lanes held in registers, in reduce()'s tree (each level adds the upper
// half of the remaining lanes to the lower half), so every target adds the same pairs in the same
// order. Reducing from registers instead of from the stored lanes (scalar loads of just-stored
// vectors) made a block's row passes 5-17% faster on Zen 4 (Rademacher steps, whose draw is
// nearly free) and Gaussian steps 1-3% faster.
#if defined(__AVX2__) || defined(__AVX512F__)
inline double hsum4(__m256d b) {  // the last two levels, on 4 lanes
  const __m128d c = _mm_add_pd(_mm256_castpd256_pd128(b), _mm256_extractf128_pd(b, 1));
  return _mm_cvtsd_f64(_mm_add_sd(c, _mm_unpackhi_pd(c, c)));
}
#endif
#if defined(__AVX512F__) && ONLINESGD_KERNEL_VEC == 64
inline double hsum(const __m512d* v) {  // 4 vectors: v[i] holds lanes 8 i .. 8 i + 7
  const __m512d a = _mm512_add_pd(_mm512_add_pd(v[0], v[2]), _mm512_add_pd(v[1], v[3]));
  return hsum4(_mm256_add_pd(_mm512_castpd512_pd256(a), _mm512_extractf64x4_pd(a, 1)));
}
inline __m512d widen_lo(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
inline __m512d widen_hi(__m512 v) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)); }
#elif defined(__AVX2__) && defined(__FMA__)
inline double hsum(const __m256d* v) {  // 8 vectors: v[i] holds lanes 4 i .. 4 i + 3
  const __m256d a0 = _mm256_add_pd(v[0], v[4]), a1 = _mm256_add_pd(v[1], v[5]);
  const __m256d a2 = _mm256_add_pd(v[2], v[6]), a3 = _mm256_add_pd(v[3], v[7]);
  return hsum4(_mm256_add_pd(_mm256_add_pd(a0, a2), _mm256_add_pd(a1, a3)));
}
inline __m256d widen_lo(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
inline __m256d widen_hi(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
#endif
#if (defined(__AVX512F__) && ONLINESGD_KERNEL_VEC == 64) || (defined(__AVX2__) && defined(__FMA__))
/// Float lanes: widened (exactly) to double vectors, lane order kept, then summed as doubles.
template <class VF>
inline double hsum(const VF* v) {
  constexpr int NV = kAcc / kLanesOf<float>;
  decltype(widen_lo(v[0])) d[2 * NV];
  for (int i = 0; i < NV; ++i) {
    d[2 * i] = widen_lo(v[i]);
    d[2 * i + 1] = widen_hi(v[i]);
  }
  return hsum(d);
}
#else
template <class Real>
inline double hsum(const Real* v) {  // kAcc scalars
  double wide[kAcc];
  for (int l = 0; l < kAcc; ++l) wide[l] = v[l];
  return reduce(wide);
}
#endif

/// The lanes of a row pass, in registers. A pass whose length is not a multiple of kAcc (only the
/// last block of a row can be one) finishes its tail lanes through memory.
template <class Real>
struct Lanes {
  static constexpr int L = kLanesOf<Real>, NV = kAcc / L;
  decltype(vload(static_cast<const Real*>(nullptr))) v[NV];
  Lanes() {
    for (int i = 0; i < NV; ++i) v[i] = vbroadcast(Real(0));
  }
  /// lane l += f(l) for l < count (count < kAcc), then the sum.
  template <class F>
  double sum_with_tail(int count, F f) {
    if (count > 0) {
      alignas(64) Real lanes[kAcc];
      for (int i = 0; i < NV; ++i) vstore(lanes + i * L, v[i]);
      for (int l = 0; l < count; ++l) lanes[l] = f(l, lanes[l]);
      for (int i = 0; i < NV; ++i) v[i] = vload(lanes + i * L);
    }
    return hsum(v);
  }
};

/// w . x over n columns: lane l sums the columns j = l mod kAcc in increasing j.
template <class Real>
double dot(const Real* __restrict w, const Real* __restrict x, int n) {
  Lanes<Real> acc;
  constexpr int L = Lanes<Real>::L, NV = Lanes<Real>::NV;
  int j = 0;
  for (; j + kAcc <= n; j += kAcc)
    for (int v = 0; v < NV; ++v) acc.v[v] = vfma(vload(w + j + v * L), vload(x + j + v * L), acc.v[v]);
  return acc.sum_with_tail(n - j, [&](int l, Real s) { return fma_r(w[j + l], x[j + l], s); });
}

/// What a row update does besides the coefficients' updates (model/rule.hpp): nothing, a decay
/// before each update, or that decay and Langevin noise at the end of the step.
enum Extra { kPlain = 0, kDecay = 1, kDecayNoise = 2 };

/// One pass over R rows (1 or 2): w[r] += c[u ldc + r] xc[u] for u < U in turn (one rounding
/// each; U = 0 only reads the rows; with E >= kDecay w[r] is first multiplied by dec[u], and with
/// kDecayNoise the step ends with w[r] += s xi[r]), then out[d ldo + r] = (updated w[r]) . xn[d]
/// for d < D (lanes as in dot), and with X also *cross = xn[0] . xn[1]. Two rows per pass load
/// the inputs once for both: at K = 2 a block's row passes ran 10% faster on Zen 4 (the same sums
/// per row). Two steps per pass (U = D = 2, fast_step.hpp) halve the passes over W.
template <int R, int U, int D, bool X, int E, class Real>
void update_dot(Real* const* w_in, const Real* c, int ldc, const Real* __restrict xc, const Real* __restrict xn,
                std::int64_t ldx, int n, double* out, int ldo, double* cross, const Real* dec, Real s,
                const Real* const* xi) {
  static_assert(D == 1 || D == 2, "one or two inputs");
  static_assert(!X || D == 2, "the cross product of two inputs");
  static_assert(E == kPlain || U > 0, "decay and noise come with updates");
  constexpr int L = Lanes<Real>::L, NV = Lanes<Real>::NV, UU = U > 0 ? U : 1;
  using V = decltype(vload(xc));
  Lanes<Real> acc[R][D], accx;
  // The row pointers in registers: read through w_in, they were reloaded after every store.
  Real* w[R];
  for (int r = 0; r < R; ++r) w[r] = w_in[r];
  V cv[UU][R], dv[UU], sv = vbroadcast(s);
  for (int u = 0; u < U; ++u) {
    for (int r = 0; r < R; ++r) cv[u][r] = vbroadcast(c[u * ldc + r]);
    if constexpr (E >= kDecay) dv[u] = vbroadcast(dec[u]);
  }
  int j = 0;
  for (; j + kAcc <= n; j += kAcc)
    for (int v = 0; v < NV; ++v) {
      const int o = j + v * L;
      V x[UU], y[D], wr[R];
      for (int u = 0; u < U; ++u) x[u] = vload(xc + u * ldx + o);
      for (int d = 0; d < D; ++d) y[d] = vload(xn + d * ldx + o);
      for (int r = 0; r < R; ++r) wr[r] = vload(w[r] + o);  // every row's load before any store
      for (int r = 0; r < R; ++r)
        for (int u = 0; u < U; ++u) {
          if constexpr (E >= kDecay) wr[r] = wr[r] * dv[u];
          wr[r] = vfma(cv[u][r], x[u], wr[r]);
        }
      if constexpr (E == kDecayNoise)
        for (int r = 0; r < R; ++r) wr[r] = vfma(sv, vload(xi[r] + o), wr[r]);
      if constexpr (U > 0)
        for (int r = 0; r < R; ++r) vstore(w[r] + o, wr[r]);
      for (int r = 0; r < R; ++r)
        for (int d = 0; d < D; ++d) acc[r][d].v[v] = vfma(wr[r], y[d], acc[r][d].v[v]);
      if constexpr (X) accx.v[v] = vfma(y[0], y[1], accx.v[v]);
    }
  // The tail (only the last block of a row has one): its updates first, then the tail lanes.
  const int t = n - j;
  if constexpr (U > 0)
    for (int r = 0; r < R; ++r)
      for (int l = 0; l < t; ++l) {
        Real wl = w[r][j + l];
        for (int u = 0; u < U; ++u) {
          if constexpr (E >= kDecay) wl = wl * dec[u];
          wl = fma_r(c[u * ldc + r], xc[u * ldx + j + l], wl);
        }
        if constexpr (E == kDecayNoise) wl = fma_r(s, xi[r][j + l], wl);
        w[r][j + l] = wl;
      }
  for (int r = 0; r < R; ++r)
    for (int d = 0; d < D; ++d)
      out[d * ldo + r] =
          acc[r][d].sum_with_tail(t, [&](int l, Real s) { return fma_r(w[r][j + l], xn[d * ldx + j + l], s); });
  if constexpr (X) *cross = accx.sum_with_tail(t, [&](int l, Real s) { return fma_r(xn[j + l], xn[ldx + j + l], s); });
}

template <int R, int U, int D, int E, class Real>
void rows_pass(Real* const* w, const Real* c, const BlockArgs<Real>& a, double* out, double* cross,
               const Real* const* xi) {
  if constexpr (D == 2)
    if (cross)
      return update_dot<R, U, D, true, E>(w, c, a.K, a.x_cur, a.x_next, a.ldx, a.count, out, a.K + a.M, cross, a.decay,
                                          a.noise_std, xi);
  update_dot<R, U, D, false, E>(w, c, a.K, a.x_cur, a.x_next, a.ldx, a.count, out, a.K + a.M, nullptr, a.decay,
                                a.noise_std, xi);
}

// The cross product of a pair's inputs rides along the first row pass where the registers allow
// (AVX-512: 32 of them; one core, N = 1e5, float64 Gaussian 1.18 -> 1.14 ns per column per step).
// With AVX2's 16 the extra accumulators spill, and a separate pass over the two inputs (in L1)
// is faster (1.58 -> 1.54; Rademacher 0.41 -> 0.32). The sums are the same either way.
constexpr bool kCrossInRowPass = kLanesOf<double> == 8;

/// Row k's Langevin noise for this block (E == kDecayNoise) into buf.
template <class Real>
void draw_noise(const BlockArgs<Real>& a, int k, Real* buf) {
  draw(Inputs::Gaussian, a.noise_keys[k], buf, a.count);
}

/// U updates and D draws (both at most 2) in one pass per pair of rows.
template <int U, int D, int E, class Real>
void fused_rows(const BlockArgs<Real>& a) {
  double* cross = kCrossInRowPass ? a.cross : nullptr;  // summed in the first pass
  if (!kCrossInRowPass && a.cross) *a.cross = dot(a.x_next, a.x_next + a.ldx, a.count);
  const Real* const xi[2] = {a.noise_buf, a.noise_buf + kBlock};
  int k = 0;
  for (; k + 2 <= a.K; k += 2, cross = nullptr) {
    Real* const w[2] = {a.W + k * a.ldw, a.W + (k + 1) * a.ldw};
    if constexpr (E == kDecayNoise) {
      draw_noise(a, k, a.noise_buf);
      draw_noise(a, k + 1, a.noise_buf + kBlock);
    }
    rows_pass<2, U, D, E>(w, U ? a.coef + k : nullptr, a, a.partial + k, cross, xi);
  }
  if (k < a.K) {
    Real* const w[1] = {a.W + k * a.ldw};
    if constexpr (E == kDecayNoise) draw_noise(a, k, a.noise_buf);
    rows_pass<1, U, D, E>(w, U ? a.coef + k : nullptr, a, a.partial + k, cross, xi);
  }
  // Teacher rows are only read: U = 0 never stores, so casting away const is safe.
  int m = 0;
  for (; m + 2 <= a.M; m += 2) {
    Real* const b[2] = {const_cast<Real*>(a.B + m * a.ldb), const_cast<Real*>(a.B + (m + 1) * a.ldb)};
    rows_pass<2, 0, D, kPlain>(b, static_cast<const Real*>(nullptr), a, a.partial + a.K + m, nullptr, xi);
  }
  if (m < a.M) {
    Real* const b[1] = {const_cast<Real*>(a.B + m * a.ldb)};
    rows_pass<1, 0, D, kPlain>(b, static_cast<const Real*>(nullptr), a, a.partial + a.K + m, nullptr, xi);
  }
}

/// The fused row passes for U updates and D draws, with the block's extras (decay, noise).
template <int U, int D, class Real>
void fused_rows_extra(const BlockArgs<Real>& a) {
  if constexpr (U == 0)
    return fused_rows<U, D, kPlain>(a);
  else {
    if (a.noise_std != Real(0)) return fused_rows<U, D, kDecayNoise>(a);
    if (a.decay) return fused_rows<U, D, kDecay>(a);
    fused_rows<U, D, kPlain>(a);
  }
}

template <class Real>
void axpy(Real* __restrict w, Real c, const Real* __restrict x, int n) {
  for (int j = 0; j < n; ++j) w[j] = fma_r(c, x[j], w[j]);
}

template <class Real>
void block(const BlockArgs<Real>& a) {
  // The whole block's inputs first, then the row passes over the block (held in L1). Drawing
  // chunk by chunk between the rows' passes (to overlap the weights' traffic with the generator)
  // was 2-10% slower on Zen 4 once the generator kept its state in registers for a whole block.
  const int n = a.count, P = a.K + a.M;
  for (int d = 0; d < a.draws; ++d) draw(a.inputs, a.keys[d], a.x_next + d * a.ldx, n);
  switch (a.draws > 2 || a.updates > 2 ? -1 : a.updates * 3 + a.draws) {
    case 1:
      return fused_rows_extra<0, 1>(a);
    case 2:
      return fused_rows_extra<0, 2>(a);
    case 4:
      return fused_rows_extra<1, 1>(a);
    case 5:
      return fused_rows_extra<1, 2>(a);
    case 7:
      return fused_rows_extra<2, 1>(a);
    case 8:
      return fused_rows_extra<2, 2>(a);
    default:
      break;  // updates alone, or minibatches beyond 2: one row operation at a time
  }
  for (int k = 0; k < a.K; ++k) {
    Real* w = a.W + k * a.ldw;
    for (int u = 0; u < a.updates; ++u) {
      if (a.decay)
        for (int j = 0; j < n; ++j) w[j] = w[j] * a.decay[u];
      axpy(w, a.coef[u * a.K + k], a.x_cur + u * a.ldx, n);
    }
    if (a.updates > 0 && a.noise_std != Real(0)) {
      draw_noise(a, k, a.noise_buf);
      axpy(w, a.noise_std, a.noise_buf, n);
    }
    for (int d = 0; d < a.draws; ++d) a.partial[d * P + k] = dot(w, a.x_next + d * a.ldx, n);
  }
  for (int m = 0; m < a.M; ++m)
    for (int d = 0; d < a.draws; ++d) a.partial[d * P + a.K + m] = dot(a.B + m * a.ldb, a.x_next + d * a.ldx, n);
  if (a.cross) *a.cross = dot(a.x_next, a.x_next + a.ldx, n);
}

void block_d(const BlockArgs<double>& a) { block(a); }
void block_f(const BlockArgs<float>& a) { block(a); }
double dot_d(const double* w, const double* x, int n) { return dot(w, x, n); }
double dot_f(const float* w, const float* x, int n) { return dot(w, x, n); }
void axpy_d(double* w, double c, const double* x, int n) { axpy(w, c, x, n); }
void axpy_f(float* w, float c, const float* x, int n) { axpy(w, c, x, n); }

const Table kTable = {
    ONLINESGD_KERNEL_NAME, normal_d, normal_f, sign_d, sign_f, block_d, block_f, dot_d, dot_f, axpy_d, axpy_f};

}  // namespace
}  // namespace onlinesgd::kernel::ONLINESGD_KERNEL_NS

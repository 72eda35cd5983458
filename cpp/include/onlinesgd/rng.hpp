#pragma once
/// Counter-based random streams. Every random number is a pure function of
/// (seed, stream, counter, block): no generator state is carried from step to step, so
/// any thread may draw any block and the trajectory is the same for every thread count.
///
/// A block is up to kBlock normals. Its key (a splitmix64 hash of seed, stream, counter and
/// block index) seeds kLanes independent xoshiro256+ generators laid out lane-parallel, and
/// Box-Muller turns their top 53 bits into normals. Which stream draws what:
///   Teacher   counter = teacher row n          (first-layer weights B)
///   Student   counter = student row k          (first-layer weights W)
///   Inputs    counter = sample index s         (x_s, block = column block)
///   Labels    counter = sample index s         (label noise zeta_s, scalar)
///   Feedback  counter = 0                      (fixed random feedback vector, reserved)
///   WeightNoise counter = step                 (Langevin weight noise, reserved)
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "onlinesgd/activation.hpp"

namespace onlinesgd::rng {

enum class Stream : std::uint64_t { Teacher = 1, Student = 2, Inputs = 3, Labels = 4, Feedback = 5, WeightNoise = 6 };

inline constexpr int kBlock = 1024;  ///< normals per counter block (8 KiB of doubles: stays in L1)
inline constexpr int kLanes = 8;     ///< independent generators per block, one per SIMD lane

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Hash of the full counter; distinct tuples give unrelated keys.
inline std::uint64_t block_key(std::uint64_t seed, Stream stream, std::uint64_t counter, std::uint64_t block) {
  std::uint64_t h = seed;
  std::uint64_t k = splitmix64(h) ^ static_cast<std::uint64_t>(stream);
  k = splitmix64(k) ^ counter;
  k = splitmix64(k) ^ block;
  return splitmix64(k);
}

inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// Lane-parallel xoshiro256+ state (structure of arrays so the compiler vectorises it).
struct LaneState {
  std::uint64_t s0[kLanes], s1[kLanes], s2[kLanes], s3[kLanes];

  explicit LaneState(std::uint64_t key) {
    for (int l = 0; l < kLanes; ++l) {
      s0[l] = splitmix64(key);
      s1[l] = splitmix64(key);
      s2[l] = splitmix64(key);
      s3[l] = splitmix64(key);
    }
  }

  /// One 64-bit output per lane.
  inline void next(std::uint64_t* out) {
    for (int l = 0; l < kLanes; ++l) {
      out[l] = s0[l] + s3[l];
      const std::uint64_t t = s1[l] << 17;
      s2[l] ^= s0[l];
      s3[l] ^= s1[l];
      s1[l] ^= s2[l];
      s0[l] ^= s3[l];
      s2[l] ^= t;
      s3[l] = rotl(s3[l], 45);
    }
  }
};

/// Writes the first `count` (<= kBlock) normals of block (seed, stream, counter, block).
/// The first values do not depend on `count`, so a short final block of a row agrees with
/// a full one.
inline void normal_block(std::uint64_t seed, Stream stream, std::uint64_t counter, std::uint64_t block,
                         double* out, int count) {
  LaneState st(block_key(seed, stream, counter, block));
  constexpr double kTwoPi = 2.0 * kPi;
  constexpr double kInv53 = 1.0 / 9007199254740992.0;  // 2^-53
  std::uint64_t a[kLanes], b[kLanes];
  double z[2 * kLanes];
  for (int done = 0; done < count; done += 2 * kLanes) {
    st.next(a);
    st.next(b);
    for (int l = 0; l < kLanes; ++l) {
      const double u1 = (static_cast<double>(a[l] >> 11) + 1.0) * kInv53;  // (0, 1]: log is finite
      const double u2 = static_cast<double>(b[l] >> 11) * kInv53;
      const double r = std::sqrt(-2.0 * std::log(u1));
      z[l] = r * std::cos(kTwoPi * u2);
      z[kLanes + l] = r * std::sin(kTwoPi * u2);
    }
    const int take = count - done < 2 * kLanes ? count - done : 2 * kLanes;
    for (int i = 0; i < take; ++i) out[done + i] = z[i];
  }
}

/// n normals of row `counter` in `stream`: block b covers columns [b kBlock, (b+1) kBlock).
inline void normal_row(std::uint64_t seed, Stream stream, std::uint64_t counter, double* out, std::size_t n) {
  for (std::size_t b = 0; b * kBlock < n; ++b) {
    const std::size_t start = b * kBlock;
    const int count = static_cast<int>(n - start < std::size_t(kBlock) ? n - start : kBlock);
    normal_block(seed, stream, counter, b, out + start, count);
  }
}

/// One standard normal keyed by (seed, stream, counter), for scalar draws such as label noise.
inline double scalar_normal(std::uint64_t seed, Stream stream, std::uint64_t counter) {
  double z[1];
  normal_block(seed, stream, counter, 0, z, 1);
  return z[0];
}

}  // namespace onlinesgd::rng

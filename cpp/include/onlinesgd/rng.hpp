#pragma once
/// Counter-based random streams. Every random number is a pure function of
/// (seed, stream, counter, block): no generator state is carried from step to step, so
/// any thread may draw any block and the trajectory is the same for every thread count.
///
/// A block is up to kBlock = 1024 values. Its key (a splitmix64 hash of seed, stream, counter
/// and block index) seeds 16 independent xoshiro256++ generators laid out lane-parallel
/// (lane l starts from splitmix64 outputs 4l .. 4l+3 of the key; "output t" below means the
/// t-th value in lane-interleaved order: step t / 16 of lane t mod 16). Then:
///   double normals  ziggurat (Marsaglia-Tsang, 2048 layers of equal area, tail from r = 4.2164;
///                   tables computed once in double, cpp/src/kernel/ziggurat.hpp): column j
///                   takes output a = j: layer i = bits 0..10, sign = bit 11, u = (a >> 12) 2^-52;
///                   z = u x_i is the value when z < x_{i+1} (99.77%). Otherwise column j is
///                   completed exactly (wedge test, new attempts, tail) from its own words
///                   splitmix64 at (key ^ salt, (j << 32) + t), t = 0, 1, ...: still a pure
///                   function of (key, column), whatever the thread count or vector width.
///   float normals   chunk c takes outputs [64 c, 64 c + 64) read as 128 little-endian 32-bit
///                   words a_0..a_127: pair i uses a_i (u from bits 9..31, octant from bits
///                   8, 7, 6) and a_{64+i} (angle from bits 9..31).
///   Rademacher      outputs 0..15; double: element 16 j + w is -1 when bit j of output w is
///                   set, else +1; float: element 32 j + w, bit j of 32-bit word w.
/// log and sin/cos are our own polynomials (kernel_body.hpp), the
/// ziggurat's fast path is a multiply and a compare; the same operations on every
/// instruction-set target, so the streams are bit-identical everywhere.
///
/// Which stream draws what:
///   Teacher   counter = teacher row n          (first-layer weights B, double normals)
///   Student   counter = student row k          (first-layer weights W, double normals)
///   Inputs    counter = sample index s         (x_s, block = column block; the Config's
///                                               precision and inputs choose the kind above;
///                                               Gaussian x_s is drawn in the teacher frame,
///                                               teacher_frame.hpp)
///   Labels    counter = s / 1024               (label noise zeta_s = double normal s mod 1024 of
///                                               block 0: one block serves 1024 samples)
///   Feedback  counter = 0                      (fixed random feedback vector, reserved)
///   WeightNoise counter = step                 (Langevin weight noise Xi of that step: row k, column
///                                               block b is the normal block of weight_noise_key)
///   Tasks     counter = sample index s         (the task of sample s in a mixture phase:
///                                               task_uniform, model/schedule.hpp)
///   Readouts  counter = teacher p              (the direction a readout similarity rotates
///                                               teacher p's readout towards, model/teachers.hpp)
///   Chain     counter = block of the sequence  (the overlap engine's normals, one sequence per seed
///                                               read a fixed count per step: chain/normal_stream.hpp)
///   ChainWords counter = step                  (the overlap engine's uniforms of that step: a
///                                               splitmix64 sequence from block_key(.., step, 0))
///   ChainInit counter = block, or 0 with block 1 (the overlap engine's initial Bartlett factor:
///                                               its normals, and its words)
///   Features  counter = latent row d            (the hidden manifold's F, D x N, double normals;
///                                               its latents c_s come from Inputs, counter s)
///   ManifoldNoise counter = sample index s     (xi_s of the Gaussian-equivalent inputs)
///   Mixture   counter = sample index s         (the noise z_s of a Gaussian mixture's sample,
///                                               double normals, blocks as Inputs: mixture.py)
///   MixtureClusters counter = sample index s   (block 0: the cluster of sample s, block 1: its
///                                               label flip; uniforms from the key, stream_uniform)
#include <cstddef>
#include <cstdint>

#include "onlinesgd/kernel.hpp"

namespace onlinesgd::rng {

enum class Stream : std::uint64_t {
  Teacher = 1,
  Student = 2,
  Inputs = 3,
  Labels = 4,
  Feedback = 5,
  WeightNoise = 6,
  Tasks = 7,
  Readouts = 8,
  Chain = 9,
  ChainWords = 10,
  ChainInit = 11,
  Features = 12,       ///< the hidden manifold's feature matrix F, counter = row d (as the teacher)
  ManifoldNoise = 13,  ///< the Gaussian-equivalent inputs' xi, counter = sample index s
  Mixture = 14,
  MixtureClusters = 15,
};

inline constexpr int kBlock = kernel::kBlock;  ///< values per counter block

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

/// Key of the Langevin noise of step `step`, first-layer row k, column block `block` (double or
/// float normals, in the teacher frame when the run uses it).
inline std::uint64_t weight_noise_key(std::uint64_t seed, std::uint64_t step, int k, std::int64_t block) {
  return block_key(seed, Stream::WeightNoise, step,
                   (static_cast<std::uint64_t>(k) << 32) | static_cast<std::uint64_t>(block));
}

/// A uniform number in [0, 1) for sample `sample`: the top 53 bits of its Tasks key.
inline double task_uniform(std::uint64_t seed, std::uint64_t sample) {
  return static_cast<double>(block_key(seed, Stream::Tasks, sample, 0) >> 11) * 0x1p-53;
}

/// A uniform number in [0, 1) from the key of (seed, stream, counter, block): its top 53 bits.
inline double stream_uniform(std::uint64_t seed, Stream stream, std::uint64_t counter, std::uint64_t block) {
  return static_cast<double>(block_key(seed, stream, counter, block) >> 11) * 0x1p-53;
}

/// Writes the first `count` (<= kBlock) double normals of block (seed, stream, counter, block).
/// The first values do not depend on `count`, so a short final block of a row agrees with
/// a full one.
void normal_block(std::uint64_t seed, Stream stream, std::uint64_t counter, std::uint64_t block, double* out,
                  int count);

/// n double normals of row `counter` in `stream`: block b covers columns [b kBlock, (b+1) kBlock).
void normal_row(std::uint64_t seed, Stream stream, std::uint64_t counter, double* out, std::size_t n);

/// Input row of one sample in the given precision and distribution (as the simulator draws it).
void input_row(std::uint64_t seed, std::uint64_t sample, Inputs inputs, double* out, std::size_t n);
void input_row(std::uint64_t seed, std::uint64_t sample, Inputs inputs, float* out, std::size_t n);

}  // namespace onlinesgd::rng

#include "onlinesgd/timing.hpp"

#include <algorithm>
#include <chrono>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "onlinesgd/kernel.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"
#include "onlinesgd/teacher_frame.hpp"

namespace onlinesgd {
namespace {

// Buffers aligned like the simulator's (64 bytes), so that the floors compare like with like.
template <class Real>
using Buffer = std::vector<Real, Eigen::aligned_allocator<Real>>;

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

template <class Real>
double generation(const ModelConfig& cfg, std::uint64_t samples, int threads) {
  const std::int64_t blocks = (cfg.N + kernel::kBlock - 1) / kernel::kBlock;
  Buffer<Real> x(static_cast<std::size_t>(cfg.N));
  const auto& kt = kernel::active();
  void (*draw)(std::uint64_t, Real*, int);
  if constexpr (std::is_same_v<Real, double>)
    draw = cfg.inputs == Inputs::Rademacher ? kt.sign_d : kt.normal_d;
  else
    draw = cfg.inputs == Inputs::Rademacher ? kt.sign_f : kt.normal_f;
  // At a positive temperature a step also draws K rows of Langevin noise.
  const int noise_rows = cfg.temperature != 0.0 ? cfg.K : 0;
  void (*normal)(std::uint64_t, Real*, int);
  if constexpr (std::is_same_v<Real, double>)
    normal = kt.normal_d;
  else
    normal = kt.normal_f;
  Buffer<Real> noise(kernel::kBlock);
  const double t0 = now();
  parallel_team(threads, [&](int tid, int team) {
    const Share mine = thread_share(blocks, tid, team);
    const std::int64_t b0 = mine.first, b1 = mine.last;  // this thread's blocks
    for (std::uint64_t s = 0; s < samples; ++s)
      for (std::int64_t blk = b0; blk < b1; ++blk) {
        const std::int64_t c0 = blk * kernel::kBlock;
        const int count = static_cast<int>(std::min<std::int64_t>(kernel::kBlock, cfg.N - c0));
        draw(rng::block_key(cfg.seed, rng::Stream::Inputs, s, static_cast<std::uint64_t>(blk)), x.data() + c0, count);
        for (int k = 0; k < noise_rows; ++k) normal(rng::weight_noise_key(cfg.seed, s, k, blk), noise.data(), count);
      }
  });
  return now() - t0;
}

template <class Real>
double weight_pass(const ModelConfig& cfg, std::uint64_t passes, int threads) {
  const std::int64_t N = cfg.N, blocks = (N + kernel::kBlock - 1) / kernel::kBlock;
  Buffer<Real> W(static_cast<std::size_t>(N * cfg.K), Real(1)), x(static_cast<std::size_t>(N), Real(1e-9));
  const auto& kt = kernel::active();
  const double t0 = now();
  parallel_team(threads, [&](int tid, int team) {
    const Share mine = thread_share(blocks, tid, team);
    const std::int64_t b0 = mine.first, b1 = mine.last;  // this thread's blocks
    for (std::uint64_t p = 0; p < passes; ++p)
      for (std::int64_t blk = b0; blk < b1; ++blk)
        for (int k = 0; k < cfg.K; ++k) {
          const std::int64_t c0 = blk * kernel::kBlock;
          const int n = static_cast<int>(std::min<std::int64_t>(kernel::kBlock, N - c0));
          if constexpr (std::is_same_v<Real, double>)
            kt.axpy_d(W.data() + k * N + c0, 1e-9, x.data() + c0, n);
          else
            kt.axpy_f(W.data() + k * N + c0, 1e-9f, x.data() + c0, n);
        }
  });
  return now() - t0;
}

/// Pairs of inputs drawn per block as a pair of online steps draws them, and the previous pair
/// read back in the same pass with the dot products (the kernel's row pass, its rows being the
/// previous inputs, read only): what any step that stores its inputs and reads each back once
/// for its update costs, with no weights at all.
template <class Real>
double input_roundtrip(const ModelConfig& cfg, std::uint64_t pairs, int threads) {
  const std::int64_t N = cfg.N, blocks = (N + kernel::kBlock - 1) / kernel::kBlock, ld = (N + 15) / 16 * 16;
  Buffer<Real> x(static_cast<std::size_t>(4 * ld), Real(0));  // the pair drawn and the previous one
  const auto& kt = kernel::active();
  auto* block_fn = [&] {
    if constexpr (std::is_same_v<Real, double>)
      return kt.block_d;
    else
      return kt.block_f;
  }();
  const double t0 = now();
  parallel_team(threads, [&](int tid, int team) {
    const Share mine = thread_share(blocks, tid, team);
    double partial[4];
    std::uint64_t keys[2];
    for (std::uint64_t p = 0; p < pairs; ++p)
      for (std::int64_t blk = mine.first; blk < mine.last; ++blk) {
        const std::int64_t c0 = blk * kernel::kBlock;
        kernel::BlockArgs<Real> a{};
        a.W = x.data() + (p & 1 ? 0 : 2) * ld + c0;  // the previous pair, as two rows
        a.ldw = ld;
        a.K = 2;
        a.x_next = x.data() + (p & 1 ? 2 : 0) * ld + c0;
        a.ldx = ld;
        a.draws = 2;
        for (int d = 0; d < 2; ++d)
          keys[d] = rng::block_key(cfg.seed, rng::Stream::Inputs, 2 * p + d, static_cast<std::uint64_t>(blk));
        a.keys = keys;
        a.inputs = cfg.inputs;
        a.count = static_cast<int>(std::min<std::int64_t>(kernel::kBlock, N - c0));
        a.partial = partial;
        block_fn(a);
      }
  });
  return now() - t0;
}

template <class Real>
PhaseSeconds phases(const ModelConfig& cfg, std::uint64_t steps) {
  const std::int64_t N = cfg.N;
  const int rows = cfg.K + (uses_teacher_frame(cfg) ? 0 : cfg.M);  // rows the step streams
  Buffer<Real> W(static_cast<std::size_t>(N * rows)), x(static_cast<std::size_t>(N));
  rng::input_row(cfg.seed, 0, Inputs::Gaussian, x.data(), N);
  for (int r = 0; r < rows; ++r) rng::input_row(cfg.seed, 1 + r, Inputs::Gaussian, W.data() + r * N, N);
  const auto& kt = kernel::active();
  double sink = 0;
  PhaseSeconds p;
  double t0 = now();
  for (std::uint64_t s = 0; s < steps; ++s) rng::input_row(cfg.seed, s, cfg.inputs, x.data(), N);
  p.draw = (now() - t0) / steps;
  t0 = now();
  for (std::uint64_t s = 0; s < steps; ++s)
    for (int r = 0; r < rows; ++r)
      for (std::int64_t c0 = 0; c0 < N; c0 += kernel::kBlock) {
        const int n = static_cast<int>(std::min<std::int64_t>(kernel::kBlock, N - c0));
        if constexpr (std::is_same_v<Real, double>)
          sink += kt.dot_d(W.data() + r * N + c0, x.data() + c0, n);
        else
          sink += kt.dot_f(W.data() + r * N + c0, x.data() + c0, n);
      }
  p.forward = (now() - t0) / steps;
  t0 = now();
  for (std::uint64_t s = 0; s < steps; ++s)
    for (int k = 0; k < cfg.K; ++k)
      for (std::int64_t c0 = 0; c0 < N; c0 += kernel::kBlock) {
        const int n = static_cast<int>(std::min<std::int64_t>(kernel::kBlock, N - c0));
        if constexpr (std::is_same_v<Real, double>)
          kt.axpy_d(W.data() + k * N + c0, 1e-9, x.data() + c0, n);
        else
          kt.axpy_f(W.data() + k * N + c0, 1e-9f, x.data() + c0, n);
      }
  p.update = (now() - t0) / steps;
  if (sink == 12345.678) p.update += 1e-30;  // keeps the dot products from being optimised away
  return p;
}

}  // namespace

double generation_seconds(const ModelConfig& cfg, std::uint64_t samples, int threads) {
  return cfg.precision == Precision::Float32 ? generation<float>(cfg, samples, threads)
                                             : generation<double>(cfg, samples, threads);
}

double weight_pass_seconds(const ModelConfig& cfg, std::uint64_t passes, int threads) {
  return cfg.precision == Precision::Float32 ? weight_pass<float>(cfg, passes, threads)
                                             : weight_pass<double>(cfg, passes, threads);
}

double input_roundtrip_seconds(const ModelConfig& cfg, std::uint64_t pairs, int threads) {
  return cfg.precision == Precision::Float32 ? input_roundtrip<float>(cfg, pairs, threads)
                                             : input_roundtrip<double>(cfg, pairs, threads);
}

PhaseSeconds phase_seconds(const ModelConfig& cfg, std::uint64_t steps) {
  return cfg.precision == Precision::Float32 ? phases<float>(cfg, steps) : phases<double>(cfg, steps);
}

}  // namespace onlinesgd

#include "hmm_bench.hpp"

#include <algorithm>
#include <chrono>

#include <Eigen/Dense>

#include "onlinesgd/hmm_simulator.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/tile_product.hpp"

namespace onlinesgd::bench {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

HmmResult run_hmm(const HmmCase& c, int repeats) {
  HmmSimulator sim(c.cfg);
  const auto N = c.cfg.N, D = c.cfg.latent_dim;
  sim.advance(256);  // first block and caches
  // steps per repeat: ~0.3 s from a short calibration
  auto t0 = std::chrono::steady_clock::now();
  sim.advance(256);
  const double per_step = seconds_since(t0) / 256.0;
  const auto steps = static_cast<std::uint64_t>(std::max(256.0, 0.3 / per_step));
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    t0 = std::chrono::steady_clock::now();
    sim.advance(steps);
    rates.push_back(static_cast<double>(steps) / seconds_since(t0));
  }
  std::sort(rates.begin(), rates.end());
  HmmResult res;
  res.rate = rates.back();
  res.median = rates[rates.size() / 2];
  // the floor: a block's product (256 x D)(D x N) alone, by one Eigen GEMM with Eigen's own threads
  // and by the simulator's tile kernel on the same threads (column tiles of 1024); the faster rules
  const RowMatrix C = RowMatrix::Random(256, D), F = RowMatrix::Random(D, N);
  RowMatrix X(256, N);
  const double flops = 2.0 * 256.0 * static_cast<double>(D) * static_cast<double>(N);
  const std::int64_t tiles = (N + 1023) / 1024;
  auto tiled = [&] {
    parallel_for(tiles, true, [&](std::int64_t t) {
      const auto c0 = t * 1024;
      const int cols = static_cast<int>(std::min<std::int64_t>(1024, N - c0));
      hmm::tile_product(C.data(), D, F.data() + c0, N, X.data() + c0, N, 256, cols, D);
    });
  };
  X.noalias() = C * F;  // warm-up
  tiled();
  for (int r = 0; r < repeats; ++r) {
    t0 = std::chrono::steady_clock::now();
    X.noalias() = C * F;
    res.eigen_flops = std::max(res.eigen_flops, flops / seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    tiled();
    res.tile_flops = std::max(res.tile_flops, flops / seconds_since(t0));
  }
  res.floor_rate = std::max(res.eigen_flops, res.tile_flops) / (2.0 * static_cast<double>(N) * static_cast<double>(D));
  return res;
}

}  // namespace onlinesgd::bench

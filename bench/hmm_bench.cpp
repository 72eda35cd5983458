#include "hmm_bench.hpp"

#include <algorithm>
#include <chrono>

#include <Eigen/Dense>

#include "onlinesgd/hmm_simulator.hpp"

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
  // the floor: the same product as one block's, one Eigen GEMM with Eigen's own threads
  const RowMatrix C = RowMatrix::Random(256, D), F = RowMatrix::Random(D, N);
  RowMatrix X(256, N);
  X.noalias() = C * F;  // warm-up
  for (int r = 0; r < repeats; ++r) {
    t0 = std::chrono::steady_clock::now();
    X.noalias() = C * F;
    res.gemm_flops = std::max(res.gemm_flops, 2.0 * 256.0 * static_cast<double>(D) * static_cast<double>(N) /
                                                  seconds_since(t0));
  }
  res.floor_rate = res.gemm_flops / (2.0 * static_cast<double>(N) * static_cast<double>(D));
  return res;
}

}  // namespace onlinesgd::bench

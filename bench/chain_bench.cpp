#include "chain_bench.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "onlinesgd/overlap_chain.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/simulator.hpp"

namespace onlinesgd::bench {
namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

/// Best and median steps/s of `repeats` timed calls of step(n) after a calibration to ~0.1 s.
template <class Step>
std::pair<double, double> rates(Step step, int repeats) {
  std::uint64_t n = 16;
  double t0 = now();
  std::uint64_t done = 0;
  while (now() - t0 < 0.05) {
    step(n);
    done += n;
    n *= 2;
  }
  n = std::max<std::uint64_t>(16, static_cast<std::uint64_t>(0.1 * static_cast<double>(done) / (now() - t0)));
  std::vector<double> r;
  for (int i = 0; i < repeats; ++i) {
    t0 = now();
    step(n);
    r.push_back(static_cast<double>(n) / (now() - t0));
  }
  std::sort(r.begin(), r.end());
  return {r.back(), r[r.size() / 2]};
}

}  // namespace

ChainResult run_chain(const ChainCase& c, int repeats) {
  ChainResult r;
  r.chains = c.replicas ? max_threads() : 1;
  std::vector<std::unique_ptr<OverlapChain>> owned;
  std::vector<OverlapChain*> chains;
  for (int i = 0; i < r.chains; ++i) {
    ModelConfig cfg = c.cfg;
    cfg.seed += static_cast<std::uint64_t>(i);
    owned.push_back(std::make_unique<OverlapChain>(cfg));
    chains.push_back(owned.back().get());
  }
  const auto chain = rates([&](std::uint64_t n) { advance_chains(chains, n); }, repeats);
  r.rate = chain.first * r.chains;
  r.median = chain.second * r.chains;
  if (c.vs_weights) {
    Simulator sim(c.cfg);
    // on as many cores as the chains use: the ratio per core (the weights engine alone would
    // thread a large N over every core)
    r.weights_rate = rates([&](std::uint64_t n) { sim.advance(n, r.chains); }, repeats).first;
  }
  return r;
}

}  // namespace onlinesgd::bench

#include "step_bench.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "onlinesgd/fast_step.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/simulator.hpp"

namespace onlinesgd::bench {
namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

Result run(const Case& c, int repeats) {
  Simulator sim(c.cfg);
  Result r;
  r.threads = c.threads > 0 ? c.threads : step_threads(c.cfg, max_threads());
  r.steps = c.steps;
  if (r.steps == 0) {  // calibrate to about 0.1 s per repeat: short repeats dodge other load

    double t0 = now();
    std::uint64_t n = 16;
    while (now() - t0 < 0.05) {
      sim.advance(n, r.threads);
      n *= 2;
    }
    const double rate = static_cast<double>(sim.steps()) / (now() - t0);
    r.steps = std::max<std::uint64_t>(16, static_cast<std::uint64_t>(0.1 * rate));
  }
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const double t0 = now();
    sim.advance(r.steps, r.threads);
    times.push_back(now() - t0);
  }
  std::sort(times.begin(), times.end());
  r.seconds = times.front();
  r.median = times[times.size() / 2];
  const std::uint64_t gen_steps = std::max<std::uint64_t>(8, r.steps / 4);
  double gen = 1e300;
  for (int i = 0; i < repeats; ++i) gen = std::min(gen, generation_seconds(c.cfg, gen_steps, r.threads));
  r.generation = gen / static_cast<double>(gen_steps);
  double pass = 1e300;
  for (int i = 0; i < repeats; ++i) pass = std::min(pass, weight_pass_seconds(c.cfg, gen_steps, r.threads));
  r.weight_pass = pass / static_cast<double>(gen_steps);
  double trip = 1e300;
  for (int i = 0; i < repeats; ++i) trip = std::min(trip, input_roundtrip_seconds(c.cfg, gen_steps / 2 + 1, r.threads));
  r.roundtrip = trip / static_cast<double>(2 * (gen_steps / 2 + 1));
  r.split = phase_seconds(c.cfg, std::max<std::uint64_t>(8, r.steps / 8));
  return r;
}

}  // namespace onlinesgd::bench

#include "onlinesgd/model/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "onlinesgd/rng.hpp"

namespace onlinesgd::model {

Phase phase(const ModelConfig& cfg, int s) {
  Phase p;
  p.index = s;
  const int P = cfg.tasks();
  p.weights.assign(P, 0.0);
  if (cfg.phase_weights.empty())
    p.weights[0] = 1.0;
  else
    std::copy_n(cfg.phase_weights.begin() + static_cast<std::ptrdiff_t>(s) * P, P, p.weights.begin());
  p.main_task = static_cast<int>(std::max_element(p.weights.begin(), p.weights.end()) - p.weights.begin());
  p.pure = p.weights[p.main_task] == 1.0;
  p.frozen = cfg.freeze_features && s > 0;
  return p;
}

std::uint64_t first_step(const ModelConfig& cfg, int s) {
  if (s <= 0) return 0;
  const double steps = cfg.switch_times[s - 1] * static_cast<double>(cfg.N) / cfg.batch;
  return static_cast<std::uint64_t>(std::ceil(steps - 1e-12 * std::max(1.0, steps)));
}

int phase_at_step(const ModelConfig& cfg, std::uint64_t step) {
  int s = 0;
  while (s + 1 < phases(cfg) && step >= first_step(cfg, s + 1)) ++s;
  return s;
}

int phase_at_time(const ModelConfig& cfg, double t) {
  return static_cast<int>(std::upper_bound(cfg.switch_times.begin(), cfg.switch_times.end(), t) -
                          cfg.switch_times.begin());
}

int task_of_sample(const Phase& p, std::uint64_t seed, std::uint64_t sample) {
  if (p.pure) return p.main_task;
  const double u = rng::task_uniform(seed, sample);
  double below = 0.0;
  const int P = static_cast<int>(p.weights.size());
  for (int task = 0; task + 1 < P; ++task) {
    below += p.weights[task];
    if (u < below) return task;
  }
  // the last task with a fraction takes the rest (the fractions' rounding included)
  int last = P - 1;
  while (last > 0 && p.weights[last] == 0.0) --last;
  return last;
}

void switch_heads(const ModelConfig& cfg, int s, double* heads) {
  if (!cfg.copy_head || s <= 0) return;
  const int from = cfg.head_of(phase(cfg, s - 1).main_task), to = cfg.head_of(phase(cfg, s).main_task);
  if (from != to) std::copy_n(heads + from * cfg.K, cfg.K, heads + to * cfg.K);
}

}  // namespace onlinesgd::model

#pragma once
/// The task schedule of a continual-learning run (docs/theory.md §5): phases separated by switch
/// times on the sample clock t = samples / N, each drawing every sample's task from its own
/// fractions (one task, or a mixture: replay, interleaving). The simulation switches at the first
/// step whose start time is at or past a switch time; the ODE at the switch time itself.
#include <cstdint>
#include <vector>

#include "onlinesgd/model/config.hpp"

namespace onlinesgd::model {

/// What one phase trains.
struct Phase {
  int index = 0;
  std::vector<double> weights;  ///< P fractions, summing to 1
  int main_task = 0;            ///< the task of largest fraction (the first of equals): its head is "the" head
  bool pure = true;             ///< one task takes every sample (no draw)
  bool frozen = false;          ///< the first layer is not trained (freeze_features after the first switch)
};

/// Phases of cfg: one more than its switch times.
inline int phases(const ModelConfig& cfg) { return static_cast<int>(cfg.switch_times.size()) + 1; }

/// Phase s of cfg (0 <= s < phases(cfg)).
Phase phase(const ModelConfig& cfg, int s);

/// The first step of phase s >= 1: the first step whose start time s B / N is >= switch_times[s - 1]
/// (up to a relative 1e-12, so that a time written in decimal lands on the step it names).
std::uint64_t first_step(const ModelConfig& cfg, int s);

/// The phase that step `step` belongs to.
int phase_at_step(const ModelConfig& cfg, std::uint64_t step);

/// The phase in force at time t on the ODE's clock: switches at or before t have happened.
int phase_at_time(const ModelConfig& cfg, double t);

/// The task of sample `sample` in phase p: p.main_task when pure, else drawn from the fractions
/// by a uniform number of the seed's Tasks stream keyed by the sample index (rng.hpp), so that it
/// does not depend on threads or on how a run is cut into calls.
int task_of_sample(const Phase& p, std::uint64_t seed, std::uint64_t sample);

/// The assignment that the switch into phase s makes on the heads (cfg.heads() x K values, head h
/// at h K): with copy_head, the head of phase s's main task takes phase s - 1's head's values.
/// The simulation and the ODE both call it at a switch.
void switch_heads(const ModelConfig& cfg, int s, double* heads);

}  // namespace onlinesgd::model

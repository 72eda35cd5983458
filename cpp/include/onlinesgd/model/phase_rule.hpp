#pragma once
/// The learning rule of one phase of the schedule (model/schedule.hpp): the task of each sample,
/// that task's Rule (its teacher's rows and label noise; the phase's frozen first layer) and the
/// head it trains. The weights engine and the reference step read a phase only through this class.
#include <cstdint>
#include <vector>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/model/schedule.hpp"

namespace onlinesgd::model {

class PhaseRule {
 public:
  PhaseRule(const ModelConfig& cfg, int phase_index) : phase_(model::phase(cfg, phase_index)), seed_(cfg.seed) {
    for (int p = 0; p < cfg.tasks(); ++p) {
      rules_.emplace_back(cfg, p, phase_.frozen);
      head_.push_back(cfg.head_of(p));
    }
  }

  const Phase& phase() const { return phase_; }
  /// The task of a sample; a pure phase's without a call (the chain's step is ~200 ns at K = 2).
  int task(std::uint64_t sample) const {
    return phase_.pure ? phase_.main_task : task_of_sample(phase_, seed_, sample);
  }
  const Rule& rule(int task) const { return rules_[task]; }
  int head(int task) const { return head_[task]; }
  /// The constants every task of the phase shares (1/sqrt(N), the first layer's decay and noise,
  /// the head's update): those of the main task's rule.
  const Rule& shared() const { return rules_[phase_.main_task]; }

 private:
  Phase phase_;
  std::uint64_t seed_;
  std::vector<Rule> rules_;  // per task
  std::vector<int> head_;    // per task
};

}  // namespace onlinesgd::model

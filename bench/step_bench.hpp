#pragma once
// One benchmark run: a configuration stepped for a number of steps, with its floor and split.
#include <cstdint>
#include <string>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/timing.hpp"

namespace onlinesgd::bench {

struct Case {
  std::string name;
  ModelConfig cfg;
  std::uint64_t steps = 0;  ///< 0: about 0.1 s worth per repeat, from a short calibration
  int threads = 0;          ///< 0: the simulator's own choice
};

struct Result {
  std::uint64_t steps = 0;
  int threads = 0;
  double seconds = 0;      ///< fused steps, best of the repeats
  double median = 0;       ///< fused steps, median of the repeats
  double generation = 0;   ///< drawing the same inputs alone, same threads, per step
  double weight_pass = 0;  ///< one read-modify-write pass over W, same threads, per step
  double roundtrip = 0;    ///< drawing the inputs and reading them back once, no weights, per step
  PhaseSeconds split;      ///< one thread, per step
};

Result run(const Case& c, int repeats);

}  // namespace onlinesgd::bench

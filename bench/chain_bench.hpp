#pragma once
// The overlap engine's benchmark cases: steps/s of one chain on one core, of one chain per
// thread (replicas), and the weights engine on the same model and cores in the same run, for the
// ratio.
#include <string>
#include <vector>

#include "onlinesgd/model/config.hpp"

namespace onlinesgd::bench {

struct ChainCase {
  std::string name;
  ModelConfig cfg;
  bool replicas = false;    ///< one chain per thread (max_threads of them) instead of one
  bool vs_weights = false;  ///< also time the weights engine on the same model (small N only)
};

struct ChainResult {
  double rate = 0;    ///< chain steps/s summed over the chains, best of the repeats
  double median = 0;  ///< the same, median of the repeats
  int chains = 1;
  double weights_rate = 0;  ///< the weights engine's steps/s on the same model and cores, 0: not run
};

ChainResult run_chain(const ChainCase& c, int repeats);

}  // namespace onlinesgd::bench

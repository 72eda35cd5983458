#pragma once
// The hidden manifold model's benchmark cases (docs/hidden_manifold.md): steps/s of HmmSimulator
// against the GEMM floor: the time of the input block's product C F alone, at the faster of Eigen's
// GEMM and the simulator's own tile kernel, measured in the same run.
#include <string>
#include <vector>

#include "onlinesgd/model/config.hpp"

namespace onlinesgd::bench {

struct HmmCase {
  std::string name;
  ModelConfig cfg;
};

struct HmmResult {
  double rate = 0;         ///< steps/s, best of the repeats
  double median = 0;       ///< steps/s, median of the repeats
  double eigen_flops = 0;  ///< flop/s of one Eigen GEMM (256 x D) (D x N) on all threads, best of the repeats
  double tile_flops = 0;   ///< flop/s of the simulator's tile kernel on the same product and threads
  double floor_rate = 0;   ///< steps/s if a step cost only its 2 N D flops at the faster of the two
};

HmmResult run_hmm(const HmmCase& c, int repeats);

}  // namespace onlinesgd::bench

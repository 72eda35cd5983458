#pragma once
/// Timings shared by onlinesgd-bench and the Python benchmarks: the bare cost of drawing the
/// inputs (the floor of a step at small K) and the split of a step into its phases.
#include <cstdint>

#include "onlinesgd/model/config.hpp"

namespace onlinesgd {

/// Seconds to draw `samples` input vectors of cfg.N components (cfg.precision, cfg.inputs)
/// into one reused buffer, on `threads` threads each drawing its own column blocks with no
/// synchronisation: the generator alone, what a step can at best approach. At a positive
/// temperature each sample also draws the K rows of Langevin noise a step draws.
double generation_seconds(const ModelConfig& cfg, std::uint64_t samples, int threads);

/// Seconds for `passes` read-modify-write passes over a K x N weight matrix (w += c x, the
/// update alone) on `threads` threads each owning its column blocks: the memory floor of a
/// step, which sets the pace at large K.
double weight_pass_seconds(const ModelConfig& cfg, std::uint64_t passes, int threads);

/// Seconds for `pairs` passes that each draw two inputs per column block, as a pair of online
/// steps does, and read the previous pair back with their dot products, on `threads` threads:
/// the floor of any step that stores its input and reads it back once for its update, however
/// many steps share a pass over the weights (which it leaves out).
double input_roundtrip_seconds(const ModelConfig& cfg, std::uint64_t pairs, int threads);

struct PhaseSeconds {
  double draw = 0;     ///< drawing the inputs of one step
  double forward = 0;  ///< the K + M dot products of one step
  double update = 0;   ///< the rank-1 update of W of one step
};

/// Per-step time of each phase run alone on one thread over `steps` repetitions (the fused
/// kernel overlaps them, so their sum exceeds a fused step's time).
PhaseSeconds phase_seconds(const ModelConfig& cfg, std::uint64_t steps);

}  // namespace onlinesgd

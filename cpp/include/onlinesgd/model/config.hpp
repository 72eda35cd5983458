#pragma once
/// The one description of the model: the Python `Config` maps onto it field for field, and the
/// weights engine, the reference step and the ODE all read it (docs/theory.md §1, §5).
#include <cstdint>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/model/inputs.hpp"

namespace onlinesgd {

/// Storage of weights and inputs (overlaps and local fields always accumulate in double).
enum class Precision : int { Float64 = 0, Float32 = 1 };

struct ModelConfig {
  std::int64_t N = 10000;  ///< input dimension
  int K = 2;               ///< student hidden units
  int M = 2;               ///< teacher hidden units
  Activation g_student = Activation::Erf;
  Activation g_teacher = Activation::Erf;
  double lr = 0.5;         ///< eta, first layer
  double lr_v = 0.0;       ///< eta_v, second layer; 0 means the second layer is frozen
  double noise = 0.0;      ///< sigma, label noise
  int batch = 1;           ///< samples averaged per step
  std::uint64_t seed = 0;
  double init_std = 1.0;   ///< std of the student's first-layer weights
  double v_init = 1.0;     ///< initial student second-layer weights
  double teacher_v = 1.0;  ///< teacher second-layer weights v*
  /// Storage of W, B and the inputs; fields and overlaps always accumulate in double.
  Precision precision = Precision::Float64;
  Inputs inputs = Inputs::Gaussian;  ///< law of the input components

  bool trains_second_layer() const { return lr_v != 0.0; }
};

}  // namespace onlinesgd

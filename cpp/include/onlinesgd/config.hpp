#pragma once
/// Plain model description; the Python `Config` maps onto it field for field.
#include <cstdint>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/kernel.hpp"

namespace onlinesgd {

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
  kernel::Precision precision = kernel::Precision::Float64;
  kernel::Inputs inputs = kernel::Inputs::Gaussian;  ///< distribution of the input components

  bool trains_second_layer() const { return lr_v != 0.0; }
};

}  // namespace onlinesgd

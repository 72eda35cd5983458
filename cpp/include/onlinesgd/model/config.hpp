#pragma once
/// The one description of the model: the Python `Config` maps onto it field for field, and the
/// weights engine, the reference step and the ODE all read it (docs/theory.md §1, §5).
#include <cstdint>
#include <vector>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/model/inputs.hpp"

namespace onlinesgd {

/// Storage of weights and inputs (overlaps and local fields always accumulate in double).
enum class Precision : int { Float64 = 0, Float32 = 1 };

/// Credit assignment: what multiplies the first layer's update (docs/theory.md §6).
enum class Feedback : int {
  Backprop = 0,  ///< f = v, the true gradient
  Fixed = 1,     ///< f = b, a fixed vector: feedback alignment (the same as DFA with one hidden layer)
};

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

  // The learning rule (docs/theory.md §6, §7).
  Feedback feedback = Feedback::Backprop;
  std::vector<double> feedback_vector;  ///< b (K) for Fixed; empty: drawn from the Feedback stream
  double temperature = 0.0;     ///< Langevin T: noise of variance 2 eta T / N per entry of W per step
  double weight_decay = 0.0;    ///< lambda: W <- (1 - eta lambda / N) W per step
  double weight_decay_v = 0.0;  ///< lambda_v: v <- (1 - eta_v lambda_v / N) v per step

  /// Geiger et al.'s centring (docs/theory.md §9): the teacher gains K fixed rows, copies of the
  /// student's initial rows with readout the student's initial head, so the target becomes
  /// y + phi_{W0}(x) and the student learns phi_W - phi_W0.
  bool centred = false;

  bool trains_second_layer() const { return lr_v != 0.0; }
  /// Teacher rows: the M of the teacher, then the K copies of the initial student when centred.
  int teacher_rows() const { return M + (centred ? K : 0); }
  /// Activation of teacher row m: the teacher's, or the student's for the centring rows.
  Activation teacher_activation(int m) const { return m < M ? g_teacher : g_student; }
  /// Whether every activation of student and teacher rows is erf (the ODE's closed forms).
  bool all_erf() const { return g_student == Activation::Erf && g_teacher == Activation::Erf; }
};

}  // namespace onlinesgd

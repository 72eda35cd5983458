#pragma once
/// The one description of the model: the Python `Config` maps onto it field for field, and the
/// weights engine, the reference step and the ODE all read it (docs/theory.md §1, §5).
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/model/hidden_manifold.hpp"
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
  int M = 2;               ///< teacher hidden units: of all teachers together (task_sizes)
  Activation g_student = Activation::Erf;
  Activation g_teacher = Activation::Erf;
  double lr = 0.5;     ///< eta, first layer
  double lr_v = 0.0;   ///< eta_v, second layer; 0 means the second layer is frozen
  double noise = 0.0;  ///< sigma, label noise
  int batch = 1;       ///< samples averaged per step
  std::uint64_t seed = 0;
  double init_std = 1.0;   ///< std of the student's first-layer weights
  double v_init = 1.0;     ///< initial student second-layer weights
  double teacher_v = 1.0;  ///< teacher second-layer weights v*
  /// Storage of W, B and the inputs; fields and overlaps always accumulate in double.
  Precision precision = Precision::Float64;
  Inputs inputs = Inputs::Gaussian;  ///< law of the input components
  // The hidden manifold model (inputs HiddenManifold, ManifoldGaussian; model/hidden_manifold.hpp).
  std::int64_t latent_dim = 0;             ///< D, the latent dimension (teacher rows have D columns)
  ManifoldF manifold_f = ManifoldF::Sign;  ///< the generator f

  // The learning rule (docs/theory.md §6, §7).
  Feedback feedback = Feedback::Backprop;
  std::vector<double> feedback_vector;  ///< b (K) for Fixed; empty: drawn from the Feedback stream
  double temperature = 0.0;             ///< Langevin T: noise of variance 2 eta T / N per entry of W per step
  double weight_decay = 0.0;            ///< lambda: W <- (1 - eta lambda / N) W per step
  double weight_decay_v = 0.0;          ///< lambda_v: v <- (1 - eta_v lambda_v / N) v per step

  /// Geiger et al.'s centring (docs/theory.md §9): the teacher gains K fixed rows, copies of the
  /// student's initial rows with readout the student's initial head, so the target becomes
  /// y + phi_{W0}(x) and the student learns phi_W - phi_W0.
  bool centred = false;

  // Several teachers, one per task (continual learning, docs/theory.md §5). Teacher p owns rows
  // [task_first_row(p), + task_sizes[p]) of the M teacher rows. Empty vectors: one teacher of M
  // rows with g_teacher, noise and teacher_v (the single-teacher model, unchanged).
  std::vector<int> task_sizes;               ///< M_p per teacher (their sum is M)
  std::vector<Activation> task_activations;  ///< g*_p per teacher (empty: g_teacher)
  std::vector<double> task_noises;           ///< sigma_p per teacher (empty: noise)
  std::vector<double> teacher_readout;       ///< v* of the M rows (empty: teacher_v each)
  /// Omega (M x M, row-major): the teachers' first layers are built so that T = Omega exactly
  /// (model/teachers.hpp); empty: rows i.i.d. N(0, 1).
  std::vector<double> teacher_overlap;
  /// beta: teacher p + 1's readout is teacher p's rotated within its span to cosine beta; NaN: none.
  double readout_similarity = std::numeric_limits<double>::quiet_NaN();

  // The schedule (model/schedule.hpp): phase s runs from switch_times[s - 1] to switch_times[s]
  // on the sample clock and draws each sample's task from phase_weights[s] (P fractions).
  std::vector<double> switch_times;   ///< increasing, > 0
  std::vector<double> phase_weights;  ///< (switches + 1) x P, row-major; empty: task 0 throughout
  bool multi_head = false;            ///< one head per task (else one head for all)
  bool copy_head = false;             ///< at a switch, the new task's head starts as the old one's
  bool freeze_features = false;       ///< the first layer is not trained after the first switch

  bool trains_second_layer() const { return lr_v != 0.0; }
  /// Teacher rows: the M of the teachers, then the K copies of the initial student when centred.
  int teacher_rows() const { return M + (centred ? K : 0); }
  /// Teachers (tasks) P.
  int tasks() const { return task_sizes.empty() ? 1 : static_cast<int>(task_sizes.size()); }
  int task_rows(int p) const { return task_sizes.empty() ? M : task_sizes[p]; }
  int task_first_row(int p) const {
    return task_sizes.empty() ? 0 : std::accumulate(task_sizes.begin(), task_sizes.begin() + p, 0);
  }
  /// The teacher that owns teacher row m < M.
  int task_of_row(int m) const {
    int p = 0;
    while (p + 1 < tasks() && m >= task_first_row(p + 1)) ++p;
    return p;
  }
  Activation task_activation(int p) const { return task_activations.empty() ? g_teacher : task_activations[p]; }
  double task_noise(int p) const { return task_noises.empty() ? noise : task_noises[p]; }
  bool any_label_noise() const {
    for (int p = 0; p < tasks(); ++p)
      if (task_noise(p) != 0.0) return true;
    return false;
  }
  /// Student heads: one per task with multi_head, else one.
  int heads() const { return multi_head ? tasks() : 1; }
  int head_of(int task) const { return multi_head ? task : 0; }
  /// Activation of teacher row m: its teacher's, or the student's for the centring rows.
  Activation teacher_activation(int m) const { return m < M ? task_activation(task_of_row(m)) : g_student; }
  /// Whether every activation of student and teacher rows is erf (the ODE's closed forms).
  bool all_erf() const {
    for (int p = 0; p < tasks(); ++p)
      if (task_activation(p) != Activation::Erf) return false;
    return g_student == Activation::Erf;
  }
};

}  // namespace onlinesgd

#pragma once
/// The per-sample learning rule (docs/theory.md §1, §5), the one place it is written. For one
/// sample of task a with local fields lambda (K student), nu (all M teacher rows) and label noise zeta:
///   Delta   = sum_k v_k g(lambda_k) - sum_{m in a} v*_m g*_m(nu_m) - sigma_a zeta
/// (m over teacher a's rows and the centring rows: the readout u* is zero on the other teachers'),
///   coef_k  = -c_w f_k g'(lambda_k) Delta        (the first layer's change is coef_k x)
///   dv_k   += -c_v g(lambda_k) Delta             (the head's change, summed over a minibatch)
/// with c_w = eta / (sqrt(N) B), c_v = eta_v / (N B), v the head task a uses, and f the feedback
/// vector: that head (before the step) for backprop, a fixed b for feedback alignment. A phase with a
/// frozen first layer has c_w = 0 and neither decay nor noise on W. Once per step (not per sample) the
/// weights also decay and, at temperature T > 0, take Langevin noise (docs/theory.md §7):
///   W <- decay_w W + sum_b coef_b x_b^T + noise_w Xi,   v <- decay_v v + dv,
/// decay_w = 1 - eta lambda / N, noise_w = sqrt(2 eta T / N), decay_v = 1 - eta_v lambda_v / N.
/// The weights engine (fast_step.cpp) and the reference step (step.cpp) both call this class;
/// the ODE (ode/system.cpp) takes its prefactors from the same ModelConfig (rates()).
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"

namespace onlinesgd::model {

/// A field or error beyond this (or not finite) is a divergence: the overlaps ~ field^2 are then
/// still finite, so the state before the step can be recorded.
inline constexpr double kDivergence = 1e100;

/// The rule's constants per unit of time t = samples / N (N / B steps), which the ODE multiplies
/// its averages by (docs/theory.md §4, §5): a minibatch B at eta is batch 1 at eta / B.
struct Rates {
  double eta;          ///< first layer: eta / B
  double eta_v;        ///< head: eta_v / B (0: frozen)
  double sigma2;       ///< label-noise variance sigma^2
  double decay;        ///< lambda: dQ gets -2 eta lambda Q, dR gets -eta lambda R
  double decay_v;      ///< lambda_v: dv gets -eta_v lambda_v v
  double temperature;  ///< T: dQ_ik gets 2 eta T delta_ik
};

/// The rates of task `task` (its label noise) in a phase whose first layer is `frozen` (eta = 0).
inline Rates rates(const ModelConfig& cfg, int task = 0, bool frozen = false) {
  const double sigma = cfg.task_noise(task);
  return {frozen ? 0.0 : cfg.lr / cfg.batch,
          cfg.lr_v / cfg.batch,
          sigma * sigma,
          cfg.weight_decay,
          cfg.weight_decay_v,
          cfg.temperature};
}

/// The feedback vector f that multiplies the first layer's update (docs/theory.md §5): the head v
/// (before the step) for backprop, the fixed vector b for feedback alignment. The one place that
/// chooses it: the per-sample rule below and the ODE (ode/system.cpp) both ask here.
inline const double* feedback_in_use(Feedback rule, const double* v, const double* b) {
  return rule == Feedback::Fixed && b ? b : v;
}

/// The feedback vector b of feedback alignment: cfg.feedback_vector when given, else K i.i.d.
/// N(0, 1) from the seed's Feedback stream (rng.hpp), so the simulation and the ODE share it.
Eigen::VectorXd feedback_vector(const ModelConfig& cfg);

class Rule {
 public:
  /// The rule of samples of task `task` in a phase whose first layer is `frozen`.
  explicit Rule(const ModelConfig& cfg, int task = 0, bool frozen = false)
      : K_(cfg.K),
        M_(cfg.teacher_rows()),
        first_(cfg.task_first_row(task)),
        last_(first_ + cfg.task_rows(task)),
        fixed_(cfg.M),
        g_(cfg.g_student),
        inv_sqrt_n_(1.0 / std::sqrt(static_cast<double>(cfg.N))),
        c_w_(frozen ? 0.0 : cfg.lr * inv_sqrt_n_ / cfg.batch),
        c_v_(cfg.lr_v / (static_cast<double>(cfg.N) * cfg.batch)),
        sigma_(cfg.task_noise(task)),
        decay_w_(frozen ? 1.0 : 1.0 - cfg.lr * cfg.weight_decay / static_cast<double>(cfg.N)),
        decay_v_(1.0 - cfg.lr_v * cfg.weight_decay_v / static_cast<double>(cfg.N)),
        noise_w_(frozen ? 0.0 : std::sqrt(2.0 * cfg.lr * cfg.temperature / static_cast<double>(cfg.N))),
        lambda_v_(cfg.lr_v * cfg.weight_decay_v),
        inv_n_(1.0 / static_cast<double>(cfg.N)),
        trains_head_(cfg.trains_second_layer()),
        feedback_rule_(cfg.feedback) {
    for (int m = 0; m < M_; ++m) g_teacher_.push_back(cfg.teacher_activation(m));
  }

  double inv_sqrt_n() const { return inv_sqrt_n_; }
  bool trains_head() const { return trains_head_; }
  /// Per step: W <- decay_w() W (exactly 1 without weight decay), then + noise_w() Xi.
  double decay_w() const { return decay_w_; }
  double noise_w() const { return noise_w_; }

  /// One sample. `fields`: the K + M local fields, already scaled by 1/sqrt(N); `v`: the head
  /// before the step; `feedback`: the fixed vector b (null for backprop). Writes coef (K) and adds the
  /// sample's head change to dv (K). False, writing nothing, when the sample diverged.
  template <class Real>
  bool sample(const double* fields, double zeta, const double* v, const double* v_star, const double* feedback,
              Real* coef, double* dv) const {
    double delta = sigma_ != 0.0 ? -sigma_ * zeta : 0.0;
    for (int k = 0; k < K_; ++k) delta += v[k] * act_g(g_, fields[k]);
    // the active teacher's rows, then the fixed (centring) rows: with one teacher, all rows in order
    for (int m = first_; m < last_; ++m) delta -= v_star[m] * act_g(g_teacher_[m], fields[K_ + m]);
    for (int m = fixed_; m < M_; ++m) delta -= v_star[m] * act_g(g_teacher_[m], fields[K_ + m]);
    return apply(fields, delta, K_ + M_, v, feedback, coef, dv);
  }

  /// One sample with a given label y (the user's data, a Gaussian mixture): Delta = phi - y, the
  /// teacher unused. `fields`: the K student fields (scaled); otherwise as sample().
  template <class Real>
  bool sample_label(const double* fields, double y, const double* v, const double* feedback, Real* coef,
                    double* dv) const {
    double delta = -y;
    for (int k = 0; k < K_; ++k) delta += v[k] * act_g(g_, fields[k]);
    return apply(fields, delta, K_, v, feedback, coef, dv);
  }

 private:
  /// The updates of a sample whose error is delta; `checked`: the leading fields to check.
  template <class Real>
  bool apply(const double* fields, double delta, int checked, const double* v, const double* feedback, Real* coef,
             double* dv) const {
    bool ok = std::abs(delta) < kDivergence;
    for (int j = 0; j < checked; ++j) ok = ok && std::abs(fields[j]) < kDivergence;
    if (!ok) return false;
    const double* f = feedback_in_use(feedback_rule_, v, feedback);
    for (int k = 0; k < K_; ++k) {
      coef[k] = static_cast<Real>(-c_w_ * f[k] * act_dg(g_, fields[k]) * delta);
      dv[k] -= c_v_ * act_g(g_, fields[k]) * delta;
    }
    return true;
  }

 public:
  /// The head after a step: decay_v v + dv when the head is trained. `share`: the fraction of the
  /// step's samples that used this head (several heads in a mixture phase), which sets its decay.
  void apply_head(double* v, const double* dv, double share = 1.0) const {
    if (!trains_head_) return;
    const double decay = share == 1.0 ? decay_v_ : 1.0 - lambda_v_ * share * inv_n_;
    for (int k = 0; k < K_; ++k) v[k] = decay * v[k] + dv[k];
  }

 private:
  int K_, M_;
  int first_, last_, fixed_;  // the active teacher's rows [first, last), the fixed rows [fixed, M)
  Activation g_;
  std::vector<Activation> g_teacher_;  // per teacher row
  double inv_sqrt_n_, c_w_, c_v_, sigma_, decay_w_, decay_v_, noise_w_, lambda_v_, inv_n_;
  bool trains_head_;
  Feedback feedback_rule_;
};

}  // namespace onlinesgd::model

#pragma once
/// The per-sample learning rule (docs/theory.md §1, §5), the one place it is written. For one
/// sample with local fields lambda (K student), nu (M teacher) and label noise zeta:
///   Delta   = sum_k v_k g(lambda_k) - sum_m v*_m g*(nu_m) - sigma zeta
///   coef_k  = -c_w f_k g'(lambda_k) Delta        (the first layer's change is coef_k x / 1)
///   dv_k   += -c_v g(lambda_k) Delta             (the head's change, summed over a minibatch)
/// with c_w = eta / (sqrt(N) B), c_v = eta_v / (N B), and f the feedback vector: v (before the
/// step) for backprop. The weights engine (fast_step.cpp) and the reference step (step.cpp)
/// both call sample(); the ODE (ode/system.cpp) takes its prefactors from the same ModelConfig.
#include <cmath>

#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"

namespace onlinesgd::model {

/// A field or error beyond this (or not finite) is a divergence: the overlaps ~ field^2 are then
/// still finite, so the state before the step can be recorded.
inline constexpr double kDivergence = 1e100;

/// The rule's constants per unit of time t = samples / N (N / B steps), which the ODE multiplies
/// its averages by (docs/theory.md §4, §5): a minibatch B at eta is batch 1 at eta / B.
struct Rates {
  double eta;     ///< first layer: eta / B
  double eta_v;   ///< head: eta_v / B (0: frozen)
  double sigma2;  ///< label-noise variance sigma^2
};

inline Rates rates(const ModelConfig& cfg) {
  return {cfg.lr / cfg.batch, cfg.lr_v / cfg.batch, cfg.noise * cfg.noise};
}

class Rule {
 public:
  explicit Rule(const ModelConfig& cfg)
      : K_(cfg.K),
        M_(cfg.M),
        g_(cfg.g_student),
        g_teacher_(cfg.g_teacher),
        inv_sqrt_n_(1.0 / std::sqrt(static_cast<double>(cfg.N))),
        c_w_(cfg.lr * inv_sqrt_n_ / cfg.batch),
        c_v_(cfg.lr_v / (static_cast<double>(cfg.N) * cfg.batch)),
        sigma_(cfg.noise),
        trains_head_(cfg.trains_second_layer()) {}

  double inv_sqrt_n() const { return inv_sqrt_n_; }
  bool trains_head() const { return trains_head_; }

  /// One sample. `fields`: the K + M local fields, already scaled by 1/sqrt(N); `v`: the head
  /// before the step; `feedback`: f, or null for backprop (f = v). Writes coef (K) and adds the
  /// sample's head change to dv (K). False, writing nothing, when the sample diverged.
  template <class Real>
  bool sample(const double* fields, double zeta, const double* v, const double* v_star, const double* feedback,
              Real* coef, double* dv) const {
    double delta = sigma_ != 0.0 ? -sigma_ * zeta : 0.0;
    for (int k = 0; k < K_; ++k) delta += v[k] * act_g(g_, fields[k]);
    for (int m = 0; m < M_; ++m) delta -= v_star[m] * act_g(g_teacher_, fields[K_ + m]);
    bool ok = std::abs(delta) < kDivergence;
    for (int j = 0; j < K_ + M_; ++j) ok = ok && std::abs(fields[j]) < kDivergence;
    if (!ok) return false;
    const double* f = feedback ? feedback : v;
    for (int k = 0; k < K_; ++k) {
      coef[k] = static_cast<Real>(-c_w_ * f[k] * act_dg(g_, fields[k]) * delta);
      dv[k] -= c_v_ * act_g(g_, fields[k]) * delta;
    }
    return true;
  }

  /// The head after a step: v + dv when the head is trained.
  void apply_head(double* v, const double* dv) const {
    if (trains_head_)
      for (int k = 0; k < K_; ++k) v[k] += dv[k];
  }

 private:
  int K_, M_;
  Activation g_, g_teacher_;
  double inv_sqrt_n_, c_w_, c_v_, sigma_;
  bool trains_head_;
};

}  // namespace onlinesgd::model

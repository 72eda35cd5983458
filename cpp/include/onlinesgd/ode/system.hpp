#pragma once
/// The ODEs for the order parameters (docs/theory.md §3-§5). Time t = samples / N. With
/// u = (-v, v*) over the K + M fields (lambda, nu), f the feedback vector (v for backprop) and
/// the rates eta, eta_v of model::rates (the rule's constants per unit t):
///   dR_in/dt = eta f_i sum_c u_c I3(i, n, c)
///   dQ_ik/dt = eta [f_i sum_c u_c I3(i,k,c) + f_k sum_c u_c I3(k,i,c)]
///            + eta^2 f_i f_k [sum_{c,d} u_c u_d I4(i,k,c,d) + sigma^2 J2(i,k)]
///   dv_i/dt  = eta_v sum_c u_c I2(i, c)      (0 when the second layer is frozen)
/// plus weight decay and Langevin noise (§7): dQ_ik -= 2 eta lambda Q_ik, dQ_ii += 2 eta T,
/// dR -= eta lambda R, dv -= eta_v lambda_v v. Without the SGD noise (gradient flow, §8) the
/// eta^2 terms go. T and v* are constant.
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/network.hpp"
#include "onlinesgd/overlaps.hpp"

namespace onlinesgd::ode {

/// Right-hand side of the ODEs. State layout: Q upper triangle row by row (K(K+1)/2), then
/// R row-major (K M), then v (K). Holds its workspace, so one System serves one integration
/// at a time; rhs() allocates nothing.
class System {
 public:
  /// The model of cfg (its K, activations, rates); T (M x M) and v* (M) are the teacher's constant
  /// overlaps; `feedback` the fixed feedback vector b (K) of feedback alignment (null: the config's, as
  /// model::feedback_vector gives it); `sgd_noise` false
  /// drops the eta^2 terms (gradient flow on the population loss).
  System(const ModelConfig& cfg, const Eigen::MatrixXd& T, const Eigen::VectorXd& v_star,
         const Eigen::VectorXd* feedback = nullptr, bool sgd_noise = true);

  int size() const { return K_ * (K_ + 1) / 2 + K_ * M_ + K_; }
  int K() const { return K_; }
  int M() const { return M_; }
  const ModelConfig& config() const { return cfg_; }

  void pack(const Overlaps& o, double* y) const;
  Overlaps unpack(const double* y) const;

  /// dy = f(y). Threads over the (i, k) pairs when K is large enough to pay for them.
  void rhs(const double* y, double* dy);

  /// The SGD noise as a temperature at state y (docs/theory.md §7), K x K:
  /// (eta / 2) f_i f_k [sum_{c,d} u_c u_d I4(i,k,c,d) + sigma^2 J2(i,k)], eta = lr / B.
  Eigen::MatrixXd sgd_temperature(const double* y);

 private:
  void load(const double* y);  // fills C_ (covariance of all K + M fields) and u_
  void rhs_erf(double* dy);
  void rhs_generic(double* dy);
  void assemble(double* dy) const;

  ModelConfig cfg_;
  bool sgd_noise_;
  model::Rates rates_;
  Eigen::VectorXd feedback_;  // empty: backprop (f = v)
  int K_, M_, n_;
  Eigen::MatrixXd T_;
  Eigen::VectorXd v_star_;
  std::vector<std::pair<int, int>> pairs_;  // (i <= k)
  // workspace
  Eigen::MatrixXd C_;       // n x n
  Eigen::VectorXd u_;       // n: (-v, v*)
  Eigen::VectorXd ya_;      // n: scratch for the I3 sums
  Eigen::VectorXd v_;       // K
  Eigen::VectorXd f_;       // K: the feedback vector in use
  RowMatrix i3sum_;         // K x n: sum_c u_c I3(a, b, c)
  Eigen::VectorXd eta2_;    // per pair: sum_{cd} u_c u_d I4 + sigma^2 J2
  Eigen::VectorXd dv_;      // K: sum_c u_c I2(i, c)
  Eigen::MatrixXd pair_ws_; // 3n x pairs: per-pair Woodbury factors (erf path)
  Eigen::MatrixXd e1_, e2_; // K x n: E[g''(a) g(c)], E[g'(a) g'(c)] (generic path)
};

}  // namespace onlinesgd::ode

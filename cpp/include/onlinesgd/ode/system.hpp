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
/// Several teachers (§5): R has a column for every teacher row; a sample of task a has u* = v*_a on
/// teacher a's rows and 0 elsewhere, its noise sigma_a, and moves only the head it uses; a phase
/// that mixes tasks has the fraction-weighted sum of their right-hand sides.
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/model/schedule.hpp"
#include "onlinesgd/network.hpp"
#include "onlinesgd/overlaps.hpp"

namespace onlinesgd::ode {

/// Right-hand side of the ODEs. State layout: Q upper triangle row by row (K(K+1)/2), then
/// R row-major (K M), then the heads (heads x K). Holds its workspace, so one System serves one
/// integration at a time; rhs() allocates nothing.
class System {
 public:
  /// The model of cfg (its K, activations, rates); T (M x M) and v* (M) are the teacher's constant
  /// overlaps; `feedback` the fixed feedback vector b (K) of feedback alignment (null: the config's, as
  /// model::feedback_vector gives it); `sgd_noise` false
  /// drops the eta^2 terms (gradient flow on the population loss).
  System(const ModelConfig& cfg, const Eigen::MatrixXd& T, const Eigen::VectorXd& v_star,
         const Eigen::VectorXd* feedback = nullptr, bool sgd_noise = true);

  int size() const { return K_ * (K_ + 1) / 2 + K_ * M_ + H_ * K_; }
  int K() const { return K_; }
  int M() const { return M_; }
  const ModelConfig& config() const { return cfg_; }

  void pack(const Overlaps& o, double* y) const;
  Overlaps unpack(const double* y) const;

  /// The phase of the schedule whose right-hand side rhs() computes (phase 0 to begin with).
  void set_phase(int s);
  const model::Phase& phase() const { return phase_; }
  /// A switch into phase s: set_phase(s) and the switch's assignment on the state y (copy_head).
  void enter_phase(int s, double* y);

  /// dy = f(y) in the current phase. Threads over the (i, k) pairs when K is large enough to pay
  /// for them.
  void rhs(const double* y, double* dy);

  /// The SGD noise as a temperature at state y (docs/theory.md §7), K x K, for the samples of the
  /// phase's main task: (eta / 2) f_i f_k [sum_{c,d} u_c u_d I4(i,k,c,d) + sigma^2 J2(i,k)], eta = lr / B.
  Eigen::MatrixXd sgd_temperature(const double* y);

  /// eg on the current phase's training distribution, and on every task (overlaps.hpp).
  double training_error(const Overlaps& o) const { return onlinesgd::training_error(o, cfg_, phase_); }

 private:
  void load(const double* y);  // fills C_ (covariance of all K + M fields), heads_ and (generic) e1_, e2_
  void use_task(int task);     // u_, f_, v_, rates_ and active_ for the samples of `task`
  void task_rhs(double* dy);   // the right-hand side of the samples of the task in use
  void rhs_erf(double* dy);
  bool cheap_averages() const;   // every activation has closed forms (no quadrature)
  void generic_pair_averages();  // e1_, e2_ from C_
  void rhs_generic(double* dy);
  void assemble(double* dy) const;

  ModelConfig cfg_;
  bool sgd_noise_;
  model::Rates rates_;  // of the task in use
  model::Phase phase_;
  Eigen::VectorXd feedback_;  // empty: backprop (f = v)
  int K_, M_, n_, H_;
  int head_ = 0;  // the head of the task in use
  Eigen::MatrixXd T_;
  Eigen::VectorXd v_star_;
  std::vector<std::pair<int, int>> pairs_;  // (i <= k)
  // workspace
  Eigen::MatrixXd C_;            // n x n
  Eigen::VectorXd u_;            // n: (-v, u*), u* the readout of the task in use on its rows
  std::vector<int> active_;      // the fields where u can be non-zero: the student's and the task's
  Eigen::VectorXd ya_;           // n: scratch for the I3 sums
  Eigen::VectorXd heads_;        // H K: every head
  Eigen::VectorXd v_;            // K: the head in use
  std::vector<double> part_;     // size(): one task's right-hand side in a mixture
  Eigen::VectorXd f_;            // K: the feedback vector in use
  RowMatrix i3sum_;              // K x n: sum_c u_c I3(a, b, c)
  Eigen::VectorXd eta2_;         // per pair: sum_{cd} u_c u_d I4 + sigma^2 J2
  Eigen::VectorXd dv_;           // K: sum_c u_c I2(i, c)
  Eigen::MatrixXd pair_ws_;      // 3n x pairs: per-pair Woodbury factors (erf path)
  Eigen::MatrixXd e1_, e2_;      // K x n: E[g''(a) g(c)], E[g'(a) g'(c)] (generic path)
  std::vector<Activation> act_;  // n: the activation of each field
  bool cheap_ = true;
};

}  // namespace onlinesgd::ode

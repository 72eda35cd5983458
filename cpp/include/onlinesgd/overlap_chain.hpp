#pragma once
/// The overlap engine: online SGD in the teacher-student model run as the exact Markov chain of
/// the overlaps, at a cost per step that does not depend on N (docs/engines.md, with the
/// derivation under "Why it is exact"). For inputs x ~ N(0, I_N) a step needs from x only its coordinates in
/// the span S of the tracked rows (d i.i.d. normals) and |x_perp|^2 (chi-square(N - d)), and the
/// law of all later steps depends on the rows only through their Gram matrix. So the state is a
/// d x d lower-triangular factor U with U U^T = the Gram matrix / N of the d tracked rows
/// (teacher rows first, centring rows among them, then the K student rows), plus the heads.
/// Per step, for each of the B samples: z ~ N(0, I_d), fields U z, the per-sample rule of its
/// task in the current phase (model::PhaseRule, the one the weights engine calls); then the perpendicular parts of the
/// B inputs (and of the K Langevin noise vectors) as a Bartlett factor, appended as new columns, and a
/// re-triangularisation (chain/triangular.hpp). Same law as the weights engine at every N.
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/chain/gamma.hpp"
#include "onlinesgd/chain/normal_stream.hpp"
#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/phase_rule.hpp"
#include "onlinesgd/network.hpp"
#include "onlinesgd/overlaps.hpp"

namespace onlinesgd {

class OverlapChain {
 public:
  /// How a step re-triangularises: Givens rotations (O(B K^2); Auto's choice), or Householder
  /// reflections of the student block (O(K^2 (K + B)); every Langevin step, whose noise is a
  /// full rank-K update). Both give the same factor up to rounding (triangular.hpp).
  enum class Method { Auto, Householder, Givens };

  /// Draws the initial state from the weights engine's law without N-sized vectors: teacher rows
  /// N(0, 1) (or with T = Omega exactly when the teachers' overlaps are prescribed), student rows
  /// N(0, init_std^2) (a Bartlett factor of their Gram matrix), centring rows copies of the
  /// student, every head v_init, v* the teachers' readouts, the feedback vector of the seed.
  /// Throws std::invalid_argument for inputs that are not rotation invariant, float32 precision,
  /// or N below d = K + teacher rows.
  explicit OverlapChain(const ModelConfig& cfg);

  const ModelConfig& config() const { return cfg_; }
  /// d = teacher rows + K: the tracked rows, the size of the factor.
  int dim() const { return static_cast<int>(U_.rows()); }
  /// The factor U (d x d, lower triangular): U U^T = [[T, R^T], [R, Q]].
  Eigen::MatrixXd factor() const { return U_.leftCols(dim()); }
  /// Restores a factor bit for bit (checkpoints). Throws std::invalid_argument unless d x d,
  /// finite and lower triangular.
  void set_factor(const Eigen::MatrixXd& U);
  /// Starts from given overlaps Q (K x K), R (K x teacher rows), T (teacher rows square): their
  /// Gram matrix must be symmetric positive semi-definite (rank-deficient is fine, e.g. a
  /// student equal to its teacher). Throws std::invalid_argument naming the failed check.
  void set_overlaps(const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, const Eigen::MatrixXd& T);
  /// Every head (heads x K values, head h at h K; one head unless multi-head).
  const Eigen::VectorXd& heads() const { return v_; }
  /// The head the current phase trains (its main task's).
  Eigen::VectorXd active_head() const;
  const Eigen::VectorXd& v_star() const { return v_star_; }
  /// Sets every head (K values: all heads alike; or heads x K) and the teachers' readouts.
  void set_heads(const Eigen::VectorXd& v, const Eigen::VectorXd& v_star);
  /// The phase of the schedule that the next step belongs to (model/schedule.hpp).
  int phase() const { return model::phase_at_step(cfg_, steps_); }
  /// The fixed feedback vector b of feedback alignment (K); empty for backprop.
  const Eigen::VectorXd& feedback() const { return feedback_; }
  void set_method(Method m) { method_ = m; }
  Method method() const { return method_; }

  std::uint64_t steps() const { return steps_; }
  /// Restores the step counter: the random streams are keyed by it (normal_stream.hpp).
  void set_steps(std::uint64_t steps) { steps_ = steps; }
  /// Samples seen / N.
  double time() const { return static_cast<double>(steps_) * cfg_.batch / static_cast<double>(cfg_.N); }
  bool diverged() const { return diverged_; }

  /// Performs up to n steps; fewer means a step diverged (it is not applied, diverged() turns
  /// true). Single-threaded: replicas run one per thread (advance_chains).
  std::uint64_t advance(std::uint64_t n);

  /// Q, R, T, every head (Overlaps::v) and v*.
  Overlaps overlaps() const;
  /// eg on the current phase's training distribution (eg with one teacher).
  double generalisation_error() const;
  /// eg on every task with the head it uses.
  std::vector<double> task_errors() const;

  /// Normals one step consumes (normal_stream.hpp): B (d + [sigma > 0]) for the samples and
  /// their label noise, the Bartlett factor's m first attempts and sub-diagonal entries, and
  /// K d for the Langevin noise's coordinates in S.
  std::uint64_t normals_per_step() const { return per_step_; }

 private:
  bool step(const model::PhaseRule& phase);
  void init_teachers_with_overlaps();
  void factor_gram(const Eigen::MatrixXd& G);
  /// The student block after the samples' updates and the new directions, brought back to
  /// lower triangular form (the two methods of Method).
  void compress_householder(double decay, double noise);
  void compress_givens(double decay);
  bool use_givens() const;

  ModelConfig cfg_;
  double inv_sqrt_n_;
  int K_, Mt_, B_, H_, noise_rows_;  // H_: heads; noise_rows_: K with Langevin noise, else 0
  bool label_noise_;                 // some task has label noise: every sample draws one normal for it
  int m_;                            // columns appended per step: min(B + noise_rows, N - d)
  // d x (d + m), column-major (a column rotation is two contiguous runs): the factor, then m
  // columns kept zero between steps, where a step's new directions are folded in (Givens)
  Eigen::MatrixXd U_;
  Eigen::VectorXd v_, v_star_, feedback_;
  std::uint64_t steps_ = 0;
  bool diverged_ = false;
  Method method_ = Method::Auto;
  std::uint64_t per_step_ = 0;
  std::vector<chain::GammaSampler> chi_;  // chi-square(N - d - j) / 2 for the Bartlett diagonal j
  chain::NormalStream normals_;
  // per-step scratch, sized once
  Eigen::MatrixXd Z_;     // d x B: the samples' coordinates in S
  Eigen::MatrixXd C_;     // K x B: their update coefficients / sqrt(N)
  Eigen::MatrixXd Bart_;  // (B + noise_rows) x m Bartlett factor of the perpendicular parts
  Eigen::MatrixXd Xi_;    // K x d Langevin noise coordinates in S
  Eigen::MatrixXd Wz_;    // (K + m) x B: the samples' coordinates in the student block and
                          // along the new directions (Givens)
  RowMatrix A_;           // K x (K + m): the student block to reflect (Householder)
  std::vector<double> work_;
  std::vector<double*> others_;
  Eigen::VectorXd fields_, raw_, coef_, dv_;  // dv_: every head's change in a step
  std::vector<int> used_;                     // samples of the step per head
};

/// Advances every chain by n steps, one chain per thread (a chain is small: no threading along
/// anything inside it). Each chain's draws depend on its seed and step count only, so results
/// are the same for any thread count. Returns the steps each did (fewer than n: it diverged).
std::vector<std::uint64_t> advance_chains(const std::vector<OverlapChain*>& chains, std::uint64_t n);

}  // namespace onlinesgd

#pragma once
/// Teacher, student, the random streams and the step loop. Time t = samples / N.
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/schedule.hpp"
#include "onlinesgd/fast_step.hpp"
#include "onlinesgd/network.hpp"
#include "onlinesgd/overlaps.hpp"
#include "onlinesgd/step.hpp"
#include "onlinesgd/teacher_frame.hpp"

namespace onlinesgd {

class Simulator {
 public:
  /// Draws the teachers (rows i.i.d. N(0, 1), or with prescribed overlaps, model/teachers.hpp;
  /// readout teacher_v or as the config says) and the student (rows i.i.d. N(0, init_std^2), every
  /// head v = v_init) from the config's seed.
  explicit Simulator(const ModelConfig& cfg);

  const ModelConfig& config() const { return cfg_; }
  /// The networks in double, in the input basis (a copy, widened from float in float32
  /// precision, and rotated back from the teacher frame when the run uses it).
  TwoLayerNet student() const;
  TwoLayerNet teacher() const;
  /// Every head (heads x K, head h at h K; one head unless multi-head).
  const Eigen::VectorXd& v() const { return student_.v; }
  /// Every head (heads x K values, head h at h K): v(), named as the overlap engine names it.
  const Eigen::VectorXd& heads() const { return student_.v; }
  /// The head the current phase trains (of its main task).
  Eigen::VectorXd active_head() const;
  const Eigen::VectorXd& v_star() const { return teacher_.v; }
  /// Replaces the weights (shapes must match the config, v holding every head; checked by the
  /// caller; rounded to float in float32 precision). A new teacher rebuilds the teacher frame and carries the
  /// student over into it.
  void set_student(const RowMatrix& W, const Eigen::VectorXd& v);
  void set_teacher(const RowMatrix& B, const Eigen::VectorXd& v_star);

  /// Whether the student is stored in the teacher frame (teacher_frame.hpp).
  bool in_teacher_frame() const { return !frame_.empty(); }
  /// The student's first layer as stored (W O in the teacher frame, else W), widened to double;
  /// set_stored_W restores it bit for bit (checkpoints), given the same teacher.
  RowMatrix stored_W() const;
  void set_stored_W(const RowMatrix& W);
  /// The input x of one sample (step s uses samples s B .. s B + B - 1) in the input basis, as
  /// advance() steps on it, widened to double.
  Eigen::VectorXd input(std::uint64_t sample) const;

  std::uint64_t steps() const { return steps_; }
  /// The phase of the schedule the next step belongs to (model/schedule.hpp).
  int phase() const { return model::phase_at_step(cfg_, steps_); }
  /// Samples seen / N.
  double time() const { return static_cast<double>(steps_) * cfg_.batch / static_cast<double>(cfg_.N); }
  /// Restores the step counter (resuming a checkpoint: inputs are keyed by the sample index).
  /// Drops the carried fields, which belong to the old count.
  void set_steps(std::uint64_t steps) {
    steps_ = steps;
    carry_.clear();
  }
  /// After an odd number of online steps, the raw fields of the next step (the second of a pair,
  /// fast_step.hpp), carried between advance() calls; empty otherwise or when the weights were
  /// set since. Checkpoints save and restore them (after set_steps) to resume bit for bit.
  const std::vector<double>& carry() const { return carry_; }
  void set_carry(std::vector<double> carry) { carry_ = std::move(carry); }
  bool diverged() const { return diverged_; }

  /// Performs up to n steps with inputs drawn from the seed. Returns the number done; fewer
  /// than n means the weights diverged (the step that would have produced non-finite values
  /// is not applied and diverged() becomes true). Steps of different phases go in separate calls
  /// of the engine; reaching a phase's first step makes its switch's assignment (copy_head).
  /// `threads` = 0 picks the number of threads along N from the config (step_threads).
  std::uint64_t advance(std::uint64_t n, int threads = 0);

  /// One step on given inputs (B x N) and standard-normal label noises (B), and at a positive
  /// temperature the Langevin noise xi (K x N standard normals; null: this step's from the
  /// stream, weight_noise(steps())). Returns false on divergence. Does not touch the random
  /// streams; counts as a step. Exact double math (step.hpp); in float32 precision the weights
  /// are widened, stepped and rounded back.
  bool step_on(const RowMatrix& X, const Eigen::VectorXd& zeta, const RowMatrix* xi = nullptr);
  /// Steps on given input rows (row_stepper.cpp): rows / batch steps on X (rows x N, row stride
  /// ld, float or double) in order, with the labels given (one per row) or, when null, the
  /// teacher's, with label noise from the Labels stream as advance() draws it. Online steps run a
  /// fused loop on the stored weights (one pass per step, fixed-lane sums); minibatches and
  /// Langevin noise the reference step (step.hpp; in float32 precision the weights are rounded
  /// after each step). Either way the result does not depend on how the rows are cut into calls
  /// or on the thread count. Returns the steps done; fewer than rows / batch: diverged. Throws
  /// std::invalid_argument for a run in the teacher frame (rows are in the input basis).
  template <class In>
  std::uint64_t advance_rows(const In* X, std::int64_t ld, std::uint64_t rows, const double* labels);
  /// The standard-normal Langevin noise Xi (K x N, input basis) that step `step` adds, scaled by
  /// sqrt(2 eta T / N), at a positive temperature (rng.hpp, WeightNoise), widened to double.
  RowMatrix weight_noise(std::uint64_t step) const;
  /// The fixed feedback vector b of feedback alignment (K); empty for backprop.
  const Eigen::VectorXd& feedback() const { return feedback_; }
  void set_feedback(const Eigen::VectorXd& b) {
    feedback_ = b;
    carry_.clear();
  }

  /// Q, R, T, every head (v) and v_star.
  Overlaps overlaps() const;
  /// The error on the current phase's training distribution (eg with one teacher).
  double generalisation_error() const;
  /// eg on every task with the head it uses.
  std::vector<double> task_errors() const;

 private:
  bool is_float() const { return cfg_.precision == Precision::Float32; }
  /// After steps that ended on a phase's first step: that switch's assignment on the heads.
  void after_steps();

  ModelConfig cfg_;
  std::int64_t ld_;
  /// The student's first layer with the kernel's storage type (in the frame when it is used).
  template <class Matrix>
  void store_student(Matrix W);

  // float64: everything lives here. float32: only v and v_star here, the first layers in Wf_, Bf_.
  // The student's first layer is stored in the teacher frame when frame_ is not empty. First
  // layers have ld_ >= N columns (N rounded up to whole 64-byte lines, the rest zero), so that
  // every row starts on a cache line: the kernels' 512-bit accesses then never straddle two.
  TwoLayerNet teacher_, student_;
  RowMatrixF Wf_, Bf_;
  TeacherFrame frame_;
  FastStepper<double> fast_d_;
  FastStepper<float> fast_f_;
  std::uint64_t steps_ = 0;
  std::vector<double> carry_;
  bool diverged_ = false;
  Eigen::VectorXd feedback_;  // b for feedback alignment, else empty
  const Eigen::VectorXd* fixed_feedback() const { return feedback_.size() ? &feedback_ : nullptr; }
};

}  // namespace onlinesgd

namespace onlinesgd {

/// Advances every simulator by n steps (they share one configuration up to the seed). Small
/// problems run one replica per thread (no per-step barrier); large ones run one replica
/// after another, each threaded along N. Results do not depend on the thread count either
/// way. Returns the steps each one did (fewer than n: it diverged).
std::vector<std::uint64_t> advance_replicas(const std::vector<Simulator*>& sims, std::uint64_t n);

}  // namespace onlinesgd

#pragma once
/// Teacher, student, the random streams and the step loop. Time t = samples / N.
#include <cstdint>

#include <Eigen/Dense>

#include "onlinesgd/config.hpp"
#include "onlinesgd/network.hpp"
#include "onlinesgd/overlaps.hpp"
#include "onlinesgd/step.hpp"

namespace onlinesgd {

class Simulator {
 public:
  /// Draws the teacher (rows i.i.d. N(0, 1), v* = teacher_v) and the student (rows
  /// i.i.d. N(0, init_std^2), v = v_init) from the config's seed.
  explicit Simulator(const ModelConfig& cfg);

  const ModelConfig& config() const { return cfg_; }
  const TwoLayerNet& student() const { return student_; }
  const TwoLayerNet& teacher() const { return teacher_; }
  /// Replaces the weights (shapes must match the config; checked by the caller).
  void set_student(const RowMatrix& W, const Eigen::VectorXd& v);
  void set_teacher(const RowMatrix& B, const Eigen::VectorXd& v_star);

  std::uint64_t steps() const { return steps_; }
  /// Samples seen / N.
  double time() const { return static_cast<double>(steps_) * cfg_.batch / static_cast<double>(cfg_.N); }
  /// Restores the step counter (resuming a checkpoint: inputs are keyed by the sample index).
  void set_steps(std::uint64_t steps) { steps_ = steps; }
  bool diverged() const { return diverged_; }

  /// Performs up to n steps with inputs drawn from the seed. Returns the number done; fewer
  /// than n means the weights diverged (the step that would have produced non-finite values
  /// is not applied and diverged() becomes true).
  std::uint64_t advance(std::uint64_t n);

  /// One step on given inputs (B x N) and standard-normal label noises (B). Returns false
  /// on divergence. Does not touch the random streams; counts as a step.
  bool step_on(const RowMatrix& X, const Eigen::VectorXd& zeta);

  Overlaps overlaps() const;
  double generalisation_error() const;

 private:
  void draw_inputs(std::uint64_t step);

  ModelConfig cfg_;
  TwoLayerNet teacher_, student_;
  StepWorkspace ws_;
  std::uint64_t steps_ = 0;
  bool diverged_ = false;
};

}  // namespace onlinesgd

#pragma once
/// The reference SGD step for a minibatch of B samples, in plain double matrix algebra: the local
/// fields lambda = W x / sqrt(N), nu = B* x / sqrt(N), then per sample the rule of its task in the
/// phase (model/phase_rule.hpp, which the fast engine applies too), W <- decay_w W + sum_b coef_b
/// x_b^T + noise_w xi, and each head its samples' changes. Both updates use the weights from
/// before the step. Used by Simulator::step_on (a step on given inputs) and as the tests' C++ reference.
#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/phase_rule.hpp"
#include "onlinesgd/network.hpp"

namespace onlinesgd {

/// Buffers for one step, sized once so the loop never allocates.
struct StepWorkspace {
  RowMatrix X;           ///< B x N inputs
  RowMatrix fields;      ///< B x (K + M) local fields, student's first
  Eigen::VectorXd v;     ///< heads x K: the heads before the step
  RowMatrix D;           ///< B x K first-layer update coefficients
  Eigen::VectorXd dv;    ///< heads x K second-layer update
  Eigen::VectorXd zeta;  ///< B standard normal label noises
  RowMatrix xi;          ///< K x N standard-normal Langevin noise (read only at a positive temperature)

  void resize(int batch, Eigen::Index N, int K, int M) {
    X.resize(batch, N);
    fields.resize(batch, K + M);
    v.resize(K);
    D.resize(batch, K);
    dv.resize(K);
    zeta.setZero(batch);
  }
};

/// Applies one step with the inputs in ws.X and noises in ws.zeta; student.v holds every head.
/// Returns false, leaving the weights untouched, when a local field or error is not finite
/// (divergence). `feedback`: the fixed feedback vector, or null for backprop; `phase`: the rule of
/// the phase the step belongs to; `first_sample`: the index of the step's first sample (it draws
/// the task of each sample of a mixture); `labels`: null (the teacher's labels), or B given labels
/// y_b that replace them (the user's data, Gaussian mixtures: Rule::sample_label).
bool sgd_step(TwoLayerNet& student, const TwoLayerNet& teacher, const Eigen::VectorXd* feedback,
              const model::PhaseRule& phase, std::uint64_t first_sample, StepWorkspace& ws,
              const double* labels = nullptr);

}  // namespace onlinesgd

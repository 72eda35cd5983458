#pragma once
/// The reference SGD step for a minibatch of B samples, in plain double matrix algebra: the local
/// fields lambda = W x / sqrt(N), nu = B* x / sqrt(N), then model::Rule per sample (the rule the
/// fast engine applies too), W <- decay_w W + sum_b coef_b x_b^T + noise_w xi. Both updates use the
/// weights from before the step. Used by Simulator::step_on (a step on given inputs) and as the tests' C++ reference.
#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/network.hpp"

namespace onlinesgd {

/// Buffers for one step, sized once so the loop never allocates.
struct StepWorkspace {
  RowMatrix X;            ///< B x N inputs
  RowMatrix fields;       ///< B x (K + M) local fields, student's first
  Eigen::VectorXd v;      ///< K: the head before the step
  RowMatrix D;            ///< B x K first-layer update coefficients
  Eigen::VectorXd dv;     ///< K second-layer update
  Eigen::VectorXd zeta;   ///< B standard normal label noises
  RowMatrix xi;           ///< K x N standard-normal Langevin noise (read only at a positive temperature)

  void resize(int batch, Eigen::Index N, int K, int M) {
    X.resize(batch, N);
    fields.resize(batch, K + M);
    v.resize(K);
    D.resize(batch, K);
    dv.resize(K);
    zeta.setZero(batch);
  }
};

/// Applies one step with the inputs in ws.X and noises in ws.zeta. Returns false, leaving
/// the weights untouched, when a local field or error is not finite (divergence).
/// `feedback`: the fixed feedback vector, or null for backprop.
bool sgd_step(TwoLayerNet& student, const TwoLayerNet& teacher, const Eigen::VectorXd* feedback,
              const ModelConfig& cfg, StepWorkspace& ws);

}  // namespace onlinesgd

#pragma once
/// The online SGD step for a minibatch of B samples (THEORY.md conventions):
///   lambda = W x / sqrt(N), nu = B* x / sqrt(N), Delta = phi(x) - phi*(x) - sigma zeta,
///   w_k -= eta / (sqrt(N) B) sum_b f_k g'(lambda_bk) Delta_b x_b,
///   v_k -= eta_v / (N B)     sum_b g(lambda_bk) Delta_b,
/// where f is the feedback vector: v itself for backprop, a fixed vector for feedback
/// alignment. Both updates use the weights from before the step.
#include <Eigen/Dense>

#include "onlinesgd/config.hpp"
#include "onlinesgd/network.hpp"

namespace onlinesgd {

/// Buffers for one step, sized once so the loop never allocates.
struct StepWorkspace {
  RowMatrix X;            ///< B x N inputs
  RowMatrix lambda;       ///< B x K student local fields
  RowMatrix nu;           ///< B x M teacher local fields
  RowMatrix D;            ///< B x K first-layer update coefficients
  Eigen::VectorXd dv;     ///< K second-layer update
  Eigen::VectorXd zeta;   ///< B standard normal label noises

  void resize(int batch, Eigen::Index N, int K, int M) {
    X.resize(batch, N);
    lambda.resize(batch, K);
    nu.resize(batch, M);
    D.resize(batch, K);
    dv.resize(K);
    zeta.setZero(batch);
  }
};

/// Applies one step with the inputs in ws.X and noises in ws.zeta. Returns false, leaving
/// the weights untouched, when a local field or error is not finite (divergence).
bool sgd_step(TwoLayerNet& student, const TwoLayerNet& teacher, const Eigen::VectorXd& feedback,
              const ModelConfig& cfg, StepWorkspace& ws);

}  // namespace onlinesgd

#pragma once
/// The averages the hidden manifold model's per-mode ODE needs (THEORY-DATA 0, 1.4;
/// docs/hidden_manifold.md), at the macroscopic (Q, R, T, v, v*) of a single-teacher backprop model.
/// With E_k = v_k g'(lambda_k) sum_c u_c g(phi_c), u = (-v, v*), and any Gaussian X jointly with the
/// fields phi = (lambda, nu) of covariance C, E[E_k X] = sum_a Cov(X, phi_a) G[k, a]. Taking X = phi_b
/// gives v_k sum_c u_c I3(k, b, c) = (G C)[k, b], so G = (v o I3sum) C^-1: the same I3 as the i.i.d. ODE.
#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/overlaps.hpp"

namespace onlinesgd::ode {

struct ManifoldDrift {
  Eigen::MatrixXd A;   ///< K x K: eta G[:, :K], eta = lr / batch (the rule's rate per unit t)
  Eigen::MatrixXd B;   ///< K x M: eta G[:, K:]
  Eigen::MatrixXd EE;  ///< K x K: eta^2 v_k v_l [sum_cd u_c u_d I4(k,l,c,d) + sigma^2 J2(k,l)]
  Eigen::VectorXd dv;  ///< K: eta_v sum_c u_c I2(k, c) (0 with a frozen head)
  double eg;           ///< the generalisation error at (Q, R, T, v, v*)
};

ManifoldDrift manifold_drift(const ModelConfig& cfg, const Overlaps& o);

}  // namespace onlinesgd::ode

#pragma once
/// Weighted sums over points of a Gaussian of non-zero mean, lambda_i = m + L z_i, that the
/// Gaussian-mixture ODE's averages reduce to when they are not in closed form
/// (python/onlinesgd/mixture_averages.py): a quadrature rule or fixed Monte Carlo points z_i
/// with weights w_i. One pass over the points, no temporaries, summed in order (deterministic).
#include <Eigen/Dense>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/network.hpp"

namespace onlinesgd::gaussian {

/// With phi = sum_k v_k g(lambda_k), r = ybar - phi and sq = 1 - 2 ybar phi + phi^2:
struct PointSums {
  Eigen::VectorXd dg_r;   ///< sum w g'(lambda_k) r                       (K)
  Eigen::MatrixXd dg_rd;  ///< sum w g'(lambda_k) r (lambda_l - m_l)      (K x K)
  Eigen::MatrixXd dg_sq;  ///< sum w g'(lambda_k) g'(lambda_l) sq          (K x K)
  Eigen::VectorXd g_r;    ///< sum w g(lambda_k) r                        (K)
  double sq = 0.0;        ///< sum w sq
  double wrong = 0.0;     ///< sum w [y phi < 0] (+ w / 2 where phi = 0): the classification error
};

/// The sums for activation g over the points z (n x K) with weights w (n), mean m (K), factor L
/// (K x K, L L^T the covariance), head v, mean label ybar and true label y.
PointSums point_sums(Activation g, const RowMatrix& z, const Eigen::VectorXd& w, const Eigen::VectorXd& m,
                     const Eigen::MatrixXd& L, const Eigen::VectorXd& v, double ybar, double y);

}  // namespace onlinesgd::gaussian

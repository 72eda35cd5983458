#pragma once
/// The Gaussian-mixture ODE's averages over one cluster for a ReLU student, exact: with
/// g = x th(x), g' = th(x), every average is a sum of moments E[prod x^d th(x)] of at most four
/// of the fields, which Stein's lemma takes down to non-centred orthant probabilities
/// (normal_cdf.hpp). Deterministic, ~1e-12 (tests/test_mixture_relu.py).
#include <Eigen/Dense>

#include "onlinesgd/gaussian/point_sums.hpp"

namespace onlinesgd::gaussian {

/// The sums of point_sums() (without `wrong`) as exact averages over lambda ~ N(m, S), for the
/// head v and mean label ybar.
PointSums relu_cluster_averages(const Eigen::VectorXd& m, const Eigen::MatrixXd& S, const Eigen::VectorXd& v,
                                double ybar);

}  // namespace onlinesgd::gaussian

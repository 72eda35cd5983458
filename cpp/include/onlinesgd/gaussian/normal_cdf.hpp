#pragma once
/// Distribution functions of standard normal vectors with n <= 4 components, deterministic and
/// accurate to ~1e-12 (tests/test_normal_cdf.py): the non-centred orthant probabilities of the
/// Gaussian-mixture ODE with ReLU, P(lambda > 0) for lambda ~ N(m, S) = mvn_cdf(m / sd, corr(S)).
namespace onlinesgd::gaussian {

/// Phi(h), the standard normal distribution function.
double normal_cdf(double h);

/// P(X < h, Y < k) for standard normals of correlation r in [-1, 1]: Drezner and Wesolowsky's
/// integral in the angle with Genz's expansion near |r| = 1 (Genz, Stat. Comput. 14, 2004).
double bvn_cdf(double h, double k, double r);

/// P(Z_i < h_i, i < n) for Z ~ N(0, R), n <= 4, R a correlation matrix (row-major, stride 4):
/// n <= 2 directly; n = 3, 4 by Plackett's identity, the derivative of the distribution function
/// along a path from a block-diagonal R0 to R, integrated adaptively.
double mvn_cdf(int n, const double* h, const double (*R)[4]);

}  // namespace onlinesgd::gaussian

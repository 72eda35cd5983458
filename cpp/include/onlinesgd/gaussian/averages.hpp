#pragma once
/// Gaussian averages of the ODE beyond I2 (docs/theory.md §2):
///   J2(a,b) = E[g_a'(a) g_b'(b)],  I3(a,b,c) = E[g_a'(a) b g_c(c)],
///   I4(a,b,c,d) = E[g_a'(a) g_b'(b) g_c(c) g_d(d)],
/// for zero-mean jointly Gaussian variables with covariance C, each variable with its own
/// activation (student fields use the student's, teacher fields the teacher's).
/// How each is computed:
///  - erf on the differentiated variables: g'(x) = sqrt(2/pi) exp(-x^2/2) is a Gaussian
///    weight, so the average is a Gaussian normalisation times an I2 (or a mean) under a
///    rank-1/2 updated covariance (Woodbury). This gives the Saad-Solla closed forms for
///    erf-erf and exact reductions to i2() for an erf student with any teacher.
///  - ReLU and linear only: Stein's lemma / orthant-probability recursion (exact, relu.hpp).
///  - anything else: Gauss-Hermite quadrature after Cholesky (quadrature.hpp), with the
///    kinked (ReLU) variables integrated analytically or on split rules.
/// Variables that coincide (equal variances and covariance, same activation) are merged
/// before the recursion or quadrature, so singular covariances from i = k are exact.
#include <Eigen/Dense>

#include "onlinesgd/activation.hpp"

namespace onlinesgd::gaussian {

/// E[g_a'(a) g_b'(b)].
double j2(Activation ga, Activation gb, double caa, double cbb, double cab);

/// E[g_a''(a) g_c(c)] (for ReLU g'' is the delta function). With J2 it gives I3 by
/// Gaussian integration by parts: I3(a,b,c) = C_ab E[g''(a) g(c)] + C_bc E[g'(a) g'(c)].
double e_d2g_g(Activation ga, Activation gc, double caa, double ccc, double cac);

/// E[g_c(c)] for c ~ N(0, ccc).
double mean_g(Activation gc, double ccc);

/// I3(a,b,c) = E[g_a'(a) b g_c(c)]; C is the covariance of (a, b, c). b enters linearly.
double i3(Activation ga, Activation gc, const Eigen::Matrix3d& C);

/// I4(a,b,c,d) = E[g_a'(a) g_b'(b) g_c(c) g_d(d)]; C is the covariance of (a, b, c, d).
double i4(Activation ga, Activation gb, Activation gc, Activation gd, const Eigen::Matrix4d& C);

/// P(x_1 > 0, ..., x_n > 0) for n <= 4 zero-mean Gaussian variables (C row-major, stride 4):
/// closed forms for n <= 3, Plackett's identity with 16-point Gauss-Legendre for n = 4.
double orthant_probability(int n, const double (*C)[4]);

}  // namespace onlinesgd::gaussian

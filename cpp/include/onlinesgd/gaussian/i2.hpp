#pragma once
/// I2(a, b) = E[g_a(a) g_b(b)] for zero-mean Gaussian (a, b) with covariance
/// [[caa, cab], [cab, cbb]] (docs/theory.md §2).
/// Closed forms for erf, linear and ReLU pairs; a linear partner reduces to a 1-D average
/// by Stein's lemma; a ReLU partner b to a half-line average over b of the smooth
/// E[g(a) | b]; two smooth activations to a nested trapezoid rule (quadrature.hpp) after a
/// Cholesky factorisation. Quadrature paths are accurate to ~1e-9 (tests/test_overlaps_eg.py).
#include <algorithm>
#include <cmath>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/gaussian/quadrature.hpp"

namespace onlinesgd::gaussian {

/// E[g(mu + s Z)] for smooth g (closed form for erf and linear).
inline double mean_g_shifted(Activation g, double mu, double s) {
  if (g == Activation::Erf) return std::erf(mu / std::sqrt(2.0 * (1.0 + s * s)));
  if (g == Activation::Linear) return mu;
  return expect_smooth(s, [&](double z) { return act_g(g, mu + s * z); });
}

/// E[g'(a)] for a ~ N(0, caa).
inline double mean_dg(Activation g, double caa) {
  switch (g) {
    case Activation::Erf:
      return kSqrt2OverPi / std::sqrt(1.0 + caa);
    case Activation::Relu:
      return caa > 0.0 ? 0.5 : 0.0;
    case Activation::Linear:
      return 1.0;
    default:
      break;
  }
  const double s = std::sqrt(std::max(caa, 0.0));
  return expect_smooth(s, [&](double z) { return act_dg(g, s * z); });
}

inline double i2_relu_relu(double caa, double cbb, double cab) {
  if (caa <= 0.0 || cbb <= 0.0) return 0.0;
  const double sa = std::sqrt(caa), sb = std::sqrt(cbb);
  const double rho = std::clamp(cab / (sa * sb), -1.0, 1.0);
  return sa * sb / (2.0 * kPi) * (std::sqrt(1.0 - rho * rho) + rho * (0.5 * kPi + std::asin(rho)));
}

/// E[g(a) (b)_+] with g smooth: b = sb u, and a | b ~ N(cab / cbb b, caa - cab^2 / cbb).
inline double i2_smooth_relu(Activation ga, double caa, double cbb, double cab) {
  if (cbb <= 0.0) return 0.0;
  const double sb = std::sqrt(cbb);
  const double slope = cab / cbb;
  const double s_cond = std::sqrt(std::max(caa - cab * cab / cbb, 0.0));
  return sb * expect_positive([&](double u) { return u * mean_g_shifted(ga, slope * sb * u, s_cond); });
}

/// E[g_a(a) g_b(b)] with both smooth: a = l11 z1, b = l21 z1 + l22 z2.
inline double i2_smooth_smooth(Activation ga, Activation gb, double caa, double cbb, double cab) {
  const double l11 = std::sqrt(std::max(caa, 0.0));
  const double l21 = l11 > 0.0 ? cab / l11 : 0.0;
  const double l22 = std::sqrt(std::max(cbb - l21 * l21, 0.0));
  return expect_smooth(std::max(l11, std::abs(l21)),
                       [&](double z1) { return act_g(ga, l11 * z1) * mean_g_shifted(gb, l21 * z1, l22); });
}

/// I2 for any pair of activations.
inline double i2(Activation ga, Activation gb, double caa, double cbb, double cab) {
  using A = Activation;
  if (ga == A::Erf && gb == A::Erf) return 2.0 / kPi * std::asin(cab / std::sqrt((1.0 + caa) * (1.0 + cbb)));
  if (ga == A::Linear) return cab * mean_dg(gb, cbb);  // Stein: E[a g(b)] = C_ab E[g'(b)]
  if (gb == A::Linear) return cab * mean_dg(ga, caa);
  if (ga == A::Relu && gb == A::Relu) return i2_relu_relu(caa, cbb, cab);
  if (gb == A::Relu) return i2_smooth_relu(ga, caa, cbb, cab);
  if (ga == A::Relu) return i2_smooth_relu(gb, cbb, caa, cab);
  return i2_smooth_smooth(ga, gb, caa, cbb, cab);
}

}  // namespace onlinesgd::gaussian

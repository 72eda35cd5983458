#pragma once
/// I2(a, b) = E[g_a(a) g_b(b)] for zero-mean Gaussian (a, b) with covariance
/// [[caa, cab], [cab, cbb]] (THEORY.md, "Averages over the local fields").
/// Closed forms for erf, linear and ReLU pairs; a linear partner reduces to a 1-D average
/// by Stein's lemma; a ReLU partner to a 1-D average after conditioning on the other
/// variable; any other pair is a 2-D Gauss-Hermite rule after a Cholesky factorisation.
#include <algorithm>
#include <cmath>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/gaussian/hermite.hpp"

namespace onlinesgd::gaussian {

inline constexpr int kHermitePoints = 48;

/// E[g'(a)] for a ~ N(0, caa).
inline double mean_dg(Activation g, double caa) {
  switch (g) {
    case Activation::Erf: return kSqrt2OverPi / std::sqrt(1.0 + caa);
    case Activation::Relu: return caa > 0.0 ? 0.5 : 0.0;
    case Activation::Linear: return 1.0;
    default: break;
  }
  const auto& gh = gauss_hermite<kHermitePoints>();
  const double s = std::sqrt(std::max(caa, 0.0));
  double acc = 0.0;
  for (std::size_t i = 0; i < gh.z.size(); ++i) acc += gh.w[i] * act_dg(g, s * gh.z[i]);
  return acc;
}

/// E[(mu + s Z)_+] for Z ~ N(0, 1): the ReLU mean of a shifted Gaussian.
inline double relu_mean(double mu, double s) {
  if (s <= 0.0) return mu > 0.0 ? mu : 0.0;
  const double u = mu / s;
  return mu * 0.5 * std::erfc(-u / kSqrt2) + s * std::exp(-0.5 * u * u) / std::sqrt(2.0 * kPi);
}

inline double i2_relu_relu(double caa, double cbb, double cab) {
  if (caa <= 0.0 || cbb <= 0.0) return 0.0;
  const double sa = std::sqrt(caa), sb = std::sqrt(cbb);
  const double rho = std::clamp(cab / (sa * sb), -1.0, 1.0);
  return sa * sb / (2.0 * kPi) * (std::sqrt(1.0 - rho * rho) + rho * (0.5 * kPi + std::asin(rho)));
}

/// E[g(a) (b)_+]: b | a is Gaussian, and E[(b)_+ | a] is smooth in a.
inline double i2_any_relu(Activation ga, double caa, double cbb, double cab) {
  const auto& gh = gauss_hermite<kHermitePoints>();
  if (caa <= 0.0) return act_g(ga, 0.0) * relu_mean(0.0, std::sqrt(std::max(cbb, 0.0)));
  const double sa = std::sqrt(caa);
  const double slope = cab / caa;
  const double s_cond = std::sqrt(std::max(cbb - cab * cab / caa, 0.0));
  double acc = 0.0;
  for (std::size_t i = 0; i < gh.z.size(); ++i) {
    const double a = sa * gh.z[i];
    acc += gh.w[i] * act_g(ga, a) * relu_mean(slope * a, s_cond);
  }
  return acc;
}

inline double i2_quadrature(Activation ga, Activation gb, double caa, double cbb, double cab) {
  const auto& gh = gauss_hermite<kHermitePoints>();
  const double l11 = std::sqrt(std::max(caa, 0.0));
  const double l21 = l11 > 0.0 ? cab / l11 : 0.0;
  const double l22 = std::sqrt(std::max(cbb - l21 * l21, 0.0));
  double acc = 0.0;
  for (std::size_t i = 0; i < gh.z.size(); ++i) {
    const double a = l11 * gh.z[i];
    const double ga_val = act_g(ga, a);
    double inner = 0.0;
    for (std::size_t j = 0; j < gh.z.size(); ++j) inner += gh.w[j] * act_g(gb, l21 * gh.z[i] + l22 * gh.z[j]);
    acc += gh.w[i] * ga_val * inner;
  }
  return acc;
}

/// I2 for any pair of activations.
inline double i2(Activation ga, Activation gb, double caa, double cbb, double cab) {
  using A = Activation;
  if (ga == A::Erf && gb == A::Erf)
    return 2.0 / kPi * std::asin(cab / std::sqrt((1.0 + caa) * (1.0 + cbb)));
  if (ga == A::Linear) return cab * mean_dg(gb, cbb);  // Stein: E[a g(b)] = C_ab E[g'(b)]
  if (gb == A::Linear) return cab * mean_dg(ga, caa);
  if (ga == A::Relu && gb == A::Relu) return i2_relu_relu(caa, cbb, cab);
  if (gb == A::Relu) return i2_any_relu(ga, caa, cbb, cab);
  if (ga == A::Relu) return i2_any_relu(gb, cbb, caa, cab);
  return i2_quadrature(ga, gb, caa, cbb, cab);
}

}  // namespace onlinesgd::gaussian

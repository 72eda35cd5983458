#pragma once
/// Gauss-Legendre rules on [0, 1]: integral_0^1 f(u) du ~ sum_i w_i f(u_i).
#include <cmath>
#include <vector>

#include "onlinesgd/activation.hpp"

namespace onlinesgd::gaussian {

struct GaussLegendre {
  std::vector<double> u;  ///< nodes in (0, 1)
  std::vector<double> w;  ///< weights, summing to 1
};

/// Newton iteration on P_n from the Chebyshev-like initial guesses (exact to round-off).
inline GaussLegendre make_gauss_legendre(int n) {
  GaussLegendre rule;
  rule.u.resize(n);
  rule.w.resize(n);
  for (int i = 0; i < n; ++i) {
    double x = std::cos(kPi * (i + 0.75) / (n + 0.5)), dp = 1.0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1.0);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-16) break;
    }
    rule.u[i] = 0.5 * (1.0 - x);
    rule.w[i] = 1.0 / ((1.0 - x * x) * dp * dp);  // 2/((1-x^2) P'^2), halved for [0, 1]
  }
  return rule;
}

template <int n>
const GaussLegendre& gauss_legendre() {
  static const GaussLegendre rule = make_gauss_legendre(n);
  return rule;
}

}  // namespace onlinesgd::gaussian

// ReLU / linear averages by Stein's lemma and orthant probabilities (docs/theory.md §2).
#include <algorithm>
#include <cmath>

#include "onlinesgd/gaussian/averages.hpp"
#include "onlinesgd/gaussian/normal_cdf.hpp"
#include "term.hpp"

namespace onlinesgd::gaussian {

namespace {

using detail::Vars;

double corr(const double (*C)[4], int i, int j) {
  return std::clamp(C[i][j] / std::sqrt(C[i][i] * C[j][j]), -1.0, 1.0);
}

/// Plackett's identity: P(R) = 1/16 + int_0^1 sum_{i<j} R_ij phi2(0,0; s R_ij)
/// P(x_k, x_l > 0 | x_i = x_j = 0; R(s)) ds along R(s) = I + s (R - I); s = 1 - u^2
/// removes the 1/sqrt(1 - s) endpoint singularity when some |R_ij| -> 1. The conditional
/// correlations still turn fast near s = 1 then: 16 Gauss-Legendre points give < 1e-10 up to
/// |R_ij| = 0.99 but 4e-7 at 0.999, so beyond 0.99 the rule has 64 points (2e-9 at 0.99999).
double orthant4(const double (*C)[4]) {
  double R[4][4];
  double max_corr = 0.0;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      R[i][j] = i == j ? 1.0 : corr(C, i, j);
      if (i != j) max_corr = std::max(max_corr, std::abs(R[i][j]));
    }
  static const int kPairs[6][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2}, {1, 2, 0, 3}, {1, 3, 0, 2}, {2, 3, 0, 1}};
  const auto& gl = max_corr <= 0.99 ? detail::unit_legendre<16>() : detail::unit_legendre<64>();
  double integral = 0.0;
  for (std::size_t q = 0; q < gl.u.size(); ++q) {
    const double u = gl.u[q], s = 1.0 - u * u;
    double deriv = 0.0;
    for (const auto& p : kPairs) {
      const int i = p[0], j = p[1], k = p[2], l = p[3];
      if (R[i][j] == 0.0) continue;
      const double r = s * R[i][j], det = 1.0 - r * r;
      // covariance of (x_k, x_l) given x_i = x_j = 0 under R(s)
      auto cond = [&](int x, int y) {
        const double xi = s * R[x][i], xj = s * R[x][j], yi = s * R[y][i], yj = s * R[y][j];
        const double base = x == y ? 1.0 : s * R[x][y];
        return base - (xi * yi + xj * yj - r * (xi * yj + xj * yi)) / det;
      };
      const double ckk = cond(k, k), cll = cond(l, l), ckl = cond(k, l);
      const double rho = ckk > 0.0 && cll > 0.0 ? std::clamp(ckl / std::sqrt(ckk * cll), -1.0, 1.0) : 0.0;
      deriv += R[i][j] / (2.0 * kPi * std::sqrt(det)) * (0.25 + std::asin(rho) / (2.0 * kPi));
    }
    integral += gl.w[q] * 2.0 * u * deriv;  // ds = 2 u du
  }
  return 1.0 / 16.0 + integral;
}

Vars drop(const Vars& s, int z) {
  Vars out;
  for (int i = 0, a = 0; i < s.n; ++i) {
    if (i == z) continue;
    for (int j = 0, b = 0; j < s.n; ++j) {
      if (j == z) continue;
      out.C[a][b++] = s.C[i][j];
    }
    out.m[a] = s.m[i];
    out.deg[a] = s.deg[i];
    out.th[a++] = s.th[i];
  }
  out.n = s.n - 1;
  return out;
}

/// P(x_i > 0 for every variable): with zero means the closed forms and orthant4, else the
/// standardised distribution function (normal_cdf.hpp).
double orthant(const Vars& s, detail::OrthantCache* cache) {
  bool centred = true;
  for (int i = 0; i < s.n; ++i) centred = centred && s.m[i] == 0.0;
  if (centred) return orthant_probability(s.n, s.C);
  std::array<double, 15> key{};
  if (cache != nullptr && s.n >= 3) {
    key[0] = s.n;
    for (int i = 0, p = 1; i < s.n; ++i) {
      key[p++] = s.m[i];
      for (int j = i; j < s.n; ++j) key[p++] = s.C[i][j];
    }
    if (const auto hit = cache->find(key); hit != cache->end()) return hit->second;
  }
  double h[4], R[4][4];
  for (int i = 0; i < s.n; ++i) {
    h[i] = s.m[i] / std::sqrt(s.C[i][i]);
    for (int j = 0; j < s.n; ++j) R[i][j] = i == j ? 1.0 : corr(s.C, i, j);
  }
  const double p = mvn_cdf(s.n, h, R);
  if (cache != nullptr && s.n >= 3) cache->emplace(key, p);
  return p;
}

}  // namespace

namespace detail {

double piecewise_moment(Vars s, double tiny, OrthantCache* cache) {
  // Variables with no factor integrate out; a variable of zero variance is its mean a.s.:
  // x^d -> m^d, and th -> the limit of P(x > 0 | ...) as its variance -> 0: 1/2 at m = 0,
  // where a mean within sqrt(tiny) of 0 is 0 (conditioned on x_j = 0, a copy of x_j has mean 0
  // up to rounding, and th(x) delta(x) = delta(x) / 2).
  double scale = 1.0;
  for (int i = s.n - 1; i >= 0; --i) {
    if (s.deg[i] == 0 && !s.th[i]) {
      s = drop(s, i);
    } else if (s.C[i][i] <= tiny) {
      const double mi = std::abs(s.m[i]) <= std::sqrt(tiny) ? 0.0 : s.m[i];
      scale *= std::pow(mi, s.deg[i]);
      if (s.th[i]) scale *= mi > 0.0 ? 1.0 : (mi < 0.0 ? 0.0 : 0.5);
      if (scale == 0.0) return 0.0;
      s = drop(s, i);
    }
  }
  if (s.n == 0) return scale;
  int z = -1;
  for (int i = 0; i < s.n; ++i)
    if (s.deg[i] > 0) {
      z = i;
      break;
    }
  if (z < 0) return scale * orthant(s, cache);
  // Stein: E[x_z H] = m_z E[H] + sum_j C_zj E[dH/dx_j], with H the rest after taking one x_z out.
  Vars h = s;
  h.deg[z] -= 1;
  double acc = h.m[z] == 0.0 ? 0.0 : h.m[z] * piecewise_moment(h, tiny, cache);
  for (int j = 0; j < h.n; ++j) {
    if (h.C[z][j] == 0.0) continue;
    if (h.deg[j] > 0) {  // d(x^d th)/dx = d x^(d-1) th   (x^d delta(x) = 0)
      Vars c = h;
      const int d = c.deg[j]--;
      acc += h.C[z][j] * d * piecewise_moment(c, tiny, cache);
    } else if (h.th[j]) {  // d th/dx = delta: density at 0 times the average given x_j = 0
      const double cjj = h.C[j][j], mj = h.m[j];
      Vars c = h;
      for (int a = 0; a < h.n; ++a) {
        c.m[a] = h.m[a] - h.C[a][j] * mj / cjj;
        for (int b = 0; b < h.n; ++b) c.C[a][b] = h.C[a][b] - h.C[a][j] * h.C[j][b] / cjj;
      }
      c.th[j] = false;
      const double density = std::exp(-0.5 * mj * mj / cjj) / std::sqrt(2.0 * kPi * cjj);
      acc += h.C[z][j] * density * piecewise_moment(drop(c, j), tiny, cache);
    }
  }
  return scale * acc;
}

}  // namespace detail

double orthant_probability(int n, const double (*C)[4]) {
  switch (n) {
    case 0:
      return 1.0;
    case 1:
      return 0.5;
    case 2:
      return 0.25 + std::asin(corr(C, 0, 1)) / (2.0 * kPi);
    case 3:
      return 0.125 + (std::asin(corr(C, 0, 1)) + std::asin(corr(C, 0, 2)) + std::asin(corr(C, 1, 2))) / (4.0 * kPi);
    default:
      return orthant4(C);
  }
}

namespace detail {

double relu_moment(const Term& t) {
  Vars s;
  s.n = t.n;
  double scale = 0.0;
  for (int i = 0; i < t.n; ++i) {
    for (int j = 0; j < t.n; ++j) s.C[i][j] = t.C[i][j];
    scale = std::max(scale, t.C[i][i]);
    // ReLU: g = x th, g' = th; linear: g = x, g' = 1 (g'' never reaches here).
    s.deg[i] = t.pow_x[i] + t.n_g[i];
    s.th[i] = t.has_act[i] && t.act[i] == Activation::Relu && (t.n_g[i] + t.n_dg[i] > 0);
  }
  return piecewise_moment(s, 1e-13 * std::max(scale, 1e-300));
}

}  // namespace detail
}  // namespace onlinesgd::gaussian

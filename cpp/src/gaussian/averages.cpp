// J2, I3, I4 for any activations (see averages.hpp for the strategy).
#include "onlinesgd/gaussian/averages.hpp"

#include <algorithm>
#include <cmath>

#include "onlinesgd/gaussian/i2.hpp"
#include "term.hpp"

namespace onlinesgd::gaussian {

namespace detail {

void Term::add(int s, Activation a, Fn fn, const double (*Cs)[4], int* slot_var) {
  int v = -1;
  for (int t = 0; t < s && v < 0; ++t) {
    const int w = slot_var[t];
    const double tol = 1e-12 * std::max({std::abs(Cs[s][s]), std::abs(Cs[t][t]), 1e-300});
    const bool same = std::abs(Cs[s][s] - Cs[t][t]) <= tol && std::abs(Cs[s][s] - Cs[s][t]) <= tol;
    if (same && (fn == Fn::X || !has_act[w] || act[w] == a)) v = w;
  }
  if (v < 0) {
    v = n++;
    for (int t = 0; t < s; ++t) {  // covariances with the variables created so far
      const int w = slot_var[t];
      C[v][w] = C[w][v] = Cs[s][t];
    }
    C[v][v] = Cs[s][s];
  }
  slot_var[s] = v;
  switch (fn) {
    case Fn::X:
      ++pow_x[v];
      return;
    case Fn::G:
      ++n_g[v];
      break;
    case Fn::DG:
      ++n_dg[v];
      break;
    case Fn::D2G:
      ++n_d2g[v];
      break;
  }
  act[v] = a;
  has_act[v] = true;
}

/// E[x_l0 x_l1 ... ] of jointly Gaussian zero-mean variables (Isserlis: the sum over pairings).
double isserlis(const Term& t, const int* vars, int n) {
  if (n == 0) return 1.0;
  if (n % 2 == 1) return 0.0;
  int rest[8];
  double sum = 0.0;
  for (int j = 1; j < n; ++j) {
    for (int i = 1, k = 0; i < n; ++i)
      if (i != j) rest[k++] = vars[i];
    sum += t.C[vars[0]][vars[j]] * isserlis(t, rest, n - 2);
  }
  return sum;
}

double evaluate(const Term& t) {
  for (int v = 0; v < t.n; ++v) {
    if (!t.has_act[v] || t.n_d2g[v] == 0) continue;
    if (t.act[v] == Activation::Linear) return 0.0;
    if (t.act[v] != Activation::Relu) continue;
    // ReLU g'' = delta: x delta(x) = 0, and th delta = delta / 2 (th^2 = th).
    if (t.n_d2g[v] > 1 || t.n_g[v] > 0 || t.pow_x[v] > 0) return 0.0;
    const double cvv = t.C[v][v];
    if (cvv <= 0.0) return 0.0;
    Term c;
    c.n = t.n - 1;
    for (int i = 0, a = 0; i < t.n; ++i) {
      if (i == v) continue;
      for (int j = 0, b = 0; j < t.n; ++j)
        if (j != v) c.C[a][b++] = t.C[i][j] - t.C[i][v] * t.C[v][j] / cvv;
      c.act[a] = t.act[i];
      c.has_act[a] = t.has_act[i];
      c.n_g[a] = t.n_g[i];
      c.n_dg[a] = t.n_dg[i];
      c.n_d2g[a] = t.n_d2g[i];
      c.pow_x[a++] = t.pow_x[i];
    }
    return (t.n_dg[v] > 0 ? 0.5 : 1.0) / std::sqrt(2.0 * kPi * cvv) * evaluate(c);
  }
  bool piecewise_linear = true, linear = true;
  for (int v = 0; v < t.n; ++v) {
    if (t.has_act[v] && t.act[v] != Activation::Relu && t.act[v] != Activation::Linear) piecewise_linear = false;
    if (t.has_act[v] && t.act[v] != Activation::Linear) linear = false;
  }
  if (linear) {  // g = x, g' = 1: a Gaussian moment in closed form (the K = 10 linear ODE 2.3x faster)
    int vars[8], n = 0;
    for (int v = 0; v < t.n; ++v)
      for (int d = 0; d < t.pow_x[v] + t.n_g[v] && n < 8; ++d) vars[n++] = v;
    if (n < 8) return isserlis(t, vars, n);
  }
  return piecewise_linear ? relu_moment(t) : quadrature(t);
}

/// Builds the term from slots (activation, function) over the slot covariance C.
template <int S>
double average(const Activation (&acts)[S], const Fn (&fns)[S], const double (*C)[4]) {
  Term t;
  int slot_var[4] = {};
  for (int s = 0; s < S; ++s) t.add(s, acts[s], fns[s], C, slot_var);
  return evaluate(t);
}

}  // namespace detail

using detail::Fn;

double mean_g(Activation gc, double ccc) {
  switch (gc) {
    case Activation::Erf:
    case Activation::Tanh:
    case Activation::Linear:
      return 0.0;  // odd functions
    case Activation::Sigmoid:
      return 0.5;  // sigmoid(x) + sigmoid(-x) = 1
    case Activation::Relu:
      return std::sqrt(std::max(ccc, 0.0) / (2.0 * kPi));
  }
  return 0.0;
}

double j2(Activation ga, Activation gb, double caa, double cbb, double cab) {
  using A = Activation;
  // erf: g'(a) = sqrt(2/pi) exp(-a^2/2) reweights the Gaussian; E' has C'_bb = C_bb - C_ab^2/(1+C_aa).
  if (ga == A::Erf) return kSqrt2OverPi / std::sqrt(1.0 + caa) * mean_dg(gb, cbb - cab * cab / (1.0 + caa));
  if (gb == A::Erf) return j2(gb, ga, cbb, caa, cab);
  if (ga == A::Linear) return mean_dg(gb, cbb);
  if (gb == A::Linear) return mean_dg(ga, caa);
  if (ga == A::Relu && gb == A::Relu) {
    if (caa <= 0.0 || cbb <= 0.0) return 0.0;
    return 0.25 + std::asin(std::clamp(cab / std::sqrt(caa * cbb), -1.0, 1.0)) / (2.0 * kPi);
  }
  const double C[4][4] = {{caa, cab}, {cab, cbb}};
  return detail::average<2>({ga, gb}, {Fn::DG, Fn::DG}, C);
}

double e_d2g_g(Activation ga, Activation gc, double caa, double ccc, double cac) {
  using A = Activation;
  switch (ga) {
    case A::Erf: {  // g'' = -a g'(a): reweight by g', then Stein on a: E'[a g(c)] = C'_ac E'[g'(c)]
      const double s = 1.0 + caa;
      return -kSqrt2OverPi / std::sqrt(s) * (cac / s) * mean_dg(gc, ccc - cac * cac / s);
    }
    case A::Linear:
      return 0.0;
    case A::Relu:  // delta(a): density at 0 times E[g(c) | a = 0]
      if (caa <= 0.0) return 0.0;
      return mean_g(gc, ccc - cac * cac / caa) / std::sqrt(2.0 * kPi * caa);
    default:
      break;
  }
  const double C[4][4] = {{caa, cac}, {cac, ccc}};
  return detail::average<2>({ga, gc}, {Fn::D2G, Fn::G}, C);
}

double i3(Activation ga, Activation gc, const Eigen::Matrix3d& C) {
  // Gaussian integration by parts on b (docs/theory.md §2): 2-D averages only.
  return C(0, 1) * e_d2g_g(ga, gc, C(0, 0), C(2, 2), C(0, 2)) + C(1, 2) * j2(ga, gc, C(0, 0), C(2, 2), C(0, 2));
}

double i4(Activation ga, Activation gb, Activation gc, Activation gd, const Eigen::Matrix4d& C) {
  if (ga == Activation::Erf && gb == Activation::Erf) {
    // g'(a) g'(b) = (2/pi) exp(-(a^2+b^2)/2): a Gaussian weight with normalisation
    // det(I + C_ab)^(-1/2) = L4^(-1/2); under it (c, d) has the Woodbury-updated covariance.
    const double s00 = 1.0 + C(0, 0), s11 = 1.0 + C(1, 1), s01 = C(0, 1);
    const double l4 = s00 * s11 - s01 * s01;
    auto cp = [&](int x, int y) {
      return C(x, y) - (C(x, 0) * (s11 * C(y, 0) - s01 * C(y, 1)) + C(x, 1) * (s00 * C(y, 1) - s01 * C(y, 0))) / l4;
    };
    return 2.0 / kPi / std::sqrt(l4) * i2(gc, gd, cp(2, 2), cp(3, 3), cp(2, 3));
  }
  double Cs[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) Cs[i][j] = C(i, j);
  return detail::average<4>({ga, gb, gc, gd}, {Fn::DG, Fn::DG, Fn::G, Fn::G}, Cs);
}

}  // namespace onlinesgd::gaussian

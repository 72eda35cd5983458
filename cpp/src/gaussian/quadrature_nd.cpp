// Quadrature of low-dimensional Gaussian averages (docs/theory.md §2), with
// the kinks of ReLU factors kept off the rules. The smooth dimensions use the trapezoidal
// rule in z ~ N(0, 1), not Gauss-Hermite: sigmoid and tanh have poles at distance ~pi/(2 s)
// from the real axis (s the field's scale), where Gauss-Hermite converges only like
// exp(-c sqrt(n)) (40^4 points still err by 1e-4 for tanh I4) but the trapezoidal rule like
// exp(-2 pi d / h): a step of 0.3 (54 points) gives ~1e-9 at variances up to ~2.
#include <algorithm>
#include <cmath>

#include "term.hpp"

namespace onlinesgd::gaussian::detail {

namespace {

constexpr double kTail = 9.0;  // phi(9) ~ 1e-18: the split rule integrates z over [z0, 9]

bool kinked(const Term& t, int v) { return t.has_act[v] && t.act[v] == Activation::Relu && t.n_g[v] + t.n_dg[v] > 0; }

double factor(const Term& t, int v, double x) {
  double r = 1.0;
  for (int k = 0; k < t.pow_x[v]; ++k) r *= x;
  if (!t.has_act[v]) return r;
  const Activation a = t.act[v];
  for (int k = 0; k < t.n_g[v]; ++k) r *= act_g(a, x);
  for (int k = 0; k < t.n_dg[v]; ++k) r *= act_dg(a, x);
  for (int k = 0; k < t.n_d2g[v]; ++k) r *= act_d2g(a, x);
  return r;
}

/// E[(mu + s Z)^p th(mu + s Z)], Z ~ N(0, 1): truncated Gaussian moments.
double relu_poly_mean(int p, double mu, double s) {
  if (s <= 0.0) return mu > 0.0 ? std::pow(mu, p) : 0.0;
  const double u = mu / s, Phi = 0.5 * std::erfc(-u / kSqrt2), phi = kInvSqrt2Pi * std::exp(-0.5 * u * u);
  switch (p) {
    case 0:
      return Phi;
    case 1:
      return mu * Phi + s * phi;
    case 2:
      return (mu * mu + s * s) * Phi + mu * s * phi;
    case 3:
      return (mu * mu * mu + 3.0 * mu * s * s) * Phi + (mu * mu + 2.0 * s * s) * s * phi;
    default:
      break;
  }
  // Higher powers never arise from I2..I4; integrate on the split rule for completeness.
  const auto& gl = unit_legendre<64>();
  const double lo = std::max(-u, -kTail);
  double acc = 0.0;
  for (std::size_t i = 0; i < gl.u.size(); ++i) {
    const double z = lo + (kTail - lo) * gl.u[i];
    acc += gl.w[i] * kInvSqrt2Pi * std::exp(-0.5 * z * z) * std::pow(mu + s * z, p);
  }
  return lo < kTail ? acc * (kTail - lo) : 0.0;
}

/// Trapezoidal rule for E[f(Z)], Z ~ N(0, 1): nodes i h on [-8, 8], weights h phi(i h).
struct Trapezoid {
  std::vector<double> z, w;
  explicit Trapezoid(double h) {
    for (int i = -static_cast<int>(8.0 / h); i * h <= 8.0; ++i) {
      z.push_back(i * h);
      w.push_back(h * kInvSqrt2Pi * std::exp(-0.5 * i * h * i * h));
    }
  }
};

/// The innermost smooth average F(mu) = E[f(mu + s Z)] on a uniform grid in mu: s is fixed
/// per integral, so one table of the (entire, Gaussian-smoothed) F replaces an inner rule at
/// every outer node; 4-point cubic interpolation at spacing 0.02 errs by ~1e-9.
struct InnerTable {
  double mu0 = 0.0, inv_delta = 0.0;
  std::vector<double> F;
  double operator()(double mu) const {
    const double x = (mu - mu0) * inv_delta;
    const auto j =
        std::clamp(static_cast<std::ptrdiff_t>(x), std::ptrdiff_t(1), static_cast<std::ptrdiff_t>(F.size()) - 3);
    const double u = x - static_cast<double>(j);
    const double* f = F.data() + j - 1;  // Lagrange through f[0..3] at -1, 0, 1, 2
    return -u * (u - 1.0) * (u - 2.0) / 6.0 * f[0] + (u + 1.0) * (u - 1.0) * (u - 2.0) / 2.0 * f[1] -
           (u + 1.0) * u * (u - 2.0) / 2.0 * f[2] + (u + 1.0) * u * (u - 1.0) / 6.0 * f[3];
  }
};

struct Plan {
  const Term* t;
  int D;
  int var[4];  // integration order: smooth variables first, kinked ones last
  double L[4][4];
  const Trapezoid* rule;
  const InnerTable* inner;  // for the last level, when tabulated
};

// weight below which a branch of the tensor rule is dropped (the corners of the cube)
constexpr double kPrune = 1e-14;

double nested(const Plan& p, int l, double* z, double weight) {
  if (l >= 4) return 1.0;  // never reached (D <= 4); bounds the recursion for the compiler
  const int v = p.var[l];
  double mu = 0.0;
  for (int j = 0; j < l; ++j) mu += p.L[l][j] * z[j];
  const double s = p.L[l][l];
  const bool kink = kinked(*p.t, v);
  if (l == p.D - 1 && kink) return relu_poly_mean(p.t->pow_x[v] + p.t->n_g[v], mu, s);
  if (l == p.D - 1 && p.inner) return (*p.inner)(mu);
  double acc = 0.0;
  if (kink && s > 0.0) {
    // Only x > 0 contributes and the factor is a polynomial there: Gauss-Legendre on [z0, 9].
    const auto& gl = unit_legendre<40>();
    const double lo = std::max(-mu / s, -kTail);
    if (lo >= kTail) return 0.0;
    for (std::size_t i = 0; i < gl.u.size(); ++i) {
      z[l] = lo + (kTail - lo) * gl.u[i];
      const double f = factor(*p.t, v, mu + s * z[l]);
      const double w = gl.w[i] * kInvSqrt2Pi * std::exp(-0.5 * z[l] * z[l]) * (kTail - lo);
      if (w * weight < kPrune) continue;
      acc += w * f * nested(p, l + 1, z, w * weight);
    }
    return acc;
  }
  const Trapezoid& rule = *p.rule;
  for (std::size_t i = 0; i < rule.z.size(); ++i) {
    if (rule.w[i] * weight < kPrune) continue;
    z[l] = rule.z[i];
    const double f = factor(*p.t, v, mu + s * z[l]);
    if (f == 0.0) continue;
    acc += rule.w[i] * f * (l == p.D - 1 ? 1.0 : nested(p, l + 1, z, rule.w[i] * weight));
  }
  return acc;
}

}  // namespace

double quadrature(const Term& t) {
  Plan p{};
  p.t = &t;
  const int n = std::min(t.n, 4);  // a Term never holds more than 4 variables
  for (int v = 0; v < n; ++v)
    if (!kinked(t, v)) p.var[p.D++] = v;
  for (int v = 0; v < n; ++v)
    if (kinked(t, v)) p.var[p.D++] = v;
  if (p.D == 0) return 1.0;
  // Cholesky that tolerates a semi-definite covariance (a zero pivot gives a zero column).
  double scale = 0.0;
  for (int v = 0; v < t.n; ++v) scale = std::max(scale, t.C[v][v]);
  const double tiny = 1e-14 * scale;
  for (int j = 0; j < n; ++j) {
    double d = t.C[p.var[j]][p.var[j]];
    for (int k = 0; k < j; ++k) d -= p.L[j][k] * p.L[j][k];
    if (d <= tiny) continue;
    p.L[j][j] = std::sqrt(d);
    for (int i = j + 1; i < n; ++i) {
      double c = t.C[p.var[i]][p.var[j]];
      for (int k = 0; k < j; ++k) c -= p.L[i][k] * p.L[j][k];
      p.L[i][j] = c / p.L[j][j];
    }
  }
  // Steps: the error exp(-2 pi d / h) stays below ~1e-9 for fields of variance <~ 2
  // (tests/test_gaussian_averages.py); the cost is ~(16/h)^(D-1) with the innermost tabulated.
  static const Trapezoid fine(0.25), medium(0.3), coarse(0.3);
  p.rule = p.D <= 2 ? &fine : p.D == 3 ? &medium : &coarse;
  // 3-D and 4-D: tabulate the innermost smooth average once instead of at every outer node
  // (~7x fewer activation evaluations). Reused per thread: no allocation once grown.
  thread_local InnerTable table;
  const int last = p.D - 1;
  if (p.D >= 3 && !kinked(t, p.var[last])) {
    double reach = 0.0;
    for (int j = 0; j < last; ++j) reach += std::abs(p.L[last][j]);
    reach = reach * 8.0 + 0.1;  // outer nodes lie in [-8, 8]
    constexpr double delta = 0.02;
    const int m = 2 * static_cast<int>(std::ceil(reach / delta)) + 5;  // 2 guard points a side
    table.mu0 = -0.5 * (m - 1) * delta;
    table.inv_delta = 1.0 / delta;
    table.F.resize(m);
    const double s_last = p.L[last][last];
    for (int j = 0; j < m; ++j) {
      const double mu = table.mu0 + j * delta;
      double acc = 0.0;
      for (std::size_t i = 0; i < fine.z.size(); ++i)
        acc += fine.w[i] * factor(t, p.var[last], mu + s_last * fine.z[i]);
      table.F[j] = acc;
    }
    p.inner = &table;
  }
  double z[4] = {};
  return nested(p, 0, z, 1.0);
}

}  // namespace onlinesgd::gaussian::detail

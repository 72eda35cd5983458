// Normal distribution functions in up to four dimensions (normal_cdf.hpp).
#include "onlinesgd/gaussian/normal_cdf.hpp"

#include <algorithm>
#include <cmath>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/gaussian/quadrature.hpp"

namespace onlinesgd::gaussian {

double normal_cdf(double h) { return 0.5 * std::erfc(-h / kSqrt2); }

namespace {

/// P(X > h, Y > k): Genz's BVNU. Away from |r| = 1 the integral over the angle asin(r) with 6,
/// 12 or 20 Gauss-Legendre nodes; near it an expansion around the singular limit plus a
/// Gauss-Legendre correction in sqrt(1 - r^2), so the error stays ~1e-15 for every r.
double bvn_upper(double h, double k, double r) {
  static const GaussLegendre g6 = make_gauss_legendre(6), g12 = make_gauss_legendre(12), g20 = make_gauss_legendre(20);
  const double ar = std::abs(r);
  const GaussLegendre& gl = ar < 0.3 ? g6 : (ar < 0.75 ? g12 : g20);
  double hk = h * k, bvn = 0.0;
  if (ar < 0.925) {
    const double hs = (h * h + k * k) / 2.0, asr = std::asin(r) / 2.0;
    for (std::size_t i = 0; i < gl.x.size(); ++i) {
      const double sn = std::sin(asr * (1.0 + gl.x[i]));
      bvn += gl.w[i] * std::exp((sn * hk - hs) / (1.0 - sn * sn));
    }
    return bvn * asr / (2.0 * kPi) + normal_cdf(-h) * normal_cdf(-k);
  }
  if (r < 0.0) k = -k, hk = -hk;
  if (ar < 1.0) {
    const double as = 1.0 - r * r, bs = (h - k) * (h - k), c = (4.0 - hk) / 8.0, d = (12.0 - hk) / 80.0;
    double a = std::sqrt(as), asr = -(bs / as + hk) / 2.0;
    if (asr > -100.0) bvn = a * std::exp(asr) * (1.0 - c * (bs - as) * (1.0 - d * bs) / 3.0 + c * d * as * as);
    if (hk > -100.0) {
      const double b = std::sqrt(bs), sp = std::sqrt(2.0 * kPi) * normal_cdf(-b / a);
      bvn -= std::exp(-hk / 2.0) * sp * b * (1.0 - c * bs * (1.0 - d * bs) / 3.0);
    }
    a /= 2.0;
    double sum = 0.0;
    for (std::size_t i = 0; i < gl.x.size(); ++i) {
      const double xs = std::pow(a * (1.0 + gl.x[i]), 2);
      asr = -(bs / xs + hk) / 2.0;
      if (asr <= -100.0) continue;
      const double sp = 1.0 + c * xs * (1.0 + 5.0 * d * xs), rs = std::sqrt(1.0 - xs);
      const double ep = std::exp(-(hk / 2.0) * xs / ((1.0 + rs) * (1.0 + rs))) / rs;
      sum += gl.w[i] * std::exp(asr) * (sp - ep);
    }
    bvn = (a * sum - bvn) / (2.0 * kPi);
  }
  if (r > 0.0) return bvn + normal_cdf(-std::max(h, k));
  if (h >= k) return -bvn;
  const double between = h < 0.0 ? normal_cdf(k) - normal_cdf(h) : normal_cdf(-h) - normal_cdf(-k);
  return between - bvn;
}

/// The variables of an n <= 4 dimensional distribution function and the path of Plackett's
/// identity: R(t) keeps the entries `kept` and scales the others by t.
struct Path {
  int n;
  const double* h;
  const double (*R)[4];
  bool kept[4][4];

  double at(int i, int j, double t) const { return i == j ? 1.0 : (kept[i][j] ? R[i][j] : t * R[i][j]); }

  /// d/dt of the distribution function at R(t): sum over the scaled pairs (i, j) of R_ij times
  /// the density of (Z_i, Z_j) at (h_i, h_j) times the probability of the rest given them.
  double derivative(double t) const {
    double sum = 0.0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) {
        if (kept[i][j] || R[i][j] == 0.0) continue;
        const double rho = t * R[i][j], det = 1.0 - rho * rho;
        const double density = std::exp(-(h[i] * h[i] - 2.0 * rho * h[i] * h[j] + h[j] * h[j]) / (2.0 * det)) /
                               (2.0 * kPi * std::sqrt(det));
        if (density == 0.0) continue;
        sum += R[i][j] * density * conditional(i, j, rho, det, t);
      }
    return sum;
  }

  /// P(Z_a < h_a for the other variables | Z_i = h_i, Z_j = h_j) under R(t).
  double conditional(int i, int j, double rho, double det, double t) const {
    int rest[2], m = 0;
    for (int a = 0; a < n; ++a)
      if (a != i && a != j) rest[m++] = a;
    double hc[4] = {}, C[2][2], Rc[4][4] = {};
    for (int p = 0; p < m; ++p) {
      const int a = rest[p];
      const double ai = at(a, i, t), aj = at(a, j, t);
      hc[p] = h[a] - (ai * (h[i] - rho * h[j]) + aj * (h[j] - rho * h[i])) / det;
      for (int q = 0; q < m; ++q) {
        const int b = rest[q];
        const double bi = at(b, i, t), bj = at(b, j, t);
        C[p][q] = at(a, b, t) - (ai * bi + aj * bj - rho * (ai * bj + aj * bi)) / det;
      }
    }
    double factor = 1.0;
    int k = 0;  // the variables left after those of zero conditional variance (a step) are taken out
    int keep[2];
    for (int p = 0; p < m; ++p) {
      if (C[p][p] > 1e-14) {
        keep[k++] = p;
      } else {
        factor *= hc[p] > 0.0 ? 1.0 : (hc[p] == 0.0 ? 0.5 : 0.0);
      }
    }
    double hs[4] = {};
    for (int p = 0; p < k; ++p) {
      hs[p] = hc[keep[p]] / std::sqrt(C[keep[p]][keep[p]]);
      for (int q = 0; q < k; ++q)
        Rc[p][q] =
            p == q ? 1.0
                   : std::clamp(C[keep[p]][keep[q]] / std::sqrt(C[keep[p]][keep[p]] * C[keep[q]][keep[q]]), -1.0, 1.0);
    }
    return factor == 0.0 ? 0.0 : factor * mvn_cdf(k, hs, Rc);
  }
};

/// int_a^b f adaptively: 15-point Gauss-Kronrod, bisected until it agrees with its embedded
/// 7-point Gauss rule to tol (QUADPACK's QK15 nodes and weights), at most `budget` bisections in
/// all (an integrand with a jump costs ~30; the budget only guards against a pathological one).
template <class F>
double adaptive(const F& f, double a, double b, double tol, int& budget) {
  static constexpr double x[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                                  0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                                  0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                                  0.207784955007898467600689403773245, 0.0};
  static constexpr double wk[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                                   0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                                   0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                                   0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
  static constexpr double wg[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                                   0.381830050505118944950369775488975, 0.417959183673469387755102040816327};
  const double c = 0.5 * (a + b), r = 0.5 * (b - a);
  const double fc = f(c);
  double kronrod = wk[7] * fc, gauss = wg[3] * fc;
  for (int i = 0; i < 7; ++i) {
    const double pair = f(c - r * x[i]) + f(c + r * x[i]);
    kronrod += wk[i] * pair;
    if (i % 2 == 1) gauss += wg[i / 2] * pair;
  }
  if (std::abs(kronrod - gauss) * r <= tol || budget <= 0) return kronrod * r;
  --budget;
  return adaptive(f, a, c, tol / 2.0, budget) + adaptive(f, c, b, tol / 2.0, budget);
}

/// Plackett's identity from R0 = the kept blocks (independent of each other) to R, in
/// t = 1 - u^2, which takes out the 1 / sqrt(1 - t) of a pair whose |R_ij| -> 1; panels graded
/// towards u = 0 (t = 1), where the conditional laws narrow.
double plackett(const Path& path, double base) {
  auto integrand = [&](double u) { return 2.0 * u * path.derivative(1.0 - u * u); };
  double integral = 0.0, lo = 0.0;
  int budget = 2000;
  for (double hi = 1.0 / 8.0; lo < 1.0; lo = hi, hi *= 2.0)
    integral += adaptive(integrand, lo, std::min(hi, 1.0), 1e-12, budget);
  return std::clamp(base + integral, 0.0, 1.0);
}

}  // namespace

double bvn_cdf(double h, double k, double r) { return std::clamp(bvn_upper(-h, -k, r), 0.0, 1.0); }

namespace {

/// A pair of perfectly correlated variables, Z_j = +-Z_i, as one variable: Plackett's path would
/// otherwise meet conditional laws of zero width throughout. |R_ij| >= 1 - 1e-14 counts as 1 (an
/// error of at most phi(0)^2 sqrt(2 (1 - |R_ij|)) < 3e-8; identical units are merged before this).
double merged_pair(int n, const double* h, const double (*R)[4], int i, int j) {
  double hs[4], Rs[4][4];
  auto without_j = [&](double hi) {
    for (int a = 0, p = 0; a < n; ++a) {
      if (a == j) continue;
      hs[p] = a == i ? hi : h[a];
      for (int b = 0, q = 0; b < n; ++b)
        if (b != j) Rs[p][q++] = R[a][b];
      ++p;
    }
    return mvn_cdf(n - 1, hs, Rs);
  };
  if (R[i][j] > 0.0) return without_j(std::min(h[i], h[j]));       // Z_i < min(h_i, h_j)
  return h[i] > -h[j] ? without_j(h[i]) - without_j(-h[j]) : 0.0;  // -h_j < Z_i < h_i
}

}  // namespace

double mvn_cdf(int n, const double* h, const double (*R)[4]) {
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (n > 2 && std::abs(R[i][j]) >= 1.0 - 1e-14) return std::max(merged_pair(n, h, R, i, j), 0.0);
  switch (n) {
    case 0:
      return 1.0;
    case 1:
      return normal_cdf(h[0]);
    case 2:
      return bvn_cdf(h[0], h[1], R[0][1]);
    default:
      break;
  }
  Path path{n, h, R, {}};
  double base = 1.0;
  if (n == 3) {  // keep the pair of largest |R_ij|: the third variable starts independent
    int p = 0, q = 1;
    for (int i = 0; i < 3; ++i)
      for (int j = i + 1; j < 3; ++j)
        if (std::abs(R[i][j]) > std::abs(R[p][q])) p = i, q = j;
    path.kept[p][q] = path.kept[q][p] = true;
    base = normal_cdf(h[3 - p - q]) * bvn_cdf(h[p], h[q], R[p][q]);
  } else {  // keep the two disjoint pairs of largest |R_ab| + |R_cd|
    static const int kPairings[3][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2}};
    const int* best = kPairings[0];
    for (const auto& s : kPairings)
      if (std::abs(R[s[0]][s[1]]) + std::abs(R[s[2]][s[3]]) >
          std::abs(R[best[0]][best[1]]) + std::abs(R[best[2]][best[3]]))
        best = s;
    path.kept[best[0]][best[1]] = path.kept[best[1]][best[0]] = true;
    path.kept[best[2]][best[3]] = path.kept[best[3]][best[2]] = true;
    base = bvn_cdf(h[best[0]], h[best[1]], R[best[0]][best[1]]) * bvn_cdf(h[best[2]], h[best[3]], R[best[2]][best[3]]);
  }
  return plackett(path, base);
}

}  // namespace onlinesgd::gaussian

#pragma once
// Internal: a product of activation factors over <= 4 distinct jointly Gaussian variables,
// E[prod_v x_v^pow_x * g_v^n_g * g_v'^n_dg * g_v''^n_d2g], and its two evaluators.
#include <array>
#include <map>
#include <vector>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/gaussian/quadrature.hpp"

namespace onlinesgd::gaussian::detail {

/// The n-point Gauss-Legendre rule moved to [0, 1]: integral_0^1 f ~ sum_i w_i f(u_i).
struct UnitRule {
  std::vector<double> u, w;
};

template <int n>
const UnitRule& unit_legendre() {
  static const UnitRule rule = [] {
    const GaussLegendre gl = make_gauss_legendre(n);
    UnitRule r;
    for (int i = 0; i < n; ++i) {
      r.u.push_back(0.5 * (gl.x[i] + 1.0));
      r.w.push_back(0.5 * gl.w[i]);
    }
    return r;
  }();
  return rule;
}

/// Which function of a variable a factor is: g, g', g'', or the variable itself.
enum class Fn { G, DG, D2G, X };

struct Term {
  int n = 0;
  double C[4][4] = {};
  Activation act[4] = {};
  bool has_act[4] = {};
  int n_g[4] = {}, n_dg[4] = {}, n_d2g[4] = {}, pow_x[4] = {};

  /// Adds the factor fn(x_s) of the slot s of a slot covariance Cs (stride 4). Slots that are
  /// the same random variable as an earlier one (equal variances and covariance) and carry a
  /// compatible activation are merged into it, so that the evaluators never see the singular
  /// covariance of two copies of one variable. slot_var[s] records the variable used.
  void add(int s, Activation a, Fn fn, const double (*Cs)[4], int* slot_var);
};

/// Jointly Gaussian variables (mean m, covariance C) of the piecewise-linear recursion, each
/// with the factor x^deg th(x)^th, th the step function (ReLU: g = x th, g' = th).
struct Vars {
  int n = 0;
  double C[4][4] = {};
  double m[4] = {};
  int deg[4] = {};
  bool th[4] = {};
};

/// Orthant probabilities already computed, by their variables' means and covariances: the
/// recursion meets the same ones many times when one caller asks for many moments.
using OrthantCache = std::map<std::array<double, 15>, double>;

/// E[prod_i x_i^deg_i th(x_i)^th_i], exact: Stein's lemma down to orthant probabilities (with
/// means: non-centred ones). Variances <= tiny count as zero.
double piecewise_moment(Vars s, double tiny, OrthantCache* cache = nullptr);

/// Exact: Stein's lemma down to orthant probabilities; all activations ReLU or linear.
double relu_moment(const Term& t);

/// Gauss-Hermite after Cholesky, smooth variables outermost; ReLU variables last,
/// the innermost analytically and an outer one on a rule split at its kink.
double quadrature(const Term& t);

/// Dispatches: conditions out ReLU delta factors, then the recursion when every variable
/// is ReLU/linear, the quadrature otherwise.
double evaluate(const Term& t);

}  // namespace onlinesgd::gaussian::detail

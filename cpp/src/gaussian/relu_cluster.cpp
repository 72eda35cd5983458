// A ReLU student's averages over one cluster of a Gaussian mixture (relu_cluster.hpp).
#include "onlinesgd/gaussian/relu_cluster.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "term.hpp"

namespace onlinesgd::gaussian {

namespace {

/// One factor of a moment: field k to the power deg, times its step function if th.
struct Factor {
  Eigen::Index k;
  int deg;
  bool th;
};

/// Moments of the fields lambda ~ N(m, S).
class Fields {
 public:
  Fields(const Eigen::VectorXd& m, const Eigen::MatrixXd& S) : m_(m), S_(S) {
    tiny_ = 1e-13 * std::max(S.diagonal().maxCoeff(), 1e-300);
  }

  /// Whether fields j and k are one random variable: equal means and lambda_j - lambda_k of zero
  /// variance (two identical units), so that the recursion never meets a singular pair.
  bool same(Eigen::Index j, Eigen::Index k) const {
    if (j == k) return true;
    const double tol = 1e-12 * std::max({S_(j, j), S_(k, k), 1e-300});
    return std::abs(S_(j, j) - S_(k, k)) <= tol && std::abs(S_(j, j) - S_(j, k)) <= tol &&
           std::abs(m_(j) - m_(k)) <= std::sqrt(tol);
  }

  /// E[prod of the factors]; factors of one field merge (th^2 = th). The fields enter in
  /// increasing order, so that the same orthant probabilities meet the same cache entries.
  double operator()(std::initializer_list<Factor> factors) const {
    Factor sorted[4];
    const int count = static_cast<int>(factors.size());
    std::copy(factors.begin(), factors.end(), sorted);
    std::sort(sorted, sorted + count, [](const Factor& a, const Factor& b) { return a.k < b.k; });
    detail::Vars s;
    Eigen::Index field[4];
    for (int i = 0; i < count; ++i) {
      const Factor& f = sorted[i];
      int a = 0;
      while (a < s.n && !same(field[a], f.k)) ++a;
      if (a == s.n) {
        field[s.n++] = f.k;
        for (int b = 0; b < s.n; ++b) s.C[a][b] = s.C[b][a] = S_(f.k, field[b]);
        s.m[a] = m_(f.k);
      }
      s.deg[a] += f.deg;
      s.th[a] = s.th[a] || f.th;
    }
    return detail::piecewise_moment(s, tiny_, &cache_);
  }

 private:
  const Eigen::VectorXd& m_;
  const Eigen::MatrixXd& S_;
  double tiny_;
  mutable detail::OrthantCache cache_;
};

Factor step(Eigen::Index k) { return {k, 0, true}; }
Factor relu(Eigen::Index k) { return {k, 1, true}; }
Factor field(Eigen::Index k) { return {k, 1, false}; }

}  // namespace

PointSums relu_cluster_averages(const Eigen::VectorXd& m, const Eigen::MatrixXd& S, const Eigen::VectorXd& v,
                                double ybar) {
  const Eigen::Index K = m.size();
  const Fields E(m, S);
  PointSums s{Eigen::VectorXd::Zero(K), Eigen::MatrixXd::Zero(K, K), Eigen::MatrixXd::Zero(K, K),
              Eigen::VectorXd::Zero(K)};
  // with r = ybar - phi, phi = sum_j v_j lambda_j th_j, and sq = 1 - 2 ybar phi + phi^2
  Eigen::MatrixXd gg(K, K);  // E[g_i g_j]
  for (Eigen::Index i = 0; i < K; ++i)
    for (Eigen::Index j = 0; j <= i; ++j) gg(i, j) = gg(j, i) = E({relu(i), relu(j)});
  Eigen::VectorXd g(K);
  for (Eigen::Index i = 0; i < K; ++i) g(i) = E({relu(i)});
  s.sq = 1.0 - 2.0 * ybar * v.dot(g) + v.dot(gg * v);
  s.g_r = ybar * g - gg * v;
  for (Eigen::Index k = 0; k < K; ++k) {
    Eigen::VectorXd dg_g(K);  // E[g'_k g_j]
    for (Eigen::Index j = 0; j < K; ++j) dg_g(j) = E({step(k), relu(j)});
    const double pk = E({step(k)});
    s.dg_r(k) = ybar * pk - v.dot(dg_g);
    for (Eigen::Index l = 0; l < K; ++l) {  // E[g'_k r (lambda_l - m_l)]
      double rest = 0.0;
      for (Eigen::Index j = 0; j < K; ++j) rest += v(j) * (E({step(k), relu(j), field(l)}) - m(l) * dg_g(j));
      s.dg_rd(k, l) = ybar * (E({step(k), field(l)}) - m(l) * pk) - rest;
    }
    for (Eigen::Index l = 0; l <= k; ++l) {  // E[g'_k g'_l sq], symmetric in (i, j)
      double first = 0.0, second = 0.0;
      for (Eigen::Index i = 0; i < K; ++i) {
        first += v(i) * E({step(k), step(l), relu(i)});
        for (Eigen::Index j = 0; j <= i; ++j)
          second += (i == j ? 1.0 : 2.0) * v(i) * v(j) * E({step(k), step(l), relu(i), relu(j)});
      }
      s.dg_sq(k, l) = s.dg_sq(l, k) = E({step(k), step(l)}) - 2.0 * ybar * first + second;
    }
  }
  return s;
}

}  // namespace onlinesgd::gaussian

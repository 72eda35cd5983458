#include "onlinesgd/ode/manifold_drift.hpp"

#include <vector>

#include "onlinesgd/gaussian/averages.hpp"
#include "onlinesgd/gaussian/i2.hpp"
#include "onlinesgd/model/rule.hpp"

namespace onlinesgd::ode {

ManifoldDrift manifold_drift(const ModelConfig& cfg, const Overlaps& o) {
  const int K = cfg.K, M = cfg.M, n = K + M;
  Eigen::MatrixXd C(n, n);
  C << o.Q, o.R, o.R.transpose(), o.T;
  std::vector<Activation> act(n);
  Eigen::VectorXd u(n);
  for (int a = 0; a < n; ++a) {
    act[a] = a < K ? cfg.g_student : cfg.teacher_activation(a - K);
    u(a) = a < K ? -o.v(a) : o.v_star(a - K);
  }
  const model::Rates rates = model::rates(cfg);
  // I3sum[k, b] = sum_c u_c I3(k, b, c) and the I4 / J2 sums, as the i.i.d. ODE (ode/system.cpp)
  Eigen::MatrixXd i3sum = Eigen::MatrixXd::Zero(K, n);
  for (int k = 0; k < K; ++k)
    for (int b = 0; b < n; ++b)
      for (int c = 0; c < n; ++c) {
        if (u(c) == 0.0) continue;
        Eigen::Matrix3d C3;
        const int idx[3] = {k, b, c};
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) C3(i, j) = C(idx[i], idx[j]);
        i3sum(k, b) += u(c) * gaussian::i3(act[k], act[c], C3);
      }
  ManifoldDrift d;
  // G^T = C^-1 (v o I3sum)^T; a rank-revealing solve keeps degenerate fields (C singular) finite
  const Eigen::MatrixXd G =
      C.completeOrthogonalDecomposition().solve((o.v.head(K).asDiagonal() * i3sum).transpose()).transpose();
  d.A = rates.eta * G.leftCols(K);
  d.B = rates.eta * G.rightCols(M);
  d.EE.resize(K, K);
  for (int k = 0; k < K; ++k)
    for (int l = k; l < K; ++l) {
      double acc = 0.0;
      for (int c = 0; c < n; ++c)
        for (int e = 0; e < n; ++e) {
          if (u(c) == 0.0 || u(e) == 0.0) continue;
          Eigen::Matrix4d C4;
          const int idx[4] = {k, l, c, e};
          for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) C4(i, j) = C(idx[i], idx[j]);
          acc += u(c) * u(e) * gaussian::i4(act[k], act[l], act[c], act[e], C4);
        }
      acc += rates.sigma2 * gaussian::j2(act[k], act[l], C(k, k), C(l, l), C(k, l));
      d.EE(k, l) = d.EE(l, k) = rates.eta * rates.eta * o.v(k) * o.v(l) * acc;
    }
  d.dv = Eigen::VectorXd::Zero(K);
  if (cfg.trains_second_layer())
    for (int k = 0; k < K; ++k)
      for (int c = 0; c < n; ++c)
        d.dv(k) += rates.eta_v * u(c) * gaussian::i2(act[k], act[c], C(k, k), C(c, c), C(k, c));
  d.eg = generalisation_error(o, cfg);
  return d;
}

}  // namespace onlinesgd::ode

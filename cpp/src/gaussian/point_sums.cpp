#include "onlinesgd/gaussian/point_sums.hpp"

namespace onlinesgd::gaussian {

PointSums point_sums(Activation g, const RowMatrix& z, const Eigen::VectorXd& w, const Eigen::VectorXd& m,
                     const Eigen::MatrixXd& L, const Eigen::VectorXd& v, double ybar, double y) {
  const Eigen::Index K = m.size();
  PointSums s{Eigen::VectorXd::Zero(K), Eigen::MatrixXd::Zero(K, K), Eigen::MatrixXd::Zero(K, K),
              Eigen::VectorXd::Zero(K)};
  Eigen::VectorXd d(K), G(K), DG(K);
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    d.noalias() = L * z.row(i).transpose();  // lambda - m
    double phi = 0.0;
    for (Eigen::Index k = 0; k < K; ++k) {
      G(k) = act_g(g, m(k) + d(k));
      DG(k) = act_dg(g, m(k) + d(k));
      phi += v(k) * G(k);
    }
    const double wi = w(i), r = ybar - phi, sq = 1.0 - 2.0 * ybar * phi + phi * phi;
    for (Eigen::Index k = 0; k < K; ++k) {
      const double a = wi * DG(k) * r;
      s.dg_r(k) += a;
      s.g_r(k) += wi * G(k) * r;
      for (Eigen::Index l = 0; l < K; ++l) {
        s.dg_rd(k, l) += a * d(l);
        s.dg_sq(k, l) += wi * DG(k) * DG(l) * sq;
      }
    }
    s.sq += wi * sq;
    s.wrong += y * phi < 0.0 ? wi : (phi == 0.0 ? 0.5 * wi : 0.0);
  }
  return s;
}

}  // namespace onlinesgd::gaussian

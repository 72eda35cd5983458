// The Gaussian averages of the mixture ODE (python/onlinesgd/mixture_averages.py): sums over
// quadrature points, a ReLU student's exact averages, and the normal distribution functions.
#include "bind_common.hpp"

#include <string>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/gaussian/normal_cdf.hpp"
#include "onlinesgd/gaussian/point_sums.hpp"
#include "onlinesgd/gaussian/relu_cluster.hpp"

namespace {

py::dict sums_dict(const onlinesgd::gaussian::PointSums& s) {
  return py::dict(py::arg("dg_r") = s.dg_r, py::arg("dg_rd") = s.dg_rd, py::arg("dg_sq") = s.dg_sq,
                  py::arg("g_r") = s.g_r, py::arg("sq") = s.sq, py::arg("wrong") = s.wrong);
}

}  // namespace

void bind_gaussian(py::module_& m) {
  m.def(
      "point_sums",
      [](const std::string& name, const onlinesgd::RowMatrix& z, const Eigen::VectorXd& w, const Eigen::VectorXd& m,
         const Eigen::MatrixXd& L, const Eigen::VectorXd& v, double ybar, double y) {
        const auto K = m.size();
        if (z.cols() != K || w.size() != z.rows() || L.rows() != K || L.cols() != K || v.size() != K)
          throw py::value_error("point_sums: z is n x K, w has n values, L is K x K and v has K");
        const auto s = onlinesgd::gaussian::point_sums(onlinesgd::activation_from_name(name), z, w, m, L, v, ybar, y);
        return sums_dict(s);
      },
      py::arg("activation"), py::arg("z"), py::arg("w"), py::arg("m"), py::arg("L"), py::arg("v"), py::arg("ybar"),
      py::arg("y"), "weighted sums over the points m + L z of the mixture ODE's averages (gaussian/point_sums.hpp)");
  m.def(
      "relu_cluster_averages",
      [](const Eigen::VectorXd& m, const Eigen::MatrixXd& S, const Eigen::VectorXd& v, double ybar) {
        const auto K = m.size();
        if (K < 1 || S.rows() != K || S.cols() != K || v.size() != K)
          throw py::value_error("relu_cluster_averages: m and v have K values and S is K x K");
        if (!m.allFinite() || !S.allFinite() || !v.allFinite() || (S.diagonal().array() < 0.0).any())
          throw py::value_error("relu_cluster_averages: m, S and v must be finite and S a covariance");
        onlinesgd::gaussian::PointSums s;
        {
          py::gil_scoped_release release;
          s = onlinesgd::gaussian::relu_cluster_averages(m, S, v, ybar);
        }
        return sums_dict(s);
      },
      py::arg("m"), py::arg("S"), py::arg("v"), py::arg("ybar"),
      "the sums of point_sums for a ReLU student as exact averages over N(m, S) (gaussian/relu_cluster.hpp)");
  m.def("bvn_cdf", py::vectorize(&onlinesgd::gaussian::bvn_cdf), py::arg("h"), py::arg("k"), py::arg("rho"),
        "P(X < h, Y < k) for standard normals of correlation rho, elementwise (gaussian/normal_cdf.hpp)");
  m.def(
      "mvn_cdf",
      [](const Eigen::VectorXd& h, const Eigen::MatrixXd& R) {
        const auto n = h.size();
        if (n > 4 || R.rows() != n || R.cols() != n)
          throw py::value_error("mvn_cdf: h has n <= 4 values and R is n x n");
        double Rs[4][4] = {};
        for (Eigen::Index i = 0; i < n; ++i)
          for (Eigen::Index j = 0; j < n; ++j) Rs[i][j] = R(i, j);
        return onlinesgd::gaussian::mvn_cdf(static_cast<int>(n), h.data(), Rs);
      },
      py::arg("h"), py::arg("R"), "P(Z < h) for Z ~ N(0, R), R a correlation matrix, n <= 4 (gaussian/normal_cdf.hpp)");
}

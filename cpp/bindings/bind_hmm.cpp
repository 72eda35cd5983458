#include "bind_common.hpp"

#include "onlinesgd/hmm_simulator.hpp"
#include "onlinesgd/ode/manifold_drift.hpp"

using onlinesgd::HmmSimulator;
using onlinesgd::RowMatrix;

void bind_hmm(py::module_& m) {
  py::class_<HmmSimulator>(m, "HmmSimulator")
      .def(py::init<const onlinesgd::ModelConfig&>(), py::arg("config"))
      .def_property_readonly("config", &HmmSimulator::config)
      .def_property_readonly("latent_dim", &HmmSimulator::latent_dim)
      // views, not copies: F alone is D x N (400 MB at N = 1e4, delta = 0.5); kept alive by the simulator
      .def_property_readonly("F", &HmmSimulator::features, py::return_value_policy::reference_internal)
      .def_property_readonly("theta", &HmmSimulator::theta, py::return_value_policy::reference_internal)
      .def_property_readonly("W", [](const HmmSimulator& s) { return RowMatrix(s.W()); })
      .def_property_readonly("v", [](const HmmSimulator& s) { return Eigen::VectorXd(s.v()); })
      .def_property_readonly("heads", &heads_matrix<HmmSimulator>)
      .def_property_readonly("v_star", [](const HmmSimulator& s) { return Eigen::VectorXd(s.v_star()); })
      .def(
          "set_student",
          [](HmmSimulator& s, const RowMatrix& W, const Eigen::VectorXd& v) {
            if (W.rows() != s.config().K || W.cols() != s.config().N || v.size() != s.config().K)
              throw py::value_error("set_student: W must be K x N and v of length K");
            s.set_student(W, v);
          },
          py::arg("W"), py::arg("v"))
      .def(
          "set_teacher",
          [](HmmSimulator& s, const RowMatrix& theta, const Eigen::VectorXd& v_star) {
            if (theta.rows() != s.config().M || theta.cols() != s.latent_dim() || v_star.size() != s.config().M)
              throw py::value_error("set_teacher: theta must be M x D and v_star of length M");
            s.set_teacher(theta, v_star);
          },
          py::arg("theta"), py::arg("v_star"))
      // what checkpoints read and restore, as on the weights engine's Simulator
      .def_property_readonly("B", [](const HmmSimulator& s) { return RowMatrix(s.theta()); })
      .def_property(
          "W_stored", [](const HmmSimulator& s) { return RowMatrix(s.W()); },
          [](HmmSimulator& s, const RowMatrix& W) {
            if (W.rows() != s.config().K || W.cols() != s.config().N)
              throw py::value_error("W_stored must have shape (K, N)");
            s.set_student(W, s.v());
          })
      .def_property(
          "carry", [](const HmmSimulator&) { return Eigen::VectorXd(); },
          [](HmmSimulator&, const Eigen::VectorXd& c) {
            if (c.size() != 0) throw py::value_error("carry: the hidden manifold simulator carries nothing");
          })
      .def_property("steps", &HmmSimulator::steps, &HmmSimulator::set_steps)
      .def_property_readonly("time", &HmmSimulator::time)
      .def_property_readonly("diverged", &HmmSimulator::diverged)
      .def(
          "advance",
          [](HmmSimulator& s, std::uint64_t n) {
            py::gil_scoped_release release;  // touches only the C++ object
            return s.advance(n);
          },
          py::arg("n"))
      .def(
          "samples",
          [](const HmmSimulator& s, std::uint64_t first, int count) {
            RowMatrix X, nu;
            Eigen::VectorXd zeta;
            s.samples(first, count, X, nu, zeta);
            return py::make_tuple(X, nu, zeta);
          },
          py::arg("first"), py::arg("count"), "(X, nu, zeta) of samples first .. first + count - 1")
      .def("step_on", &HmmSimulator::step_on, py::arg("X"), py::arg("nu"), py::arg("zeta"))
      .def("overlaps", &overlaps_tuple<HmmSimulator>)
      .def("generalisation_error", &HmmSimulator::generalisation_error)
      .def("task_errors", [](const HmmSimulator& s) { return std::vector<double>{s.generalisation_error()}; });

  // The run driver calls advance_replicas on a list of steppers of one kind: this kind's overload.
  def_advance_replicas<HmmSimulator>(m, &onlinesgd::advance_manifolds,
                                     "advances every hidden-manifold simulator by n steps; returns the steps each did");
  m.def(
      "manifold_drift",
      [](const onlinesgd::ModelConfig& c, const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, const Eigen::MatrixXd& T,
         const Eigen::VectorXd& v, const Eigen::VectorXd& v_star) {
        if (Q.rows() != c.K || Q.cols() != c.K || R.rows() != c.K || R.cols() != c.M || T.rows() != c.M ||
            T.cols() != c.M || v.size() != c.K || v_star.size() != c.M)
          throw py::value_error("manifold_drift: inconsistent overlap shapes");
        const auto d = onlinesgd::ode::manifold_drift(c, onlinesgd::Overlaps{Q, R, T, v, v_star});
        return py::make_tuple(d.A, d.B, d.EE, d.dv, d.eg);
      },
      py::arg("config"), py::arg("Q"), py::arg("R"), py::arg("T"), py::arg("v"), py::arg("v_star"),
      "(A, B, EE, dv, eg) of the per-mode ODE at these overlaps (ode/manifold_drift.hpp)");
  m.def(
      "manifold_constants",
      [](const std::string& f) {
        const auto k = onlinesgd::manifold_constants(onlinesgd::manifold_f_from_name(f));
        return py::make_tuple(k.mu1, k.mu_star2);
      },
      py::arg("f"), "(mu1, mu*^2) of the generator f");
}

#include "bind_common.hpp"

#include "onlinesgd/rng.hpp"
#include "onlinesgd/simulator.hpp"

using onlinesgd::RowMatrix;
using onlinesgd::Simulator;

void bind_simulator(py::module_& m) {
  py::class_<Simulator>(m, "Simulator")
      .def(py::init<const onlinesgd::ModelConfig&>(), py::arg("config"))
      .def_property_readonly("W", [](const Simulator& s) { return RowMatrix(s.student().W); })
      .def_property_readonly("v", [](const Simulator& s) { return Eigen::VectorXd(s.student().v); })
      .def_property_readonly("B", [](const Simulator& s) { return RowMatrix(s.teacher().W); })
      .def_property_readonly("v_star", [](const Simulator& s) { return Eigen::VectorXd(s.teacher().v); })
      .def("set_student", &Simulator::set_student, py::arg("W"), py::arg("v"))
      .def("set_teacher", &Simulator::set_teacher, py::arg("B"), py::arg("v_star"))
      .def_property("steps", &Simulator::steps, &Simulator::set_steps)
      .def_property_readonly("time", &Simulator::time)
      .def_property_readonly("diverged", &Simulator::diverged)
      // The loop touches only C++ state owned by this object, so other Python threads may run.
      .def("advance", &Simulator::advance, py::arg("n"), py::call_guard<py::gil_scoped_release>())
      .def("step_on", &Simulator::step_on, py::arg("X"), py::arg("zeta"))
      .def("overlaps",
           [](const Simulator& s) {
             const auto o = s.overlaps();
             return py::make_tuple(o.Q, o.R, o.T, o.v, o.v_star);
           })
      .def("generalisation_error", &Simulator::generalisation_error);

  m.def(
      "normal_row",
      [](std::uint64_t seed, int stream, std::uint64_t counter, std::size_t n) {
        Eigen::VectorXd out(n);
        onlinesgd::rng::normal_row(seed, static_cast<onlinesgd::rng::Stream>(stream), counter, out.data(), n);
        return out;
      },
      py::arg("seed"), py::arg("stream"), py::arg("counter"), py::arg("n"),
      "n normals of one row of a random stream (for tests of the generator)");
}

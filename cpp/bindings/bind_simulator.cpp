#include "bind_common.hpp"

#include <optional>

#include "onlinesgd/fast_step.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"
#include "onlinesgd/simulator.hpp"
#include "onlinesgd/timing.hpp"

using onlinesgd::RowMatrix;
using onlinesgd::Simulator;

void bind_simulator(py::module_& m) {
  py::class_<Simulator>(m, "Simulator")
      .def(py::init<const onlinesgd::ModelConfig&>(), py::arg("config"))
      .def_property_readonly("W", [](const Simulator& s) { return RowMatrix(std::move(s.student().W)); })
      .def_property_readonly("v", &Simulator::active_head, "the head the current phase trains")
      .def_property_readonly("heads", &heads_matrix<Simulator>, "every head, heads x K")
      .def_property_readonly("B", [](const Simulator& s) { return RowMatrix(std::move(s.teacher().W)); })
      .def_property_readonly("v_star", [](const Simulator& s) { return Eigen::VectorXd(s.v_star()); })
      .def(
          "set_student",
          [](Simulator& s, const RowMatrix& W, const Eigen::VectorXd& v) {
            if (W.rows() != s.config().K || W.cols() != s.config().N || v.size() != s.config().K * s.config().heads())
              throw py::value_error("set_student: W must be K x N and v hold heads x K values");
            s.set_student(W, v);
          },
          py::arg("W"), py::arg("v"), "the student's first layer and every head (heads x K values, head by head)")
      .def("set_teacher", &Simulator::set_teacher, py::arg("B"), py::arg("v_star"))
      .def_property_readonly("in_teacher_frame", &Simulator::in_teacher_frame)
      .def_property(
          "W_stored", &Simulator::stored_W,
          [](Simulator& s, const RowMatrix& W) {
            if (W.rows() != s.config().K || W.cols() != s.config().N)
              throw py::value_error("W_stored must have shape (K, N)");
            s.set_stored_W(W);
          },
          "first layer as stored: W O in the teacher frame, else W (checkpoints)")
      .def("input", &Simulator::input, py::arg("sample"), "input of one sample in the input basis")
      .def_property("steps", &Simulator::steps, &Simulator::set_steps)
      .def_property(
          "carry",
          [](const Simulator& s) {
            return Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(s.carry().data(), Eigen::Index(s.carry().size())));
          },
          [](Simulator& s, const Eigen::VectorXd& c) {
            if (c.size() != 0 && c.size() != s.config().K) throw py::value_error("carry must have length K or 0");
            s.set_carry(std::vector<double>(c.data(), c.data() + c.size()));
          },
          "fields carried into the next step after an odd number of online steps (checkpoints; set after steps)")
      .def_property_readonly("time", &Simulator::time)
      .def_property_readonly("phase", &Simulator::phase, "the phase of the schedule the next step belongs to")
      .def_property_readonly("diverged", &Simulator::diverged)
      // The loop touches only C++ state owned by this object, so other Python threads may run.
      .def("advance", &Simulator::advance, py::arg("n"), py::arg("threads") = 0,
           py::call_guard<py::gil_scoped_release>())
      .def(
          "step_on",
          [](Simulator& s, const RowMatrix& X, const Eigen::VectorXd& zeta, std::optional<RowMatrix> xi) {
            return s.step_on(X, zeta, xi ? &*xi : nullptr);
          },
          py::arg("X"), py::arg("zeta"), py::arg("xi") = py::none())
      .def("weight_noise", &Simulator::weight_noise, py::arg("step"),
           "standard-normal Langevin noise (K x N, input basis) that step `step` adds")
      .def_property(
          "feedback", [](const Simulator& s) { return Eigen::VectorXd(s.feedback()); },
          [](Simulator& s, const Eigen::VectorXd& b) {
            if (s.config().feedback != onlinesgd::Feedback::Fixed || b.size() != s.config().K)
              throw py::value_error("feedback: a K-vector, for feedback alignment only");
            s.set_feedback(b);
          },
          "the fixed feedback vector b (feedback alignment), empty for backprop")
      .def("overlaps", &overlaps_tuple<Simulator>, "Q, R, T, the head in use, v_star")
      .def("generalisation_error", &Simulator::generalisation_error,
           "eg on the current phase's training distribution (eg with one teacher)")
      .def("task_errors", &Simulator::task_errors, "eg on every task with the head it uses");

  m.def(
      "normal_row",
      [](std::uint64_t seed, int stream, std::uint64_t counter, std::size_t n) {
        Eigen::VectorXd out(n);
        onlinesgd::rng::normal_row(seed, static_cast<onlinesgd::rng::Stream>(stream), counter, out.data(), n);
        return out;
      },
      py::arg("seed"), py::arg("stream"), py::arg("counter"), py::arg("n"),
      "n normals of one row of a random stream (for tests of the generator)");
  m.def(
      "input_row",
      [](std::uint64_t seed, std::uint64_t sample, const onlinesgd::ModelConfig& c) -> py::object {
        const auto n = static_cast<std::size_t>(c.N);
        if (c.precision == onlinesgd::Precision::Float32) {
          Eigen::VectorXf out(n);
          onlinesgd::rng::input_row(seed, sample, c.inputs, out.data(), n);
          return py::cast(out);
        }
        Eigen::VectorXd out(n);
        onlinesgd::rng::input_row(seed, sample, c.inputs, out.data(), n);
        return py::cast(out);
      },
      py::arg("seed"), py::arg("sample"), py::arg("config"),
      "the input x of one sample as the simulator draws it (config's N, precision, inputs)");
  def_advance_replicas<Simulator>(m, &onlinesgd::advance_replicas,
                                  "advances every simulator by n steps; returns the steps each did");
  m.def(
      "step_threads",
      [](const onlinesgd::ModelConfig& c) { return onlinesgd::step_threads(c, onlinesgd::max_threads()); },
      py::arg("config"), "threads one simulator of this configuration uses along N");
  m.def(
      "generation_seconds",
      [](const onlinesgd::ModelConfig& c, std::uint64_t samples, int threads) {
        py::gil_scoped_release release;
        return onlinesgd::generation_seconds(
            c, samples, threads > 0 ? threads : onlinesgd::step_threads(c, onlinesgd::max_threads()));
      },
      py::arg("config"), py::arg("samples"), py::arg("threads") = 0,
      "seconds to only draw `samples` inputs of the config (threads 0: as many as a step uses)");
  m.def(
      "weight_pass_seconds",
      [](const onlinesgd::ModelConfig& c, std::uint64_t passes, int threads) {
        py::gil_scoped_release release;
        return onlinesgd::weight_pass_seconds(
            c, passes, threads > 0 ? threads : onlinesgd::step_threads(c, onlinesgd::max_threads()));
      },
      py::arg("config"), py::arg("passes"), py::arg("threads") = 0,
      "seconds for read-modify-write passes over a K x N weight matrix (the memory floor)");
  m.def(
      "phase_seconds",
      [](const onlinesgd::ModelConfig& c, std::uint64_t steps) {
        py::gil_scoped_release release;
        const auto p = onlinesgd::phase_seconds(c, steps);
        return py::dict(py::arg("draw") = p.draw, py::arg("forward") = p.forward, py::arg("update") = p.update);
      },
      py::arg("config"), py::arg("steps"), "per-step seconds of each phase run alone on one thread");
}

#include "bind_common.hpp"

#include <stdexcept>
#include <string>

#include "onlinesgd/chain/gamma.hpp"
#include "onlinesgd/chain/normal_stream.hpp"
#include "onlinesgd/overlap_chain.hpp"

using onlinesgd::OverlapChain;

namespace {

const char* method_name(OverlapChain::Method m) {
  switch (m) {
    case OverlapChain::Method::Householder:
      return "householder";
    case OverlapChain::Method::Givens:
      return "givens";
    case OverlapChain::Method::Auto:
      break;
  }
  return "auto";
}

OverlapChain::Method method_from_name(const std::string& name) {
  for (auto m : {OverlapChain::Method::Auto, OverlapChain::Method::Householder, OverlapChain::Method::Givens})
    if (name == method_name(m)) return m;
  throw std::invalid_argument("method must be 'auto', 'householder' or 'givens', got '" + name + "'");
}

}  // namespace

void bind_overlap_chain(py::module_& m) {
  py::class_<OverlapChain>(m, "OverlapChain")
      .def(py::init<const onlinesgd::ModelConfig&>(), py::arg("config"))
      .def_property(
          "factor", [](const OverlapChain& c) { return Eigen::MatrixXd(c.factor()); }, &OverlapChain::set_factor,
          "the d x d lower-triangular factor U of the Gram matrix [[T, R^T], [R, Q]] (checkpoints)")
      .def("set_overlaps", &OverlapChain::set_overlaps, py::arg("Q"), py::arg("R"), py::arg("T"))
      .def("set_heads", &OverlapChain::set_heads, py::arg("v"), py::arg("v_star"))
      .def_property_readonly("v", &OverlapChain::active_head, "the head the current phase trains")
      .def_property_readonly("v_star", [](const OverlapChain& c) { return Eigen::VectorXd(c.v_star()); })
      .def_property_readonly(
          "feedback", [](const OverlapChain& c) { return Eigen::VectorXd(c.feedback()); },
          "the fixed feedback vector b of feedback alignment (from the config), empty for backprop")
      .def_property(
          "method", [](const OverlapChain& c) { return std::string(method_name(c.method())); },
          [](OverlapChain& c, const std::string& name) { c.set_method(method_from_name(name)); },
          "re-triangularisation: 'auto', 'householder' or 'givens' (the same factor up to rounding)")
      .def_property("steps", &OverlapChain::steps, &OverlapChain::set_steps)
      .def_property_readonly("time", &OverlapChain::time)
      .def_property_readonly("diverged", &OverlapChain::diverged)
      .def_property_readonly("dim", &OverlapChain::dim)
      .def_property_readonly("normals_per_step", &OverlapChain::normals_per_step)
      // The loop touches only C++ state owned by this object, so other Python threads may run.
      .def("advance", &OverlapChain::advance, py::arg("n"), py::call_guard<py::gil_scoped_release>())
      .def("overlaps", &overlaps_tuple<OverlapChain>, "Q, R, T, the head in use, v_star")
      .def("generalisation_error", &OverlapChain::generalisation_error,
           "eg on the current phase's training distribution (eg with one teacher)")
      .def_property_readonly("heads", &heads_matrix<OverlapChain>, "every head, heads x K")
      .def("task_errors", &OverlapChain::task_errors, "eg on every task with the head it uses");

  // The run driver calls advance_replicas on a list of simulators or of chains: the chains' overload.
  def_advance_replicas<OverlapChain>(m, &onlinesgd::advance_chains,
                                     "advances every overlap chain by n steps; returns the steps each did");
  m.def(
      "chi_square_draws",
      [](std::uint64_t seed, double dof, std::size_t n) {
        if (!(dof > 0)) throw py::value_error("dof must be > 0");
        const auto chi = onlinesgd::chain::chi_square_sampler(dof);
        onlinesgd::chain::NormalStream normals(seed, onlinesgd::rng::Stream::Chain);
        normals.seek(0);
        onlinesgd::chain::Words words{onlinesgd::rng::block_key(seed, onlinesgd::rng::Stream::ChainWords, 0, 0)};
        Eigen::VectorXd out(static_cast<Eigen::Index>(n));
        for (auto& x : out) x = 2.0 * chi.draw(normals.next(), words);
        return out;
      },
      py::arg("seed"), py::arg("dof"), py::arg("n"), "n chi-square(dof) draws of the overlap engine's sampler (tests)");
}

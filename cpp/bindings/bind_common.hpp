#pragma once
// The one include point for pybind11; first include in every binding file.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

void bind_config(py::module_& m);
void bind_simulator(py::module_& m);
void bind_kernel(py::module_& m);
void bind_ode(py::module_& m);
void bind_overlap_chain(py::module_& m);
void bind_hmm(py::module_& m);
void bind_rows(py::module_& m);
void bind_gaussian(py::module_& m);

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

/// Defines (or overloads) advance_replicas(sims, n) for one kind of stepper. Each object is
/// touched by one thread only, and Python cannot reach them while the GIL is released because
/// the list keeps them alive and the call blocks until all are done.
template <class Stepper>
void def_advance_replicas(py::module_& m,
                          std::vector<std::uint64_t> (*advance)(const std::vector<Stepper*>&, std::uint64_t),
                          const char* doc) {
  m.def(
      "advance_replicas",
      [advance](const std::vector<Stepper*>& sims, std::uint64_t n) {
        py::gil_scoped_release release;
        return advance(sims, n);
      },
      py::arg("sims"), py::arg("n"), doc);
}

/// The overlaps as the Python steppers (Simulator, OverlapChain) return them: (Q, R, T, the head
/// in use, v_star); every head is their `heads`.
/// Every head of a stepper as a heads x K array (its `heads` holds head h at h K).
template <class Stepper>
Eigen::MatrixXd heads_matrix(const Stepper& s) {
  const auto& v = s.heads();
  const Eigen::Index K = s.config().K;
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(v.data(),
                                                                                                  v.size() / K, K);
}

template <class Stepper>
py::tuple overlaps_tuple(const Stepper& s) {
  const auto o = s.overlaps();
  return py::make_tuple(o.Q, o.R, o.T, s.active_head(), o.v_star);
}

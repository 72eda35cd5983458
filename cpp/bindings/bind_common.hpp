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

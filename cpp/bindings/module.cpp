#include "bind_common.hpp"

#include "onlinesgd/parallel.hpp"
#include "onlinesgd/version.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "onlinesgd C++ core (private: use the onlinesgd package)";
  m.attr("__version__") = onlinesgd::version();
  m.def("max_threads", &onlinesgd::max_threads, "OpenMP threads used by the core");
  m.def("set_max_threads", &onlinesgd::set_max_threads, py::arg("n"));
  bind_config(m);
  bind_simulator(m);
  bind_overlap_chain(m);
  bind_kernel(m);
  bind_ode(m);
  bind_hmm(m);
  bind_rows(m);
  bind_gaussian(m);
}

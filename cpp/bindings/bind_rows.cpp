// Given input rows: stepping a simulator on them, and the random streams of a Gaussian mixture's
// samples (python/onlinesgd/rows.py and mixture.py).
#include "bind_common.hpp"

#include <optional>
#include <string>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"
#include "onlinesgd/simulator.hpp"

using onlinesgd::Simulator;

namespace {

template <class In>
std::uint64_t advance_on(Simulator& s, const py::array_t<In, py::array::c_style>& X,
                         const std::optional<py::array_t<double, py::array::c_style>>& labels) {
  if (X.ndim() != 2 || X.shape(1) != s.config().N) throw py::value_error("advance_rows: X must be rows x N");
  const auto rows = static_cast<std::uint64_t>(X.shape(0));
  if (labels && (labels->ndim() != 1 || static_cast<std::uint64_t>(labels->shape(0)) != rows))
    throw py::value_error("advance_rows: labels must hold one number per row");
  const In* x = X.data();
  const double* y = labels ? labels->data() : nullptr;
  py::gil_scoped_release release;  // touches only this simulator and the arrays the caller holds
  return s.advance_rows(x, s.config().N, rows, y);
}

}  // namespace

void bind_rows(py::module_& m) {
  // float32 first: without it a float32 array would be converted (copied) to float64
  m.def("advance_rows", &advance_on<float>, py::arg("sim"), py::arg("X").noconvert(), py::arg("labels") = py::none());
  m.def("advance_rows", &advance_on<double>, py::arg("sim"), py::arg("X"), py::arg("labels") = py::none(),
        "steps sim on the rows of X (rows x N, C order) in order, batch rows per step, with the labels given or "
        "the teacher's; returns the steps done (fewer than rows / batch: diverged)");
  m.def(
      "activation_values",
      [](const std::string& name, const Eigen::ArrayXd& x) {
        const auto a = onlinesgd::activation_from_name(name);
        Eigen::ArrayXd g(x.size()), dg(x.size());
        for (Eigen::Index i = 0; i < x.size(); ++i)
          g(i) = onlinesgd::act_g(a, x(i)), dg(i) = onlinesgd::act_dg(a, x(i));
        return py::make_tuple(g, dg);
      },
      py::arg("name"), py::arg("x"), "g(x) and g'(x) of the named activation, elementwise (the engines' own)");
  m.def(
      "mixture_noise",
      [](std::uint64_t seed, std::uint64_t first, std::size_t count, std::size_t n, const Eigen::VectorXd& scale) {
        if (static_cast<std::size_t>(scale.size()) != count)
          throw py::value_error("mixture_noise: scale must hold one number per row");
        onlinesgd::RowMatrix z(count, n);
        {
          py::gil_scoped_release release;  // rows keyed by sample index: the same bits for any thread count
          onlinesgd::parallel_for(static_cast<std::int64_t>(count), n >= 1024, [&](std::int64_t r) {
            onlinesgd::rng::normal_row(seed, onlinesgd::rng::Stream::Mixture, first + r, z.row(r).data(), n);
            z.row(r) *= scale(r);
          });
        }
        return z;
      },
      py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("n"), py::arg("scale"),
      "scale[r] times the standard-normal noise z of samples first .. first + count - 1 of a Gaussian mixture "
      "(count x n), the rows drawn in parallel");
  m.def(
      "mixture_uniforms",
      [](std::uint64_t seed, std::uint64_t first, std::size_t count, std::uint64_t block) {
        Eigen::VectorXd u(count);
        for (std::size_t r = 0; r < count; ++r)
          u(r) = onlinesgd::rng::stream_uniform(seed, onlinesgd::rng::Stream::MixtureClusters, first + r, block);
        return u;
      },
      py::arg("seed"), py::arg("first"), py::arg("count"), py::arg("block"),
      "uniforms in [0, 1) of samples first .. of a Gaussian mixture: block 0 picks the cluster, 1 the label flip");
}

#include "bind_common.hpp"

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "onlinesgd/kernel.hpp"

namespace {
namespace kernel = onlinesgd::kernel;

/// One column block through the active kernel (for the cross-target tests): rows W (K x n) get
/// W += coef[u] x_cur[u] for each row u of x_cur in turn, then x_next[d] is drawn from keys[d] and
/// partial[d, k] is the kernel's sum of row k times x_next[d]; with two keys also cross =
/// x_next[0] . x_next[1] (as a pair of online steps has it). Returns (W, x_next, partial, cross).
template <class Real>
py::tuple run_block(const Eigen::MatrixXd& W_in, const Eigen::MatrixXd& x_cur_in, const Eigen::MatrixXd& coef_in,
                    const std::vector<std::uint64_t>& keys, onlinesgd::Inputs inputs) {
  using Matrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto K = W_in.rows(), n = W_in.cols(), updates = x_cur_in.rows();
  const auto draws = static_cast<Eigen::Index>(keys.size());
  if (n < 1 || n > kernel::kBlock) throw py::value_error("W must have 1 to kBlock columns");
  if (K < 1) throw py::value_error("W must have at least one row");
  if (x_cur_in.cols() != n || coef_in.rows() != updates || coef_in.cols() != K)
    throw py::value_error("x_cur must be updates x n and coef updates x K");
  Matrix W = W_in.cast<Real>(), x_cur = x_cur_in.cast<Real>(), coef = coef_in.cast<Real>();
  Matrix x_next = Matrix::Zero(draws, n);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> partial(draws, K);
  double cross = 0.0;
  kernel::BlockArgs<Real> a{};
  a.W = W.data();
  a.ldw = n;
  a.K = static_cast<int>(K);
  a.x_cur = x_cur.data();
  a.x_next = x_next.data();
  a.ldx = n;
  a.updates = static_cast<int>(updates);
  a.coef = coef.data();
  a.draws = static_cast<int>(draws);
  a.keys = keys.data();
  a.inputs = inputs;
  a.count = static_cast<int>(n);
  a.partial = partial.data();
  a.cross = draws == 2 ? &cross : nullptr;
  if constexpr (std::is_same_v<Real, double>)
    kernel::active().block_d(a);
  else
    kernel::active().block_f(a);
  return py::make_tuple(W.template cast<double>().eval(), x_next.template cast<double>().eval(), partial,
                        draws == 2 ? py::cast(cross) : py::none());
}
}  // namespace

void bind_kernel(py::module_& m) {
  m.def(
      "kernel_target", [] { return std::string(kernel::active().name); },
      "instruction-set target of the kernels in use");
  m.def(
      "kernel_targets",
      [] {
        int n = 0;
        const char* const* names = kernel::compiled(&n);
        std::vector<std::string> out;
        for (int i = 0; i < n; ++i) out.emplace_back(names[i]);
        return out;
      },
      "targets compiled into this build, best last");
  m.def(
      "kernel_supported", [](const std::string& name) { return kernel::supported(name.c_str()); }, py::arg("name"),
      "whether this CPU can run the named compiled target");
  m.def(
      "select_kernel", [](const std::string& name) { return kernel::select(name.c_str()); }, py::arg("name"),
      "switches kernels (for tests and benchmarks); False if unavailable");
  m.def(
      "kernel_block",
      [](const Eigen::MatrixXd& W, const Eigen::MatrixXd& x_cur, const Eigen::MatrixXd& coef,
         const std::vector<std::uint64_t>& keys, bool float32, bool rademacher) {
        const auto inputs = rademacher ? onlinesgd::Inputs::Rademacher : onlinesgd::Inputs::Gaussian;
        return float32 ? run_block<float>(W, x_cur, coef, keys, inputs)
                       : run_block<double>(W, x_cur, coef, keys, inputs);
      },
      py::arg("W"), py::arg("x_cur"), py::arg("coef"), py::arg("keys"), py::arg("float32") = false,
      py::arg("rademacher") = false,
      "one column block through the active kernel (tests): returns (W updated, x_next drawn, row sums, "
      "x_next[0] . x_next[1] or None)");
}

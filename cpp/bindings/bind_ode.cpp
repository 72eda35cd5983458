#include "bind_common.hpp"

#include <chrono>
#include <optional>

#include "onlinesgd/gaussian/averages.hpp"
#include "onlinesgd/model/config.hpp"
#include "onlinesgd/ode/integrator.hpp"
#include "onlinesgd/ode/system.hpp"

namespace {

using onlinesgd::activation_from_name;

/// The integrator's on_step, for a run without the GIL: every ~0.1 s of wall time it takes the
/// GIL, runs Python's signal handlers (Ctrl-C) and calls progress(t) unless it is None. An
/// exception from either stops the integration and is kept in `error` for the caller.
struct Progress {
  py::object progress;
  std::optional<py::error_already_set> error;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();

  bool operator()(double t) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100)) return true;
    last = now;
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!progress.is_none()) progress(t);
    } catch (py::error_already_set& e) {
      error = std::move(e);
      return false;
    }
    return true;
  }
};

py::dict integrate(const onlinesgd::ModelConfig& config, const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R,
                   const Eigen::MatrixXd& T, const Eigen::VectorXd& v, const Eigen::VectorXd& v_star,
                   const std::vector<double>& times, const std::string& method, double rtol, double atol, double dt,
                   double max_dt, py::object progress, const std::optional<Eigen::VectorXd>& feedback, bool sgd_noise,
                   double t0) {
  const auto K = Q.rows(), M = T.rows(), H = static_cast<Eigen::Index>(config.heads());
  if (K != config.K || Q.cols() != K || R.rows() != K || R.cols() != M || T.cols() != M || v.size() != H * K ||
      v_star.size() != M || M != config.teacher_rows())
    throw std::invalid_argument("inconsistent overlap shapes");
  onlinesgd::ode::Options opt{method, rtol, atol, dt, max_dt, t0, {}};
  Progress report{std::move(progress), std::nullopt};
  opt.on_step = [&report](double t) { return report(t); };
  if (feedback && feedback->size() != K) throw std::invalid_argument("feedback must have length K");
  onlinesgd::ode::System system(config, T, v_star, feedback ? &*feedback : nullptr, sgd_noise);
  onlinesgd::Overlaps init{Q, R, T, v, v_star};
  onlinesgd::ode::Result res;
  {
    // Safe: the integration touches only the C++ objects built above, never Python objects.
    py::gil_scoped_release release;
    res = onlinesgd::ode::integrate(system, init, times, opt);
  }
  // Ctrl-C returns what was integrated (as the simulator does); other errors propagate.
  bool interrupted = false;
  if (report.error) {
    if (!report.error->matches(PyExc_KeyboardInterrupt)) throw std::move(*report.error);
    interrupted = true;
  }
  const auto n = static_cast<py::ssize_t>(res.times.size());
  const auto P = static_cast<py::ssize_t>(config.tasks());
  py::array_t<double> Qs({n, py::ssize_t(K), py::ssize_t(K)}), Rs({n, py::ssize_t(K), py::ssize_t(M)}),
      vs({n, py::ssize_t(K)}), hs({n, py::ssize_t(H), py::ssize_t(K)}), egs({n, P});
  py::array_t<int> phases(n);
  auto q = Qs.mutable_unchecked<3>();
  auto r = Rs.mutable_unchecked<3>();
  auto w = vs.mutable_unchecked<2>();
  auto hw = hs.mutable_unchecked<3>();
  auto e = egs.mutable_unchecked<2>();
  auto ph = phases.mutable_unchecked<1>();
  for (py::ssize_t s = 0; s < n; ++s) {
    const auto& o = res.overlaps[s];
    // the head in use: that of the main task of the phase in force
    const Eigen::Index used = config.head_of(onlinesgd::model::phase(config, res.phases[s]).main_task);
    for (Eigen::Index i = 0; i < K; ++i) {
      for (Eigen::Index k = 0; k < K; ++k) q(s, i, k) = o.Q(i, k);
      for (Eigen::Index m = 0; m < M; ++m) r(s, i, m) = o.R(i, m);
      w(s, i) = o.v(used * K + i);
      for (Eigen::Index h = 0; h < H; ++h) hw(s, h, i) = o.v(h * K + i);
    }
    for (py::ssize_t p = 0; p < P; ++p) e(s, p) = res.eg_tasks[s][p];
    ph(s) = res.phases[s];
  }
  py::dict out;
  out["times"] = py::array_t<double>(n, res.times.data());
  out["eg"] = py::array_t<double>(n, res.eg.data());
  out["eg_tasks"] = egs;
  out["phases"] = phases;
  out["Q"] = Qs;
  out["R"] = Rs;
  out["v"] = vs;
  out["heads"] = hs;
  out["steps"] = res.steps;
  out["rejected"] = res.rejected;
  out["rhs_evaluations"] = res.rhs_evaluations;
  out["dt_min"] = res.dt_min;
  out["dt_max"] = res.dt_max;
  out["diverged"] = res.diverged;
  out["diverged_at"] = res.diverged_at;
  out["interrupted"] = interrupted;
  out["stopped_at"] = res.stopped_at;
  return out;
}

/// The state the right-hand side is asked at fits the system and the phase exists.
void check_state(const onlinesgd::ode::System& system, const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R,
                 const Eigen::VectorXd& v, int phase) {
  const auto K = system.K();
  if (Q.rows() != K || Q.cols() != K || R.rows() != K || R.cols() != system.M() ||
      v.size() != K * system.config().heads())
    throw std::invalid_argument("inconsistent overlap shapes");
  if (phase < 0 || phase >= onlinesgd::model::phases(system.config()))
    throw std::invalid_argument("phase must be one of the schedule's phases");
}

}  // namespace

void bind_ode(py::module_& m) {
  namespace g = onlinesgd::gaussian;
  m.def(
      "gaussian_j2",
      [](const std::string& ga, const std::string& gb, double caa, double cbb, double cab) {
        return g::j2(activation_from_name(ga), activation_from_name(gb), caa, cbb, cab);
      },
      py::arg("g_a"), py::arg("g_b"), py::arg("caa"), py::arg("cbb"), py::arg("cab"), "E[g_a'(a) g_b'(b)]");
  m.def(
      "gaussian_e_d2g_g",
      [](const std::string& ga, const std::string& gc, double caa, double ccc, double cac) {
        return g::e_d2g_g(activation_from_name(ga), activation_from_name(gc), caa, ccc, cac);
      },
      py::arg("g_a"), py::arg("g_c"), py::arg("caa"), py::arg("ccc"), py::arg("cac"), "E[g_a''(a) g_c(c)]");
  m.def(
      "gaussian_i3",
      [](const std::string& ga, const std::string& gc, const Eigen::Matrix3d& C) {
        return g::i3(activation_from_name(ga), activation_from_name(gc), C);
      },
      py::arg("g_a"), py::arg("g_c"), py::arg("C"), "E[g_a'(a) b g_c(c)], C the covariance of (a, b, c)");
  m.def(
      "gaussian_i4",
      [](const std::string& ga, const std::string& gb, const std::string& gc, const std::string& gd,
         const Eigen::Matrix4d& C) {
        return g::i4(activation_from_name(ga), activation_from_name(gb), activation_from_name(gc),
                     activation_from_name(gd), C);
      },
      py::arg("g_a"), py::arg("g_b"), py::arg("g_c"), py::arg("g_d"), py::arg("C"),
      "E[g_a'(a) g_b'(b) g_c(c) g_d(d)], C the covariance of (a, b, c, d)");
  m.def(
      "gaussian_orthant",
      [](const Eigen::MatrixXd& C) {
        const auto n = C.rows();
        if (n < 1 || n > 4 || C.cols() != n) throw std::invalid_argument("C must be n x n with 1 <= n <= 4");
        double c[4][4] = {};
        for (Eigen::Index i = 0; i < n; ++i)
          for (Eigen::Index j = 0; j < n; ++j) c[i][j] = C(i, j);
        return g::orthant_probability(static_cast<int>(n), c);
      },
      py::arg("C"), "P(all > 0) for zero-mean Gaussian variables with covariance C (n <= 4)");
  m.def(
      "ode_rhs",
      [](const onlinesgd::ModelConfig& config, const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R,
         const Eigen::MatrixXd& T, const Eigen::VectorXd& v, const Eigen::VectorXd& v_star,
         const std::optional<Eigen::VectorXd>& feedback, bool sgd_noise, int phase) {
        onlinesgd::ode::System system(config, T, v_star, feedback ? &*feedback : nullptr, sgd_noise);
        check_state(system, Q, R, v, phase);
        system.set_phase(phase);
        std::vector<double> y(static_cast<std::size_t>(system.size())), dy(y.size());
        system.pack(onlinesgd::Overlaps{Q, R, T, v, v_star}, y.data());
        system.rhs(y.data(), dy.data());
        const auto d = system.unpack(dy.data());
        return py::make_tuple(d.Q, d.R, d.v);
      },
      py::arg("config"), py::arg("Q"), py::arg("R"), py::arg("T"), py::arg("v"), py::arg("v_star"),
      py::arg("feedback") = py::none(), py::arg("sgd_noise") = true, py::arg("phase") = 0,
      "the ODE's right-hand side at these overlaps (v: every head) in a phase of the schedule: "
      "(dQ/dt, dR/dt, dv/dt)");
  m.def(
      "sgd_temperature",
      [](const onlinesgd::ModelConfig& config, const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R,
         const Eigen::MatrixXd& T, const Eigen::VectorXd& v, const Eigen::VectorXd& v_star,
         const std::optional<Eigen::VectorXd>& feedback, int phase) {
        onlinesgd::ode::System system(config, T, v_star, feedback ? &*feedback : nullptr);
        check_state(system, Q, R, v, phase);
        system.set_phase(phase);
        std::vector<double> y(static_cast<std::size_t>(system.size()));
        system.pack(onlinesgd::Overlaps{Q, R, T, v, v_star}, y.data());
        return system.sgd_temperature(y.data());
      },
      py::arg("config"), py::arg("Q"), py::arg("R"), py::arg("T"), py::arg("v"), py::arg("v_star"),
      py::arg("feedback") = py::none(), py::arg("phase") = 0,
      "the SGD noise as a K x K temperature matrix at these overlaps (v: every head), for the samples of the "
      "phase's main task");
  m.def("ode_integrate", &integrate, py::arg("config"), py::arg("Q"), py::arg("R"), py::arg("T"), py::arg("v"),
        py::arg("v_star"), py::arg("times"), py::arg("method") = "dopri5", py::arg("rtol") = 1e-9,
        py::arg("atol") = 1e-11, py::arg("dt") = 0.01, py::arg("max_dt") = 1.0, py::arg("progress") = py::none(),
        py::arg("feedback") = py::none(), py::arg("sgd_noise") = true, py::arg("t0") = 0.0,
        "Integrates the order-parameter ODEs from t = 0 (t0 on the schedule's clock; v: every head, head by "
        "head); returns a dict of arrays (v: the head in use, heads: every head, eg_tasks, phases) and step "
        "statistics. "
        "progress(t) is called about every 0.1 s; Ctrl-C stops the run and returns what it reached "
        "(interrupted = True).");
}

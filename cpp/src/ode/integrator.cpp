// Dormand-Prince 5(4) (Hairer, Norsett & Wanner, Solving ODEs I, table 5.2) and RK4.
#include "onlinesgd/ode/integrator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace onlinesgd::ode {

namespace {

constexpr double a21 = 1.0 / 5;
constexpr double a31 = 3.0 / 40, a32 = 9.0 / 40;
constexpr double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
constexpr double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561, a54 = -212.0 / 729;
constexpr double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176, a65 = -5103.0 / 18656;
constexpr double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84;
// error weights: b (5th order) minus b-hat (4th order)
constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200, e6 = 22.0 / 525,
                 e7 = -1.0 / 40;
// dense output (Hairer & Wanner's DOPRI5 code): a 4th-order interpolant inside each step
constexpr double d1 = -12715105075.0 / 11282082432, d3 = 87487479700.0 / 32700410799, d4 = -10690763975.0 / 1880347072,
                 d5 = 701980252875.0 / 199316789632, d6 = -1453857185.0 / 822651844, d7 = 69997945.0 / 29380423;

bool finite(const std::vector<double>& y) {
  for (double x : y)
    if (!std::isfinite(x)) return false;
  return true;
}

class Stepper {
 public:
  Stepper(System& sys, const Options& opt) : sys_(sys), opt_(opt), n_(sys.size()) {
    for (auto* v : {&k1_, &k2_, &k3_, &k4_, &k5_, &k6_, &k7_, &tmp_, &ynew_, &r1_, &r2_, &r3_, &r4_, &r5_})
      v->assign(n_, 0.0);
  }

  /// Advances y from t to t_end. Returns false on a non-finite state (y, t stay at the last good one).
  /// Advances the state (y, t) and writes the state at t_out (<= t_last) into out. Returns
  /// false on a non-finite state (y, t then stay at the last good one).
  bool advance(std::vector<double>& y, double& t, double t_out, double t_last, std::vector<double>& out, Result& res) {
    if (opt_.method == "rk4") {
      if (!advance_rk4(y, t, t_out, res)) return false;
      out = y;
      return true;
    }
    return advance_dopri(y, t, t_out, t_last, out, res);
  }

  /// Forgets the last step, as after a jump of the right-hand side: the next one starts afresh.
  void restart() {
    have_k1_ = false;
    dt_ = opt_.dt;
  }

  double dt_ = 0.0;       // dopri5: the step proposed for the next attempt
  bool stopped_ = false;  // on_step asked to stop (advance then returns false)

 private:
  void eval(const std::vector<double>& y, std::vector<double>& k, Result& res) {
    sys_.rhs(y.data(), k.data());
    ++res.rhs_evaluations;
  }
  void stage(const std::vector<double>& y, double h,
             std::initializer_list<std::pair<double, const std::vector<double>*>> terms) {
    for (int i = 0; i < n_; ++i) {
      double s = 0.0;
      for (const auto& [c, k] : terms) s += c * (*k)[i];
      tmp_[i] = y[i] + h * s;
    }
  }
  /// Counts a step that reached t; false when on_step asks to stop.
  bool record_dt(double h, double t, Result& res) {
    res.dt_min = res.steps == 0 ? h : std::min(res.dt_min, h);
    res.dt_max = std::max(res.dt_max, h);
    ++res.steps;
    stopped_ = opt_.on_step && !opt_.on_step(t);
    return !stopped_;
  }

  bool advance_rk4(std::vector<double>& y, double& t, double t_end, Result& res) {
    while (t < t_end) {
      // land exactly on t_end; a step within 1e-9 of it absorbs the remainder
      double h = opt_.dt;
      if (t + h * (1.0 + 1e-9) >= t_end) h = t_end - t;
      eval(y, k1_, res);
      stage(y, 0.5 * h, {{1.0, &k1_}});
      eval(tmp_, k2_, res);
      stage(y, 0.5 * h, {{1.0, &k2_}});
      eval(tmp_, k3_, res);
      stage(y, h, {{1.0, &k3_}});
      eval(tmp_, k4_, res);
      for (int i = 0; i < n_; ++i) ynew_[i] = y[i] + h / 6.0 * (k1_[i] + 2.0 * k2_[i] + 2.0 * k3_[i] + k4_[i]);
      if (!finite(ynew_)) return false;
      y.swap(ynew_);
      t = (h == t_end - t) ? t_end : t + h;
      if (!record_dt(h, t, res)) return false;
    }
    return true;
  }

  /// dopri5: steps freely (only the last step is cut to end exactly at t_last) and writes
  /// y(t_out) into out by the dense-output interpolant of the step containing t_out.
  bool advance_dopri(std::vector<double>& y, double& t, double t_out, double t_last, std::vector<double>& out,
                     Result& res) {
    if (!have_k1_) {
      eval(y, k1_, res);
      have_k1_ = true;
    }
    while (t < t_out) {
      const double h_full = std::min(dt_, opt_.max_dt);
      const bool last = t + h_full * (1.0 + 1e-9) >= t_last;
      const double h = last ? t_last - t : h_full;
      stage(y, h, {{a21, &k1_}});
      eval(tmp_, k2_, res);
      stage(y, h, {{a31, &k1_}, {a32, &k2_}});
      eval(tmp_, k3_, res);
      stage(y, h, {{a41, &k1_}, {a42, &k2_}, {a43, &k3_}});
      eval(tmp_, k4_, res);
      stage(y, h, {{a51, &k1_}, {a52, &k2_}, {a53, &k3_}, {a54, &k4_}});
      eval(tmp_, k5_, res);
      stage(y, h, {{a61, &k1_}, {a62, &k2_}, {a63, &k3_}, {a64, &k4_}, {a65, &k5_}});
      eval(tmp_, k6_, res);
      for (int i = 0; i < n_; ++i)
        ynew_[i] = y[i] + h * (b1 * k1_[i] + b3 * k3_[i] + b4 * k4_[i] + b5 * k5_[i] + b6 * k6_[i]);
      eval(ynew_, k7_, res);  // first-same-as-last: k7 is the next step's k1
      double err = 0.0;
      for (int i = 0; i < n_; ++i) {
        const double e = h * (e1 * k1_[i] + e3 * k3_[i] + e4 * k4_[i] + e5 * k5_[i] + e6 * k6_[i] + e7 * k7_[i]);
        const double sc = opt_.atol + opt_.rtol * std::max(std::abs(y[i]), std::abs(ynew_[i]));
        err += (e / sc) * (e / sc);
      }
      err = std::sqrt(err / n_);
      if (!std::isfinite(err)) {
        // a non-finite trial state: retry shorter, and give up when the step vanishes
        dt_ = 0.1 * h;
        ++res.rejected;
        if (dt_ < 1e-12 * std::max(1.0, t)) return false;
        continue;
      }
      const double factor = std::clamp(0.9 * std::pow(std::max(err, 1e-10), -0.2), 0.2, 5.0);
      if (err > 1.0) {
        dt_ = h * factor;
        ++res.rejected;
        if (dt_ < 1e-12 * std::max(1.0, t)) return false;
        continue;
      }
      // accepted: keep what the interpolant needs (y0, y1, k1, k7 and the d-combination)
      for (int i = 0; i < n_; ++i) {
        const double dy = ynew_[i] - y[i];
        r1_[i] = y[i];
        r2_[i] = dy;
        r3_[i] = h * k1_[i] - dy;
        r4_[i] = dy - h * k7_[i] - r3_[i];
        r5_[i] = h * (d1 * k1_[i] + d3 * k3_[i] + d4 * k4_[i] + d5 * k5_[i] + d6 * k6_[i] + d7 * k7_[i]);
      }
      t_prev_ = t;
      h_prev_ = h;
      y.swap(ynew_);
      k1_.swap(k7_);
      t = last ? t_last : t + h;
      if (!last) dt_ = h * factor;  // a step cut short at the end does not set the next one
      if (!record_dt(h, t, res)) return false;
    }
    if (t_out == t) {
      out = y;
    } else {
      const double th = (t_out - t_prev_) / h_prev_, th1 = 1.0 - th;
      for (int i = 0; i < n_; ++i) out[i] = r1_[i] + th * (r2_[i] + th1 * (r3_[i] + th * (r4_[i] + th1 * r5_[i])));
    }
    return true;
  }

  System& sys_;
  const Options& opt_;
  int n_;
  bool have_k1_ = false;
  std::vector<double> k1_, k2_, k3_, k4_, k5_, k6_, k7_, tmp_, ynew_;
  std::vector<double> r1_, r2_, r3_, r4_, r5_;  // dense output of the last accepted step
  double t_prev_ = 0.0, h_prev_ = 0.0;
};

}  // namespace

Result integrate(System& system, const Overlaps& init, const std::vector<double>& times, const Options& opt) {
  if (opt.method != "dopri5" && opt.method != "rk4") throw std::invalid_argument("unknown method '" + opt.method + "'");
  if (!(opt.dt > 0.0)) throw std::invalid_argument("dt must be > 0");
  if (opt.method == "dopri5" && !(opt.rtol > 0.0 && opt.atol > 0.0))
    throw std::invalid_argument("rtol and atol must be > 0");
  Result res;
  std::vector<double> y(system.size()), y_out(system.size());
  system.pack(init, y.data());
  Stepper stepper(system, opt);
  stepper.dt_ = opt.dt;
  double t = 0.0;
  const double t_last = times.empty() ? 0.0 : times.back();
  // the switches ahead, relative to t0 (those at or before t0 are in the initial state)
  const ModelConfig& cfg = system.config();
  int phase = model::phase_at_time(cfg, opt.t0);
  system.set_phase(phase);
  auto next_switch = [&] {
    return phase + 1 < model::phases(cfg) ? cfg.switch_times[phase] - opt.t0 : std::numeric_limits<double>::infinity();
  };
  auto stop = [&] {
    (stepper.stopped_ ? res.stopped : res.diverged) = true;
    (stepper.stopped_ ? res.stopped_at : res.diverged_at) = t;
    return res;
  };
  for (double t_out : times) {
    while (t_out >= next_switch()) {  // integrate exactly to the switch, make it, start afresh
      const double ts = next_switch();
      if (t < ts && !stepper.advance(y, t, ts, ts, y_out, res)) return stop();
      t = ts;
      system.enter_phase(++phase, y.data());
      stepper.restart();
    }
    if (!stepper.advance(y, t, t_out, std::min(t_last, next_switch()), y_out, res)) return stop();
    Overlaps o = system.unpack(y_out.data());
    const double eg = system.training_error(o);
    if (!std::isfinite(eg)) {
      res.diverged = true;
      res.diverged_at = t;
      return res;
    }
    res.times.push_back(t_out);
    res.eg.push_back(eg);
    res.eg_tasks.push_back(task_errors(o, cfg));
    res.phases.push_back(phase);
    res.overlaps.push_back(std::move(o));
  }
  return res;
}

}  // namespace onlinesgd::ode

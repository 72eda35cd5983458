#pragma once
/// Time stepping of the ODE system: Dormand-Prince 5(4) with error control and its 4th-order
/// dense output at the requested times (default), or classical RK4 with a fixed step whose
/// steps are shortened to land exactly on the output times. The right-hand side jumps at the
/// schedule's switches (model/schedule.hpp): the integration stops exactly at each, makes the
/// switch's assignment on the state and restarts as a fresh integration would; no step and no
/// dense output spans a switch.
#include <functional>
#include <string>
#include <vector>

#include "onlinesgd/ode/system.hpp"
#include "onlinesgd/overlaps.hpp"

namespace onlinesgd::ode {

struct Options {
  std::string method = "dopri5";  ///< "dopri5" (adaptive) or "rk4" (fixed step dt)
  double rtol = 1e-9;             ///< dopri5: relative tolerance per component
  double atol = 1e-11;            ///< dopri5: absolute tolerance per component
  double dt = 0.01;               ///< rk4: the step; dopri5: the first trial step
  double max_dt = 1.0;            ///< dopri5: longest step (keeps plateaus resolved)
  double t0 = 0.0;                ///< the time of the initial state on the schedule's clock (times count from it)
  /// Called after every step with the time reached; returning false stops the integration
  /// (progress bars, Ctrl-C). Empty: never stops.
  std::function<bool(double)> on_step;
};

struct Result {
  std::vector<double> times;  ///< output times reached (all of them unless diverged)
  std::vector<Overlaps> overlaps;
  std::vector<double> eg;                     ///< on the training distribution of the phase in force
  std::vector<std::vector<double>> eg_tasks;  ///< on every task
  std::vector<int> phases;                    ///< the phase in force at each output time
  long steps = 0, rejected = 0, rhs_evaluations = 0;
  double dt_min = 0.0, dt_max = 0.0;
  bool diverged = false;
  double diverged_at = 0.0;  ///< time of the last finite state when diverged
  bool stopped = false;      ///< on_step returned false
  double stopped_at = 0.0;   ///< the time reached then
};

/// Integrates from the overlaps init at t = 0 (opt.t0 on the schedule's clock) and records at
/// times (non-decreasing, >= 0). A switch at an output time happens before that output. eg comes
/// from the simulator's formulas (overlaps.hpp). A non-finite state stops
/// the run: the result then holds the times reached and diverged_at; so does on_step returning
/// false (stopped, stopped_at).
Result integrate(System& system, const Overlaps& init, const std::vector<double>& times, const Options& opt);

}  // namespace onlinesgd::ode

"""The ODE integrator: its own time-stepping error, the minibatch clock, the API and its checks."""

from __future__ import annotations

import numpy as np
import onlinesgd
import pytest
from onlinesgd import Config, _core, ode

DEFAULT = Config()  # erf, K = M = 2, lr 0.5, second layer frozen


def test_step_halving_changes_eg_below_1e_8():
    # THE accuracy contract (issue 3): over t <= 50 at the default settings, halving the
    # step (rk4) or tightening the tolerances 100-fold (dopri5, the default) moves eg by < 1e-8.
    times = np.concatenate([[0.0], np.geomspace(1e-3, 50, 200)])
    rk = ode(DEFAULT, t_max=50, times=times, method="rk4")
    rk_half = ode(DEFAULT, t_max=50, times=times, method="rk4", dt=rk.info["dt"] / 2)
    assert np.max(np.abs(rk.eg - rk_half.eg)) < 1e-8
    dp = ode(DEFAULT, times=times)
    dp_tight = ode(DEFAULT, times=times, rtol=dp.info["rtol"] / 100, atol=dp.info["atol"] / 100)
    assert np.max(np.abs(dp.eg - dp_tight.eg)) < 1e-8
    # and the two schemes agree with each other at that level too
    assert np.max(np.abs(dp.eg - rk_half.eg)) < 1e-8
    assert dp.info["steps"] > 0 and 0 < dp.info["dt_min"] <= dp.info["dt_max"] <= dp.info["max_dt"]


def test_minibatch_equals_batch_one_at_scaled_learning_rates():
    # docs/theory.md §4, "Minibatches and the clock": per unit t the drift carries eta/B and the
    # eta^2 terms (eta/B)^2, dv eta_v/B, so batch B at (eta, eta_v) IS batch 1 at
    # (eta/B, eta_v/B): the same equations, equal to round-off (1e-13), with noise too.
    c = DEFAULT.replace(K=3, lr=2.0, lr_v=0.8, noise=0.3, batch=4)
    init = onlinesgd.Simulator(c).overlaps()
    a = ode(c, init, t_max=20)
    b = ode(c.replace(batch=1, lr=0.5, lr_v=0.2), init, times=a.times)
    for name in ("eg", "Q", "R", "v"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-13)
    # while batch 1 at the full rate is a different (faster) run
    c1 = ode(c.replace(batch=1), init, times=a.times)
    assert abs(c1.eg[-1] - a.eg[-1]) > 1e-3


def test_trajectory_fields_and_eg_formula():
    c = DEFAULT.replace(K=3, M=2, lr_v=0.3)
    traj = ode(c, t_max=5)
    n = len(traj.times)
    assert traj.kind == "ode" and n == 101 and traj.times[0] == 0 and traj.times[-1] == 5
    assert traj.Q.shape == (n, 3, 3) and traj.R.shape == (n, 3, 2) and traj.T.shape == (n, 2, 2)
    assert traj.v.shape == (n, 3) and traj.v_star.shape == (n, 2) and traj.eg.shape == (n,)
    np.testing.assert_array_equal(traj.Q, np.swapaxes(traj.Q, 1, 2))  # stored symmetric exactly
    # eg is the simulator's C++ formula applied to the ODE's overlaps (same function: exact)
    for s in (0, n // 2, n - 1):
        assert traj.eg[s] == _core.generalisation_error(
            traj.Q[s], traj.R[s], traj.T[s], traj.v[s], traj.v_star[s], "erf", "erf"
        )
    assert np.ptp(traj.v[:, 0]) > 1e-3  # trained second layer moves
    frozen = ode(DEFAULT.replace(K=3), t_max=5)
    assert np.ptp(frozen.v) == 0.0  # frozen second layer stays exactly


def test_default_init_is_the_simulation_start():
    c = DEFAULT.replace(K=3, seed=7)
    sim0 = onlinesgd.Simulator(c).overlaps()
    traj = ode(c, t_max=1)
    for name in ("Q", "R", "T", "v", "v_star"):
        np.testing.assert_array_equal(getattr(traj, name)[0], sim0[name])
    # a Trajectory as init starts from its first overlaps; a dict and a tuple are the same
    from_dict = ode(c, sim0, t_max=1)
    from_tuple = ode(c, tuple(sim0[k] for k in ("Q", "R", "T", "v", "v_star")), t_max=1)
    from_traj = ode(c, traj, t_max=1)
    for other in (from_dict, from_tuple, from_traj):
        np.testing.assert_array_equal(other.eg, traj.eg)


def test_results_do_not_depend_on_the_thread_count():
    # Threads split the (i, k) pairs (from K ~ 28 on); each pair's sums run in a fixed order,
    # so one and two threads give bitwise equal results.
    c = DEFAULT.replace(K=40, lr_v=0.1)
    init = onlinesgd.Simulator(c).overlaps()
    old = onlinesgd.max_threads()
    try:
        onlinesgd.set_max_threads(1)
        one = ode(c, init, times=[0.0, 0.5, 1.0])
        onlinesgd.set_max_threads(2)
        two = ode(c, init, times=[0.0, 0.5, 1.0])
    finally:
        onlinesgd.set_max_threads(old)
    np.testing.assert_array_equal(one.Q, two.Q)
    np.testing.assert_array_equal(one.eg, two.eg)


@pytest.mark.parametrize("act", ["relu", "linear", "sigmoid", "tanh"])
def test_every_activation_integrates(act):
    # Smoke test of each right-hand side: a short run from the simulation's start decreases
    # eg (small lr: the drift dominates) and stays finite. Two output times only: the 4-D
    # quadrature of sigmoid / tanh costs ~50 ms per right-hand side at K = M = 2.
    c = DEFAULT.replace(activation=act, lr=0.1)
    traj = ode(c, times=[0.0, 0.1, 0.2])
    assert np.all(np.isfinite(traj.eg)) and traj.eg[-1] < traj.eg[0]


def test_mixed_activations_integrate():
    c = DEFAULT.replace(activation="erf", teacher_activation="relu", lr=0.2)
    traj = ode(c, t_max=1.0)
    assert np.all(np.isfinite(traj.eg)) and traj.eg[-1] < traj.eg[0]


def test_divergence_stops_and_reports_the_time():
    # Linear networks at a large learning rate blow up exponentially (the eta^2 term wins).
    c = DEFAULT.replace(activation="linear", lr=20.0)
    traj = ode(c, t_max=100)
    assert "diverged_at" in traj.info and 0 < traj.info["diverged_at"] < 100
    assert len(traj.times) < 101 and np.all(np.isfinite(traj.eg))


# ---------------------------------------------------------------- validation
def _init(**changes):
    o = onlinesgd.Simulator(DEFAULT).overlaps()
    o.update(changes)
    return o


@pytest.mark.parametrize(
    "init,word",
    [
        (_init(Q=np.eye(3)), "Q"),
        (_init(R=np.zeros((2, 3))), "R"),
        (_init(v=np.ones(3)), "v"),
        (_init(v_star=np.ones(1)), "v_star"),
        (_init(Q=np.array([[1.0, 0.5], [0.4, 1.0]])), "symmetric"),
        (_init(T=np.array([[1.0, 2.0], [2.0, 1.0]])), "positive semi-definite"),
        (_init(Q=np.array([[1.0, np.nan], [np.nan, 1.0]])), "finite"),
        ({"Q": np.eye(2)}, "missing"),
        ("not overlaps", "init"),
    ],
)
def test_bad_init_raises(init, word):
    with pytest.raises(ValueError, match=word):
        ode(DEFAULT, init, t_max=1)


@pytest.mark.parametrize(
    "kwargs,word",
    [
        ({"t_max": -1.0}, "t_max"),
        ({"t_max": float("nan")}, "t_max"),
        ({"times": [0.0, 2.0, 1.0]}, "increasing"),
        ({"times": [0.0, 1.0, 1.0]}, "increasing"),
        ({"times": [-1.0, 1.0]}, "times"),
        ({}, "t_max or times"),
        ({"t_max": 1, "method": "euler"}, "method"),
        ({"t_max": 1, "rtol": 0.0}, "rtol"),
        ({"t_max": 1, "dt": -0.1}, "dt"),
    ],
)
def test_bad_arguments_raise(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ode(DEFAULT, **kwargs)


def test_config_type_is_checked():
    with pytest.raises(ValueError, match="config"):
        ode({"K": 2}, t_max=1)


def test_cli_run_integrates_the_ode_from_the_simulation(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "res"
    proc = subprocess.run(
        [sys.executable, "-m", "onlinesgd.cli", "run", "--N", "500", "--t-max", "2", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "eg simulation" in proc.stdout and "eg ODE" in proc.stdout
    sim = onlinesgd.load(out.with_suffix(".npz"))
    theory = onlinesgd.load(tmp_path / "res_ode.npz")
    assert theory.kind == "ode" and np.array_equal(theory.times, sim.times)
    np.testing.assert_array_equal(theory.Q[0], sim.Q[0])  # started from the simulation's overlaps
    # one figure with both; at N = 500 sim and theory differ by a few / sqrt(N) at most
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert np.max(np.abs(sim.eg - theory.eg)) < 0.1

"""Long ODE integrations show progress and stop on Ctrl-C with what they reached, like the
simulator: the C++ integrator calls back about every 0.1 s of wall time."""

import os
import signal
import threading

import numpy as np
import onlinesgd
import pytest
from onlinesgd import _core

# sigmoid teacher and student: ~0.06 s per unit t, long enough to be interrupted
SLOW = onlinesgd.Config(N=1000, K=2, M=2, activation="sigmoid", lr=0.5, seed=3)


def core_args(t_end):
    o = onlinesgd.Simulator(SLOW).overlaps()
    return [SLOW.to_core()] + [o[k] for k in ("Q", "R", "T", "v", "v_star")] + [list(np.linspace(0.1, t_end, 50))]


def test_progress_is_called_with_increasing_times():
    seen = []
    res = _core.ode_integrate(*core_args(15.0), progress=seen.append)
    assert len(seen) >= 3 and not res["interrupted"]
    assert np.all(np.diff(seen) > 0) and 0 < seen[0] and seen[-1] <= 15.0
    assert len(res["times"]) == 50


def test_an_error_in_progress_propagates():
    def boom(t):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        _core.ode_integrate(*core_args(15.0), progress=boom)


def test_ctrl_c_returns_the_times_reached(sigint_raises):
    full = onlinesgd.ode(SLOW, t_max=40.0, progress=False)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        cut = onlinesgd.ode(SLOW, t_max=40.0, progress=False)
    finally:
        timer.cancel()
    assert cut.info["interrupted"] and 0 < len(cut) < len(full)
    assert cut.times[-1] <= cut.info["interrupted_at"] < full.times[-1]
    # what was reached is exactly what the uninterrupted run has there
    np.testing.assert_array_equal(cut.eg, full.eg[: len(cut)])
    np.testing.assert_array_equal(cut.Q, full.Q[: len(cut)])


def test_the_bar_does_not_change_the_numbers():
    cfg = onlinesgd.Config(N=1000, K=2, M=2, seed=1)
    shown = onlinesgd.ode(cfg, t_max=20.0, progress=True)
    hidden = onlinesgd.ode(cfg, t_max=20.0, progress=False)
    np.testing.assert_array_equal(shown.eg, hidden.eg)

"""simulate(config, replicas=R): independent seeds in one call, with mean and standard error."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import Replicas, replica_seeds


@pytest.fixture
def restore_threads():
    n = onlinesgd.max_threads()
    yield
    onlinesgd.set_max_threads(n)


def test_replica_r_is_the_single_run_with_seed_plus_r():
    cfg = onlinesgd.Config(N=400, K=2, M=2, lr_v=0.1, noise=0.1, seed=10)
    reps = onlinesgd.simulate(cfg, 2.0, replicas=3)
    assert isinstance(reps, Replicas) and len(reps) == 3
    assert replica_seeds(10, 3) == [10, 11, 12]
    for r, traj in enumerate(reps.trajectories):
        single = onlinesgd.simulate(cfg.replace(seed=10 + r), 2.0)
        assert traj.seed == 10 + r
        for name in ("times", "Q", "R", "T", "v", "eg"):
            np.testing.assert_array_equal(getattr(traj, name), getattr(single, name))


def test_mean_and_standard_error():
    cfg = onlinesgd.Config(N=300, K=2, M=1, seed=0)
    reps = onlinesgd.simulate(cfg, 1.0, times=[0.0, 0.5, 1.0], replicas=4)
    eg = np.stack([t.eg for t in reps.trajectories])
    np.testing.assert_allclose(reps.eg_mean, eg.mean(axis=0))
    np.testing.assert_allclose(reps.eg_stderr, eg.std(axis=0, ddof=1) / 2)
    Q = np.stack([t.Q for t in reps.trajectories])
    np.testing.assert_allclose(reps.mean.Q, Q.mean(axis=0))
    np.testing.assert_allclose(reps.stderr["Q"], Q.std(axis=0, ddof=1) / 2)
    np.testing.assert_array_equal(reps.times, [0.0, 0.5, 1.0])
    assert reps.mean.kind == "replica-mean" and reps.mean.info["replicas"] == 4
    assert reps.stderr["eg"][-1] > 0


def test_replicas_do_not_depend_on_threads(restore_threads):
    cfg = onlinesgd.Config(N=500, K=2, M=2, seed=4, precision="float32")
    runs = []
    for threads in (1, 2):
        onlinesgd.set_max_threads(threads)
        runs.append(onlinesgd.simulate(cfg, 1.0, replicas=3))
    for a, b in zip(runs[0].trajectories, runs[1].trajectories):
        np.testing.assert_array_equal(a.Q, b.Q)


def test_one_diverging_replica_keeps_the_others():
    cfg = onlinesgd.Config(N=50, K=2, M=2, activation="linear", lr=12.0, seed=0)
    with pytest.warns(onlinesgd.DivergenceWarning):
        reps = onlinesgd.simulate(cfg, 50.0, replicas=2)
    assert any("diverged_at" in t.info for t in reps.trajectories)
    assert len(reps.times) == min(len(t) for t in reps.trajectories)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_replicas_validated(bad):
    with pytest.raises(ValueError, match="replicas"):
        onlinesgd.simulate(onlinesgd.Config(N=10), 1.0, replicas=bad)


def test_replicas_reject_given_weights():
    cfg = onlinesgd.Config(N=10, K=1, M=1)
    with pytest.raises(ValueError, match="replicas"):
        onlinesgd.simulate(cfg, 1.0, replicas=2, W=np.ones((1, 10)))


def test_plot_draws_the_mean_with_standard_error_bars(tmp_path):
    from matplotlib.container import ErrorbarContainer
    from onlinesgd.plot import plot_trajectories

    cfg = onlinesgd.Config(N=300, K=2, M=1, seed=0)
    reps = onlinesgd.simulate(cfg, 1.0, replicas=4, progress=False)
    theory = onlinesgd.ode(cfg, reps.mean, times=reps.times, progress=False)
    fig = plot_trajectories([reps, theory], tmp_path / "reps.png")
    assert (tmp_path / "reps.png").stat().st_size > 0
    ax_eg = fig.axes[0]
    bars = [c for c in ax_eg.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1 and "4 simulations" in bars[0].get_label()
    # the drawn bars are the standard errors of the recorded eg (t > 0: log axis)
    segments = bars[0].lines[2][0].get_segments()
    keep = reps.times > 0
    half = np.array([abs(s[1, 1] - s[0, 1]) / 2 for s in segments])
    np.testing.assert_allclose(half, reps.eg_stderr[keep], rtol=1e-12)
    assert len(ax_eg.lines) >= 2  # the mean's markers and the ODE's line

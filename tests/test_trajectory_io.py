"""A Trajectory saves and loads with its configuration, seed and version, losslessly."""

import numpy as np
import onlinesgd


def test_save_load_roundtrip(tmp_path):
    cfg = onlinesgd.Config(N=100, K=3, M=2, activation="tanh", teacher_activation="erf", lr_v=0.1, seed=9)
    traj = onlinesgd.simulate(cfg, 0.5)
    path = traj.save(tmp_path / "run")
    assert path.name == "run.npz" and path.exists()
    back = onlinesgd.load(path)
    assert back.config == cfg and back.seed == 9
    assert back.version == onlinesgd.__version__ and back.kind == "simulation"
    assert back.info == traj.info
    for name in ("times", "Q", "R", "T", "v", "v_star", "eg"):
        np.testing.assert_array_equal(getattr(back, name), getattr(traj, name))
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left no temporary behind


def test_shapes_and_default_times():
    cfg = onlinesgd.Config(N=1000, K=3, M=2)
    traj = onlinesgd.simulate(cfg, 10.0)
    n = len(traj)
    assert traj.times[0] == 0.0 and traj.times[-1] == 10.0
    assert 60 <= n <= 101 and np.all(np.diff(traj.times) > 0)
    assert traj.Q.shape == (n, 3, 3) and traj.R.shape == (n, 3, 2) and traj.T.shape == (n, 2, 2)
    assert traj.v.shape == (n, 3) and traj.v_star.shape == (n, 2) and traj.eg.shape == (n,)
    # log-spaced: ratios of consecutive late times are constant
    r = traj.times[-10:] / traj.times[-11:-1]
    np.testing.assert_allclose(r, r[0], rtol=0.01)


def test_times_are_rounded_to_whole_steps_and_continuation():
    cfg = onlinesgd.Config(N=100, batch=3)
    sim = onlinesgd.Simulator(cfg)
    a = sim.run(times=[0.0, 0.5, 1.0])
    np.testing.assert_allclose(a.times, np.rint(np.array([0, 0.5, 1.0]) * 100 / 3) * 3 / 100)
    b = sim.run(times=[2.0])  # continues from where it stopped
    assert b.times[0] == 2.01 and sim.steps == 67

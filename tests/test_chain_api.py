"""The overlap engine through the public API: simulate(..., engine="overlaps"), OverlapSimulator,
replicas, checkpoints, Ctrl-C, sweeps and the command line (docs/engines.md). Its law against the
weights engine is tests/test_chain_law.py; its large-N limit, tests/test_chain_ode.py."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading

import numpy as np
import onlinesgd
import pytest
from onlinesgd import Config, OverlapSimulator, Replicas, Simulator, resume, simulate, sweep
from onlinesgd.checkpoint import Checkpointer
from onlinesgd.store import RunSpec

ARRAYS = ("times", "Q", "R", "T", "v", "v_star", "eg", "heads", "eg_tasks")


def assert_identical(a, b) -> None:
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.config, a.kind, a.info) == (b.config, b.kind, b.info)


def test_simulate_returns_the_same_kind_of_trajectory():
    c = Config(N=500, K=3, M=2, lr=0.5, lr_v=0.2, seed=4)
    chain = simulate(c, t_max=3.0, engine="overlaps", progress=False)
    weights = simulate(c, t_max=3.0, progress=False)
    assert chain.info == {"steps": 1500, "engine": "overlaps"} and "engine" not in weights.info
    assert np.array_equal(chain.times, weights.times)
    for name in ARRAYS:
        assert getattr(chain, name).shape == getattr(weights, name).shape, name
    # recorded eg is the exact function of the recorded overlaps, as for the weights engine
    again = onlinesgd.ode(c, chain, times=[0.0])
    assert again.eg[0] == pytest.approx(chain.eg[0], abs=1e-12)


def test_replicas_and_their_statistics():
    c = Config(N=300, K=2, M=2, lr=0.5, seed=10)
    reps = simulate(c, t_max=2.0, replicas=6, engine="overlaps", progress=False)
    assert isinstance(reps, Replicas) and len(reps) == 6
    assert reps.mean.info["engine"] == "overlaps" and reps.mean.info["seeds"] == list(range(10, 16))
    one = simulate(c.replace(seed=12), t_max=2.0, engine="overlaps", progress=False)
    assert_identical(reps.trajectories[2], one)  # replica r is the single run with seed + r
    assert np.all(reps.eg_stderr[1:] > 0)


def test_starts_from_given_weights_overlaps_or_the_weights_engine_teacher():
    c = Config(N=400, K=2, M=2, lr=0.5, seed=3)
    sim = Simulator(c)
    # given W only: the teacher is the one the weights engine draws from the seed
    chain = OverlapSimulator(c, W=sim.W)
    for name in ("Q", "R", "T"):
        assert np.allclose(chain.overlaps()[name], sim.overlaps()[name], atol=1e-12), name
    # a student equal to its teacher: rank-deficient Gram matrix, eg 0, and no noise keeps it 0
    twin = OverlapSimulator(c, W=sim.B, B=sim.B)
    assert twin.eg() < 1e-14
    assert twin.run(t_max=1.0, progress=False).eg.max() < 1e-12
    Q = np.array([[1.0, 0.2], [0.2, 1.0]])
    chain = OverlapSimulator(c, Q=Q, R=0.5 * np.eye(2), T=np.eye(2), v=[0.7, 0.8])
    assert np.allclose(chain.overlaps()["Q"], Q) and np.array_equal(chain.v, [0.7, 0.8])
    start = {"Q": Q, "R": 0.5 * np.eye(2), "T": np.eye(2)}
    reps = simulate(c, t_max=1.0, replicas=3, engine="overlaps", overlaps=start, progress=False)
    assert all(np.allclose(traj.Q[0], Q) for traj in reps.trajectories)  # every replica from there,
    assert not np.allclose(reps.trajectories[1].Q[-1], reps.trajectories[0].Q[-1])  # then apart


def test_centred_start_from_weights_follows_the_weights_engine():
    c = Config(N=300, K=2, M=2, lr=0.5, lr_v=0.2, centred=True, scaling="geiger", alpha=2.0, seed=1)
    W = np.random.default_rng(0).standard_normal((2, 300))
    sim, chain = Simulator(c, W=W, v=[0.3, -0.2]), OverlapSimulator(c, W=W, v=[0.3, -0.2])
    for name, value in sim.overlaps().items():
        assert np.allclose(chain.overlaps()[name], value, atol=1e-12), name


def test_huge_n_runs_and_records():
    c = Config(N=10**12, K=2, M=2, lr=0.5)
    traj = simulate(c, times=[0.0, 2e-6], engine="overlaps", progress=False)
    assert traj.info["steps"] == 2_000_000 and np.all(np.isfinite(traj.eg))


def test_bad_inputs_name_the_engine_or_the_field():
    c = Config(N=100)
    with pytest.raises(ValueError, match="engine must be one of"):
        simulate(c, 1.0, engine="chain")
    with pytest.raises(ValueError, match="engine 'overlaps' cannot run inputs='rademacher'"):
        simulate(c.replace(inputs="rademacher"), 1.0, engine="overlaps")
    with pytest.raises(ValueError, match="engine 'overlaps' runs in float64 only"):
        simulate(c.replace(precision="float32"), 1.0, engine="overlaps", replicas=2)
    with pytest.raises(ValueError, match="overlaps: initial overlaps need engine='overlaps'"):
        simulate(c, 1.0, overlaps={"Q": np.eye(2)})
    with pytest.raises(ValueError, match="give Q, R and T together"):
        OverlapSimulator(c, Q=np.eye(2), R=np.eye(2))
    with pytest.raises(ValueError, match="not both"):
        OverlapSimulator(c, W=np.ones((2, 100)), Q=np.eye(2), R=np.eye(2), T=np.eye(2))
    with pytest.raises(ValueError, match="Q must have shape"):
        OverlapSimulator(c, Q=np.eye(3), R=np.eye(2), T=np.eye(2))
    with pytest.raises(ValueError, match="positive semi-definite"):
        OverlapSimulator(c, Q=np.eye(2), R=2 * np.eye(2), T=np.eye(2))
    with pytest.raises(ValueError, match="unknown key"):
        simulate(c, 1.0, engine="overlaps", overlaps={"q": 1})
    with pytest.raises(ValueError, match="steps must be"):
        OverlapSimulator(c).advance(-1)
    with pytest.raises(ValueError, match="engine 'overlaps' cannot run"):
        sweep(c.replace(inputs="rademacher"), {"lr": [0.1]}, t_max=1.0, engine="overlaps", with_ode=False)


def test_ctrl_c_returns_what_was_recorded(sigint_raises):
    sim = OverlapSimulator(Config(N=10**6, K=2, M=2))
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    traj = sim.run(t_max=1e6, progress=False)
    timer.join()
    assert traj.info["interrupted"] is True and traj.info["engine"] == "overlaps"
    assert 0 < len(traj) < 101 and traj.info["interrupted_at"] == pytest.approx(sim.time)


RESUMED = {
    "rules": Config(
        N=150, K=3, M=2, lr=0.6, lr_v=0.3, noise=0.2, batch=2, feedback="fa", temperature=0.05, weight_decay=0.2, seed=7
    ),
    # several teachers: heads per task copied at the switches, then replay; checkpoints inside phases
    "teachers": Config(
        N=150,
        K=2,
        M=2,
        lr=0.6,
        lr_v=0.3,
        noise=0.2,
        teachers=2,
        feature_similarity=0.4,
        heads="multi",
        copy_head=True,
        switch_times=(5.0, 12.0),
        schedule=(0, 1, (0.5, 0.5)),
        seed=7,
    ),
}


@pytest.mark.parametrize("replicas", [None, 3])
@pytest.mark.parametrize("model", list(RESUMED))
def test_resume_from_any_checkpoint_is_bit_identical(tmp_path, monkeypatch, replicas, model):
    c = RESUMED[model]
    times = np.linspace(0.0, 20.0, 21)
    reference = simulate(c, times=times, engine="overlaps", replicas=replicas, progress=False)
    saved = []
    original = Checkpointer.save

    def save_and_keep(self, run, done):
        original(self, run, done)
        shutil.copy(self.path, tmp_path / f"copy{len(saved)}.npz")
        saved.append((tmp_path / f"copy{len(saved)}.npz", done))

    monkeypatch.setattr(Checkpointer, "save", save_and_keep)
    path = tmp_path / "run.npz"
    got = simulate(
        c, times=times, engine="overlaps", replicas=replicas, progress=False, checkpoint=path, checkpoint_every=0
    )
    monkeypatch.undo()
    pairs = lambda r: r.trajectories if replicas else [r]
    for a, b in zip(pairs(got), pairs(reference)):
        assert_identical(a, b)
    partial = [copy for copy, done in saved if not done]
    assert len(partial) >= 20
    with np.load(partial[0]) as data:
        assert json.loads(str(data["meta"]))["engine"] == "overlaps"
    for copy in partial[1::6]:
        for a, b in zip(pairs(resume(copy, progress=False)), pairs(reference)):
            assert_identical(a, b)
    if replicas is None:  # the weights engine must not continue a chain's checkpoint
        with pytest.raises(ValueError, match="different run"):
            simulate(c, times=times, progress=False, checkpoint=path)


def test_several_teachers_start_with_their_prescribed_overlaps():
    # T = Omega exactly (a singular Omega too: identical teachers), readouts as the weights engine's
    for alpha in (0.4, 1.0):
        c = Config(N=10**9, K=2, M=2, teachers=2, feature_similarity=alpha, readout_similarity=0.5, heads="multi")
        chain, weights = OverlapSimulator(c), Simulator(c.replace(N=200))
        np.testing.assert_allclose(chain.overlaps()["T"], weights.overlaps()["T"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(chain.v_star, weights.v_star, rtol=0, atol=1e-15)
        assert chain.overlaps()["heads"].shape == (2, 2)
    traj = simulate(c, times=[0.0, 1e-6], engine="overlaps", progress=False)  # N = 1e9 starts at once
    assert traj.eg_tasks.shape == (2, 2) and traj.heads.shape == (2, 2, 2)


def test_sweep_with_the_overlap_engine(tmp_path):
    base = Config(N=200, K=2, M=2)
    result = sweep(
        base, {"lr": [0.3, 0.6]}, seeds=2, t_max=1.0, engine="overlaps", store=tmp_path / "s", workers=1, progress=False
    )
    assert result.n_run == 4
    assert all(result.trajectory(i).info["engine"] == "overlaps" for i in range(4))
    # keys: the default engine is left out of a spec, so stores from before engines stay valid
    assert "engine" not in RunSpec(base).to_dict() and RunSpec(base).key != RunSpec(base, engine="overlaps").key
    assert RunSpec.from_dict(RunSpec(base, engine="overlaps").to_dict()).engine == "overlaps"


def test_cli_runs_the_overlap_engine(tmp_path):
    out = tmp_path / "res"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "onlinesgd.cli",
            "run",
            "--engine",
            "overlaps",
            "--N",
            "100000",
            "--t-max",
            "1",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    traj = onlinesgd.load(out.with_suffix(".npz"))
    assert traj.info["engine"] == "overlaps" and traj.config.N == 100000 and traj.times[-1] == 1.0
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "onlinesgd.cli",
            "run",
            "--engine",
            "overlaps",
            "--inputs",
            "rademacher",
            "--out",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "engine 'overlaps' cannot run" in proc.stderr

"""Checkpoints of replica runs: all replicas in one file, resumed bit for bit, also when some
replicas diverged and when the run was interrupted."""

import json
import shutil
import warnings

import numpy as np
import pytest
from onlinesgd import Config, Replicas, resume, simulate
from onlinesgd.checkpoint import ReplicaCheckpointer

FIELDS = ("times", "Q", "R", "T", "v", "v_star", "eg")


def assert_same(a: Replicas, b: Replicas):
    assert len(a) == len(b)
    for x, y in zip(a.trajectories, b.trajectories):
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
        assert x.info == y.info and x.seed == y.seed


def run(config, t_max, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DivergenceWarning of the diverging configuration
        return simulate(config, t_max, replicas=3 if config.N > 100 else 6, progress=False, **kw)


CONFIGS = [
    pytest.param(Config(N=400, K=2, M=2, lr_v=0.1, noise=0.1, seed=10), 5.0, id="erf"),
    pytest.param(
        Config(
            N=300, K=3, M=2, lr_v=0.1, feedback="fa", temperature=0.01, weight_decay=0.1, scaling="mean_field", seed=1
        ),
        5.0,
        id="fa-langevin-mean-field",
    ),
    # five of six replicas diverge near the end (and one keeps going)
    pytest.param(Config(N=100, K=2, M=2, activation="linear", lr=3.4, noise=0.5, seed=0), 20.0, id="diverging"),
]


@pytest.mark.parametrize("config,t_max", CONFIGS)
def test_resume_from_every_checkpoint_is_bit_identical(tmp_path, monkeypatch, config, t_max):
    reference = run(config, t_max)
    if config.activation == "linear":
        assert [("diverged_at" in t.info) for t in reference.trajectories].count(True) == 5
    copies = []
    original = ReplicaCheckpointer.save

    def save_and_copy(self, replica_run, done):
        original(self, replica_run, done)
        copies.append(tmp_path / f"copy{len(copies)}.npz")
        shutil.copy(self.path, copies[-1])

    monkeypatch.setattr(ReplicaCheckpointer, "save", save_and_copy)
    path = tmp_path / "run.npz"
    assert_same(run(config, t_max, checkpoint=path, checkpoint_every=0.0), reference)
    monkeypatch.undo()
    assert len(copies) > 10
    for copy in copies[:: max(1, len(copies) // 6)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_same(resume(copy, progress=False), reference)


def test_ctrl_c_then_simulate_again_continues(tmp_path, monkeypatch):
    config, t_max = CONFIGS[0].values
    reference = run(config, t_max)
    calls = []
    original = ReplicaCheckpointer.__call__

    def interrupt_at_the_10th_call(self, replica_run, final):
        calls.append(final)
        if len(calls) == 10:
            raise KeyboardInterrupt  # as Ctrl-C would, between two chunks
        original(self, replica_run, final)

    monkeypatch.setattr(ReplicaCheckpointer, "__call__", interrupt_at_the_10th_call)
    path = tmp_path / "run.npz"
    cut = run(config, t_max, checkpoint=path, checkpoint_every=600.0)
    monkeypatch.undo()
    assert all(t.info["interrupted"] for t in cut.trajectories) and 0 < len(cut.times) < len(reference.times)
    with np.load(path) as data:
        assert not json.loads(str(data["meta"]))["done"]
    # a requeued job calls simulate() again and gets the uninterrupted result
    assert_same(run(config, t_max, checkpoint=path), reference)
    with np.load(path) as data:
        assert json.loads(str(data["meta"]))["done"]


def test_a_replica_checkpoint_belongs_to_its_run(tmp_path):
    config, t_max = CONFIGS[0].values
    path = tmp_path / "run.npz"
    run(config, t_max, checkpoint=path)
    with pytest.raises(ValueError, match="different run"):
        simulate(config, t_max, replicas=4, progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="holds replicas"):
        simulate(config, t_max, progress=False, checkpoint=path)

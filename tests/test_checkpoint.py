"""Checkpoints: resuming from any checkpoint of a run gives the uninterrupted run bit for bit."""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from onlinesgd import Config, resume, simulate
from onlinesgd.checkpoint import Checkpointer
from onlinesgd.run import Run

ARRAYS = ("times", "Q", "R", "T", "v", "v_star", "eg")

CONFIGS = [
    pytest.param(Config(N=200, K=2, M=2, lr=0.6, noise=0.1, seed=7), id="erf-noise"),
    # second layer trained, minibatches, other activations: all of the state must come back
    pytest.param(
        Config(N=150, K=3, M=2, activation="relu", teacher_activation="erf", lr=0.3, lr_v=0.2, batch=4, seed=2),
        id="relu-lr_v-batch",
    ),
]
if "precision" in {f.name for f in dataclasses.fields(Config)}:  # the fast kernel's storage options
    CONFIGS.append(
        pytest.param(
            Config(N=200, K=2, M=2, lr=0.5, noise=0.1, seed=3, precision="float32", inputs="rademacher"),
            id="float32-rademacher",
        )
    )
# the learning rules: the fixed feedback vector, decay (also inside a pair's carried field), the
# Langevin noise keyed by the step, and the centring rows of the teacher must all come back
CONFIGS += [
    pytest.param(
        Config(N=201, K=3, M=2, lr=0.6, lr_v=0.3, feedback="fa", weight_decay=0.2, weight_decay_v=0.1, seed=5),
        id="fa-decay",
    ),
    pytest.param(
        Config(
            N=200,
            K=2,
            M=2,
            lr=0.5,
            lr_v=0.2,
            temperature=0.02,
            weight_decay=0.1,
            scaling="geiger",
            alpha=2.0,
            centred=True,
            precision="float32",
            seed=4,
        ),
        id="langevin-geiger-f32",
    ),
]


def assert_identical(a, b) -> None:
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.config, a.kind, a.version, a.info) == (b.config, b.kind, b.version, b.info)


@pytest.mark.parametrize("config", CONFIGS)
def test_resume_from_every_checkpoint_is_bit_identical(tmp_path, monkeypatch, config):
    times = np.linspace(0.0, 12.0, 25)
    reference = simulate(config, times=times, progress=False)
    saved = []
    original = Checkpointer.save

    def save_and_keep(self, run, done):
        original(self, run, done)
        copy = tmp_path / f"copy{len(saved)}.npz"
        shutil.copy(self.path, copy)
        saved.append((copy, run.sims[0].steps, len(run.rows[0]), done))

    monkeypatch.setattr(Checkpointer, "save", save_and_keep)
    path = tmp_path / "run.npz"
    # every = 0: a checkpoint after every chunk of steps and every recorded row
    traj = simulate(config, times=times, progress=False, checkpoint=path, checkpoint_every=0)
    monkeypatch.undo()
    assert_identical(traj, reference)  # checkpointing changes nothing
    assert saved[-1][3] and not any(done for *_, done in saved[:-1])
    partial = [s for s in saved if not s[3]]
    assert len(partial) >= 25 and partial[0][2] <= 1  # from the first rows ...
    assert partial[-1][1] == reference.info["steps"]  # ... to the last step
    picks = [partial[i] for i in np.linspace(0, len(partial) - 1, 6).astype(int)]
    assert len({steps for _, steps, _, _ in picks}) == 6  # six different points of the run
    for copy, _, _, _ in picks:
        resumed = resume(copy, progress=False)
        assert_identical(resumed, reference)
        # the resumed run keeps its checkpoint current, ending it as finished
        assert json.loads(str(np.load(copy)["meta"]))["done"]
        assert_identical(resume(copy), reference)


@pytest.mark.parametrize("rule", [{}, dict(weight_decay=0.3, feedback="fa", lr_v=0.2)], ids=["backprop", "fa-decay"])
def test_resume_between_the_two_steps_of_a_pair_is_bit_identical(tmp_path, monkeypatch, rule):
    """Online steps run in pairs; a checkpoint after an odd number of steps holds the carried
    local field of the pair's second step, so resuming there gives the uninterrupted run."""
    config = Config(N=201, K=2, M=2, lr=0.6, noise=0.1, seed=9, **rule)
    times = np.arange(1, 40, 2) / config.N * 7  # 7, 21, 35, ... steps: odd
    reference = simulate(config, times=times, progress=False)
    saved = []
    original = Checkpointer.save

    def save_and_keep(self, run, done):
        original(self, run, done)
        sim = run.sims[0]
        if sim.steps % 2 and not done:
            assert len(sim.carry) == config.K
            copy = tmp_path / f"copy{len(saved)}.npz"
            shutil.copy(self.path, copy)
            saved.append(copy)

    monkeypatch.setattr(Checkpointer, "save", save_and_keep)
    traj = simulate(config, times=times, progress=False, checkpoint=tmp_path / "run.npz", checkpoint_every=0)
    monkeypatch.undo()
    assert_identical(traj, reference)
    assert len(saved) >= 10
    for copy in saved[1::4]:
        assert_identical(resume(copy, progress=False), reference)


def test_simulate_continues_its_own_checkpoint_and_refuses_another(tmp_path, monkeypatch):
    config = CONFIGS[0].values[0]
    reference = simulate(config, 10.0, progress=False)
    path = tmp_path / "run.npz"
    simulate(config, 10.0, progress=False, checkpoint=path, checkpoint_every=60.0)
    # A requeued job calls simulate() again: it returns the finished run without stepping.
    with monkeypatch.context() as patch:

        def no_stepping(*args, **kwargs):
            raise AssertionError("a finished checkpoint was stepped again")

        patch.setattr(Run, "advance", no_stepping)
        assert_identical(simulate(config, 10.0, progress=False, checkpoint=path), reference)
    with pytest.raises(ValueError, match="different run"):
        simulate(config.replace(lr=0.7), 10.0, progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="different run"):
        simulate(config, 12.0, progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="different run"):
        W = np.ones((config.K, config.N))
        simulate(config, 10.0, W=W, progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="not an onlinesgd checkpoint"):
        reference.save(tmp_path / "traj.npz")
        resume(tmp_path / "traj.npz")
    # a checkpoint of the earlier format (no W_stored) is refused with the reason
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta["format"] = "onlinesgd-checkpoint-1"
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(ValueError, match="another onlinesgd version"):
        resume(tmp_path / "old.npz")


def test_ctrl_c_saves_a_checkpoint_to_resume_from(tmp_path, monkeypatch):
    config = CONFIGS[0].values[0]
    reference = simulate(config, 10.0, progress=False)
    calls = []
    original = Checkpointer.__call__

    def interrupt_at_the_30th_call(self, run, final):
        calls.append(final)
        if len(calls) == 30:
            raise KeyboardInterrupt  # as Ctrl-C would, between two chunks
        original(self, run, final)

    monkeypatch.setattr(Checkpointer, "__call__", interrupt_at_the_30th_call)
    path = tmp_path / "run.npz"
    cut = simulate(config, 10.0, progress=False, checkpoint=path, checkpoint_every=600.0)
    monkeypatch.undo()
    assert cut.info["interrupted"] and 0 < len(cut) < len(reference)
    assert np.array_equal(cut.eg, reference.eg[: len(cut)])
    with np.load(path) as data:
        assert not json.loads(str(data["meta"]))["done"] and int(data["steps"]) == cut.info["steps"]
    assert_identical(resume(path, progress=False), reference)


def test_killed_run_resumes_bit_identical(tmp_path):
    """SIGKILL a simulation in another process (as a cluster's time limit would), resume here."""
    config = Config(N=500, K=2, M=2, lr=0.5, noise=0.1, seed=1)
    t_max = 50.0
    path = tmp_path / "run.npz"
    # The child pauses 20 ms at every checkpoint (about 150 of them), so that the kill lands
    # part-way however fast the kernel is.
    code = (
        "import time, onlinesgd\n"
        "from onlinesgd.checkpoint import Checkpointer\n"
        "save = Checkpointer.save\n"
        "Checkpointer.save = lambda *args, **kw: (save(*args, **kw), time.sleep(0.02))\n"
        f"onlinesgd.simulate(onlinesgd.Config(**{config.to_dict()!r}), {t_max}, progress=False, "
        f"checkpoint={str(path)!r}, checkpoint_every=0)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with np.load(path) as data:
        meta, steps = json.loads(str(data["meta"])), int(data["steps"])
    assert not meta["done"] and 0 < steps < t_max * config.N  # killed part-way
    resumed = resume(path, progress=False)
    assert_identical(resumed, simulate(config, t_max, progress=False))

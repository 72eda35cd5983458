"""What a recorded row holds is defined once (onlinesgd.fields): a field added to that table is
recorded, saved, averaged over replicas and checkpointed without any other change."""

from __future__ import annotations

import numpy as np
import pytest
from onlinesgd import Config, Simulator, Trajectory, fields, load, resume, simulate
from onlinesgd.checkpoint import Checkpointer
from onlinesgd.fields import OVERLAPS, Field, names, record

CONFIG = Config(N=200, K=2, M=2, lr=0.6, noise=0.1, seed=7)


def test_a_row_is_the_time_the_overlaps_and_eg():
    sim = Simulator(CONFIG)
    sim.run(0.5, progress=False)
    row = dict(zip(names(), record(sim._sim)))
    # heads and eg_tasks: every head and eg on every task (one of each with one teacher)
    # test_error, M and class_error: runs on given rows and Gaussian mixtures (docs/data.md)
    data = ("test_error", "M", "class_error", "class_error_se")
    assert names() == ("times", "Q", "R", "T", "v", "v_star", "eg", "heads", "eg_tasks", *data)
    assert names(theory=False) == data and names(theory=True) == names()[: -len(data)]
    assert row["times"] == sim.time and row["eg"] == sim.eg()
    for name, value in sim.overlaps().items():
        np.testing.assert_array_equal(row[name], value)
    np.testing.assert_array_equal(row["heads"], [row["v"]])
    np.testing.assert_array_equal(row["eg_tasks"], [row["eg"]])
    assert set(OVERLAPS) <= set(row)


@pytest.fixture
def added_fields(monkeypatch):
    """Two simulation-only fields, as a later change would add them to the table."""
    added = (
        Field("q_trace", (), lambda sim, o: float(np.trace(o["Q"])), theory=False, doc="tr Q"),
        Field("r_sum", ("K",), lambda sim, o: o["R"].sum(axis=1), theory=False, doc="rows of R summed"),
    )
    monkeypatch.setattr(fields, "FIELDS", fields.FIELDS + added)
    return [f.name for f in added]


def assert_same(a, b) -> None:
    assert a.arrays().keys() == b.arrays().keys()
    for name, value in a.arrays().items():
        np.testing.assert_array_equal(value, b.arrays()[name], err_msg=name)
    assert a.info == b.info


def test_an_added_field_is_recorded_and_saved(tmp_path, added_fields):
    traj = simulate(CONFIG, 2.0, progress=False)
    assert sorted(traj.extra) == sorted([*names(theory=False)])  # the added ones among them
    assert traj.extra["q_trace"].shape == (len(traj),) and traj.extra["r_sum"].shape == (len(traj), CONFIG.K)
    np.testing.assert_array_equal(traj.extra["q_trace"], [float(np.trace(q)) for q in traj.Q])
    np.testing.assert_array_equal(traj.extra["r_sum"], traj.R.sum(axis=2))
    assert_same(load(traj.save(tmp_path / "traj.npz")), traj)
    empty = Trajectory.from_rows([], CONFIG, traj.version)  # a run that recorded nothing
    assert empty.extra["r_sum"].shape == (0, CONFIG.K) and empty.Q.shape == (0, CONFIG.K, CONFIG.K)
    assert_same(Trajectory.from_rows(traj.rows(), CONFIG, traj.version, info=traj.info), traj)


def test_an_added_field_is_averaged_over_replicas(added_fields):
    reps = simulate(CONFIG, 1.0, replicas=3, progress=False)
    for name in added_fields:
        stack = np.stack([t.extra[name] for t in reps.trajectories])
        np.testing.assert_allclose(reps.mean.extra[name], stack.mean(axis=0))
        np.testing.assert_allclose(reps.stderr[name], stack.std(axis=0, ddof=1) / np.sqrt(3))


@pytest.mark.parametrize("replicas", [None, 2])
def test_an_added_field_is_checkpointed(tmp_path, monkeypatch, added_fields, replicas):
    reference = simulate(CONFIG, 4.0, replicas=replicas, progress=False)
    calls = []
    hook = Checkpointer.__call__

    def interrupt_at_the_30th_call(self, run, final):
        calls.append(final)
        if len(calls) == 30:
            raise KeyboardInterrupt  # as Ctrl-C would
        hook(self, run, final)

    monkeypatch.setattr(Checkpointer, "__call__", interrupt_at_the_30th_call)
    path = tmp_path / "run.npz"
    cut = simulate(CONFIG, 4.0, replicas=replicas, progress=False, checkpoint=path)
    monkeypatch.setattr(Checkpointer, "__call__", hook)
    resumed = resume(path, progress=False)  # the rows so far come back from the file, with the new fields
    again = resume(path, progress=False)  # a finished checkpoint, read back as saved
    if replicas:
        assert all(t.info["interrupted"] for t in cut.trajectories)
        for name in added_fields:
            np.testing.assert_array_equal(resumed.stderr[name], reference.stderr[name])
        pairs = list(zip(reference.trajectories, resumed.trajectories)) + list(
            zip(reference.trajectories, again.trajectories)
        )
    else:
        assert cut.info["interrupted"] and 0 < len(cut) < len(reference)
        pairs = [(reference, resumed), (reference, again)]
    for a, b in pairs:
        assert sorted(b.extra) == sorted(names(theory=False))  # the added ones among them
        assert_same(a, b)

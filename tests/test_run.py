"""The run driver (onlinesgd.run.Run): one loop for single runs, replica runs and checkpoints."""

from __future__ import annotations

import warnings

import numpy as np
import onlinesgd
import pytest
from onlinesgd import Config, Simulator
from onlinesgd.run import Run
from onlinesgd.times import target_steps

CONFIG = Config(N=300, K=2, M=2, lr=0.5, noise=0.1, seed=3)


def fresh(configs, replicas):
    sims = [Simulator(c) for c in configs]
    return Run(configs, [s._sim for s in sims], target_steps(configs[0], 3.0, None, 0.0), replicas=replicas)


def test_a_single_run_is_a_run_of_one_simulator():
    single, one = fresh([CONFIG], replicas=False), fresh([CONFIG], replicas=True)
    for run in (single, one):
        run.advance(progress=False)
    traj, reps = single.result(), one.result()
    assert isinstance(traj, onlinesgd.Trajectory) and isinstance(reps, onlinesgd.Replicas)
    for name, value in traj.arrays().items():
        np.testing.assert_array_equal(value, reps.trajectories[0].arrays()[name], err_msg=name)
    assert traj.info == reps.trajectories[0].info == {"steps": int(single.targets[-1])}


def test_the_hook_sees_every_chunk_and_row_then_the_end():
    run, seen = fresh([CONFIG], replicas=False), []
    run.advance(progress=False, hook=lambda r, final: seen.append((final, len(r.rows[0]))))
    assert [final for final, _ in seen].count(True) == 1 and seen[-1] == (True, len(run.targets))
    rows = [n for _, n in seen]
    assert rows == sorted(rows) and set(range(1, len(run.targets) + 1)) <= set(rows)


def test_ctrl_c_keeps_the_rows_and_a_second_advance_finishes_the_same():
    reference = fresh([CONFIG], replicas=False)
    reference.advance(progress=False)
    run, calls = fresh([CONFIG], replicas=False), []

    def interrupt(r, final):
        calls.append(final)
        if len(calls) == 40:
            raise KeyboardInterrupt

    run.advance(progress=False, hook=interrupt)
    cut = run.result()
    assert cut.info["interrupted"] and cut.info["interrupted_at"] == run.sims[0].time
    assert 0 < len(cut) < len(run.targets)
    run.advance(progress=False)  # on from where it stopped, as a checkpoint resumes
    np.testing.assert_array_equal(run.result().eg, reference.result().eg)
    assert "interrupted" not in run.infos[0]


def test_overflowing_overlaps_stop_that_simulator_only():
    """Finite weights whose overlaps overflow: that simulator's row is not recorded and it stops
    there (diverged_at = its time); a replica next to it goes on."""
    huge = Simulator(CONFIG, W=np.full((CONFIG.K, CONFIG.N), 1e160))
    fine = Simulator(CONFIG.replace(seed=4))
    run = Run([huge.config, fine.config], [huge._sim, fine._sim], target_steps(CONFIG, 1.0, None, 0.0), replicas=True)
    run.advance(progress=False)
    with pytest.warns(onlinesgd.DivergenceWarning, match="1 of 2 replicas diverged"):
        reps = run.result()
    assert reps.trajectories[0].info["diverged_at"] == 0.0 and len(reps.trajectories[0]) == 0
    assert len(reps.trajectories[1]) == len(run.targets) and "diverged_at" not in reps.trajectories[1].info
    with pytest.warns(onlinesgd.DivergenceWarning, match="non-finite at t = 0"):
        single = onlinesgd.simulate(CONFIG, 1.0, W=huge.W, progress=False)
    assert len(single) == 0 and single.Q.shape == (0, CONFIG.K, CONFIG.K)


def test_a_run_needs_one_config_per_simulator():
    sim = Simulator(CONFIG)
    with pytest.raises(ValueError, match="one config per simulator"):
        Run([CONFIG, CONFIG], [sim._sim], np.array([0, 1]))
    with pytest.raises(ValueError, match="single run one simulator"):
        Run([CONFIG, CONFIG], [sim._sim, Simulator(CONFIG)._sim], np.array([0, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Run([CONFIG], [sim._sim], np.array([0, 1])).advance(progress=False)

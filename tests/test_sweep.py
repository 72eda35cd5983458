"""Sweeps: grid validation, the tidy table, local processes vs a Dask LocalCluster, the store
(atomic files, skipping finished runs, redoing failed ones) and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onlinesgd
import pandas as pd  # the test extra installs it
import pytest
from onlinesgd import Config, Store, SweepError, simulate, sweep
from onlinesgd.sweep import FAULT_ENV, expand_grid

BASE = Config(N=200, K=2, M=2, lr=0.5, noise=0.05)
GRID = {"lr": [0.2, 0.8], "K": [1, 2]}
T_MAX = 4.0  # 800 steps: the runs take milliseconds, the processes dominate


def tidy(frame):
    return frame.sort_values(["run", "kind", "t"]).reset_index(drop=True)


def run_files(store: Path) -> list:
    return sorted((store / "runs").glob("*.npz"))


@pytest.fixture(scope="module")
def local_result():
    """The reference: the sweep on the default local process pool, without a store."""
    return sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, workers=2, progress=False)


# ---------------------------------------------------------------- the grid


def test_grid_order_and_count():
    configs = expand_grid(BASE, GRID, seeds=[3, 5])
    assert [(c.lr, c.K, c.seed) for c in configs] == [
        (0.2, 1, 3),
        (0.2, 1, 5),
        (0.2, 2, 3),
        (0.2, 2, 5),
        (0.8, 1, 3),
        (0.8, 1, 5),
        (0.8, 2, 3),
        (0.8, 2, 5),
    ]
    assert all(c.N == 200 and c.noise == 0.05 for c in configs)
    assert [c.seed for c in expand_grid(BASE, None, seeds=3)] == [0, 1, 2]
    assert expand_grid(BASE) == [BASE]


@pytest.mark.parametrize(
    "grid, seeds, field",
    [
        ({"lrr": [0.1]}, None, "lrr"),  # unknown field
        ({"lr": []}, None, "lr"),  # empty list
        ({"lr": [0.1, -0.5]}, None, "lr"),  # invalid value
        ({"K": [2, 0]}, None, "K"),
        ({"activation": ["erf", "softplus"]}, None, "activation"),
        ({"N": [100.5]}, None, "N"),
        ({"noise": 0.1}, None, "noise"),  # not a list
        ({"lr": [0.1, 0.1]}, None, "lr"),  # repeated
        ({"seed": [1, 2]}, 3, "seed"),  # seeds twice
        ({}, [1, -1], "seed"),
    ],
)
def test_bad_grid_is_rejected_before_anything_runs(tmp_path, grid, seeds, field):
    store = tmp_path / "store"
    with pytest.raises(ValueError, match=field):
        sweep(BASE, grid, seeds=seeds, t_max=T_MAX, with_ode=False, store=store)
    assert not store.exists()  # nothing ran, nothing was created


def test_times_are_required_and_checked():
    with pytest.raises(ValueError, match="t_max"):
        sweep(BASE, GRID, with_ode=False)
    with pytest.raises(ValueError, match="increasing"):
        sweep(BASE, GRID, times=[0.0, 2.0, 1.0], with_ode=False)


# ---------------------------------------------------------------- the table


def test_frame_is_tidy_and_holds_the_runs(local_result):
    result = local_result
    assert len(result) == 8 and result.n_run == 8 and result.n_skipped == 0
    frame = result.frame
    n_times = len(result.trajectory(0))
    assert len(frame) == 8 * n_times
    fields = [f for f in BASE.to_dict()]
    assert list(frame.columns[: len(fields) + 3]) == ["run", *fields, "kind", "t"]
    assert {"eg", "Q_0_0", "Q_1_1", "R_1_0", "T_1_1", "v_1", "v_star_0"} <= set(frame.columns)
    assert set(frame["kind"]) == {"simulation"}
    # Each run's rows are its trajectory, and the trajectory is the plain simulate() result.
    config = BASE.replace(lr=0.8, K=2, seed=1)
    direct = simulate(config, T_MAX, progress=False)
    rows = frame[(frame.lr == 0.8) & (frame.K == 2) & (frame.seed == 1)]
    assert np.array_equal(rows["t"], direct.times) and np.array_equal(rows["eg"], direct.eg)
    assert np.array_equal(rows["R_1_0"], direct.R[:, 1, 0]) and np.array_equal(rows["Q_0_1"], direct.Q[:, 0, 1])
    # K = 1 runs have no second student unit.
    assert frame.loc[frame.K == 1, "Q_1_1"].isna().all() and frame.loc[frame.K == 2, "Q_1_1"].notna().all()
    # Learning reduces eg in every run (noise 0.05 is small): a sanity check on the numbers.
    first, last = frame.groupby("run")["eg"].first(), frame.groupby("run")["eg"].last()
    assert (last < 0.75 * first).all()


def test_summary_has_one_row_per_run(local_result):
    summary = local_result.summary()
    assert list(summary.columns) == ["K", "lr", "seed", "t", "eg_simulation"]
    assert len(summary) == 8 and np.allclose(summary["t"], T_MAX)
    traj = local_result.trajectory(3)
    assert summary["eg_simulation"][3] == traj.eg[-1]
    assert local_result.varying == ["K", "lr", "seed"]


# ---------------------------------------------------------------- Dask


def test_dask_local_cluster_gives_the_same_frame(tmp_path, local_result):
    import distributed

    with (
        distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        result = sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, store=tmp_path, client=client, progress=False)
    assert result.n_run == 8
    pd.testing.assert_frame_equal(tidy(result.frame), tidy(local_result.frame))
    assert len(run_files(tmp_path)) == 8  # written by the workers


# ---------------------------------------------------------------- the store


def test_rerun_skips_finished_runs_and_index_rebuilds(tmp_path, local_result):
    first = sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, store=tmp_path, workers=2, progress=False)
    assert (first.n_run, first.n_skipped) == (8, 0)
    again = sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, store=tmp_path, workers=2, progress=False)
    assert (again.n_run, again.n_skipped) == (0, 8)
    pd.testing.assert_frame_equal(again.frame, local_result.frame)
    index = json.loads((tmp_path / "index.json").read_text())["runs"]
    assert sorted(index) == sorted(first.keys)
    assert index[first.keys[5]]["final_eg"]["simulation"] == first.trajectory(5).eg[-1]
    # The index is a cache of the files: lost or stale, it is rebuilt.
    (tmp_path / "index.json").unlink()
    run_files(tmp_path)[0].unlink()
    assert len(Store(tmp_path).index()) == 7
    # A larger grid runs only what is new; another t_max is another run.
    more = sweep(
        BASE,
        {**GRID, "lr": [0.2, 0.8, 1.2]},
        seeds=2,
        t_max=T_MAX,
        with_ode=False,
        store=tmp_path,
        workers=2,
        progress=False,
    )
    assert (more.n_run, more.n_skipped) == (5, 7)
    assert sweep(BASE, None, t_max=T_MAX + 1, with_ode=False, store=tmp_path, progress=False).n_run == 1


def test_run_key_is_stable():
    from onlinesgd.store import RunSpec

    spec = RunSpec(BASE, 4.0, None, False)
    assert spec.key == RunSpec.from_dict(json.loads(json.dumps(spec.to_dict()))).key
    assert spec.key != RunSpec(BASE, 4.0, None, True).key != RunSpec(BASE.replace(seed=1), 4.0).key
    # Computed the same in another interpreter (no salted hash()).
    code = (
        "import onlinesgd; from onlinesgd.store import RunSpec; "
        "print(RunSpec(onlinesgd.Config(N=200, K=2, M=2, lr=0.5, noise=0.05), 4.0, None, False).key)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == spec.key
    )


def _assert_store_sound(store: Path, temporaries: bool = False) -> list:
    """Every run file loads completely; temporaries only where a writer was killed."""
    files = run_files(store)
    for path in files:
        stored = Store(store).read(path.stem)
        assert stored.spec.key == path.stem and np.all(np.isfinite(stored.trajectories[0].eg))
    assert temporaries or not list(store.rglob("*.tmp"))
    return files


def test_failed_runs_are_redone_and_only_they(tmp_path, monkeypatch, local_result):
    monkeypatch.setenv(FAULT_ENV, "raise:lr=0.8")
    with pytest.raises(SweepError, match="4 of 8 runs failed") as err:
        sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, store=tmp_path, workers=2, progress=False)
    assert all("injected fault" in str(e) for e in err.value.failures.values())
    assert len(_assert_store_sound(tmp_path)) == 4
    monkeypatch.delenv(FAULT_ENV)
    result = sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, store=tmp_path, workers=2, progress=False)
    assert (result.n_run, result.n_skipped) == (4, 4)
    pd.testing.assert_frame_equal(result.frame, local_result.frame)


def test_killed_worker_leaves_no_corrupt_file_and_is_redone(tmp_path, monkeypatch, local_result):
    # A worker kills itself (SIGKILL, as the OOM killer or scancel would) when it meets lr = 0.8.
    monkeypatch.setenv(FAULT_ENV, "kill:lr=0.8")
    with pytest.raises(SweepError, match="terminated abruptly"):
        sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, store=tmp_path, workers=2, progress=False)
    # The pool then kills its other workers too, possibly in the middle of writing a run:
    # that leaves a temporary, never a run file.
    survivors = len(_assert_store_sound(tmp_path, temporaries=True))
    assert survivors <= 4  # no lr = 0.8 run can have finished
    monkeypatch.delenv(FAULT_ENV)
    result = sweep(BASE, GRID, seeds=2, t_max=T_MAX, with_ode=False, store=tmp_path, workers=2, progress=False)
    assert (result.n_run, result.n_skipped) == (8 - survivors, survivors)
    _assert_store_sound(tmp_path)  # the rerun removed the dead writers' temporaries
    pd.testing.assert_frame_equal(result.frame, local_result.frame)


def test_process_killed_mid_write_leaves_only_a_temporary(tmp_path):
    target = tmp_path / "runs" / "abc.npz"
    target.parent.mkdir()
    code = (
        f"import os, signal; from onlinesgd._io import atomic_write\n"
        f"with atomic_write({str(target)!r}) as f:\n"
        f"    f.write(b'half a file')\n"
        f"    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == -9
    assert not target.exists()
    assert len(list(target.parent.glob(".abc.npz.*.tmp"))) == 1
    assert Store(tmp_path).clean() == 1 and not list(target.parent.iterdir())


# ---------------------------------------------------------------- with the ODE


def test_sweep_with_ode(tmp_path):
    grid = {"lr": [0.3, 0.6]}
    result = sweep(BASE.replace(N=500), grid, seeds=1, t_max=3.0, store=tmp_path, workers=2, progress=False)
    frame = result.frame
    assert set(frame["kind"]) == {"simulation", "ode"}
    for i in range(len(result)):
        sim, ode = result.trajectory(i), result.trajectory(i, "ode")
        assert np.array_equal(sim.times, ode.times)
        assert np.array_equal(ode.Q[0], sim.Q[0]) and np.array_equal(ode.R[0], sim.R[0])  # same start
        # Finite-N fluctuations are O(1/sqrt(N)) = 4.5% at N = 500 (measured: at most 5.2% in eg,
        # 0.035 in Q and R); three times that catches a wrong start, time scale or learning rate.
        assert np.max(np.abs(sim.eg - ode.eg) / ode.eg) < 0.15
        assert np.max(np.abs(sim.Q - ode.Q)) < 0.1 and np.max(np.abs(sim.R - ode.R)) < 0.1
    summary = result.summary()
    assert {"eg_simulation", "eg_ode", "difference"} <= set(summary.columns)
    again = sweep(BASE.replace(N=500), grid, seeds=1, t_max=3.0, store=tmp_path, progress=False)
    assert again.n_run == 0 and set(again.frame["kind"]) == {"simulation", "ode"}


# ---------------------------------------------------------------- CLI


def test_cli_sweep_summary_and_plot(tmp_path, capsys):
    from onlinesgd.cli import main

    toml = tmp_path / "sweep.toml"
    toml.write_text(
        "N = 200\nnoise = 0.05\nt_max = 4.0\nseeds = 2\nwith_ode = false\nworkers = 2\n"
        f'store = "{tmp_path / "st"}"\n\n[grid]\nlr = [0.2, 0.8]\nK = [1, 2]\n'
    )
    assert main(["sweep", str(toml), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "8 runs computed, 0 already in" in out
    result = onlinesgd.SweepResult.from_store(tmp_path / "st")
    eg = result.summary().set_index(["K", "lr", "seed"])["eg_simulation"]
    assert f"{eg.loc[(2, 0.8, 1)]:.6g}" in out
    assert main(["sweep", str(toml), "--quiet"]) == 0
    assert "0 runs computed, 8 already in" in capsys.readouterr().out
    assert main(["plot", str(tmp_path / "st"), "--by", "lr"]) == 0
    png = tmp_path / "st" / "eg_by_lr.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert main(["plot", str(tmp_path / "st"), "--by", "N"]) == 2
    assert "not a swept field" in capsys.readouterr().err
    toml.write_text("N = 200\nt_max = 4.0\n[grid]\nlrr = [0.2]\n")
    assert main(["sweep", str(toml), "--quiet"]) == 2
    assert "lrr" in capsys.readouterr().err
    assert not (tmp_path / "sweep_store").exists()


def test_diverged_runs_are_results_and_checkpoints_are_continued(tmp_path, monkeypatch):
    from onlinesgd.checkpoint import Checkpointer
    from onlinesgd.store import RunSpec

    base = Config(N=200, K=2, M=2, activation="relu")
    grid = {"lr": [0.5, 40.0]}  # 40 makes the weights overflow
    # A previous sweep was cut short in the middle of the lr = 0.5 run: its checkpoint is there.
    spec = RunSpec(base.replace(lr=0.5), T_MAX, None, False)
    partial = Store(tmp_path).checkpoint_path(spec.key)
    calls = []

    def interrupt(self, *args):
        calls.append(1)
        if len(calls) == 20:
            raise KeyboardInterrupt
        Checkpointer.save(self, args[0], done=False)

    monkeypatch.setattr(Checkpointer, "__call__", interrupt)
    cut = simulate(spec.config, T_MAX, progress=False, checkpoint=partial)
    monkeypatch.undo()
    assert cut.info["interrupted"] and partial.exists()

    result = sweep(
        base, grid, t_max=T_MAX, with_ode=False, store=tmp_path, workers=2, checkpoint_every=0.0, progress=False
    )
    good, diverged = result.trajectory(0), result.trajectory(1)
    reference = simulate(spec.config, T_MAX, progress=False)
    assert np.array_equal(good.eg, reference.eg) and good.info == reference.info
    assert 0 < diverged.info["diverged_at"] < T_MAX and len(diverged) < len(good)
    assert not list((tmp_path / "checkpoints").iterdir())  # finished runs drop their checkpoints
    assert sweep(base, grid, t_max=T_MAX, with_ode=False, store=tmp_path, progress=False).n_run == 0


def test_run_keys_ignore_fields_at_their_defaults():
    # a field added later (at its default) must not change the keys of the runs stored before it
    from onlinesgd.store import RunSpec

    spec = RunSpec(BASE, 4.0, None, True)
    data = spec.to_dict()
    data["config"] = {k: v for k, v in data["config"].items() if k not in ("hmm_delta", "teachers")}
    assert RunSpec.from_dict(data).key == spec.key
    assert RunSpec(BASE.replace(teachers=2, switch_times=(1.0,)), 4.0, None, True).key != spec.key

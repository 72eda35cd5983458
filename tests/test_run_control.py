"""Divergence, interruption and the command line."""

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import onlinesgd
import pytest


def test_divergence_stops_and_reports_time():
    cfg = onlinesgd.Config(N=100, K=2, M=2, activation="linear", lr=50.0)
    with pytest.warns(onlinesgd.DivergenceWarning, match="non-finite at t"):
        traj = onlinesgd.simulate(cfg, 1000.0)
    t_div = traj.info["diverged_at"]
    assert 0 < t_div < 1000.0
    assert len(traj) >= 1 and traj.times[-1] < t_div  # what was recorded before is kept
    assert np.all(np.isfinite(traj.eg))


def test_ctrl_c_returns_what_was_recorded(sigint_raises):
    cfg = onlinesgd.Config(N=2000, K=2, M=2)
    sim = onlinesgd.Simulator(cfg)
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    traj = sim.run(t_max=1e6, progress=False)
    timer.join()
    assert traj.info["interrupted"] is True
    assert 0 < len(traj) < 101 and traj.times[-1] < 1e6
    assert traj.info["interrupted_at"] == pytest.approx(sim.time)


def test_cli_run_writes_trajectory_and_figure(tmp_path):
    toml = tmp_path / "exp.toml"
    toml.write_text('K = 3\nactivation = "relu"\nt_max = 0.5\n')
    out = tmp_path / "res"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "onlinesgd.cli",
            "run",
            str(toml),
            "--N",
            "300",
            "--lr",
            "0.2",
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
    assert traj.config.K == 3 and traj.config.N == 300 and traj.config.activation == "relu"
    assert traj.config.lr == 0.2 and traj.times[-1] == 0.5
    png = out.with_suffix(".png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_cli_rejects_bad_field(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "onlinesgd.cli", "run", "--K", "0", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "K must be" in proc.stderr

"""The standalone C++ benchmark binary runs (no timing is asserted: benchmarks live in bench/)."""

import glob
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def find_bench() -> str:
    """On the PATH or in the environment's scripts directory after ``pip install``, else in a
    build directory of this checkout."""
    candidates = [
        shutil.which("onlinesgd-bench"),
        str(Path(sys.executable).parent / "onlinesgd-bench"),
        str(Path(sysconfig.get_path("scripts")) / "onlinesgd-bench"),
    ]
    candidates += sorted(glob.glob(str(ROOT / "build" / "**" / "onlinesgd-bench"), recursive=True))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    pytest.fail("onlinesgd-bench not found: pip install . puts it next to the Python executable")


def run(*args, timeout=120):
    return subprocess.run([find_bench(), *args], capture_output=True, text=True, timeout=timeout)


def test_runs_a_tiny_configuration():
    out = run("--N", "2000", "--K", "2", "--M", "2", "--steps", "100", "--repeats", "1")
    assert out.returncode == 0, out.stderr
    assert "steps/s" in out.stdout and "kernel" in out.stdout
    row = [line for line in out.stdout.splitlines() if line.startswith("custom")]
    assert len(row) == 1
    fields = row[0].split()
    rate, io_floor = float(fields[7]), float(fields[12].removesuffix("us"))
    assert rate > 0 and io_floor > 0


def test_named_configuration_with_float32_rademacher_and_threads():
    out = run(
        "--N",
        "3000",
        "--K",
        "3",
        "--M",
        "1",
        "--precision",
        "float32",
        "--inputs",
        "rademacher",
        "--threads",
        "2",
        "--steps",
        "50",
        "--repeats",
        "1",
    )
    assert out.returncode == 0, out.stderr
    assert "float32" in out.stdout and "rad" in out.stdout


def test_lists_configurations_and_rejects_unknown_ones():
    out = run("--list")
    assert out.returncode == 0 and "large-f32" in out.stdout
    out = run("no-such-config")
    assert out.returncode == 2 and "unknown" in out.stderr
    out = run("--target", "no-such-target", "--N", "10")
    assert out.returncode == 2


def test_overlap_engine_cases_run():
    out = run("chain-small", "chain-small-1e12", "--repeats", "1")
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines() if line.startswith("chain-")}
    assert set(rows) == {"chain-small", "chain-small-1e12"}
    assert float(rows["chain-small"][5]) > 0 and float(rows["chain-small"][9]) > 0  # steps/s, x weights
    assert rows["chain-small-1e12"][1] == "1000000000000" and rows["chain-small-1e12"][9] == "-"

"""The documentation site builds with warnings as errors, the gallery included (its examples run
at small sizes: ONLINESGD_EXAMPLES_QUICK=1), so CI fails on a broken page, docstring or example."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("sphinx_gallery", reason="the [docs] extra builds the site")


def test_site_builds_without_warnings(tmp_path):
    # build from a copy of docs/ so that the generated pages never land in the checkout
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("_build", "auto_examples", "generated"))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "ONLINESGD_EXAMPLES_QUICK": "1", "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(docs), str(tmp_path / "html")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    html = tmp_path / "html"
    for page in (
        "index",
        "getting_started",
        "theory",
        "rules",
        "api",
        "changelog",
        "auto_examples/index",
        "generated/onlinesgd.simulate",
    ):
        assert (html / f"{page}.html").is_file(), page
    # every example drew its figure
    examples = [p.stem for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_")]
    for name in examples:
        assert (html / "_images" / f"sphx_glr_{name}_001.png").is_file(), name

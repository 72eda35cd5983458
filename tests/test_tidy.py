"""The tidy tools pass on the tree: ruff (lint and format), mypy on the package, clang-format on
the C++ (the same tools and settings as .pre-commit-config.yaml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def tracked(*patterns: str) -> list[str]:
    """The files git tracks (or, outside a checkout, those on disk) matching the patterns."""
    if shutil.which("git") and (ROOT / ".git").exists():
        out = run("git", "ls-files", *patterns)
        if out.returncode == 0:
            return out.stdout.split()
    return sorted(str(p.relative_to(ROOT)) for pattern in patterns for p in ROOT.glob(pattern.replace("*", "**/*", 1)))


@pytest.mark.parametrize(
    "command", [["ruff", "check", "."], ["ruff", "format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff(command):
    pytest.importorskip("ruff", reason="the [lint] extra runs ruff")
    out = run(sys.executable, "-m", *command)
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-2000:]


def test_mypy():
    pytest.importorskip("mypy", reason="the [lint] extra runs mypy")
    out = run(sys.executable, "-m", "mypy")  # files and strictness: [tool.mypy] in pyproject.toml
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-2000:]


def test_clang_format():
    # the PyPI wheel's own binary, so that every machine formats alike
    clang_format = pytest.importorskip("clang_format", reason="the [lint] extra installs clang-format")
    binary = clang_format.get_executable("clang-format")
    files = tracked("cpp/*.hpp", "cpp/*.cpp", "bench/*.hpp", "bench/*.cpp")
    assert files
    out = run(binary, "--dry-run", "-Werror", *files)
    assert out.returncode == 0, out.stderr[-5000:]

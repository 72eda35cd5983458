"""Without Dask installed, sweeps still run on the local process pool."""

from __future__ import annotations

import concurrent.futures as cf
import sys

import numpy as np
import pytest
from onlinesgd import Config, simulate, sweep


@pytest.fixture
def no_dask(monkeypatch):
    for name in [m for m in sys.modules if m == "dask" or m.startswith(("dask.", "distributed"))]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("dask", "distributed", "dask.distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    with pytest.raises(ImportError):
        import dask  # noqa: F401


def test_local_sweep_without_dask(no_dask, tmp_path):
    base = Config(N=150, K=2, M=2, lr=0.5)
    result = sweep(
        base, {"lr": [0.3, 0.9]}, seeds=2, t_max=3.0, with_ode=False, store=tmp_path, workers=2, progress=False
    )
    assert (result.n_run, len(result.frame)) == (4, 4 * len(result.trajectory(0)))
    direct = simulate(base.replace(lr=0.9, seed=1), 3.0, progress=False)
    assert np.array_equal(result.trajectory(3).eg, direct.eg)
    # any concurrent.futures executor serves too, here threads of this process
    with cf.ThreadPoolExecutor(2) as pool:
        again = sweep(base, {"lr": [0.3, 0.9]}, seeds=2, t_max=3.0, with_ode=False, client=pool, progress=False)
    assert np.array_equal(again.trajectory(3).eg, direct.eg)


def test_bad_client_is_rejected(no_dask):
    with pytest.raises(ValueError, match="client"):
        sweep(Config(N=100), None, t_max=1.0, with_ode=False, client="tcp://nowhere:8786", progress=False)

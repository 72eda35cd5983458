"""The outcome of a sweep: every run's trajectories, and tidy pandas tables of them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from .config import Config
from .store import PathLike, RunSpec, Store
from .trajectory import Trajectory

KINDS = ("simulation", "ode")
CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(Config))


def _pandas() -> Any:
    try:
        import pandas
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("sweep tables need pandas: pip install 'onlinesgd[dask]'") from err
    return pandas


def flatten(traj: Trajectory) -> dict:
    """Columns of one trajectory: t, eg, and the overlaps by index, e.g. Q_0_1, R_1_0, v_0,
    v_star_1 (T and v* too, so that runs with other teachers stay comparable); with several
    teachers eg on every task (eg_task_0, ...), with several heads every head (heads_1_0, ...)."""
    cols = {"t": np.asarray(traj.times), "eg": np.asarray(traj.eg)}
    eg_tasks, heads = np.asarray(traj.eg_tasks), np.asarray(traj.heads)
    for p in range(eg_tasks.shape[1] if eg_tasks.shape[1] > 1 else 0):
        cols[f"eg_task_{p}"] = eg_tasks[:, p]
    for h, k in np.ndindex(*heads.shape[1:]) if heads.shape[1] > 1 else ():
        cols[f"heads_{h}_{k}"] = heads[:, h, k]
    for name in ("Q", "R", "T"):
        arr = np.asarray(getattr(traj, name))
        for i, j in np.ndindex(*arr.shape[1:]):
            cols[f"{name}_{i}_{j}"] = arr[:, i, j]
    for name in ("v", "v_star"):
        arr = np.asarray(getattr(traj, name))
        for i in range(arr.shape[1]):
            cols[f"{name}_{i}"] = arr[:, i]
    return cols


@dataclass
class SweepResult:
    """Runs of a sweep in grid order (seeds fastest).

    :func:`onlinesgd.sweep` returns one; :meth:`from_store` reads one back from a store.

    Attributes
    ----------
    specs : the :class:`~onlinesgd.store.RunSpec` of each run.
    runs : ``{key: [simulation, ode]}`` (the ODE only with ``with_ode``).
    n_run, n_skipped : runs computed by this call, and runs found finished in the store.
    store : the store folder, if any.

    Examples
    --------
    >>> import tempfile, onlinesgd
    >>> result = onlinesgd.sweep(onlinesgd.Config(N=100), grid={"lr": [0.1, 0.5]}, t_max=1.0,
    ...                          store=tempfile.mkdtemp(), progress=False)
    >>> len(result), result.varying
    (2, ['lr'])
    """

    specs: list
    runs: dict
    n_run: int = 0
    n_skipped: int = 0
    store: Optional[Path] = None

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def keys(self) -> list:
        return [spec.key for spec in self.specs]

    @property
    def configs(self) -> list:
        return [spec.config for spec in self.specs]

    @cached_property
    def varying(self) -> list:
        """The Config fields that differ between runs (the swept ones), in field order."""
        rows = [c.to_dict() for c in self.configs]
        return [f for f in CONFIG_FIELDS if len({repr(r[f]) for r in rows}) > 1]

    def trajectory(self, run: Union[int, str], kind: str = "simulation") -> Trajectory:
        """The trajectory of one run, by position in the sweep or by key."""
        key = self.specs[run].key if isinstance(run, int) else run
        for traj in self.runs[key]:
            if traj.kind == kind:
                return traj
        raise KeyError(f"run {run} has no {kind!r} trajectory")

    def trajectories(self, kind: str = "simulation") -> list:
        return [self.trajectory(key, kind) for key in self.keys]

    @cached_property
    def frame(self) -> Any:  # a pandas DataFrame (pandas is optional)
        """Tidy table: one row per run, kind and recorded time; columns ``run`` (the key),
        every Config field, ``kind`` ("simulation" or "ode"), ``t``, ``eg`` and the flattened
        overlaps (``Q_i_k``, ``R_i_n``, ``T_n_m``, ``v_i``, ``v_star_n``)."""
        pd = _pandas()
        parts = []
        for spec in self.specs:
            for traj in sorted(self.runs[spec.key], key=lambda tr: KINDS.index(tr.kind)):
                head = {"run": spec.key, **_cells(spec.config.to_dict()), "kind": traj.kind}
                # every row repeats the run's fields (given as columns: a tuple is one cell, not a column)
                parts.append(
                    pd.DataFrame(
                        {**{k: [v] * len(traj) for k, v in head.items()}, **flatten(traj)}, index=range(len(traj))
                    )
                )
        return pd.concat(parts, ignore_index=True, sort=False)

    def summary(self) -> Any:
        """One row per run: the swept fields and seed, the final time, the final eg of the
        simulation and of the ODE, and their difference."""
        pd = _pandas()
        last = self.frame.groupby(["run", "kind"], sort=False).tail(1)
        table = last.pivot(index="run", columns="kind", values="eg")
        table = table[[k for k in KINDS if k in table]].add_prefix("eg_")  # simulation first
        table.columns.name = None
        shown = [f for f in self.varying if f != "seed"] + ["seed"]
        info = last.drop_duplicates("run").set_index("run")[[*shown, "t"]]
        table = info.join(table).reindex(self.keys)
        if "eg_ode" in table:
            table["difference"] = table["eg_simulation"] - table["eg_ode"]
        return pd.DataFrame(table).reset_index(drop=True)

    @classmethod
    def from_store(cls, root: PathLike) -> SweepResult:
        """Every run in a store, ordered by their swept fields."""
        store = Store(root)
        keys = sorted(store.index())
        stored = [store.read(key) for key in keys]
        result = cls(
            [s.spec for s in stored],
            {k: s.trajectories for k, s in zip(keys, stored)},
            n_skipped=len(keys),
            store=store.root,
        )
        varying = result.varying  # not inside the key: list.sort empties the list meanwhile
        result.specs.sort(key=lambda spec: tuple(_sortable(getattr(spec.config, f)) for f in varying))
        return result


def _cells(fields: dict) -> dict:
    """Config fields as table cells: lists (feedback vector, switch times, ...) as tuples, nested
    ones too, so that a cell holds the whole value and can be compared and grouped."""

    def cell(value: Any) -> Any:
        return tuple(cell(v) for v in value) if isinstance(value, list) else value

    return {name: cell(value) for name, value in fields.items()}


def _sortable(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


__all__ = ["RunSpec", "SweepResult", "flatten"]

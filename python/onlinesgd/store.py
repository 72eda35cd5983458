"""A folder of finished runs: one atomically written ``.npz`` file per run, named by a stable
hash of everything that determines its result, plus an index that is rebuilt from the files.

Layout::

    STORE/runs/<key>.npz        one finished run: its RunSpec and its trajectories
    STORE/checkpoints/<key>.npz state of a run in progress (only with checkpoint_every)
    STORE/index.json            summary of runs/ (a cache: rebuilt when it disagrees with runs/)

A file in ``runs/`` exists only once its run has finished: writes go to a temporary file that
is renamed into place, so a run that raised, a killed worker or a full disk leave no
half-written run behind. Several hosts may share a store on a network file system.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ._io import atomic_write, remove_stale_temporaries
from .config import Config
from .trajectory import Trajectory

PathLike = Union[str, os.PathLike]


def major_version() -> str:
    """The package's major version: a new major version may change results, so it is part of
    every run's key (old results are then recomputed rather than mixed in)."""
    from ._core import __version__

    return __version__.split(".")[0]


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one run's result: the model (seed included), the recorded
    times, whether the ODE is integrated too, and the engine ("weights" or "overlaps")."""

    config: Config
    t_max: Optional[float] = None
    times: Optional[tuple] = None
    with_ode: bool = False
    engine: str = "weights"

    def to_dict(self) -> dict:
        data = {
            "config": self.config.to_dict(),
            "t_max": self.t_max,
            "times": None if self.times is None else list(self.times),
            "with_ode": self.with_ode,
            "major_version": major_version(),
        }
        if self.engine != "weights":  # the default is left out, so keys from before engines stay valid
            data["engine"] = self.engine
        return data

    @classmethod
    def from_dict(cls, data: dict) -> RunSpec:
        times = data.get("times")
        return cls(
            Config.from_dict(data["config"]),
            data.get("t_max"),
            None if times is None else tuple(times),
            bool(data.get("with_ode", False)),
            str(data.get("engine", "weights")),
        )

    @property
    def key(self) -> str:
        """Stable across processes, hosts and Python versions: a hash of canonical JSON (floats
        are written with repr, which round-trips exactly), not Python's salted ``hash``."""
        data = self.to_dict()
        # Config fields at their defaults are left out, so that adding a field (a new model
        # variant) keeps every earlier key; a default that changes needs a new major version,
        # which the key holds.
        defaults = Config().to_dict()
        data["config"] = {k: v for k, v in data["config"].items() if k not in defaults or v != defaults[k]}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class StoredRun:
    """A finished run as read back from the store."""

    spec: RunSpec
    trajectories: list
    wall_s: float


class Store:
    """The runs of one or several sweeps, kept in the folder ``root`` (created if needed).

    Each finished run is one file under ``runs/`` keyed by a hash of its config, seed and
    times, written atomically; an index lists them, and a sweep called again skips what the
    store holds. Long runs keep their checkpoints under ``checkpoints/``.

    Parameters
    ----------
    root : str or os.PathLike
        The store's folder.

    Examples
    --------
    >>> import tempfile, onlinesgd
    >>> store = onlinesgd.Store(tempfile.mkdtemp())
    >>> store.runs.is_dir() and store.checkpoints.is_dir()
    True
    """

    INDEX = "index.json"

    def __init__(self, root: PathLike) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.checkpoints = self.root / "checkpoints"
        for folder in (self.runs, self.checkpoints):
            folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.runs / f"{key}.npz"

    def checkpoint_path(self, key: str) -> Path:
        return self.checkpoints / f"{key}.npz"

    def finished(self) -> set:
        """Keys of the finished runs (a directory listing: cheap, and always current)."""
        return {p.stem for p in self.runs.glob("*.npz")}

    def clean(self) -> int:
        """Removes temporaries of killed writers on this host; returns how many."""
        return sum(remove_stale_temporaries(folder) for folder in (self.runs, self.checkpoints, self.root))

    def write(self, spec: RunSpec, trajectories: Sequence[Trajectory], wall_s: float) -> Path:
        """Writes one finished run atomically; the file appears only when complete."""
        meta = {
            "key": spec.key,
            "spec": spec.to_dict(),
            "wall_s": wall_s,
            "written": time.time(),
            "trajectories": [traj.meta() for traj in trajectories],
        }
        arrays = {}
        for i, traj in enumerate(trajectories):
            arrays.update(traj.arrays(prefix=f"{i}_"))
        path = self.path(spec.key)
        with atomic_write(path) as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **arrays)
        return path

    def read(self, key: str) -> StoredRun:
        with np.load(self.path(key), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            trajs = [Trajectory.from_parts(m, data, prefix=f"{i}_") for i, m in enumerate(meta["trajectories"])]
        return StoredRun(RunSpec.from_dict(meta["spec"]), trajs, meta["wall_s"])

    def _entry(self, key: str) -> dict:
        """The index line of one run: its spec and final errors, read from the file's meta only
        (``np.load`` is lazy, so the arrays are not read)."""
        with np.load(self.path(key), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            final = {m["kind"]: _last(data[f"{i}_eg"]) for i, m in enumerate(meta["trajectories"])}
        return {"spec": meta["spec"], "wall_s": meta["wall_s"], "final_eg": final}

    def index(self, update: Iterable[str] = ()) -> dict:
        """The index {key: entry}, brought in line with the files in ``runs/`` (entries of
        ``update`` are re-read) and written back atomically when it changed."""
        path = self.root / self.INDEX
        try:
            index = json.loads(path.read_text())["runs"]
        except (FileNotFoundError, ValueError, KeyError):
            index = {}  # missing or unreadable: rebuilt from the files below
        files = self.finished()
        stale = (set(index) - files) | ((files - set(index)) | set(update)) & files
        if stale:
            for key in stale:
                if key in files:
                    index[key] = self._entry(key)
                else:
                    del index[key]
            with atomic_write(path) as f:
                f.write(json.dumps({"runs": index}, indent=1, sort_keys=True).encode())
        return index

    def rebuild_index(self) -> dict:
        """Forgets the index and rebuilds it from the run files."""
        (self.root / self.INDEX).unlink(missing_ok=True)
        return self.index()


def _last(eg: np.ndarray) -> Optional[float]:
    return float(eg[-1]) if len(eg) else None

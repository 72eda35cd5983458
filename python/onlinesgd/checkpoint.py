"""Checkpoints of long simulations, and resuming them bit for bit.

The random inputs and label noises are drawn from counter-based streams keyed by (seed,
sample index), so there is no hidden generator state: the full state of a run is the weights
(W, v, B, v*), the step counter, the rows recorded so far and the step counts still to record,
plus, after an odd number of online steps, the local fields carried into the next step (online
steps run in pairs, see cpp/include/onlinesgd/fast_step.hpp).
Restoring those and stepping on gives exactly the numbers an uninterrupted run gives. The
student's first layer is saved twice: ``W`` in the input basis, to read, and ``W_stored`` as the
simulator keeps it (in the teacher frame for Gaussian inputs), which is what resuming restores,
so that no rotation rounds it.

A checkpoint is one ``.npz`` file, rewritten atomically (temporary file, then rename) every
``checkpoint_every`` seconds of wall time, when the run is interrupted (Ctrl-C) and when it
ends. A process killed at any moment therefore leaves the previous complete checkpoint.
``simulate(..., replicas=R, checkpoint=path)`` keeps all R replicas in one such file (arrays
prefixed ``r<i>_``); :func:`resume` continues either kind.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

from . import _core
from ._io import atomic_write
from .config import Config
from .simulate import Simulator
from .times import check_t_max
from .trajectory import Trajectory

if TYPE_CHECKING:
    from .replicas import ReplicaRun, Replicas

PathLike = Union[str, os.PathLike]
FORMAT = "onlinesgd-checkpoint-3"
REPLICAS_FORMAT = "onlinesgd-replicas-checkpoint-1"
_WEIGHTS = ("W", "v", "B", "v_star")


def _state(sim: Simulator, prefix: str = "") -> dict:
    """The arrays that restore ``sim`` exactly: weights (W in the input basis to read, W_stored
    as the simulator keeps it), the step counter and the carried fields (often empty)."""
    state = {prefix + name: getattr(sim, name) for name in _WEIGHTS}
    state[prefix + "W_stored"] = sim._sim.W_stored
    state[prefix + "steps"] = np.uint64(sim.steps)
    state[prefix + "carry"] = sim._sim.carry
    return state


def _restore(config: Config, arrays: dict, prefix: str = "") -> Simulator:
    sim = Simulator(config, **{name: arrays[prefix + name] for name in _WEIGHTS})
    sim._sim.W_stored = arrays[prefix + "W_stored"]  # bit for bit (after the teacher, which sets the frame)
    sim._sim.steps = int(arrays[prefix + "steps"])
    sim._sim.carry = arrays[prefix + "carry"]  # after the steps, which drop it
    return sim


def weights_digest(sim: Simulator) -> str:
    """Fingerprint of the weights, to tell whether a checkpoint belongs to a run."""
    h = hashlib.sha256()
    for name in _WEIGHTS:
        h.update(np.ascontiguousarray(getattr(sim, name), dtype=np.float64).tobytes())
    return h.hexdigest()


class Checkpointer:
    """The ``hook`` of :meth:`Simulator._record` that writes checkpoints to ``path``."""

    def __init__(self, path: PathLike, every: float, targets: np.ndarray, origin: str) -> None:
        self.path = Path(path)
        self.every = check_t_max(every)  # any finite number >= 0 (0: at every chunk and row)
        self.targets = np.asarray(targets, dtype=np.int64)
        self.origin = origin  # digest of the initial weights, to match a later simulate() call
        self.last = time.perf_counter()

    def __call__(self, sim: Simulator, rows: list, info: dict, final: bool) -> None:
        if final:
            self.save(sim, rows, info, done=not info.get("interrupted", False))
        elif time.perf_counter() - self.last >= self.every:
            self.save(sim, rows, info, done=False)

    def save(self, sim: Simulator, rows: list, info: dict, done: bool) -> None:
        meta = {"format": FORMAT, "config": sim.config.to_dict(), "version": _core.__version__,
                "every": self.every, "origin": self.origin, "done": done, "info": info if done else {}}
        recorded = sim._trajectory(list(rows), {})
        with atomic_write(self.path) as f:
            np.savez(f, meta=np.array(json.dumps(meta)), targets=self.targets, **_state(sim),
                     **recorded.arrays(prefix="rows_"))
        self.last = time.perf_counter()


class ReplicaCheckpointer:
    """The ``hook`` of :meth:`ReplicaRun.advance`: every replica's state in one file."""

    def __init__(self, path: PathLike, every: float) -> None:
        self.path = Path(path)
        self.every = check_t_max(every)
        self.last = time.perf_counter()

    def __call__(self, run: "ReplicaRun", final: bool) -> None:
        if final:
            self.save(run, done=not any(info.get("interrupted") for info in run.infos))
        elif time.perf_counter() - self.last >= self.every:
            self.save(run, done=False)

    def save(self, run: "ReplicaRun", done: bool) -> None:
        meta = {"format": REPLICAS_FORMAT, "config": run.config.to_dict(), "version": _core.__version__,
                "every": self.every, "replicas": len(run.sims), "done": done, "infos": run.infos}
        arrays = {}
        for r, (sim, rows) in enumerate(zip(run.sims, run.rows)):
            arrays.update(_state(sim, prefix=f"r{r}_"))
            arrays.update(sim._trajectory(list(rows), {}).arrays(prefix=f"r{r}_rows_"))
        with atomic_write(self.path) as f:
            np.savez(f, meta=np.array(json.dumps(meta)), targets=run.targets, **arrays)
        self.last = time.perf_counter()


def _load(path: PathLike) -> tuple:
    """(meta, arrays) of a checkpoint of either kind, refusing other files with the reason."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        found = str(meta.get("format", ""))
        if found.startswith("onlinesgd-") and "checkpoint" in found and found not in (FORMAT, REPLICAS_FORMAT):
            raise ValueError(f"{path} is a checkpoint of another onlinesgd version ({found}; this one reads "
                             f"{FORMAT} and {REPLICAS_FORMAT}): finish it with that version or start the run again")
        if found not in (FORMAT, REPLICAS_FORMAT):
            raise ValueError(f"{path} is not an onlinesgd checkpoint")
        return meta, {k: data[k] for k in data.files if k != "meta"}


def _read(path: PathLike) -> tuple:
    meta, arrays = _load(path)
    if meta["format"] != FORMAT:
        raise ValueError(f"{path} holds replicas: continue it with simulate(..., replicas=...) or resume()")
    recorded = Trajectory.from_parts({**meta, "kind": "simulation"}, arrays, prefix="rows_")
    return meta, arrays, recorded


def _continue(path: PathLike, meta: dict, arrays: dict, recorded: Trajectory, progress: Optional[bool]) -> Trajectory:
    if meta["done"]:
        return recorded  # its info is the finished run's
    sim = _restore(Config.from_dict(meta["config"]), arrays)
    targets = arrays["targets"]
    hook = Checkpointer(path, meta["every"], targets, meta["origin"])
    return sim._record(targets[len(recorded):], progress, rows=recorded.rows(), hook=hook)


def run_with_checkpoint(sim: Simulator, targets: np.ndarray, path: PathLike, every: float,
                        progress: Optional[bool]) -> Trajectory:
    """Runs ``sim`` (fresh, at step 0) to ``targets`` with checkpoints in ``path``; continues
    from ``path`` instead when it already holds this run (same config, initial weights and
    targets), so a requeued job just calls :func:`simulate` again."""
    origin = weights_digest(sim)
    if Path(path).exists():
        meta, arrays, recorded = _read(path)
        same = (meta["config"] == sim.config.to_dict() and meta["origin"] == origin
                and np.array_equal(arrays["targets"], targets))
        if not same:
            raise ValueError(f"checkpoint {path} holds a different run (config, initial weights or "
                             "times differ); remove it or choose another path")
        return _continue(path, meta, arrays, recorded, progress)
    return sim._record(targets, progress, hook=Checkpointer(path, every, targets, origin))


def _replica_run(meta: dict, arrays: dict) -> "ReplicaRun":
    from .replicas import ReplicaRun, replica_seeds

    config = Config.from_dict(meta["config"])
    seeds = replica_seeds(config.seed, meta["replicas"])
    sims, rows = [], []
    for r, seed in enumerate(seeds):
        sims.append(_restore(config.replace(seed=seed), arrays, prefix=f"r{r}_"))
        recorded = Trajectory.from_parts({**meta, "kind": "simulation", "info": {}}, arrays, prefix=f"r{r}_rows_")
        rows.append(recorded.rows())
    return ReplicaRun(config, sims, arrays["targets"], rows, [dict(info) for info in meta["infos"]])


def _continue_replicas(path: PathLike, meta: dict, arrays: dict, progress: Optional[bool]) -> "Replicas":
    run = _replica_run(meta, arrays)
    if not meta["done"]:
        run.advance(progress, hook=ReplicaCheckpointer(path, meta["every"]))
    return run.result()


def run_replicas_with_checkpoint(run: "ReplicaRun", path: PathLike, every: float,
                                 progress: Optional[bool]) -> "Replicas":
    """Runs the fresh replica run with checkpoints in ``path``, or continues ``path`` when it
    already holds this run (same config, number of replicas and times)."""
    if Path(path).exists():
        meta, arrays = _load(path)
        same = (meta["format"] == REPLICAS_FORMAT and meta["config"] == run.config.to_dict()
                and meta["replicas"] == len(run.sims) and np.array_equal(arrays["targets"], run.targets))
        if not same:
            raise ValueError(f"checkpoint {path} holds a different run (config, replicas or times differ); "
                             "remove it or choose another path")
        return _continue_replicas(path, meta, arrays, progress)
    run.advance(progress, hook=ReplicaCheckpointer(path, every))
    return run.result()


def resume(path: PathLike, progress: Optional[bool] = None) -> Union[Trajectory, "Replicas"]:
    """Continues the run saved in the checkpoint ``path`` (written by ``simulate(...,
    checkpoint=path)``) and returns its full :class:`Trajectory` (or :class:`Replicas` for a run
    with ``replicas=``): the same, bit for bit, as the uninterrupted run. A finished checkpoint
    returns its result at once. The checkpoint keeps being updated as before."""
    meta, arrays = _load(path)
    if meta["format"] == REPLICAS_FORMAT:
        return _continue_replicas(path, meta, arrays, progress)
    recorded = Trajectory.from_parts({**meta, "kind": "simulation"}, arrays, prefix="rows_")
    return _continue(path, meta, arrays, recorded, progress)

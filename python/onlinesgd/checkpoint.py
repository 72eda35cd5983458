"""Checkpoints of long simulations, and resuming them bit for bit.

The random inputs and label noises are drawn from counter-based streams keyed by (seed,
sample index), so there is no hidden generator state: the full state of a run is the weights
(W, v, B, v*), the step counter, the rows recorded so far and the step counts still to record,
plus, after an odd number of online steps, the local fields carried into the next step (online
steps run in pairs, see cpp/include/onlinesgd/fast_step.hpp), and every head of a multi-head run
(the phase of the schedule follows from the step counter).
Restoring those and stepping on gives exactly the numbers an uninterrupted run gives. The
student's first layer is saved twice: ``W`` in the input basis, to read, and ``W_stored`` as the
simulator keeps it (in the teacher frame for Gaussian inputs), which is what resuming restores,
so that no rotation rounds it. A run of the overlap engine (``engine="overlaps"``) has no weights:
its state is the factor U of its Gram matrix, the heads and the step counter (its random streams
are keyed by the step count too), and the file says which engine wrote it.

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
from typing import Any, Optional, Union

import numpy as np

from . import _core
from ._io import atomic_write
from .config import Config
from .overlap_simulator import OverlapSimulator, make_simulator
from .replicas import Replicas, replica_seeds
from .rows import RowsCore, RowsRun
from .run import Run, engine_of
from .times import check_t_max
from .trajectory import Trajectory

PathLike = Union[str, os.PathLike]
FORMAT = "onlinesgd-checkpoint-3"
REPLICAS_FORMAT = "onlinesgd-replicas-checkpoint-1"
_WEIGHTS = ("W", "v", "B", "v_star")
_CHAIN = ("factor", "heads", "v_star")  # the overlap engine's state besides its step count


def _state(sim: Any, prefix: str = "") -> dict:
    """The arrays that restore ``sim`` exactly: weights (W in the input basis to read, W_stored
    as the simulator keeps it), the step counter and the carried fields (often empty), every
    head; for an overlap chain its factor and heads and the step counter."""
    chain = engine_of(sim) == "overlaps"
    state = {prefix + name: getattr(sim, name) for name in (_CHAIN if chain else _WEIGHTS)}
    state[prefix + "steps"] = np.uint64(sim.steps)
    if not chain:
        state[prefix + "heads"] = sim.heads
        state[prefix + "W_stored"] = sim.W_stored
        state[prefix + "carry"] = sim.carry
    return state


def _restore(config: Config, arrays: dict, prefix: str = "", engine: str = "weights") -> Any:
    if engine == "overlaps":
        sim = OverlapSimulator(config)._sim
        sim.factor = arrays[prefix + "factor"]  # bit for bit
        sim.set_heads(np.ravel(arrays[prefix + "heads"]), arrays[prefix + "v_star"])
        sim.steps = int(arrays[prefix + "steps"])
        return sim
    weights = {name: arrays[prefix + name] for name in _WEIGHTS}
    if prefix + "heads" in arrays:  # every head (files before several heads hold v only)
        weights["v"] = arrays[prefix + "heads"]
    sim = make_simulator("weights", config, **weights)._sim
    sim.W_stored = arrays[prefix + "W_stored"]  # bit for bit (after the teacher, which sets the frame)
    sim.steps = int(arrays[prefix + "steps"])
    sim.carry = arrays[prefix + "carry"]  # after the steps, which drop it
    return sim


def _prefixes(replicas: bool, count: int) -> list[str]:
    """Where each simulator's arrays are in a file: unprefixed for a single run, under ``r<i>_``
    for replica i."""
    return [f"r{r}_" for r in range(count)] if replicas else [""]


def weights_digest(sim: Any) -> str:
    """Fingerprint of the weights of ``sim`` (a :class:`Simulator` or ``_core.Simulator``; the
    factor and heads of an overlap chain), to tell whether a checkpoint belongs to a run."""
    h = hashlib.sha256()
    for name in _CHAIN if engine_of(getattr(sim, "_sim", sim)) == "overlaps" else _WEIGHTS:
        h.update(np.ascontiguousarray(getattr(sim, name), dtype=np.float64).tobytes())
    if (
        len(getattr(sim, "_sim", sim).heads) > 1
    ):  # the other heads (one head: v is all of it, as the digests always were)
        h.update(np.ascontiguousarray(getattr(sim, "_sim", sim).heads, dtype=np.float64).tobytes())
    return h.hexdigest()


class Checkpointer:
    """The ``hook`` of :meth:`Run.advance` that writes a single run's checkpoint to ``path``
    every ``every`` seconds of wall time (0: at every chunk and row) and at the end."""

    format = FORMAT

    def __init__(self, path: PathLike, every: float, origin: str = "") -> None:
        self.path = Path(path)
        self.every = check_t_max(every)  # any finite number >= 0
        self.origin = origin  # digest of the initial weights, to match a later simulate() call
        self.last = time.perf_counter()

    def __call__(self, run: Run, final: bool) -> None:
        if final:
            self.save(run, done=not any(info.get("interrupted") for info in run.infos))
        elif time.perf_counter() - self.last >= self.every:
            self.save(run, done=False)

    def meta(self, run: Run, done: bool) -> dict:
        """What the file says of the run besides its arrays."""
        return {"origin": self.origin, "done": done, "info": run.info(0) if done else {}}

    def save(self, run: Run, done: bool) -> None:
        meta = {
            "format": self.format,
            "config": run.config.to_dict(),
            "version": _core.__version__,
            "every": self.every,
            "engine": run.engine,
            **self.meta(run, done),
        }
        arrays = {}
        for prefix, sim, rows, config in zip(_prefixes(run.replicas, len(run.sims)), run.sims, run.rows, run.configs):
            arrays.update(_state(sim, prefix))
            arrays.update(Trajectory.from_rows(rows, config, _core.__version__).arrays(prefix=prefix + "rows_"))
        with atomic_write(self.path) as f:
            np.savez(f, meta=np.array(json.dumps(meta)), targets=run.targets, **arrays)
        self.last = time.perf_counter()


class ReplicaCheckpointer(Checkpointer):
    """The ``hook`` that writes a replica run's checkpoint: every replica's state in one file."""

    format = REPLICAS_FORMAT

    def meta(self, run: Run, done: bool) -> dict:
        return {"replicas": len(run.sims), "done": done, "infos": run.infos}


def _checkpointer(run: Run, path: PathLike, every: float, origin: str) -> Checkpointer:
    return ReplicaCheckpointer(path, every) if run.replicas else Checkpointer(path, every, origin)


def _load(path: PathLike) -> tuple:
    """(meta, arrays) of a checkpoint of either kind, refusing other files with the reason."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        found = str(meta.get("format", ""))
        if found.startswith("onlinesgd-") and "checkpoint" in found and found not in (FORMAT, REPLICAS_FORMAT):
            raise ValueError(
                f"{path} is a checkpoint of another onlinesgd version ({found}; this one reads "
                f"{FORMAT} and {REPLICAS_FORMAT}): finish it with that version or start the run again"
            )
        if found not in (FORMAT, REPLICAS_FORMAT):
            raise ValueError(f"{path} is not an onlinesgd checkpoint")
        return meta, {k: data[k] for k in data.files if k != "meta"}


def _recorded(meta: dict, arrays: dict, prefix: str = "") -> Trajectory:
    """The trajectory saved in a checkpoint (under ``prefix``)."""
    return Trajectory.from_parts({**meta, "kind": "simulation"}, arrays, prefix=prefix + "rows_")


def _restore_run(meta: dict, arrays: dict) -> Run:
    """The run saved in a checkpoint of either format, as it was when saved."""
    config = Config.from_dict(meta["config"])
    replicas = meta["format"] == REPLICAS_FORMAT
    if replicas:
        configs = [config.replace(seed=seed) for seed in replica_seeds(config.seed, meta["replicas"])]
        infos = [dict(info) for info in meta["infos"]]
    else:
        configs, infos = [config], [{}]  # a run is saved with its info when done only
    prefixes = _prefixes(replicas, len(configs))
    engine = meta.get("engine", "weights")  # files written before the overlap engine
    sims = [_restore(c, arrays, prefix, engine) for c, prefix in zip(configs, prefixes)]
    rows = [_recorded({**meta, "info": {}}, arrays, prefix).rows() for prefix in prefixes]
    kind = RowsRun if isinstance(sims[0], RowsCore) else Run  # a Gaussian mixture steps on its rows
    return kind(configs, sims, arrays["targets"], rows, infos, replicas=replicas)


def _continue(path: PathLike, meta: dict, arrays: dict, progress: Optional[bool]) -> Union[Trajectory, Replicas]:
    if meta["done"] and meta["format"] == FORMAT:
        return _recorded(meta, arrays)  # as it was saved, its info the finished run's
    run = _restore_run(meta, arrays)
    if not meta["done"]:
        run.advance(progress, hook=_checkpointer(run, path, meta["every"], meta.get("origin", "")))
    return run.result()


def run_with_checkpoint(
    run: Run, path: PathLike, every: float, progress: Optional[bool]
) -> Union[Trajectory, Replicas]:
    """Advances the fresh ``run`` (a single run at step 0, or replicas) with checkpoints in
    ``path`` and returns its result; continues from ``path`` instead when it already holds this
    run (same config, initial weights or number of replicas, and times), so a requeued job just
    calls :func:`~onlinesgd.simulate` again."""
    origin = "" if run.replicas else weights_digest(run.sims[0])
    if Path(path).exists():
        meta, arrays = _load(path)
        if not run.replicas and meta["format"] != FORMAT:
            raise ValueError(f"{path} holds replicas: continue it with simulate(..., replicas=...) or resume()")
        if run.replicas:
            same = meta["format"] == REPLICAS_FORMAT and meta["replicas"] == len(run.sims)
            differ = "config, replicas or times differ"
        else:
            same, differ = meta["origin"] == origin, "config, initial weights or times differ"
        if not (
            same
            and meta["config"] == run.config.to_dict()
            and np.array_equal(arrays["targets"], run.targets)
            and meta.get("engine", "weights") == run.engine
        ):
            raise ValueError(
                f"checkpoint {path} holds a different run ({differ}, or its engine); remove it or choose another path"
            )
        return _continue(path, meta, arrays, progress)
    run.advance(progress, hook=_checkpointer(run, path, every, origin))
    return run.result()


def resume(path: PathLike, progress: Optional[bool] = None) -> Union[Trajectory, Replicas]:
    """Continues the run saved in the checkpoint ``path`` (written by ``simulate(...,
    checkpoint=path)``) and returns its full :class:`Trajectory` (or :class:`Replicas` for a run
    with ``replicas=``): the same, bit for bit, as the uninterrupted run. A finished checkpoint
    returns its result at once. The checkpoint keeps being updated as before.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file.
    progress : bool, optional
        None shows a bar once the run takes over 2 s, True always, False never.

    Returns
    -------
    Trajectory or Replicas
        The whole run, from t = 0.

    Raises
    ------
    ValueError
        when ``path`` is not an onlinesgd checkpoint, or was written by an incompatible version.

    Examples
    --------
    >>> import onlinesgd
    >>> config = onlinesgd.Config(N=200, seed=1)
    >>> done = onlinesgd.simulate(config, t_max=1.0, checkpoint="run.npz", progress=False)
    >>> again = onlinesgd.resume("run.npz", progress=False)  # finished: returned at once
    >>> bool((again.eg == done.eg).all())
    True
    """
    meta, arrays = _load(path)
    return _continue(path, meta, arrays, progress)

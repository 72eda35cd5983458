"""Independent replicas of one experiment in one call: every trajectory plus mean and error bars."""

from __future__ import annotations

import os
import time as _time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

import numpy as np

from . import _core
from .config import Config
from .fields import names, record
from .trajectory import Trajectory


def replica_seeds(seed: int, replicas: int) -> list[int]:
    """Seeds of the replicas: ``seed, seed + 1, ..., seed + replicas - 1`` (mod 2**64).

    Every stream (teacher, student, inputs, label noise) is keyed by the seed, so replica r
    is exactly ``simulate(config.replace(seed=seed + r), ...)``.
    """
    return [(seed + r) % 2**64 for r in range(replicas)]


@dataclass
class Replicas:
    """Trajectories of independent seeds recorded at the same times, with their statistics.

    Attributes
    ----------
    trajectories : one :class:`Trajectory` per replica (seeds from :func:`replica_seeds`).
    times : (n,) times common to all replicas (all of them, unless some replica diverged).
    mean : a :class:`Trajectory` whose Q, R, T, v, v_star, eg (and ``extra`` fields) are the
        replica means (``kind = "replica-mean"``; compare it with the ODE like a single run).
    stderr : standard errors of the mean, ``std(ddof=1) / sqrt(replicas)``, by field name, for
        every recorded field but ``times`` (:mod:`onlinesgd.fields`; zeros for a single replica).
    """

    trajectories: list
    times: np.ndarray = field(init=False)
    mean: Trajectory = field(init=False)
    stderr: dict = field(init=False)

    def __post_init__(self) -> None:
        if not self.trajectories:
            raise ValueError("replicas must be >= 1")
        n = min(len(t) for t in self.trajectories)
        first = self.trajectories[0]
        self.times = first.times[:n].copy()
        arrays = [t.arrays() for t in self.trajectories]
        stacks = {name: np.stack([a[name][:n] for a in arrays]) for name in names()[1:]}
        count = len(self.trajectories)
        with np.errstate(over="ignore", invalid="ignore"):  # a replica near divergence may overflow: inf is honest
            means = {name: s.mean(axis=0) for name, s in stacks.items()}
            self.stderr = {name: (s.std(axis=0, ddof=1) / np.sqrt(count) if count > 1 else np.zeros_like(s[0]))
                           for name, s in stacks.items()}
        info = {"replicas": count, "seeds": [t.seed for t in self.trajectories]}
        extra = {name: means.pop(name) for name in names(theory=False)}
        self.mean = Trajectory(times=self.times, config=first.config, version=first.version,
                               kind="replica-mean", info=info, extra=extra, **means)

    def __len__(self) -> int:
        return len(self.trajectories)

    @property
    def eg_mean(self) -> np.ndarray:
        """Mean generalisation error over the replicas at ``times``."""
        return self.mean.eg

    @property
    def eg_stderr(self) -> np.ndarray:
        """Standard error of :attr:`eg_mean`."""
        return self.stderr["eg"]


def simulate_replicas(config: Config, replicas: int, t_max: Optional[float] = None,
                      times: Optional[Sequence[float]] = None, progress: Optional[bool] = None,
                      checkpoint: Union[str, os.PathLike, None] = None, checkpoint_every: float = 600.0) -> Replicas:
    """Runs ``replicas`` independent seeds of ``config`` to the same times.

    Small problems run one replica per thread (no per-step synchronisation); large ones run
    the replicas one after another, each threaded along N (``_core.advance_replicas``).
    Each replica's trajectory is the same as a single :func:`onlinesgd.simulate` with its seed,
    whatever the number of threads. Ctrl-C stops all replicas and keeps what was recorded.

    Parameters
    ----------
    config : the model; replica r uses seed ``config.seed + r``.
    replicas : number of replicas R >= 1.
    t_max, times : as for :func:`onlinesgd.simulate` (one of them).
    progress : None shows a bar once the run takes over 2 s, True always, False never.
    checkpoint, checkpoint_every : as for :func:`onlinesgd.simulate`: every replica's state is
        saved in one file, and a file that already holds this run is continued
        (:func:`onlinesgd.resume` continues it too); resuming is bit-identical.

    Returns
    -------
    Replicas
        every trajectory, their common times, mean and standard error.

    Raises
    ------
    ValueError
        naming ``replicas``, ``t_max`` or ``times`` when one is invalid.
    """
    if isinstance(replicas, bool) or not isinstance(replicas, (int, np.integer)) or replicas < 1:
        raise ValueError(f"replicas must be an integer >= 1, got {replicas!r}")
    run = ReplicaRun.fresh(config, int(replicas), t_max, times)
    if checkpoint is not None:
        from .checkpoint import run_replicas_with_checkpoint

        return run_replicas_with_checkpoint(run, checkpoint, checkpoint_every, progress)
    run.advance(progress)
    return run.result()


class ReplicaRun:
    """The state of a replica run: its simulators, the rows each recorded, their infos and the
    step counts to record at. Everything a checkpoint needs to continue it."""

    def __init__(self, config: Config, sims: list, targets: np.ndarray, rows: list, infos: list) -> None:
        self.config, self.sims, self.targets, self.rows, self.infos = config, sims, targets, rows, infos

    @classmethod
    def fresh(cls, config: Config, replicas: int, t_max, times) -> "ReplicaRun":
        from .simulate import Simulator

        sims = [Simulator(config.replace(seed=s)) for s in replica_seeds(config.seed, replicas)]
        return cls(config, sims, sims[0]._targets(t_max, times), [[] for _ in sims], [{} for _ in sims])

    def live(self) -> list:
        return [r for r, info in enumerate(self.infos) if "diverged_at" not in info]

    def advance(self, progress: Optional[bool], hook: Optional[Callable[["ReplicaRun", bool], None]] = None) -> None:
        """Steps the live replicas on to the remaining targets, recording a row at each.
        ``hook(self, final)`` runs after every chunk and row (final=False) and once at the end."""
        from tqdm.auto import tqdm

        hook = hook or (lambda *args: None)
        sims, c = self.sims, self.config
        scale = c.batch / c.N
        for info in self.infos:  # a resumed run is no longer interrupted
            info.pop("interrupted", None)
            info.pop("interrupted_at", None)
        live = self.live()
        # A run interrupted while recording may hold one row more in some replicas: the state
        # there is the same, so drop it and record it again.
        done_rows = min((len(self.rows[r]) for r in live), default=0)
        for r in live:
            del self.rows[r][done_rows:]
        steps = max((sims[r]._sim.steps for r in live), default=0)
        bar = tqdm(total=float(self.targets[-1] * scale), initial=float(steps * scale), unit="t",
                   disable=progress is False, delay=0 if progress else 2.0, mininterval=0.5, leave=False,
                   desc=f"simulate x{len(sims)}",
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| t = {n:.4g}/{total:.4g} [{elapsed}<{remaining}]")
        chunk = max(1, 2_000_000 // (c.N * (c.K + c.M) * c.batch * len(sims)))
        try:
            for target in self.targets[done_rows:]:
                while steps < target and live:
                    n = int(min(chunk, target - steps))
                    tic = _time.perf_counter()
                    # each replica from its own count: one that diverged unrecorded (an interrupt
                    # between the call and the check below) meets its diverging step again at once
                    _core.advance_replicas([sims[r]._sim for r in live], n)
                    elapsed = _time.perf_counter() - tic
                    steps += n
                    bar.update(n * scale)
                    for r in list(live):
                        if sims[r]._sim.diverged:
                            self.infos[r]["diverged_at"] = (sims[r].steps + 1) * scale
                            live.remove(r)
                    chunk = int(np.clip(n * 0.1 / max(elapsed, 1e-6), 1, 4 * n))
                    hook(self, False)
                if not live:
                    break
                for r in live:
                    self.rows[r].append(record(sims[r]._sim))
                hook(self, False)
        except KeyboardInterrupt:
            for info, sim in zip(self.infos, sims):
                info["interrupted"] = True
                info["interrupted_at"] = sim.time
        finally:
            bar.close()
        hook(self, True)

    def result(self) -> Replicas:
        from .simulate import DivergenceWarning

        sims = self.sims
        diverged = [r for r, info in enumerate(self.infos) if "diverged_at" in info]
        if diverged:
            warnings.warn(f"{len(diverged)} of {len(sims)} replicas diverged (seeds "
                          f"{[sims[r].config.seed for r in diverged][:5]}); the statistics cover the times all "
                          "reached", DivergenceWarning, stacklevel=3)
        trajectories = []
        for sim, row, info in zip(sims, self.rows, self.infos):
            info["steps"] = int(sim.steps)
            trajectories.append(sim._trajectory(row, dict(info)))
        return Replicas(trajectories)

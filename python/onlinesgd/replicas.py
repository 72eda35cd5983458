"""Independent replicas of one experiment in one call: every trajectory plus mean and error bars."""

from __future__ import annotations

import time as _time
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from . import _core
from .config import Config
from .trajectory import Trajectory

_FIELDS = ("Q", "R", "T", "v", "v_star", "eg")


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
    mean : a :class:`Trajectory` whose Q, R, T, v, v_star, eg are the replica means
        (``kind = "replica-mean"``; compare it with the ODE like a single run).
    stderr : standard errors of the mean, ``std(ddof=1) / sqrt(replicas)``, by field name
        (zeros for a single replica).
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
        stacks = {name: np.stack([getattr(t, name)[:n] for t in self.trajectories]) for name in _FIELDS}
        count = len(self.trajectories)
        with np.errstate(over="ignore", invalid="ignore"):  # a replica near divergence may overflow: inf is honest
            means = {name: s.mean(axis=0) for name, s in stacks.items()}
            self.stderr = {name: (s.std(axis=0, ddof=1) / np.sqrt(count) if count > 1 else np.zeros_like(s[0]))
                           for name, s in stacks.items()}
        info = {"replicas": count, "seeds": [t.seed for t in self.trajectories]}
        self.mean = Trajectory(times=self.times, config=first.config, version=first.version,
                               kind="replica-mean", info=info, **means)

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
                      times: Optional[Sequence[float]] = None, progress: Optional[bool] = None) -> Replicas:
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

    Returns
    -------
    Replicas
        every trajectory, their common times, mean and standard error.

    Raises
    ------
    ValueError
        naming ``replicas``, ``t_max`` or ``times`` when one is invalid.
    """
    from tqdm.auto import tqdm

    from .simulate import DivergenceWarning, Simulator

    if isinstance(replicas, bool) or not isinstance(replicas, (int, np.integer)) or replicas < 1:
        raise ValueError(f"replicas must be an integer >= 1, got {replicas!r}")
    sims = [Simulator(config.replace(seed=s)) for s in replica_seeds(config.seed, int(replicas))]
    c = config
    targets = sims[0]._targets(t_max, times)
    rows: list = [[] for _ in sims]
    infos: list = [{} for _ in sims]
    live = list(range(len(sims)))
    scale = c.batch / c.N
    bar = tqdm(total=float(targets[-1] * scale), unit="t", disable=progress is False, delay=0 if progress else 2.0,
               mininterval=0.5, leave=False, desc=f"simulate x{len(sims)}",
               bar_format="{desc}: {percentage:3.0f}%|{bar}| t = {n:.4g}/{total:.4g} [{elapsed}<{remaining}]")
    chunk = max(1, 2_000_000 // (c.N * (c.K + c.M) * c.batch * len(sims)))
    steps = 0
    try:
        for target in targets:
            while steps < target and live:
                n = int(min(chunk, target - steps))
                tic = _time.perf_counter()
                done = _core.advance_replicas([sims[r]._sim for r in live], n)
                elapsed = _time.perf_counter() - tic
                steps += n
                bar.update(n * scale)
                for r, d in zip(list(live), done):
                    if d < n:
                        infos[r]["diverged_at"] = (sims[r].steps + 1) * scale
                        live.remove(r)
                chunk = int(np.clip(n * 0.1 / max(elapsed, 1e-6), 1, 4 * n))
            if not live:
                break
            for r in live:
                rows[r].append(sims[r]._snapshot())
    except KeyboardInterrupt:
        for info, sim in zip(infos, sims):
            info["interrupted"] = True
            info["interrupted_at"] = sim.time
    finally:
        bar.close()
    diverged = [r for r, info in enumerate(infos) if "diverged_at" in info]
    if diverged:
        warnings.warn(f"{len(diverged)} of {len(sims)} replicas diverged (seeds "
                      f"{[sims[r].config.seed for r in diverged][:5]}); the statistics cover the times all reached",
                      DivergenceWarning, stacklevel=3)
    trajectories = []
    for sim, row, info in zip(sims, rows, infos):
        info["steps"] = int(sim.steps)
        trajectories.append(sim._trajectory(row, info))
    return Replicas(trajectories)

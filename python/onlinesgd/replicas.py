"""Independent replicas of one experiment: their seeds, and their result (every trajectory plus
mean and error bars). ``simulate(..., replicas=R)`` runs them (:mod:`onlinesgd.simulate`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .fields import names
from .trajectory import Trajectory


def replica_seeds(seed: int, replicas: int) -> list[int]:
    """Seeds of the replicas: ``seed, seed + 1, ..., seed + replicas - 1`` (mod 2**64).

    Every stream (teacher, student, inputs, label noise) is keyed by the seed, so replica r
    is exactly ``simulate(config.replace(seed=seed + r), ...)``.

    Parameters
    ----------
    seed : int
        The first replica's seed (``Config.seed``).
    replicas : int
        How many.

    Returns
    -------
    list of int

    Examples
    --------
    >>> from onlinesgd import replica_seeds
    >>> replica_seeds(7, 3)
    [7, 8, 9]
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

    Parameters
    ----------
    trajectories : list of Trajectory
        The replicas' trajectories (what ``simulate(config, ..., replicas=R)`` returns them in).

    Raises
    ------
    ValueError
        when the list is empty.

    Examples
    --------
    >>> import onlinesgd
    >>> reps = onlinesgd.simulate(onlinesgd.Config(N=200), times=[0, 1], replicas=4, progress=False)
    >>> len(reps), reps.mean.kind, reps.eg_stderr.shape
    (4, 'replica-mean', (2,))
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
            self.stderr = {
                name: (s.std(axis=0, ddof=1) / np.sqrt(count) if count > 1 else np.zeros_like(s[0]))
                for name, s in stacks.items()
            }
        info = {"replicas": count, "seeds": [t.seed for t in self.trajectories]}
        if "engine" in first.info:  # the overlap engine's runs say so (onlinesgd.run.Run.info)
            info["engine"] = first.info["engine"]
        extra = {name: means.pop(name) for name in names(theory=False)}
        self.mean = Trajectory(
            times=self.times,
            config=first.config,
            version=first.version,
            kind="replica-mean",
            info=info,
            extra=extra,
            **means,
        )

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

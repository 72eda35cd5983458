"""Recording times: checked, defaulted and turned into step counts, alike for the simulation and
the ODE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .config import Config

TimesLike = Union[Sequence[float], np.ndarray]
"""Recording times as a user gives them: any sequence of numbers or a 1-D array."""


def default_times(t_max: float, N: int, batch: int, start: float = 0.0, count: int = 100) -> np.ndarray:
    """``start`` plus ``count`` log-spaced times from one step after it up to ``t_max``."""
    first = start + batch / N
    if t_max <= start:
        return np.array([start])
    if t_max <= first:
        return np.array([start, t_max])
    lo = max(first, t_max * 1e-4)
    return np.concatenate([[start], np.geomspace(lo, t_max, count)])


def check_times(times: Any, t_max: Optional[float], start: float) -> np.ndarray:
    """Validated, strictly increasing recording times >= ``start`` (the current time)."""
    if times is None:
        raise ValueError("times must be given")
    arr = np.asarray(times, dtype=np.float64).ravel()
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError("times must be a non-empty array of finite numbers")
    if np.any(np.diff(arr) <= 0):
        raise ValueError("times must be strictly increasing")
    if arr[0] < start - 1e-12:
        raise ValueError(f"times must be >= the current time {start}, got {arr[0]}")
    return arr


def check_t_max(t_max: Any) -> float:
    """``t_max`` as a float, after checking it is a finite number >= 0."""
    if isinstance(t_max, bool) or not isinstance(t_max, (int, float, np.integer, np.floating)):
        raise ValueError(f"t_max must be a number, got {t_max!r}")
    if not np.isfinite(t_max) or t_max < 0:
        raise ValueError(f"t_max must be finite and >= 0, got {t_max!r}")
    return float(t_max)


def recording_times(
    t_max: Optional[float],
    times: Optional[TimesLike],
    N: int,
    batch: int,
    start: float,
    switch_times: Optional[TimesLike] = None,
) -> np.ndarray:
    """``times`` validated, or (when None) ``start`` plus ~100 log-spaced times to ``t_max`` and
    the schedule's ``switch_times`` between them (so that the error at the end of each task is
    recorded); shared by the simulation and the ODE so both record alike."""
    if times is None:
        if t_max is None:
            raise ValueError("t_max or times must be given")
        t_max = check_t_max(t_max)
        default = default_times(t_max, N, batch, start)
        switches = [t for t in (switch_times or ()) if start < t < t_max]
        return np.union1d(default, switches) if switches else default
    if t_max is not None:
        check_t_max(t_max)
    return check_times(times, t_max, start)


def target_steps(config: Config, t_max: Optional[float], times: Optional[TimesLike], start: float) -> np.ndarray:
    """The step counts at which a simulation at time ``start`` records: the recording times
    rounded to whole steps (one step is ``batch / N`` of time), without repeats."""
    grid = recording_times(t_max, times, config.N, config.batch, start, config.switch_times)
    return np.unique(np.rint(grid * config.N / config.batch).astype(np.int64))

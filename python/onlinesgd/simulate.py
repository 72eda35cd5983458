"""Online SGD simulation: the Python face of the C++ simulator."""

from __future__ import annotations

import os
import time as _time
import warnings
from typing import Callable, Optional, Sequence, Union

import numpy as np

from . import _core
from .config import Config
from .fields import all_finite, record
from .times import check_t_max, check_times, default_times, recording_times, target_steps
from .trajectory import Trajectory

ArrayLike = Optional[np.ndarray]
__all__ = ["DivergenceWarning", "Simulator", "check_array", "check_t_max", "check_times", "default_times",
           "recording_times", "simulate"]  # the recording-time helpers stay importable from here


class DivergenceWarning(RuntimeWarning):
    """The weights became non-finite (learning rate too large); the run stopped."""


def check_array(name: str, value, shape: tuple) -> np.ndarray:
    """A float64 C-contiguous copy of ``value`` after checking dtype, shape and finiteness."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return np.array(arr, dtype=np.float64, order="C", copy=True)


class Simulator:
    """A teacher and a student stepping through online SGD.

    The weights are drawn from ``config.seed`` unless given: ``W`` (K x N) and ``v`` (K) for
    the student, ``B`` (M x N) and ``v_star`` (M) for the teacher. Arrays are copied in.
    """

    def __init__(self, config: Config, *, W: ArrayLike = None, v: ArrayLike = None,
                 B: ArrayLike = None, v_star: ArrayLike = None) -> None:
        if not isinstance(config, Config):
            raise ValueError(f"config must be an onlinesgd.Config, got {type(config).__name__}")
        self.config = config
        c = config
        W = None if W is None else check_array("W", W, (c.K, c.N))
        v = None if v is None else check_array("v", v, (c.K,))
        B = None if B is None else check_array("B", B, (c.M, c.N))
        v_star = None if v_star is None else check_array("v_star", v_star, (c.M,))
        self._sim = _core.Simulator(c.to_core())
        if W is not None or v is not None:
            self._sim.set_student(self._sim.W if W is None else W, self._sim.v if v is None else v)
        if B is not None or v_star is not None:
            self._sim.set_teacher(self._sim.B if B is None else B, self._sim.v_star if v_star is None else v_star)

    # weights, read back as copies
    W = property(lambda self: self._sim.W, doc="student first layer, K x N")
    v = property(lambda self: self._sim.v, doc="student second layer, K")
    B = property(lambda self: self._sim.B, doc="teacher first layer, M x N")
    v_star = property(lambda self: self._sim.v_star, doc="teacher second layer, M")
    steps = property(lambda self: self._sim.steps, doc="steps done")
    time = property(lambda self: self._sim.time, doc="samples seen / N")

    def input(self, sample: int) -> np.ndarray:
        """The input x (length N, input basis) of sample ``sample`` as the steps see it; step s
        uses samples s*batch .. s*batch + batch - 1. Gaussian runs draw it in the teacher frame
        (docs/model.md), so this is the drawn vector rotated back."""
        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 0:
            raise ValueError(f"sample must be an integer >= 0, got {sample!r}")
        return self._sim.input(int(sample))

    def overlaps(self) -> dict:
        """Current Q, R, T, v, v_star."""
        return dict(zip(("Q", "R", "T", "v", "v_star"), self._sim.overlaps()))

    def eg(self) -> float:
        """Current generalisation error, exact from the overlaps."""
        return self._sim.generalisation_error()

    def step(self, x: np.ndarray, zeta: ArrayLike = None) -> None:
        """One SGD step on the given inputs ``x`` (N or b x N) and standard-normal label
        noises ``zeta`` (b; scaled by ``config.noise``). Does not consume the random streams."""
        X = np.asarray(x)
        X = X[None, :] if X.ndim == 1 else X
        X = check_array("x", X, (X.shape[0], self.config.N) if X.ndim == 2 else (-1,))
        z = np.zeros(X.shape[0]) if zeta is None else check_array("zeta", zeta, (X.shape[0],))
        if not self._sim.step_on(X, z):
            raise FloatingPointError(f"the step on this input gives non-finite weights (t = {self.time})")

    def run(self, t_max: Optional[float] = None, times: Optional[Sequence[float]] = None,
            progress: Optional[bool] = None) -> Trajectory:
        """Steps on and records the overlaps at ``times`` (default: now plus ~100 log-spaced
        times up to ``t_max``). Times are rounded to whole steps; the recorded ``times`` are
        exact. ``progress``: None shows a bar once the run takes over 2 s, True always, False never.
        Ctrl-C stops the run and returns what was recorded so far (``info['interrupted']``)."""
        return self._record(self._targets(t_max, times), progress)

    def _targets(self, t_max: Optional[float], times: Optional[Sequence[float]]) -> np.ndarray:
        """The step counts at which ``run`` records."""
        return target_steps(self.config, t_max, times, self.time)

    def _record(self, targets: np.ndarray, progress: Optional[bool], rows: Optional[list] = None,
                hook: Optional[Callable[["Simulator", list, dict, bool], None]] = None) -> Trajectory:
        """Advances to each target step count and records a row there, appending to ``rows``.
        ``hook(self, rows, info, final)`` is called after every chunk of steps and every row
        (final=False), and once at the end (final=True): checkpointing lives there."""
        from tqdm.auto import tqdm

        c, info = self.config, {}
        rows = [] if rows is None else rows
        hook = hook or (lambda *args: None)
        scale = c.batch / c.N
        # Count whole steps (no float drift); unit_scale shows them as t. A resumed run that
        # has no targets left has an empty bar.
        start = int(self._sim.steps)
        end = int(targets[-1]) if len(targets) else start
        bar = tqdm(total=end - start, unit_scale=scale, unit="t", disable=progress is False,
                   delay=0 if progress else 2.0, mininterval=0.5, leave=False, desc="simulate",
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| t = {n:.4g}/{total:.4g} [{elapsed}<{remaining}]")
        chunk = max(1, 2_000_000 // (c.N * (c.K + c.M) * c.batch))
        try:
            for target in targets:
                while self._sim.steps < target:
                    n = int(min(chunk, target - self._sim.steps))
                    tic = _time.perf_counter()
                    done = self._sim.advance(n)
                    elapsed = _time.perf_counter() - tic
                    bar.update(done)
                    if done < n:
                        info["diverged_at"] = (self._sim.steps + 1) * scale
                        raise _Diverged
                    # Aim at ~0.1 s per call so Ctrl-C and the bar stay responsive.
                    chunk = int(np.clip(n * 0.1 / max(elapsed, 1e-6), 1, 4 * n))
                    hook(self, rows, info, False)
                row = record(self._sim)
                if not all_finite(row):
                    info["diverged_at"] = self.time
                    raise _Diverged
                rows.append(row)
                hook(self, rows, info, False)
        except _Diverged:
            warnings.warn(f"weights became non-finite at t = {info['diverged_at']:.6g}; run stopped "
                          "(learning rate too large?)", DivergenceWarning, stacklevel=3)
        except KeyboardInterrupt:
            info["interrupted"] = True
            info["interrupted_at"] = self.time
        finally:
            bar.close()
        info["steps"] = int(self._sim.steps)
        hook(self, rows, info, True)
        return self._trajectory(rows, info)

    def _trajectory(self, rows: list, info: dict) -> Trajectory:
        return Trajectory.from_rows(rows, self.config, _core.__version__, info=info)


class _Diverged(Exception):
    pass


def simulate(config: Config, t_max: Optional[float] = None, times: Optional[Sequence[float]] = None, *,
             W: ArrayLike = None, v: ArrayLike = None, B: ArrayLike = None, v_star: ArrayLike = None,
             progress: Optional[bool] = None, checkpoint: Union[str, os.PathLike, None] = None,
             checkpoint_every: float = 600.0, replicas: Optional[int] = None):
    """Runs online SGD from t = 0 and returns the recorded :class:`Trajectory`.

    Time is t = samples / N (with minibatches one step advances t by batch / N). The overlaps
    and eg are recomputed exactly from the weights at each recorded time.

    With ``checkpoint`` (a ``.npz`` path), the full state is saved there atomically every
    ``checkpoint_every`` seconds of wall time, on Ctrl-C and at the end; if that file already
    holds this run, it continues from there (see :mod:`onlinesgd.checkpoint`).

    With ``replicas=R`` it runs R independent seeds (``seed, seed + 1, ...``) in one call and
    returns a :class:`onlinesgd.replicas.Replicas` (every trajectory, mean and standard error);
    initial weights cannot be given then, and a checkpoint holds all replicas.
    """
    if replicas is not None:
        if any(a is not None for a in (W, v, B, v_star)):
            raise ValueError("replicas draw their own weights: W, v, B and v_star must not be given")
        from .replicas import simulate_replicas

        return simulate_replicas(config, replicas, t_max, times, progress, checkpoint, checkpoint_every)
    sim = Simulator(config, W=W, v=v, B=B, v_star=v_star)
    if checkpoint is not None:
        from .checkpoint import run_with_checkpoint

        return run_with_checkpoint(sim, sim._targets(t_max, times), checkpoint, checkpoint_every, progress)
    return sim.run(t_max, times, progress)

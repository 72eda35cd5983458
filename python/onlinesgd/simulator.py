"""The Python face of the C++ simulator: a teacher and a student, their weights and overlaps."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _core, rows
from .config import Config
from .run import Run, Stepping
from .times import TimesLike

ArrayLike = Optional[np.ndarray]


def check_array(name: str, value: Any, shape: tuple) -> np.ndarray:
    """A float64 C-contiguous copy of ``value`` after checking dtype, shape and finiteness."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return np.array(arr, dtype=np.float64, order="C", copy=True)


def _check_memory(c: Config) -> None:
    """Refuse, with the size, weights that cannot be allocated (instead of a bare bad_alloc)."""
    import os

    rows = c.K + c.teacher_rows
    need = rows * c.N * (4 if c.precision == "float32" else 8)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not on this platform: let the allocation decide
        return
    if need > total:
        raise ValueError(
            f"N = {c.N} with K = {c.K} and {c.teacher_rows} teacher rows needs {need / 2**30:.3g} GiB "
            f"of weights ({c.precision}), more than this machine's {total / 2**30:.3g} GiB of memory"
        )


class Simulator(Stepping):
    """A teacher and a student stepping through online SGD.

    The weights are drawn from ``config.seed`` unless given: ``W`` (K x N) and ``v`` (K, every
    head starting from it; or (H, K), one per head) for the student, ``B`` (M x N) and ``v_star``
    (M) for the teacher (all teachers' rows stacked, M_tot of them). Arrays are copied in. A
    ``centred`` config's teacher also holds the student's initial rows and head (its last K rows):
    given W or v replace them too; ``B`` and ``v_star`` may then also be given whole (M + K rows,
    as :attr:`B` reads them back).

    With ``inputs`` (rows x N, float32 or float64, an array or ``np.memmap``) it steps on those
    rows in order, with ``labels`` or the teacher's, and records the test error on ``test_inputs``
    (``test_labels``) when given; a Gaussian-mixture config draws the mixture's samples
    (docs/data.md, :func:`onlinesgd.simulate`).

    Step it with :meth:`run` (to recording times, returning a :class:`Trajectory`) or
    :meth:`step` (one step on inputs you give); read the state with :meth:`overlaps`, :meth:`eg` and the
    weight attributes. The same seed gives the same bits whatever the number of threads.

    Parameters
    ----------
    config : Config
        The model.
    W, v, B, v_star : array_like, optional
        Initial weights as above; drawn from the seed when not given.
    inputs, labels, test_inputs, test_labels : array_like, optional
        Given rows and their labels, and a held-out set (docs/data.md).

    Raises
    ------
    ValueError
        naming the argument: a weight of the wrong shape or not finite, given rows that are not
        valid (rows.py), or a run whose weights would not fit in this machine's memory (with the
        bytes it would need).

    Examples
    --------
    >>> import onlinesgd
    >>> sim = onlinesgd.Simulator(onlinesgd.Config(N=500, K=2, M=2, lr=0.5, seed=0))
    >>> sim.W.shape, sim.B.shape
    ((2, 500), (2, 500))
    >>> traj = sim.run(t_max=2.0, progress=False)
    >>> sim.steps, round(sim.time, 6)
    (1000, 2.0)
    >>> sorted(sim.overlaps())
    ['Q', 'R', 'T', 'heads', 'v', 'v_star']
    """

    def __init__(
        self,
        config: Config,
        *,
        W: ArrayLike = None,
        v: ArrayLike = None,
        B: ArrayLike = None,
        v_star: ArrayLike = None,
        inputs: ArrayLike = None,
        labels: ArrayLike = None,
        test_inputs: ArrayLike = None,
        test_labels: ArrayLike = None,
    ) -> None:
        if not isinstance(config, Config):
            raise ValueError(f"config must be an onlinesgd.Config, got {type(config).__name__}")
        self.config = config
        c = config
        W = None if W is None else check_array("W", W, (c.K, c.N))
        if v is not None:  # one head for every head, or each head
            v = check_array("v", v, (c.n_heads, c.K) if np.ndim(v) == 2 else (c.K,))
            v = np.tile(v, c.n_heads) if v.ndim == 1 else v.ravel()
        whole = c.centred and B is not None and np.shape(B)[0] == c.teacher_rows
        B = None if B is None else check_array("B", B, (c.teacher_rows if whole else c.teacher_units, c.N))
        v_star = (
            None if v_star is None else check_array("v_star", v_star, (c.teacher_rows if whole else c.teacher_units,))
        )
        _check_memory(c)
        # given rows (the user's data, a Gaussian mixture's samples): rows.py
        self._source = rows.make_source(c, inputs, labels, test_inputs, test_labels)
        if self._source is None:
            self._sim = _core.Simulator(c.to_core())
        else:
            self._sim = rows.RowsCore(_core.Simulator(rows.core_config(c)), self._source, c)
        if W is not None or v is not None:
            self._sim.set_student(self._sim.W if W is None else W, self._sim.heads.ravel() if v is None else v)
        if B is not None or v_star is not None or (c.centred and (W is not None or v is not None)):
            self._set_teacher(B, v_star, whole)

    def _run_to(self, t_max: Optional[float] = None, times: Optional[TimesLike] = None) -> Run:
        run = super()._run_to(t_max, times)
        if self._source is None:
            return run
        return rows.RowsRun(run.configs, run.sims, run.targets)

    def _set_teacher(self, B: ArrayLike, v_star: ArrayLike, whole: bool) -> None:
        """The teacher's rows, with a centred config's rows of the initial student after them
        (unless B, v_star are given whole)."""
        c = self.config
        M = c.teacher_units
        B = self._sim.B[:M] if B is None else B
        v_star = self._sim.v_star[:M] if v_star is None else v_star
        if c.centred and not whole:
            B = np.vstack([B[:M], self._sim.W])
            v_star = np.concatenate([v_star[:M], self._sim.v])
        self._sim.set_teacher(B, v_star)

    # weights, read back as copies
    W = property(lambda self: self._sim.W, doc="student first layer, K x N")
    v = property(lambda self: self._sim.v, doc="student second layer, K (the head the current phase trains)")
    phase = property(lambda self: self._sim.phase, doc="the phase of the schedule the next step belongs to")
    B = property(lambda self: self._sim.B, doc="teacher first layer, M x N (M + K rows when centred)")
    v_star = property(lambda self: self._sim.v_star, doc="teacher second layer, M (M + K when centred)")
    feedback = property(
        lambda self: self._sim.feedback, doc="the fixed feedback vector b of feedback alignment (K); empty for backprop"
    )

    def input(self, sample: int) -> np.ndarray:
        """The input x (length N, input basis) of sample ``sample`` as the steps see it; step s
        uses samples s*batch .. s*batch + batch - 1. Gaussian runs draw it in the teacher frame
        (docs/model.md), so this is the drawn vector rotated back."""
        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 0:
            raise ValueError(f"sample must be an integer >= 0, got {sample!r}")
        return self._sim.input(int(sample))

    def weight_noise(self, step: int) -> np.ndarray:
        """The standard-normal Langevin noise (K x N, input basis) that step ``step`` adds to W,
        scaled by sqrt(2 lr temperature / N), at a positive ``temperature``."""
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
            raise ValueError(f"step must be an integer >= 0, got {step!r}")
        return self._sim.weight_noise(int(step))

    def step(self, x: np.ndarray, zeta: ArrayLike = None, xi: ArrayLike = None) -> None:
        """One SGD step on the given inputs ``x`` (N or b x N) and standard-normal label
        noises ``zeta`` (b; scaled by ``config.noise``), with the config's rule (feedback, decay).
        At a positive temperature ``xi`` (K x N standard normals) is the Langevin noise; None
        takes this step's from the weight-noise stream, as :meth:`run` would. Does not consume
        the random streams."""
        X = np.asarray(x)
        X = X[None, :] if X.ndim == 1 else X
        X = check_array("x", X, (X.shape[0], self.config.N) if X.ndim == 2 else (-1,))
        z = np.zeros(X.shape[0]) if zeta is None else check_array("zeta", zeta, (X.shape[0],))
        xi = None if xi is None else check_array("xi", xi, (self.config.K, self.config.N))
        if not self._sim.step_on(X, z, xi):
            raise FloatingPointError(f"the step on this input gives non-finite weights (t = {self.time})")

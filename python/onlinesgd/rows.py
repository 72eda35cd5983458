"""Runs on given input rows: the user's own data, or a Gaussian mixture's samples.

A :class:`RowSource` hands out the rows of samples ``first .. first + count - 1`` (and their
labels, or None for the teacher's); :class:`RowsCore` wraps the C++ simulator of such a run
(built with inputs ``"rows"``: it draws nothing) and feeds it those rows block by block through
``_core.advance_rows``, so an array, or a memory-mapped file, is read once, in order, a block at
a time and never copied whole; :class:`RowsRun` is the run driver of such a simulator. The C++
step on a row is the exact reference step (``cpp/src/row_stepper.cpp``), so a run gives the same
bits however its rows are cut into blocks and calls, for any number of threads.
"""

from __future__ import annotations

from typing import Any, Optional, cast

import numpy as np

from . import _core
from .config import Config
from .row_source import RowSource
from .run import Run

BLOCK_BYTES = 1 << 22
"""Rows handed to C++ per call: about 4 MiB of them (at least one step's)."""
__all__ = [
    "BLOCK_BYTES",
    "ArraySource",
    "RowSource",
    "RowsCore",
    "RowsRun",
    "check_labels",
    "check_rows",
    "core_config",
    "make_source",
]


def check_rows(name: str, X: Any, N: int) -> np.ndarray:
    """``X`` checked as a rows x N array of float32 or float64 (an ``np.memmap`` stays one: it
    is read in blocks, never copied whole), finite everywhere (checked a block at a time).

    Parameters
    ----------
    name : the argument's name, for the messages.
    X : the rows.
    N : the input dimension.

    Returns
    -------
    numpy.ndarray
        X itself.

    Raises
    ------
    ValueError
        naming ``name``: not an array, wrong dtype or shape, or a NaN or infinite entry.

    Examples
    --------
    >>> import numpy as np
    >>> from onlinesgd.rows import check_rows
    >>> check_rows("inputs", np.zeros((3, 4)), 4).shape
    (3, 4)
    >>> check_rows("inputs", np.zeros((3, 5)), 4)
    Traceback (most recent call last):
    ...
    ValueError: inputs must have shape (rows, N) = (rows, 4), got (3, 5)
    """
    if not isinstance(X, np.ndarray):
        raise ValueError(f"{name} must be a NumPy array or np.memmap, got {type(X).__name__}")
    if X.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must have dtype float32 or float64, got {X.dtype}")
    if X.ndim != 2 or X.shape[1] != N:
        raise ValueError(f"{name} must have shape (rows, N) = (rows, {N}), got {X.shape}")
    step = max(1, BLOCK_BYTES // max(1, X.itemsize * N))
    for first in range(0, X.shape[0], step):
        if not np.isfinite(X[first : first + step]).all():
            bad = first + int(np.argmin(np.isfinite(X[first : first + step]).all(axis=1)))
            raise ValueError(f"{name} must be finite: row {bad} holds a NaN or an infinity")
    return X


def check_labels(name: str, y: Any, rows: int) -> np.ndarray:
    """``y`` as float64 labels, one per row, finite.

    Parameters
    ----------
    name : the argument's name, for the messages.
    y : the labels.
    rows : how many there must be.

    Returns
    -------
    numpy.ndarray
        float64, C order.

    Raises
    ------
    ValueError
        naming ``name``: wrong shape, not real numbers, or not finite.

    Examples
    --------
    >>> from onlinesgd.rows import check_labels
    >>> check_labels("labels", [1, -1], 2)
    array([ 1., -1.])
    """
    y = np.asarray(y)
    if y.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold real numbers, got dtype {y.dtype}")
    if y.shape != (rows,):
        raise ValueError(f"{name} must hold one label per row, shape ({rows},), got {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError(f"{name} must be finite")
    return np.ascontiguousarray(y, dtype=np.float64)


class ArraySource(RowSource):
    """The user's rows ``X`` (rows x N) with labels ``y`` (or None: the teacher's), read in
    order, and an optional held-out set on which the test error is recorded.

    Parameters
    ----------
    config : the model (its N).
    X, y : the training rows and labels (None: the teacher labels them).
    test_X, test_y : the held-out rows and labels (test_y needed when y is given).

    Raises
    ------
    ValueError
        naming the argument (``inputs``, ``labels``, ``test_inputs``, ``test_labels``).

    Examples
    --------
    >>> import numpy as np, onlinesgd
    >>> from onlinesgd.rows import ArraySource
    >>> src = ArraySource(onlinesgd.Config(N=4), np.ones((10, 4)), np.ones(10))
    >>> src.rows, src.block(8, 2)[0].shape
    (10, (2, 4))
    """

    def __init__(
        self,
        config: Config,
        X: Any,
        y: Any = None,
        test_X: Any = None,
        test_y: Any = None,
    ) -> None:
        self.X = check_rows("inputs", X, config.N)
        self.y = None if y is None else check_labels("labels", y, self.X.shape[0])
        self.rows = self.X.shape[0]
        if test_X is None and test_y is not None:
            raise ValueError("test_labels: give test_inputs with them")
        self.test_X = None if test_X is None else check_rows("test_inputs", test_X, config.N)
        self.test_y = None
        if self.test_X is not None and test_y is not None:
            self.test_y = check_labels("test_labels", test_y, self.test_X.shape[0])
        if self.test_X is not None and self.test_y is None and self.y is not None:
            raise ValueError("test_labels: the training labels are given, so give the test set's too")

    def block(self, first: int, count: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
        X = np.ascontiguousarray(self.X[first : first + count])
        return X, None if self.y is None else self.y[first : first + count]

    def record(self, sim: Any, config: Config) -> dict:
        if self.test_X is None:
            return {}
        return {"test_error": _test_error(sim, config, self.test_X, self.test_y)}


def _activation(name: str, x: np.ndarray) -> np.ndarray:
    """g(x) elementwise for the named activation, as the C++ engines compute it."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(_core.activation_values(name, x.ravel())[0]).reshape(x.shape)


def _test_error(sim: Any, config: Config, X: np.ndarray, y: Optional[np.ndarray]) -> float:
    """1/2 the mean of (phi(x) - y)^2 over the rows of X, with the teacher's noiseless labels
    when y is None; ``sim`` is a ``_core.Simulator`` of ``config``."""
    W, v = sim.W, sim.overlaps()[3]
    scale = 1.0 / np.sqrt(config.N)
    total = 0.0
    step = max(1, BLOCK_BYTES // max(1, X.itemsize * X.shape[1]))
    for first in range(0, X.shape[0], step):
        x = np.asarray(X[first : first + step], dtype=np.float64)
        phi = _activation(config.student_g, x @ W.T * scale) @ v
        if y is None:
            B, v_star = sim.B, sim.v_star
            target = sum(v_star[m] * _activation(g, x @ B[m] * scale) for m, g in enumerate(config.row_activations))
        else:
            target = y[first : first + step]
        total += float(np.sum((phi - target) ** 2))
    return 0.5 * total / X.shape[0]


class RowsCore:
    """A ``_core.Simulator`` (inputs ``"rows"``) with its :class:`RowSource`: every attribute
    reads and writes the C++ simulator's, and :meth:`advance_rows` steps it on the next rows.

    Parameters
    ----------
    core : the ``_core.Simulator``, built from :func:`core_config`.
    source : where its rows come from.
    config : its model.

    Examples
    --------
    >>> import numpy as np, onlinesgd
    >>> sim = onlinesgd.Simulator(onlinesgd.Config(N=20), inputs=np.ones((50, 20)))
    >>> sim._sim.advance_rows(30), sim.steps
    (30, 30)
    """

    def __init__(self, core: Any, source: RowSource, config: Config) -> None:
        object.__setattr__(self, "_core", core)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "model", config)

    def extra(self) -> dict:
        """The source's values of a recorded row (test error; a mixture's eg, M and
        classification error; fields.py), computed once per step count.

        Returns
        -------
        dict
            by field name (:meth:`RowSource.record`).
        """
        steps = int(self._core.steps)
        cached = self.__dict__.get("_extra")
        if cached is None or cached[0] != steps:
            cached = (steps, self.source.record(self._core, self.model))
            object.__setattr__(self, "_extra", cached)
        return cached[1]

    def generalisation_error(self) -> float:
        """eg: a mixture's mean-squared error; with a teacher, eg against it from the overlaps.

        Returns
        -------
        float
        """
        return float(self.extra().get("eg", self._core.generalisation_error()))

    def task_errors(self) -> list:
        """eg of the one task (several teachers are not supported on given rows).

        Returns
        -------
        list
            one number.
        """
        return [self.generalisation_error()] if "eg" in self.extra() else self._core.task_errors()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._core, name, value)

    def advance_rows(self, n: int) -> int:
        """Steps on the next ``n`` steps' rows (``batch`` each) of the source, in blocks of about
        :data:`BLOCK_BYTES`.

        Parameters
        ----------
        n : steps to do.

        Returns
        -------
        int
            the steps done (fewer than n: the weights diverged).
        """
        core, batch = self._core, self.model.batch
        per_block = max(1, BLOCK_BYTES // (8 * self.model.N * batch))  # steps per call
        done = 0
        while done < n:
            steps = min(per_block, n - done)
            X, y = self.source.block(int(core.steps) * batch, steps * batch)
            did = _core.advance_rows(core, X, y)
            done += did
            if did < steps:
                break
        return done


class RowsRun(Run):
    """:class:`~onlinesgd.run.Run` on given rows: the simulators are :class:`RowsCore`; steps
    go through their sources, and a run that needs more rows than a source holds is refused.

    Parameters
    ----------
    *args, **kwargs : as for :class:`~onlinesgd.run.Run`.

    Raises
    ------
    ValueError
        naming ``inputs``, when the rows do not reach the last recording time.

    Examples
    --------
    >>> import numpy as np, onlinesgd
    >>> sim = onlinesgd.Simulator(onlinesgd.Config(N=20), inputs=np.ones((50, 20)))
    >>> type(sim._run_to(times=[0, 2])).__name__
    'RowsRun'
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for sim in self.sims:
            rows = cast(RowsCore, sim).source.rows
            need = int(self.targets[-1]) * self.config.batch if len(self.targets) else 0
            if rows is not None and need > rows:
                raise ValueError(
                    f"inputs has {rows} rows, but recording up to t = {need / self.config.N:.6g} needs "
                    f"{need} (t_max x N, one pass, in order): lower t_max or give more rows"
                )

    def _advance_sims(self, sims: list, n: int) -> None:
        for sim in sims:
            sim.advance_rows(n)


def make_source(
    config: Config, inputs: Any = None, labels: Any = None, test_inputs: Any = None, test_labels: Any = None
) -> Optional[RowSource]:
    """The source of a run's rows: the user's arrays, a Gaussian mixture's samples, or None
    (the C++ core draws the inputs).

    Parameters
    ----------
    config : the model.
    inputs, labels, test_inputs, test_labels : as for :func:`onlinesgd.simulate`.

    Returns
    -------
    RowSource or None

    Raises
    ------
    ValueError
        naming the argument: arrays with a mixture, labels or a test set without inputs, or
        anything :class:`ArraySource` refuses.

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd.rows import make_source
    >>> make_source(onlinesgd.Config(N=10)) is None
    True
    """
    if inputs is None:
        for name, value in (("labels", labels), ("test_inputs", test_inputs), ("test_labels", test_labels)):
            if value is not None:
                raise ValueError(f"{name} come with the training data: give inputs too")
        if config.inputs == "mixture":
            from .mixture import MixtureSource

            return MixtureSource(config)
        return None
    if config.inputs == "mixture":
        raise ValueError("inputs: the config is a Gaussian mixture (inputs='mixture'), which draws its own samples")
    if config.teachers > 1 or config.switch_times:
        raise ValueError("inputs: given data runs one teacher without a schedule (teachers=1, no switch_times)")
    return ArraySource(config, inputs, labels, test_inputs, test_labels)


def core_config(config: Config) -> Any:
    """The C++ ModelConfig of a run on given rows: inputs ``"rows"`` (nothing drawn, no teacher
    frame: rows need not be rotation invariant).

    Parameters
    ----------
    config : the model.

    Returns
    -------
    _core.ModelConfig

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd.rows import core_config
    >>> core_config(onlinesgd.Config(N=10)).inputs
    'rows'
    """
    c = config.to_core()
    c.inputs = "rows"
    return c

"""Several teachers and their schedule (continual learning, docs/continual.md): the checks of the
Config fields that describe them, and what follows from those fields.

A run has P = ``teachers`` tasks, teacher p with ``M_p`` hidden units; their rows are stacked, so
the overlaps R, T and v_star have M_tot = sum_p M_p teacher columns (task p's are
:func:`task_rows`). The schedule splits the sample clock at ``switch_times`` into phases; phase s
draws each sample's task from its fractions (:func:`phases`). This module imports nothing of the
package (config.py imports it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Optional

import numpy as np

HEADS = ("single", "multi")
"""One head for every task, or one per task (only the active task's head is trained)."""

SUM_TOLERANCE = 1e-9
"""How far a phase's fractions may sum from 1 (rounding of decimal fractions)."""


def _sequence(name: str, value: Any, length: int, what: str) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != length:
        raise ValueError(f"{name} must be {length} {what}, got {value!r}")
    return tuple(value)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must hold finite numbers, got {value!r}")
    return float(value)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must hold integers, got {value!r}")
    return int(value)


def checked_sizes(sizes: Any, teachers: int) -> Optional[tuple]:
    """``teacher_sizes``: None or P integers >= 1."""
    if sizes is None:
        return None
    out = tuple(_integer("teacher_sizes", m) for m in _sequence("teacher_sizes", sizes, teachers, "integers"))
    if min(out) < 1:
        raise ValueError(f"teacher_sizes must be >= 1 each, got {sizes!r}")
    return out


def checked_activations(acts: Any, teachers: int, allowed: Sequence[str]) -> Optional[tuple]:
    """``teacher_activations``: None or P names of ``allowed``."""
    if acts is None:
        return None
    out = _sequence("teacher_activations", acts, teachers, "activation names")
    for a in out:
        if a not in allowed:
            raise ValueError(f"teacher_activations must name activations of {tuple(allowed)}, got {a!r}")
    return out


def checked_numbers(name: str, values: Any, length: int, nonnegative: bool = False) -> Optional[tuple]:
    """None, or ``length`` finite numbers (>= 0 with ``nonnegative``)."""
    return None if values is None else _numbers(name, values, length, nonnegative)


def _numbers(name: str, values: Any, length: int, nonnegative: bool) -> tuple:
    out = tuple(_number(name, x) for x in _sequence(name, values, length, "numbers"))
    if nonnegative and min(out) < 0:
        raise ValueError(f"{name} must be >= 0 each, got {values!r}")
    return out


def checked_overlap(omega: Any, rows: int, N: int) -> Optional[tuple]:
    """``teacher_overlap``: None or a symmetric positive semi-definite rows x rows matrix, rows <= N."""
    if omega is None:
        return None
    try:
        arr = np.array(omega, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"teacher_overlap must be a {rows} x {rows} matrix of numbers") from None
    if arr.shape != (rows, rows):
        raise ValueError(f"teacher_overlap must be M_tot x M_tot = {rows} x {rows}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("teacher_overlap must be finite")
    scale = max(1.0, float(np.max(np.abs(arr))))
    if not np.allclose(arr, arr.T, rtol=0, atol=1e-12 * scale):
        raise ValueError("teacher_overlap must be symmetric")
    lowest = float(np.linalg.eigvalsh(arr)[0])
    if lowest < -1e-10 * scale:
        raise ValueError(f"teacher_overlap must be positive semi-definite (its lowest eigenvalue is {lowest:.3g})")
    if rows > N:
        raise ValueError(f"teacher_overlap: {rows} teacher rows with prescribed overlaps need N >= {rows}, got N = {N}")
    return tuple(tuple(float(x) for x in row) for row in arr)


def checked_similarity(name: str, value: Any, teachers: int, sizes: Sequence[int]) -> Optional[float]:
    """``feature_similarity`` or ``readout_similarity``: None or a number in [-1, 1] between teachers
    of equal sizes (at least two of them)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not -1.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number in [-1, 1], got {value!r}")
    if teachers < 2:
        raise ValueError(f"{name} relates consecutive teachers: set teachers >= 2")
    if len(set(sizes)) != 1:
        raise ValueError(f"{name} needs teachers of equal sizes, got teacher_sizes = {tuple(sizes)}")
    if name == "readout_similarity" and sizes[0] < 2 and abs(value) != 1.0:
        raise ValueError(
            f"readout_similarity = {value} rotates a readout within its span, which needs M >= 2 "
            f"hidden units per teacher (with M = 1 only +1 and -1 exist)"
        )
    return float(value)


def checked_switch_times(times: Any) -> Optional[tuple]:
    """``switch_times``: None or strictly increasing finite times > 0 (an empty list is None)."""
    if times is None:
        return None
    if isinstance(times, (str, bytes)) or not isinstance(times, Sequence):
        raise ValueError(f"switch_times must be a list of times, got {times!r}")
    out = tuple(_number("switch_times", t) for t in times)
    if not out:
        return None
    if out[0] <= 0:
        raise ValueError(f"switch_times must be > 0, got {times!r}")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"switch_times must be strictly increasing, got {times!r}")
    return out


def checked_schedule(schedule: Any, phases: int, teachers: int) -> Optional[tuple]:
    """``schedule``: None or one entry per phase, each a task index or ``teachers`` fractions that
    sum to 1."""
    if schedule is None:
        return None
    entries = _sequence(
        "schedule",
        schedule,
        phases,
        "entries (one per phase: len(switch_times) + 1), each a task index or a list of fractions",
    )
    out: list = []  # task indices and tuples of fractions
    for s, entry in enumerate(entries):
        if isinstance(entry, bool):
            raise ValueError(f"schedule: phase {s} must be a task index or fractions, got {entry!r}")
        if isinstance(entry, Integral):
            if not 0 <= int(entry) < teachers:
                raise ValueError(f"schedule: phase {s} trains task {entry}, but tasks are 0 .. {teachers - 1}")
            out.append(int(entry))
            continue
        fractions = _numbers("schedule", entry, teachers, nonnegative=True)
        if abs(sum(fractions) - 1.0) > SUM_TOLERANCE:
            raise ValueError(
                f"schedule: phase {s}'s fractions must sum to 1, got {entry!r} (sum {sum(fractions):.12g})"
            )
        out.append(fractions)
    return tuple(out)


def phases(c: Any) -> tuple:
    """Each phase's fractions of the P tasks: the schedule's, or by default phase s trains task
    min(s, P - 1)."""
    P = c.teachers
    count = len(c.switch_times or ()) + 1
    entries = c.schedule if c.schedule is not None else tuple(min(s, P - 1) for s in range(count))
    return tuple(tuple(float(p == e) for p in range(P)) if isinstance(e, int) else tuple(e) for e in entries)


def main_task(weights: Sequence[float]) -> int:
    """The task of largest fraction in a phase (the first of equals): its head is the phase's head."""
    return int(np.argmax(weights))


def sizes(c: Any) -> tuple:
    """M_p of every teacher."""
    return c.teacher_sizes if c.teacher_sizes is not None else (c.M,) * c.teachers


def task_rows(c: Any, p: int) -> slice:
    """Teacher p's columns of R, T and v_star.

    Parameters
    ----------
    c : Config
        The model.
    p : int
        The teacher (task).

    Returns
    -------
    slice
        Its rows among the M_tot stacked teacher rows.

    Examples
    --------
    >>> from onlinesgd import Config, tasks
    >>> tasks.task_rows(Config(teachers=2, teacher_sizes=(2, 3)), 1)
    slice(2, 5, None)
    """
    m = sizes(c)
    start = sum(m[:p])
    return slice(start, start + m[p])


def overlap_matrix(c: Any) -> Optional[np.ndarray]:
    """Omega, the prescribed teacher-teacher overlaps (T equals it exactly).

    Parameters
    ----------
    c : Config
        The model.

    Returns
    -------
    numpy.ndarray or None
        M_tot x M_tot: ``teacher_overlap``, or with ``feature_similarity`` alpha the block matrix
        alpha^|p - q| I between teachers p and q (consecutive teachers overlap by alpha; positive
        semi-definite for every alpha in [-1, 1]); None when the rows are drawn i.i.d.

    Examples
    --------
    >>> from onlinesgd import Config, tasks
    >>> tasks.overlap_matrix(Config(M=1, teachers=3, feature_similarity=0.5))
    array([[1.  , 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 1.  ]])
    """
    if c.teacher_overlap is not None:
        return np.array(c.teacher_overlap, dtype=np.float64)
    if c.feature_similarity is None:
        return None
    P, M = c.teachers, sizes(c)[0]
    blocks = np.array([[c.feature_similarity ** abs(p - q) for q in range(P)] for p in range(P)])
    return np.kron(blocks, np.eye(M))

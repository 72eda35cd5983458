"""What a recorded row holds: one table of named fields computed from a simulator.

A simulation records one row at each recording time. :data:`FIELDS` names every quantity of
the row, its shape and how it is computed from the C++ simulator (``_core.Simulator``);
everything else follows the table: :class:`~onlinesgd.trajectory.Trajectory` arrays (and their
files), the mean and standard error of :class:`~onlinesgd.replicas.Replicas`, and checkpoints.
Recording one more quantity is one more :class:`Field` here. A field the ODE also produces
(``theory=True``) is an attribute of Trajectory; a simulation-only one (``theory=False``) is
kept in ``Trajectory.extra`` under its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .config import Config

OVERLAPS = ("Q", "R", "T", "v", "v_star")
"""The order of ``_core.Simulator.overlaps()``."""


@dataclass(frozen=True)
class Field:
    """One recorded quantity.

    Attributes
    ----------
    name : its name in Trajectory and in files.
    shape : the Config sizes of one row's value, e.g. ``("K", "M")`` for a K x M matrix, ``()``
        for a number.
    compute : ``compute(sim, overlaps)``: the value from the C++ simulator ``sim`` and its
        current overlaps (a dict by :data:`OVERLAPS` name, computed once per row).
    theory : whether the ODE produces it too (an attribute of Trajectory); False: simulation
        only, kept in ``Trajectory.extra``.
    doc : what it is.
    legacy : for a field added later, ``legacy(arrays)``: its value from the other arrays of a
        file written before it was recorded; None: every file has it.
    optional : NaN when the run does not have it (a test error without a test set): not a sign
        of divergence.
    """

    name: str
    shape: tuple[str, ...]
    compute: Callable[[Any, dict], Any]
    theory: bool = True
    doc: str = ""
    legacy: Optional[Callable[[dict], Any]] = None
    optional: bool = False

    def row_shape(self, config: Config) -> tuple[int, ...]:
        """The shape of one row's value for ``config``."""
        return tuple(int(getattr(config, size)) for size in self.shape)


FIELDS: tuple[Field, ...] = (
    Field("times", (), lambda sim, o: sim.time, doc="time t = samples / N"),
    Field("Q", ("K", "K"), lambda sim, o: o["Q"], doc="student-student overlaps W W^T / N"),
    Field("R", ("K", "teacher_rows"), lambda sim, o: o["R"], doc="student-teacher overlaps W B^T / N"),
    Field("T", ("teacher_rows", "teacher_rows"), lambda sim, o: o["T"], doc="teacher-teacher overlaps B B^T / N"),
    Field("v", ("K",), lambda sim, o: o["v"], doc="student second layer (the head the current phase trains)"),
    Field("v_star", ("teacher_rows",), lambda sim, o: o["v_star"], doc="teacher second layer"),
    Field(
        "eg",
        (),
        lambda sim, o: sim.generalisation_error(),
        doc="generalisation error, exact from the overlaps: on the current phase's training distribution "
        "with several teachers",
    ),
    Field(
        "heads",
        ("n_heads", "K"),
        lambda sim, o: sim.heads,
        doc="every student head (one unless heads='multi')",
        legacy=lambda a: np.asarray(a["v"])[:, None, :],
    ),
    Field(
        "eg_tasks",
        ("teachers",),
        lambda sim, o: np.array(sim.task_errors()),
        doc="eg on every task, each with the head it uses",
        legacy=lambda a: np.asarray(a["eg"])[:, None],
    ),
    # runs on given rows (rows.py): the user's data and Gaussian mixtures (docs/data.md)
    Field(
        "test_error",
        (),
        lambda sim, o: _extra(sim, "test_error", np.nan),
        theory=False,
        doc="1/2 the mean squared error on the held-out test_inputs (NaN without them)",
        legacy=lambda a: np.full(len(a["eg"]), np.nan),
        optional=True,
    ),
    Field(
        "M",
        ("K", "clusters"),
        lambda sim, o: _extra(sim, "M", np.zeros((len(o["Q"]), 0))),
        theory=False,
        doc="a Gaussian mixture's student-mean overlaps W mu^T / sqrt(N) (K x C; C = 0 otherwise)",
        legacy=lambda a: np.zeros((*np.shape(a["v"]), 0)),
    ),
    Field(
        "class_error",
        (),
        lambda sim, o: _extra(sim, "class_error", np.nan),
        theory=False,
        doc="a Gaussian mixture's classification error P(y phi < 0) (NaN otherwise)",
        legacy=lambda a: np.full(len(a["eg"]), np.nan),
        optional=True,
    ),
    Field(
        "class_error_se",
        (),
        lambda sim, o: _extra(sim, "class_error_se", np.nan),
        theory=False,
        doc="the Monte Carlo standard error of class_error (NaN without a mixture)",
        legacy=lambda a: np.full(len(a["eg"]), np.nan),
        optional=True,
    ),
)
"""The recorded row, in order; ``times`` comes first. The functions below read it when called."""


def _extra(sim: Any, name: str, default: Any) -> Any:
    """A value a run on given rows records besides the overlaps (rows.RowsCore.extra)."""
    return sim.extra().get(name, default) if hasattr(sim, "extra") else default


def names(theory: Optional[bool] = None) -> tuple[str, ...]:
    """The names of :data:`FIELDS` in order: all of them, only those the ODE produces too (the
    attributes of Trajectory, ``theory=True``) or only the simulation-only ones (``False``)."""
    return tuple(f.name for f in FIELDS if theory is None or f.theory == theory)


def shapes(config: Config) -> dict[str, tuple[int, ...]]:
    """The shape of one row's value of every field, by name."""
    return {f.name: f.row_shape(config) for f in FIELDS}


def with_legacy(arrays: Mapping[str, Any], prefix: str = "") -> dict:
    """The arrays (by name, under ``prefix``) of a file, with the fields it was written without
    derived by their ``legacy`` functions."""
    arrays = dict(arrays)
    for f in FIELDS:
        if f.legacy is not None and prefix + f.name not in arrays:
            arrays[prefix + f.name] = f.legacy({k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
    return arrays


def record(sim: Any) -> tuple:
    """The row of :data:`FIELDS` values of the C++ simulator ``sim`` (``_core.Simulator``) now."""
    overlaps = dict(zip(OVERLAPS, sim.overlaps()))
    return tuple(f.compute(sim, overlaps) for f in FIELDS)


def all_finite(row: tuple) -> bool:
    """Whether every number of a recorded row is finite (optional fields may be NaN)."""
    return all(f.optional or bool(np.all(np.isfinite(value))) for f, value in zip(FIELDS, row))

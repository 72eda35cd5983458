"""Recorded order parameters over time, for the simulation and the theory alike."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ._io import atomic_write
from .config import Config
from .fields import names, shapes, with_legacy
from .observables import alignment, feedback_vector, switch_times


@dataclass
class Trajectory:
    """Order parameters recorded at ``times`` (t = samples / N).

    :func:`onlinesgd.simulate` and :func:`onlinesgd.ode` make them; :meth:`save` and
    :func:`onlinesgd.load` write and read one ``.npz`` file with the config, seed and version.

    Attributes
    ----------
    times : (n,) recorded times.
    Q : (n, K, K) student-student overlaps W W^T / N.
    R : (n, K, M) student-teacher overlaps W B^T / N (M + K teacher columns when centred: the
        last K are the overlaps with the initial student).
    T : (n, M, M) teacher-teacher overlaps B B^T / N.
    v, v_star : (n, K) and (n, M) second-layer weights (v: the head the phase in force trains).
    feedback_vector : b of a feedback-alignment run (K), else None; ``alignment``: cos(v, b) at
        every recorded time (docs/rules.md).
    eg : (n,) generalisation error 1/2 E[(phi - phi*)^2], from the overlaps (with several
        teachers: on the training distribution of the phase in force, its tasks' errors weighted by
        their fractions).
    config : the model; seed is ``config.seed``.
    version : package version that produced it.
    kind : "simulation" or "ode".
    info : extra facts (e.g. ``diverged_at``, ``interrupted``, the ODE step).
    extra : the simulation-only recorded fields (``onlinesgd.fields.names(theory=False)``), as
        (n, ...) arrays by name; empty for the ODE.
    heads : (n, H, K) every student head (H = 1 unless ``heads="multi"``).
    eg_tasks : (n, P) eg on every task, each with the head it uses (docs/continual.md); with one
        teacher eg_tasks[:, 0] is eg.

    Examples
    --------
    >>> import onlinesgd
    >>> sim = onlinesgd.simulate(onlinesgd.Config(N=500), times=[0, 0.5, 1], progress=False)
    >>> sim.Q.shape, sim.kind, len(sim)
    ((3, 2, 2), 'simulation', 3)
    >>> theory = onlinesgd.ode(sim.config, sim, times=sim.times, progress=False)
    >>> bool(abs(sim.eg[-1] - theory.eg[-1]) < 0.1)
    True
    """

    times: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    T: np.ndarray
    v: np.ndarray
    v_star: np.ndarray
    eg: np.ndarray
    config: Config
    version: str
    kind: str = "simulation"
    info: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    heads: Optional[np.ndarray] = None
    eg_tasks: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        # a trajectory made by hand, with one teacher and one head, need not give these
        if self.heads is None:
            self.heads = np.asarray(self.v)[:, None, :]
        if self.eg_tasks is None:
            self.eg_tasks = np.asarray(self.eg)[:, None]

    @classmethod
    def from_rows(
        cls, rows: Sequence[tuple], config: Config, version: str, kind: str = "simulation", info: Optional[dict] = None
    ) -> Trajectory:
        """The trajectory of recorded rows (:func:`onlinesgd.fields.record`, in
        :data:`~onlinesgd.fields.FIELDS` order); inverse of :meth:`rows`."""
        if rows:
            arrays = {name: np.array(column) for name, column in zip(names(), zip(*rows))}
        else:
            arrays = {name: np.zeros((0, *shape)) for name, shape in shapes(config).items()}
        return cls(
            config=config,
            version=version,
            kind=kind,
            info={} if info is None else info,
            extra={name: arrays.pop(name) for name in names(theory=False)},
            **arrays,
        )

    def rows(self) -> list[tuple]:
        """The recorded rows, as :meth:`from_rows` takes them."""
        arrays = self.arrays()
        return list(zip(*(arrays[name] for name in names())))

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def feedback_vector(self) -> Optional[np.ndarray]:
        """The fixed feedback vector b of a feedback-alignment run, else None."""
        return feedback_vector(self.config)

    @property
    def alignment(self) -> np.ndarray:
        """cos(v, b) at every recorded time of a feedback-alignment run."""
        return alignment(self)

    @property
    def switch_times(self) -> np.ndarray:
        """The times of the schedule's switches as this trajectory made them: the ODE at the
        config's ``switch_times``, a simulation at the start of the first step at or after each."""
        return switch_times(self.config, exact=self.kind == "ode")

    def __len__(self) -> int:
        return len(self.times)

    def initial_overlaps(self) -> dict:
        """Overlaps at the first recorded time (the ODE's starting point)."""
        return {name: getattr(self, name)[0].copy() for name in ("Q", "R", "T", "v", "v_star", "heads")}

    def save(self, path: Union[str, os.PathLike]) -> Path:
        """Writes one self-describing ``.npz`` file atomically (temp file, then rename)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        with atomic_write(path) as f:
            np.savez(f, meta=np.array(json.dumps(self.meta())), **self.arrays())
        return path

    def meta(self) -> dict:
        """Everything but the arrays, JSON-ready (with b of a feedback-alignment run, for readers
        without the package)."""
        meta = {"config": self.config.to_dict(), "version": self.version, "kind": self.kind, "info": self.info}
        b = self.feedback_vector
        if b is not None:
            meta["feedback_vector"] = b.tolist()
        if self.config.switch_times:
            meta["switch_times"] = self.switch_times.tolist()
        return meta

    def arrays(self, prefix: str = "") -> dict:
        """The recorded arrays by name, ``extra`` ones included (with ``prefix``, to store
        several in one file)."""
        arrays = {name: getattr(self, name) for name in names(theory=True)}
        arrays.update(self.extra)
        return {prefix + name: value for name, value in arrays.items()}

    @classmethod
    def from_parts(cls, meta: dict, arrays: Mapping[str, np.ndarray], prefix: str = "") -> Trajectory:
        """Inverse of :meth:`meta` and :meth:`arrays` (an ``extra`` field that ``arrays`` lacks,
        as in files written before it was recorded, is left out)."""
        extra = {k: np.asarray(arrays[prefix + k]) for k in names(theory=False) if prefix + k in arrays}
        arrays = with_legacy(arrays, prefix)  # files written before a field was recorded
        return cls(
            config=Config.from_dict(meta["config"]),
            version=meta["version"],
            kind=meta["kind"],
            info=meta["info"],
            extra=extra,
            **{k: np.asarray(arrays[prefix + k]) for k in names(theory=True)},
        )


def load(path: Union[str, os.PathLike]) -> Trajectory:
    """Reads a trajectory written by :meth:`Trajectory.save`.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.

    Returns
    -------
    Trajectory
        With its config, version, kind and info as saved.

    Raises
    ------
    ValueError
        when the file is not an onlinesgd trajectory (not an ``.npz`` of ours).

    Examples
    --------
    >>> import os, tempfile, onlinesgd
    >>> sim = onlinesgd.simulate(onlinesgd.Config(N=100), times=[0, 1], progress=False)
    >>> path = sim.save(os.path.join(tempfile.mkdtemp(), "run.npz"))
    >>> onlinesgd.load(path).config == sim.config
    True
    """
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError:  # numpy's "pickled (object) data" for a file that is not an .npz archive of arrays
        raise ValueError(
            f"{path} is not an onlinesgd trajectory (not an .npz file written by Trajectory.save)"
        ) from None
    if not isinstance(data, np.lib.npyio.NpzFile):  # a plain .npy array
        raise ValueError(f"{path} is not an onlinesgd trajectory (a single array, not an .npz archive)")
    with data:
        meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        if not {"config", "version", "kind", "info"} <= set(meta):
            raise ValueError(f"{path} is not an onlinesgd trajectory (it lacks the metadata Trajectory.save writes)")
        return Trajectory.from_parts(meta, data)

"""The run driver: one loop that steps C++ simulators to the recording times and records there.

A :class:`Run` is a single run (one simulator) or a replica run (several simulators of one
model, one seed each) on its way to common target step counts. :meth:`Run.advance` steps every
simulator still running in chunks of ~0.1 s of C++ (``_core.advance_replicas``), records a
row (:func:`onlinesgd.fields.record`) at each target, shows a progress bar, stops a simulator
whose weights or row became non-finite (the others go on), keeps what was recorded on Ctrl-C
and calls a hook after every chunk and row and once at the end (checkpoints live there).
:meth:`Run.result` makes the :class:`Trajectory`, or the :class:`Replicas`, of what it holds.
Everything a checkpoint needs to continue a run is in its attributes.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Optional, Union, cast

import numpy as np

from . import _core
from .config import Config
from .fields import all_finite, record
from .replicas import Replicas
from .times import TimesLike, target_steps
from .trajectory import Trajectory

Hook = Callable[["Run", bool], None]
"""``hook(run, final)``: final=False after every chunk of steps and every recorded row, True once
at the end (also after Ctrl-C)."""

SECONDS_PER_CALL = 0.1
"""Aim of the chunk size: short C++ calls keep Ctrl-C and the progress bar responsive."""


def _no_hook(run: Run, final: bool) -> None:
    pass


class DivergenceWarning(RuntimeWarning):
    """The weights became non-finite (learning rate too large); the run stopped.

    The trajectory keeps every row recorded before, and its ``info["diverged_at"]`` holds the
    time of the step that diverged (for replicas: each diverged replica's own info).

    Examples
    --------
    >>> import warnings
    >>> import onlinesgd
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     traj = onlinesgd.simulate(onlinesgd.Config(N=100, activation="linear", lr=50.0), t_max=5.0, progress=False)
    >>> caught[0].category is onlinesgd.DivergenceWarning, "diverged_at" in traj.info
    (True, True)
    """


def engine_of(sim: Any) -> str:
    """The engine of a C++ stepper: ``"overlaps"`` for ``_core.OverlapChain``, else ``"weights"``."""
    return "overlaps" if isinstance(sim, _core.OverlapChain) else "weights"


class Stepping:
    """What :class:`~onlinesgd.Simulator` and :class:`~onlinesgd.OverlapSimulator` share: a C++
    stepper in ``_sim`` (``_core.Simulator`` or ``_core.OverlapChain``) for ``config``, its
    overlaps, and runs to recording times through :class:`Run`."""

    config: Config
    _sim: Any

    steps = property(lambda self: self._sim.steps, doc="steps done")
    time = property(lambda self: self._sim.time, doc="samples seen / N")
    heads = property(lambda self: self._sim.heads, doc="every student head, H x K (H = 1 unless heads='multi')")

    def overlaps(self) -> dict:
        """Current Q, R, T, v (the head in use), v_star and every head (``heads``)."""
        return {**dict(zip(("Q", "R", "T", "v", "v_star"), self._sim.overlaps())), "heads": self._sim.heads}

    def eg(self) -> float:
        """Current generalisation error, exact from the overlaps (with several teachers: on the
        current phase's training distribution)."""
        return self._sim.generalisation_error()

    def task_errors(self) -> np.ndarray:
        """Current eg on every task, each with the head it uses."""
        return np.array(self._sim.task_errors())

    def run(
        self, t_max: Optional[float] = None, times: Optional[TimesLike] = None, progress: Optional[bool] = None
    ) -> Trajectory:
        """Steps on and records the overlaps at ``times`` (default: now plus ~100 log-spaced
        times up to ``t_max``). Times are rounded to whole steps; the recorded ``times`` are
        exact. ``progress``: None shows a bar once the run takes over 2 s, True always, False never.
        Ctrl-C stops the run and returns what was recorded so far (``info['interrupted']``)."""
        run = self._run_to(t_max, times)
        run.advance(progress)
        return cast(Trajectory, run.result())  # a single run's result

    def _run_to(self, t_max: Optional[float] = None, times: Optional[TimesLike] = None) -> Run:
        """The :class:`Run` of this stepper from now to the recording times of :meth:`run` (not
        yet advanced): what :meth:`run` and checkpointed runs drive."""
        return Run([self.config], [self._sim], target_steps(self.config, t_max, times, self.time))


class Run:
    """One or several C++ simulators on their way to the same target step counts.

    Parameters
    ----------
    configs : the model of each simulator (replicas differ only in their seed).
    sims : the ``_core.Simulator`` (or ``_core.OverlapChain``: the overlap engine) of each,
        stepped in place; all of one kind.
    targets : increasing step counts at which every simulator records a row.
    rows : rows recorded so far by each simulator (a resumed run); default none.
    infos : what happened to each so far (``diverged_at``, ...); default nothing.
    replicas : whether this is a replica run (its result is a :class:`Replicas`) rather than a
        single run (a :class:`Trajectory`; one simulator).
    """

    def __init__(
        self,
        configs: Sequence[Config],
        sims: Sequence[_core.Simulator],
        targets: np.ndarray,
        rows: Optional[list[list[tuple]]] = None,
        infos: Optional[list[dict]] = None,
        *,
        replicas: bool = False,
    ) -> None:
        if len(configs) != len(sims) or not sims or (not replicas and len(sims) != 1):
            raise ValueError("a run needs one config per simulator, and a single run one simulator")
        self.configs, self.sims = list(configs), list(sims)
        self.targets = np.asarray(targets, dtype=np.int64)
        self.rows = [[] for _ in self.sims] if rows is None else rows
        self.infos = [{} for _ in self.sims] if infos is None else infos
        self.replicas = replicas

    @property
    def config(self) -> Config:
        """The model of the run (of its first replica: the others differ only in their seed)."""
        return self.configs[0]

    @property
    def engine(self) -> str:
        """``"overlaps"`` when it steps overlap chains (``_core.OverlapChain``), else ``"weights"``."""
        return engine_of(self.sims[0])

    def live(self) -> list[int]:
        """The simulators that have not diverged."""
        return [r for r, info in enumerate(self.infos) if "diverged_at" not in info]

    def info(self, r: int) -> dict:
        """The info of simulator ``r``'s trajectory: what happened to it, the steps it did, and the
        engine when it is not the default."""
        engine = {"engine": self.engine} if self.engine != "weights" else {}
        return {**self.infos[r], "steps": int(self.sims[r].steps), **engine}

    def advance(self, progress: Optional[bool] = None, hook: Optional[Hook] = None) -> None:
        """Steps the live simulators on to the remaining targets, recording a row at each.

        Parameters
        ----------
        progress : None shows a bar once the run takes over 2 s, True always, False never.
        hook : called as ``hook(self, final)`` after every chunk and row (final=False) and once
            at the end (final=True).
        """
        for info in self.infos:  # a resumed run is no longer interrupted
            info.pop("interrupted", None)
            info.pop("interrupted_at", None)
        live = self.live()
        # A run interrupted while recording may hold one row more in some replicas: the state
        # there is the same, so drop it and record it again.
        done_rows = min((len(self.rows[r]) for r in live), default=0)
        for r in live:
            del self.rows[r][done_rows:]
        steps = max((int(self.sims[r].steps) for r in live), default=0)
        bar = self._bar(progress, steps)
        hook = hook or _no_hook
        c = self.config
        scale = c.batch / c.N
        # a first chunk of a few ms: a step's work is ~ N (K + M) numbers for weights, d^2 for a chain
        work = c.N * (c.K + c.M) if self.engine == "weights" else (c.K + c.teacher_rows) ** 2
        chunk = max(1, 2_000_000 // (work * c.batch * len(self.sims)))
        try:
            for target in self.targets[done_rows:]:
                while steps < target and live:
                    n = int(min(chunk, target - steps))
                    tic = time.perf_counter()
                    # each simulator from its own count: one that diverged unrecorded (an interrupt
                    # between the call and the check below) meets its diverging step again at once
                    self._advance_sims([self.sims[r] for r in live], n)
                    elapsed = time.perf_counter() - tic
                    steps += n
                    bar.update(n)
                    for r in [r for r in live if self.sims[r].diverged]:
                        self.infos[r]["diverged_at"] = (self.sims[r].steps + 1) * scale
                        live.remove(r)
                    chunk = int(np.clip(n * SECONDS_PER_CALL / max(elapsed, 1e-6), 1, 4 * n))
                    hook(self, False)
                for r in list(live):
                    row = record(self.sims[r])
                    if all_finite(row):
                        self.rows[r].append(row)
                    else:  # finite weights whose overlaps overflow
                        self.infos[r]["diverged_at"] = self.sims[r].time
                        live.remove(r)
                if not live:
                    break
                hook(self, False)
        except KeyboardInterrupt:
            for info, sim in zip(self.infos, self.sims):
                info["interrupted"] = True
                info["interrupted_at"] = sim.time
        finally:
            bar.close()
        hook(self, True)

    def _advance_sims(self, sims: list, n: int) -> None:
        """Steps each of ``sims`` by ``n`` steps (a run on given rows steps otherwise: rows.py)."""
        _core.advance_replicas(sims, n)

    def _bar(self, progress: Optional[bool], steps: int) -> Any:
        """A progress bar counting whole steps (no float drift), shown as t."""
        from tqdm.auto import tqdm

        c = self.config
        desc = f"simulate x{len(self.sims)}" if self.replicas else "simulate"
        return tqdm(
            total=int(self.targets[-1]),
            initial=steps,
            unit_scale=c.batch / c.N,
            unit="t",
            disable=progress is False,
            delay=0 if progress else 2.0,
            mininterval=0.5,
            leave=False,
            desc=desc,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| t = {n:.4g}/{total:.4g} [{elapsed}<{remaining}]",
        )

    def result(self) -> Union[Trajectory, Replicas]:
        """What was recorded, warning (:class:`DivergenceWarning`) when any simulator diverged.

        Returns
        -------
        Trajectory or Replicas
            the trajectory of a single run; the replicas (every trajectory, mean and standard
            error) of a replica run. Each info holds what happened and the steps done.
        """
        trajectories = [
            Trajectory.from_rows(rows, config, _core.__version__, info=self.info(r))
            for r, (rows, config) in enumerate(zip(self.rows, self.configs))
        ]
        diverged = [r for r, info in enumerate(self.infos) if "diverged_at" in info]
        if not self.replicas:
            if diverged:
                warnings.warn(
                    f"weights became non-finite at t = {self.infos[0]['diverged_at']:.6g}; run stopped "
                    "(learning rate too large?)",
                    DivergenceWarning,
                    stacklevel=3,
                )
            return trajectories[0]
        if diverged:
            warnings.warn(
                f"{len(diverged)} of {len(self.sims)} replicas diverged (seeds "
                f"{[self.configs[r].seed for r in diverged][:5]}); the statistics cover the times all "
                "reached",
                DivergenceWarning,
                stacklevel=3,
            )
        return Replicas(trajectories)

"""The front ends of the simulation: :func:`simulate` runs online SGD from t = 0, alone or as
replicas, with or without checkpoints; the pieces live in the modules below it (the simulator,
the run driver, checkpoints)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Optional, Union, cast, overload

import numpy as np

from .checkpoint import run_with_checkpoint
from .config import Config
from .overlap_simulator import check_engine, make_simulator
from .replicas import Replicas, replica_seeds
from .rows import RowsCore, RowsRun
from .run import DivergenceWarning, Run
from .simulator import ArrayLike, Simulator, check_array
from .times import TimesLike, check_t_max, check_times, default_times, recording_times, target_steps
from .trajectory import Trajectory

__all__ = [
    "DivergenceWarning",
    "Simulator",
    "check_array",
    "check_t_max",
    "check_times",
    "default_times",
    "recording_times",
    "simulate",
    "simulate_replicas",
]  # the names it always offered, and its own


@overload
def simulate(
    config: Config,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    *,
    W: ArrayLike = None,
    v: ArrayLike = None,
    B: ArrayLike = None,
    v_star: ArrayLike = None,
    progress: Optional[bool] = None,
    checkpoint: Union[str, os.PathLike, None] = None,
    checkpoint_every: float = 600.0,
    replicas: None = None,
    engine: str = "weights",
    overlaps: Optional[Mapping] = None,
    inputs: ArrayLike = None,
    labels: ArrayLike = None,
    test_inputs: ArrayLike = None,
    test_labels: ArrayLike = None,
) -> Trajectory: ...


@overload
def simulate(
    config: Config,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    *,
    W: ArrayLike = None,
    v: ArrayLike = None,
    B: ArrayLike = None,
    v_star: ArrayLike = None,
    progress: Optional[bool] = None,
    checkpoint: Union[str, os.PathLike, None] = None,
    checkpoint_every: float = 600.0,
    replicas: int,
    engine: str = "weights",
    overlaps: Optional[Mapping] = None,
) -> Replicas: ...


def simulate(
    config: Config,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    *,
    W: ArrayLike = None,
    v: ArrayLike = None,
    B: ArrayLike = None,
    v_star: ArrayLike = None,
    progress: Optional[bool] = None,
    checkpoint: Union[str, os.PathLike, None] = None,
    checkpoint_every: float = 600.0,
    replicas: Optional[int] = None,
    engine: str = "weights",
    overlaps: Optional[Mapping] = None,
    inputs: ArrayLike = None,
    labels: ArrayLike = None,
    test_inputs: ArrayLike = None,
    test_labels: ArrayLike = None,
) -> Union[Trajectory, Replicas]:
    """Runs online SGD from t = 0: a :class:`Trajectory`, or with ``replicas`` a :class:`Replicas`.

    With ``inputs`` (an array or ``np.memmap`` of rows x N, float32 or float64) the steps run on
    its rows, one pass, in order, read a block at a time (docs/data.md), with ``labels`` (one per
    row) or, without them, the teacher's labels of the rows; ``test_inputs`` (and
    ``test_labels``, needed when ``labels`` are) add the recorded field ``test_error``. Given
    rows run on the weights engine, without replicas or checkpoints. A Gaussian-mixture config
    (inputs="mixture") draws its own samples and records its eg, M and class_error (with replicas
    and checkpoints as usual).

    Time is t = samples / N (with minibatches one step advances t by batch / N). The overlaps
    and eg are recomputed exactly from the weights at each recorded time. The return type
    follows ``replicas`` (the overloads tell type checkers): None gives one
    :class:`Trajectory`, an integer R gives the :class:`Replicas` of R seeds
    (``seed, seed + 1, ...``: every trajectory, mean and standard error).

    Parameters
    ----------
    config : Config
        The model, learning rates, seed and everything else of the run.
    t_max : float, optional
        Final time; the recording times are then t = 0 plus ~100 log-spaced times up to it
        (and every task switch). One of ``t_max`` and ``times`` is needed.
    times : sequence of float, optional
        Explicit, strictly increasing recording times >= 0 (rounded to whole steps; the
        recorded times are exact).
    W, v, B, v_star : array_like, optional
        Initial weights (student K x N and K, teacher M x N and M); drawn from the seed when
        not given. Not with ``replicas`` (each replica draws its own).
    progress : bool, optional
        None shows a bar once the run takes over 2 s, True always, False never.
    checkpoint : str or os.PathLike, optional
        A ``.npz`` path: the full state is saved there atomically every ``checkpoint_every``
        seconds of wall time, on Ctrl-C and at the end; a file that already holds this run is
        continued from where it stopped (see :mod:`onlinesgd.checkpoint`), bit for bit.
    checkpoint_every : float
        Seconds of wall time between checkpoints.
    replicas : int, optional
        Run this many independent seeds in one call (one per thread when small).
    engine : {"weights", "overlaps"}
        ``"overlaps"`` runs the exact Markov chain of the overlaps instead of the weights
        (:class:`~onlinesgd.OverlapSimulator`, docs/engines.md): the same law at every N for
        Gaussian inputs, one teacher and float64, at a cost per step that does not grow with N.
    overlaps : mapping, optional
        For ``engine="overlaps"``: the initial Q, R and T (every replica starts there).
    inputs, labels : array_like, optional
        Given rows (rows x N, float32 or float64; an ``np.memmap`` is read a block at a time)
        and their labels (one per row; None: the teacher's), docs/data.md.
    test_inputs, test_labels : array_like, optional
        A held-out set on which ``extra["test_error"]`` is recorded.

    Returns
    -------
    Trajectory or Replicas
        The recorded times, Q, R, T, v, v_star, eg (and eg on every task); its ``info`` says
        whether the run diverged or was interrupted (Ctrl-C keeps what was recorded).

    Raises
    ------
    ValueError
        naming the argument: no or invalid ``t_max``/``times``, initial weights of the wrong
        shape or non-finite, weights given with ``replicas``, an engine that cannot run the
        config, more memory than the machine has, given rows or labels that are not valid (wrong
        shape or dtype, NaN, too few rows for the times).

    Warns
    -----
    DivergenceWarning
        when the weights become non-finite (learning rate too large); the run stops there.

    Examples
    --------
    >>> import onlinesgd
    >>> config = onlinesgd.Config(N=500, K=2, M=2, lr=0.5, seed=3)
    >>> traj = onlinesgd.simulate(config, t_max=2.0, progress=False)
    >>> float(traj.times[-1]), traj.Q.shape[1:], len(traj.eg) == len(traj.times)
    (2.0, (2, 2), True)
    >>> bool(traj.eg[-1] < traj.eg[0])
    True
    >>> reps = onlinesgd.simulate(config, times=[0, 1, 2], replicas=3, progress=False)
    >>> len(reps), reps.mean.eg.shape
    (3, (3,))
    """
    data = {"inputs": inputs, "labels": labels, "test_inputs": test_inputs, "test_labels": test_labels}
    if inputs is not None or getattr(config, "inputs", None) == "mixture":  # (a non-Config is refused below)
        if engine != "weights":
            raise ValueError(
                f"engine {engine!r} cannot run given rows or a mixture: data rows are not rotation invariant "
                "(use engine='weights')"
            )
        if inputs is not None and (replicas is not None or checkpoint is not None):
            raise ValueError("inputs: given rows run alone, without replicas or checkpoints")
        if inputs is not None and config.inputs in ("hmm", "hmm_gaussian"):
            raise ValueError("inputs: the hidden manifold model draws its own inputs (set inputs='gaussian')")
    if replicas is not None:
        if any(a is not None for a in (W, v, B, v_star)):
            raise ValueError("replicas draw their own weights: W, v, B and v_star must not be given")
        return simulate_replicas(
            config, replicas, t_max, times, progress, checkpoint, checkpoint_every, engine, overlaps
        )
    given = {k: a for k, a in data.items() if a is not None}
    sim = make_simulator(engine, config, W=W, v=v, B=B, v_star=v_star, overlaps=overlaps, **given)
    if checkpoint is None:
        return sim.run(t_max, times, progress)
    return run_with_checkpoint(sim._run_to(t_max, times), checkpoint, checkpoint_every, progress)


def simulate_replicas(
    config: Config,
    replicas: int,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    progress: Optional[bool] = None,
    checkpoint: Union[str, os.PathLike, None] = None,
    checkpoint_every: float = 600.0,
    engine: str = "weights",
    overlaps: Optional[Mapping] = None,
) -> Replicas:
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
    checkpoint, checkpoint_every : as for :func:`onlinesgd.simulate`: every replica's state is
        saved in one file, and a file that already holds this run is continued
        (:func:`onlinesgd.resume` continues it too); resuming is bit-identical.
    engine : ``"weights"`` or ``"overlaps"`` (the exact overlap chain, one per thread), as for
        :func:`onlinesgd.simulate`.
    overlaps : for the overlap engine, the initial Q, R and T of every replica (a mapping);
        None draws each replica's own, as the weights engine does.

    Returns
    -------
    Replicas
        every trajectory, their common times, mean and standard error.

    Raises
    ------
    ValueError
        naming ``replicas``, ``t_max``, ``times`` or ``engine`` when one is invalid.
    """
    if isinstance(replicas, bool) or not isinstance(replicas, (int, np.integer)) or replicas < 1:
        raise ValueError(f"replicas must be an integer >= 1, got {replicas!r}")
    check_engine(engine, config)
    sims = [
        make_simulator(engine, config.replace(seed=seed), overlaps=overlaps)
        for seed in replica_seeds(config.seed, int(replicas))
    ]
    kind = RowsRun if isinstance(sims[0]._sim, RowsCore) else Run  # a Gaussian mixture steps on its rows
    run = kind(
        [sim.config for sim in sims], [sim._sim for sim in sims], target_steps(config, t_max, times, 0.0), replicas=True
    )
    if checkpoint is not None:
        return cast(Replicas, run_with_checkpoint(run, checkpoint, checkpoint_every, progress))
    run.advance(progress)
    return cast(Replicas, run.result())  # a replica run's result

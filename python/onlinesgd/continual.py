"""Forgetting and transfer between tasks, from the error on every task (``Trajectory.eg_tasks``),
for simulations and the ODE alike (docs/continual.md).

Task p is trained while it is the main task of a phase (its largest fraction); it *ends* with the
last such phase and *starts* with the first. Forgetting F_p(t) = eg_p(t) - eg_p(end of task p)
(positive: task p got worse after its training); transfer = eg_p(0) - eg_p(start of task p)
(positive: the tasks before it made task p easier).

Examples
--------
>>> import onlinesgd
>>> from onlinesgd import continual
>>> cfg = onlinesgd.Config(teachers=2, switch_times=(1.0,), lr=1.0, lr_v=1.0, heads="multi")
>>> theory = onlinesgd.ode(cfg, t_max=3.0, progress=False)
>>> continual.task_end(cfg, 0) < len(theory.times), continual.forgetting(theory, 0).shape == theory.times.shape
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tasks import main_task


def _main_tasks(config: Any) -> list:
    return [main_task(weights) for weights in config.phases]


def _check_task(config: Any, task: Any) -> int:
    if isinstance(task, bool) or not isinstance(task, (int, np.integer)) or not 0 <= task < config.teachers:
        raise ValueError(f"task must be an integer in [0, {config.teachers}), got {task!r}")
    if int(task) not in _main_tasks(config):
        raise ValueError(f"task {task} is never the main task of a phase (schedule {config.schedule!r})")
    return int(task)


def _index_at(traj: Any, phase: int) -> int:
    """The recorded index at the start of phase ``phase`` (at its switch, as the trajectory made it:
    the ODE at the switch time, a simulation within one step before its switch step)."""
    t = float(traj.switch_times[phase - 1]) if phase > 0 else float(traj.times[0])
    slack = 1e-9 * max(1.0, t) + (0.0 if traj.kind == "ode" else traj.config.batch / traj.config.N)
    times = np.asarray(traj.times)
    hits = np.flatnonzero((times <= t + 1e-9 * max(1.0, t)) & (times >= t - slack))
    if not hits.size:
        raise ValueError(
            f"the trajectory has no recorded time at t = {t:.6g} (a switch): record there, as the "
            "default recording times do"
        )
    return int(hits[-1])


def task_end(config: Any, task: int) -> int:
    """The phase that follows task ``task``'s last phase as the main task.

    Parameters
    ----------
    config : Config
        The model (its schedule).
    task : int
        The task, 0 .. teachers - 1.

    Returns
    -------
    int
        The phase whose start (a switch) ends task ``task``.

    Raises
    ------
    ValueError
        naming ``task`` when it is never trained or is trained until the end.

    Examples
    --------
    >>> from onlinesgd import Config, continual
    >>> continual.task_end(Config(teachers=2, switch_times=(4.0,)), 0)
    1
    """
    task = _check_task(config, task)
    last = max(s for s, main in enumerate(_main_tasks(config)) if main == task)
    if last + 1 == len(config.phases):
        raise ValueError(f"task {task} is trained until the end of the run: it has no forgetting to measure")
    return last + 1


def forgetting(traj: Any, task: int = 0) -> np.ndarray:
    """Forgetting of a task: F_p(t) = eg_p(t) - eg_p(end of task p), for p = ``task``.

    Parameters
    ----------
    traj : Trajectory
        A simulation, an ODE or a replica mean with several teachers, recorded at the end of
        task p (the default recording times include the switch times).
    task : int
        The task p.

    Returns
    -------
    numpy.ndarray
        (n,): F_p at every recorded time from the end of task p on, NaN before it; positive means
        task p got worse.

    Raises
    ------
    ValueError
        naming ``task`` (never trained, or trained until the end), or when the end of the task
        was not recorded.

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import continual
    >>> cfg = onlinesgd.Config(teachers=2, switch_times=(1.0,), lr=1.0, lr_v=1.0)
    >>> theory = onlinesgd.ode(cfg, t_max=2.0, progress=False)
    >>> bool(continual.forgetting(theory, 0)[-1] > 0)
    True
    """
    end = _index_at(traj, task_end(traj.config, task))
    eg = np.asarray(traj.eg_tasks)[:, task]
    out = np.full(eg.shape, np.nan)
    out[end:] = eg[end:] - eg[end]
    return out


def transfer(traj: Any, task: int) -> float:
    """Transfer to a task: eg_p(0) - eg_p(start of task p), for p = ``task``.

    Parameters
    ----------
    traj : Trajectory
        A simulation, an ODE or a replica mean with several teachers, recorded at the start of
        task p.
    task : int
        The task p.

    Returns
    -------
    float
        How much training on the tasks before it lowered task p's error (0 for a task trained
        from the start; negative when they made it worse).

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import continual
    >>> cfg = onlinesgd.Config(teachers=2, switch_times=(1.0,), feature_similarity=1.0, lr_v=1.0)
    >>> bool(continual.transfer(onlinesgd.ode(cfg, t_max=2.0, progress=False), 1) > 0)  # identical tasks
    True
    """
    start = min(s for s, main in enumerate(_main_tasks(traj.config)) if main == _check_task(traj.config, task))
    eg = np.asarray(traj.eg_tasks)[:, task]
    return float(eg[0] - eg[_index_at(traj, start)])

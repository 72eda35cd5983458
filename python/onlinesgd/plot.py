"""Figures of trajectories: eg and the overlaps over time, simulation and theory together."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .replicas import Replicas
from .trajectory import Trajectory


def plot_trajectories(
    trajectories: Sequence[Union[Trajectory, Replicas]],
    path: Union[str, os.PathLike, None] = None,
    title: Optional[str] = None,
) -> Any:  # a matplotlib Figure
    """eg(t), R_in(t) and Q_ik(t) on a log time axis, simulations and theory in one figure.

    Simulations are drawn as markers, ODE solutions as lines, so the two compare at a glance; a
    :class:`Replicas` is drawn as its mean with standard-error bars. Uses the non-interactive Agg
    backend when there is no display.

    Parameters
    ----------
    trajectories : sequence of Trajectory or Replicas
        What to draw, in order.
    path : str or os.PathLike, optional
        Where to write the figure (PNG, PDF, ... by the suffix).
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import onlinesgd
    >>> sim = onlinesgd.simulate(onlinesgd.Config(N=200), times=[0, 0.5, 1], progress=False)
    >>> fig = onlinesgd.plot_trajectories([sim, onlinesgd.ode(sim.config, sim, times=sim.times, progress=False)])
    >>> len(fig.axes)
    3
    """
    import matplotlib

    if path is not None and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_eg, ax_r, ax_q) = plt.subplots(1, 3, figsize=(15, 4.2))
    for item in trajectories:
        traj, err = (item.mean, item.stderr) if isinstance(item, Replicas) else (item, None)
        t = np.asarray(traj.times)
        keep = t > 0  # log axis
        is_ode = traj.kind == "ode"
        style = dict(lw=1.6) if is_ode else dict(ls="none", marker="o", ms=3, alpha=0.7)
        label = (
            "ODE"
            if is_ode
            else f"simulation (N = {traj.config.N})"
            if err is None
            else f"mean of {len(item)} simulations (N = {traj.config.N}) ± s.e."
        )

        def draw(
            ax: Any,
            y: np.ndarray,
            e: Any,
            t: np.ndarray = t,
            keep: np.ndarray = keep,
            style: dict = style,
            **kw: Any,
        ) -> None:  # t, keep, style bound now (B023)
            if e is None:
                ax.plot(t[keep], y[keep], **kw, **style)
            else:
                ax.errorbar(t[keep], y[keep], yerr=e[keep], elinewidth=0.8, **kw, **style)

        draw(ax_eg, traj.eg, None if err is None else err["eg"], color="k", label=label)
        eg_tasks = np.asarray(traj.eg_tasks)
        tasks = eg_tasks.shape[1]
        for p in range(tasks if tasks > 1 else 0):  # several teachers: eg on every task too
            draw(
                ax_eg,
                eg_tasks[:, p],
                None if err is None else err["eg_tasks"][:, p],
                color=f"C{p}",
                label=None if is_ode else f"task {p}",
            )
        K, M = traj.R.shape[1:]
        for i in range(K):
            for n in range(M):
                draw(
                    ax_r,
                    traj.R[:, i, n],
                    None if err is None else err["R"][:, i, n],
                    color=f"C{i * M + n}",
                    label=None if is_ode else f"R[{i},{n}]",
                )
            for k in range(i, K):
                draw(
                    ax_q,
                    traj.Q[:, i, k],
                    None if err is None else err["Q"][:, i, k],
                    color=f"C{i * K + k}",
                    label=None if is_ode else f"Q[{i},{k}]",
                )
    ax_eg.set_yscale("log")
    for ax, name in ((ax_eg, "generalisation error $\\epsilon_g$"), (ax_r, "$R_{in}$"), (ax_q, "$Q_{ik}$")):
        ax.set_xscale("log")
        ax.set_xlabel("t = samples / N")
        ax.set_ylabel(name)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig

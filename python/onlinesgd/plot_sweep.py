"""Figures of sweeps: eg(t) for each value of one swept field, simulation and ODE together."""

from __future__ import annotations

import math
import os
from typing import Any, Optional, Union

from .sweep_result import SweepResult


def plot_sweep(
    result: SweepResult,
    by: str,
    path: Union[str, os.PathLike, None] = None,
    quantity: str = "eg",
    title: Optional[str] = None,
) -> Any:  # a matplotlib Figure
    """One curve colour per value of the swept field ``by``: simulations as markers (every
    seed), ODE solutions as lines. Other swept fields (seeds aside) get one panel per
    combination. ``quantity`` is any column of ``result.frame`` (``eg``, ``R_0_0``, ...).
    Returns the figure; writes it to ``path`` when given."""
    if by not in result.varying:
        raise ValueError(f"by: {by!r} is not a swept field (swept: {', '.join(result.varying) or 'none'})")
    frame = result.frame
    if quantity not in frame:
        raise ValueError(f"quantity: no column {quantity!r} in the sweep's table")
    others = [f for f in result.varying if f not in (by, "seed")]
    panels = list(frame.groupby(others, sort=True, dropna=False)) if others else [((), frame)]
    plt = _pyplot(path)
    ncols = min(len(panels), 3)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 4 * nrows), squeeze=False)
    for ax, (values, panel) in zip(axes.flat, panels):
        _draw_panel(ax, panel, by, quantity)
        ax.set_title(", ".join(f"{f} = {v}" for f, v in zip(others, values)), fontsize=9)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title or f"{quantity} for each {by} (markers: simulation, lines: ODE)")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def _draw_panel(ax: Any, panel: Any, by: str, quantity: str) -> None:
    for index, (value, part) in enumerate(panel.groupby(by, sort=True)):
        colour = f"C{index % 10}"
        for (_, kind), curve in part.groupby(["run", "kind"], sort=False):
            curve = curve[curve["t"] > 0]  # log time axis
            if kind == "ode":
                ax.plot(curve["t"], curve[quantity], color=colour, lw=1.3)
            else:
                ax.plot(curve["t"], curve[quantity], color=colour, ls="none", marker="o", ms=2.5, alpha=0.6)
        ax.plot([], [], color=colour, marker="o", ms=3, label=f"{by} = {value}")
    ax.set_xscale("log")
    if quantity == "eg":
        ax.set_yscale("log")
    ax.set_xlabel("t = samples / N")
    ax.set_ylabel("$\\epsilon_g$" if quantity == "eg" else quantity)
    ax.legend(fontsize=7)


def _pyplot(path: Union[str, os.PathLike, None]) -> Any:
    import matplotlib

    if path is not None and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")  # writing a file needs no display
    import matplotlib.pyplot as plt

    return plt

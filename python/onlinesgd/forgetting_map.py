"""The forgetting map: forgetting of one task over a grid of feature similarity alpha and readout
similarity beta, simulated and from the ODE, in one call (a :func:`onlinesgd.sweep` underneath,
with its store, workers and clusters; docs/continual.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from .config import Config
from .continual import forgetting
from .sweep import sweep
from .sweep_result import SweepResult
from .times import TimesLike


@dataclass
class ForgettingMap:
    """Forgetting of ``task`` at the end of the runs over a grid of (alpha, beta).

    Attributes
    ----------
    table : pandas DataFrame, one row per (feature_similarity, readout_similarity, kind) with the
        mean ``forgetting`` over the seeds, its standard error ``stderr`` (0 for one seed) and the
        number of ``runs``; kind is "simulation" or "ode" (the ODE from each simulation's own
        initial overlaps).
    runs : the :class:`SweepResult` behind it (every trajectory).
    task : the task whose forgetting is mapped.

    Examples
    --------
    >>> import onlinesgd
    >>> base = onlinesgd.Config(N=200, lr_v=1.0, teachers=2, switch_times=(1.0,))
    >>> fmap = onlinesgd.forgetting_map(base, [0.0, 1.0], t_max=2.0, with_ode=False, workers=1, progress=False)
    >>> isinstance(fmap, onlinesgd.ForgettingMap), fmap.task, len(fmap.table)
    (True, 0, 2)
    """

    table: Any
    runs: SweepResult
    task: int

    def grid(self, kind: str = "ode") -> tuple:
        """The map as an array.

        Parameters
        ----------
        kind : str
            "ode" or "simulation".

        Returns
        -------
        (alphas, betas, F)
            The sorted alphas, the betas in the order given, and the mean forgetting as a
            len(alphas) x len(betas) array.
        """
        rows = self.table[self.table["kind"] == kind]
        alphas = sorted(rows["feature_similarity"].unique())
        betas = list(dict.fromkeys(rows["readout_similarity"]))
        F = np.full((len(alphas), len(betas)), np.nan)
        for _, r in rows.iterrows():
            F[alphas.index(r["feature_similarity"]), betas.index(r["readout_similarity"])] = r["forgetting"]
        return np.array(alphas), betas, F


def forgetting_map(
    base: Config,
    feature_similarity: Sequence[float],
    readout_similarity: Optional[Sequence[Optional[float]]] = None,
    *,
    task: int = 0,
    seeds: Union[int, Iterable[int], None] = None,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    with_ode: bool = True,
    **options: Any,
) -> ForgettingMap:
    """Runs ``base`` (several teachers and a schedule) at every (alpha, beta) and maps the
    forgetting of ``task`` at the last recorded time, eg_task(end) - eg_task(end of its training).

    Parameters
    ----------
    base : the Config of every run (``teachers`` >= 2, ``switch_times``).
    feature_similarity : the alphas.
    readout_similarity : the betas (None: ``base``'s).
    task : the task whose forgetting is mapped (it must end before the run does).
    seeds, t_max, times, with_ode : as for :func:`onlinesgd.sweep`; the default recording times
        include the switch times, where each task's error at its end is read.
    options : the rest of :func:`onlinesgd.sweep`'s options (store, client, workers, ...).

    Returns
    -------
    ForgettingMap
        The table of forgetting by (alpha, beta, kind) and the runs behind it.

    Raises
    ------
    ValueError
        naming the field, for a bad grid or a task that does not end before the run.

    Examples
    --------
    >>> import onlinesgd
    >>> base = onlinesgd.Config(N=200, lr_v=1.0, teachers=2, switch_times=(1.0,))
    >>> fmap = onlinesgd.forgetting_map(base, [0.0, 1.0], t_max=2.0, workers=1, progress=False)
    >>> list(fmap.table["kind"])
    ['simulation', 'ode', 'simulation', 'ode']
    """
    from .continual import task_end
    from .sweep_result import _pandas

    task_end(base, task)  # fail now, not after the runs
    grid: dict = {"feature_similarity": list(feature_similarity)}
    if readout_similarity is not None:
        grid["readout_similarity"] = list(readout_similarity)
    result = sweep(base, grid, seeds=seeds, t_max=t_max, times=times, with_ode=with_ode, **options)
    kinds = ("simulation", "ode") if with_ode else ("simulation",)
    rows = [
        {
            "feature_similarity": c.feature_similarity,
            "readout_similarity": c.readout_similarity,
            "kind": kind,
            "forgetting": float(forgetting(result.trajectory(i, kind), task)[-1]),
        }
        for i, c in enumerate(result.configs)
        for kind in kinds
    ]
    pd = _pandas()
    frame = pd.DataFrame(rows)
    keys = ["feature_similarity", "readout_similarity", "kind"]
    grouped = frame.groupby(keys, sort=False, dropna=False)["forgetting"]
    table = grouped.agg(forgetting="mean", runs="count").reset_index()
    table["stderr"] = (grouped.std(ddof=1) / np.sqrt(grouped.count())).fillna(0.0).to_numpy()
    return ForgettingMap(table, result, task)

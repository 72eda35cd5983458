"""Width and learning-rate scalings as named presets (docs/theory.md §9).

Every scaling of this family is the committee model with particular readouts and learning rates,
so the engines and the ODE run unchanged; a scaling only says how a Config's ``lr``, ``lr_v``,
``v_init`` and ``teacher_v`` are read, and which natural time goes with it:

========== ================== ================= ================ ============= =====================
scaling    v (student)        v* (teacher)      lr               lr_v          natural time / t
========== ================== ================= ================ ============= =====================
committee  v_init             teacher_v         lr               lr_v          lr
mean_field v_init / K         teacher_v / M     lr K             lr_v / K      lr (= s)
sqrt_k     v_init / sqrt(K)   teacher_v/sqrt(M) lr               lr_v          lr / sqrt(K)
veiga      v_init / K         teacher_v / M     lr N^-delta      lr_v          lr N^-delta / K
geiger     alpha v_init/sqrt K teacher_v        lr / alpha^2     lr_v          lr / (alpha sqrt(K))
========== ================== ================= ================ ============= =====================

This module imports nothing of the package (config.py imports it).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

SCALINGS = ("committee", "mean_field", "sqrt_k", "veiga", "geiger")
"""Named scalings of the readout and the learning rates."""


class Scaled(NamedTuple):
    """The committee-model values a scaling maps a Config onto, and its natural time scale."""

    lr: float
    lr_v: float
    v_init: float
    teacher_v: float
    time_scale: float


def scale(c: Any) -> Scaled:
    """The committee-model values a Config's scaling maps onto.

    Parameters
    ----------
    c : Config
        Its scaling, K, M, N, lr, lr_v, v_init, teacher_v, alpha and delta are read.

    Returns
    -------
    Scaled
        lr, lr_v, v_init, teacher_v the engines run with, and the natural time scale.

    Examples
    --------
    >>> from onlinesgd import Config
    >>> from onlinesgd.scalings import scale
    >>> scale(Config(K=4, M=2, lr=0.5, lr_v=0.4, scaling="mean_field"))
    Scaled(lr=2.0, lr_v=0.1, v_init=0.25, teacher_v=0.5, time_scale=0.5)
    """
    K, M = c.K, c.M
    if c.scaling == "mean_field":
        return Scaled(c.lr * K, c.lr_v / K, c.v_init / K, c.teacher_v / M, c.lr)
    if c.scaling == "sqrt_k":
        return Scaled(c.lr, c.lr_v, c.v_init / math.sqrt(K), c.teacher_v / math.sqrt(M), c.lr / math.sqrt(K))
    if c.scaling == "veiga":
        lr = c.lr * c.N ** (-c.delta)
        return Scaled(lr, c.lr_v, c.v_init / K, c.teacher_v / M, lr / K)
    if c.scaling == "geiger":
        a = c.alpha
        return Scaled(c.lr / a**2, c.lr_v, a * c.v_init / math.sqrt(K), c.teacher_v, c.lr / (a * math.sqrt(K)))
    return Scaled(c.lr, c.lr_v, c.v_init, c.teacher_v, c.lr)


class VeigaRegion(NamedTuple):
    """Where a width K = N^kappa and a learning rate eta0 N^-delta fall in Veiga et al.'s phase
    diagram, and what their asymptotic theory keeps."""

    kappa: float
    delta: float
    region: str
    ode: str
    steps_per_unit: str


def veiga_region(config: Any) -> VeigaRegion:
    """The region of Veiga et al. (NeurIPS 2022) for a ``scaling="veiga"`` Config: kappa =
    log K / log N and its delta. "green" (kappa + delta > 0): the noise factor eta/K vanishes and
    the theory is gradient flow (``ode(..., sgd_noise=False)``), time unit N^(1+kappa+delta)
    steps; "blue" (kappa + delta = 0): the full ODE, time unit N steps; "orange"
    (kappa < -delta < (kappa+1)/2): only the noise terms act on Q with R frozen, time unit
    N^(1+2(kappa+delta)) steps (not integrated by this package); "none" beyond: no description
    on these time scales. At fixed K the package's full ODE stays exact as N grows.

    Parameters
    ----------
    config : Config
        A ``scaling="veiga"`` config (its N, K and delta).

    Returns
    -------
    VeigaRegion
        kappa, delta, the region's name, the ODE it keeps and its time unit in steps.

    Raises
    ------
    ValueError
        when the config's scaling is not "veiga".

    Examples
    --------
    >>> from onlinesgd import Config
    >>> from onlinesgd.scalings import veiga_region
    >>> veiga_region(Config(N=10_000, K=100, scaling="veiga", delta=-0.5)).region
    'blue'
    """
    if config.scaling != "veiga":
        raise ValueError(f"veiga_region: the config's scaling is {config.scaling!r}, not 'veiga'")
    kappa = math.log(config.K) / math.log(config.N) if config.N > 1 else 0.0
    s = kappa + config.delta
    if abs(s) < 1e-12:
        return VeigaRegion(kappa, config.delta, "blue", "full ODE", "N")
    if s > 0:
        return VeigaRegion(kappa, config.delta, "green", "gradient flow (sgd_noise=False)", "N^(1+kappa+delta)")
    if kappa < -config.delta < (kappa + 1) / 2:
        return VeigaRegion(kappa, config.delta, "orange", "noise terms only, R frozen", "N^(1+2(kappa+delta))")
    return VeigaRegion(kappa, config.delta, "none", "no description on these time scales", "")

"""The hidden manifold model's fields of :class:`~onlinesgd.Config`: their checks in one place."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

MANIFOLD_INPUTS = ("hmm", "hmm_gaussian")
"""The input families of the hidden manifold model: x = f(u), and its Gaussian equivalent."""
MANIFOLD_FS = ("sign", "erf", "tanh")
"""Generators f of the hidden manifold model (odd, so mu0 = 0 and mu2 = 0)."""


def latent_dim(config: Any) -> int:
    """D = round(hmm_delta N), the latent dimension of a hidden-manifold config.

    Parameters
    ----------
    config : Config
        A config (any inputs).

    Returns
    -------
    int
        The latent dimension D (>= 1 for a valid hidden-manifold config).

    Examples
    --------
    >>> import onlinesgd
    >>> latent_dim(onlinesgd.Config(N=1000, inputs="hmm", hmm_delta=0.25))
    250
    """
    return round(config.hmm_delta * config.N)


def check_manifold(config: Any) -> None:
    """Checks the hidden manifold model's fields of a config, and what it cannot run with.

    Parameters
    ----------
    config : Config
        The config being validated (called from its ``__post_init__``).

    Raises
    ------
    ValueError
        naming ``hmm_delta`` or ``hmm_f`` when invalid (ReLU is refused: see below), or the
        field that the hidden manifold simulator does not support.

    Examples
    --------
    >>> import onlinesgd
    >>> onlinesgd.Config(inputs="hmm", hmm_f="relu")
    Traceback (most recent call last):
    ...
    ValueError: hmm_f='relu' is refused: ...
    """
    d = config.hmm_delta
    if isinstance(d, bool) or not isinstance(d, Real) or not math.isfinite(d) or d <= 0:
        raise ValueError(f"hmm_delta must be a finite number > 0, got {d!r}")
    object.__setattr__(config, "hmm_delta", float(d))
    if config.hmm_f == "relu":
        raise ValueError(
            "hmm_f='relu' is refused: its mean mu0 = 1/sqrt(2 pi) breaks the scaling, and even centred "
            "its mu2 = E[f(z)(z^2 - 1)] != 0 adds an O(1) outlier mu2^2/(2 delta) to the input covariance "
            "that the per-mode ODE does not hold; use an odd f: 'sign', 'erf' or 'tanh'"
        )
    if config.hmm_f not in MANIFOLD_FS:
        raise ValueError(f"hmm_f must be one of {MANIFOLD_FS}, got {config.hmm_f!r}")
    if config.inputs not in MANIFOLD_INPUTS:
        return
    if latent_dim(config) < 1:
        raise ValueError(f"hmm_delta: the latent dimension round(hmm_delta N) must be >= 1, got hmm_delta={d!r}")
    unsupported = {
        "precision": config.precision != "float64",
        "feedback": config.feedback != "backprop",
        "temperature": config.temperature != 0,
        "teachers": config.teachers != 1,
        "centred": config.centred,
        "switch_times": bool(config.switch_times),
        "teacher_overlap": config.teacher_overlap is not None,
        "feature_similarity": config.feature_similarity is not None,
        "weight_decay_v": config.weight_decay_v != 0,
    }
    for name, bad in unsupported.items():
        if bad:
            raise ValueError(
                f"{name}: the hidden manifold model (inputs={config.inputs!r}) runs in float64 with one "
                f"teacher, backprop, no Langevin noise and no head decay; got {name}={getattr(config, name)!r}"
            )

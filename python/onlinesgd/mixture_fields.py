"""The Gaussian-mixture fields of :class:`~onlinesgd.Config`, checked (docs/data.md). Apart from
the rest of the mixture (:mod:`onlinesgd.mixture`) so that config.py can read it without an import
cycle."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_FIELDS = ("mixture_means", "mixture_variances", "mixture_weights", "mixture_labels")


def _numbers(name: str, value: Any, count: int) -> tuple:
    try:
        out = tuple(float(x) for x in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {count} numbers, got {value!r}") from None
    if len(out) != count or not all(math.isfinite(x) for x in out):
        raise ValueError(f"{name} must be {count} finite numbers, got {value!r}")
    return out


def checked_mixture(c: Any) -> dict:
    """The mixture fields of ``c`` checked and normalised (tuples; defaults filled in).

    Parameters
    ----------
    c : the :class:`~onlinesgd.Config` being built (its __post_init__ calls this).

    Returns
    -------
    dict
        the normalised fields by name; empty when ``c`` is not a mixture.

    Raises
    ------
    ValueError
        naming the field: a mixture field without inputs="mixture" (or the reverse), wrong
        sizes, non-positive variances, weights that are negative or do not sum to 1, labels
        other than +-1, a label_flip outside [0, 1/2), or a model the mixture does not support
        (several teachers, centring).

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd.mixture_fields import checked_mixture
    >>> checked_mixture(onlinesgd.xor_mixture(N=10))["mixture_weights"]
    (0.25, 0.25, 0.25, 0.25)
    """
    flip = c.label_flip
    if isinstance(flip, bool) or not isinstance(flip, (int, float)) or not 0 <= flip < 0.5:
        raise ValueError(f"label_flip must be a number in [0, 0.5), got {flip!r}")
    if c.inputs != "mixture":
        given = [name for name in (*_FIELDS, "label_flip") if getattr(c, name) not in (None, 0, 0.0)]
        if given:
            raise ValueError(f"{given[0]} describes a Gaussian mixture: set inputs='mixture'")
        return {}
    if c.mixture_means is None or c.mixture_labels is None:
        raise ValueError("mixture_means and mixture_labels: inputs='mixture' needs both (C x D means, C labels)")
    try:
        means = np.array(c.mixture_means, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"mixture_means must be a C x D matrix of numbers, got {c.mixture_means!r}") from None
    if means.ndim != 2 or means.size == 0 or not np.isfinite(means).all():
        raise ValueError(f"mixture_means must be a C x D matrix of finite numbers, got {c.mixture_means!r}")
    C, D = means.shape
    if D > c.N:
        raise ValueError(f"mixture_means: D = {D} directions, more than N = {c.N}")
    variances = _numbers("mixture_variances", c.mixture_variances or (1.0,) * C, C)
    if min(variances) <= 0:
        raise ValueError(f"mixture_variances must be > 0, got {variances}")
    weights = _numbers("mixture_weights", c.mixture_weights or (1.0 / C,) * C, C)
    if min(weights) < 0 or abs(sum(weights) - 1) > 1e-9:
        raise ValueError(f"mixture_weights must be >= 0 and sum to 1, got {weights}")
    labels = _numbers("mixture_labels", c.mixture_labels, C)
    if any(y not in (-1.0, 1.0) for y in labels):
        raise ValueError(f"mixture_labels must be +1 or -1, got {labels}")
    if c.teachers > 1 or c.centred:
        raise ValueError("inputs='mixture' has no teacher network: teachers=1 and centred=False")
    return {
        "mixture_means": tuple(tuple(row) for row in means.tolist()),
        "mixture_variances": variances,
        "mixture_weights": weights,
        "mixture_labels": labels,
        "label_flip": float(flip),
    }

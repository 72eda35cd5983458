"""The tensor Gauss-Hermite grids of the Gaussian-mixture averages for smooth activations
(linear, tanh, sigmoid; :mod:`onlinesgd.mixture_averages`): points of N(0, I_K) along the
eigenvectors of the fields' covariance, with more nodes along wider directions, since tanh and
sigmoid have complex poles and Gauss-Hermite slows down as the fields widen. A grid in K
dimensions costs n^K points, so tanh and sigmoid stop at MAX_GRID_K fields.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Optional

import numpy as np

MAX_POINTS = 250_000
"""Largest Gauss-Hermite grid of the tanh and sigmoid averages."""
GH_NODES = {1: 80, 2: 56, 3: 24, 4: 14, 5: 9}
"""Gauss-Hermite nodes per dimension by K (linear, tanh, sigmoid) when no covariance is given."""
MAX_GRID_K = 5
"""The most fields of a tensor Gauss-Hermite grid (tanh, sigmoid; linear has no limit)."""


@lru_cache(maxsize=64)
def gauss_hermite_grid(nodes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Points (prod(nodes) x K) and weights (summing to 1) of the tensor Gauss-Hermite rule for
    N(0, I_K) with nodes[j] nodes along dimension j.

    Parameters
    ----------
    nodes : nodes per dimension (K integers).

    Returns
    -------
    (points, weights)

    Examples
    --------
    >>> from onlinesgd.mixture_grids import gauss_hermite_grid
    >>> z, w = gauss_hermite_grid((5, 3))
    >>> z.shape, round(float(w @ z[:, 0] ** 2), 12)
    ((15, 2), 1.0)
    """
    rules = [np.polynomial.hermite_e.hermegauss(n) for n in nodes]
    grids = np.meshgrid(*(x for x, _ in rules), indexing="ij")
    weights = np.prod(np.meshgrid(*(w / w.sum() for _, w in rules), indexing="ij"), axis=0)
    return np.stack([g.ravel() for g in grids], axis=1), weights.ravel()


def gauss_hermite(K: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The tensor Gauss-Hermite rule with n nodes in each of K dimensions (:func:`gauss_hermite_grid`).

    Parameters
    ----------
    K : dimensions.
    n : nodes per dimension.

    Returns
    -------
    (points, weights)

    Examples
    --------
    >>> from onlinesgd.mixture_grids import gauss_hermite
    >>> gauss_hermite(2, 5)[0].shape
    (25, 2)
    """
    return gauss_hermite_grid((n,) * K)


def _nodes(sigma: float) -> int:
    """Gauss-Hermite nodes along a direction of standard deviation sigma, on tanh's scale: the
    1-D error of E[tanh(m + sigma z) ...] is <= 1e-9 up to sigma = 1.5 (measured), worse beyond."""
    for top, n in ((0.3, 14), (0.5, 26), (0.75, 36), (1.0, 50), (1.5, 80)):
        if sigma <= top:
            return n
    return 120


def points(activation: str, K: int, S: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """The tensor Gauss-Hermite points and weights of N(0, I_K) for the averages of a smooth
    ``activation`` over a Gaussian of covariance S: for linear 3 nodes (exact); for tanh and
    sigmoid nodes per eigen-direction of S by its standard deviation (:func:`_nodes`; sigmoid's
    scale is half tanh's), reduced to at most MAX_POINTS in all. Without S: GH_NODES per dimension.

    Parameters
    ----------
    activation : the student's activation (not ReLU, whose averages are exact).
    K : dimensions, at most MAX_GRID_K for tanh and sigmoid.
    S : the covariance (K x K), or None.

    Returns
    -------
    (points, weights)

    Raises
    ------
    ValueError
        for ReLU, or tanh and sigmoid with K > MAX_GRID_K.

    Examples
    --------
    >>> import numpy as np
    >>> from onlinesgd.mixture_grids import points
    >>> len(points("tanh", 2)[1]), len(points("linear", 2)[1]), len(points("tanh", 2, np.diag([0.05, 0.8]))[1])
    (3136, 9, 700)
    """
    if activation == "relu":
        raise ValueError("activation: ReLU's averages are exact (relu_cluster_averages), not on a grid")
    if activation == "linear":
        return gauss_hermite_grid((3,) * K)
    check_grid(activation, K)
    if S is None:
        return gauss_hermite(K, GH_NODES[K])
    scale = 0.5 if activation == "sigmoid" else 1.0
    sigma = np.sqrt(np.clip(np.linalg.eigvalsh((S + S.T) / 2), 0.0, None)) * scale  # as _sqrt_psd orders them
    nodes = [_nodes(s) for s in sigma]
    while math.prod(nodes) > MAX_POINTS and max(nodes) > 6:
        j = int(np.argmax(nodes))
        nodes[j] = max(6, nodes[j] * 3 // 4)
    return gauss_hermite_grid(tuple(nodes))


def check_grid(activation: str, K: int) -> None:
    """Refuses tanh and sigmoid with more than MAX_GRID_K fields: their averages need a tensor
    Gauss-Hermite grid in K dimensions (module docstring).

    Parameters
    ----------
    activation : the student's activation.
    K : the number of fields.

    Raises
    ------
    ValueError
        naming K.

    Examples
    --------
    >>> from onlinesgd.mixture_grids import check_grid
    >>> check_grid("relu", 50)  # exact at any K
    >>> try:
    ...     check_grid("tanh", 6)
    ... except ValueError as e:
    ...     print(str(e)[:56])
    K: the Gaussian-mixture ODE for tanh integrates on a ten
    """
    if activation in ("tanh", "sigmoid") and K > MAX_GRID_K:
        raise ValueError(
            f"K: the Gaussian-mixture ODE for {activation} integrates on a tensor Gauss-Hermite grid, "
            f"at most K = {MAX_GRID_K} fields (K = {K} given); erf and relu are exact at any K"
        )

"""Averages over a Gaussian of non-zero mean, lambda ~ N(m, S), that the Gaussian-mixture ODE
needs (THEORY-DATA.md 2.4), with E_k = v_k g'(lambda_k)(ybar - phi), phi = sum_k v_k g(lambda_k).

- erf, g(x) = erf(x / sqrt 2) = 2 Phi(x) - 1: closed forms. g' = sqrt(2/pi) exp(-x^2/2) is a
  Gaussian weight, absorbed into the Gaussian (a rank-one, or rank-two, Woodbury update of m and S
  with a prefactor: :func:`_reweight`); what remains are E[g] (a normal CDF), E[lambda g] (Stein)
  and E[g g] = 4 P(u_i < lambda_i, u_j < lambda_j) - ..., a bivariate normal CDF with means
  (u_i independent standard normals: :func:`bvn_cdf`, Genz's algorithm in the C++ core).
  Accurate to ~1e-13 for any K.
- linear, tanh, sigmoid: a tensor Gauss-Hermite grid along the eigenvectors of S, shifted by m
  (:mod:`onlinesgd.mixture_grids`), at most MAX_GRID_K fields. Exact for linear (3 nodes). tanh
  and sigmoid have poles at +-i pi/2, +-i pi, so a direction needs more nodes the wider it is: 14
  to 120 by its standard deviation, at most MAX_POINTS in all. Measured against finer grids:
  tanh <= 3e-9 for K <= 3 up to field variance 2, and for K = 4 2e-10 up to variance 0.3 but
  1e-6 at 0.8 (the grid is capped); sigmoid <= 3e-10 for K <= 4 up to variance 2. The paper's
  mixtures have S = Delta Q ~ 0.1.
- ReLU, g = x th(x) and g' = th(x) with th the step function: exact. Every average is a sum of
  moments E[prod x^d th(x)] of at most four of the fields, which Stein's lemma takes down to
  non-centred orthant probabilities P(lambda_i > 0, i in A), A at most four fields (C++: relu_cluster
  and normal_cdf: Genz's bivariate normal, Plackett's identity integrated adaptively for three and
  four variables); ~1e-13 against nested adaptive quadrature, any K.
- The classification error P(y phi < 0) (a curved region): 2^16 fixed independent points, a Monte
  Carlo estimate whose standard error sqrt(P (1 - P) / 2^16) (at most 2e-3) is recorded with it.

With more than MAX_GRID_K fields tanh and sigmoid have no tensor grid: the mean-squared error
(pairs of fields only) is still exact on 2-D grids, but the drift's eta^2 term needs four fields
at a time, so :func:`cluster_averages` refuses them there.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Optional

import numpy as np

from . import _core
from .mixture_grids import MAX_GRID_K, points

CLASS_POINTS = 1 << 16
"""Independent Monte Carlo points of the classification error."""


def _erf(x: np.ndarray) -> np.ndarray:
    """erf(x) elementwise, from the engines' erf(x / sqrt 2)."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(_core.activation_values("erf", (x * math.sqrt(2.0)).ravel())[0]).reshape(x.shape)


def _normal_cdf(x: Any) -> np.ndarray:
    """Phi(x), the standard normal distribution function, elementwise."""
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=np.float64) / math.sqrt(2.0)))


def bvn_cdf(h: Any, k: Any, rho: Any) -> np.ndarray:
    """P(X < h, Y < k) for standard normals of correlation rho, elementwise (broadcast), by the
    C++ core (Genz's algorithm: Drezner and Wesolowsky's integral in the angle, an expansion
    near rho = +-1; ~1e-15 for any rho in [-1, 1], tests: against Owen's T).

    Parameters
    ----------
    h, k : the upper limits.
    rho : the correlation, in [-1, 1].

    Returns
    -------
    numpy.ndarray
        of the broadcast shape.

    Examples
    --------
    >>> from onlinesgd.mixture_averages import bvn_cdf
    >>> round(float(bvn_cdf(0.0, 0.0, 0.5)), 12)  # 1/4 + asin(1/2) / (2 pi) = 1/3
    0.333333333333
    """
    return np.asarray(_core.bvn_cdf(h, k, rho), dtype=np.float64)


def _reweight(m: np.ndarray, S: np.ndarray, a: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """E[exp(-sum_p a_p lambda_p^2 / 2) F(lambda)] = Z E'[F(lambda')] for lambda ~ N(m, S):
    returns Z and the mean and covariance of lambda' (Woodbury, so S may be singular)."""
    P = np.flatnonzero(a)
    d = np.sqrt(a[P])
    G = S[:, P] * d
    H = np.eye(len(P)) + d[:, None] * S[np.ix_(P, P)] * d
    b = d * m[P]
    Hinv_b, Hinv_Gt = np.linalg.solve(H, b), np.linalg.solve(H, G.T)
    return float(np.exp(-0.5 * b @ Hinv_b) / math.sqrt(np.linalg.det(H))), m - G @ Hinv_b, S - G @ Hinv_Gt


def _erf_moments(m: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E[g(lambda_j)], E[g'(lambda_j)] (K each) and E[g(lambda_i) g(lambda_j)] (K x K) for erf."""
    d = np.sqrt(1.0 + np.diag(S))
    h = m / d
    Phi = _normal_cdf(h)
    dg = math.sqrt(2.0 / math.pi) / d * np.exp(-0.5 * h * h)
    P2 = bvn_cdf(h[:, None], h[None, :], S / np.outer(d, d))
    return 2.0 * Phi - 1.0, dg, 4.0 * P2 - 2.0 * Phi[:, None] - 2.0 * Phi[None, :] + 1.0


def _erf_averages(m: np.ndarray, S: np.ndarray, v: np.ndarray, ybar: float) -> dict[str, Any]:
    """The averages of :func:`cluster_averages` for g = erf(x / sqrt 2), in closed form."""
    K = len(m)
    E1, _, E2 = _erf_moments(m, S)
    e, Elam, EE = np.zeros(K), np.zeros((K, K)), np.zeros((K, K))
    for k in range(K):
        Z, m1, S1 = _reweight(m, S, np.eye(K)[k])
        Z *= math.sqrt(2.0 / math.pi)
        F1, dF1, _ = _erf_moments(m1, S1)
        r = ybar - v @ F1
        e[k] = v[k] * Z * r
        Elam[k] = v[k] * Z * (m1 * r - S1 @ (v * dF1))  # E'[lambda_l g_j] = m'_l E'[g_j] + S'_lj E'[g'_j]
        for j in range(k + 1):  # g'_k g'_j: both Gaussian weights (one of twice the rate when j = k)
            Z2, m2, S2 = _reweight(m, S, np.eye(K)[k] + np.eye(K)[j])
            F2, _, G2 = _erf_moments(m2, S2)
            EE[k, j] = EE[j, k] = v[k] * v[j] * (2.0 / math.pi) * Z2 * (1.0 - 2.0 * ybar * (v @ F2) + v @ G2 @ v)
    return {
        "e": e,
        "El": Elam - np.outer(e, m),
        "EE": EE,
        "Eg": ybar * E1 - E2 @ v,
        "mse": float(1.0 - 2.0 * ybar * (v @ E1) + v @ E2 @ v),
    }


@lru_cache(maxsize=32)
def fixed_points(K: int) -> tuple[np.ndarray, np.ndarray]:
    """CLASS_POINTS fixed independent standard-normal points in K dimensions with equal weights:
    the Monte Carlo estimate of the classification error (whose standard error is then the
    binomial one). Fixed, so the estimate is the same at every evaluation.

    Parameters
    ----------
    K : dimensions.

    Returns
    -------
    (points, weights)

    Examples
    --------
    >>> from onlinesgd.mixture_averages import fixed_points
    >>> fixed_points(2)[0].shape
    (65536, 2)
    """
    z = np.random.default_rng(20210610).standard_normal((CLASS_POINTS, K))
    return z, np.full(len(z), 1.0 / len(z))


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    """L with L L^T = S for a symmetric positive semi-definite S (eigenvalues clipped at 0)."""
    lam, U = np.linalg.eigh((S + S.T) / 2)
    return U * np.sqrt(np.clip(lam, 0.0, None))


def _sums(activation: str, m: np.ndarray, S: np.ndarray, v: np.ndarray, ybar: float, y: float, Z: tuple) -> dict:
    """The point sums of the C++ core (gaussian/point_sums.hpp) over the points Z of N(0, I_K)."""
    z, w = Z
    return _core.point_sums(activation, z, w, m, _sqrt_psd(S), v, ybar, y)


def _quadrature_averages(
    activation: str, m: np.ndarray, S: np.ndarray, v: np.ndarray, ybar: float, Z: tuple
) -> dict[str, Any]:
    """The averages of :func:`cluster_averages` by the points and weights Z of N(0, I_K)."""
    return _as_averages(v, _sums(activation, m, S, v, ybar, 1.0, Z))


def _as_averages(v: np.ndarray, s: dict) -> dict[str, Any]:
    """The averages of :func:`cluster_averages` from the sums of gaussian/point_sums.hpp."""
    return {
        "e": v * s["dg_r"],
        "El": v[:, None] * s["dg_rd"],
        "EE": np.outer(v, v) * s["dg_sq"],
        "Eg": s["g_r"],
        "mse": float(s["sq"]),
    }


def cluster_averages(
    activation: str, m: np.ndarray, S: np.ndarray, v: np.ndarray, ybar: float, Z: Optional[tuple] = None
) -> dict[str, Any]:
    """The averages over lambda ~ N(m, S) that the drift of one cluster needs.

    Parameters
    ----------
    activation : the student's activation g.
    m, S : mean (K) and covariance (K x K) of the fields.
    v : the head (K).
    ybar : the mean label of the cluster, (1 - 2 label_flip) y.
    Z : (points, weights) of N(0, I_K) to use instead of the method of the activation (module
        docstring): for tests.

    Returns
    -------
    dict
        ``e`` (K) E[E_k]; ``El`` (K x K) E[E_k (lambda_l - m_l)]; ``EE`` (K x K) E[E_k E_l] with
        the label's square 1; ``Eg`` (K) E[g(lambda_k)(ybar - phi)]; ``mse`` E[(y - phi)^2]
        with the label's square 1.

    Raises
    ------
    ValueError
        for an unknown activation (from the C++ core).

    Examples
    --------
    >>> import numpy as np
    >>> from onlinesgd.mixture_averages import cluster_averages
    >>> a = cluster_averages("linear", np.array([0.5]), np.array([[1.0]]), np.array([1.0]), 1.0)
    >>> round(float(a["mse"]), 10)  # E[(1 - lambda)^2] = 0.5^2 + 1
    1.25
    """
    m, S, v = (np.asarray(a, dtype=np.float64) for a in (m, S, v))
    if Z is not None:
        return _quadrature_averages(activation, m, S, v, ybar, Z)
    if activation == "erf":
        return _erf_averages(m, S, v, ybar)
    if activation == "relu":
        return _as_averages(v, _core.relu_cluster_averages(m, S, v, ybar))
    return _quadrature_averages(activation, m, S, v, ybar, points(activation, len(m), S))


def mean_squared_error(activation: str, m: np.ndarray, S: np.ndarray, v: np.ndarray, ybar: float) -> float:
    """E[(y - phi)^2] over lambda ~ N(m, S) with the label's square 1: the ``mse`` of
    :func:`cluster_averages`, or for tanh and sigmoid beyond MAX_GRID_K fields the sum of the
    one- and two-field averages it is made of, each on its own Gauss-Hermite grid.

    Parameters
    ----------
    activation : the student's activation.
    m, S : mean and covariance of the fields.
    v : the head.
    ybar : the mean label.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        for an unknown activation.

    Examples
    --------
    >>> import numpy as np
    >>> from onlinesgd.mixture_averages import mean_squared_error
    >>> K = 7  # beyond the tensor grids: pairs of fields
    >>> m, S, v = np.full(K, 0.2), 0.1 * np.eye(K) + 0.05, np.full(K, 0.3)
    >>> pairs = mean_squared_error("tanh", m, S, v, 0.5)
    >>> whole = cluster_averages("tanh", m, S, v, 0.5, Z=fixed_points(K))["mse"]  # Monte Carlo
    >>> abs(pairs - whole) < 0.01
    True
    """
    m, S, v = (np.asarray(a, dtype=np.float64) for a in (m, S, v))
    K = len(m)
    if activation not in ("tanh", "sigmoid") or K <= MAX_GRID_K:
        return float(cluster_averages(activation, m, S, v, ybar)["mse"])

    def sq(idx: list, y: float) -> float:  # E[(y - phi)^2] - 1 with phi over the fields idx only
        sub = np.ix_(idx, idx)
        return float(cluster_averages(activation, m[idx], S[sub], v[idx], y)["mse"]) - 1.0

    single = [sq([i], 0.0) for i in range(K)]  # v_i^2 E[g_i^2]
    total = 1.0 + sum(sq([i], ybar) for i in range(K))
    for i in range(K):
        for j in range(i + 1, K):
            total += sq([i, j], 0.0) - single[i] - single[j]  # 2 v_i v_j E[g_i g_j]
    return total


def class_error(activation: str, m: np.ndarray, S: np.ndarray, v: np.ndarray, y: float) -> float:
    """P(y phi < 0) over lambda ~ N(m, S) (phi = 0 counts 1/2), by the fixed points of
    :func:`fixed_points`: a Monte Carlo estimate of standard error
    sqrt(P (1 - P) / CLASS_POINTS) (at most 2e-3).

    Parameters
    ----------
    activation : the student's activation.
    m, S : mean and covariance of the fields.
    v : the head.
    y : the true label (+-1).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        for an unknown activation.

    Examples
    --------
    >>> import numpy as np
    >>> from onlinesgd.mixture_averages import class_error
    >>> round(class_error("erf", np.zeros(1), np.eye(1), np.ones(1), 1.0), 2)  # 1/2 by symmetry
    0.5
    """
    m, S, v = (np.asarray(a, dtype=np.float64) for a in (m, S, v))
    return float(_sums(activation, m, S, v, y, y, fixed_points(len(m)))["wrong"])

"""Averages over a Gaussian of non-zero mean, lambda ~ N(m, S), that the Gaussian-mixture ODE
needs (THEORY-DATA.md 2.4), with E_k = v_k g'(lambda_k)(ybar - phi), phi = sum_k v_k g(lambda_k).

- erf, g(x) = erf(x / sqrt 2) = 2 Phi(x) - 1: closed forms. g' = sqrt(2/pi) exp(-x^2/2) is a
  Gaussian weight, absorbed into the Gaussian (a rank-one, or rank-two, Woodbury update of m and S
  with a prefactor: :func:`_reweight`); what remains are E[g] (a normal CDF), E[lambda g] (Stein)
  and E[g g] = 4 P(u_i < lambda_i, u_j < lambda_j) - ..., a bivariate normal CDF with means
  (u_i independent standard normals), which is one 1-D integral (Plackett's, in the angle:
  :func:`bvn_cdf`, graded Gauss-Legendre panels). Accurate to ~1e-13 for any K.
- linear, tanh, sigmoid: a tensor Gauss-Hermite grid along the eigenvectors of S, shifted by m
  (:func:`points`). Exact for linear (3 nodes). tanh and sigmoid have poles at +-i pi/2, +-i pi,
  so a direction needs more nodes the wider it is: 14 to 120 by its standard deviation, at most
  MAX_POINTS in all. Measured against finer grids: tanh <= 3e-9 for K <= 3 up to field variance
  2, and for K = 4 2e-10 up to variance 0.3 but 1e-6 at 0.8 (the grid is capped); sigmoid
  <= 3e-10 for K <= 4 up to variance 2. The paper's mixtures have S = Delta Q ~ 0.1.
- ReLU, whose kink defeats Gauss-Hermite: a fixed set of 2^15 antithetic standard-normal points
  (deterministic: the same points at every evaluation). Their error is that of a Monte Carlo
  estimate of 2^15 samples, ~0.5% of each average's spread.
- The classification error P(y phi < 0) (a curved region): 2^16 fixed independent points, a Monte
  Carlo estimate whose standard error sqrt(P (1 - P) / 2^16) (at most 2e-3) is recorded with it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Optional

import numpy as np

from . import _core

MC_POINTS = 1 << 15
"""Monte Carlo points (antithetic pairs) of the ReLU averages and the classification error."""
CLASS_POINTS = 1 << 16
"""Independent Monte Carlo points of the classification error."""
MAX_POINTS = 250_000
"""Largest Gauss-Hermite grid of the tanh and sigmoid averages."""
GH_NODES = {1: 80, 2: 56, 3: 24, 4: 14, 5: 9}
"""Gauss-Hermite nodes per dimension by K (linear, tanh, sigmoid); larger K: the Monte Carlo points."""
_GL = np.polynomial.legendre.leggauss(12)
_EDGES = np.concatenate([[0.0], 2.0 ** -np.arange(24.0, -1.0, -1.0)])  # bvn_cdf's panels, as fractions


def _erf(x: np.ndarray) -> np.ndarray:
    """erf(x) elementwise, from the engines' erf(x / sqrt 2)."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(_core.activation_values("erf", (x * math.sqrt(2.0)).ravel())[0]).reshape(x.shape)


def _normal_cdf(x: Any) -> np.ndarray:
    """Phi(x), the standard normal distribution function, elementwise."""
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=np.float64) / math.sqrt(2.0)))


def bvn_cdf(h: Any, k: Any, rho: Any) -> np.ndarray:
    """P(X < h, Y < k) for standard normals of correlation rho, elementwise (broadcast).

    Plackett's integral in the angle, for rho >= 0 (negative rho by P(X < h) - P(X < h, -Y < -k)):
    Phi(h) Phi(k) + (1 / 2 pi) int_0^asin(rho) exp(-(h^2 - 2 h k sin t + k^2) / (2 cos^2 t)) dt,
    written in e = pi/2 - t, where the integrand exp(-((h - k)^2 + 4 h k sin^2(e/2)) / (2 sin^2 e))
    has a feature of width ~|h - k| near the end e0 = pi/2 - asin(rho): 25 panels graded
    geometrically towards e0 (the finest 1e-7 wide), 12 Gauss-Legendre nodes each; accurate to
    ~1e-14 for any rho in [-1, 1] (tests: against Owen's T).

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
    h, k, rho = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (h, k, rho)))
    neg = rho < 0
    k = np.where(neg, -k, k)
    e0 = (math.pi / 2 - np.arcsin(np.clip(np.abs(rho), 0.0, 1.0)))[..., None, None]
    lo, hi = e0 + (math.pi / 2 - e0) * _EDGES[:-1, None], e0 + (math.pi / 2 - e0) * _EDGES[1:, None]
    e = (lo + hi) / 2 + (hi - lo) / 2 * _GL[0]
    hh, kk = h[..., None, None], k[..., None, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f = np.exp(-((hh - kk) ** 2 + 4 * hh * kk * np.sin(e / 2) ** 2) / (2 * np.sin(e) ** 2))
    f = np.where(np.isfinite(f), f, 0.0)  # e = 0 exactly (rho = 1): the integrand's limit is 0 there
    integral = np.sum((hi - lo)[..., 0] / 2 * np.sum(_GL[1] * f, axis=-1), axis=-1)
    P = _normal_cdf(h) * _normal_cdf(k) + integral / (2 * math.pi)
    return np.where(neg, _normal_cdf(h) - P, P)


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
    >>> from onlinesgd.mixture_averages import gauss_hermite_grid
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
    >>> from onlinesgd.mixture_averages import gauss_hermite
    >>> gauss_hermite(2, 5)[0].shape
    (25, 2)
    """
    return gauss_hermite_grid((n,) * K)


@lru_cache(maxsize=32)
def fixed_points(K: int, antithetic: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Fixed standard-normal points in K dimensions with equal weights: MC_POINTS antithetic
    ones (z and -z) for the ReLU averages, or CLASS_POINTS independent ones for the
    classification error (whose standard error is then the binomial one).

    Parameters
    ----------
    K : dimensions.
    antithetic : which of the two sets.

    Returns
    -------
    (points, weights)

    Examples
    --------
    >>> from onlinesgd.mixture_averages import fixed_points
    >>> z, w = fixed_points(3)
    >>> z.shape, float(abs(z.mean())), fixed_points(2, antithetic=False)[0].shape
    ((32768, 3), 0.0, (65536, 2))
    """
    if antithetic:
        z = np.random.default_rng(20210223).standard_normal((MC_POINTS // 2, K))
        z = np.concatenate([z, -z])
    else:
        z = np.random.default_rng(20210610).standard_normal((CLASS_POINTS, K))
    return z, np.full(len(z), 1.0 / len(z))


def _nodes(sigma: float) -> int:
    """Gauss-Hermite nodes along a direction of standard deviation sigma, on tanh's scale: the
    1-D error of E[tanh(m + sigma z) ...] is <= 1e-9 up to sigma = 1.5 (measured), worse beyond."""
    for top, n in ((0.3, 14), (0.5, 26), (0.75, 36), (1.0, 50), (1.5, 80)):
        if sigma <= top:
            return n
    return 120


def points(activation: str, K: int, S: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """The standard-normal points and weights of the quadrature averages for ``activation`` over
    a Gaussian of covariance S: the fixed Monte Carlo points for ReLU; for linear, Gauss-Hermite
    with 3 nodes (exact); for tanh and sigmoid a Gauss-Hermite grid along the eigenvectors of S
    whose nodes per direction follow its standard deviation (:func:`_nodes`; sigmoid's scale is
    half tanh's), at most MAX_POINTS in all (else the Monte Carlo points). Without S: GH_NODES
    per dimension.

    Parameters
    ----------
    activation : the student's activation.
    K : dimensions.
    S : the covariance (K x K), or None.

    Returns
    -------
    (points, weights)

    Examples
    --------
    >>> import numpy as np
    >>> from onlinesgd.mixture_averages import points
    >>> len(points("tanh", 2)[1]), len(points("relu", 2)[1]), len(points("tanh", 2, np.diag([0.05, 0.8]))[1])
    (3136, 32768, 700)
    """
    if activation == "relu":
        return fixed_points(K)
    if activation == "linear":
        return gauss_hermite_grid((3,) * K)
    if S is None:
        return gauss_hermite(K, GH_NODES[K]) if K in GH_NODES else fixed_points(K)
    scale = 0.5 if activation == "sigmoid" else 1.0
    sigma = np.sqrt(np.clip(np.linalg.eigvalsh((S + S.T) / 2), 0.0, None)) * scale  # as _sqrt_psd orders them
    nodes = [_nodes(s) for s in sigma]
    while math.prod(nodes) > MAX_POINTS and max(nodes) > 6:
        j = int(np.argmax(nodes))
        nodes[j] = max(6, nodes[j] * 3 // 4)
    return gauss_hermite_grid(tuple(nodes)) if math.prod(nodes) <= MAX_POINTS else fixed_points(K)


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
    s = _sums(activation, m, S, v, ybar, 1.0, Z)
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
    if activation == "erf" and Z is None:
        return _erf_averages(m, S, v, ybar)
    return _quadrature_averages(activation, m, S, v, ybar, Z if Z is not None else points(activation, len(m), S))


def class_error(activation: str, m: np.ndarray, S: np.ndarray, v: np.ndarray, y: float) -> float:
    """P(y phi < 0) over lambda ~ N(m, S) (phi = 0 counts 1/2), by the fixed points of
    :func:`fixed_points` (``antithetic=False``): a Monte Carlo estimate of standard error
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
    return float(_sums(activation, m, S, v, y, y, fixed_points(len(m), antithetic=False))["wrong"])

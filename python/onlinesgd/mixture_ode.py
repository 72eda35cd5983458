"""The N -> infinity theory of Gaussian-mixture classification (THEORY-DATA.md 2.3).

State: Q = W W^T / N (K x K), M = W mu^T / sqrt(N) (K x C) and the head v. Given cluster a the
student's fields are Gaussian, lambda ~ N(M[:, a], Delta_a Q), so every drift is a sum over
clusters of averages over a K-dimensional Gaussian with a non-zero mean. With
E_k = v_k g'(lambda_k)(ybar_a - phi), ybar_a = (1 - 2 label_flip) y_a, and the rates of the
weights engine (eta = lr / B, decay kappa, temperature T):

    dQ = eta sum_a p_a (E_a[E lambda^T] + E_a[lambda E^T]) + eta^2 sum_a p_a Delta_a E_a[E E^T]
         - 2 eta kappa Q + 2 eta T I
    dM = eta sum_a p_a (E_a[E] T[a, :] + E_a[E (lambda - m_a)^T] Q^-1 M) - eta kappa M
    dv = eta_v sum_a p_a E_a[g(lambda)(ybar_a - phi)] - eta_v kappa_v v

with T_ab = mu_a . mu_b. The M equation projects x . mu_b on the fields: given cluster a it is
Gaussian with mean T_ab and covariance Delta_a M[:, b] with the fields, so its part correlated
with them is (Q^-1 M[:, b]) . (lambda - m_a) (the Stein form of THEORY-DATA.md 2.3 written
without g'', which for ReLU is a delta function). In the eta^2 term the label's square is 1.

Averages: for a smooth activation (erf, tanh, sigmoid, linear) a tensor Gauss-Hermite rule after
a square root of Delta_a Q, shifted by the mean (deterministic; converged to ~1e-10 for K <= 4,
tests/test_mixture_theory.py); for ReLU, whose kink defeats Gauss-Hermite, and for the
classification error (the probability of a curved region) a fixed set of 2^16 antithetic
standard-normal points (deterministic: the same points at every evaluation; the error of a
probability is at most 0.5 / 181 = 2.8e-3, one standard error, and of the ReLU averages ~1e-3
relative).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Optional, Union

import numpy as np

from . import _core
from .config import Config
from .mixture import means_gram, mixture_overlaps
from .times import recording_times
from .trajectory import Trajectory

MC_POINTS = 1 << 15
"""Monte Carlo points (antithetic pairs) of the ReLU averages and the classification error."""
GH_NODES = {1: 24, 2: 20, 3: 14, 4: 10, 5: 8}
"""Gauss-Hermite nodes per dimension by K (converged to ~1e-10 for erf, tests); larger K uses
the Monte Carlo points."""


@lru_cache(maxsize=16)
def _gauss_hermite(K: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (n^K x K) and weights (summing to 1) of the tensor rule for N(0, I_K)."""
    n = GH_NODES[K]
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * K), indexing="ij")
    weights = np.prod(np.meshgrid(*([w] * K), indexing="ij"), axis=0)
    return np.stack([gr.ravel() for gr in grids], axis=1), weights.ravel()


@lru_cache(maxsize=16)
def _monte_carlo(K: int) -> tuple[np.ndarray, np.ndarray]:
    """MC_POINTS fixed standard-normal points in K dimensions (antithetic), equal weights."""
    z = np.random.default_rng(20210223).standard_normal((MC_POINTS // 2, K))
    z = np.concatenate([z, -z])
    return z, np.full(len(z), 1.0 / len(z))


def points(activation: str, K: int) -> tuple[np.ndarray, np.ndarray]:
    """The standard-normal integration points and weights of the averages for ``activation``."""
    smooth = activation != "relu" and K in GH_NODES
    return _gauss_hermite(K) if smooth else _monte_carlo(K)


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    """L with L L^T = S for a symmetric positive semi-definite S (eigenvalues clipped at 0)."""
    lam, U = np.linalg.eigh((S + S.T) / 2)
    return U * np.sqrt(np.clip(lam, 0.0, None))


def _fields(m: np.ndarray, z: np.ndarray, L: np.ndarray) -> np.ndarray:
    """m + z L^T for many points z (n x K): K broadcast terms, faster than a BLAS call this thin."""
    out = np.broadcast_to(m, z.shape).copy()
    for j in range(z.shape[1]):
        out += z[:, j : j + 1] * L[:, j]
    return out


def _act(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g, dg = _core.activation_values(name, x.ravel())
    return np.asarray(g).reshape(x.shape), np.asarray(dg).reshape(x.shape)


def cluster_averages(
    activation: str, m: np.ndarray, S: np.ndarray, v: np.ndarray, ybar: float, Z: Any = None
) -> dict[str, Any]:
    """The averages over lambda ~ N(m, S) that the drift of one cluster needs.

    Parameters
    ----------
    activation : the student's activation g.
    m, S : mean (K) and covariance (K x K) of the fields.
    v : the head (K).
    ybar : the mean label of the cluster, (1 - 2 label_flip) y.
    Z : (points, weights) of N(0, I_K); None: :func:`points` for the activation.

    Returns
    -------
    dict
        ``e`` (K) E[E_k]; ``El`` (K x K) E[E_k (lambda_l - m_l)]; ``EE`` (K x K) E[E_k E_l] with
        label^2 = 1; ``Eg`` (K) E[g(lambda_k)(ybar - phi)]; ``mse`` E[(y - phi)^2], the label's
        square 1; where E_k = v_k g'(lambda_k)(ybar - phi) and phi = sum_k v_k g(lambda_k).

    Raises
    ------
    ValueError
        for an unknown activation (from the C++ core).

    Examples
    --------
    >>> import numpy as np
    >>> from onlinesgd.mixture_ode import cluster_averages
    >>> a = cluster_averages("linear", np.array([0.5]), np.array([[1.0]]), np.array([1.0]), 1.0)
    >>> round(float(a["mse"]), 10)  # E[(1 - lambda)^2] = 0.5^2 + 1
    1.25
    """
    z, w = points(activation, len(m)) if Z is None else Z
    d = _fields(np.zeros(len(m)), z, _sqrt_psd(S))
    lam = m + d
    G, DG = _act(activation, lam)
    phi = G @ v
    r = ybar - phi
    sq = 1.0 - 2.0 * ybar * phi + phi**2
    A = DG * (w * r)[:, None]
    return {
        "e": v * A.sum(axis=0),
        "El": v[:, None] * (A.T @ d),
        "EE": np.outer(v, v) * (DG.T @ (DG * (w * sq)[:, None])),
        "Eg": G.T @ (w * r),
        "mse": float(w @ sq),
    }


def _clusters(c: Config) -> list[tuple[float, float, float]]:
    """(p_a, Delta_a, y_a) of every cluster."""
    return list(zip(c.mixture_weights, c.mixture_variances, c.mixture_labels))


def mixture_errors(c: Config, Q: np.ndarray, M: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """The mean-squared error eg = 1/2 E[(y - phi)^2] (with the flipped labels) and the
    classification error P(y phi < 0) (against the clusters' true labels; phi = 0 counts 1/2)
    of a student with overlaps Q, M and head v on the mixture of ``c``.

    Parameters
    ----------
    c : the mixture's config (inputs="mixture").
    Q, M, v : the student's overlaps (K x K, K x C) and head (K).

    Returns
    -------
    (eg, class_error) : floats; eg by the averages of :func:`cluster_averages`, the
        classification error from the fixed Monte Carlo points (standard error <= 2.8e-3).

    Raises
    ------
    ValueError
        for an unknown activation.

    Examples
    --------
    >>> import numpy as np, onlinesgd
    >>> from onlinesgd.mixture_ode import mixture_errors
    >>> c = onlinesgd.xor_mixture(N=100, K=2, activation="erf")
    >>> eg, err = mixture_errors(c, np.eye(2), np.zeros((2, 4)), np.ones(2))
    >>> round(err, 6)  # an odd network on XOR: chance level
    0.5
    """
    flip = 1.0 - 2.0 * c.label_flip
    mc = _monte_carlo(c.K)
    eg = err = 0.0
    for a, (p, delta, y) in enumerate(_clusters(c)):
        S = delta * np.asarray(Q)
        eg += 0.5 * p * cluster_averages(c.student_g, M[:, a], S, v, flip * y)["mse"]
        lam = _fields(M[:, a], mc[0], _sqrt_psd(S))
        yphi = y * (_act(c.student_g, lam)[0] @ v)
        err += p * float(np.mean((yphi < 0) + 0.5 * (yphi == 0)))
    return eg, err


def mixture_rhs(c: Config, Q: np.ndarray, M: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dQ/dt, dM/dt and dv/dt of the mixture ODE (module docstring) at (Q, M, v)."""
    eff = c.effective()
    eta, eta_v = eff.lr / c.batch, eff.lr_v / c.batch
    T = means_gram(c)
    flip = 1.0 - 2.0 * c.label_flip
    Qinv_M = np.linalg.solve(Q, M)
    K = c.K
    dQ, dM, dv = np.zeros((K, K)), np.zeros_like(M), np.zeros(K)
    Z = points(c.student_g, K)
    for a, (p, delta, y) in enumerate(_clusters(c)):
        m = M[:, a]
        avg = cluster_averages(c.student_g, m, delta * Q, v, flip * y, Z)
        Elam = avg["El"] + np.outer(avg["e"], m)  # E[E_k lambda_l]
        dQ += p * (eta * (Elam + Elam.T) + eta**2 * delta * avg["EE"])
        dM += p * eta * (np.outer(avg["e"], T[a]) + avg["El"] @ Qinv_M)
        dv += p * eta_v * avg["Eg"]
    dQ += -2 * eta * c.weight_decay * Q + 2 * eta * c.temperature * np.eye(K)
    dM += -eta * c.weight_decay * M
    dv += -eta_v * c.weight_decay_v * v
    return dQ, dM, dv


def _initial(c: Config, init: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(Q, M, v, t0) from a mixture trajectory, a mapping with Q, M, v, or None (the weights
    simulate(config) starts from)."""
    if init is None:
        from .simulator import Simulator

        sim = Simulator(c)
        return sim.overlaps()["Q"], mixture_overlaps(sim.W, c), sim.v, 0.0
    if isinstance(init, Trajectory):
        if len(init) == 0 or "M" not in init.extra:
            raise ValueError("init: a non-empty trajectory of a mixture run (with M recorded)")
        return init.Q[0], init.extra["M"][0], init.v[0], float(init.times[0])
    if isinstance(init, Mapping):
        missing = [k for k in ("Q", "M", "v") if k not in init]
        if missing:
            raise ValueError(f"init is missing {', '.join(missing)}")
        return (np.asarray(init["Q"], float), np.asarray(init["M"], float), np.asarray(init["v"], float), 0.0)
    raise ValueError(f"init must be a Trajectory, a mapping with Q, M, v, or None, got {type(init).__name__}")


def mixture_ode(
    config: Config,
    init: Union[Trajectory, Mapping[str, Any], None] = None,
    t_max: Optional[float] = None,
    times: Optional[Sequence[float]] = None,
    *,
    dt: float = 0.01,
) -> Trajectory:
    """Integrates the Gaussian-mixture ODE (RK4, fixed step ``dt``) and returns a
    :class:`~onlinesgd.Trajectory` with ``kind="ode"``.

    Parameters
    ----------
    config : a mixture (inputs="mixture"), backprop.
    init : a simulation of the mixture (its first Q, M, v and time), a mapping with Q, M and v,
        or None: the overlaps of the weights :func:`onlinesgd.simulate` draws for ``config``.
    t_max, times : the recording times, as for :func:`onlinesgd.ode`.
    dt : the largest RK4 step; each interval between recording times takes equal steps.

    Returns
    -------
    Trajectory
        Q, v and eg (the mean-squared error) at each time; ``extra`` holds ``M`` (n, K, C) and
        ``class_error`` (n,). R, T and v_star, which belong to a teacher, are NaN.

    Raises
    ------
    ValueError
        naming the argument: not a mixture, feedback alignment, a bad ``dt`` or ``init``.

    Examples
    --------
    >>> import onlinesgd
    >>> c = onlinesgd.xor_mixture(N=1000, K=2, activation="erf", lr=0.5)
    >>> theory = onlinesgd.mixture_ode(c, times=[0.0, 0.5])
    >>> theory.extra["M"].shape, theory.kind
    ((2, 2, 4), 'ode')
    """
    if not isinstance(config, Config) or config.inputs != "mixture":
        raise ValueError("config must be an onlinesgd.Config with inputs='mixture'")
    if config.feedback != "backprop":
        raise ValueError("feedback: the mixture ODE covers backprop only")
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    Q, M, v, t0 = _initial(config, init)
    times = recording_times(t_max, times, config.N, config.batch, t0)
    K = config.K
    state = np.concatenate([Q.ravel(), M.ravel(), v])

    def rhs(s: np.ndarray) -> np.ndarray:
        dQ, dM, dv = mixture_rhs(config, s[: K * K].reshape(K, K), s[K * K : -K].reshape(M.shape), s[-K:])
        return np.concatenate([((dQ + dQ.T) / 2).ravel(), dM.ravel(), dv])

    rows = []
    t = t0
    for target in times:
        n = max(1, math.ceil((target - t) / dt - 1e-9)) if target > t else 0
        h = (target - t) / n if n else 0.0
        for _ in range(n):
            k1 = rhs(state)
            k2 = rhs(state + h / 2 * k1)
            k3 = rhs(state + h / 2 * k2)
            k4 = rhs(state + h * k3)
            state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = target
        rows.append(state.copy())
    S = np.array(rows)
    Qs, Ms, vs = S[:, : K * K].reshape(-1, K, K), S[:, K * K : -K].reshape(-1, *M.shape), S[:, -K:]
    errors = np.array([mixture_errors(config, q, m, w) for q, m, w in zip(Qs, Ms, vs)])
    n, R = len(S), config.teacher_rows
    return Trajectory(
        times=np.asarray(times, dtype=np.float64),
        Q=Qs,
        R=np.full((n, K, R), np.nan),
        T=np.full((n, R, R), np.nan),
        v=vs,
        v_star=np.full((n, R), np.nan),
        eg=errors[:, 0],
        config=config,
        version=_core.__version__,
        kind="ode",
        info={"method": "rk4", "dt": dt},
        extra={"M": Ms, "class_error": errors[:, 1]},
    )

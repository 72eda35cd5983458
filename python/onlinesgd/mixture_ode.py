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

Averages (:mod:`onlinesgd.mixture_averages`), all deterministic: closed forms plus one 1-D
integral for erf, exact non-centred orthant probabilities for ReLU, Gauss-Hermite for the other
smooth activations (K <= 5). The classification error alone is a Monte Carlo estimate on fixed
points, recorded with its standard error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _core
from .config import Config
from .mixture import cluster_params, means_gram, mixture_errors, mixture_overlaps
from .mixture_averages import cluster_averages
from .mixture_grids import check_grid
from .times import recording_times
from .trajectory import Trajectory


def mixture_rhs(c: Config, Q: np.ndarray, M: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dQ/dt, dM/dt and dv/dt of the mixture ODE (module docstring) at (Q, M, v).

    Parameters
    ----------
    c : a mixture's config.
    Q, M, v : the state (K x K, K x C, K).

    Returns
    -------
    (dQ, dM, dv)

    Raises
    ------
    ValueError
        for an unknown activation.

    Examples
    --------
    >>> import numpy as np, onlinesgd
    >>> from onlinesgd.mixture_ode import mixture_rhs
    >>> c = onlinesgd.xor_mixture(N=100, K=2, activation="erf")
    >>> [a.shape for a in mixture_rhs(c, np.eye(2), np.zeros((2, 4)), np.ones(2))]
    [(2, 2), (2, 4), (2,)]
    """
    eff = c.effective()
    eta, eta_v = eff.lr / c.batch, eff.lr_v / c.batch
    T = means_gram(c)
    flip = 1.0 - 2.0 * c.label_flip
    # the regression of x.mu_b on the fields: M[:, b] lies in the range of Q (both are W times
    # something), so the pseudo-inverse is exact when Q is singular (a zero or degenerate student)
    Qinv_M = np.linalg.pinv(Q, rcond=1e-13, hermitian=True) @ M
    K = c.K
    dQ, dM, dv = np.zeros((K, K)), np.zeros_like(M), np.zeros(K)
    for a, (p, delta, y) in enumerate(cluster_params(c)):
        m = M[:, a]
        avg = cluster_averages(c.student_g, m, delta * Q, v, flip * y)
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
        ``class_error`` (n,) with its Monte Carlo standard error ``class_error_se``. R, T and
        v_star, which belong to a teacher, are NaN.

    Raises
    ------
    ValueError
        naming the argument: not a mixture, feedback alignment, a bad ``dt`` or ``init``; K for
        tanh and sigmoid beyond five fields (:func:`onlinesgd.mixture_grids.check_grid`).

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
    check_grid(config.student_g, config.K)
    Q, M, v, t0 = _initial(config, init)
    recorded = recording_times(t_max, times, config.N, config.batch, t0)
    K = config.K
    state = np.concatenate([Q.ravel(), M.ravel(), v])

    def rhs(s: np.ndarray) -> np.ndarray:
        dQ, dM, dv = mixture_rhs(config, s[: K * K].reshape(K, K), s[K * K : -K].reshape(M.shape), s[-K:])
        return np.concatenate([((dQ + dQ.T) / 2).ravel(), dM.ravel(), dv])

    rows = []
    t = t0
    for target in recorded:
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
        times=np.asarray(recorded, dtype=np.float64),
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
        extra={"M": Ms, "class_error": errors[:, 1], "class_error_se": errors[:, 2]},
    )

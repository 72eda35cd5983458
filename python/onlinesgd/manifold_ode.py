"""The per-mode ODE of the hidden manifold model (THEORY-DATA 1.3-1.5; docs/hidden_manifold.md).

Q and R do not close: the drift of w_k is along x, whose covariance Omega has a spectrum. With the
eigenvectors e_tau of Omega (omega_tau its eigenvalues), w~_{k tau} = w_k . e_tau and the teacher's
projections theta~_{n tau}, the state is one block per mode, q_tau = w~_tau w~_tau^T (K x K) and
r_tau = w~_tau theta~_tau^T (K x M), plus one lumped block P for the N - D directions orthogonal to
the rows of F (omega = mu*^2, no teacher there):

    dq_tau/dt = omega_tau (A q_tau + q_tau A^T) + B r_tau^T + r_tau B^T + omega_tau EE
    dr_tau/dt = omega_tau A r_tau + B t_tau
    dP/dt     = mu*^2 (A P + P A^T) + mu*^2 (1 - delta) EE
    Q = sum_tau weight_tau omega_tau q_tau + mu*^2 P,   R = sum_tau weight_tau r_tau

with A, B, EE (eta and eta^2 included) from the same Gaussian averages as the i.i.d. ODE at the
current (Q, R, T, v, v*) (``_core.manifold_drift``, C++), and weight_tau = 1/N for the D modes of a
given F, or delta times the quadrature weights of the Marchenko-Pastur law (N -> infinity). The
right-hand side is NumPy over the modes (O(D K^2 (K + M)) flops) plus one C++ call for the averages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from . import _core
from .config import Config
from .hidden_manifold import HmmSimulator, manifold_constants
from .manifold_config import MANIFOLD_INPUTS, latent_dim
from .times import TimesLike
from .trajectory import Trajectory


@dataclass
class Modes:
    """The per-mode state of the hidden manifold model's ODE.

    Attributes
    ----------
    time : t of this state.
    omega : (n,) eigenvalues omega_tau of the input covariance on the modes.
    weight : (n,) each mode's weight in Q and R (1/N for a given F; delta times a quadrature
        weight for the Marchenko-Pastur law).
    q : (n, K, K) q_tau.      r : (n, K, M) r_tau.      t : (n, M, M) t_tau (constant).
    P : (K, K) the null-space block (1/N) sum over directions orthogonal to F's rows.
    null : the fraction (N - D) / N of those directions (0 when D >= N).
    mu_star2 : mu*^2 of the generator.
    v : (K,) student head.    T : (M, M) teacher overlaps.    v_star : (M,) teacher head.

    Examples
    --------
    >>> import onlinesgd
    >>> m = marchenko_pastur_modes(onlinesgd.Config(inputs="hmm", hmm_f="erf"), nodes=16)
    >>> m.q.shape, bool(np.isclose(m.overlaps()[0][0, 0], 1 / 3))
    ((16, 2, 2), True)
    """

    time: float
    omega: np.ndarray
    weight: np.ndarray
    q: np.ndarray
    r: np.ndarray
    t: np.ndarray
    P: np.ndarray
    null: float
    mu_star2: float
    v: np.ndarray
    T: np.ndarray
    v_star: np.ndarray

    def overlaps(self) -> tuple[np.ndarray, np.ndarray]:
        """Q and R of this state.

        Returns
        -------
        tuple of arrays
            Q (K x K) and R (K x M).

        Examples
        --------
        >>> import onlinesgd
        >>> m = marchenko_pastur_modes(onlinesgd.Config(inputs="hmm"), nodes=8)
        >>> [a.shape for a in m.overlaps()]
        [(2, 2), (2, 2)]
        """
        wo = self.weight * self.omega
        Q = np.einsum("t,tkl->kl", wo, self.q) + self.mu_star2 * self.P
        R = np.einsum("t,tkm->km", self.weight, self.r)
        return Q, R


def modes_of(sim: HmmSimulator) -> Modes:
    """The per-mode state of a hidden-manifold simulator's current weights (one cached SVD of F).

    Parameters
    ----------
    sim : HmmSimulator
        The simulator (its F, Theta, W, v, v*).

    Returns
    -------
    Modes
        w~ = W V, theta~ = (mu1 / delta) sqrt(rho) U^T Theta^T, q = w~ w~^T, r = w~ theta~^T per mode;
        its Q and R equal the simulator's (THEORY-DATA 1.3).

    Raises
    ------
    ValueError
        naming ``sim`` when it is not an :class:`HmmSimulator`.

    Examples
    --------
    >>> import onlinesgd
    >>> sim = HmmSimulator(onlinesgd.Config(N=100, inputs="hmm"))
    >>> bool(np.allclose(modes_of(sim).overlaps()[0], sim.overlaps()["Q"]))
    True
    """
    if not isinstance(sim, HmmSimulator):
        raise ValueError(f"sim must be an HmmSimulator, got {type(sim).__name__}")
    c = sim.config
    mu1, mu_star2 = manifold_constants(c.hmm_f)
    rho, U, Vt = sim.spectrum()
    delta = sim.latent_dim / c.N
    W = sim.W
    w = W @ Vt.T  # K x n
    theta = (mu1 / delta) * np.sqrt(rho)[:, None] * (U.T @ sim.B.T)  # n x M
    n = len(rho)
    return Modes(
        time=float(sim.time),
        omega=mu_star2 + mu1**2 * rho / delta,
        weight=np.full(n, 1.0 / c.N),
        q=np.einsum("kt,lt->tkl", w, w),
        r=np.einsum("kt,tm->tkm", w, theta),
        t=np.einsum("tm,tp->tmp", theta, theta),
        P=(W @ W.T - w @ w.T) / c.N,
        null=max(c.N - n, 0) / c.N,
        mu_star2=mu_star2,
        v=np.array(sim.v, dtype=float),
        T=np.array(sim.overlaps()["T"]),
        v_star=np.array(sim.v_star, dtype=float),
    )


def marchenko_pastur_modes(config: Config, nodes: int = 128, R0: Optional[np.ndarray] = None) -> Modes:
    """The N -> infinity initial state: modes on a quadrature of the Marchenko-Pastur law.

    The eigenvalues rho of F F^T / N follow the Marchenko-Pastur law of ratio delta <= 1 on
    [(1 - sqrt delta)^2, (1 + sqrt delta)^2]; a Gauss-Chebyshev rule of the second kind in rho
    integrates its square-root edges exactly. A student w ~ N(0, init_std^2 I) independent of F and
    Theta has q(rho) = init_std^2 I, P = (1 - delta) init_std^2 I, r = 0 (or R0 / delta on every
    mode, a small symmetry breaker: with r = 0 the units never specialise), and
    t(rho) = (mu1 / delta)^2 rho I_M (T = I_M).

    Parameters
    ----------
    config : Config
        A hidden-manifold config (its hmm_delta, hmm_f, K, M, init_std, v_init, teacher_v).
    nodes : int
        Quadrature nodes (>= 2); the per-mode quantities are smooth in rho, ~100 suffice.
    R0 : array, optional
        Initial R (K x M); default zeros.

    Returns
    -------
    Modes
        The state at t = 0.

    Raises
    ------
    ValueError
        naming ``config`` (not hidden-manifold inputs), ``hmm_delta`` (> 1), ``nodes`` or ``R0``.

    Examples
    --------
    >>> import onlinesgd
    >>> m = marchenko_pastur_modes(onlinesgd.Config(inputs="hmm", hmm_delta=0.5), nodes=64)
    >>> bool(np.isclose(m.weight.sum(), 0.5))
    True
    """
    if not isinstance(config, Config) or config.inputs not in MANIFOLD_INPUTS:
        raise ValueError(f"config must be an onlinesgd.Config with inputs in {MANIFOLD_INPUTS}")
    delta = config.hmm_delta
    if delta > 1:
        raise ValueError(f"hmm_delta must be <= 1 for the Marchenko-Pastur modes, got {delta!r}")
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 2:
        raise ValueError(f"nodes must be an integer >= 2, got {nodes!r}")
    K, M = config.K, config.M
    R0 = np.zeros((K, M)) if R0 is None else np.asarray(R0, dtype=float)
    if R0.shape != (K, M) or not np.all(np.isfinite(R0)):
        raise ValueError(f"R0 must be a finite K x M = {(K, M)} array")
    mu1, mu_star2 = manifold_constants(config.hmm_f)
    # rho = c + h x, density sqrt((b - rho)(rho - a)) / (2 pi delta rho) = h^2 sqrt(1 - x^2) / (2 pi delta rho)
    j = np.arange(1, nodes + 1)
    theta = j * np.pi / (nodes + 1)
    a, b = (1 - np.sqrt(delta)) ** 2, (1 + np.sqrt(delta)) ** 2
    c, h = (a + b) / 2, (b - a) / 2
    rho = c + h * np.cos(theta)
    w = np.pi / (nodes + 1) * np.sin(theta) ** 2 * h**2 / (2 * np.pi * delta * rho)
    w /= w.sum()  # exact up to the quadrature error of a smooth integrand
    s2 = config.init_std**2
    eye_k, eye_m = np.eye(K), np.eye(M)
    mapped = config.effective()
    return Modes(
        time=0.0,
        omega=mu_star2 + mu1**2 * rho / delta,
        weight=delta * w,
        q=np.broadcast_to(s2 * eye_k, (nodes, K, K)).copy(),
        r=np.broadcast_to(R0 / delta, (nodes, K, M)).copy(),
        t=(mu1 / delta) ** 2 * rho[:, None, None] * eye_m,
        P=(1 - delta) * s2 * eye_k,
        null=1 - delta,
        mu_star2=mu_star2,
        v=np.full(K, mapped.v_init),
        T=eye_m,
        v_star=np.full(M, mapped.teacher_v),
    )


class _System:
    """The right-hand side on a flat state (q, r, P, v)."""

    def __init__(self, config: Config, m: Modes) -> None:
        self.core = config.to_core()
        self.m = m
        self.n, K, M = m.q.shape[0], config.K, config.M
        self.shapes = [(self.n, K, K), (self.n, K, M), (K, K), (K,)]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.eta_decay = self.core.lr / self.core.batch * self.core.weight_decay

    def pack(self, m: Modes) -> np.ndarray:
        return np.concatenate([m.q.ravel(), m.r.ravel(), m.P.ravel(), m.v.ravel()])

    def unpack(self, y: np.ndarray) -> list[np.ndarray]:
        out, at = [], 0
        for shape, size in zip(self.shapes, self.sizes):
            out.append(y[at : at + size].reshape(shape))
            at += size
        return out

    def macro(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        q, r, P, v = self.unpack(y)
        m = self.m
        Q = np.einsum("t,tkl->kl", m.weight * m.omega, q) + m.mu_star2 * P
        R = np.einsum("t,tkm->km", m.weight, r)
        return Q, R, v

    def drift(self, y: np.ndarray) -> tuple:
        Q, R, v = self.macro(y)
        return _core.manifold_drift(self.core, Q, R, self.m.T, v, self.m.v_star)

    def rhs(self, y: np.ndarray) -> np.ndarray:
        q, r, P, _ = self.unpack(y)
        A, B, EE, dv, _ = self.drift(y)
        om = self.m.omega[:, None, None]
        Aq = A @ q
        Br = B @ r.transpose(0, 2, 1)
        dq = om * (Aq + Aq.transpose(0, 2, 1) + EE) + Br + Br.transpose(0, 2, 1)
        dr = om * (A @ r) + B @ self.m.t
        AP = A @ P
        dP = self.m.mu_star2 * (AP + AP.T + self.m.null * EE)
        if self.eta_decay:  # W <- (1 - eta lambda / N) W each step
            dq -= 2 * self.eta_decay * q
            dr -= self.eta_decay * r
            dP -= 2 * self.eta_decay * P
        return np.concatenate([dq.ravel(), dr.ravel(), dP.ravel(), dv])


def hmm_ode(
    config: Config,
    init: Union[HmmSimulator, Modes, None] = None,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    *,
    dt: float = 0.01,
    nodes: int = 128,
    keep_modes: bool = False,
) -> Any:
    """Integrates the hidden manifold model's per-mode ODE (classical RK4, fixed step).

    Parameters
    ----------
    config : Config
        A config with ``inputs="hmm"`` or ``"hmm_gaussian"`` (both have this ODE).
    init : HmmSimulator, Modes or None
        Where to start: a simulator (its current weights, through the SVD of its F: the finite-N
        theory of that very run), a :class:`Modes`, or None for N -> infinity
        (:func:`marchenko_pastur_modes` with ``nodes``).
    t_max : float, optional
        Record at 101 equally spaced times from the start to t_max (when ``times`` is None).
    times : sequence of float, optional
        Increasing recording times, none before the start.
    dt : float
        The RK4 step (> 0); each interval between recording times is cut into equal steps <= dt.
    nodes : int
        Quadrature nodes when ``init`` is None.
    keep_modes : bool
        Also return the :class:`Modes` at every recorded time.

    Returns
    -------
    Trajectory or (Trajectory, list of Modes)
        Q, R, T, v, v*, eg at the recorded times (``kind="ode"``), and the modes if asked.

    Raises
    ------
    ValueError
        naming ``config``, ``init``, ``times``, ``t_max`` or ``dt`` when invalid.

    Examples
    --------
    >>> import onlinesgd
    >>> c = onlinesgd.Config(N=200, inputs="hmm", lr=1.0)
    >>> sim = HmmSimulator(c)
    >>> theory = hmm_ode(c, sim, times=[0, 0.5], dt=0.05)
    >>> bool(abs(theory.eg[0] - sim.eg()) < 1e-10)
    True
    """
    if not isinstance(config, Config) or config.inputs not in MANIFOLD_INPUTS:
        raise ValueError(f"config must be an onlinesgd.Config with inputs in {MANIFOLD_INPUTS}")
    if isinstance(init, HmmSimulator):
        m = modes_of(init)
    elif isinstance(init, Modes):
        m = dataclasses.replace(init)
    elif init is None:
        m = marchenko_pastur_modes(config, nodes)
    else:
        raise ValueError(f"init must be an HmmSimulator, Modes or None, got {type(init).__name__}")
    if m.q.shape[1] != config.K or m.r.shape[2] != config.M:
        raise ValueError("init: its K and M differ from the config's")
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a finite number > 0, got {dt!r}")
    rec = _recording_times(m.time, t_max, times)
    system = _System(config, m)
    y, t = system.pack(m), m.time
    rows, modes = [], []
    for target in rec:
        steps = int(np.ceil((target - t) / dt - 1e-9))
        h = (target - t) / steps if steps else 0.0
        for _ in range(steps):
            k1 = system.rhs(y)
            k2 = system.rhs(y + h / 2 * k1)
            k3 = system.rhs(y + h / 2 * k2)
            k4 = system.rhs(y + h * k3)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = float(target)
        Q, R, v = system.macro(y)
        rows.append((Q, R, v.copy(), system.drift(y)[4]))
        if keep_modes:
            q, r, P, v = system.unpack(y)
            modes.append(dataclasses.replace(m, time=t, q=q.copy(), r=r.copy(), P=P.copy(), v=v.copy()))
    n = len(rec)
    v = np.array([row[2] for row in rows])
    traj = Trajectory(
        times=np.asarray(rec, dtype=float),
        Q=np.array([row[0] for row in rows]),
        R=np.array([row[1] for row in rows]),
        T=np.repeat(m.T[None], n, axis=0),
        v=v,
        v_star=np.repeat(m.v_star[None], n, axis=0),
        eg=np.array([row[3] for row in rows]),
        config=config,
        version=_core.__version__,
        kind="ode",
        info={"method": "rk4", "dt": float(dt), "modes": int(m.q.shape[0]), "latent_dim": latent_dim(config)},
    )
    return (traj, modes) if keep_modes else traj


def _recording_times(start: float, t_max: Optional[float], times: Optional[TimesLike]) -> np.ndarray:
    """The recording times: given (increasing, >= start), or 101 from start to t_max."""
    if times is None:
        if t_max is None or not np.isfinite(t_max) or t_max <= start:
            raise ValueError(f"t_max must be a finite number > the start time {start}, got {t_max!r}")
        return np.linspace(start, float(t_max), 101)
    rec = np.asarray(times, dtype=float)
    if rec.ndim != 1 or rec.size == 0 or not np.all(np.isfinite(rec)) or np.any(np.diff(rec) < 0):
        raise ValueError("times must be a non-empty increasing sequence of finite numbers")
    if rec[0] < start - 1e-12:
        raise ValueError(f"times must not start before the initial state's time {start}, got {rec[0]}")
    return rec


def ode_from(config: Config, init: Any, t_max: Optional[float], times: Optional[TimesLike], dt: float) -> Any:
    """:func:`onlinesgd.ode` for a hidden-manifold config: the per-mode ODE of the run ``init`` names.

    Parameters
    ----------
    config : Config
        A hidden-manifold config.
    init : None, Trajectory, HmmSimulator or Modes
        None or a simulated Trajectory that starts at t = 0 from the seed's weights: the
        simulator of ``config`` rebuilt at t = 0 (same F, Theta, W); otherwise as :func:`hmm_ode`.
    t_max, times, dt : as for :func:`hmm_ode`.

    Returns
    -------
    Trajectory
        The ODE's trajectory.

    Raises
    ------
    ValueError
        naming ``init`` when a Trajectory does not start from the seed's weights at t = 0.

    Examples
    --------
    >>> import onlinesgd
    >>> c = onlinesgd.Config(N=200, inputs="hmm")
    >>> sim = onlinesgd.simulate(c, times=[0, 0.5], progress=False)
    >>> theory = onlinesgd.ode(c, sim, times=sim.times)
    >>> bool(abs(theory.eg[0] - sim.eg[0]) < 1e-12)
    True
    """
    if isinstance(init, Trajectory) or init is None:
        sim = HmmSimulator(config)
        if isinstance(init, Trajectory):
            o = sim.overlaps()
            if len(init) == 0 or init.times[0] != 0 or not np.allclose(init.Q[0], o["Q"], rtol=1e-12, atol=1e-12):
                raise ValueError(
                    "init: the hidden manifold's ODE starts from per-mode overlaps that a Trajectory does not "
                    "hold; give a trajectory that starts at t = 0 from the seed's weights, or the HmmSimulator"
                )
            if times is None and t_max is None:
                times = [float(t) for t in init.times]
        return hmm_ode(config, sim, t_max, times, dt=dt)
    return hmm_ode(config, init, t_max, times, dt=dt)

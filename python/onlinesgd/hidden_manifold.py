"""The hidden manifold model (Goldt, Mezard, Krzakala, Zdeborova, PRX 2020): its simulator.

Inputs x = f(F^T c / sqrt(D)) with a fresh latent c ~ N(0, I_D) per sample and a fixed feature
matrix F (D x N, i.i.d. N(0, 1), drawn from its own stream of the seed); labels from the teacher
acting on the latent, nu = Theta c / sqrt(D). ``inputs="hmm_gaussian"`` draws the Gaussian
equivalent x = mu1 F^T c / sqrt(D) + mu* xi instead. The recorded Q, R, T are those of the
Gaussian equivalence (docs/hidden_manifold.md): Q = mu*^2 W W^T / N + mu1^2 s^T s / D,
R = mu1 s^T Theta^T / D, T = Theta Theta^T / D with s = F W^T / sqrt(N). Their ODE lives in
:mod:`onlinesgd.manifold_ode` (``modes_of(sim)`` gives a simulator's per-mode state).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from . import _core
from .config import Config
from .manifold_config import MANIFOLD_INPUTS
from .run import Stepping
from .simulator import check_array


def manifold_constants(f: str) -> tuple[float, float]:
    """The constants mu1 = E[z f(z)] and mu*^2 = E[f(z)^2] - mu1^2 of a generator f (z ~ N(0, 1)).

    Parameters
    ----------
    f : str
        "sign", "erf" (erf(z / sqrt 2)) or "tanh".

    Returns
    -------
    tuple of float
        (mu1, mu*^2).

    Raises
    ------
    ValueError
        naming ``f`` when it is not one of them.

    Examples
    --------
    >>> mu1, mu_star2 = manifold_constants("sign")
    >>> round(mu1, 6), round(mu_star2, 6)
    (0.797885, 0.36338)
    """
    try:
        mu1, mu_star2 = _core.manifold_constants(f)
    except (ValueError, TypeError) as err:
        raise ValueError(f"f must be 'sign', 'erf' or 'tanh', got {f!r}") from err
    return float(mu1), float(mu_star2)


class HmmSimulator(Stepping):
    """A student learning from the hidden manifold model by online SGD.

    Its properties ``W`` and ``v`` are the student's first layer (K x N, a copy) and head (K),
    ``B`` and ``v_star`` the teacher's first layer Theta (M x D, a copy) and head (M), ``F`` the
    feature matrix (D x N, a read-only view: 400 MB at N = 1e4, delta = 0.5).

    Parameters
    ----------
    config : Config
        A config with ``inputs="hmm"`` or ``"hmm_gaussian"``.
    W, v : array, optional
        The student's first layer (K x N) and head (K); drawn from the seed when not given.
    B, v_star : array, optional
        The teacher's first layer Theta (M x D: it acts on the latent) and head (M).

    Raises
    ------
    ValueError
        naming ``config`` when its inputs are not the hidden manifold's, or the array whose
        shape or values are wrong.

    Examples
    --------
    >>> import onlinesgd
    >>> sim = HmmSimulator(onlinesgd.Config(N=200, inputs="hmm", hmm_delta=0.5))
    >>> sim.F.shape, sim.B.shape
    ((100, 200), (2, 100))
    >>> traj = sim.run(times=[0, 0.5], progress=False)
    >>> traj.Q.shape
    (2, 2, 2)
    """

    def __init__(
        self,
        config: Config,
        *,
        W: Optional[np.ndarray] = None,
        v: Optional[np.ndarray] = None,
        B: Optional[np.ndarray] = None,
        v_star: Optional[np.ndarray] = None,
    ) -> None:
        if not isinstance(config, Config) or config.inputs not in MANIFOLD_INPUTS:
            raise ValueError(f"config must be an onlinesgd.Config with inputs in {MANIFOLD_INPUTS}")
        self.config = config
        self._sim = _core.HmmSimulator(config.to_core())
        self._spectrum: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]] = None
        c, D = config, self._sim.latent_dim
        if W is not None or v is not None:
            W = self._sim.W if W is None else check_array("W", W, (c.K, c.N))
            # v: K values, or one head of them (1 x K, as checkpoints give every head)
            v = self._sim.v if v is None else check_array("v", v, (1, c.K) if np.ndim(v) == 2 else (c.K,)).ravel()
            self._sim.set_student(W, v)
        if B is not None or v_star is not None:
            B = self.B if B is None else check_array("B", B, (c.M, D))
            v_star = self._sim.v_star if v_star is None else check_array("v_star", v_star, (c.M,))
            self._sim.set_teacher(B, v_star)

    # described in the class docstring: a property docstring would make a second target for
    # names such as W, which other docstrings link to (Simulator.W)
    W = property(lambda self: self._sim.W)
    v = property(lambda self: self._sim.v)
    B = property(lambda self: np.array(self._sim.theta))
    v_star = property(lambda self: self._sim.v_star)
    F = property(lambda self: self._sim.F)
    latent_dim = property(lambda self: int(self._sim.latent_dim), doc="D, the latent dimension")

    def samples(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inputs, teacher fields and label noises of samples ``first`` .. ``first + count - 1``.

        Parameters
        ----------
        first : int
            The first sample index (step s uses samples s*batch .. s*batch + batch - 1).
        count : int
            How many samples.

        Returns
        -------
        tuple of arrays
            X (count x N), nu = Theta c / sqrt(D) (count x M) and the standard-normal label
            noises zeta (count; zeros without label noise), as the steps see them.

        Raises
        ------
        ValueError
            naming ``first`` or ``count`` when not an integer >= 0 (>= 1).

        Examples
        --------
        >>> import onlinesgd
        >>> sim = HmmSimulator(onlinesgd.Config(N=100, inputs="hmm"))
        >>> X, nu, zeta = sim.samples(0, 3)
        >>> X.shape, sorted(set(X.ravel().tolist()))
        ((3, 100), [-1.0, 1.0])
        """
        for name, value, least in (("first", first, 0), ("count", count, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
        X, nu, zeta = self._sim.samples(int(first), int(count))
        return X, nu, zeta

    def step(self, x: np.ndarray, nu: np.ndarray, zeta: Optional[np.ndarray] = None) -> None:
        """One SGD step on given inputs, teacher fields and standard-normal label noises.

        Parameters
        ----------
        x : array
            batch x N inputs (or N with batch 1).
        nu : array
            batch x M teacher fields Theta c / sqrt(D) (or M).
        zeta : array, optional
            batch standard-normal label noises (scaled by ``config.noise``); zeros when None.

        Raises
        ------
        ValueError
            naming the array whose shape or values are wrong.
        FloatingPointError
            when the step would make the weights non-finite.

        Examples
        --------
        >>> import onlinesgd
        >>> sim = HmmSimulator(onlinesgd.Config(N=100, inputs="hmm"))
        >>> X, nu, zeta = sim.samples(0, 1)
        >>> sim.step(X, nu, zeta)
        >>> sim.steps
        1
        """
        c = self.config
        X = check_array("x", np.atleast_2d(x), (c.batch, c.N))
        nu = check_array("nu", np.atleast_2d(nu), (c.batch, c.M))
        z = np.zeros(c.batch) if zeta is None else check_array("zeta", np.atleast_1d(zeta), (c.batch,))
        if not self._sim.step_on(X, nu, z):
            raise FloatingPointError(f"the step on this input gives non-finite weights (t = {self.time})")

    def spectrum(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The thin SVD F / sqrt(N) = U S V^T, computed once and cached with F.

        Returns
        -------
        tuple of arrays
            rho = S^2 (the eigenvalues of F F^T / N, min(D, N)), U (D x min(D, N)) and
            V^T (min(D, N) x N): the rows of V^T are the eigenvectors e_tau of the input
            covariance with omega_tau = mu*^2 + mu1^2 rho_tau / delta.

        Examples
        --------
        >>> import onlinesgd
        >>> sim = HmmSimulator(onlinesgd.Config(N=100, inputs="hmm", hmm_delta=0.5))
        >>> rho, U, Vt = sim.spectrum()
        >>> rho.shape, U.shape, Vt.shape
        ((50,), (50, 50), (50, 100))
        """
        if self._spectrum is None:
            # through the eigenvectors of the smaller Gram matrix: ~10x faster than LAPACK's SVD of F
            # here, and accurate while rho >> 1e-16 rho_max (Marchenko-Pastur keeps rho away from 0
            # unless delta ~ 1)
            A = self.F / np.sqrt(self.config.N)
            D, N = A.shape
            rho, vecs = np.linalg.eigh(A @ A.T if D <= N else A.T @ A)
            rho, vecs = np.clip(rho[::-1], 0.0, None), vecs[:, ::-1]
            S = np.sqrt(rho)
            safe = np.where(S > 0, S, 1.0)
            if D <= N:
                U, Vt = vecs, (vecs.T @ A) / safe[:, None]
            else:
                U, Vt = (A @ vecs) / safe, vecs.T
            self._spectrum = (rho, U, Vt)
        return self._spectrum

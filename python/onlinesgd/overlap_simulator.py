"""The overlap engine's Python face: online SGD run as the exact Markov chain of its overlaps.

For Gaussian inputs the overlaps Q, R, T and the heads form an exact Markov chain at every N
(docs/engines.md): :class:`OverlapSimulator` steps it with d = K + teacher rows numbers per
sample instead of N, in the same law as :class:`~onlinesgd.Simulator`, and records the same
:class:`~onlinesgd.Trajectory`. It holds no weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import numpy as np

from . import _core
from .config import Config
from .run import Stepping
from .simulator import ArrayLike, Simulator, check_array

ENGINES = ("weights", "overlaps")
"""What :func:`onlinesgd.simulate` can run: the weights (``Simulator``, any input family, the
reference) or the exact overlap chain (``OverlapSimulator``, Gaussian inputs, float64)."""

_TEACHER, _STUDENT = 1, 2  # the weights engine's random streams (cpp/include/onlinesgd/rng.hpp)


def check_engine(engine: str, config: Config) -> str:
    """``engine`` after checking that it is one of :data:`ENGINES` and can run ``config``.

    Raises
    ------
    ValueError
        naming ``engine``: unknown, or the overlap engine with inputs that are not rotation
        invariant or with float32 precision.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "overlaps" and config.inputs != "gaussian":
        raise ValueError(
            f"engine 'overlaps' cannot run inputs={config.inputs!r}: their law is not rotation "
            "invariant, and the overlap chain is exact only for isotropic Gaussian inputs "
            "(use engine='weights')"
        )
    if engine == "overlaps" and config.precision != "float64":
        raise ValueError(
            f"engine 'overlaps' runs in float64 only, got precision={config.precision!r} (the "
            "precision is the storage of weights, which this engine does not have)"
        )
    return engine


class OverlapSimulator(Stepping):
    """Online SGD as the exact finite-N chain of the overlaps, without weights.

    By default it starts from the weights engine's random initialisation law (teacher rows
    N(0, 1), student rows N(0, init_std^2), drawn as their Gram matrix: N = 1e12 starts at once).
    Same law as :class:`~onlinesgd.Simulator` with the same config, not the same numbers: the two
    engines draw different random streams.

    Parameters
    ----------
    config : the model; Gaussian inputs and float64 only (ValueError naming the engine otherwise).
    W, v, B, v_star : initial weights, as for :class:`~onlinesgd.Simulator`: the chain starts
        from their overlaps. Given W or B, the other is the one the weights engine draws from the
        seed (N-sized arrays, then). v and v_star alone set the heads only. A centred config's
        centring rows follow W and v as in the weights engine.
    Q, R, T : initial overlaps instead of weights, all three: Q (K x K), R (K x teacher rows),
        T (teacher rows square); their Gram matrix ``[[T, R^T], [R, Q]]`` must be positive
        semi-definite (rank-deficient is fine: a student equal to its teacher).

    Raises
    ------
    ValueError
        naming the argument: an engine that cannot run the config (inputs, precision), weights
        and overlaps given together, overlaps of the wrong shape, not
        symmetric or whose Gram matrix is not positive semi-definite.

    Examples
    --------
    >>> import onlinesgd
    >>> config = onlinesgd.Config(N=10**9, K=2, M=2, lr=0.5, seed=0)
    >>> sim = onlinesgd.OverlapSimulator(config)  # no N-sized array anywhere
    >>> traj = sim.run(times=[0.0, 1e-6], progress=False)
    >>> sim.steps, traj.Q.shape
    (1000, (2, 2, 2))
    """

    def __init__(
        self,
        config: Config,
        *,
        W: ArrayLike = None,
        v: ArrayLike = None,
        B: ArrayLike = None,
        v_star: ArrayLike = None,
        Q: ArrayLike = None,
        R: ArrayLike = None,
        T: ArrayLike = None,
    ) -> None:
        if not isinstance(config, Config):
            raise ValueError(f"config must be an onlinesgd.Config, got {type(config).__name__}")
        check_engine("overlaps", config)
        self.config = c = config
        given = [name for name, value in (("Q", Q), ("R", R), ("T", T)) if value is not None]
        if given and (W is not None or B is not None):
            raise ValueError("give either initial weights (W, B) or initial overlaps (Q, R, T), not both")
        if given and len(given) != 3:
            raise ValueError(f"overlaps: give Q, R and T together (got only {', '.join(given)})")
        self._sim = _core.OverlapChain(c.to_core())
        heads = {"v": self._sim.heads.ravel(), "v_star": self._sim.v_star}
        whole = c.centred and v_star is not None and np.shape(v_star)[0] == c.teacher_rows
        if v is not None:  # K values (every head alike) or one row per head, as for Simulator
            heads["v"] = check_array("v", v, (c.n_heads, c.K) if np.ndim(v) == 2 else (c.K,)).ravel()
            if c.centred and not whole:
                heads["v_star"][c.M :] = heads["v"]  # the centring rows' readout: the initial head
        if v_star is not None:
            v_star = check_array("v_star", v_star, (c.teacher_rows if whole else c.M,))
            heads["v_star"][: len(v_star)] = v_star
        if given:
            rows = c.teacher_rows
            self._sim.set_overlaps(
                check_array("Q", Q, (c.K, c.K)), check_array("R", R, (c.K, rows)), check_array("T", T, (rows, rows))
            )
        elif W is not None or B is not None:
            self._sim.set_overlaps(*self._overlaps_of(W, B))
        self._sim.set_heads(heads["v"], heads["v_star"])

    def _overlaps_of(self, W: ArrayLike, B: ArrayLike) -> tuple:
        """Q, R, T of the given weights, the missing ones drawn as the weights engine does."""
        c = self.config
        whole = c.centred and B is not None and np.shape(B)[0] == c.teacher_rows
        if W is None:
            W = c.init_std * np.stack([_core.normal_row(c.seed, _STUDENT, k, c.N) for k in range(c.K)])
        W = check_array("W", W, (c.K, c.N))
        if B is None and c.teachers > 1:  # the teachers as the weights engine builds them (overlaps, Omega)
            B = _core.Simulator(c.to_core()).B
        elif B is None:
            B = np.stack([_core.normal_row(c.seed, _TEACHER, m, c.N) for m in range(c.M)])
        B = check_array("B", B, (c.teacher_rows if whole else c.M, c.N))
        if c.centred and not whole:
            B = np.vstack([B, W])
        return W @ W.T / c.N, W @ B.T / c.N, B @ B.T / c.N

    # the state, read back as copies
    factor = property(
        lambda self: self._sim.factor,
        doc="the d x d lower-triangular factor U of [[T, R^T], [R, Q]] (teacher rows first)",
    )
    v = property(lambda self: self._sim.v, doc="student second layer, K (the head the current phase trains)")
    v_star = property(lambda self: self._sim.v_star, doc="teacher second layer, M (M + K when centred)")
    feedback = property(
        lambda self: self._sim.feedback, doc="the fixed feedback vector b of feedback alignment (K); empty for backprop"
    )

    def advance(self, steps: int) -> int:
        """Performs ``steps`` steps without recording; returns the number done (fewer: diverged)."""
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
        return self._sim.advance(int(steps))


def make_simulator(engine: str, config: Config, *, overlaps: Optional[Mapping] = None, **weights: ArrayLike) -> Any:
    """The Python simulator of ``engine`` for ``config`` (:class:`~onlinesgd.hidden_manifold.HmmSimulator`
    for the hidden manifold's inputs), from the given weights (or, for the
    overlap engine, ``overlaps``: a mapping with Q, R, T)."""
    check_engine(engine, config)
    if engine == "weights":
        if overlaps is not None:
            raise ValueError(
                "overlaps: initial overlaps need engine='overlaps' (the weights engine starts from weights)"
            )
        if getattr(config, "inputs", None) in ("hmm", "hmm_gaussian"):
            from .hidden_manifold import HmmSimulator

            return HmmSimulator(config, **weights)
        return Simulator(config, **weights)
    overlaps = dict(overlaps or {})
    unknown = set(overlaps) - {"Q", "R", "T"}
    if unknown:
        raise ValueError(f"overlaps: unknown key(s) {sorted(unknown)}; give Q, R and T")
    return OverlapSimulator(config, **weights, **overlaps)

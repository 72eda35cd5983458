"""Gaussian-mixture classification (Refinetti, Goldt, Krzakala, Zdeborova, ICML 2021): the data.

A sample comes from cluster a with probability p_a: x = mu_a + sqrt(Delta_a) z, z ~ N(0, I_N),
with the cluster's label y_a = +-1, flipped with probability ``label_flip``; no teacher network.
The means live on the first D input directions (``mixture_means`` is C x D), so a sample costs
O(N). The noise z of sample s is row s of the Mixture stream and its cluster and flip come from
the MixtureClusters stream (cpp/include/onlinesgd/rng.hpp): counter-based, so a run resumes and
repeats bit for bit, for any number of threads. The ODE is in :mod:`onlinesgd.mixture_ode`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from . import _core
from .rows import RowSource

if TYPE_CHECKING:
    from .config import Config

_FIELDS = ("mixture_means", "mixture_variances", "mixture_weights", "mixture_labels")


def _numbers(name: str, value: Any, count: int) -> tuple:
    try:
        out = tuple(float(x) for x in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {count} numbers, got {value!r}") from None
    if len(out) != count or not all(math.isfinite(x) for x in out):
        raise ValueError(f"{name} must be {count} finite numbers, got {value!r}")
    return out


def checked_mixture(c: Config) -> dict:
    """The mixture fields of ``c`` checked and normalised (tuples; defaults filled in).

    Parameters
    ----------
    c : the config being built (Config.__post_init__ calls this).

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
    >>> from onlinesgd.mixture import checked_mixture
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


def xor_mixture(N: int, L: float = 1.0, variance: float = 0.05, **fields: Any) -> Config:
    """The XOR-like mixture of the paper: four clusters of probability 1/4 with means +-L e1
    (label +1) and +-L e2 (label -1), each of variance ``variance``.

    Parameters
    ----------
    N : input dimension.
    L : the distance of each mean from the origin.
    variance : Delta of every cluster.
    **fields : any other :class:`~onlinesgd.Config` field; the activation defaults to ReLU (odd
        activations without biases cannot beat chance on XOR: docs/data.md).

    Returns
    -------
    Config
        with inputs="mixture" and the four clusters.

    Raises
    ------
    ValueError
        from :class:`~onlinesgd.Config`, naming the field.

    Examples
    --------
    >>> import onlinesgd
    >>> c = onlinesgd.xor_mixture(N=1000, K=4)
    >>> c.clusters, c.mixture_labels, c.activation
    (4, (1.0, 1.0, -1.0, -1.0), 'relu')
    """
    from .config import Config

    fields.setdefault("activation", "relu")
    return Config(
        N=N,
        inputs="mixture",
        mixture_means=((L, 0.0), (-L, 0.0), (0.0, L), (0.0, -L)),
        mixture_variances=(variance,) * 4,
        mixture_labels=(1.0, 1.0, -1.0, -1.0),
        **fields,
    )


def means_gram(c: Config) -> np.ndarray:
    """T_ab = mu_a . mu_b (C x C).

    Parameters
    ----------
    c : a mixture's config.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd.mixture import means_gram
    >>> means_gram(onlinesgd.xor_mixture(N=10))[0]
    array([ 1., -1.,  0.,  0.])
    """
    mu = np.array(c.mixture_means)
    return mu @ mu.T


def mixture_overlaps(W: np.ndarray, c: Config) -> np.ndarray:
    """M = W mu^T / sqrt(N) (K x C): the student's overlaps with the cluster means.

    Parameters
    ----------
    W : the student's first layer (K x N).
    c : a mixture's config.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np, onlinesgd
    >>> from onlinesgd.mixture import mixture_overlaps
    >>> mixture_overlaps(np.full((1, 4), 2.0), onlinesgd.xor_mixture(N=4, K=1))
    array([[ 1., -1.,  1., -1.]])
    """
    mu = np.array(c.mixture_means)
    return W[:, : mu.shape[1]] @ mu.T / math.sqrt(c.N)


def informed_weights(c: Config, overlap: float = 0.5, seed: Optional[int] = None) -> np.ndarray:
    """Student weights with O(1) overlaps M with the means: i.i.d. N(0, init_std^2) entries
    plus sqrt(N) ``overlap`` N(0, 1) on each of the D mean directions (THEORY-DATA.md 2.5).
    From M = 0 the symmetric point of a mixture such as XOR is a fixed point of the ODE that a
    finite-N run leaves at a random time, so tests and the example start here.

    Parameters
    ----------
    c : the mixture's config.
    overlap : the scale of the components along the mean directions.
    seed : of the NumPy generator; None: ``c.seed``.

    Returns
    -------
    numpy.ndarray
        W, K x N, to pass to :func:`onlinesgd.simulate` (``W=``).

    Raises
    ------
    ValueError
        when ``c`` is not a mixture.

    Examples
    --------
    >>> import onlinesgd
    >>> c = onlinesgd.xor_mixture(N=500, K=2)
    >>> onlinesgd.informed_weights(c).shape
    (2, 500)
    """
    if c.inputs != "mixture":
        raise ValueError("informed_weights: the config is not a Gaussian mixture (inputs='mixture')")
    rng = np.random.default_rng(c.seed if seed is None else seed)
    W = c.init_std * rng.standard_normal((c.K, c.N))
    D = len((c.mixture_means or ((),))[0])
    W[:, :D] += math.sqrt(c.N) * overlap * rng.standard_normal((c.K, D))
    return W


class MixtureSource(RowSource):
    """The samples of the mixture of ``config``, as many as asked, keyed by sample index.

    Parameters
    ----------
    config : a mixture's config.

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd.mixture import MixtureSource
    >>> X, y = MixtureSource(onlinesgd.xor_mixture(N=8)).block(0, 3)
    >>> X.shape, set(y) <= {1.0, -1.0}
    ((3, 8), True)
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.means = np.array(config.mixture_means)
        self.scale = np.sqrt(np.array(config.mixture_variances))
        self.cumulative = np.cumsum(np.array(config.mixture_weights))
        self.labels = np.array(config.mixture_labels)

    def clusters(self, first: int, count: int) -> np.ndarray:
        """The cluster of samples first .. first + count - 1.

        Parameters
        ----------
        first, count : the first sample and how many.

        Returns
        -------
        numpy.ndarray
            cluster indices.
        """
        u = _core.mixture_uniforms(self.config.seed, first, count, 0)
        return np.minimum(np.searchsorted(self.cumulative, u, side="right"), len(self.labels) - 1)

    def block(self, first: int, count: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
        c = self.config
        a = self.clusters(first, count)
        X = _core.mixture_noise(c.seed, first, count, c.N)
        X *= self.scale[a][:, None]
        X[:, : self.means.shape[1]] += self.means[a]
        y = self.labels[a]
        if c.label_flip > 0:
            y = np.where(_core.mixture_uniforms(c.seed, first, count, 1) < c.label_flip, -y, y)
        return X, np.ascontiguousarray(y, dtype=np.float64)

    def record(self, sim: Any, config: Config) -> dict:
        from .mixture_ode import mixture_errors

        M = mixture_overlaps(sim.W, config)
        v = sim.overlaps()[3]
        eg, class_error = mixture_errors(config, sim.overlaps()[0], M, v)
        return {"M": M, "eg": eg, "class_error": class_error}

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
from typing import Any, Optional

import numpy as np

from . import _core
from .config import Config
from .mixture_averages import CLASS_POINTS, class_error, mean_squared_error
from .row_source import RowSource


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


def cluster_params(c: Config) -> list[tuple[float, float, float]]:
    """(p_a, Delta_a, y_a) of every cluster.

    Parameters
    ----------
    c : a mixture's config.

    Returns
    -------
    list of (p_a, Delta_a, y_a)

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd.mixture import cluster_params
    >>> cluster_params(onlinesgd.xor_mixture(N=10, variance=0.1))[0]
    (0.25, 0.1, 1.0)
    """
    return list(zip(c.mixture_weights or (), c.mixture_variances or (), c.mixture_labels or ()))


def mixture_errors(c: Config, Q: np.ndarray, M: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """The mean-squared error eg = 1/2 E[(y - phi)^2] (with the flipped labels) and the
    classification error P(y phi < 0) (against the clusters' true labels; phi = 0 counts 1/2)
    of a student with overlaps Q, M and head v on the mixture of ``c``.

    Parameters
    ----------
    c : the mixture's config (inputs="mixture").
    Q, M, v : the student's overlaps (K x K, K x C) and head (K).

    Returns
    -------
    (eg, class_error, class_error_se) : floats; eg by :func:`mean_squared_error`,
        the classification error from fixed Monte Carlo points, and that estimate's standard
        error sqrt(sum_a p_a^2 P_a (1 - P_a) / CLASS_POINTS) (at most 2e-3).

    Raises
    ------
    ValueError
        for an unknown activation.

    Examples
    --------
    >>> import numpy as np, onlinesgd
    >>> from onlinesgd.mixture import mixture_errors
    >>> c = onlinesgd.xor_mixture(N=100, K=2, activation="erf")
    >>> eg, err, se = mixture_errors(c, np.eye(2), np.zeros((2, 4)), np.ones(2))
    >>> abs(err - 0.5) < 5 * se  # an odd network on XOR: chance level
    True
    """
    flip = 1.0 - 2.0 * c.label_flip
    eg = err = var = 0.0
    for a, (p, delta, y) in enumerate(cluster_params(c)):
        S = delta * np.asarray(Q)
        eg += 0.5 * p * mean_squared_error(c.student_g, M[:, a], S, v, flip * y)
        q = class_error(c.student_g, M[:, a], S, v, y)
        err += p * q
        var += p * p * q * (1.0 - q) / CLASS_POINTS
    return eg, err, float(np.sqrt(var))


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
        X = _core.mixture_noise(c.seed, first, count, c.N, self.scale[a])
        X[:, : self.means.shape[1]] += self.means[a]
        y = self.labels[a]
        if c.label_flip > 0:
            y = np.where(_core.mixture_uniforms(c.seed, first, count, 1) < c.label_flip, -y, y)
        return X, np.ascontiguousarray(y, dtype=np.float64)

    def record(self, sim: Any, config: Config) -> dict:
        M = mixture_overlaps(sim.W, config)
        v = sim.overlaps()[3]
        eg, error, se = mixture_errors(config, sim.overlaps()[0], M, v)
        return {"M": M, "eg": eg, "class_error": error, "class_error_se": se}

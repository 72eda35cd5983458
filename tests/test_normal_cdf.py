"""The normal distribution functions of the C++ core (cpp/src/gaussian/normal_cdf.cpp) behind the
exact ReLU averages of the mixture ODE: two variables against Owen's T, three and four against a
nested adaptive quadrature that conditions on the first variable (a different route from
Plackett's identity in the core)."""

import numpy as np
import pytest
from onlinesgd import _core
from onlinesgd.mixture_averages import bvn_cdf
from scipy import integrate, stats


def _correlation(rng, n, extra):
    """A random n x n correlation matrix: the Gram matrix of n random vectors in n + extra dimensions."""
    A = rng.standard_normal((n, n + extra))
    C = A @ A.T
    d = np.sqrt(np.diag(C))
    return C / np.outer(d, d)


def _by_conditioning(h, R, inner):
    """P(Z < h) = int_{-inf}^{h_0} phi(x) P(Z_rest < h_rest | Z_0 = x) dx, adaptively (scipy)."""
    C = R[1:, 1:] - np.outer(R[1:, 0], R[1:, 0])
    s = np.sqrt(np.diag(C))

    def f(x):
        return stats.norm.pdf(x) * inner((h[1:] - R[1:, 0] * x) / s, C / np.outer(s, s))

    return integrate.quad(f, -np.inf, h[0], epsabs=1e-14, epsrel=1e-13, limit=400)[0]


def _bvn(h, R):
    return float(bvn_cdf(h[0], h[1], R[0, 1]))


@pytest.mark.parametrize("n", [3, 4])
def test_three_and_four_variables_match_nested_quadrature(n):
    rng = np.random.default_rng(n)
    inner = _bvn if n == 3 else _core.mvn_cdf  # n = 4: the three-variable one, checked here too
    worst = 0.0
    for trial in range(40):
        h = rng.normal(0.0, 1.5, n)
        R = _correlation(rng, n, extra=1 + trial % 3)
        if trial % 5 == 0:  # nearly singular: the conditional laws narrow along Plackett's path
            R = 0.999 * R + 0.001 * np.eye(n)
        worst = max(worst, abs(_core.mvn_cdf(h, R) - _by_conditioning(h, R, inner)))
    # both are accurate to ~1e-15 (measured worst 6e-16); 1e-11 bounds the quadratures' tolerances
    assert worst < 1e-11


def test_bivariate_near_and_at_perfect_correlation():
    from scipy.special import ndtr

    h, k = 0.3, -0.2
    assert float(bvn_cdf(h, k, 1.0)) == pytest.approx(ndtr(min(h, k)), abs=1e-15)
    assert float(bvn_cdf(h, k, -1.0)) == pytest.approx(max(ndtr(h) - ndtr(-k), 0.0), abs=1e-15)
    # continuity into the limits: within 1e-6 of them at |rho| = 1 - 1e-12 (the gap ~ sqrt(1 - rho^2))
    assert float(bvn_cdf(h, k, 1 - 1e-12)) == pytest.approx(ndtr(min(h, k)), abs=1e-6)
    assert float(bvn_cdf(h, k, -1 + 1e-12)) == pytest.approx(ndtr(h) - ndtr(-k), abs=1e-6)


def test_independent_variables_factorise():
    h = np.array([0.4, -1.1, 2.0, 0.0])
    for n in (1, 2, 3, 4):
        assert _core.mvn_cdf(h[:n], np.eye(n)) == pytest.approx(np.prod(stats.norm.cdf(h[:n])), abs=1e-15)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="n <= 4"):
        _core.mvn_cdf(np.zeros(5), np.eye(5))

"""The overlap engine's C++ parts through ``_core``: the chi-square sampler, the two
re-triangularisations, the factor and its checks, the random streams (determinism across thread
counts and chunkings), and the refusals (docs/engines.md)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from onlinesgd import Config, _core, set_max_threads
from scipy import stats


@pytest.fixture
def restore_threads():
    threads = _core.max_threads()
    yield
    set_max_threads(threads)


def chain(config: Config, method: str = "auto") -> _core.OverlapChain:
    c = _core.OverlapChain(config.to_core())
    c.method = method
    return c


# ---------------------------------------------------------------- the chi-square sampler
@pytest.mark.parametrize("dof", [1.0, 1.5, 2.0, 7.0, 16.0, 1000.0])
def test_chi_square_draws_follow_scipy(dof):
    # 2e4 draws, KS against scipy's chi-square cdf. dof 1 and 1.5 take the shape < 1 boost
    # (Gamma(a) = Gamma(a + 1) U^(1/a)). A seeded draw: the p-values are fixed numbers, the bound
    # 1e-3 only says no sampler error is visible at this size (KS resolves ~1 % in the cdf).
    x = _core.chi_square_draws(seed=11, dof=dof, n=20_000)
    assert stats.kstest(x, stats.chi2(dof).cdf).pvalue > 1e-3


@pytest.mark.parametrize("dof", [1e6, 1e12])
def test_chi_square_at_huge_degrees_of_freedom_is_exact_not_a_normal(dof):
    # The chain draws chi-square(N - d) with N up to 1e12: standardised, it must follow scipy's
    # chi-square (its skewness sqrt(8 / dof) is invisible here, so this also checks that the
    # acceptance test loses no precision at shape 5e11: the series in log1p_minus).
    x = _core.chi_square_draws(seed=5, dof=dof, n=20_000)
    z = (x - dof) / np.sqrt(2 * dof)
    assert stats.kstest(z, stats.norm.cdf).pvalue > 1e-3
    assert abs(np.mean(x) / dof - 1) < 5 * np.sqrt(2 / dof / len(x))


def test_chi_square_draws_are_seeded():
    a, b = _core.chi_square_draws(1, 3.0, 100), _core.chi_square_draws(1, 3.0, 100)
    assert np.array_equal(a, b) and not np.array_equal(a, _core.chi_square_draws(2, 3.0, 100))
    with pytest.raises(ValueError, match="dof"):
        _core.chi_square_draws(1, 0.0, 10)


# ---------------------------------------------------------------- the factor
def test_initial_factor_is_lower_triangular_with_the_weights_engine_law():
    # Random initialisation: T ~ Wishart(N, I) / N, Q ~ init_std^2 Wishart / N, R their cross
    # term: mean of T_00 is 1, its variance 2 / N; R_00 has mean 0, variance init_std^2 / N.
    N, n = 50, 4000
    T00, R00, Q00 = [], [], []
    for seed in range(n):
        c = chain(Config(N=N, K=2, M=2, init_std=0.5, seed=seed))
        U = c.factor
        assert np.array_equal(U, np.tril(U)) and np.all(np.diag(U) >= 0)
        Q, R, T, _, _ = c.overlaps()
        T00.append(T[0, 0]), R00.append(R[0, 0]), Q00.append(Q[1, 1])
    # N T_00 ~ chi-square(N), N Q_11 / init_std^2 ~ chi-square(N), sqrt(N) R_00 / init_std ~ a
    # normal-variance mixture of mean 0 and variance 1: KS on the first two, moments on the third
    assert stats.kstest(N * np.array(T00), stats.chi2(N).cdf).pvalue > 1e-3
    assert stats.kstest(N * np.array(Q00) / 0.25, stats.chi2(N).cdf).pvalue > 1e-3
    r = np.sqrt(N) * np.array(R00) / 0.5
    assert abs(r.mean()) < 5 / np.sqrt(n) and abs(r.var() - 1) < 5 * np.sqrt(2 / n)


def test_huge_n_starts_at_once():
    tic = time.perf_counter()
    c = chain(Config(N=10**12, K=100, M=2))
    assert time.perf_counter() - tic < 0.5  # no N-sized vector anywhere
    Q, _, T, _, _ = c.overlaps()
    assert np.allclose(Q, np.eye(100), atol=1e-4) and np.allclose(T, np.eye(2), atol=1e-4)
    assert c.advance(1000) == 1000


def test_centring_rows_copy_the_initial_student():
    c = chain(Config(N=100, K=3, M=2, centred=True, scaling="geiger", alpha=2.0))
    Q, R, T, v, v_star = c.overlaps()
    assert c.dim == 3 + 5 and np.allclose(R[:, 2:], Q) and np.allclose(T[2:, 2:], Q)
    assert np.allclose(v_star[2:], v)


def test_set_overlaps_takes_rank_deficient_and_refuses_non_psd():
    c = chain(Config(N=100, K=2, M=2))
    Q = np.array([[1.0, 0.3], [0.3, 0.8]])
    c.set_overlaps(Q, Q, Q)  # student equal to its teacher: rank 2 of 4
    got = c.overlaps()
    for a in got[:3]:
        assert np.allclose(a, Q, atol=1e-12)
    assert np.array_equal(c.factor, np.tril(c.factor))
    c.advance(100)  # and it steps on
    with pytest.raises(ValueError, match="positive semi-definite"):
        c.set_overlaps(Q, 1.5 * Q, Q)
    with pytest.raises(ValueError, match="symmetric"):
        c.set_overlaps(np.array([[1.0, 0.3], [0.2, 1.0]]), Q, Q)
    with pytest.raises(ValueError, match="R must be K x teacher rows"):
        c.set_overlaps(Q, np.ones((2, 3)), Q)
    with pytest.raises(ValueError, match="factor must be lower triangular"):
        c.factor = np.ones((4, 4))


# ---------------------------------------------------------------- one step, two methods
@pytest.mark.parametrize(
    "config",
    [
        Config(N=50, K=5, M=3, lr=0.5, batch=3, noise=0.1, lr_v=0.2),
        Config(N=300, K=9, M=2, lr=0.5, centred=True, scaling="geiger", alpha=2.0, weight_decay=0.1),
        Config(N=6, K=2, M=1, lr=0.5, batch=5),  # N - d = 3 < batch: a trapezoidal Bartlett factor
        Config(N=40, K=3, M=2, lr=0.5, feedback="fa", lr_v=0.3, activation="relu"),
    ],
    ids=["batch3-noise-head", "centred-decay", "batch-beyond-room", "fa-relu"],
)
def test_givens_and_householder_give_the_same_chain(config):
    # The lower-triangular factor with a non-negative diagonal is unique for a full-rank Gram
    # matrix, so both methods must give the same factor up to rounding, step after step (the
    # draws do not depend on the method). 2000 steps: rounding stays ~1e-14.
    a, b = chain(config, "householder"), chain(config, "givens")
    assert a.advance(2000) == b.advance(2000) == 2000
    assert np.max(np.abs(a.factor - b.factor)) < 1e-10
    assert abs(a.generalisation_error() - b.generalisation_error()) < 1e-10


def test_one_step_is_the_weights_update_in_overlaps():
    # From a known state, one batch-1 step changes R by (eta / N) c nu and Q by
    # (eta / N)(c lambda^T + lambda c^T) + (eta / N)^2 c c^T |x|^2 (docs/engines.md): check the
    # exact identities that need no draw, R's change lies along the teacher fields' direction and
    # T stays put, and the step does change Q and R.
    c = chain(Config(N=30, K=2, M=2, lr=0.7))
    before = c.overlaps()
    c.advance(1)
    after = c.overlaps()
    assert np.array_equal(before[2], after[2]) or np.allclose(before[2], after[2], atol=1e-15)
    assert not np.allclose(before[0], after[0]) and not np.allclose(before[1], after[1])
    dR = after[1] - before[1]
    assert np.linalg.matrix_rank(dR, tol=1e-12) == 1  # (eta / N) c nu^T: rank one


# ---------------------------------------------------------------- streams and threads
def test_chunks_and_thread_counts_give_the_same_bits(restore_threads):
    config = Config(N=40, K=3, M=2, lr=0.5, batch=2, noise=0.2, temperature=0.1, weight_decay=0.2)
    whole = [chain(config.replace(seed=s)) for s in range(5)]
    set_max_threads(1)
    _core.advance_replicas(whole, 997)
    set_max_threads(2)
    parts = [chain(config.replace(seed=s)) for s in range(5)]
    for n in (1, 500, 3, 493):  # 997 in uneven chunks: the streams are keyed by the step count
        _core.advance_replicas(parts, n)
    for a, b in zip(whole, parts):
        assert a.steps == b.steps == 997
        assert np.array_equal(a.factor, b.factor) and np.array_equal(a.v, b.v)


def test_restoring_factor_heads_and_steps_continues_bit_for_bit():
    config = Config(N=60, K=2, M=2, lr=0.5, lr_v=0.3, batch=3, noise=0.3)
    a = chain(config)
    a.advance(321)
    b = chain(config.replace())
    b.factor, b.steps = a.factor, a.steps
    b.set_heads(a.v, a.v_star)
    a.advance(400), b.advance(400)
    assert np.array_equal(a.factor, b.factor) and np.array_equal(a.v, b.v)


def test_normals_per_step_counts_every_draw():
    # d (K + teacher rows) per sample, its label noise, the Bartlett factor (m first attempts of
    # the chi-square draws and the sub-diagonal normals), and K d for Langevin noise coordinates
    d = 2 + 2
    assert chain(Config(N=100)).normals_per_step == d + 1
    assert chain(Config(N=100, batch=3, noise=0.1)).normals_per_step == 3 * (d + 1) + 3 + 3
    assert chain(Config(N=100, temperature=0.1)).normals_per_step == d + 3 + 3 + 2 * d


def test_divergence_stops_the_chain():
    c = chain(Config(N=20, K=2, M=2, lr=500.0, activation="linear"))
    done = c.advance(10_000)
    assert done < 10_000 and c.diverged and c.advance(10) == 0


# ---------------------------------------------------------------- refusals
def test_refuses_what_it_cannot_run_exactly():
    with pytest.raises(ValueError, match=r"engine 'overlaps' cannot run inputs='rademacher'.*rotation invariant"):
        _core.OverlapChain(Config(inputs="rademacher").to_core())
    with pytest.raises(ValueError, match="engine 'overlaps' runs in float64 only"):
        _core.OverlapChain(Config(precision="float32").to_core())
    with pytest.raises(ValueError, match="N = 3 is below K \\+ teacher rows = 4"):
        _core.OverlapChain(Config(N=3).to_core())
    with pytest.raises(ValueError, match="method must be"):
        chain(Config(N=10), "qr")

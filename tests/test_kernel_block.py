"""The fused block kernel, one column block at a time: every compiled target gives the same bits,
and the float64 sums are exactly the documented ones (32 lanes of fma in column order, reduced
in a fixed tree), checked against an exact rational-arithmetic reference. A block applies
`updates` pending updates and draws `draws` inputs: a minibatch step has updates = draws = batch,
a pair of online steps two updates and two draws with the cross product of the drawn inputs."""

from fractions import Fraction

import numpy as np
import pytest
from onlinesgd import _core

KERNEL_LANES = 32


def fma(a: float, b: float, c: float) -> float:
    """a * b + c rounded once (int / int division in Python rounds correctly)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def kernel_sum(w: np.ndarray, x: np.ndarray) -> float:
    """The kernel's w . x in float64: lane l sums columns l, l + 32, ... by fma, then the lanes
    are added in a tree (upper half onto lower half, 16, 8, 4, 2, 1)."""
    lanes = [0.0] * KERNEL_LANES
    for j in range(len(w)):
        lanes[j % KERNEL_LANES] = fma(float(w[j]), float(x[j]), lanes[j % KERNEL_LANES])
    s = KERNEL_LANES // 2
    while s:
        for lane in range(s):
            lanes[lane] += lanes[lane + s]
        s //= 2
    return lanes[0]


def run_block(K, n, updates, draws, float32, rademacher, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((K, n))
    x_cur = rng.standard_normal((updates, n))
    coef = rng.standard_normal((updates, K)) * 0.1
    if float32:  # values the kernel can hold exactly
        W, x_cur, coef = (a.astype(np.float32).astype(np.float64) for a in (W, x_cur, coef))
    keys = [int(k) for k in rng.integers(0, 2**63, size=draws)]
    return (W, x_cur, coef), _core.kernel_block(W, x_cur, coef, keys, float32=float32, rademacher=rademacher)


# (K, n, updates, draws): rows in pairs and a single one, short blocks and blocks that are not a
# multiple of 32 columns; pairs of online steps (1 or 2 updates, 2 draws, or updates alone) and
# minibatches (updates = draws = batch)
SHAPES = [
    (1, 1024, 1, 1),
    (2, 1024, 1, 1),
    (3, 1000, 1, 1),
    (5, 77, 1, 1),
    (3, 1000, 2, 2),
    (2, 130, 3, 3),
    (2, 1024, 2, 2),
    (3, 999, 1, 2),
    (3, 77, 0, 2),
    (2, 1000, 2, 0),
    (1, 45, 0, 1),
]


@pytest.mark.parametrize("float32", [False, True], ids=["float64", "float32"])
@pytest.mark.parametrize("rademacher", [False, True], ids=["gaussian", "rademacher"])
@pytest.mark.parametrize("K,n,updates,draws", SHAPES)
def test_block_identical_on_every_target(K, n, updates, draws, float32, rademacher, restore_target):
    targets = [t for t in _core.kernel_targets() if _core.kernel_supported(t)]
    results = {}
    for target in targets:
        assert _core.select_kernel(target)
        results[target] = run_block(K, n, updates, draws, float32, rademacher)[1]
    first = results[targets[0]]
    assert (first[3] is None) == (draws != 2)
    for target in targets[1:]:
        for got, want, name in zip(results[target], first, ("W", "x_next", "partial", "cross")):
            np.testing.assert_array_equal(
                np.asarray(got, dtype=float), np.asarray(want, dtype=float), err_msg=f"{target}: {name}"
            )


@pytest.mark.parametrize("K,n,updates,draws", SHAPES)
def test_float64_block_is_exactly_the_documented_arithmetic(K, n, updates, draws):
    (W, x_cur, coef), (W_out, x_next, partial, cross) = run_block(
        K, n, updates, draws, float32=False, rademacher=False, seed=1
    )
    W_ref = W.copy()
    for u in range(updates):  # one update after another, one rounding per element each
        for k in range(K):
            W_ref[k] = [fma(coef[u, k], x, w) for x, w in zip(x_cur[u], W_ref[k])]
    np.testing.assert_array_equal(W_out, W_ref)
    if draws:
        # the drawn inputs are standard normals: 0.25 is 2.5 standard errors of the std of 45 draws
        assert np.all(np.isfinite(x_next)) and abs(x_next.std() - 1.0) < 0.25
    for d in range(draws):
        for k in range(K):
            assert partial[d, k] == kernel_sum(W_ref[k], x_next[d])
    if draws == 2:
        assert cross == kernel_sum(x_next[0], x_next[1])


def test_float32_block_sums_agree_with_numpy():
    (W, x_cur, coef), (W_out, x_next, partial, cross) = run_block(3, 1000, 2, 2, float32=True, rademacher=False, seed=2)
    W_ref = W.astype(np.float32)
    for u in range(2):
        W_ref = W_ref + coef[u][:, None].astype(np.float32) * x_cur[u].astype(np.float32)
    # NumPy rounds product and sum separately, the kernel once (fma): a few float ulps (6e-8)
    np.testing.assert_allclose(W_out, W_ref, rtol=1e-6, atol=1e-6)
    # float lanes of at most 32 terms, added in double: ~1e-7 relative to the sum's scale
    ref = x_next @ W_out.T
    scale = np.abs(x_next) @ np.abs(W_out).T
    assert np.all(np.abs(partial - ref) <= 1e-6 * scale)
    assert abs(cross - x_next[0] @ x_next[1]) <= 1e-6 * (np.abs(x_next[0]) @ np.abs(x_next[1]))


@pytest.mark.parametrize("bad", ["columns", "coef", "x_cur"])
def test_block_rejects_bad_shapes(bad):
    W, x, coef, keys = np.zeros((2, 64)), np.zeros((1, 64)), np.zeros((1, 2)), [1]
    if bad == "columns":
        W, x = np.zeros((2, 2000)), np.zeros((1, 2000))
    elif bad == "coef":
        coef = np.zeros((1, 3))
    else:
        x = np.zeros((2, 64))
    with pytest.raises(ValueError):
        _core.kernel_block(W, x, coef, keys)

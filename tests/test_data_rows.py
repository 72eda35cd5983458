"""Runs on the user's own rows (python/onlinesgd/rows.py, cpp/src/row_stepper.cpp): steps
against the NumPy reference, memmaps, thread counts, the ODE on Gaussian rows, the test error and
every refusal."""

import numpy as np
import onlinesgd
import pytest
import reference_numpy as ref
from onlinesgd import _core


def _reference(c, W, v, B, v_star, X, y=None):
    """W, v after stepping the NumPy reference through X (batch rows per step), with labels y
    or the teacher's (noiseless)."""
    for s in range(X.shape[0] // c.batch):
        rows = X[s * c.batch : (s + 1) * c.batch].astype(np.float64)
        if y is None:
            W, v = ref.sgd_step(
                W, v, B, v_star, rows, np.zeros(c.batch), lr=c.lr, lr_v=c.lr_v, noise=0.0,
                g_student=c.activation, g_teacher=c.teacher_g, weight_decay=c.weight_decay,
            )  # fmt: skip
        else:  # a given label is a linear teacher of zero weights plus "noise" y
            labels = y[s * c.batch : (s + 1) * c.batch]
            W, v = ref.sgd_step(
                W, v, np.zeros((1, c.N)), np.zeros(1), rows, labels, lr=c.lr, lr_v=c.lr_v, noise=1.0,
                g_student=c.activation, g_teacher="linear", weight_decay=c.weight_decay,
            )  # fmt: skip
    return W, v


@pytest.mark.parametrize("labelled", [False, True])
@pytest.mark.parametrize("batch", [1, 3])
def test_steps_match_numpy_reference(labelled, batch):
    c = onlinesgd.Config(N=300, K=3, M=2, lr=0.7, lr_v=0.4, weight_decay=0.1, batch=batch, seed=5)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((600, c.N)) * 1.3 + 0.2  # not Gaussian-standard: any rows will do
    y = np.sign(rng.standard_normal(600)) if labelled else None
    sim = onlinesgd.Simulator(c, inputs=X, labels=y)
    W0, v0, B, v_star = sim.W, sim.v, sim.B, sim.v_star
    sim.run(times=[0, 600 / c.N], progress=False)
    W, v = _reference(c, W0, v0, B, v_star, X, y)
    # the same operations in another order: rounding only (1e-12 relative after 600 steps)
    np.testing.assert_allclose(sim.W, W, rtol=0, atol=1e-11)
    np.testing.assert_allclose(sim.v, v, rtol=0, atol=1e-12)


def test_memmap_float32_gives_same_bits_as_array(tmp_path):
    c = onlinesgd.Config(N=200, K=2, lr=0.5, lr_v=0.5, precision="float32", seed=2)
    X = np.random.default_rng(3).standard_normal((1000, c.N)).astype(np.float32)
    path = tmp_path / "rows.f32"
    X.tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    a = onlinesgd.simulate(c, times=[0, 2, 4], inputs=X, progress=False)
    b = onlinesgd.simulate(c, times=[0, 2, 4], inputs=mm, progress=False)
    assert np.array_equal(a.Q, b.Q) and np.array_equal(a.R, b.R) and np.array_equal(a.v, b.v)


@pytest.mark.parametrize("batch", [1, 4])  # the fused online loop, and the reference step
def test_same_bits_for_any_thread_count_and_any_cut(batch):
    c = onlinesgd.Config(N=400, K=2, lr=0.5, lr_v=0.3, batch=batch, noise=0.3, weight_decay=0.2, seed=4)
    X = np.random.default_rng(5).standard_normal((4000 * batch, c.N))
    threads = _core.max_threads()
    try:
        _core.set_max_threads(1)
        one = onlinesgd.simulate(c, times=[0, 5, 10], inputs=X, progress=False)
        _core.set_max_threads(max(2, threads))
        two = onlinesgd.simulate(c, times=[0, 5, 10], inputs=X, progress=False)
    finally:
        _core.set_max_threads(threads)
    sim = onlinesgd.Simulator(c, inputs=X)
    sim.run(times=[0, 1.3], progress=False)
    pieces = sim.run(times=[10], progress=False)
    assert np.array_equal(one.Q, two.Q) and np.array_equal(one.R, two.R)
    assert np.array_equal(pieces.Q[-1], one.Q[-1]) and np.array_equal(pieces.v[-1], one.v[-1])


def test_gaussian_rows_follow_the_ode():
    # Gaussian rows given as an array are the model of the ODE: the deviation is finite-N
    # fluctuation, O(1/sqrt(N)); at N = 1000 the largest over t <= 4 is ~0.01 (0.04 allows 4x)
    c = onlinesgd.Config(N=1000, K=2, M=2, lr=0.5, seed=7)
    X = np.random.default_rng(8).standard_normal((4000, c.N))
    sim = onlinesgd.simulate(c, times=np.linspace(0, 4, 9), inputs=X, progress=False)
    theory = onlinesgd.ode(c, sim, times=sim.times, progress=False)
    assert np.max(np.abs(sim.eg - theory.eg)) < 0.04
    assert np.max(np.abs(sim.R - theory.R)) < 0.1


def test_test_error_is_recorded():
    c = onlinesgd.Config(N=100, K=2, lr=0.5, seed=1)
    rng = np.random.default_rng(2)
    X, Xt = rng.standard_normal((500, c.N)), rng.standard_normal((300, c.N))
    y, yt = rng.standard_normal(500), rng.standard_normal(300)
    sim = onlinesgd.Simulator(c, inputs=X, labels=y, test_inputs=Xt, test_labels=yt)
    tr = sim.run(times=[0, 5], progress=False)
    phi = ref.g("erf", Xt @ sim.W.T / 10) @ sim.v
    assert tr.extra["test_error"][-1] == pytest.approx(0.5 * np.mean((phi - yt) ** 2), rel=1e-12)
    # without labels the teacher labels the test set too: its error is a Monte Carlo eg
    teacher = onlinesgd.simulate(c, times=[0, 5], inputs=X, test_inputs=Xt, progress=False)
    assert np.isfinite(teacher.extra["test_error"]).all()
    plain = onlinesgd.simulate(c, times=[0, 1], progress=False)
    assert np.isnan(plain.extra["test_error"]).all() and plain.extra["M"].shape == (2, 2, 0)


def test_saved_trajectory_keeps_the_test_error(tmp_path):
    c = onlinesgd.Config(N=100, K=2, seed=1)
    X = np.random.default_rng(2).standard_normal((300, c.N))
    tr = onlinesgd.simulate(c, times=[0, 1, 2], inputs=X, test_inputs=X[:50], progress=False)
    back = onlinesgd.load(tr.save(tmp_path / "run.npz"))
    np.testing.assert_array_equal(back.extra["test_error"], tr.extra["test_error"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"inputs": np.zeros((10, 99))}, "inputs must have shape"),
        ({"inputs": np.zeros((10, 100), dtype=np.int64)}, "dtype float32 or float64"),
        ({"inputs": [[0.0] * 100]}, "NumPy array"),
        ({"inputs": np.full((10, 100), np.nan)}, "row 0 holds a NaN"),
        ({"inputs": np.zeros((10, 100)), "labels": np.zeros(9)}, "labels must hold one label per row"),
        ({"inputs": np.zeros((10, 100)), "labels": np.full(10, np.inf)}, "labels must be finite"),
        ({"inputs": np.zeros((10, 100))}, "needs 100 "),
        ({"labels": np.zeros(10)}, "give inputs too"),
        ({"inputs": np.zeros((100, 100)), "test_labels": np.zeros(3)}, "test_labels: give test_inputs"),
        ({"inputs": np.zeros((100, 100)), "labels": np.zeros(100), "test_inputs": np.zeros((3, 100))}, "test_labels"),
        ({"inputs": np.zeros((100, 100)), "engine": "overlaps"}, "not rotation invariant"),
        ({"inputs": np.zeros((100, 100)), "replicas": 2}, "without replicas"),
    ],
)
def test_bad_data_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        onlinesgd.simulate(onlinesgd.Config(N=100), t_max=1.0, progress=False, **kwargs)


def test_rows_simulator_draws_nothing():
    sim = onlinesgd.Simulator(onlinesgd.Config(N=50), inputs=np.zeros((50, 50)))
    assert not sim._sim.in_teacher_frame
    with pytest.raises(ValueError, match="given, not drawn"):
        sim.input(0)

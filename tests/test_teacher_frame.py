"""The teacher frame: Gaussian runs keep the student in an orthonormal basis whose first M axes
span the teacher's rows (cpp/include/onlinesgd/teacher_frame.hpp). Everything read, set or
stepped on in the input basis must look as if there were no frame."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import _core

STUDENT, TEACHER = 2, 1  # random streams (rng.hpp)


def atol(precision):
    return 1e-13 if precision == "float64" else 1e-6


def test_frame_only_for_gaussian_inputs_and_m_below_n():
    assert onlinesgd.Simulator(onlinesgd.Config(N=500))._sim.in_teacher_frame
    assert not onlinesgd.Simulator(onlinesgd.Config(N=500, inputs="rademacher"))._sim.in_teacher_frame
    assert not onlinesgd.Simulator(onlinesgd.Config(N=3, K=2, M=3))._sim.in_teacher_frame


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_weights_read_back_in_the_input_basis(precision):
    cfg = onlinesgd.Config(N=4000, K=3, M=2, init_std=0.5, seed=5, precision=precision)
    sim = onlinesgd.Simulator(cfg)
    W = 0.5 * np.stack([_core.normal_row(5, STUDENT, k, 4000) for k in range(3)])
    B = np.stack([_core.normal_row(5, TEACHER, m, 4000) for m in range(2)])
    if precision == "float32":
        B = B.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(sim.W, W, rtol=0, atol=atol(precision))
    np.testing.assert_array_equal(sim.B, B)
    # the stored rows are rotated: same norms, different entries
    stored = sim._sim.W_stored
    np.testing.assert_allclose(np.linalg.norm(stored, axis=1), np.linalg.norm(W, axis=1), rtol=1e-6)
    assert np.abs(stored - W).max() > 0.1


def test_the_teacher_spans_the_first_m_axes():
    # a student equal to the teacher is stored as B O = [L 0] with L lower triangular
    cfg = onlinesgd.Config(N=3000, K=3, M=3, seed=8)
    sim = onlinesgd.Simulator(cfg)
    sim = onlinesgd.Simulator(cfg, W=sim.B)
    stored = sim._sim.W_stored
    assert np.abs(stored[:, 3:]).max() < 1e-12
    assert np.abs(np.triu(stored[:, :3], 1)).max() < 1e-12
    np.testing.assert_allclose(stored[:, :3] @ stored[:, :3].T, sim.B @ sim.B.T, rtol=1e-12)


@pytest.mark.parametrize("inputs", ["gaussian", "rademacher"])
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_overlaps_equal_those_of_the_weights_read_back(precision, inputs):
    # N = 5001: rows stored padded to whole cache lines; only the first N columns count
    cfg = onlinesgd.Config(N=5001, K=4, M=3, lr=0.7, seed=2, precision=precision, inputs=inputs)
    sim = onlinesgd.Simulator(cfg)
    sim._sim.advance(2000)
    W, B, o = sim.W, sim.B, sim.overlaps()
    tol = 1e-13 if precision == "float64" else 1e-6
    np.testing.assert_allclose(o["Q"], W @ W.T / cfg.N, rtol=0, atol=tol)
    np.testing.assert_allclose(o["R"], W @ B.T / cfg.N, rtol=0, atol=tol)
    np.testing.assert_allclose(o["T"], B @ B.T / cfg.N, rtol=0, atol=1e-13)


def test_moving_teacher_keeps_the_student_and_steps_on_exactly():
    cfg = onlinesgd.Config(N=3000, K=2, M=2, lr=0.6, lr_v=0.2, seed=4)
    sim = onlinesgd.Simulator(cfg)
    sim._sim.advance(100)
    W, v = sim.W, sim.v
    B2 = np.random.default_rng(0).standard_normal((2, cfg.N))
    sim._sim.set_teacher(B2, np.array([1.0, -0.5]))
    np.testing.assert_allclose(sim.W, W, rtol=0, atol=1e-13)
    np.testing.assert_allclose(sim.overlaps()["R"], W @ B2.T / cfg.N, rtol=0, atol=1e-13)
    # the next steps, drawn in the new frame, are the exact steps on the inputs rotated back
    exact = onlinesgd.Simulator(cfg, W=W, v=v, B=B2, v_star=np.array([1.0, -0.5]))
    for s in range(100, 130):
        exact._sim.step_on(sim.input(s)[None, :], np.zeros(1))
    sim._sim.advance(30)
    np.testing.assert_allclose(sim.W, exact.W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sim.v, exact.v, rtol=0, atol=1e-12)


def test_inputs_read_back_are_standard_normal_in_the_teachers_directions():
    # sim.input(s) = O x' must be N(0, I): the teacher's fields B x / sqrt(N) then have covariance
    # T. (Any orthonormal O passes this; that O is the frame the steps use is checked by the
    # fused-versus-exact step tests on sim.input.)
    cfg = onlinesgd.Config(N=2000, K=1, M=2, seed=9)
    sim = onlinesgd.Simulator(cfg)
    B = sim.B
    X = np.stack([sim.input(s) for s in range(4000)])
    nu = X @ B.T / np.sqrt(cfg.N)
    T = B @ B.T / cfg.N
    se = np.sqrt((T**2 + np.outer(np.diag(T), np.diag(T))) / len(X))
    assert np.all(np.abs(np.cov(nu.T, bias=True) - T) < 5 * se)
    assert abs(X.var() - 1) < 6 * np.sqrt(2 / X.size)


def test_stored_weights_shape_is_checked():
    sim = onlinesgd.Simulator(onlinesgd.Config(N=100, K=2))
    with pytest.raises(ValueError, match="W_stored"):
        sim._sim.W_stored = np.zeros((2, 99))
    with pytest.raises(ValueError, match="sample"):
        sim.input(-1)

"""Recorded overlaps and the generalisation error against independent NumPy computations."""

import warnings

import numpy as np
import onlinesgd
import pytest
from onlinesgd import _core
from reference_numpy import eg_monte_carlo, g, overlaps
from scipy import integrate


def test_recorded_overlaps_equal_numpy_recomputation():
    cfg = onlinesgd.Config(N=500, K=3, M=2, lr=0.5, lr_v=0.2, seed=4)
    sim = onlinesgd.Simulator(cfg)
    traj = sim.run(t_max=1.0)
    ref = overlaps(sim.W, sim.v, sim.B, sim.v_star)
    for name in ("Q", "R", "T", "v", "v_star"):
        # the last record is the current state; same sums in another order: 1e-13
        np.testing.assert_allclose(getattr(traj, name)[-1], ref[name], rtol=1e-13, atol=1e-14)
    assert traj.times[-1] == pytest.approx(1.0)
    # T = B B^T / N is close to the identity for Gaussian teacher rows (fluctuations ~ 1/sqrt(N))
    np.testing.assert_allclose(traj.T[0], np.eye(2), atol=6 / np.sqrt(cfg.N))


@pytest.mark.parametrize(
    "act,teacher_act",
    [
        ("erf", None),
        ("relu", None),
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("erf", "relu"),
        ("tanh", "linear"),
    ],
)
def test_eg_matches_monte_carlo(act, teacher_act):
    cfg = onlinesgd.Config(
        N=200, K=3, M=2, activation=act, teacher_activation=teacher_act, lr=0.3, seed=2, init_std=0.8, v_init=0.6
    )
    sim = onlinesgd.Simulator(cfg)
    sim.run(t_max=0.5)
    mean, se = eg_monte_carlo(
        sim.W, sim.v, sim.B, sim.v_star, cfg.student_g, cfg.teacher_g, 400_000, np.random.default_rng(3)
    )
    # 5 standard errors: a false alarm has probability ~6e-7 per case
    assert abs(sim.eg() - mean) < 5 * se, (sim.eg(), mean, se)
    assert se < 0.01 * mean  # the estimate is sharp enough to mean something


def i2_scipy(ga, gb, caa, cbb, cab):
    """Adaptive quadrature in the (a, b) plane, split into quadrants so the ReLU kinks at
    a = 0 and b = 0 lie on region edges (quadpack loses accuracy on a kink inside a region)."""
    P = np.linalg.inv(np.array([[caa, cab], [cab, cbb]]))
    norm = 1.0 / (2 * np.pi * np.sqrt(caa * cbb - cab * cab))

    def f(b, a):
        quad_form = P[0, 0] * a * a + 2 * P[0, 1] * a * b + P[1, 1] * b * b
        return g(ga, a) * g(gb, b) * norm * np.exp(-0.5 * quad_form)

    la, lb = 11 * np.sqrt(caa), 11 * np.sqrt(cbb)
    total = 0.0
    with warnings.catch_warnings():  # quadpack's round-off notes at its tolerance floor
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for a0, a1 in ((-la, 0.0), (0.0, la)):
            for b0, b1 in ((-lb, 0.0), (0.0, lb)):
                total += integrate.dblquad(f, a0, a1, b0, b1, epsabs=1e-12, epsrel=1e-11)[0]
    return total


@pytest.mark.parametrize("ga,gb", [(a, b) for a in onlinesgd.ACTIVATIONS for b in onlinesgd.ACTIVATIONS])
def test_i2_all_pairs_against_adaptive_quadrature(ga, gb):
    rng = np.random.default_rng(abs(hash((ga, gb))) % 2**32)
    for _ in range(3):
        A = rng.standard_normal((2, 2))
        C = A @ A.T + 0.05 * np.eye(2)
        ref = i2_scipy(ga, gb, C[0, 0], C[1, 1], C[0, 1])
        ours = _core.i2(ga, gb, C[0, 0], C[1, 1], C[0, 1])
        # closed forms and smooth quadrature: 1e-9; a ReLU kink inside 1-D Gauss-Hermite
        # (ReLU paired with a smooth g) is handled by conditioning and reaches ~1e-9 as well
        assert ours == pytest.approx(ref, abs=1e-8, rel=1e-8), (ga, gb, C)

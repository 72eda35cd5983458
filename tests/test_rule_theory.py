"""The learning rules against their ODE theory (docs/theory.md §5-§8): simulations approach the
ODE like 1/sqrt(N), the align-then-memorise signature of feedback alignment, the batch rule with
decay and noise, and gradient flow as minus the metric times the gradient of eg."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import observables

ORDER = ("Q", "R", "v")


def deviation(cfg, seeds, t_max, v0=None, every=0.5):
    """RMS over seeds and times of the largest deviation of Q, R, v between each seed's
    simulation and the ODE started from that simulation's own t = 0 overlaps."""
    times = np.arange(0, t_max + 1e-9, every)
    worst = []
    for seed in seeds:
        c = cfg.replace(seed=seed)
        sim = onlinesgd.simulate(c, times=times, v=v0, progress=False)
        ode = onlinesgd.ode(c, sim, times=sim.times, progress=False)
        worst.append(
            [max(np.abs(getattr(sim, k)[i] - getattr(ode, k)[i]).max() for k in ORDER) for i in range(len(times))]
        )
    return float(np.sqrt(np.mean(np.square(worst))))


FA = onlinesgd.Config(K=3, M=2, lr=1.0, lr_v=1.0, init_std=0.5, feedback="fa", feedback_vector=(1.2, -0.7, 0.4))
V0 = np.array([-0.3, 0.4, 0.2])  # cos(v(0), b) = -0.72 (docs/theory.md §6)


def test_feedback_alignment_simulation_approaches_the_ode_like_one_over_sqrt_n():
    # N = 500 -> 8000 predicts a fall by 4; the check of docs/theory.md measured 3.96. Seeded, so
    # the numbers are fixed; 2.5 leaves room for the few seeds of this run and still fails for a
    # wrong prefactor, whose deviation does not fall with N (see the control).
    # (12 and 6 seeds here: 0.0304 -> 0.0094, a fall by 3.2)
    small = deviation(FA.replace(N=500), range(12), 10.0, V0)
    large = deviation(FA.replace(N=8000), range(6), 10.0, V0)
    assert small / large > 2.5, (small, large)
    assert large < 0.02
    # control: the ODE with backprop's prefactor (v in place of b) misses the FA simulation
    wrong = onlinesgd.simulate(FA.replace(N=8000, seed=0), times=[0, 2, 4], v=V0, progress=False)
    bp_ode = onlinesgd.ode(
        FA.replace(N=8000, feedback="backprop", feedback_vector=None), wrong, times=wrong.times, progress=False
    )
    assert np.abs(wrong.R[-1] - bp_ode.R[-1]).max() > 10 * large


def test_align_then_memorise():
    cfg = FA.replace(N=8000, seed=2)
    times = np.array([0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10])
    sim = onlinesgd.simulate(cfg, times=times, v=V0, progress=False)
    theory = onlinesgd.ode(cfg, sim, times=times, progress=False)
    bp = onlinesgd.ode(cfg.replace(feedback="backprop", feedback_vector=None), sim, times=times, progress=False)
    for traj in (sim, theory):
        cos = observables.alignment(traj)
        assert cos[0] == pytest.approx(-0.72, abs=0.01)
        assert traj.eg[1:4].max() > traj.eg[0] + 0.03  # eg first rises while v turns towards b...
        assert cos[-1] > 0.8 and traj.eg[-1] < 0.05  # ...then v is aligned and eg falls
    # backprop from the same start never aligns with b (it does not know b)
    cos_bp = bp.v @ np.array(cfg.feedback_vector) / (np.linalg.norm(bp.v, axis=1) * np.linalg.norm(cfg.feedback_vector))
    assert cos_bp.max() < -0.6
    # the gradient alignment follows cos(v, b) (docs/theory.md §6: 0.80 against 0.79 once aligned)
    grad = observables.gradient_alignment(theory)
    assert grad[0] < 0 and grad[-1] > 0.8


LANGEVIN = onlinesgd.Config(K=2, M=2, lr=0.5, lr_v=0.5, noise=0.1, weight_decay=0.1, temperature=0.05, init_std=0.7)


def test_langevin_and_decay_simulation_approaches_the_ode_like_one_over_sqrt_n():
    v0 = np.array([0.6, 0.4])
    small = deviation(LANGEVIN.replace(N=500), range(8), 10.0, v0)
    large = deviation(LANGEVIN.replace(N=8000), range(3), 10.0, v0)
    assert small / large > 2.5, (small, large)  # 4 predicted, 4.1 measured (0.0404 -> 0.0098)
    # control: the ODE with the heat term off by a factor 2 stays far from the simulation at large N
    sims = onlinesgd.simulate(LANGEVIN.replace(N=8000, seed=0), times=[0, 10], v=v0, progress=False)
    half = onlinesgd.ode(LANGEVIN.replace(N=8000, temperature=0.025), sims, times=sims.times, progress=False)
    assert np.abs(sims.Q[-1] - half.Q[-1]).max() > 5 * large


def test_batch_b_at_eta_is_batch_one_at_eta_over_b_with_every_rule():
    base = dict(
        N=4000,
        K=3,
        M=2,
        lr_v=0.6,
        noise=0.2,
        weight_decay=0.3,
        weight_decay_v=0.2,
        temperature=0.02,
        feedback="fa",
        seed=1,
    )
    b3 = onlinesgd.Config(batch=3, lr=1.5, **base)
    b1 = onlinesgd.Config(batch=1, lr=0.5, **{**base, "lr_v": 0.2})
    times = np.linspace(0, 8, 9)
    sim = onlinesgd.simulate(b3, times=times, progress=False)
    ode3 = onlinesgd.ode(b3, sim, times=times, progress=False)
    ode1 = onlinesgd.ode(b1, sim, times=times, progress=False)
    # the theory: identical right-hand sides, integrated to the integrator's tolerance
    for k in (*ORDER, "eg"):
        np.testing.assert_allclose(getattr(ode3, k), getattr(ode1, k), rtol=0, atol=1e-8)
    # the simulation of batch 3 follows it to its finite-N fluctuations (~1/sqrt(N) = 0.016)
    assert max(np.abs(getattr(sim, k) - getattr(ode1, k)).max() for k in ORDER) < 0.06


def _eg(cfg, Q, R, T, v, vs):
    Qs = 0.5 * (Q + Q.T)  # eg as a function of the unsymmetrised entries
    return onlinesgd._core.model_generalisation_error(cfg.to_core(), Qs, R, T, v, vs)


@pytest.mark.parametrize("act", ["erf", "relu", "tanh"])
def test_gradient_flow_is_minus_metric_times_grad_eg(act):
    cfg = onlinesgd.Config(K=3, M=2, activation=act, lr=0.7, lr_v=0.4)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5, 9))
    C = A @ A.T / 9 + 0.2 * np.eye(5)
    Q, R, T = C[:3, :3], C[:3, 3:], C[3:, 3:]
    v, vs = rng.standard_normal(3), np.array([1.0, 0.7])
    rhs = observables.ode_rhs(cfg, dict(Q=Q, R=R, T=T, v=v, v_star=vs), sgd_noise=False)
    h = 1e-6  # central differences: error ~h^2 ~ 1e-12 against values ~0.1

    def grad(x, f):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[idx] = h
            g[idx] = (f(x + e) - f(x - e)) / (2 * h)
        return g

    gQ = grad(Q, lambda q: _eg(cfg, q, R, T, v, vs))
    gR = grad(R, lambda r: _eg(cfg, Q, r, T, v, vs))
    gv = grad(v, lambda w: _eg(cfg, Q, R, T, w, vs))
    S = gQ + gQ.T
    eta, eta_v = cfg.lr, cfg.lr_v
    np.testing.assert_allclose(rhs["R"], -eta * (gR @ T + S @ R), atol=1e-7)
    M_ = gR @ R.T + S @ Q
    np.testing.assert_allclose(rhs["Q"], -eta * (M_ + M_.T), atol=1e-7)
    np.testing.assert_allclose(rhs["v"], -eta_v * gv, atol=1e-7)


def test_sgd_temperature_is_the_noise_part_of_dq():
    cfg = onlinesgd.Config(K=3, M=2, lr=0.8, noise=0.3, feedback="fa")
    traj = onlinesgd.simulate(cfg.replace(N=2000), times=[0, 1], progress=False)
    o = {k: getattr(traj, k)[1] for k in ("Q", "R", "T", "v", "v_star")}
    full, flow = observables.ode_rhs(cfg, o), observables.ode_rhs(cfg, o, sgd_noise=False)
    temp = observables.sgd_temperature(traj)[1]
    # dQ_SGD - dQ_flow = eta^2 f f [I4 + sigma^2 J2] = 2 eta Temp_SGD (Langevin's 2 eta T delta)
    np.testing.assert_allclose(full["Q"] - flow["Q"], 2 * cfg.lr * temp, rtol=1e-12, atol=1e-14)
    assert np.all(np.diag(temp) > 0)
    np.testing.assert_array_equal(full["R"], flow["R"])

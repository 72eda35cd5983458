"""The C++ step against the independent NumPy reference, on the same inputs, to round-off."""

import numpy as np
import onlinesgd
import pytest
from reference_numpy import sgd_step

ACTS = onlinesgd.ACTIVATIONS
# Double precision round-off after 100 steps of O(N) sums: relative 1e-12 is ~1e4 ulps.
RTOL = 1e-12


def make(act, lr_v=0.0, noise=0.0, batch=1, N=300, K=3, M=2, teacher_act=None, seed=1):
    cfg = onlinesgd.Config(
        N=N,
        K=K,
        M=M,
        activation=act,
        teacher_activation=teacher_act,
        lr=0.7,
        lr_v=lr_v,
        noise=noise,
        batch=batch,
        seed=seed,
        v_init=0.8,
        teacher_v=1.1,
    )
    return cfg, onlinesgd.Simulator(cfg)


def reference_steps(cfg, sim, xs, zetas):
    W, v, B, vs = sim.W, sim.v, sim.B, sim.v_star
    for X, z in zip(xs, zetas):
        W, v = sgd_step(
            W,
            v,
            B,
            vs,
            X,
            z,
            lr=cfg.lr,
            lr_v=cfg.lr_v,
            noise=cfg.noise,
            g_student=cfg.student_g,
            g_teacher=cfg.teacher_g,
        )
    return W, v


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("lr_v,noise,batch", [(0.0, 0.0, 1), (0.3, 0.0, 1), (0.0, 0.2, 1), (0.3, 0.2, 4)])
def test_single_step_matches_numpy(act, lr_v, noise, batch):
    cfg, sim = make(act, lr_v, noise, batch)
    rng = np.random.default_rng(7)
    X = rng.standard_normal((batch, cfg.N))
    X *= np.sign(X @ sim.W[0])[:, None]  # unit 0 active in every sample, so ReLU moves too
    z = rng.standard_normal(batch)
    W_ref, v_ref = reference_steps(cfg, sim, [X], [z])
    sim.step(X, z)
    np.testing.assert_allclose(sim.W, W_ref, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(sim.v, v_ref, rtol=RTOL, atol=1e-14)
    assert sim.steps == 1
    # the step moved the weights: the comparison is not vacuous
    assert np.abs(sim.W - make(act, lr_v, noise, batch)[1].W).max() > 1e-6


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("lr_v,noise,batch", [(0.0, 0.0, 1), (0.4, 0.1, 1), (0.4, 0.1, 3)])
def test_hundred_steps_match_numpy(act, lr_v, noise, batch):
    cfg, sim = make(act, lr_v, noise, batch, teacher_act="erf" if act != "erf" else None)
    rng = np.random.default_rng(11)
    xs = rng.standard_normal((100, batch, cfg.N))
    zs = rng.standard_normal((100, batch))
    W_ref, v_ref = reference_steps(cfg, sim, xs, zs)
    for X, z in zip(xs, zs):
        sim.step(X, z)
    np.testing.assert_allclose(sim.W, W_ref, rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(sim.v, v_ref, rtol=RTOL, atol=1e-13)


def test_given_weights_are_copied_in_and_read_back():
    cfg = onlinesgd.Config(N=50, K=2, M=3)
    rng = np.random.default_rng(0)
    W, v, B, vs = rng.standard_normal((2, 50)), rng.standard_normal(2), rng.standard_normal((3, 50)), np.ones(3)
    sim = onlinesgd.Simulator(cfg, W=W, v=v, B=B, v_star=vs)
    W[0, 0] = 99.0  # the simulator holds its own copy
    np.testing.assert_array_equal(sim.B, B)
    assert sim.W[0, 0] != 99.0
    np.testing.assert_array_equal(sim.v, v)


def test_frozen_second_layer_stays_put_in_run():
    cfg = onlinesgd.Config(N=200, K=2, M=2, lr=0.5, lr_v=0.0, v_init=0.7)
    sim = onlinesgd.Simulator(cfg)
    traj = sim.run(t_max=2.0)
    np.testing.assert_array_equal(traj.v, np.full_like(traj.v, 0.7))
    cfg2 = cfg.replace(lr_v=0.5)
    traj2 = onlinesgd.simulate(cfg2, t_max=2.0)
    assert np.abs(traj2.v[-1] - 0.7).max() > 1e-3

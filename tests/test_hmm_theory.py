"""The hidden manifold model's per-mode ODE (THEORY-DATA 1.3-1.6): it reduces to the i.i.d. ODE
when Omega = I, and the simulation approaches it as 1/sqrt(N) in a window before the plateau exit,
with f(u) inputs and with their Gaussian equivalent."""

import dataclasses

import numpy as np
import onlinesgd
import pytest
from onlinesgd.hidden_manifold import HmmSimulator
from onlinesgd.manifold_ode import Modes, hmm_ode, marchenko_pastur_modes, modes_of


def test_omega_identity_is_the_iid_ode():
    """Every omega_tau = 1, no null space, sum_tau t_tau / n = T: summing the per-mode equations
    over tau gives the i.i.d. ODE term by term (THEORY-DATA 1.4), here with both layers and noise."""
    rng = np.random.default_rng(0)
    K, M, n = 3, 2, 40
    c = onlinesgd.Config(N=n, K=K, M=M, inputs="hmm", lr=0.7, lr_v=0.4, noise=0.3, hmm_delta=1.0)
    w, theta = rng.normal(size=(K, n)), rng.normal(size=(n, M))
    modes = Modes(
        time=0.0,
        omega=np.ones(n),
        weight=np.full(n, 1 / n),
        q=np.einsum("kt,lt->tkl", w, w),
        r=np.einsum("kt,tm->tkm", w, theta),
        t=np.einsum("tm,tp->tmp", theta, theta),
        P=np.zeros((K, K)),
        null=0.0,
        mu_star2=1.0,
        v=np.array([0.6, 1.1, 0.9]),
        T=theta.T @ theta / n,
        v_star=np.array([1.0, 0.8]),
    )
    Q, R = modes.overlaps()
    times = np.linspace(0, 1.5, 7)
    per_mode = hmm_ode(c, modes, times=times, dt=0.01)
    init = {"Q": Q, "R": R, "T": modes.T, "v": modes.v, "v_star": modes.v_star}
    iid = onlinesgd.ode(c.replace(inputs="gaussian"), init, times=times, method="rk4", dt=0.01, progress=False)
    # the same RK4 steps on right-hand sides equal to rounding: 1e-10 leaves room for 1e3 roundings
    for name in ("Q", "R", "v", "eg"):
        np.testing.assert_allclose(getattr(per_mode, name), getattr(iid, name), rtol=0, atol=1e-10)


def test_marchenko_pastur_quadrature_converges():
    c = onlinesgd.Config(inputs="hmm", hmm_f="erf", lr=1.0, init_std=0.8)
    coarse, fine = (
        hmm_ode(c, marchenko_pastur_modes(c, nodes, R0=0.1 * np.eye(2)), times=[0, 1, 2], dt=0.05) for nodes in (48, 96)
    )
    assert coarse.Q[0, 0, 0] == pytest.approx(0.64 / 3, rel=1e-12)  # s0^2 E f^2
    # smooth integrands in rho: spectral convergence, far below the 1e-6 asked
    np.testing.assert_allclose(coarse.Q, fine.Q, atol=1e-6)
    np.testing.assert_allclose(coarse.R, fine.R, atol=1e-6)
    assert coarse.eg[-1] < coarse.eg[0] - 0.1


def deviations(config, N, seeds, t_max=2.0):
    """Mean over seeds of max_t |sim - ODE| for eg, Q and R on [0, t_max] (ODE from each run's own
    per-mode state at t = 0)."""
    times = np.linspace(0, t_max, 11)
    out = []
    for seed in seeds:
        sim = HmmSimulator(config.replace(N=N, seed=seed))
        theory = hmm_ode(sim.config, sim, times=times, dt=0.02)
        traj = sim.run(times=times, progress=False)
        out.append([np.abs(getattr(traj, x) - getattr(theory, x)).max() for x in ("eg", "Q", "R")])
    return np.mean(out, axis=0)


BASE = onlinesgd.Config(inputs="hmm", K=2, M=2, lr=1.0, hmm_delta=0.5)


@pytest.mark.parametrize(
    "config",
    [
        BASE.replace(hmm_f="erf"),
        BASE.replace(hmm_f="sign", lr_v=1.0, noise=0.3),  # the head trained, label noise
        BASE.replace(inputs="hmm_gaussian", hmm_f="sign"),  # the Gaussian equivalent: the same ODE
    ],
    ids=["erf", "sign-head-noise", "gaussian-equivalent"],
)
def test_simulation_approaches_the_ode_as_one_over_sqrt_n(config):
    """THEORY-DATA 1.6: t <= 2 (before the plateau exit, whose timing is a finite-N fluctuation).
    Measured (these seeds): eg 2.4e-2 -> 1.1e-2, Q 2.8e-2 -> 1.9e-2 (erf), sign-head-noise
    3.5e-2 -> 1.6e-2, 0.10 -> 0.07, Gaussian equivalent 3.3e-2 -> 1.4e-2 (N = 300 -> 1200).
    1/sqrt(N) predicts a factor 2; the seeds are fixed, so the values are too, and the bounds
    (factor > 1.3 on eg and R, at N = 1200 eg < 0.025, R < 0.05, Q < 0.1) only guard against a
    wrong term (which would not fall) with room for other platforms' rounding."""
    small, large = deviations(config, 300, range(4)), deviations(config, 1200, range(4))
    print(f"{config.inputs} {config.hmm_f}: N=300 {small}, N=1200 {large}")
    assert small[0] / large[0] > 1.3 and small[2] / large[2] > 1.3
    assert large[0] < 0.025 and large[2] < 0.05 and large[1] < 0.1


def test_equivalent_inputs_share_the_ode_start():
    """Same seed: the same F, Theta and W, so the same per-mode initial state and ODE."""
    c = BASE.replace(N=200)
    a, b = HmmSimulator(c), HmmSimulator(c.replace(inputs="hmm_gaussian"))
    ma, mb = modes_of(a), modes_of(b)
    for field in dataclasses.fields(Modes):
        np.testing.assert_array_equal(getattr(ma, field.name), getattr(mb, field.name))


def test_ode_front_end():
    c = BASE.replace(N=200)
    traj = onlinesgd.simulate(c, times=[0, 0.5], progress=False)
    theory = onlinesgd.ode(c, traj)
    np.testing.assert_array_equal(theory.times, traj.times)
    assert theory.eg[0] == pytest.approx(traj.eg[0], abs=1e-12)
    moved = onlinesgd.simulate(c, times=[0.5, 1], progress=False, W=np.ones((2, 200)))
    with pytest.raises(ValueError, match="init"):
        onlinesgd.ode(c, moved)
    with pytest.raises(ValueError, match="hmm_delta"):
        marchenko_pastur_modes(c.replace(hmm_delta=2.0))
    with pytest.raises(ValueError, match="dt"):
        hmm_ode(c, None, t_max=1, dt=0)
    theory, modes = hmm_ode(c, None, times=[0, 0.5], nodes=16, keep_modes=True)
    assert len(modes) == 2 and modes[1].time == 0.5

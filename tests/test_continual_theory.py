"""Several teachers against their ODE (docs/theory.md §5, docs/continual.md): simulations approach
the ODE like 1/sqrt(N) through a task switch for a single head, multiple heads and replay; the
integrator stops exactly at a switch; a mixture is the weighted sum of right-hand sides; and the
forgetting of task 1 is largest with a single head, smaller with one head per task, and replay
removes it."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import Config, continual, observables

# The check of THEORY-VARIANTS.md §2: erf, K = 3, two teachers of M = 2 with feature similarity
# alpha = 0.6 and readout similarity beta = 0.5, eta = eta_v = 1, switch at t = 4, end at t = 8;
# replay after the switch draws 30% of the samples from task 1. Small initial weights (0.1).
BASE = Config(
    K=3,
    M=2,
    lr=1.0,
    lr_v=1.0,
    teachers=2,
    feature_similarity=0.6,
    readout_similarity=0.5,
    switch_times=(4.0,),
    v_init=0.1,
    init_std=0.1,
)
MODES = {"single": {}, "multi": dict(heads="multi"), "replay": dict(heads="multi", schedule=(0, (0.3, 0.7)))}
TIMES = np.arange(0, 8.0 + 1e-9, 0.5)
SIZES = {500: range(10), 8000: range(3)}


@pytest.fixture(scope="module")
def runs():
    """(mode, N) -> [(simulation, ODE from its own t = 0 overlaps)] for every seed."""
    out = {}
    for mode, kw in MODES.items():
        for N, seeds in SIZES.items():
            out[mode, N] = []
            for seed in seeds:
                cfg = BASE.replace(N=N, seed=seed, **kw)
                sim = onlinesgd.simulate(cfg, times=TIMES, progress=False)
                out[mode, N].append((sim, onlinesgd.ode(cfg, sim, times=sim.times, progress=False)))
    return out


def deviation(pairs):
    """RMS over seeds and times of the largest deviation of Q, R and every head."""
    worst = [
        [max(np.abs(getattr(s, k)[i] - getattr(o, k)[i]).max() for k in ("Q", "R", "heads")) for i in range(len(s))]
        for s, o in pairs
    ]
    return float(np.sqrt(np.mean(np.square(worst))))


@pytest.mark.parametrize("mode", MODES)
def test_simulation_approaches_the_ode_like_one_over_sqrt_n_through_the_switch(runs, mode):
    # N = 500 -> 8000 predicts a fall by 4. Measured (seeded, so fixed): single 0.0208 -> 0.0038,
    # multi 0.0220 -> 0.0041, replay 0.0218 -> 0.0041 (falls of 5.3 to 5.5). 2.5 leaves room for the
    # few seeds and fails for a wrong term, whose deviation stays (see the control below).
    small, large = deviation(runs[mode, 500]), deviation(runs[mode, 8000])
    assert small / large > 2.5, (small, large)
    assert large < 0.01
    sim, ode = runs[mode, 8000][0]
    assert np.abs(sim.eg_tasks - ode.eg_tasks).max() < 0.01  # eg on both tasks, at every time


def test_control_an_ode_with_the_wrong_heads_misses(runs):
    sim, _ = runs["multi", 8000][0]
    wrong = onlinesgd.ode(sim.config.replace(heads="single"), sim, times=sim.times, progress=False)
    assert np.abs(sim.R[-1] - wrong.R[-1]).max() > 5 * deviation(runs["multi", 8000])


def test_forgetting_is_largest_for_a_single_head_and_replay_removes_it(runs):
    # ODE at t = 8 from eg1(4) = 0.130: single +0.195, multi +0.071 (the old head is frozen, only
    # the features drift), replay -0.037 (task 1 keeps improving); THEORY-VARIANTS.md §2 found
    # +0.205, +0.018, -0.033 with its own initial weights. The simulations (N = 8000, 3 seeds,
    # spread ~0.01) keep the order.
    for kind in (1, 0):  # the ODE, then the simulations
        F = {mode: np.mean([continual.forgetting(pair[kind], 0)[-1] for pair in runs[mode, 8000]]) for mode in MODES}
        assert F["single"] > F["multi"] + 0.05 and F["multi"] > 0.03 and F["replay"] < 0, (kind, F)


def test_the_ode_stops_exactly_at_a_switch_and_restarts_as_a_fresh_integration():
    cfg = BASE.replace(N=1000, heads="multi", copy_head=True)
    times = [0.0, 2.0, 3.7, 4.3, 6.0, 8.0]  # no output at the switch: the integrator must stop there itself
    through = onlinesgd.ode(cfg, times=times, progress=False)
    # to the switch with task 1 alone, then from that state with task 2 alone, the head copied by hand
    first = onlinesgd.ode(cfg.replace(switch_times=None, copy_head=False), times=[0.0, 2.0, 3.7, 4.0], progress=False)
    state = {k: getattr(first, k)[-1].copy() for k in ("Q", "R", "T", "v", "v_star", "heads")}
    state["heads"][1] = state["heads"][0]
    second = onlinesgd.ode(
        cfg.replace(switch_times=None, copy_head=False, schedule=(1,)),
        state,
        times=[0.0, 0.3, 2.0, 4.0],
        progress=False,
    )
    for name in ("Q", "R", "heads", "eg_tasks"):
        # before the switch the two runs take the same steps: the same bits
        np.testing.assert_array_equal(getattr(through, name)[:3], getattr(first, name)[:3])
        # after it the same steps at times shifted by 4: rounding only (the tolerances are 1e-9)
        np.testing.assert_allclose(getattr(through, name)[3:], getattr(second, name)[1:], rtol=1e-11, atol=1e-13)
    # the state is continuous across the switch, and the phase changes the right-hand side there
    at = onlinesgd.ode(cfg, times=[0.0, 4.0], progress=False)
    np.testing.assert_array_equal(at.R[-1], first.R[-1])
    np.testing.assert_array_equal(at.heads[-1, 1], first.heads[-1, 0])  # copied at the switch, before the output
    assert at.v[-1].tolist() == at.heads[-1, 1].tolist() and first.v[-1].tolist() == first.heads[-1, 0].tolist()


def test_rk4_lands_on_the_switch_too():
    cfg = BASE.replace(N=1000, heads="multi")
    dopri = onlinesgd.ode(cfg, times=[0.0, 3.95, 4.05, 8.0], progress=False)
    rk4 = onlinesgd.ode(cfg, times=[0.0, 3.95, 4.05, 8.0], method="rk4", dt=0.01, progress=False)
    # RK4's step error at dt = 0.01 is ~1e-9 here; a step across the switch would cost ~1e-4
    np.testing.assert_allclose(rk4.R, dopri.R, atol=1e-7)


def test_a_mixture_is_the_weighted_sum_of_right_hand_sides():
    cfg = BASE.replace(N=1000, heads="multi", switch_times=None)
    o = onlinesgd.Simulator(cfg.replace(seed=3)).overlaps()
    o["heads"] = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, 0.2]])
    parts = [observables.ode_rhs(cfg.replace(schedule=(p,)), o) for p in (0, 1)]
    mixed = observables.ode_rhs(cfg.replace(schedule=((0.3, 0.7),)), o)
    for name in ("Q", "R", "v"):
        np.testing.assert_allclose(mixed[name], 0.3 * parts[0][name] + 0.7 * parts[1][name], rtol=1e-13, atol=1e-15)
    # each task moves only its own head, and R against both teachers
    assert np.all(parts[0]["v"][1] == 0) and np.all(parts[1]["v"][0] == 0)
    assert np.abs(parts[0]["R"][:, 2:]).min() > 0


def test_freezing_the_features_keeps_the_first_layer_in_both_engines():
    cfg = BASE.replace(N=2000, heads="multi", freeze_features=True, weight_decay=0.1, temperature=0.01)
    sim = onlinesgd.simulate(cfg, times=[0, 4, 6, 8], progress=False)
    ode = onlinesgd.ode(cfg, sim, times=sim.times, progress=False)
    for traj in (sim, ode):
        np.testing.assert_array_equal(traj.Q[1], traj.Q[3])  # no step, no decay, no noise after the switch
        assert np.abs(traj.heads[3, 1] - traj.heads[1, 1]).max() > 0.05  # the new head learns
    assert np.abs(sim.eg_tasks - ode.eg_tasks).max() < 0.02


def test_every_rule_composes_with_several_teachers():
    # feedback alignment, decay, Langevin noise, label noise per teacher and minibatches, float32,
    # through a switch into a mixture: N = 4000, a single seed, so ~1/sqrt(N) = 0.016 times O(1)
    # prefactors; 0.06 as in test_rule_fields.py (a wrong prefactor moves R by > 0.1).
    cfg = Config(
        N=4000,
        K=2,
        M=2,
        lr=0.8,
        lr_v=0.5,
        teachers=2,
        teacher_noises=(0.1, 0.2),
        feature_similarity=0.4,
        readout_similarity=0.3,
        switch_times=(1.0,),
        schedule=(0, (0.5, 0.5)),
        heads="multi",
        feedback="fa",
        feedback_vector=(1.0, 0.6),
        temperature=0.01,
        weight_decay=0.2,
        weight_decay_v=0.1,
        batch=2,
        precision="float32",
        seed=3,
    )
    sim = onlinesgd.simulate(cfg, times=np.linspace(0, 2, 5), progress=False)
    ode = onlinesgd.ode(cfg, sim, times=sim.times, progress=False)
    for name in ("Q", "R", "heads", "eg_tasks"):
        assert np.abs(getattr(sim, name) - getattr(ode, name)).max() < 0.06, name
    assert np.abs(sim.heads[-1, 1] - sim.heads[2, 1]).max() > 0.02  # the second head moved after the switch

"""Width and learning-rate scalings (docs/theory.md §9): each maps onto the committee model, the
mean-field simulation follows the ODE like 1/sqrt(N), and Geiger's output scale separates lazy
from feature learning."""

import math

import numpy as np
import onlinesgd
import pytest
from onlinesgd import observables
from onlinesgd.scalings import veiga_region

ORDER = ("Q", "R", "v")


@pytest.mark.parametrize(
    "scaling,expect",
    [
        ("committee", (0.5, 0.2, 1.0, 1.0, 0.5)),
        ("mean_field", (0.5 * 6, 0.2 / 6, 1 / 6, 1 / 2, 0.5)),
        ("sqrt_k", (0.5, 0.2, 1 / math.sqrt(6), 1 / math.sqrt(2), 0.5 / math.sqrt(6))),
        ("veiga", (0.5 * 1e4**-0.25, 0.2, 1 / 6, 1 / 2, 0.5 * 1e4**-0.25 / 6)),
        ("geiger", (0.5 / 4, 0.2, 2 / math.sqrt(6), 1.0, 0.5 / (2 * math.sqrt(6)))),
    ],
)
def test_each_scaling_is_the_committee_model_with_mapped_values(scaling, expect):
    extra = {"veiga": dict(delta=0.25), "geiger": dict(alpha=2.0)}.get(scaling, {})
    cfg = onlinesgd.Config(N=10_000, K=6, M=2, lr=0.5, lr_v=0.2, scaling=scaling, **extra)
    assert tuple(cfg.effective()) == pytest.approx(expect)
    core = cfg.to_core()
    assert (core.lr, core.lr_v, core.v_init, core.teacher_v) == pytest.approx(expect[:4])
    sim = onlinesgd.Simulator(cfg)
    np.testing.assert_allclose(sim.v, expect[2])
    np.testing.assert_allclose(sim.v_star, expect[3])


def test_veiga_regions():
    at = lambda K, delta: veiga_region(onlinesgd.Config(N=10_000, K=K, scaling="veiga", delta=delta)).region
    assert at(100, 0.0) == "green"  # kappa = 1/2 > -delta
    assert at(100, -0.5) == "blue"  # kappa + delta = 0
    assert at(100, -0.6) == "orange"  # kappa < -delta < (kappa + 1)/2 = 0.75
    assert at(100, -0.8) == "none"
    with pytest.raises(ValueError, match="veiga"):
        veiga_region(onlinesgd.Config())


def _deviation(cfg, seeds, t_max):
    worst = []
    for seed in seeds:
        sim = onlinesgd.simulate(cfg.replace(seed=seed), times=np.arange(0, t_max + 1e-9, 0.5), progress=False)
        ode = onlinesgd.ode(sim.config, sim, times=sim.times, progress=False)
        worst += [max(np.abs(getattr(sim, k)[i] - getattr(ode, k)[i]).max() for k in ORDER) for i in range(len(sim))]
    return float(np.sqrt(np.mean(np.square(worst))))


def test_mean_field_simulation_approaches_the_ode_like_one_over_sqrt_n():
    # K = 6, s = s_a = 0.5 (lr = 3, lr_v = 1/12 in the committee model), t <= 5; docs/theory.md
    # §9 measured 0.0176 -> 0.0095 for N = 500 -> 2000. N = 500 -> 8000 predicts a fall by 4; seeded,
    # and 2.5 fails for a missing K in the noise terms, whose deviation does not fall.
    cfg = onlinesgd.Config(K=6, M=3, lr=0.5, lr_v=0.5, scaling="mean_field", init_std=1.0)
    small = _deviation(cfg.replace(N=500), range(8), 5.0)
    large = _deviation(cfg.replace(N=8000), range(3), 5.0)
    assert small / large > 2.5, (small, large)


def test_natural_time_of_a_scaling():
    cfg = onlinesgd.Config(N=1000, K=4, M=2, lr=0.5, scaling="mean_field")
    traj = onlinesgd.simulate(cfg, times=[0, 1, 2], progress=False)
    np.testing.assert_allclose(observables.natural_times(traj), [0, 0.5, 1.0])


def test_geiger_output_scale_separates_lazy_from_feature_learning():
    # K = 3, M = 2, centred (the teacher carries the initial student): the ODE of docs/theory.md §9
    # has |W - W0| / |W0| = 1.16 at alpha = 0.5 and 0.235 at alpha = 3 by t = 10.
    motion = {}
    for alpha in (0.5, 3.0):
        cfg = onlinesgd.Config(N=4000, K=3, M=2, lr=1.0, lr_v=1.0, scaling="geiger", alpha=alpha, centred=True, seed=3)
        sim = onlinesgd.simulate(cfg, times=np.linspace(0, 10, 11), progress=False)
        ode = onlinesgd.ode(cfg, sim, times=sim.times, progress=False)
        assert sim.R.shape[2] == 5  # the overlaps with the initial weights ride along
        ms, mo = observables.weight_motion(sim), observables.weight_motion(ode)
        assert ms[0] == 0.0 and mo[0] < 1e-12
        # 1/sqrt(N) = 0.016: finite-N fluctuations of the relative motion
        np.testing.assert_allclose(ms, mo, atol=0.08)
        motion[alpha] = mo[-1]
    assert motion[0.5] > 0.6 and motion[3.0] < 0.35 and motion[0.5] > 3 * motion[3.0]

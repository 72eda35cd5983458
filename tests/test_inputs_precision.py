"""Config.precision and Config.inputs: validation, and that float32 storage and Rademacher
inputs follow the same dynamics as the float64 Gaussian simulation."""

import numpy as np
import onlinesgd
import pytest


@pytest.mark.parametrize(
    "field,bad", [("precision", "float16"), ("precision", None), ("inputs", "uniform"), ("inputs", 1)]
)
def test_new_fields_are_validated(field, bad):
    with pytest.raises(ValueError, match=field):
        onlinesgd.Config(**{field: bad})


def test_new_fields_round_trip(tmp_path):
    cfg = onlinesgd.Config(N=50, precision="float32", inputs="rademacher")
    assert onlinesgd.Config.from_dict(cfg.to_dict()) == cfg
    core = cfg.to_core()
    assert (core.precision, core.inputs) == ("float32", "rademacher")
    traj = onlinesgd.simulate(cfg, 0.5)
    assert onlinesgd.load(traj.save(tmp_path / "t.npz")).config == cfg


def replica_eg(cfg, t_max, replicas):
    reps = onlinesgd.simulate(cfg, times=np.linspace(0, t_max, 11), replicas=replicas, progress=False)
    return reps.eg_mean, reps.eg_stderr


def test_float32_agrees_with_float64_within_the_finite_size_noise():
    cfg = onlinesgd.Config(N=2000, K=2, M=2, lr=0.5, seed=100)
    m64, s64 = replica_eg(cfg, 4.0, 8)
    m32, s32 = replica_eg(cfg.replace(precision="float32"), 4.0, 8)
    assert abs(m64[0] - m32[0]) < 1e-6  # same initial weights, rounded to float
    assert np.all(np.abs(m64 - m32) <= 4 * np.hypot(s64, s32) + 1e-6)


def test_rademacher_gap_to_gaussian_shrinks_like_inverse_sqrt_n():
    """Both input laws give the same N -> infinity dynamics; at finite N the seed-averaged eg
    curves differ by fluctuations and corrections that shrink at least like 1/sqrt(N)."""
    gaps = {}
    for N in (300, 3000):
        cfg = onlinesgd.Config(N=N, K=2, M=2, lr=0.5, seed=1)
        mg, sg = replica_eg(cfg, 3.0, 12)
        mr, sr = replica_eg(cfg.replace(inputs="rademacher"), 3.0, 12)
        assert np.all(np.abs(mg - mr) <= 5 * np.hypot(sg, sr) + 1e-9)  # consistent within error bars
        gaps[N] = np.sqrt(np.mean((mg - mr)[1:] ** 2))
    # 1/sqrt(N) predicts a ratio of sqrt(10) = 3.2 between the two gaps; allow for the noise
    assert gaps[3000] < gaps[300] / 1.8, gaps


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_rademacher_and_float32_agree_with_the_ode_like_gaussian_float64(precision):
    """Per replica, the ODE from that replica's own initial overlaps; the deviation of eg from
    it must be as small for Rademacher inputs (and float32 storage) as for Gaussian float64."""
    ode = onlinesgd.ode
    times = np.linspace(0, 3.0, 7)
    rms = {}
    for inputs in ("gaussian", "rademacher"):
        cfg = onlinesgd.Config(
            N=2000, K=2, M=2, lr=0.5, seed=20, inputs=inputs, precision="float64" if inputs == "gaussian" else precision
        )
        reps = onlinesgd.simulate(cfg, times=times, replicas=6, progress=False)
        dev = np.stack([t.eg - ode(cfg, init=t, times=times).eg for t in reps.trajectories])
        bias, err = dev.mean(axis=0), dev.std(axis=0, ddof=1) / np.sqrt(len(dev))
        assert np.all(np.abs(bias) <= 4 * err + 1e-3), (inputs, bias, err)
        rms[inputs] = np.sqrt(np.mean(dev[:, 1:] ** 2))
    assert 0.4 < rms["rademacher"] / rms["gaussian"] < 2.5, rms

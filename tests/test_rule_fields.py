"""The learning-rule and scaling fields everywhere a Config goes: validation (a ValueError naming
the field), TOML and the command line, sweeps, saved trajectories, every activation in the
simulation and the ODE, and the refusal of sizes that cannot fit in memory."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import Config
from onlinesgd.cli import DEFAULT_EXPERIMENT, build_parser, config_from_args


@pytest.mark.parametrize(
    "kwargs,field",
    [
        (dict(feedback="dfa"), "feedback"),
        (dict(feedback="fa", feedback_vector=(1.0, 2.0, 3.0)), "feedback_vector"),  # K = 2
        (dict(feedback="fa", feedback_vector=(1.0, float("nan"))), "feedback_vector"),
        (dict(feedback="fa", feedback_vector="ab"), "feedback_vector"),
        (dict(feedback_vector=(1.0, 2.0)), "feedback_vector"),  # without feedback="fa"
        (dict(temperature=-0.1), "temperature"),
        (dict(temperature=float("inf")), "temperature"),
        (dict(temperature_v=0.1), "temperature_v"),
        (dict(weight_decay=-1.0), "weight_decay"),
        (dict(weight_decay_v=float("nan")), "weight_decay_v"),
        (dict(scaling="ntk"), "scaling"),
        (dict(scaling="geiger", alpha=0.0), "alpha"),
        (dict(scaling="geiger", alpha=-2.0), "alpha"),
        (dict(alpha=2.0), "alpha"),  # alpha without scaling="geiger"
        (dict(delta=0.5), "delta"),
        (dict(scaling="veiga", delta=float("nan")), "delta"),
        (dict(centred="yes"), "centred"),
    ],
)
def test_bad_rule_fields_name_themselves(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Config(K=2, **kwargs)


def test_head_noise_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="does not average out"):
        Config(temperature_v=0.5)


RULE = dict(
    feedback="fa",
    feedback_vector=(1.0, -0.5, 0.25),
    temperature=0.01,
    weight_decay=0.2,
    weight_decay_v=0.1,
    scaling="geiger",
    alpha=2.0,
    centred=True,
)


def test_rule_fields_from_toml_and_flags(tmp_path):
    toml = tmp_path / "exp.toml"
    toml.write_text(
        'K = 3\nfeedback = "fa"\nfeedback_vector = [1.0, -0.5, 0.25]\ntemperature = 0.01\n'
        'weight_decay = 0.2\nweight_decay_v = 0.1\nscaling = "geiger"\nalpha = 2.0\ncentred = true\n'
    )
    expected = Config(K=3, **{**DEFAULT_EXPERIMENT, **RULE})  # the command line's defaults (lr = 1), then these
    config, _ = config_from_args(build_parser().parse_args(["run", str(toml)]))
    assert config == expected
    flags = [
        "run",
        "--K",
        "3",
        "--feedback",
        "fa",
        "--feedback-vector",
        "1,-0.5,0.25",
        "--temperature",
        "0.01",
        "--weight-decay",
        "0.2",
        "--weight-decay-v",
        "0.1",
        "--scaling",
        "geiger",
        "--alpha",
        "2",
        "--centred",
        "true",
    ]
    config, _ = config_from_args(build_parser().parse_args(flags))
    assert config == expected
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--centred", "perhaps"])


def test_trajectory_with_rule_fields_saves_and_loads(tmp_path):
    cfg = Config(N=300, K=3, M=2, lr_v=0.5, **RULE)
    traj = onlinesgd.simulate(cfg, times=[0, 0.5, 1.0], progress=False)
    assert traj.R.shape == (3, 3, 5) and traj.T.shape == (3, 5, 5)  # M + K teacher rows when centred
    back = onlinesgd.load(traj.save(tmp_path / "t.npz"))
    assert back.config == cfg and back.config.feedback_vector == (1.0, -0.5, 0.25)
    for name in ("Q", "R", "T", "v", "v_star", "eg"):
        np.testing.assert_array_equal(getattr(back, name), getattr(traj, name))
    np.testing.assert_array_equal(back.feedback_vector, [1.0, -0.5, 0.25])
    np.testing.assert_allclose(
        back.alignment,
        traj.v @ [1.0, -0.5, 0.25] / (np.linalg.norm(traj.v, axis=1) * np.linalg.norm([1.0, -0.5, 0.25])),
    )
    assert traj.meta()["feedback_vector"] == [1.0, -0.5, 0.25]


def test_load_says_when_a_file_is_not_a_trajectory(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3))
    np.savez(tmp_path / "b.npz", x=np.arange(3))
    (tmp_path / "c.npz").write_bytes(b"not numpy at all")
    for name in ("a.npy", "b.npz", "c.npz"):
        with pytest.raises(ValueError, match="not an onlinesgd trajectory"):
            onlinesgd.load(tmp_path / name)


def test_rule_fields_are_sweep_axes(tmp_path):
    base = Config(N=200, K=2, M=2, lr=0.5, lr_v=0.2)
    grid = {"feedback": ["backprop", "fa"], "temperature": [0.0, 0.02], "scaling": ["committee", "mean_field"]}
    result = onlinesgd.sweep(base, grid=grid, seeds=1, t_max=1.0, store=tmp_path / "st", with_ode=True, progress=False)
    frame = result.summary()
    assert len(frame) == 8
    assert set(frame["feedback"]) == {"backprop", "fa"} and set(frame["temperature"]) == {0.0, 0.02}
    fa = [result.trajectory(i) for i in range(8) if result.trajectory(i).config.feedback == "fa"]
    assert len(fa) == 4 and all(t.feedback_vector.shape == (2,) for t in fa)


@pytest.mark.parametrize("act", onlinesgd.ACTIVATIONS)
def test_every_activation_with_every_rule_follows_the_ode(act):
    # FA, decay and Langevin noise at once, with the head trained: N = 4000, t <= 2, one seed.
    # The deviation is a finite-N fluctuation of size ~1/sqrt(N) = 0.016 times O(1) prefactors;
    # 0.06 fails for a wrong term (the f = b prefactor alone moves R by > 0.1 here, see
    # test_rule_theory.py's control).
    cfg = Config(
        N=4000,
        K=2,
        M=2,
        activation=act,
        lr=0.8,
        lr_v=0.5,
        noise=0.1,
        feedback="fa",
        feedback_vector=(1.0, 0.6),
        temperature=0.01,
        weight_decay=0.2,
        weight_decay_v=0.1,
        seed=3,
    )
    sim = onlinesgd.simulate(cfg, times=np.linspace(0, 2, 5), progress=False)
    ode = onlinesgd.ode(cfg, sim, times=sim.times, progress=False)
    assert len(ode) == len(sim) == 5
    for name in ("Q", "R", "v", "eg"):
        assert np.abs(getattr(sim, name) - getattr(ode, name)).max() < 0.06, name
    assert np.abs(sim.R[-1] - sim.R[0]).max() > 0.05  # it learned something: the check is not vacuous


def test_weights_too_large_for_memory_are_refused_with_their_size():
    with pytest.raises(ValueError, match="GiB"):
        onlinesgd.Simulator(Config(N=10**12, K=100))

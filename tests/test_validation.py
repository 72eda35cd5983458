"""Every invalid input raises a ValueError naming the parameter, before any work starts."""

import numpy as np
import onlinesgd
import pytest


@pytest.mark.parametrize(
    "field,value",
    [
        ("N", 0),
        ("N", -5),
        ("N", 2.5),
        ("K", 0),
        ("M", -1),
        ("K", True),
        ("batch", 0),
        ("lr", -0.1),
        ("lr", float("nan")),
        ("lr_v", -1.0),
        ("lr_v", float("inf")),
        ("noise", -0.1),
        ("init_std", float("nan")),
        ("activation", "softplus"),
        ("teacher_activation", "ReLU"),
        ("seed", -1),
        ("v_init", float("nan")),
        ("lr", "0.5"),
    ],
)
def test_bad_config_field(field, value):
    with pytest.raises(ValueError, match=field):
        onlinesgd.Config(**{field: value})


def test_unknown_field_in_replace_and_from_dict():
    with pytest.raises(ValueError, match="eta"):
        onlinesgd.Config().replace(eta=0.1)
    with pytest.raises(ValueError, match="eta"):
        onlinesgd.Config.from_dict({"eta": 0.1})


@pytest.mark.parametrize("name,shape", [("W", (3, 50)), ("v", (3,)), ("B", (2, 49)), ("v_star", (1,))])
def test_wrong_shapes(name, shape):
    cfg = onlinesgd.Config(N=50, K=2, M=2)
    with pytest.raises(ValueError, match=name):
        onlinesgd.Simulator(cfg, **{name: np.ones(shape)})


@pytest.mark.parametrize(
    "value", [np.array([["a"] * 50] * 2), np.ones((2, 50), dtype=complex), np.full((2, 50), np.nan)]
)
def test_wrong_dtype_or_nonfinite(value):
    with pytest.raises(ValueError, match="W"):
        onlinesgd.Simulator(onlinesgd.Config(N=50, K=2, M=2), W=value)


def test_integer_arrays_are_accepted():
    sim = onlinesgd.Simulator(onlinesgd.Config(N=4, K=1, M=1), W=np.ones((1, 4), dtype=int))
    assert sim.W.dtype == np.float64


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(t_max=-1.0), "t_max"),
        (dict(t_max=float("nan")), "t_max"),
        (dict(t_max=None), "t_max"),
        (dict(times=[0.0, 1.0, 1.0]), "times"),
        (dict(times=[1.0, 0.5]), "times"),
        (dict(times=[0.0, float("inf")]), "times"),
        (dict(times=[-1.0, 1.0]), "times"),
        (dict(times=[]), "times"),
    ],
)
def test_bad_times(kwargs, name):
    with pytest.raises(ValueError, match=name):
        onlinesgd.simulate(onlinesgd.Config(N=50), **kwargs)


def test_config_must_be_a_config():
    with pytest.raises(ValueError, match="config"):
        onlinesgd.simulate({"N": 10}, 1.0)


def test_step_input_shape():
    sim = onlinesgd.Simulator(onlinesgd.Config(N=10, K=1, M=1))
    with pytest.raises(ValueError, match="x"):
        sim.step(np.ones(9))
    with pytest.raises(ValueError, match="zeta"):
        sim.step(np.ones((2, 10)), zeta=np.ones(3))

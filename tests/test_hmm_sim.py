"""The hidden manifold simulator against an independent NumPy reference (THEORY-DATA 1.1-1.2):
inputs, teacher fields, steps, recorded overlaps; same bits for any thread count; validation."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import _core
from onlinesgd.hidden_manifold import HmmSimulator
from reference_numpy import dg, g
from scipy.special import erf

# mu1 and mu*^2 of each f from THEORY-DATA 1.1, written out here (not read from the package)
CONSTANTS = {
    "sign": (np.sqrt(2 / np.pi), 1 - 2 / np.pi),
    "erf": (1 / np.sqrt(np.pi), 1 / 3 - 1 / np.pi),
    "tanh": (0.605706, 0.027415),
}
F_OF = {"sign": np.sign, "erf": lambda u: erf(u / np.sqrt(2)), "tanh": np.tanh}


@pytest.fixture
def restore_threads():
    n = onlinesgd.max_threads()
    yield
    onlinesgd.set_max_threads(n)


def latents(seed, first, count, D):
    """c_s: the raw standard normals of sample s's row of the Inputs stream, length D."""
    core = onlinesgd.Config(N=D, seed=seed).to_core()
    return np.array([_core.input_row(seed, s, core) for s in range(first, first + count)])


@pytest.mark.parametrize("f", ["sign", "erf", "tanh"])
def test_inputs_and_teacher_fields_match_numpy(f):
    c = onlinesgd.Config(N=300, inputs="hmm", hmm_f=f, hmm_delta=0.4, seed=3)
    sim = HmmSimulator(c)
    D = sim.latent_dim
    assert D == 120 and sim.F.shape == (D, 300) and sim.B.shape == (2, D)
    C = latents(3, 250, 12, D)  # crosses the simulator's block of 256 samples
    X, nu, _ = sim.samples(250, 12)
    U = C @ sim.F / np.sqrt(D)
    # different summation orders: 1e-12; sign flips would need |u| < 1e-12
    np.testing.assert_allclose(X, F_OF[f](U), rtol=0, atol=1e-12)
    np.testing.assert_allclose(nu, C @ sim.B.T / np.sqrt(D), rtol=0, atol=1e-12)


def test_gaussian_equivalent_inputs():
    c = onlinesgd.Config(N=1000, inputs="hmm_gaussian", hmm_f="sign", seed=4)
    sim = HmmSimulator(c)
    D = sim.latent_dim
    X, nu, _ = sim.samples(0, 300)
    mu1, mu_star2 = CONSTANTS["sign"]
    xi = (X - mu1 * latents(4, 0, 300, D) @ sim.F / np.sqrt(D)) / np.sqrt(mu_star2)
    # 3e5 values: mean and variance within ~5 standard errors (2e-3, 3e-3)
    assert abs(xi.mean()) < 1e-2 and abs(xi.var() - 1) < 1.5e-2
    # the same latents and teacher fields as the f(u) inputs of the same seed
    np.testing.assert_array_equal(nu, HmmSimulator(c.replace(inputs="hmm")).samples(0, 300)[1])


def test_constants():
    for f, (mu1, mu_star2) in CONSTANTS.items():
        got = onlinesgd.hidden_manifold.manifold_constants(f)
        np.testing.assert_allclose(got, (mu1, mu_star2), atol=1e-6)


def reference_step(W, v, v_star, X, nu, zeta, c):
    """One minibatch step from the equations of docs/theory.md §1, with the teacher fields given."""
    N = W.shape[1]
    lam = X @ W.T / np.sqrt(N)
    y = g(c.teacher_g, nu) @ v_star + c.noise * zeta
    delta = g(c.activation, lam) @ v - y
    grad_W = ((dg(c.activation, lam) * v) * delta[:, None]).T @ X / np.sqrt(N)
    grad_v = g(c.activation, lam).T @ delta / N
    W_new = (1 - c.lr * c.weight_decay / N) * W - c.lr * grad_W / len(X)
    v_new = v - c.lr_v * grad_v / len(X) if c.lr_v else v
    return W_new, v_new


@pytest.mark.parametrize("inputs,batch", [("hmm", 1), ("hmm", 3), ("hmm_gaussian", 2)])
def test_steps_match_numpy_reference(inputs, batch):
    c = onlinesgd.Config(
        N=200, inputs=inputs, hmm_f="erf", lr=0.8, lr_v=0.5, noise=0.3, weight_decay=0.1, batch=batch, seed=7
    )
    sim = HmmSimulator(c)
    W, v, v_star = sim.W, sim.v, sim.v_star
    steps = 100  # crosses a block of 256 samples for batch 3
    X, nu, zeta = sim.samples(0, steps * batch)
    assert np.std(zeta) > 0.5  # the label noise is there
    for s in range(steps):
        rows = slice(s * batch, (s + 1) * batch)
        W, v = reference_step(W, v, v_star, X[rows], nu[rows], zeta[rows], c)
    sim._sim.advance(steps)
    # 100 steps of double arithmetic in a different order: relative 1e-12 at most
    np.testing.assert_allclose(sim.W, W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sim.v, v, rtol=1e-10)


def test_step_on_given_inputs_is_the_stream_step():
    c = onlinesgd.Config(N=150, inputs="hmm", lr=1.0, noise=0.2, batch=2, seed=2)
    a, b = HmmSimulator(c), HmmSimulator(c)
    for s in range(5):
        a.step(*a.samples(2 * s, 2))
    b._sim.advance(5)
    np.testing.assert_array_equal(a.W, b.W)
    with pytest.raises(ValueError, match="nu"):
        a.step(np.zeros((2, 150)), np.zeros((2, 3)))


def test_recorded_overlaps_are_those_of_the_gaussian_equivalence():
    c = onlinesgd.Config(N=300, inputs="hmm", hmm_f="tanh", seed=1)
    sim = HmmSimulator(c)
    o = sim.overlaps()
    W, F, theta, D, N = sim.W, sim.F, sim.B, sim.latent_dim, 300
    mu1, mu_star2 = CONSTANTS["tanh"]
    s = F @ W.T / np.sqrt(N)
    np.testing.assert_allclose(o["Q"], mu_star2 * W @ W.T / N + mu1**2 * s.T @ s / D, rtol=1e-5)
    np.testing.assert_allclose(o["R"], mu1 * s.T @ theta.T / D, rtol=1e-5)
    np.testing.assert_allclose(o["T"], theta @ theta.T / D, rtol=1e-12)


@pytest.mark.parametrize("inputs,batch", [("hmm", 1), ("hmm_gaussian", 2)])
def test_same_bits_for_1_and_2_threads(restore_threads, inputs, batch):
    # N = 2100: three column tiles of the input GEMM, the last one short
    c = onlinesgd.Config(N=2100, inputs=inputs, lr=1.0, lr_v=0.5, noise=0.1, batch=batch, seed=5)
    runs = []
    for threads in (1, 2):
        onlinesgd.set_max_threads(threads)
        runs.append(onlinesgd.simulate(c, times=[0, 0.2, 0.4], progress=False))
    for name in ("Q", "R", "T", "v", "eg"):
        np.testing.assert_array_equal(getattr(runs[0], name), getattr(runs[1], name))


def test_simulate_replicas_save_and_checkpoint(tmp_path):
    c = onlinesgd.Config(N=200, inputs="hmm", lr=1.0, seed=9)
    traj = onlinesgd.simulate(c, times=[0, 0.5, 1], progress=False)
    assert traj.config.inputs == "hmm" and traj.Q.shape == (3, 2, 2)
    back = onlinesgd.load(traj.save(tmp_path / "hmm.npz"))
    assert back.config == c
    np.testing.assert_array_equal(back.Q, traj.Q)
    reps = onlinesgd.simulate(c, times=[0, 1], replicas=2, progress=False)
    np.testing.assert_array_equal(reps.trajectories[0].Q, traj.Q[[0, 2]])
    ck = onlinesgd.simulate(c, times=[0, 0.5, 1], progress=False, checkpoint=tmp_path / "ck.npz")
    np.testing.assert_array_equal(ck.Q, traj.Q)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"hmm_delta": 0}, "hmm_delta"),
        ({"hmm_delta": float("nan")}, "hmm_delta"),
        ({"hmm_delta": 1e-4, "N": 100}, "hmm_delta"),
        ({"hmm_f": "cube"}, "hmm_f"),
        ({"hmm_f": "relu"}, "hmm_f='relu' is refused"),
        ({"precision": "float32"}, "precision"),
        ({"feedback": "fa"}, "feedback"),
        ({"temperature": 0.1}, "temperature"),
        ({"teachers": 2}, "teachers"),
    ],
)
def test_bad_fields_name_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        onlinesgd.Config(inputs="hmm", **changes)


def test_refusals():
    c = onlinesgd.Config(N=100, inputs="hmm")
    with pytest.raises(ValueError, match="engine 'overlaps' cannot run inputs='hmm'"):
        onlinesgd.simulate(c, t_max=1, engine="overlaps")
    with pytest.raises(ValueError, match="HmmSimulator"):
        _core.Simulator(c.to_core())
    with pytest.raises(ValueError, match="B must have shape"):
        HmmSimulator(c, B=np.zeros((2, 100)))
    with pytest.raises(ValueError, match="config"):
        HmmSimulator(onlinesgd.Config(N=100))


def test_fields_from_toml_flags_and_as_sweep_axes(tmp_path):
    from onlinesgd.cli import build_parser, config_from_args

    toml = tmp_path / "hmm.toml"
    toml.write_text('inputs = "hmm"\nhmm_delta = 0.25\nhmm_f = "erf"\nN = 400\n')
    config, _ = config_from_args(build_parser().parse_args(["run", str(toml), "--hmm-f", "tanh"]))
    assert (config.inputs, config.hmm_delta, config.hmm_f, config.N) == ("hmm", 0.25, "tanh", 400)
    base = onlinesgd.Config(N=200, inputs="hmm", lr=1.0)
    result = onlinesgd.sweep(
        base, grid={"hmm_delta": [0.25, 0.5]}, seeds=1, t_max=0.5, store=tmp_path / "st", with_ode=True, progress=False
    )
    frame = result.summary()
    assert sorted(frame["hmm_delta"]) == [0.25, 0.5]
    for i in range(2):
        sim, theory = result.trajectory(i), result.trajectory(i, kind="ode")
        assert theory.eg[0] == pytest.approx(sim.eg[0], abs=1e-12)


def test_checkpoint_state_restores_bit_for_bit():
    from onlinesgd import checkpoint

    c = onlinesgd.Config(N=200, inputs="hmm", lr=1.0, lr_v=0.5, noise=0.2, seed=3)
    a = HmmSimulator(c)
    a._sim.advance(333)  # in the middle of a block of samples and of a label-noise block
    b = checkpoint._restore(c, checkpoint._state(a._sim))
    assert checkpoint.weights_digest(a._sim) == checkpoint.weights_digest(b)
    a._sim.advance(100)
    b.advance(100)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.v, b.v)

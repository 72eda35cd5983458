"""The learning rules (feedback alignment, weight decay, Langevin noise, centring) in the fused
engine and the exact step, against the independent NumPy reference, and bit for bit across
thread counts and kernel targets."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import _core
from reference_numpy import sgd_step

RULES = {
    "fa": dict(feedback="fa", lr_v=0.3),
    "fa-given": dict(feedback="fa", feedback_vector=(1.2, -0.7, 0.4), lr_v=0.3),
    "decay": dict(weight_decay=0.8, weight_decay_v=0.5, lr_v=0.3),
    "langevin": dict(temperature=0.05, weight_decay=0.5),
    "all": dict(feedback="fa", temperature=0.02, weight_decay=0.3, weight_decay_v=0.2, lr_v=0.2, noise=0.1),
    "centred": dict(centred=True, lr_v=0.3),
}


def config(rule, batch=1, N=3000, **extra):
    return onlinesgd.Config(
        N=N,
        K=3,
        M=2,
        lr=0.8,
        batch=batch,
        seed=5,
        activation="tanh",
        teacher_activation="erf",
        **{**RULES[rule], **extra},
    )


def reference(cfg, sim, steps):
    """The NumPy step on the engine's own draws (inputs, label noises, weight noises)."""
    W, v, B, vs = sim.W, sim.v, sim.B, sim.v_star
    b = sim._sim.feedback if cfg.feedback == "fa" else None
    labels = _core.normal_row(cfg.seed, 4, 0, 1024)  # Labels stream, block 0: samples 0..1023
    rows = [cfg.teacher_g] * cfg.M + [cfg.student_g] * (cfg.teacher_rows - cfg.M)
    for s in range(steps):
        samples = list(range(s * cfg.batch, (s + 1) * cfg.batch))
        X = np.stack([sim._sim.input(i) for i in samples])
        xi = sim._sim.weight_noise(s) if cfg.temperature else None
        W, v = sgd_step(
            W,
            v,
            B,
            vs,
            X,
            labels[samples],
            lr=cfg.lr,
            lr_v=cfg.lr_v,
            noise=cfg.noise,
            g_student=cfg.student_g,
            g_teacher=cfg.teacher_g,
            feedback=b,
            weight_decay=cfg.weight_decay,
            weight_decay_v=cfg.weight_decay_v,
            temperature=cfg.temperature,
            xi=xi,
            g_teacher_rows=rows,
        )
    return W, v


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("batch", [1, 2, 3])
def test_fused_steps_follow_numpy(rule, batch):
    # N = 3000: three column blocks, the last one short. The engine sums its dot products in
    # another order than NumPy and rotates through the teacher frame: 20 steps of O(1) weights
    # agree to ~1e-13; 1e-11 leaves room, far below a step's size (~1e-2, checked below).
    cfg = config(rule, batch)
    sim = onlinesgd.Simulator(cfg)
    W0, v0 = sim.W, sim.v
    W_ref, v_ref = reference(cfg, sim, 20)
    assert sim._sim.advance(20) == 20
    np.testing.assert_allclose(sim.W, W_ref, rtol=0, atol=1e-11)
    np.testing.assert_allclose(sim.v, v_ref, rtol=0, atol=1e-11)
    assert np.abs(sim.W - W0).max() > 1e-3 and (cfg.lr_v == 0 or np.abs(sim.v - v0).max() > 1e-5)


@pytest.mark.parametrize("rule", ["fa", "all", "centred"])
def test_exact_step_follows_numpy(rule):
    cfg = config(rule, batch=2, N=400)
    sim = onlinesgd.Simulator(cfg)
    W_ref, v_ref = reference(cfg, sim, 5)
    labels = _core.normal_row(cfg.seed, 4, 0, 1024)
    for s in range(5):
        X = np.stack([sim._sim.input(i) for i in (2 * s, 2 * s + 1)])
        sim._sim.step_on(X, labels[2 * s : 2 * s + 2])  # the weight noise of the step from its stream
    # plain double matrix algebra on both sides: round-off of O(N) sums
    np.testing.assert_allclose(sim.W, W_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sim.v, v_ref, rtol=0, atol=1e-12)


def test_feedback_vector_is_drawn_from_the_seed_or_given():
    drawn = onlinesgd.Simulator(config("fa"))._sim.feedback
    assert drawn.shape == (3,) and np.all(drawn != 0)
    np.testing.assert_array_equal(drawn, _core.normal_row(5, 5, 0, 3))  # Feedback stream, counter 0
    np.testing.assert_array_equal(onlinesgd.Simulator(config("fa-given"))._sim.feedback, [1.2, -0.7, 0.4])
    assert onlinesgd.Simulator(config("decay"))._sim.feedback.shape == (0,)


@pytest.mark.parametrize("rule", ["fa", "langevin", "all"])
@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("batch", [1, 3])
def test_bit_identical_for_any_thread_count(rule, precision, batch):
    cfg = config(rule, batch, N=5000, precision=precision)
    runs = []
    for threads in (1, 2, 3):
        sim = onlinesgd.Simulator(cfg)
        assert sim._sim.advance(200, threads) == 200
        runs.append((sim.W, sim.v))
    for W, v in runs[1:]:
        np.testing.assert_array_equal(W, runs[0][0])
        np.testing.assert_array_equal(v, runs[0][1])


@pytest.mark.parametrize("rule", ["decay", "all"])
@pytest.mark.parametrize("batch", [1, 2, 3])
def test_bit_identical_across_kernel_targets(rule, batch, restore_target):
    cfg = config(rule, batch, N=2500)
    results = {}
    for target in [t for t in _core.kernel_targets() if _core.kernel_supported(t)]:
        assert _core.select_kernel(target)
        sim = onlinesgd.Simulator(cfg)
        sim._sim.advance(40)
        results[target] = sim.W
    first = next(iter(results.values()))
    for target, W in results.items():
        np.testing.assert_array_equal(W, first, err_msg=target)


def test_weight_noise_is_standard_normal_and_fresh_each_step():
    cfg = config("langevin", N=20_000)
    sim = onlinesgd.Simulator(cfg)
    a, b = sim._sim.weight_noise(0), sim._sim.weight_noise(1)
    assert a.shape == (3, 20_000)
    n = a.size
    # 6 standard errors: a wrong scale or a repeated stream shows at once, a fair one never fails
    assert abs(a.mean()) < 6 / np.sqrt(n) and abs(a.var() - 1) < 6 * np.sqrt(2 / n)
    assert abs(np.mean(a * b)) < 6 / np.sqrt(n) and abs(np.mean(a[0] * a[1])) < 6 / np.sqrt(cfg.N)


def test_float32_langevin_follows_the_double_reference_to_float_rounding():
    cfg = config("all", N=3000, precision="float32")
    sim = onlinesgd.Simulator(cfg)
    W_ref, _ = reference(cfg, sim, 20)
    sim._sim.advance(20)
    # float weights (rounding 6e-8 relative per update) and float noise draws rounded once
    np.testing.assert_allclose(sim.W, W_ref, rtol=0, atol=2e-5)


@pytest.mark.parametrize("batch", [1, 2])
def test_centred_rows_with_rademacher_inputs_follow_the_exact_step(batch):
    # Rademacher inputs are not rotation invariant, so the engine streams every teacher row, the
    # K centring rows too: its per-block sums must make room for them (they once overran the
    # buffer: wrong steps, then a crash). 10 steps agree to ~1e-15; 1e-11 as above.
    cfg = onlinesgd.Config(N=2100, K=3, M=2, lr=0.8, lr_v=0.3, centred=True, inputs="rademacher", batch=batch, seed=1)
    fused, exact = onlinesgd.Simulator(cfg), onlinesgd.Simulator(cfg)
    fused._sim.advance(10)
    for s in range(10):
        exact.step(np.stack([exact.input(i) for i in range(s * batch, (s + 1) * batch)]))
    assert np.abs(fused.W - exact.W).max() < 1e-11 and np.abs(fused.v - exact.v).max() < 1e-11

"""Several teachers (docs/continual.md): teachers built with exact overlaps and readout
similarities, the schedule in both engines against the NumPy reference, and the new fields
everywhere a Config goes (validation naming the field, TOML and flags, sweeps, files,
checkpoints, thread counts)."""

import numpy as np
import onlinesgd
import pytest
from onlinesgd import Config, _core, continual
from onlinesgd.cli import DEFAULT_EXPERIMENT, build_parser, config_from_args
from reference_numpy import sgd_step, task_of_sample

TWO = dict(K=3, M=2, lr=1.0, lr_v=1.0, teachers=2, v_init=0.1, init_std=0.1)


@pytest.mark.parametrize(
    "overlaps",
    [
        dict(feature_similarity=0.6),
        dict(feature_similarity=0.0),
        dict(feature_similarity=1.0),  # identical teachers: a singular Omega
        dict(feature_similarity=-0.3, teachers=3),  # a chain: blocks (-0.3)^|p-q| I
    ],
)
def test_t_equals_omega_and_teacher_one_is_the_same_for_every_alpha(overlaps):
    cfg = Config(N=500, **{**TWO, **overlaps})
    sim = onlinesgd.Simulator(cfg)
    omega = onlinesgd.tasks.overlap_matrix(cfg)
    # Gram-Schmidt twice gives rows orthonormal to ~1e-16; T = B B^T / N sums N products: ~1e-15
    np.testing.assert_allclose(sim.overlaps()["T"], omega, rtol=0, atol=1e-12)
    first = onlinesgd.Simulator(Config(N=500, **{**TWO, "feature_similarity": 0.25}))
    np.testing.assert_array_equal(sim.B[:2], first.B[:2])  # Cholesky: teacher 1 = the first orthonormal rows
    if overlaps.get("feature_similarity") == 1.0:
        np.testing.assert_array_equal(sim.B[2:], sim.B[:2])


def test_a_singular_omega_of_any_structure_is_exact():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 4))  # rank 4 of 6
    omega = X @ X.T / 4
    cfg = Config(N=300, K=2, M=3, teachers=2, teacher_overlap=omega)
    np.testing.assert_allclose(onlinesgd.Simulator(cfg).overlaps()["T"], omega, rtol=0, atol=1e-12)


@pytest.mark.parametrize("beta", [-0.7, 0.0, 0.5, 1.0])
def test_readout_similarity_is_the_cosine_and_keeps_the_norm(beta):
    cfg = Config(N=200, K=2, M=3, teachers=3, teacher_v=0.8, readout_similarity=beta, seed=4)
    vs = onlinesgd.Simulator(cfg).overlaps()["v_star"]
    parts = [vs[0:3], vs[3:6], vs[6:9]]
    np.testing.assert_array_equal(parts[0], [0.8] * 3)
    for a, b in zip(parts, parts[1:]):  # consecutive teachers
        assert a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) == pytest.approx(beta, abs=1e-12)
        assert np.linalg.norm(b) == pytest.approx(np.linalg.norm(a), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        (dict(switch_times=(4.0, 2.0)), "switch_times"),
        (dict(switch_times=(0.0,)), "switch_times"),
        (dict(switch_times="4"), "switch_times"),
        (dict(teacher_overlap=((1.0, 2.0), (2.0, 1.0))), "teacher_overlap"),  # not PSD (M_tot = 2, one teacher)
        (dict(teacher_overlap=((1.0, 0.0), (0.0, 1.0)), teachers=2), "teacher_overlap"),  # wrong size: 4 x 4
        (dict(teacher_overlap=((1.0, 0.5), (0.4, 1.0))), "teacher_overlap"),  # not symmetric
        (dict(teachers=2, readout_similarity=0.5, teacher_sizes=(1, 1)), "readout_similarity"),  # none with M = 1
        (dict(teachers=2, switch_times=(1.0,), schedule=(0, (0.3, 0.6))), "schedule"),  # sums to 0.9
        (dict(teachers=2, switch_times=(1.0,), schedule=(0, 2)), "schedule"),  # no task 2
        (dict(teachers=2, schedule=(0, 1)), "schedule"),  # two phases, no switch
        (dict(teachers=0), "teachers"),
        (dict(teachers=2, teacher_sizes=(2,)), "teacher_sizes"),
        (dict(teachers=2, teacher_sizes=(2, 0)), "teacher_sizes"),
        (dict(teachers=2, teacher_activations=("erf", "cos")), "teacher_activations"),
        (dict(teachers=2, teacher_noises=(0.1, -0.1)), "teacher_noises"),
        (dict(teachers=2, teacher_readout=(1.0, 1.0)), "teacher_readout"),  # 4 rows
        (dict(feature_similarity=0.5), "feature_similarity"),  # one teacher
        (dict(teachers=2, feature_similarity=1.5), "feature_similarity"),
        (dict(teachers=2, teacher_sizes=(2, 3), feature_similarity=0.5), "feature_similarity"),
        (dict(heads="both"), "heads"),
        (dict(teachers=2, copy_head=True), "copy_head"),
        (dict(freeze_features=True), "freeze_features"),
        (dict(teachers=2, centred=True), "centred"),
    ],
)
def test_bad_teacher_fields_name_themselves(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Config(K=2, M=2, **kwargs)


CONTINUAL = dict(
    K=3,
    teachers=2,
    teacher_sizes=(2, 3),
    teacher_activations=("erf", "relu"),
    teacher_noises=(0.0, 0.1),
    feature_similarity=None,
    readout_similarity=None,
    teacher_overlap=tuple(
        tuple(float(i == j) * 1.0 + (0.5 if abs(i - j) == 2 else 0.0) for j in range(5)) for i in range(5)
    ),
    switch_times=(1.5, 3.0),
    schedule=(0, (0.25, 0.75), 1),
    heads="multi",
    copy_head=True,
    freeze_features=True,
)


def test_teacher_fields_from_toml_and_flags(tmp_path):
    toml = tmp_path / "exp.toml"
    toml.write_text(
        'K = 3\nteachers = 2\nteacher_sizes = [2, 3]\nteacher_activations = ["erf", "relu"]\n'
        "teacher_noises = [0.0, 0.1]\nteacher_overlap = [[1, 0, 0.5, 0, 0], [0, 1, 0, 0.5, 0], "
        "[0.5, 0, 1, 0, 0.5], [0, 0.5, 0, 1, 0], [0, 0, 0.5, 0, 1]]\nswitch_times = [1.5, 3.0]\n"
        'schedule = [0, [0.25, 0.75], 1]\nheads = "multi"\ncopy_head = true\nfreeze_features = true\n'
    )
    expected = Config(**{**DEFAULT_EXPERIMENT, **CONTINUAL})  # the command line's defaults, then ours
    config, _ = config_from_args(build_parser().parse_args(["run", str(toml)]))
    assert config == expected
    flags = [
        "run",
        "--K",
        "3",
        "--teachers",
        "2",
        "--teacher-sizes",
        "2,3",
        "--teacher-activations",
        "erf,relu",
        "--teacher-noises",
        "0,0.1",
        "--teacher-overlap",
        "1,0,0.5,0,0;0,1,0,0.5,0;0.5,0,1,0,0.5;0,0.5,0,1,0;0,0,0.5,0,1",
        "--switch-times",
        "1.5,3",
        "--schedule",
        "0;0.25,0.75;1",
        "--heads",
        "multi",
        "--copy-head",
        "true",
        "--freeze-features",
        "yes",
    ]
    config, _ = config_from_args(build_parser().parse_args(flags))
    assert config == expected
    config, _ = config_from_args(
        build_parser().parse_args(
            ["run", "--teachers", "2", "--feature-similarity", "0.3", "--readout-similarity", "-0.5"]
        )
    )
    assert (config.feature_similarity, config.readout_similarity) == (0.3, -0.5)
    assert Config.from_dict(expected.to_dict()) == expected  # JSON lists back to the same Config


def test_trajectories_save_eg_tasks_heads_and_switches_and_old_files_load(tmp_path):
    cfg = Config(N=300, seed=2, **CONTINUAL)
    traj = onlinesgd.simulate(cfg, 4.0, progress=False)
    assert 1.5 in traj.times and 3.0 in traj.times  # the default times hold the switches
    assert traj.eg_tasks.shape == (len(traj), 2) and traj.heads.shape == (len(traj), 2, 3)
    assert traj.R.shape[2] == 5 and traj.v_star.shape[1] == 5
    back = onlinesgd.load(traj.save(tmp_path / "t.npz"))
    assert back.config == cfg and back.meta()["switch_times"] == [1.5, 3.0]
    for name in ("Q", "R", "T", "v", "v_star", "eg", "heads", "eg_tasks"):
        np.testing.assert_array_equal(getattr(back, name), getattr(traj, name))
    # a one-teacher file written before eg_tasks and heads were recorded
    old = onlinesgd.simulate(Config(N=200), 1.0, progress=False)
    arrays = {k: v for k, v in old.arrays().items() if k not in ("heads", "eg_tasks")}
    np.savez(tmp_path / "old.npz", meta=np.array(__import__("json").dumps(old.meta())), **arrays)
    loaded = onlinesgd.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(loaded.eg_tasks[:, 0], old.eg)
    np.testing.assert_array_equal(loaded.heads[:, 0], old.v)


def numpy_run(cfg, sim, steps):
    """Every step with the NumPy reference on the engine's own inputs and label noises: each
    sample's task by the documented Tasks stream, the teacher's rows, noise and head of its task,
    copy_head at each switch, the first layer frozen (lr = 0) after the first one."""
    W, heads, B, vs = sim.W, sim.heads.copy(), sim.B, sim.v_star
    labels = _core.normal_row(cfg.seed, 4, 0, 1024)
    first = list(_core.phase_first_steps(cfg.to_core()))
    phases = cfg.phases
    for s in range(steps):
        phase = sum(s >= f for f in first)
        if cfg.copy_head and s in first:
            old, new = (int(np.argmax(phases[phase - 1])), int(np.argmax(phases[phase])))
            heads[new] = heads[old]
        samples = range(s * cfg.batch, (s + 1) * cfg.batch)
        X = np.stack([sim._sim.input(i) for i in samples])
        W_new, dheads = W.copy(), np.zeros_like(heads)
        for b, i in enumerate(samples):  # the batch's samples, each with its task: sum the changes
            p = task_of_sample(cfg.seed, i, phases[phase])
            rows = onlinesgd.tasks.task_rows(cfg, p)
            h = p if cfg.heads == "multi" else 0
            lr = 0.0 if cfg.freeze_features and phase > 0 else cfg.lr
            W1, v1 = sgd_step(
                W,
                heads[h],
                B[rows],
                vs[rows],
                X[b : b + 1],
                labels[[i]],
                lr=lr / cfg.batch,
                lr_v=cfg.lr_v / cfg.batch,
                noise=cfg.task_noises[p],
                g_student=cfg.student_g,
                g_teacher=cfg.task_activations[p],
            )
            W_new += W1 - W
            dheads[h] += v1 - heads[h]
        W, heads = W_new, heads + dheads
    return W, heads


@pytest.mark.parametrize("batch", [1, 2])
def test_engine_follows_numpy_through_switches_mixtures_heads_and_freezing(batch):
    # N = 1100: two column blocks; the first switch falls on an odd step (a pair of online steps is
    # split). Agreement to ~1e-13 as in test_rule_steps.py; 1e-10 is far below a step (~1e-2).
    cfg = Config(N=1100, lr=0.8, lr_v=0.5, batch=batch, seed=3, **{**CONTINUAL, "switch_times": (7 / 1100, 16 / 1100)})
    steps = 26 // batch
    sim = onlinesgd.Simulator(cfg)
    W, heads = numpy_run(cfg, sim, steps)
    sim._sim.advance(steps)
    assert np.abs(sim.W - W).max() < 1e-10 and np.abs(sim.heads - heads).max() < 1e-10
    assert np.abs(W - onlinesgd.Simulator(cfg).W).max() > 1e-3  # the steps did something
    # the exact step on given inputs takes the same tasks
    ref = onlinesgd.Simulator(cfg)
    for s in range(steps):
        ref.step(
            np.stack([ref.input(i) for i in range(s * batch, (s + 1) * batch)]),
            _core.normal_row(cfg.seed, 4, 0, 1024)[s * batch : (s + 1) * batch],
        )
    assert np.abs(ref.W - W).max() < 1e-10 and np.abs(ref.heads - heads).max() < 1e-10


def test_same_bits_for_every_thread_count_and_chunking():
    cfg = Config(N=3000, seed=1, **{**CONTINUAL, "switch_times": (0.5, 1.0)})
    a, b, c = (onlinesgd.Simulator(cfg)._sim for _ in range(3))
    a.advance(4000, threads=1)
    b.advance(4000, threads=2)
    for n in (1, 999, 2000, 1000):  # cut anywhere, across the switches (steps 1500 and 3000)
        c.advance(n, threads=2)
    for other in (b, c):
        np.testing.assert_array_equal(a.W_stored, other.W_stored)
        np.testing.assert_array_equal(a.heads, other.heads)


@pytest.mark.parametrize("replicas", [None, 2])
def test_checkpoints_resume_bit_identical(tmp_path, monkeypatch, replicas):
    from onlinesgd.checkpoint import Checkpointer

    cfg = Config(N=400, seed=5, **{**CONTINUAL, "switch_times": (0.5, 1.0)})
    reference = onlinesgd.simulate(cfg, 2.0, replicas=replicas, progress=False)
    hook = Checkpointer.__call__

    def interrupt(self, run, final):  # as Ctrl-C would, between the two switches
        if not final and run.sims[0].time > 0.7:
            raise KeyboardInterrupt
        hook(self, run, final)

    monkeypatch.setattr(Checkpointer, "__call__", interrupt)
    path = tmp_path / "run.npz"
    cut = onlinesgd.simulate(cfg, 2.0, replicas=replicas, progress=False, checkpoint=path, checkpoint_every=0.0)
    monkeypatch.setattr(Checkpointer, "__call__", hook)
    cut = cut.trajectories[0] if replicas else cut
    assert cut.info["interrupted"] and 0.7 < cut.info["interrupted_at"] < 1.0, cut.info
    resumed = onlinesgd.resume(path, progress=False)
    pairs = zip(reference.trajectories, resumed.trajectories) if replicas else [(reference, resumed)]
    for a, b in pairs:
        for name in ("times", "Q", "R", "heads", "eg_tasks", "eg"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_the_teacher_fields_are_sweep_axes_and_give_the_forgetting_map(tmp_path):
    base = Config(N=300, switch_times=(1.0,), **TWO)
    fmap = onlinesgd.forgetting_map(
        base, [0.0, 1.0], [0.5, 1.0], t_max=2.0, store=tmp_path / "st", workers=2, progress=False
    )
    assert len(fmap.runs) == 4 and set(fmap.table["kind"]) == {"simulation", "ode"}
    alphas, betas, F = fmap.grid("ode")
    assert list(alphas) == [0.0, 1.0] and betas == [0.5, 1.0] and np.isfinite(F).all()
    assert F[1, 1] < F[0, 1]  # identical tasks (alpha = beta = 1) forget least
    frame = fmap.runs.frame
    assert {"eg_task_0", "eg_task_1"} <= set(frame.columns)
    with pytest.raises(ValueError, match="task 1 is trained until the end"):
        onlinesgd.forgetting_map(base, [0.0], task=1, t_max=2.0)


def test_forgetting_and_transfer_read_the_ends_of_tasks():
    cfg = Config(N=500, switch_times=(1.0,), feature_similarity=1.0, readout_similarity=1.0, **TWO)
    sim = onlinesgd.simulate(cfg, 2.0, progress=False)
    for traj in (sim, onlinesgd.ode(cfg, sim, times=sim.times, progress=False)):
        F = continual.forgetting(traj, 0)
        end = int(np.flatnonzero(traj.times == 1.0)[0])
        assert np.isnan(F[:end]).all() and F[end] == 0.0
        np.testing.assert_array_equal(F[end:], traj.eg_tasks[end:, 0] - traj.eg_tasks[end, 0])
        # identical tasks: training on task 0 made task 1 exactly as easy
        assert continual.transfer(traj, 1) == pytest.approx(traj.eg_tasks[0, 1] - traj.eg_tasks[end, 0])
        assert continual.transfer(traj, 0) == 0.0
    with pytest.raises(ValueError, match="task"):
        continual.forgetting(sim, 1)


def test_schedules_and_heads_are_sweep_axes_and_tuples_are_table_cells():
    from concurrent.futures import ThreadPoolExecutor

    base = Config(
        N=200, K=2, M=2, lr=0.5, lr_v=0.5, teachers=2, switch_times=(0.5,), feedback="fa", feedback_vector=(1.0, 0.5)
    )
    grid = {"schedule": [(0, 1), (0, (0.3, 0.7))], "heads": ["single", "multi"]}
    with ThreadPoolExecutor(1) as pool:
        result = onlinesgd.sweep(base, grid, t_max=1.0, client=pool, progress=False)
    frame = result.frame
    assert set(frame["schedule"]) == {(0, 1), (0, (0.3, 0.7))}  # a tuple is one cell (so is b)
    assert set(frame["feedback_vector"]) == {(1.0, 0.5)} and set(frame["switch_times"]) == {(0.5,)}
    assert result.varying == ["schedule", "heads"] and len(result.summary()) == 4
    assert {"heads_1_0", "eg_task_1"} <= set(frame.columns)


def test_a_switch_takes_effect_at_the_first_step_starting_at_or_after_it():
    # steps start at s B / N: with B = 3, N = 1000 the switch at t = 0.01 (3.33 steps) is step 4
    # (t = 0.012); a time written in decimal names its step exactly: t = 0.3 at B = 1 is step 300,
    # though 0.3 * 1000 = 300.00000000000006 in floating point.
    cfg = Config(N=1000, teachers=2, switch_times=(0.01, 0.3), batch=3)
    assert list(_core.phase_first_steps(cfg.to_core())) == [4, 100]
    assert list(_core.phase_first_steps(cfg.replace(batch=1).to_core())) == [10, 300]
    traj = onlinesgd.simulate(cfg, times=[0, 0.3], progress=False)
    np.testing.assert_allclose(traj.switch_times, [0.012, 0.3], rtol=1e-15)
    ode = onlinesgd.ode(cfg, traj, times=traj.times, progress=False)
    np.testing.assert_array_equal(ode.switch_times, [0.01, 0.3])
    sim = onlinesgd.Simulator(cfg)
    sim._sim.advance(3)
    assert sim.phase == 0 and sim.eg() == sim.task_errors()[0]
    sim._sim.advance(1)
    assert sim.phase == 1 and sim.eg() == sim.task_errors()[1]

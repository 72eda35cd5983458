"""Equality in law: the overlap engine against the weights engine (docs/engines.md).

The overlap chain claims the law of the full simulation at every N, so it is tested as such a
claim: 2000 seeds of each engine at small N (20 and 200: fluctuations are large there and any
missing term shows), the same recording times (t = 0 too: the initial Bartlett draw), and for
every recorded number (eg, each entry of Q and R, v when trained) a two-sample KS test (the whole
law), a Brown-Forsythe test (the spreads: KS is weak on a change of scale alone) and a comparison
of the means in standard errors. A battery is one config: all its p-values must exceed
1e-3 / (number of tests), Bonferroni at family level 1e-3, so a correct engine fails a battery
with probability below 1e-3 (the seeds are fixed, so the outcome is too). The means must agree
within 5 standard errors of their difference (|z| > 5 has probability 6e-7 per number). The last
test shows the battery has power: a chain with the learning rate 10 % off, or with the
fluctuations of N = 26 instead of 20, fails it by a factor 1000 or more.
"""

from __future__ import annotations

import numpy as np
import pytest
from onlinesgd import Config, simulate
from scipy import stats

SEEDS = 2000
TIMES = (0.0, 0.5, 2.0, 5.0)
FAMILY = 1e-3
CHAIN_SEEDS = 10**6  # the chain's replicas use seeds 1e6, 1e6 + 1, ...: independent of the weights'


def samples(config: Config, engine: str) -> dict:
    """Every recorded number of SEEDS replicas, as (SEEDS,) arrays by name and time."""
    seed = CHAIN_SEEDS if engine == "overlaps" else 0
    reps = simulate(config.replace(seed=seed), times=TIMES, replicas=SEEDS, engine=engine, progress=False)
    assert not any("diverged_at" in t.info for t in reps.trajectories)
    names = ("eg", "Q", "R", "v", "eg_tasks", "heads")
    stack = {name: np.stack([getattr(t, name) for t in reps.trajectories]) for name in names}
    K, rows = config.K, config.teacher_rows
    out = {}
    for i, t in enumerate(TIMES):
        out[f"eg t={t}"] = stack["eg"][:, i]
        for a in range(K):
            for b in range(a, K):
                out[f"Q{a}{b} t={t}"] = stack["Q"][:, i, a, b]
            for n in range(rows):
                out[f"R{a}{n} t={t}"] = stack["R"][:, i, a, n]
            if config.lr_v:
                out[f"v{a} t={t}"] = stack["v"][:, i, a]
                for h in range(1, config.n_heads):  # the other heads (several teachers)
                    out[f"head{h} v{a} t={t}"] = stack["heads"][:, i, h, a]
        for p in range(1, config.teachers):  # eg on the other tasks (several teachers)
            out[f"eg task {p} t={t}"] = stack["eg_tasks"][:, i, p]
    return out


def compare(weights: dict, chain: dict) -> tuple[float, float]:
    """(smallest p-value of the KS and Brown-Forsythe tests times their number, largest |z| of
    the means) of two engines' samples."""
    pvalues, zs = [], []
    for name, a in weights.items():
        b = chain[name]
        if np.ptp(a) == 0 and np.ptp(b) == 0:  # a constant (v at t = 0): equal or not
            assert a[0] == b[0], name
            continue
        pvalues += [stats.ks_2samp(a, b).pvalue, stats.levene(a, b, center="median").pvalue]
        zs.append(abs(a.mean() - b.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / SEEDS))
    return min(pvalues) * len(pvalues), max(zs)


def battery(config: Config) -> tuple[float, float]:
    return compare(samples(config, "weights"), samples(config, "overlaps"))


CASES = {
    "erf N=20": Config(N=20, K=2, M=2, lr=0.5),
    "erf N=20 batch 3, noise, head trained": Config(N=20, K=2, M=2, lr=0.5, lr_v=0.5, noise=0.2, batch=3),
    "relu N=20": Config(N=20, K=2, M=2, lr=0.3, activation="relu"),
    "sigmoid student, linear teacher, N=20": Config(
        N=20, K=2, M=2, lr=0.5, activation="sigmoid", teacher_activation="linear"
    ),
    "feedback alignment N=20": Config(N=20, K=3, M=2, lr=0.5, lr_v=0.5, feedback="fa"),
    "Langevin and decay N=20": Config(N=20, K=2, M=2, lr=0.5, temperature=0.3, weight_decay=0.5),
    "centred (Geiger) N=20": Config(N=20, K=2, M=1, lr=0.5, lr_v=0.3, scaling="geiger", alpha=2.0, centred=True),
    # several teachers, switching at t = 1 (step 20): prescribed overlaps and readouts, one head
    "two teachers, Omega and beta, N=20": Config(
        N=20,
        K=2,
        M=2,
        lr=0.5,
        lr_v=0.5,
        noise=0.1,
        teachers=2,
        feature_similarity=0.5,
        readout_similarity=0.5,
        switch_times=(1.0,),
    ),
    # i.i.d. teachers, a head per task copied at the switch, then replay (30 % task 0), batch 2
    "two teachers, multi head, replay, N=20": Config(
        N=20,
        K=2,
        M=1,
        lr=0.5,
        lr_v=0.5,
        batch=2,
        teachers=2,
        heads="multi",
        copy_head=True,
        switch_times=(1.0,),
        schedule=(0, (0.3, 0.7)),
    ),
    "two teachers, frozen features after the switch, N=20": Config(
        N=20, K=2, M=2, lr=0.5, lr_v=0.5, teachers=2, heads="multi", freeze_features=True, switch_times=(1.0,)
    ),
    "erf N=200": Config(N=200, K=2, M=2, lr=0.5),
    "relu N=200 batch 3, noise, head trained": Config(
        N=200, K=2, M=2, lr=0.3, lr_v=0.3, noise=0.2, batch=3, activation="relu"
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_overlap_engine_has_the_law_of_the_weights_engine(case):
    p_bonferroni, z = battery(CASES[case])
    assert p_bonferroni > FAMILY, f"{case}: smallest p-value x tests = {p_bonferroni:.3g}"
    assert z < 5, f"{case}: means differ by {z:.2f} standard errors"


def test_the_battery_rejects_a_wrong_chain():
    # A chain with the learning rate 10 % off (a wrong drift), or run at N = 26 for N = 20 (the
    # right drift, fluctuations 12 % smaller: a wrong noise term), must fail the battery by a
    # factor 1000 (measured: 2e-12 and 6e-9 against the threshold 1e-3), or the tests above
    # would prove little.
    base = Config(N=20, K=2, M=2, lr=0.5)
    weights = samples(base, "weights")
    for wrong in (base.replace(lr=0.55), base.replace(N=26)):
        p_bonferroni, _ = compare(weights, samples(wrong, "overlaps"))
        assert p_bonferroni < 1e-3 * FAMILY, f"{wrong}: smallest p-value x tests = {p_bonferroni:.3g}"


@pytest.mark.parametrize(
    "case, wrong",
    [
        ("two teachers, Omega and beta, N=20", {"feature_similarity": 0.3}),
        ("two teachers, multi head, replay, N=20", {"copy_head": False}),
    ],
)
def test_the_battery_rejects_wrong_teachers(case, wrong):
    # A chain whose teachers overlap by 0.3 instead of 0.5, or that does not copy the head at the
    # switch, must fail the battery by a factor 1000 (measured: 3e-16 and 0 against 1e-3).
    base = CASES[case]
    p_bonferroni, _ = compare(samples(base, "weights"), samples(base.replace(**wrong), "overlaps"))
    assert p_bonferroni < 1e-3 * FAMILY, f"{wrong}: smallest p-value x tests = {p_bonferroni:.3g}"

"""
Continual learning: forgetting against feature similarity
=========================================================

Lee, Goldt & Saxe (ICML 2021); Lee et al. (ICML 2022). A student learns task 1 (a teacher) until
t = 4 and then task 2, a teacher whose first layer overlaps task 1's by alpha (T^(12) = alpha I
exactly) and whose readout is the same (beta = 1, the feature-rotation setting). Forgetting of
task 1 = eg_1(t = 8) - eg_1(t = 4), with one head for both tasks and with one head per task. The
settings are those of the reference check the project keeps (THEORY-VARIANTS.md §2; see
docs/continual.md): erf, K = 3, M = 2, lr = lr_v = 1 (both layers at one rate, no 1/K in the
output: the conventions of seblee97/student_teacher_catastrophic, docs/theory.md §10), small
initial weights (0.1). Simulation markers (N = 5000, two seeds each, the ODE from each
simulation's own start beside them), ODE lines on a fine grid of alpha. Writes continual.png;
about 12-20 s on two cores (``python examples/continual.py [--out continual.png] [--workers 2]``).
"""

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import onlinesgd
from onlinesgd import continual

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI
BASE = onlinesgd.Config(
    N=1000 if QUICK else 5000,
    K=3,
    M=2,
    lr=1.0,
    lr_v=1.0,
    teachers=2,
    feature_similarity=0.0,
    readout_similarity=1.0,
    switch_times=(4.0,),
    v_init=0.1,
    init_std=0.1,
)
TIMES = np.arange(0, 8.0 + 1e-9, 0.25)


def ode_forgetting(cfg, alphas):
    """Forgetting of task 1 at t = 8 from the ODE, started from the overlaps of cfg's weights."""
    return np.array(
        [
            continual.forgetting(onlinesgd.ode(cfg.replace(feature_similarity=a), times=TIMES, progress=False), 0)[-1]
            for a in alphas
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Continual learning: forgetting against feature similarity")
    parser.add_argument("--out", default="continual.png")
    parser.add_argument("--workers", type=int, default=None, help="processes of the sweep (default: all cores)")
    args = parser.parse_args()

    fine = np.linspace(0, 1, 11 if QUICK else 41)
    coarse = np.linspace(0, 1, 3 if QUICK else 11)
    seeds = 1 if QUICK else 2
    fig, (ax_map, ax_t) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    fig.suptitle("erf, K = 3, M = 2, lr = lr_v = 1, switch at t = 4")
    for heads, color in (("single", "C0"), ("multi", "C1")):
        cfg = BASE.replace(heads=heads)
        lines = ode_forgetting(cfg, fine)
        fmap = onlinesgd.forgetting_map(cfg, coarse, times=TIMES, seeds=seeds, workers=args.workers, progress=False)
        sims = fmap.table[fmap.table["kind"] == "simulation"]
        ax_map.plot(fine, lines, color=color, label=f"{heads} head: ODE")
        ax_map.errorbar(
            sims["feature_similarity"],
            sims["forgetting"],
            yerr=sims["stderr"],
            fmt="o",
            ms=4,
            color=color,
            label=f"{heads} head: simulation (N = {cfg.N}, {seeds} seeds)",
        )
        peak = fine[np.argmax(lines)]
        print(
            f"{heads} head: forgetting of task 1 (ODE) from {lines[0]:+.3f} at alpha = 0 to {lines[-1]:+.3f} at "
            f"alpha = 1, largest {lines.max():+.3f} at alpha = {peak:.3f}; simulation "
            + ", ".join(f"{a:.1f}: {f:+.3f}" for a, f in zip(sims["feature_similarity"], sims["forgetting"]))
        )
        if heads == "multi":  # eg on both tasks over time where forgetting peaks
            at = cfg.replace(feature_similarity=float(coarse[np.argmin(np.abs(coarse - peak))]))
            sim = onlinesgd.simulate(at, times=TIMES, progress=False)
            theory = onlinesgd.ode(at, sim, times=TIMES, progress=False)
            for p in (0, 1):
                ax_t.plot(theory.times, theory.eg_tasks[:, p], color=f"C{p + 2}", label=f"task {p + 1}: ODE")
                ax_t.plot(
                    sim.times, sim.eg_tasks[:, p], "o", ms=3, color=f"C{p + 2}", label=f"task {p + 1}: simulation"
                )
            ax_t.axvline(at.switch_times[0], color="grey", lw=0.8, ls=":")
            ax_t.set_title(f"multi head, alpha = {at.feature_similarity:.1f}")
    ax_map.axhline(0, color="grey", lw=0.8)
    labels = {
        ax_map: dict(
            xlabel="feature similarity alpha",
            ylabel="forgetting of task 1: eg1(8) - eg1(4)",
            title="forgetting against feature similarity (beta = 1)",
        ),
        ax_t: dict(xlabel="t = samples / N", ylabel="eg on each task", yscale="log"),
    }
    for ax, settings in labels.items():
        ax.set(**settings)
        ax.legend(fontsize=8)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

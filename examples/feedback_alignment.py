"""
Feedback alignment: align, then memorise
========================================

Refinetti, d'Ascoli, Ohana & Goldt (ICML 2021). A student trained with a fixed random feedback
vector b in place of its readout v (FA; with one hidden layer also DFA) first turns v towards b,
and its error *rises* while it does; once aligned it learns. Backprop from the same start never
aligns with b. Simulation markers (N = 10,000), ODE lines from the simulation's own initial
overlaps. Writes feedback_alignment.png; about 10 s on two cores (``python
examples/feedback_alignment.py [--out feedback_alignment.png]``).
"""

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import onlinesgd
from onlinesgd import observables

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI


def main() -> None:
    parser = argparse.ArgumentParser(description="Feedback alignment: align, then memorise")
    parser.add_argument("--out", default="feedback_alignment.png")
    args = parser.parse_args()

    b = (1.2, -0.7, 0.4)
    v0 = np.array([-0.3, 0.4, 0.2])  # cos(v(0), b) = -0.72: the head starts anti-aligned
    fa = onlinesgd.Config(
        N=2_000 if QUICK else 10_000,
        K=3,
        M=2,
        activation="erf",
        lr=1.0,
        lr_v=1.0,
        init_std=0.5,
        seed=2,
        feedback="fa",
        feedback_vector=b,
    )
    bp = fa.replace(feedback="backprop", feedback_vector=None)
    times = np.concatenate([np.linspace(0, 3, 25), np.linspace(3.5, 15, 24)])
    fig, (ax_eg, ax_cos) = plt.subplots(1, 2, figsize=(10, 4))
    for cfg, label, color in ((fa, "feedback alignment", "C0"), (bp, "backprop", "C1")):
        sim = onlinesgd.simulate(cfg, times=times, v=v0)
        theory = onlinesgd.ode(cfg, sim, times=times)
        ax_eg.plot(theory.times, theory.eg, color=color, label=f"{label}: ODE")
        ax_eg.plot(sim.times, sim.eg, "o", ms=3, color=color, label=f"{label}: simulation")
        # cos(v, b) of both runs against the same b
        cos_sim = sim.v @ np.array(b) / (np.linalg.norm(sim.v, axis=1) * np.linalg.norm(b))
        cos_ode = theory.v @ np.array(b) / (np.linalg.norm(theory.v, axis=1) * np.linalg.norm(b))
        ax_cos.plot(theory.times, cos_ode, color=color)
        ax_cos.plot(sim.times, cos_sim, "o", ms=3, color=color)
        if cfg.feedback == "fa":
            ax_cos.plot(
                theory.times,
                observables.gradient_alignment(theory),
                "--",
                color=color,
                label="FA: gradient alignment (ODE)",
            )
            print(
                f"FA: eg {sim.eg[0]:.3f} -> max {sim.eg[:10].max():.3f} -> {sim.eg[-1]:.4f}; "
                f"cos(v, b) {cos_sim[0]:+.2f} -> {cos_sim[-1]:+.2f}"
            )
    ax_eg.set(xlabel="t = samples / N", ylabel="generalisation error", yscale="log", title="eg")
    ax_cos.set(xlabel="t = samples / N", ylabel="cos(v, b)", title="alignment of the readout with b")
    ax_eg.legend(fontsize=8)
    ax_cos.legend(fontsize=8)
    fig.suptitle("erf, K = 3, M = 2, lr = lr_v = 1: align, then memorise")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

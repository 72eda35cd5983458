"""
ReLU against erf
================

The same teacher-student problem (K = M = 2, lr = 0.5, both layers trained) with erf and with ReLU
activations in both networks. The ReLU ODE is exact too: its Gaussian averages reduce to orthant
probabilities (docs/theory.md §2). Simulation markers (N = 5,000), ODE lines.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
import onlinesgd

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI


def main() -> None:
    times = np.concatenate([[0], np.geomspace(0.1, 20 if QUICK else 100, 40)])
    fig, ax = plt.subplots(figsize=(6, 4))
    for act, color in (("erf", "C0"), ("relu", "C3")):
        cfg = onlinesgd.Config(
            N=2_000 if QUICK else 5_000, K=2, M=2, activation=act, lr=0.5, lr_v=0.5, init_std=0.5, v_init=0.5, seed=4
        )
        sim = onlinesgd.simulate(cfg, times=times)
        theory = onlinesgd.ode(cfg, sim, times=times)
        ax.plot(theory.times, theory.eg, color=color, label=f"{act}: ODE")
        ax.plot(sim.times, sim.eg, "o", ms=3, color=color, label=f"{act}: simulation")
        print(f"{act}: eg(t = {times[-1]:g}) = {theory.eg[-1]:.3e} (ODE), {sim.eg[-1]:.3e} (simulation)")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="t = samples / N",
        ylabel="generalisation error",
        title="K = M = 2, both layers trained",
    )
    ax.legend()
    fig.tight_layout()


if __name__ == "__main__":
    main()
    plt.savefig("relu_vs_erf.png", dpi=120)

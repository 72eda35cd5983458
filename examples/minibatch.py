"""
A minibatch B at eta is batch 1 at eta / B
==========================================

On the sample clock (t = samples / N), one step of a minibatch of B samples moves the overlaps by
the drift of B samples with the learning rate eta / B, and its eta^2 noise term by (eta / B)^2: to
leading order in 1/N, minibatch B at eta follows the ODE of batch 1 at eta / B (docs/theory.md §4).
Simulations at B = 1, 4, 16 with eta = B x 0.5 fall on the one ODE curve of eta = 0.5.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
import onlinesgd

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI


def main() -> None:
    base = onlinesgd.Config(
        N=2_000 if QUICK else 5_000, K=2, M=2, activation="erf", lr=0.5, noise=0.2, init_std=0.5, seed=2
    )
    times = np.concatenate([[0], np.geomspace(0.1, 30 if QUICK else 150, 30)])
    fig, ax = plt.subplots(figsize=(6, 4))
    first = onlinesgd.simulate(base, times=times)
    theory = onlinesgd.ode(base, first, times=times)
    ax.plot(theory.times, theory.eg, "k", label="ODE, batch 1 at lr = 0.5")
    for B, marker in ((1, "o"), (4, "s"), (16, "^")):
        cfg = base.replace(batch=B, lr=0.5 * B)
        sim = first if B == 1 else onlinesgd.simulate(cfg, times=times)
        ax.plot(sim.times, sim.eg, marker, ms=4, fillstyle="none", label=f"simulation, batch {B} at lr = {cfg.lr:g}")
        print(f"batch {B}: largest |eg - ODE| = {np.abs(sim.eg - theory.eg[: len(sim)]).max():.4f}")
    ax.set(xscale="log", yscale="log", xlabel="t = samples / N", ylabel="generalisation error")
    ax.legend()
    fig.tight_layout()


if __name__ == "__main__":
    main()
    plt.savefig("minibatch.png", dpi=120)

"""
Over-parameterised students with noise: the final error grows with K
====================================================================

Goldt, Advani, Saxe, Krzakala & Zdeborova (NeurIPS 2019): with label noise and only the first
layer trained (v = 1), a student with more hidden units than its teacher (K > M = 2) ends at a
larger generalisation error, which grows with K and with the learning rate. Simulation markers
(N = 3,000), ODE lines; each ODE starts from its simulation's initial overlaps.
"""

import os

import matplotlib.pyplot as plt
import numpy as np

import onlinesgd

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI


def main() -> None:
    ks = (2, 4) if QUICK else (2, 3, 4, 6)
    t_max = 30 if QUICK else 200
    times = np.concatenate([[0], np.geomspace(0.5, t_max, 30)])
    fig, (ax, ax_k) = plt.subplots(1, 2, figsize=(10, 4))
    finals = []
    for K in ks:
        cfg = onlinesgd.Config(N=1_000 if QUICK else 3_000, K=K, M=2, activation="erf", lr=0.5, noise=0.5,
                               init_std=0.5, seed=K)
        sim = onlinesgd.simulate(cfg, times=times)
        theory = onlinesgd.ode(cfg, sim, times=times)
        (line,) = ax.plot(theory.times, theory.eg, label=f"K = {K}")
        ax.plot(sim.times, sim.eg, "o", ms=3, color=line.get_color())
        finals.append((K, theory.eg[-1], sim.eg[-5:].mean()))
    ax.set(xscale="log", yscale="log", xlabel="t = samples / N", ylabel="generalisation error",
           title="sigma = 0.5, lr = 0.5, M = 2")
    ax.legend()
    K, ode_eg, sim_eg = np.array(finals).T
    ax_k.plot(K, ode_eg, "k-", label=f"ODE at t = {t_max}")
    ax_k.plot(K, sim_eg, "ko", label="simulation (last five records)")
    ax_k.set(xlabel="K", ylabel="final generalisation error", title="larger students end worse")
    ax_k.legend()
    fig.tight_layout()
    print("K, final eg (ODE):", ", ".join(f"{k:g}: {e:.4f}" for k, e in zip(K, ode_eg)))


if __name__ == "__main__":
    main()
    plt.savefig("final_error_vs_k.png", dpi=120)

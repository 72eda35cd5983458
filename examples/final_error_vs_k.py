"""
Over-parameterised students with noise: the final error grows with K
====================================================================

Goldt, Advani, Saxe, Krzakala & Zdeborova (NeurIPS 2019): with label noise and only the first
layer trained (v = 1), a student with more hidden units than its teacher (K > M = 2) ends at a
larger generalisation error, which grows with K (and with the learning rate and the noise).
Simulation markers (N = 3,000, to t = 200), ODE lines to t = 10,000; each ODE starts from its
simulation's initial overlaps. The over-parameterised students keep creeping down very slowly
beyond (the ODE at t = 100,000 gives K = 4: 6.5e-4 and K = 6: 9.2e-4, still above K = 2's 4.0e-4).
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
    t_long = 1_000 if QUICK else 10_000
    long = np.concatenate([[0], np.geomspace(0.5, t_long, 60)])  # the ODE runs on, at no cost in N
    fig, (ax, ax_k) = plt.subplots(1, 2, figsize=(10, 4))
    finals = []
    for K in ks:
        cfg = onlinesgd.Config(
            N=1_000 if QUICK else 3_000, K=K, M=2, activation="erf", lr=0.2, noise=0.1, init_std=0.5, seed=K
        )
        sim = onlinesgd.simulate(cfg, times=times)
        theory = onlinesgd.ode(cfg, sim, times=long)
        (line,) = ax.plot(theory.times, theory.eg, label=f"K = {K}")
        ax.plot(sim.times, sim.eg, "o", ms=3, color=line.get_color())
        finals.append((K, theory.eg[-1]))
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="t = samples / N",
        ylabel="generalisation error",
        title="sigma = 0.1, lr = 0.2, M = 2",
    )
    ax.legend()
    K, ode_eg = np.array(finals).T
    ax_k.plot(K, ode_eg, "k-o", label=f"ODE at t = {t_long}")
    ax_k.set(xlabel="K", ylabel="final generalisation error", title="larger students end worse")
    ax_k.legend()
    fig.tight_layout()
    print("K, final eg (ODE):", ", ".join(f"{k:g}: {e:.4f}" for k, e in zip(K, ode_eg)))


if __name__ == "__main__":
    main()
    plt.savefig("final_error_vs_k.png", dpi=120)

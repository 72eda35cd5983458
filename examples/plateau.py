"""
The Saad-Solla plateau and the specialisation
=============================================

erf, K = M = 2, a small initialisation (Saad & Solla 1995): the student first learns what the two
teacher units have in common and sits on a long plateau where every R_in is the same (the
unspecialised symmetric state); then the symmetry breaks, each student unit takes one teacher unit,
and the error falls to zero. Simulation markers (N = 5,000), ODE lines from the simulation's own
initial overlaps.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
import onlinesgd

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI


def main() -> None:
    cfg = onlinesgd.Config(N=2_000 if QUICK else 5_000, K=2, M=2, activation="erf", lr=1.0, init_std=0.1, seed=1)
    times = np.concatenate([[0], np.geomspace(0.1, 60 if QUICK else 300, 50)])
    sim = onlinesgd.simulate(cfg, times=times)
    theory = onlinesgd.ode(cfg, sim, times=times)
    fig, (ax_eg, ax_r) = plt.subplots(1, 2, figsize=(10, 4))
    ax_eg.plot(theory.times, theory.eg, "k", label="ODE")
    ax_eg.plot(sim.times, sim.eg, "o", ms=3, color="k", label=f"simulation, N = {cfg.N}")
    ax_eg.set(xscale="log", yscale="log", xlabel="t = samples / N", ylabel="generalisation error")
    ax_eg.legend()
    for i in range(2):
        for n in range(2):
            (line,) = ax_r.plot(theory.times, theory.R[:, i, n], label=f"R[{i},{n}]")
            ax_r.plot(sim.times, sim.R[:, i, n], "o", ms=3, color=line.get_color())
    ax_r.set(xscale="log", xlabel="t = samples / N", ylabel="R_in", title="plateau, then specialisation")
    ax_r.legend()
    fig.tight_layout()
    print(
        f"eg at the plateau (t = 30): {np.interp(30, theory.times, theory.eg):.4f}; at t = {times[-1]:g}: "
        f"{theory.eg[-1]:.2e}"
    )


if __name__ == "__main__":
    main()
    plt.savefig("plateau.png", dpi=120)

"""
Learning from the hidden manifold model: simulation and per-mode ODE
====================================================================

Inputs that live near a D-dimensional manifold of the N-dimensional input space (Goldt, Mezard,
Krzakala, Zdeborova, PRX 2020): x = sign(F^T c / sqrt(D)) with a latent c ~ N(0, I_D) and a fixed
feature matrix F; the teacher (erf, M = 2) acts on the latent c, the student (erf, K = 2) on x.
The markers are one simulation each (``inputs="hmm"``) for two latent ratios delta = D / N; the
lines are the per-mode ODE (:func:`onlinesgd.hmm_ode`) started from that run's own weights through
the spectrum of its F, and the dashed lines its N -> infinity version over the Marchenko-Pastur law
(started from the run's initial R, which breaks the symmetry between the units). Writes
hidden_manifold.png; about 10 s on two cores (the docs build runs N = 400 to t = 3).
(``python examples/hidden_manifold.py [--out hidden_manifold.png]``)
"""

import argparse
import os

import matplotlib.pyplot as plt
import numpy as np
import onlinesgd

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI
N = 400 if QUICK else 2000
T_MAX = 3.0 if QUICK else 8.0
DELTAS = (0.25, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description="The hidden manifold model: simulation and per-mode ODE")
    parser.add_argument("--out", default="hidden_manifold.png")
    args = parser.parse_args()

    times = np.linspace(0, T_MAX, 25)
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, delta in enumerate(DELTAS):
        config = onlinesgd.Config(N=N, K=2, M=2, lr=1.0, inputs="hmm", hmm_f="sign", hmm_delta=delta, seed=1)
        sim = onlinesgd.HmmSimulator(config)
        theory = onlinesgd.hmm_ode(config, sim, times=times, dt=0.02)  # from the run's t = 0 modes
        R0 = sim.overlaps()["R"]
        limit = onlinesgd.hmm_ode(config, onlinesgd.marchenko_pastur_modes(config, R0=R0), times=times, dt=0.02)
        traj = sim.run(times=times, progress=False)
        print(f"delta = {delta}: eg(t = {T_MAX:g}) simulation {traj.eg[-1]:.4f}, ODE {theory.eg[-1]:.4f}")
        ax.plot(traj.times, traj.eg, "o", color=f"C{i}", ms=4, label=f"simulation, delta = {delta}")
        ax.plot(theory.times, theory.eg, "-", color=f"C{i}", label="per-mode ODE (this F)")
        ax.plot(limit.times, limit.eg, "--", color=f"C{i}", lw=1, label="N -> infinity (Marchenko-Pastur)")
    ax.set(xlabel="t = samples / N", ylabel="generalisation error", title=f"hidden manifold model, N = {N}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

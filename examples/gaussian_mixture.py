"""
A two-layer network learns the XOR Gaussian mixture
===================================================

Four Gaussian clusters of variance Delta = 0.05 sit at +-e1 (label +1) and +-e2 (label -1): the
XOR-like mixture of Refinetti, Goldt, Krzakala and Zdeborova (ICML 2021), which no linear method
separates. A ReLU student with K = 4 hidden units, both layers trained by online SGD
(lr = lr_v = 1; the paper's 0.2 learns the same way, about five times slower), learns it: its
classification error falls from chance. The simulation
(markers, ``inputs="mixture"``, :func:`onlinesgd.xor_mixture`) follows the N -> infinity ODE of
the order parameters Q, M = W mu / sqrt(N) and v (lines, :func:`onlinesgd.mixture_ode`),
started from the simulation's own overlaps. The student starts with O(1) overlaps with the means
(:func:`onlinesgd.informed_weights`): from M = 0 the symmetric point is a fixed point of the ODE
that a finite-N run leaves at a random time. An erf student (odd, no biases) stays at chance
for ever: phi(-x) = -phi(x) while XOR's labels are even (docs/data.md).
(``python examples/gaussian_mixture.py [--out gaussian_mixture.png]``; ~30 s on two cores, a few
seconds with ``ONLINESGD_EXAMPLES_QUICK=1``.)
"""

import argparse
import os

import matplotlib.pyplot as plt
import numpy as np
import onlinesgd

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI
N = 1_000 if QUICK else 4_000
T_MAX = 3.0 if QUICK else 10.0
TIMES = np.linspace(0.0, T_MAX, 7 if QUICK else 21)
DT = 0.1 if QUICK else 0.05  # RK4 step of the ODE


def run(activation: str, seed: int):
    """Simulation and ODE of the XOR mixture for one student activation."""
    config = onlinesgd.xor_mixture(N=N, K=4, variance=0.05, activation=activation, lr=1.0, lr_v=1.0, seed=seed)
    W = onlinesgd.informed_weights(config, overlap=1.0)
    v = np.random.default_rng(seed).uniform(0.5, 1.0, config.K)
    sim = onlinesgd.simulate(config, times=TIMES, W=W, v=v, progress=False)
    theory = onlinesgd.mixture_ode(config, sim, times=TIMES, dt=DT)
    return sim, theory


def main() -> None:
    parser = argparse.ArgumentParser(description="A two-layer network learns the XOR Gaussian mixture")
    parser.add_argument("--out", default="gaussian_mixture.png")
    args = parser.parse_args()
    fig, (ax_class, ax_mse) = plt.subplots(1, 2, figsize=(10, 4))
    for i, activation in enumerate(("relu", "erf")):
        sim, theory = run(activation, seed=1)
        for ax, sim_y, ode_y in (
            (ax_class, sim.extra["class_error"], theory.extra["class_error"]),
            (ax_mse, sim.eg, theory.eg),
        ):
            ax.plot(sim.times, sim_y, "o", color=f"C{i}", ms=4, label=f"{activation}: simulation, N = {N}")
            ax.plot(theory.times, ode_y, "-", color=f"C{i}", label=f"{activation}: ODE")
        print(
            f"{activation}: classification error {sim.extra['class_error'][-1]:.3f} (simulation), "
            f"{theory.extra['class_error'][-1]:.3f} (ODE) at t = {T_MAX:g}"
        )
    ax_class.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax_class.set(xlabel="t (samples / N)", ylabel="classification error", title="P(y phi < 0)")
    ax_mse.set(xlabel="t (samples / N)", ylabel="eg", title="mean-squared error")
    ax_class.legend(fontsize=8)
    fig.suptitle("XOR Gaussian mixture, K = 4, Delta = 0.05, lr = lr_v = 1")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""
SGD against Langevin dynamics at equal temperature
==================================================

docs/theory.md §7, §8. Online SGD's own noise acts on the overlaps exactly like a Langevin temperature, a matrix
Temp_SGD(t) = (eta/2) v_i v_k [sum u u I4 + sigma^2 J2] that the package computes from the overlaps.
This example runs SGD with label noise and weight decay, reads its temperature at the end, and
sets beside it: Langevin dynamics on the population loss at that temperature (gradient flow plus
the noise, ODE with sgd_noise=False), gradient flow alone, and SGD with added Langevin noise at the
same temperature (simulation and ODE). Writes sgd_vs_langevin.png; about 20 s on two cores
(``python examples/sgd_vs_langevin.py [--out sgd_vs_langevin.png]``).
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
    parser = argparse.ArgumentParser(description="SGD against Langevin dynamics at equal temperature")
    parser.add_argument("--out", default="sgd_vs_langevin.png")
    args = parser.parse_args()

    sgd = onlinesgd.Config(
        N=1000 if QUICK else 5000,
        K=2,
        M=2,
        activation="erf",
        lr=0.5,
        lr_v=0.5,
        noise=0.5,
        weight_decay=0.05,
        init_std=0.5,
        seed=1,
    )
    times = np.concatenate([[0], np.geomspace(0.05, 20 if QUICK else 100, 60)])
    sim = onlinesgd.simulate(sgd, times=times)
    theory = onlinesgd.ode(sgd, sim, times=times)
    temp = observables.sgd_temperature(theory)
    T_end = float(np.mean(np.diag(temp[-1])))
    print(f"SGD temperature at t = {times[-1]:g}: diag {np.diag(temp[-1])}, mean {T_end:.4g}")

    langevin = sgd.replace(temperature=T_end)
    flow = onlinesgd.ode(sgd, sim, times=times, sgd_noise=False)
    flow_hot = onlinesgd.ode(langevin, sim, times=times, sgd_noise=False)
    sim_hot = onlinesgd.simulate(langevin, times=times)
    hot = onlinesgd.ode(langevin, sim_hot, times=times)

    fig, (ax, ax_t) = plt.subplots(1, 2, figsize=(10, 4))
    ax.plot(theory.times, theory.eg, "C0", label="SGD: ODE")
    ax.plot(sim.times, sim.eg, "o", ms=3, color="C0", label="SGD: simulation")
    ax.plot(flow_hot.times, flow_hot.eg, "C1", label=f"Langevin on the population loss, T = {T_end:.3g}")
    ax.plot(flow.times, flow.eg, "C2--", label="gradient flow (no noise)")
    ax.plot(hot.times, hot.eg, "C3", label=f"SGD + Langevin T = {T_end:.3g}: ODE")
    ax.plot(sim_hot.times, sim_hot.eg, "s", ms=3, color="C3", label="SGD + Langevin: simulation")
    ax.set(xscale="log", yscale="log", xlabel="t = samples / N", ylabel="generalisation error")
    ax.legend(fontsize=7)
    for k in range(sgd.K):
        ax_t.plot(theory.times, temp[:, k, k], label=f"SGD temperature, unit {k}")
    ax_t.axhline(T_end, color="C1", ls=":", label="Langevin T")
    ax_t.set(xscale="log", xlabel="t = samples / N", ylabel="temperature", title="SGD noise as a temperature")
    ax_t.legend(fontsize=7)
    fig.suptitle("erf, K = M = 2, lr = 0.5, sigma = 0.5, weight decay 0.05")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(
        f"eg at t = {times[-1]:g}: SGD {theory.eg[-1]:.4g}, Langevin {flow_hot.eg[-1]:.4g}, "
        f"gradient flow {flow.eg[-1]:.4g}, SGD + Langevin {hot.eg[-1]:.4g}"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

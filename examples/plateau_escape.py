"""
The plateau escape time and its growth with N (overlap engine)
==============================================================

A soft committee machine (erf, K = M = 2) started from small weights first learns the symmetric,
unspecialised state: eg sits on a plateau while every student unit overlaps every teacher unit
alike. Only finite-N fluctuations (the initial asymmetry, then the SGD noise) push it off, so the
escape time is random and grows with N, like log N (the asymmetry starts at O(1/sqrt(N)) and
grows exponentially). Its distribution over many seeds needs N t samples per seed: at N = 1e5
and t = 260 that is 2.6e7 steps per seed, most of an hour for the weights engine, a few seconds
for the overlap engine (``engine="overlaps"``: the exact finite-N chain of the overlaps, the same
law; docs/engines.md). This example draws the distribution for N = 1e3, 1e4, 1e5 and the growth
of its mean against log N, and writes plateau_escape.png; about 3 minutes on two cores
(``--quick``: a quarter of the seeds; the docs build runs N = 1e3, 3e3, 1e4 with fewer seeds).

The escape time of a run is the first recorded time (every 2 units of t) at which eg falls below
half its plateau value (the run's median eg over 20 <= t <= 60). A run still on the plateau at
t_max is counted as censored and reported.
(``python examples/plateau_escape.py [--quick] [--out plateau_escape.png]``)
"""

import argparse
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import onlinesgd

QUICK = os.environ.get("ONLINESGD_EXAMPLES_QUICK") == "1"  # small sizes for the docs build in CI
NS = (1_000, 3_000, 10_000) if QUICK else (1_000, 10_000, 100_000)
# ~15 s, 30 s and 100 s on two cores (quick: ~10 s in all)
REPLICAS = dict(zip(NS, (32, 16, 8) if QUICK else (400, 96, 24)))
T_MAX = 260.0
TIMES = np.arange(0.0, T_MAX + 1.0, 2.0)


def escape_times(traj_list) -> np.ndarray:
    """First recorded time with eg below half the plateau value; nan where it never escaped."""
    out = []
    plateau_window = (TIMES >= 20) & (TIMES <= 60)
    for traj in traj_list:
        plateau = np.median(traj.eg[plateau_window])
        below = np.flatnonzero((traj.eg < plateau / 2) & (traj.times > 60))
        out.append(traj.times[below[0]] if below.size else np.nan)
    return np.array(out)


def plot(escapes: dict, means: np.ndarray, errors: np.ndarray, fit: tuple):
    """The histograms of the escape times, and their means against N with the fitted a + b ln N."""
    intercept, slope = fit
    fig, (ax, ax_mean) = plt.subplots(1, 2, figsize=(10, 4))
    bins = np.arange(80, T_MAX + 4, 4)
    for i, N in enumerate(NS):
        ax.hist(
            escapes[N][np.isfinite(escapes[N])],
            bins=bins,
            density=True,
            histtype="step",
            lw=1.5,
            color=f"C{i}",
            label=f"N = {N:g} ({len(escapes[N])} seeds)",
        )
    ax.set(
        xlabel="plateau escape time t (samples / N)", ylabel="density", title="distribution over seeds (overlap engine)"
    )
    ax.legend(fontsize=8)
    ax_mean.errorbar(NS, means, yerr=errors, fmt="o", color="k", label="mean +- standard error")
    grid = np.geomspace(NS[0] / 2, NS[-1] * 2, 50)
    ax_mean.plot(grid, intercept + slope * np.log(grid), "C3--", label=f"{intercept:.0f} + {slope:.1f} ln N")
    ax_mean.set(xscale="log", xlabel="N", ylabel="mean escape time", title="growth with log N")
    ax_mean.legend(fontsize=8)
    fig.suptitle("erf soft committee machine, K = M = 2, lr = 1, init_std = 1e-3")
    fig.tight_layout()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description="The plateau escape time and its growth with N")
    parser.add_argument("--out", default="plateau_escape.png")
    parser.add_argument("--quick", action="store_true", help="a quarter of the seeds")
    args = parser.parse_args()

    base = onlinesgd.Config(K=2, M=2, activation="erf", lr=1.0, init_std=1e-3)
    escapes = {}
    for N in NS:
        replicas = max(8, REPLICAS[N] // 4) if args.quick else REPLICAS[N]
        tic = time.perf_counter()
        reps = onlinesgd.simulate(
            base.replace(N=N, seed=N), times=TIMES, replicas=replicas, engine="overlaps", progress=not QUICK
        )
        t_esc = escape_times(reps.trajectories)
        escapes[N] = t_esc
        done = t_esc[np.isfinite(t_esc)]
        print(
            f"N = {N:>7}: {replicas} seeds, {N * T_MAX * replicas:.2g} steps in {time.perf_counter() - tic:.0f} s; "
            f"escape time mean {done.mean():.1f} +- {done.std(ddof=1) / np.sqrt(done.size):.1f}, "
            f"sd {done.std(ddof=1):.1f}, {np.sum(~np.isfinite(t_esc))} still on the plateau at t = {T_MAX:g}"
        )

    means = np.array([np.nanmean(escapes[N]) for N in NS])
    errors = np.array([np.nanstd(escapes[N], ddof=1) / np.sqrt(np.sum(np.isfinite(escapes[N]))) for N in NS])
    slope, intercept = np.polyfit(np.log(NS), means, 1, w=1 / errors)
    print(f"mean escape time ~ {intercept:.1f} + {slope:.1f} ln N ({slope * np.log(10):.1f} per decade of N)")

    plot(escapes, means, errors, (intercept, slope)).savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Wall time of the ODE integrator per unit of t, erf, M = 2, K = 2, 4, 10, 20, 50.

Usage: python bench/ode_speed.py [--t-max 20] [--repeat 3] [--threads N]

Each K integrates from the overlaps simulate() would start from (N = 10000, seed 0), with
the default recording times (t = 0 plus 100 log-spaced times to t_max) and the default
tolerances; the best of --repeat runs is reported, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import platform

import onlinesgd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--t-max", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="OpenMP threads (default: all)")
    parser.add_argument("--ks", type=int, nargs="+", default=[2, 4, 10, 20, 50])
    args = parser.parse_args()
    if args.threads:
        onlinesgd.set_max_threads(args.threads)
    print(
        f"onlinesgd {onlinesgd.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, {onlinesgd.max_threads()} threads, t_max = {args.t_max}"
    )
    print(f"{'K':>4} {'s per unit t':>14} {'steps':>7} {'rhs evals':>10} {'eg(t_max)':>12}")
    for K in args.ks:
        config = onlinesgd.Config(K=K, M=2, lr=0.5)
        init = onlinesgd.Simulator(config).overlaps()
        runs = [onlinesgd.ode(config, init, t_max=args.t_max) for _ in range(args.repeat)]
        best = min(r.info["wall_s"] for r in runs)
        r = runs[0]
        print(
            f"{K:4d} {best / args.t_max:14.3g} {r.info['steps']:7d} {r.info['rhs_evaluations']:10d} {r.eg[-1]:12.4g}",
            flush=True,
        )


if __name__ == "__main__":
    main()

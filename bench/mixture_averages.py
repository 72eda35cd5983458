"""The Gaussian-mixture ODE's ReLU averages: exact (non-centred orthant probabilities, C++) against
the same averages as weighted sums over 2^15 fixed points (the Monte Carlo they replaced), timed in
one run, per cluster, and the ODE of the paper's XOR setting. Usage: python bench/mixture_averages.py"""

import time

import numpy as np
import onlinesgd
from onlinesgd import _core
from onlinesgd.mixture_averages import _sqrt_psd


def best_of(f, *args, repeats=7):
    """The fastest of `repeats` timed calls f(*args), in seconds."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((1 << 15, 8))
    print("| K | exact ms | 2^15 points ms | exact / points |")
    print("|---|---|---|---|")
    for K in (2, 4, 6, 8):
        A = rng.standard_normal((K, K + 2))
        S, m, v = 0.05 * (A @ A.T + np.eye(K)), rng.normal(0, 0.7, K), rng.uniform(-1, 1, K)
        zk, w = np.ascontiguousarray(z[:, :K]), np.full(len(z), 1.0 / len(z))
        exact = best_of(_core.relu_cluster_averages, m, S, v, 0.8)
        points = best_of(_core.point_sums, "relu", zk, w, m, _sqrt_psd(S), v, 0.8, 1.0)
        print(f"| {K} | {exact * 1e3:.2f} | {points * 1e3:.2f} | {exact / points:.2f} |")
    c = onlinesgd.xor_mixture(N=1000, K=4, variance=0.05, lr=0.2, lr_v=0.2, activation="relu")
    t = time.perf_counter()
    onlinesgd.mixture_ode(c, t_max=20, dt=0.05)
    elapsed = time.perf_counter() - t
    print(f"mixture_ode, XOR, ReLU K = 4, t <= 20, dt = 0.05 (1600 RK4 stages x 4 clusters): {elapsed:.1f} s")


if __name__ == "__main__":
    main()

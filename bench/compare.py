"""onlinesgd against a plain NumPy loop and a PyTorch loop, side by side in one process.

    python bench/compare.py                 # the four configurations of issue 4
    python bench/compare.py --quick         # shorter runs
    python bench/compare.py --N 100000 --K 2 --precision float32

Prints steps/s for each implementation, our speed-up over each baseline, the overlap engine's
steps/s on the same model (``engine="overlaps"``: float64, one core, Gaussian inputs; the same law
as the weights engine, docs/engines.md) and its ratio to our weights engine, the ratio of our time
per step to the time our generator needs just to draw the N Gaussian inputs (step/gen: the
floor at small K), and to the larger of that and one read-modify-write pass over W (step/flr:
at large K the memory traffic is the floor). The baselines are the loops a user would write
(erf activation, batch 1, second layer frozen): NumPy float64 with preallocated buffers and
one BLAS thread, PyTorch float32 with in-place updates and one thread. onlinesgd uses its own
thread choice (all cores along N for large N). Every number is the best of several short runs:
the machines are shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# one BLAS thread for the NumPy baseline (set before NumPy loads its BLAS)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS_BLAS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import onlinesgd  # noqa: E402
from onlinesgd import _core  # noqa: E402
from scipy.special import erf  # noqa: E402

SQRT2 = np.sqrt(2.0)
CONFIGS = [
    (1_000, 2, "float64"),
    (10_000, 2, "float64"),
    (100_000, 2, "float64"),
    (10_000, 100, "float64"),
    (100_000, 2, "float32"),
    (10_000, 100, "float32"),
]


def best_rate(step_block, steps: int, repeats: int) -> float:
    """Steps per second: best of `repeats` timings of step_block(steps)."""
    step_block(max(1, steps // 10))  # warm-up
    best = np.inf
    for _ in range(repeats):
        tic = time.perf_counter()
        step_block(steps)
        best = min(best, time.perf_counter() - tic)
    return steps / best


def steps_for(seconds: float, N: int, K: int, per_element_ns: float) -> int:
    return max(5, int(seconds / (N * (K + 2) * per_element_ns * 1e-9)))


def numpy_loop(N: int, K: int, M: int = 2, lr: float = 0.5):
    rng = np.random.default_rng(0)
    W, B = rng.standard_normal((K, N)), rng.standard_normal((M, N))
    v, v_star = np.ones(K), np.ones(M)
    x = np.empty(N)
    inv = 1 / np.sqrt(N)

    def run(steps: int) -> None:
        for _ in range(steps):
            rng.standard_normal(out=x)
            lam, nu = (W @ x) * inv, (B @ x) * inv
            delta = v @ erf(lam / SQRT2) - v_star @ erf(nu / SQRT2)
            coef = (lr * inv * delta) * v * np.sqrt(2 / np.pi) * np.exp(-0.5 * lam * lam)
            np.subtract(W, np.outer(coef, x), out=W)

    return run


def torch_loop(N: int, K: int, M: int = 2, lr: float = 0.5):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    W, B = torch.randn(K, N, generator=gen), torch.randn(M, N, generator=gen)
    v, v_star = torch.ones(K), torch.ones(M)
    x = torch.empty(N)
    inv = 1 / np.sqrt(N)

    def run(steps: int) -> None:
        with torch.no_grad():
            for _ in range(steps):
                torch.randn(N, out=x, generator=gen)
                lam, nu = torch.mv(W, x) * inv, torch.mv(B, x) * inv
                delta = v @ torch.erf(lam / SQRT2) - v_star @ torch.erf(nu / SQRT2)
                coef = v * (np.sqrt(2 / np.pi) * torch.exp(-0.5 * lam * lam)) * delta
                W.addr_(coef, x, alpha=-lr * inv)

    return run


def ours(cfg: onlinesgd.Config, threads: int):
    sim = onlinesgd.Simulator(cfg)

    def run(steps: int) -> None:
        onlinesgd.set_max_threads(threads)  # torch.set_num_threads changes the shared OpenMP setting
        sim._sim.advance(steps)

    return run


def overlaps(cfg: onlinesgd.Config):
    """The overlap engine on the same model, one chain on one core (float64: its only precision)."""
    chain = onlinesgd.OverlapSimulator(cfg.replace(precision="float64"))

    def run(steps: int) -> None:
        chain.advance(steps)

    return run


def compare(N: int, K: int, precision: str, inputs: str, seconds: float, repeats: int, threads: int) -> dict:
    cfg = onlinesgd.Config(N=N, K=K, M=2, lr=0.5, precision=precision, inputs=inputs)
    onlinesgd.set_max_threads(threads)
    row = {"N": N, "K": K, "precision": precision, "inputs": inputs, "threads": _core.step_threads(cfg.to_core())}
    row["ours"] = best_rate(ours(cfg, threads), steps_for(seconds, N, K, 0.3), repeats)
    gen_steps = steps_for(seconds / 2, N, 0, 1.0)
    gen = min(_core.generation_seconds(cfg.to_core(), gen_steps) for _ in range(repeats)) / gen_steps
    passes = max(3, gen_steps // (K + 2))
    wpass = min(_core.weight_pass_seconds(cfg.to_core(), passes) for _ in range(repeats)) / passes
    row["step_over_generation"] = (1 / row["ours"]) / gen
    row["step_over_floor"] = (1 / row["ours"]) / max(gen, wpass)
    row["overlaps"] = (
        best_rate(overlaps(cfg), max(1000, int(seconds / (K + 2) ** 2 / 20e-9)), repeats)
        if inputs == "gaussian"
        else float("nan")
    )
    row["numpy"] = best_rate(numpy_loop(N, K), steps_for(seconds, N, K, 3.0), max(2, repeats // 2))
    run = torch_loop(N, K)
    row["torch"] = best_rate(run, steps_for(seconds, N, K, 3.0), max(2, repeats // 2)) if run else float("nan")
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--N", type=int, help="one configuration: input dimension")
    p.add_argument("--K", type=int, default=2)
    p.add_argument("--precision", default="float64", choices=onlinesgd.PRECISIONS)
    p.add_argument("--inputs", default="gaussian", choices=onlinesgd.INPUTS)
    p.add_argument("--quick", action="store_true", help="short runs (numbers are rougher)")
    args = p.parse_args(argv)
    seconds, repeats = (0.05, 3) if args.quick else (0.2, 7)
    configs = [(args.N, args.K, args.precision)] if args.N else CONFIGS
    threads = onlinesgd.max_threads()
    print(
        f"onlinesgd {onlinesgd.__version__}, kernel {_core.kernel_target()}, {onlinesgd.max_threads()} threads; "
        f"numpy {np.__version__}; torch {_torch_version()}"
    )
    header = (
        f"{'N':>8} {'K':>4} {'precision':>9} {'thr':>3} {'onlinesgd/s':>12} {'numpy/s':>9} {'torch/s':>9} "
        f"{'x numpy':>8} {'x torch':>8} {'step/gen':>8} {'step/flr':>8} {'overlaps/s':>11} {'x ours':>7}"
    )
    print(header)
    for N, K, precision in configs:
        r = compare(N, K, precision, args.inputs, seconds, repeats, threads)
        print(
            f"{N:>8} {K:>4} {precision:>9} {r['threads']:>3} {r['ours']:>12.0f} {r['numpy']:>9.0f} "
            f"{r['torch']:>9.0f} {r['ours'] / r['numpy']:>8.1f} {r['ours'] / r['torch']:>8.1f} "
            f"{r['step_over_generation']:>8.2f} {r['step_over_floor']:>8.2f} {r['overlaps']:>11.0f} "
            f"{r['overlaps'] / r['ours']:>7.0f}",
            flush=True,
        )
    return 0


def _torch_version() -> str:
    try:
        import torch
    except ImportError:
        return "not installed (pip install onlinesgd[bench])"
    return torch.__version__


if __name__ == "__main__":
    sys.exit(main())

"""Resident memory of a simulation: the peak against the weights plus the trajectory, and no
growth over a long run.

    python bench/memory.py            # N = 1e5, K = 100 (float64 and float32) and a 1e7-step run
    python bench/memory.py --quick    # 1e6 steps for the growth check

Linux only (reads /proc/self/status). Each measurement runs in a fresh subprocess so that the
peak (VmHWM) belongs to that one simulation; the baseline is the same process after importing
onlinesgd, before building anything.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys
import numpy as np
import onlinesgd

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)

mode, args = sys.argv[1], json.loads(sys.argv[2])
base = status("VmRSS")
cfg = onlinesgd.Config(**args["config"])
if mode == "peak":
    traj = onlinesgd.simulate(cfg, times=np.linspace(0, args["steps"] / cfg.N, args["records"]), progress=False)
    nbytes = sum(getattr(traj, k).nbytes for k in ("times", "Q", "R", "T", "v", "v_star", "eg"))
    print(json.dumps({"base": base, "peak": status("VmHWM"), "trajectory": nbytes}))
else:
    sim = onlinesgd.Simulator(cfg)
    rss = []
    for _ in range(args["chunks"]):
        sim._sim.advance(args["steps"] // args["chunks"])
        sim.overlaps()
        rss.append(status("VmRSS"))
    print(json.dumps({"base": base, "rss": rss, "steps": int(sim.steps)}))
"""


def child(mode: str, **args) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, json.dumps(args)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    mib = 2.0**20
    print("peak resident memory above the imported baseline, N = 1e5, K = 100, M = 2 (limit 1.5x)")
    ok = True
    for precision, size in (("float64", 8), ("float32", 4)):
        cfg = dict(N=100_000, K=100, M=2, precision=precision)
        r = child("peak", config=cfg, steps=200, records=100)
        weights = (100 + 2) * 100_000 * size
        need = weights + r["trajectory"]
        ratio = (r["peak"] - r["base"]) / need
        ok &= ratio <= 1.5
        print(
            f"  {precision}: weights {weights / mib:.1f} MiB + trajectory {r['trajectory'] / mib:.2f} MiB; "
            f"peak above baseline {(r['peak'] - r['base']) / mib:.1f} MiB = {ratio:.2f}x"
        )
    steps = 1_000_000 if args.quick else 10_000_000
    r = child("growth", config=dict(N=1000, K=2, M=2), steps=steps, chunks=20)
    growth = max(r["rss"]) - r["rss"][0]
    ok &= growth < 2**20
    print(
        f"growth of resident memory over {r['steps']:,} steps (N = 1000, K = M = 2), sampled 20 times: "
        f"{growth / 1024:.0f} KiB (first {r['rss'][0] / mib:.1f} MiB, last {r['rss'][-1] / mib:.1f} MiB)"
    )
    print("OK" if ok else "LIMIT EXCEEDED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

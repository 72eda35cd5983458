"""Command line for sweeps: ``onlinesgd sweep sweep.toml`` and ``onlinesgd plot STORE --by lr``.

A sweep file holds the base Config fields at the top level, the swept values in a ``[grid]``
table, and the sweep options below::

    N = 1000
    K = 2
    t_max = 50.0          # or times = [0.0, 1.0, 10.0, ...]
    seeds = 4             # or seeds = [0, 1, 7]
    with_ode = true
    store = "sweep_store"
    # workers = 8, threads_per_run = 1, checkpoint_every = 600.0, scheduler = "tcp://host:8786"
    # engine = "overlaps"   (the exact overlap chain, docs/engines.md)

    [grid]
    lr = [0.1, 0.5, 1.0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from ._io import read_toml
from .config import Config

SWEEP_KEYS: dict[str, Callable[[Any], Any]] = {
    "t_max": float,
    "times": list,
    "seeds": lambda s: s,
    "with_ode": bool,
    "store": str,
    "workers": int,
    "threads_per_run": int,
    "checkpoint_every": float,
    "scheduler": str,
    "engine": str,
}


def read_sweep_file(path: str) -> tuple:
    """(base Config, grid, sweep options) from a sweep TOML file."""
    data = read_toml(path)
    grid = data.pop("grid", {})
    if not isinstance(grid, dict):
        raise ValueError("grid: must be a [grid] table of lists")
    options = {key: SWEEP_KEYS[key](data.pop(key)) for key in list(data) if key in SWEEP_KEYS}
    return Config.from_dict(data), grid, options


def _client(address: str) -> Any:
    """A Dask client for a scheduler address, or a scheduler file (``*.json``, as written by
    ``dask scheduler --scheduler-file`` or dask-mpi)."""
    from dask.distributed import Client

    if address.endswith(".json"):
        return Client(scheduler_file=address)
    return Client(address)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import SweepError, sweep

    base, grid, options = read_sweep_file(args.file)
    for key in ("store", "workers", "scheduler", "engine"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if args.no_ode:
        options["with_ode"] = False
    options.setdefault("store", str(Path(args.file).with_suffix("")) + "_store")
    scheduler = options.pop("scheduler", None)
    client = _client(scheduler) if scheduler else None
    print(f"onlinesgd sweep: base {base}\n  grid {grid}\n  store {options['store']}")
    try:
        result = sweep(base, grid, client=client, progress=not args.quiet, **options)
    except SweepError as err:
        print(f"onlinesgd sweep: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\nonlinesgd sweep: interrupted; finished runs are in {options['store']}, "
            "run the same command again to compute the rest",
            file=sys.stderr,
        )
        return 130
    finally:
        if client is not None:
            client.close()
    print(result.summary().to_string(index=False, float_format=lambda x: f"{x:.6g}"))
    print(f"{result.n_run} runs computed, {result.n_skipped} already in {result.store}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from .plot_sweep import plot_sweep
    from .sweep_result import SweepResult

    store = Path(args.store)
    if not (store / "runs").is_dir():
        raise ValueError(f"store: {store} holds no runs/ folder")
    result = SweepResult.from_store(store)
    if not len(result):
        raise ValueError(f"store: {store} holds no finished runs")
    out = Path(args.out or store / f"{args.quantity}_by_{args.by}.png")
    plot_sweep(result, args.by, out, quantity=args.quantity)
    print(f"wrote {out} ({len(result)} runs)")
    return 0


def add_commands(sub: Any) -> None:
    """Registers ``sweep`` and ``plot`` on the subparsers of ``onlinesgd``."""
    sw = sub.add_parser("sweep", help="run a grid of configurations (TOML file) into a store")
    sw.add_argument("file", help="sweep TOML: Config fields, a [grid] table, seeds, t_max, with_ode, store")
    sw.add_argument("--store", default=None, help="store folder (default: from the file, else FILE_store)")
    sw.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler address or scheduler file (.json)")
    sw.add_argument("--no-ode", action="store_true", help="simulations only")
    sw.add_argument(
        "--engine",
        default=None,
        choices=("weights", "overlaps"),
        help="weights (default) or overlaps: the exact overlap chain (docs/engines.md)",
    )
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=cmd_sweep)
    pl = sub.add_parser("plot", help="plot a stored sweep: eg(t) for each value of one swept field")
    pl.add_argument("store", help="store folder of a sweep")
    pl.add_argument("--by", required=True, help="swept Config field that picks the colour (e.g. lr)")
    pl.add_argument("--quantity", default="eg", help="column to plot: eg (default), R_0_0, Q_0_1, ...")
    pl.add_argument("--out", default=None, help="image file (default STORE/<quantity>_by_<by>.png)")
    pl.set_defaults(func=cmd_plot)

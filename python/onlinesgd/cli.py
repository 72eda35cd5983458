"""Command line: ``onlinesgd run`` runs an experiment and writes its trajectory and figure."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from ._io import read_toml
from .config import Config

DEFAULT_T_MAX = 200.0
# The default experiment: Config's defaults (erf, K = M = 2, N = 10,000) at lr = 1, to t = 200:
# the plateau and the specialisation in 2 million steps (README.md says how long that takes).
DEFAULT_EXPERIMENT = {"lr": 1.0}
RUN_KEYS = {"t_max": float, "out": str, "engine": str}


def _numbers(kind: Callable[[str], Any]) -> Callable[[str], tuple]:
    return lambda text: tuple(kind(x) for x in text.split(","))


def _matrix(text: str) -> tuple:
    """Rows separated by ';', entries by ',': "1,0.5;0.5,1"."""
    return tuple(_numbers(float)(row) for row in text.split(";"))


def _schedule(text: str) -> tuple:
    """Phases separated by ';', each a task index or fractions separated by ',': "0;0.3,0.7"."""
    return tuple(_numbers(float)(phase) if "," in phase else int(phase) for phase in text.split(";"))


# Config fields that a flag does not give by the type of their default, and the hint of their syntax.
_FLAG_TYPES: dict[str, tuple[Callable[[str], Any], str]] = {
    "feedback_vector": (_numbers(float), " (comma-separated)"),
    "teacher_sizes": (_numbers(int), " (comma-separated)"),
    "teacher_activations": (_numbers(str), " (comma-separated)"),
    "teacher_noises": (_numbers(float), " (comma-separated)"),
    "teacher_readout": (_numbers(float), " (comma-separated)"),
    "switch_times": (_numbers(float), " (comma-separated)"),
    "teacher_overlap": (_matrix, " (rows separated by ';', entries by ',')"),
    "schedule": (_schedule, " (phases separated by ';', each a task or fractions separated by ',')"),
    "feature_similarity": (float, ""),
    "readout_similarity": (float, ""),
    "mixture_means": (_matrix, " (rows separated by ';', entries by ',')"),
    "mixture_variances": (_numbers(float), " (comma-separated)"),
    "mixture_weights": (_numbers(float), " (comma-separated)"),
    "mixture_labels": (_numbers(float), " (comma-separated)"),
}


def _flag_type(f: dataclasses.Field) -> Callable[[str], Any]:
    """How a Config field is read from the command line."""
    if f.name in _FLAG_TYPES:
        return _FLAG_TYPES[f.name][0]
    if isinstance(f.default, bool):
        return _boolean
    return type(f.default) if f.default is not None else str


def _boolean(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    for f in dataclasses.fields(Config):
        hint = _FLAG_TYPES.get(f.name, (None, ""))[1]
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            dest=f.name,
            type=_flag_type(f),
            default=None,
            help=f"Config.{f.name}{hint} (default {f.default!r})",
        )


def config_from_args(args: argparse.Namespace) -> tuple[Config, dict]:
    """Config and run options: defaults, then the TOML file, then flags."""
    values: dict = dict(DEFAULT_EXPERIMENT)
    run = {"t_max": DEFAULT_T_MAX, "out": "onlinesgd_run", "engine": "weights"}
    if getattr(args, "config", None):
        for key, value in read_toml(args.config).items():
            if key in RUN_KEYS:
                run[key] = RUN_KEYS[key](value)
            else:
                values[key] = value
    for f in dataclasses.fields(Config):
        if getattr(args, f.name, None) is not None:
            values[f.name] = getattr(args, f.name)
    for key in RUN_KEYS:
        if getattr(args, key, None) is not None:
            run[key] = getattr(args, key)
    return Config.from_dict(values), run


def cmd_run(args: argparse.Namespace) -> int:
    from .ode import ode
    from .plot import plot_trajectories
    from .simulate import simulate

    config, run = config_from_args(args)
    print(f"onlinesgd run: {config}")
    traj = simulate(config, run["t_max"], progress=not args.quiet, engine=run["engine"])
    out = Path(run["out"])
    path = traj.save(out.with_suffix(".npz"))
    written = [str(path)]
    shown = [traj]
    if not args.no_ode and len(traj):
        # the theory from the simulation's own t = 0 overlaps, recorded at the same times
        theory = ode(config, traj, times=traj.times)
        shown.append(theory)
        written.append(str(theory.save(out.with_name(out.name + "_ode.npz"))))
        print(compare_table(traj, theory))
    plot_trajectories(shown, out.with_suffix(".png"), title=_title(config))
    print(f"eg(t = {traj.times[-1]:.4g}) = {traj.eg[-1]:.6g}")
    print(f"wrote {', '.join(written)} and {out.with_suffix('.png')}")
    return 0


def compare_table(sim: Any, theory: Any, rows: int = 6) -> str:
    """Simulation and ODE eg at a few log-spaced recorded times, as text."""
    import numpy as np

    n = min(len(sim), len(theory))
    t = np.asarray(sim.times[:n])
    picks = [0]
    if n > 1 and t[-1] > 0:
        positive = np.flatnonzero(t > 0)
        for target in np.geomspace(t[positive[0]], t[-1], rows):
            picks.append(int(positive[np.argmin(np.abs(np.log(t[positive] / target)))]))
    picks = sorted(set(picks))
    lines = [f"{'t':>10} {'eg simulation':>14} {'eg ODE':>12} {'difference':>12}"]
    for i in picks:
        lines.append(f"{sim.times[i]:10.4g} {sim.eg[i]:14.6g} {theory.eg[i]:12.6g} {sim.eg[i] - theory.eg[i]:12.3g}")
    return "\n".join(lines)


def _title(c: Config) -> str:
    rule = [
        f"{name} = {getattr(c, name)}"
        for name in (
            "feedback",
            "temperature",
            "weight_decay",
            "scaling",
            "teachers",
            "heads",
            "feature_similarity",
            "readout_similarity",
            "switch_times",
        )
        if getattr(c, name) != getattr(Config, name)
    ]
    return (
        f"{c.activation}, K = {c.K}, M = {c.M}, N = {c.N}, lr = {c.lr}, lr_v = {c.lr_v}, "
        f"noise = {c.noise}, batch = {c.batch}" + "".join(", " + r for r in rule)
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onlinesgd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="simulate one configuration and integrate its ODE (defaults: Config's, with lr = 1 and t_max = 200)"
    )
    run.add_argument("config", nargs="?", help="TOML file of Config fields (plus t_max, out, engine)")
    run.add_argument("--t-max", dest="t_max", type=float, default=None, help=f"final time (default {DEFAULT_T_MAX})")
    run.add_argument("--out", default=None, help="output prefix for .npz and .png (default onlinesgd_run)")
    run.add_argument(
        "--engine",
        default=None,
        choices=("weights", "overlaps"),
        help="weights (default) or overlaps: the exact overlap chain, Gaussian inputs (docs/engines.md)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--no-ode",
        dest="no_ode",
        action="store_true",
        help="skip the ODE (by default it runs from the simulation's initial overlaps)",
    )
    _add_config_flags(run)
    run.set_defaults(func=cmd_run)
    _add_sweep_commands(sub)
    return parser


def _add_sweep_commands(sub: Any) -> None:
    from .sweep_cli import add_commands  # sweep and plot live in their own module

    add_commands(sub)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:
        print(f"onlinesgd: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

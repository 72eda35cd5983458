"""Sweeps: every combination of a grid of Config values (and seeds), simulated and, when asked,
integrated by the ODE from each simulation's own initial overlaps.

Runs are executed by a pool of local processes (``concurrent.futures``), by any Dask
distributed client (LocalCluster, dask-jobqueue's SLURMCluster, ...) or by any
``concurrent.futures.Executor``; results go to a :class:`~onlinesgd.store.Store` as each run
finishes, so an interrupted sweep called again computes only what is missing.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import itertools
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import time
import types
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from numbers import Integral
from typing import Any, Optional, Union

import numpy as np

from .config import Config
from .overlap_simulator import check_engine
from .run import DivergenceWarning
from .simulate import simulate
from .store import PathLike, RunSpec, Store
from .sweep_result import SweepResult
from .times import TimesLike, check_t_max, check_times

FAULT_ENV = "ONLINESGD_SWEEP_FAULT"
"""Test hook: ``"raise:lr=0.3"`` or ``"kill:lr=0.3"`` makes runs whose config has lr == 0.3
raise, or kill their own worker process, before they start."""


class SweepError(RuntimeError):
    """Some runs failed. The others finished and are stored; calling the same sweep again
    redoes only the failed ones.

    Attributes
    ----------
    failures : dict
        Each failed run's key to its exception.

    Examples
    --------
    >>> from onlinesgd import SweepError
    >>> err = SweepError({"K=2": ValueError("boom")}, total=4)
    >>> list(err.failures), isinstance(err, RuntimeError)
    (['K=2'], True)
    """

    def __init__(self, failures: dict, total: int) -> None:
        self.failures = failures
        first = next(iter(failures.values()))
        super().__init__(
            f"{len(failures)} of {total} runs failed (first: {type(first).__name__}: {first}); "
            "the finished runs are stored, calling the sweep again redoes only the failed ones"
        )


# ---------------------------------------------------------------- the grid, checked up front


def expand_grid(
    base: Config, grid: Optional[Mapping[str, Sequence[Any]]] = None, seeds: Union[int, Iterable[int], None] = None
) -> list:
    """Every Config of the sweep, in order (the last grid field varies fastest, seeds fastest
    of all). Raises ValueError naming the field for an unknown field, an empty or repeated
    list of values, or an invalid value, before anything runs."""
    if not isinstance(base, Config):
        raise ValueError(f"base config must be an onlinesgd.Config, got {type(base).__name__}")
    grid = dict(grid or {})
    fields = set(base.to_dict())
    for name, values in grid.items():
        if name not in fields:
            raise ValueError(f"grid: unknown Config field {name!r} (fields: {', '.join(sorted(fields))})")
        grid[name] = _values(name, values)
        for value in grid[name]:
            try:
                base.replace(**{name: value})
            except ValueError as err:
                raise ValueError(f"grid[{name!r}]: {err}") from None
    if seeds is not None:
        if "seed" in grid:
            raise ValueError("seed: give the seeds either in the grid or as seeds=, not both")
        grid["seed"] = _values("seed", range(seeds) if isinstance(seeds, Integral) else seeds)
    names = list(grid)
    # Each value was valid alone; combinations are validated too (Config checks all fields).
    return [base.replace(**dict(zip(names, combo))) for combo in itertools.product(*grid.values())]


def _values(name: str, values: Any) -> list:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValueError(f"grid[{name!r}] must be a list of values, got {values!r}")
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    if not values:
        raise ValueError(f"grid[{name!r}] is empty")
    if len(set(map(repr, values))) != len(values):
        raise ValueError(f"grid[{name!r}] repeats a value: {values!r}")
    return values


def make_specs(
    configs: Sequence[Config],
    t_max: Optional[float],
    times: Optional[TimesLike],
    with_ode: bool,
    engine: str = "weights",
) -> list:
    if t_max is None and times is None:
        raise ValueError("t_max: give t_max or times")
    for c in configs:
        check_engine(engine, c)
    t_max = None if t_max is None else check_t_max(t_max)
    times = None if times is None else tuple(float(t) for t in check_times(times, t_max, 0.0))
    specs = [RunSpec(c, t_max, times, bool(with_ode), engine) for c in configs]
    if len({s.key for s in specs}) != len(specs):
        raise ValueError("grid: two combinations give the same run (e.g. 1 and 1.0)")
    return specs


# ---------------------------------------------------------------- one run (in a worker)


def execute_run(spec: RunSpec, root: Optional[str], threads: int, checkpoint_every: Optional[float] = None) -> tuple:
    """Runs one spec in a worker and writes it to the store at ``root`` (when given) before
    returning ``(key, trajectories, wall_s)``. Module-level so that it pickles."""
    _inject_fault(spec.config)
    from ._core import set_max_threads

    set_max_threads(threads)  # the worker's share of the cores, whatever OMP_NUM_THREADS says
    tic = time.perf_counter()
    store = Store(root) if root is not None else None
    checkpoint = store.checkpoint_path(spec.key) if store and checkpoint_every is not None else None
    with warnings.catch_warnings():
        # A diverged run is a result (its info says where); the warning would only be noise
        # in a worker's stderr.
        warnings.simplefilter("ignore", DivergenceWarning)
        sim = simulate(
            spec.config,
            spec.t_max,
            spec.times,
            progress=False,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every or 0.0,
            engine=spec.engine,
        )
    trajectories = [sim]
    if spec.with_ode:
        from .ode import ode

        times = sim.times if "diverged_at" not in sim.info else spec.times
        trajectories.append(ode(spec.config, init=sim, t_max=spec.t_max, times=times))
    if any(traj.info.get("interrupted") for traj in trajectories):
        # Ctrl-C reaches the workers too: a cut-short run must not be stored as finished.
        raise RuntimeError("run interrupted")
    wall = time.perf_counter() - tic
    if store is not None:
        store.write(spec, trajectories, wall)
        if checkpoint is not None:
            checkpoint.unlink(missing_ok=True)
    return spec.key, trajectories, wall


def _inject_fault(config: Config) -> None:
    rule = os.environ.get(FAULT_ENV)
    if not rule:
        return
    action, _, condition = rule.partition(":")
    name, _, value = condition.partition("=")
    if str(getattr(config, name)) != value:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise RuntimeError(f"injected fault ({FAULT_ENV}={rule})")


# ---------------------------------------------------------------- executors


def default_workers() -> int:
    """The cores this process may use (the SLURM allocation or taskset, not the whole node)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that does not import the caller's ``__main__``: the tasks live in this
    package, so scripts need no ``if __name__ == "__main__"`` guard and are not re-run."""

    def start(self) -> None:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")  # no __file__, no __spec__
        try:
            super().start()  # synchronous: the preparation data is read here
        finally:
            sys.modules["__main__"] = main


class _SpawnContext(multiprocessing.context.SpawnContext):
    # spawn, not fork: forking a process that runs threads (tqdm, Dask, OpenMP) is unsafe,
    # and fresh interpreters see the environment as it is now.
    Process = _WorkerProcess


@contextlib.contextmanager
def _executor(client: Any, workers: Optional[int]) -> Iterator[cf.Executor]:
    """A ``concurrent.futures.Executor`` for ``client``: our own process pool when None, the
    client's executor for a Dask client, the executor itself otherwise."""
    if client is None:
        pool = cf.ProcessPoolExecutor(workers or default_workers(), mp_context=_SpawnContext())
        try:
            yield pool
        except BaseException:  # Ctrl-C: stop now rather than finish the runs under way
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()  # safe: run files are written atomically
            for process in processes:
                process.join()
            pool.shutdown(wait=True)  # the pool notices the dead workers and frees its queues
            raise
        pool.shutdown(wait=True)
    elif hasattr(client, "get_executor"):  # dask.distributed.Client
        # pure=False: Dask must run each task, not deduplicate by its arguments' tokens.
        executor = client.get_executor(pure=False)
        try:
            yield executor
        except BaseException:  # Ctrl-C: cancel this sweep's tasks on the cluster
            executor.shutdown(wait=False)
            raise
    elif isinstance(client, cf.Executor):
        yield client
    else:
        raise ValueError(
            f"client must be None, a dask.distributed.Client or a concurrent.futures.Executor, "
            f"got {type(client).__name__}"
        )


# ---------------------------------------------------------------- the sweep


def sweep(
    base: Config,
    grid: Optional[Mapping[str, Sequence[Any]]] = None,
    *,
    seeds: Union[int, Iterable[int], None] = None,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    with_ode: bool = True,
    store: Optional[PathLike] = None,
    client: Any = None,
    workers: Optional[int] = None,
    threads_per_run: int = 1,
    checkpoint_every: Optional[float] = None,
    progress: Optional[bool] = None,
    engine: str = "weights",
) -> SweepResult:
    """Runs ``base`` with every combination of the ``grid`` values and ``seeds``.

    Parameters
    ----------
    base : the Config that every run starts from.
    grid : ``{field: [values]}``; runs take the Cartesian product.
    seeds : an int n (seeds 0 .. n-1) or a list of seeds; None keeps ``base.seed``.
    t_max, times : recorded times (as for :func:`onlinesgd.simulate`), the same for every run.
    with_ode : also integrate the ODE from each simulation's initial overlaps, at its times.
    store : folder of finished runs (see :mod:`onlinesgd.store`): each run is written as soon
        as it finishes, and runs already there are not run again.
    client : None for local processes, a ``dask.distributed.Client`` (any cluster; the store
        must then be on a file system the workers share), or a ``concurrent.futures.Executor``.
    workers : processes of the local pool (default: all cores).
    threads_per_run : OpenMP threads of each run; 1 (default) suits one run per core.
    checkpoint_every : seconds between checkpoints of each run in the store, so that a killed
        sweep continues long runs where they were (None: no checkpoints).
    progress : a bar over runs; None shows it once the sweep takes over 2 s.
    engine : ``"weights"`` (default) or ``"overlaps"``: the exact overlap chain
        (docs/engines.md), for every run; part of each run's key.

    Returns
    -------
    SweepResult : ``.frame`` (tidy DataFrame), ``.trajectory(i)``, ``.summary()``, counts.

    Raises
    ------
    ValueError : a bad grid, naming the field, or an engine that cannot run a config, before
        anything runs.
    SweepError : some runs failed; the rest are stored.

    Examples
    --------
    >>> import onlinesgd
    >>> base = onlinesgd.Config(N=200, lr=0.5)
    >>> result = onlinesgd.sweep(base, {"K": [1, 2]}, seeds=[0, 1], t_max=1.0, workers=1, progress=False)
    >>> len(result.keys), sorted(set(result.frame["kind"]))
    (4, ['ode', 'simulation'])
    """
    from tqdm.auto import tqdm

    specs = make_specs(expand_grid(base, grid, seeds), t_max, times, with_ode, engine)
    if with_ode:
        from .ode import ode  # noqa: F401 (fail now, not in every worker)
    store_ = Store(store) if store is not None else None
    done: dict = {}
    if store_ is not None:
        store_.clean()
        finished = store_.finished()
        done = {s.key: store_.read(s.key).trajectories for s in specs if s.key in finished}
    todo = [s for s in specs if s.key not in done]
    failures: dict = {}
    root = None if store_ is None else str(store_.root)
    bar = tqdm(
        total=len(specs),
        initial=len(done),
        unit="run",
        desc="sweep",
        disable=progress is False,
        delay=0 if progress else 2.0,
    )
    try:
        if todo:
            with _executor(client, workers) as pool:
                futures = {pool.submit(execute_run, s, root, threads_per_run, checkpoint_every): s for s in todo}
                _collect(futures, done, failures, store_, bar)
    finally:
        bar.close()
        if store_ is not None:
            store_.index()
    if failures:
        raise SweepError(failures, len(specs))
    return SweepResult(
        specs, done, n_run=len(todo), n_skipped=len(specs) - len(todo), store=None if store_ is None else store_.root
    )


def _collect(futures: dict, done: dict, failures: dict, store: Optional[Store], bar: Any) -> None:
    """Gathers results as they come; a failed run (or a dead worker) is noted, not fatal."""
    last_index = time.monotonic()
    for future in cf.as_completed(futures):
        spec = futures[future]
        try:
            key, trajectories, _ = future.result()
            done[key] = trajectories
        except Exception as err:  # the run, or its worker, died: redone by the next call
            failures[spec.key] = err
        bar.update()
        if store is not None and time.monotonic() - last_index > 10.0:
            store.index()  # keep the index roughly current during long sweeps
            last_index = time.monotonic()

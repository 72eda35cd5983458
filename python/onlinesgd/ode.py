"""The N -> infinity theory: the ODEs for the order parameters (THEORY.md), integrated in C++."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional, Union

import numpy as np

from . import _core
from .config import Config
from .simulator import Simulator
from .times import TimesLike, recording_times
from .trajectory import Trajectory

_NAMES = ("Q", "R", "T", "v", "v_star")
InitLike = Union[Trajectory, Mapping[str, np.ndarray], Sequence[np.ndarray], None]


def initial_overlaps(config: Config, init: InitLike = None) -> tuple[dict, float]:
    """Validated starting overlaps and their time.

    Parameters
    ----------
    config : the model; fixes K and M.
    init : a :class:`Trajectory` (its first recorded overlaps and time), a mapping or a
        5-sequence of ``Q, R, T, v, v_star``, or None: the overlaps of the weights that
        :func:`onlinesgd.simulate` draws for ``config`` (same seed). With several heads a
        mapping may hold ``heads`` (H, K); without it every head starts from v.

    Returns
    -------
    (overlaps, t0) : dict of float64 arrays (``heads`` among them) and the time they belong to.

    Raises
    ------
    ValueError
        naming the field, for a wrong shape, non-finite values, a non-symmetric Q or T, or a
        covariance [[Q, R], [R^T, T]] that is not positive semi-definite.
    """
    t0 = 0.0
    if init is None:
        raw = Simulator(config).overlaps()
    elif isinstance(init, Trajectory):
        if len(init) == 0:
            raise ValueError("init: the trajectory is empty")
        if (init.config.K, init.config.teacher_rows) != (config.K, config.teacher_rows):
            raise ValueError(
                f"init: the trajectory has K = {init.config.K} and {init.config.teacher_rows} teacher "
                f"rows, the config {config.K} and {config.teacher_rows}"
            )
        raw, t0 = init.initial_overlaps(), float(init.times[0])
        if init.config.n_heads != config.n_heads:  # every head starts from the one in use
            del raw["heads"]
    elif isinstance(init, Mapping):
        missing = [k for k in _NAMES if k not in init]
        if missing:
            raise ValueError(f"init is missing {', '.join(missing)}")
        raw = {k: init[k] for k in (*_NAMES, "heads") if k in init}
    elif isinstance(init, (tuple, list)) and len(init) == 5:
        raw = dict(zip(_NAMES, init))
    else:
        raise ValueError("init must be a Trajectory, a mapping or 5-tuple (Q, R, T, v, v_star), or None")
    K, M = config.K, config.teacher_rows
    if "heads" not in raw:
        raw["heads"] = np.tile(np.asarray(raw["v"], dtype=np.float64), (config.n_heads, 1))
    shapes = {"Q": (K, K), "R": (K, M), "T": (M, M), "v": (K,), "v_star": (M,), "heads": (config.n_heads, K)}
    out = {}
    for name, shape in shapes.items():
        arr = np.asarray(raw[name], dtype=np.float64)
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite")
        out[name] = arr.copy()
    C = np.block([[out["Q"], out["R"]], [out["R"].T, out["T"]]])
    scale = max(1.0, float(np.max(np.abs(C))))
    for name in ("Q", "T"):
        if not np.allclose(out[name], out[name].T, rtol=0, atol=1e-10 * scale):
            raise ValueError(f"{name} must be symmetric")
    if np.linalg.eigvalsh(0.5 * (C + C.T))[0] < -1e-9 * scale:
        raise ValueError("Q, R, T: the covariance [[Q, R], [R^T, T]] must be positive semi-definite")
    return out, t0


def ode(
    config: Config,
    init: InitLike = None,
    t_max: Optional[float] = None,
    times: Optional[TimesLike] = None,
    *,
    method: str = "dopri5",
    rtol: float = 1e-9,
    atol: float = 1e-11,
    dt: float = 0.01,
    max_dt: float = 1.0,
    sgd_noise: bool = True,
    progress: Optional[bool] = None,
) -> Trajectory:
    """Integrates the order-parameter ODEs of THEORY.md for ``config`` and returns a
    :class:`Trajectory` with ``kind="ode"`` and the same fields as :func:`onlinesgd.simulate`.

    With several teachers (docs/continual.md) R has a column for every teacher row, the heads
    move only while their task is trained, a phase that mixes tasks follows the fraction-weighted
    sum of their right-hand sides, and the integration stops exactly at each of the schedule's
    switch times (after ``t0`` = the start time), makes the switch (``copy_head``) and restarts;
    ``eg_tasks`` holds eg on every task.

    Time is the simulation's: t = samples / N. With a minibatch B the drift terms carry
    eta / B and the eta^2 terms (eta / B)^2, as one step of B samples does to leading order
    in 1/N; so batch B at eta follows batch 1 at eta / B. ``config.N`` only sets the default
    recording times; the theory is N-independent.

    Parameters
    ----------
    config : the model (activations, lr, lr_v (0 freezes v), noise, batch).
    init : starting overlaps; see :func:`initial_overlaps`. None uses the overlaps of the
        weights ``simulate(config)`` starts from, so the two runs compare directly.
    t_max : final time; with ``times`` None the recording times are the start plus ~100
        log-spaced times up to ``t_max``, like simulate().
    times : explicit, strictly increasing recording times >= the start time.
    method : "dopri5" (Dormand-Prince 5(4), adaptive, default) or "rk4" (fixed step ``dt``).
    rtol, atol : dopri5 error tolerances per component; the defaults keep the time-stepping
        error of eg below 1e-8 over t <= 50 (tests/test_ode_integrator.py).
    dt : rk4 step, or dopri5 first trial step.
    max_dt : dopri5 longest step.
    sgd_noise : False drops the eta^2 terms (the I4 and sigma^2 J2 terms of dQ): gradient flow
        on the population loss, the noiseless reference of SGD (docs/theory.md §8). Weight decay
        and a Langevin temperature stay.
    progress : None shows a progress bar once the integration takes over 2 s, True always,
        False never. Ctrl-C stops the integration and returns the times reached so far
        (``info['interrupted']``, ``info['interrupted_at']``), as :func:`onlinesgd.simulate` does.

    Returns
    -------
    Trajectory with ``info`` holding the method, tolerances, ``steps``, ``rejected``,
    ``rhs_evaluations``, ``dt_min``, ``dt_max``, the wall time, and ``diverged_at`` when the
    state became non-finite (the trajectory then stops at the last finite time).

    A Gaussian mixture (inputs="mixture") integrates its own ODE: :func:`onlinesgd.mixture_ode`
    (RK4 with step ``dt``; ``init`` a mixture trajectory or a mapping with Q, M, v).

    Notes
    -----
    erf (both networks) uses the Saad-Solla closed forms, threaded over student pairs
    from K ~ 28 on (K = 20 costs ~0.010 s per unit t on one core). An erf student with any teacher reduces
    every average to closed forms or 1-D/2-D rules by Gaussian reweighting. ReLU and linear
    use exact closed forms and Stein's lemma down to orthant probabilities (Plackett's
    identity for four variables). sigmoid and tanh use 2-D to 4-D trapezoidal rules after a
    Cholesky factorisation (accuracy ~1e-9); the 4-D I4 costs ~1.5 ms each, so their ODE is
    practical for K + M up to about 6 (seconds to minutes per unit t beyond).

    Examples
    --------
    >>> import onlinesgd
    >>> config = onlinesgd.Config(N=1000, K=2, M=2, lr=0.5, seed=0)
    >>> sim = onlinesgd.simulate(config, t_max=5.0, progress=False)
    >>> theory = onlinesgd.ode(config, sim, times=sim.times, progress=False)  # from the simulation's t = 0
    >>> theory.kind, bool(abs(theory.eg[-1] - sim.eg[-1]) < 0.05)
    ('ode', True)
    """
    import time as _time

    from tqdm.auto import tqdm

    if not isinstance(config, Config):
        raise ValueError(f"config must be an onlinesgd.Config, got {type(config).__name__}")
    if config.inputs in ("hmm", "hmm_gaussian"):  # the per-mode ODE (docs/hidden_manifold.md)
        from .manifold_ode import ode_from

        return ode_from(config, init, t_max, times, dt)
    if config.inputs == "mixture":  # its own state (Q, M, v) and averages: mixture_ode.py
        from .mixture_ode import mixture_ode

        return mixture_ode(config, init, t_max, times, dt=dt)  # type: ignore[arg-type]
    if method not in ("dopri5", "rk4"):
        raise ValueError(f"method must be 'dopri5' or 'rk4', got {method!r}")
    for name, value in (("rtol", rtol), ("atol", atol), ("dt", dt), ("max_dt", max_dt)):
        if not (isinstance(value, (int, float, np.floating)) and np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not isinstance(sgd_noise, bool):
        raise ValueError(f"sgd_noise must be True or False, got {sgd_noise!r}")
    o, t0 = initial_overlaps(config, init)
    core = config.to_core()
    feedback = _core.feedback_vector(core) if config.feedback == "fa" else None
    times = recording_times(t_max, times, config.N, config.batch, t0, config.switch_times)
    tic = _time.perf_counter()
    span = float(times[-1] - t0)
    bar = tqdm(
        total=span,
        disable=progress is False,
        delay=0 if progress else 2.0,
        mininterval=0.5,
        leave=False,
        desc="ode",
        bar_format="{desc}: {percentage:3.0f}%|{bar}| t = {n:.4g}/{total:.4g} [{elapsed}<{remaining}]",
    )
    try:
        res = _core.ode_integrate(
            core,
            o["Q"],
            o["R"],
            o["T"],
            o["heads"].ravel(),
            o["v_star"],
            list(np.asarray(times) - t0),
            method,
            rtol,
            atol,
            dt,
            max_dt,
            progress=lambda t: bar.update(t - bar.n),
            feedback=feedback,
            sgd_noise=sgd_noise,
            t0=t0,
        )
    finally:
        bar.close()
    wall = _time.perf_counter() - tic
    n = len(res["times"])
    info = {
        "method": method,
        "rtol": rtol,
        "atol": atol,
        "dt": dt,
        "max_dt": max_dt,
        "wall_s": wall,
        "sgd_noise": sgd_noise,
    }
    info.update({k: res[k] for k in ("steps", "rejected", "rhs_evaluations", "dt_min", "dt_max")})
    if res["diverged"]:
        info["diverged_at"] = t0 + res["diverged_at"]
    if res["interrupted"]:
        info["interrupted"] = True
        info["interrupted_at"] = t0 + res["stopped_at"]
    return Trajectory(
        times=np.asarray(times, dtype=np.float64)[:n],
        Q=res["Q"],
        R=res["R"],
        T=np.repeat(o["T"][None], n, axis=0),
        v=res["v"],
        v_star=np.repeat(o["v_star"][None], n, axis=0),
        eg=res["eg"],
        config=config,
        version=_core.__version__,
        kind="ode",
        info=info,
        heads=res["heads"],
        eg_tasks=res["eg_tasks"],
    )

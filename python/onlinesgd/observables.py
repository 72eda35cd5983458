"""Quantities derived from recorded order parameters, for simulations and the ODE alike:
the feedback alignment, the gradient alignment, the SGD temperature, how far the weights moved,
the natural time of a scaling and the schedule's switch times (docs/theory.md §5-§7, §9)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _core
from .config import Config


def feedback_vector(config: Config) -> Optional[np.ndarray]:
    """The fixed feedback vector b of a feedback-alignment config.

    Parameters
    ----------
    config : Config
        The model.

    Returns
    -------
    numpy.ndarray or None
        b (K): ``config.feedback_vector`` when given, else the vector the simulation and the ODE
        draw from the seed's feedback stream; None for backprop.

    Examples
    --------
    >>> from onlinesgd import Config, observables
    >>> observables.feedback_vector(Config(K=3, feedback="fa", feedback_vector=(1, -1, 0.5)))
    array([ 1. , -1. ,  0.5])
    """
    if config.feedback != "fa":
        return None
    return np.asarray(_core.feedback_vector(config.to_core()))


def _require_fa(config: Config, what: str) -> np.ndarray:
    b = feedback_vector(config)
    if b is None:
        raise ValueError(f"{what} needs a feedback-alignment run (Config.feedback='fa')")
    return b


def alignment(traj: Any) -> np.ndarray:
    """The alignment cos(v, b) of the readout with the feedback vector (Refinetti et al. 2021).

    Parameters
    ----------
    traj : Trajectory
        A simulation or ODE trajectory of a ``feedback="fa"`` config.

    Returns
    -------
    numpy.ndarray
        (n,): cos(v(t), b) at every recorded time.

    Raises
    ------
    ValueError
        when the config is not feedback alignment.

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import observables
    >>> cfg = onlinesgd.Config(N=500, K=3, lr_v=1.0, feedback="fa", seed=1)
    >>> traj = onlinesgd.simulate(cfg, times=[0, 1, 2], progress=False)
    >>> observables.alignment(traj).shape
    (3,)
    """
    b = _require_fa(traj.config, "alignment")
    v = np.asarray(traj.v)
    return v @ b / (np.linalg.norm(v, axis=1) * np.linalg.norm(b))


def _overlaps_at(traj: Any, i: int, heads: bool = False) -> tuple:
    """Q, R, T, v, v_star at recorded time i; with ``heads``, v holds every head (as the ODE's state)."""
    names = ("Q", "R", "T", "heads" if heads else "v", "v_star")
    return tuple(
        np.asarray(getattr(traj, name)[i]).ravel() if name == "heads" else np.asarray(getattr(traj, name)[i])
        for name in names
    )


def switch_times(config: Config, exact: bool = True) -> np.ndarray:
    """The schedule's switch times (several teachers, docs/continual.md).

    Parameters
    ----------
    config : Config
        The model.
    exact : bool
        True: the config's ``switch_times`` (the ODE switches there); False: the start of the first
        simulation step at or after each (the simulation switches there).

    Returns
    -------
    numpy.ndarray
        One time per switch (empty without switches).

    Examples
    --------
    >>> from onlinesgd import Config, observables
    >>> observables.switch_times(Config(N=1000, batch=3, switch_times=(0.01,)), exact=False)
    array([0.012])
    """
    times = np.asarray(config.switch_times or (), dtype=np.float64)
    if exact or not times.size:
        return times
    steps = np.asarray(_core.phase_first_steps(config.to_core()), dtype=np.float64)
    return steps * config.batch / config.N


def gradient_alignment(traj: Any) -> np.ndarray:
    """The gradient alignment: the cosine between the population-mean first-layer updates of
    backprop and of feedback alignment, from the overlaps (docs/theory.md §6).

    Parameters
    ----------
    traj : Trajectory
        A simulation or ODE trajectory of a ``feedback="fa"`` config.

    Returns
    -------
    numpy.ndarray
        (n,): cos(v, b) weighted by ``|G_k|^2``, with G_k the mean gradient of row k.

    Raises
    ------
    ValueError
        when the config is not feedback alignment.

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import observables
    >>> cfg = onlinesgd.Config(K=3, lr_v=1.0, feedback="fa", feedback_vector=(1.2, -0.7, 0.4))
    >>> theory = onlinesgd.ode(cfg, times=[0, 5], progress=False)
    >>> bool(abs(observables.gradient_alignment(theory)[-1]) <= 1)
    True
    """
    c = traj.config
    b = _require_fa(c, "gradient_alignment")
    gs = c.student_g
    rows = list(c.row_activations)
    out = np.empty(len(traj.times))
    for t in range(len(traj.times)):
        Q, R, T, v, vs = _overlaps_at(traj, t)
        vs = _task_readout(c, vs, int(c.phase_at(traj.times[t])))
        K, M = len(v), len(vs)
        C = np.block([[Q, R], [R.T, T]])
        acts = [gs] * K + rows
        u = np.concatenate([-v, vs])  # Delta = -sum_c u_c g(x_c)
        e1 = np.array(
            [[_core.gaussian_e_d2g_g(gs, acts[j], C[k, k], C[j, j], C[k, j]) for j in range(K + M)] for k in range(K)]
        )
        j2 = np.array(
            [[_core.gaussian_j2(gs, acts[j], C[k, k], C[j, j], C[k, j]) for j in range(K + M)] for k in range(K)]
        )
        a = np.diag(-(e1 @ u)) + j2[:, :K] * v[None, :]  # a_kj
        cc = -j2[:, K:] * vs[None, :]  # c_kn
        G2 = (
            np.einsum("kj,jl,kl->k", a, Q, a)
            + 2 * np.einsum("kj,jn,kn->k", a, R, cc)
            + np.einsum("kn,nm,km->k", cc, T, cc)
        )  # N |G_k|^2
        out[t] = np.sum(v * b * G2) / np.sqrt(np.sum(v**2 * G2) * np.sum(b**2 * G2))
    return out


def _task_readout(c: Config, v_star: np.ndarray, phase: int) -> np.ndarray:
    """u*: v_star on the rows of the main task of ``phase`` (and the centring rows), 0 elsewhere."""
    if c.teachers == 1:
        return v_star
    from .tasks import main_task, task_rows

    u = np.zeros_like(v_star)
    rows = task_rows(c, main_task(c.phases[phase]))
    u[rows] = v_star[rows]
    u[c.teacher_units :] = v_star[c.teacher_units :]
    return u


def sgd_temperature(traj: Any) -> np.ndarray:
    """The SGD noise as a Langevin temperature matrix (docs/theory.md §7).

    Parameters
    ----------
    traj : Trajectory
        A simulation or ODE trajectory.

    Returns
    -------
    numpy.ndarray
        (n, K, K): ``(eta/2) f_i f_k [sum_cd u_c u_d I4(i,k,c,d) + sigma^2 J2(i,k)]`` at every
        recorded time, eta = lr / batch. It is the part of dQ/dt that SGD's noise adds, in the
        form ``2 eta T delta_ik`` of a Langevin temperature T: compare its diagonal with
        ``Config.temperature``. With several teachers, for the samples of the task the phase in
        force trains.

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import observables
    >>> theory = onlinesgd.ode(onlinesgd.Config(noise=0.3), times=[0, 1], progress=False)
    >>> observables.sgd_temperature(theory).shape
    (2, 2, 2)
    """
    c = traj.config
    core, b = c.to_core(), feedback_vector(c)
    phases = c.phase_at(traj.times)
    out = []
    for t in range(len(traj.times)):
        Q, R, T, heads, v_star = _overlaps_at(traj, t, heads=True)
        out.append(_core.sgd_temperature(core, Q, R, T, heads, v_star, feedback=b, phase=int(phases[t])))
    return np.stack(out)


def weight_motion(traj: Any) -> np.ndarray:
    """How far the first layer moved from its start, the lazy-training observable (docs/theory.md §9).

    Parameters
    ----------
    traj : Trajectory
        A trajectory of a ``centred`` config, whose last K teacher rows are the initial student W0.

    Returns
    -------
    numpy.ndarray
        (n,): ``|W - W0| / |W0|`` (Frobenius), from ``|W - W0|^2 / N = Q - R_W0 - R_W0^T + Q(0)``
        summed over the diagonal.

    Raises
    ------
    ValueError
        when the config is not centred.

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import observables
    >>> cfg = onlinesgd.Config(K=3, scaling="geiger", alpha=3.0, centred=True, lr_v=1.0)
    >>> theory = onlinesgd.ode(cfg, times=[0, 10], progress=False)
    >>> bool(observables.weight_motion(theory)[-1] < 0.5)  # large alpha: lazy
    True
    """
    c = traj.config
    if not c.centred:
        raise ValueError("weight_motion needs a centred run (Config.centred=True): the overlaps with W0")
    K, M = c.K, c.M
    Q, R, T = np.asarray(traj.Q), np.asarray(traj.R), np.asarray(traj.T)
    q0 = np.trace(T[0, M:, M:])
    moved = np.trace(Q, axis1=1, axis2=2) - 2 * np.trace(R[:, :, M : M + K], axis1=1, axis2=2) + q0
    return np.sqrt(np.maximum(moved, 0.0) / q0)


def natural_times(traj: Any) -> np.ndarray:
    """The recorded times in the natural time of the config's scaling.

    Parameters
    ----------
    traj : Trajectory
        Any trajectory.

    Returns
    -------
    numpy.ndarray
        ``traj.config.time_scale * traj.times`` (e.g. s t for the mean-field scaling).

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import observables
    >>> cfg = onlinesgd.Config(K=4, lr=0.5, scaling="mean_field")
    >>> observables.natural_times(onlinesgd.ode(cfg, times=[0, 2], progress=False))
    array([0., 1.])
    """
    return np.asarray(traj.times) * traj.config.time_scale


def ode_rhs(config: Config, overlaps: dict, sgd_noise: bool = True, phase: int = 0) -> dict:
    """The ODE's right-hand side at given overlaps, with the config's rule.

    Parameters
    ----------
    config : Config
        The model (activations, rates, feedback, decay, temperature).
    overlaps : mapping
        Q (K, K), R (K, M), T (M, M), v (K), v_star (M), and with several heads ``heads``
        (H, K) (without it every head is v).
    sgd_noise : bool
        False drops the eta^2 terms (gradient flow).
    phase : int
        The phase of the config's schedule (several teachers: its tasks, fractions, frozen layer).

    Returns
    -------
    dict
        ``{"Q": dQ/dt, "R": dR/dt, "v": dv/dt}``; with several heads dv/dt is (H, K).

    Examples
    --------
    >>> import onlinesgd
    >>> from onlinesgd import observables
    >>> o = onlinesgd.Simulator(onlinesgd.Config(N=100)).overlaps()
    >>> sorted(observables.ode_rhs(onlinesgd.Config(), o))
    ['Q', 'R', 'v']
    """
    heads = np.asarray(overlaps["heads"] if "heads" in overlaps else overlaps["v"], dtype=float)
    if heads.ndim == 1:  # one head given for every head
        heads = np.tile(heads, (config.n_heads, 1))
    Q, R, T, v_star = (np.asarray(overlaps[k], dtype=float) for k in ("Q", "R", "T", "v_star"))
    dQ, dR, dv = _core.ode_rhs(
        config.to_core(),
        Q,
        R,
        T,
        heads.ravel(),
        v_star,
        feedback=feedback_vector(config),
        sgd_noise=sgd_noise,
        phase=phase,
    )
    return {"Q": dQ, "R": dR, "v": dv if config.n_heads == 1 else dv.reshape(config.n_heads, config.K)}

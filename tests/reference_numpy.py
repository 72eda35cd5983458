"""An independent NumPy implementation of the model, written from the equations of docs/theory.md §1, §5-§7 alone."""

from __future__ import annotations

import numpy as np
from scipy.special import erf

SQRT2 = np.sqrt(2.0)


def g(name: str, x: np.ndarray) -> np.ndarray:
    if name == "erf":
        return erf(x / SQRT2)
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "linear":
        return x
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    raise KeyError(name)


def dg(name: str, x: np.ndarray) -> np.ndarray:
    if name == "erf":
        return np.sqrt(2.0 / np.pi) * np.exp(-0.5 * x**2)
    if name == "relu":
        return (x > 0).astype(float)
    if name == "linear":
        return np.ones_like(x)
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-x))
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(x) ** 2
    raise KeyError(name)


def sgd_step(
    W,
    v,
    B,
    v_star,
    X,
    zeta,
    *,
    lr,
    lr_v,
    noise,
    g_student,
    g_teacher,
    feedback=None,
    weight_decay=0.0,
    weight_decay_v=0.0,
    temperature=0.0,
    xi=None,
    g_teacher_rows=None,
):
    """One minibatch step: returns new (W, v). X is b x N, zeta the b standard-normal noises.

    feedback: the fixed vector b of feedback alignment (None: backprop, b = v). Once per step
    W <- (1 - lr wd / N) W + ... + sqrt(2 lr T / N) xi and v <- (1 - lr_v wd_v / N) v + ...
    (docs/theory.md §6, §7). g_teacher_rows: one activation per teacher row (default g_teacher).
    """
    N = W.shape[1]
    b = X.shape[0]
    lam = X @ W.T / np.sqrt(N)  # b x K
    nu = X @ B.T / np.sqrt(N)  # b x M
    rows = g_teacher_rows or [g_teacher] * B.shape[0]
    y = np.stack([g(rows[m], nu[:, m]) for m in range(B.shape[0])], axis=1) @ v_star + noise * zeta
    delta = g(g_student, lam) @ v - y  # b
    f = v if feedback is None else np.asarray(feedback)
    grad_W = ((dg(g_student, lam) * f) * delta[:, None]).T @ X / np.sqrt(N)  # K x N
    grad_v = g(g_student, lam).T @ delta / N
    W_new = (1 - lr * weight_decay / N) * W - lr * grad_W / b
    if temperature:
        W_new = W_new + np.sqrt(2 * lr * temperature / N) * xi
    v_new = (1 - lr_v * weight_decay_v / N) * v - lr_v * grad_v / b if lr_v != 0 else v.copy()
    return W_new, v_new


def overlaps(W, v, B, v_star):
    N = W.shape[1]
    return {"Q": W @ W.T / N, "R": W @ B.T / N, "T": B @ B.T / N, "v": v, "v_star": v_star}


def eg_monte_carlo(W, v, B, v_star, g_student, g_teacher, samples, rng, chunk=20_000):
    """Mean and standard error of 1/2 (phi - phi*)^2 over fresh Gaussian inputs."""
    N = W.shape[1]
    vals = []
    for start in range(0, samples, chunk):
        X = rng.standard_normal((min(chunk, samples - start), N))
        diff = g(g_student, X @ W.T / np.sqrt(N)) @ v - g(g_teacher, X @ B.T / np.sqrt(N)) @ v_star
        vals.append(0.5 * diff**2)
    vals = np.concatenate(vals)
    return vals.mean(), vals.std(ddof=1) / np.sqrt(vals.size)


MASK = 2**64 - 1


def _splitmix64(state: int) -> int:
    z = state = (state + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def block_key(seed: int, stream: int, counter: int, block: int) -> int:
    """The key of a counter block, as cpp/include/onlinesgd/rng.hpp documents it."""
    k = _splitmix64(seed) ^ stream
    k = _splitmix64(k) ^ counter
    k = _splitmix64(k) ^ block
    return _splitmix64(k)


def task_of_sample(seed: int, sample: int, fractions) -> int:
    """The task of a sample of a mixture phase: a uniform number from the Tasks stream (7) keyed by
    the sample, against the cumulative fractions (the last task with a fraction takes the rest)."""
    u = (block_key(seed, 7, sample, 0) >> 11) * 2.0**-53
    edges = np.cumsum(fractions)[:-1]
    task = int(np.searchsorted(edges, u, side="right"))
    return task if fractions[task] > 0 else max(p for p, f in enumerate(fractions) if f > 0)

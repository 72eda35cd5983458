"""The model description shared by the simulation and the theory."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Optional

ACTIVATIONS = ("erf", "relu", "linear", "sigmoid", "tanh")
PRECISIONS = ("float64", "float32")
"""Storage of weights and inputs; local fields and overlaps always accumulate in double."""
INPUTS = ("gaussian", "rademacher")
"""Distribution of the input components: N(0, 1), or +-1 with probability 1/2 each."""
"""Supported activations g: erf(x/sqrt 2), max(0, x), x, 1/(1+exp(-x)), tanh(x)."""


def _check_int(name: str, value: Any, minimum: int, maximum: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


def _check_real(name: str, value: Any, nonnegative: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Config:
    """A teacher-student soft committee machine trained by online SGD.

    Parameters
    ----------
    N : input dimension.
    K, M : hidden units of the student and of the teacher.
    activation : student activation, one of ``ACTIVATIONS``.
    teacher_activation : teacher activation; ``None`` means the same as the student's.
    lr : learning rate eta of the first layer (w_k -= eta/sqrt(N) v_k g'(lambda_k) Delta x).
    lr_v : learning rate eta_v of the second layer (v_k -= eta_v/N g(lambda_k) Delta);
        0 freezes the second layer.
    noise : standard deviation sigma of the label noise.
    batch : minibatch size B; time still counts samples: t = samples / N.
    seed : seed of every random stream (teacher, student, inputs, label noise).
    init_std : standard deviation of the student's first-layer weights.
    v_init : initial value of every student second-layer weight.
    teacher_v : every teacher second-layer weight v*.
    precision : "float64" (default) or "float32": storage of W, B and the inputs. float32
        rounds every weight update to float (relative 6e-8), which adds a random-walk error
        to the overlaps far below their O(1/sqrt(N)) finite-size fluctuations for the run
        lengths of interest; local fields and overlaps are accumulated in double.
    inputs : "gaussian" (default) or "rademacher" (each component +-1). Only the first two
        moments of the local fields enter the N -> infinity ODE, so both follow the same
        theory; at finite N the corrections differ at O(1/sqrt(N)).
    """

    N: int = 10_000
    K: int = 2
    M: int = 2
    activation: str = "erf"
    teacher_activation: Optional[str] = None
    lr: float = 0.5
    lr_v: float = 0.0
    noise: float = 0.0
    batch: int = 1
    seed: int = 0
    init_std: float = 1.0
    v_init: float = 1.0
    teacher_v: float = 1.0
    precision: str = "float64"
    inputs: str = "gaussian"

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("N", _check_int("N", self.N, 1))
        set_("K", _check_int("K", self.K, 1))
        set_("M", _check_int("M", self.M, 1))
        set_("batch", _check_int("batch", self.batch, 1))
        set_("seed", _check_int("seed", self.seed, 0, 2**64 - 1))
        for name in ("lr", "lr_v", "noise", "init_std"):
            set_(name, _check_real(name, getattr(self, name), nonnegative=True))
        for name in ("v_init", "teacher_v"):
            set_(name, _check_real(name, getattr(self, name), nonnegative=False))
        for name, allowed in (("precision", PRECISIONS), ("inputs", INPUTS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name in ("activation", "teacher_activation"):
            value = getattr(self, name)
            if value is None and name == "teacher_activation":
                continue
            if value not in ACTIVATIONS:
                raise ValueError(f"{name} must be one of {ACTIVATIONS}, got {value!r}")

    @property
    def student_g(self) -> str:
        return self.activation

    @property
    def teacher_g(self) -> str:
        return self.teacher_activation or self.activation

    @property
    def trains_second_layer(self) -> bool:
        return self.lr_v != 0.0

    def replace(self, **changes: Any) -> "Config":
        """A copy with some fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown Config field(s): {sorted(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown Config field(s): {sorted(unknown)}")
        return cls(**data)

    def to_core(self):
        """The C++ ``ModelConfig`` with the same fields."""
        from . import _core

        c = _core.ModelConfig()
        for name in ("N", "K", "M", "lr", "lr_v", "noise", "batch", "seed", "init_std", "v_init", "teacher_v",
                     "precision", "inputs"):
            setattr(c, name, getattr(self, name))
        c.g_student = self.student_g
        c.g_teacher = self.teacher_g
        return c

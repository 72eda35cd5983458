"""The model description shared by the simulation and the theory."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Optional

import numpy as np

from . import tasks
from .manifold_config import check_manifold, latent_dim
from .mixture_fields import checked_mixture
from .scalings import SCALINGS, Scaled, scale, scaled_teacher_readout

ACTIVATIONS = ("erf", "relu", "linear", "sigmoid", "tanh")
PRECISIONS = ("float64", "float32")
"""Storage of weights and inputs; local fields and overlaps always accumulate in double."""
"""Supported activations g: erf(x/sqrt 2), max(0, x), x, 1/(1+exp(-x)), tanh(x)."""
INPUTS = ("gaussian", "rademacher", "hmm", "hmm_gaussian", "mixture")
"""Distribution of the inputs: components N(0, 1), or +-1 with probability 1/2 each; the hidden
manifold model and its Gaussian equivalent (:mod:`onlinesgd.hidden_manifold`); or a Gaussian
mixture with labels per cluster (the ``mixture_*`` fields, docs/data.md)."""
FEEDBACKS = ("backprop", "fa")
"""Credit assignment: the true gradient, or feedback alignment (a fixed random feedback vector)."""


def _check_int(name: str, value: Any, minimum: int, maximum: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if int(value) < minimum or (maximum is not None and int(value) > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


def _check_real(name: str, value: Any, nonnegative: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


def _lists(value: Any) -> Any:
    """A field's value with its tuples, nested ones too, as lists (JSON's view of them)."""
    return [_lists(v) for v in value] if isinstance(value, (tuple, list)) else value


@dataclass(frozen=True)
class Config:
    """A teacher-student soft committee machine trained by online SGD.

    Parameters
    ----------
    N : input dimension.
    K, M : hidden units of the student and of the teacher (of each teacher, unless
        ``teacher_sizes``).
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
    precision : "float64" (default) or "float32": storage of the weights and inputs. float32
        rounds every weight update to float (relative 6e-8), which adds a random-walk error
        to the overlaps far below their O(1/sqrt(N)) finite-size fluctuations for the run
        lengths of interest; local fields and overlaps are accumulated in double.
    inputs : "gaussian" (default) or "rademacher" (each component +-1). Only the first two
        moments of the local fields enter the N -> infinity ODE, so both follow the same
        theory; at finite N the corrections differ at O(1/sqrt(N)). "hmm": the hidden manifold
        model x = f(F^T c / sqrt(D)) with the teacher on the latent c; "hmm_gaussian": its
        Gaussian equivalent (docs/hidden_manifold.md; their own ODE, :func:`onlinesgd.hmm_ode`).
    hmm_delta : D / N, the latent dimension over N (inputs "hmm", "hmm_gaussian"); D = round(hmm_delta N).
    hmm_f : the generator f of the hidden manifold model: "sign", "erf" (erf(u/sqrt 2)) or "tanh".
    feedback : "backprop" (default) or "fa": feedback alignment, where the first layer's update
        uses a fixed vector b in place of v (with one hidden layer this is also direct feedback
        alignment, DFA); the head still follows its true gradient. docs/theory.md §6.
    feedback_vector : b (K numbers) for "fa"; None draws it i.i.d. N(0, 1) from the seed.
    temperature : Langevin temperature T >= 0: each step adds Gaussian noise of variance
        2 eta T / N to every first-layer weight. docs/theory.md §7.
    temperature_v : must stay 0: noise on the K head weights does not average out as N grows
        (the head would follow a stochastic equation, not the ODE), so it is refused.
    weight_decay : lambda >= 0: each step multiplies the first layer by 1 - eta lambda / N (an L2 penalty).
    weight_decay_v : lambda_v >= 0: each step v <- (1 - eta_v lambda_v / N) v.
    scaling : how lr, lr_v, v_init and teacher_v are read (docs/theory.md §9; ``SCALINGS``):
        "committee" (default: as given), "mean_field" (readout 1/K: v = v_init/K, v* =
        teacher_v/M, lr = s K for s = lr, lr_v/K), "sqrt_k" (readout 1/sqrt(K)), "veiga"
        (Veiga et al. 2022: readout 1/K, teacher 1/M, learning rate lr N^-delta) or "geiger"
        (Geiger et al. 2020: output scale alpha, v = alpha v_init/sqrt(K), lr/alpha^2). The
        engines run the committee model with the mapped values (:meth:`effective`);
        ``time_scale`` gives the natural time beside t.
    alpha : Geiger's output scale (scaling "geiger" only), > 0.
    delta : Veiga's learning-rate exponent (scaling "veiga" only): the step is lr N^-delta.
    centred : the teacher gains K fixed rows, the student's initial ones with its initial head,
        so the student learns phi_W - phi_W0 (Geiger's centring); R, T and v_star then have
        M + K teacher columns, the last K the overlaps with the initial weights.

    Several teachers (continual learning, docs/continual.md). Their rows are stacked: R, T and
    v_star have M_tot = sum of the teachers' M_p columns, teacher 0's first.

    teachers : P >= 1, one teacher per task.
    teacher_sizes : M_p of each teacher (P integers); None: M each.
    teacher_activations : each teacher's activation; None: ``teacher_activation`` (or the student's).
    teacher_noises : each teacher's label noise sigma_p; None: ``noise`` for all.
    teacher_readout : v* over all M_tot teacher rows; None: ``teacher_v`` everywhere.
    teacher_overlap : Omega, the M_tot x M_tot teacher-teacher overlaps, symmetric positive
        semi-definite (singular allowed): the teachers are built so that T = Omega exactly, from
        orthonormalised Gaussian rows times a factor of Omega. None: rows i.i.d. N(0, 1).
    feature_similarity : alpha in [-1, 1]: consecutive teachers overlap by alpha (Omega has
        blocks alpha^|p - q| I; equal sizes). Exclusive with ``teacher_overlap``.
    readout_similarity : beta in [-1, 1]: each teacher's readout is the previous one's rotated
        within its span to cosine beta, norms equal (equal sizes M_p >= 2).
    switch_times : strictly increasing times t > 0 on the sample clock that start the phases; the
        simulation switches at the first step whose start time is >= t, the ODE at t.
    schedule : per phase (len(switch_times) + 1 entries), the task index it trains, or P fractions
        summing to 1 (a mixture: replay, interleaving; each sample's task is drawn from the seed).
        None: phase s trains task min(s, P - 1).
    heads : "single" (one head for all tasks) or "multi" (one per task; only the active task's
        head is trained).
    copy_head : at each switch, the new task's head starts from the old task's ("multi" only).
    freeze_features : the first layer is not trained after the first switch.

    Gaussian-mixture classification (docs/data.md, onlinesgd.mixture). With inputs "mixture" a
    sample of cluster a is mu_a + sqrt(Delta_a) z with label y_a, and there is no teacher network.

    mixture_means : the C cluster means, C x D: mu_a's coordinates on the first D input
        directions e_1 .. e_D (norms of order 1).
    mixture_variances : Delta_a > 0 of each cluster (C numbers); None: 1 each.
    mixture_weights : the probability p_a of each cluster (C numbers summing to 1); None: 1/C each.
    mixture_labels : y_a = +1 or -1 of each cluster (C numbers).
    label_flip : the probability in [0, 1/2) that a sample's label is flipped.

    Raises
    ------
    ValueError
        naming the field: a value of the wrong type or out of range, or fields that conflict.

    Examples
    --------
    >>> from onlinesgd import Config
    >>> config = Config(N=10_000, K=3, M=2, activation="erf", lr=0.5, noise=0.1)
    >>> config.lr_v, config.teacher_rows  # the head is not trained unless lr_v > 0
    (0.0, 2)
    >>> config.replace(K=4).K
    4
    >>> Config(K=0)
    Traceback (most recent call last):
    ...
    ValueError: K must be >= 1, got 0
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
    hmm_delta: float = 0.5
    hmm_f: str = "sign"
    feedback: str = "backprop"
    feedback_vector: Optional[tuple] = None
    temperature: float = 0.0
    temperature_v: float = 0.0
    weight_decay: float = 0.0
    weight_decay_v: float = 0.0
    scaling: str = "committee"
    alpha: float = 1.0
    delta: float = 0.0
    centred: bool = False
    teachers: int = 1
    teacher_sizes: Optional[tuple] = None
    teacher_activations: Optional[tuple] = None
    teacher_noises: Optional[tuple] = None
    teacher_readout: Optional[tuple] = None
    teacher_overlap: Optional[tuple] = None
    feature_similarity: Optional[float] = None
    readout_similarity: Optional[float] = None
    switch_times: Optional[tuple] = None
    schedule: Optional[tuple] = None
    heads: str = "single"
    copy_head: bool = False
    freeze_features: bool = False
    mixture_means: Optional[tuple] = None
    mixture_variances: Optional[tuple] = None
    mixture_weights: Optional[tuple] = None
    mixture_labels: Optional[tuple] = None
    label_flip: float = 0.0

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)
        set_("N", _check_int("N", self.N, 1))
        set_("K", _check_int("K", self.K, 1))
        set_("M", _check_int("M", self.M, 1))
        set_("batch", _check_int("batch", self.batch, 1))
        set_("seed", _check_int("seed", self.seed, 0, 2**64 - 1))
        for name in (
            "lr",
            "lr_v",
            "noise",
            "init_std",
            "temperature",
            "temperature_v",
            "weight_decay",
            "weight_decay_v",
        ):
            set_(name, _check_real(name, getattr(self, name), nonnegative=True))
        for name in ("v_init", "teacher_v", "delta"):
            set_(name, _check_real(name, getattr(self, name), nonnegative=False))
        set_("alpha", _check_real("alpha", self.alpha, nonnegative=True))
        if self.alpha == 0:
            raise ValueError("alpha must be > 0, got 0.0")
        if self.temperature_v != 0:
            raise ValueError(
                "temperature_v must be 0: Langevin noise on the K head weights does not average out "
                "as N grows (the head follows a stochastic equation, not the ODE); use temperature, "
                "which acts on the first layer"
            )
        if not isinstance(self.centred, bool):
            raise ValueError(f"centred must be True or False, got {self.centred!r}")
        for name, allowed in (
            ("precision", PRECISIONS),
            ("inputs", INPUTS),
            ("feedback", FEEDBACKS),
            ("scaling", SCALINGS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name in ("activation", "teacher_activation"):
            value = getattr(self, name)
            if value is None and name == "teacher_activation":
                continue
            if value not in ACTIVATIONS:
                raise ValueError(f"{name} must be one of {ACTIVATIONS}, got {value!r}")
        set_("feedback_vector", self._checked_feedback_vector())
        if self.scaling != "geiger" and self.alpha != 1.0:
            raise ValueError(f"alpha is Geiger's output scale: set scaling='geiger' (scaling is {self.scaling!r})")
        if self.scaling != "veiga" and self.delta != 0.0:
            raise ValueError(
                f"delta is Veiga's learning-rate exponent: set scaling='veiga' (scaling is {self.scaling!r})"
            )
        self._check_teachers()
        check_manifold(self)
        for name, value in checked_mixture(self).items():
            set_(name, value)

    def _check_teachers(self) -> None:
        """The several-teacher fields (:mod:`onlinesgd.tasks`), normalised to tuples."""

        def set_(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)  # the dataclass is frozen

        set_("teachers", _check_int("teachers", self.teachers, 1))
        P = self.teachers
        set_("teacher_sizes", tasks.checked_sizes(self.teacher_sizes, P))
        set_("teacher_activations", tasks.checked_activations(self.teacher_activations, P, ACTIVATIONS))
        set_("teacher_noises", tasks.checked_numbers("teacher_noises", self.teacher_noises, P, nonnegative=True))
        rows = self.teacher_units
        set_("teacher_readout", tasks.checked_numbers("teacher_readout", self.teacher_readout, rows))
        set_("teacher_overlap", tasks.checked_overlap(self.teacher_overlap, rows, self.N))
        for name in ("feature_similarity", "readout_similarity"):
            set_(name, tasks.checked_similarity(name, getattr(self, name), P, self.task_sizes))
        if self.feature_similarity is not None and self.teacher_overlap is not None:
            raise ValueError("feature_similarity and teacher_overlap both set the teachers' overlaps: give one")
        if self.feature_similarity is not None and self.N < rows:
            raise ValueError(f"feature_similarity: {rows} teacher rows with prescribed overlaps need N >= {rows}")
        if self.readout_similarity is not None and self.teacher_readout is not None:
            raise ValueError("readout_similarity and teacher_readout both set the teachers' readouts: give one")
        set_("switch_times", tasks.checked_switch_times(self.switch_times))
        set_("schedule", tasks.checked_schedule(self.schedule, len(self.switch_times or ()) + 1, P))
        if self.heads not in tasks.HEADS:
            raise ValueError(f"heads must be one of {tasks.HEADS}, got {self.heads!r}")
        for name in ("copy_head", "freeze_features"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.copy_head and self.heads != "multi":
            raise ValueError("copy_head copies the old task's head into the new one's: set heads='multi'")
        if self.freeze_features and not self.switch_times:
            raise ValueError("freeze_features freezes the first layer after the first switch: give switch_times")
        if self.centred and P > 1:
            raise ValueError("centred (Geiger's centring) works with one teacher: set teachers=1")

    def _checked_feedback_vector(self) -> Optional[tuple]:
        b = self.feedback_vector
        if b is None:
            return None
        if self.feedback != "fa":
            raise ValueError("feedback_vector is the fixed vector of feedback alignment: set feedback='fa'")
        try:
            values = tuple(float(x) for x in b)
        except (TypeError, ValueError):
            raise ValueError(f"feedback_vector must be K = {self.K} numbers, got {b!r}") from None
        if len(values) != self.K or not all(math.isfinite(x) for x in values):
            raise ValueError(f"feedback_vector must be K = {self.K} finite numbers, got {b!r}")
        return values

    @property
    def student_g(self) -> str:
        return self.activation

    @property
    def teacher_g(self) -> str:
        return self.teacher_activation or self.activation

    @property
    def trains_second_layer(self) -> bool:
        return self.lr_v != 0.0

    @property
    def teacher_rows(self) -> int:
        """Teacher rows the overlaps R, T and v_star cover: every teacher's, plus K when ``centred``."""
        return self.teacher_units + (self.K if self.centred else 0)

    @property
    def teacher_units(self) -> int:
        """M_tot: the hidden units of all teachers together."""
        return sum(self.task_sizes)

    @property
    def task_sizes(self) -> tuple:
        """M_p of every teacher."""
        return tasks.sizes(self)

    @property
    def task_activations(self) -> tuple:
        """The activation of every teacher."""
        return self.teacher_activations or (self.teacher_g,) * self.teachers

    @property
    def task_noises(self) -> tuple:
        """The label noise sigma_p of every teacher."""
        return self.teacher_noises or (self.noise,) * self.teachers

    @property
    def row_activations(self) -> tuple:
        """The activation of every teacher row (the centring rows take the student's)."""
        rows = sum(((g,) * m for g, m in zip(self.task_activations, self.task_sizes)), ())
        return rows + (self.student_g,) * (self.teacher_rows - self.teacher_units)

    @property
    def clusters(self) -> int:
        """C, the clusters of a Gaussian mixture (inputs="mixture"); 0 otherwise."""
        return len(self.mixture_means or ())

    @property
    def n_heads(self) -> int:
        """Student heads: one per task with heads="multi", else one."""
        return self.teachers if self.heads == "multi" else 1

    @property
    def phases(self) -> tuple:
        """Each phase's fractions of the tasks (:func:`onlinesgd.tasks.phases`)."""
        return tasks.phases(self)

    def phase_at(self, t: Any) -> np.ndarray:
        """The phase in force at time(s) t on the ODE's clock: switches at or before t have happened."""
        return np.searchsorted(
            np.asarray(self.switch_times or (), dtype=float), np.asarray(t, dtype=float), side="right"
        )

    def effective(self) -> Scaled:
        """lr, lr_v, v_init, teacher_v of the committee model that the engines run for this
        ``scaling``, and the natural time scale (docs/theory.md §9)."""
        return scale(self)

    @property
    def time_scale(self) -> float:
        """The natural time of this scaling is ``time_scale * t`` (eta_eff = lr x readout scale)."""
        return self.effective().time_scale

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown Config field(s): {sorted(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-ready fields (tuples, such as the feedback vector, as lists)."""
        return {name: _lists(value) for name, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Config:
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown Config field(s): {sorted(unknown)}")
        return cls(**data)

    def to_core(self) -> Any:
        """The C++ ``ModelConfig`` with the same fields."""
        from . import _core

        c = _core.ModelConfig()
        for name in (
            "N",
            "K",
            "M",
            "noise",
            "batch",
            "seed",
            "init_std",
            "precision",
            "feedback",
            "temperature",
            "weight_decay",
            "weight_decay_v",
            "centred",
        ):
            setattr(c, name, getattr(self, name))
        mapped = self.effective()
        for name in ("lr", "lr_v", "v_init", "teacher_v"):
            setattr(c, name, getattr(mapped, name))
        c.feedback_vector = list(self.feedback_vector or ())
        c.g_student = self.student_g
        c.g_teacher = self.teacher_g
        c.inputs = "rows" if self.inputs == "mixture" else self.inputs  # a mixture's samples are given rows
        self._teachers_to_core(c, mapped)
        if self.inputs in ("hmm", "hmm_gaussian"):
            c.latent_dim, c.manifold_f = latent_dim(self), self.hmm_f
        return c

    def _teachers_to_core(self, c: Any, mapped: Scaled) -> None:
        """The several-teacher fields of the C++ ModelConfig (left at their defaults, the one
        teacher of M rows, unless set)."""
        c.M = self.teacher_units
        if self.teachers > 1:
            c.task_sizes = list(self.task_sizes)
            c.task_activations = list(self.task_activations)
            c.task_noises = list(self.task_noises)
        if self.teachers > 1 or self.teacher_readout is not None:
            # the scaling's factor of each teacher's readout (1/M_p for mean field, ...)
            given = self.teacher_readout or (self.teacher_v,) * self.teacher_units
            sizes = sum(((m,) * m for m in self.task_sizes), ())
            c.teacher_readout = [scaled_teacher_readout(self, v, m) for v, m in zip(given, sizes)]
        omega = tasks.overlap_matrix(self)
        if omega is not None:
            c.teacher_overlap = list(omega.ravel())
        if self.readout_similarity is not None:
            c.readout_similarity = self.readout_similarity
        if self.switch_times or self.teachers > 1:
            c.switch_times = list(self.switch_times or ())
            c.phase_weights = [w for phase in self.phases for w in phase]
        c.multi_head = self.heads == "multi"
        c.copy_head = self.copy_head
        c.freeze_features = self.freeze_features

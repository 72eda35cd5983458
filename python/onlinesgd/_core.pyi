"""Type stubs for the compiled core (private: use the onlinesgd package)."""

from typing import Any, Callable, Optional

import numpy as np
from numpy.typing import NDArray

__version__: str

def max_threads() -> int: ...
def set_max_threads(n: int) -> None: ...
def generalisation_error(
    Q: NDArray[np.float64],
    R: NDArray[np.float64],
    T: NDArray[np.float64],
    v: NDArray[np.float64],
    v_star: NDArray[np.float64],
    g_student: str,
    g_teacher: str,
) -> float: ...
def i2(g_a: str, g_b: str, caa: float, cbb: float, cab: float) -> float: ...
def normal_row(seed: int, stream: int, counter: int, n: int) -> NDArray[np.float64]: ...
def input_row(seed: int, sample: int, config: ModelConfig) -> NDArray[np.float64] | NDArray[np.float32]: ...
def advance_replicas(sims: list[Simulator] | list[OverlapChain], n: int) -> list[int]: ...
def advance_rows(sim: Simulator, X: NDArray[Any], labels: NDArray[np.float64] | None = None) -> int: ...
def activation_values(name: str, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def point_sums(
    activation: str,
    z: NDArray[np.float64],
    w: NDArray[np.float64],
    m: NDArray[np.float64],
    L: NDArray[np.float64],
    v: NDArray[np.float64],
    ybar: float,
    y: float,
) -> dict[str, Any]: ...
def relu_cluster_averages(
    m: NDArray[np.float64], S: NDArray[np.float64], v: NDArray[np.float64], ybar: float
) -> dict[str, Any]: ...
def bvn_cdf(h: Any, k: Any, rho: Any) -> Any: ...
def mvn_cdf(h: NDArray[np.float64], R: NDArray[np.float64]) -> float: ...
def mixture_noise(seed: int, first: int, count: int, n: int, scale: NDArray[np.float64]) -> NDArray[np.float64]: ...
def mixture_uniforms(seed: int, first: int, count: int, block: int) -> NDArray[np.float64]: ...
def chi_square_draws(seed: int, dof: float, n: int) -> NDArray[np.float64]: ...
def step_threads(config: ModelConfig) -> int: ...
def generation_seconds(config: ModelConfig, samples: int, threads: int = 0) -> float: ...
def weight_pass_seconds(config: ModelConfig, passes: int, threads: int = 0) -> float: ...
def phase_seconds(config: ModelConfig, steps: int) -> dict[str, float]: ...
def kernel_target() -> str: ...
def kernel_targets() -> list[str]: ...
def kernel_supported(name: str) -> bool: ...
def select_kernel(name: str) -> bool: ...
def kernel_block(
    W: np.ndarray, x_cur: np.ndarray, coef: np.ndarray, keys: list[int], float32: bool = False, rademacher: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]: ...
def gaussian_j2(g_a: str, g_b: str, caa: float, cbb: float, cab: float) -> float: ...
def gaussian_e_d2g_g(g_a: str, g_c: str, caa: float, ccc: float, cac: float) -> float: ...
def gaussian_i3(g_a: str, g_c: str, C: NDArray[np.float64]) -> float: ...
def gaussian_i4(g_a: str, g_b: str, g_c: str, g_d: str, C: NDArray[np.float64]) -> float: ...
def gaussian_orthant(C: NDArray[np.float64]) -> float: ...
def ode_integrate(
    config: ModelConfig,
    Q: NDArray[np.float64],
    R: NDArray[np.float64],
    T: NDArray[np.float64],
    v: NDArray[np.float64],
    v_star: NDArray[np.float64],
    times: list[float],
    method: str = ...,
    rtol: float = ...,
    atol: float = ...,
    dt: float = ...,
    max_dt: float = ...,
    progress: Optional[Callable[[float], object]] = ...,
    feedback: Optional[NDArray[np.float64]] = ...,
    sgd_noise: bool = ...,
    t0: float = ...,
) -> dict: ...
def ode_rhs(
    config: ModelConfig,
    Q: NDArray[np.float64],
    R: NDArray[np.float64],
    T: NDArray[np.float64],
    v: NDArray[np.float64],
    v_star: NDArray[np.float64],
    feedback: Optional[NDArray[np.float64]] = ...,
    sgd_noise: bool = ...,
    phase: int = ...,
) -> tuple[NDArray[np.float64], ...]: ...
def sgd_temperature(
    config: ModelConfig,
    Q: NDArray[np.float64],
    R: NDArray[np.float64],
    T: NDArray[np.float64],
    v: NDArray[np.float64],
    v_star: NDArray[np.float64],
    feedback: Optional[NDArray[np.float64]] = ...,
    phase: int = ...,
) -> NDArray[np.float64]: ...
def task_errors(
    config: ModelConfig,
    Q: NDArray[np.float64],
    R: NDArray[np.float64],
    T: NDArray[np.float64],
    v: NDArray[np.float64],
    v_star: NDArray[np.float64],
) -> list[float]: ...
def teacher_readout(config: ModelConfig) -> NDArray[np.float64]: ...
def phase_first_steps(config: ModelConfig) -> list[int]: ...
def feedback_vector(config: ModelConfig) -> NDArray[np.float64]: ...

class ModelConfig:
    N: int
    K: int
    M: int
    g_student: str
    g_teacher: str
    lr: float
    lr_v: float
    noise: float
    batch: int
    seed: int
    init_std: float
    v_init: float
    teacher_v: float
    precision: str
    inputs: str
    latent_dim: int
    manifold_f: str
    feedback: str
    feedback_vector: list[float]
    temperature: float
    weight_decay: float
    weight_decay_v: float
    centred: bool
    task_sizes: list[int]
    task_activations: list[str]
    task_noises: list[float]
    teacher_readout: list[float]
    teacher_overlap: list[float]
    readout_similarity: float
    switch_times: list[float]
    phase_weights: list[float]
    multi_head: bool
    copy_head: bool
    freeze_features: bool
    def teacher_rows(self) -> int: ...
    def tasks(self) -> int: ...
    def heads(self) -> int: ...

class Simulator:
    def __init__(self, config: ModelConfig) -> None: ...
    W: NDArray[np.float64]
    v: NDArray[np.float64]
    B: NDArray[np.float64]
    v_star: NDArray[np.float64]
    heads: NDArray[np.float64]
    steps: int
    time: float
    phase: int
    diverged: bool
    def set_student(self, W: NDArray[np.float64], v: NDArray[np.float64]) -> None: ...
    def set_teacher(self, B: NDArray[np.float64], v_star: NDArray[np.float64]) -> None: ...
    in_teacher_frame: bool
    W_stored: NDArray[np.float64]
    carry: NDArray[np.float64]
    def input(self, sample: int) -> NDArray[np.float64]: ...
    def advance(self, n: int, threads: int = 0) -> int: ...
    def step_on(self, X: NDArray[np.float64], zeta: NDArray[np.float64]) -> bool: ...
    def overlaps(self) -> tuple[NDArray[np.float64], ...]: ...
    def generalisation_error(self) -> float: ...
    def task_errors(self) -> list[float]: ...

class OverlapChain:
    def __init__(self, config: ModelConfig) -> None: ...
    factor: NDArray[np.float64]
    v: NDArray[np.float64]
    v_star: NDArray[np.float64]
    feedback: NDArray[np.float64]
    method: str
    steps: int
    time: float
    diverged: bool
    dim: int
    normals_per_step: int
    def set_overlaps(self, Q: NDArray[np.float64], R: NDArray[np.float64], T: NDArray[np.float64]) -> None: ...
    def set_heads(self, v: NDArray[np.float64], v_star: NDArray[np.float64]) -> None: ...
    def advance(self, n: int) -> int: ...
    def overlaps(self) -> tuple[NDArray[np.float64], ...]: ...
    def generalisation_error(self) -> float: ...
    heads: NDArray[np.float64]
    def task_errors(self) -> list[float]: ...

# the hidden manifold model (bind_hmm.cpp)
class HmmSimulator:
    def __init__(self, config: ModelConfig) -> None: ...
    config: ModelConfig
    latent_dim: int
    F: NDArray[np.float64]
    theta: NDArray[np.float64]
    W: NDArray[np.float64]
    v: NDArray[np.float64]
    heads: NDArray[np.float64]
    v_star: NDArray[np.float64]
    B: NDArray[np.float64]
    W_stored: NDArray[np.float64]
    carry: NDArray[np.float64]
    steps: int
    time: float
    diverged: bool
    def set_student(self, W: NDArray[np.float64], v: NDArray[np.float64]) -> None: ...
    def set_teacher(self, theta: NDArray[np.float64], v_star: NDArray[np.float64]) -> None: ...
    def advance(self, n: int) -> int: ...
    def samples(
        self, first: int, count: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...
    def step_on(self, X: NDArray[np.float64], nu: NDArray[np.float64], zeta: NDArray[np.float64]) -> bool: ...
    def overlaps(self) -> tuple[NDArray[np.float64], ...]: ...
    def generalisation_error(self) -> float: ...
    def task_errors(self) -> list[float]: ...

def manifold_drift(
    config: ModelConfig,
    Q: NDArray[np.float64],
    R: NDArray[np.float64],
    T: NDArray[np.float64],
    v: NDArray[np.float64],
    v_star: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]: ...
def manifold_constants(f: str) -> tuple[float, float]: ...

"""Type stubs for the compiled core (private: use the onlinesgd package)."""

import numpy as np
from numpy.typing import NDArray

__version__: str

def max_threads() -> int: ...
def set_max_threads(n: int) -> None: ...
def generalisation_error(Q: NDArray[np.float64], R: NDArray[np.float64], T: NDArray[np.float64],
                         v: NDArray[np.float64], v_star: NDArray[np.float64], g_student: str,
                         g_teacher: str) -> float: ...
def i2(g_a: str, g_b: str, caa: float, cbb: float, cab: float) -> float: ...
def normal_row(seed: int, stream: int, counter: int, n: int) -> NDArray[np.float64]: ...

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

class Simulator:
    def __init__(self, config: ModelConfig) -> None: ...
    W: NDArray[np.float64]
    v: NDArray[np.float64]
    B: NDArray[np.float64]
    v_star: NDArray[np.float64]
    steps: int
    time: float
    diverged: bool
    def set_student(self, W: NDArray[np.float64], v: NDArray[np.float64]) -> None: ...
    def set_teacher(self, B: NDArray[np.float64], v_star: NDArray[np.float64]) -> None: ...
    def advance(self, n: int) -> int: ...
    def step_on(self, X: NDArray[np.float64], zeta: NDArray[np.float64]) -> bool: ...
    def overlaps(self) -> tuple[NDArray[np.float64], ...]: ...
    def generalisation_error(self) -> float: ...

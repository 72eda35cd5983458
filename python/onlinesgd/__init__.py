"""Online SGD in teacher-student two-layer networks, and its exact ODE theory."""

from ._core import __version__
from ._core import max_threads, set_max_threads
from .config import ACTIVATIONS, Config
from .simulate import DivergenceWarning, Simulator, simulate
from .trajectory import Trajectory, load
from .checkpoint import resume
from .store import Store
from .sweep import SweepError, sweep
from .sweep_result import SweepResult

__all__ = ["ACTIVATIONS", "Config", "DivergenceWarning", "Simulator", "Trajectory", "__version__", "load",
           "max_threads", "set_max_threads", "simulate"]
__all__ += ["Store", "SweepError", "SweepResult", "resume", "sweep"]

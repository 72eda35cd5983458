"""Online SGD in teacher-student two-layer networks, and its exact ODE theory."""

from ._core import __version__
from ._core import max_threads, set_max_threads
from .config import ACTIVATIONS, INPUTS, PRECISIONS, Config
from .simulate import DivergenceWarning, Simulator, simulate
from .replicas import Replicas, replica_seeds
from .trajectory import Trajectory, load

__all__ = ["ACTIVATIONS", "INPUTS", "PRECISIONS", "Config", "DivergenceWarning", "Replicas", "Simulator",
           "Trajectory", "__version__", "load", "max_threads", "replica_seeds", "set_max_threads", "simulate"]

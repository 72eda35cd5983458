"""Online SGD in teacher-student two-layer networks, and its exact ODE theory."""

from ._core import __version__
from .config import ACTIVATIONS, INPUTS, PRECISIONS, Config
from .ode import ode
from .overlap_simulator import ENGINES, OverlapSimulator
from .plot import plot_trajectories
from .replicas import Replicas, replica_seeds
from .run import DivergenceWarning
from .simulate import simulate
from .simulator import Simulator
from .threads import max_threads, set_max_threads
from .trajectory import Trajectory, load

__all__ = [
    "ACTIVATIONS",
    "ENGINES",
    "INPUTS",
    "PRECISIONS",
    "Config",
    "DivergenceWarning",
    "OverlapSimulator",
    "Replicas",
    "Simulator",
    "Trajectory",
    "__version__",
    "load",
    "max_threads",
    "ode",
    "plot_trajectories",
    "replica_seeds",
    "set_max_threads",
    "simulate",
]

# Sweeps, their store, and checkpoints of long runs.
from .checkpoint import resume
from .store import Store
from .sweep import SweepError, sweep
from .sweep_result import SweepResult

__all__ += ["Store", "SweepError", "SweepResult", "resume", "sweep"]

# Several teachers: forgetting and transfer, and the forgetting map over task similarities.
from . import continual  # noqa: E402
from .forgetting_map import ForgettingMap, forgetting_map  # noqa: E402

__all__ += ["ForgettingMap", "continual", "forgetting_map"]

# The hidden manifold model (structured inputs) and its per-mode ODE.
from .hidden_manifold import HmmSimulator  # noqa: E402
from .manifold_ode import Modes, hmm_ode, marchenko_pastur_modes  # noqa: E402

__all__ += ["HmmSimulator", "Modes", "hmm_ode", "marchenko_pastur_modes"]

# Structured data: the user's own rows and Gaussian-mixture classification (docs/data.md).
from .mixture import informed_weights, mixture_errors, xor_mixture  # noqa: E402
from .mixture_ode import mixture_ode  # noqa: E402

__all__ += ["informed_weights", "mixture_errors", "mixture_ode", "xor_mixture"]

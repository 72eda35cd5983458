import os
import sys

import pytest

# tests import the NumPy reference as a plain module
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def restore_target():
    """Selects the kernel target in use again after a test that switches targets."""
    from onlinesgd import _core

    target = _core.kernel_target()
    yield
    assert _core.select_kernel(target)


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt during the test, as Ctrl-C does in a terminal. A process
    started in the background by a shell without job control (`cmd &` in a script) inherits
    SIGINT ignored, and Python then installs no handler: a test that interrupts itself with
    SIGINT would never be interrupted (a simulation to t = 1e6 would run for an hour)."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)

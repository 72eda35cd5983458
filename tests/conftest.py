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

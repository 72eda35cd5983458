"""The number of threads the C++ core uses (OpenMP)."""

from __future__ import annotations

from . import _core


def max_threads() -> int:
    """The number of threads the core may use (OpenMP's maximum).

    Returns
    -------
    int
        Threads available to one simulation (threaded along N) or to a set of replicas (one per
        thread). Results do not depend on it: the same seed gives the same bits for any count.

    Examples
    --------
    >>> import onlinesgd
    >>> onlinesgd.max_threads() >= 1
    True
    """
    return int(_core.max_threads())


def set_max_threads(n: int) -> None:
    """Limits the threads the core uses from now on (e.g. one per job on a shared node).

    Parameters
    ----------
    n : int
        Threads, >= 1.

    Raises
    ------
    ValueError
        naming ``n`` when it is not an integer >= 1.

    Examples
    --------
    >>> import onlinesgd
    >>> n = onlinesgd.max_threads()
    >>> onlinesgd.set_max_threads(1)
    >>> onlinesgd.max_threads()
    1
    >>> onlinesgd.set_max_threads(n)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    _core.set_max_threads(n)

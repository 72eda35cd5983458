"""File helpers: atomic writes, so that a reader (or a rerun after a crash) sees the old file
or the new one, never a half-written one; and reading the TOML files of the command line."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Union

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_write(path: Union[str, os.PathLike]) -> Iterator[IO[bytes]]:
    """Opens a temporary file beside ``path`` for binary writing; on success it is renamed onto
    ``path`` (``os.replace`` is atomic on POSIX within one file system), on any error or
    interrupt it is removed. A process killed mid-write leaves only a ``*.<host>.<pid>.tmp``
    file, which :func:`remove_stale_temporaries` can clean up later."""
    path = Path(path)
    prefix = f".{path.name}.{socket.gethostname()}.{os.getpid()}."
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())  # the rename must not overtake the data on a crash
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: Union[str, os.PathLike]) -> int:
    """Removes temporaries left in ``folder`` by processes of this host that no longer run
    (a killed worker). Those of live processes, or of other hosts sharing the folder, stay.
    Returns how many were removed."""
    # name: .<target>.<host>.<pid>.<random>.tmp; target and host may contain dots
    pattern = re.compile(rf"\.{re.escape(socket.gethostname())}\.(\d+)\.[^.]*{re.escape(TMP_SUFFIX)}$")
    removed = 0
    for tmp in Path(folder).glob(f".*{TMP_SUFFIX}"):
        match = pattern.search(tmp.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_toml(path: Union[str, os.PathLike]) -> dict[str, Any]:
    """The table of the TOML file ``path`` (``tomllib``, or ``tomli`` before Python 3.11)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)

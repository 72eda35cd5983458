"""The interface of a run's given rows (rows.py): the user's arrays, a Gaussian mixture's samples.
Its own module so that both can implement it without importing each other."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .config import Config


class RowSource:
    """Where the rows of a run come from: :class:`ArraySource` or a Gaussian mixture
    (:class:`onlinesgd.mixture.MixtureSource`). A subclass sets :attr:`rows` and defines
    :meth:`block` (and :meth:`record` for values recorded besides the overlaps).

    Examples
    --------
    >>> from onlinesgd.rows import RowSource
    >>> RowSource().rows is None  # as many rows as asked
    True
    """

    rows: Optional[int] = None
    """Rows available (None: as many as asked)."""

    def block(self, first: int, count: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """Rows ``first .. first + count - 1`` (count x N, float32 or float64, C order) and their
        labels (float64), or None for the teacher's labels.

        Parameters
        ----------
        first, count : the first sample and how many.

        Returns
        -------
        (X, y) : the rows and their labels (or None).

        Raises
        ------
        NotImplementedError
            in the base class.
        """
        raise NotImplementedError

    def record(self, sim: Any, config: Config) -> dict:
        """Extra values of a recorded row (fields.py) for the C++ simulator ``sim`` of ``config``.

        Parameters
        ----------
        sim : the ``_core.Simulator``.
        config : its model.

        Returns
        -------
        dict
            values by field name (``test_error``; a mixture's ``eg``, ``M``, ``class_error``);
            empty in the base class.
        """
        return {}

"""Exponential decay of one radionuclide, vectorised over NumPy arrays.

References
----------
.. [1] Rutherford E, Soddy F. The cause and nature of radioactivity.
   Phil Mag 1902;4(21):370-396. doi:10.1080/14786440209462856 (A = A0·exp(−λt)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from theranostix.nuclides._nuclide import Nuclide
from theranostix.units import elapsed_s as _elapsed_s

__all__ = ["decay", "decay_between", "decay_correct", "decay_factor"]


def _as_nuclide(nuclide: Nuclide | str) -> Nuclide:
    return nuclide if isinstance(nuclide, Nuclide) else Nuclide(nuclide)


def _scalar_or_array(value: npt.NDArray[np.float64]) -> Any:
    return float(value) if value.ndim == 0 else value


@overload
def decay_factor(nuclide: Nuclide | str, elapsed_s: float) -> float: ...
@overload
def decay_factor(
    nuclide: Nuclide | str, elapsed_s: npt.NDArray[Any]
) -> npt.NDArray[np.float64]: ...
@overload
def decay_factor(nuclide: Nuclide | str, elapsed_s: npt.ArrayLike) -> Any: ...
def decay_factor(nuclide: Nuclide | str, elapsed_s: npt.ArrayLike) -> Any:
    """Fraction exp(−λt) remaining after ``elapsed_s`` seconds (negative: before).

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide.
    elapsed_s : float or array_like
        Elapsed time(s) in seconds.

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``elapsed_s``.

    Examples
    --------
    >>> decay_factor("F-18", 109.77 * 60)
    0.5
    """
    lam = _as_nuclide(nuclide).decay_constant_per_s
    t = np.asarray(elapsed_s, dtype=np.float64)
    return _scalar_or_array(np.exp(-lam * t))


@overload
def decay(activity_bq: float, nuclide: Nuclide | str, elapsed_s: float) -> float: ...
@overload
def decay(activity_bq: npt.ArrayLike, nuclide: Nuclide | str, elapsed_s: npt.ArrayLike) -> Any: ...
def decay(activity_bq: npt.ArrayLike, nuclide: Nuclide | str, elapsed_s: npt.ArrayLike) -> Any:
    """Activity after ``elapsed_s`` seconds, A(t) = A0·exp(−λt) [1]_.

    Broadcasts ``activity_bq`` against ``elapsed_s``; a negative elapsed time
    decay-corrects backwards. Only the nuclide itself is followed: for progeny
    see :func:`chain_decay`.

    Parameters
    ----------
    activity_bq : float or array_like
        Activity (Bq) at time zero.
    nuclide : Nuclide or str
        The radionuclide.
    elapsed_s : float or array_like
        Time(s) since time zero, in seconds.

    Returns
    -------
    float or numpy.ndarray
        Activity in Bq.

    Examples
    --------
    >>> round(decay(7.4e9, "Lu-177", 6.647 * 86400) / 1e9, 3)
    3.7
    >>> decay(np.array([100.0, 200.0]), "Ga-68", 67.71 * 60)
    array([ 50., 100.])
    """
    factor = np.asarray(decay_factor(nuclide, elapsed_s))
    return _scalar_or_array(np.asarray(activity_bq, dtype=np.float64) * factor)


def decay_between(
    activity_bq: npt.ArrayLike, nuclide: Nuclide | str, start: datetime, end: datetime
) -> Any:
    """Activity at ``end`` of a source that had ``activity_bq`` at ``start``.

    Both datetimes must be timezone-aware. When ``end`` is before ``start`` this
    is a decay correction back in time.

    Examples
    --------
    >>> from datetime import datetime, timezone, timedelta
    >>> t0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    >>> round(decay_between(400e6, "F-18", t0, t0 + timedelta(minutes=109.77)) / 1e6, 6)
    200.0
    """
    return decay(activity_bq, nuclide, _elapsed_s(start, end))


def decay_correct(
    activity_bq: npt.ArrayLike,
    nuclide: Nuclide | str,
    *,
    measured_at: datetime,
    reference: datetime,
) -> Any:
    """Decay-correct a measured activity to a reference time (earlier or later).

    Examples
    --------
    >>> from datetime import datetime, timezone, timedelta
    >>> t = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    >>> ref = t - timedelta(hours=6.647 * 24)
    >>> round(decay_correct(3.7e9, "Lu-177", measured_at=t, reference=ref) / 1e9, 3)
    7.4
    """
    return decay_between(activity_bq, nuclide, measured_at, reference)

"""Units of activity, time and activity per mass; timezone-aware datetimes.

This is the one module where unit strings are read and written. Everything
inside theranostix works in SI units: becquerel (Bq) for activity, seconds (s)
for durations, Bq/kg for activity per body mass. Strings such as ``"7.4 GBq"``,
``"200 mCi"``, ``"3 MBq/kg"``, ``"6.647 d"`` or ``"90 min"`` are converted here,
at the edge, and printed back here.

Datetimes used in decay computations must be timezone-aware; a bare time of day
or a naive datetime is refused with :class:`~theranostix.errors.NaiveDatetimeError`.

Examples
--------
>>> parse_activity("7.4 GBq")
7400000000.0
>>> parse_activity("200 mCi")
7400000000.0
>>> parse_duration("90 min")
5400.0
>>> parse_activity_per_mass("3 MBq/kg")
3000000.0
>>> format_activity(7.4e9)
'7.4 GBq'
>>> format_activity(7.4e9, unit="mCi")
'200 mCi'
>>> format_duration(574300.8)
'6.647 d'

References
----------
.. [1] BIPM, "The International System of Units (SI)", 9th edition, 2019:
   the becquerel, the second and SI prefixes.
.. [2] NIST Special Publication 811 (2008), Guide for the Use of the SI:
   1 Ci = 3.7e10 Bq exactly; 1 d = 86 400 s; 1 a (Julian year) = 365.25 d.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import overload

import numpy as np
import numpy.typing as npt

from theranostix.errors import NaiveDatetimeError, ThxError, UnitError

__all__ = [
    "ACTIVITY_PER_MASS_UNITS",
    "ACTIVITY_UNITS",
    "TIME_UNITS",
    "Dimension",
    "convert",
    "elapsed_s",
    "ensure_aware",
    "format_activity",
    "format_activity_per_mass",
    "format_duration",
    "format_quantity",
    "from_si",
    "get_timezone",
    "parse_activity",
    "parse_activity_per_mass",
    "parse_datetime",
    "parse_duration",
    "parse_quantity",
    "shift",
    "to_si",
    "valid_units",
]

FloatArray = npt.NDArray[np.float64]

#: Becquerels per unit of activity. 1 Ci = 3.7e10 Bq exactly (NIST SP 811).
ACTIVITY_UNITS: Mapping[str, float] = {
    "Bq": 1.0,
    "kBq": 1e3,
    "MBq": 1e6,
    "GBq": 1e9,
    "TBq": 1e12,
    "nCi": 37.0,
    "µCi": 3.7e4,
    "mCi": 3.7e7,
    "Ci": 3.7e10,
}

#: Seconds per unit of time. The year is the Julian year of 365.25 d.
TIME_UNITS: Mapping[str, float] = {
    "ns": 1e-9,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "wk": 7 * 86400.0,
    "y": 365.25 * 86400.0,
}

_MASS_UNITS: Mapping[str, float] = {"kg": 1.0, "g": 1e-3}

#: Bq/kg per unit of activity per body mass, e.g. ``"MBq/kg"``.
ACTIVITY_PER_MASS_UNITS: Mapping[str, float] = {
    f"{a}/{m}": fa / fm for a, fa in ACTIVITY_UNITS.items() for m, fm in _MASS_UNITS.items()
}

# Spellings accepted on input and mapped to the canonical unit above.
_MICRO_SPELLINGS = ("u", "μ")  # ASCII u and the Greek letter mu, for the micro sign µ
_TIME_ALIASES: Mapping[str, str] = {
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "m": "min",
    "mn": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
    "week": "wk",
    "weeks": "wk",
    "w": "wk",
    "a": "y",
    "yr": "y",
    "yrs": "y",
    "year": "y",
    "years": "y",
}


class Dimension(enum.Enum):
    """Physical dimension of a quantity, with its SI unit as used inside theranostix."""

    ACTIVITY = "activity"
    TIME = "time"
    ACTIVITY_PER_MASS = "activity per mass"

    @property
    def si_unit(self) -> str:
        """The SI unit values of this dimension are stored in."""
        return {"activity": "Bq", "time": "s", "activity per mass": "Bq/kg"}[self.value]

    @property
    def units(self) -> Mapping[str, float]:
        """Canonical units of this dimension and their factor to SI."""
        return {
            "activity": ACTIVITY_UNITS,
            "time": TIME_UNITS,
            "activity per mass": ACTIVITY_PER_MASS_UNITS,
        }[self.value]


def valid_units(dimension: Dimension) -> str:
    """List the valid units of a dimension for an error message.

    >>> valid_units(Dimension.TIME)
    'ns, µs (us), ms, s, min, h, d, wk, y'
    """
    shown = []
    for unit in dimension.units:
        shown.append(f"{unit} ({unit.replace('µ', 'u')})" if "µ" in unit else unit)
    return ", ".join(shown)


def _canonical_unit(unit: str, dimension: Dimension) -> str | None:
    units = dimension.units
    if unit in units:
        return unit
    candidate = unit
    for spelling in _MICRO_SPELLINGS:
        if candidate.startswith(spelling) and len(candidate) > 1:
            candidate = "µ" + candidate[1:]
    candidate = candidate.replace("/u", "/µ").replace("/μ", "/µ")
    if candidate in units:
        return candidate
    if dimension is Dimension.TIME:
        return _TIME_ALIASES.get(unit.lower())
    return None


def _unit_error(unit: str, dimension: Dimension, context: str) -> UnitError:
    units = list(dimension.units)
    close = difflib.get_close_matches(unit, units, n=1, cutoff=0.5)
    lowered = [u for u in units if u.lower() == unit.lower()]
    hint = lowered or close
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    return UnitError(
        f"unknown {dimension.value} unit {unit!r} in {context!r}{suggestion}; "
        f"valid units: {valid_units(dimension)}"
    )


def to_si(value: float, unit: str, dimension: Dimension) -> float:
    """Convert a number in ``unit`` to the SI unit of ``dimension``.

    >>> to_si(200, "mCi", Dimension.ACTIVITY)
    7400000000.0
    """
    canonical = _canonical_unit(unit, dimension)
    if canonical is None:
        raise _unit_error(unit, dimension, f"{value} {unit}")
    return float(value) * dimension.units[canonical]


@overload
def from_si(value: float, unit: str, dimension: Dimension) -> float: ...
@overload
def from_si(value: FloatArray, unit: str, dimension: Dimension) -> FloatArray: ...
def from_si(value: float | FloatArray, unit: str, dimension: Dimension) -> float | FloatArray:
    """Convert a value (or array) in the SI unit of ``dimension`` to ``unit``.

    >>> from_si(7.4e9, "GBq", Dimension.ACTIVITY)
    7.4
    """
    canonical = _canonical_unit(unit, dimension)
    if canonical is None:
        raise _unit_error(unit, dimension, unit)
    factor = dimension.units[canonical]
    if isinstance(value, np.ndarray):
        return value / factor
    return float(value) / factor


def convert(value: float, from_unit: str, to_unit: str, dimension: Dimension) -> float:
    """Convert a number between two units of the same dimension.

    >>> convert(1.0, "mCi", "MBq", Dimension.ACTIVITY)
    37.0
    """
    return from_si(to_si(value, from_unit, dimension), to_unit, dimension)


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY_RE = re.compile(rf"^\s*(?P<number>{_NUMBER})\s*(?P<unit>\S.*?)?\s*$")


def parse_quantity(text: str, dimension: Dimension) -> float:
    """Read ``"<number> <unit>"`` and return the value in the SI unit of ``dimension``.

    Parameters
    ----------
    text : str
        For example ``"7.4 GBq"``, ``"90 min"`` or ``"3 MBq/kg"``. The unit is required.
    dimension : Dimension
        The dimension the quantity must have.

    Returns
    -------
    float
        The value in Bq, s or Bq/kg.

    Raises
    ------
    UnitError
        When the text is not a number followed by a valid unit of ``dimension``;
        the message lists the valid units.

    Examples
    --------
    >>> parse_quantity("1.5e3 kBq", Dimension.ACTIVITY)
    1500000.0
    >>> parse_quantity("7 days", Dimension.TIME)
    604800.0
    """
    if not isinstance(text, str):
        raise UnitError(f"expected a {dimension.value} as text like '7.4 GBq', got {text!r}")
    match = _QUANTITY_RE.match(text)
    if match is None:
        raise UnitError(
            f"cannot read {dimension.value} {text!r}: expected a number and a unit, "
            f"e.g. '{_EXAMPLES[dimension]}'; valid units: {valid_units(dimension)}"
        )
    unit = match.group("unit")
    if unit is None:
        raise UnitError(
            f"missing unit in {dimension.value} {text!r}; valid units: {valid_units(dimension)}"
        )
    canonical = _canonical_unit(unit, dimension)
    if canonical is None:
        raise _unit_error(unit, dimension, text.strip())
    value = float(match.group("number")) * dimension.units[canonical]
    if not np.isfinite(value):
        raise UnitError(f"{dimension.value} {text!r} is not a finite number")
    return value


_EXAMPLES: Mapping[Dimension, str] = {
    Dimension.ACTIVITY: "7.4 GBq",
    Dimension.TIME: "90 min",
    Dimension.ACTIVITY_PER_MASS: "3 MBq/kg",
}


def parse_activity(text: str) -> float:
    """Read an activity such as ``"7.4 GBq"`` or ``"200 mCi"``; return Bq."""
    return parse_quantity(text, Dimension.ACTIVITY)


def parse_duration(text: str) -> float:
    """Read a duration such as ``"6.647 d"`` or ``"90 min"``; return seconds."""
    return parse_quantity(text, Dimension.TIME)


def parse_activity_per_mass(text: str) -> float:
    """Read an activity per body mass such as ``"3 MBq/kg"``; return Bq/kg."""
    return parse_quantity(text, Dimension.ACTIVITY_PER_MASS)


def _auto_unit(value_si: float, candidates: list[tuple[str, float]]) -> str:
    """Largest unit in which ``value_si`` is at least 1 (candidates sorted ascending)."""
    chosen = candidates[0][0]
    for unit, factor in candidates:
        if abs(value_si) >= factor * 0.9999999:
            chosen = unit
    return chosen


def format_quantity(
    value_si: float, dimension: Dimension, unit: str | None = None, *, digits: int = 4
) -> str:
    """Print a value held in SI units as ``"<number> <unit>"``.

    Parameters
    ----------
    value_si : float
        Value in Bq, s or Bq/kg.
    dimension : Dimension
        Its dimension.
    unit : str, optional
        Unit to print in. By default the largest SI-prefixed unit (or, for time,
        the largest of s, min, h, d, y) that keeps the number at or above 1.
    digits : int
        Significant digits.

    Examples
    --------
    >>> format_quantity(5400.0, Dimension.TIME)
    '90 min'
    >>> format_quantity(3e6, Dimension.ACTIVITY_PER_MASS)
    '3 MBq/kg'
    """
    if unit is None:
        if value_si == 0 or not np.isfinite(value_si):
            unit = dimension.si_unit
        elif dimension is Dimension.ACTIVITY:
            unit = _auto_unit(
                value_si, [(u, f) for u, f in ACTIVITY_UNITS.items() if "Ci" not in u]
            )
        elif dimension is Dimension.ACTIVITY_PER_MASS:
            units = [(u, f) for u, f in ACTIVITY_PER_MASS_UNITS.items() if u.endswith("Bq/kg")]
            unit = _auto_unit(value_si, units)
        else:
            # Prefer minutes below two hours, hours below two days, days below two years.
            unit = _auto_unit(
                value_si,
                [
                    ("ns", 1e-9),
                    ("µs", 1e-6),
                    ("ms", 1e-3),
                    ("s", 1.0),
                    ("min", 120.0),
                    ("h", 7200.0),
                    ("d", 2 * 86400.0),
                    ("y", 2 * 365.25 * 86400.0),
                ],
            )
    number = from_si(value_si, unit, dimension)
    canonical = _canonical_unit(unit, dimension) or unit
    return f"{number:.{digits}g} {canonical}"


def format_activity(activity_bq: float, unit: str | None = None, *, digits: int = 4) -> str:
    """Print an activity in Bq, e.g. ``'7.4 GBq'``; ``unit`` may be any activity unit."""
    return format_quantity(activity_bq, Dimension.ACTIVITY, unit, digits=digits)


def format_duration(duration_s: float, unit: str | None = None, *, digits: int = 4) -> str:
    """Print a duration in seconds, e.g. ``'6.647 d'``; ``unit`` may be any time unit."""
    return format_quantity(duration_s, Dimension.TIME, unit, digits=digits)


def format_activity_per_mass(
    value_bq_per_kg: float, unit: str | None = None, *, digits: int = 4
) -> str:
    """Print an activity per body mass in Bq/kg, e.g. ``'3 MBq/kg'``."""
    return format_quantity(value_bq_per_kg, Dimension.ACTIVITY_PER_MASS, unit, digits=digits)


# --------------------------------------------------------------------------- datetimes


def get_timezone(name: str) -> tzinfo:
    """Return the IANA time zone ``name`` (e.g. ``"Europe/Paris"``) or ``UTC``.

    >>> get_timezone("UTC")
    datetime.timezone.utc
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.upper() in {"UTC", "Z"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ThxError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from exc


def ensure_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` if it carries a timezone, else raise naming the input.

    >>> ensure_aware(datetime(2026, 11, 23, 8, 0), "injection time")
    Traceback (most recent call last):
    ...
    theranostix.errors.NaiveDatetimeError: injection time 2026-11-23 08:00:00 has no time zone; ...
    """
    if not isinstance(value, datetime):
        raise ThxError(f"{name} must be a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(
            f"{name} {value} has no time zone; decay needs an absolute time: give an offset "
            "(e.g. 2026-11-23T08:00+01:00) or a zone"
        )
    return value


def parse_datetime(text: str, name: str = "datetime", tz: str | tzinfo | None = None) -> datetime:
    """Read an ISO 8601 datetime; a naive one takes ``tz`` or is refused.

    Parameters
    ----------
    text : str
        For example ``"2026-11-23T08:00+01:00"`` or ``"2026-11-23 07:00Z"``.
    name : str
        What the value is, for error messages (e.g. ``"--from"``).
    tz : str or tzinfo, optional
        Time zone given to a datetime written without an offset.

    Examples
    --------
    >>> parse_datetime("2026-11-23T08:00+01:00").isoformat()
    '2026-11-23T08:00:00+01:00'
    >>> parse_datetime("2026-11-23 08:00", tz="Europe/Paris").isoformat()
    '2026-11-23T08:00:00+01:00'
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise ThxError(
            f"cannot read {name} {text!r} as an ISO 8601 datetime, e.g. 2026-11-23T08:00+01:00"
        ) from exc
    if value.tzinfo is None and tz is not None:
        zone = get_timezone(tz) if isinstance(tz, str) else tz
        value = value.replace(tzinfo=zone)
    return ensure_aware(value, name)


def elapsed_s(start: datetime, end: datetime) -> float:
    """Seconds from ``start`` to ``end`` (negative when ``end`` is earlier).

    Both must be timezone-aware; differences across daylight-saving changes and
    time zones are exact. (Python subtracts two datetimes that share a tzinfo
    object in wall-clock time, which is wrong across a daylight-saving change;
    both are converted to UTC first.)

    >>> from datetime import timezone, timedelta
    >>> a = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    >>> elapsed_s(a, a + timedelta(hours=2))
    7200.0
    """
    ensure_aware(start, "start time")
    ensure_aware(end, "end time")
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def shift(when: datetime, seconds: float) -> datetime:
    """``when`` moved by ``seconds`` of elapsed time, kept in the time zone of ``when``.

    Python adds a timedelta to an aware datetime on the wall clock; this adds it
    in UTC, so a 2 h shift across a daylight-saving change is 2 h of decay.

    >>> from zoneinfo import ZoneInfo
    >>> t = datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/Paris"))
    >>> shift(t, 7200).isoformat()  # clocks go back at 03:00 CEST
    '2026-10-25T02:30:00+01:00'
    """
    ensure_aware(when, "datetime")
    return (when.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(when.tzinfo)

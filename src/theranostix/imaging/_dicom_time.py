"""DICOM date, time and datetime values to timezone-aware datetimes.

DICOM stores dates (DA, ``YYYYMMDD``), times (TM, ``HHMMSS.FFFFFF``, trailing
components optional) and datetimes (DT, ``YYYYMMDDHHMMSS.FFFFFF&ZZXX``) as
strings (DICOM PS3.5 section 6.2). Values without an explicit offset are local
wall-clock times; the offset comes from Timezone Offset From UTC (0008,0201)
when present, otherwise from the caller (UTC by default). Only differences of
times enter decay corrections, so an assumed zone is exact unless a daylight
saving change falls between two of them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from theranostix.errors import InconsistentTagError

__all__ = [
    "dataset_timezone",
    "parse_da",
    "parse_dt",
    "parse_tm",
    "tag_string",
]

_TM = re.compile(r"^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.(\d{1,6}))?)?)?$")
_DT = re.compile(
    r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?(?:([+-])(\d{2})(\d{2}))?$"
)
_OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})$")


def tag_string(keyword: str) -> str:
    """``"(gggg,eeee)"`` for a DICOM keyword, e.g. ``PatientWeight -> (0010,1030)``."""
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:
        return "(private)"
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _bad(keyword: str, value: Any, what: str, source: object) -> InconsistentTagError:
    return InconsistentTagError(
        keyword,
        tag_string(keyword),
        f"{value!r} is not a valid DICOM {what}",
        found=value,
        source=source,
    )


def _offset(sign: str, hours: str, minutes: str) -> timezone:
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def dataset_timezone(dataset: Any, default: tzinfo | None = None) -> tuple[tzinfo, bool]:
    """Time zone of a dataset's local times, and whether it was assumed.

    Timezone Offset From UTC (0008,0201) wins; otherwise ``default``
    (UTC when ``None``) is returned with ``assumed=True``.
    """
    raw = str(dataset.get("TimezoneOffsetFromUTC", "") or "").strip()
    match = _OFFSET.match(raw)
    if match:
        return _offset(*match.groups()), False
    return (default or UTC), True


def parse_da(value: Any, keyword: str, source: object = None) -> date | None:
    """A DA value (``YYYYMMDD``) as a date; ``None`` when empty."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text.replace(".", ""), "%Y%m%d").date()
    except ValueError:
        raise _bad(keyword, text, "date (YYYYMMDD)", source) from None


def parse_tm(value: Any, keyword: str, source: object = None) -> time | None:
    """A TM value (``HHMMSS.FFFFFF``, also ``HH:MM:SS``) as a naive time; ``None`` when empty."""
    text = str(value or "").strip()
    if not text:
        return None
    match = _TM.match(text)
    if match is None:
        raise _bad(keyword, text, "time (HHMMSS.FFFFFF)", source)
    hh, mm, ss, frac = match.groups()
    try:
        return time(int(hh), int(mm or 0), min(int(ss or 0), 59), int((frac or "0").ljust(6, "0")))
    except ValueError:
        raise _bad(keyword, text, "time (HHMMSS.FFFFFF)", source) from None


def parse_dt(value: Any, keyword: str, tz: tzinfo, source: object = None) -> datetime | None:
    """A DT value as an aware datetime (its own offset wins over ``tz``); ``None`` when empty."""
    text = str(value or "").strip()
    if not text:
        return None
    match = _DT.match(text)
    if match is None:
        raise _bad(keyword, text, "datetime (YYYYMMDDHHMMSS.FFFFFF&ZZXX)", source)
    year, month, day, hh, mm, ss, frac, sign, oh, om = match.groups()
    zone = _offset(sign, oh, om) if sign else tz
    try:
        return datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hh or 0),
            int(mm or 0),
            min(int(ss or 0), 59),
            int((frac or "0").ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:
        raise _bad(keyword, text, "datetime", source) from None


def combine(day: date | None, moment: time | None, tz: tzinfo) -> datetime | None:
    """Date and time of day as one aware datetime, or ``None`` when either is missing."""
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment, tzinfo=tz)

"""Shielded-room scheduling for a therapy ward of N rooms.

Each admission occupies one room from its admission time for its expected stay (for
example the release time of :func:`theranostix.therapy_ops.assess_release`, rounded
up to the discharge round), plus a turnover time for the room (cleaning, contamination
survey). Rooms are assigned greedily in order of admission time, each admission to
the free room that has been free the longest (ties: lowest room number). For
intervals this greedy colouring is optimal: it uses no more rooms than the largest
number of stays that overlap at one instant, so an admission is reported as a
conflict only if, at its admission time, all N rooms are taken by earlier admissions;
the conflict carries the time the first room becomes free, to re-book the patient.

:func:`ward_capacity` answers the yearly question: how many admissions a ward of N
rooms can take when patients are admitted on fixed weekdays at a fixed time, for a
given stay and turnover, against the expected demand.

References
----------
.. [1] Kleinberg J, Tardos É. Algorithm Design. Pearson, 2006, §4.1 "Interval
   partitioning" (greedy by start time is optimal).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from theranostix.errors import ThxError
from theranostix.units import elapsed_s, ensure_aware, get_timezone, parse_datetime, shift

__all__ = [
    "Admission",
    "RoomAssignment",
    "RoomSchedule",
    "WardCapacity",
    "parse_weekdays",
    "read_admissions_csv",
    "schedule_rooms",
    "stay_from_release_s",
    "ward_capacity",
]

_H_S = 3600.0
_DAY_S = 86400.0


@dataclass(frozen=True)
class Admission:
    """A patient to admit at ``admit`` for ``stay_s`` seconds."""

    patient_id: str
    admit: datetime
    stay_s: float

    def __post_init__(self) -> None:
        ensure_aware(self.admit, f"admission of {self.patient_id!r}")
        if not math.isfinite(self.stay_s) or self.stay_s <= 0:
            raise ThxError(f"admission {self.patient_id!r}: stay must be > 0 s, got {self.stay_s}")

    @property
    def discharge(self) -> datetime:
        """Expected discharge time."""
        return shift(self.admit, self.stay_s)


@dataclass(frozen=True)
class RoomAssignment:
    """An admission and its room (``None`` for a conflict: no room free).

    ``next_free`` is, for a conflict, when the first room becomes free (after the
    admissions placed before it): the earliest time to re-book the patient.
    """

    admission: Admission
    room: int | None
    next_free: datetime | None = None


@dataclass(frozen=True)
class RoomSchedule:
    """Assignments, conflicts and occupancy of a ward."""

    rooms: int
    turnover_s: float
    assignments: tuple[RoomAssignment, ...]

    @property
    def conflicts(self) -> tuple[Admission, ...]:
        """Admissions for which no room was free."""
        return tuple(a.admission for a in self.assignments if a.room is None)

    def occupancy(self) -> float:
        """Fraction of room time occupied (stays, turnover excluded) over the horizon.

        The horizon runs from the first admission to the last discharge.
        """
        placed = [a.admission for a in self.assignments if a.room is not None]
        if not placed:
            return 0.0
        start = min(a.admit for a in placed)
        end = max(a.discharge for a in placed)
        horizon = elapsed_s(start, end)
        return sum(a.stay_s for a in placed) / (self.rooms * horizon) if horizon > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (hours, ISO 8601 dates)."""
        return {
            "rooms": self.rooms,
            "turnover_h": self.turnover_s / _H_S,
            "admissions": len(self.assignments),
            "conflicts": [a.patient_id for a in self.conflicts],
            "occupancy": self.occupancy(),
            "assignments": [
                {
                    "patient_id": a.admission.patient_id,
                    "room": a.room,
                    "admit": a.admission.admit,
                    "discharge": a.admission.discharge,
                    "stay_h": a.admission.stay_s / _H_S,
                    "next_free_room_at": a.next_free,
                }
                for a in self.assignments
            ],
        }


def stay_from_release_s(release_time_s: float, round_s: float = _DAY_S) -> float:
    """Stay (s) = release time rounded up to a whole number of ``round_s`` (at least one).

    >>> stay_from_release_s(26.7 * 3600) / 3600
    48.0
    """
    if not math.isfinite(release_time_s) or release_time_s < 0:
        raise ThxError(f"release time must be ≥ 0 s, got {release_time_s!r}")
    if not math.isfinite(round_s) or round_s <= 0:
        raise ThxError(f"rounding step must be > 0 s, got {round_s!r}")
    return max(1, math.ceil(release_time_s / round_s - 1e-9)) * round_s


def schedule_rooms(
    admissions: Sequence[Admission], rooms: int, turnover_s: float = 0.0
) -> RoomSchedule:
    """Assign admissions to ``rooms`` shielded rooms (greedy interval partitioning).

    Parameters
    ----------
    admissions : sequence of Admission
        In any order.
    rooms : int
        Number of rooms (≥ 1).
    turnover_s : float
        Time a room stays unavailable after a discharge (s).

    Returns
    -------
    RoomSchedule
        Assignments in admission order; conflicts have ``room=None``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    >>> adm = [Admission(p, t0, 48 * 3600.0) for p in ("a", "b", "c")]
    >>> s = schedule_rooms(adm, rooms=2)
    >>> [a.room for a in s.assignments], [c.patient_id for c in s.conflicts]
    ([1, 2, None], ['c'])
    """
    if not isinstance(rooms, int) or rooms < 1:
        raise ThxError(f"rooms must be an integer ≥ 1, got {rooms!r}")
    if not math.isfinite(turnover_s) or turnover_s < 0:
        raise ThxError(f"turnover must be ≥ 0 s, got {turnover_s!r}")
    ids = [a.patient_id for a in admissions]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ThxError(f"patient id {dup!r} appears more than once")
    free_at: dict[int, datetime] = {}  # when each used room becomes available
    out: list[RoomAssignment] = []
    for adm in sorted(admissions, key=lambda a: (a.admit, a.patient_id)):
        unused = [r for r in range(rooms) if r not in free_at]
        ready = [r for r, t in free_at.items() if t <= adm.admit]
        if unused:  # never used: free the longest
            room = unused[0]
        elif ready:
            room = min(ready, key=lambda r: (free_at[r], r))
        else:
            out.append(RoomAssignment(adm, None, min(free_at.values())))
            continue
        free_at[room] = shift(adm.discharge, turnover_s)
        out.append(RoomAssignment(adm, room + 1))
    return RoomSchedule(rooms, float(turnover_s), tuple(out))


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WardCapacity:
    """Admissions a ward can take over a period (see :func:`ward_capacity`)."""

    rooms: int
    stay_s: float
    turnover_s: float
    weekdays: tuple[int, ...]
    admit_at: time
    start: date
    weeks: int
    admissions: int
    admissions_by_weekday: dict[str, int]
    occupancy: float
    demand: int | None = None

    @property
    def per_week(self) -> float:
        """Mean admissions per week."""
        return self.admissions / self.weeks

    @property
    def shortfall(self) -> int | None:
        """Admissions of the demand that do not fit (0 when covered; None without demand)."""
        return None if self.demand is None else max(0, self.demand - self.admissions)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (hours, ISO dates)."""
        return {
            "rooms": self.rooms,
            "stay_h": self.stay_s / _H_S,
            "turnover_h": self.turnover_s / _H_S,
            "admission_days": [_WEEKDAYS[d] for d in self.weekdays],
            "admit_at": self.admit_at.isoformat(timespec="minutes"),
            "start": self.start.isoformat(),
            "weeks": self.weeks,
            "admissions": self.admissions,
            "admissions_per_week": self.per_week,
            "admissions_by_weekday": self.admissions_by_weekday,
            "occupancy": self.occupancy,
            "demand": self.demand,
            "shortfall": self.shortfall,
        }


def parse_weekdays(text: str) -> tuple[int, ...]:
    """``"mon,wed,fri"`` → ``(0, 2, 4)`` (also ``"mon-fri"``).

    >>> parse_weekdays("mon-thu")
    (0, 1, 2, 3)
    """
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, sep, last = part.partition("-")
        if first not in _WEEKDAYS or (sep and last not in _WEEKDAYS):
            raise ThxError(
                f"admission days {text!r}: use {', '.join(_WEEKDAYS)} separated by commas "
                "or a range such as mon-fri"
            )
        a, b = _WEEKDAYS.index(first), _WEEKDAYS.index(last) if sep else _WEEKDAYS.index(first)
        if b < a:
            raise ThxError(f"admission days {text!r}: range {part!r} runs backwards")
        days.update(range(a, b + 1))
    return tuple(sorted(days))


def ward_capacity(
    rooms: int,
    stay_s: float,
    turnover_s: float = 0.0,
    *,
    weekdays: Sequence[int] = (0, 1, 2, 3, 4),
    admit_at: time = time(9, 0),
    start: date,
    weeks: int = 52,
    tz: str = "UTC",
    demand: int | None = None,
) -> WardCapacity:
    """Admissions a ward of ``rooms`` shielded rooms can take over ``weeks`` weeks.

    Patients are admitted on ``weekdays`` (0 = Monday) at ``admit_at`` local time
    (``tz``), each for ``stay_s`` and then ``turnover_s`` of room turnover, counted on
    the wall clock (discharge rounds are at fixed local times, so a daylight-saving
    change does not move them). At each admission time every free room takes a
    patient. With one stay length this is the most admissions possible: by an exchange
    argument, a room that takes a patient at the first admission time it is free is
    free again no later than if it had waited, so waiting never admits more.

    Parameters
    ----------
    rooms : int
        Shielded rooms (≥ 1).
    stay_s, turnover_s : float
        Stay (> 0) and turnover (≥ 0), in seconds.
    weekdays : sequence of int
        Admission days, 0 = Monday ... 6 = Sunday.
    admit_at : datetime.time
        Admission time (local).
    start : datetime.date
        First day of the period.
    weeks : int
        Weeks of activity (e.g. 47 for a year with five weeks of closure).
    tz : str
        IANA time zone of the ward.
    demand : int, optional
        Therapies expected over the period, to report the shortfall.

    Returns
    -------
    WardCapacity

    Examples
    --------
    Four rooms, 46-h stays and 2-h turnover, admissions Monday to Friday at 09:00:
    rooms admitted on Monday are free again on Wednesday at 09:00, so Monday,
    Wednesday and Friday fill the ward, 12 patients a week.

    >>> from datetime import date
    >>> w = ward_capacity(4, 46 * 3600.0, 2 * 3600.0, start=date(2027, 1, 4), weeks=47)
    >>> w.admissions, w.admissions_by_weekday["wed"], w.admissions_by_weekday["tue"]
    (564, 188, 0)
    """
    if not isinstance(rooms, int) or rooms < 1:
        raise ThxError(f"rooms must be an integer ≥ 1, got {rooms!r}")
    if not math.isfinite(stay_s) or stay_s <= 0:
        raise ThxError(f"stay must be > 0 s, got {stay_s!r}")
    if not math.isfinite(turnover_s) or turnover_s < 0:
        raise ThxError(f"turnover must be ≥ 0 s, got {turnover_s!r}")
    if not isinstance(weeks, int) or weeks < 1:
        raise ThxError(f"weeks must be an integer ≥ 1, got {weeks!r}")
    days = tuple(sorted(set(weekdays)))
    if not days or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        raise ThxError(f"admission weekdays must be 0 (Monday) to 6, got {list(weekdays)!r}")
    if demand is not None and (not isinstance(demand, int) or demand < 0):
        raise ThxError(f"demand must be an integer ≥ 0, got {demand!r}")
    zone = get_timezone(tz)
    busy = timedelta(seconds=stay_s + turnover_s)
    free_at: list[datetime | None] = [None] * rooms
    by_day = dict.fromkeys((_WEEKDAYS[d] for d in days), 0)
    total = 0
    for k in range(7 * weeks):
        day = start + timedelta(days=k)
        if day.weekday() not in days:
            continue
        slot = datetime.combine(day, admit_at, tzinfo=zone)
        for r, t in enumerate(free_at):
            if t is None or t <= slot:
                free_at[r] = slot + busy  # wall-clock arithmetic of aware datetimes
                by_day[_WEEKDAYS[day.weekday()]] += 1
                total += 1
    horizon_s = 7 * weeks * _DAY_S
    return WardCapacity(
        rooms=rooms,
        stay_s=float(stay_s),
        turnover_s=float(turnover_s),
        weekdays=days,
        admit_at=admit_at,
        start=start,
        weeks=weeks,
        admissions=total,
        admissions_by_weekday=by_day,
        occupancy=min(1.0, total * stay_s / (rooms * horizon_s)),
        demand=demand,
    )


def read_admissions_csv(
    path: str | Path, *, default_stay_s: float | None = None, tz: str | None = None
) -> list[Admission]:
    """Admissions from a CSV with columns ``patient_id,admit[,stay_h]``.

    ``admit`` is ISO 8601 (an offset, or ``tz`` for naive times); a missing or empty
    ``stay_h`` takes ``default_stay_s``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ThxError(f"cannot read admissions file {p}: {exc.strerror}") from exc
    reader = csv.DictReader(text.splitlines())
    fields = set(reader.fieldnames or ())
    missing = {"patient_id", "admit"} - fields
    if missing:
        raise ThxError(f"{p.name}: missing column(s) {', '.join(sorted(missing))}")
    out = []
    for n, row in enumerate(reader, start=2):
        stay = (row.get("stay_h") or "").strip()
        if stay:
            try:
                stay_s = float(stay) * _H_S
            except ValueError as exc:
                raise ThxError(f"{p.name}: line {n}: stay_h {stay!r} is not a number") from exc
        elif default_stay_s is not None:
            stay_s = default_stay_s
        else:
            raise ThxError(f"{p.name}: line {n}: no stay_h and no default stay given")
        when = parse_datetime(row["admit"], f"{p.name}: line {n}: admit", tz=tz)
        out.append(Admission(row["patient_id"].strip(), when, stay_s))
    if not out:
        raise ThxError(f"{p.name}: no admissions")
    return out

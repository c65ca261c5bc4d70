"""Treatment courses of radioligand therapy: planned cycles, delays, dose changes, summary.

A course is a schedule (activity per cycle, interval, number of cycles) started on a
date, plus the events recorded as it runs: administrations (actual date and
activity), delays of a cycle, dose changes and a stop. Planned dates are derived:
cycle 1 is planned at the start, cycle k at the date of cycle k−1 (its actual date
once given, else its planned date) plus the interval, plus any delay recorded for
cycle k. A delay of one cycle therefore shifts all later cycles. Intervals and delays
are calendar days on the wall clock of the dates given (a cycle planned at 09:00
stays at 09:00 across a daylight-saving change).

Standard schedules (VISION, NETTER-1) are package data in ``data/schedules.toml``.

References
----------
.. [1] Sartor O, et al. Lutetium-177-PSMA-617 for metastatic castration-resistant
   prostate cancer. N Engl J Med 2021;385:1091-1103. doi:10.1056/NEJMoa2107322
.. [2] Strosberg J, et al. Phase 3 trial of 177Lu-Dotatate for midgut neuroendocrine
   tumors. N Engl J Med 2017;376:125-135. doi:10.1056/NEJMoa1607427
"""

from __future__ import annotations

import enum
import math
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from theranostix._toml import TomlTable
from theranostix.errors import ThxError
from theranostix.units import elapsed_s, ensure_aware

__all__ = [
    "CourseCycle",
    "CourseEvent",
    "CycleStatus",
    "EventKind",
    "Schedule",
    "TreatmentCourse",
    "get_schedule",
    "schedules",
]

_DAY_S = 86400.0
_WEEK_S = 7 * _DAY_S


@dataclass(frozen=True)
class Schedule:
    """A treatment schedule: ``cycles`` cycles of ``activity_bq`` every ``interval_s``."""

    name: str
    nuclide: str
    activity_bq: float
    interval_s: float
    cycles: int
    description: str = ""
    source: str = ""
    doi: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.activity_bq) or self.activity_bq <= 0:
            raise ThxError(f"schedule {self.name!r}: activity must be > 0 Bq")
        if not math.isfinite(self.interval_s) or self.interval_s <= 0:
            raise ThxError(f"schedule {self.name!r}: interval must be > 0 s")
        if self.cycles < 1:
            raise ThxError(f"schedule {self.name!r}: cycles must be ≥ 1, got {self.cycles}")


@cache
def schedules() -> dict[str, Schedule]:
    """The standard schedules of ``data/schedules.toml``, by name.

    Examples
    --------
    >>> s = schedules()["vision"]
    >>> s.activity_bq, s.interval_s / 86400 / 7, s.cycles
    (7400000000.0, 6.0, 6)
    """
    text = resources.files("theranostix.therapy_ops").joinpath("data", "schedules.toml")
    root = TomlTable(tomllib.loads(text.read_text(encoding="utf-8")), "schedules.toml", "")
    out: dict[str, Schedule] = {}
    for t in root.tables("schedule", non_empty=True):
        s = Schedule(
            name=t.text("name", non_empty=True),
            nuclide=t.text("nuclide", non_empty=True),
            activity_bq=t.positive("activity_gbq", "GBq") * 1e9,
            interval_s=t.positive("interval_weeks", "weeks") * _WEEK_S,
            cycles=int(t.integer("cycles") or 0),
            description=t.text("description", required=False),
            source=t.text("source", non_empty=True),
            doi=t.text("doi", required=False),
        )
        t.finish()
        out[s.name] = s
    return out


def get_schedule(name: str) -> Schedule:
    """A standard schedule by name (case-insensitive); error lists the known ones."""
    known = schedules()
    key = name.strip().lower()
    if key not in known:
        raise ThxError(f"schedule {name!r} is not one of {', '.join(sorted(known))}")
    return known[key]


class EventKind(enum.Enum):
    """What was recorded for a cycle."""

    ADMINISTERED = "administered"
    DELAYED = "delayed"
    DOSE_CHANGED = "dose-changed"
    STOPPED = "stopped"


class CycleStatus(enum.Enum):
    """State of a cycle."""

    GIVEN = "given"
    PLANNED = "planned"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CourseEvent:
    """One recorded event. Fields not relevant to ``kind`` are ``None``."""

    kind: EventKind
    cycle: int
    when: datetime | None = None
    activity_bq: float | None = None
    delay_s: float | None = None
    later_cycles: bool = True
    reason: str = ""


def _add(when: datetime, seconds: float) -> datetime:
    """``when`` moved by ``seconds`` on its wall clock (calendar arithmetic)."""
    return when + timedelta(seconds=seconds)


def _wall_days(a: datetime, b: datetime) -> float:
    """Days from ``a`` to ``b``: on the wall clock when they share a time zone."""
    if a.tzinfo is b.tzinfo:
        return (b - a).total_seconds() / _DAY_S
    return elapsed_s(a, b) / _DAY_S


@dataclass(frozen=True)
class CourseCycle:
    """One cycle of a course as derived from the schedule and the events."""

    number: int
    status: CycleStatus
    nominal: datetime
    planned: datetime
    planned_activity_bq: float
    actual: datetime | None
    administered_bq: float | None
    delay_s: float
    notes: tuple[str, ...]

    @property
    def shift_days(self) -> float:
        """Days between the nominal date (start + (k−1)·interval) and the date used."""
        return _wall_days(self.nominal, self.actual or self.planned)


class TreatmentCourse:
    """A course of cycles of one schedule and the events recorded for it.

    Parameters
    ----------
    schedule : Schedule or str
        A :class:`Schedule` or the name of a standard one (``"vision"``).
    start : datetime
        Planned date of cycle 1 (timezone-aware).
    patient_id : str
        Free text.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> c = TreatmentCourse("netter-1", datetime(2026, 1, 5, 9, tzinfo=timezone.utc))
    >>> c.delay(2, days=14, reason="neutropenia")
    >>> [x.planned.date().isoformat() for x in c.cycles()]
    ['2026-01-05', '2026-03-16', '2026-05-11', '2026-07-06']
    """

    def __init__(self, schedule: Schedule | str, start: datetime, patient_id: str = "") -> None:
        self.schedule = get_schedule(schedule) if isinstance(schedule, str) else schedule
        self.start = ensure_aware(start, "course start")
        self.patient_id = patient_id
        self.events: list[CourseEvent] = []

    # -- recording -------------------------------------------------------------------
    def _check_cycle(self, cycle: int, *, open_only: bool = True) -> None:
        if not isinstance(cycle, int) or not 1 <= cycle <= self.schedule.cycles:
            raise ThxError(
                f"cycle must be an integer from 1 to {self.schedule.cycles}, got {cycle!r}"
            )
        if open_only and any(
            e.kind is EventKind.ADMINISTERED and e.cycle == cycle for e in self.events
        ):
            raise ThxError(f"cycle {cycle} has already been given")
        stop = self._stopped_after()
        if stop is not None and cycle > stop:
            raise ThxError(f"cycle {cycle}: the course was stopped after cycle {stop}")

    def _stopped_after(self) -> int | None:
        stops = [e.cycle for e in self.events if e.kind is EventKind.STOPPED]
        return min(stops) if stops else None

    def record_administration(
        self, cycle: int, when: datetime, activity_bq: float, reason: str = ""
    ) -> None:
        """Record that ``cycle`` was given at ``when`` with ``activity_bq``."""
        self._check_cycle(cycle)
        ensure_aware(when, f"cycle {cycle} administration time")
        if not math.isfinite(activity_bq) or activity_bq <= 0:
            raise ThxError(f"cycle {cycle}: administered activity must be > 0 Bq")
        previous = {c.number: c for c in self.cycles()}.get(cycle - 1)
        if previous is not None and (previous.actual or previous.planned) > when:
            raise ThxError(f"cycle {cycle}: administration {when} is before cycle {cycle - 1}")
        self.events.append(
            CourseEvent(EventKind.ADMINISTERED, cycle, when=when, activity_bq=activity_bq,
                        reason=reason)
        )  # fmt: skip

    def delay(self, cycle: int, days: float, reason: str = "") -> None:
        """Delay ``cycle`` (not yet given) by ``days``; later cycles shift with it."""
        self._check_cycle(cycle)
        if not math.isfinite(days) or days <= 0:
            raise ThxError(f"cycle {cycle}: delay must be > 0 days, got {days!r}")
        self.events.append(
            CourseEvent(EventKind.DELAYED, cycle, delay_s=days * _DAY_S, reason=reason)
        )

    def change_dose(
        self, cycle: int, activity_bq: float, reason: str = "", later_cycles: bool = True
    ) -> None:
        """Change the planned activity from ``cycle`` on (or of that cycle only)."""
        self._check_cycle(cycle)
        if not math.isfinite(activity_bq) or activity_bq <= 0:
            raise ThxError(f"cycle {cycle}: new activity must be > 0 Bq, got {activity_bq!r}")
        self.events.append(
            CourseEvent(EventKind.DOSE_CHANGED, cycle, activity_bq=activity_bq,
                        later_cycles=later_cycles, reason=reason)
        )  # fmt: skip

    def stop(self, after_cycle: int, reason: str = "") -> None:
        """Stop the course after ``after_cycle`` (0: before cycle 1); later cycles cancelled."""
        if not isinstance(after_cycle, int) or not 0 <= after_cycle < self.schedule.cycles:
            raise ThxError(
                f"stop: after_cycle must be from 0 to {self.schedule.cycles - 1}, "
                f"got {after_cycle!r}"
            )
        given = [e.cycle for e in self.events if e.kind is EventKind.ADMINISTERED]
        if given and max(given) > after_cycle:
            raise ThxError(f"stop after cycle {after_cycle}: cycle {max(given)} was given")
        self.events.append(CourseEvent(EventKind.STOPPED, after_cycle, reason=reason))

    # -- derived ---------------------------------------------------------------------
    def cycles(self) -> list[CourseCycle]:
        """Every cycle with its nominal, planned and actual date and activity."""
        stop = self._stopped_after()
        activity = self.schedule.activity_bq
        out: list[CourseCycle] = []
        anchor = self.start
        for k in range(1, self.schedule.cycles + 1):
            notes: list[str] = []
            planned_activity = activity
            for e in self.events:
                if e.kind is EventKind.DOSE_CHANGED and e.cycle == k:
                    assert e.activity_bq is not None
                    planned_activity = e.activity_bq
                    if e.later_cycles:
                        activity = e.activity_bq
                    notes.append(
                        f"dose changed to {e.activity_bq / 1e9:g} GBq"
                        + (f" ({e.reason})" if e.reason else "")
                    )
            delay = 0.0
            for e in self.events:
                if e.kind is EventKind.DELAYED and e.cycle == k:
                    assert e.delay_s is not None
                    delay += e.delay_s
                    notes.append(
                        f"delayed {e.delay_s / _DAY_S:g} d" + (f" ({e.reason})" if e.reason else "")
                    )
            base = anchor if k == 1 else _add(anchor, self.schedule.interval_s)
            planned = _add(base, delay)
            nominal = _add(self.start, (k - 1) * self.schedule.interval_s)
            given = next(
                (e for e in self.events if e.kind is EventKind.ADMINISTERED and e.cycle == k),
                None,
            )
            if given is not None:
                assert given.when is not None
                status, actual, administered = CycleStatus.GIVEN, given.when, given.activity_bq
            elif stop is not None and k > stop:
                status, actual, administered = CycleStatus.CANCELLED, None, None
            else:
                status, actual, administered = CycleStatus.PLANNED, None, None
            out.append(
                CourseCycle(k, status, nominal, planned, planned_activity, actual, administered,
                            delay, tuple(notes))
            )  # fmt: skip
            anchor = actual or planned
        return out

    def summary(self) -> dict[str, Any]:
        """Totals: cycles given / planned / cancelled, activities (GBq), end date, delays."""
        cs = self.cycles()
        given = [c for c in cs if c.status is CycleStatus.GIVEN]
        planned = [c for c in cs if c.status is CycleStatus.PLANNED]
        administered = sum(c.administered_bq or 0.0 for c in given)
        remaining = sum(c.planned_activity_bq for c in planned)
        last = cs[-1] if not planned else planned[-1]
        relevant = [c for c in cs if c.status is not CycleStatus.CANCELLED]
        return {
            "schedule": self.schedule.name,
            "patient_id": self.patient_id,
            "cycles_given": len(given),
            "cycles_planned": len(planned),
            "cycles_cancelled": len(cs) - len(given) - len(planned),
            "administered_gbq": administered / 1e9,
            "remaining_planned_gbq": remaining / 1e9,
            "cumulative_planned_gbq": (administered + remaining) / 1e9,
            "next_cycle": planned[0].number if planned else None,
            "next_date": planned[0].planned if planned else None,
            "last_date": (relevant[-1].actual or relevant[-1].planned) if relevant else None,
            "total_shift_days": relevant[-1].shift_days if relevant else 0.0,
            "final_cycle": last.number,
        }

    def as_dict(self) -> dict[str, Any]:
        """Cycles and summary, JSON-ready (dates ISO 8601, activities GBq)."""
        return {
            "summary": self.summary(),
            "schedule": {
                "name": self.schedule.name,
                "activity_gbq": self.schedule.activity_bq / 1e9,
                "interval_days": self.schedule.interval_s / _DAY_S,
                "cycles": self.schedule.cycles,
                "source": self.schedule.source,
                "doi": self.schedule.doi,
            },
            "cycles": [
                {
                    "cycle": c.number,
                    "status": c.status.value,
                    "nominal": c.nominal,
                    "planned": c.planned,
                    "actual": c.actual,
                    "planned_activity_gbq": c.planned_activity_bq / 1e9,
                    "administered_gbq": None
                    if c.administered_bq is None
                    else c.administered_bq / 1e9,
                    "delay_days": c.delay_s / _DAY_S,
                    "shift_days": c.shift_days,
                    "notes": list(c.notes),
                }
                for c in self.cycles()
            ],
        }

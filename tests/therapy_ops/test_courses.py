"""Treatment courses: schedules, delays shifting later cycles, dose changes, stop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from theranostix.errors import NaiveDatetimeError, ThxError
from theranostix.therapy_ops._courses import (
    CycleStatus,
    TreatmentCourse,
    get_schedule,
    schedules,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_standard_schedules_have_sources() -> None:
    s = schedules()
    assert s["vision"].cycles == 6 and s["vision"].interval_s == 42 * 86400
    assert s["netter-1"].cycles == 4 and s["netter-1"].interval_s == 56 * 86400
    assert s["vision"].doi == "10.1056/NEJMoa2107322"
    assert s["netter-1"].doi == "10.1056/NEJMoa1607427"
    assert get_schedule("VISION").activity_bq == 7.4e9
    with pytest.raises(ThxError, match="not one of"):
        get_schedule("netter-2")


def test_vision_planned_dates_every_6_weeks() -> None:
    c = TreatmentCourse("vision", START)
    dates = [x.planned.date().isoformat() for x in c.cycles()]
    assert dates == [
        "2026-01-05", "2026-02-16", "2026-03-30", "2026-05-11", "2026-06-22", "2026-08-03",
    ]  # fmt: skip
    assert c.summary()["cumulative_planned_gbq"] == pytest.approx(44.4)


def test_delay_shifts_later_cycles() -> None:
    c = TreatmentCourse("vision", START)
    c.record_administration(1, START, 7.3e9)
    c.delay(3, days=7, reason="thrombocytopenia")
    cs = c.cycles()
    assert cs[1].planned.date().isoformat() == "2026-02-16"
    assert cs[2].planned.date().isoformat() == "2026-04-06"  # 30 Mar + 7 d
    assert cs[5].planned.date().isoformat() == "2026-08-10"  # every later cycle +7 d
    assert cs[5].shift_days == pytest.approx(7.0)
    assert "thrombocytopenia" in cs[2].notes[0]


def test_actual_date_anchors_next_cycle_and_dose_change() -> None:
    c = TreatmentCourse("netter-1", START)
    c.record_administration(1, datetime(2026, 1, 8, 9, tzinfo=UTC), 7.4e9)  # given 3 d late
    c.change_dose(2, 3.7e9, reason="renal function")
    cs = c.cycles()
    assert cs[1].planned == datetime(2026, 3, 5, 9, tzinfo=UTC)  # 8 Jan + 56 d
    assert [x.planned_activity_bq for x in cs] == [7.4e9, 3.7e9, 3.7e9, 3.7e9]
    s = c.summary()
    assert s["administered_gbq"] == pytest.approx(7.4)
    assert s["remaining_planned_gbq"] == pytest.approx(11.1)
    assert s["next_cycle"] == 2


def test_stop_cancels_remaining() -> None:
    c = TreatmentCourse("netter-1", START)
    c.record_administration(1, START, 7.4e9)
    c.record_administration(2, datetime(2026, 3, 2, 9, tzinfo=UTC), 7.4e9)
    c.stop(2, reason="progression")
    cs = c.cycles()
    assert [x.status for x in cs] == [CycleStatus.GIVEN] * 2 + [CycleStatus.CANCELLED] * 2
    assert c.summary()["cycles_cancelled"] == 2
    with pytest.raises(ThxError, match="stopped"):
        c.delay(3, 7)


def test_errors() -> None:
    with pytest.raises(NaiveDatetimeError):
        TreatmentCourse("vision", datetime(2026, 1, 5))
    c = TreatmentCourse("netter-1", START)
    c.record_administration(1, START, 7.4e9)
    with pytest.raises(ThxError, match="already been given"):
        c.record_administration(1, START, 7.4e9)
    with pytest.raises(ThxError, match="from 1 to 4"):
        c.delay(5, 7)
    with pytest.raises(ThxError, match="before cycle 1"):
        c.record_administration(2, datetime(2026, 1, 1, tzinfo=UTC), 7.4e9)

"""Shielded-room scheduling: assignments, conflicts, turnover, occupancy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from theranostix.errors import ThxError
from theranostix.therapy_ops._rooms import (
    Admission,
    parse_weekdays,
    read_admissions_csv,
    schedule_rooms,
    stay_from_release_s,
    ward_capacity,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
H = 3600.0


def _adm(pid: str, day: float, stay_h: float = 48.0) -> Admission:
    return Admission(pid, T0 + timedelta(days=day), stay_h * H)


def test_conflict_when_all_rooms_taken() -> None:
    s = schedule_rooms([_adm("a", 0), _adm("b", 0), _adm("c", 1), _adm("d", 2)], rooms=2)
    rooms = {a.admission.patient_id: a.room for a in s.assignments}
    assert rooms == {"a": 1, "b": 2, "c": None, "d": 1}  # a leaves at day 2, exactly when d comes
    assert [c.patient_id for c in s.conflicts] == ["c"]
    # c can be re-booked when a and b leave (day 2); placed patients carry no suggestion
    nxt = {a.admission.patient_id: a.next_free for a in s.assignments}
    assert nxt == {"a": None, "b": None, "c": T0 + timedelta(days=2), "d": None}
    assert s.as_dict()["assignments"][2]["next_free_room_at"] == T0 + timedelta(days=2)


def test_turnover_blocks_the_room() -> None:
    adms = [_adm("a", 0), _adm("d", 2)]
    assert schedule_rooms(adms, rooms=1).conflicts == ()
    blocked = schedule_rooms(adms, rooms=1, turnover_s=2 * H)
    assert [c.patient_id for c in blocked.conflicts] == ["d"]


def test_occupancy_by_hand() -> None:
    # 4 rooms, 4 patients × 48 h within 4 days (first admit to last discharge = 96 h)
    adms = [_adm("a", 0), _adm("b", 0), _adm("c", 2), _adm("d", 2)]
    s = schedule_rooms(adms, rooms=4)
    assert s.occupancy() == pytest.approx(4 * 48 / (4 * 96))
    assert s.as_dict()["conflicts"] == []


def test_stay_from_release_and_csv(tmp_path: Path) -> None:
    assert stay_from_release_s(26.7 * H) == 48 * H
    assert stay_from_release_s(0.0) == 24 * H
    p = tmp_path / "adm.csv"
    p.write_text("patient_id,admit,stay_h\np1,2026-01-05T09:00,\np2,2026-01-05T10:00,72\n")
    adms = read_admissions_csv(p, default_stay_s=48 * H, tz="Europe/Paris")
    assert [a.stay_s / H for a in adms] == [48.0, 72.0]
    assert adms[0].admit.utcoffset() == timedelta(hours=1)
    with pytest.raises(ThxError, match="no default stay"):
        read_admissions_csv(p)


def test_errors() -> None:
    with pytest.raises(ThxError, match="rooms"):
        schedule_rooms([_adm("a", 0)], rooms=0)
    with pytest.raises(ThxError, match="more than once"):
        schedule_rooms([_adm("a", 0), _adm("a", 1)], rooms=2)


# --- yearly capacity of the ward ---

MONDAY = date(2027, 1, 4)


def test_capacity_four_rooms_two_nights() -> None:
    # 46 h + 2 h turnover: Monday's rooms are free on Wednesday 09:00, so Mon/Wed/Fri
    # each fill 4 rooms: 12 a week, 564 in 47 weeks
    w = ward_capacity(4, 46 * H, 2 * H, start=MONDAY, weeks=47, demand=470)
    assert w.admissions == 564 and w.per_week == 12
    assert w.admissions_by_weekday == {"mon": 188, "tue": 0, "wed": 188, "thu": 0, "fri": 188}
    assert w.occupancy == pytest.approx(564 * 46 / (4 * 47 * 168))
    assert w.shortfall == 0
    # 48 h + 2 h: Monday's rooms free on Wednesday 11:00, missed; Thursday's on Saturday:
    # Mon/Thu, 8 a week, 376 < 470
    w48 = ward_capacity(4, 48 * H, 2 * H, start=MONDAY, weeks=47, demand=470)
    assert w48.admissions == 376
    assert w48.admissions_by_weekday == {"mon": 188, "tue": 0, "wed": 0, "thu": 188, "fri": 0}
    assert w48.shortfall == 94
    d = w48.as_dict()
    assert d["admission_days"] == ["mon", "tue", "wed", "thu", "fri"] and d["shortfall"] == 94
    assert d["admit_at"] == "09:00" and d["stay_h"] == 48


def test_capacity_follows_the_wall_clock_across_daylight_saving() -> None:
    # daily admissions, 22 h + 2 h: every room every day; the night of 27-28 March 2027
    # lasts 23 h in Paris, and the Sunday 09:00 slot is still taken (wall clock)
    w = ward_capacity(
        2, 22 * H, 2 * H, weekdays=range(7), start=date(2027, 3, 22), weeks=1, tz="Europe/Paris"
    )
    assert w.admissions == 14  # on elapsed time the rooms would be free at 10:00: 12
    # 23 h + 2 h: the rooms miss the next day's slot and take a patient every other day,
    # so every other Monday: 26 Mondays x 2 rooms in 52 weeks
    late = ward_capacity(2, 23 * H, 2 * H, weekdays=range(7), admit_at=time(10), start=MONDAY)
    assert late.admissions_by_weekday["mon"] == 26 * 2 and late.admissions == 364


def test_capacity_one_room_per_slot_when_stays_exceed_the_gap() -> None:
    # one room, 5-day stays, admissions Monday only: one patient a week
    w = ward_capacity(1, 5 * 24 * H, start=MONDAY, weeks=10, weekdays=(0,))
    assert w.admissions == 10 and w.admissions_by_weekday == {"mon": 10}
    # 7-day stay + 1 h: the next Monday 09:00 is missed, a patient every other week
    w2 = ward_capacity(1, 7 * 24 * H, 1 * H, start=MONDAY, weeks=10, weekdays=(0,))
    assert w2.admissions == 5


def test_weekdays_and_capacity_errors() -> None:
    assert parse_weekdays("mon,wed,fri") == (0, 2, 4)
    assert parse_weekdays("Sat-Sun, mon") == (0, 5, 6)
    with pytest.raises(ThxError, match="'funday'"):
        parse_weekdays("funday")
    with pytest.raises(ThxError, match="backwards"):
        parse_weekdays("fri-mon")
    with pytest.raises(ThxError, match="rooms"):
        ward_capacity(0, H, start=MONDAY)
    with pytest.raises(ThxError, match="weekdays"):
        ward_capacity(1, H, start=MONDAY, weekdays=(7,))
    with pytest.raises(ThxError, match="time zone"):
        ward_capacity(1, H, start=MONDAY, tz="Mars/Olympus")
    with pytest.raises(ThxError, match="demand"):
        ward_capacity(1, H, start=MONDAY, demand=-1)

"""Shielded-room scheduling: assignments, conflicts, turnover, occupancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from theranostix.errors import ThxError
from theranostix.therapy_ops._rooms import (
    Admission,
    read_admissions_csv,
    schedule_rooms,
    stay_from_release_s,
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

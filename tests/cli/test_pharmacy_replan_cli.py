"""``thx pharmacy replan`` and ``read_events_csv``: values by hand, user errors exit 2."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli_checks import cli_error
from theranostix.cli import app
from theranostix.errors import ThxError
from theranostix.pharmacy import (
    PatientAbsent,
    PatientAdded,
    PatientLate,
    PetPatient,
    VialDiluted,
    VialMeasured,
    read_events_csv,
)

runner = CliRunner()
LAM = math.log(2) / (109.77 * 60)  # F-18, T½ = 109.77 min
MBQ = 1e6
CAL = "2026-11-24T08:00+01:00"
CET = timezone(timedelta(hours=1))
VIAL_MBQ = 2000.0  # delivered vial: serves A, B, C (and an added D) comfortably
HEADER = "event,patient_id,time,weight_kg,protocol,activity_mbq,volume_ml\n"


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 11, 24, h, m, tzinfo=CET)


def volume_ml(activity_bq: float, seconds_after_cal: float, vial_bq: float) -> float:
    """Volume drawn from a 10 mL vial of ``vial_bq`` at calibration: a·exp(λt)·V/A_cal."""
    return activity_bq * math.exp(LAM * seconds_after_cal) * 10 / vial_bq


@pytest.fixture
def patients(tmp_path: Path) -> Path:
    path = tmp_path / "patients.csv"
    path.write_text(
        "patient_id,weight_kg,injection_time\n"
        "A,70,2026-11-24T09:00+01:00\nB,80,2026-11-24T09:20+01:00\nC,100,2026-11-24T09:40+01:00\n",
        encoding="utf-8",
    )
    return path


def events_file(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def day_options(vial_mbq: float = VIAL_MBQ) -> list[str]:
    return ["--tracer", "F-18", "--mbq-per-kg", "3", "--calibration-time", CAL,
            "--vial-volume-ml", "10", "--vial-activity-mbq", repr(vial_mbq)]  # fmt: skip


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["pharmacy", *args, "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def morning(patients: Path, vial_mbq: float = VIAL_MBQ) -> dict[str, Any]:
    return run_json("plan", str(patients), *day_options(vial_mbq))


def replan(patients: Path, events: Path, now: str, *extra: str,
           vial_mbq: float = VIAL_MBQ) -> dict[str, Any]:  # fmt: skip
    return run_json("replan", str(patients), str(events), *day_options(vial_mbq), "--now", now,
                    *extra)  # fmt: skip


def run_error(*args: str) -> str:
    return cli_error(app, "pharmacy", *args)


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["patient_id"]: d for d in report["doses"]}


# --------------------------------------------------------------------------- CLI


def test_absent_patient_disappears_others_unchanged(patients: Path, tmp_path: Path) -> None:
    plan = morning(patients)
    events = events_file(tmp_path, HEADER + "absent,B,,,,,\n")
    new = replan(patients, events, "2026-11-24T08:30+01:00")
    assert [d["patient_id"] for d in new["doses"]] == ["A", "C"]
    assert new["cancelled"] == ["B"] and new["wasted"] == []
    before, after = by_id(plan), by_id(new)
    for pid, mbq in (("A", 210), ("C", 300)):
        assert after[pid]["activity_bq"] == pytest.approx(mbq * MBQ, rel=1e-12)
        assert after[pid]["activity_bq"] == pytest.approx(before[pid]["activity_bq"], rel=1e-12)
        assert after[pid]["volume_ml"] == pytest.approx(before[pid]["volume_ml"], rel=1e-12)
        assert after[pid]["status"] == "planned" and after[pid]["feasible"]
    # B's volume stays in the vial
    v_b = volume_ml(240 * MBQ, 4800, VIAL_MBQ * MBQ)
    assert before["B"]["volume_ml"] == pytest.approx(v_b, rel=1e-9)
    assert new["residual"]["volume_ml"] == pytest.approx(
        plan["residual"]["volume_ml"] + v_b, rel=1e-9
    )
    assert new["events"] == [{"event": "absent", "patient_id": "B"}]


def test_late_drawn_patient_is_decay_corrected(patients: Path, tmp_path: Path) -> None:
    plan = morning(patients)
    events = events_file(tmp_path, HEADER + "late,B,2026-11-24T09:50+01:00,,,,\n")
    # at 09:25 the doses of A (09:00) and B (09:20) are drawn by default
    new = replan(patients, events, "2026-11-24T09:25+01:00")
    b = by_id(new)["B"]
    assert b["status"] == "drawn" and b["injection_time"] == "2026-11-24T09:50:00+01:00"
    assert b["activity_at_draw_bq"] == pytest.approx(240 * MBQ, rel=1e-12)
    # 30 min in the syringe: A = A0·exp(−ln2·Δt/T½)
    assert b["activity_bq"] == pytest.approx(
        240 * MBQ * math.exp(-math.log(2) * 30 / 109.77), rel=1e-9
    )
    assert b["flags"] == ["syringe_decayed"]
    assert b["volume_ml"] == pytest.approx(by_id(plan)["B"]["volume_ml"], rel=1e-12)
    assert by_id(new)["A"]["status"] == "drawn" and by_id(new)["C"]["status"] == "planned"
    assert new["residual"]["volume_ml"] == pytest.approx(plan["residual"]["volume_ml"], rel=1e-9)
    assert new["events"] == [
        {"event": "late", "patient_id": "B", "injection_time": "2026-11-24T09:50:00+01:00"}
    ]


def test_late_patient_not_drawn_keeps_the_activity(patients: Path, tmp_path: Path) -> None:
    events = events_file(tmp_path, HEADER + "late,C,2026-11-24T10:10+01:00,,,,\n")
    new = replan(patients, events, "2026-11-24T09:10+01:00", "--drawn", "A")
    c = by_id(new)["C"]
    assert c["status"] == "planned" and c["draw_time"] == "2026-11-24T10:10:00+01:00"
    assert c["activity_bq"] == pytest.approx(300 * MBQ, rel=1e-12)
    assert c["volume_ml"] == pytest.approx(volume_ml(300 * MBQ, 7800, VIAL_MBQ * MBQ), rel=1e-9)
    assert [d["patient_id"] for d in new["doses"]] == ["A", "B", "C"]


def test_late_naive_time_with_tz(patients: Path, tmp_path: Path) -> None:
    events = events_file(tmp_path, HEADER + "late,C,2026-11-24T10:10,,,,\n")
    new = replan(patients, events, "2026-11-24T09:10", "--tz", "Europe/Paris")
    assert by_id(new)["C"]["injection_time"] == "2026-11-24T10:10:00+01:00"


def test_added_patient_gets_mbq_per_kg_times_weight(patients: Path, tmp_path: Path) -> None:
    vial = 2500.0  # room for two more patients
    plan = morning(patients, vial)
    events = events_file(tmp_path, HEADER + "added,D,2026-11-24T10:00+01:00,90,,,\n"
                         "added,E,2026-11-24T10:20+01:00,90,fdg-eanm-3d,,\n")  # fmt: skip
    new = replan(patients, events, "2026-11-24T09:25+01:00", vial_mbq=vial)
    doses = by_id(new)
    d, e = doses["D"], doses["E"]
    assert d["activity_bq"] == pytest.approx(3 * 90 * MBQ, rel=1e-12)
    assert d["requested_activity_bq"] == pytest.approx(270 * MBQ, rel=1e-12)
    assert d["volume_ml"] == pytest.approx(volume_ml(270 * MBQ, 7200, vial * MBQ), rel=1e-9)
    assert d["status"] == "planned" and d["feasible"] and d["protocol"] == "3 MBq/kg"
    assert e["activity_bq"] == pytest.approx(2.33 * 90 * MBQ, rel=1e-12)
    assert e["protocol"] == "fdg-eanm-3d" and e["feasible"]
    for pid in "ABC":  # the others are untouched
        assert doses[pid]["activity_bq"] == pytest.approx(by_id(plan)[pid]["activity_bq"])
    assert new["feasible"]
    assert new["events"][0] == {"event": "added", "patient_id": "D", "weight_kg": 90.0,
                                "injection_time": "2026-11-24T10:00:00+01:00", "protocol": None}  # fmt: skip


def test_vial_measured_low_leaves_a_patient_unserved(patients: Path, tmp_path: Path) -> None:
    vial = 1500.0  # enough for A, B, C as ordered (8.46 mL of 9.7), not 20 % less
    plan = morning(patients, vial)
    assert plan["feasible"]
    measured = 0.8 * vial * math.exp(-LAM * 1800)  # MBq at 08:30, 20 % below the plan
    events = events_file(tmp_path, HEADER + f"vial-measured,,2026-11-24T08:30+01:00,,,"
                         f"{measured!r},\n")  # fmt: skip
    new = replan(patients, events, "2026-11-24T08:45+01:00", vial_mbq=vial)
    real = 0.8 * vial * MBQ  # the vial as it really was at calibration
    v_a = volume_ml(210 * MBQ, 3600, real)
    v_b = volume_ml(240 * MBQ, 4800, real)
    doses = by_id(new)
    assert doses["A"]["volume_ml"] == pytest.approx(v_a, rel=1e-9)
    assert doses["A"]["volume_ml"] == pytest.approx(by_id(plan)["A"]["volume_ml"] / 0.8)
    assert doses["B"]["volume_ml"] == pytest.approx(v_b, rel=1e-9)
    # C needs more than the 10 − v_A − v_B − 0.3 mL still extractable
    assert volume_ml(300 * MBQ, 6000, real) > 10 - v_a - v_b - 0.3
    assert doses["C"]["status"] == "not_served" and doses["C"]["flags"] == ["vial_exhausted"]
    assert not new["feasible"]
    left = 10 - v_a - v_b
    residual_conc = real * math.exp(-LAM * 6000) / 10  # Bq/mL at 09:40 (last injection)
    assert new["residual"]["volume_ml"] == pytest.approx(left, rel=1e-9)
    assert new["residual"]["activity_bq"] == pytest.approx(residual_conc * left, rel=1e-9)
    assert new["vial_reference"]["activity_bq"] == pytest.approx(measured * MBQ, rel=1e-12)
    assert any("-20.0 % against the plan" in n for n in new["notes"])
    assert new["events"] == [{"event": "vial-measured", "activity_bq": pytest.approx(measured * MBQ),
                              "at": "2026-11-24T08:30:00+01:00", "volume_ml": None}]  # fmt: skip


def test_vial_diluted_scales_the_later_volumes(patients: Path, tmp_path: Path) -> None:
    plan = morning(patients, 1500.0)
    events = events_file(tmp_path, HEADER + "vial-diluted,,2026-11-24T08:30+01:00,,,,5\n")
    new = replan(patients, events, "2026-11-24T08:45+01:00", vial_mbq=1500.0)
    scale = 15 / 10  # nothing drawn before 08:30: 10 mL + 5 mL, same activity
    for pid in "ABC":
        assert by_id(new)[pid]["volume_ml"] == pytest.approx(by_id(plan)[pid]["volume_ml"] * scale)
    assert new["residual"]["activity_bq"] == pytest.approx(plan["residual"]["activity_bq"])
    assert new["events"] == [{"event": "vial-diluted", "added_ml": 5.0,
                              "at": "2026-11-24T08:30:00+01:00"}]  # fmt: skip


def test_replan_text_output(patients: Path, tmp_path: Path) -> None:
    events = events_file(tmp_path, HEADER + "absent,B,,,,,\n")
    result = runner.invoke(app, ["pharmacy", "replan", str(patients), str(events), *day_options(),
                                 "--now", "2026-11-24T08:30+01:00"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "event: absent: patient_id B" in result.stdout
    assert "cancelled: B" in result.stdout
    assert "dispensing plan" in result.stdout and "NOT FEASIBLE" not in result.stdout


@pytest.mark.parametrize(
    ("text", "line", "column", "detail"),
    [
        (HEADER + "absent,B,,,,,\nlater,C,2026-11-24T10:00+01:00,,,,\n", 3, "event",
         "unknown event 'later' (allowed: late, absent, added, vial-measured, vial-diluted)"),
        (HEADER + "late,B,2026-11-24T09:50,,,,\n", 2, "time", "no time zone"),
        (HEADER + "late,B,,,,,\n", 2, "time", "missing value"),
        (HEADER + "added,D,2026-11-24T10:00+01:00,,,,\n", 2, "weight_kg", "missing value"),
    ],
)  # fmt: skip
def test_bad_events_file_exits_2(patients: Path, tmp_path: Path, text: str, line: int,
                                 column: str, detail: str) -> None:  # fmt: skip
    events = events_file(tmp_path, text)
    message = run_error("replan", str(patients), str(events), *day_options(),
                        "--now", "2026-11-24T09:25+01:00")  # fmt: skip
    assert f"{events} line {line} column {column!r}: " in message
    assert detail in message


def test_replan_user_errors(patients: Path, tmp_path: Path) -> None:
    events = events_file(tmp_path, HEADER + "late,Z,2026-11-24T10:00+01:00,,,,\n")
    now = ["--now", "2026-11-24T09:25+01:00"]
    base = ["replan", str(patients), str(events), *day_options()]
    assert "no patient 'Z' in the plan" in run_error(*base, *now)
    assert "not both" in run_error(*base, *now, "--protocol", "fdg-local")
    assert "--now" in run_error(*base, "--now", "2026-11-24T09:25")  # naive, no --tz
    ok = events_file(tmp_path, HEADER, "empty.csv")
    assert "drawn: no patient 'Q'" in run_error("replan", str(patients), str(ok), *day_options(),
                                                *now, "--drawn", "Q")  # fmt: skip
    # B (09:20) neither drawn, late nor absent at 09:25
    assert "mark it drawn, late or absent" in run_error(
        "replan", str(patients), str(ok), *day_options(), *now, "--drawn", "A"
    )
    assert "cannot be read" in run_error("replan", str(patients), str(tmp_path / "none.csv"),
                                         *day_options(), *now)  # fmt: skip
    # --vial-activity-mbq and --now are required
    missing = runner.invoke(app, ["pharmacy", "replan", str(patients), str(ok), "--tracer", "F-18",
                                  "--mbq-per-kg", "3", "--calibration-time", CAL, *now])  # fmt: skip
    assert missing.exit_code == 2 and "--vial-activity-mbq" in missing.output
    missing = runner.invoke(app, ["pharmacy", "replan", str(patients), str(ok), *day_options()])
    assert missing.exit_code == 2 and "--now" in missing.output


def test_replan_with_no_events_matches_plan(patients: Path, tmp_path: Path) -> None:
    plan = morning(patients)
    new = replan(patients, events_file(tmp_path, HEADER), "2026-11-24T08:30+01:00")
    assert new["events"] == []
    assert [d["volume_ml"] for d in new["doses"]] == pytest.approx(
        [d["volume_ml"] for d in plan["doses"]], rel=1e-12
    )


# --------------------------------------------------------------------------- read_events_csv


def test_read_events_csv_all_kinds(tmp_path: Path) -> None:
    path = events_file(tmp_path, "# re-planning at 09:25\n" + HEADER +
                       "late,B,2026-11-24T09:50+01:00,,,,\n\n"
                       "absent, C ,,,,,\n"
                       "added,D,2026-11-24T10:00+01:00,90,fdg-eanm-3d,,\n"
                       "added,E,2026-11-24T10:20+01:00,75.5,,,\n"
                       "vial-measured,,2026-11-24T09:10+01:00,,,640,9.5\n"
                       "vial-measured,,2026-11-24T09:20+01:00,,,600.5,\n"
                       "vial-diluted,,2026-11-24T09:22+01:00,,,,4\n")  # fmt: skip
    assert read_events_csv(path) == [
        PatientLate("B", at(9, 50)),
        PatientAbsent("C"),
        PatientAdded(PetPatient("D", 90.0, at(10), "fdg-eanm-3d")),
        PatientAdded(PetPatient("E", 75.5, at(10, 20))),
        VialMeasured(640 * MBQ, at(9, 10), 9.5),
        VialMeasured(600.5 * MBQ, at(9, 20)),
        VialDiluted(4.0, at(9, 22)),
    ]
    with pytest.raises(
        ThxError, match="line 2 column 'activity_mbq': not used by the 'vial-diluted'"
    ):
        read_events_csv(
            events_file(tmp_path, HEADER + "vial-diluted,,2026-11-24T09:22+01:00,,,5,4\n", "x.csv")
        )


def test_read_events_csv_columns_subset_and_tz(tmp_path: Path) -> None:
    path = events_file(tmp_path, "event,patient_id,time\nlate,B,2026-11-24 09:50\nabsent,C\n")
    events = read_events_csv(path, tz="Europe/Paris")
    assert events == [PatientLate("B", at(9, 50)), PatientAbsent("C")]
    assert events[0].injection_time.isoformat() == "2026-11-24T09:50:00+01:00"
    assert read_events_csv(events_file(tmp_path, "event\n", "header.csv")) == []


def test_read_events_csv_custom_protocol_table(tmp_path: Path) -> None:
    from theranostix.pharmacy import pet_protocol

    path = events_file(tmp_path, HEADER + "added,D,2026-11-24T10:00+01:00,90,mine,,\n")
    with pytest.raises(ThxError, match="column 'protocol': unknown PET protocol 'mine'"):
        read_events_csv(path)
    table = {"mine": pet_protocol("fdg-eanm-3d")}
    [event] = read_events_csv(path, protocols=table)
    assert isinstance(event, PatientAdded) and event.patient.protocol == "mine"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file, expected a header event,patient_id,time"),
        ("patient_id,time\n", "line 1: missing column 'event'"),
        ("event,weight\n", "line 1: unknown column 'weight' (allowed: event, patient_id, time"),
        ("event,time,time\n", "line 1: column 'time' appears twice"),
        (HEADER + "\n#c\nmoved,B,,,,,\n", "line 4 column 'event': unknown event 'moved' "
         "(allowed: late, absent, added, vial-measured, vial-diluted)"),
        (HEADER + ",B,,,,,\n", "line 2 column 'event': missing value"),
        (HEADER + "late,,2026-11-24T09:50+01:00,,,,\n", "line 2 column 'patient_id': missing"),
        (HEADER + "late,B,2026-11-24T09:50,,,,\n", "line 2 column 'time': time 2026-11-24 "
         "09:50:00 has no time zone"),
        (HEADER + "late,B,9h50,,,,\n", "line 2 column 'time': cannot read time '9h50'"),
        ("event,patient_id\nlate,B\n", "line 2 column 'time': missing value (no such column"),
        (HEADER + "absent,B,2026-11-24T09:50+01:00,,,,\n",
         "line 2 column 'time': not used by the 'absent' event"),
        (HEADER + "late,B,2026-11-24T09:50+01:00,70,,,\n",
         "line 2 column 'weight_kg': not used by the 'late' event"),
        (HEADER + "added,D,2026-11-24T10:00+01:00,heavy,,,\n",
         "line 2 column 'weight_kg': 'heavy' is not a number"),
        (HEADER + "added,D,2026-11-24T10:00+01:00,600,,,\n",
         "line 2 column 'weight_kg': 600 kg is not in (0, 500]"),
        (HEADER + "added,D,2026-11-24T10:00+01:00,70,,,\nadded,D,2026-11-24T10:20+01:00,80,,,\n",
         "line 3 column 'patient_id': 'D' already added on line 2"),
        (HEADER + "vial-measured,,2026-11-24T09:10+01:00,,,0,\n",
         "line 2 column 'activity_mbq': 0 MBq is not in (0, inf]"),
        (HEADER + "vial-measured,,2026-11-24T09:10+01:00,,,nan,\n",
         "line 2 column 'activity_mbq': nan MBq is not in"),
        (HEADER + "vial-measured,,2026-11-24T09:10+01:00,,,640,-1\n",
         "line 2 column 'volume_ml': -1 mL is not in (0, inf]"),
        (HEADER + "vial-measured,,2026-11-24T09:10+01:00,,,,\n",
         "line 2 column 'activity_mbq': missing value"),
    ],
)  # fmt: skip
def test_read_events_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    path = events_file(tmp_path, text)
    with pytest.raises(ThxError) as info:
        read_events_csv(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_read_events_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ThxError, match="cannot be read"):
        read_events_csv(tmp_path / "none.csv")

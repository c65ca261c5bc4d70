"""``thx pharmacy plan|ga68-day|protocols``: JSON values by hand, user errors exit 2."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli_checks import cli_error
from theranostix.cli import app

runner = CliRunner()
LAM = math.log(2) / (109.77 * 60)  # F-18
MBQ = 1e6
CAL = "2026-11-24T08:00+01:00"


def csv_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "patients.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def patients(tmp_path: Path) -> Path:
    return csv_file(
        tmp_path,
        "patient_id,weight_kg,injection_time\n"
        "A,70,2026-11-24T09:00+01:00\nB,80,2026-11-24T09:20+01:00\nC,100,2026-11-24T09:40+01:00\n",
    )


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["pharmacy", *args, "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def run_error(*args: str) -> str:
    return cli_error(app, "pharmacy", *args)


def test_plan_json_by_hand(patients: Path) -> None:
    report = run_json("plan", str(patients), "--tracer", "F-18", "--mbq-per-kg", "3",
                      "--calibration-time", CAL, "--vial-volume-ml", "10")  # fmt: skip
    back = [210 * MBQ * math.exp(LAM * 3600), 240 * MBQ * math.exp(LAM * 4800),
            300 * MBQ * math.exp(LAM * 6000)]  # fmt: skip
    order = 1.1 * 10 / 9.7 * sum(back)
    assert report["order_activity_at_calibration_bq"] == pytest.approx(order, rel=1e-9)
    doses = report["doses"]
    assert [d["patient_id"] for d in doses] == ["A", "B", "C"]
    assert [d["activity_bq"] for d in doses] == pytest.approx([210 * MBQ, 240 * MBQ, 300 * MBQ])
    assert [d["volume_ml"] for d in doses] == pytest.approx(
        [b * 10 / order for b in back], rel=1e-9
    )
    assert doses[0]["draw_time"] == "2026-11-24T09:00:00+01:00"
    assert all(d["feasible"] and d["flags"] == [] for d in doses) and report["feasible"]
    assert report["residual"]["volume_ml"] == pytest.approx(10 - 9.7 / 1.1, rel=1e-9)


def test_plan_with_a_delivered_vial_flags_and_suggests(patients: Path) -> None:
    report = run_json("plan", str(patients), "--tracer", "F-18", "--protocol", "fdg-local",
                      "--calibration-time", CAL, "--vial-activity-mbq", "600",
                      "--draw-lead-min", "10")  # fmt: skip
    a, b, c = report["doses"]
    assert a["activity_at_draw_bq"] == pytest.approx(210 * MBQ * math.exp(LAM * 600), rel=1e-9)
    assert a["volume_ml"] == pytest.approx(210 * math.exp(LAM * 3600) * 10 / 600, rel=1e-9)
    assert b["status"] == "not_served" and b["flags"] == ["vial_exhausted"]
    assert c["status"] == "not_served" and not report["feasible"]
    assert any("protocol minimum" in s for s in b["suggestions"])
    text = runner.invoke(app, ["pharmacy", "plan", str(patients), "--tracer", "F-18",
                               "--protocol", "fdg-local", "--calibration-time", CAL,
                               "--vial-activity-mbq", "600"])  # fmt: skip
    assert text.exit_code == 0 and "NOT FEASIBLE" in text.stdout and "vial_exhausted" in text.stdout


def test_protocol_column_overrides(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "patient_id,weight_kg,injection_time,protocol\n"
                    "A,70,2026-11-24T09:00+01:00,\nB,120,2026-11-24T09:20+01:00,dcfpyl-f18\n")  # fmt: skip
    report = run_json("plan", str(path), "--tracer", "F-18", "--protocol", "fdg-eanm-3d",
                      "--calibration-time", CAL)  # fmt: skip
    assert report["doses"][0]["activity_bq"] == pytest.approx(70 * 2.33 * MBQ)
    assert report["doses"][1]["activity_bq"] == 333 * MBQ
    assert report["doses"][1]["protocol"] == "dcfpyl-f18"


def test_plan_user_errors(tmp_path: Path, patients: Path) -> None:
    base = ["plan", str(patients), "--tracer", "F-18", "--calibration-time", CAL]
    assert "not both" in run_error(*base, "--mbq-per-kg", "3", "--protocol", "fdg-local")
    assert "patient A: no protocol" in run_error(*base)
    assert "unknown PET protocol 'fdg'" in run_error(*base, "--protocol", "fdg")
    assert "unknown radionuclide" in run_error("plan", str(patients), "--tracer", "F-81",
                                               "--mbq-per-kg", "3", "--calibration-time", CAL)  # fmt: skip
    assert "no time zone" in run_error("plan", str(patients), "--tracer", "F-18", "--mbq-per-kg",
                                       "3", "--calibration-time", "2026-11-24T08:00")  # fmt: skip
    bad = csv_file(tmp_path, "patient_id,weight_kg,injection_time\nA,-3,2026-11-24T09:00+01:00\n")
    message = run_error("plan", str(bad), "--tracer", "F-18", "--mbq-per-kg", "3",
                        "--calibration-time", CAL)  # fmt: skip
    assert str(bad) in message and "line 2 column 'weight_kg'" in message
    assert "cannot be read" in run_error("plan", str(tmp_path / "none.csv"), "--tracer", "F-18",
                                         "--mbq-per-kg", "3", "--calibration-time", CAL)  # fmt: skip


def test_ga68_day_json(patients: Path) -> None:
    report = run_json("ga68-day", str(patients), "--protocol", "psma11-ga68",
                      "--generator-activity-mbq", "1850",
                      "--generator-calibration", "2026-10-01T12:00+01:00",
                      "--elution", "2026-11-23T16:00+01:00")  # fmt: skip
    assert report["elution_count"] == 2 and report["all_served"]
    assert [d["activity_bq"] for d in report["doses"]] == pytest.approx([140e6, 160e6, 200e6])
    assert report["elutions"][0]["patients"] == ["A", "B"]
    assert report["labelling_yield"] == 0.85
    message = run_error("ga68-day", str(patients), "--protocol", "fdg-local",
                        "--generator-activity-mbq", "1850",
                        "--generator-calibration", "2026-10-01T12:00+01:00")  # fmt: skip
    assert "is for F-18" in message


def test_protocols_json() -> None:
    report = run_json("protocols")
    names = {p["name"]: p for p in report["protocols"]}
    assert names["dotatate-ga68"]["max_activity_bq"] == 200e6
    assert all(p["source"] for p in report["protocols"])

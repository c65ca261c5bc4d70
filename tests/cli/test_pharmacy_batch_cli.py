"""``thx pharmacy batch``: the record life cycle on the command line, JSON output, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from theranostix.cli import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "records.sqlite"
    monkeypatch.setenv("THX_RECORDS_DB", str(path))
    monkeypatch.setenv("THX_USER", "qp.martin")
    return path


def batch(*args: str) -> Any:
    return runner.invoke(app, ["pharmacy", "batch", *args])


def ok_json(*args: str) -> dict[str, Any]:
    result = batch(*args, "--json")
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def refused(*args: str) -> str:
    result = batch(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def create(lot: str = "FDG-001") -> dict[str, Any]:
    return ok_json("create", "--lot", lot, "--product", "fdg", "-n", "F-18",
                   "--activity", "20 GBq", "--volume-ml", "10",
                   "--calibration-time", "2026-11-23 08:00", "--tz", "Europe/Paris",
                   "--expiry-time", "2026-11-23T17:00Z", "--generator-lot", "GEN-1",
                   "--kit-lot", "KIT-7")  # fmt: skip


def qc_all(lot: str = "FDG-001") -> None:
    ok_json("qc", lot, "--test", "radiochemical_purity", "--value", "98.5")
    ok_json("qc", lot, "--test", "ph", "--value", "6.0")
    ok_json("qc", lot, "--test", "appearance", "--pass", "--observation", "clear, colourless")


def test_lifecycle_on_the_command_line(db: Path) -> None:
    created = create()["batch"]
    assert created["calibration_time"] == "2026-11-23T07:00:00+00:00"  # Paris 08:00 = 07:00 UTC
    assert created["activity_bq"] == 20e9 and created["status"] == "draft"
    qc_all()
    assert "missing QC: half_life" in refused("release", "FDG-001")
    fit = ok_json("qc", "FDG-001", "--test", "half_life", "--calibrator", "CRC-1",
                  "--reading", "2026-11-23T08:00Z=1000 MBq",
                  "--reading", "2026-11-23T08:30Z=827.3 MBq")  # fmt: skip
    assert fit["qc"]["value"] == pytest.approx(109.68, abs=0.01) and fit["qc"]["passed"]
    assert ok_json("release", "FDG-001")["batch"]["status"] == "released"
    dose = ok_json("dispense", "FDG-001", "--patient", "P-42", "--prescribed", "370 MBq",
                   "--measured", "420 MBq", "--measured-at", "2026-11-23T09:00Z",
                   "--calibrator", "CRC-1")["dose"]  # fmt: skip
    assert dose["dose_id"] == "FDG-001-D001" and dose["within_tolerance"] is False
    assert "deviation reason" in refused("administer", "FDG-001-D001", "--patient", "P-42",
                                         "--at", "2026-11-23T09:10Z")  # fmt: skip
    admin = ok_json("administer", "FDG-001-D001", "--patient", "P-42", "--at",
                    "2026-11-23T09:10Z", "--residual", "5 MBq",
                    "--deviation-reason", "accepted by physician")["administration"]  # fmt: skip
    assert admin["administered_activity_bq"] == pytest.approx(420e6 * 2 ** (-10 / 109.77) - 5e6,
                                                              rel=1e-4)  # fmt: skip
    trace = ok_json("trace", "--patient", "P-42")
    rec = trace["records"][0]
    assert rec["batch"]["generator_lot"] == "GEN-1" and rec["batch"]["kit_lot"] == "KIT-7"
    assert len(rec["qc"]) == 4
    recall = ok_json("trace", "--lot", "KIT-7")
    assert recall["patients"] == ["P-42"] and recall["batches"] == {"FDG-001": ["kit"]}
    history = ok_json("history", "FDG-001")["events"]
    assert [e["action"] for e in history][-3:] == ["batch.released", "dose.dispensed",
                                                   "dose.administered"]  # fmt: skip
    assert all(e["actor"] == "qp.martin" for e in history)
    show = ok_json("show", "FDG-001", "--at", "2026-11-23T10:00Z")
    assert show["report"]["status"] == "released" and show["releasable"] is True
    # text outputs
    for args in (["show", "FDG-001"], ["history", "FDG-001"], ["trace", "--lot", "GEN-1"]):
        result = batch(*args)
        assert result.exit_code == 0 and "FDG-001" in result.stdout


def test_refusals_exit_2_with_one_line(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    create()
    assert "'NOPE': no such batch" in refused("qc", "NOPE", "--test", "ph", "--value", "6")
    assert "already exists" in refused("create", "--lot", "FDG-001", "--product", "fdg", "-n",
                                       "F-18", "--activity", "1 GBq", "--volume-ml", "1",
                                       "--calibration-time", "2026-11-23T07:00Z",
                                       "--expiry-time", "2026-11-23T17:00Z")  # fmt: skip
    assert "draft: dispensing is refused" in refused(
        "dispense",
        "FDG-001",
        "--patient",
        "P1",
        "--prescribed",
        "370 MBq",
        "--measured",
        "370 MBq",
        "--measured-at",
        "2026-11-23T09:00Z",
        "--calibrator",
        "CRC-1",
    )
    assert "--activity" in refused("create", "--lot", "X", "--product", "fdg", "-n", "F-18",
                                   "--activity", "20 GBqq", "--volume-ml", "1",
                                   "--calibration-time", "2026-11-23T07:00Z",
                                   "--expiry-time", "2026-11-23T17:00Z")  # fmt: skip
    assert "no time zone" in refused("dispense", "FDG-001", "--patient", "P1", "--prescribed",
                                     "1 MBq", "--measured", "1 MBq", "--measured-at",
                                     "2026-11-23T09:00", "--calibrator", "C")  # fmt: skip
    assert "exactly one of --patient and --lot" in refused("trace")
    monkeypatch.delenv("THX_USER")
    assert "--user" in refused("reject", "FDG-001", "--reason", "x")
    assert ok_json("reject", "FDG-001", "--reason", "x", "--user", "qp.b")["batch"]["status"] == (
        "rejected")  # fmt: skip
    assert "rejected: it cannot be released" in refused("release", "FDG-001", "--user", "qp.b")


def test_db_url_option_and_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THX_USER", "qp.martin")
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    result = batch("create", "--db", url, "--lot", "GA-1", "--product", "psma-11", "-n",
                   "Ga-68", "--activity", "1.2 GBq", "--volume-ml", "8",
                   "--calibration-time", "2026-11-23T07:00Z", "--expiry-time",
                   "2026-11-23T11:00Z")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "GA-1" in result.stdout and "ga68-psma-11" in result.stdout
    assert "does not exist" in refused("show", "GA-1", "--db", str(tmp_path / "no" / "x.sqlite"))


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["pharmacy", "batch", "--help"])
    assert result.exit_code == 0
    for name in ("create", "qc", "release", "reject", "dispense", "administer", "show", "trace",
                 "history"):  # fmt: skip
        assert name in result.stdout

"""``thx riv`` commands: release, course, rooms, waste."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from theranostix.cli._therapy_ops import riv_app
from theranostix.nuclides import air_kerma_rate_constant

RUN = CliRunner()


def test_release_json_mono() -> None:
    r = RUN.invoke(
        riv_app,
        ["release", "--nuclide", "Lu-177", "--activity-gbq", "7.4",
         "--effective-half-life-h", "40", "--limit-usv-h", "20", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    h0 = air_kerma_rate_constant("Lu-177") * 7400
    assert d["release_time_h"] == pytest.approx(40 / math.log(2) * math.log(h0 / 20))
    assert d["dose_rate_at_release_usv_h"] == pytest.approx(20.0)
    assert d["limit"] == "20 µSv/h at 1 m"
    assert {c["contact"] for c in d["contacts"]} >= {"partner", "child"}
    assert set(d["contacts"][0]) >= {"contact", "dose_msv", "constraint_msv", "restriction_days"}


def test_release_measured_and_retained_limit_table() -> None:
    r = RUN.invoke(
        riv_app,
        ["release", "--activity-gbq", "7.4", "--fractions", "0.6,0.4", "--half-lives-h", "2,40",
         "--limit-retained-mbq", "500"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "release after" in r.stdout
    m = RUN.invoke(
        riv_app,
        ["release", "--activity-gbq", "7.4", "--effective-half-life-h", "24",
         "--measured-usv-h-at-1m", "10", "--measured-at-h", "24", "--limit-usv-h", "5", "--json"],
    )  # fmt: skip
    assert json.loads(m.stdout)["release_time_h"] == pytest.approx(48.0)


def test_release_errors_exit_2() -> None:
    r = RUN.invoke(riv_app, ["release", "--activity-gbq", "7.4"])
    assert r.exit_code == 2 and "effective-half-life" in r.stderr
    r = RUN.invoke(
        riv_app,
        ["release", "--activity-gbq", "7.4", "--fractions", "0.9,0.4", "--half-lives-h", "2,40"],
    )
    assert r.exit_code == 2 and r.stderr.startswith("error:") and "sum to" in r.stderr


def test_course_with_delay() -> None:
    r = RUN.invoke(
        riv_app,
        ["course", "--schedule", "vision", "--start", "2026-01-05T09:00", "--tz", "Europe/Paris",
         "--given", "1,2026-01-05T10:00,7.3", "--delay", "3,7,platelets", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["cycles"][2]["planned"].startswith("2026-04-06")
    # calendar arithmetic: 09:00 stays 09:00 across the change to summer time (29 Mar)
    assert d["cycles"][5]["planned"] == "2026-08-10T10:00:00+02:00"
    assert d["cycles"][5]["shift_days"] == pytest.approx(7 + 1 / 24)  # cycle 1 given 1 h late
    assert d["summary"]["administered_gbq"] == pytest.approx(7.3)
    table = RUN.invoke(
        riv_app, ["course", "--schedule", "netter-1", "--start", "2026-01-05T09:00Z"]
    )
    assert table.exit_code == 0 and "netter-1" in table.stdout


def test_rooms(tmp_path: Path) -> None:
    p = tmp_path / "adm.csv"
    p.write_text(
        "patient_id,admit,stay_h\n"
        "a,2026-01-05T09:00Z,48\nb,2026-01-05T09:00Z,48\nc,2026-01-06T09:00Z,48\n"
    )
    r = RUN.invoke(riv_app, ["rooms", str(p), "--rooms", "2", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["conflicts"] == ["c"]
    assert d["assignments"][2]["next_free_room_at"] == "2026-01-07T09:00:00+00:00"
    two = RUN.invoke(riv_app, ["rooms", str(p), "--rooms", "2"])
    assert "c (first room free 2026-01-07 09:00)" in two.stdout.replace("\n", " ")
    t = RUN.invoke(riv_app, ["rooms", str(p), "--rooms", "3"])
    assert t.exit_code == 0 and "conflicts: none" in t.stdout


def test_capacity() -> None:
    args = ["capacity", "--rooms", "4", "--stay-h", "48", "--turnover-h", "2", "--weeks", "47",
            "--start", "2027-01-04", "--demand", "470", "--tz", "Europe/Paris"]  # fmt: skip
    r = RUN.invoke(riv_app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["admissions"] == 376 and d["shortfall"] == 94
    assert d["admissions_by_weekday"]["thu"] == 188
    table = RUN.invoke(riv_app, [*args[:4], "46", *args[5:]])
    assert table.exit_code == 0 and "564 admissions" in table.stdout
    assert "demand 470: covered" in table.stdout
    for bad, word in (("--days", "'someday'"), ("--at", "'9h'"), ("--start", "'2027-13-01'")):
        e = RUN.invoke(
            riv_app, [*args, bad, {"--days": "someday", "--at": "9h"}.get(bad, "2027-13-01")]
        )
        assert e.exit_code == 2 and word in e.stderr and "Traceback" not in e.output


def test_waste(tmp_path: Path) -> None:
    p = tmp_path / "waste.csv"
    p.write_text(
        "container_id,sealed,mass_g,nuclide,activity_mbq\nbin-1,2026-01-01T00:00Z,1000,Lu-177,1000\n"
    )
    r = RUN.invoke(
        riv_app,
        ["waste", str(p), "--clearance", "Lu-177=100", "--clearance", "Lu-177m=10",
         "--lu177m-ratio", "2e-4", "--rule", "each", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)["containers"][0]
    assert row["storage_days"] == pytest.approx(160.4 * math.log2(20), abs=0.01)
    assert row["limiting_nuclide"] == "Lu-177m"
    bad = RUN.invoke(
        riv_app, ["waste", str(p), "--clearance", "Lu-177m=10", "--lu177m-ratio", "1e-4"]
    )
    assert bad.exit_code == 2 and "no clearance level" in bad.stderr


def test_waste_dose_rate(tmp_path: Path) -> None:
    p = tmp_path / "waste.csv"
    p.write_text(
        "container_id,sealed,mass_g,nuclide,activity_mbq,dose_rate_usv_h\n"
        "drum,2026-01-01T00:00Z,1000000,Lu-177,1000,2\n"
        "bag,2026-01-01T00:00Z,1000,Lu-177,1000,\n"
    )
    r = RUN.invoke(
        riv_app,
        ["waste", str(p), "--clearance", "Lu-177=100", "--dose-rate-limit", "0.1", "--json"],
    )
    assert r.exit_code == 0, r.output
    rows = {c["container_id"]: c for c in json.loads(r.stdout)["containers"]}
    # drum: measured 2 µSv/h → 0.1 after 6.647·log2(20) d, later than its 22.1 d clearance
    assert rows["drum"]["storage_days"] == pytest.approx(6.647 * math.log2(20), abs=1e-3)
    assert rows["drum"]["limiting_criterion"] == "dose rate"
    assert rows["drum"]["dose_rate_at_release_usv_h"] == pytest.approx(0.1, rel=1e-4)
    # bag: 1e6 Bq/g → 100 Bq/g (88.3 d); its computed point-source dose rate falls first
    assert rows["bag"]["storage_days"] == pytest.approx(6.647 * math.log2(1e4), abs=1e-3)
    assert rows["bag"]["limiting_criterion"] == "clearance"
    t = RUN.invoke(riv_app, ["waste", str(p), "--dose-rate-limit", "0.1", "--distance-m", "2"])
    assert t.exit_code == 0 and "(dose rate)" in t.stdout
    none = RUN.invoke(riv_app, ["waste", str(p)])
    assert none.exit_code == 2 and "--dose-rate-limit" in none.stderr
    p.write_text(
        "container_id,sealed,mass_g,nuclide,activity_mbq,dose_rate_usv_h\n"
        "drum,2026-01-01T00:00Z,1000,Lu-177,1000,high\n"
    )
    bad = RUN.invoke(riv_app, ["waste", str(p), "--dose-rate-limit", "0.1"])
    assert bad.exit_code == 2 and "line 2: dose_rate_usv_h" in bad.stderr
    assert "Traceback" not in bad.output

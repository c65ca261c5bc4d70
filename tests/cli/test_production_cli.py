"""``thx cyclotron``, ``thx generator`` and ``thx label`` through typer's CliRunner."""

import json
import math
from datetime import datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from theranostix.cli import app

runner = CliRunner()

F18_MIN, GA68_MIN, GE68_D = 109.77, 67.71, 270.95  # ICRP-107 half-lives
LAM_GE, LAM_GA = math.log(2) / (GE68_D * 86400), math.log(2) / (GA68_MIN * 60)
GEN = [
    "--type", "ge68-ga68",
    "--calibration-activity", "1.85 GBq",
    "--calibrated", "2026-06-01T12:00+02:00",
]  # fmt: skip


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def assert_user_error(args: list[str], *fragments: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# --------------------------------------------------------------------------- cyclotron


def test_cyclotron_eob_json() -> None:
    out = run_json(
        "cyclotron", "eob", "--nuclide", "F-18", "--saturation-yield", "8 GBq",
        "--current", "60", "--duration", "2 h",
    )  # fmt: skip
    assert set(out) >= {
        "nuclide", "saturation_yield_bq_per_ua", "beam_current_ua", "duration_s",
        "saturation_activity_bq", "saturation_fraction", "eob_activity_bq", "beam_start", "eob",
    }  # fmt: skip
    assert out["nuclide"] == "F-18"
    assert out["saturation_activity_bq"] == pytest.approx(480e9)
    assert out["eob_activity_bq"] == pytest.approx(480e9 * (1 - 2 ** (-120 / F18_MIN)), rel=1e-9)


def test_cyclotron_eob_thick_target_yield_and_beam_start() -> None:
    out = run_json(
        "cyclotron", "eob", "--nuclide", "18F", "--thick-target-yield", "3.3 GBq",
        "--current", "1", "--duration", "60 min", "--beam-start", "2026-11-24T04:00",
        "--tz", "Europe/Paris",
    )  # fmt: skip
    assert out["eob_activity_bq"] == pytest.approx(3.3e9, rel=1e-9)
    assert out["eob"] == "2026-11-24T05:00:00+01:00"


def test_cyclotron_eob_needs_one_yield() -> None:
    assert_user_error(
        ["cyclotron", "eob", "--nuclide", "F-18", "--current", "60", "--duration", "2 h"],
        "--saturation-yield",
    )


def test_cyclotron_product_json() -> None:
    out = run_json(
        "cyclotron", "product", "--nuclide", "F-18", "--eob-activity", "250 GBq",
        "--synthesis-yield", "0.6", "--synthesis-time", "45 min", "--qc-time", "20 min",
        "--eob", "2026-11-24T05:00+01:00", "--delivery", "2026-11-24T07:00+01:00",
    )  # fmt: skip
    assert out["release"] == "2026-11-24T06:05:00+01:00"
    assert out["transport_duration_s"] == 55 * 60
    assert out["yield_convention"] == "decay-corrected"
    assert out["end_of_synthesis_activity_bq"] == pytest.approx(
        250e9 * 0.6 * 2 ** (-45 / F18_MIN), rel=1e-9
    )
    assert out["delivery_activity_bq"] == pytest.approx(
        250e9 * 0.6 * 2 ** (-120 / F18_MIN), rel=1e-9
    )


def test_cyclotron_product_from_beam_not_decay_corrected() -> None:
    out = run_json(
        "cyclotron", "product", "--nuclide", "F-18", "--saturation-yield", "8 GBq",
        "--current", "60", "--duration", "2 h", "--synthesis-yield", "0.5",
        "--synthesis-time", "45 min", "--yield-convention", "not-decay-corrected",
        "--transport", "30 min",
    )  # fmt: skip
    eob = 480e9 * (1 - 2 ** (-120 / F18_MIN))
    assert out["eob_activity_bq"] == pytest.approx(eob, rel=1e-9)
    assert out["end_of_synthesis_activity_bq"] == pytest.approx(0.5 * eob, rel=1e-9)
    assert out["delivery_activity_bq"] == pytest.approx(0.5 * eob * 2 ** (-30 / F18_MIN))


def test_cyclotron_plan_json() -> None:
    out = run_json(
        "cyclotron", "plan", "--nuclide", "F-18", "--target", "20 GBq",
        "--delivery", "2026-11-24T07:00", "--tz", "Europe/Paris",
        "--saturation-yield", "8 GBq", "--current", "60", "--synthesis-yield", "0.6",
        "--synthesis-time", "45 min", "--qc-time", "20 min", "--transport", "30 min",
    )  # fmt: skip
    needed = 20e9 / (0.6 * 2 ** (-95 / F18_MIN))
    t_irr = -math.log(1 - needed / 480e9) / (math.log(2) / (F18_MIN * 60))
    assert out["eob_activity_bq"] == pytest.approx(needed, rel=1e-9)
    assert out["irradiation_duration_s"] == pytest.approx(t_irr, rel=1e-9)
    assert out["eob"] == "2026-11-24T05:25:00+01:00"
    beam_start = datetime.fromisoformat(out["beam_start"])
    assert (datetime.fromisoformat(out["eob"]) - beam_start).total_seconds() == pytest.approx(
        t_irr, abs=1e-3
    )
    assert out["delivery"] == "2026-11-24T07:00:00+01:00"
    assert out["product"]["delivery_activity_bq"] == pytest.approx(20e9, rel=1e-9)
    assert out["saturation_fraction"] == pytest.approx(needed / 480e9)


def test_cyclotron_plan_unreachable_exits_2() -> None:
    assert_user_error(
        [
            "cyclotron", "plan", "--nuclide", "F-18", "--target", "500 GBq",
            "--saturation-yield", "8 GBq", "--current", "60", "--synthesis-yield", "0.6",
            "--synthesis-time", "45 min",
        ],
        "needed at EOB", "480 GBq", "current",
    )  # fmt: skip


def test_cyclotron_plan_max_beam_time_exits_2() -> None:
    assert_user_error(
        [
            "cyclotron", "plan", "--nuclide", "F-18", "--target", "100 GBq",
            "--saturation-yield", "8 GBq", "--current", "60", "--max-beam-time", "30 min",
        ],
        "maximum beam time",
    )  # fmt: skip


def test_bad_unit_exits_2() -> None:
    assert_user_error(
        [
            "cyclotron", "eob", "--nuclide", "F-18", "--saturation-yield", "8 GBx",
            "--current", "60", "--duration", "2 h",
        ],
        "--saturation-yield", "GBx", "valid units",
    )  # fmt: skip


def test_negative_current_names_option() -> None:
    assert_user_error(
        [
            "cyclotron", "eob", "--nuclide", "F-18", "--saturation-yield", "8 GBq",
            "--current", "-5", "--duration", "2 h",
        ],
        "--current must be > 0",
    )  # fmt: skip


def test_naive_datetime_exits_2() -> None:
    assert_user_error(
        [
            "cyclotron", "plan", "--nuclide", "F-18", "--target", "20 GBq",
            "--saturation-yield", "8 GBq", "--current", "60", "--delivery", "2026-11-24T07:00",
        ],
        "--delivery", "no time zone",
    )  # fmt: skip


# --------------------------------------------------------------------------- generator


def test_generator_status_json() -> None:
    out = run_json(
        "generator", "status", *GEN, "--elution", "2026-06-15T08:00+02:00=1.1 GBq",
        "--at", "2026-06-15T09:00+02:00", "--efficiency", "0.7",
    )  # fmt: skip
    assert set(out) >= {
        "generator_type", "at", "parent_activity_bq", "available_daughter_bq",
        "expected_eluate_bq", "elution_efficiency", "elution_count", "last_elution",
        "age_s", "expires_at", "expired", "expiry_reasons", "generator", "history",
    }  # fmt: skip
    age_s = 14 * 86400 - 3 * 3600
    parent_e = 1.85e9 * math.exp(-LAM_GE * (age_s - 3600))
    available_e = parent_e * LAM_GA / (LAM_GA - LAM_GE)
    residual = available_e - 1.1e9
    ingrowth = (
        LAM_GA
        / (LAM_GA - LAM_GE)
        * parent_e
        * (math.exp(-LAM_GE * 3600) - math.exp(-LAM_GA * 3600))
    )
    expected = ingrowth + residual * math.exp(-LAM_GA * 3600)
    assert out["available_daughter_bq"] == pytest.approx(expected, rel=1e-9)
    assert out["expected_eluate_bq"] == pytest.approx(0.7 * expected, rel=1e-9)
    assert out["parent_activity_bq"] == pytest.approx(1.85e9 * math.exp(-LAM_GE * age_s))
    assert out["elution_count"] == 1
    assert out["history"][0]["efficiency"] == pytest.approx(1.1e9 / available_e, rel=1e-9)
    assert out["expires_at"] == "2027-06-01T12:00:00+02:00"
    assert out["expired"] is False
    assert out["generator"]["parent"] == "Ge-68"


def test_generator_status_expired_by_count() -> None:
    out = run_json(
        "generator", "status", *GEN, "--max-elutions", "1",
        "--elution", "2026-06-02T08:00+02:00", "--at", "2026-06-03T08:00+02:00",
    )  # fmt: skip
    assert out["expired"] is True
    assert "maximum is 1" in out["expiry_reasons"][0]


def test_generator_next_json() -> None:
    out = run_json(
        "generator", "next", *GEN, "--elution", "2026-06-15T08:00+02:00",
        "--needed", "1 GBq", "--after", "2026-06-15T08:00+02:00",
    )  # fmt: skip
    assert out["expected_eluate_bq"] >= 1e9
    assert out["expected_eluate_bq"] == pytest.approx(1e9, rel=1e-4)
    at = datetime.fromisoformat(out["at"])
    assert at > datetime.fromisoformat("2026-06-15T08:00+02:00")
    assert out["wait_s"] == pytest.approx(
        (at - datetime.fromisoformat(out["start"])).total_seconds(), abs=1e-3
    )
    assert out["time_of_maximum_after_complete_elution_s"] / 3600 == pytest.approx(14.1, abs=0.1)


def test_generator_next_mo_tc_t_max() -> None:
    out = run_json(
        "generator", "next", "--type", "mo99-tc99m", "--calibration-activity", "20 GBq",
        "--calibrated", "2026-06-01T08:00+02:00", "--needed", "1 GBq",
        "--after", "2026-06-01T08:00+02:00",
    )  # fmt: skip
    assert out["time_of_maximum_after_complete_elution_s"] / 3600 == pytest.approx(22.9, abs=0.05)


def test_generator_next_unreachable_exits_2() -> None:
    assert_user_error(
        ["generator", "next", *GEN, "--needed", "5 GBq", "--after", "2026-06-15T08:00+02:00"],
        "at most",
    )


def test_generator_day_json_with_date_and_tz() -> None:
    out = run_json(
        "generator", "day", *GEN, "--date", "2026-06-15", "--tz", "Europe/Paris",
        "--elute", "08:00", "--elute", "11:00", "--elute", "14:00",
    )  # fmt: skip
    elutions = out["elutions"]
    assert [e["at"] for e in elutions] == [
        "2026-06-15T08:00:00+02:00", "2026-06-15T11:00:00+02:00", "2026-06-15T14:00:00+02:00",
    ]  # fmt: skip
    for e in elutions:
        assert set(e) >= {"at", "available_daughter_bq", "eluate_activity_bq", "parent_activity_bq"}
        assert e["eluate_activity_bq"] == pytest.approx(0.6 * e["available_daughter_bq"])
    assert out["total_eluate_bq"] == pytest.approx(sum(e["eluate_activity_bq"] for e in elutions))
    first = elutions[0]
    assert first["available_daughter_bq"] == pytest.approx(
        first["parent_activity_bq"] * LAM_GA / (LAM_GA - LAM_GE), rel=1e-9
    )


def test_generator_day_time_of_day_needs_date_and_tz() -> None:
    assert_user_error(["generator", "day", *GEN, "--elute", "08:00"], "--date", "--tz")


def test_generator_bad_efficiency_names_option() -> None:
    assert_user_error(
        ["generator", "status", *GEN, "--efficiency", "1.5", "--at", "2026-06-02T08:00Z"],
        "--efficiency must be a fraction",
    )


# --------------------------------------------------------------------------- label


def test_label_json() -> None:
    out = run_json("label", "--eluate", "800 MBq", "--yield", "0.9", "--duration", "20 min")
    assert set(out) >= {
        "nuclide", "eluate_activity_bq", "labelling_yield", "yield_convention", "duration_s",
        "product_activity_bq", "later_activity_bq",
    }  # fmt: skip
    assert out["nuclide"] == "Ga-68"
    assert out["product_activity_bq"] == pytest.approx(800e6 * 0.9 * 2 ** (-20 / GA68_MIN))
    assert out["later_activity_bq"] is None


def test_label_later_time() -> None:
    out = run_json(
        "label", "--eluate", "800 MBq", "--yield", "0.9", "--duration", "20 min",
        "--start", "2026-06-15T08:00+02:00", "--at", "2026-06-15T09:00+02:00",
    )  # fmt: skip
    assert out["end"] == "2026-06-15T08:20:00+02:00"
    assert out["later_activity_bq"] == pytest.approx(800e6 * 0.9 * 2 ** (-60 / GA68_MIN))


def test_label_bad_yield_exits_2() -> None:
    assert_user_error(
        ["label", "--eluate", "800 MBq", "--yield", "90", "--duration", "20 min"],
        "--yield must be a fraction",
    )


def test_label_help_shows_options() -> None:
    result = runner.invoke(app, ["label", "--help"])
    assert result.exit_code == 0
    assert "--eluate" in result.output
    assert "COMMAND" not in result.output


def test_help_lists_production_commands() -> None:
    for group, commands in {
        "cyclotron": ("eob", "product", "plan"),
        "generator": ("status", "next", "day"),
    }.items():
        result = runner.invoke(app, [group, "--help"])
        assert result.exit_code == 0
        for command in commands:
            assert command in result.output


def test_default_at_is_now() -> None:
    out = run_json("generator", "status", *GEN)
    at = datetime.fromisoformat(out["at"])
    assert abs((at - datetime.now(at.tzinfo)).total_seconds()) < timedelta(minutes=5).seconds


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "cyclotron",
                "eob",
                "--nuclide",
                "F-18",
                "--saturation-yield",
                "8 GBq",
                "--current",
                "60",
                "--duration",
                "2 h",
            ],
            "255 GBq",
        ),
        (
            [
                "cyclotron",
                "product",
                "--nuclide",
                "F-18",
                "--eob-activity",
                "100 GBq",
                "--synthesis-yield",
                "0.6",
                "--synthesis-time",
                "109.77 min",
            ],
            "30 GBq",
        ),
        (
            [
                "cyclotron",
                "plan",
                "--nuclide",
                "F-18",
                "--target",
                "20 GBq",
                "--saturation-yield",
                "8 GBq",
                "--current",
                "60",
            ],
            "beam time",
        ),
        (["generator", "status", *GEN, "--at", "2026-06-15T08:00+02:00"], "1.786 GBq"),
        (
            ["generator", "next", *GEN, "--needed", "500 MBq", "--after", "2026-06-15T08:00+02:00"],
            "2026-06-15T08:00+02:00",
        ),
        (["generator", "day", *GEN, "--elute", "2026-06-15T08:00+02:00"], "1.072 GBq"),
        (["label", "--eluate", "800 MBq", "--yield", "0.9", "--duration", "20 min"], "586.7 MBq"),
    ],
)
def test_tables(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert expected in result.stdout

"""``thx pharmacy therapy order`` via a test-local typer app."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from theranostix.cli._pharmacy_therapy import therapy_app

app = typer.Typer()
app.add_typer(therapy_app, name="therapy")
BASE = [
    "therapy", "order", "--prescribed-gbq", "7.4", "--administration", "2026-03-04T11:00",
    "--calibration", "2026-03-02T12:00", "--calibration", "2026-03-03T12:00",
    "--shelf-life-h", "120", "--vial-gbq", "7.4", "--vial-gbq", "10", "--vial-gbq", "12",
    "--tz", "CET",
]  # fmt: skip


def test_order_json() -> None:
    result = CliRunner().invoke(app, [*BASE, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["chosen"]["vial_gbq"] == 10.0
    assert data["chosen"]["calibration"].startswith("2026-03-03T12:00")
    assert data["chosen"]["required_at_calibration_gbq"] == pytest.approx(
        7.4 * 2 ** (23 / (6.647 * 24)), rel=1e-4
    )
    assert len(data["options"]) == 2


def test_order_table_and_error() -> None:
    result = CliRunner().invoke(app, BASE)
    assert result.exit_code == 0, result.output
    assert "order: 10 GBq" in result.stdout
    bad = CliRunner().invoke(app, [*BASE[:-2], "--prescribed-gbq", "30"])
    assert bad.exit_code == 2
    assert "no time zone" in bad.stderr or "too small" in bad.stderr

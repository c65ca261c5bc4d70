"""``thx supply plan`` and ``thx supply replan`` through typer's CliRunner."""

import json
from pathlib import Path

from typer.testing import CliRunner

from theranostix.cli import app

runner = CliRunner()


def test_plan_default_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["supply", "plan", "--json", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "optimal"
    assert {"objective", "runs", "deliveries", "shortfall"} <= set(payload)
    assert payload["shortfall"] == []
    assert {"site", "target", "nuclide", "start", "end_of_bombardment", "duration_s",
            "current_ua", "eob_activity_bq"} <= set(payload["runs"][0])  # fmt: skip
    for name in ("timeline.png", "map.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "runs.csv").read_text().startswith("id,site,target")


def test_replan_table() -> None:
    result = runner.invoke(app, ["supply", "replan", "--fail-site", "Tours", "--at", "05:00"])
    assert result.exit_code == 0, result.output
    assert "event: cyclotron Tours down" in result.stdout


def test_user_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("day: 2026-11-23\nsites: []\n", encoding="utf-8")
    for args, fragment in (
        (["supply", "plan", str(bad)], "s.yaml: sites: must be a non-empty list"),
        (["supply", "plan", str(tmp_path / "none.yaml")], "cannot read the scenario"),
        (["supply", "replan", "--at", "05:00"], "give one event"),
        (["supply", "replan", "--fail-site", "Nowhere", "--at", "05:00"], "no site named"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.stdout == "" and "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], result.stderr

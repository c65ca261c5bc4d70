import json

from typer.testing import CliRunner

from theranostix.cli import app
from theranostix.demo import load_demo_day

runner = CliRunner()


def test_demo_json() -> None:
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pairs = [(r["pair"], r["nuclide"]) for r in data["theranostic_pairs"]]
    assert [p for p, _ in pairs[::2]] == [
        "Ga-68/Lu-177",
        "Cu-64/Cu-67",
        "Sc-44/Sc-47",
        "I-124/I-131",
    ]
    lu = next(r for r in data["theranostic_pairs"] if r["nuclide"] == "Lu-177")
    assert lu["half_life_s"] == 574300.8
    assert round(lu["electron_mev"] * 1e3, 1) == 147.9
    day = data["ga68_day"]
    demo = load_demo_day()
    assert day["served"] + len(day["unserved"]) == len(demo.requests) == 8
    assert day["unserved"] == []
    # Doses follow the protocol: 2 MBq/kg within 100-200 MBq.
    for batch in day["batches"]:
        for dose in batch["doses"]:
            expected = min(max(2e6 * dose["weight_kg"], 100e6), 200e6)
            assert abs(dose["activity_bq"] - expected) < 1.0
            assert dose["remaining_after_bq"] >= 0


def test_demo_table() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Theranostic pairs" in result.stdout
    assert "Elution plan" in result.stdout
    assert "every patient of the day is served" in result.stdout

import csv
import json

import pytest
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
    # The FDG PET day: every dose at the protocol's 2.33 MBq/kg (EANM 3D, 7 MBq·min/kg over
    # 3 min per bed), decayed back to the order; the national plan serves the order in full.
    ops = data["operations"]
    pet = ops["pet_day"]
    assert pet["feasible"] and len(pet["doses"]) == 12
    half_life_s = 6586.2  # F-18, ICRP-107
    calibration = pet["calibration_time"]
    from datetime import datetime

    t_cal = datetime.fromisoformat(calibration)
    back = 0.0
    for dose in pet["doses"]:
        assert dose["activity_bq"] == pytest.approx(2.33e6 * dose["weight_kg"], rel=1e-9)
        t = datetime.fromisoformat(dose["injection_time"])
        back += dose["activity_bq"] * 2 ** ((t - t_cal).total_seconds() / half_life_s)
    # order = (1 + margin) * V / (V - V_dead) * sum of the doses decayed back to calibration
    assert pet["order_activity_at_calibration_bq"] == pytest.approx(1.1 * 10 / 9.7 * back, rel=1e-3)
    supply = ops["supply"]
    assert supply["status"] == "optimal" and supply["shortfall_orders"] == []
    mine = supply["demo_order"]
    assert mine["served_bq"] == pytest.approx(pet["order_activity_at_calibration_bq"], rel=1e-6)
    assert supply["outputs"] == {}
    # The synthetic patient: DICOM written, read back, SUV from its tags, regions from its RTSTRUCT.
    patient = data["synthetic_patient"]
    assert patient["folder"] is None  # written to a temporary folder, removed afterwards
    assert patient["suv"]["normalization"] == "bw"
    assert patient["suv"]["factor"] == pytest.approx(
        75_000 / (150e6 * 2 ** (-3600 / 4062.6)), rel=2e-3
    )  # 75 kg, 150 MBq Ga-68 one hour before the scan
    regions = {r["name"]: r for r in patient["regions"]}
    assert sum(r["kind"].startswith("lesion") for r in regions.values()) == 3
    # Large uniform organs: the mean SUV read back is the phantom's within noise and blur.
    for organ in ("liver", "spleen"):
        assert regions[organ]["suv_mean"] == pytest.approx(regions[organ]["true_suv"], rel=0.1)
    for region in regions.values():
        assert region["suv_max"] >= region["suv_peak"] >= region["suv_mean"] * 0.9


def test_demo_table() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Theranostic pairs" in result.stdout
    assert "Elution plan" in result.stdout
    assert "every patient of the day is served" in result.stdout
    assert "FDG PET day" in result.stdout and "National supply" in result.stdout
    assert "Synthetic Ga-68-PSMA-11 patient" in result.stdout
    assert "lesion_1" in result.stdout and "parotid_glands" in result.stdout


def test_demo_keeps_the_dicom_files_with_out(tmp_path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "patient"
    assert json.loads(result.stdout)["synthetic_patient"]["folder"] == str(folder)
    assert (folder / "organs.dcm").is_file() and (folder / "ground_truth.json").is_file()
    assert len(list((folder / "pet").glob("*.dcm"))) == 210
    # the IBSI features of the three placed lesions, one row each
    with (folder / "analysis" / "radiomics.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["lesion"] for row in rows] == ["lesion_1", "lesion_2", "lesion_3"]
    assert all(float(row["morph_volume"]) > 0 and float(row["stat_max"]) > 1 for row in rows)
    # the dosimetry of the Lu-177 cycle and the next cycle's plan
    dosimetry = json.loads(result.stdout)["synthetic_patient"]["dosimetry"]
    assert dosimetry["organ_gy_per_gbq"]["kidneys"] > 0.1
    assert 0 < dosimetry["next_cycle"]["activity_gbq"] <= 7.4
    assert (folder / "dosimetry" / "dose_rtdose.dcm").is_file()
    assert (folder / "dosimetry" / "dvh.png").is_file()
    # the national supply plan's tables, timeline and map
    for name in ("runs.csv", "deliveries.csv", "timeline.png", "map.png"):
        assert (tmp_path / "supply" / name).is_file()

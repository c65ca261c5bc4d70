"""``thx phantom make`` through typer's CliRunner."""

import json
from pathlib import Path

import pydicom
from typer.testing import CliRunner

from theranostix.cli import app
from theranostix.phantoms import lutetium_table, make_patient

runner = CliRunner()


def test_phantom_make_json_writes_the_layout(tmp_path: Path) -> None:
    out = tmp_path / "p"
    result = runner.invoke(
        app,
        ["phantom", "make", "--out", str(out), "--tracer", "psma", "--lesions", "2", "--seed", "4",
         "--lutetium-timepoints", "24,96", "--voxel", "8", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    truth = json.loads((out / "ground_truth.json").read_text())
    assert payload["lesions"] == truth["lesions"]
    assert [lesion["name"] for lesion in truth["lesions"]] == ["lesion_1", "lesion_2"]
    for lesion in truth["lesions"]:
        assert {"name", "center_mm", "diameter_mm", "volume_ml", "suv_max", "suv_mean"} <= set(
            lesion
        )
    for folder in ("ct", "pet", "spect/24h/nm", "spect/24h/ct", "spect/96h/nm", "spect/96h/ct"):
        assert any((out / folder).glob("*.dcm")), folder
    assert pydicom.dcmread(out / "organs.dcm").Modality == "RTSTRUCT"
    assert pydicom.dcmread(out / "organs_seg.dcm").Modality == "SEG"
    # the same patient from the library: same lesions, and TIA from its model
    patient = make_patient("psma", lesions=2, seed=4, voxel_mm=8.0)
    for lesion, entry in zip(patient.lesions, truth["lesions"], strict=True):
        assert entry["suv_max"] == lesion.suv
        assert entry["diameter_mm"] == lesion.diameter_mm
    organs = {o["name"]: o for o in payload["organs"]}
    kidneys = lutetium_table("psma").regions["kidneys"]
    assert organs["kidneys"]["tia_mbq_h"] == patient.tia_mbq_h("kidneys")
    assert organs["kidneys"]["tia_mbq_h"] == 7400 * kidneys.integral_h()
    assert organs["kidneys"]["mass_g"] == patient.region_mass_g("kidneys")


def test_phantom_make_table_without_spect(tmp_path: Path) -> None:
    out = tmp_path / "fdg"
    result = runner.invoke(
        app, ["phantom", "make", "--out", str(out), "--tracer", "fdg", "--lesions", "1",
              "--voxel", "8"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "lesion_1" in result.stdout
    truth = json.loads((out / "ground_truth.json").read_text())
    assert "organs" not in truth and not (out / "spect").exists()


def test_phantom_make_user_errors(tmp_path: Path) -> None:
    for args, fragment in (
        (["--tracer", "fap"], "tracer: 'fap' is not one of fdg, psma, sstr"),
        (["--tracer", "fdg", "--lutetium-timepoints", "24"], "no Lu-177 therapy"),
        (["--lutetium-timepoints", "4,x"], "'x' is not a number of hours"),
    ):
        result = runner.invoke(
            app, ["phantom", "make", "--out", str(tmp_path / "e"), "--voxel", "8", *args]
        )
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ")
        assert fragment in lines[0]

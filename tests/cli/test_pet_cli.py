"""``thx pet suv`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from dicom_factory import write_pet_series
from theranostix.cli import app

runner = CliRunner()
DOSE_AT_SCAN_BQ = 368.08e6 * 2.0 ** (-3600 / 6586.2)


def _series(tmp_path: Path, **options: Any) -> Path:
    values = np.full((4, 8, 8), 1.0 * DOSE_AT_SCAN_BQ / 70_000)  # SUVbw 1 everywhere
    values[2, 3:5, 3:5] = 6.0 * DOSE_AT_SCAN_BQ / 70_000  # a 2x2 voxel hot spot of SUV 6
    return write_pet_series(tmp_path / "pet", values, **options)


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_json_factor_and_timing(tmp_path: Path) -> None:
    out = run_json("pet", "suv", str(_series(tmp_path)))
    assert out["normalization"] == "bw"
    assert out["factor"] == pytest.approx(70_000 / DOSE_AT_SCAN_BQ, rel=1e-9)
    assert out["stored_units"] == "BQML"
    assert out["decay_correction"] == "START"
    assert out["image_suv_max"] == pytest.approx(6.0, rel=1e-4)
    assert out["injection_time"] == "2025-01-01T10:00:00+00:00"
    assert out["reference_time"] == "2025-01-01T11:00:00+00:00"
    assert "roi" not in out


def test_lean_body_mass_and_table_output(tmp_path: Path) -> None:
    folder = _series(tmp_path)
    out = run_json("pet", "suv", str(folder), "--norm", "lbm-janmahasatian")
    lbm = 9270 * 70 / (6680 + 216 * 70 / 1.75**2)  # male
    assert out["normalizing_mass_kg"] == pytest.approx(lbm)
    assert out["image_suv_max"] == pytest.approx(6.0 * lbm / 70, rel=1e-4)
    table = runner.invoke(app, ["pet", "suv", str(folder)])
    assert table.exit_code == 0
    assert "factor (SUV per BQML)" in table.stdout and "6.000" in table.stdout


def test_roi_from_a_nifti_mask_and_nifti_output(tmp_path: Path) -> None:
    import SimpleITK as sitk

    from theranostix.imaging import Mask, read_dicom_series, write_nifti

    folder = _series(tmp_path)
    pet = read_dicom_series(folder)
    inside = np.zeros(pet.shape, bool)
    inside[1:4, 2:6, 2:6] = True
    write_nifti(Mask(inside, pet.geometry, "lesion"), tmp_path / "lesion.nii.gz")
    out = run_json(
        "pet",
        "suv",
        str(folder),
        "--roi",
        str(tmp_path / "lesion.nii.gz"),
        "-o",
        str(tmp_path / "suv.nii.gz"),
    )
    roi = out["roi"]
    assert roi["voxels"] == 48
    assert roi["volume_ml"] == pytest.approx(48 * 0.064)
    assert roi["suv_max"] == pytest.approx(6.0, rel=1e-4)
    assert roi["suv_mean"] == pytest.approx((44 * 1.0 + 4 * 6.0) / 48, rel=1e-4)
    assert 1.0 < roi["suv_peak"] < 6.0
    written = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "suv.nii.gz")))
    assert written.shape == (4, 8, 8)
    assert written.max() == pytest.approx(6.0, rel=1e-4)


def test_missing_weight_is_one_line_naming_the_tag_and_allow_fixes_it(tmp_path: Path) -> None:
    folder = _series(tmp_path, tags={"PatientWeight": None})
    result = runner.invoke(app, ["pet", "suv", str(folder)])
    assert result.exit_code == 2
    assert result.stdout == "" and "Traceback" not in result.output
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error: PatientWeight (0010,1030)")
    assert "--allow weight=VALUE" in line
    out = run_json("pet", "suv", str(folder), "--allow", "weight=70kg")
    assert out["image_suv_max"] == pytest.approx(6.0, rel=1e-4)
    assert any("replaced by --allow" in note for note in out["notes"])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--norm", "suv"], "Invalid value for --norm"),
        (["--allow", "mass=3"], "unknown --allow key 'mass'"),
        (["--roi", "nowhere.nii.gz"], "nowhere.nii.gz"),
    ],
)
def test_user_errors(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = runner.invoke(app, ["pet", "suv", str(_series(tmp_path)), *args])
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr or fragment in result.output


def test_not_a_series(tmp_path: Path) -> None:
    result = runner.invoke(app, ["pet", "suv", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


@pytest.mark.validation
def test_dro_with_its_rtstruct(shared_dir: Path) -> None:
    dro = shared_dir / "validation" / "suv" / "DRO_3_4"
    rtstruct = next((dro / "RS").glob("*.dcm"))
    out = run_json("pet", "suv", str(dro / "PT"), "--roi", f"{rtstruct}:region_1")
    assert out["roi"]["name"] == "region_1"
    assert round(out["roi"]["suv_max"], 2) == 4.0
    assert isinstance(out["factor"], list)  # not decay-corrected: one factor per slice

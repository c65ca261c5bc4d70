"""``thx radiomics IMAGE MASK``: JSON keyed by IBSI tags, CSV output, settings, errors."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from theranostix.cli import app
from theranostix.imaging import Geometry, Mask, Volume, write_nifti
from theranostix.phantoms import LesionSpec, make_patient, write_patient

runner = CliRunner()


@pytest.fixture(scope="module")
def pet_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    patient = make_patient("fdg", lesions=[LesionSpec("liver", 30.0, 12.0)], seed=5)
    return write_patient(patient, tmp_path_factory.mktemp("fdg"), lutetium_timepoints_h=())


@pytest.fixture(scope="module")
def nifti_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("nifti")
    g = Geometry((16, 18, 20), spacing_mm=(3.0, 3.0, 3.0))
    k, j, i = np.indices(g.shape)
    r2 = ((k - 8) ** 2 + (j - 9) ** 2 + (i - 10) ** 2) * 9.0
    rng = np.random.default_rng(1)
    suv = 1.0 + 6.0 * np.exp(-r2 / 200.0) + rng.normal(0, 0.2, g.shape)
    write_nifti(Volume(np.clip(suv, 0, None), g), folder / "suv.nii.gz")
    write_nifti(Mask(r2 <= 15.0**2, g), folder / "roi.nii.gz")
    return folder / "suv.nii.gz", folder / "roi.nii.gz"


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["radiomics", *args, "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_dicom_pet_and_seg_lesion(pet_folder: Path, tmp_path: Path) -> None:
    from theranostix.imaging import load_mask, read_dicom_series, to_suv

    seg = pet_folder / "organs_seg.dcm"
    out = tmp_path / "features.csv"
    f = run_json(str(pet_folder / "pet"), f"{seg}:lesion_1", "-o", str(out))
    suv = to_suv(read_dicom_series(pet_folder / "pet"), "bw")
    lesion = load_mask(f"{seg}:lesion_1", suv.geometry)
    values = suv.array[lesion.array]
    # the image was converted to SUV (bw) before the features
    assert f["stat_max"] == pytest.approx(float(values.max()), rel=1e-6)
    assert f["stat_mean"] == pytest.approx(float(values.mean()), rel=1e-6)
    assert f["morph_vol_approx"] == pytest.approx(
        lesion.array.sum() * np.prod(suv.geometry.spacing_mm)
    )
    assert f["morph_volume"] == pytest.approx(f["morph_vol_approx"], rel=0.15)
    assert {"cm_joint_max_3D_avg", "szm_sze_3D", "ngl_lde_3D", "ivh_v10", "loc_peak_loc"} <= set(f)
    assert not any(tag.endswith(("_2D", "_2D_avg", "_2_5D")) for tag in f)
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["tag", "value"]
    from_csv = {tag: (math.nan if v == "" else float(v)) for tag, v in rows[1:]}
    assert from_csv.keys() == f.keys()
    assert all((math.isnan(from_csv[t]) and f[t] is None) or from_csv[t] == f[t] for t in f)


def test_settings_file_and_families(nifti_pair: tuple[Path, Path], tmp_path: Path) -> None:
    image, roi = nifti_pair
    settings = tmp_path / "site.toml"
    settings.write_text(
        'schema = 1\nname = "site"\ndimensionality = "2D"\n'
        "[resegmentation]\nrange = [0.0, inf]\n"
        '[discretisation]\nmethod = "fixed_bin_number"\nn_bins = 16\n'
        '[texture]\naggregations = ["2.5D"]\n',
        encoding="utf-8",
    )
    f = run_json(str(image), str(roi), "--config", str(settings), "--family", "glcm",
                 "--family", "intensity_histogram")  # fmt: skip
    assert set(f) == {t for t in f if t.startswith(("cm_", "ih_"))}
    assert all(t.startswith("ih_") or "_2_5D_" in t for t in f)
    assert f["ih_max"] == 16.0  # fixed bin number: the maximum falls in the last bin
    table = runner.invoke(app, ["radiomics", str(image), str(roi), "--family", "statistics"])
    assert table.exit_code == 0 and "stat_mean" in table.stdout and "pet settings" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "ibsi-Z"], "neither a preset"),
        (["--norm", "sul"], "--norm"),
        (["--family", "shape"], "family: 'shape'"),
    ],
)
def test_errors_exit_2_without_traceback(
    nifti_pair: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    image, roi = nifti_pair
    out = tmp_path / "features.csv"
    out.write_text("kept\n", encoding="utf-8")
    result = runner.invoke(app, ["radiomics", str(image), str(roi), *args, "-o", str(out)])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert out.read_text(encoding="utf-8") == "kept\n"  # nothing half-written


def test_missing_mask_names_the_file(nifti_pair: tuple[Path, Path], tmp_path: Path) -> None:
    image, _ = nifti_pair
    result = runner.invoke(app, ["radiomics", str(image), str(tmp_path / "none.nii.gz")])
    assert result.exit_code == 2 and "none.nii.gz" in result.stderr


def test_nrrd_gives_the_features_of_nifti(nifti_pair: tuple[Path, Path], tmp_path: Path) -> None:
    import SimpleITK as sitk

    image, roi = nifti_pair
    nrrd_image, nrrd_roi = tmp_path / "suv.nrrd", tmp_path / "roi.nrrd"
    sitk.WriteImage(sitk.ReadImage(str(image)), str(nrrd_image))
    sitk.WriteImage(sitk.ReadImage(str(roi)), str(nrrd_roi))
    from_nifti = run_json(str(image), str(roi), "--family", "statistics", "--family", "glcm")
    from_nrrd = run_json(
        str(nrrd_image), str(nrrd_roi), "--family", "statistics", "--family", "glcm"
    )
    assert from_nrrd == from_nifti

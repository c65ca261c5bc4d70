"""``thx pet analyze``, ``thx pet eligibility`` and ``thx pet response`` on synthetic patients."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from theranostix.cli import app
from theranostix.phantoms import LesionSpec, ScanSettings, make_patient, write_patient

runner = CliRunner()
SPECS = [
    LesionSpec("liver", 34.0, 24.0),
    LesionSpec("bone", 24.0, 16.0),
    LesionSpec("lymph_node", 22.0, 14.6),
]


@pytest.fixture(scope="module")
def psma_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    patient = make_patient("psma", lesions=SPECS, seed=21)
    folder = write_patient(patient, tmp_path_factory.mktemp("psma"), lutetium_timepoints_h=())
    return folder, patient


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_analyze_writes_every_output(psma_folder, tmp_path: Path) -> None:
    from theranostix.imaging import read_dicom_series, read_itk_image, read_seg

    folder, _ = psma_folder
    out = tmp_path / "analysis"
    report = run_json(
        "pet", "analyze", str(folder / "pet"), "--organs", str(folder / "organs_seg.dcm"),
        "--tracer", "psma", "--method", "41pct", "--background-corrected", "-o", str(out),
    )  # fmt: skip
    p = report["patient"]
    assert p["lesion_count"] == len(SPECS)
    assert p["tmtv_ml"] == pytest.approx(sum(les["mtv_ml"] for les in report["lesions"]))
    assert p["tlg_total"] == pytest.approx(sum(les["tlg"] for les in report["lesions"]))
    assert p["psma_tv_ml"] == pytest.approx(p["tmtv_ml"])
    assert p["dmax_mm"] > 100.0
    assert p["suv_max"] == max(les["suv_max"] for les in report["lesions"])
    assert p["reference"]["liver"]["mean"] == pytest.approx(5.0, rel=0.05)
    assert set(report["lesions"][0]) >= {"suv_max", "suv_peak", "suv_mean", "mtv_ml", "tlg",
                                         "centroid_mm", "location"}  # fmt: skip
    assert report["lesions"][0]["location"] == "liver"  # the hottest: the liver metastasis
    assert "lesion_1" not in report["organs"]  # lesion ROIs of the SEG are not organs
    assert report["excluded_organs"] == ["kidneys", "bladder", "parotid_glands",
                                         "submandibular_glands", "lacrimal_glands"]  # fmt: skip
    elig = report["eligibility"]
    assert elig["protocol"]["id"] == "vision-psma"
    assert elig["verdict"] == "indeterminate"  # no CT comparison set given
    # outputs
    rows = list(csv.DictReader((out / "lesions.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == len(SPECS)
    assert float(rows[0]["suv_max"]) == pytest.approx(report["lesions"][0]["suv_max"], rel=1e-5)
    saved = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert saved["patient"]["lesion_count"] == len(SPECS)
    labels = read_itk_image(out / "lesions.nii.gz")
    pet = read_dicom_series(folder / "pet")
    assert labels.geometry.same_grid(pet.geometry)
    assert sorted(np.unique(labels.array).astype(int).tolist()) == [0, 1, 2, 3]
    segments = read_seg(out / "lesions_seg.dcm", pet.geometry)
    assert [m.voxel_count for m in segments] == [les["voxels"] for les in report["lesions"]]
    png = (out / "mip.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_analyze_table_and_eligibility_with_comparison(psma_folder, tmp_path: Path) -> None:
    folder, _ = psma_folder
    comparison = tmp_path / "ct_lesions.csv"
    comparison.write_text(
        "name,category,short_axis_mm,suv_max\nnode,lymph_node,26,3.0\n", encoding="utf-8"
    )
    base = ["pet", "eligibility", str(folder / "pet"), "--organs", str(folder / "organs_seg.dcm")]
    negative = run_json(*base, "--comparison", str(comparison))
    assert negative["eligibility"]["verdict"] == "not_eligible"  # a 26 mm PSMA-negative node
    comparison.write_text(
        "name,category,short_axis_mm,suv_max\nnode,lymph_node,24,3.0\n", encoding="utf-8"
    )
    assert run_json(*base, "--comparison", str(comparison))["eligibility"]["verdict"] == "eligible"
    table = runner.invoke(app, [*base, "--comparison", str(comparison)])
    assert table.exit_code == 0 and "verdict: ELIGIBLE" in table.stdout


def test_percist_with_the_liver_from_ct(psma_folder) -> None:
    folder, _ = psma_folder
    report = run_json(
        "pet", "analyze", str(folder / "pet"), "--ct", str(folder / "ct"), "--method", "percist",
    )  # fmt: skip
    liver = report["patient"]["reference"]["liver"]
    assert "CT" in liver["method"]
    assert report["detection_threshold"] == pytest.approx(1.5 * liver["mean"] + 2 * liver["sd"])
    table = runner.invoke(app, ["pet", "analyze", str(folder / "pet"), "--ct", str(folder / "ct")])
    assert table.exit_code == 0 and "reference liver" in table.stdout


def test_errors_are_one_line_and_keep_previous_outputs(psma_folder, tmp_path: Path) -> None:
    folder, _ = psma_folder
    out = tmp_path / "kept"
    out.mkdir()
    (out / "summary.json").write_text('{"previous": true}', encoding="utf-8")
    cases = [
        (["pet", "analyze", str(folder / "pet"), "-o", str(out)], "liver"),  # PERCIST, no liver
        (
            ["pet", "analyze", str(folder / "pet"), "--method", "user", "-o", str(out)],
            "lesion mask",
        ),
        (["pet", "analyze", str(folder / "pet"), "--method", "otsu"], "--method"),
        (["pet", "analyze", str(tmp_path / "missing")], "missing"),
        (
            [
                "pet",
                "eligibility",
                str(folder / "pet"),
                "--tracer",
                "fdg",
                "--organs",
                str(folder / "organs_seg.dcm"),
            ],
            "no eligibility protocol",
        ),
    ]
    for args, expected in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output
        assert "Traceback" not in result.output
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == {"previous": True}
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]  # no half-written file


def test_response_percist_partial_metabolic_response(tmp_path: Path) -> None:
    settings = ScanSettings(psf_fwhm_mm=6.0, noise=False)
    lesions = [LesionSpec("liver", 40.0, 20.0, (-60.0, 10.0, -90.0)),
               LesionSpec("lymph_node", 30.0, 12.0, (40.0, 35.0, -190.0))]  # fmt: skip
    after = [LesionSpec(s.site, s.diameter_mm, s.suv / 2.5, s.center_mm) for s in lesions]
    folders = []
    for name, specs in (("baseline", lesions), ("followup", after)):
        patient = make_patient("fdg", lesions=specs, seed=3, voxel_mm=8.0, pet=settings)
        folders.append(write_patient(patient, tmp_path / name, lutetium_timepoints_h=()))
    args = ["pet", "response", str(folders[0] / "pet"), str(folders[1] / "pet"),
            "--organs-baseline", str(folders[0] / "organs_seg.dcm"),
            "--organs-followup", str(folders[1] / "organs_seg.dcm")]  # fmt: skip
    report = run_json(*args)["response"]
    assert report["criteria"] == "percist-1.0"
    assert report["category"] == "PMR"
    assert report["change_pct"] == pytest.approx(-60.0, abs=3.0)  # SULpeak of the hottest / 2.5
    eortc = run_json(*args, "--criteria", "eortc-1999")["response"]
    assert eortc["category"] == "PMR"
    same = run_json("pet", "response", str(folders[0] / "pet"), str(folders[0] / "pet"),
                    "--organs-baseline", str(folders[0] / "organs_seg.dcm"),
                    "--organs-followup", str(folders[0] / "organs_seg.dcm"))  # fmt: skip
    assert same["response"]["category"] == "SMD"
    assert same["response"]["change_pct"] == pytest.approx(0.0)


def test_user_reference_region_wins(psma_folder) -> None:
    folder, patient = psma_folder
    report = run_json(
        "pet", "analyze", str(folder / "pet"), "--method", "percist",
        "--reference", f"liver={folder / 'organs.dcm'}:liver",
    )  # fmt: skip
    liver = report["patient"]["reference"]["liver"]
    assert liver["method"].startswith("user region")
    assert liver["volume_ml"] == pytest.approx(patient.region_mask("liver").volume_ml, rel=0.02)
    bad = runner.invoke(app, ["pet", "analyze", str(folder / "pet"), "--reference", "liver"])
    assert bad.exit_code == 2 and "NAME=FILE" in bad.output

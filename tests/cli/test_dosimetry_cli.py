"""``thx dosimetry organ|sphere|bed|fit``: JSON values against hand computations, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from theranostix.cli import app

runner = CliRunner()


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["dosimetry", *args, "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_organ_dose_from_the_s_value_table() -> None:
    report = run_json("organ", "--nuclide", "Lu-177", "--organ", "kidneys", "--tia-mbq-h", "1000")
    # kidneys <- kidneys, adult male: 7.76E-05 mGy/(MBq·s) (../shared/data/README.md)
    assert report["dose_gy"] == pytest.approx(1000 * 3600 * 7.76e-5 * 1e-3, rel=1e-6)
    scaled = run_json("organ", "--nuclide", "Lu-177", "--organ", "kidneys", "--tia-mbq-h", "1000",
                      "--mass-g", str(2 * report["phantom_mass_g"]))  # fmt: skip
    assert scaled["dose_gy"] == pytest.approx(report["dose_gy"] / 2, rel=1e-9)


def test_sphere_matches_the_library_and_olinda2() -> None:
    from theranostix.dosimetry import sphere_model

    report = run_json("sphere", "--nuclide", "Tb-152", "--mass-g", "4", "--tia-mbq-h", "100")
    # OLINDA 2: 33.0 mGy/(MBq·h) for 4 g (Cicone et al. 2019, Table 3)
    assert report["s_value_mgy_per_mbq_h"] == pytest.approx(33.0, rel=0.03)
    assert report["dose_gy"] == pytest.approx(100 * report["s_value_mgy_per_mbq_h"] / 1000)
    model = sphere_model("Tb-152", 4.0)
    assert report["electron_absorbed_fraction"] == model.electron_absorbed_fraction < 1
    no_tia = run_json("sphere", "--nuclide", "Lu-177", "--mass-g", "10")
    assert no_tia["dose_gy"] is None and no_tia["radius_cm"] == pytest.approx(1.3365, abs=1e-4)
    text = runner.invoke(app, ["dosimetry", "sphere", "--nuclide", "Lu-177", "--mass-g", "10"])
    assert text.exit_code == 0 and "electrons absorbed" in text.stdout


def test_bed_by_hand() -> None:
    report = run_json("bed", "--dose-gy", "20", "--effective-half-life-h", "50",
                      "--alpha-beta-gy", "2.6", "--repair-half-time-h", "2.8")  # fmt: skip
    g = 2.8 / (2.8 + 50.0)  # mu / (mu + lambda) for a mono-exponential dose rate
    assert report["g_factor"] == pytest.approx(g)
    assert report["bed_gy"] == pytest.approx(20 * (1 + g * 20 / 2.6))
    assert report["eqd2_gy"] == pytest.approx(report["bed_gy"] / (1 + 2 / 2.6))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["organ", "--nuclide", "Lu-177", "--organ", "kidny", "--tia-mbq-h", "10"], "kidny"),
        (["organ", "--nuclide", "Lu-177", "--organ", "liver", "--tia-mbq-h", "10",
          "--phantom", "child"], "--phantom"),
        (["sphere", "--nuclide", "Lu-177", "--mass-g", "0"], "mass_g"),
        (["sphere", "--nuclide", "Lu-177", "--mass-g", "1", "--tia-mbq-h", "-1"], "--tia-mbq-h"),
        (["bed", "--dose-gy", "20", "--effective-half-life-h", "-5", "--alpha-beta-gy", "2.6",
          "--repair-half-time-h", "2.8"], "effective_half_life_h"),
    ],
)  # fmt: skip
def test_errors_exit_2_without_traceback(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["dosimetry", *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_fit_a_mono_exponential(tmp_path: Path) -> None:
    tac = tmp_path / "kidney.csv"
    times = [4.0, 24.0, 96.0, 168.0]
    rows = "\n".join(f"{t},{250.0 * 0.5 ** (t / 60.0):.9g}" for t in times)
    tac.write_text("time_h,activity_mbq\n" + rows + "\n", encoding="utf-8")
    report = run_json("fit", str(tac), "--nuclide", "Lu-177")
    assert report["tia_mbq_h"] == pytest.approx(250.0 * 60.0 / math.log(2), rel=1e-4)
    assert report["effective_half_life_h"] == pytest.approx(60.0, rel=1e-4)
    assert {c["model"] for c in report["candidates"]} >= {"mono", "trapezoid"}
    assert all("aicc" in c for c in report["candidates"])
    bad = tmp_path / "bad.csv"
    bad.write_text("time_h,activity\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["dosimetry", "fit", str(bad), "--nuclide", "Lu-177"])
    assert result.exit_code == 2 and "bad.csv" in result.stderr


def test_run_writes_every_output(tmp_path: Path) -> None:
    import pydicom

    from theranostix.phantoms import make_patient, write_patient

    patient = make_patient("psma", lesions=1, seed=8, voxel_mm=8.0)
    folder = write_patient(patient, tmp_path / "patient", lutetium_timepoints_h=(4, 24, 96, 168))
    out = tmp_path / "dosimetry"
    report = run_json("run", str(folder), "-o", str(out))
    assert report["nuclide"] == "Lu-177" and report["time_h"] == [4.0, 24.0, 96.0, 168.0]
    assert set(report["outputs"]) == {"json", "tac_png", "nifti", "rtdose", "dvh_png"}
    kidneys = next(v for v in report["vois"] if v["name"] == "kidneys")
    assert kidneys["kind"] == "organ" and kidneys["dose_gy"] > 0
    assert kidneys["voxel_dose"]["d98_gy"] <= kidneys["voxel_dose"]["d2_gy"]
    rtdose = pydicom.dcmread(out / "dose_rtdose.dcm")
    assert rtdose.Modality == "RTDOSE" and rtdose.DoseUnits == "GY"
    spect = pydicom.dcmread(next((folder / "spect" / "4h" / "nm").glob("*.dcm")))
    assert rtdose.FrameOfReferenceUID == spect.FrameOfReferenceUID
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert saved["vois"][0]["tia_mbq_h"] == report["vois"][0]["tia_mbq_h"]
    table = runner.invoke(app, ["dosimetry", "run", str(tmp_path / "none"), "-o", str(out)])
    assert table.exit_code == 2 and "no such study" in table.stderr

"""The image-based workflow on the synthetic Lu-177 patient, against its ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from theranostix.dosimetry._organ import find_organ, organ_dose_gy
from theranostix.dosimetry._workflow import (
    TimePoint,
    density_from_hu,
    load_study,
    run_dosimetry,
)
from theranostix.errors import ThxError
from theranostix.phantoms import make_patient, write_patient

ORGANS = ("liver", "spleen", "kidneys", "parotid_glands", "submandibular_glands", "bone_marrow")
TIMES_H = (4.0, 24.0, 96.0, 168.0)  # the usual schedule (MIRD 26 / EANM)


@pytest.fixture(scope="module")
def noiseless() -> dict[str, Any]:
    """The phantom's SPECT without PSF or noise at 4 mm: what the method alone gives.

    The CT gives the organ masses (density from HU), as in the clinic.
    """
    patient = make_patient("psma", lesions=2, seed=3, voxel_mm=4.0)
    timepoints = [
        TimePoint(t, patient.spect(t, psf=False, noise=False), patient.ct) for t in TIMES_H
    ]
    masks = {n: patient.region_mask(n) for n in (*ORGANS, "lesion_1", "lesion_2")}
    result = run_dosimetry(timepoints, masks, register=False)
    return {"patient": patient, "result": result}


def test_organ_tias_within_5_percent_of_the_truth(noiseless: dict[str, Any]) -> None:
    patient, result = noiseless["patient"], noiseless["result"]
    for name in ORGANS:
        truth = patient.tia_mbq_h(name)
        assert result.voi(name).fit.tia_mbq_h == pytest.approx(truth, rel=0.05), name


def test_organ_doses_within_10_percent_of_the_truth(noiseless: dict[str, Any]) -> None:
    patient, result = noiseless["patient"], noiseless["result"]
    # the reference: the same S-values with the true TIAs and the true organ masses
    tias: dict[str, float] = {}
    masses: dict[str, float] = {}
    for name in ORGANS:
        key = find_organ("salivary_glands" if name.endswith("glands") else name)
        tias[key] = tias.get(key, 0.0) + patient.tia_mbq_h(name)
        masses[key] = masses.get(key, 0.0) + patient.region_mass_g(name)
    truth = organ_dose_gy(tias, masses_g=masses)
    for name in ORGANS:
        key = find_organ("salivary_glands" if name.endswith("glands") else name)
        assert result.voi(name).dose_gy == pytest.approx(truth.dose_gy[key], rel=0.10), name


def test_lesions_and_voxel_doses(noiseless: dict[str, Any]) -> None:
    result = noiseless["result"]
    for name in ("lesion_1", "lesion_2"):
        voi = result.voi(name)
        assert voi.kind == "lesion" and voi.dose_gy is not None and voi.dose_gy > 1.0
        # 4 time points cannot see the 4 h uptake: mono-exponential, within 10 %
        assert voi.fit.tia_mbq_h == pytest.approx(noiseless["patient"].tia_mbq_h(name), rel=0.10)
    kidneys = result.voi("kidneys")
    # voxel and organ (S-value) doses agree for a uniform organ to within the cross-fire
    assert kidneys.voxel.mean_gy == pytest.approx(kidneys.dose_gy, rel=0.15)
    assert kidneys.voxel.d98_gy <= kidneys.voxel.d50_gy <= kidneys.voxel.d2_gy
    assert result.dose_map is not None and result.dose_map.array.max() > 0


def test_study_folder_with_registration(tmp_path: Path) -> None:
    patient = make_patient("psma", lesions=1, seed=4, voxel_mm=8.0)
    folder = write_patient(patient, tmp_path / "patient", lutetium_timepoints_h=TIMES_H)
    timepoints, masks, options = load_study(folder)
    assert [tp.time_h for tp in timepoints] == list(TIMES_H)  # from the DICOM times
    assert options["nuclide"] == "Lu-177" and "body" not in masks and "kidneys" in masks
    result = run_dosimetry(timepoints, masks, nuclide="Lu-177")
    assert len(result.registrations) == 4
    for record in result.registrations[1:]:  # the phantom does not move
        assert np.linalg.norm(record["translation_mm"]) < 1.0
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    liver = next(o for o in truth["organs"] if o["name"] == "liver")
    # 11 mm PSF and Poisson noise on 8 mm voxels: the large liver still within 10 %
    assert result.voi("liver").fit.tia_mbq_h == pytest.approx(liver["tia_mbq_h"], rel=0.10)
    assert any("partial volume" in note for note in result.notes)


def test_study_toml_and_errors(tmp_path: Path) -> None:
    bad = tmp_path / "study.toml"
    bad.write_text('schema = 1\nmasks = "organs.dcm"\n', encoding="utf-8")
    with pytest.raises(ThxError, match=r"timepoint"):
        load_study(bad)
    bad.write_text("schema = 2\n", encoding="utf-8")
    with pytest.raises(ThxError, match="schema"):
        load_study(bad)
    with pytest.raises(ThxError, match="no such study"):
        load_study(tmp_path / "missing")
    with pytest.raises(ThxError, match="two time points"):
        run_dosimetry([], {})
    assert density_from_hu(np.array([-1000.0, 0.0]))[1] == 1.0


def test_alpha_emitter_voxel_doses_by_local_deposition(noiseless: dict[str, Any]) -> None:
    from theranostix.dosimetry import nonpenetrating_energy_mev

    patient = noiseless["patient"]
    timepoints = [TimePoint(t, patient.spect(t, psf=False, noise=False), patient.ct)
                  for t in TIMES_H[:3]]  # fmt: skip
    masks = {"kidneys": patient.region_mask("kidneys")}
    result = run_dosimetry(timepoints, masks, nuclide="Ac-225", register=False)
    assert any("local deposition" in note for note in result.notes)
    voi = result.voi("kidneys")
    # local deposition: the voxel mean equals TIA x E / m over the VOI
    energy_j = nonpenetrating_energy_mev("Ac-225") * 1.602176634e-13
    tia = float(result.tia_map.array[masks["kidneys"].array].sum())
    expected = tia * 3.6e9 * energy_j / (voi.mass_g * 1e-3)
    assert voi.voxel.mean_gy == pytest.approx(expected, rel=0.05)

"""Demo: a synthetic Ga-68-PSMA-11 patient written as DICOM, read back and quantified in SUV.

The whole imaging chain of theranostix runs on it: the phantom is written as
DICOM (PET, CT, RTSTRUCT, SEG), the PET series is read back from the folder,
converted to SUV from its DICOM tags, the organs are rasterised from the
RTSTRUCT and every region is measured (SUVmax, SUVmean, SUVpeak of a 1 cm³
sphere), next to the ground truth of the phantom. Then the PET is analysed as
``thx pet analyze`` would: lesions delineated (41 % of SUVmax with local
background correction, physiological organs from the SEG excluded), measured,
summed into the tumour burden, drawn on a MIP picture, and judged against the
VISION criteria for Lu-177-PSMA-617 with the phantom's lesions as the CT
comparison set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["DEMO_ORGANS", "synthetic_patient_report"]

#: Regions reported by the demo, read from the RTSTRUCT.
DEMO_ORGANS = ("liver", "spleen", "kidneys", "parotid_glands", "blood_pool")


_CATEGORY = {"liver": "solid_organ", "lymph_node": "lymph_node", "bone": "bone"}


def _analyse(folder: Path, patient: Any, regions: list[dict[str, Any]]) -> dict[str, Any]:
    """Lesions, burden, MIP and VISION eligibility of the written patient."""
    import csv

    from theranostix.biomarkers import analysis_report, analyze_study, write_study_outputs

    out = folder / "analysis"
    out.mkdir(parents=True, exist_ok=True)
    # The CT comparison set: the phantom's lesions (short axis = diameter) with their PSMA SUVmax.
    measured = {r["name"]: r["suv_max"] for r in regions}
    with (out / "comparison.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "category", "short_axis_mm", "suv_max", "source"])
        for lesion in patient.lesions:
            short_axis = f"{lesion.diameter_mm:g}"
            suv_max = f"{measured[lesion.name]:.3f}"
            writer.writerow([lesion.name, _CATEGORY[lesion.site.value], short_axis, suv_max, "ct"])
    study = analyze_study(
        folder / "pet",
        organs_path=folder / "organs_seg.dcm",
        method="41pct",
        tracer="psma",
        background_correction=True,
        comparison=out / "comparison.csv",
    )
    written = write_study_outputs(study, out)
    report = analysis_report(study)
    report["outputs"] = {key: str(path) for key, path in written.items()}
    report["lesions_placed"] = len(patient.lesions)
    return dict(report)


#: SPECT/CT times of the demo's Lu-177-PSMA-617 cycle (h after administration).
LUTETIUM_TIMEPOINTS_H = (4.0, 24.0, 96.0, 168.0)


def _dosimetry(folder: Path, patient: Any) -> dict[str, Any]:
    """Dosimetry of the Lu-177 cycle from the SPECT/CT time points, and the next cycle's plan."""
    from theranostix.dosimetry import (
        TherapyCycle,
        load_study,
        plan_next_cycle,
        run_dosimetry,
        write_dosimetry_outputs,
    )

    timepoints, masks, options = load_study(folder)
    result = run_dosimetry(timepoints, masks, nuclide=str(options.get("nuclide", "Lu-177")))
    written = write_dosimetry_outputs(result, folder / "dosimetry", reference=timepoints[0].spect)
    activity_gbq = patient.therapy.injected_activity_bq / 1e9
    organs = {"kidneys": "kidneys", "salivary_glands": "parotid_glands",
              "red_marrow": "bone_marrow", "liver": "liver"}  # fmt: skip
    per_gbq = {organ: float(result.voi(voi).dose_gy or 0.0) / activity_gbq
               for organ, voi in organs.items()}  # fmt: skip
    half_lives = {
        organ: float(result.voi(voi).fit.effective_half_life_h or 0.0)
        for organ, voi in organs.items()
        if result.voi(voi).fit.effective_half_life_h
    }
    lesions = [v for v in result.vois if v.kind == "lesion"]
    tumour = max(lesions, key=lambda v: v.dose_gy or 0.0) if lesions else None
    cycle = TherapyCycle(activity_gbq, per_gbq, half_lives)
    plan = plan_next_cycle([cycle], risk_factors=False)
    return {
        "result": result.as_dict(),
        "outputs": {key: str(path) for key, path in written.items()},
        "administered_gbq": activity_gbq,
        "organ_gy_per_gbq": per_gbq,
        "lesion_doses_gy": {v.name: v.dose_gy for v in lesions},
        "hottest_lesion": None if tumour is None else tumour.name,
        "next_cycle": {
            "activity_gbq": plan.activity_gbq,
            "reason": plan.reason,
            "limiting_organ": plan.limiting_organ,
            "max_safe_activity_gbq": plan.max_safe_activity_gbq,
        },
    }


def _radiomics(folder: Path, patient: Any, suv: Any) -> Path:
    """IBSI features (``pet`` preset) of every placed lesion, one row each, as CSV."""
    import csv
    import io

    from theranostix._files import atomic_write_text
    from theranostix.imaging import load_mask
    from theranostix.radiomics import extract_features

    rows = []
    for lesion in patient.lesions:
        mask = load_mask(f"{folder / 'organs.dcm'}:{lesion.name}", suv.geometry)
        rows.append({"lesion": lesion.name, **extract_features(suv, mask, "pet")})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(folder / "analysis" / "radiomics.csv", buffer.getvalue())


def synthetic_patient_report(out_dir: Path, *, seed: int = 7, lesions: int = 3) -> dict[str, Any]:
    """Make, write, read back and quantify one synthetic PSMA patient.

    Parameters
    ----------
    out_dir : Path
        Folder that receives ``pet/``, ``ct/``, ``organs.dcm``, ``organs_seg.dcm``
        and ``ground_truth.json``.
    seed, lesions
        Phantom seed and number of lesions.

    Returns
    -------
    dict
        ``folder``, ``suv`` (normalisation, factor, reference time), ``regions``
        (each with ``name``, ``kind``, ``true_suv``, ``suv_max``, ``suv_mean``,
        ``suv_peak``, ``volume_ml``).
    """
    from theranostix.imaging import (
        load_mask,
        read_dicom_series,
        roi_statistics,
        rtstruct_roi_names,
        to_suv,
    )
    from theranostix.phantoms import make_patient, write_patient

    patient = make_patient("psma", lesions=lesions, seed=seed)
    folder = write_patient(patient, out_dir, lutetium_timepoints_h=LUTETIUM_TIMEPOINTS_H)
    pet = read_dicom_series(folder / "pet")
    suv = to_suv(pet)
    result = suv.metadata["suv"]
    names = set(rtstruct_roi_names(folder / "organs.dcm"))
    truth = {r["name"]: r["suv_mean"] for r in patient.ground_truth(())["pet"]["regions"]}
    regions: list[dict[str, Any]] = []
    for lesion in patient.lesions:
        mask = load_mask(f"{folder / 'organs.dcm'}:{lesion.name}", pet.geometry)
        stats = roi_statistics(suv, mask)
        regions.append(
            {
                "name": lesion.name,
                "kind": f"lesion ({lesion.site.value}, {lesion.diameter_mm:.0f} mm)",
                "true_suv": lesion.suv,
                "suv_max": stats.max,
                "suv_mean": stats.mean,
                "suv_peak": stats.peak,
                "volume_ml": stats.volume_ml,
            }
        )
    for organ in DEMO_ORGANS:
        if organ not in names:
            continue
        stats = roi_statistics(suv, load_mask(f"{folder / 'organs.dcm'}:{organ}", pet.geometry))
        regions.append(
            {
                "name": organ,
                "kind": "organ",
                "true_suv": truth.get(organ),
                "suv_max": stats.max,
                "suv_mean": stats.mean,
                "suv_peak": stats.peak,
                "volume_ml": stats.volume_ml,
            }
        )
    analysis = _analyse(folder, patient, regions)
    analysis["outputs"]["radiomics"] = str(_radiomics(folder, patient, suv))
    dosimetry = _dosimetry(folder, patient)
    return {
        "dosimetry": dosimetry,
        "folder": str(folder),
        "analysis": analysis,
        "tracer": "Ga-68-PSMA-11",
        "series": {"pet_slices": pet.shape[0], "spacing_mm": list(pet.geometry.spacing_mm)},
        "suv": {
            "normalization": result.normalization.value,
            "factor": result.factor,
            "weight_kg": result.weight_kg,
            "injected_activity_bq": result.injected_activity_bq,
            "injection_time": result.injection_time,
            "reference_time": result.reference_time,
        },
        "regions": regions,
    }

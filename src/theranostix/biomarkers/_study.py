"""A PET study from files to results: read, analyse, judge eligibility, write the outputs.

This is the job behind ``thx pet analyze``, ``thx pet eligibility`` and
``thx pet response``, kept in the library so that scripts and the future web
API run exactly what the command line runs.

Outputs of :func:`write_study_outputs` (each file written to a temporary name in
the same folder and renamed when complete, so an interrupted run never leaves
a half-written file nor destroys a previous result)::

    lesions.csv       one row per lesion
    summary.json      the JSON report (as ``thx pet analyze --json`` prints it)
    lesions.nii.gz    lesion label map (0 background, n lesion n) on the PET grid
    lesions_seg.dcm   DICOM SEG, one segment per lesion, referencing the PET series
    mip.png           coronal and sagittal MIPs with lesion contours and labels
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theranostix._files import atomic_write
from theranostix._json import to_plain
from theranostix.biomarkers._types import PetAnalysis
from theranostix.errors import ThxError
from theranostix.imaging._volume import Mask, Volume

__all__ = [
    "CSV_COLUMNS",
    "StudyAnalysis",
    "analysis_report",
    "analyze_study",
    "read_comparison_csv",
    "write_study_outputs",
]

#: Columns of ``lesions.csv``.
CSV_COLUMNS = (
    "label",
    "name",
    "location",
    "suv_max",
    "suv_peak",
    "suv_mean",
    "mtv_ml",
    "tlg",
    "centroid_x_mm",
    "centroid_y_mm",
    "centroid_z_mm",
    "long_axis_mm",
    "short_axis_mm",
    "voxels",
    "threshold",
)
# Regions of an organ file that are lesions or targets, not organs.
_LESION_PREFIXES = ("lesion", "gtv", "tumor", "tumour", "metasta", "target")


@dataclass(frozen=True, eq=False)
class StudyAnalysis:
    """A PET study analysed, with what is needed to write its outputs.

    Attributes
    ----------
    analysis : PetAnalysis
    eligibility : EligibilityResult or None
        For tracers with a default protocol, or when a protocol was asked for.
    pet_files : tuple of Path
        Files of the PET series (for the DICOM SEG references).
    source : str
        The PET folder or file.
    """

    analysis: PetAnalysis
    eligibility: Any = None
    pet_files: tuple[Path, ...] = ()
    source: str = ""
    notes: tuple[str, ...] = field(default=())


def _is_lesion_name(name: str) -> bool:
    return name.strip().lower().startswith(_LESION_PREFIXES)


def read_comparison_csv(path: str | Path) -> tuple[Any, ...]:
    """Comparison lesions (from CT or FDG PET) for eligibility, from a CSV file.

    Columns ``name,category,short_axis_mm,suv_max`` and optionally ``source``
    (``ct`` or ``fdg``); ``category`` is ``lymph_node``, ``solid_organ``,
    ``bone_soft_tissue`` or ``bone``; ``suv_max`` is the uptake of the
    theranostic tracer in the lesion.

    Raises
    ------
    ThxError
        Naming the file, the row and the column of a bad value.
    """
    from theranostix.theranostics._protocol import ComparisonLesion

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ThxError(f"{p}: cannot read the comparison lesions: {exc.strerror}") from exc
    reader = csv.DictReader(io.StringIO(text))
    needed = {"name", "category", "short_axis_mm", "suv_max"}
    missing = needed - set(reader.fieldnames or ())
    if missing:
        raise ThxError(f"{p}: missing column(s) {', '.join(sorted(missing))}")
    out = []
    for row_number, row in enumerate(reader, start=2):
        try:
            short = float(row["short_axis_mm"])
            suv = float(row["suv_max"])
        except ValueError:
            raise ThxError(
                f"{p} line {row_number}: short_axis_mm and suv_max must be numbers, got "
                f"{row['short_axis_mm']!r} and {row['suv_max']!r}"
            ) from None
        try:
            out.append(
                ComparisonLesion(
                    name=row["name"],
                    category=row["category"],  # type: ignore[arg-type]  # parsed on init
                    short_axis_mm=short,
                    suv_max=suv,
                    source=(row.get("source") or "ct").strip() or "ct",  # type: ignore[arg-type]
                )
            )
        except ThxError as exc:
            raise ThxError(f"{p} line {row_number}: {exc}") from exc
    return tuple(out)


def analyze_study(
    pet_path: str | Path,
    *,
    ct_path: str | Path | None = None,
    organs_path: str | Path | None = None,
    method: str = "percist",
    tracer: str = "other",
    normalization: str = "bw",
    allow: Sequence[str] | None = None,
    series_uid: str | None = None,
    tz: str | None = None,
    reference_masks: Mapping[str, str] | None = None,
    lesion_mask: str | None = None,
    seeds_mm: Sequence[Sequence[float]] | None = None,
    min_volume_ml: float = 0.5,
    background_correction: bool = False,
    protocol: str | None = None,
    comparison: str | Path | None = None,
    eligibility: bool = True,
) -> StudyAnalysis:
    """Read a PET series (and its CT and organ masks) and analyse it.

    Parameters
    ----------
    pet_path : str or Path
        Folder (or file) of the PET DICOM series.
    ct_path : str or Path, optional
        Folder of the CT series, for the liver when no liver mask is given.
    organs_path : str or Path, optional
        RTSTRUCT, SEG or NIfTI / NRRD label map with the organs; regions named
        like lesions (``lesion*``, ``GTV*``, ``tumo(u)r*``) are left out.
    method, tracer, normalization, allow, min_volume_ml, background_correction, seeds_mm
        See :func:`~theranostix.biomarkers.analyze_pet`.
    series_uid, tz
        See :func:`~theranostix.imaging.read_dicom_series`.
    reference_masks : mapping of str to str, optional
        Reference regions drawn by the user: name -> ``FILE[:ROI]``.
    lesion_mask : str, optional
        ``FILE[:ROI]`` of the lesions for method ``user``.
    protocol : str, optional
        Eligibility protocol id or TOML file; the tracer's default otherwise.
    comparison : str or Path, optional
        CSV of comparison lesions (:func:`read_comparison_csv`).
    eligibility : bool
        Judge eligibility (when the tracer has a protocol or one is given).

    Returns
    -------
    StudyAnalysis
    """
    from theranostix.biomarkers._metrics import analyze_pet
    from theranostix.imaging._dicom_read import read_dicom_series
    from theranostix.imaging._masks import load_mask, load_masks

    pet = read_dicom_series(pet_path, series_uid=series_uid, modality="PT", tz=tz)
    ct = None if ct_path is None else read_dicom_series(ct_path, modality="CT", tz=tz)
    notes: list[str] = []
    organs: dict[str, Mask] = {}
    if organs_path is not None:
        for name, mask in load_masks(organs_path, pet.geometry).items():
            if _is_lesion_name(name):
                notes.append(f"{organs_path}: region {name!r} is a lesion, not an organ: not used")
            else:
                organs[name] = mask
    user_mask = None if lesion_mask is None else load_mask(lesion_mask, pet.geometry)
    references = {
        name: load_mask(spec, pet.geometry) for name, spec in (reference_masks or {}).items()
    }
    analysis = analyze_pet(
        pet,
        method=method,
        tracer=tracer,
        organs=organs or None,
        ct=ct,
        normalization=normalization,
        allow=allow,
        reference_masks=references or None,
        user_mask=user_mask,
        seeds_mm=seeds_mm,
        min_volume_ml=min_volume_ml,
        background_correction=background_correction,
    )
    result = None
    if eligibility:
        from theranostix.theranostics._evaluate import default_protocol, evaluate_eligibility

        chosen: Any = protocol if protocol is not None else default_protocol(analysis.tracer)
        if chosen is not None:
            lesions = () if comparison is None else read_comparison_csv(comparison)
            result = evaluate_eligibility(analysis, chosen, comparison=lesions)
        elif comparison is not None:
            notes.append("--comparison ignored: no eligibility protocol for this tracer")
    files = tuple(Path(f) for f in pet.metadata.get("files", ()))
    return StudyAnalysis(analysis, result, files, str(pet_path), tuple(notes))


def analysis_report(study: StudyAnalysis | PetAnalysis) -> dict[str, Any]:
    """The JSON report of an analysis: ``patient``, ``lesions``, ``eligibility`` and context."""
    if isinstance(study, PetAnalysis):
        study = StudyAnalysis(study)
    a = study.analysis
    patient = a.summary.as_dict()
    return {
        "source": study.source or None,
        "tracer": a.tracer.value,
        "method": a.method.value,
        "normalization": a.normalization,
        "unit": "SUL" if a.normalization.startswith("lbm") else "SUV",
        "detection_threshold": a.segmentation.detection_threshold,
        "excluded_organs": list(a.segmentation.excluded_organs),
        "organs": list(a.organs),
        "scan_time": a.scan_time,
        "uptake_time_s": a.uptake_time_s,
        "injected_activity_bq": a.injected_activity_bq,
        "patient": patient,
        "lesions": [lesion.as_dict() for lesion in a.lesions],
        "eligibility": None if study.eligibility is None else study.eligibility.as_dict(),
        "notes": list(study.notes) + list(a.notes),
    }


def _lesions_csv(analysis: PetAnalysis) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for les in analysis.lesions:
        x, y, z = les.centroid_mm
        row = [les.label, les.name, les.location or "", les.suv_max, les.suv_peak, les.suv_mean,
               les.mtv_ml, les.tlg, x, y, z, les.long_axis_mm, les.short_axis_mm, les.voxels,
               les.threshold]  # fmt: skip
        writer.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])
    return buffer.getvalue()


def write_study_outputs(
    study: StudyAnalysis, out_dir: str | Path, *, seg: bool = True, mip: bool = True
) -> dict[str, Path]:
    """Write the lesion table, the JSON report, the lesion masks and the MIP picture.

    Parameters
    ----------
    study : StudyAnalysis
    out_dir : str or Path
        Folder (created).
    seg : bool
        Also write the DICOM SEG (needs the PET files; skipped without lesions).
    mip : bool
        Also write the MIP PNG.

    Returns
    -------
    dict of str to Path
        ``csv``, ``json``, ``nifti``, ``seg``, ``mip`` -> the files written.
    """
    import numpy as np

    from theranostix.imaging._sitk import write_nifti

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ThxError(f"output {out} exists and is not a folder")
    a = study.analysis
    written: dict[str, Path] = {}
    csv_text = _lesions_csv(a)
    written["csv"] = atomic_write(
        out / "lesions.csv", lambda p: p.write_text(csv_text, encoding="utf-8")
    )
    labels = Volume(a.segmentation.labels.astype(np.int16), a.segmentation.geometry)
    written["nifti"] = atomic_write(out / "lesions.nii.gz", lambda p: write_nifti(labels, p))
    if seg and a.lesions and study.pet_files:
        from theranostix.imaging._dicom_write import write_seg

        masks = [a.segmentation.lesion_mask(les.label) for les in a.lesions]
        written["seg"] = atomic_write(
            out / "lesions_seg.dcm",
            lambda p: write_seg(
                masks, study.pet_files, p, series_description="theranostix PET lesions"
            ),
        )
    if mip:
        from theranostix.biomarkers._mip import write_mip_png

        written["mip"] = atomic_write(out / "mip.png", lambda p: write_mip_png(a, p))
    report = analysis_report(study)
    report["outputs"] = {
        key: str(path) for key, path in {**written, "json": out / "summary.json"}.items()
    }
    text = json.dumps(to_plain(report), indent=2, ensure_ascii=False) + "\n"
    written["json"] = atomic_write(
        out / "summary.json", lambda p: p.write_text(text, encoding="utf-8")
    )
    return written

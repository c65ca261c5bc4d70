"""``thx pet suv``: a PET series to SUV, with optional region statistics and NIfTI output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from theranostix.cli._common import JSON_OPTION_HELP, console, emit_json, user_errors

pet_app = typer.Typer(
    help="PET quantification: SUV from DICOM, region statistics.",
    no_args_is_help=True,
)

NORMALIZATIONS = ("bw", "lbm-james", "lbm-janmahasatian", "bsa", "ibw")


def suv_summary(
    series: Path,
    *,
    norm: str = "bw",
    roi: str | None = None,
    output: Path | None = None,
    allow: list[str] | None = None,
    series_uid: str | None = None,
    tz: str | None = None,
) -> dict[str, Any]:
    """Everything ``thx pet suv`` reports, as a JSON-ready dictionary."""
    from theranostix.imaging import load_mask, read_dicom_series, roi_statistics, to_suv

    pet = read_dicom_series(series, series_uid=series_uid, modality="PT", tz=tz)
    suv = to_suv(pet, norm, allow=allow)
    result = suv.metadata["suv"]
    summary: dict[str, Any] = {
        "series": str(series),
        "series_uid": pet.metadata.get("series_uid"),
        "normalization": result.normalization.value,
        "factor": result.factor,
        "stored_units": result.stored_units,
        "decay_correction": result.decay_correction,
        "weight_kg": result.weight_kg,
        "height_m": result.height_m,
        "normalizing_mass_kg": result.normalizing_mass_kg,
        "body_surface_area_m2": result.body_surface_area_m2,
        "injected_activity_bq": result.injected_activity_bq,
        "injection_time": result.injection_time,
        "reference_time": result.reference_time,
        "decay_factor": result.decay_factor,
        "half_life_s": result.half_life_s,
        "shape": list(pet.shape),
        "spacing_mm": list(pet.geometry.spacing_mm),
        "image_suv_max": float(suv.array.max()),
        "notes": list(result.notes),
    }
    if roi is not None:
        mask = load_mask(roi, pet.geometry)
        stats = roi_statistics(suv, mask)
        summary["roi"] = {
            "name": stats.name,
            "suv_max": stats.max,
            "suv_mean": stats.mean,
            "suv_peak": stats.peak,
            "volume_ml": stats.volume_ml,
            "voxels": stats.voxels,
        }
    if output is not None:
        from theranostix.imaging import write_nifti

        summary["output"] = str(write_nifti(suv, output))
    return summary


@pet_app.command("suv")
def suv_command(
    series: Path = typer.Argument(..., help="Folder holding the PET DICOM series (or one file)."),
    norm: str = typer.Option(
        "bw", "--norm", help=f"SUV normalisation: {', '.join(NORMALIZATIONS)}."
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the SUV image as NIfTI (.nii or .nii.gz)."
    ),
    roi: str | None = typer.Option(
        None,
        "--roi",
        help="Region: RTSTRUCT, SEG or NIfTI/NRRD mask, with :ROI_NAME to pick a structure.",
    ),
    allow: list[str] = typer.Option(
        [],
        "--allow",
        help="KEY=VALUE replacing a DICOM value: weight=72kg, height=1.75m, sex=M, dose=370MBq, "
        "injection-time=ISO, reference-time=ISO, half-life=109.77min. Repeatable.",
    ),
    series_uid: str | None = typer.Option(
        None, "--series", help="SeriesInstanceUID when the folder holds several PET series."
    ),
    tz: str | None = typer.Option(
        None,
        "--tz",
        help="IANA zone of DICOM times without TimezoneOffsetFromUTC (0008,0201); UTC if absent.",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Convert a PET series to SUV; report the factor and, with --roi, SUVmax/mean/peak."""
    if norm not in NORMALIZATIONS:
        raise typer.BadParameter(
            f"{norm!r} is not one of {', '.join(NORMALIZATIONS)}", param_hint="--norm"
        )
    with user_errors():
        summary = suv_summary(
            series,
            norm=norm,
            roi=roi,
            output=output,
            allow=allow or None,
            series_uid=series_uid,
            tz=tz,
        )
    if as_json:
        emit_json(summary)
        return
    from rich.table import Table

    from theranostix.cli._common import to_plain
    from theranostix.units import format_activity

    plain = to_plain(summary)
    out = console()
    table = Table(title=f"SUV ({plain['normalization']}) of {series}", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    factor = plain["factor"]
    table.add_row(
        f"factor (SUV per {plain['stored_units']})",
        f"{factor:.6g}"
        if isinstance(factor, float)
        else f"per slice {min(factor):.6g}…{max(factor):.6g}",
    )
    table.add_row("weight", f"{plain['weight_kg']:g} kg" if plain["weight_kg"] else "-")
    if plain["injected_activity_bq"]:
        table.add_row("injected activity", format_activity(plain["injected_activity_bq"]))
    table.add_row("injection", plain["injection_time"] or "-")
    table.add_row("decay reference", plain["reference_time"] or "per slice (not decay-corrected)")
    table.add_row("image SUVmax", f"{plain['image_suv_max']:.3f}")
    if "roi" in plain:
        r = plain["roi"]
        table.add_row(f"ROI {r['name']}: SUVmax", f"{r['suv_max']:.3f}")
        table.add_row("ROI SUVmean", f"{r['suv_mean']:.3f}")
        table.add_row("ROI SUVpeak (1 cm³)", f"{r['suv_peak']:.3f}")
        table.add_row("ROI volume", f"{r['volume_ml']:.2f} mL ({r['voxels']} voxels)")
    if "output" in plain:
        table.add_row("written", plain["output"])
    out.print(table)
    for note in plain["notes"]:
        out.print(f"note: {note}")

"""``thx demo``: the main job on built-in demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from theranostix.cli._common import JSON_OPTION_HELP, console, emit_json, user_errors


def demo(
    out_dir: Path | None = typer.Option(
        None,
        "--out",
        help="Keep the synthetic patient's DICOM files, lesion table and MIP picture here "
        "(a temporary folder otherwise).",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Theranostic pairs, a Ga-68 day, an FDG PET day with its national supply, a PSMA patient."""
    import tempfile

    from rich.table import Table

    from theranostix.demo import demo_report, synthetic_patient_report
    from theranostix.demo._operations import operations_report
    from theranostix.units import format_activity, format_duration

    report = demo_report()
    with tempfile.TemporaryDirectory(prefix="thx-demo-") as tmp:
        folder = (out_dir or Path(tmp)) / "patient"
        with user_errors():
            report["operations"] = operations_report(out_dir)
            report["synthetic_patient"] = synthetic_patient_report(folder)
        if out_dir is None:
            report["synthetic_patient"]["folder"] = None
            report["synthetic_patient"]["analysis"]["outputs"] = {}
            report["synthetic_patient"]["dosimetry"]["outputs"] = {}
            report["operations"]["supply"]["outputs"] = {}
    if as_json:
        emit_json(report)
        return
    out = console()
    pairs = Table(title="Theranostic pairs: imaging and therapy (ICRP-107, per decay)")
    for name, justify in (
        ("pair", "left"),
        ("role", "left"),
        ("nuclide", "left"),
        ("half-life", "right"),
        ("β+ per decay", "right"),
        ("β− mean (keV)", "right"),
        ("electrons (keV)", "right"),
        ("photons (keV)", "right"),
        ("Γ20 µGy·m²/MBq/h", "right"),
    ):
        pairs.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in report["theranostic_pairs"]:
        pairs.add_row(
            row["pair"] if row["role"] == "imaging" else "",
            row["role"],
            row["nuclide"],
            format_duration(row["half_life_s"], digits=4),
            f"{row['positron_yield']:.3f}" if row["positron_yield"] else "-",
            f"{row['beta_minus_mev'] * 1e3:.1f}" if row["beta_minus_mev"] else "-",
            f"{row['electron_mev'] * 1e3:.1f}",
            f"{row['photon_mev'] * 1e3:.1f}",
            f"{row['air_kerma_ugy_m2_per_mbq_h']:.4f}",
            end_section=row["role"] == "therapy",
        )
    out.print(pairs)

    day = report["ga68_day"]
    gen = day["generator"]
    out.print(
        f"\n[bold]{day['product']} day {day['date']}[/bold]: Ge-68/Ga-68 generator, "
        f"{format_activity(gen['calibration_activity_bq'])} Ge-68 at {gen['calibrated'][:10]}, "
        f"{format_activity(gen['ge68_activity_bq_at_first_injection'])} today; "
        f"elution efficiency {gen['elution_efficiency']:.0%}; labelling yield "
        f"{day['labelling']['yield']:.0%} in {format_duration(day['labelling']['duration_s'])}; "
        f"{day['protocol']['activity_per_mass_bq_per_kg'] / 1e6:g} MBq/kg "
        f"({format_activity(day['protocol']['minimum_bq'])}-{format_activity(day['protocol']['maximum_bq'])})"
    )
    plan = Table(title=f"Elution plan: {day['elutions']} elutions for {day['served']} patients")
    for name in (
        "elution",
        "Ga-68 on column",
        "eluate",
        "release",
        "product",
        "patient",
        "injection",
        "dose",
        "left after",
    ):
        plan.add_column(
            name, justify="left" if name in {"elution", "release", "patient"} else "right"
        )
    for batch in day["batches"]:
        for i, dose in enumerate(batch["doses"]):
            first = i == 0
            plan.add_row(
                f"#{batch['number']} {batch['elution_at'][11:16]}" if first else "",
                format_activity(batch["available_ga68_bq"]) if first else "",
                format_activity(batch["eluate_bq"]) if first else "",
                batch["release_at"][11:16] if first else "",
                format_activity(batch["product_bq"]) if first else "",
                f"{dose['patient']} ({dose['weight_kg']:g} kg)",
                dose["injection"][11:16],
                format_activity(dose["activity_bq"]),
                format_activity(dose["remaining_after_bq"]),
                end_section=i == len(batch["doses"]) - 1,
            )
    out.print(plan)
    if day["unserved"]:
        out.print(f"[red]not served: {', '.join(day['unserved'])}[/red]")
    else:
        out.print("every patient of the day is served.")
    _print_operations(out, report["operations"])
    _print_patient(out, report["synthetic_patient"])


def _print_operations(out: Any, ops: dict[str, Any]) -> None:
    """The FDG PET day of the demo hospital and the national supply plan that serves it."""
    from rich.table import Table

    from theranostix.units import format_activity

    pet = ops["pet_day"]
    table = Table(
        title=f"{pet['hospital']} FDG PET day {pet['date']} ({pet['protocol']}): one "
        f"{pet['vial_volume_ml']:g} mL vial, order "
        f"{format_activity(pet['order_activity_at_calibration_bq'])} at "
        f"{pet['calibration_time'][11:16]}"
    )
    for name in ("patient", "kg", "injection", "activity", "draw", "volume mL", "status"):
        table.add_column(name, justify="left" if name in ("patient", "status") else "right")
    for dose in pet["doses"]:
        table.add_row(
            dose["patient_id"], f"{dose['weight_kg']:.0f}",
            dose["injection_time"][11:16], format_activity(dose["activity_bq"]),
            dose["draw_time"][11:16], f"{dose['volume_ml']:.2f}", dose["status"],
        )  # fmt: skip
    out.print(table)
    residual = pet["residual"]
    out.print(
        f"residual at the end of the day: {format_activity(residual['activity_bq'])} in "
        f"{residual['volume_ml']:.2f} mL"
        + ("" if pet["feasible"] else " [red](plan NOT feasible)[/red]")
    )
    sup = ops["supply"]
    mine = sup["demo_order"]
    shipped = ", ".join(
        f"{d['site']} {d['departure'][11:16]}->{d['arrival'][11:16]}" for d in mine["deliveries"]
    )
    out.print(
        f"\n[bold]National supply[/bold] ({sup['scenario']}, illustrative): {sup['status']} in "
        f"{sup['solve_time_s']:.1f} s, {sup['runs']} cyclotron runs, {sup['deliveries']} "
        f"deliveries for {sup['orders']} orders, cost {sup['objective_eur']:,.0f} EUR; "
        f"shortfall: {', '.join(sup['shortfall_orders']) or 'none'}. This hospital's vial: "
        f"{format_activity(mine['served_bq'])} of {format_activity(mine['activity_bq'])} "
        f"({shipped or 'not shipped'})."
    )
    if sup["outputs"]:
        out.print(f"supply tables, timeline and map: {Path(sup['outputs']['map']).parent}")


def _print_patient(out: object, patient: dict[str, object]) -> None:
    """The synthetic patient's SUV table (regions read back from its DICOM files)."""
    from rich.table import Table

    from theranostix.units import format_activity

    suv: dict[str, Any] = patient["suv"]  # type: ignore[assignment]
    table = Table(
        title=(
            f"Synthetic {patient['tracer']} patient: DICOM written, read back, SUVbw "
            f"({suv['weight_kg']:g} kg, {format_activity(suv['injected_activity_bq'])}, "
            f"injected {suv['injection_time'].strftime('%H:%M')}, "
            f"scan {suv['reference_time'].strftime('%H:%M')})"
        )
    )
    for name in ("region", "kind", "true SUV", "SUVmax", "SUVmean", "SUVpeak", "volume mL"):
        table.add_column(name, justify="left" if name in {"region", "kind"} else "right")
    for region in patient["regions"]:  # type: ignore[attr-defined]
        table.add_row(
            region["name"],
            region["kind"],
            f"{region['true_suv']:.2f}",
            f"{region['suv_max']:.2f}",
            f"{region['suv_mean']:.2f}",
            f"{region['suv_peak']:.2f}",
            f"{region['volume_ml']:.1f}",
        )
    out.print(table)  # type: ignore[attr-defined]
    if patient["folder"]:
        out.print(f"DICOM files in {patient['folder']}")  # type: ignore[attr-defined]
    _print_analysis(out, patient["analysis"])  # type: ignore[arg-type]
    _print_dosimetry(out, patient["dosimetry"])  # type: ignore[arg-type]


def _print_dosimetry(out: Any, dosimetry: dict[str, Any]) -> None:
    from rich.table import Table

    result = dosimetry["result"]
    table = Table(
        title=f"Lu-177-PSMA-617 dosimetry, {dosimetry['administered_gbq']:.1f} GBq "
        f"(SPECT/CT at {', '.join(f'{t:g}' for t in result['time_h'])} h)"
    )
    for column in ("VOI", "model", "TIA MBq·h", "dose Gy", "Gy/GBq", "voxel D2 Gy"):
        table.add_column(column, justify="left" if column in ("VOI", "model") else "right")
    for voi in result["vois"]:
        if voi["kind"] == "region" or voi["dose_gy"] is None:
            continue
        table.add_row(
            voi["name"], voi["fit"]["model"], f"{voi['tia_mbq_h']:.0f}", f"{voi['dose_gy']:.2f}",
            f"{voi['dose_gy'] / dosimetry['administered_gbq']:.3f}",
            "-" if voi["voxel_dose"] is None else f"{voi['voxel_dose']['d2_gy']:.2f}",
        )  # fmt: skip
    out.print(table)
    plan = dosimetry["next_cycle"]
    limit = (
        f"the first organ limit reached would be {plan['limiting_organ']}'s at "
        f"{plan['max_safe_activity_gbq']:.1f} GBq"
        if plan["limiting_organ"]
        else "no organ limit applies"
    )
    out.print(f"next cycle: {plan['activity_gbq']:.2f} GBq ({plan['reason']}; {limit})")
    dvh = dosimetry["outputs"].get("dvh_png")
    if dvh:
        out.print(f"dose map, RT Dose, TAC and DVH plots: {Path(dvh).parent}")


def _print_analysis(out: Any, analysis: dict[str, Any]) -> None:
    """Lesions found, tumour burden, eligibility, and where the picture is."""
    from rich.table import Table

    p = analysis["patient"]
    table = Table(
        title=f"PET analysis ({analysis['method']}, background-corrected): "
        f"{p['lesion_count']} lesions found of {analysis['lesions_placed']} placed"
    )
    for name in ("#", "location", "SUVmax", "SUVpeak", "SUVmean", "MTV mL", "TL-PSMA"):
        table.add_column(name, justify="left" if name == "location" else "right")
    for les in analysis["lesions"]:
        table.add_row(str(les["label"]), les["location"] or "-", f"{les['suv_max']:.2f}",
                      f"{les['suv_peak']:.2f}", f"{les['suv_mean']:.2f}", f"{les['mtv_ml']:.2f}",
                      f"{les['tlg']:.1f}")  # fmt: skip
    out.print(table)
    liver = p["reference"].get("liver")
    out.print(
        f"PSMA-TV {p['psma_tv_ml']:.1f} mL, TL-PSMA {p['tl_psma']:.1f}"
        + (f", Dmax {p['dmax_mm']:.0f} mm" if p["dmax_mm"] is not None else "")
        + (f"; liver reference SUVmean {liver['mean']:.2f} (3 cm sphere)" if liver else "")
    )
    eligibility = analysis["eligibility"]
    if eligibility:
        title = eligibility["protocol"]["title"]
        out.print(f"{title}: {eligibility['verdict'].replace('_', ' ').upper()}")
        for criterion in eligibility["criteria"]:
            out.print(f"  {criterion['status']:>12}  {criterion['id']}: {criterion['description']}")
    mip = analysis.get("outputs", {}).get("mip")
    if mip:
        out.print(f"MIP with lesion contours: {mip}")
    radiomics = analysis.get("outputs", {}).get("radiomics")
    if radiomics:
        out.print(f"IBSI radiomic features of the lesions (pet preset): {radiomics}")
    else:
        out.print("use --out DIR to keep the MIP picture, the lesion table and the DICOM SEG")

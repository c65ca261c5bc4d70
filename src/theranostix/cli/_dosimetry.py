"""``thx dosimetry``: kinetics fits, organ absorbed dose and BED (thin layer over the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from theranostix.cli._common import JsonOption, console, emit_json, fail, user_errors

dosimetry_app = typer.Typer(
    help="Radionuclide therapy dosimetry: time-activity fits, organ dose, radiobiology.",
    no_args_is_help=True,
)

NuclideOption = Annotated[str, typer.Option("--nuclide", "-n", help="Radionuclide, e.g. Lu-177.")]
PHANTOMS = ("adult-male", "adult-female")


def _table(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console().print(table)


@dosimetry_app.command("fit")
def fit_command(
    tac: Annotated[Path, typer.Argument(help="CSV with columns time_h,activity_mbq[,sigma_mbq].")],
    nuclide: NuclideOption,
    relative_sigma: Annotated[
        float,
        typer.Option("--relative-sigma", help="Relative uncertainty of each point (no sigma_mbq)."),
    ] = 0.1,
    as_json: JsonOption = False,
) -> None:
    """Fit a time-activity curve: every model, the best by AICc, the TIA and its uncertainty."""
    from theranostix.dosimetry._kinetics import fit_tac, read_tac_csv

    with user_errors():
        time_h, activity_mbq, sigma = read_tac_csv(tac)
        fit = fit_tac(
            time_h, activity_mbq, nuclide=nuclide, sigma_mbq=sigma, relative_sigma=relative_sigma
        )
    report = fit.as_dict()
    if as_json:
        emit_json(report)
        return
    from rich.table import Table

    out = console()
    table = Table(title=f"{tac.name}: {nuclide} time-activity fits (best by AICc first)")
    for column in ("model", "AICc", "weight", "TIA MBq·h", "± MBq·h", "T_eff h", "note"):
        table.add_column(column, justify="left" if column in ("model", "note") else "right")
    for cand in sorted(report["candidates"], key=lambda c: (c.get("aicc") is None, c.get("aicc"))):
        table.add_row(
            cand["model"],
            _fmt(cand.get("aicc"), ".2f"),
            _fmt(cand.get("akaike_weight"), ".3f"),
            _fmt(cand.get("tia_mbq_h"), ".1f"),
            _fmt(cand.get("tia_uncertainty_mbq_h"), ".1f"),
            _fmt(cand.get("effective_half_life_h"), ".1f"),
            str(cand.get("reason") or ""),
        )
    out.print(table)
    line = f"selected: {report['model']}, TIA {report['tia_mbq_h']:.1f}"
    line += f" ± {report['tia_uncertainty_mbq_h']:.1f} MBq·h"
    if report.get("effective_half_life_h") is not None:
        line += f", effective half-life {report['effective_half_life_h']:.1f} h"
    out.print(line)


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


@dosimetry_app.command("organ")
def organ_command(
    nuclide: NuclideOption,
    organ: Annotated[str, typer.Option("--organ", help="Organ name, e.g. kidneys, liver.")],
    tia_mbq_h: Annotated[
        float, typer.Option("--tia-mbq-h", help="Time-integrated activity in the organ, MBq·h.")
    ],
    mass_g: Annotated[
        float | None, typer.Option("--mass-g", help="Patient organ mass (scales the self-dose).")
    ] = None,
    phantom: Annotated[
        str, typer.Option("--phantom", help=f"Reference phantom: {', '.join(PHANTOMS)}.")
    ] = "adult-male",
    as_json: JsonOption = False,
) -> None:
    """Self-dose of an organ from its own TIA (MIRD schema, reference-phantom S-values)."""
    from theranostix.dosimetry._organ import organ_dose

    if phantom not in PHANTOMS:
        fail(f"--phantom {phantom!r} is not one of {', '.join(PHANTOMS)}")
    with user_errors():
        report = organ_dose(nuclide, organ, tia_mbq_h, mass_g=mass_g, phantom=phantom)
    if as_json:
        emit_json(report)
        return
    rows = [
        ("organ", str(report["organ"])),
        ("TIA", f"{report['tia_mbq_h']:g} MBq·h"),
        ("mass", f"{report['mass_g']:g} g (phantom {report['phantom_mass_g']:g} g)"
         if report.get("mass_g") is not None else f"{report['phantom_mass_g']:g} g (phantom)"),
        ("method", str(report["method"])),
        ("absorbed dose", f"{report['dose_gy']:.3f} Gy"),
    ]  # fmt: skip
    _table(f"{report['nuclide']} organ dose ({report['phantom']})", rows)
    for note in report.get("notes", []):
        console().print(f"note: {note}")


@dosimetry_app.command("sphere")
def sphere_command(
    nuclide: NuclideOption,
    mass_g: Annotated[float, typer.Option("--mass-g", help="Sphere (lesion) mass, g.")],
    tia_mbq_h: Annotated[
        float | None,
        typer.Option("--tia-mbq-h", help="Time-integrated activity in the sphere, MBq·h."),
    ] = None,
    density: Annotated[
        float, typer.Option("--density-g-per-ml", help="Tissue density (1 for unit-density).")
    ] = 1.0,
    as_json: JsonOption = False,
) -> None:
    """Self S-value (and dose) of a uniform tissue sphere: the lesion sphere model."""
    from theranostix.dosimetry._sphere import sphere_model

    if tia_mbq_h is not None and not tia_mbq_h >= 0:
        fail(f"--tia-mbq-h must be a non-negative number, got {tia_mbq_h}")
    with user_errors():
        m = sphere_model(nuclide, mass_g, density_g_per_ml=density)
    report: dict[str, Any] = {
        "nuclide": m.nuclide,
        "mass_g": m.mass_g,
        "density_g_per_ml": density,
        "radius_cm": m.radius_cm,
        "s_value_mgy_per_mbq_s": m.s_value_mgy_per_mbq_s,
        "s_value_mgy_per_mbq_h": m.s_value_mgy_per_mbq_s * 3600.0,
        "electron_emitted_mev": m.electron_emitted_mev,
        "electron_absorbed_mev": m.electron_absorbed_mev,
        "electron_absorbed_fraction": m.electron_absorbed_fraction,
        "alpha_mev": m.alpha_mev,
        "photon_emitted_mev": m.photon_emitted_mev,
        "photon_absorbed_mev": m.photon_absorbed_mev,
        "photon_fraction_of_dose": m.photon_fraction,
        "tia_mbq_h": tia_mbq_h,
        "dose_gy": None if tia_mbq_h is None else tia_mbq_h * 3.6 * m.s_value_mgy_per_mbq_s,
    }
    if as_json:
        emit_json(report)
        return
    rows = [
        ("mass", f"{m.mass_g:g} g (radius {m.radius_cm:.3f} cm)"),
        ("S-value", f"{m.s_value_mgy_per_mbq_s:.4g} mGy/(MBq·s)"),
        ("electrons absorbed", f"{100 * m.electron_absorbed_fraction:.1f} %"),
        ("photon share of dose", f"{100 * m.photon_fraction:.1f} %"),
    ]
    if report["dose_gy"] is not None:
        rows.append(("absorbed dose", f"{report['dose_gy']:.3f} Gy"))
    _table(f"{m.nuclide} sphere model", rows)


@dosimetry_app.command("bed")
def bed_command(
    dose_gy: Annotated[float, typer.Option("--dose-gy", help="Absorbed dose, Gy.")],
    effective_half_life_h: Annotated[
        float, typer.Option("--effective-half-life-h", help="Effective half-life of the dose rate.")
    ],
    alpha_beta_gy: Annotated[float, typer.Option("--alpha-beta-gy", help="alpha/beta, Gy.")],
    repair_half_time_h: Annotated[
        float, typer.Option("--repair-half-time-h", help="Sublethal damage repair half-time, h.")
    ],
    uptake_half_life_h: Annotated[
        float | None,
        typer.Option("--uptake-half-life-h", help="Uptake half-life (uptake-washout dose rate)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Biologically effective dose and EQD2 of one administration (Lea-Catcheside factor)."""
    from theranostix.dosimetry._radiobiology import ExponentialDoseRate, eqd2_gy
    from theranostix.dosimetry._radiobiology import bed_gy as compute_bed

    with user_errors():
        rate = (
            ExponentialDoseRate.mono(effective_half_life_h)
            if uptake_half_life_h is None
            else ExponentialDoseRate.uptake_washout(effective_half_life_h, uptake_half_life_h)
        )
        g = rate.lea_catcheside_factor(repair_half_time_h)
        bed = compute_bed(
            dose_gy, alpha_beta_gy=alpha_beta_gy, repair_half_time_h=repair_half_time_h,
            dose_rate=rate,
        )  # fmt: skip
        eqd2 = eqd2_gy(bed, alpha_beta_gy)
    report = {
        "dose_gy": dose_gy,
        "effective_half_life_h": effective_half_life_h,
        "uptake_half_life_h": uptake_half_life_h,
        "alpha_beta_gy": alpha_beta_gy,
        "repair_half_time_h": repair_half_time_h,
        "g_factor": g,
        "bed_gy": bed,
        "eqd2_gy": eqd2,
    }
    if as_json:
        emit_json(report)
        return
    _table(
        "Biologically effective dose",
        [
            ("absorbed dose", f"{dose_gy:g} Gy"),
            ("Lea-Catcheside G", f"{g:.4f}"),
            ("BED", f"{bed:.2f} Gy"),
            ("EQD2", f"{eqd2:.2f} Gy"),
        ],
    )


@dosimetry_app.command("run")
def run_command(
    study: Annotated[
        Path, typer.Argument(help="Study folder (spect/<h>h/nm, ct; organs SEG) or TOML file.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--out", help="Folder for the dose map, results and plots.")
    ],
    phantom: Annotated[
        str, typer.Option("--phantom", help=f"Reference phantom: {', '.join(PHANTOMS)}.")
    ] = "adult-male",
    deformable: Annotated[
        bool, typer.Option("--deformable", help="B-spline refinement of the CT registration.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Image-based dosimetry: TACs per VOI, organ/lesion doses, voxel dose map and DVHs."""
    from theranostix.dosimetry._workflow import load_study, run_dosimetry, write_dosimetry_outputs

    if phantom not in PHANTOMS:
        fail(f"--phantom {phantom!r} is not one of {', '.join(PHANTOMS)}")
    with user_errors():
        timepoints, masks, options = load_study(study)
        result = run_dosimetry(
            timepoints,
            masks,
            nuclide=str(options.get("nuclide", "Lu-177")),
            phantom=str(options.get("phantom", phantom)),
            reference=int(options.get("reference", 0)),
            register=bool(options.get("register", True)),
            deformable=bool(options.get("deformable", deformable)),
        )
        reference = timepoints[int(options.get("reference", 0))].spect
        written = write_dosimetry_outputs(result, output, reference=reference)
    report = result.as_dict()
    report["outputs"] = {key: str(path) for key, path in written.items()}
    if as_json:
        emit_json(report)
        return
    from rich.table import Table

    out = console()
    table = Table(title=f"{result.nuclide} dosimetry ({result.phantom}), "
                  f"time points {', '.join(f'{t:g}' for t in result.time_h)} h")  # fmt: skip
    for column in ("VOI", "kind", "mass g", "model", "TIA MBq·h", "±", "dose Gy", "voxel mean Gy",
                   "D98-D2 Gy"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("VOI", "kind", "model") else "right")
    for v in result.vois:
        table.add_row(
            v.name, v.kind, f"{v.mass_g:.0f}", v.fit.model, f"{v.fit.tia_mbq_h:.0f}",
            f"{v.fit.tia_uncertainty_mbq_h:.0f}", _fmt(v.dose_gy, ".2f"),
            "-" if v.voxel is None else f"{v.voxel.mean_gy:.2f}",
            "-" if v.voxel is None else f"{v.voxel.d98_gy:.2f}-{v.voxel.d2_gy:.2f}",
        )  # fmt: skip
    out.print(table)
    for note in result.notes:
        out.print(f"note: {note}")
    for key, path in written.items():
        out.print(f"written: {path} ({key})")

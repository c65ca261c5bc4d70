"""``thx pet analyze``, ``thx pet eligibility`` and ``thx pet response``.

Thin commands over :func:`theranostix.biomarkers.analyze_study`,
:func:`theranostix.biomarkers.write_study_outputs` and
:func:`theranostix.biomarkers.assess_response`; only typer and the standard
library are imported at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from theranostix.cli._common import JSON_OPTION_HELP, console, emit_json, fail, user_errors
from theranostix.cli._pet import NORMALIZATIONS, pet_app

METHODS = ("percist", "percist-blood-pool", "suv2.5", "suv4.0", "41pct", "50pct", "user")
TRACERS = ("fdg", "psma", "sstr", "fapi", "other")

CtOption = Annotated[
    Path | None,
    typer.Option("--ct", help="CT series folder: finds the liver when --organs has no liver."),
]
OrgansOption = Annotated[
    Path | None,
    typer.Option(
        "--organs",
        help="Organ masks: RTSTRUCT, SEG or NIfTI/NRRD label map (physiological uptake, "
        "references, lesion locations).",
    ),
]
MethodOption = Annotated[
    str, typer.Option("--method", help=f"Lesion delineation: {', '.join(METHODS)}.")
]
TracerOption = Annotated[str, typer.Option("--tracer", help=f"Tracer: {', '.join(TRACERS)}.")]
NormOption = Annotated[
    str, typer.Option("--norm", help=f"SUV normalisation: {', '.join(NORMALIZATIONS)}.")
]
AllowOption = Annotated[
    list[str],
    typer.Option("--allow", help="KEY=VALUE replacing a DICOM value (see thx pet suv)."),
]
TzOption = Annotated[
    str | None, typer.Option("--tz", help="IANA zone of DICOM times without offset.")
]
BackgroundOption = Annotated[
    bool,
    typer.Option(
        "--background-corrected",
        help="Fixed-fraction methods: threshold B + f(SUVmax - B) with the local background B.",
    ),
]
MinVolumeOption = Annotated[
    float, typer.Option("--min-volume-ml", help="Drop lesions smaller than this (mL).")
]
ProtocolOption = Annotated[
    str | None,
    typer.Option(
        "--protocol",
        help="Eligibility protocol: vision-psma, krenning-sstr or a TOML file (default by tracer).",
    ),
]
ComparisonOption = Annotated[
    Path | None,
    typer.Option(
        "--comparison",
        help="CSV of CT/FDG lesions (name,category,short_axis_mm,suv_max) for PSMA-negative "
        "disease.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help=JSON_OPTION_HELP)]


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    text = value.strip().lower()
    if text not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=option)
    return text


def _references(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        name, sep, mask = spec.partition("=")
        if not sep or not name.strip() or not mask.strip():
            fail(f"--reference {spec!r}: expected NAME=FILE[:ROI], e.g. liver=liver.nii.gz")
        out[name.strip()] = mask.strip()
    return out


def _seeds(specs: list[str]) -> list[tuple[float, float, float]] | None:
    if not specs:
        return None
    seeds = []
    for spec in specs:
        try:
            x, y, z = (float(v) for v in spec.split(","))
        except ValueError:
            fail(f"--seed {spec!r}: expected three LPS coordinates in mm, e.g. -40,20,-95")
        seeds.append((x, y, z))
    return seeds


@pet_app.command("analyze")
def analyze_command(
    pet: Annotated[Path, typer.Argument(help="PET DICOM series folder (or one file).")],
    ct: CtOption = None,
    organs: OrgansOption = None,
    method: MethodOption = "percist",
    tracer: TracerOption = "other",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--out",
            help="Folder for lesions.csv, summary.json, lesions.nii.gz, lesions_seg.dcm, mip.png.",
        ),
    ] = None,
    norm: NormOption = "bw",
    allow: AllowOption = [],  # noqa: B006 - typer reads the default
    reference: Annotated[
        list[str],
        typer.Option("--reference", help="NAME=FILE[:ROI]: a reference region drawn by you."),
    ] = [],  # noqa: B006
    lesions: Annotated[
        str | None, typer.Option("--lesions", help="FILE[:ROI] of the lesions for --method user.")
    ] = None,
    seed: Annotated[
        list[str], typer.Option("--seed", help="x,y,z (LPS mm): grow a fixed-fraction lesion here.")
    ] = [],  # noqa: B006
    background_corrected: BackgroundOption = False,
    min_volume_ml: MinVolumeOption = 0.5,
    protocol: ProtocolOption = None,
    comparison: ComparisonOption = None,
    series_uid: Annotated[str | None, typer.Option("--series", help="SeriesInstanceUID.")] = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lesions, tumour burden and eligibility of a whole-body PET."""
    from theranostix.biomarkers import analysis_report, analyze_study, write_study_outputs

    method = _check_choice(method, METHODS, "--method")
    tracer = _check_choice(tracer, TRACERS, "--tracer")
    norm = _check_choice(norm, NORMALIZATIONS, "--norm")
    with user_errors():
        study = analyze_study(
            pet, ct_path=ct, organs_path=organs, method=method, tracer=tracer,
            normalization=norm, allow=allow or None, series_uid=series_uid, tz=tz,
            reference_masks=_references(reference) or None, lesion_mask=lesions,
            seeds_mm=_seeds(seed), min_volume_ml=min_volume_ml,
            background_correction=background_corrected, protocol=protocol, comparison=comparison,
        )  # fmt: skip
        report = analysis_report(study)
        if output is not None:
            written = write_study_outputs(study, output)
            report["outputs"] = {key: str(path) for key, path in written.items()}
    if as_json:
        emit_json(report)
        return
    _print_analysis(report)


def _print_analysis(report: dict[str, Any]) -> None:
    from rich.table import Table

    from theranostix.cli._common import to_plain

    plain = to_plain(report)
    out = console()
    unit = plain["unit"]
    p = plain["patient"]
    table = Table(title=f"{plain['tracer'].upper()} PET lesions ({plain['method']}, {unit})")
    for column in ("#", "location", f"{unit}max", f"{unit}peak", f"{unit}mean", "MTV mL",
                   "TLG", "axes mm", "centroid mm (LPS)"):  # fmt: skip
        table.add_column(column, justify="left" if column == "location" else "right")
    for les in plain["lesions"]:
        table.add_row(
            str(les["label"]), les["location"] or "-", f"{les['suv_max']:.2f}",
            f"{les['suv_peak']:.2f}", f"{les['suv_mean']:.2f}", f"{les['mtv_ml']:.2f}",
            f"{les['tlg']:.1f}", f"{les['long_axis_mm']:.0f} x {les['short_axis_mm']:.0f}",
            ", ".join(f"{v:.0f}" for v in les["centroid_mm"]),
        )  # fmt: skip
    out.print(table)
    line = f"{p['lesion_count']} lesion(s), TMTV {p['tmtv_ml']:.1f} mL, TLG {p['tlg_total']:.1f}"
    if p["dmax_mm"] is not None:
        line += f", Dmax {p['dmax_mm']:.0f} mm"
    if p["sdmax_m_inv"] is not None:
        line += f" (SDmax {p['sdmax_m_inv']:.3f} m⁻¹)"
    if p["suv_max"] is not None:
        line += f", hottest {unit}max {p['suv_max']:.2f} / {unit}peak {p['suv_peak']:.2f}"
    out.print(line)
    for name, ref in p["reference"].items():
        out.print(
            f"reference {name}: mean {ref['mean']:.2f}, SD {ref['sd']:.2f} "
            f"({ref['volume_ml']:.1f} mL; {ref['method']})"
        )
    if plain["detection_threshold"] is not None:
        out.print(f"detection threshold: {plain['detection_threshold']:.2f} {unit}")
    if plain["eligibility"]:
        _print_eligibility(plain["eligibility"], out)
    for key, path in (plain.get("outputs") or {}).items():
        out.print(f"written {key}: {path}")
    for note in plain["notes"]:
        out.print(f"note: {note}")


def _print_eligibility(result: dict[str, Any], out: Any) -> None:
    from rich.table import Table

    protocol = result["protocol"]
    table = Table(
        title=f"Eligibility: {protocol['title']} ({protocol['id']} {protocol['version']})"
    )
    table.add_column("criterion")
    table.add_column("status")
    table.add_column("detail")
    for criterion in result["criteria"]:
        table.add_row(criterion["id"], criterion["status"], criterion.get("detail") or "")
    out.print(table)
    out.print(f"verdict: {result['verdict'].replace('_', ' ').upper()}")
    for reason in result.get("reasons") or ():
        out.print(f"  because: {reason}")
    for warning in result.get("warnings") or ():
        out.print(f"  warning: {warning}")


@pet_app.command("eligibility")
def eligibility_command(
    pet: Annotated[Path, typer.Argument(help="PSMA or SSTR PET DICOM series folder.")],
    tracer: TracerOption = "psma",
    organs: OrgansOption = None,
    ct: CtOption = None,
    protocol: ProtocolOption = None,
    comparison: ComparisonOption = None,
    method: MethodOption = "41pct",
    norm: NormOption = "bw",
    allow: AllowOption = [],  # noqa: B006
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Whether a PSMA or SSTR PET allows radioligand therapy, criterion by criterion."""
    from theranostix.biomarkers import analyze_study

    tracer = _check_choice(tracer, TRACERS, "--tracer")
    with user_errors():
        study = analyze_study(
            pet, ct_path=ct, organs_path=organs, method=_check_choice(method, METHODS, "--method"),
            tracer=tracer, normalization=_check_choice(norm, NORMALIZATIONS, "--norm"),
            allow=allow or None, tz=tz, protocol=protocol, comparison=comparison,
        )  # fmt: skip
        if study.eligibility is None:
            fail(
                f"no eligibility protocol for tracer {tracer!r}: give --protocol "
                "(vision-psma, krenning-sstr or a TOML file)"
            )
    result = study.eligibility.as_dict()
    if as_json:
        emit_json(
            {
                "source": str(pet),
                "tracer": tracer,
                "eligibility": result,
                "lesion_count": study.analysis.summary.lesion_count,
            }
        )
        return
    from theranostix.cli._common import to_plain

    _print_eligibility(to_plain(result), console())


@pet_app.command("response")
def response_command(
    baseline: Annotated[Path, typer.Argument(help="Baseline PET DICOM series folder.")],
    followup: Annotated[Path, typer.Argument(help="Follow-up PET DICOM series folder.")],
    criteria: Annotated[
        str, typer.Option("--criteria", help="percist-1.0 (SULpeak) or eortc-1999 (SUVmax).")
    ] = "percist-1.0",
    tracer: TracerOption = "fdg",
    method: MethodOption = "percist",
    norm: Annotated[
        str | None,
        typer.Option("--norm", help="SUV normalisation (default: lbm-james for PERCIST, else bw)."),
    ] = None,
    organs_baseline: Annotated[
        Path | None, typer.Option("--organs-baseline", help="Organ masks of the baseline.")
    ] = None,
    organs_followup: Annotated[
        Path | None, typer.Option("--organs-followup", help="Organ masks of the follow-up.")
    ] = None,
    ct_baseline: Annotated[
        Path | None, typer.Option("--ct-baseline", help="CT of the baseline.")
    ] = None,
    ct_followup: Annotated[
        Path | None, typer.Option("--ct-followup", help="CT of the follow-up.")
    ] = None,
    max_distance_mm: Annotated[
        float, typer.Option("--max-distance-mm", help="Largest distance for matching lesions.")
    ] = 30.0,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Treatment response between two PET scans (PERCIST 1.0 or EORTC 1999)."""
    from theranostix.biomarkers import analyze_study, assess_response

    tracer = _check_choice(tracer, TRACERS, "--tracer")
    method = _check_choice(method, METHODS, "--method")
    if norm is None:
        norm = "lbm-james" if criteria.lower().startswith("percist") else "bw"
    norm = _check_choice(norm, NORMALIZATIONS, "--norm")
    with user_errors():
        scans = [
            analyze_study(path, ct_path=ct_path, organs_path=organs_path, method=method,
                          tracer=tracer, normalization=norm, tz=tz, eligibility=False).analysis
            for path, ct_path, organs_path in (
                (baseline, ct_baseline, organs_baseline), (followup, ct_followup, organs_followup)
            )
        ]  # fmt: skip
        result = assess_response(scans[0], scans[1], criteria, max_distance_mm=max_distance_mm)
    report = result.as_dict()
    if as_json:
        emit_json({"baseline": str(baseline), "followup": str(followup), "response": report})
        return
    from theranostix.cli._common import to_plain

    plain = to_plain(report)
    out = console()
    out.print(f"{plain['criteria']}: {plain['category']}")
    for key in ("baseline_value", "followup_value", "change", "change_pct"):
        if plain.get(key) is not None:
            out.print(f"  {key.replace('_', ' ')}: {plain[key]:.3f}")
    if plain.get("new_lesions"):
        out.print(f"  new lesions: {', '.join(str(v) for v in plain['new_lesions'])}")
    for reason in plain.get("reasons") or ():
        out.print(f"  because: {reason}")
    for warning in plain.get("warnings") or ():
        out.print(f"  warning: {warning}")

"""``thx phantom make``: write a seeded synthetic patient as DICOM with its ground truth.

A thin layer over :func:`theranostix.phantoms.make_patient` and
:func:`theranostix.phantoms.write_patient`; only typer and the standard library
are imported at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from theranostix.cli._common import JSON_OPTION_HELP, console, emit_json, fail

phantom_app = typer.Typer(
    help="Synthetic patients: CT, PET, Lu-177 SPECT/CT, RTSTRUCT and SEG with ground truth.",
    no_args_is_help=True,
)


def _timepoints(text: str | None) -> tuple[float, ...]:
    """``"4,24,96,168"`` -> (4.0, 24.0, 96.0, 168.0); empty -> ()."""
    if text is None or not text.strip():
        return ()
    values = []
    for part in text.split(","):
        try:
            values.append(float(part.strip().removesuffix("h")))
        except ValueError:
            fail(f"--lutetium-timepoints: {part.strip()!r} is not a number of hours (e.g. 4,24,96)")
    return tuple(values)


@phantom_app.command("make")
def make_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created).")],
    tracer: Annotated[
        str, typer.Option("--tracer", help="PET tracer: fdg, psma (Ga-68-PSMA-11) or sstr.")
    ] = "psma",
    lesions: Annotated[int, typer.Option("--lesions", help="Number of lesions.", min=0)] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed: same seed, same patient.")] = 0,
    lutetium_timepoints: Annotated[
        str | None,
        typer.Option(
            "--lutetium-timepoints",
            help="Lu-177 SPECT/CT times after therapy in hours, e.g. 4,24,96,168 "
            "(psma and sstr only; none by default).",
        ),
    ] = None,
    voxel_mm: Annotated[
        float, typer.Option("--voxel", help="Isotropic voxel size in mm (4 by default).")
    ] = 4.0,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_OPTION_HELP)] = False,
) -> None:
    """Write a seeded synthetic patient as DICOM with its ground truth.

    Writes DIR/ct, DIR/pet, DIR/organs.dcm (RTSTRUCT), DIR/organs_seg.dcm (SEG),
    DIR/spect/<h>h/ for each Lu-177 time point and DIR/ground_truth.json.

    Example: thx phantom make --out patient1 --tracer psma --lesions 3 --seed 1
    --lutetium-timepoints 4,24,96,168
    """
    times = _timepoints(lutetium_timepoints)
    try:
        from theranostix.phantoms import make_patient, write_patient

        patient = make_patient(tracer, lesions=lesions, seed=seed, voxel_mm=voxel_mm)
        write_patient(patient, out, lutetium_timepoints_h=times)
    except ValueError as exc:  # ThxError derives from ValueError
        lines = str(exc).splitlines()
        fail(lines[0] if lines else type(exc).__name__)
    import json

    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    payload: dict[str, Any] = {
        "out": str(out),
        "tracer": truth["tracer"],
        "seed": truth["seed"],
        "files": truth["files"],
        "ground_truth": str(out / "ground_truth.json"),
        "lesions": truth["lesions"],
    }
    if "organs" in truth:
        payload["organs"] = [
            {k: o[k] for k in ("name", "mass_g", "tia_mbq_h")} for o in truth["organs"]
        ]
    if as_json:
        emit_json(payload)
        return
    from rich.table import Table

    table = Table(title=f"{truth['pet']['radiopharmaceutical']} phantom (seed {seed}) in {out}")
    for name in ("lesion", "site", "diameter (mm)", "volume (mL)", "SUVmax"):
        table.add_column(name, justify="left" if name in ("lesion", "site") else "right")
    for lesion in truth["lesions"]:
        table.add_row(
            lesion["name"],
            lesion["site"],
            f"{lesion['diameter_mm']:.1f}",
            f"{lesion['volume_ml']:.2f}",
            f"{lesion['suv_max']:.2f}",
        )
    out_console = console()
    out_console.print(table)
    if "organs" in payload:
        organs = Table(title="Lu-177 time-integrated activity")
        for name in ("organ", "mass (g)", "TIA (MBq·h)"):
            organs.add_column(name, justify="left" if name == "organ" else "right")
        for organ in payload["organs"]:
            organs.add_row(organ["name"], f"{organ['mass_g']:.1f}", f"{organ['tia_mbq_h']:.1f}")
        out_console.print(organs)

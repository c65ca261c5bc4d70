"""``thx radiomics IMAGE MASK``: IBSI 1 features of a region, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from theranostix.cli._common import JSON_OPTION_HELP, console, emit_json, fail, user_errors

NORMALIZATIONS = ("bw", "lbm-james", "lbm-janmahasatian", "bsa", "ibw", "none")


def radiomics_features(
    image_path: Path,
    mask_spec: str,
    *,
    config: str = "pet",
    norm: str = "bw",
    families: list[str] | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    """The features of ``thx radiomics`` and a description of the run.

    A PET image in Bq/mL is converted to SUV (``norm``; ``"none"`` keeps Bq/mL).
    """
    from theranostix.imaging import ImageUnit, load_mask, read_image, to_suv
    from theranostix.radiomics import extract_features, load_settings

    settings = load_settings(config)
    image = read_image(image_path)
    unit = image.unit
    if unit is ImageUnit.BQ_PER_ML and norm != "none":
        image = to_suv(image, norm)
        unit = image.unit
    mask = load_mask(mask_spec, image.geometry)
    features = extract_features(image, mask, settings, families=families)
    run = {
        "image": str(image_path),
        "mask": mask_spec,
        "settings": settings.name,
        "unit": unit.value,
        "voxels": int(mask.array.sum()),
    }
    return features, run


def features_csv(features: dict[str, float]) -> str:
    """``tag,value`` rows (empty value for an undefined feature)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["tag", "value"])
    for tag, value in features.items():
        writer.writerow([tag, "" if math.isnan(value) else repr(float(value))])
    return buffer.getvalue()


def radiomics_command(
    image: Annotated[Path, typer.Argument(help="Image: NIfTI, NRRD or a DICOM series folder.")],
    mask: Annotated[
        str,
        typer.Argument(help="ROI: NIfTI/NRRD mask, RTSTRUCT or SEG; FILE:ROI selects one region."),
    ],
    config: Annotated[
        str,
        typer.Option(
            "--config",
            "-c",
            help="Settings: a preset (ibsi-digital, ibsi-A..ibsi-E, pet) or a TOML file.",
        ),
    ] = "pet",
    family: Annotated[
        list[str],
        typer.Option("--family", help="Compute only this family (repeatable); all by default."),
    ] = [],  # noqa: B006 - typer reads the default
    norm: Annotated[
        str,
        typer.Option(
            "--norm", help=f"SUV normalisation of a PET in Bq/mL: {', '.join(NORMALIZATIONS)}."
        ),
    ] = "bw",
    output: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write the features to this CSV file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_OPTION_HELP)] = False,
) -> None:
    """IBSI 1 radiomic features of a region (keys: the IBSI reference tags)."""
    from theranostix._files import atomic_write_text

    if norm not in NORMALIZATIONS:
        fail(f"--norm {norm!r} is not one of {', '.join(NORMALIZATIONS)}")
    with user_errors():
        features, run = radiomics_features(
            image, mask, config=config, norm=norm, families=family or None
        )
        if output is not None:
            atomic_write_text(output, features_csv(features))
    if as_json:
        emit_json(features)
        return
    _print(features, run, output)


def _print(features: dict[str, float], run: dict[str, Any], output: Path | None) -> None:
    from rich.table import Table

    out = console()
    out.print(
        f"IBSI features: {run['settings']} settings, {run['voxels']} voxels, "
        f"image unit {run['unit']}"
    )
    table = Table()
    table.add_column("tag")
    table.add_column("value", justify="right")
    for tag, value in features.items():
        table.add_row(tag, "NaN" if math.isnan(value) else f"{value:.6g}")
    out.print(table)
    if output is not None:
        out.print(f"written: {output}")

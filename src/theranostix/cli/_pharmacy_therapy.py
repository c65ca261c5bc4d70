"""``thx pharmacy therapy``: ordering ready-to-use therapy vials (Lu-177 preparations)."""

from __future__ import annotations

from typing import Annotated

import typer

from theranostix.cli._common import (
    JSON_OPTION_HELP,
    TZ_OPTION_HELP,
    console,
    emit_json,
    parse_when,
    user_errors,
)

therapy_app = typer.Typer(
    help="Therapy preparations: order vials against their calibration date.",
    no_args_is_help=True,
)


@therapy_app.command("order")
def order_command(
    prescribed_gbq: Annotated[
        float, typer.Option("--prescribed-gbq", help="Activity to administer, GBq.")
    ],
    administration: Annotated[
        str, typer.Option("--administration", help="Planned administration time (ISO 8601).")
    ],
    calibration: Annotated[
        list[str],
        typer.Option("--calibration", help="A calibration time offered (repeatable, ISO 8601)."),
    ],
    shelf_life_h: Annotated[
        float, typer.Option("--shelf-life-h", help="Shelf life after calibration, h (supplier).")
    ],
    vial_gbq: Annotated[
        list[float] | None,
        typer.Option("--vial-gbq", help="Nominal vial activity at calibration (repeatable)."),
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Relative tolerance of the nominal activity.")
    ] = 0.10,
    product: Annotated[str, typer.Option("--product", help="Product name.")] = "Lu-177 therapy",
    nuclide: Annotated[str, typer.Option("--nuclide", "-n", help="Radionuclide.")] = "Lu-177",
    lu177m_ratio: Annotated[
        float,
        typer.Option("--lu177m-ratio", help="Lu-177m/Lu-177 ratio at calibration (c.a. Lu-177)."),
    ] = 0.0,
    tz: Annotated[str | None, typer.Option("--tz", help=TZ_OPTION_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_OPTION_HELP)] = False,
) -> None:
    """Which calibration date and vial size cover a prescribed activity at administration."""
    from theranostix.pharmacy._therapy import TherapyProduct, order_therapy

    with user_errors():
        prod = TherapyProduct(
            product,
            tuple(v * 1e9 for v in (vial_gbq or [7.4])),
            shelf_life_h * 3600.0,
            nuclide=nuclide,
            tolerance=tolerance,
            lu177m_ratio_at_calibration=lu177m_ratio,
        )
        order = order_therapy(
            prod,
            prescribed_gbq * 1e9,
            parse_when(administration, "--administration", tz),
            [parse_when(c, "--calibration", tz) for c in calibration],
        )
    report = order.as_dict()
    if as_json:
        emit_json(report)
        return
    from rich.table import Table

    table = Table(title=f"{product}: {prescribed_gbq:g} GBq at {administration}")
    for column in ("calibration", "needed GBq", "vial GBq", "min at admin GBq", "status"):
        table.add_column(column, justify="left" if column in ("calibration", "status") else "right")
    for o in report["options"]:
        table.add_row(
            o["calibration"].isoformat(timespec="minutes"),
            f"{o['required_at_calibration_gbq']:.3f}",
            "-" if o["vial_gbq"] is None else f"{o['vial_gbq']:g}",
            "-"
            if o["minimum_at_administration_gbq"] is None
            else f"{o['minimum_at_administration_gbq']:.3f}",
            o["reason"],
        )
    out = console()
    out.print(table)
    c = report["chosen"]
    out.print(
        f"order: {c['vial_gbq']:g} GBq calibrated {c['calibration'].isoformat(timespec='minutes')}"
        f" (expires {c['expiry'].isoformat(timespec='minutes')})"
    )
    if c["lu177m_at_calibration_kbq"]:
        out.print(f"Lu-177m in the vial at calibration: {c['lu177m_at_calibration_kbq']:.1f} kBq")

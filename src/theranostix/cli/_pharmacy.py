"""``thx pharmacy``: PET dispensing plans and therapy preparations."""

from __future__ import annotations

import typer

pharmacy_app = typer.Typer(
    help="Radiopharmacy: dispensing plans, Ga-68 days, batch records, therapy preparations.",
    no_args_is_help=True,
)

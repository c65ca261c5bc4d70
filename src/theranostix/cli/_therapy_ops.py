"""``thx riv``: radioligand-therapy operations (courses, rooms, release, waste)."""

from __future__ import annotations

import typer

riv_app = typer.Typer(
    help="Radioligand-therapy operations: courses, shielded rooms, release, waste.",
    no_args_is_help=True,
)

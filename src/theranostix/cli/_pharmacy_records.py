"""``thx pharmacy batch``: batch records, quality control, dispensed and administered doses."""

from __future__ import annotations

import typer

batch_app = typer.Typer(
    help="Batch records and traceability (append-only store).", no_args_is_help=True
)

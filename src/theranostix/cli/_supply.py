"""``thx supply``: production and delivery plans across a cyclotron network."""

from __future__ import annotations

import typer

supply_app = typer.Typer(help="Radionuclide supply network planning (HiGHS).", no_args_is_help=True)

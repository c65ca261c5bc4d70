"""``thx cyclotron``, ``thx generator`` and ``thx label`` commands (production domain)."""

from __future__ import annotations

import typer

cyclotron_app = typer.Typer(
    help="Cyclotron production: EOB activity, product activity, beam time.", no_args_is_help=True
)
generator_app = typer.Typer(help="Ge-68/Ga-68 and Mo-99/Tc-99m generators.", no_args_is_help=True)
labelling_app = typer.Typer(
    help="Radiolabelling: product activity from eluate.", no_args_is_help=True
)

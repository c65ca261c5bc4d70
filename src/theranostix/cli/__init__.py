"""The ``thx`` command line: thin commands over the theranostix library.

Each command parses its options (units and datetimes through
:mod:`theranostix.units`), calls one library function and prints a table or,
with ``--json``, one JSON object on stdout. User errors print one line on
stderr and exit with code 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from theranostix.cli import _nuclide, _production
from theranostix.cli._demo import demo

app = typer.Typer(
    name="thx",
    help="theranostix: radionuclides, production, radiopharmacy and dosimetry for theranostics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(_nuclide.nuclide_app, name="nuclide")
app.command("decay")(_nuclide.decay_command)
app.add_typer(_production.cyclotron_app, name="cyclotron")
app.add_typer(_production.generator_app, name="generator")
app.add_typer(_production.labelling_app, name="label")
app.command("demo")(demo)


def _show_version(value: bool) -> None:
    if value:
        from theranostix import __version__

        typer.echo(f"theranostix {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
    ),
) -> None:
    """theranostix: radionuclides, production, radiopharmacy and dosimetry for theranostics."""


def main() -> None:
    """Entry point of the ``thx`` console script."""
    from theranostix.errors import ThxError

    try:
        app()
    except ThxError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except ValueError as exc:  # invalid argument values caught by library validation
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)

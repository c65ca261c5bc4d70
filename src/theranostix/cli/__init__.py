"""The ``thx`` command line: thin commands over the theranostix library.

Each command parses its options (units and datetimes through
:mod:`theranostix.units`), calls one library function and prints a table or,
with ``--json``, one JSON object on stdout. User errors print one line on
stderr and exit with code 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

import theranostix.cli._phantom as _phantom
from theranostix.cli import _nuclide, _pet, _production
from theranostix.cli import _pet_analysis as _pet_analysis  # registers pet analyze/...
from theranostix.cli._demo import demo
from theranostix.cli._dosimetry import dosimetry_app
from theranostix.cli._pharmacy import pharmacy_app
from theranostix.cli._pharmacy_records import batch_app
from theranostix.cli._pharmacy_therapy import therapy_app
from theranostix.cli._radiomics import radiomics_command
from theranostix.cli._supply import supply_app
from theranostix.cli._therapy_ops import riv_app

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
app.add_typer(_pet.pet_app, name="pet")
app.command("demo")(demo)
app.command("radiomics")(radiomics_command)
app.add_typer(_phantom.phantom_app, name="phantom")
app.add_typer(dosimetry_app, name="dosimetry")
pharmacy_app.add_typer(batch_app, name="batch")
pharmacy_app.add_typer(therapy_app, name="therapy")
app.add_typer(pharmacy_app, name="pharmacy")
app.add_typer(supply_app, name="supply")
app.add_typer(riv_app, name="riv")


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


def _click_exceptions() -> Any:
    """The exception module of the Click that typer runs on (vendored since typer 0.24)."""
    try:
        from typer._click import exceptions
    except ImportError:  # older typer runs on the click package
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


def _warnings_as_lines() -> None:
    """Print library warnings (skipped files, reinterpreted values) as ``warning: ...`` lines."""
    import warnings

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        sys.stderr.write(f"warning: {message}\n")

    warnings.showwarning = show


def main() -> None:
    """Entry point of the ``thx`` console script.

    Every user error, including Click's usage errors (a missing option, a value
    that is not a number), is printed as one line on stderr with exit code 2.
    """
    from theranostix.errors import ThxError

    click = _click_exceptions()
    _warnings_as_lines()
    try:
        code = app(standalone_mode=False)
    except click.NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            typer.echo(exc.ctx.get_help())
        sys.exit(0)
    except click.UsageError as exc:
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        sys.stderr.write(f"error: {exc.format_message()}{where}\n")
        sys.exit(2)
    except click.ClickException as exc:
        sys.stderr.write(f"error: {exc.format_message()}\n")
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    except (ThxError, ValueError) as exc:  # library validation of user input
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)

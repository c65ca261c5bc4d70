"""Helpers shared by the ``thx`` commands: output, errors, option parsing.

Only the standard library and typer are imported at module level, so that
``thx --help`` starts fast; commands import the library inside their bodies.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer

from theranostix._json import to_plain as to_plain

JSON_OPTION_HELP = "Print one JSON object on stdout instead of a table."


def emit_json(payload: dict[str, Any]) -> None:
    """Write ``payload`` as one JSON object on stdout."""
    sys.stdout.write(json.dumps(to_plain(payload), indent=2, ensure_ascii=False) + "\n")


@contextmanager
def user_errors() -> Iterator[None]:
    """Report library errors (ThxError, ValueError) as one line on stderr with exit code 2."""
    try:
        yield
    except ValueError as exc:  # ThxError derives from ValueError
        lines = str(exc).splitlines()
        fail(lines[0] if lines else type(exc).__name__)


def fail(message: str) -> NoReturn:
    """Report a user error on one line of stderr and exit with code 2."""
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code=2)


def console() -> Any:
    """A rich console on stdout (imported lazily); 120 columns when not a terminal."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def parse_when(text: str, name: str, tz: str | None) -> datetime:
    """Read an ISO 8601 datetime option; ``tz`` applies to one without offset."""
    from theranostix.units import parse_datetime

    return parse_datetime(text, name=name, tz=tz)


TZ_OPTION_HELP = (
    "IANA time zone (e.g. Europe/Paris) for datetimes written without an offset. "
    "Without it such datetimes are refused."
)
#: The ``--json`` flag of every computing command.
JsonOption = Annotated[bool, typer.Option("--json", help=JSON_OPTION_HELP)]
#: The ``--tz`` option for datetimes written without an offset.
TzOption = Annotated[str | None, typer.Option("--tz", help=TZ_OPTION_HELP)]

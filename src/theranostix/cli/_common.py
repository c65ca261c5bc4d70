"""Helpers shared by the ``thx`` commands: output, errors, option parsing.

Only the standard library and typer are imported at module level, so that
``thx --help`` starts fast; commands import the library inside their bodies.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime
from typing import Any, NoReturn

import typer

JSON_OPTION_HELP = "Print one JSON object on stdout instead of a table."


def _jsonable(value: Any) -> Any:
    """Convert NumPy scalars/arrays, enums and datetimes to JSON types."""
    import enum

    if isinstance(value, dict):
        return {str(_jsonable(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def emit_json(payload: dict[str, Any]) -> None:
    """Write ``payload`` as one JSON object on stdout."""
    sys.stdout.write(json.dumps(_jsonable(payload), indent=2, ensure_ascii=False) + "\n")


def fail(message: str) -> NoReturn:
    """Report a user error on one line of stderr and exit with code 2."""
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code=2)


def console() -> Any:
    """A rich console on stdout (imported lazily)."""
    from rich.console import Console

    return Console(highlight=False)


def parse_when(text: str, name: str, tz: str | None) -> datetime:
    """Read an ISO 8601 datetime option; ``tz`` applies to one without offset."""
    from theranostix.units import parse_datetime

    return parse_datetime(text, name=name, tz=tz)


TZ_OPTION_HELP = (
    "IANA time zone (e.g. Europe/Paris) for datetimes written without an offset. "
    "Without it such datetimes are refused."
)

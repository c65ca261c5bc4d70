"""Library results to JSON-ready values (shared by the CLI and the writers of reports)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

__all__ = ["to_plain"]


def to_plain(value: Any) -> Any:
    """Library results to JSON types, recursively.

    Dataclasses become dicts, nuclides their names, enums their values,
    datetimes ISO 8601 strings, NumPy scalars and arrays numbers and lists,
    non-finite floats ``null`` / ``"Infinity"``.
    """
    import dataclasses
    import enum

    from theranostix.nuclides import Nuclide

    if isinstance(value, Nuclide):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return to_plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value

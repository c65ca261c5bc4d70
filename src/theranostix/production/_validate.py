"""Checks of numeric and datetime inputs shared by the production modules.

Every message names the parameter, the value found and what is allowed.
"""

from __future__ import annotations

import math

from theranostix.errors import ThxError

__all__ = ["fraction", "non_negative", "positive", "positive_int_or_none"]


def _number(value: float, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ThxError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ThxError(f"{name} must be a finite number, got {value!r}")
    return number


def positive(value: float, name: str, unit: str = "") -> float:
    """Return ``value`` as a float if it is finite and > 0, else raise naming ``name``."""
    number = _number(value, name)
    if number <= 0:
        shown = f"{value!r} {unit}".strip()
        raise ThxError(f"{name} must be > 0{' ' + unit if unit else ''}, got {shown}")
    return number


def non_negative(value: float, name: str, unit: str = "") -> float:
    """Return ``value`` as a float if it is finite and >= 0, else raise naming ``name``."""
    number = _number(value, name)
    if number < 0:
        shown = f"{value!r} {unit}".strip()
        raise ThxError(f"{name} must be >= 0{' ' + unit if unit else ''}, got {shown}")
    return number


def fraction(value: float, name: str) -> float:
    """Return ``value`` if 0 < value <= 1 (a yield or an efficiency), else raise."""
    number = _number(value, name)
    if not 0.0 < number <= 1.0:
        hint = " (give a fraction, e.g. 0.7 for 70 %)" if 1.0 < number <= 100.0 else ""
        raise ThxError(f"{name} must be a fraction with 0 < {name} <= 1, got {value!r}{hint}")
    return number


def positive_int_or_none(value: int | None, name: str) -> int | None:
    """Return ``value`` if it is None or an integer >= 1, else raise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ThxError(f"{name} must be a whole number >= 1 or None, got {value!r}")
    return value

"""Reading enums at the boundary: one parser for every string-valued enum of theranostix."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

from theranostix.errors import ThxError

__all__ = ["parse_enum"]

_E = TypeVar("_E", bound=enum.Enum)


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def parse_enum(
    cls: type[_E], value: object, what: str, aliases: Mapping[str, str] | None = None
) -> _E:
    """The member of ``cls`` whose value matches ``value``; a :class:`ThxError` otherwise.

    Matching ignores case, surrounding spaces, and the difference between ``-``,
    ``_`` and a space; ``aliases`` maps other spellings to member values.

    Examples
    --------
    >>> class Colour(enum.Enum):
    ...     DARK_RED = "dark-red"
    >>> parse_enum(Colour, "Dark_Red", "colour")
    <Colour.DARK_RED: 'dark-red'>
    >>> parse_enum(Colour, "blue", "colour")
    Traceback (most recent call last):
    theranostix.errors.ThxError: colour: 'blue' is not one of dark-red
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        text = (aliases or {}).get(value.strip().lower(), value)
        for member in cls:
            if _key(str(member.value)) == _key(text):
                return member
    allowed = ", ".join(str(m.value) for m in cls)
    raise ThxError(f"{what}: {value!r} is not one of {allowed}")

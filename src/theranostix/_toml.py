"""Reading the project's TOML data files: typed getters whose errors name the file and field.

Shared by the loaders of versioned data (eligibility protocols, organ-at-risk limits):
each ``TomlTable`` wraps one table of a parsed file and reports a bad value as
``FILE: dotted.path.to.field: what was expected``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar, overload

from theranostix._enums import parse_enum
from theranostix.errors import ThxError

__all__ = ["TomlTable"]

_E = TypeVar("_E", bound=enum.Enum)


class TomlTable:
    """A TOML table being read: typed getters whose errors name the file and the field."""

    def __init__(self, data: Mapping[str, Any], file: str, where: str) -> None:
        self.data = data
        self.file = file
        self.where = where
        self.used: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def error(self, key: str, message: str) -> ThxError:
        return ThxError(f"{self.file}: {self.path(key)}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, kind: type | tuple[type, ...], what: str, *, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.error(key, f"missing (expected {what})")
            return None
        value = self.data[key]
        bad_bool = isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,)
        )
        if bad_bool or not isinstance(value, kind):
            raise self.error(key, f"expected {what}, got {value!r}")
        return value

    def text(
        self, key: str, *, required: bool = True, default: str = "", non_empty: bool = False
    ) -> str:
        value = self.get(key, str, "a string", required=required)
        if value is not None and non_empty and not value.strip():
            raise self.error(key, "must not be empty")
        return default if value is None else str(value)

    def positive(self, key: str, unit: str) -> float:
        """A required finite number > 0 (in ``unit``)."""
        value = float(self.get(key, (int, float), f"a number ({unit})", required=True))
        if not math.isfinite(value) or value <= 0.0:
            raise self.error(key, f"must be a finite number > 0, got {value!r}")
        return value

    def number(self, key: str, *, required: bool = True) -> float | None:
        value = self.get(key, (int, float), "a number", required=required)
        return None if value is None else float(value)

    def integer(self, key: str, *, required: bool = True) -> int | None:
        value = self.get(key, int, "an integer", required=required)
        return None if value is None else int(value)

    def strings(
        self, key: str, *, required: bool = True, non_empty: bool = False
    ) -> tuple[str, ...]:
        value = self.get(key, list, "a list of strings", required=required)
        if value is None:
            return ()
        if (non_empty and not value) or not all(isinstance(v, str) and v.strip() for v in value):
            what = "a non-empty list" if non_empty else "a list"
            raise self.error(key, f"expected {what} of non-empty strings, got {value!r}")
        return tuple(str(v) for v in value)

    @overload
    def choice(self, key: str, cls: type[_E], *, required: Literal[True] = ...) -> _E: ...
    @overload
    def choice(self, key: str, cls: type[_E], *, required: bool) -> _E | None: ...
    def choice(self, key: str, cls: type[_E], *, required: bool = True) -> _E | None:
        value = self.get(key, str, "a string", required=required)
        if value is None:
            return None
        try:
            return parse_enum(cls, value, self.path(key))
        except ThxError as exc:
            raise ThxError(f"{self.file}: {exc}") from None

    def table(self, key: str, *, required: bool = True) -> TomlTable | None:
        value = self.get(key, dict, "a table", required=required)
        return None if value is None else TomlTable(value, self.file, self.path(key))

    def tables(
        self, key: str, *, required: bool = True, non_empty: bool = False
    ) -> list[TomlTable]:
        value = self.get(key, list, "an array of tables", required=required)
        if value is None:
            return []
        if (non_empty and not value) or not all(isinstance(v, dict) for v in value):
            what = "a non-empty array" if non_empty else "an array"
            raise self.error(key, f"expected {what} of tables, got {value!r}")
        return [TomlTable(v, self.file, f"{self.path(key)}[{n}]") for n, v in enumerate(value)]

    def finish(self, allowed: Iterable[str] | None = None) -> None:
        """Error on fields that were not read (or are not in ``allowed``)."""
        known = set(self.used if allowed is None else allowed)
        unknown = [k for k in self.data if k not in known]
        if unknown:
            raise self.error(
                unknown[0],
                f"unknown field (allowed here: {', '.join(sorted(known))})",
            )

    def only(self, allowed: Iterable[str]) -> None:
        """Error on any field not in ``allowed``."""
        self.finish(allowed)

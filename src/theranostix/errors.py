"""Exceptions raised by theranostix.

Every error a user can cause derives from :class:`ThxError`, carries a message
that names the offending input, what was found and what is allowed, and is
reported by the ``thx`` command line as one line with exit code 2.
"""

from __future__ import annotations

__all__ = [
    "NaiveDatetimeError",
    "ThxError",
    "UnitError",
    "UnknownNuclideError",
    "UnreachableActivityError",
]


class ThxError(ValueError):
    """Base class of the errors caused by user input."""


class UnitError(ThxError):
    """A quantity string could not be parsed, or its unit is not valid here."""


class UnknownNuclideError(ThxError):
    """A radionuclide name is not in the decay data.

    Attributes
    ----------
    name : str
        The name as given.
    suggestions : tuple of str
        Closest valid names, best first.
    """

    def __init__(self, name: str, suggestions: tuple[str, ...]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown radionuclide {name!r}{hint}")


class NaiveDatetimeError(ThxError):
    """A datetime without a timezone was given where a decay is computed."""


class UnreachableActivityError(ThxError):
    """A requested activity cannot be produced or delivered with the given inputs."""

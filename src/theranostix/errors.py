"""Exceptions raised by theranostix.

Every error a user can cause derives from :class:`ThxError`, carries a message
that names the offending input, what was found and what is allowed, and is
reported by the ``thx`` command line as one line with exit code 2.
"""

from __future__ import annotations

__all__ = [
    "DicomReadError",
    "DicomTagError",
    "InconsistentTagError",
    "MissingTagError",
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


class DicomReadError(ThxError):
    """A file or folder cannot be read as the image data expected; names the path.

    Attributes
    ----------
    path : str
        The file or folder at fault.
    """

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


class DicomTagError(ThxError):
    """A DICOM attribute needed for a computation is missing or unusable.

    Attributes
    ----------
    keyword : str
        DICOM keyword, e.g. ``"PatientWeight"``.
    tag : str
        Tag as ``"(gggg,eeee)"``.
    found : object
        The value found (``None`` when the attribute is absent or empty).
    allow : str or None
        The ``--allow`` key that overrides this value, when there is one.
    """

    def __init__(
        self,
        keyword: str,
        tag: str,
        message: str,
        *,
        found: object = None,
        allow: str | None = None,
        source: object = None,
    ) -> None:
        self.keyword = keyword
        self.tag = tag
        self.found = found
        self.allow = allow
        where = f" in {source}" if source is not None else ""
        hint = f"; override with --allow {allow}=VALUE" if allow else ""
        super().__init__(f"{keyword} {tag}{where}: {message}{hint}")


class MissingTagError(DicomTagError):
    """A required DICOM attribute is absent or empty."""


class InconsistentTagError(DicomTagError):
    """A DICOM attribute holds a value that is invalid or contradicts another."""

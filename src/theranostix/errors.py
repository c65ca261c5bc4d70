"""Exceptions raised by theranostix.

Every error a user can cause derives from :class:`ThxError`, carries a message
that names the offending input, what was found and what is allowed, and is
reported by the ``thx`` command line as one line with exit code 2.
"""

from __future__ import annotations

__all__ = [
    "DicomReadError",
    "DicomReadWarning",
    "DicomTagError",
    "InconsistentDoseError",
    "InconsistentHalfLifeError",
    "InconsistentTagError",
    "InconsistentTimingError",
    "InconsistentWeightError",
    "InjectionAfterScanError",
    "MissingBodySizeError",
    "MissingDecayCorrectionError",
    "MissingDoseError",
    "MissingHalfLifeError",
    "MissingInjectionTimeError",
    "MissingReferenceTimeError",
    "MissingScaleFactorError",
    "MissingTagError",
    "MissingUnitsError",
    "MissingWeightError",
    "NaiveDatetimeError",
    "NonZeroInterceptError",
    "ThxError",
    "UnitError",
    "UnknownNuclideError",
    "UnreachableActivityError",
    "UnsupportedUnitsError",
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


class DicomReadWarning(UserWarning):
    """A file was skipped or a value reinterpreted while reading; the message names it."""


# One type per item that an SUV computation can find missing or inconsistent, so
# that callers (and tests) can tell them apart. Each names its DICOM tag.
class MissingWeightError(MissingTagError):
    """Patient's Weight (0010,1030) is absent or zero."""


class InconsistentWeightError(InconsistentTagError):
    """Patient's Weight (0010,1030) is not a plausible body weight."""


class MissingBodySizeError(MissingTagError):
    """Patient's Size (0010,1020) or Patient's Sex (0010,0040), needed by LBM/BSA/IBW, is absent."""


class MissingDoseError(MissingTagError):
    """Radionuclide Total Dose (0018,1074) is absent or zero."""


class InconsistentDoseError(InconsistentTagError):
    """Radionuclide Total Dose (0018,1074) is neither a plausible value in Bq nor in MBq."""


class MissingInjectionTimeError(MissingTagError):
    """Radiopharmaceutical Start DateTime (0018,1078) and Start Time (0018,1072) are both absent."""


class InjectionAfterScanError(InconsistentTagError):
    """The administration time lies after the time the image refers to."""


class MissingHalfLifeError(MissingTagError):
    """Radionuclide Half Life (0018,1075) is absent and no radionuclide code identifies it."""


class InconsistentHalfLifeError(InconsistentTagError):
    """Radionuclide Half Life (0018,1075) contradicts the Radionuclide Code Sequence."""


class MissingDecayCorrectionError(MissingTagError):
    """Decay Correction (0054,1102) is absent."""


class MissingReferenceTimeError(MissingTagError):
    """No time to which a START decay correction refers can be established."""


class InconsistentTimingError(InconsistentTagError):
    """Acquisition times, frame durations or frame reference times contradict each other."""


class MissingUnitsError(MissingTagError):
    """Units (0054,1001) is absent."""


class UnsupportedUnitsError(InconsistentTagError):
    """Units (0054,1001) holds a unit that cannot be converted to activity concentration or SUV."""


class MissingScaleFactorError(MissingTagError):
    """CNTS/CPS values without the scale factor that converts them."""


class NonZeroInterceptError(InconsistentTagError):
    """Rescale Intercept (0028,1052) is not 0 in a PET image (DICOM requires 0)."""

"""The image types of theranostix: :class:`Geometry`, :class:`Volume` and :class:`Mask`.

Coordinate convention (the one place where it is documented)
------------------------------------------------------------
Positions are in millimetres in the DICOM **patient coordinate system (LPS)**:
+x towards the patient's left, +y towards the posterior, +z towards the head
(DICOM PS3.3 C.7.6.2.1.1). This is also the convention of ITK and SimpleITK.

A voxel array is indexed ``array[k, j, i]``: ``k`` is the slice, ``j`` the row
and ``i`` the column, as pydicom stacks slices and as
``SimpleITK.GetArrayFromImage`` returns them. The geometry is given in the
``(i, j, k)`` order, as in ITK:

- ``origin_mm``: LPS position of the centre of voxel ``(i, j, k) = (0, 0, 0)``;
- ``spacing_mm``: distance between voxel centres along ``i``, ``j`` and ``k``;
- ``direction``: 3x3 matrix whose **columns** are the unit LPS vectors of the
  ``i``, ``j`` and ``k`` axes (for a DICOM slice: row direction cosine, column
  direction cosine, slice normal).

So the LPS position of voxel ``(i, j, k)`` is
``origin_mm + direction @ (spacing_mm * (i, j, k))``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError

if TYPE_CHECKING:  # pragma: no cover
    from theranostix.nuclides import Nuclide

__all__ = [
    "DecayCorrection",
    "Geometry",
    "GeometryMismatchError",
    "ImageUnit",
    "Mask",
    "Modality",
    "PatientInfo",
    "Radiopharmaceutical",
    "Sex",
    "Timing",
    "Volume",
]

_GEOMETRY_TOLERANCE_MM = 1e-3


class GeometryMismatchError(ThxError):
    """Two images that must share a voxel grid do not."""


class ImageUnit(enum.Enum):
    """Physical unit of the voxel values of a :class:`Volume`."""

    BQ_PER_ML = "Bq/mL"
    """Activity concentration (DICOM Units ``BQML``)."""
    SUV = "SUV"
    """Standardised uptake value, g/mL for body-weight SUV (DICOM ``GML``)."""
    HU = "HU"
    """Hounsfield units (CT)."""
    COUNTS = "counts"
    """Detected counts per voxel (DICOM ``CNTS``)."""
    CPS = "cps"
    """Counts per second per voxel (DICOM ``CPS``)."""
    GY = "Gy"
    """Absorbed dose."""
    BQ_S_PER_ML = "Bq·s/mL"
    """Time-integrated activity concentration."""
    UNKNOWN = "unknown"
    """Values whose unit the source did not state (e.g. a NIfTI file)."""


class Modality(enum.Enum):
    """Imaging modality, with the DICOM Modality (0008,0060) codes as values."""

    PT = "PT"
    CT = "CT"
    NM = "NM"
    MR = "MR"
    RTDOSE = "RTDOSE"
    OT = "OT"


class DecayCorrection(enum.Enum):
    """Time to which voxel values are decay-corrected, DICOM (0054,1102)."""

    START = "START"
    """To the reference time of the acquisition (usually its start)."""
    ADMIN = "ADMIN"
    """To the time of administration of the radiopharmaceutical."""
    NONE = "NONE"
    """Not decay-corrected: each frame holds what was measured during it."""


class Sex(enum.Enum):
    """Patient sex as DICOM Patient's Sex (0010,0040) codes it."""

    MALE = "M"
    FEMALE = "F"
    OTHER = "O"


@dataclass(frozen=True)
class PatientInfo:
    """Body measures that SUV normalisations need (all optional).

    Attributes
    ----------
    weight_kg : float or None
        Patient's Weight (0010,1030).
    height_m : float or None
        Patient's Size (0010,1020).
    sex : Sex or None
        Patient's Sex (0010,0040).
    patient_id : str or None
        Patient ID (0010,0020).
    """

    weight_kg: float | None = None
    height_m: float | None = None
    sex: Sex | None = None
    patient_id: str | None = None


@dataclass(frozen=True)
class Radiopharmaceutical:
    """What was injected, how much and when.

    Attributes
    ----------
    nuclide : Nuclide or None
        The radionuclide (from the half-life or the radionuclide code).
    half_life_s : float or None
        Radionuclide Half Life (0018,1075) as stored, in seconds; used for
        decay corrections so that they agree with the scanner's own.
    injected_activity_bq : float or None
        Radionuclide Total Dose (0018,1074), in Bq.
    injection_time : datetime or None
        Radiopharmaceutical start (administration) datetime, timezone-aware.
    name : str or None
        Radiopharmaceutical (0018,0031), e.g. ``"Fluorodeoxyglucose"``.
    """

    nuclide: Nuclide | None = None
    half_life_s: float | None = None
    injected_activity_bq: float | None = None
    injection_time: datetime | None = None
    name: str | None = None


@dataclass(frozen=True)
class Timing:
    """When the voxel values were measured and to which time they refer.

    Attributes
    ----------
    acquisition_start : datetime or None
        Start of the acquisition (of the earliest frame), timezone-aware.
    frame_duration_s : float or None
        Actual Frame Duration (0018,1242) in seconds (of one bed position).
    decay_correction : DecayCorrection or None
        Decay Correction (0054,1102).
    decay_reference_time : datetime or None
        Time to which the voxel values are decay-corrected, when they are.
    slice_acquisition_times : tuple of datetime, optional
        Start of the frame each slice belongs to, one per slice along ``k``
        (needed when values are not decay-corrected).
    slice_frame_durations_s : tuple of float, optional
        Frame duration of each slice, in seconds.
    """

    acquisition_start: datetime | None = None
    frame_duration_s: float | None = None
    decay_correction: DecayCorrection | None = None
    decay_reference_time: datetime | None = None
    slice_acquisition_times: tuple[datetime, ...] = ()
    slice_frame_durations_s: tuple[float, ...] = ()


def _as_vector(values: Any, name: str) -> tuple[float, float, float]:
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise ThxError(f"{name} must be three finite numbers, got {values!r}")
    return (float(arr[0]), float(arr[1]), float(arr[2]))


@dataclass(frozen=True)
class Geometry:
    """A voxel grid in patient space: shape, origin, spacing and direction.

    See the module docstring for the axis convention (LPS millimetres,
    arrays indexed ``[k, j, i]``).

    Parameters
    ----------
    shape : tuple of int
        Array shape ``(nk, nj, ni)``: slices, rows, columns.
    origin_mm : tuple of float
        LPS centre of voxel ``(0, 0, 0)``.
    spacing_mm : tuple of float
        Voxel spacing along ``(i, j, k)``, positive.
    direction : tuple of float
        Nine numbers, the 3x3 direction matrix in row-major order; its columns
        are the unit vectors of ``i``, ``j`` and ``k``. Identity by default.

    Examples
    --------
    >>> g = Geometry((10, 20, 30), origin_mm=(0, 0, 0), spacing_mm=(2, 2, 3))
    >>> g.voxel_volume_ml
    0.012
    >>> g.index_to_lps([[1, 0, 2]]).tolist()
    [[2.0, 0.0, 6.0]]
    """

    shape: tuple[int, int, int]
    origin_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0)
    direction: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)

    def __post_init__(self) -> None:
        shape = tuple(int(n) for n in self.shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ThxError(f"a volume shape must be three positive sizes, got {self.shape!r}")
        spacing = _as_vector(self.spacing_mm, "spacing_mm")
        if min(spacing) <= 0:
            raise ThxError(f"voxel spacing must be positive, got {spacing} mm")
        direction = np.asarray(self.direction, dtype=float).reshape(-1)
        if direction.shape != (9,):
            raise ThxError(f"direction must be 9 numbers (a 3x3 matrix), got {self.direction!r}")
        matrix = direction.reshape(3, 3)
        if not np.allclose(matrix.T @ matrix, np.eye(3), atol=1e-4):
            raise ThxError(f"direction must be orthonormal, got {matrix.tolist()}")
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "origin_mm", _as_vector(self.origin_mm, "origin_mm"))
        object.__setattr__(self, "spacing_mm", spacing)
        object.__setattr__(self, "direction", tuple(float(v) for v in direction))

    @property
    def direction_matrix(self) -> npt.NDArray[np.float64]:
        """The 3x3 direction matrix (columns: unit vectors of i, j, k)."""
        return np.asarray(self.direction, dtype=float).reshape(3, 3)

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in millilitres (cm³)."""
        sx, sy, sz = self.spacing_mm
        return sx * sy * sz / 1000.0

    @property
    def size(self) -> int:
        """Number of voxels."""
        nk, nj, ni = self.shape
        return nk * nj * ni

    @property
    def affine(self) -> npt.NDArray[np.float64]:
        """4x4 matrix mapping homogeneous ``(i, j, k, 1)`` to LPS millimetres."""
        out = np.eye(4)
        out[:3, :3] = self.direction_matrix * np.asarray(self.spacing_mm)
        out[:3, 3] = self.origin_mm
        return out

    def index_to_lps(self, ijk: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """LPS positions (mm) of voxel indices given as ``(..., 3)`` rows ``(i, j, k)``."""
        idx = np.asarray(ijk, dtype=float)
        return np.asarray(idx @ self.affine[:3, :3].T + self.affine[:3, 3], dtype=float)

    def lps_to_index(self, xyz: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Continuous voxel indices ``(i, j, k)`` of LPS positions ``(..., 3)`` in mm."""
        pos = np.asarray(xyz, dtype=float) - np.asarray(self.origin_mm)
        inverse = np.linalg.inv(self.affine[:3, :3])
        return np.asarray(pos @ inverse.T, dtype=float)

    def axis_coordinates_mm(self) -> tuple[npt.NDArray[Any], ...]:
        """Voxel-centre offsets along ``k``, ``j`` and ``i`` (mm from the origin)."""
        nk, nj, ni = self.shape
        si, sj, sk = self.spacing_mm
        return (np.arange(nk) * float(sk), np.arange(nj) * float(sj), np.arange(ni) * float(si))

    def crop(self, start: tuple[int, int, int], stop: tuple[int, int, int]) -> Geometry:
        """The sub-grid of voxels ``[start[0]:stop[0], start[1]:stop[1], start[2]:stop[2]]``.

        ``start`` and ``stop`` are ``(k, j, i)`` array indices (stop exclusive),
        clipped to the grid; spacing and direction are kept, the origin moves to
        the centre of the first voxel kept.

        Examples
        --------
        >>> g = Geometry((10, 20, 30), spacing_mm=(2, 2, 3)).crop((1, 2, 3), (4, 5, 6))
        >>> g.shape, g.origin_mm
        ((3, 3, 3), (6.0, 4.0, 3.0))
        """
        lo = [max(0, int(a)) for a in start]
        hi = [min(n, int(b)) for n, b in zip(self.shape, stop, strict=True)]
        if any(b <= a for a, b in zip(lo, hi, strict=True)):
            raise ThxError(f"empty crop {tuple(lo)}..{tuple(hi)} of a grid of shape {self.shape}")
        origin = self.index_to_lps([lo[2], lo[1], lo[0]])
        return Geometry(
            (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]),
            origin_mm=(float(origin[0]), float(origin[1]), float(origin[2])),
            spacing_mm=self.spacing_mm,
            direction=self.direction,
        )

    def same_grid(self, other: Geometry, tolerance_mm: float = _GEOMETRY_TOLERANCE_MM) -> bool:
        """Whether ``other`` has the same shape and voxel centres (within ``tolerance_mm``)."""
        if self.shape != other.shape:
            return False
        corners = np.array([[0, 0, 0], [n - 1 for n in self.shape[::-1]]], dtype=float)
        return bool(
            np.allclose(self.index_to_lps(corners), other.index_to_lps(corners), atol=tolerance_mm)
            and np.allclose(self.spacing_mm, other.spacing_mm, atol=tolerance_mm)
        )

    def require_same_grid(self, other: Geometry, what: str) -> None:
        """Raise :class:`GeometryMismatchError` naming ``what`` unless grids match."""
        if not self.same_grid(other):
            raise GeometryMismatchError(
                f"{what} is not on the image grid: shape {other.shape} spacing "
                f"{_fmt(other.spacing_mm)} mm origin {_fmt(other.origin_mm)} mm, expected shape "
                f"{self.shape} spacing {_fmt(self.spacing_mm)} mm origin {_fmt(self.origin_mm)} mm;"
                " resample it first (theranostix.imaging.resample)"
            )


def _fmt(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3-D image: voxel values, their grid, unit, modality and timing.

    Parameters
    ----------
    array : ndarray
        Voxel values indexed ``[k, j, i]``; its shape must equal ``geometry.shape``.
    geometry : Geometry
        Where the voxels are (LPS millimetres).
    unit : ImageUnit
        Physical unit of the values.
    modality : Modality
        Acquisition modality.
    patient, radiopharmaceutical, timing
        Metadata for normalisation and decay corrections (may be empty).
    metadata : dict
        Source identifiers (``series_uid``, ``study_uid``, ``frame_of_reference_uid``,
        ``series_description``, ``source``, ...) and reader notes.

    Examples
    --------
    >>> import numpy as np
    >>> v = Volume(np.ones((2, 3, 4)), Geometry((2, 3, 4)), ImageUnit.BQ_PER_ML, Modality.PT)
    >>> v.shape, v.unit.value
    ((2, 3, 4), 'Bq/mL')
    """

    array: npt.NDArray[Any]
    geometry: Geometry
    unit: ImageUnit = ImageUnit.UNKNOWN
    modality: Modality = Modality.OT
    patient: PatientInfo = field(default_factory=PatientInfo)
    radiopharmaceutical: Radiopharmaceutical = field(default_factory=Radiopharmaceutical)
    timing: Timing = field(default_factory=Timing)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if tuple(self.array.shape) != self.geometry.shape:
            raise ThxError(
                f"voxel array shape {tuple(self.array.shape)} differs from the geometry's "
                f"{self.geometry.shape}"
            )

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape ``(nk, nj, ni)``."""
        return self.geometry.shape

    def with_array(self, array: npt.NDArray[Any], unit: ImageUnit | None = None) -> Volume:
        """A copy with other voxel values (same grid and metadata) and optionally another unit."""
        return replace(self, array=array, unit=self.unit if unit is None else unit)


@dataclass(frozen=True, eq=False)
class Mask:
    """A binary region on a voxel grid (the same :class:`Geometry` type as volumes).

    Parameters
    ----------
    array : ndarray of bool
        ``True`` inside the region, indexed ``[k, j, i]``.
    geometry : Geometry
        The grid.
    name : str
        Region name (ROI name, segment label or file name).

    Examples
    --------
    >>> import numpy as np
    >>> m = Mask(np.ones((2, 2, 2), bool), Geometry((2, 2, 2), spacing_mm=(10, 10, 10)), "cube")
    >>> m.voxel_count, m.volume_ml
    (8, 8.0)
    """

    array: npt.NDArray[np.bool_]
    geometry: Geometry
    name: str = "mask"

    def __post_init__(self) -> None:
        if tuple(self.array.shape) != self.geometry.shape:
            raise ThxError(
                f"mask {self.name!r} array shape {tuple(self.array.shape)} differs from its "
                f"geometry's {self.geometry.shape}"
            )
        if self.array.dtype != np.bool_:
            object.__setattr__(self, "array", np.asarray(self.array) != 0)

    @property
    def voxel_count(self) -> int:
        """Number of voxels inside the region."""
        return int(np.count_nonzero(self.array))

    @property
    def volume_ml(self) -> float:
        """Region volume in millilitres (voxel count times voxel volume)."""
        return self.voxel_count * self.geometry.voxel_volume_ml

"""Results of segmentation: reference regions and lesion label maps.

These types are the contract between :mod:`theranostix.segmentation` (which
builds them), :mod:`theranostix.biomarkers` (which measures them) and
:mod:`theranostix.theranostics` (which judges them).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix._enums import parse_enum
from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, Mask

__all__ = ["LesionSegmentation", "ReferenceRegion", "SegmentationMethod", "TracerFamily"]


class TracerFamily(enum.Enum):
    """The molecular target of a PET tracer, which decides physiological uptake and rules."""

    FDG = "fdg"
    PSMA = "psma"
    SSTR = "sstr"
    FAPI = "fapi"
    OTHER = "other"

    @classmethod
    def parse(cls, value: TracerFamily | str) -> TracerFamily:
        """Read ``"fdg"``, ``"PSMA"``... (case-insensitive); error naming the choices."""
        return parse_enum(cls, value, "tracer")


class SegmentationMethod(enum.Enum):
    """Lesion delineation methods (see :func:`theranostix.segmentation.segment_lesions`)."""

    PERCIST = "percist"
    """Global threshold 1.5 x liver SULmean + 2 SD (Wahl 2009)."""
    PERCIST_BLOOD_POOL = "percist-blood-pool"
    """Global threshold 2.0 x blood-pool mean + 2 SD, when the liver is abnormal (Wahl 2009)."""
    SUV_2_5 = "suv2.5"
    """Absolute threshold SUV 2.5."""
    SUV_4_0 = "suv4.0"
    """Absolute threshold SUV 4.0."""
    FIXED_41 = "41pct"
    """41 % of each lesion's SUVmax, grown from the lesion's maximum."""
    FIXED_50 = "50pct"
    """50 % of each lesion's SUVmax, grown from the lesion's maximum."""
    USER = "user"
    """Lesions from a user mask (its connected components)."""

    @classmethod
    def parse(cls, value: SegmentationMethod | str) -> SegmentationMethod:
        """Read a method by its value (``"percist"``, ``"suv2.5"``, ``"41pct"``...)."""
        aliases = {"suv25": "suv2.5", "suv4": "suv4.0", "41": "41pct", "50": "50pct",
                   "41%": "41pct", "50%": "50pct"}  # fmt: skip
        return parse_enum(cls, value, "segmentation method", aliases)


@dataclass(frozen=True, eq=False)
class ReferenceRegion:
    """A normal-tissue reference region and its uptake statistics.

    Attributes
    ----------
    name : str
        ``"liver"``, ``"blood_pool"``, ``"spleen"``, ``"parotid"`` or a user name.
    method : str
        How the region was placed, in words (e.g. ``"3 cm sphere in the right
        liver lobe, from the liver mask"``), for the report.
    mean, sd, max : float
        Image statistics inside the region (image unit, SUV or SUL); ``sd`` is the
        sample standard deviation (n - 1).
    voxels : int
    volume_ml : float
    center_mm : tuple of float or None
        LPS centre of the region (the sphere centre for a sphere).
    mask : Mask
        The region.
    """

    name: str
    method: str
    mean: float
    sd: float
    max: float
    voxels: int
    volume_ml: float
    center_mm: tuple[float, float, float] | None
    mask: Mask = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready statistics (without the mask)."""
        return {
            "name": self.name,
            "method": self.method,
            "mean": self.mean,
            "sd": self.sd,
            "max": self.max,
            "voxels": self.voxels,
            "volume_ml": self.volume_ml,
            "center_mm": None if self.center_mm is None else list(self.center_mm),
        }


@dataclass(frozen=True, eq=False)
class LesionSegmentation:
    """Lesions found in a PET image, as a label map.

    Attributes
    ----------
    labels : ndarray of int32
        ``0`` background, ``n`` lesion ``n`` (1-based, by decreasing SUVmax), indexed ``[k, j, i]``.
    geometry : Geometry
        The grid of ``labels`` (the PET's).
    method : SegmentationMethod
    thresholds : tuple of float
        The threshold that delineated each lesion (image unit), one per label;
        equal for global methods.
    detection_threshold : float or None
        The threshold candidates had to exceed to be found (image unit).
    references : dict of str to ReferenceRegion
        Reference regions used or measured.
    excluded_organs : tuple of str
        Organ masks whose voxels were excluded as physiological uptake.
    notes : tuple of str
        Decisions worth reporting (lesions dropped as too small, a lesion grown
        to its limit, a fallback).
    """

    labels: npt.NDArray[np.int32]
    geometry: Geometry
    method: SegmentationMethod
    thresholds: tuple[float, ...]
    detection_threshold: float | None
    references: dict[str, ReferenceRegion] = field(default_factory=dict)
    excluded_organs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """Number of lesions."""
        return len(self.thresholds)

    def lesion_mask(self, label: int) -> Mask:
        """The mask of lesion ``label`` (1-based)."""
        if not 1 <= label <= self.count:
            raise ThxError(f"no lesion {label}: the segmentation has {self.count} lesion(s)")
        return Mask(self.labels == label, self.geometry, f"lesion_{label}")

    def union(self) -> Mask:
        """All lesions as one mask."""
        return Mask(self.labels > 0, self.geometry, "lesions")

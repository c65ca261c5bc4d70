"""Results of PET biomarker measurement: per lesion, per patient, per scan.

These are the contract between :mod:`theranostix.biomarkers` (which builds
them), the response criteria, :mod:`theranostix.theranostics` (eligibility) and
the ``thx pet`` commands (which print them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from theranostix.imaging._volume import PatientInfo, Volume
from theranostix.segmentation._types import (
    LesionSegmentation,
    ReferenceRegion,
    SegmentationMethod,
    TracerFamily,
)

__all__ = ["LesionMetrics", "PatientSummary", "PetAnalysis"]


@dataclass(frozen=True)
class LesionMetrics:
    """Conventional metrics of one lesion (image unit: SUV or SUL).

    Attributes
    ----------
    label : int
        Label in the segmentation (1-based, by decreasing SUVmax).
    name : str
        ``lesion_<label>``.
    suv_max, suv_mean : float
        Maximum and mean in the lesion.
    suv_peak : float
        Mean in a 1 cm³ sphere centred on the lesion's hottest voxel (IBSI local
        intensity peak; the sphere may extend outside the lesion).
    mtv_ml : float
        Metabolic tumour volume (voxel count x voxel volume).
    tlg : float
        Total lesion glycolysis ``suv_mean x mtv_ml`` (for PSMA tracers this is TL-PSMA).
    centroid_mm : tuple of float
        LPS centre of mass of the lesion's voxels (unweighted).
    max_position_mm : tuple of float
        LPS position of the hottest voxel.
    voxels : int
    location : str or None
        Organ the lesion lies in or against, when organ masks were given
        (``"other"`` when none); ``None`` without organ masks.
    long_axis_mm, short_axis_mm : float
        Longest diameter and the longest diameter perpendicular to it, on the
        axial slice where the lesion is largest (RECIST-like, from the mask).
    threshold : float
        The threshold that delineated the lesion.
    """

    label: int
    name: str
    suv_max: float
    suv_peak: float
    suv_mean: float
    mtv_ml: float
    tlg: float
    centroid_mm: tuple[float, float, float]
    max_position_mm: tuple[float, float, float]
    voxels: int
    location: str | None
    long_axis_mm: float
    short_axis_mm: float
    threshold: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready metrics."""
        return {
            "label": self.label,
            "name": self.name,
            "suv_max": self.suv_max,
            "suv_peak": self.suv_peak,
            "suv_mean": self.suv_mean,
            "mtv_ml": self.mtv_ml,
            "tlg": self.tlg,
            "centroid_mm": list(self.centroid_mm),
            "max_position_mm": list(self.max_position_mm),
            "voxels": self.voxels,
            "location": self.location,
            "long_axis_mm": self.long_axis_mm,
            "short_axis_mm": self.short_axis_mm,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class PatientSummary:
    """Whole-body tumour burden of one scan.

    Attributes
    ----------
    lesion_count : int
    tmtv_ml : float
        Total metabolic tumour volume (sum of the lesions' MTV).
    tlg_total : float
        Sum of the lesions' TLG.
    suv_max, suv_peak : float or None
        SUVmax and SUVpeak of the hottest lesion (``None`` without lesions).
    dmax_mm : float or None
        Largest distance between the centroids of two lesions (``None`` for fewer
        than two lesions).
    sdmax_m_inv : float or None
        ``dmax`` in metres divided by the body surface area (m²), in m⁻¹.
    psma_tv_ml, tl_psma : float or None
        PSMA tumour volume and total lesion PSMA (PSMA tracers only).
    references : dict of str to ReferenceRegion
    """

    lesion_count: int
    tmtv_ml: float
    tlg_total: float
    suv_max: float | None
    suv_peak: float | None
    dmax_mm: float | None
    sdmax_m_inv: float | None
    psma_tv_ml: float | None
    tl_psma: float | None
    references: dict[str, ReferenceRegion] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary; ``reference`` maps region name to its statistics."""
        return {
            "lesion_count": self.lesion_count,
            "tmtv_ml": self.tmtv_ml,
            "tlg_total": self.tlg_total,
            "suv_max": self.suv_max,
            "suv_peak": self.suv_peak,
            "dmax_mm": self.dmax_mm,
            "sdmax_m_inv": self.sdmax_m_inv,
            "psma_tv_ml": self.psma_tv_ml,
            "tl_psma": self.tl_psma,
            "reference": {name: ref.as_dict() for name, ref in self.references.items()},
        }


@dataclass(frozen=True, eq=False)
class PetAnalysis:
    """One PET scan analysed: the SUV image, the lesions, their metrics and the summary.

    Attributes
    ----------
    image : Volume
        The image measured, in SUV (or SUL for lean-body-mass normalisations).
    normalization : str
        SUV normalisation of ``image`` (``"bw"``, ``"lbm-james"``...).
    tracer : TracerFamily
    segmentation : LesionSegmentation
    lesions : tuple of LesionMetrics
        In label order.
    summary : PatientSummary
    patient : PatientInfo
    scan_time : datetime or None
        Acquisition start.
    uptake_time_s : float or None
        Acquisition start minus injection.
    injected_activity_bq : float or None
    organs : tuple of str
        Names of the organ masks that were available.
    notes : tuple of str
    """

    image: Volume
    normalization: str
    tracer: TracerFamily
    segmentation: LesionSegmentation
    lesions: tuple[LesionMetrics, ...]
    summary: PatientSummary
    patient: PatientInfo = field(default_factory=PatientInfo)
    scan_time: datetime | None = None
    uptake_time_s: float | None = None
    injected_activity_bq: float | None = None
    organs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def method(self) -> SegmentationMethod:
        """The segmentation method."""
        return self.segmentation.method

    @property
    def references(self) -> dict[str, ReferenceRegion]:
        """Reference regions (liver, blood pool, spleen, parotid...) by name."""
        return self.segmentation.references

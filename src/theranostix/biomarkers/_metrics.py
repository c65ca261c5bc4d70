"""Lesion and patient metrics of a segmented PET, and the end-to-end analysis.

Per lesion: SUVmax, SUVmean, SUVpeak (the IBSI local intensity peak: mean in a
1 cm³ sphere centred on the hottest voxel [1]_), MTV (voxel count x voxel
volume), TLG = SUVmean x MTV [2]_, centroid, long and short axes, location.
Per patient: lesion count, TMTV, total TLG, the hottest lesion's SUVmax and
SUVpeak, Dmax (the largest distance between two lesion centroids [3]_) and
SDmax = Dmax / BSA (m⁻¹) [4]_; for PSMA tracers PSMA-TV and TL-PSMA (the sums of
volume and of SUVmean x volume over lesions) [5]_.

Each lesion is measured on a crop of the image around it (its bounding box
widened by the peak sphere's radius), so the cost per lesion does not grow with
the size of the whole-body image.

References
----------
.. [1] Zwanenburg A et al. Radiology 2020;295:328-338. doi:10.1148/radiol.2020191145
   (IBSI; local intensity peak, tag VJGA).
.. [2] Larson SM, Erdi Y, Akhurst T, et al. Tumor treatment response based on
   visual and quantitative changes in global tumor glycolysis using PET-FDG
   imaging. Clin Positron Imaging 1999;2:159-171. doi:10.1016/S1095-0397(99)00016-3
.. [3] Cottereau AS, Nioche C, Dirand AS, et al. 18F-FDG PET dissemination
   features in diffuse large B-cell lymphoma are predictive of outcome.
   J Nucl Med 2020;61:40-45. doi:10.2967/jnumed.119.229450
.. [4] Cottereau AS, Meignan M, Nioche C, et al. Risk stratification in diffuse
   large B-cell lymphoma using lesion dissemination and metabolic tumor burden
   calculated from baseline PET/CT. Ann Oncol 2021;32:404-411.
   doi:10.1016/j.annonc.2020.11.019
.. [5] Schmidkonz C, Cordes M, Schmidt D, et al. 68Ga-PSMA-11 PET/CT-derived
   metabolic parameters for determination of whole-body tumor burden and
   treatment response in prostate cancer. Eur J Nucl Med Mol Imaging
   2018;45:1862-1872. doi:10.1007/s00259-018-4042-z
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.biomarkers._types import LesionMetrics, PatientSummary, PetAnalysis
from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, ImageUnit, Mask, PatientInfo, Volume
from theranostix.segmentation._types import (
    LesionSegmentation,
    ReferenceRegion,
    SegmentationMethod,
    TracerFamily,
)

__all__ = ["analyze_pet", "lesion_axes_mm", "measure_lesions", "summarize"]

#: Organ-mask names that are not organs (never a lesion location).
_NOT_LOCATIONS = frozenset({"body", "external", "skin", "patient"})
_PEAK_SPHERE_ML = 1.0


def lesion_axes_mm(mask: npt.NDArray[np.bool_], geometry: Geometry) -> tuple[float, float]:
    """Long and short axis (mm) of a lesion on the axial slice where it is largest.

    The long axis is the largest distance between two corners of the lesion's
    voxels on that slice (edge to edge, as RECIST measures [1]_); the short axis
    is the smallest width of the lesion there (minimum caliper width of the
    convex hull), which for an ellipse is its minor axis.

    Parameters
    ----------
    mask : ndarray of bool
        The lesion, indexed ``[k, j, i]`` (axial slices along ``k``).
    geometry : Geometry
        Grid of ``mask``.

    Returns
    -------
    long_mm, short_mm : float

    Examples
    --------
    >>> g = Geometry((1, 5, 5), spacing_mm=(2, 2, 2))
    >>> m = np.zeros((1, 5, 5), bool); m[0, 1:4, 0:5] = True
    >>> [round(v, 3) for v in lesion_axes_mm(m, g)]
    [11.662, 6.0]

    References
    ----------
    .. [1] Eisenhauer EA, Therasse P, Bogaerts J, et al. New response
       evaluation criteria in solid tumours: revised RECIST guideline (version
       1.1). Eur J Cancer 2009;45:228-247. doi:10.1016/j.ejca.2008.10.026
    """
    from scipy.spatial import ConvexHull, QhullError

    areas = mask.sum(axis=(1, 2))
    if not areas.any():
        raise ThxError("lesion mask is empty")
    k = int(np.argmax(areas))
    jj, ii = np.nonzero(mask[k])
    corners = np.array([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]])
    pts_ji = (np.stack([jj, ii], axis=1)[:, None, :] + corners[None]).reshape(-1, 2)
    ijk = np.column_stack([pts_ji[:, 1], pts_ji[:, 0], np.full(len(pts_ji), k, dtype=float)])
    xyz = geometry.index_to_lps(ijk)
    # coordinates in the slice plane: along the i and j unit vectors
    basis = geometry.direction_matrix[:, :2]
    plane = (xyz - xyz.mean(axis=0)) @ basis
    with contextlib.suppress(QhullError):  # collinear points: keep them all
        plane = plane[ConvexHull(plane).vertices]
    diff = plane[:, None, :] - plane[None, :, :]
    dist = np.sqrt((diff**2).sum(axis=-1))
    long_mm = float(dist.max())
    # minimum caliper width: on a convex polygon it is reached with one side flush to an edge
    edges = np.roll(plane, -1, axis=0) - plane
    lengths = np.linalg.norm(edges, axis=1)
    edges = edges[lengths > 0] / lengths[lengths > 0, None]
    if len(edges) == 0:
        return long_mm, long_mm
    normals = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
    across = plane @ normals.T
    return long_mm, float((across.max(axis=0) - across.min(axis=0)).min())


def _location(
    organs: Mapping[str, Mask], lesion: npt.NDArray[np.bool_], box: tuple[slice, ...]
) -> str:
    """Organ holding most of the lesion, or most of a 1-voxel shell around it; else "other"."""
    from scipy import ndimage

    shell = ndimage.binary_dilation(lesion, structure=np.ones((3, 3, 3), bool)) & ~lesion
    inside_n, shell_n = int(lesion.sum()), int(shell.sum())
    best_name, best_share = "other", 0.0
    for name, mask in organs.items():
        if name.lower() in _NOT_LOCATIONS:
            continue
        sub = mask.array[box]
        share = max(
            np.count_nonzero(sub & lesion) / inside_n,
            np.count_nonzero(sub & shell) / shell_n if shell_n else 0.0,
        )
        if share > best_share:
            best_name, best_share = name, share
    return best_name if best_share >= 0.5 else "other"


def measure_lesions(
    image: Volume,
    segmentation: LesionSegmentation,
    organs: Mapping[str, Mask] | None = None,
) -> tuple[LesionMetrics, ...]:
    """Metrics of every lesion of a segmentation.

    Parameters
    ----------
    image : Volume
        The SUV (or SUL) image the lesions were delineated on.
    segmentation : LesionSegmentation
        On the image grid.
    organs : mapping of str to Mask, optional
        Organ masks on the image grid, for the lesions' location.

    Returns
    -------
    tuple of LesionMetrics
        In label order (decreasing SUVmax).
    """
    from scipy import ndimage

    from theranostix.imaging._stats import local_intensity_peak, sphere_radius_mm

    g = image.geometry
    g.require_same_grid(segmentation.geometry, "lesion segmentation")
    for name, mask in (organs or {}).items():
        g.require_same_grid(mask.geometry, f"organ mask {name!r}")
    reach = np.ceil(sphere_radius_mm(_PEAK_SPHERE_ML) / np.asarray(g.spacing_mm)[::-1]).astype(int)
    boxes = ndimage.find_objects(segmentation.labels, max_label=segmentation.count)
    out = []
    for label, tight in enumerate(boxes, start=1):
        if tight is None:
            raise ThxError(f"lesion {label} of the segmentation has no voxel")
        lo = np.maximum([s.start for s in tight] - reach, 0)
        hi = np.minimum([s.stop for s in tight] + reach, g.shape)
        box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
        sub_geometry = g.crop(tuple(lo), tuple(hi))
        sub = segmentation.labels[box] == label
        sub_values = np.asarray(image.array[box], dtype=float)
        inside = sub_values[sub]
        peak = local_intensity_peak(
            Volume(sub_values, sub_geometry, image.unit), Mask(sub, sub_geometry, f"lesion_{label}")
        )
        kji = np.argwhere(sub)
        centroid = sub_geometry.index_to_lps(kji.mean(axis=0)[::-1])
        hottest = kji[int(np.argmax(inside))]
        max_position = sub_geometry.index_to_lps(hottest[::-1].astype(float))
        mtv = len(kji) * g.voxel_volume_ml
        mean = float(inside.mean())
        long_mm, short_mm = lesion_axes_mm(sub, sub_geometry)
        out.append(
            LesionMetrics(
                label=label,
                name=f"lesion_{label}",
                suv_max=float(inside.max()),
                suv_peak=float(peak),
                suv_mean=mean,
                mtv_ml=float(mtv),
                tlg=mean * mtv,
                centroid_mm=_triple(centroid),
                max_position_mm=_triple(max_position),
                voxels=len(kji),
                location=None if organs is None else _location(organs, sub, box),
                long_axis_mm=long_mm,
                short_axis_mm=short_mm,
                threshold=segmentation.thresholds[label - 1],
            )
        )
    return tuple(out)


def _triple(values: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))


def summarize(
    lesions: Sequence[LesionMetrics],
    references: Mapping[str, ReferenceRegion] | None = None,
    *,
    tracer: TracerFamily | str = TracerFamily.OTHER,
    patient: PatientInfo | None = None,
) -> PatientSummary:
    """Whole-body tumour burden from the lesions' metrics.

    Parameters
    ----------
    lesions : sequence of LesionMetrics
    references : mapping of str to ReferenceRegion, optional
    tracer : TracerFamily or str
        PSMA tracers also get PSMA-TV and TL-PSMA.
    patient : PatientInfo, optional
        Weight and height give the Du Bois BSA for SDmax.

    Returns
    -------
    PatientSummary

    Examples
    --------
    >>> a = LesionMetrics(1, "lesion_1", 9.0, 7.0, 5.0, 2.0, 10.0, (0.0, 0.0, 0.0),
    ...                   (0.0, 0.0, 0.0), 31, None, 20.0, 15.0, 3.5)
    >>> b = LesionMetrics(2, "lesion_2", 6.0, 5.0, 4.0, 1.0, 4.0, (300.0, 0.0, 400.0),
    ...                   (0.0, 0.0, 0.0), 16, None, 12.0, 10.0, 3.5)
    >>> s = summarize([a, b], patient=PatientInfo(weight_kg=80.0, height_m=1.8))
    >>> s.lesion_count, s.tmtv_ml, s.tlg_total, s.dmax_mm, round(s.sdmax_m_inv, 4)
    (2, 3.0, 14.0, 500.0, 0.2503)
    """
    family = TracerFamily.parse(tracer)
    count = len(lesions)
    dmax: float | None = None
    if count >= 2:
        from scipy.spatial.distance import pdist

        dmax = float(pdist(np.array([les.centroid_mm for les in lesions])).max())
    sdmax: float | None = None
    if dmax is not None and patient and patient.weight_kg and patient.height_m:
        from theranostix.imaging._suv import body_surface_area_dubois_m2

        bsa = body_surface_area_dubois_m2(patient.weight_kg, patient.height_m * 100.0)
        sdmax = dmax / 1000.0 / bsa
    hottest = max(lesions, key=lambda les: les.suv_max) if lesions else None
    tmtv = float(sum(les.mtv_ml for les in lesions))
    tlg = float(sum(les.tlg for les in lesions))
    psma = family is TracerFamily.PSMA
    return PatientSummary(
        lesion_count=count,
        tmtv_ml=tmtv,
        tlg_total=tlg,
        suv_max=None if hottest is None else hottest.suv_max,
        suv_peak=None if hottest is None else hottest.suv_peak,
        dmax_mm=dmax,
        sdmax_m_inv=sdmax,
        psma_tv_ml=tmtv if psma else None,
        tl_psma=tlg if psma else None,
        references=dict(references or {}),
    )


def analyze_pet(
    pet: Volume,
    *,
    method: SegmentationMethod | str = SegmentationMethod.PERCIST,
    tracer: TracerFamily | str = TracerFamily.OTHER,
    organs: Mapping[str, Mask] | None = None,
    ct: Volume | None = None,
    normalization: str = "bw",
    allow: Mapping[str, Any] | Sequence[str] | None = None,
    references: Mapping[str, ReferenceRegion] | None = None,
    reference_masks: Mapping[str, Mask] | None = None,
    user_mask: Mask | None = None,
    seeds_mm: Sequence[Sequence[float]] | None = None,
    min_volume_ml: float = 0.5,
    background_correction: bool = False,
) -> PetAnalysis:
    """From a PET volume to lesions, their metrics and the patient summary.

    Parameters
    ----------
    pet : Volume
        PET in Bq/mL (or counts: converted with :func:`~theranostix.imaging.to_suv`)
        or already in SUV (used as it is; ``normalization`` should then say which).
    method : SegmentationMethod or str
        Lesion delineation (see :func:`~theranostix.segmentation.segment_lesions`).
    tracer : TracerFamily or str
        ``fdg``, ``psma``, ``sstr``, ``fapi`` or ``other``.
    organs : mapping of str to Mask, optional
        Organ masks on the PET grid.
    ct : Volume, optional
        CT for the liver reference when there is no liver mask.
    normalization : str
        SUV normalisation (``bw``, ``lbm-james``, ``lbm-janmahasatian``, ``bsa``, ``ibw``).
    allow : mapping or sequence, optional
        Overrides of DICOM values for SUV (see :func:`~theranostix.imaging.parse_allow`).
    references, reference_masks, user_mask, seeds_mm, min_volume_ml, background_correction
        Passed to :func:`~theranostix.segmentation.segment_lesions`.

    Returns
    -------
    PetAnalysis
    """
    from theranostix.imaging._suv import to_suv
    from theranostix.segmentation._lesions import segment_lesions

    family = TracerFamily.parse(tracer)
    notes: list[str] = []
    if pet.unit is ImageUnit.SUV:
        image = pet
        notes.append(f"image already in SUV; taken as {normalization} normalised")
    else:
        image = to_suv(pet, normalization, allow=allow)
        result = image.metadata.get("suv")
        notes.extend(getattr(result, "notes", ()))
    segmentation = segment_lesions(
        image,
        method,
        organs=organs,
        tracer=family,
        ct=ct,
        references=references,
        reference_masks=reference_masks,
        user_mask=user_mask,
        seeds_mm=seeds_mm,
        min_volume_ml=min_volume_ml,
        background_correction=background_correction,
    )
    lesions = measure_lesions(image, segmentation, organs)
    summary = summarize(lesions, segmentation.references, tracer=family, patient=pet.patient)
    rp = pet.radiopharmaceutical
    start = pet.timing.acquisition_start
    uptake = None
    if start is not None and rp.injection_time is not None:
        uptake = (start - rp.injection_time).total_seconds()
    return PetAnalysis(
        image=image,
        normalization=normalization,
        tracer=family,
        segmentation=segmentation,
        lesions=lesions,
        summary=summary,
        patient=pet.patient,
        scan_time=start,
        uptake_time_s=uptake,
        injected_activity_bq=rp.injected_activity_bq,
        organs=tuple(organs or ()),
        notes=tuple(notes) + segmentation.notes,
    )

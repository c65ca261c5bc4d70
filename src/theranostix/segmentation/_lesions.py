"""Lesion delineation on SUV images: thresholds, fixed fractions, user masks.

Methods (:class:`SegmentationMethod`):

* ``percist``: every voxel above ``1.5 x liver mean + 2 x liver SD`` (the
  PERCIST measurability threshold applied voxel-wise, as used for TMTV) [1]_;
  ``percist-blood-pool``: ``2.0 x blood-pool mean + 2 x SD`` [1]_.
* ``suv2.5`` and ``suv4.0``: absolute thresholds, common for FDG TMTV in
  lymphoma [2]_.
* ``41pct`` and ``50pct``: each lesion is grown from its hottest voxel over the
  connected voxels above 41 % (or 50 %) of its SUVmax, the fixed-fraction
  method of the EANM guideline [3]_. Lesions are first *detected* as regions
  above a detection threshold (the PERCIST threshold when a liver reference
  exists, otherwise SUV 2.5); every local maximum (within 10 mm) of a region
  seeds a lesion unless an earlier, hotter lesion already holds it. Growth is
  confined to 20 mm around the detected region so that a 41 % contour that
  does not close (background above 41 % of SUVmax) stays local; such lesions
  are noted. With ``background_correction`` the threshold becomes
  ``B + f x (SUVmax - B)``, ``B`` the local background (median of a shell 10 to
  20 mm around the lesion), for lesions in warm organs such as the liver [3]_.
* ``user``: the connected components of a user mask.

Voxels of physiological-uptake organs (by tracer, ``data/physiological_uptake.toml``)
are never lesion when organ masks are given: ``exclude`` organs with a margin
(default 8 mm, against partial-volume spill of very hot organs), ``background``
organs unless above their own median + 3 robust SD. Connected components use
full (26-) connectivity. Lesions smaller than ``min_volume_ml`` (0.5 mL by
default, about 8 voxels of 4 mm) are dropped and counted in the notes. Lesions
are numbered 1, 2, ... by decreasing SUVmax.

References
----------
.. [1] Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST. J Nucl Med
   2009;50 Suppl 1:122S-150S. doi:10.2967/jnumed.108.057307
.. [2] Barrington SF, Meignan M. Time to prepare for risk adaptation in
   lymphoma by standardizing measurement of metabolic tumor burden. J Nucl Med
   2019;60:1096-1102. doi:10.2967/jnumed.119.227249
.. [3] Boellaard R, Delgado-Bolton R, Oyen WJG, et al. FDG PET/CT: EANM
   procedure guidelines for tumour imaging: version 2.0. Eur J Nucl Med Mol
   Imaging 2015;42:328-354. doi:10.1007/s00259-014-2961-x
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, ImageUnit, Mask, Volume
from theranostix.segmentation._reference import (
    _ball,
    _bbox,
    reference_regions,
)
from theranostix.segmentation._types import (
    LesionSegmentation,
    ReferenceRegion,
    SegmentationMethod,
    TracerFamily,
)

__all__ = ["percist_threshold", "physiological_organs", "segment_lesions"]

_FULL = np.ones((3, 3, 3), dtype=bool)  # 26-connectivity
_SEED_SEPARATION_MM = 10.0
_GROW_MARGIN_MM = 20.0
_SEED_REACH_MM = 60.0
_BACKGROUND_INNER_MM = 10.0
_BACKGROUND_OUTER_MM = 20.0
_FRACTIONS = {SegmentationMethod.FIXED_41: 0.41, SegmentationMethod.FIXED_50: 0.50}
_ABSOLUTE = {SegmentationMethod.SUV_2_5: 2.5, SegmentationMethod.SUV_4_0: 4.0}
_DEFAULT_DETECTION_SUV = 2.5


@functools.cache
def _uptake_table() -> dict[str, Any]:
    text = (
        resources.files("theranostix.segmentation")
        .joinpath("data/physiological_uptake.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def physiological_organs(tracer: TracerFamily | str) -> dict[str, tuple[str, ...]]:
    """Organs excluded from lesion search for a tracer, from ``data/physiological_uptake.toml``.

    Returns
    -------
    dict
        ``{"exclude": (...), "background": (...)}`` organ names.

    Examples
    --------
    >>> physiological_organs("psma")["background"]
    ('liver', 'spleen')
    """
    entry = _uptake_table()["tracer"][TracerFamily.parse(tracer).value]
    return {"exclude": tuple(entry["exclude"]), "background": tuple(entry["background"])}


def _organ_masks(organs: Mapping[str, Mask], name: str) -> list[Mask]:
    """Every mask in ``organs`` that is the organ ``name`` (aliases of the data table)."""
    aliases = set(_uptake_table()["aliases"].get(name, [name])) | {name}
    return [m for key, m in organs.items() if key.lower() in aliases and m.voxel_count]


def percist_threshold(reference: ReferenceRegion, *, blood_pool: bool = False) -> float:
    """PERCIST measurability threshold from a reference region.

    ``1.5 x mean + 2 x SD`` for the liver (3 cm sphere), ``2.0 x mean + 2 x SD``
    for the blood pool [1]_.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> percist_threshold(SimpleNamespace(mean=2.0, sd=0.25))
    3.5

    References
    ----------
    .. [1] Wahl RL et al. J Nucl Med 2009;50 Suppl 1:122S-150S.
       doi:10.2967/jnumed.108.057307
    """
    factor = 2.0 if blood_pool else 1.5
    return float(factor * reference.mean + 2.0 * reference.sd)


def _allowed(
    image: Volume,
    organs: Mapping[str, Mask],
    tracer: TracerFamily,
    exclude_organs: Sequence[str] | None,
    margin_mm: float,
) -> tuple[npt.NDArray[np.bool_], dict[str, float], tuple[str, ...]]:
    """Voxels that may be lesion, the background organs' own thresholds, excluded names."""
    from scipy import ndimage

    table = physiological_organs(tracer)
    excluded = table["exclude"] if exclude_organs is None else tuple(exclude_organs)
    background = () if exclude_organs is not None else table["background"]
    allowed = np.ones(image.shape, dtype=bool)
    used: list[str] = []
    ball = _ball(image.geometry, margin_mm) if margin_mm > 0 else None
    for name in excluded:
        for mask in _organ_masks(organs, name):
            image.geometry.require_same_grid(mask.geometry, f"organ mask {mask.name!r}")
            region = mask.array
            if ball is not None:
                box = _bbox(region, max(ball.shape))
                region = np.zeros(image.shape, dtype=bool)
                region[box] = ndimage.binary_dilation(mask.array[box], structure=ball)
            allowed &= ~region
            used.append(mask.name)
    levels: dict[str, float] = {}
    for name in background:
        for mask in _organ_masks(organs, name):
            image.geometry.require_same_grid(mask.geometry, f"organ mask {mask.name!r}")
            inside = np.asarray(image.array[mask.array], dtype=float)
            median = float(np.median(inside))
            mad = float(np.median(np.abs(inside - median)))
            level = median + float(_uptake_table()["background_sd_factor"]) * 1.4826 * mad
            levels[mask.name] = level
            allowed &= ~(mask.array & (image.array <= level))
    return allowed, levels, tuple(used)


# A region: its bounding box, its voxels inside the box, and its threshold.
_Region = tuple[tuple[slice, ...], npt.NDArray[np.bool_], float]


def _relabel(
    regions: list[_Region], image: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int32], tuple[float, ...]]:
    """Label map numbered by decreasing SUVmax, and the thresholds in that order."""
    peaks = [float(image[box][sub].max()) for box, sub, _ in regions]
    order = sorted(range(len(regions)), key=lambda n: -peaks[n])
    labels = np.zeros(image.shape, dtype=np.int32)
    thresholds = []
    for label, n in enumerate(order, start=1):
        box, sub, threshold = regions[n]
        labels[box][sub] = label
        thresholds.append(threshold)
    return labels, tuple(thresholds)


def _component_regions(mask: npt.NDArray[np.bool_], threshold: float) -> list[_Region]:
    """Connected components of ``mask`` as regions."""
    labels, boxes = _components(mask)
    return [(box, labels[box] == n, threshold) for n, box in enumerate(boxes, start=1)]


def _components(
    mask: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int32], list[tuple[slice, ...]]]:
    from scipy import ndimage

    labels, _count = ndimage.label(mask, structure=_FULL)
    return labels.astype(np.int32), [s for s in ndimage.find_objects(labels) if s is not None]


def _local_background(
    image: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    usable: npt.NDArray[np.bool_],
    geometry: Geometry,
) -> float | None:
    """Median of the shell 10-20 mm around ``core`` (inside ``usable``), or None if empty."""
    from scipy import ndimage

    near = ndimage.binary_dilation(core, structure=_ball(geometry, _BACKGROUND_INNER_MM))
    far = ndimage.binary_dilation(core, structure=_ball(geometry, _BACKGROUND_OUTER_MM))
    shell = far & ~near & usable
    return float(np.median(image[shell])) if shell.any() else None


def _grow_fraction(
    image: npt.NDArray[np.float64],
    candidates: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_],
    geometry: Geometry,
    fraction: float,
    seeds: npt.NDArray[np.intp] | None,
    background_correction: bool,
) -> tuple[list[_Region], list[str]]:
    """Fixed-fraction lesions grown from local maxima of the candidate regions (or seeds).

    Each seed (hottest first) not yet inside a lesion grows over the connected
    voxels at or above ``fraction x`` its value (``B + fraction x (max - B)``
    with background correction), within 20 mm of its detected region (or within
    60 mm of a user seed).
    """
    from scipy import ndimage

    notes: list[str] = []
    taken = np.zeros(image.shape, dtype=bool)
    grow_ball = _ball(geometry, _GROW_MARGIN_MM)
    reach = max(grow_ball.shape)
    shape = np.array(image.shape)
    # (seed, limit box, limit mask inside the box, local background)
    jobs: list[
        tuple[npt.NDArray[np.intp], tuple[slice, ...], npt.NDArray[np.bool_], float | None]
    ] = []
    if seeds is None:
        sep_ball = _ball(geometry, _SEED_SEPARATION_MM)
        comp_labels, boxes = _components(candidates)
        for n, comp_box in enumerate(boxes, start=1):
            lo = np.maximum([s.start for s in comp_box] - np.array(reach), 0)
            hi = np.minimum([s.stop for s in comp_box] + np.array(reach), shape)
            box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
            comp = comp_labels[box] == n
            limit = ndimage.binary_dilation(comp, structure=grow_ball)
            background = None
            if background_correction:
                usable = allowed[box] & ~candidates[box]
                background = _local_background(image[box], comp, usable, geometry)
            sub = np.where(comp, image[box], -np.inf)
            peaks = comp & (sub >= ndimage.maximum_filter(sub, footprint=sep_ball))
            jobs.extend((kji + lo, box, limit, background) for kji in np.argwhere(peaks))
    else:
        user_ball = _ball(geometry, _SEED_REACH_MM)
        half = np.array(user_ball.shape) // 2
        for seed in seeds:
            lo = np.maximum(seed - half, 0)
            hi = np.minimum(seed + half + 1, shape)
            box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
            cut = tuple(
                slice(a - s + h, b - s + h) for a, b, s, h in zip(lo, hi, seed, half, strict=True)
            )
            background = None
            if background_correction:
                core = np.zeros(tuple(hi - lo), dtype=bool)
                core[tuple(seed - lo)] = True
                core = ndimage.binary_dilation(core, structure=_ball(geometry, 5.0))
                background = _local_background(image[box], core, allowed[box], geometry)
            jobs.append((seed, box, user_ball[cut], background))
    jobs.sort(key=lambda job: -float(image[tuple(job[0])]))
    regions: list[_Region] = []
    for seed, box, limit, background in jobs:
        if taken[tuple(seed)]:
            continue
        peak = float(image[tuple(seed)])
        if background is not None and background < peak:
            threshold = background + fraction * (peak - background)
        else:
            threshold = fraction * peak
            if background_correction:
                notes.append(
                    f"no usable background around the lesion seeded at SUV {peak:.2f}: "
                    f"{fraction:.0%} of SUVmax without correction"
                )
        lo = np.array([s.start for s in box])
        above = (image[box] >= threshold) & allowed[box] & ~taken[box] & limit
        grown, _ = ndimage.label(above, structure=_FULL)
        region_box = grown == grown[tuple(seed - lo)]
        edge = limit & ~ndimage.binary_erosion(limit, border_value=0)
        if np.any(region_box & edge):
            notes.append(
                f"the lesion seeded at SUV {peak:.2f} reached its growth limit: the background "
                f"around it exceeds {fraction:.0%} of its SUVmax"
            )
        taken[box] |= region_box
        regions.append((box, region_box, threshold))
    return regions, notes


def segment_lesions(
    image: Volume,
    method: SegmentationMethod | str = SegmentationMethod.PERCIST,
    *,
    organs: Mapping[str, Mask] | None = None,
    tracer: TracerFamily | str = TracerFamily.OTHER,
    ct: Volume | None = None,
    references: Mapping[str, ReferenceRegion] | None = None,
    reference_masks: Mapping[str, Mask] | None = None,
    user_mask: Mask | None = None,
    seeds_mm: Sequence[Sequence[float]] | None = None,
    detection_threshold: float | None = None,
    min_volume_ml: float = 0.5,
    exclude_organs: Sequence[str] | None = None,
    exclusion_margin_mm: float | None = None,
    background_correction: bool = False,
) -> LesionSegmentation:
    """Delineate lesions on an SUV (or SUL) image.

    Parameters
    ----------
    image : Volume
        PET in SUV or SUL (unit :attr:`ImageUnit.SUV`).
    method : SegmentationMethod or str
        ``percist``, ``percist-blood-pool``, ``suv2.5``, ``suv4.0``, ``41pct``,
        ``50pct`` or ``user`` (see the module docstring).
    organs : mapping of str to Mask, optional
        Organ masks on the image grid: physiological uptake is excluded by
        tracer, and liver, blood pool, spleen and parotid give references.
    tracer : TracerFamily or str
        Decides the physiological organs.
    ct : Volume, optional
        To find the liver when no liver mask is given.
    references : mapping of str to ReferenceRegion, optional
        Reference regions already measured (they win over automatic ones).
    reference_masks : mapping of str to Mask, optional
        Reference regions drawn by the user (``"liver"``, ``"blood_pool"``...), measured
        on ``image``; they win over automatic ones.
    user_mask : Mask, optional
        The lesions for ``method="user"``.
    seeds_mm : sequence of (x, y, z), optional
        For the fixed-fraction methods: grow only from these LPS points (each
        moved to the hottest voxel within 10 mm) instead of detecting lesions.
    detection_threshold : float, optional
        For the fixed-fraction methods: the level lesions are detected above
        (default: PERCIST threshold, or SUV 2.5 without a liver reference).
    min_volume_ml : float
        Smaller lesions are dropped (not for ``user``).
    exclude_organs : sequence of str, optional
        Organ names to exclude instead of the tracer's table (no background organs then).
    exclusion_margin_mm : float, optional
        Margin around excluded organs (8 mm by default, from the data table).
    background_correction : bool
        For the fixed-fraction methods: threshold ``B + f x (SUVmax - B)`` with
        ``B`` the median of the shell 10-20 mm around the lesion (voxels below
        the detection threshold, outside excluded organs), as the EANM
        guideline recommends for lesions in warm background.

    Returns
    -------
    LesionSegmentation

    Raises
    ------
    ThxError
        When the image is not in SUV, a reference the method needs is missing,
        or the user mask is missing or empty.
    """
    method = SegmentationMethod.parse(method)
    family = TracerFamily.parse(tracer)
    if image.unit is not ImageUnit.SUV:
        raise ThxError(
            f"lesion segmentation needs an image in SUV, got {image.unit.value}; "
            "convert it with theranostix.imaging.to_suv first"
        )
    if min_volume_ml < 0:
        raise ThxError(f"min_volume_ml must be >= 0, got {min_volume_ml}")
    organs = dict(organs or {})
    raw = np.asarray(image.array)
    values = np.where(np.isfinite(raw), raw, -np.inf)  # one copy, in the image's float type
    margin = (
        float(_uptake_table()["margin_mm"]) if exclusion_margin_mm is None else exclusion_margin_mm
    )
    allowed, levels, excluded = _allowed(image, organs, family, exclude_organs, margin)
    notes: list[str] = [
        f"{name}: lesion voxels only above its own level {level:.2f} (median + 3 robust SD)"
        for name, level in levels.items()
    ]
    require: tuple[str, ...] = ()
    if method is SegmentationMethod.PERCIST:
        require = ("liver",)
    elif method is SegmentationMethod.PERCIST_BLOOD_POOL:
        require = ("blood_pool",)
    refs, ref_notes = reference_regions(
        image, organs, ct=ct, user=reference_masks, known=references, require=require
    )
    notes.extend(ref_notes)

    detection: float | None
    regions: list[_Region] = []
    if method is SegmentationMethod.USER:
        if user_mask is None:
            raise ThxError("method 'user' needs a lesion mask (user_mask)")
        image.geometry.require_same_grid(user_mask.geometry, f"lesion mask {user_mask.name!r}")
        if not user_mask.array.any():
            raise ThxError(f"lesion mask {user_mask.name!r} is empty")
        regions = _component_regions(user_mask.array, float("nan"))
        detection = None
        min_volume_ml = 0.0
    else:
        if method in (SegmentationMethod.PERCIST, SegmentationMethod.PERCIST_BLOOD_POOL):
            blood = method is SegmentationMethod.PERCIST_BLOOD_POOL
            detection = percist_threshold(
                refs["blood_pool" if blood else "liver"], blood_pool=blood
            )
        elif method in _ABSOLUTE:
            detection = _ABSOLUTE[method]
        elif detection_threshold is not None:
            detection = float(detection_threshold)
        elif "liver" in refs:
            detection = percist_threshold(refs["liver"])
        else:
            detection = _DEFAULT_DETECTION_SUV
            notes.append(f"no liver reference: lesions detected above SUV {detection:g}")
        candidates = (values >= detection) & allowed
        if method in _FRACTIONS:
            seeds = None
            if seeds_mm is not None:
                seeds = _snap_seeds(values, allowed, image.geometry, seeds_mm)
            regions, grow_notes = _grow_fraction(
                values,
                candidates,
                allowed,
                image.geometry,
                _FRACTIONS[method],
                seeds,
                background_correction,
            )
            notes.extend(grow_notes)
        else:
            regions = _component_regions(candidates, detection)
    voxel_ml = image.geometry.voxel_volume_ml
    kept = [r for r in regions if np.count_nonzero(r[1]) * voxel_ml >= min_volume_ml]
    if len(kept) < len(regions):
        notes.append(
            f"{len(regions) - len(kept)} region(s) smaller than {min_volume_ml:g} mL dropped"
        )
    labels_out, thresholds = _relabel(kept, values)
    return LesionSegmentation(
        labels=labels_out,
        geometry=image.geometry,
        method=method,
        thresholds=thresholds,
        detection_threshold=detection,
        references=refs,
        excluded_organs=excluded,
        notes=tuple(notes),
    )


def _snap_seeds(
    values: npt.NDArray[np.float64],
    allowed: npt.NDArray[np.bool_],
    geometry: Geometry,
    seeds_mm: Sequence[Sequence[float]],
) -> npt.NDArray[np.intp]:
    """Seed points (LPS mm) moved to the hottest allowed voxel within 10 mm."""
    ball = _ball(geometry, _SEED_SEPARATION_MM)
    offsets = np.argwhere(ball) - np.array(ball.shape) // 2
    shape = np.array(values.shape)
    out = []
    for point in seeds_mm:
        xyz = np.asarray(point, dtype=float)
        if xyz.shape != (3,) or not np.all(np.isfinite(xyz)):
            raise ThxError(f"a seed must be three LPS coordinates in mm, got {point!r}")
        ijk = np.rint(geometry.lps_to_index(xyz)).astype(int)
        kji = ijk[::-1]
        if np.any(kji < 0) or np.any(kji >= shape):
            raise ThxError(f"seed {tuple(xyz)} mm lies outside the image")
        near = kji + offsets
        near = near[np.all((near >= 0) & (near < shape), axis=1)]
        near = near[allowed[tuple(near.T)]]
        if len(near) == 0:
            raise ThxError(f"seed {tuple(xyz)} mm lies in an excluded organ")
        out.append(near[int(np.argmax(values[tuple(near.T)]))])
    return np.asarray(out, dtype=np.intp)

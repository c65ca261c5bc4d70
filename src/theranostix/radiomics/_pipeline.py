"""The IBSI 1 radiomics pipeline: image and ROI mask to the features of every family.

Steps, in the order of the IBSI reference manual (chapter "Image processing") [1]_:

1. *Initial image and ROI*: diagnostic features of the image and of the mask
   (tags ``*_init_img``, ``*_init_roi``).
2. *Interpolation* (optional, :mod:`theranostix.radiomics._interpolate`): the image
   and the mask on the *align grid centers* grid, 3D or in-plane (2D settings);
   the mask binarised at the partial-volume threshold. Only the block of the new
   grid around the ROI is computed (the ROI's bounding box plus a margin that holds
   the 1 cm³ local-intensity sphere), which gives the same values as the whole grid
   at a fraction of the cost; the whole interpolated image is computed only for its
   own diagnostic features.
3. *Re-segmentation* (:func:`theranostix.radiomics._discretise.resegment`): range
   and outlier filters turn the morphological mask into the intensity mask.
4. *Discretisation* for the texture families and the intensity histogram (fixed
   bin size from the lower bound of the re-segmentation range, or fixed bin
   number), and separately for the intensity-volume histogram.

The morphological mask feeds the morphology family (and the edge of the distance
zone matrix); the intensity mask feeds every other family. The texture families are
aggregated as the settings ask: 2D settings give the ``2D`` and ``2.5D``
aggregations, 3D settings the ``3D`` ones (``[texture] aggregations`` overrides).

References
----------
.. [1] Zwanenburg A, Leger S, Vallières M, Löck S. Image biomarker
   standardisation initiative, reference manual. arXiv:1612.07003
.. [2] Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker
   Standardization Initiative: standardized quantitative radiomics for
   high-throughput image-based phenotyping. Radiology 2020;295(2):328-338.
   doi:10.1148/radiol.2020191145
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.imaging._stats import sphere_radius_mm
from theranostix.imaging._volume import Geometry, Mask, Volume
from theranostix.radiomics._discretise import (
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
    resegment,
)
from theranostix.radiomics._settings import DiscretisationMethod, RadiomicsSettings, load_settings

__all__ = ["FAMILIES", "PreparedRoi", "extract_features", "family_features", "prepare_roi"]

#: The feature families, in the order of the IBSI reference tables.
FAMILIES: tuple[str, ...] = (
    "diagnostics",
    "morphology",
    "local_intensity",
    "statistics",
    "intensity_histogram",
    "intensity_volume_histogram",
    "glcm",
    "glrlm",
    "glszm",
    "gldzm",
    "ngtdm",
    "ngldm",
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PreparedRoi:
    """A region after interpolation, re-segmentation and discretisation.

    Arrays are indexed ``[k, j, i]`` on ``geometry``, a block of the (interpolated)
    grid that holds the ROI and a margin around it.

    Attributes
    ----------
    settings : RadiomicsSettings
    geometry : Geometry
        The block's grid; ``geometry.spacing_mm`` is ``(x, y, z)``.
    image : ndarray of float
        Intensities (interpolated and rounded as the settings ask).
    morph_mask, intensity_mask : ndarray of bool
        The morphological mask and the intensity mask (after re-segmentation).
    grey : ndarray of int
        Grey levels ``1..n_levels`` of the texture discretisation in the intensity
        mask, 0 elsewhere.
    n_levels : int
        ``Ng``: the number of bins (fixed bin number) or the highest grey level.
    diagnostics : dict of str to float
        IBSI diagnostic features of the steps (``*_init_img``, ``*_init_roi``,
        ``*_interp_roi``, ``*_reseg_roi``); the interpolated image's come from
        :func:`family_features` (``"diagnostics"``).
    """

    settings: RadiomicsSettings
    geometry: Geometry
    image: FloatArray
    morph_mask: BoolArray
    intensity_mask: BoolArray
    grey: IntArray
    n_levels: int
    diagnostics: dict[str, float]
    _source: tuple[Volume, Mask] = field(repr=False)

    def tight(self) -> tuple[slice, slice, slice]:
        """The slices of the intensity mask's bounding box within the block."""
        return _bbox_slices(self.intensity_mask)


def _bbox(mask: BoolArray) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """``(start, stop)`` of the ``[k, j, i]`` bounding box of a non-empty mask."""
    lo: list[int] = []
    hi: list[int] = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other))
        lo.append(int(hit[0]))
        hi.append(int(hit[-1]) + 1)
    return (lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2])


def _bbox_slices(mask: BoolArray) -> tuple[slice, slice, slice]:
    lo, hi = _bbox(mask)
    return slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2])


def _image_diagnostics(array: FloatArray, geometry: Geometry, step: str) -> dict[str, float]:
    """IBSI diagnostic features of an image: dimensions, voxel size, mean/min/max."""
    nz, ny, nx = geometry.shape
    sx, sy, sz = geometry.spacing_mm
    return {
        f"img_dim_x_{step}_img": float(nx),
        f"img_dim_y_{step}_img": float(ny),
        f"img_dim_z_{step}_img": float(nz),
        f"vox_dim_x_{step}_img": float(sx),
        f"vox_dim_y_{step}_img": float(sy),
        f"vox_dim_z_{step}_img": float(sz),
        f"mean_int_{step}_img": float(np.mean(array)),
        f"min_int_{step}_img": float(np.min(array)),
        f"max_int_{step}_img": float(np.max(array)),
    }


def _roi_diagnostics(
    image: FloatArray,
    morph: BoolArray,
    intensity: BoolArray,
    grid_shape: tuple[int, int, int],
    step: str,
) -> dict[str, float]:
    """IBSI diagnostic features of the masks after a processing step."""
    out: dict[str, float] = {}
    nz, ny, nx = grid_shape
    out.update(
        {
            f"int_mask_dim_x_{step}_roi": float(nx),
            f"int_mask_dim_y_{step}_roi": float(ny),
            f"int_mask_dim_z_{step}_roi": float(nz),
        }
    )
    for name, mask in (("int", intensity), ("morph", morph)):
        lo, hi = _bbox(mask)
        out[f"{name}_mask_bb_dim_x_{step}_roi"] = float(hi[2] - lo[2])
        out[f"{name}_mask_bb_dim_y_{step}_roi"] = float(hi[1] - lo[1])
        out[f"{name}_mask_bb_dim_z_{step}_roi"] = float(hi[0] - lo[0])
    out[f"int_mask_vox_count_{step}_roi"] = float(np.count_nonzero(intensity))
    out[f"morph_mask_vox_count_{step}_roi"] = float(np.count_nonzero(morph))
    values = image[intensity]
    out[f"int_mask_mean_int_{step}_roi"] = float(values.mean())
    out[f"int_mask_min_int_{step}_roi"] = float(values.min())
    out[f"int_mask_max_int_{step}_roi"] = float(values.max())
    return out


def _as_settings(settings: RadiomicsSettings | str) -> RadiomicsSettings:
    return settings if isinstance(settings, RadiomicsSettings) else load_settings(settings)


def _margin_voxels(spacing_mm: tuple[float, float, float]) -> tuple[int, int, int]:
    """Voxels ``(k, j, i)`` around the ROI that hold the 1 cm³ local-intensity sphere."""
    radius = sphere_radius_mm(1.0)
    sx, sy, sz = spacing_mm
    return (math.ceil(radius / sz) + 1, math.ceil(radius / sy) + 1, math.ceil(radius / sx) + 1)


def _check_inputs(image: Volume, mask: Mask) -> None:
    if not image.geometry.same_grid(mask.geometry):
        raise ThxError(
            f"the mask's grid {mask.geometry.shape} differs from the image's "
            f"{image.geometry.shape} (resample the mask onto the image first)"
        )
    if not mask.array.any():
        raise ThxError("the ROI mask is empty")
    bad = np.count_nonzero(~np.isfinite(image.array[mask.array]))
    if bad:
        raise ThxError(f"the image has {bad} NaN or infinite value(s) inside the ROI")


def _interpolated_block(
    image: Volume, mask: Mask, settings: RadiomicsSettings
) -> tuple[FloatArray, BoolArray, Geometry, tuple[int, int, int]]:
    """The interpolated image and mask on the block of the new grid around the ROI."""
    from theranostix.radiomics._interpolate import (
        interpolate_image,
        interpolate_mask,
        interpolation_geometry,
    )

    full, start, step = interpolation_geometry(image.geometry, settings.spacing_mm)
    lo_old, hi_old = _bbox(mask.array)
    margin = _margin_voxels(full.spacing_mm)
    lo: list[int] = []
    hi: list[int] = []
    for axis in range(3):
        # new-grid points whose position lies within one old voxel of the ROI box
        first = (lo_old[axis] - 1 - start[axis]) / step[axis]
        last = (hi_old[axis] - start[axis]) / step[axis]
        lo.append(max(0, math.floor(first) - margin[axis]))
        hi.append(min(full.shape[axis], math.ceil(last) + 1 + margin[axis]))
    block = ((lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2]))
    array, geometry = interpolate_image(
        image.array,
        image.geometry,
        settings.spacing_mm,
        method=settings.interpolation,
        rounding=settings.intensity_rounding,
        block=block,
    )
    roi, _ = interpolate_mask(
        mask.array,
        image.geometry,
        settings.spacing_mm,
        method=settings.roi_interpolation,
        partial_volume=settings.roi_partial_volume,
        block=block,
    )
    if not roi.any():
        raise ThxError(
            "the ROI vanishes after interpolation (smaller than the partial-volume threshold "
            f"{settings.roi_partial_volume} on the {settings.spacing_mm} mm grid)"
        )
    return array, roi, geometry, full.shape


def _discretise(
    values: FloatArray, settings: RadiomicsSettings
) -> tuple[npt.NDArray[np.int32], int | None]:
    """Grey levels of the intensity-mask values and ``Ng`` (None: the highest level)."""
    disc = settings.discretisation
    if disc.method is DiscretisationMethod.FIXED_BIN_SIZE:
        assert disc.bin_width is not None
        low = settings.resegmentation_range[0] if settings.resegmentation_range else None
        return discretise_fixed_bin_size(values, disc.bin_width, minimum=low), None
    if disc.method is DiscretisationMethod.FIXED_BIN_NUMBER:
        assert disc.n_bins is not None
        return discretise_fixed_bin_number(values, disc.n_bins), disc.n_bins
    levels = np.rint(values)
    if not np.allclose(levels, values, rtol=0, atol=1e-6) or levels.min() < 1:
        raise ThxError(
            f"settings {settings.name!r} ask for no discretisation, but the intensities are "
            f"not integer grey levels >= 1 (found {values.min():g}..{values.max():g}); "
            "choose fixed_bin_size or fixed_bin_number"
        )
    return levels.astype(np.int32), None


def prepare_roi(
    image: Volume, mask: Mask, settings: RadiomicsSettings | str = "pet"
) -> PreparedRoi:
    """Interpolate, re-segment and discretise a region as the settings ask.

    Parameters
    ----------
    image : Volume
        The image (e.g. SUV for PET, HU for CT).
    mask : Mask
        The ROI on the image's grid.
    settings : RadiomicsSettings or str
        Settings, or a preset name or TOML file for :func:`load_settings`.

    Returns
    -------
    PreparedRoi

    Raises
    ------
    ThxError
        Grids differ, the ROI is empty, vanishes after interpolation or
        re-segmentation, or holds non-finite intensities.

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Mask, Volume
    >>> g = Geometry((3, 4, 4), spacing_mm=(4.0, 4.0, 4.0))
    >>> a = np.arange(48, dtype=float).reshape(3, 4, 4) / 8
    >>> roi = prepare_roi(Volume(a, g), Mask(a > 1, g), "pet")
    >>> roi.n_levels, int(roi.intensity_mask.sum())
    (24, 39)
    """
    s = _as_settings(settings)
    _check_inputs(image, mask)
    array = np.asarray(image.array, dtype=np.float64)
    diagnostics = _image_diagnostics(array, image.geometry, "init")
    diagnostics.update(
        _roi_diagnostics(array, mask.array, mask.array, image.geometry.shape, "init")
    )
    if s.interpolate:
        block, roi, geometry, full_shape = _interpolated_block(image, mask, s)
    else:
        lo, hi = _bbox(mask.array)
        margin = _margin_voxels(image.geometry.spacing_mm)
        lo_m = tuple(max(0, a - m) for a, m in zip(lo, margin, strict=True))
        hi_m = tuple(
            min(n, b + m) for n, b, m in zip(image.geometry.shape, hi, margin, strict=True)
        )
        sl = tuple(slice(a, b) for a, b in zip(lo_m, hi_m, strict=True))
        block, roi = array[sl], mask.array[sl]
        geometry = image.geometry.crop(lo_m, hi_m)  # type: ignore[arg-type]
        full_shape = image.geometry.shape
    diagnostics.update(_roi_diagnostics(block, roi, roi, full_shape, "interp"))
    intensity = resegment(block, roi, value_range=s.resegmentation_range, outliers_sd=s.outliers_sd)
    diagnostics.update(_roi_diagnostics(block, roi, intensity, full_shape, "reseg"))
    levels, n_levels = _discretise(block[intensity], s)
    grey = np.zeros(block.shape, dtype=np.int64)
    grey[intensity] = levels
    return PreparedRoi(
        settings=s,
        geometry=geometry,
        image=block,
        morph_mask=roi,
        intensity_mask=intensity,
        grey=grey,
        n_levels=int(levels.max()) if n_levels is None else n_levels,
        diagnostics=diagnostics,
        _source=(image, mask),
    )


def _interp_image_diagnostics(roi: PreparedRoi) -> dict[str, float]:
    """Diagnostics of the whole interpolated image (computed on demand)."""
    image, _ = roi._source
    s = roi.settings
    if not s.interpolate:
        array = np.asarray(image.array, dtype=np.float64)
        return _image_diagnostics(array, image.geometry, "interp")
    from theranostix.radiomics._interpolate import interpolate_image

    array, geometry = interpolate_image(
        image.array,
        image.geometry,
        s.spacing_mm,
        method=s.interpolation,
        rounding=s.intensity_rounding,
    )
    return _image_diagnostics(array, geometry, "interp")


def _texture_dims(settings: RadiomicsSettings) -> tuple[str, ...]:
    if settings.aggregations:
        return settings.aggregations
    return ("2D", "2.5D") if settings.dimensionality == "2D" else ("3D",)


def _ivh(roi: PreparedRoi) -> dict[str, float]:
    from theranostix.radiomics._intensity import ivh_features

    s = roi.settings
    ivh = s.ivh
    values = roi.image[roi.intensity_mask]
    if ivh.method is DiscretisationMethod.NONE:
        return ivh_features(values, discretised=True, value_range=s.resegmentation_range)
    if ivh.method is DiscretisationMethod.FIXED_BIN_SIZE:
        return ivh_features(
            values,
            discretised=False,
            bin_width=ivh.bin_width,
            value_range=s.resegmentation_range,
        )
    assert ivh.n_bins is not None  # the settings require it for fixed_bin_number
    return ivh_features(values, discretised=False, n_bins=ivh.n_bins)


def _texture(name: str) -> Callable[[PreparedRoi], dict[str, float]]:
    def compute(roi: PreparedRoi) -> dict[str, float]:
        from theranostix.radiomics._texture import texture_features

        dims = _texture_dims(roi.settings)
        if name == "gldzm":  # distances to the edge of the morphological mask
            sl = _bbox_slices(roi.morph_mask)
            options = {"edge_mask": roi.morph_mask[sl]}
        else:
            sl = roi.tight()
            options = {}
        return texture_features(
            name, roi.grey[sl], roi.intensity_mask[sl], n_levels=roi.n_levels, dims=dims,
            **options,
        )  # fmt: skip

    return compute


def _morphology(roi: PreparedRoi) -> dict[str, float]:
    from theranostix.radiomics._morphology import morphology_features

    sl = _bbox_slices(roi.morph_mask)
    return morphology_features(
        roi.morph_mask[sl],
        roi.intensity_mask[sl],
        roi.image[sl],
        roi.geometry.spacing_mm,
        non_standard=roi.settings.non_standard_morphology,
    )


def _local_intensity(roi: PreparedRoi) -> dict[str, float]:
    from theranostix.radiomics._intensity import local_intensity_features

    return local_intensity_features(
        Volume(roi.image, roi.geometry), Mask(roi.intensity_mask, roi.geometry)
    )


def _statistics(roi: PreparedRoi) -> dict[str, float]:
    from theranostix.radiomics._intensity import statistics_features

    return statistics_features(roi.image[roi.intensity_mask])


def _histogram(roi: PreparedRoi) -> dict[str, float]:
    from theranostix.radiomics._intensity import histogram_features

    return histogram_features(roi.grey[roi.intensity_mask], n_levels=roi.n_levels)


def _diagnostics(roi: PreparedRoi) -> dict[str, float]:
    out = dict(roi.diagnostics)
    out.update(_interp_image_diagnostics(roi))
    return out


_FAMILY_FUNCTIONS: dict[str, Callable[[PreparedRoi], dict[str, float]]] = {
    "diagnostics": _diagnostics,
    "morphology": _morphology,
    "local_intensity": _local_intensity,
    "statistics": _statistics,
    "intensity_histogram": _histogram,
    "intensity_volume_histogram": _ivh,
    **{name: _texture(name) for name in ("glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm")},
}


def family_features(roi: PreparedRoi, family: str) -> dict[str, float]:
    """The features of one family (a name of :data:`FAMILIES`), keyed by IBSI tag.

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Mask, Volume
    >>> g = Geometry((1, 1, 4), spacing_mm=(2.0, 2.0, 2.0))
    >>> a = np.array([[[0.1, 0.3, 0.3, 0.6]]])
    >>> roi = prepare_roi(Volume(a, g), Mask(a > 0, g), "pet")
    >>> family_features(roi, "intensity_histogram")["ih_max"]
    3.0
    """
    try:
        compute = _FAMILY_FUNCTIONS[family]
    except KeyError:
        raise ThxError(f"family: {family!r} is not one of {', '.join(FAMILIES)}") from None
    return compute(roi)


def extract_features(
    image: Volume,
    mask: Mask,
    settings: RadiomicsSettings | str = "pet",
    *,
    families: Iterable[str] | None = None,
) -> dict[str, float]:
    """IBSI 1 features of a region: one flat mapping from IBSI tag to value.

    Parameters
    ----------
    image : Volume
    mask : Mask
        The ROI on the image's grid.
    settings : RadiomicsSettings or str
        Settings, or a preset name (``ibsi-digital``, ``ibsi-A`` .. ``ibsi-E``,
        ``pet``) or TOML file.
    families : iterable of str, optional
        Families to compute (names of :data:`FAMILIES`); all by default.

    Returns
    -------
    dict of str to float
        The tags of the IBSI reference tables (``morph_volume``, ``stat_mean``,
        ``cm_joint_max_3D_avg``, ...) to their values; NaN where a feature is
        undefined for the region.

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Mask, Volume
    >>> g = Geometry((4, 4, 4), spacing_mm=(2.0, 2.0, 2.0))
    >>> a = np.indices((4, 4, 4)).sum(axis=0) / 4.0
    >>> f = extract_features(Volume(a, g), Mask(a >= 0, g), "pet", families=["statistics"])
    >>> f["stat_mean"], f["stat_max"]
    (1.125, 2.25)
    """
    chosen = tuple(FAMILIES if families is None else families)
    for family in chosen:
        if family not in _FAMILY_FUNCTIONS:
            raise ThxError(f"family: {family!r} is not one of {', '.join(FAMILIES)}")
    roi = prepare_roi(image, mask, settings)
    out: dict[str, float] = {}
    for family in chosen:
        out.update(family_features(roi, family))
    return out

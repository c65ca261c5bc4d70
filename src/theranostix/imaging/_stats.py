"""Region statistics: maximum, mean, minimum, standard deviation and intensity peaks.

The *local intensity peak* is the IBSI 1 feature that PET calls SUVpeak when the
image is in SUV: the mean of the image in a sphere of 1 cm³ centred on the
hottest voxel of the region [1]_ [2]_. The *global intensity peak* is the
highest such sphere mean over all voxels of the region.

Distances are measured in millimetres in patient space, so anisotropic voxels
and oblique grids (a non-identity direction matrix) are handled: a voxel is in
the sphere when the distance between its centre and the centre of the sphere
is at most the radius ``r = (3 V / 4π)^(1/3)`` (6.204 mm for 1 cm³).

References
----------
.. [1] Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker
   Standardization Initiative: standardized quantitative radiomics for
   high-throughput image-based phenotyping. Radiology 2020;295(2):328-338.
   doi:10.1148/radiol.2020191145
.. [2] Zwanenburg A, Leger S, Vallières M, Löck S. Image biomarker
   standardisation initiative, reference manual, section "Local intensity
   features" (tags VJGA, loc_peak_loc, and 0F91, loc_peak_glob).
   arXiv:1612.07003
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, Mask, Volume

__all__ = [
    "RoiStatistics",
    "global_intensity_peak",
    "local_intensity_peak",
    "roi_statistics",
    "sphere_radius_mm",
]

# A voxel centre lying on the sphere surface counts as inside; this relative
# margin absorbs floating-point error in the distance.
_SURFACE_RTOL = 1e-9
# Above this many (centre, neighbour) pairs the local means are taken from a
# convolution instead of being gathered voxel by voxel.
_GATHER_LIMIT = 4_000_000
# Below this many multiply-adds a direct (exact) correlation is used; above it
# an FFT convolution.
_DIRECT_LIMIT = 2_000_000


def sphere_radius_mm(sphere_volume_ml: float) -> float:
    """Radius (mm) of a sphere of ``sphere_volume_ml`` cm³: ``r = (3V / 4π)^(1/3)``.

    Examples
    --------
    >>> round(sphere_radius_mm(1.0), 3)
    6.204
    """
    try:
        volume_ml = float(sphere_volume_ml)
    except (TypeError, ValueError):
        volume_ml = math.nan
    if not math.isfinite(volume_ml) or volume_ml <= 0:
        raise ThxError(f"sphere volume must be a positive number of mL, got {sphere_volume_ml!r}")
    return float((3.0 * volume_ml * 1000.0 / (4.0 * math.pi)) ** (1.0 / 3.0))


def _sphere_offsets(geometry: Geometry, radius_mm: float) -> npt.NDArray[np.intp]:
    """Index offsets ``(dk, dj, di)`` of the voxels whose centres are within ``radius_mm``.

    Built once per call in index space; the distance of offset ``(di, dj, dk)``
    is ``|direction @ (spacing * (di, dj, dk))|`` in mm.
    """
    linear = geometry.affine[:3, :3]  # columns: mm vectors of one step along i, j, k
    # Steps needed along each axis: the sphere fits in |d| <= r / step length,
    # with the step length the norm of the column (the spacing for an
    # orthonormal direction).
    step_mm = np.linalg.norm(linear, axis=0)
    # For a slightly non-orthonormal direction the bound r / |column| is not
    # guaranteed; one extra step on each side covers it.
    reach = np.floor(radius_mm / step_mm).astype(int) + 1
    di, dj, dk = np.meshgrid(
        np.arange(-reach[0], reach[0] + 1),
        np.arange(-reach[1], reach[1] + 1),
        np.arange(-reach[2], reach[2] + 1),
        indexing="ij",
    )
    ijk = np.stack([di.ravel(), dj.ravel(), dk.ravel()], axis=1)
    distance = np.linalg.norm(ijk @ linear.T, axis=1)
    inside = distance <= radius_mm * (1.0 + _SURFACE_RTOL)
    return np.asarray(ijk[inside][:, ::-1], dtype=np.intp)  # (dk, dj, di)


def _kernel(offsets: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """Binary spherical kernel (float) from index offsets, centred in an odd-sized box."""
    half = np.abs(offsets).max(axis=0)
    kernel = np.zeros(tuple(2 * half + 1), dtype=float)
    kernel[tuple((offsets + half).T)] = 1.0
    return kernel


def _checked_inputs(
    volume: Volume, mask: Mask
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Image values as float and the region, after checking grid, emptiness, finiteness."""
    volume.geometry.require_same_grid(mask.geometry, f"mask {mask.name!r}")
    region = np.asarray(mask.array, dtype=bool)
    if not region.any():
        raise ThxError(f"mask {mask.name!r} is empty: it has no voxel inside the region")
    image = np.asarray(volume.array, dtype=float)
    bad = np.count_nonzero(~np.isfinite(image[region]))
    if bad:
        raise ThxError(
            f"mask {mask.name!r} covers {bad} voxel(s) whose value is NaN or infinite; "
            "statistics need finite values inside the region"
        )
    return image, region


def _local_means_at(
    image: npt.NDArray[np.float64],
    valid: npt.NDArray[np.bool_],
    centres: npt.NDArray[np.intp],
    offsets: npt.NDArray[np.intp],
) -> npt.NDArray[np.float64]:
    """Mean of the valid image voxels within the sphere around each centre ``(k, j, i)``."""
    shape = np.asarray(image.shape)
    out = np.empty(len(centres))
    chunk = max(1, _GATHER_LIMIT // max(1, len(offsets)))
    for start in range(0, len(centres), chunk):
        block = centres[start : start + chunk]
        points = block[:, None, :] + offsets[None, :, :]  # (n, m, 3)
        inside = np.all((points >= 0) & (points < shape), axis=2)
        clipped = np.clip(points, 0, shape - 1)
        values = image[clipped[..., 0], clipped[..., 1], clipped[..., 2]]
        counted = inside & valid[clipped[..., 0], clipped[..., 1], clipped[..., 2]]
        total = np.where(counted, values, 0.0).sum(axis=1)
        out[start : start + chunk] = total / counted.sum(axis=1)
    return out


def _local_mean_map(
    image: npt.NDArray[np.float64],
    valid: npt.NDArray[np.bool_],
    region: npt.NDArray[np.bool_],
    offsets: npt.NDArray[np.intp],
) -> npt.NDArray[np.float64]:
    """Sphere means at every region voxel (in ``region`` order) by convolution.

    The image is cropped to the bounding box of the region widened by the
    sphere radius, which holds every voxel any region sphere can reach. The
    kernel is symmetric, so convolution equals correlation. Voxels outside the
    image (and non-finite voxels) are not counted: the sum of the values is
    divided by the convolution of the indicator of counted voxels.
    """
    from scipy import ndimage, signal

    kernel = _kernel(offsets)
    half = (np.asarray(kernel.shape) - 1) // 2
    where = np.argwhere(region)
    low = np.maximum(where.min(axis=0) - half, 0)
    high = np.minimum(where.max(axis=0) + half + 1, image.shape)
    box = tuple(slice(lo, hi) for lo, hi in zip(low, high, strict=True))
    weights = valid[box].astype(float)
    data = np.where(valid[box], image[box], 0.0)
    if data.size * np.count_nonzero(kernel) <= _DIRECT_LIMIT:
        total = ndimage.correlate(data, kernel, mode="constant", cval=0.0)
        count = ndimage.correlate(weights, kernel, mode="constant", cval=0.0)
    else:
        total = signal.fftconvolve(data, kernel, mode="same")
        count = np.rint(signal.fftconvolve(weights, kernel, mode="same"))
    inner = region[box]
    return np.asarray(total[inner] / count[inner], dtype=float)


def local_intensity_peak(volume: Volume, mask: Mask, *, sphere_volume_ml: float = 1.0) -> float:
    """IBSI local intensity peak: the sphere mean around the hottest voxel of the region.

    The mean is taken over all image voxels (inside or outside the region)
    whose centres lie within a sphere of ``sphere_volume_ml`` centred on the
    region voxel with the highest value [1]_ [2]_. When several region voxels
    share that highest value, the highest of their sphere means is returned.

    Parameters
    ----------
    volume : Volume
        The image.
    mask : Mask
        The region, on the grid of ``volume``.
    sphere_volume_ml : float
        Volume of the sphere in mL (cm³); 1 mL (radius 6.204 mm) in IBSI and for
        PERCIST SUVpeak.

    Returns
    -------
    float
        The peak, in the unit of the image.

    Raises
    ------
    GeometryMismatchError
        When the mask is not on the image grid.
    ThxError
        When the mask is empty or covers non-finite voxels.

    Notes
    -----
    Distances are Euclidean in mm, so anisotropic spacing and oblique grids
    are handled. Voxels beyond the image edge are not counted (the mean is
    over the voxels that exist); non-finite voxels outside the region (e.g.
    NaN padding beyond a PET field of view) are not counted either.

    References
    ----------
    .. [1] Zwanenburg A, et al. Radiology 2020;295(2):328-338.
       doi:10.1148/radiol.2020191145
    .. [2] IBSI reference manual, "Local intensity peak" (VJGA, loc_peak_loc).
       arXiv:1612.07003

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Mask, Volume
    >>> g = Geometry((5, 5, 5), spacing_mm=(5, 5, 5))
    >>> a = np.zeros((5, 5, 5)); a[2, 2, 2] = 7.0
    >>> local_intensity_peak(Volume(a, g), Mask(a > 0, g))  # 7 voxels within 6.2 mm
    1.0
    """
    image, region = _checked_inputs(volume, mask)
    offsets = _sphere_offsets(volume.geometry, sphere_radius_mm(sphere_volume_ml))
    valid = np.isfinite(image)
    highest = image[region].max()
    centres = np.argwhere(region & (image == highest))
    if len(centres) * len(offsets) > _GATHER_LIMIT:
        hottest = region & (image == highest)
        return float(_local_mean_map(image, valid, hottest, offsets).max())
    return float(_local_means_at(image, valid, centres, offsets).max())


def global_intensity_peak(volume: Volume, mask: Mask, *, sphere_volume_ml: float = 1.0) -> float:
    """IBSI global intensity peak: the highest sphere mean over all region voxels.

    Like :func:`local_intensity_peak`, but the sphere is centred on every voxel
    of the region in turn and the highest mean is returned [1]_ [2]_. The sphere
    means are computed at once by convolving the image with the normalised
    spherical kernel (a direct correlation for small problems, an FFT
    convolution for large ones), dividing by the convolution of the indicator
    of existing, finite voxels so that voxels beyond the image edge are not
    counted.

    Parameters
    ----------
    volume : Volume
        The image.
    mask : Mask
        The region, on the grid of ``volume``.
    sphere_volume_ml : float
        Volume of the sphere in mL (cm³).

    Returns
    -------
    float
        The peak, in the unit of the image.

    References
    ----------
    .. [1] Zwanenburg A, et al. Radiology 2020;295(2):328-338.
       doi:10.1148/radiol.2020191145
    .. [2] IBSI reference manual, "Global intensity peak" (0F91, loc_peak_glob).
       arXiv:1612.07003

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Mask, Volume
    >>> g = Geometry((1, 1, 4), spacing_mm=(10, 10, 10))
    >>> a = np.array([[[1.0, 2.0, 3.0, 0.0]]])
    >>> global_intensity_peak(Volume(a, g), Mask(a > 0, g))  # single-voxel spheres
    3.0
    """
    image, region = _checked_inputs(volume, mask)
    offsets = _sphere_offsets(volume.geometry, sphere_radius_mm(sphere_volume_ml))
    valid = np.isfinite(image)
    return float(_local_mean_map(image, valid, region, offsets).max())


@dataclass(frozen=True)
class RoiStatistics:
    """Summary statistics of an image inside one region.

    Attributes
    ----------
    name : str
        Region name (from the mask).
    voxels : int
        Number of voxels in the region.
    volume_ml : float
        Region volume, voxel count times voxel volume, in mL.
    max, mean, min : float
        Highest, mean and lowest voxel value in the region.
    std : float
        Population standard deviation (divisor N, as IBSI "intensity variance",
        ECT3) of the voxel values in the region.
    peak : float
        Local intensity peak (:func:`local_intensity_peak`), e.g. SUVpeak.
    unit : str
        Unit of the values (:class:`ImageUnit` value, e.g. ``"Bq/mL"``).
    """

    name: str
    voxels: int
    volume_ml: float
    max: float
    mean: float
    min: float
    std: float
    peak: float
    unit: str

    def as_dict(self) -> dict[str, Any]:
        """The statistics as a plain dictionary (for tables and JSON)."""
        return {
            "name": self.name,
            "voxels": self.voxels,
            "volume_ml": self.volume_ml,
            "max": self.max,
            "mean": self.mean,
            "min": self.min,
            "std": self.std,
            "peak": self.peak,
            "unit": self.unit,
        }


def roi_statistics(volume: Volume, mask: Mask, *, peak_volume_ml: float = 1.0) -> RoiStatistics:
    """Maximum, mean, minimum, standard deviation and local peak of an image in a region.

    Parameters
    ----------
    volume : Volume
        The image.
    mask : Mask
        The region, on the grid of ``volume``.
    peak_volume_ml : float
        Sphere volume of the local intensity peak, in mL.

    Returns
    -------
    RoiStatistics

    Raises
    ------
    GeometryMismatchError
        When the mask is not on the image grid (resample it first).
    ThxError
        When the mask is empty or covers non-finite voxels.

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, ImageUnit, Mask, Volume
    >>> g = Geometry((3, 3, 3), spacing_mm=(10, 10, 10))
    >>> v = Volume(np.full((3, 3, 3), 5.0), g, ImageUnit.SUV)
    >>> s = roi_statistics(v, Mask(np.ones((3, 3, 3), bool), g, "liver"))
    >>> s.voxels, s.volume_ml, s.mean, s.peak, s.unit
    (27, 27.0, 5.0, 5.0, 'SUV')
    """
    image, region = _checked_inputs(volume, mask)
    values = image[region]
    return RoiStatistics(
        name=mask.name,
        voxels=int(values.size),
        volume_ml=float(values.size * volume.geometry.voxel_volume_ml),
        max=float(values.max()),
        mean=float(values.mean()),
        min=float(values.min()),
        std=float(values.std()),
        peak=local_intensity_peak(volume, mask, sphere_volume_ml=peak_volume_ml),
        unit=volume.unit.value,
    )

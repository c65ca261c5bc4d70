"""IBSI image and ROI interpolation with the *align grid centers* method.

Grid (IBSI UMPJ, 026Q, QCY4): along an axis with ``n_a`` voxels of spacing
``s_a``, the interpolation grid of spacing ``s_b`` has ``n_b = ceil(n_a s_a / s_b)``
points, and its first point lies at grid coordinate
``x_b = (n_a - 1 - (s_b / s_a)(n_b - 1)) / 2`` of the original grid, so that both
grids share their centre. Points outside the original grid take the nearest
boundary intensity (padding, as the manual recommends). Interpolated CT
intensities may be rounded (68QD); the ROI mask is interpolated (nearest or
linear) and binarised at the partial-volume threshold ``R >= delta`` (E8H9).
For 2D (slice-wise) settings only the in-plane axes are interpolated.

Implementation: :func:`scipy.ndimage.affine_transform` with a diagonal matrix
(the grids are axis-aligned in index space), spline order 0, 1 or 3 (the
tricubic spline of the manual) and ``mode="nearest"``.

References
----------
.. [1] Zwanenburg A et al. IBSI reference manual, "Image processing:
   interpolation". arXiv:1612.07003
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry
from theranostix.radiomics._settings import Interpolation

__all__ = ["grid_axis", "interpolate_image", "interpolate_mask", "interpolation_geometry"]

Block = tuple[tuple[int, int, int], tuple[int, int, int]]
_ORDER = {Interpolation.NEAREST: 0, Interpolation.LINEAR: 1, Interpolation.CUBIC: 3}
# n_a s_a / s_b that is an integer up to floating-point error is that integer
_CEIL_TOL = 1e-6


def grid_axis(n_a: int, s_a: float, s_b: float) -> tuple[int, float, float]:
    """Interpolation grid along one axis: ``(n_b, first point, step)`` in original grid units.

    Examples
    --------
    The manual's example: 4 voxels of 3 mm interpolated to 2 mm.

    >>> n, start, step = grid_axis(4, 3.0, 2.0)
    >>> n, round(start, 4), round(step, 4)
    (6, -0.1667, 0.6667)
    """
    if n_a < 1 or not (s_a > 0 and s_b > 0):
        raise ThxError(f"invalid grid: {n_a} voxels of {s_a} mm to {s_b} mm")
    n_b = max(1, math.ceil(n_a * s_a / s_b - _CEIL_TOL))
    step = s_b / s_a
    return n_b, 0.5 * (n_a - 1 - step * (n_b - 1)), step


def interpolation_geometry(
    geometry: Geometry, spacing_mm: tuple[float, ...]
) -> tuple[Geometry, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The interpolated grid and, per array axis ``(k, j, i)``, its start and step.

    ``spacing_mm`` has three values ``(si, sj, sk)`` for 3D or two ``(si, sj)``
    for in-plane (2D) interpolation, where slices are kept.
    """
    old = geometry.spacing_mm
    if len(spacing_mm) == 2:
        target = (float(spacing_mm[0]), float(spacing_mm[1]), old[2])
    elif len(spacing_mm) == 3:
        target = tuple(float(s) for s in spacing_mm)  # type: ignore[assignment]
    else:
        raise ThxError(f"interpolation spacing needs 2 or 3 values, got {spacing_mm!r}")
    shape_ijk, start_ijk, step_ijk = [], [], []
    for axis, n_a in enumerate(geometry.shape[::-1]):  # i, j, k
        if len(spacing_mm) == 2 and axis == 2:
            n_b, start, step = n_a, 0.0, 1.0
        else:
            n_b, start, step = grid_axis(n_a, old[axis], target[axis])
        shape_ijk.append(n_b)
        start_ijk.append(start)
        step_ijk.append(step)
    origin = geometry.index_to_lps(np.array(start_ijk))
    new = Geometry(
        (shape_ijk[2], shape_ijk[1], shape_ijk[0]),
        origin_mm=(float(origin[0]), float(origin[1]), float(origin[2])),
        spacing_mm=(old[0] * step_ijk[0], old[1] * step_ijk[1], old[2] * step_ijk[2]),
        direction=geometry.direction,
    )
    return new, np.array(start_ijk[::-1]), np.array(step_ijk[::-1])


def _block_grid(
    grid: Geometry,
    start: npt.NDArray[np.float64],
    step: npt.NDArray[np.float64],
    block: Block | None,
) -> tuple[Geometry, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The grid, start and step of a block of the interpolation grid."""
    if block is None:
        return grid, start, step
    lo, hi = block
    sub = grid.crop(lo, hi)
    first = np.array([max(0, int(a)) for a in lo], dtype=np.float64)
    return sub, start + first * step, step


def _transform(
    array: npt.NDArray[np.floating],
    shape: tuple[int, int, int],
    start: npt.NDArray[np.float64],
    step: npt.NDArray[np.float64],
    order: int,
) -> npt.NDArray[np.float64]:
    from scipy import ndimage

    return np.asarray(
        ndimage.affine_transform(
            np.asarray(array, dtype=np.float64),
            step,
            offset=start,
            output_shape=shape,
            order=order,
            mode="nearest",
        ),
        dtype=np.float64,
    )


def interpolate_image(
    array: npt.NDArray[np.floating],
    geometry: Geometry,
    spacing_mm: tuple[float, ...],
    *,
    method: Interpolation = Interpolation.LINEAR,
    rounding: float | None = None,
    block: Block | None = None,
) -> tuple[npt.NDArray[np.float64], Geometry]:
    """Interpolate an image onto the IBSI *align grid centers* grid.

    Parameters
    ----------
    array : ndarray
        Intensities indexed ``[k, j, i]`` on ``geometry``.
    geometry : Geometry
    spacing_mm : tuple of float
        ``(si, sj, sk)`` (3D) or ``(si, sj)`` (in-plane only).
    method : Interpolation
        Nearest neighbour, (tri)linear or (tri)cubic spline.
    rounding : float, optional
        Round the result to multiples of this step (1.0 for Hounsfield units).
    block : ((k0, j0, i0), (k1, j1, i1)), optional
        Compute only this block of the new grid (stop exclusive); the values are
        those of the whole grid, and the geometry is the block's.

    Returns
    -------
    array, geometry
    """
    if array.shape != geometry.shape:
        raise ThxError(f"image shape {array.shape} differs from its geometry {geometry.shape}")
    new, start, step = _block_grid(*interpolation_geometry(geometry, spacing_mm), block)
    out = _transform(array, new.shape, start, step, _ORDER[method])
    if rounding is not None:
        out = np.round(out / rounding) * rounding
    return out, new


def interpolate_mask(
    mask: npt.NDArray[np.bool_],
    geometry: Geometry,
    spacing_mm: tuple[float, ...],
    *,
    method: Interpolation = Interpolation.LINEAR,
    partial_volume: float = 0.5,
    block: Block | None = None,
) -> tuple[npt.NDArray[np.bool_], Geometry]:
    """Interpolate a ROI mask and binarise it at ``R >= partial_volume`` (IBSI E8H9).

    ``block`` selects a block of the new grid as in :func:`interpolate_image`.
    """
    if method is Interpolation.CUBIC:
        raise ThxError("a ROI mask is interpolated by nearest neighbour or linear, not cubic")
    if not 0 < partial_volume <= 1:
        raise ThxError(f"partial-volume threshold must lie in (0, 1], got {partial_volume}")
    new, start, step = _block_grid(*interpolation_geometry(geometry, spacing_mm), block)
    values = _transform(mask.astype(np.float64), new.shape, start, step, _ORDER[method])
    # float32 precision as the manual asks, with a margin against 0.4999... from rounding
    return np.asarray(values >= partial_volume - 1e-6), new

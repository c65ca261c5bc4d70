"""Checks shared by the feature families: a discretised image and its ROI mask."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from theranostix.errors import ThxError

__all__ = ["ALL_DIMS", "check_dims", "select_dims", "validate_discretised"]

#: The texture aggregation dimensionalities: per slice (2D), slices merged (2.5D), volume (3D).
ALL_DIMS: tuple[str, ...] = ("2D", "2.5D", "3D")


def check_dims(dims: Iterable[str]) -> frozenset[str]:
    """The requested aggregation dimensionalities, checked against :data:`ALL_DIMS`.

    Examples
    --------
    >>> sorted(check_dims(["3D", "2D"]))
    ['2D', '3D']
    """
    chosen = frozenset(dims)
    unknown = sorted(chosen - set(ALL_DIMS))
    if unknown or not chosen:
        raise ThxError(
            f"texture aggregations: {unknown or 'none'} given; choose among {', '.join(ALL_DIMS)}"
        )
    return chosen


def tag_dims(tag: str) -> str:
    """The aggregation dimensionality of a texture tag (``cm_energy_2_5D_avg`` -> ``2.5D``)."""
    for marker, dims in (("_2_5D", "2.5D"), ("_3D", "3D"), ("_2D", "2D")):
        if marker in tag:
            return dims
    raise ThxError(f"tag {tag!r} names no aggregation")


def select_dims(features: dict[str, float], chosen: frozenset[str]) -> dict[str, float]:
    """The features whose aggregation is among ``chosen``.

    Examples
    --------
    >>> select_dims({"szm_sze_2D": 1.0, "szm_sze_2_5D": 2.0}, frozenset({"2.5D"}))
    {'szm_sze_2_5D': 2.0}
    """
    return {tag: value for tag, value in features.items() if tag_dims(tag) in chosen}


def validate_discretised(
    grey: npt.ArrayLike,
    mask: npt.ArrayLike,
    n_levels: int | None,
) -> tuple[NDArray[np.int64], NDArray[np.bool_], int]:
    """Check a discretised image and ROI mask; return them as 3D arrays and ``Ng``.

    Parameters
    ----------
    grey
        Integer grey levels ``1..Ng`` indexed ``[k, j, i]`` (a 2D array is one slice).
    mask
        Boolean ROI of the same shape as ``grey``.
    n_levels
        Number of grey levels ``Ng``; ``None`` uses ``grey[mask].max()``.

    Returns
    -------
    tuple
        ``(grey, mask, n_levels)`` with ``grey`` as int64 and both arrays 3D.

    Raises
    ------
    ThxError
        If the shapes differ, the mask is empty, grey levels inside the ROI are not
        integers in ``1..n_levels``, or ``n_levels`` is smaller than 1.
    """
    grey_arr = np.asarray(grey)
    mask_arr = np.asarray(mask)
    if mask_arr.dtype != np.bool_:
        raise ThxError(f"mask must be a boolean array, got dtype {mask_arr.dtype}")
    if grey_arr.shape != mask_arr.shape:
        raise ThxError(
            f"grey and mask must have the same shape, got {grey_arr.shape} and {mask_arr.shape}"
        )
    if grey_arr.ndim == 2:
        grey_arr = grey_arr[np.newaxis]
        mask_arr = mask_arr[np.newaxis]
    if grey_arr.ndim != 3:
        raise ThxError(f"grey must be a 2D or 3D array indexed [k, j, i], got {grey_arr.ndim}D")
    if not mask_arr.any():
        raise ThxError("mask is empty: the ROI contains no voxel")
    roi = grey_arr[mask_arr]
    if not np.all(np.equal(np.mod(roi, 1), 0)):
        raise ThxError("grey must hold integer grey levels inside the ROI (discretise first)")
    roi_int = roi.astype(np.int64)
    if roi_int.min() < 1:
        raise ThxError(
            f"grey levels inside the ROI must lie in 1..Ng (discretise first), "
            f"found {int(roi_int.min())}"
        )
    if n_levels is None:
        n_levels = int(roi_int.max())
    if n_levels < 1:
        raise ThxError(f"n_levels must be at least 1, got {n_levels}")
    if roi_int.min() < 1 or roi_int.max() > n_levels:
        raise ThxError(
            f"grey levels inside the ROI must lie in 1..{n_levels}, "
            f"found {int(roi_int.min())}..{int(roi_int.max())}"
        )
    grey_int = np.where(mask_arr, grey_arr, 0).astype(np.int64)
    return grey_int, mask_arr, int(n_levels)

"""IBSI 1 re-segmentation and intensity discretisation.

Re-segmentation (IBSI IF9H) updates the *intensity mask* (SEFI) only; the
*morphological mask* (G5KJ) keeps the original ROI. Two methods, combinable
(the intersection of their intensity ranges is kept):

* range re-segmentation (USB3): keep voxels with ``a <= X <= b`` (``b`` may be
  infinite);
* outlier filtering (7ACA): keep voxels within ``mean ± 3 SD`` of the ROI
  (population standard deviation).

Discretisation (4R0B) maps intensities to grey levels starting at 1:

* fixed bin number (K15C): ``floor(Ng (X - Xmin) / (Xmax - Xmin)) + 1``, and
  ``Ng`` for ``X = Xmax``, with ``Xmin`` and ``Xmax`` those of the intensity mask;
* fixed bin size (Q3RU): ``floor((X - Xmin) / w) + 1``, ``Xmin`` the lower bound
  of the re-segmentation range when there is one (recommended), else the ROI's
  minimum.

References
----------
.. [1] Zwanenburg A, Leger S, Vallières M, Löck S, et al. Image biomarker
   standardisation initiative, reference manual, chapter "Image processing".
   arXiv:1612.07003
.. [2] Zwanenburg A et al. Radiology 2020;295:328-338. doi:10.1148/radiol.2020191145
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError

__all__ = [
    "discretise_fixed_bin_number",
    "discretise_fixed_bin_size",
    "resegment",
]

# Relative tolerance for floor((X - Xmin) / w): a value that lies on a bin edge up
# to rounding error of the division belongs to the upper bin, as in exact arithmetic.
_EDGE_RTOL = 1e-9


def resegment(
    image: npt.NDArray[np.floating],
    mask: npt.NDArray[np.bool_],
    *,
    value_range: tuple[float, float] | None = None,
    outliers_sd: float | None = None,
) -> npt.NDArray[np.bool_]:
    """The intensity mask after range and/or outlier re-segmentation (IBSI IF9H).

    Parameters
    ----------
    image : ndarray
        Intensities, indexed ``[k, j, i]``.
    mask : ndarray of bool
        The ROI (morphological mask).
    value_range : (float, float), optional
        Closed interval ``[a, b]`` of intensities kept (USB3); ``b`` may be ``inf``.
    outliers_sd : float, optional
        Keep voxels within ``mean ± outliers_sd x SD`` of the ROI (7ACA; 3 in IBSI).

    Returns
    -------
    ndarray of bool
        The intensity mask.

    Raises
    ------
    ThxError
        When the ROI is empty, or nothing is left after re-segmentation.

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0, 3.0, 100.0]]])
    >>> resegment(x, x > 0, value_range=(2.0, math.inf)).tolist()
    [[[False, True, True, True]]]
    """
    roi = np.asarray(mask, dtype=bool)
    if roi.shape != image.shape:
        raise ThxError(f"mask shape {roi.shape} differs from the image's {image.shape}")
    if not roi.any():
        raise ThxError("the ROI mask is empty")
    keep = roi.copy()
    values = np.asarray(image, dtype=float)
    if value_range is not None:
        low, high = (float(v) for v in value_range)
        if not low <= high:
            raise ThxError(f"re-segmentation range [{low}, {high}] is empty")
        keep &= (values >= low) & (values <= high)
    if outliers_sd is not None:
        if not outliers_sd > 0:
            raise ThxError(f"outlier filter needs a positive number of SD, got {outliers_sd}")
        inside = values[roi]
        mean, sd = float(inside.mean()), float(inside.std())
        keep &= np.abs(values - mean) <= outliers_sd * sd
    if not keep.any():
        raise ThxError("no voxel of the ROI is left after re-segmentation")
    return keep


def discretise_fixed_bin_number(values: npt.ArrayLike, n_bins: int) -> npt.NDArray[np.int32]:
    """Fixed bin number discretisation (IBSI K15C) of the ROI's intensities.

    Examples
    --------
    >>> discretise_fixed_bin_number([0.0, 0.5, 1.0, 2.0], 4).tolist()
    [1, 2, 3, 4]
    >>> discretise_fixed_bin_number([3.0, 3.0], 8).tolist()  # no range: one level
    [1, 1]
    """
    x = np.asarray(values, dtype=float)
    if not (isinstance(n_bins, int | np.integer) and n_bins >= 1):
        raise ThxError(f"the number of bins must be a positive integer, got {n_bins!r}")
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ThxError("discretisation needs a non-empty set of finite intensities")
    low, high = float(x.min()), float(x.max())
    if high == low:
        return np.ones(x.shape, dtype=np.int32)
    levels = np.floor(n_bins * (x - low) / (high - low)).astype(np.int64) + 1
    return np.minimum(levels, n_bins).astype(np.int32)


def discretise_fixed_bin_size(
    values: npt.ArrayLike, bin_width: float, *, minimum: float | None = None
) -> npt.NDArray[np.int32]:
    """Fixed bin size discretisation (IBSI Q3RU) of the ROI's intensities.

    Parameters
    ----------
    values : array_like
        Intensities of the intensity mask.
    bin_width : float
        Bin width ``w`` in the image unit (e.g. 0.25 SUV, 25 HU).
    minimum : float, optional
        ``Xmin``: the lower bound of the re-segmentation range (recommended by
        IBSI); the smallest intensity when not given.

    Examples
    --------
    >>> discretise_fixed_bin_size([0.0, 0.24, 0.25, 1.0], 0.25, minimum=0.0).tolist()
    [1, 1, 2, 5]
    """
    x = np.asarray(values, dtype=float)
    if not (math.isfinite(bin_width) and bin_width > 0):
        raise ThxError(f"bin width must be a positive number, got {bin_width!r}")
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ThxError("discretisation needs a non-empty set of finite intensities")
    low = float(x.min()) if minimum is None else float(minimum)
    if x.min() < low:
        raise ThxError(
            f"intensity {float(x.min()):g} lies below the discretisation minimum {low:g}; "
            "re-segment with the same lower bound first"
        )
    scaled = (x - low) / bin_width
    levels = np.floor(scaled * (1.0 + _EDGE_RTOL) + _EDGE_RTOL).astype(np.int64) + 1
    return levels.astype(np.int32)

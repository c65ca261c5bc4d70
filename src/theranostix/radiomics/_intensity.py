"""IBSI 1 intensity features: statistics, intensity histogram, IVH and local intensity.

Four feature families of the IBSI reference manual [1]_ [2]_ that do not look at
the spatial arrangement of grey levels (except *local intensity*):

- :func:`statistics_features`: intensity-based statistics (IBSI UHIW, tags
  ``stat_*``) on the ROI's intensities, discretised or not;
- :func:`histogram_features`: intensity histogram features (IBSI ZVCW, tags
  ``ih_*``) on the discretised grey levels ``1..Ng`` of the ROI;
- :func:`ivh_features`: intensity-volume histogram features (IBSI P88C, tags
  ``ivh_*``);
- :func:`local_intensity_features`: local and global intensity peak (IBSI
  9ST6, tags ``loc_peak_*``), taken from :mod:`theranostix.imaging._stats`.

All families are computed on the 3D volume as a whole (IBSI DHQ4). Percentiles
are the linearly interpolated sample percentiles of NumPy (``numpy.percentile``
default), as used for the IBSI benchmark values.

References
----------
.. [1] Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker
   Standardization Initiative: standardized quantitative radiomics for
   high-throughput image-based phenotyping. Radiology 2020;295(2):328-338.
   doi:10.1148/radiol.2020191145
.. [2] Zwanenburg A, Leger S, Vallières M, Löck S. Image biomarker
   standardisation initiative, reference manual. arXiv:1612.07003
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.imaging._stats import global_intensity_peak, local_intensity_peak
from theranostix.imaging._volume import Mask, Volume
from theranostix.radiomics._discretise import (
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
)

__all__ = [
    "histogram_features",
    "ivh_features",
    "local_intensity_features",
    "statistics_features",
]

# Number of bins of the fixed bin number discretisation that IBSI recommends
# for the IVH of arbitrary intensity units.
_IVH_ARBITRARY_BINS = 1000
# Relative tolerance of the comparisons of intensity and volume fractions with
# the thresholds 10 % and 90 % (fractions such as 0.1 are not exact in binary).
_FRACTION_RTOL = 1e-9


def _finite_values(values: npt.ArrayLike, what: str) -> npt.NDArray[np.float64]:
    """The values as a flat float array; raises on an empty or non-finite set."""
    x = np.asarray(values, dtype=float).reshape(-1)
    if x.size == 0:
        raise ThxError(f"{what} needs at least one ROI voxel, got an empty set of values")
    bad = np.count_nonzero(~np.isfinite(x))
    if bad:
        raise ThxError(f"{what} needs finite intensities, got {bad} NaN or infinite value(s)")
    return x


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN (without a warning) when the denominator is 0."""
    return numerator / denominator if denominator != 0 else math.nan


def _distribution_features(x: npt.NDArray[np.float64], prefix: str) -> dict[str, float]:
    """The statistics shared by the ``stat`` and ``ih`` families, tagged ``{prefix}_*``."""
    mean = float(x.mean())
    centred = x - mean
    var = float(np.mean(centred**2))
    if var > 0:
        skew = float(np.mean(centred**3)) / var**1.5
        kurt = float(np.mean(centred**4)) / var**2 - 3.0
    else:  # IBSI: skewness and kurtosis are 0 when the variance is 0
        skew = kurt = 0.0
    p10, p25, median, p75, p90 = (float(p) for p in np.percentile(x, [10, 25, 50, 75, 90]))
    robust = x[(x >= p10) & (x <= p90)]  # may be empty for very small ROIs (e.g. 2 voxels)
    rmad = float(np.mean(np.abs(robust - robust.mean()))) if robust.size else math.nan
    x_min, x_max = float(x.min()), float(x.max())
    return {
        f"{prefix}_mean": mean,
        f"{prefix}_var": var,
        f"{prefix}_skew": skew,
        f"{prefix}_kurt": kurt,
        f"{prefix}_median": median,
        f"{prefix}_min": x_min,
        f"{prefix}_p10": p10,
        f"{prefix}_p90": p90,
        f"{prefix}_max": x_max,
        f"{prefix}_iqr": p75 - p25,
        f"{prefix}_range": x_max - x_min,
        f"{prefix}_mad": float(np.mean(np.abs(centred))),
        f"{prefix}_rmad": rmad,
        f"{prefix}_medad": float(np.mean(np.abs(x - median))),
        f"{prefix}_cov": _ratio(math.sqrt(var), mean),
        f"{prefix}_qcod": _ratio(p75 - p25, p75 + p25),
    }


def statistics_features(values: npt.ArrayLike) -> dict[str, float]:
    """IBSI intensity-based statistical features (UHIW) of the ROI's intensities.

    With ``X`` the ``N_v`` intensities of the ROI intensity mask and ``mu``
    their mean [1]_ [2]_:

    - ``stat_mean`` (Q4LE): ``mu``;
    - ``stat_var`` (ECT3): ``mean((X - mu)^2)`` (no bias correction);
    - ``stat_skew`` (KE2A): ``mean((X - mu)^3) / var^(3/2)``, 0 when ``var = 0``;
    - ``stat_kurt`` (IPH6): excess kurtosis ``mean((X - mu)^4) / var^2 - 3``,
      0 when ``var = 0``;
    - ``stat_median`` (Y12H), ``stat_min`` (1GSF), ``stat_p10`` (QG58),
      ``stat_p90`` (8DWT), ``stat_max`` (84IY);
    - ``stat_iqr`` (SALO): ``P75 - P25``; ``stat_range`` (2OJQ): ``max - min``;
    - ``stat_mad`` (4FUA): ``mean(|X - mu|)``;
    - ``stat_rmad`` (1128): mean absolute deviation from their own mean of the
      intensities within ``[P10, P90]`` (NaN when no intensity is in it);
    - ``stat_medad`` (N72L): ``mean(|X - median|)``;
    - ``stat_cov`` (7TET): ``sqrt(var) / mu`` (NaN when ``mu = 0``);
    - ``stat_qcod`` (9S40): ``(P75 - P25) / (P75 + P25)`` (NaN when the
      denominator is 0);
    - ``stat_energy`` (N8CA): ``sum(X^2)``;
    - ``stat_rms`` (5ZWQ): ``sqrt(mean(X^2))``.

    Parameters
    ----------
    values : array_like
        Intensities of the ROI intensity mask (any shape; flattened).

    Returns
    -------
    dict of str to float
        Feature tag to value.

    Raises
    ------
    ThxError
        When ``values`` is empty or holds NaN or infinite values.

    References
    ----------
    .. [1] Zwanenburg A, et al. Radiology 2020;295(2):328-338.
       doi:10.1148/radiol.2020191145
    .. [2] IBSI reference manual, "Intensity-based statistical features"
       (UHIW). arXiv:1612.07003

    Examples
    --------
    >>> f = statistics_features([1.0, 2.0, 3.0, 4.0])
    >>> f["stat_mean"], f["stat_var"], f["stat_energy"], f["stat_range"]
    (2.5, 1.25, 30.0, 3.0)
    """
    x = _finite_values(values, "intensity-based statistics")
    features = _distribution_features(x, "stat")
    energy = float(np.sum(x**2))
    features["stat_energy"] = energy
    features["stat_rms"] = math.sqrt(energy / x.size)
    return features


def _histogram_gradient(counts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """IBSI histogram gradient ``H'``: one-sided at both ends, central inside."""
    if counts.size == 1:
        return np.zeros(1)
    gradient = np.empty_like(counts)
    gradient[0] = counts[1] - counts[0]
    gradient[-1] = counts[-1] - counts[-2]
    gradient[1:-1] = (counts[2:] - counts[:-2]) / 2.0
    return gradient


def histogram_features(grey: npt.ArrayLike, *, n_levels: int | None = None) -> dict[str, float]:
    """IBSI intensity histogram features (ZVCW) of the ROI's discretised grey levels.

    With ``X_d`` the grey levels of the ``N_v`` ROI voxels, ``n_i`` the number of
    voxels with grey level ``i`` and ``p_i = n_i / N_v`` for ``i = 1..Ng`` [1]_ [2]_:

    - ``ih_mean`` (X6K6), ``ih_var`` (CH89), ``ih_skew`` (88K1), ``ih_kurt``
      (C3I7, excess), ``ih_median`` (WIFQ), ``ih_min`` (1PR8), ``ih_p10``
      (GPMT), ``ih_p90`` (OZ0C), ``ih_max`` (3NCY), ``ih_iqr`` (WR0O),
      ``ih_range`` (5Z3W), ``ih_mad`` (D2ZX), ``ih_rmad`` (WRZB), ``ih_medad``
      (4RNL), ``ih_cov`` (CWYJ) and ``ih_qcod`` (SLWD): as the statistics of
      :func:`statistics_features`, on ``X_d``;
    - ``ih_mode`` (AMMC): the grey level with the highest count; among tied
      bins the one closest to the mean, the lower one when two are equally
      close;
    - ``ih_entropy`` (TLU2): ``-sum(p_i log2 p_i)`` over the non-empty bins;
    - ``ih_uniformity`` (BJ5W): ``sum(p_i^2)``;
    - ``ih_max_grad`` (12CE) and ``ih_min_grad`` (VQB3): maximum and minimum of
      the histogram gradient ``H'_1 = n_2 - n_1``,
      ``H'_i = (n_{i+1} - n_{i-1}) / 2`` for ``1 < i < Ng`` and
      ``H'_Ng = n_Ng - n_{Ng-1}``, computed on the full (non-sparse) histogram;
    - ``ih_max_grad_g`` (8E6O) and ``ih_min_grad_g`` (RHQZ): the grey levels at
      which they occur (the lowest one on a tie).

    Parameters
    ----------
    grey : array_like of int
        Discretised grey levels ``1..Ng`` of the ROI voxels (any shape; flattened).
    n_levels : int, optional
        ``Ng``, the number of grey levels of the discretisation; the highest grey
        level present when not given. Empty bins up to ``Ng`` enter the gradient.

    Returns
    -------
    dict of str to float
        Feature tag to value.

    Raises
    ------
    ThxError
        When ``grey`` is empty, not integer, outside ``1..Ng``, or ``n_levels``
        is not a positive integer.

    References
    ----------
    .. [1] Zwanenburg A, et al. Radiology 2020;295(2):328-338.
       doi:10.1148/radiol.2020191145
    .. [2] IBSI reference manual, "Intensity histogram features" (ZVCW).
       arXiv:1612.07003

    Examples
    --------
    >>> f = histogram_features([1, 1, 1, 2, 4], n_levels=4)
    >>> f["ih_mode"], f["ih_uniformity"], f["ih_max_grad"], f["ih_min_grad"], f["ih_min_grad_g"]
    (1.0, 0.44, 1.0, -2.0, 1.0)
    """
    x = _finite_values(grey, "intensity histogram features")
    levels = np.rint(x)
    if not np.array_equal(levels, x):
        raise ThxError(
            "intensity histogram features need integer grey levels 1..Ng; "
            "discretise the intensities first (theranostix.radiomics._discretise)"
        )
    highest = int(levels.max())
    if n_levels is None:
        n_grey = highest
    elif isinstance(n_levels, bool) or not isinstance(n_levels, int | np.integer):
        raise ThxError(f"n_levels must be a positive integer, got {n_levels!r}")
    else:
        n_grey = int(n_levels)
    if n_grey < 1:
        raise ThxError(f"n_levels must be a positive integer, got {n_levels!r}")
    if levels.min() < 1 or highest > n_grey:
        raise ThxError(f"grey levels must lie in 1..{n_grey}, found {int(levels.min())}..{highest}")
    features = _distribution_features(levels, "ih")
    counts = np.bincount(levels.astype(np.intp) - 1, minlength=n_grey).astype(float)
    grey_levels = np.arange(1, n_grey + 1, dtype=float)
    p = counts / levels.size
    # Mode: highest count; ties go to the bin closest to the mean, then the lower bin.
    tied = grey_levels[counts == counts.max()]
    distance = np.abs(tied - features["ih_mean"])
    mode = float(tied[np.flatnonzero(distance == distance.min())[0]])
    present = p[p > 0]
    gradient = _histogram_gradient(counts)
    features.update(
        {
            "ih_mode": mode,
            "ih_entropy": float(-np.sum(present * np.log2(present))),
            "ih_uniformity": float(np.sum(p**2)),
            "ih_max_grad": float(gradient.max()),
            "ih_max_grad_g": float(grey_levels[int(np.argmax(gradient))]),
            "ih_min_grad": float(gradient.min()),
            "ih_min_grad_g": float(grey_levels[int(np.argmin(gradient))]),
        }
    )
    return features


def _range_bounds(
    value_range: tuple[float, float] | None, x: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """``(low, high)`` of the IVH range: the given bounds, infinite ones replaced by the data."""
    if value_range is None:
        return float(x.min()), float(x.max())
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ThxError(
            f"value_range must be two numbers (low, high), got {value_range!r}"
        ) from None
    if math.isnan(low) or math.isnan(high):
        raise ThxError(f"value_range must be two numbers (low, high), got {value_range!r}")
    low = float(x.min()) if math.isinf(low) else low
    high = float(x.max()) if math.isinf(high) else high
    if x.min() < low or x.max() > high:
        raise ThxError(
            f"intensities {float(x.min()):g}..{float(x.max()):g} lie outside value_range "
            f"[{low:g}, {high:g}]; re-segment with the same range first"
        )
    return low, high


def _ivh_bins(
    x: npt.NDArray[np.float64],
    *,
    discretised: bool,
    bin_width: float | None,
    value_range: tuple[float, float] | None,
    n_bins: int = _IVH_ARBITRARY_BINS,
) -> tuple[npt.NDArray[np.intp], int, float, float, float]:
    """Voxel positions on the IVH grid and the grid: ``(index, n, start, step, span)``.

    The IVH is evaluated at the discretised intensities ``start + m * step`` for
    ``m = 0..n-1``; ``index`` is the grid position of every voxel and ``span``
    is ``max(G) - min(G)``, the denominator of the intensity fraction.
    """
    if bin_width is not None and not (math.isfinite(bin_width) and bin_width > 0):
        raise ThxError(f"bin_width must be a positive number, got {bin_width!r}")
    if discretised:
        # Discrete calibrated intensities (e.g. CT, or grey levels): X_d,gl = X_gl,
        # G = the re-segmentation range or [min, max], w_d = 1 unless given.
        step = 1.0 if bin_width is None else float(bin_width)
        low, high = _range_bounds(value_range, x)
        scaled = (x - low) / step
        index = np.rint(scaled)
        if not np.allclose(index, scaled, rtol=0.0, atol=1e-6):
            raise ThxError(
                f"discretised intensities must lie on the grid {low:g} + m * {step:g}; "
                "pass discretised=False with a bin_width for continuous intensities"
            )
        n = round((high - low) / step) + 1
        return index.astype(np.intp), n, low, step, high - low
    low, high = _range_bounds(value_range, x)
    if bin_width is None:
        # Arbitrary units: fixed bin number with 1000 bins, X_d,gl = X_d, G = [1, Ng].
        bins = discretise_fixed_bin_number(x, n_bins)
        return bins.astype(np.intp) - 1, n_bins, 1.0, 1.0, float(n_bins - 1)
    # Continuous calibrated intensities: fixed bin size from X_gl,min, bin centres
    # X_d,gl = X_gl,min + (X_d - 0.5) w_b, G = [X_gl,min + w_b/2, X_gl,max - w_b/2].
    bins = discretise_fixed_bin_size(x, bin_width, minimum=low)
    n = int(bins.max())
    return bins.astype(np.intp) - 1, n, low + 0.5 * bin_width, bin_width, high - low - bin_width


def ivh_features(
    values: npt.ArrayLike,
    *,
    discretised: bool,
    bin_width: float | None = None,
    value_range: tuple[float, float] | None = None,
    n_bins: int = _IVH_ARBITRARY_BINS,
) -> dict[str, float]:
    """IBSI intensity-volume histogram features (P88C) of the ROI's intensities.

    The IVH is evaluated at the discretised intensities ``i`` of the total range
    ``G``, including those absent from the ROI [1]_ [2]_. The fractional volume
    is ``nu_i = 1 - (1/N_v) sum_k [X_d,gl,k < i]`` and the intensity fraction
    ``gamma_i = (i - min G) / (max G - min G)``. Then:

    - ``ivh_v10``, ``ivh_v90`` (BC2M): volume at intensity fraction ``V_x``, the
      largest ``nu`` among the intensities with ``gamma >= x``;
    - ``ivh_i10``, ``ivh_i90`` (GBPN): intensity at volume fraction ``I_x``, the
      lowest ``i`` with ``nu_i <= x`` (``max G + w_d``, where ``nu = 0``, when
      no intensity of ``G`` qualifies);
    - ``ivh_diff_v10_v90`` (DDTU): ``V10 - V90``;
    - ``ivh_diff_i10_i90`` (CNV2): ``I10 - I90``;
    - ``ivh_auc`` (9CMM): area under the IVH curve ``nu(gamma)`` by the
      trapezoidal rule (not standardised by IBSI).

    The discretisation follows the IBSI recommendations:

    - ``discretised=True`` (discrete calibrated intensities such as CT HU, or
      grey levels already discretised): the values are used as they are,
      ``G = value_range`` or ``[min, max]``, interval ``w_d = bin_width`` or 1;
    - ``discretised=False`` with ``bin_width`` (continuous calibrated
      intensities such as PET SUV): fixed bin size discretisation from
      ``X_min`` (lower bound of ``value_range``, or the minimum), bin centres
      ``X_min + (X_d - 0.5) w_b`` and ``G = [X_min + w_b/2, X_max - w_b/2]``;
    - ``discretised=False`` without ``bin_width`` (arbitrary units): fixed bin
      number discretisation into ``n_bins`` bins (1000, as IBSI recommends, by
      default), ``G = [1, n_bins]``, ``w_d = 1``.

    Parameters
    ----------
    values : array_like
        Intensities of the ROI intensity mask (any shape; flattened).
    discretised : bool
        Whether the intensities are already discrete (see above).
    bin_width : float, optional
        Discretisation interval ``w_d`` (discretised) or bin width ``w_b``
        (continuous), in the image unit.
    value_range : tuple of float, optional
        Re-segmentation range ``(low, high)``; an infinite bound is replaced by
        the minimum or maximum intensity.
    n_bins : int
        Number of bins for arbitrary units (no ``bin_width``).

    Returns
    -------
    dict of str to float
        Feature tag to value.

    Raises
    ------
    ThxError
        When the values are empty or non-finite, lie outside ``value_range``,
        are not on the grid of a discretised IVH, or span a single intensity
        (the intensity fraction is then undefined).

    References
    ----------
    .. [1] Zwanenburg A, et al. Radiology 2020;295(2):328-338.
       doi:10.1148/radiol.2020191145
    .. [2] IBSI reference manual, "Intensity-volume histogram features"
       (P88C). arXiv:1612.07003

    Examples
    --------
    >>> f = ivh_features([1, 1, 2, 3, 4, 5, 6, 7, 8, 11], discretised=True)
    >>> f["ivh_v10"], f["ivh_v90"], f["ivh_i10"], f["ivh_i90"]
    (0.8, 0.1, 9.0, 2.0)
    """
    x = _finite_values(values, "intensity-volume histogram features")
    index, n, start, step, span = _ivh_bins(
        x, discretised=discretised, bin_width=bin_width, value_range=value_range, n_bins=n_bins
    )
    if not span > 0 or n < 2:
        raise ThxError(
            "the intensity-volume histogram needs a range G of more than one intensity; "
            f"got max(G) - min(G) = {span:g}"
        )
    grid = np.arange(n)
    # nu_m: fraction of voxels at or above grid intensity m (suffix sums of the histogram).
    counts = np.bincount(index, minlength=n)[:n]
    volume = np.cumsum(counts[::-1])[::-1] / x.size
    intensity = start + grid * step
    gamma = grid * step / span

    def volume_at(fraction: float) -> float:
        at_least = gamma >= fraction * (1.0 - _FRACTION_RTOL)
        return float(volume[at_least].max()) if at_least.any() else 0.0

    def intensity_at(fraction: float) -> float:
        at_most = volume <= fraction * (1.0 + _FRACTION_RTOL)
        return float(intensity[at_most][0]) if at_most.any() else float(start + n * step)

    v10, v90 = volume_at(0.10), volume_at(0.90)
    i10, i90 = intensity_at(0.10), intensity_at(0.90)
    auc = float(np.sum(np.diff(gamma) * (volume[1:] + volume[:-1]) / 2.0))
    return {
        "ivh_v10": v10,
        "ivh_v90": v90,
        "ivh_i10": i10,
        "ivh_i90": i90,
        "ivh_diff_v10_v90": v10 - v90,
        "ivh_diff_i10_i90": i10 - i90,
        "ivh_auc": auc,
    }


def local_intensity_features(volume: Volume, mask: Mask) -> dict[str, float]:
    """IBSI local intensity features (9ST6): local and global intensity peak.

    - ``loc_peak_loc`` (VJGA): mean intensity in a 1 cm³ sphere centred on the
      ROI voxel of highest intensity (the highest such mean on a tie);
    - ``loc_peak_glob`` (0F91): the highest 1 cm³ sphere mean over all ROI voxels.

    The spheres draw on all image voxels, inside the ROI or not [1]_ [2]_; see
    :func:`theranostix.imaging._stats.local_intensity_peak` and
    :func:`theranostix.imaging._stats.global_intensity_peak`.

    Parameters
    ----------
    volume : Volume
        The image (not discretised).
    mask : Mask
        The ROI intensity mask, on the grid of ``volume``.

    Returns
    -------
    dict of str to float
        Feature tag to value.

    References
    ----------
    .. [1] Zwanenburg A, et al. Radiology 2020;295(2):328-338.
       doi:10.1148/radiol.2020191145
    .. [2] IBSI reference manual, "Local intensity features" (9ST6; VJGA,
       0F91). arXiv:1612.07003

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Mask, Volume
    >>> g = Geometry((1, 1, 3), spacing_mm=(10, 10, 10))
    >>> a = np.array([[[1.0, 4.0, 2.0]]])
    >>> local_intensity_features(Volume(a, g), Mask(a > 1, g))
    {'loc_peak_loc': 4.0, 'loc_peak_glob': 4.0}
    """
    return {
        "loc_peak_loc": local_intensity_peak(volume, mask),
        "loc_peak_glob": global_intensity_peak(volume, mask),
    }

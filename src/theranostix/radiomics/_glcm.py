"""Grey level co-occurrence matrix (GLCM) features, IBSI 1 family "Co-occurrence matrix".

Images are discretised (integer grey levels ``1..Ng``) and indexed ``[k, j, i]`` with
``k`` the slice. Co-occurrences are counted between voxels of the ROI at Chebyshev
distance 1; a neighbour outside the mask (or outside the image) is not paired.
Matrices are made symmetric by adding the counts of the opposite direction.

Aggregation (IBSI reference manual, section "Aggregating features"), suffixes as in the
IBSI tags:

* ``2D_avg``: one matrix per slice and in-plane direction (4 directions); features of
  every matrix, averaged over slices and directions.
* ``2D_comb``: per slice, the 4 directional matrices are merged (summed); features per
  slice, averaged over slices ("slice-merged").
* ``2_5D_avg``: per in-plane direction, the matrices of all slices are merged; features
  per direction, averaged over directions ("direction-merged").
* ``2_5D_comb``: all in-plane matrices of all slices merged into one ("merged").
* ``3D_avg``: one 3D matrix per direction (13 directions); features averaged.
* ``3D_comb``: the 13 directional 3D matrices merged into one.

References
----------
Zwanenburg A, Leger S, Vallières M, Löck S. Image biomarker standardisation initiative.
arXiv:1612.07003. https://doi.org/10.48550/arXiv.1612.07003

Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker Standardization
Initiative: standardized quantitative radiomics for high-throughput image-based
phenotyping. Radiology 2020;295:328-338. https://doi.org/10.1148/radiol.2020191145
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from theranostix.radiomics._roi import ALL_DIMS, check_dims, select_dims, validate_discretised

__all__ = ["glcm_features"]

Offset = tuple[int, int, int]

#: The 4 in-plane directions (dk, dj, di) at Chebyshev distance 1 (one of each +/- pair).
DIRECTIONS_2D: tuple[Offset, ...] = ((0, 0, 1), (0, 1, 1), (0, 1, 0), (0, 1, -1))

#: The 13 directions in 3D at Chebyshev distance 1 (one of each +/- pair).
DIRECTIONS_3D: tuple[Offset, ...] = (
    *DIRECTIONS_2D,
    *((1, dj, di) for dj in (-1, 0, 1) for di in (-1, 0, 1)),
)

#: GLCM feature names (the IBSI tag without the ``cm_`` prefix and aggregation suffix).
GLCM_FEATURE_NAMES: tuple[str, ...] = (
    "joint_max",
    "joint_avg",
    "joint_var",
    "joint_entr",
    "diff_avg",
    "diff_var",
    "diff_entr",
    "sum_avg",
    "sum_var",
    "sum_entr",
    "energy",
    "contrast",
    "dissimilarity",
    "inv_diff",
    "inv_diff_norm",
    "inv_diff_mom",
    "inv_diff_mom_norm",
    "inv_var",
    "corr",
    "auto_corr",
    "clust_tend",
    "clust_shade",
    "clust_prom",
    "info_corr1",
    "info_corr2",
)


def _shifted_views(shape: Sequence[int], offset: Offset) -> tuple[tuple[slice, ...], ...]:
    """Slices selecting voxels ``p`` and their neighbours ``p + offset`` inside the image."""
    src: list[slice] = []
    dst: list[slice] = []
    for size, step in zip(shape, offset, strict=True):
        if step >= 0:
            src.append(slice(0, size - step))
            dst.append(slice(step, size))
        else:
            src.append(slice(-step, size))
            dst.append(slice(0, size + step))
    return tuple(src), tuple(dst)


def cooccurrence_per_slice(
    grey: NDArray[np.int64],
    mask: NDArray[np.bool_],
    offset: Offset,
    n_levels: int,
    *,
    per_slice: bool = True,
) -> NDArray[np.float64]:
    """Symmetric co-occurrence counts per slice for one direction.

    Parameters
    ----------
    grey
        Grey levels ``1..Ng`` (0 outside the ROI), indexed ``[k, j, i]``.
    mask
        Boolean ROI.
    offset
        Direction ``(dk, dj, di)``.
    n_levels
        Number of grey levels ``Ng``.
    per_slice
        ``False`` sums over the slices while counting: one ``(Ng, Ng)`` matrix, the
        memory of the grey levels only (3D aggregation).

    Returns
    -------
    numpy.ndarray
        Counts of shape ``(K, Ng, Ng)``; entry ``[k]`` holds the pairs whose first voxel
        lies in slice ``k`` (for in-plane directions, the pairs of slice ``k``). Shape
        ``(Ng, Ng)`` when ``per_slice`` is false.
    """
    src, dst = _shifted_views(grey.shape, offset)
    valid = mask[src] & mask[dst]
    first = grey[src][valid] - 1
    second = grey[dst][valid] - 1
    ng2 = n_levels * n_levels
    if not per_slice:
        pairs = np.bincount(first * n_levels + second, minlength=ng2).astype(np.float64)
        matrix = pairs.reshape(n_levels, n_levels)
        return matrix + matrix.T
    k = np.nonzero(valid)[0] + src[0].start
    n_slices = grey.shape[0]
    counts = np.bincount(k * ng2 + first * n_levels + second, minlength=n_slices * ng2)
    matrices = counts.reshape(n_slices, n_levels, n_levels).astype(np.float64)
    return matrices + matrices.transpose(0, 2, 1)


def _entropy(p: NDArray[np.float64]) -> float:
    nz = p[p > 0]
    return float(-np.sum(nz * np.log2(nz)))


def glcm_matrix_features(counts: NDArray[np.float64]) -> dict[str, float]:
    """IBSI co-occurrence features of one (merged) co-occurrence matrix.

    Parameters
    ----------
    counts
        Symmetric ``Ng x Ng`` co-occurrence counts with at least one pair.

    Returns
    -------
    dict[str, float]
        Feature name (see ``GLCM_FEATURE_NAMES``) to value. Correlation and the
        information correlations are ``nan`` when undefined (a single grey level).

    Notes
    -----
    With ``p_ij`` the normalised matrix, ``p_i`` its marginal, ``p_{i-j}(k)`` the diagonal
    and ``p_{i+j}(k)`` the cross-diagonal probabilities (IBSI identifiers in brackets):
    joint maximum max p_ij [GYBY]; joint average mu = sum i p_ij [60VM]; joint variance
    sum (i - mu)^2 p_ij [UR99]; joint entropy -sum p_ij log2 p_ij [TU9B]; difference
    average sum k p_{i-j}(k) [TF7R]; difference variance [D3YU]; difference entropy
    [NTRS]; sum average [ZGXS]; sum variance [OEEB]; sum entropy [P6QZ]; angular second
    moment sum p_ij^2 [8ZQL]; contrast sum (i-j)^2 p_ij [ACUI]; dissimilarity [8S9J];
    inverse difference sum p_{i-j}(k)/(1+k) [IB1Z]; normalised inverse difference
    sum p_{i-j}(k)/(1+k/Ng) [NDRX]; inverse difference moment sum p_{i-j}(k)/(1+k^2)
    [WF0Z]; normalised IDM sum p_{i-j}(k)/(1+(k/Ng)^2) [1QCO]; inverse variance
    sum_{k>0} p_{i-j}(k)/k^2 [E8JP]; correlation (sum i j p_ij - mu_i mu_j)/(s_i s_j)
    [NI2N]; autocorrelation sum i j p_ij [QWB0]; cluster tendency, shade and prominence
    sum (i + j - mu_i - mu_j)^n p_ij for n = 2, 3, 4 [DG8W, 7NFM, AE86]; information
    correlation 1 (HXY - HXY1)/HX [R8DG] and 2 sqrt(1 - exp(-2 (HXY2 - HXY))) [JN9H].
    """
    n_levels = counts.shape[0]
    p = counts / counts.sum()
    levels = np.arange(1, n_levels + 1, dtype=np.float64)
    ii, jj = np.meshgrid(levels, levels, indexing="ij")
    p_i = p.sum(axis=1)
    p_j = p.sum(axis=0)
    mu_i = float(np.sum(levels * p_i))
    mu_j = float(np.sum(levels * p_j))
    var_i = float(np.sum((levels - mu_i) ** 2 * p_i))
    var_j = float(np.sum((levels - mu_j) ** 2 * p_j))

    diff_idx = np.abs(ii - jj).astype(np.int64).ravel()
    p_diff = np.bincount(diff_idx, weights=p.ravel(), minlength=n_levels).astype(np.float64)
    k_diff = np.arange(n_levels, dtype=np.float64)
    sum_idx = (ii + jj).astype(np.int64).ravel() - 2
    p_sum = np.bincount(sum_idx, weights=p.ravel(), minlength=2 * n_levels - 1).astype(np.float64)
    k_sum = np.arange(2, 2 * n_levels + 1, dtype=np.float64)

    diff_avg = float(np.sum(k_diff * p_diff))
    sum_avg = float(np.sum(k_sum * p_sum))
    joint_avg = float(np.sum(ii * p))

    hxy = _entropy(p)
    hx = _entropy(p_i)
    hy = _entropy(p_j)
    px_py = np.outer(p_i, p_j)
    nz = p > 0
    hxy1 = float(-np.sum(p[nz] * np.log2(px_py[nz])))
    hxy2 = _entropy(px_py)
    h_max = max(hx, hy)

    corr = (
        (float(np.sum(ii * jj * p)) - mu_i * mu_j) / np.sqrt(var_i * var_j)
        if var_i > 0 and var_j > 0
        else float("nan")
    )
    cluster = ii + jj - mu_i - mu_j
    return {
        "joint_max": float(p.max()),
        "joint_avg": joint_avg,
        "joint_var": float(np.sum((ii - joint_avg) ** 2 * p)),
        "joint_entr": hxy,
        "diff_avg": diff_avg,
        "diff_var": float(np.sum((k_diff - diff_avg) ** 2 * p_diff)),
        "diff_entr": _entropy(p_diff),
        "sum_avg": sum_avg,
        "sum_var": float(np.sum((k_sum - sum_avg) ** 2 * p_sum)),
        "sum_entr": _entropy(p_sum),
        "energy": float(np.sum(p * p)),
        "contrast": float(np.sum(k_diff**2 * p_diff)),
        "dissimilarity": diff_avg,
        "inv_diff": float(np.sum(p_diff / (1.0 + k_diff))),
        "inv_diff_norm": float(np.sum(p_diff / (1.0 + k_diff / n_levels))),
        "inv_diff_mom": float(np.sum(p_diff / (1.0 + k_diff**2))),
        "inv_diff_mom_norm": float(np.sum(p_diff / (1.0 + (k_diff / n_levels) ** 2))),
        "inv_var": float(np.sum(p_diff[1:] / k_diff[1:] ** 2)),
        "corr": float(corr),
        "auto_corr": float(np.sum(ii * jj * p)),
        "clust_tend": float(np.sum(cluster**2 * p)),
        "clust_shade": float(np.sum(cluster**3 * p)),
        "clust_prom": float(np.sum(cluster**4 * p)),
        "info_corr1": (hxy - hxy1) / h_max if h_max > 0 else float("nan"),
        "info_corr2": float(np.sqrt(max(0.0, 1.0 - np.exp(-2.0 * (hxy2 - hxy))))),
    }


def aggregate(
    per_slice: Sequence[NDArray[np.float64]],
    per_direction_3d: Sequence[NDArray[np.float64]],
    features: Callable[[NDArray[np.float64], float], dict[str, float]],
    voxels_per_slice: NDArray[np.float64],
    names: Iterable[str],
    prefix: str,
) -> dict[str, float]:
    """Apply the IBSI aggregation methods to directional matrices.

    Parameters
    ----------
    per_slice
        For each in-plane direction, the per-slice matrices, shape ``(K, ...)``; empty
        to skip the 2D and 2.5D aggregations.
    per_direction_3d
        For each 3D direction, the matrix of the whole volume; empty to skip 3D.
    features
        ``features(matrix, n_voxels)`` returning feature name to value; ``n_voxels`` is
        the number of ROI voxels behind the (merged) matrix, counted once per merged
        directional matrix (IBSI: merged matrices count the voxels of every part).
    voxels_per_slice
        Number of ROI voxels in each slice.
    names
        Feature names in output order.
    prefix
        Family prefix of the tags (``"cm"`` or ``"rlm"``).

    Returns
    -------
    dict[str, float]
        Tag ``{prefix}_{name}_{aggregation}`` to value, for the aggregations computed.
    """
    total_voxels = float(voxels_per_slice.sum())
    results: dict[str, list[dict[str, float]]] = {}
    if per_slice:
        n_dir_2d = len(per_slice)
        stack = np.stack(per_slice)  # (directions, K, ...)
        present = stack.sum(axis=tuple(range(2, stack.ndim))) > 0  # (directions, K)
        results["2D_avg"] = [
            features(stack[d, k], float(voxels_per_slice[k]))
            for k in range(stack.shape[1])
            for d in range(n_dir_2d)
            if present[d, k]
        ]
        results["2D_comb"] = [
            features(stack[:, k].sum(axis=0), n_dir_2d * float(voxels_per_slice[k]))
            for k in range(stack.shape[1])
            if present[:, k].any()
        ]
        results["2_5D_avg"] = [
            features(stack[d].sum(axis=0), total_voxels)
            for d in range(n_dir_2d)
            if present[d].any()
        ]
        merged_2d = stack.sum(axis=(0, 1))
        results["2_5D_comb"] = (
            [features(merged_2d, n_dir_2d * total_voxels)] if present.any() else []
        )
    if per_direction_3d:
        results["3D_avg"] = [features(m, total_voxels) for m in per_direction_3d if m.sum() > 0]
        merged_3d = np.sum(per_direction_3d, axis=0)
        results["3D_comb"] = (
            [features(merged_3d, len(per_direction_3d) * total_voxels)]
            if merged_3d.sum() > 0
            else []
        )
    names = tuple(names)
    out: dict[str, float] = {}
    for suffix, values in results.items():
        for name in names:
            out[f"{prefix}_{name}_{suffix}"] = (
                float(np.mean([v[name] for v in values])) if values else float("nan")
            )
    return out


def glcm_features(
    grey: NDArray[np.integer] | NDArray[np.floating],
    mask: NDArray[np.bool_],
    *,
    n_levels: int | None = None,
    dims: Iterable[str] = ALL_DIMS,
) -> dict[str, float]:
    """IBSI grey level co-occurrence matrix features for all six aggregations.

    Parameters are those of :func:`theranostix.radiomics.texture_features`.

    Returns
    -------
    dict[str, float]
        IBSI tag (e.g. ``cm_joint_max_3D_avg``) to value, for every feature of
        ``GLCM_FEATURE_NAMES`` and the aggregations ``2D_avg``, ``2D_comb``,
        ``2_5D_avg``, ``2_5D_comb``, ``3D_avg`` and ``3D_comb``. A feature is ``nan``
        when no pair of ROI voxels exists for that aggregation.

    References
    ----------
    Zwanenburg A et al. Image biomarker standardisation initiative, section "Grey level
    co-occurrence based features" (IBSI identifier LFYI). arXiv:1612.07003.
    Zwanenburg A et al. Radiology 2020;295:328-338. doi:10.1148/radiol.2020191145

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.array([[[1, 1, 2]]])
    >>> f = glcm_features(grey, grey > 0)
    >>> f["cm_joint_max_3D_comb"]
    0.5
    """
    return directional_features(
        grey,
        mask,
        n_levels,
        dims,
        cooccurrence_per_slice,
        lambda m, _n: glcm_matrix_features(m),
        GLCM_FEATURE_NAMES,
        "cm",
    )


def directional_features(
    grey: NDArray[np.integer] | NDArray[np.floating],
    mask: NDArray[np.bool_],
    n_levels: int | None,
    dims: Iterable[str],
    counts_of: Callable[..., NDArray[np.float64]],
    features: Callable[[NDArray[np.float64], float], dict[str, float]],
    names: Iterable[str],
    prefix: str,
) -> dict[str, float]:
    """Directional matrices (GLCM, GLRLM) of a ROI, aggregated as ``dims`` asks.

    ``counts_of(grey, mask, offset, n_levels, per_slice=...)`` counts one direction:
    per slice for the 2D and 2.5D aggregations, summed over the volume for 3D.
    """
    grey_i, mask_b, ng = validate_discretised(grey, mask, n_levels)
    chosen = check_dims(dims)
    per_slice = (
        [counts_of(grey_i, mask_b, d, ng) for d in DIRECTIONS_2D] if chosen & {"2D", "2.5D"} else []
    )
    per_direction_3d = (
        [counts_of(grey_i, mask_b, d, ng, per_slice=False) for d in DIRECTIONS_3D]
        if "3D" in chosen
        else []
    )
    voxels = mask_b.sum(axis=(1, 2)).astype(np.float64)
    out = aggregate(per_slice, per_direction_3d, features, voxels, names, prefix)
    return select_dims(out, chosen)

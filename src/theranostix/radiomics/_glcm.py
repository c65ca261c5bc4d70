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

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
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


def glcm_matrix_features(
    counts: NDArray[np.float64],
    *,
    levels: NDArray[np.float64] | None = None,
    n_levels: int | None = None,
) -> dict[str, float]:
    """IBSI co-occurrence features of one (merged) co-occurrence matrix.

    Parameters
    ----------
    counts
        Symmetric ``m x m`` co-occurrence counts with at least one pair.
    levels
        The grey level of each row (increasing); ``1..m`` by default. A matrix
        restricted to the levels present in the ROI gives the same features as
        the full ``Ng x Ng`` one, at a fraction of the cost.
    n_levels
        ``Ng``, for the normalised inverse differences; ``max(levels)`` by default.

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
    batch = glcm_batch_features(counts[np.newaxis], levels=levels, n_levels=n_levels)
    return {name: float(values[0]) for name, values in batch.items()}


def _entropy_rows(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """``-sum p log2 p`` over all but the first axis, zeros skipped."""
    logs = np.log2(p, out=np.zeros_like(p), where=p > 0)
    return np.asarray(-np.sum((p * logs).reshape(p.shape[0], -1), axis=1))


def glcm_batch_features(
    counts: NDArray[np.float64],
    *,
    levels: NDArray[np.float64] | None = None,
    n_levels: int | None = None,
) -> dict[str, NDArray[np.float64]]:
    """The features of :func:`glcm_matrix_features` for a stack of matrices at once.

    ``counts`` has shape ``(D, m, m)``; every feature comes back as an array of
    ``D`` values (same formulas, vectorised over the stack).
    """
    n_mat, m = counts.shape[0], counts.shape[1]
    if levels is None:
        levels = np.arange(1, m + 1, dtype=np.float64)
    if n_levels is None:
        n_levels = int(levels[-1])
    p = counts / counts.sum(axis=(1, 2))[:, None, None]
    ii, jj = np.meshgrid(levels, levels, indexing="ij")
    p_i = p.sum(axis=2)
    p_j = p.sum(axis=1)
    mu_i = p_i @ levels
    mu_j = p_j @ levels
    var_i = np.sum((levels[None, :] - mu_i[:, None]) ** 2 * p_i, axis=1)
    var_j = np.sum((levels[None, :] - mu_j[:, None]) ** 2 * p_j, axis=1)

    # diagonal (|i - j| = k) and cross-diagonal (i + j = k) probabilities, all matrices
    # at once: one bincount with an offset per matrix
    flat = p.reshape(n_mat, -1)
    offsets = np.arange(n_mat)[:, None]
    diff_idx = np.abs(ii - jj).astype(np.int64).ravel()
    p_diff = (
        np.bincount(
            (offsets * n_levels + diff_idx).ravel(),
            weights=flat.ravel(),
            minlength=n_mat * n_levels,
        )
        .reshape(n_mat, n_levels)
        .astype(np.float64)
    )
    k_diff = np.arange(n_levels, dtype=np.float64)
    n_sum = 2 * n_levels - 1
    sum_idx = (ii + jj).astype(np.int64).ravel() - 2
    p_sum = (
        np.bincount(
            (offsets * n_sum + sum_idx).ravel(), weights=flat.ravel(), minlength=n_mat * n_sum
        )
        .reshape(n_mat, n_sum)
        .astype(np.float64)
    )
    k_sum = np.arange(2, 2 * n_levels + 1, dtype=np.float64)

    diff_avg = p_diff @ k_diff
    sum_avg = p_sum @ k_sum
    joint_avg = np.einsum("ij,dij->d", ii, p)
    auto_corr = np.einsum("ij,dij->d", ii * jj, p)

    hxy = _entropy_rows(p)
    hx = _entropy_rows(p_i)
    hy = _entropy_rows(p_j)
    px_py = p_i[:, :, None] * p_j[:, None, :]
    logs = np.log2(px_py, out=np.zeros_like(px_py), where=p > 0)
    hxy1 = -np.sum((p * logs).reshape(n_mat, -1), axis=1)
    hxy2 = _entropy_rows(px_py)
    h_max = np.maximum(hx, hy)

    sd = np.sqrt(var_i * var_j)
    corr = np.full(n_mat, np.nan)
    ok = (var_i > 0) & (var_j > 0)
    corr[ok] = (auto_corr[ok] - mu_i[ok] * mu_j[ok]) / sd[ok]
    info1 = np.full(n_mat, np.nan)
    has = h_max > 0
    info1[has] = (hxy[has] - hxy1[has]) / h_max[has]
    cluster = ii[None] + jj[None] - mu_i[:, None, None] - mu_j[:, None, None]
    cluster2 = cluster**2 * p

    def total(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(x.reshape(n_mat, -1).sum(axis=1))

    return {
        "joint_max": p.reshape(n_mat, -1).max(axis=1),
        "joint_avg": joint_avg,
        "joint_var": total((ii[None] - joint_avg[:, None, None]) ** 2 * p),
        "joint_entr": hxy,
        "diff_avg": diff_avg,
        "diff_var": np.sum((k_diff[None] - diff_avg[:, None]) ** 2 * p_diff, axis=1),
        "diff_entr": _entropy_rows(p_diff),
        "sum_avg": sum_avg,
        "sum_var": np.sum((k_sum[None] - sum_avg[:, None]) ** 2 * p_sum, axis=1),
        "sum_entr": _entropy_rows(p_sum),
        "energy": total(p * p),
        "contrast": p_diff @ k_diff**2,
        "dissimilarity": diff_avg,
        "inv_diff": p_diff @ (1.0 / (1.0 + k_diff)),
        "inv_diff_norm": p_diff @ (1.0 / (1.0 + k_diff / n_levels)),
        "inv_diff_mom": p_diff @ (1.0 / (1.0 + k_diff**2)),
        "inv_diff_mom_norm": p_diff @ (1.0 / (1.0 + (k_diff / n_levels) ** 2)),
        "inv_var": p_diff[:, 1:] @ (1.0 / k_diff[1:] ** 2),
        "corr": corr,
        "auto_corr": auto_corr,
        "clust_tend": total(cluster2),
        "clust_shade": total(cluster2 * cluster),
        "clust_prom": total(cluster2 * cluster**2),
        "info_corr1": info1,
        "info_corr2": np.sqrt(np.maximum(0.0, 1.0 - np.exp(-2.0 * (hxy2 - hxy)))),
    }


#: Features of a stack of matrices: ``many(stack, n_voxels)`` -> one array per feature.
BatchFeatures = Callable[[NDArray[np.float64], NDArray[np.float64]], dict[str, NDArray[np.float64]]]


def aggregate(
    per_slice: Sequence[NDArray[np.float64]] | Sequence[NDArray[np.int64]],
    per_direction_3d: Sequence[NDArray[np.float64]] | Sequence[NDArray[np.int64]],
    many: BatchFeatures,
    voxels_per_slice: NDArray[np.float64],
    names: Iterable[str],
    prefix: str,
) -> dict[str, float]:
    """Apply the IBSI aggregation methods to directional matrices of equal shape.

    The matrices behind every aggregation are stacked and their features computed in
    one call of ``many``.

    Parameters
    ----------
    per_slice
        For each in-plane direction, the per-slice matrices, shape ``(K, ...)``; empty
        to skip the 2D and 2.5D aggregations.
    per_direction_3d
        For each 3D direction, the matrix of the whole volume; empty to skip 3D.
    many
        ``many(stack, n_voxels)``: the features of the matrices stacked on the first
        axis, one array per feature; ``n_voxels`` is the number of ROI voxels behind
        each (merged) matrix, counted once per merged directional matrix (IBSI: merged
        matrices count the voxels of every part).
    voxels_per_slice
        Number of ROI voxels in each slice.
    names
        Feature names in output order.
    prefix
        Family prefix of the tags (``"cm"`` or ``"rlm"``).

    Returns
    -------
    dict[str, float]
        Tag ``{prefix}_{name}_{aggregation}`` to value (NaN when no matrix of the
        aggregation holds a count), for the aggregations computed.
    """
    total = float(voxels_per_slice.sum())
    parts: list[tuple[str, NDArray[np.float64], NDArray[np.float64]]] = []

    def add(suffix: str, matrices: npt.ArrayLike, n_voxels: npt.ArrayLike) -> None:
        stack = np.asarray(matrices, dtype=np.float64)
        parts.append((suffix, stack, np.broadcast_to(np.asarray(n_voxels, float), stack.shape[:1])))

    if per_slice:
        stack = np.stack(per_slice)  # (directions, K, ...)
        n_dir = stack.shape[0]
        present = np.any(stack, axis=tuple(range(2, stack.ndim)))  # (directions, K)
        k_idx, d_idx = np.nonzero(present.T)  # slice by slice, directions within
        add("2D_avg", stack[d_idx, k_idx], voxels_per_slice[k_idx])
        slices = np.flatnonzero(present.any(axis=0))
        add("2D_comb", stack[:, slices].sum(axis=0), n_dir * voxels_per_slice[slices])
        by_direction = stack.sum(axis=1)
        add("2_5D_avg", by_direction[present.any(axis=1)], total)
        add("2_5D_comb", by_direction.sum(axis=0)[np.newaxis][: int(present.any())], n_dir * total)
    if per_direction_3d:
        volume = np.stack(per_direction_3d)
        add("3D_avg", volume[np.any(volume, axis=tuple(range(1, volume.ndim)))], total)
        merged = volume.sum(axis=0)[np.newaxis]
        add("3D_comb", merged[: int(merged.any())], len(per_direction_3d) * total)
    names = tuple(names)
    values: dict[str, NDArray[np.float64]] = {}
    if any(len(m) for _, m, _ in parts):
        values = many(
            np.concatenate([m for _, m, _ in parts if len(m)]),
            np.concatenate([n for _, m, n in parts if len(m)]),
        )
    out: dict[str, float] = {}
    first = 0
    for suffix, part, _ in parts:
        for name in names:
            rows = values[name][first : first + len(part)] if len(part) else None
            out[f"{prefix}_{name}_{suffix}"] = math.nan if rows is None else float(np.mean(rows))
        first += len(part)
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
    grey_i, mask_b, ng = validate_discretised(grey, mask, n_levels)
    # count on the grey levels present only (fixed bin size from a range bound leaves
    # many levels empty); the features use the true levels and Ng
    present = np.flatnonzero(np.bincount(grey_i[mask_b], minlength=ng + 1))
    lookup = np.zeros(ng + 1, dtype=np.int64)
    lookup[present] = np.arange(1, present.size + 1)
    values = present.astype(np.float64)
    return directional_features(
        lookup[grey_i],
        mask_b,
        int(present.size),
        dims,
        cooccurrence_per_slice,
        lambda stack, _n: glcm_batch_features(stack, levels=values, n_levels=ng),
        GLCM_FEATURE_NAMES,
        "cm",
    )


def directional_features(
    grey: NDArray[np.integer] | NDArray[np.floating],
    mask: NDArray[np.bool_],
    n_levels: int | None,
    dims: Iterable[str],
    counts_of: Callable[..., NDArray[np.float64]],
    many: BatchFeatures,
    names: Iterable[str],
    prefix: str,
) -> dict[str, float]:
    """Directional matrices of a ROI (GLCM), aggregated as ``dims`` asks.

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
    out = aggregate(per_slice, per_direction_3d, many, voxels, names, prefix)
    return select_dims(out, chosen)

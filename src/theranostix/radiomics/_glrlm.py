"""Grey level run length matrix (GLRLM) features, IBSI 1 family "Run length matrix".

Images are discretised (integer grey levels ``1..Ng``) and indexed ``[k, j, i]`` with
``k`` the slice. A run is a maximal sequence of consecutive ROI voxels with the same grey
level along one direction; runs stop at the mask border. Directions are the 4 in-plane
directions (2D and 2.5D) or the 13 directions in 3D, and the six IBSI aggregations are
the same as for the co-occurrence matrix (see :mod:`theranostix.radiomics._glcm`). When
matrices are merged, the number of voxels ``Nv`` used by the run percentage is the sum
over the merged matrices (so ``Nv`` times the number of merged directions).

References
----------
Zwanenburg A, Leger S, Vallières M, Löck S. Image biomarker standardisation initiative.
arXiv:1612.07003. https://doi.org/10.48550/arXiv.1612.07003

Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker Standardization
Initiative: standardized quantitative radiomics for high-throughput image-based
phenotyping. Radiology 2020;295:328-338. https://doi.org/10.1148/radiol.2020191145
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from theranostix.radiomics._glcm import (
    Offset,
    directional_features,
)
from theranostix.radiomics._roi import ALL_DIMS

__all__ = ["glrlm_features"]

#: GLRLM feature names (the IBSI tag without the ``rlm_`` prefix and aggregation suffix).
GLRLM_FEATURE_NAMES: tuple[str, ...] = (
    "sre",
    "lre",
    "lgre",
    "hgre",
    "srlge",
    "srhge",
    "lrlge",
    "lrhge",
    "glnu",
    "glnu_norm",
    "rlnu",
    "rlnu_norm",
    "r_perc",
    "gl_var",
    "rl_var",
    "rl_entr",
)


def run_length_per_slice(
    grey: NDArray[np.int64],
    mask: NDArray[np.bool_],
    offset: Offset,
    n_levels: int,
    *,
    per_slice: bool = True,
) -> NDArray[np.float64]:
    """Run length counts per slice for one direction.

    Voxels are ordered along the lines of the direction by index arithmetic (each voxel
    gets the index of its line's first voxel and its position along the line), then
    run-length encoded in one pass; line ends and voxels outside the mask end a run.

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
        ``False`` counts the runs of the whole volume in one ``(Ng, Lmax)`` matrix.

    Returns
    -------
    numpy.ndarray
        Counts of shape ``(K, Ng, Lmax)`` with ``Lmax = max(grey.shape)``; entry
        ``[k, i - 1, j - 1]`` counts the runs of grey level ``i`` and length ``j`` whose
        first voxel lies in slice ``k``. Shape ``(Ng, Lmax)`` when ``per_slice`` is false.
    """
    shape = grey.shape
    max_len = max(shape)
    coords = np.indices(shape, dtype=np.int64).reshape(3, -1)
    steps_back = np.full(coords.shape[1], max_len, dtype=np.int64)
    for axis, step in enumerate(offset):
        if step > 0:
            np.minimum(steps_back, coords[axis], out=steps_back)
        elif step < 0:
            np.minimum(steps_back, shape[axis] - 1 - coords[axis], out=steps_back)
    start = coords - steps_back * np.asarray(offset, dtype=np.int64)[:, np.newaxis]
    line = np.ravel_multi_index((start[0], start[1], start[2]), shape)
    order = np.argsort(line * max_len + steps_back, kind="stable")
    del start
    values = np.where(mask, grey, 0).ravel()[order]
    line = line[order]
    new_run = np.ones(values.size, dtype=np.bool_)
    new_run[1:] = (values[1:] != values[:-1]) | (line[1:] != line[:-1])
    run_starts = np.flatnonzero(new_run)
    lengths = np.diff(np.append(run_starts, values.size))
    levels = values[run_starts]
    keep = levels > 0
    cells = n_levels * max_len
    if not per_slice:
        runs = np.bincount((levels[keep] - 1) * max_len + (lengths[keep] - 1), minlength=cells)
        return runs.reshape(n_levels, max_len).astype(np.float64)
    slice_k = coords[0][order[run_starts[keep]]]
    n_slices = shape[0]
    counts = np.bincount(
        slice_k * cells + (levels[keep] - 1) * max_len + (lengths[keep] - 1),
        minlength=n_slices * cells,
    )
    return counts.reshape(n_slices, n_levels, max_len).astype(np.float64)


def glrlm_matrix_features(counts: NDArray[np.float64], n_voxels: float) -> dict[str, float]:
    """IBSI run length features of one (merged) run length matrix.

    Parameters
    ----------
    counts
        Run length counts ``r_ij`` of shape ``(Ng, Lmax)`` (grey level ``i``, run length
        ``j``) with at least one run.
    n_voxels
        Number of voxels ``Nv`` behind the matrix (summed over merged matrices).

    Returns
    -------
    dict[str, float]
        Feature name (see ``GLRLM_FEATURE_NAMES``) to value.

    Notes
    -----
    With ``Ns = sum r_ij``, ``r_i. = sum_j r_ij``, ``r_.j = sum_i r_ij`` and
    ``p_ij = r_ij / Ns`` (IBSI identifiers in brackets): short runs emphasis
    sum r_ij / j^2 / Ns [22OV]; long runs emphasis sum r_ij j^2 / Ns [W4KF]; low grey
    level run emphasis sum r_ij / i^2 / Ns [V3SW]; high grey level run emphasis
    sum r_ij i^2 / Ns [G3QZ]; short run low grey level emphasis [HTZT]; short run high
    grey level emphasis [GD3A]; long run low grey level emphasis [IVPO]; long run high
    grey level emphasis [3KUM]; grey level non-uniformity sum r_i.^2 / Ns [R5YN] and
    normalised / Ns^2 [OVBL]; run length non-uniformity sum r_.j^2 / Ns [W92Y] and
    normalised / Ns^2 [IC23]; run percentage Ns / Nv [9ZK5]; grey level variance
    sum (i - mu_i)^2 p_ij [8CE5]; run length variance sum (j - mu_j)^2 p_ij [SXLW];
    run entropy -sum p_ij log2 p_ij [HJ9O].
    """
    n_levels, max_len = counts.shape
    n_runs = float(counts.sum())
    p = counts / n_runs
    i = np.arange(1, n_levels + 1, dtype=np.float64)[:, np.newaxis]
    j = np.arange(1, max_len + 1, dtype=np.float64)[np.newaxis, :]
    r_i = counts.sum(axis=1)
    r_j = counts.sum(axis=0)
    mu_i = float(np.sum(i * p))
    mu_j = float(np.sum(j * p))
    nz = p[p > 0]
    return {
        "sre": float(np.sum(p / j**2)),
        "lre": float(np.sum(p * j**2)),
        "lgre": float(np.sum(p / i**2)),
        "hgre": float(np.sum(p * i**2)),
        "srlge": float(np.sum(p / (i**2 * j**2))),
        "srhge": float(np.sum(p * i**2 / j**2)),
        "lrlge": float(np.sum(p * j**2 / i**2)),
        "lrhge": float(np.sum(p * i**2 * j**2)),
        "glnu": float(np.sum(r_i**2)) / n_runs,
        "glnu_norm": float(np.sum(r_i**2)) / n_runs**2,
        "rlnu": float(np.sum(r_j**2)) / n_runs,
        "rlnu_norm": float(np.sum(r_j**2)) / n_runs**2,
        "r_perc": n_runs / n_voxels,
        "gl_var": float(np.sum((i - mu_i) ** 2 * p)),
        "rl_var": float(np.sum((j - mu_j) ** 2 * p)),
        "rl_entr": float(-np.sum(nz * np.log2(nz))),
    }


def glrlm_features(
    grey: NDArray[np.integer] | NDArray[np.floating],
    mask: NDArray[np.bool_],
    *,
    n_levels: int | None = None,
    dims: Iterable[str] = ALL_DIMS,
) -> dict[str, float]:
    """IBSI grey level run length matrix features for all six aggregations.

    Parameters are those of :func:`theranostix.radiomics.texture_features`.

    Returns
    -------
    dict[str, float]
        IBSI tag (e.g. ``rlm_sre_3D_avg``) to value, for every feature of
        ``GLRLM_FEATURE_NAMES`` and the aggregations ``2D_avg``, ``2D_comb``,
        ``2_5D_avg``, ``2_5D_comb``, ``3D_avg`` and ``3D_comb``.

    References
    ----------
    Zwanenburg A et al. Image biomarker standardisation initiative, section "Grey level
    run length based features" (IBSI identifier TP0I). arXiv:1612.07003.
    Zwanenburg A et al. Radiology 2020;295:328-338. doi:10.1148/radiol.2020191145

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.array([[[1, 1, 2]]])
    >>> f = glrlm_features(grey, grey > 0)
    >>> f["rlm_r_perc_3D_avg"]
    0.974...
    """
    return directional_features(
        grey,
        mask,
        n_levels,
        dims,
        run_length_per_slice,
        glrlm_matrix_features,
        GLRLM_FEATURE_NAMES,
        "rlm",
    )

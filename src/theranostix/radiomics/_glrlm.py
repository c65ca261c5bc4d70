"""Grey level run length matrix (GLRLM) features, IBSI 1 family "Run length matrix".

Images are discretised (integer grey levels ``1..Ng``) and indexed ``[k, j, i]`` with
``k`` the slice. A run is a maximal sequence of consecutive ROI voxels with the same grey
level along one direction; runs stop at the mask border. Directions are the 4 in-plane
directions (2D and 2.5D) or the 13 directions in 3D, and the six IBSI aggregations are
the same as for the co-occurrence matrix (see :mod:`theranostix.radiomics._glcm`). When
matrices are merged, the number of voxels ``Nv`` used by the run percentage is the sum
over the merged matrices (so ``Nv`` times the number of merged directions).

Runs are counted in time and memory linear in the image size, without sorting: the
lines of a direction are gathered as the rows of one array by a strided view of the
zero-padded image (``_run_counts``), then run-length encoded with NumPy; the 3D counts
of an in-plane direction are the sum of its per-slice counts, and the features of all
matrices of all aggregations are computed in one vectorised pass
(:func:`theranostix.radiomics._glcm.aggregate`, shared with the GLCM).

References
----------
Zwanenburg A, Leger S, Vallières M, Löck S. Image biomarker standardisation initiative.
arXiv:1612.07003. https://doi.org/10.48550/arXiv.1612.07003

Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker Standardization
Initiative: standardized quantitative radiomics for high-throughput image-based
phenotyping. Radiology 2020;295:328-338. https://doi.org/10.1148/radiol.2020191145
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from theranostix.radiomics._glcm import DIRECTIONS_2D, DIRECTIONS_3D, Offset, aggregate
from theranostix.radiomics._roi import ALL_DIMS, check_dims, select_dims, validate_discretised

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
    grey: NDArray[np.integer],
    mask: NDArray[np.bool_],
    offset: Offset,
    n_levels: int,
    *,
    per_slice: bool = True,
) -> NDArray[np.float64]:
    """Run length counts per slice for one direction.

    See ``_run_counts`` for the method (the lines of the direction gathered as the rows
    of one array by a strided view of the padded image, then run-length encoded); time
    and memory are linear in the size of the image.

    Parameters
    ----------
    grey
        Grey levels ``1..Ng`` (0 outside the ROI), indexed ``[k, j, i]``.
    mask
        Boolean ROI.
    offset
        Direction ``(dk, dj, di)``, steps in ``{-1, 0, 1}``, not all 0.
    n_levels
        Number of grey levels ``Ng``.
    per_slice
        ``False`` counts the runs of the whole volume in one ``(Ng, L)`` matrix.

    Returns
    -------
    numpy.ndarray
        Counts of shape ``(K, Ng, Lmax)`` with ``Lmax = max(grey.shape)``; entry
        ``[k, i - 1, j - 1]`` counts the runs of grey level ``i`` and length ``j`` whose
        first voxel (in the sense of ``offset``) lies in slice ``k``. Shape ``(Ng, L)``
        when ``per_slice`` is false, ``L`` the longest run (at least 1).
    """
    levels = _level_array(grey, mask, n_levels)
    (counts,) = _run_counts(levels, (offset,), n_levels, per_slice=per_slice)
    if per_slice:
        counts = _pad_columns(counts, max(grey.shape))
    return counts.astype(np.float64)


def _level_array(
    grey: NDArray[np.integer], mask: NDArray[np.bool_] | None, n_levels: int
) -> NDArray[np.unsignedinteger]:
    """Grey levels inside the ROI and 0 outside, in the narrowest unsigned integer type.

    ``mask`` may be ``None`` when ``grey`` is already 0 outside the ROI.
    """
    dtype = np.uint8 if n_levels < 2**8 else np.uint16 if n_levels < 2**16 else np.uint32
    return (grey if mask is None else np.where(mask, grey, 0)).astype(dtype)


def _pad_columns(counts: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """``counts`` with zero columns appended along the last axis up to ``width``."""
    if counts.shape[-1] == width:
        return counts
    out = np.zeros((*counts.shape[:-1], width), dtype=counts.dtype)
    out[..., : counts.shape[-1]] = counts
    return out


#: Most elements of the line arrays of several directions processed together.
_CHUNK_ELEMENTS = 1 << 16


def _run_counts(
    levels: NDArray[np.unsignedinteger],
    offsets: Sequence[Offset],
    n_levels: int,
    *,
    per_slice: bool,
) -> list[NDArray[np.int64]]:
    """Run counts of several directions, each ``(K, Ng, L)`` or ``(Ng, L)``.

    The image is copied once into a zero array of shape ``(K, J + 1, I + 1)``, one
    zero row and column being added to every slice. In its flat (C order) copy, a step
    ``(dk, dj, di)`` is a constant step ``s = dk (J + 1)(I + 1) + dj (I + 1) + di`` of
    the flat index, and a step that leaves the image lands on a padding zero or out of
    the array (the padding row and column sit at index ``-1`` of ``j`` and ``i`` as
    well). Hence the elements of every residue class modulo ``|s|`` are lines of the
    direction separated by zeros: the array viewed with element strides ``(1, |s|)``
    and copied as ``|s|`` rows, each ending with a 0, holds all lines of the direction,
    in order along the direction. This is the skewing of lines into rows, with the shift taken
    modulo the padded row length so that the copy is no larger than the padded image.

    Directions are processed in chunks whose row copies, placed one after the other in
    one flat array, hold at most ``_CHUNK_ELEMENTS`` elements (or one direction): runs
    are the maximal stretches of equal non-zero values of that array, their last
    elements being where consecutive elements differ (:func:`numpy.flatnonzero`),
    their lengths the differences of those positions; the direction of a run is given
    by its position and the counts by one :func:`numpy.bincount`. Time and memory are
    linear in the image size.

    Parameters
    ----------
    levels
        Grey levels ``1..Ng`` inside the ROI and 0 outside, unsigned integers.
    offsets
        Directions ``(dk, dj, di)``, steps in ``{-1, 0, 1}``, not all 0.
    n_levels
        Number of grey levels ``Ng``.
    per_slice
        Count per slice (the slice of a run's first voxel in the sense of its
        direction), else over the volume.

    Returns
    -------
    list of numpy.ndarray
        Per direction, counts ``[k, i - 1, j - 1]`` (or ``[i - 1, j - 1]``) of runs of
        grey level ``i`` and length ``j``; ``L`` is the longest run of the chunk (at
        least 1).
    """
    n_k, n_j, n_i = levels.shape
    plane = (n_j + 1) * (n_i + 1)
    steps = [dk * plane + dj * (n_i + 1) + di for dk, dj, di in offsets]
    size = n_k * plane
    shape = (n_k, n_j + 1, n_i + 1)
    padded = np.zeros(size + max(abs(s) for s in steps), dtype=levels.dtype)
    padded[:size].reshape(n_k, n_j + 1, n_i + 1)[:, :n_j, :n_i] = levels
    out: list[NDArray[np.int64]] = []
    done = 0
    while done < len(steps):
        stop, total = done + 1, size + abs(steps[done])
        while stop < len(steps) and total + size + abs(steps[stop]) <= _CHUNK_ELEMENTS:
            total += size + abs(steps[stop])
            stop += 1
        out.extend(_chunk_counts(padded, shape, steps[done:stop], n_levels, per_slice))
        done = stop
    return out


def _chunk_counts(
    padded: NDArray[np.unsignedinteger],
    shape: tuple[int, int, int],
    steps: Sequence[int],
    n_levels: int,
    per_slice: bool,
) -> list[NDArray[np.int64]]:
    """Run counts of the directions of flat index steps ``steps`` (see ``_run_counts``).

    ``padded`` is the flat padded image of ``shape`` ``(K, J + 1, I + 1)`` followed by
    at least ``max |s|`` zeros. Runs of zeros are counted too (in grey level row 0,
    their lengths clipped to the longest possible run) and dropped at the end, which
    is cheaper than filtering them out.
    """
    n_slices, plane = shape[0], shape[1] * shape[2]
    size = n_slices * plane
    cap = max(n_slices, shape[1] - 1, shape[2] - 1)  # longest possible run
    rows = [(abs(s), -(-size // abs(s))) for s in steps]  # (rows, elements per row)
    starts = np.cumsum([0, *(r * (m + 1) for r, m in rows)])
    flat = np.zeros(int(starts[-1]), dtype=padded.dtype)
    item = padded.itemsize
    for (n_rows, per_row), start in zip(rows, starts[:-1], strict=False):
        lines = flat[int(start) : int(start) + n_rows * (per_row + 1)].reshape(n_rows, -1)
        lines[:, :per_row] = np.ndarray(
            (n_rows, per_row), dtype=padded.dtype, buffer=padded, strides=(item, n_rows * item)
        )
    ends = np.flatnonzero(flat[:-1] != flat[1:])  # last element of every run
    lengths = np.empty_like(ends)
    lengths[:1] = ends[:1] + 1
    np.subtract(ends[1:], ends[:-1], out=lengths[1:])
    np.minimum(lengths, cap, out=lengths)
    cells = (n_levels + 1) * (cap + 1)  # [level, length], both from 0
    block = n_slices * cells if per_slice else cells
    code = flat[ends].astype(np.int64)
    code *= cap + 1
    code += lengths
    if len(steps) > 1:  # the direction of every run, from its position
        direction = np.searchsorted(starts, ends, side="right") - 1
        direction *= block
        code += direction
    bounds = np.searchsorted(ends, starts)
    for n, step in enumerate(steps if per_slice else ()):
        first, last = bounds[n], bounds[n + 1]
        n_rows, per_row = rows[n]
        local = ends[first:last] - starts[n]
        end = local // (per_row + 1) + local % (per_row + 1) * n_rows  # padded index
        if step > 0:  # the first voxel in the direction's sense is the run's start
            end -= (lengths[first:last] - 1) * n_rows
        end //= plane
        np.clip(end, 0, n_slices - 1, out=end)  # only zero runs can fall outside
        code[first:last] += end * cells
    counts = np.bincount(code, minlength=len(steps) * block)
    counts = counts.reshape(len(steps), -1, n_levels + 1, cap + 1)[:, :, 1:, 1:]
    columns = np.flatnonzero(counts.any(axis=(0, 1, 2)))
    longest = int(columns[-1]) + 1 if columns.size else 1
    kept = counts[..., :longest] if per_slice else counts[:, 0, :, :longest]
    return list(kept)


def _stack_features(
    counts: NDArray[np.float64], n_voxels: NDArray[np.float64]
) -> NDArray[np.float64]:
    """IBSI run length features of a stack of run length matrices.

    Parameters
    ----------
    counts
        Run length counts ``r_ij``, shape ``(M, Ng, L)`` (grey level ``i``, run length
        ``j``), every matrix with at least one run.
    n_voxels
        Number of voxels ``Nv`` behind each matrix (summed over merged matrices).

    Returns
    -------
    numpy.ndarray
        Shape ``(M, 16)``, features in the order of ``GLRLM_FEATURE_NAMES`` (formulas in
        :func:`glrlm_matrix_features`).
    """
    n_levels, max_len = counts.shape[1:]
    i = np.arange(1, n_levels + 1, dtype=np.float64)
    j = np.arange(1, max_len + 1, dtype=np.float64)
    powers_i = np.stack([np.ones_like(i), i**-2, i**2])  # (3, Ng)
    powers_j = np.stack([np.ones_like(j), j**-2, j**2], axis=1)  # (L, 3)
    # joint[m, a, b] = sum_ij r_ij i^(0, -2, 2)[a] j^(0, -2, 2)[b]
    joint = np.matmul(np.matmul(powers_i, counts), powers_j).reshape(-1, 9)
    n_runs = joint[:, 0]
    r_i = counts.sum(axis=2)
    r_j = counts.sum(axis=1)
    mu_i = r_i @ i / n_runs
    mu_j = r_j @ j / n_runs
    p = counts / n_runs[:, np.newaxis, np.newaxis]
    p_log_p = np.log2(p, out=np.zeros_like(p), where=p > 0)
    p_log_p *= p
    out = np.empty((counts.shape[0], len(GLRLM_FEATURE_NAMES)), dtype=np.float64)
    out[:, :8] = joint[:, [1, 2, 3, 6, 4, 7, 5, 8]]  # the emphases, times Ns
    out[:, 8] = np.square(r_i).sum(axis=1)
    out[:, 10] = np.square(r_j).sum(axis=1)
    out[:, 13] = (np.square(i - mu_i[:, np.newaxis]) * r_i).sum(axis=1)
    out[:, 14] = (np.square(j - mu_j[:, np.newaxis]) * r_j).sum(axis=1)
    out /= n_runs[:, np.newaxis]
    out[:, 9] = out[:, 8] / n_runs
    out[:, 11] = out[:, 10] / n_runs
    out[:, 12] = n_runs / n_voxels
    out[:, 15] = -p_log_p.sum(axis=(1, 2))
    return out


def _batch(
    counts: NDArray[np.float64], n_voxels: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """:func:`_stack_features` as one array per feature name."""
    values = _stack_features(counts, n_voxels)
    return {name: values[:, n] for n, name in enumerate(GLRLM_FEATURE_NAMES)}


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
    matrix = np.asarray(counts, dtype=np.float64)[np.newaxis]
    values = _stack_features(matrix, np.array([n_voxels], dtype=np.float64))[0]
    return dict(zip(GLRLM_FEATURE_NAMES, values.tolist(), strict=True))


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
    grey_i, mask_b, ng = validate_discretised(grey, mask, n_levels)
    chosen = check_dims(dims)
    levels = _level_array(grey_i, None, ng)  # validate_discretised sets 0 outside the ROI
    in_plane: dict[Offset, NDArray[np.int64]] = {}
    if chosen & {"2D", "2.5D"}:
        counts = _run_counts(levels, DIRECTIONS_2D, ng, per_slice=True)
        in_plane = dict(zip(DIRECTIONS_2D, counts, strict=True))
    volume: list[NDArray[np.int64]] = []
    if "3D" in chosen:
        # an in-plane direction's runs never leave their slice: its 3D counts are the
        # sum of its per-slice counts
        others = [d for d in DIRECTIONS_3D if d not in in_plane]
        counted = dict(zip(others, _run_counts(levels, others, ng, per_slice=False), strict=True))
        volume = [in_plane[d].sum(axis=0) if d in in_plane else counted[d] for d in DIRECTIONS_3D]
    width = max((m.shape[-1] for m in (*in_plane.values(), *volume)), default=1)
    out = aggregate(
        [_pad_columns(m, width) for m in in_plane.values()],
        [_pad_columns(m, width) for m in volume],
        _batch,
        mask_b.sum(axis=(1, 2)).astype(np.float64),
        GLRLM_FEATURE_NAMES,
        "rlm",
    )
    return select_dims(out, chosen)

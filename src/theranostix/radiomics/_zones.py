"""Grey level size zone (GLSZM) and distance zone (GLDZM) matrix features (IBSI 1).

A *zone* is a set of connected ROI voxels sharing one grey level: 26-connectivity
in 3D and 8-connectivity within a slice in 2D (IBSI 1, sections 3.8 and 3.9).

Three aggregations are returned, following the IBSI 1 texture aggregation methods
(IBSI 1, section 3.1.2): ``2D`` -- one matrix per slice, features computed per slice
and averaged over slices (by slice, without merging); ``2_5D`` -- per-slice matrices
summed into one matrix before computing features (by slice, with merging); ``3D`` --
one matrix of the whole volume.

The zones of all grey levels (and, in 2D, of all slices) are labelled by one call of
:func:`skimage.measure.label` (``_zones``), and the features of every slice come from
per-zone sums (``_grouped_zone_features``) instead of per-slice matrices.

References
----------
Zwanenburg A, Leger S, Vallières M, Löck S, et al. Image biomarker standardisation
initiative. arXiv:1612.07003. https://doi.org/10.48550/arXiv.1612.07003

Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker Standardization
Initiative: standardized quantitative radiomics for high-throughput image-based
phenotyping. Radiology 2020;295:328-338. https://doi.org/10.1148/radiol.2020191145
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage.measure import label

from theranostix.radiomics._roi import ALL_DIMS, check_dims, select_dims, validate_discretised

__all__ = ["gldzm_features", "glszm_features"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Feature tags of the GLSZM family (IBSI ``9SAK``) in the order of ``_zone_features``.
_SZM_TAGS: tuple[str, ...] = (
    "sze",  # small zone emphasis, P001
    "lze",  # large zone emphasis, 48P8
    "lgze",  # low grey level zone emphasis, XMSY
    "hgze",  # high grey level zone emphasis, 5GN9
    "szlge",  # small zone low grey level emphasis, 5RAI
    "szhge",  # small zone high grey level emphasis, HW1V
    "lzlge",  # large zone low grey level emphasis, YH51
    "lzhge",  # large zone high grey level emphasis, J17V
    "glnu",  # grey level non-uniformity, JNSA
    "glnu_norm",  # normalised grey level non-uniformity, Y1RO
    "zsnu",  # zone size non-uniformity, 4JP3
    "zsnu_norm",  # normalised zone size non-uniformity, VB3A
    "z_perc",  # zone percentage, P30P
    "gl_var",  # grey level variance, BYLV
    "zs_var",  # zone size variance, 3NSA
    "zs_entr",  # zone size entropy, GU8N
)

#: Feature tags of the GLDZM family (IBSI ``VMDZ``) in the order of ``_zone_features``.
_DZM_TAGS: tuple[str, ...] = (
    "sde",  # small distance emphasis, 0GBI
    "lde",  # large distance emphasis, MB4I
    "lgze",  # low grey level zone emphasis, S1RA
    "hgze",  # high grey level zone emphasis, K26C
    "sdlge",  # small distance low grey level emphasis, RUVG
    "sdhge",  # small distance high grey level emphasis, DKNJ
    "ldlge",  # large distance low grey level emphasis, A7WM
    "ldhge",  # large distance high grey level emphasis, KLTH
    "glnu",  # grey level non-uniformity, VFT7
    "glnu_norm",  # normalised grey level non-uniformity, 7HP3
    "zdnu",  # zone distance non-uniformity, V294
    "zdnu_norm",  # normalised zone distance non-uniformity, IATH
    "z_perc",  # zone percentage, VIWW
    "gl_var",  # grey level variance, QK93
    "zd_var",  # zone distance variance, 7WT1
    "zd_entr",  # zone distance entropy, GBDU
)

#: Suffixes of the three aggregations in the IBSI reference tags.
AGGREGATIONS: tuple[str, str, str] = ("2D", "2_5D", "3D")


def zone_features(
    matrix: FloatArray, n_voxels: int, tags: Sequence[str], *, energy: bool = False
) -> dict[str, float]:
    """Features of a zone-like matrix ``m[i, j]`` (grey level ``i``, column ``j``).

    The same formulas serve the GLSZM (``j`` = zone size), the GLDZM (``j`` = zone
    distance) and the NGLDM (``j`` = dependence count + 1); only the names differ.
    With ``N_s = sum m`` and ``p = m / N_s`` (IBSI 1, sections 3.8, 3.9 and 3.11):

    * small / large ``j`` emphasis: ``sum(m / j**2) / N_s``, ``sum(m * j**2) / N_s``;
    * low / high grey level emphasis: ``sum(m / i**2) / N_s``, ``sum(m * i**2) / N_s``;
    * the four joint emphases: ``sum(m * i**a * j**b) / N_s`` with ``a, b = +-2``;
    * grey level non-uniformity ``sum_i (sum_j m)**2 / N_s`` and its normalised form
      divided once more by ``N_s``; likewise for the ``j`` non-uniformity;
    * percentage ``N_s / N_v``;
    * grey level variance ``sum (i - mu_i)**2 p`` with ``mu_i = sum i p``, likewise
      for ``j``; entropy ``-sum p log2 p``; (NGLDM only) energy ``sum p**2``.

    Parameters
    ----------
    matrix : ndarray of float, shape (Ng, Nj)
        Row ``i - 1`` holds grey level ``i``, column ``j - 1`` holds ``j``.
    n_voxels : int
        Number of ROI voxels ``N_v``.
    tags : sequence of str
        The 16 short names in the order listed above (17 with ``energy``).
    energy : bool
        Whether to append the energy feature.

    Returns
    -------
    dict of str to float
        Feature values keyed by ``tags``.
    """
    n_s = float(matrix.sum())
    p = matrix / n_s
    i = np.arange(1, matrix.shape[0] + 1, dtype=np.float64)[:, None]
    j = np.arange(1, matrix.shape[1] + 1, dtype=np.float64)[None, :]
    i2, j2 = i**2, j**2
    p_i = p.sum(axis=1)
    p_j = p.sum(axis=0)
    mu_i = float(np.sum(i[:, 0] * p_i))
    mu_j = float(np.sum(j[0] * p_j))
    nonzero = p[p > 0]
    values = [
        float(np.sum(p / j2)),
        float(np.sum(p * j2)),
        float(np.sum(p / i2)),
        float(np.sum(p * i2)),
        float(np.sum(p / (i2 * j2))),
        float(np.sum(p * i2 / j2)),
        float(np.sum(p * j2 / i2)),
        float(np.sum(p * i2 * j2)),
        float(np.sum(p_i**2) * n_s),
        float(np.sum(p_i**2)),
        float(np.sum(p_j**2) * n_s),
        float(np.sum(p_j**2)),
        n_s / n_voxels,
        float(np.sum((i[:, 0] - mu_i) ** 2 * p_i)),
        float(np.sum((j[0] - mu_j) ** 2 * p_j)),
        float(-np.sum(nonzero * np.log2(nonzero))),
    ]
    if energy:
        values.append(float(np.sum(p**2)))
    if len(values) != len(tags):
        raise ValueError(f"expected {len(values)} tags; got {len(tags)}")
    return dict(zip(tags, values, strict=True))


def aggregate(
    grey: IntArray,
    mask: BoolArray,
    n_levels: int,
    prefix: str,
    matrix_of: Callable[..., tuple[FloatArray, int]],
    features_of: Callable[[FloatArray, int], dict[str, float]],
    dims: Iterable[str] = ALL_DIMS,
    edge: BoolArray | None = None,
    *,
    names: Sequence[str],
) -> dict[str, float]:
    """Compute a matrix family for the 2D, 2.5D and 3D aggregations (or those in ``dims``).

    Parameters
    ----------
    grey, mask, n_levels
        Validated image, ROI and number of grey levels (see
        :func:`theranostix.radiomics._roi.validate_discretised`).
    prefix : str
        Family prefix of the IBSI tags, e.g. ``"szm"``.
    matrix_of : callable
        ``matrix_of(grey, mask, n_levels, in_plane)`` returns the matrix and the
        normaliser passed to ``features_of``; ``in_plane`` selects 2D neighbourhoods
        (the arrays then hold one slice, still as 3D arrays of one plane).
    features_of : callable
        ``features_of(matrix, normaliser)`` returns the features by short name.
    dims : iterable of str
        Aggregations to compute, among ``2D``, ``2.5D`` and ``3D``.
    edge : ndarray of bool, optional
        A mask passed on to ``matrix_of`` as a fifth argument, sliced as ``grey``.
    names : sequence of str
        The feature names ``features_of`` returns; a feature whose matrix is empty
        for an aggregation (e.g. no voxel with a neighbour) is NaN.

    Returns
    -------
    dict of str to float
        ``{prefix}_{name}_{2D|2_5D|3D}`` -> value. Slices without ROI voxels, or with
        an empty matrix, are left out of the 2D and 2.5D aggregations.
    """
    chosen = check_dims(dims)
    per_slice: list[dict[str, float]] = []
    merged: FloatArray | None = None
    merged_norm = 0
    for k in range(grey.shape[0] if chosen & {"2D", "2.5D"} else 0):
        sl_mask = mask[k : k + 1]
        if not sl_mask.any():
            continue
        extra = () if edge is None else (edge[k : k + 1],)
        matrix, norm = matrix_of(grey[k : k + 1], sl_mask, n_levels, True, *extra)
        if matrix.sum() <= 0:
            continue
        per_slice.append(features_of(matrix, norm))
        merged = matrix.copy() if merged is None else _add_padded(merged, matrix)
        merged_norm += norm
    out: dict[str, float] = {}
    if merged is not None:
        for name in per_slice[0]:
            out[f"{prefix}_{name}_2D"] = float(np.mean([f[name] for f in per_slice]))
        for name, value in features_of(merged, merged_norm).items():
            out[f"{prefix}_{name}_2_5D"] = value
    if "3D" in chosen:
        matrix, norm = matrix_of(grey, mask, n_levels, False, *(() if edge is None else (edge,)))
        if matrix.sum() > 0:
            for name, value in features_of(matrix, norm).items():
                out[f"{prefix}_{name}_3D"] = value
    for suffix in ("2D", "2_5D", "3D"):
        for name in names:
            out.setdefault(f"{prefix}_{name}_{suffix}", math.nan)
    return select_dims(out, chosen)


def _add_padded(a: FloatArray, b: FloatArray) -> FloatArray:
    """Sum of two matrices with equal rows, padding the narrower one with zero columns."""
    width = max(a.shape[1], b.shape[1])
    out = np.zeros((a.shape[0], width), dtype=np.float64)
    out[:, : a.shape[1]] += a
    out[:, : b.shape[1]] += b
    return out


@dataclass(frozen=True)
class _Zones:
    """Zones of a discretised ROI (see :func:`_zones`)."""

    #: flat indices of the ROI voxels in the image
    voxels: IntArray
    #: zone of every ROI voxel, ``0..n - 1``
    zone: IntArray
    #: grey level ``1..Ng`` of every zone
    level: IntArray
    #: number of voxels of every zone
    size: IntArray
    #: slice of every zone (``None`` for 3D zones, which may span slices)
    slice_k: IntArray | None


def _zones(grey: IntArray, n_levels: int, in_plane: bool) -> _Zones:
    """Label the zones of all grey levels at once.

    A zone is a connected set of ROI voxels of one grey level. All zones are labelled
    by one call of :func:`skimage.measure.label` on the grey levels (0 outside the
    ROI being the background), which connects neighbouring voxels of equal value
    (connectivity 3: 26-neighbourhood). For 2D zones (8-neighbourhood within a slice)
    slice ``k`` holds ``k (Ng + 1) + level`` instead, so that voxels of different
    slices never share a value and the 26-neighbourhood reduces to the in-plane
    8-neighbourhood. Zone grey levels, sizes and slices then follow from the labels of
    the ROI voxels by scattering and :func:`numpy.bincount`, in time linear in the
    image size.

    Parameters
    ----------
    grey : ndarray of int, shape (K, J, I)
        Grey levels ``1..Ng`` inside the ROI and 0 outside.
    n_levels : int
        Number of grey levels ``Ng``.
    in_plane : bool
        Label the zones of every slice (8-connectivity) instead of 3D zones
        (26-connectivity).

    Returns
    -------
    _Zones
        The ROI voxels and their zones, the zones' grey levels, sizes and (2D) slices.

    References
    ----------
    Fiorio C, Gustedt J. Two linear time Union-Find strategies for image processing.
    Theoretical Computer Science 1996;154:165-181 (the labelling of
    :func:`skimage.measure.label`).
    """
    voxels = np.flatnonzero(grey)
    values = grey.reshape(-1)[voxels]
    plane = grey.shape[1] * grey.shape[2]
    slice_k = voxels // plane if in_plane else None
    top = (grey.shape[0] * (n_levels + 1) if in_plane else n_levels) + 1
    dtype = np.uint8 if top <= 2**8 else np.uint16 if top <= 2**16 else np.int64
    coded = np.zeros(grey.shape, dtype=dtype)
    coded.reshape(-1)[voxels] = values if slice_k is None else slice_k * (n_levels + 1) + values
    labels: IntArray = label(coded, background=0, connectivity=3)  # type: ignore[no-untyped-call]
    del coded
    zone = labels.reshape(-1)[voxels] - 1
    n_zones = int(zone.max()) + 1
    level = np.zeros(n_zones, dtype=np.int64)
    level[zone] = values
    size = np.bincount(zone, minlength=n_zones).astype(np.int64)
    zone_slice = None
    if slice_k is not None:
        zone_slice = np.zeros(n_zones, dtype=np.int64)
        zone_slice[zone] = slice_k
    return _Zones(voxels, zone, level, size, zone_slice)


def _zone_distances(zones: _Zones, border: BoolArray, in_plane: bool) -> IntArray:
    """Smallest distance to the edge of ``border`` over the voxels of every zone.

    The distance is the city-block distance to the nearest voxel outside ``border``
    (voxels outside the image count as outside), in 3D or within the slice: one
    :func:`scipy.ndimage.distance_transform_cdt` of the image, with the in-plane
    4-neighbourhood as metric for 2D. The minimum per zone is :func:`numpy.minimum.at`.
    """
    if in_plane:
        metric = np.zeros((3, 3, 3), dtype=bool)
        metric[1] = ndimage.generate_binary_structure(2, 1)
        padded = np.pad(border, ((0, 0), (1, 1), (1, 1)))
        distance = ndimage.distance_transform_cdt(padded, metric=metric)[:, 1:-1, 1:-1]
    else:
        padded = np.pad(border, 1)
        distance = ndimage.distance_transform_cdt(padded, metric="taxicab")[1:-1, 1:-1, 1:-1]
    voxel_distance = np.ascontiguousarray(distance).reshape(-1)[zones.voxels]
    out = np.full(zones.size.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, zones.zone, voxel_distance.astype(np.int64))
    return out


def _count_matrix(rows: IntArray, cols: IntArray, n_levels: int) -> FloatArray:
    """Matrix ``m[i - 1, j - 1]`` counting the pairs ``(rows, cols)`` (both >= 1)."""
    width = int(cols.max())
    counts = np.bincount((rows - 1) * width + (cols - 1), minlength=n_levels * width)
    return counts.reshape(n_levels, width).astype(np.float64)


def size_zone_matrix(
    grey: IntArray, mask: BoolArray, n_levels: int, in_plane: bool = False
) -> tuple[FloatArray, int]:
    """Grey level size zone matrix (IBSI 1, section 3.8, ``9SAK``).

    ``s[i, j]`` counts the zones of grey level ``i`` made of ``j`` voxels, zones being
    connected with 26-connectivity (3D) or 8-connectivity in the slice (2D); in 2D
    the zones of all slices are counted together. Zones are labelled by
    :func:`_zones`.

    Parameters
    ----------
    grey, mask, n_levels
        Validated image, ROI and number of grey levels.
    in_plane : bool
        Use 8-connectivity within each slice instead of 26-connectivity.

    Returns
    -------
    matrix : ndarray of float, shape (Ng, max zone size)
    n_voxels : int
        Number of ROI voxels ``N_v``.
    """
    zones = _zones(np.where(mask, grey, 0), n_levels, in_plane)
    return _count_matrix(zones.level, zones.size, n_levels), int(mask.sum())


def distance_zone_matrix(
    grey: IntArray,
    mask: BoolArray,
    n_levels: int,
    in_plane: bool = False,
    edge: BoolArray | None = None,
) -> tuple[FloatArray, int]:
    """Grey level distance zone matrix (IBSI 1, section 3.9, ``VMDZ``).

    Zones are those of the GLSZM. The distance of a voxel to the ROI edge is the
    city-block (taxicab) distance to the nearest voxel outside the ROI, so that a
    voxel on the ROI border has distance 1; 6-connectedness in 3D, 4-connectedness
    within the slice in 2D. Voxels outside the image count as outside the ROI. The
    distance of a zone is the smallest distance of its voxels, and ``d[i, j]``
    counts the zones of grey level ``i`` at distance ``j`` (in 2D, of all slices).

    Parameters
    ----------
    grey, mask, n_levels
        Validated image, ROI and number of grey levels.
    in_plane : bool
        Compute zones and distances within each slice.
    edge : ndarray of bool, optional
        The mask whose edge the distances are measured to: the morphological mask
        when the intensity mask was re-segmented (IBSI 1, section 3.9: holes left
        by re-segmentation are not edges); ``mask`` by default.

    Returns
    -------
    matrix : ndarray of float, shape (Ng, max distance)
    n_voxels : int
        Number of ROI voxels ``N_v``.
    """
    zones = _zones(np.where(mask, grey, 0), n_levels, in_plane)
    border = mask if edge is None else np.asarray(edge, dtype=bool) | mask
    distance = _zone_distances(zones, border, in_plane)
    return _count_matrix(zones.level, distance, n_levels), int(mask.sum())


def _distinct_counts(keys: IntArray, n_keys: int) -> tuple[IntArray, IntArray]:
    """Distinct values of ``keys`` (in ``0..n_keys - 1``) and their counts.

    :func:`numpy.bincount` when ``n_keys`` is small enough, else :func:`numpy.unique`.
    """
    if n_keys <= max(4 * keys.size, 1 << 16):
        counts = np.bincount(keys, minlength=n_keys)
        present = np.flatnonzero(counts)
        return present, counts[present]
    values, counts = np.unique(keys, return_counts=True)
    return values, counts


def _grouped_zone_features(
    group: IntArray,
    level: IntArray,
    column: IntArray,
    n_voxels: FloatArray,
    n_levels: int,
) -> FloatArray:
    """The 16 features of :func:`zone_features` for groups of zones, without matrices.

    Every feature is a sum over the zones of a group (zone ``z`` of grey level
    ``i_z`` in column ``j_z`` of the matrix, e.g. its size): the emphases and means
    are weighted :func:`numpy.bincount` over the groups; the non-uniformities and
    the entropy need the counts of the distinct ``(group, i)``, ``(group, j)`` and
    ``(group, i, j)``, found by :func:`numpy.bincount` (``j`` replaced by its rank
    among the distinct columns) or :func:`numpy.unique`. Matches ``zone_features``
    of the group's matrix up to rounding.

    Parameters
    ----------
    group : ndarray of int
        Group ``0..G - 1`` of every zone; every group has zones.
    level, column : ndarray of int
        Row ``i >= 1`` and column ``j >= 1`` of every zone.
    n_voxels : ndarray of float, shape (G,)
        Number of ROI voxels ``N_v`` of every group.
    n_levels : int
        Number of grey levels ``Ng``.

    Returns
    -------
    ndarray of float, shape (G, 16)
        Features in the order of ``zone_features`` (e.g. ``_SZM_TAGS``).
    """
    n_groups = n_voxels.size

    def per_group(weights: FloatArray) -> FloatArray:
        return np.bincount(group, weights=weights, minlength=n_groups).astype(np.float64)

    n_s = np.bincount(group, minlength=n_groups).astype(np.float64)
    i = level.astype(np.float64)
    j = column.astype(np.float64)
    i2, j2 = i * i, j * j
    mu_i = per_group(i) / n_s
    mu_j = per_group(j) / n_s
    present = np.bincount(column) > 0
    rank = np.cumsum(present) - 1  # rank of every column among the distinct ones
    n_columns = int(rank[-1]) + 1
    col = rank[column]
    keys, counts = _distinct_counts(group * n_levels + (level - 1), n_groups * n_levels)
    glnu = np.bincount(keys // n_levels, weights=counts.astype(np.float64) ** 2, minlength=n_groups)
    keys, counts = _distinct_counts(group * n_columns + col, n_groups * n_columns)
    jnu = np.bincount(keys // n_columns, weights=counts.astype(np.float64) ** 2, minlength=n_groups)
    cells = n_levels * n_columns
    keys, counts = _distinct_counts(group * cells + (level - 1) * n_columns + col, n_groups * cells)
    key_group = keys // cells
    p = counts / n_s[key_group]
    entropy = -np.bincount(key_group, weights=p * np.log2(p), minlength=n_groups)
    return np.stack(
        [
            per_group(1.0 / j2) / n_s,
            per_group(j2) / n_s,
            per_group(1.0 / i2) / n_s,
            per_group(i2) / n_s,
            per_group(1.0 / (i2 * j2)) / n_s,
            per_group(i2 / j2) / n_s,
            per_group(j2 / i2) / n_s,
            per_group(i2 * j2) / n_s,
            glnu / n_s,
            glnu / n_s**2,
            jnu / n_s,
            jnu / n_s**2,
            n_s / n_voxels,
            per_group((i - mu_i[group]) ** 2) / n_s,
            per_group((j - mu_j[group]) ** 2) / n_s,
            entropy,
        ],
        axis=1,
    )


def _zone_family(
    grey: IntArray,
    mask: BoolArray,
    n_levels: int,
    prefix: str,
    tags: Sequence[str],
    dims: Iterable[str],
    edge: BoolArray | None = None,
    *,
    distance: bool,
) -> dict[str, float]:
    """GLSZM or GLDZM features for the 2D, 2.5D and 3D aggregations (or those in ``dims``).

    The aggregations of :func:`aggregate` (2D: features per slice, averaged; 2.5D:
    the slices' matrices merged; 3D: one matrix of the volume), computed without
    per-slice loops: the zones of all slices are labelled at once (:func:`_zones`)
    and the features of every slice come from :func:`_grouped_zone_features`.

    Parameters
    ----------
    grey, mask, n_levels
        Validated image (0 outside the ROI), ROI and number of grey levels.
    prefix : str
        ``"szm"`` or ``"dzm"``.
    tags : sequence of str
        The 16 feature names.
    dims : iterable of str
        Aggregations to compute, among ``2D``, ``2.5D`` and ``3D``.
    edge : ndarray of bool, optional
        The mask whose edge the distances are measured to (GLDZM); ``mask`` by default.
    distance : bool
        Columns are zone distances (GLDZM) instead of zone sizes (GLSZM).

    Returns
    -------
    dict of str to float
        ``{prefix}_{name}_{2D|2_5D|3D}`` -> value for the aggregations in ``dims``.
    """
    chosen = check_dims(dims)
    border = mask if edge is None else edge | mask
    out: dict[str, float] = {}
    rows: list[tuple[str, FloatArray]] = []
    if chosen & {"2D", "2.5D"}:
        zones = _zones(grey, n_levels, True)
        assert zones.slice_k is not None
        column = _zone_distances(zones, border, True) if distance else zones.size
        slices, group = np.unique(zones.slice_k, return_inverse=True)
        voxels = mask.sum(axis=(1, 2)).astype(np.float64)
        per_slice = _grouped_zone_features(group, zones.level, column, voxels[slices], n_levels)
        rows.append(("2D", per_slice.mean(axis=0)))
        merged = _grouped_zone_features(
            np.zeros_like(group), zones.level, column, np.array([voxels.sum()]), n_levels
        )
        rows.append(("2_5D", merged[0]))
    if "3D" in chosen:
        zones = _zones(grey, n_levels, False)
        column = _zone_distances(zones, border, False) if distance else zones.size
        volume = _grouped_zone_features(
            np.zeros_like(column), zones.level, column, np.array([float(mask.sum())]), n_levels
        )
        rows.append(("3D", volume[0]))
    for suffix, values in rows:
        for name, value in zip(tags, values.tolist(), strict=True):
            out[f"{prefix}_{name}_{suffix}"] = value
    return select_dims(out, chosen)


def glszm_features(
    grey: npt.ArrayLike,
    mask: npt.ArrayLike,
    *,
    n_levels: int | None = None,
    dims: Iterable[str] = ALL_DIMS,
) -> dict[str, float]:
    """IBSI 1 grey level size zone matrix features (``9SAK``) for 2D, 2.5D and 3D.

    Parameters are those of :func:`theranostix.radiomics.texture_features`.

    Returns
    -------
    dict of str to float
        IBSI tags ``szm_<feature>_<2D|2_5D|3D>``, e.g. ``szm_sze_3D`` (small zone
        emphasis, ``P001``); see ``_SZM_TAGS`` for the features and identifiers.

    References
    ----------
    Zwanenburg A et al. arXiv:1612.07003, section 3.8; Radiology 2020;295:328-338,
    https://doi.org/10.1148/radiol.2020191145

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.array([[[1, 1, 2]]])
    >>> f = glszm_features(grey, np.ones_like(grey, dtype=bool))
    >>> f["szm_sze_3D"], f["szm_z_perc_3D"]
    (0.625, 0.666...)
    """
    g, m, ng = validate_discretised(grey, mask, n_levels)
    return _zone_family(g, m, ng, "szm", _SZM_TAGS, dims, distance=False)


def gldzm_features(
    grey: npt.ArrayLike,
    mask: npt.ArrayLike,
    *,
    n_levels: int | None = None,
    dims: Iterable[str] = ALL_DIMS,
    edge_mask: npt.ArrayLike | None = None,
) -> dict[str, float]:
    """IBSI 1 grey level distance zone matrix features (``VMDZ``) for 2D, 2.5D and 3D.

    Parameters are those of :func:`theranostix.radiomics.texture_features`.

    ``edge_mask`` (optional boolean array) is the morphological mask when ``mask``
    is a re-segmented intensity mask: distances are measured to its edge.

    Returns
    -------
    dict of str to float
        IBSI tags ``dzm_<feature>_<2D|2_5D|3D>``, e.g. ``dzm_sde_3D`` (small
        distance emphasis, ``0GBI``); see ``_DZM_TAGS``.

    References
    ----------
    Zwanenburg A et al. arXiv:1612.07003, section 3.9; Radiology 2020;295:328-338,
    https://doi.org/10.1148/radiol.2020191145

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.ones((1, 3, 3), dtype=int)
    >>> grey[0, 1, 1] = 2
    >>> f = gldzm_features(grey, np.ones_like(grey, dtype=bool))
    >>> f["dzm_sde_2D"], f["dzm_lde_2D"]
    (0.625, 2.5)
    """
    g, m, ng = validate_discretised(grey, mask, n_levels)
    edge = None if edge_mask is None else np.asarray(edge_mask, dtype=bool).reshape(m.shape)
    return _zone_family(g, m, ng, "dzm", _DZM_TAGS, dims, edge, distance=True)

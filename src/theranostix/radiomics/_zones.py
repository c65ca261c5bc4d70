"""Grey level size zone (GLSZM) and distance zone (GLDZM) matrix features (IBSI 1).

A *zone* is a set of connected ROI voxels sharing one grey level: 26-connectivity
in 3D and 8-connectivity within a slice in 2D (IBSI 1, sections 3.8 and 3.9).

Three aggregations are returned, following the IBSI 1 texture aggregation methods
(IBSI 1, section 3.1.2): ``2D`` -- one matrix per slice, features computed per slice
and averaged over slices (by slice, without merging); ``2_5D`` -- per-slice matrices
summed into one matrix before computing features (by slice, with merging); ``3D`` --
one matrix of the whole volume.

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

import numpy as np
import numpy.typing as npt
from scipy import ndimage

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


def _structure(in_plane: bool) -> npt.NDArray[np.bool_]:
    """Connectivity: 26-neighbourhood in 3D, 8-neighbourhood within the slice in 2D."""
    structure = np.ones((3, 3, 3), dtype=bool)
    if in_plane:
        structure[0] = False
        structure[2] = False
    return structure


def _zones(
    grey: IntArray, mask: BoolArray, n_levels: int, in_plane: bool
) -> tuple[IntArray, IntArray, IntArray]:
    """Label the zones of every grey level.

    Returns
    -------
    labels : ndarray of int
        Zone label per voxel (0 outside the ROI), unique over all grey levels.
    zone_level : ndarray of int
        Grey level of zone ``n`` at index ``n - 1``.
    zone_size : ndarray of int
        Number of voxels of zone ``n`` at index ``n - 1``.
    """
    structure = _structure(in_plane)
    labels = np.zeros(grey.shape, dtype=np.int64)
    levels: list[IntArray] = []
    offset = 0
    for level in range(1, n_levels + 1):
        level_mask = mask & (grey == level)
        if not level_mask.any():
            continue
        level_labels, count = ndimage.label(level_mask, structure=structure)
        labels[level_mask] = level_labels[level_mask] + offset
        levels.append(np.full(count, level, dtype=np.int64))
        offset += count
    zone_level = np.concatenate(levels)
    zone_size = np.bincount(labels.ravel(), minlength=offset + 1)[1:].astype(np.int64)
    return labels, zone_level, zone_size


def _count_matrix(rows: IntArray, cols: IntArray, n_levels: int) -> FloatArray:
    """Matrix ``m[i - 1, j - 1]`` counting the pairs ``(rows, cols)`` (both >= 1)."""
    matrix = np.zeros((n_levels, int(cols.max())), dtype=np.float64)
    np.add.at(matrix, (rows - 1, cols - 1), 1.0)
    return matrix


def size_zone_matrix(
    grey: IntArray, mask: BoolArray, n_levels: int, in_plane: bool = False
) -> tuple[FloatArray, int]:
    """Grey level size zone matrix (IBSI 1, section 3.8, ``9SAK``).

    ``s[i, j]`` counts the zones of grey level ``i`` made of ``j`` voxels, zones being
    connected with 26-connectivity (3D) or 8-connectivity in the slice (2D).

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
    _, zone_level, zone_size = _zones(grey, mask, n_levels, in_plane)
    return _count_matrix(zone_level, zone_size, n_levels), int(mask.sum())


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
    counts the zones of grey level ``i`` at distance ``j``.

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
    labels, zone_level, _ = _zones(grey, mask, n_levels, in_plane)
    border = mask if edge is None else np.asarray(edge, dtype=bool) | mask
    if in_plane:
        padded = np.pad(border, ((0, 0), (1, 1), (1, 1)))
        distance = np.stack(
            [ndimage.distance_transform_cdt(plane, metric="taxicab") for plane in padded]
        )[:, 1:-1, 1:-1]
    else:
        padded = np.pad(border, 1)
        distance = ndimage.distance_transform_cdt(padded, metric="taxicab")[1:-1, 1:-1, 1:-1]
    index = np.arange(1, zone_level.size + 1)
    zone_distance = np.asarray(ndimage.minimum(distance, labels, index), dtype=np.int64)
    return _count_matrix(zone_level, zone_distance, n_levels), int(mask.sum())


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
    return aggregate(
        g,
        m,
        ng,
        "szm",
        size_zone_matrix,
        lambda mat, nv: zone_features(mat, nv, _SZM_TAGS),
        dims,
        names=_SZM_TAGS,
    )


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
    return aggregate(
        g,
        m,
        ng,
        "dzm",
        distance_zone_matrix,
        lambda mat, nv: zone_features(mat, nv, _DZM_TAGS),
        dims,
        None if edge_mask is None else np.asarray(edge_mask, dtype=bool).reshape(m.shape),
        names=_DZM_TAGS,
    )

"""Neighbourhood grey tone difference (NGTDM) and grey level dependence (NGLDM) features.

Both matrices use the Chebyshev neighbourhood of distance ``delta = 1`` around each
ROI voxel, excluding the voxel itself: 26 neighbours in 3D and 8 within the slice in
2D (IBSI 1, sections 3.10 and 3.11). Neighbours outside the ROI are ignored, so a
voxel on the ROI edge has an incomplete neighbourhood that still counts.

Aggregations follow IBSI 1, section 3.1.2: ``2D`` -- features per slice averaged over
slices; ``2_5D`` -- per-slice matrices merged before computing features; ``3D`` -- one
matrix of the whole volume.

References
----------
Zwanenburg A, Leger S, Vallières M, Löck S, et al. Image biomarker standardisation
initiative. arXiv:1612.07003. https://doi.org/10.48550/arXiv.1612.07003

Zwanenburg A, Vallières M, Abdalah MA, et al. The Image Biomarker Standardization
Initiative: standardized quantitative radiomics for high-throughput image-based
phenotyping. Radiology 2020;295:328-338. https://doi.org/10.1148/radiol.2020191145
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from theranostix.radiomics._roi import ALL_DIMS, validate_discretised
from theranostix.radiomics._zones import (
    BoolArray,
    FloatArray,
    IntArray,
    aggregate,
    zone_features,
)

__all__ = ["ngldm_features", "ngtdm_features"]

#: Feature tags of the NGLDM family (IBSI ``REK0``) in the order of ``zone_features``.
_NGL_TAGS: tuple[str, ...] = (
    "lde",  # low dependence emphasis, SODN
    "hde",  # high dependence emphasis, IMOQ
    "lgce",  # low grey level count emphasis, TL9H
    "hgce",  # high grey level count emphasis, OAE7
    "ldlge",  # low dependence low grey level emphasis, EQ3F
    "ldhge",  # low dependence high grey level emphasis, JA6D
    "hdlge",  # high dependence low grey level emphasis, NBZI
    "hdhge",  # high dependence high grey level emphasis, 9QMG
    "glnu",  # grey level non-uniformity, FP8K
    "glnu_norm",  # normalised grey level non-uniformity, 5SPA
    "dcnu",  # dependence count non-uniformity, Z87G
    "dcnu_norm",  # normalised dependence count non-uniformity, OKJI
    "dc_perc",  # dependence count percentage, 6XV8
    "gl_var",  # grey level variance, 1PFV
    "dc_var",  # dependence count variance, DNX2
    "dc_entr",  # dependence count entropy, FCBV
    "dc_energy",  # dependence count energy, CAS9
)

#: Feature tags of the NGTDM family (IBSI ``IPET``), as ``_ngtdm_from_matrix`` returns them.
_NGT_TAGS: tuple[str, ...] = ("coarseness", "contrast", "busyness", "complexity", "strength")

# Up to this many voxels in the box the NGLDM compares all neighbours in one step.
_WINDOW_VOXELS = 20_000

#: Coarseness when the NGTDM is all zero (IBSI 1, ``QCDE``).
_COARSENESS_MAX = 1.0e6


def _kernel(in_plane: bool) -> FloatArray:
    """Chebyshev distance 1 neighbourhood without its centre (26 or 8 neighbours)."""
    kernel = np.ones((3, 3, 3), dtype=np.float64)
    if in_plane:
        kernel[0] = 0.0
        kernel[2] = 0.0
    kernel[1, 1, 1] = 0.0
    return kernel


def grey_tone_difference_matrix(
    grey: IntArray, mask: BoolArray, n_levels: int, in_plane: bool = False
) -> tuple[FloatArray, int]:
    """Neighbourhood grey tone difference matrix (IBSI 1, section 3.10, ``IPET``).

    For every ROI voxel of grey level ``i`` with at least one neighbour in the ROI,
    ``A`` is the mean grey level of its neighbours in the ROI (Chebyshev distance 1,
    centre excluded); ``s_i = sum |i - A|`` over these voxels and ``n_i`` counts them.
    Voxels without any neighbour in the ROI are left out, also from ``N_v,c``.

    Parameters
    ----------
    grey, mask, n_levels
        Validated image (0 outside the ROI), ROI and number of grey levels.
    in_plane : bool
        Use the 8 neighbours within the slice instead of the 26 in 3D.

    Returns
    -------
    matrix : ndarray of float, shape (Ng, 2)
        Column 0 holds ``n_i``, column 1 holds ``s_i``.
    n_valid : int
        ``N_v,c``, the number of voxels with at least one neighbour.
    """
    kernel = _kernel(in_plane)
    values = np.where(mask, grey, 0).astype(np.float64)
    sums = ndimage.correlate(values, kernel, mode="constant", cval=0.0)
    counts = ndimage.correlate(mask.astype(np.float64), kernel, mode="constant", cval=0.0)
    valid = mask & (counts > 0)
    levels = grey[valid]
    diff = np.abs(levels - sums[valid] / counts[valid])
    n_i = np.bincount(levels, minlength=n_levels + 1)[1:].astype(np.float64)
    s_i = np.bincount(levels, weights=diff, minlength=n_levels + 1)[1:]
    return np.stack([n_i, s_i], axis=1), int(valid.sum())


def _ngtdm_from_matrix(matrix: FloatArray, n_valid: int) -> dict[str, float]:
    """NGTDM features from ``[n_i, s_i]`` (IBSI 1, section 3.10).

    With ``p_i = n_i / N_v,c`` and sums over the ``N_g,p`` levels with ``p_i > 0``:

    * coarseness (``QCDE``): ``1 / sum p_i s_i``, or 1e6 when that sum is 0;
    * contrast (``65HE``): ``sum_ij p_i p_j (i - j)**2 / (N_g,p (N_g,p - 1))``
      times ``sum_i s_i / N_v,c``; 0 when ``N_g,p = 1``;
    * busyness (``NQ30``): ``sum p_i s_i / sum_ij |i p_i - j p_j|``; 0 when
      ``N_g,p = 1``;
    * complexity (``HDEZ``): ``sum_ij |i - j| (p_i s_i + p_j s_j) / (p_i + p_j)``
      divided by ``N_v,c``;
    * strength (``1X9X``): ``sum_ij (p_i + p_j)(i - j)**2 / sum_i s_i``; 0 when
      ``sum_i s_i = 0``.
    """
    levels = np.arange(1, matrix.shape[0] + 1, dtype=np.float64)
    present = matrix[:, 0] > 0
    i = levels[present]
    p = matrix[present, 0] / n_valid
    s = matrix[present, 1]
    n_gp = i.size
    ps = p * s
    sum_ps = float(ps.sum())
    sum_s = float(s.sum())
    di = i[:, None] - i[None, :]
    pij = p[:, None] + p[None, :]
    coarseness = _COARSENESS_MAX if sum_ps == 0 else 1.0 / sum_ps
    if n_gp > 1:
        contrast = float(np.sum(p[:, None] * p[None, :] * di**2)) / (n_gp * (n_gp - 1))
        contrast *= sum_s / n_valid
        ip = i * p
        busy_den = float(np.sum(np.abs(ip[:, None] - ip[None, :])))
        busyness = sum_ps / busy_den if busy_den > 0 else 0.0
    else:
        contrast = 0.0
        busyness = 0.0
    complexity = float(np.sum(np.abs(di) * (ps[:, None] + ps[None, :]) / pij)) / n_valid
    strength = float(np.sum(pij * di**2)) / sum_s if sum_s > 0 else 0.0
    return {
        "coarseness": coarseness,
        "contrast": contrast,
        "busyness": busyness,
        "complexity": complexity,
        "strength": strength,
    }


def dependence_matrix(
    grey: IntArray, mask: BoolArray, n_levels: int, in_plane: bool = False
) -> tuple[FloatArray, int]:
    """Neighbouring grey level dependence matrix (IBSI 1, section 3.11, ``REK0``).

    With coarseness ``alpha = 0`` and distance ``delta = 1`` (Chebyshev), the
    dependence ``k`` of a ROI voxel is the number of its neighbours in the ROI with
    the same grey level; ``s[i, j]`` counts the voxels of grey level ``i`` with
    ``k = j - 1``. Every ROI voxel is counted, so ``N_s = N_v``.

    Parameters
    ----------
    grey, mask, n_levels
        Validated image (0 outside the ROI), ROI and number of grey levels.
    in_plane : bool
        Use the 8 neighbours within the slice instead of the 26 in 3D.

    Returns
    -------
    matrix : ndarray of float, shape (Ng, neighbours + 1)
    n_voxels : int
        Number of ROI voxels ``N_v``.
    """
    padded = np.pad(np.where(mask, grey, 0), 1)
    centre = padded[1:-1, 1:-1, 1:-1]
    shape = centre.shape
    n_columns = 9 if in_plane else 27
    if centre.size <= _WINDOW_VOXELS:  # small ROIs: one comparison over all neighbours
        window = (1, 3, 3) if in_plane else (3, 3, 3)
        block = padded[1:-1] if in_plane else padded
        views = np.lib.stride_tricks.sliding_window_view(block, window)
        same = views[mask] == grey[mask][:, None, None, None]
        dependence_in = same.reshape(same.shape[0], -1).sum(axis=1) - 1  # not itself
        cells = (grey[mask] - 1) * n_columns + dependence_in
        counts = np.bincount(cells, minlength=n_levels * n_columns).astype(np.float64)
        return counts.reshape(n_levels, n_columns), int(mask.sum())
    dependence = np.zeros(shape, dtype=np.int64)
    dz_range = (0,) if in_plane else (-1, 0, 1)
    for dz, dy, dx in itertools.product(dz_range, (-1, 0, 1), (-1, 0, 1)):
        if dz == dy == dx == 0:
            continue
        neighbour = padded[
            1 + dz : 1 + dz + shape[0], 1 + dy : 1 + dy + shape[1], 1 + dx : 1 + dx + shape[2]
        ]
        dependence += neighbour == centre
    cells = (grey[mask] - 1) * n_columns + dependence[mask]
    counts = np.bincount(cells, minlength=n_levels * n_columns).astype(np.float64)
    return counts.reshape(n_levels, n_columns), int(mask.sum())


def ngtdm_features(
    grey: npt.ArrayLike,
    mask: npt.ArrayLike,
    *,
    n_levels: int | None = None,
    dims: Iterable[str] = ALL_DIMS,
) -> dict[str, float]:
    """IBSI 1 neighbourhood grey tone difference matrix features (``IPET``).

    Parameters are those of :func:`theranostix.radiomics.texture_features`.

    Returns
    -------
    dict of str to float
        IBSI tags ``ngt_<coarseness|contrast|busyness|complexity|strength>_<agg>``
        for ``agg`` in ``2D``, ``2_5D``, ``3D``.

    References
    ----------
    Zwanenburg A et al. arXiv:1612.07003, section 3.10; Radiology 2020;295:328-338,
    https://doi.org/10.1148/radiol.2020191145

    Examples
    --------
    >>> import numpy as np
    >>> f = ngtdm_features(np.array([[[1, 2]]]), np.ones((1, 1, 2), dtype=bool))
    >>> f["ngt_coarseness_3D"], f["ngt_strength_3D"]
    (1.0, 1.0)
    """
    g, m, ng = validate_discretised(grey, mask, n_levels)
    return aggregate(
        g, m, ng, "ngt", grey_tone_difference_matrix, _ngtdm_from_matrix, dims, names=_NGT_TAGS
    )


def ngldm_features(
    grey: npt.ArrayLike,
    mask: npt.ArrayLike,
    *,
    n_levels: int | None = None,
    dims: Iterable[str] = ALL_DIMS,
) -> dict[str, float]:
    """IBSI 1 neighbouring grey level dependence matrix features (``REK0``).

    Coarseness parameter ``alpha = 0`` and Chebyshev distance ``delta = 1``.

    Parameters are those of :func:`theranostix.radiomics.texture_features`.

    Returns
    -------
    dict of str to float
        IBSI tags ``ngl_<feature>_<2D|2_5D|3D>``, e.g. ``ngl_lde_3D`` (low
        dependence emphasis, ``SODN``); see ``_NGL_TAGS``.

    References
    ----------
    Zwanenburg A et al. arXiv:1612.07003, section 3.11; Radiology 2020;295:328-338,
    https://doi.org/10.1148/radiol.2020191145

    Examples
    --------
    >>> import numpy as np
    >>> f = ngldm_features(np.array([[[1, 1, 2]]]), np.ones((1, 1, 3), dtype=bool))
    >>> f["ngl_hde_3D"], f["ngl_dc_perc_3D"]
    (3.0, 1.0)
    """
    g, m, ng = validate_discretised(grey, mask, n_levels)
    return aggregate(
        g,
        m,
        ng,
        "ngl",
        dependence_matrix,
        lambda mat, nv: zone_features(mat, nv, _NGL_TAGS, energy=True),
        dims,
        names=_NGL_TAGS,
    )

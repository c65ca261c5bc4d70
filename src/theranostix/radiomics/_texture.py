"""One entry point for the six IBSI 1 texture families.

:func:`texture_features` documents the arguments the family functions share
(:func:`~theranostix.radiomics.glcm_features`, ``glrlm_features``,
``glszm_features``, ``gldzm_features``, ``ngtdm_features``, ``ngldm_features``).

References
----------
.. [1] Zwanenburg A, Leger S, Vallières M, Löck S. Image biomarker
   standardisation initiative, reference manual, sections 3.6-3.11.
   arXiv:1612.07003
.. [2] Zwanenburg A, Vallières M, Abdalah MA, et al. Radiology 2020;295:328-338.
   doi:10.1148/radiol.2020191145
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.radiomics._roi import ALL_DIMS

__all__ = ["TEXTURE_FAMILIES", "texture_features"]

#: The texture families, by the name :func:`texture_features` takes.
TEXTURE_FAMILIES: tuple[str, ...] = ("glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm")


def _functions() -> dict[str, Callable[..., dict[str, float]]]:
    from theranostix.radiomics import _glcm, _glrlm, _neighbourhood, _zones

    return {
        "glcm": _glcm.glcm_features,
        "glrlm": _glrlm.glrlm_features,
        "glszm": _zones.glszm_features,
        "gldzm": _zones.gldzm_features,
        "ngtdm": _neighbourhood.ngtdm_features,
        "ngldm": _neighbourhood.ngldm_features,
    }


def texture_features(
    family: str,
    grey: npt.ArrayLike,
    mask: npt.ArrayLike,
    *,
    n_levels: int | None = None,
    dims: Iterable[str] = ALL_DIMS,
    **options: Any,
) -> dict[str, float]:
    """IBSI 1 features of one texture family, keyed by IBSI tag.

    Parameters
    ----------
    family : str
        One of :data:`TEXTURE_FAMILIES`.
    grey : array_like of int
        Discretised grey levels ``1..Ng`` indexed ``[k, j, i]`` (``k`` = slice);
        values outside the mask are ignored.
    mask : array_like of bool
        The ROI (intensity mask) of the same shape.
    n_levels : int, optional
        Number of grey levels ``Ng``; ``grey[mask].max()`` by default.
    dims : iterable of str
        Aggregations to compute, among ``2D`` (per slice: ``*_2D``, ``*_2D_avg``,
        ``*_2D_comb``), ``2.5D`` (slices merged) and ``3D`` (the volume); all by
        default. A feature whose matrix is empty for an aggregation is NaN.
    **options
        Family options: ``edge_mask`` for ``gldzm`` (the morphological mask).

    Returns
    -------
    dict of str to float
        IBSI tag to value.

    Raises
    ------
    ThxError
        Unknown family or aggregation; shapes differ, the mask is empty, or grey
        levels in the mask are not integers in ``1..Ng``.

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.array([[[1, 1, 2]]])
    >>> texture_features("glcm", grey, grey > 0, dims=["3D"])["cm_joint_max_3D_comb"]
    0.5
    """
    functions = _functions()
    if family not in functions:
        raise ThxError(f"texture family: {family!r} is not one of {', '.join(TEXTURE_FAMILIES)}")
    return functions[family](grey, mask, n_levels=n_levels, dims=dims, **options)

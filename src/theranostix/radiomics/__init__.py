"""Radiomics conformant to IBSI 1: processing chain and all feature families.

Feature functions take a discretised image (integer grey levels ``1..Ng``, indexed
``[k, j, i]``) and a boolean ROI mask of the same shape and return a mapping from
IBSI feature tags (the ``tag`` column of the IBSI reference tables, e.g.
``cm_joint_max_3D_avg``) to values. Processing steps: interpolation with the
*align grid centers* grid, re-segmentation, discretisation; settings as TOML with
presets for the IBSI data sets and PET.

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    "FAMILIES": "_pipeline",
    "PreparedRoi": "_pipeline",
    "extract_features": "_pipeline",
    "family_features": "_pipeline",
    "prepare_roi": "_pipeline",
    "morphology_features": "_morphology",
    "RadiomicsSettings": "_settings",
    "load_settings": "_settings",
    "preset_names": "_settings",
    "interpolate_image": "_interpolate",
    "interpolate_mask": "_interpolate",
    "resegment": "_discretise",
    "discretise_fixed_bin_number": "_discretise",
    "discretise_fixed_bin_size": "_discretise",
    "statistics_features": "_intensity",
    "histogram_features": "_intensity",
    "ivh_features": "_intensity",
    "local_intensity_features": "_intensity",
    "TEXTURE_FAMILIES": "_texture",
    "texture_features": "_texture",
    "glcm_features": "_glcm",
    "glrlm_features": "_glrlm",
    "glszm_features": "_zones",
    "gldzm_features": "_zones",
    "ngtdm_features": "_neighbourhood",
    "ngldm_features": "_neighbourhood",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

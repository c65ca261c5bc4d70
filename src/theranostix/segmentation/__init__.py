"""Lesion delineation and reference regions on PET images.

Methods: PERCIST threshold from a liver (or blood-pool) reference, absolute SUV
thresholds (2.5, 4.0), fixed fractions (41 %, 50 %) of each lesion's SUVmax
grown from its maximum, and user masks. Physiological uptake is excluded through
organ masks by tracer (``data/physiological_uptake.toml``). Reference regions:
the PERCIST 3 cm sphere in the right liver lobe (from a liver mask or from the
CT), blood pool, spleen, parotid, or a user mask.

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    "LesionSegmentation": "_types",
    "ReferenceRegion": "_types",
    "SegmentationMethod": "_types",
    "TracerFamily": "_types",
    "liver_reference": "_reference",
    "liver_mask_from_ct": "_reference",
    "organ_reference": "_reference",
    "user_reference": "_reference",
    "reference_regions": "_reference",
    "physiological_organs": "_lesions",
    "percist_threshold": "_lesions",
    "segment_lesions": "_lesions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

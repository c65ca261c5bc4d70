"""Radionuclide therapy dosimetry: kinetics, absorbed dose, radiobiology and planning.

Time-activity curves and their time-integrated activity (TIA), organ and lesion
absorbed doses (MIRD schema with reference-phantom S-values, sphere model),
radiobiology (BED, EQD2) and organ-at-risk limits with a cycle planner.
Units at the boundary are those of the field: hours, MBq, MBq·h, Gy, GBq; names
carry them (``tia_mbq_h``, ``dose_gy``).

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

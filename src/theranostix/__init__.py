"""theranostix: radiopharmaceutical theranostics in oncology.

The package follows the clinical chain, one subpackage per domain:

- :mod:`theranostix.units`: parsing and printing of activities, durations and
  timezone-aware datetimes (the only place where unit strings are handled).
- :mod:`theranostix.nuclides`: radionuclide data (ICRP-107) and decay.
- :mod:`theranostix.production`: cyclotron production, generators, radiolabelling.
- :mod:`theranostix.imaging`: DICOM/NIfTI/NRRD volumes, masks, resampling, SUV,
  quantitative SPECT, region statistics.
- :mod:`theranostix.phantoms`: seeded synthetic patients (PET, CT, SPECT) with
  known ground truth.

Subpackages are imported lazily, so ``import theranostix`` is cheap and heavy
dependencies (radioactivedecay, SciPy, matplotlib, pydicom, SimpleITK,
highdicom) load only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_SUBPACKAGES = ("errors", "imaging", "nuclides", "phantoms", "production", "units")

__all__ = ["__version__", *_SUBPACKAGES]

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from theranostix import errors as errors
    from theranostix import imaging as imaging
    from theranostix import nuclides as nuclides
    from theranostix import production as production
    from theranostix import units as units


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"theranostix.{name}")
    raise AttributeError(f"module 'theranostix' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

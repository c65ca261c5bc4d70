"""Synthetic patients: seeded digital phantoms written as valid DICOM, with ground truth.

A body of ellipsoids and cylinders (LPS millimetres, head towards +z) with liver,
spleen, kidneys (cortex), salivary and lacrimal glands, bladder, bone and bone
marrow, lungs, blood pool and brain, plus spherical lesions in the liver, the
bone marrow or lymph-node stations. Each patient has

- a CT in Hounsfield units;
- a PET (FDG, Ga-68-PSMA-11 or Ga-68-DOTATATE) with organ and lesion SUVs from
  the literature (``data/tracers.toml``, sources in ``data/PROVENANCE.md``),
  Gaussian PSF and Poisson noise, plus its noiseless maps;
- a Lu-177 therapy (PSMA-617 or DOTATATE) with per-region kinetics, so that
  SPECT at any time after administration and the time-integrated activities are
  known exactly.

Main entry points
-----------------
make_patient
    Build a :class:`SyntheticPatient` for a tracer, lesions and a seed.
write_patient
    Write CT, PET, RTSTRUCT, SEG, Lu-177 SPECT/CT and ``ground_truth.json``.

Examples
--------
>>> from theranostix.phantoms import make_patient, ScanSettings
>>> p = make_patient("fdg", lesions=2, seed=3, voxel_mm=8.0, pet=ScanSettings(None, False))
>>> [lesion.site.value for lesion in p.lesions]
['liver', 'lymph_node']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from theranostix import _lazy

# public name -> private module that defines it
_EXPORTS: dict[str, str] = {
    "DEFAULT_LUTETIUM_TIMEPOINTS_H": "_generate",
    "HU": "_anatomy",
    "LABELS": "_anatomy",
    "ORGANS": "_anatomy",
    "Lesion": "_generate",
    "LesionSite": "_tables",
    "LesionSpec": "_generate",
    "LutetiumTable": "_tables",
    "PetTracerTable": "_tables",
    "RegionKinetics": "_tables",
    "ScanSettings": "_generate",
    "SyntheticPatient": "_generate",
    "Tracer": "_tables",
    "lutetium_table": "_tables",
    "make_patient": "_generate",
    "pet_table": "_tables",
    "phantom_geometry": "_anatomy",
    "sources": "_tables",
    "write_patient": "_generate",
}

__all__ = [
    "DEFAULT_LUTETIUM_TIMEPOINTS_H",
    "HU",
    "LABELS",
    "ORGANS",
    "Lesion",
    "LesionSite",
    "LesionSpec",
    "LutetiumTable",
    "PetTracerTable",
    "RegionKinetics",
    "ScanSettings",
    "SyntheticPatient",
    "Tracer",
    "lutetium_table",
    "make_patient",
    "pet_table",
    "phantom_geometry",
    "sources",
    "write_patient",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from theranostix.phantoms._anatomy import HU, LABELS, ORGANS, phantom_geometry
    from theranostix.phantoms._generate import (
        DEFAULT_LUTETIUM_TIMEPOINTS_H,
        Lesion,
        LesionSpec,
        ScanSettings,
        SyntheticPatient,
        make_patient,
        write_patient,
    )
    from theranostix.phantoms._tables import (
        LesionSite,
        LutetiumTable,
        PetTracerTable,
        RegionKinetics,
        Tracer,
        lutetium_table,
        pet_table,
        sources,
    )


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

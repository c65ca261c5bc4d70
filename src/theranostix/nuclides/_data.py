"""Lazy access to the decay data this package is built on.

- ``radioactivedecay`` (ICRP-107 half-lives, decay modes, branching fractions and
  its pre-computed Bateman matrices) is imported on first use only: importing it
  takes about two seconds.
- ``icrp107-database`` holds one JSON file per radionuclide with the ICRP-107
  emission lines and beta spectra; each file is read once, on demand.
- The NIST mass energy-absorption coefficients of air are package data
  (``data/air_mu_en.csv``, provenance in ``data/PROVENANCE.md``).

References
----------
.. [1] ICRP, 2008. Nuclear Decay Data for Dosimetric Calculations. ICRP
   Publication 107. Ann. ICRP 38(3). doi:10.1016/j.icrp.2008.10.004
.. [2] Malins A, Lemoine T. radioactivedecay: A Python package for radioactive
   decay calculations. JOSS 2022;7(71):3318. doi:10.21105/joss.03318
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@cache
def icrp107_names() -> frozenset[str]:
    """Names (``"Lu-177"``) of the 1252 radionuclides of ICRP-107."""
    folder = resources.files("icrp107_database") / "icrp107"
    return frozenset(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


@cache
def icrp107_record(name: str) -> dict[str, Any]:
    """The ICRP-107 record of one radionuclide (emission lines, beta spectrum).

    The files of ``icrp107-database`` are JSON documents encoded a second time as
    a JSON string; both layers are decoded here.
    """
    path = resources.files("icrp107_database") / "icrp107" / f"{name}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    record: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
    return record


def radioactivedecay() -> Any:
    """The ``radioactivedecay`` module, imported on first use."""
    import radioactivedecay

    return radioactivedecay


def decay_data() -> Any:
    """The default ``radioactivedecay`` data set (ICRP-107, AME2020, NUBASE2020)."""
    return radioactivedecay().DEFAULTDATA


@cache
def air_mu_en_table() -> tuple[FloatArray, FloatArray]:
    r"""NIST mass energy-absorption coefficients of dry air.

    Returns
    -------
    energy_mev, mu_en_rho_cm2_per_g : numpy.ndarray
        Photon energy (MeV) and :math:`\\mu_{en}/\\rho` (cm²/g), ascending in
        energy; the argon K edge appears as two rows at the same energy.
    """
    text = (resources.files("theranostix.nuclides") / "data" / "air_mu_en.csv").read_text(
        encoding="utf-8"
    )
    rows = [
        line.split(",")
        for line in text.splitlines()
        if line and not line.startswith("#") and not line.startswith("energy")
    ]
    table = np.array(rows, dtype=np.float64)
    return table[:, 0].copy(), table[:, 2].copy()

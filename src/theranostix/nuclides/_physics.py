"""Photon dosimetry constants computed from the ICRP-107 lines.

References
----------
.. [1] ICRU Report 85a (revised). Fundamental Quantities and Units for Ionizing
   Radiation. J ICRU 2011;11(1): the air-kerma rate constant Γδ.
.. [2] Hubbell JH, Seltzer SM. Tables of X-Ray Mass Attenuation Coefficients and
   Mass Energy-Absorption Coefficients, NISTIR 5632, NIST SRD 126 (2004).
   doi:10.18434/T4D01F
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from theranostix.nuclides import _data

if TYPE_CHECKING:
    from theranostix.nuclides._nuclide import Nuclide

__all__ = ["air_kerma_rate_constant", "air_mu_en_rho"]

#: Lowest and highest photon energies of the NIST air table (MeV).
_TABLE_RANGE_MEV = (1e-3, 20.0)


def air_mu_en_rho(energy_mev: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Mass energy-absorption coefficient of dry air μen/ρ (cm²/g) at photon energies.

    Log-log linear interpolation in the NIST table [2]_; at the argon K edge
    (3.2029 keV) the value above the edge is used.

    Parameters
    ----------
    energy_mev : array_like
        Photon energies in MeV, within 1 keV to 20 MeV.

    Raises
    ------
    ValueError
        For energies outside the table.

    Examples
    --------
    >>> float(air_mu_en_rho(0.5))
    0.02966
    >>> round(float(air_mu_en_rho(0.511)), 5)
    0.02965
    """
    energies, mu_en = _data.air_mu_en_table()
    e = np.atleast_1d(np.asarray(energy_mev, dtype=np.float64))
    low, high = _TABLE_RANGE_MEV
    if np.any((e < low * (1 - 1e-9)) | (e > high * (1 + 1e-9))):
        bad = e[(e < low) | (e > high)]
        raise ValueError(
            f"photon energy {bad[0]} MeV outside the NIST air table ({low} to {high} MeV)"
        )
    # Segment i spans rows i and i+1; side="right" puts an energy on the K edge
    # into the segment above it.
    index = np.clip(np.searchsorted(energies, e, side="right") - 1, 0, len(energies) - 2)
    e0, e1 = energies[index], energies[index + 1]
    m0, m1 = mu_en[index], mu_en[index + 1]
    same = e1 == e0
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(same, 0.0, np.log(m1 / m0) / np.log(np.where(same, 2.0, e1 / e0)))
    result = m0 * np.exp(slope * np.log(e / e0))
    return np.asarray(result, dtype=np.float64).reshape(np.shape(energy_mev))


def air_kerma_rate_constant(nuclide: Nuclide | str, cutoff_kev: float = 20.0) -> float:
    r"""Air-kerma rate constant Γδ of a point source, in µGy·m²/(MBq·h).

    .. math::

        \\Gamma_\\delta = \\frac{1}{4\\pi} \\sum_{E_i > \\delta} y_i E_i
        \\left(\\frac{\\mu_{en}}{\\rho}\\right)_{air}(E_i)

    over the gamma, X-ray and annihilation lines of ICRP-107 with energy above the
    cut-off δ [1]_, with the NIST μen/ρ of dry air [2]_. Using μen rather than μtr
    gives the collision part of kerma; the radiative fraction in air is below 0.3 %
    for the photon energies of medical radionuclides (up to 1.3 MeV).

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide (its own lines only; progeny are not included).
    cutoff_kev : float
        δ in keV; photons at or below it are excluded. Must be at least 1 keV.
        The default, 20 keV, leaves out characteristic X-rays that a vial or the
        patient absorbs; 5 keV is the convention of brachytherapy (AAPM TG-43).

    Returns
    -------
    float
        Γδ in µGy·m²·MBq⁻¹·h⁻¹.

    Examples
    --------
    >>> round(air_kerma_rate_constant("Tc-99m"), 4)
    0.0147
    """
    from theranostix.nuclides._nuclide import Nuclide

    nuc = nuclide if isinstance(nuclide, Nuclide) else Nuclide(nuclide)
    if cutoff_kev < _TABLE_RANGE_MEV[0] * 1e3:
        raise ValueError(f"cutoff_kev must be at least 1 keV (the NIST table), got {cutoff_kev}")
    cutoff_mev = cutoff_kev / 1e3
    lines = [
        (e.energy_mev, e.yield_per_decay)
        for e in nuc.emissions()
        if e.radiation.is_photon and e.energy_mev > cutoff_mev
    ]
    if not lines:
        return 0.0
    energy = np.array([e for e, _ in lines])
    yld = np.array([y for _, y in lines])
    # MeV·cm²/g per decay -> J·m²/kg per decay
    per_decay = float(np.sum(yld * energy * air_mu_en_rho(energy))) * 1.602176634e-13 * 0.1
    gy_m2_per_bq_s = per_decay / (4.0 * math.pi)
    return gy_m2_per_bq_s * 1e6 * 3600.0 * 1e6  # -> µGy·m² per MBq·h

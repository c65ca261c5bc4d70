r"""Lesion absorbed dose with the sphere model (uniform activity in a tissue sphere).

The mean absorbed dose per decay in a sphere of mass :math:`m` holding the activity
uniformly is [1]_, [2]_

.. math::

    S = \frac{1}{m} \Bigl[\bar E_{\alpha}
        + \int N(T)\, T\, \phi_e(T, r)\, dT + \sum_j y_j T_j\, \phi_e(T_j, r)
        + \sum_i y_i E_i\, \phi(E_i, r)\Bigr]

- **Electrons** (β− and β+ spectra, conversion and Auger electrons of ICRP-107)
  with the absorbed fraction :math:`\phi_e(T, r)` of monoenergetic electrons in a
  water sphere (:func:`theranostix.dosimetry._electrons.electron_absorbed_fraction_sphere`:
  point kernels from a condensed-history Monte Carlo simulation folded with the
  geometric reduction factor of a sphere). Beta particles are weighted by the
  ICRP-107 beta spectrum, rescaled so that its mean energy equals the sum of the
  beta lines. Positrons are transported as electrons (their annihilation photons
  are among the photon lines). Bremsstrahlung is not counted.
- **Alpha particles and recoil nuclei** are absorbed where emitted (ranges below
  0.1 mm): valid for spheres of a few milligrams and more.
- **Photons** (gamma, X-ray, annihilation lines of ICRP-107 with yield
  :math:`y_i`, energy :math:`E_i`): absorbed fraction of a uniform isotropic source
  in a sphere in the straight-ahead approximation with the energy-absorption
  coefficient, :math:`\phi = 1 - P_{esc}(\tau)` with :math:`\tau = \mu_{en} r` and
  the first-flight escape probability of a uniform source in a sphere [3]_

  .. math::

      P_{esc}(\tau) = \frac{3}{8\tau^3}\bigl[2\tau^2 - 1 + (1 + 2\tau)e^{-2\tau}\bigr].

  For small spheres :math:`\phi \approx \mu_{en}\cdot 3r/4`: the effective path is
  the mean distance from a uniformly distributed interior point to the surface,
  3r/4, *not* the mean chord 4r/3 (Cauchy's 4V/S), which holds for chords drawn
  from an external isotropic field and would overstate φ by 16/9. Using
  :math:`\mu_{en}` instead of the attenuation coefficient counts scattered photons
  as partly absorbed locally; it is an approximation (no build-up factor).
  Photons below 1 keV (outside the coefficient table) are absorbed locally.
- **Tissue coefficient**: the package has the NIST μen/ρ of dry air only
  (:func:`theranostix.nuclides.air_mu_en_rho`); no soft-tissue table exists in
  ``theranostix.nuclides.data``. Unit-density tissue is approximated as water,
  :math:`(\mu_{en}/\rho)_{water} \approx 1.112 (\mu_{en}/\rho)_{air}`, the ratio of
  electrons per gram (Z/A of water 0.55508, of dry air 0.49919). This is exact
  where incoherent (Compton) scattering dominates (about 0.1-3 MeV in low-Z
  media); below about 100 keV the photoelectric effect lowers the true ratio to
  1.02-1.1, so μen of low-energy photons is overestimated by up to ~9 %; the effect
  on S for Lu-177 is below 1 % since photons contribute a few % of S.

Only the radionuclide's own emissions are used (no progeny).

Validation (``tests/dosimetry/test_sphere_model.py``): against the OLINDA 2
sphere dose factors of Tb-152 (a positron emitter with β+ up to 2.97 MeV and
many photon lines) published by Cicone et al. [5]_, the S-values are within 2 %
from 1 to 10 g and 5-8 % above OLINDA at 0.1-0.5 g, where OLINDA and the
ellipsoidal model of the same paper differ by 10 %; the electron point kernels
reproduce the Y-90 voxel S-values of Lanconelli et al. (self and nearest
voxels) within 5 %.

References
----------
.. [1] Stabin MG, Konijnenberg MW. Re-evaluation of absorbed fractions for photons
   and electrons in spheres of various sizes. J Nucl Med 2000;41:149-160.
.. [2] Bolch WE, Eckerman KF, Sgouros G, Thomas SR. MIRD Pamphlet No. 21.
   J Nucl Med 2009;50:477-484. doi:10.2967/jnumed.108.056036
.. [3] Case KM, de Hoffmann F, Placzek G. Introduction to the Theory of Neutron
   Diffusion, Vol. I. Los Alamos Scientific Laboratory, 1953: first-collision
   escape probability from a sphere with a uniform isotropic source.
.. [4] Hubbell JH, Seltzer SM. Tables of X-Ray Mass Attenuation Coefficients and
   Mass Energy-Absorption Coefficients, NISTIR 5632, NIST SRD 126 (2004).
   doi:10.18434/T4D01F
.. [5] Cicone F, Gnesin S, Denoël T, et al. Internal radiation dosimetry of a
   152Tb-labeled antibody in tumor-bearing mice. EJNMMI Res 2019;9.
   doi:10.1186/s13550-019-0524-7
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError

__all__ = [
    "TISSUE_TO_AIR_MU_EN_RATIO",
    "SphereSValue",
    "electron_energy_absorbed_mev",
    "photon_absorbed_fraction_sphere",
    "sphere_dose_gy",
    "sphere_model",
    "sphere_s_value_mgy_per_mbq_s",
]

_J_PER_MEV = 1.602176634e-13
#: Electrons per gram of water relative to dry air: (Z/A)_water / (Z/A)_air.
TISSUE_TO_AIR_MU_EN_RATIO = (10.0 / 18.01528) / 0.49919
#: Photons at or below this energy (MeV) are absorbed locally (below the NIST table).
_LOCAL_PHOTON_MEV = 1e-3
#: Below this optical radius the escape probability is computed from its series.
_SERIES_TAU = 1e-2


def _escape_probability(tau: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """First-flight escape probability of a uniform isotropic source in a sphere."""
    out = np.empty_like(tau)
    small = tau < _SERIES_TAU
    t = tau[small]
    out[small] = 1.0 - (0.75 * t - 0.4 * t**2 + t**3 / 6.0 - 2.0 * t**4 / 35.0)
    t = tau[~small]
    out[~small] = 3.0 / (8.0 * t**3) * (2.0 * t**2 - 1.0 + (1.0 + 2.0 * t) * np.exp(-2.0 * t))
    return out


def _tissue_mu_en_rho(energy_mev: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    from theranostix.nuclides import air_mu_en_rho

    return TISSUE_TO_AIR_MU_EN_RATIO * air_mu_en_rho(energy_mev)


def _radius_cm(mass_g: float, density_g_per_ml: float) -> float:
    return math.cbrt(3.0 * (mass_g / density_g_per_ml) / (4.0 * math.pi))


def _check_positive(what: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ThxError(f"{what} must be a positive number, got {value}")


def photon_absorbed_fraction_sphere(
    energy_mev: npt.ArrayLike, mass_g: float, *, density_g_per_ml: float = 1.0
) -> npt.NDArray[np.float64]:
    """Absorbed fraction of photons emitted uniformly in a tissue sphere.

    ``φ = 1 - P_esc(μen·r)`` with the escape probability of the module notes and
    μen/ρ of water approximated from the NIST air table (× 1.112); photons at or
    below 1 keV are absorbed locally (φ = 1).

    Parameters
    ----------
    energy_mev : array_like
        Photon energies (MeV), up to 20 MeV.
    mass_g : float
        Sphere mass (g).
    density_g_per_ml : float
        Tissue density; 1 (unit-density soft tissue) by default.

    Returns
    -------
    numpy.ndarray
        Absorbed fractions, same shape as ``energy_mev``.

    Examples
    --------
    >>> phi = photon_absorbed_fraction_sphere([0.113, 0.208], 100.0)
    >>> [round(float(p), 3) for p in phi]
    [0.055, 0.062]
    """
    _check_positive("mass_g", mass_g)
    _check_positive("density_g_per_ml", density_g_per_ml)
    e = np.atleast_1d(np.asarray(energy_mev, dtype=np.float64))
    phi = np.ones_like(e)
    penetrating = e > _LOCAL_PHOTON_MEV
    if np.any(penetrating):
        mu_cm = _tissue_mu_en_rho(e[penetrating]) * density_g_per_ml
        tau = mu_cm * _radius_cm(mass_g, density_g_per_ml)
        phi[penetrating] = 1.0 - _escape_probability(tau)
    return phi.reshape(np.shape(energy_mev))


@dataclass(frozen=True)
class SphereSValue:
    """Sphere-model S-value and its parts (energies in MeV per decay).

    Attributes
    ----------
    nuclide : str
        Canonical radionuclide name.
    mass_g : float
        Sphere mass (g).
    radius_cm : float
        Sphere radius (cm).
    electron_emitted_mev : float
        Mean energy of all electrons emitted (β±, conversion, Auger).
    electron_absorbed_mev : float
        Mean electron energy absorbed in the sphere.
    alpha_mev : float
        Mean energy of alpha particles and recoil nuclei, all absorbed.
    photon_emitted_mev : float
        Mean photon energy emitted.
    photon_absorbed_mev : float
        Mean photon energy absorbed in the sphere.
    s_value_mgy_per_mbq_s : float
        Self S-value in mGy/(MBq·s).
    """

    nuclide: str
    mass_g: float
    radius_cm: float
    electron_emitted_mev: float
    electron_absorbed_mev: float
    alpha_mev: float
    photon_emitted_mev: float
    photon_absorbed_mev: float
    s_value_mgy_per_mbq_s: float

    @property
    def absorbed_mev(self) -> float:
        """Mean energy absorbed in the sphere per decay (MeV)."""
        return self.electron_absorbed_mev + self.alpha_mev + self.photon_absorbed_mev

    @property
    def electron_absorbed_fraction(self) -> float:
        """Absorbed fraction of the electron energy (1 for nuclides without electrons)."""
        if self.electron_emitted_mev <= 0:
            return 1.0
        return self.electron_absorbed_mev / self.electron_emitted_mev

    @property
    def photon_fraction(self) -> float:
        """Share of the S-value due to photons."""
        total = self.absorbed_mev
        return self.photon_absorbed_mev / total if total > 0 else 0.0


def electron_energy_absorbed_mev(
    nuclide: str, mass_g: float, *, density_g_per_ml: float = 1.0
) -> tuple[float, float]:
    """Electron energy emitted and absorbed per decay in a uniform tissue sphere (MeV).

    Beta particles follow the ICRP-107 beta spectrum, rescaled so that its mean
    energy equals the sum of the β−, β+ and delayed-β lines (the trapezoid rule
    on the tabulated spectrum differs from it by < 0.5 %); conversion and Auger
    electrons are the discrete lines. Each energy gets the absorbed fraction of
    :func:`theranostix.dosimetry._electrons.electron_absorbed_fraction_sphere`
    for the sphere's radius scaled to unit density (ranges scale as 1/ρ).

    Parameters
    ----------
    nuclide : str
        Radionuclide, any spelling.
    mass_g : float
        Sphere mass (g).
    density_g_per_ml : float
        Tissue density (1 by default).

    Returns
    -------
    tuple of float
        ``(emitted, absorbed)`` mean electron energies per decay (MeV).

    References
    ----------
    .. [1] Stabin MG, Konijnenberg MW. J Nucl Med 2000;41:149-160.
    .. [2] Eckerman K, Endo A. ICRP Publication 107. Ann ICRP 2008;38(3).
       doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> emitted, absorbed = electron_energy_absorbed_mev("Lu-177", 0.1)
    >>> round(emitted, 4), round(absorbed / emitted, 2)
    (0.1479, 0.93)
    """
    from theranostix.dosimetry._electrons import electron_absorbed_fraction_sphere
    from theranostix.nuclides import Nuclide, RadiationType

    _check_positive("mass_g", mass_g)
    _check_positive("density_g_per_ml", density_g_per_ml)
    nuc = Nuclide(nuclide)
    # Ranges scale as 1/density: a sphere of radius r at density rho is, for
    # electrons, a unit-density sphere of radius rho*r.
    radius = _radius_cm(mass_g, density_g_per_ml) * density_g_per_ml
    betas = (RadiationType.BETA_MINUS, RadiationType.BETA_PLUS, RadiationType.DELAYED_BETA)
    beta_total = sum(nuc.mean_energy_mev(k) for k in betas)
    emitted = nuc.electron_energy_mev
    absorbed = 0.0
    energies, density = nuc.beta_spectrum()
    keep = energies > 0
    energies, density = energies[keep], density[keep]
    if beta_total > 0 and energies.size > 1:
        weight = density * energies
        norm = float(np.trapezoid(weight, energies))
        phi = electron_absorbed_fraction_sphere(energies, radius)
        absorbed += beta_total * float(np.trapezoid(weight * phi, energies)) / norm
    elif beta_total > 0:  # no tabulated spectrum: the mean energies of the branches
        lines = [e for e in nuc.emissions() if e.radiation in betas]
        e_b = np.array([e.energy_mev for e in lines])
        y_b = np.array([e.yield_per_decay for e in lines])
        absorbed += float(np.sum(y_b * e_b * electron_absorbed_fraction_sphere(e_b, radius)))
    discrete = [
        e
        for e in nuc.emissions()
        if e.radiation in (RadiationType.INTERNAL_CONVERSION, RadiationType.AUGER)
        and e.energy_mev > 0
    ]
    if discrete:
        e_d = np.array([e.energy_mev for e in discrete])
        y_d = np.array([e.yield_per_decay for e in discrete])
        absorbed += float(np.sum(y_d * e_d * electron_absorbed_fraction_sphere(e_d, radius)))
    return emitted, min(absorbed, emitted)


def sphere_model(nuclide: str, mass_g: float, *, density_g_per_ml: float = 1.0) -> SphereSValue:
    """Self S-value of a tissue sphere with its electron, alpha and photon parts.

    Parameters
    ----------
    nuclide : str
        Radionuclide, any spelling.
    mass_g : float
        Sphere mass (g).
    density_g_per_ml : float
        1 by default (unit-density spheres, as in [1]_).

    Returns
    -------
    SphereSValue

    References
    ----------
    .. [1] Stabin MG, Konijnenberg MW. J Nucl Med 2000;41:149-160.

    Examples
    --------
    >>> m = sphere_model("Lu-177", 10.0)
    >>> round(m.radius_cm, 3), round(m.electron_absorbed_fraction, 3)
    (1.337, 0.987)
    """
    from theranostix.nuclides import Nuclide, RadiationType

    _check_positive("mass_g", mass_g)
    nuc = Nuclide(nuclide)
    lines = [e for e in nuc.emissions() if e.radiation.is_photon]
    energies = np.array([e.energy_mev for e in lines], dtype=np.float64)
    yields = np.array([e.yield_per_decay for e in lines], dtype=np.float64)
    phi = photon_absorbed_fraction_sphere(energies, mass_g, density_g_per_ml=density_g_per_ml)
    electron_emitted, electron_absorbed = electron_energy_absorbed_mev(
        nuc.name, mass_g, density_g_per_ml=density_g_per_ml
    )
    alpha = nuc.mean_energy_mev(RadiationType.ALPHA) + nuc.mean_energy_mev(
        RadiationType.ALPHA_RECOIL
    )
    emitted = float(np.sum(yields * energies))
    absorbed = float(np.sum(yields * energies * phi))
    total = electron_absorbed + alpha + absorbed
    # MeV per decay -> mGy per (MBq·s): × 1e6 decays/(MBq·s) × J/MeV / kg × 1e3 mGy/Gy
    s_value = total * 1e6 * _J_PER_MEV / (mass_g / 1000.0) * 1e3
    return SphereSValue(
        nuclide=nuc.name,
        mass_g=float(mass_g),
        radius_cm=_radius_cm(mass_g, density_g_per_ml),
        electron_emitted_mev=electron_emitted,
        electron_absorbed_mev=electron_absorbed,
        alpha_mev=alpha,
        photon_emitted_mev=emitted,
        photon_absorbed_mev=absorbed,
        s_value_mgy_per_mbq_s=s_value,
    )


def sphere_s_value_mgy_per_mbq_s(
    nuclide: str, mass_g: float, *, density_g_per_ml: float = 1.0
) -> float:
    """Self S-value of a uniform source in a tissue sphere, mGy/(MBq·s).

    See :func:`sphere_model` and the module notes for the model and its
    validation (OLINDA 2 sphere dose factors within 2 % from 1 to 10 g).

    References
    ----------
    .. [1] Stabin MG, Konijnenberg MW. Re-evaluation of absorbed fractions for
       photons and electrons in spheres of various sizes. J Nucl Med
       2000;41:149-160.
    .. [2] Bolch WE, Eckerman KF, Sgouros G, Thomas SR. MIRD Pamphlet No. 21.
       J Nucl Med 2009;50:477-484. doi:10.2967/jnumed.108.056036

    Examples
    --------
    >>> f"{sphere_s_value_mgy_per_mbq_s('Lu-177', 100.0):.3e}"
    '2.394e-04'
    """
    return sphere_model(nuclide, mass_g, density_g_per_ml=density_g_per_ml).s_value_mgy_per_mbq_s


def sphere_dose_gy(nuclide: str, tia_mbq_h: float, volume_ml: float) -> float:
    """Mean absorbed dose (Gy) to a unit-density sphere from its own activity.

    ``D = TIA [MBq·h] × 3600 × S [mGy/(MBq·s)] × 1e-3`` with the S-value of
    :func:`sphere_s_value_mgy_per_mbq_s` for a mass of ``volume_ml`` grams
    (density 1 g/mL).

    Parameters
    ----------
    nuclide : str
        Radionuclide, any spelling.
    tia_mbq_h : float
        Time-integrated activity in the lesion (MBq·h), non-negative.
    volume_ml : float
        Lesion volume (mL).

    References
    ----------
    .. [1] Stabin MG, Konijnenberg MW. J Nucl Med 2000;41:149-160.

    Examples
    --------
    >>> round(sphere_dose_gy("Lu-177", 500.0, 10.0), 3)
    4.247
    """
    _check_positive("volume_ml", volume_ml)
    if not (math.isfinite(tia_mbq_h) and tia_mbq_h >= 0):
        raise ThxError(f"tia_mbq_h must be a non-negative number, got {tia_mbq_h}")
    s_value = sphere_s_value_mgy_per_mbq_s(nuclide, volume_ml)
    return tia_mbq_h * 3600.0 * s_value * 1e-3

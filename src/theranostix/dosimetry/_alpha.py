r"""Alpha emitters: energy per decay with progeny, local absorbed dose, RBE-weighted dose.

For an alpha emitter the energy of the alpha particles (range 40-100 µm) and of the
electrons is deposited close to the decay site; at the organ level it is taken as
absorbed where it is emitted (absorbed fraction 1) [1]_, [2]_. The absorbed dose of a
region of mass :math:`m` with a time-integrated activity (TIA) :math:`\tilde A` of the
parent is, per radiation type :math:`r`,

.. math::

    D_r = \tilde A \cdot \bar E_r / m, \qquad
    \bar E_r = \sum_i n_i\, \bar E_{r,i}

with :math:`\bar E_{r,i}` the ICRP-107 mean energy of type :math:`r` per decay of chain
member :math:`i` [3]_ and :math:`n_i` the number of decays of member :math:`i` per decay
of the parent (1 for the parent, products of branching fractions along the chain for the
progeny). The RBE-weighted dose of MIRD Pamphlet No. 22 [1]_ weights the alpha part only:

.. math::

    D_{RBE} = \mathrm{RBE}_\alpha\, D_\alpha + D_e

with :math:`\mathrm{RBE}_\alpha = 5` by default (the value MIRD Pamphlet No. 22 recommends
for deterministic effects). It is reported **separately** from the absorbed dose, never
added to it.

Units: ``D [Gy] = TIA [MBq·h] × 3600 × 1e6 × E [MeV] × 1.602176634e-13 [J/MeV] / (m [g] /
1000)``.

References
----------
.. [1] Sgouros G, Roeske JC, McDevitt MR, et al. MIRD Pamphlet No. 22 (abridged):
   radiobiology and dosimetry of α-particle emitters for targeted radionuclide therapy.
   J Nucl Med 2010;51:311-328. doi:10.2967/jnumed.108.058651
.. [2] Loevinger R, Budinger TF, Watson EE. MIRD Primer for Absorbed Dose Calculations,
   revised edition. Society of Nuclear Medicine, 1991.
.. [3] ICRP, 2008. Nuclear Decay Data for Dosimetric Calculations. ICRP Publication 107.
   Ann. ICRP 38(3). doi:10.1016/j.icrp.2008.10.004
.. [4] de Kruijff RM, Wolterbeek HT, Denkova AG. A critical review of alpha radionuclide
   therapy - how to deal with recoiling daughters? Pharmaceuticals 2015;8:321-336.
   doi:10.3390/ph8020321
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from theranostix.errors import ThxError

__all__ = ["AlphaDose", "EnergyBudget", "alpha_dose", "alpha_energy_per_decay"]

#: Joules per MeV (CODATA 2018, exact).
_J_PER_MEV = 1.602176634e-13
#: Seconds per hour.
_S_PER_H = 3600.0
#: Relative difference between the equilibrium activity ratio and the decays per parent
#: decay above which a note is written (transient equilibrium, e.g. Pb-212/Bi-212).
_TRANSIENT_NOTE = 0.01


@dataclass(frozen=True)
class EnergyBudget:
    """Energy emitted per decay of a parent, progeny included, by radiation type.

    Attributes
    ----------
    nuclide : str
        Canonical name of the parent.
    alpha_mev : float
        Alpha-particle energy per parent decay (MeV), recoil nuclei excluded.
    electron_mev : float
        Electron energy per parent decay (β−, β+, conversion and Auger electrons), MeV.
    photon_mev : float
        Photon energy per parent decay (gamma, X-ray, annihilation), MeV.
    recoil_mev : float
        Kinetic energy of the alpha-recoil nuclei per parent decay (MeV); reported, not
        counted in ``alpha_mev``.
    alphas_per_decay : float
        Alpha particles emitted per parent decay.
    decays_per_parent_decay : Mapping[str, float]
        Decays of each chain member per decay of the parent at the site (after
        ``daughter_retention``).
    with_progeny : bool
        Whether the progeny were included.
    daughter_retention : float
        Fraction of the progeny decaying at the site.
    notes : tuple of str
        Assumptions.
    """

    nuclide: str
    alpha_mev: float
    electron_mev: float
    photon_mev: float
    recoil_mev: float
    alphas_per_decay: float
    decays_per_parent_decay: Mapping[str, float]
    with_progeny: bool
    daughter_retention: float
    notes: tuple[str, ...]

    @property
    def local_mev(self) -> float:
        """Energy taken as absorbed locally: alpha particles and electrons (MeV)."""
        return self.alpha_mev + self.electron_mev

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plain data."""
        return {
            "nuclide": self.nuclide,
            "alpha_mev": self.alpha_mev,
            "electron_mev": self.electron_mev,
            "photon_mev": self.photon_mev,
            "recoil_mev": self.recoil_mev,
            "local_mev": self.local_mev,
            "alphas_per_decay": self.alphas_per_decay,
            "decays_per_parent_decay": dict(self.decays_per_parent_decay),
            "with_progeny": self.with_progeny,
            "daughter_retention": self.daughter_retention,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AlphaDose:
    """Local absorbed dose of an alpha emitter and its RBE-weighted dose.

    Attributes
    ----------
    nuclide : str
        Canonical name of the parent.
    tia_mbq_h : float
        Time-integrated activity of the parent (MBq·h).
    mass_g : float
        Mass of the region (g).
    alpha_dose_gy : float
        Absorbed dose from alpha particles (Gy).
    electron_dose_gy : float
        Absorbed dose from electrons (Gy).
    absorbed_dose_gy : float
        ``alpha_dose_gy + electron_dose_gy`` (Gy): the physical absorbed dose (photons
        not included).
    rbe : float
        RBE of the alpha particles used for the weighted dose.
    rbe_weighted_dose_gy : float
        ``rbe × alpha_dose_gy + electron_dose_gy`` (Gy, RBE-weighted; not an absorbed
        dose).
    energy : EnergyBudget
        The energy per parent decay used.
    notes : tuple of str
        Assumptions and what is not included.
    """

    nuclide: str
    tia_mbq_h: float
    mass_g: float
    alpha_dose_gy: float
    electron_dose_gy: float
    absorbed_dose_gy: float
    rbe: float
    rbe_weighted_dose_gy: float
    energy: EnergyBudget
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plain data."""
        return {
            "nuclide": self.nuclide,
            "tia_mbq_h": self.tia_mbq_h,
            "mass_g": self.mass_g,
            "alpha_dose_gy": self.alpha_dose_gy,
            "electron_dose_gy": self.electron_dose_gy,
            "absorbed_dose_gy": self.absorbed_dose_gy,
            "rbe": self.rbe,
            "rbe_weighted_dose_gy": self.rbe_weighted_dose_gy,
            "energy": self.energy.as_dict(),
            "notes": list(self.notes),
        }


def _check_fraction(what: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ThxError(f"{what} must be a fraction between 0 and 1, got {value}")
    return value


def _decays_per_parent_decay(parent: str) -> tuple[dict[str, float], dict[str, float]]:
    """Decays of each equilibrium-chain member per parent decay, and activity ratios."""
    from theranostix.nuclides import equilibrium_chain

    chain = equilibrium_chain(parent)
    members = [m.name for m in chain.members]  # topological order, parent first
    decays: dict[str, float] = dict.fromkeys(members, 0.0)
    decays[members[0]] = 1.0
    for member in chain.members:
        for branch in member.nuclide.decay_branches:
            if branch.progeny in decays:
                decays[branch.progeny] += decays[member.name] * branch.fraction
    ratios = {m.name: m.activity_ratio for m in chain.members}
    return decays, ratios


def alpha_energy_per_decay(
    nuclide: str, *, with_progeny: bool = True, daughter_retention: float = 1.0
) -> EnergyBudget:
    r"""Alpha, electron and photon energy per decay of a parent, with its progeny.

    :math:`\bar E_r = \sum_i n_i \bar E_{r,i}` [1]_ over the parent and the progeny that
    can be in equilibrium with it (shorter-lived than the parent,
    :func:`theranostix.nuclides.equilibrium_chain`), with :math:`\bar E_{r,i}` the ICRP-107
    mean energy of radiation type :math:`r` per decay of member :math:`i` [2]_ and
    :math:`n_i` its decays per parent decay: 1 for the parent, the product of the
    branching fractions along the chain for a daughter (summed over the paths), times
    ``daughter_retention``. Each parent decay thus yields every daughter decay exactly once
    (the progeny is created by the parent's decays at the site).

    Parameters
    ----------
    nuclide : str
        Parent radionuclide, any spelling (``"Ac-225"``, ``"225Ac"``...).
    with_progeny : bool
        Include the progeny (default). ``False`` gives the parent's own emissions.
    daughter_retention : float
        Fraction (0-1) of the progeny that decays at the site; 1 by default. The recoil
        energy of an alpha decay (~100 keV) breaks chemical bonds, so a daughter leaves the
        carrier molecule after its parent's alpha decay and may redistribute (e.g. Bi-213
        from Ac-225 accumulating in the kidneys) [3]_. ``0`` leaves only the parent.

    Returns
    -------
    EnergyBudget

    Raises
    ------
    ThxError
        Unknown radionuclide, or ``daughter_retention`` outside [0, 1].

    Notes
    -----
    *Decays per parent decay, not activity ratios.* In transient equilibrium a daughter's
    activity exceeds the parent's (Bi-212 reaches 1.105 × the Pb-212 activity). That excess
    comes from daughter atoms already present at the start; the decays that the parent's
    own decays produce are counted by the branching fractions. If the administered
    preparation carried its daughters at equilibrium, their extra decays are not included
    (a note says so when the two differ by more than 1 %).

    A single retention applies to every daughter; real redistribution depends on each
    daughter's half-life and chemistry [3]_. Alpha-recoil energy is reported separately
    (``recoil_mev``) and not counted in the alpha energy or dose.

    References
    ----------
    .. [1] Sgouros G, Roeske JC, McDevitt MR, et al. MIRD Pamphlet No. 22 (abridged).
       J Nucl Med 2010;51:311-328. doi:10.2967/jnumed.108.058651
    .. [2] ICRP Publication 107. Ann. ICRP 38(3), 2008. doi:10.1016/j.icrp.2008.10.004
    .. [3] de Kruijff RM, Wolterbeek HT, Denkova AG. Pharmaceuticals 2015;8:321-336.
       doi:10.3390/ph8020321

    Examples
    --------
    >>> e = alpha_energy_per_decay("At-211")
    >>> round(e.alpha_mev, 2), round(e.alphas_per_decay, 3)
    (6.78, 1.0)
    >>> round(alpha_energy_per_decay("Ac-225").alphas_per_decay, 2)
    4.0
    """
    from theranostix.nuclides import Nuclide, RadiationType

    retention = _check_fraction("daughter_retention", daughter_retention)
    parent = Nuclide(nuclide)
    notes: list[str] = []
    if with_progeny:
        decays, ratios = _decays_per_parent_decay(parent.name)
    else:
        decays, ratios = {parent.name: 1.0}, {parent.name: 1.0}
    counts = {name: (n if name == parent.name else n * retention) for name, n in decays.items()}
    alpha = electron = photon = recoil = n_alpha = 0.0
    for name, n in counts.items():
        member = Nuclide(name)
        alpha += n * member.mean_energy_mev(RadiationType.ALPHA)
        recoil += n * member.mean_energy_mev(RadiationType.ALPHA_RECOIL)
        electron += n * member.electron_energy_mev
        photon += n * member.photon_energy_mev
        n_alpha += n * sum(e.yield_per_decay for e in member.emissions(RadiationType.ALPHA))
    if with_progeny:
        members = ", ".join(f"{k} {v:.4g}" for k, v in counts.items())
        notes.append(f"Decays per {parent.name} decay at the site: {members}.")
        for name, n in decays.items():
            ratio = ratios[name]
            if n > 0 and abs(ratio / n - 1.0) > _TRANSIENT_NOTE:
                notes.append(
                    f"{name}: transient equilibrium activity ratio {ratio:.4g} vs "
                    f"{n:.4g} decays per {parent.name} decay; the daughter atoms present at "
                    "administration (if the preparation was at equilibrium) are not included."
                )
        if retention < 1.0:
            notes.append(
                f"Only {retention:.3g} of the progeny decays at the site (daughter_retention); "
                "the rest deposits its energy elsewhere and is not included."
            )
    else:
        notes.append(f"{parent.name} only: progeny not included.")
    return EnergyBudget(
        nuclide=parent.name,
        alpha_mev=alpha,
        electron_mev=electron,
        photon_mev=photon,
        recoil_mev=recoil,
        alphas_per_decay=n_alpha,
        decays_per_parent_decay=MappingProxyType(counts),
        with_progeny=with_progeny,
        daughter_retention=retention,
        notes=tuple(notes),
    )


def _local_dose_gy(tia_mbq_h: float, energy_mev: float, mass_g: float) -> float:
    return tia_mbq_h * _S_PER_H * 1e6 * energy_mev * _J_PER_MEV / (mass_g / 1000.0)


def alpha_dose(
    nuclide: str,
    tia_mbq_h: float,
    mass_g: float,
    *,
    rbe: float = 5.0,
    with_progeny: bool = True,
    daughter_retention: float = 1.0,
) -> AlphaDose:
    r"""Absorbed dose of an alpha emitter by local deposition, and its RBE-weighted dose.

    :math:`D_\alpha = \tilde A \bar E_\alpha / m`, :math:`D_e = \tilde A \bar E_e / m`
    (absorbed fraction 1 for alpha particles and electrons [2]_), and
    :math:`D_{RBE} = \mathrm{RBE}\, D_\alpha + D_e` [1]_, with the energies per parent
    decay of :func:`alpha_energy_per_decay`.

    Parameters
    ----------
    nuclide : str
        Parent radionuclide.
    tia_mbq_h : float
        Time-integrated activity of the parent in the region (MBq·h), ``≥ 0``.
    mass_g : float
        Mass of the region (g), ``> 0``.
    rbe : float
        Relative biological effectiveness of the alpha particles, ``> 0``; 5 by default,
        the value recommended by MIRD Pamphlet No. 22 for deterministic effects [1]_.
    with_progeny : bool
        Include the progeny decaying at the site (default).
    daughter_retention : float
        Fraction of the progeny decaying at the site (see :func:`alpha_energy_per_decay`).

    Returns
    -------
    AlphaDose
        ``absorbed_dose_gy`` (alpha + electrons) and ``rbe_weighted_dose_gy`` separately.

    Raises
    ------
    ThxError
        A negative or non-finite TIA, a non-positive mass or RBE, ``daughter_retention``
        outside [0, 1], an unknown radionuclide.

    Notes
    -----
    Photons are not included: they mostly escape a small region, and the dose they
    deposit needs an absorbed fraction (S-values, or :mod:`~theranostix.dosimetry`'s
    voxel kernels). The RBE-weighted dose applies to deterministic effects; it is not an
    equivalent dose (Sv).

    References
    ----------
    .. [1] Sgouros G, Roeske JC, McDevitt MR, et al. MIRD Pamphlet No. 22 (abridged).
       J Nucl Med 2010;51:311-328. doi:10.2967/jnumed.108.058651
    .. [2] Loevinger R, Budinger TF, Watson EE. MIRD Primer for Absorbed Dose
       Calculations, revised edition. Society of Nuclear Medicine, 1991.

    Examples
    --------
    >>> d = alpha_dose("At-211", 100.0, 300.0)
    >>> round(d.alpha_dose_gy, 3), round(d.rbe_weighted_dose_gy, 3)
    (1.304, 6.522)
    """
    tia = float(tia_mbq_h)
    mass = float(mass_g)
    if not (math.isfinite(tia) and tia >= 0):
        raise ThxError(f"tia_mbq_h must be a non-negative number (MBq·h), got {tia_mbq_h}")
    if not (math.isfinite(mass) and mass > 0):
        raise ThxError(f"mass_g must be a positive number (g), got {mass_g}")
    if not (math.isfinite(float(rbe)) and float(rbe) > 0):
        raise ThxError(f"rbe must be a positive number, got {rbe}")
    energy = alpha_energy_per_decay(
        nuclide, with_progeny=with_progeny, daughter_retention=daughter_retention
    )
    d_alpha = _local_dose_gy(tia, energy.alpha_mev, mass)
    d_electron = _local_dose_gy(tia, energy.electron_mev, mass)
    notes = [
        "Local deposition: alpha particles and electrons absorbed in the region "
        "(absorbed fraction 1).",
        f"Photons ({energy.photon_mev:.4g} MeV per decay) not included.",
        f"Alpha-recoil energy ({energy.recoil_mev:.4g} MeV per decay) not included.",
        f"RBE-weighted dose = {float(rbe):g} x alpha + electrons (MIRD Pamphlet No. 22); "
        "reported separately from the absorbed dose.",
        *energy.notes,
    ]
    if energy.alpha_mev == 0.0:
        notes.append(f"{energy.nuclide} emits no alpha particles (with the progeny included).")
    return AlphaDose(
        nuclide=energy.nuclide,
        tia_mbq_h=tia,
        mass_g=mass,
        alpha_dose_gy=d_alpha,
        electron_dose_gy=d_electron,
        absorbed_dose_gy=d_alpha + d_electron,
        rbe=float(rbe),
        rbe_weighted_dose_gy=float(rbe) * d_alpha + d_electron,
        energy=energy,
        notes=tuple(notes),
    )

"""The :class:`Nuclide` type: decay data and emissions of one radionuclide."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from theranostix.nuclides import _data
from theranostix.nuclides._names import normalize_name

__all__ = [
    "DecayBranch",
    "DecayMode",
    "Emission",
    "Nuclide",
    "RadiationType",
]

#: Joules per MeV (CODATA 2018, exact since the 2019 SI redefinition).
J_PER_MEV = 1.602176634e-13


class RadiationType(enum.Enum):
    """Kinds of radiation of ICRP Publication 107.

    The value is the stable identifier used in JSON output; ``icrp_key`` is the
    name of the list in the ICRP-107 records.
    """

    ALPHA = "alpha"
    ALPHA_RECOIL = "alpha_recoil"
    BETA_MINUS = "beta_minus"
    BETA_PLUS = "beta_plus"
    DELAYED_BETA = "delayed_beta"
    INTERNAL_CONVERSION = "internal_conversion"
    AUGER = "auger"
    GAMMA = "gamma"
    X_RAY = "x_ray"
    ANNIHILATION = "annihilation"
    NEUTRON = "neutron"
    FISSION_FRAGMENT = "fission_fragment"

    @property
    def icrp_key(self) -> str:
        """Key of this radiation in the ``icrp107-database`` records."""
        return _ICRP_KEYS[self]

    @property
    def is_photon(self) -> bool:
        """Gamma rays, X-rays and annihilation photons."""
        return self in _PHOTONS

    @property
    def is_electron(self) -> bool:
        """Beta particles (both signs), conversion and Auger electrons."""
        return self in _ELECTRONS


_ICRP_KEYS: Mapping[RadiationType, str] = {
    RadiationType.ALPHA: "alpha",
    RadiationType.ALPHA_RECOIL: "alpha recoil",
    RadiationType.BETA_MINUS: "beta-",
    RadiationType.BETA_PLUS: "beta+",
    RadiationType.DELAYED_BETA: "betaD",
    RadiationType.INTERNAL_CONVERSION: "IE",
    RadiationType.AUGER: "auger",
    RadiationType.GAMMA: "gamma",
    RadiationType.X_RAY: "X",
    RadiationType.ANNIHILATION: "annihilation",
    RadiationType.NEUTRON: "neutron",
    RadiationType.FISSION_FRAGMENT: "fission",
}
_PHOTONS = frozenset({RadiationType.GAMMA, RadiationType.X_RAY, RadiationType.ANNIHILATION})
_ELECTRONS = frozenset(
    {
        RadiationType.BETA_MINUS,
        RadiationType.BETA_PLUS,
        RadiationType.DELAYED_BETA,
        RadiationType.INTERNAL_CONVERSION,
        RadiationType.AUGER,
    }
)


class DecayMode(enum.Enum):
    """Decay modes of the ICRP-107 data, with ASCII identifiers for output."""

    ALPHA = "alpha"
    BETA_MINUS = "beta-"
    BETA_PLUS_EC = "beta+/EC"
    EC = "EC"
    IT = "IT"
    SF = "SF"

    @classmethod
    def from_radioactivedecay(cls, mode: str) -> DecayMode:
        """Map a ``radioactivedecay`` mode string (``'β+ & EC'``) to the enum."""
        try:
            return _RD_MODES[mode]
        except KeyError:
            raise ValueError(f"unknown decay mode {mode!r} in the decay data") from None


_RD_MODES: Mapping[str, DecayMode] = {
    "α": DecayMode.ALPHA,
    "β-": DecayMode.BETA_MINUS,
    "β+ & EC": DecayMode.BETA_PLUS_EC,
    "β+": DecayMode.BETA_PLUS_EC,
    "EC": DecayMode.EC,
    "IT": DecayMode.IT,
    "SF": DecayMode.SF,
}


@dataclass(frozen=True)
class Emission:
    """One emission line (or mean beta energy of one branch) per decay.

    Attributes
    ----------
    radiation : RadiationType
        Kind of radiation.
    energy_mev : float
        Energy in MeV; for beta particles the mean energy of the branch.
    yield_per_decay : float
        Number emitted per nuclear transformation.
    """

    radiation: RadiationType
    energy_mev: float
    yield_per_decay: float


@dataclass(frozen=True)
class DecayBranch:
    """One decay branch: the mode, the direct progeny and its branching fraction."""

    mode: DecayMode
    progeny: str
    fraction: float


class Nuclide:
    """A radionuclide with its ICRP-107 decay data.

    Parameters
    ----------
    name : str or Nuclide
        Any accepted spelling: ``"Lu-177"``, ``"177Lu"``, ``"lu177"``, ``"Lu177"``;
        metastable states as ``"Tc-99m"`` or ``"99mTc"``.

    Raises
    ------
    UnknownNuclideError
        With the closest valid names when ``name`` is not an ICRP-107 radionuclide.

    Notes
    -----
    Half-lives, decay modes and branching fractions come from ``radioactivedecay``
    (ICRP-107 data set), emission lines and beta spectra from ``icrp107-database``;
    both are loaded on first use. Energies are in MeV, as tabulated in ICRP-107;
    times in seconds.

    References
    ----------
    .. [1] ICRP, 2008. Nuclear Decay Data for Dosimetric Calculations. ICRP
       Publication 107. Ann. ICRP 38(3). doi:10.1016/j.icrp.2008.10.004

    Examples
    --------
    >>> lu = Nuclide("177Lu")
    >>> lu.name
    'Lu-177'
    >>> round(lu.half_life_s / 86400, 3)
    6.647
    >>> lu.progeny
    ('Hf-177',)
    """

    __slots__ = ("_name",)

    def __init__(self, name: str | Nuclide) -> None:
        self._name = name.name if isinstance(name, Nuclide) else normalize_name(name)

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        """Canonical name, e.g. ``'Lu-177'`` or ``'Tc-99m'``."""
        return self._name

    @property
    def element(self) -> str:
        """Chemical symbol, e.g. ``'Lu'``."""
        return self._name.split("-")[0]

    @property
    def mass_number(self) -> int:
        """Mass number A."""
        return int("".join(c for c in self._name.split("-")[1] if c.isdigit()))

    @property
    def is_metastable(self) -> bool:
        """Whether this is an isomeric (metastable) state."""
        return self._name[-1] in "mn"

    def __repr__(self) -> str:
        return f"Nuclide({self._name!r})"

    def __str__(self) -> str:
        return self._name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Nuclide):
            return self._name == other._name
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._name)

    # ------------------------------------------------------------------ decay
    @property
    def half_life_s(self) -> float:
        """Half-life in seconds (ICRP-107)."""
        return _decay_record(self._name).half_life_s

    @property
    def decay_constant_per_s(self) -> float:
        """Decay constant λ = ln 2 / T½ in 1/s."""
        return math.log(2.0) / self.half_life_s

    @property
    def mean_life_s(self) -> float:
        """Mean life τ = 1/λ in seconds."""
        return self.half_life_s / math.log(2.0)

    def half_life(self, unit: str = "s") -> float:
        """Half-life in any time unit of :mod:`theranostix.units` (``"h"``, ``"d"``...).

        >>> round(Nuclide("F-18").half_life("min"), 2)
        109.77
        """
        from theranostix.units import Dimension, from_si

        return from_si(self.half_life_s, unit, Dimension.TIME)

    @property
    def decay_branches(self) -> tuple[DecayBranch, ...]:
        """Decay branches (mode, direct progeny, fraction), as in ICRP-107."""
        return _decay_record(self._name).branches

    @property
    def decay_modes(self) -> dict[DecayMode, float]:
        """Branching fraction of each decay mode (summed over progeny).

        >>> {m.value: f for m, f in Nuclide("At-211").decay_modes.items()}
        {'EC': 0.582, 'alpha': 0.418}
        """
        modes: dict[DecayMode, float] = {}
        for branch in self.decay_branches:
            modes[branch.mode] = modes.get(branch.mode, 0.0) + branch.fraction
        return modes

    @property
    def progeny(self) -> tuple[str, ...]:
        """Direct progeny, in the order of the decay data."""
        return tuple(branch.progeny for branch in self.decay_branches)

    def branching_fraction(self, progeny: str | Nuclide) -> float:
        """Fraction of decays that lead directly to ``progeny`` (0 when none).

        >>> Nuclide("Mo-99").branching_fraction("Tc-99m")
        0.8773
        """
        target = progeny.name if isinstance(progeny, Nuclide) else _progeny_name(progeny)
        return sum(b.fraction for b in self.decay_branches if b.progeny == target)

    def decay(self, activity_bq: Any, elapsed_s: Any) -> Any:
        """Activity after ``elapsed_s`` seconds: A·exp(−λt), vectorised.

        See :func:`theranostix.nuclides.decay`.
        """
        from theranostix.nuclides._decay import decay

        return decay(activity_bq, self, elapsed_s)

    # ------------------------------------------------------------------ emissions
    def emissions(self, radiation: RadiationType | str | None = None) -> tuple[Emission, ...]:
        """Emission lines per decay, optionally of one kind of radiation.

        Parameters
        ----------
        radiation : RadiationType or str, optional
            E.g. ``RadiationType.GAMMA`` or ``"gamma"``; all kinds when omitted.

        Examples
        --------
        >>> top = max(Nuclide("Lu-177").emissions("gamma"), key=lambda e: e.yield_per_decay)
        >>> round(top.energy_mev * 1000, 1), top.yield_per_decay
        (208.4, 0.11)
        """
        kinds: Iterable[RadiationType]
        kinds = RadiationType if radiation is None else (_radiation(radiation),)
        lines = _emission_lines(self._name)
        return tuple(
            Emission(kind, float(e), float(y)) for kind in kinds for e, y in lines.get(kind, ())
        )

    def mean_energy_mev(self, radiation: RadiationType | str) -> float:
        """Mean energy emitted per decay as one kind of radiation (MeV).

        Σ yᵢ Eᵢ over the lines of that kind, as defined in ICRP-107 [1]_.

        >>> round(Nuclide("Lu-177").mean_energy_mev("beta_minus"), 4)
        0.1333
        """
        kind = _radiation(radiation)
        return float(sum(e * y for e, y in _emission_lines(self._name).get(kind, ())))

    def mean_energies_mev(self) -> dict[RadiationType, float]:
        """Mean energy per decay of every kind of radiation (MeV), zeros included."""
        return {kind: self.mean_energy_mev(kind) for kind in RadiationType}

    @property
    def electron_energy_mev(self) -> float:
        """Mean energy per decay of all electrons: beta±, conversion, Auger (MeV)."""
        return sum(self.mean_energy_mev(k) for k in RadiationType if k.is_electron)

    @property
    def photon_energy_mev(self) -> float:
        """Mean energy per decay of all photons: gamma, X-ray, annihilation (MeV)."""
        return sum(self.mean_energy_mev(k) for k in RadiationType if k.is_photon)

    @property
    def positron_yield(self) -> float:
        """Positrons emitted per decay (the β+ branching used for PET).

        >>> round(Nuclide("F-18").positron_yield, 4)
        0.9673
        """
        return float(
            sum(y for _, y in _emission_lines(self._name).get(RadiationType.BETA_PLUS, ()))
        )

    def beta_spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """ICRP-107 beta spectrum: energies (MeV) and betas per MeV per decay.

        Where a nuclide emits both β− and β+ (Cu-64) ICRP-107 tabulates their sum.
        Empty arrays for nuclides without beta decay.

        >>> e, n = Nuclide("Lu-177").beta_spectrum()
        >>> round(float(np.trapezoid(n, e)), 2)  # betas per decay
        1.0
        """
        record = _data.icrp107_record(self._name)
        rows = record["emissions"].get("b-spectra") or []
        table = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
        return table[:, 0].copy(), table[:, 1].copy()

    # ------------------------------------------------------------------ constants
    def dose_constants(self, photon_cutoff_mev: float = 0.01) -> dict[str, float]:
        """Equilibrium dose constants Δ in g·Gy/(MBq·h), non-penetrating and penetrating.

        Δ = k Σ yᵢ Eᵢ with k = 0.5768 g·Gy·MBq⁻¹·h⁻¹·MeV⁻¹ (MIRD schema [1]_, [2]_).
        Non-penetrating: alpha particles and recoils, electrons of every kind,
        and photons below ``photon_cutoff_mev`` (10 keV by default, the MIRD
        convention of treating low-energy X-rays as locally absorbed). Penetrating:
        the other photons and neutrons.

        Returns
        -------
        dict
            ``{"non_penetrating": Δ_np, "penetrating": Δ_p, "total": Δ}``.

        References
        ----------
        .. [1] Loevinger R, Budinger TF, Watson EE. MIRD Primer for Absorbed Dose
           Calculations, revised edition. Society of Nuclear Medicine, 1991.
        .. [2] Bolch WE, Eckerman KF, Sgouros G, Thomas SR. MIRD Pamphlet No. 21.
           J Nucl Med 2009;50:477-484. doi:10.2967/jnumed.108.056036

        Examples
        --------
        >>> {k: round(v, 4) for k, v in Nuclide("Lu-177").dose_constants().items()}
        {'non_penetrating': 0.0855, 'penetrating': 0.0201, 'total': 0.1056}
        """
        k = J_PER_MEV * 1e6 * 3600.0 * 1e3  # MeV per decay -> g·Gy per (MBq·h)
        lines = _emission_lines(self._name)
        non_penetrating = penetrating = 0.0
        for kind, rows in lines.items():
            for energy, yld in rows:
                deposit = energy * yld
                if (
                    kind.is_photon and energy >= photon_cutoff_mev
                ) or kind is RadiationType.NEUTRON:
                    penetrating += deposit
                else:
                    non_penetrating += deposit
        return {
            "non_penetrating": k * non_penetrating,
            "penetrating": k * penetrating,
            "total": k * (non_penetrating + penetrating),
        }

    def air_kerma_rate_constant(self, cutoff_kev: float = 20.0) -> float:
        """Air-kerma rate constant Γδ in µGy·m²/(MBq·h) for a point source in vacuum.

        See :func:`theranostix.nuclides.air_kerma_rate_constant`.

        >>> round(Nuclide("F-18").air_kerma_rate_constant(), 4)
        0.1345
        """
        from theranostix.nuclides._physics import air_kerma_rate_constant

        return air_kerma_rate_constant(self, cutoff_kev=cutoff_kev)


def _radiation(value: RadiationType | str) -> RadiationType:
    if isinstance(value, RadiationType):
        return value
    try:
        return RadiationType(value)
    except ValueError:
        valid = ", ".join(kind.value for kind in RadiationType)
        raise ValueError(f"unknown radiation type {value!r}; valid types: {valid}") from None


def _progeny_name(name: str) -> str:
    """Canonical name of a progeny, which may be stable (not in ICRP-107)."""
    from theranostix.errors import UnknownNuclideError
    from theranostix.nuclides._names import _canonical_form

    try:
        return normalize_name(name)
    except UnknownNuclideError:
        return _canonical_form(name) or name


@cache
def _emission_lines(name: str) -> dict[RadiationType, tuple[tuple[float, float], ...]]:
    emissions = _data.icrp107_record(name)["emissions"]
    lines: dict[RadiationType, tuple[tuple[float, float], ...]] = {}
    for kind in RadiationType:
        rows = emissions.get(kind.icrp_key) or []
        if rows:
            lines[kind] = tuple((float(e), float(y)) for e, y in rows)
    return lines


class _DecayRecord(NamedTuple):
    half_life_s: float
    branches: tuple[DecayBranch, ...]


@cache
def _decay_record(name: str) -> _DecayRecord:
    rd = _data.radioactivedecay()
    nuc = rd.Nuclide(name)
    branches = tuple(
        DecayBranch(DecayMode.from_radioactivedecay(mode), str(progeny), float(fraction))
        for progeny, fraction, mode in zip(
            nuc.progeny(), nuc.branching_fractions(), nuc.decay_modes(), strict=True
        )
    )
    return _DecayRecord(float(nuc.half_life("s")), branches)

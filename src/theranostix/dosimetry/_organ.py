r"""Organ absorbed doses by the MIRD schema with reference-phantom S-values.

The absorbed dose to a target region is the sum over source regions of the
time-integrated activity (TIA) in the source times the S-value of the pair [1]_:

.. math::

    D(r_T) = \sum_{r_S} \tilde A(r_S)\, S(r_T \leftarrow r_S)

The S-values of Lu-177 for the adult male and female reference phantoms are
package data (``data/svalues/``, an OLINDA/EXM-style export distributed with
qurit/PyTheranostics, Apache-2.0; see ``data/svalues/PROVENANCE.md``), in
mGy/(MBq·s). TIAs are given in MBq·h; doses are returned in Gy.

Units: ``D [Gy] = TIA [MBq·h] × 3600 [s/h] × S [mGy/(MBq·s)] × 1e-3 [Gy/mGy]``.

Organ names are normalised to snake_case keys (``kidneys``, ``red_marrow``,
``urinary_bladder_contents``...); :data:`ORGAN_ALIASES` maps the table labels and
common spellings (including TotalSegmentator class names where they name the
same region) to them, and :func:`find_organ` resolves any of them.

References
----------
.. [1] Bolch WE, Eckerman KF, Sgouros G, Thomas SR. MIRD Pamphlet No. 21: a
   generalized schema for radiopharmaceutical dosimetry - standardization of
   nomenclature. J Nucl Med 2009;50:477-484. doi:10.2967/jnumed.108.056036
.. [2] Stabin MG, Sparks RB, Crowe E. OLINDA/EXM: the second-generation personal
   computer software for internal dose assessment in nuclear medicine.
   J Nucl Med 2005;46:1023-1027. doi:10.2967/jnumed.105.044005
.. [3] Loevinger R, Budinger TF, Watson EE. MIRD Primer for Absorbed Dose
   Calculations, revised edition. Society of Nuclear Medicine, 1991.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError

__all__ = [
    "ORGAN_ALIASES",
    "PHANTOMS",
    "OrganDoseResult",
    "SValueTable",
    "find_organ",
    "nonpenetrating_energy_mev",
    "nonpenetrating_self_dose_gy",
    "organ_dose",
    "organ_dose_gy",
    "phantom_masses_g",
    "svalue_table",
    "tabled_nuclides",
]

#: Joules per MeV (CODATA 2018, exact).
_J_PER_MEV = 1.602176634e-13
#: Seconds per hour: TIA in MBq·h -> MBq·s.
_S_PER_H = 3600.0
#: Gy per mGy: S-values are tabled in mGy/(MBq·s).
_GY_PER_MGY = 1e-3

#: Reference phantoms, canonical name -> column of ``human_phantom_masses.csv``.
PHANTOMS: Mapping[str, str] = MappingProxyType({"adult-male": "Male", "adult-female": "Female"})

#: S-value files by nuclide and phantom.
_TABLE_FILES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "Lu-177": MappingProxyType(
            {"adult-male": "Lu177-Male-Svalues.csv", "adult-female": "Lu177-Female-Svalues.csv"}
        )
    }
)

#: Labels of the vendored files (stripped of surrounding spaces) -> canonical keys.
_TABLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        # source columns of the S-value tables
        "Adrenals": "adrenals",
        "Brain": "brain",
        "Breasts": "breasts",
        "Esophagus": "esophagus",
        "Eyes": "eyes",
        "GB Cont": "gallbladder_contents",
        "LLI Cont": "lli_contents",
        "SI Cont": "small_intestine_contents",
        "StomCont": "stomach_contents",
        "ULI Cont": "uli_contents",
        "Rectum": "rectum",
        "HeartCon": "heart_contents",
        "Hrt Wall": "heart_wall",
        "Kidneys": "kidneys",
        "Liver": "liver",
        "Lungs": "lungs",
        "Ovaries": "ovaries",
        "Pancreas": "pancreas",
        "Prostate": "prostate",
        "Salivary": "salivary_glands",
        "Red Mar.": "red_marrow",
        "CortBone": "cortical_bone",
        "TrabBone": "trabecular_bone",
        "Spleen": "spleen",
        "Testes": "testes",
        "Thymus": "thymus",
        "Thyroid": "thyroid",
        "UB Cont": "urinary_bladder_contents",
        "Uterus": "uterus",
        "Tot Body": "total_body",
        # target rows
        "Gallbladder Wall": "gallbladder_wall",
        "LLI Wall": "lli_wall",
        "Small Intestine": "small_intestine_wall",
        "Stomach Wall": "stomach_wall",
        "ULI Wall": "uli_wall",
        "Heart Wall": "heart_wall",
        "Salivary Glands": "salivary_glands",
        "Red Marrow": "red_marrow",
        "Osteogenic Cells": "osteogenic_cells",
        "Urinary Bladder Wall": "urinary_bladder_wall",
        "Total Body": "total_body",
    }
)

#: Rows of ``human_phantom_masses.csv`` -> canonical keys (ICRP 89 reference masses).
_MASS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "Adrenals": "adrenals",
        "Brain": "brain",
        "Breasts": "breasts",
        "Esophagus": "esophagus",
        "Eyes": "eyes",
        "Gallbladder": "gallbladder_wall",
        "Left Colon": "lli_wall",
        "Small Intestine": "small_intestine_wall",
        "Stomach": "stomach_wall",
        "Right Colon": "uli_wall",
        "Heart": "heart_wall",
        "Heart Contents": "heart_contents",
        "Kidneys": "kidneys",
        "Liver": "liver",
        "Lungs": "lungs",
        "Ovaries": "ovaries",
        "Pancreas": "pancreas",
        "Prostate": "prostate",
        "Rectum": "rectum",
        "Salivary Glands": "salivary_glands",
        "Red Marrow": "red_marrow",
        "Bone Surfaces": "osteogenic_cells",
        "Spleen": "spleen",
        "Testes": "testes",
        "Thymus": "thymus",
        "Thyroid": "thyroid",
        "Bladder": "urinary_bladder_wall",
        "Uterus": "uterus",
        "Body": "total_body",
    }
)

#: Source regions (contents) whose dose is reported to a wall target.
_WALL_OF_CONTENTS: Mapping[str, str] = MappingProxyType(
    {
        "gallbladder_contents": "gallbladder_wall",
        "lli_contents": "lli_wall",
        "small_intestine_contents": "small_intestine_wall",
        "stomach_contents": "stomach_wall",
        "uli_contents": "uli_wall",
        "heart_contents": "heart_wall",
        "urinary_bladder_contents": "urinary_bladder_wall",
    }
)

#: Accepted spellings (normalised: lower case, ``_`` between words) -> canonical key.
#: Bare names of hollow organs (``bladder``, ``stomach``, ``gallbladder``, ``heart``,
#: ``small_bowel``) mean their *contents*, where the activity of an image region
#: is; their walls are targets only. Paired organs of TotalSegmentator
#: (``kidney_left`` + ``kidney_right``) are not aliased: adding them is the
#: caller's job.
ORGAN_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        # table abbreviations
        "gb_cont": "gallbladder_contents",
        "lli_cont": "lli_contents",
        "si_cont": "small_intestine_contents",
        "stomcont": "stomach_contents",
        "stom_cont": "stomach_contents",
        "uli_cont": "uli_contents",
        "heartcon": "heart_contents",
        "heart_con": "heart_contents",
        "hrt_wall": "heart_wall",
        "red_mar": "red_marrow",
        "cortbone": "cortical_bone",
        "trabbone": "trabecular_bone",
        "salivary": "salivary_glands",
        "ub_cont": "urinary_bladder_contents",
        "tot_body": "total_body",
        # plain spellings
        "adrenal_glands": "adrenals",
        "adrenal": "adrenals",
        "breast": "breasts",
        "oesophagus": "esophagus",
        "eye": "eyes",
        "eye_lenses": "eyes",
        "gallbladder": "gallbladder_contents",
        "gall_bladder": "gallbladder_contents",
        "gallbladder_content": "gallbladder_contents",
        "lower_large_intestine_contents": "lli_contents",
        "lower_large_intestine_wall": "lli_wall",
        "left_colon_contents": "lli_contents",
        "left_colon_wall": "lli_wall",
        "left_colon": "lli_wall",
        "upper_large_intestine_contents": "uli_contents",
        "upper_large_intestine_wall": "uli_wall",
        "right_colon_contents": "uli_contents",
        "right_colon_wall": "uli_wall",
        "right_colon": "uli_wall",
        "small_intestine": "small_intestine_contents",
        "small_bowel": "small_intestine_contents",
        "si_wall": "small_intestine_wall",
        "stomach": "stomach_contents",
        "heart": "heart_contents",
        "blood_in_heart": "heart_contents",
        "heart_muscle": "heart_wall",
        "myocardium": "heart_wall",
        "kidney": "kidneys",
        "lung": "lungs",
        "ovary": "ovaries",
        "salivary_gland": "salivary_glands",
        "marrow": "red_marrow",
        "bone_marrow": "red_marrow",
        "active_marrow": "red_marrow",
        "cortical_bone_volume": "cortical_bone",
        "trabecular_bone_volume": "trabecular_bone",
        "bone_surfaces": "osteogenic_cells",
        "endosteum": "osteogenic_cells",
        "testis": "testes",
        "thyroid_gland": "thyroid",
        "urinary_bladder": "urinary_bladder_contents",
        "bladder": "urinary_bladder_contents",
        "bladder_contents": "urinary_bladder_contents",
        "bladder_wall": "urinary_bladder_wall",
        "whole_body": "total_body",
        "body": "total_body",
        "womb": "uterus",
    }
)

_CANONICAL: frozenset[str] = frozenset(_TABLE_LABELS.values())


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def find_organ(name: str) -> str:
    """Canonical key of an organ or region name.

    Case, spaces, hyphens and dots are ignored; the labels of the vendored tables
    (``"Red Mar."``, ``"UB Cont"``, ``"Kidneys "``) and the spellings of
    :data:`ORGAN_ALIASES` are accepted.

    Parameters
    ----------
    name : str
        E.g. ``"Kidneys"``, ``"red marrow"``, ``"UB Cont"``, ``"urinary_bladder"``.

    Returns
    -------
    str
        The canonical key, e.g. ``"kidneys"``.

    Raises
    ------
    ThxError
        When the name is unknown; the message lists the valid names.

    Examples
    --------
    >>> find_organ("Red Mar.")
    'red_marrow'
    >>> find_organ("urinary_bladder")
    'urinary_bladder_contents'
    """
    key = _normalise(name)
    if key in _CANONICAL:
        return key
    if key in ORGAN_ALIASES:
        return ORGAN_ALIASES[key]
    for label, canonical in _TABLE_LABELS.items():
        if _normalise(label) == key:
            return canonical
    valid = sorted(_CANONICAL)
    close = difflib.get_close_matches(key, [*valid, *ORGAN_ALIASES], n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    paired = ""
    if key.endswith(("_left", "_right")):
        paired = " Add the left and right parts of a paired organ before calling."
    raise ThxError(f"unknown organ {name!r}{hint}; valid names: {', '.join(valid)}.{paired}")


def _phantom(phantom: str) -> str:
    key = _normalise(phantom).replace("_", "-")
    key = {
        "male": "adult-male",
        "m": "adult-male",
        "female": "adult-female",
        "f": "adult-female",
    }.get(key, key)
    if key not in PHANTOMS:
        raise ThxError(f"unknown phantom {phantom!r}; valid phantoms: {', '.join(PHANTOMS)}")
    return key


def _nuclide_name(nuclide: str) -> str:
    from theranostix.nuclides import normalize_name

    return normalize_name(nuclide)


def tabled_nuclides() -> tuple[str, ...]:
    """Radionuclides with organ S-value tables in the package.

    >>> tabled_nuclides()
    ('Lu-177',)
    """
    return tuple(_TABLE_FILES)


def _read_data(filename: str) -> list[list[str]]:
    text = (resources.files("theranostix.dosimetry") / "data" / "svalues" / filename).read_text(
        encoding="utf-8"
    )
    return [row for row in csv.reader(io.StringIO(text)) if row]


@dataclass(frozen=True, eq=False)
class SValueTable:
    """Organ S-values of one radionuclide in one reference phantom.

    Attributes
    ----------
    nuclide : str
        Canonical radionuclide name, e.g. ``"Lu-177"``.
    phantom : str
        ``"adult-male"`` or ``"adult-female"``.
    targets : tuple of str
        Canonical keys of the target regions (rows).
    sources : tuple of str
        Canonical keys of the source regions (columns). Targets and sources differ:
        hollow-organ contents and bone volumes are sources, walls and osteogenic
        cells targets.
    values : numpy.ndarray
        S(target ← source) in mGy/(MBq·s), shape ``(len(targets), len(sources))``,
        read-only.
    """

    nuclide: str
    phantom: str
    targets: tuple[str, ...]
    sources: tuple[str, ...]
    values: npt.NDArray[np.float64]

    def s(self, target: str, source: str) -> float:
        """S(target ← source) in mGy/(MBq·s); names are resolved by :func:`find_organ`.

        >>> svalue_table("Lu-177", "adult-male").s("kidneys", "Kidneys ")
        7.76e-05
        """
        t, s = find_organ(target), find_organ(source)
        if t not in self.targets:
            raise ThxError(_not_a_target(t, self))
        if s not in self.sources:
            raise ThxError(
                f"{s!r} is not a source region of the {self.nuclide} {self.phantom} table; "
                f"sources: {', '.join(self.sources)}"
            )
        return float(self.values[self.targets.index(t), self.sources.index(s)])


def _not_a_target(key: str, table: SValueTable) -> str:
    wall = _WALL_OF_CONTENTS.get(key)
    hint = f" (its wall is the target {wall!r})" if wall else ""
    return (
        f"{key!r} is not a target region of the {table.nuclide} {table.phantom} table{hint}; "
        f"targets: {', '.join(table.targets)}"
    )


@cache
def _load_table(nuclide: str, phantom: str) -> SValueTable:
    rows = _read_data(_TABLE_FILES[nuclide][phantom])
    header = [cell.strip() for cell in rows[0]]
    sources = tuple(_TABLE_LABELS[label] for label in header[1:])
    targets = tuple(_TABLE_LABELS[row[0].strip()] for row in rows[1:])
    values = np.array([[float(cell) for cell in row[1:]] for row in rows[1:]], dtype=np.float64)
    values.setflags(write=False)
    return SValueTable(nuclide, phantom, targets, sources, values)


def svalue_table(nuclide: str = "Lu-177", phantom: str = "adult-male") -> SValueTable:
    """The organ S-value table of a radionuclide and reference phantom.

    Parameters
    ----------
    nuclide : str
        Any spelling of a radionuclide with a table (:func:`tabled_nuclides`).
    phantom : str
        ``"adult-male"`` or ``"adult-female"``.

    Raises
    ------
    ThxError
        When no table exists for the radionuclide, or the phantom is unknown.

    Examples
    --------
    >>> table = svalue_table("177Lu", "adult-male")
    >>> table.s("liver", "liver"), table.values.shape
    (1.37e-05, (25, 27))
    """
    name = _nuclide_name(nuclide)
    key = _phantom(phantom)
    if name not in _TABLE_FILES:
        raise ThxError(
            f"no organ S-value table for {name}; tables exist for {', '.join(_TABLE_FILES)}"
        )
    return _load_table(name, key)


@cache
def _masses(phantom: str) -> Mapping[str, float]:
    rows = _read_data("human_phantom_masses.csv")
    column = [cell.strip() for cell in rows[0]].index(PHANTOMS[phantom])
    out: dict[str, float] = {}
    for row in rows[1:]:
        cell = row[column].strip() if column < len(row) else ""
        if cell and float(cell) > 0:
            out[_MASS_LABELS[row[0].strip()]] = float(cell)
    return MappingProxyType(out)


def phantom_masses_g(phantom: str = "adult-male") -> dict[str, float]:
    """Organ masses (g) of a reference phantom, by canonical key.

    ICRP Publication 89 reference masses as in the vendored
    ``human_phantom_masses.csv``; organs absent from the phantom (ovaries of the
    male) are left out. Walls of hollow organs are keyed ``*_wall``.

    Examples
    --------
    >>> masses = phantom_masses_g("adult-male")
    >>> masses["kidneys"], masses["liver"], masses["spleen"]
    (310.0, 1800.0, 150.0)
    """
    return dict(_masses(_phantom(phantom)))


# --------------------------------------------------------------------------- no-table model


def nonpenetrating_energy_mev(nuclide: str) -> float:
    """Mean non-penetrating energy per decay (MeV): electrons and alpha particles.

    All electrons of ICRP-107 (β−, β+, internal conversion and Auger electrons,
    :attr:`theranostix.nuclides.Nuclide.electron_energy_mev`) plus alpha particles
    and their recoil nuclei; photons are excluded. Only the radionuclide's own
    emissions: progeny are not included.

    Examples
    --------
    >>> round(nonpenetrating_energy_mev("Lu-177"), 4)
    0.1479
    """
    from theranostix.nuclides import Nuclide, RadiationType

    nuc = Nuclide(nuclide)
    heavy = nuc.mean_energy_mev(RadiationType.ALPHA) + nuc.mean_energy_mev(
        RadiationType.ALPHA_RECOIL
    )
    return nuc.electron_energy_mev + heavy


def nonpenetrating_self_dose_gy(nuclide: str, tia_mbq_h: float, mass_g: float) -> float:
    r"""Self-dose from the non-penetrating emissions, all absorbed in the source organ.

    .. math::

        D = \tilde A \cdot 3600 \cdot 10^6 \cdot \bar E_{np}
        \cdot 1.602\,176\,634 \times 10^{-13} / (m / 1000)

    with :math:`\tilde A` in MBq·h, :math:`\bar E_{np}` the mean energy per decay of
    electrons and alpha particles (:func:`nonpenetrating_energy_mev`) in MeV and
    :math:`m` in g. The absorbed fraction of electrons and alpha particles is 1 (their
    ranges are below a few mm, small compared with organs) [1]_; photons are not
    included.

    Parameters
    ----------
    nuclide : str
        Any spelling of the radionuclide.
    tia_mbq_h : float
        Time-integrated activity in the organ (MBq·h).
    mass_g : float
        Organ mass (g), positive.

    Returns
    -------
    float
        Absorbed dose (Gy).

    References
    ----------
    .. [1] Loevinger R, Budinger TF, Watson EE. MIRD Primer for Absorbed Dose
       Calculations, revised edition. Society of Nuclear Medicine, 1991.

    Examples
    --------
    >>> round(nonpenetrating_self_dose_gy("Lu-177", 1000.0, 300.0), 4)
    0.2844
    """
    _check_positive("mass_g", mass_g)
    _check_non_negative("tia_mbq_h", tia_mbq_h)
    energy_j = nonpenetrating_energy_mev(nuclide) * _J_PER_MEV
    return tia_mbq_h * _S_PER_H * 1e6 * energy_j / (mass_g / 1000.0)


def _check_positive(what: str, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ThxError(f"{what} must be a positive number, got {value}")


def _check_non_negative(what: str, value: float) -> None:
    if not (np.isfinite(value) and value >= 0):
        raise ThxError(f"{what} must be a non-negative number, got {value}")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class OrganDoseResult:
    """Absorbed doses to target organs.

    Attributes
    ----------
    dose_gy : Mapping[str, float]
        Total absorbed dose per target (Gy): ``self_dose_gy + cross_dose_gy``.
    self_dose_gy : Mapping[str, float]
        Dose from activity in the target itself (Gy), mass-scaled when a patient
        mass was given.
    cross_dose_gy : Mapping[str, float]
        Dose from activity in the other source regions (Gy), unscaled.
    phantom : str
        Reference phantom of the S-values and default masses.
    nuclide : str
        Canonical radionuclide name.
    method : str
        ``"s-value-table"`` or ``"non-penetrating-self-dose"`` (no table).
    masses_g : Mapping[str, float]
        Patient masses (g) used for self-dose scaling, by target.
    notes : tuple of str
        Assumptions and what is not included.
    """

    dose_gy: Mapping[str, float]
    self_dose_gy: Mapping[str, float]
    cross_dose_gy: Mapping[str, float]
    phantom: str
    nuclide: str
    method: str
    masses_g: Mapping[str, float]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plain data."""
        return {
            "nuclide": self.nuclide,
            "phantom": self.phantom,
            "method": self.method,
            "dose_gy": dict(self.dose_gy),
            "self_dose_gy": dict(self.self_dose_gy),
            "cross_dose_gy": dict(self.cross_dose_gy),
            "masses_g": dict(self.masses_g),
            "notes": list(self.notes),
        }


def _resolve_tias(tia_mbq_h_by_source: Mapping[str, float]) -> dict[str, float]:
    tias: dict[str, float] = {}
    for name, value in tia_mbq_h_by_source.items():
        key = find_organ(name)
        _check_non_negative(f"TIA of {name!r} (MBq·h)", float(value))
        if key in tias:
            raise ThxError(f"source {name!r} given twice (as {key!r})")
        tias[key] = float(value)
    if not tias:
        raise ThxError("no source organ given: tia_mbq_h_by_source is empty")
    return tias


def _resolve_masses(masses_g: Mapping[str, float] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in (masses_g or {}).items():
        key = find_organ(name)
        _check_positive(f"mass of {name!r} (g)", float(value))
        out[key] = float(value)
    return out


def organ_dose_gy(
    tia_mbq_h_by_source: Mapping[str, float],
    *,
    nuclide: str = "Lu-177",
    phantom: str = "adult-male",
    target: str | Iterable[str] | None = None,
    masses_g: Mapping[str, float] | None = None,
) -> OrganDoseResult:
    """Organ absorbed doses by the MIRD schema, self- and cross-dose separately.

    ``D(target) = Σ_source TIA(source) · S(target ← source)`` [1]_ with TIA in
    MBq·h (×3600 to MBq·s) and S in mGy/(MBq·s) (×1e-3 to Gy).

    Parameters
    ----------
    tia_mbq_h_by_source : Mapping[str, float]
        Time-integrated activity (MBq·h) per source region; any name accepted by
        :func:`find_organ`. Activity in a hollow organ goes to its contents
        (``urinary_bladder``, ``stomach``...). ``total_body`` should hold the
        activity *not* in the other listed sources (remainder of body); OLINDA's
        remainder-of-body correction of the S-values is not applied.
    nuclide : str
        Radionuclide. With an S-value table (:func:`tabled_nuclides`, Lu-177) the
        schema above is used; otherwise see Notes.
    phantom : str
        ``"adult-male"`` or ``"adult-female"``.
    target : str or iterable of str, optional
        Targets to report; all targets of the table by default (without a table:
        the sources).
    masses_g : Mapping[str, float], optional
        Patient organ masses (g), e.g. CT volume × density. They scale the
        self-dose S-value of that organ as ``m_phantom / m_patient``.

    Returns
    -------
    OrganDoseResult

    Raises
    ------
    ThxError
        Unknown organ, nuclide or phantom; a source or target not in the table;
        a negative TIA or a non-positive mass.

    Notes
    -----
    *Self-dose* is the term whose source is the target region itself (kidneys ←
    kidneys); the dose to a wall from its contents (urinary bladder wall ←
    contents) is cross-dose. *Mass scaling*: the self-dose S-value of
    non-penetrating radiation varies as 1/m, that of photons about as
    m^(-2/3) [2]_, [3]_. The tables do not separate electrons from photons, so the
    whole self S-value is scaled linearly, the OLINDA/EXM convention for the
    dominant non-penetrating part [2]_ (for Lu-177 the photon part of the kidney
    self S-value is ~2 %). Cross-dose S-values are not scaled: they depend on
    organ distances, and are mostly photon. Red marrow is the exception to "the
    self S-value is mostly 1/m": its tabled S is 0.57 × E_e/m (electrons escape the
    marrow cavities into bone), so its linear scaling is the convention, not physics.

    *Radionuclides without a table*: the self-dose of each source is that of a
    unit-density sphere of the organ's mass (the patient mass or, without it, the
    phantom mass; :func:`theranostix.dosimetry._sphere.sphere_model`): electrons
    with the absorbed fraction of the sphere (0.95-0.97 for Y-90 in 0.3-1.5 kg,
    > 0.99 for Lu-177), alpha particles absorbed, photons with the sphere's
    absorbed fraction. Cross-dose is not included: the package has no
    absorbed-fraction table for the phantoms. The notes say so.

    References
    ----------
    .. [1] Bolch WE, Eckerman KF, Sgouros G, Thomas SR. MIRD Pamphlet No. 21.
       J Nucl Med 2009;50:477-484. doi:10.2967/jnumed.108.056036
    .. [2] Stabin MG, Sparks RB, Crowe E. OLINDA/EXM. J Nucl Med
       2005;46:1023-1027. doi:10.2967/jnumed.105.044005
    .. [3] Loevinger R, Budinger TF, Watson EE. MIRD Primer for Absorbed Dose
       Calculations, revised edition. Society of Nuclear Medicine, 1991.

    Examples
    --------
    >>> r = organ_dose_gy({"kidneys": 1000.0, "liver": 2000.0}, target="kidneys")
    >>> round(r.self_dose_gy["kidneys"], 4), round(r.cross_dose_gy["kidneys"], 6)
    (0.2794, 0.000864)
    >>> r = organ_dose_gy({"kidneys": 1000.0}, target="kidneys", masses_g={"kidneys": 620.0})
    >>> round(r.dose_gy["kidneys"], 4)
    0.1397
    """
    name = _nuclide_name(nuclide)
    key = _phantom(phantom)
    tias = _resolve_tias(tia_mbq_h_by_source)
    patient_masses = _resolve_masses(masses_g)
    wanted: list[str] | None = None
    if target is not None:
        wanted = (
            [find_organ(target)] if isinstance(target, str) else [find_organ(t) for t in target]
        )
    if name in _TABLE_FILES:
        return _table_dose(name, key, tias, patient_masses, wanted)
    return _nonpenetrating_dose(name, key, tias, patient_masses, wanted)


def _table_dose(
    nuclide: str,
    phantom: str,
    tias: dict[str, float],
    patient_masses: dict[str, float],
    wanted: list[str] | None,
) -> OrganDoseResult:
    table = _load_table(nuclide, phantom)
    reference = _masses(phantom)
    for source in tias:
        if source not in table.sources:
            raise ThxError(
                f"{source!r} is not a source region of the {nuclide} {phantom} table; "
                f"sources: {', '.join(table.sources)}"
            )
    targets = list(table.targets) if wanted is None else wanted
    for t in targets:
        if t not in table.targets:
            raise ThxError(_not_a_target(t, table))
    notes: list[str] = [
        f"S-values: {nuclide}, {phantom} reference phantom (OLINDA/EXM-style table).",
    ]
    self_dose: dict[str, float] = {}
    cross_dose: dict[str, float] = {}
    used_masses: dict[str, float] = {}
    for t in targets:
        row = table.targets.index(t)
        self_gy = cross_gy = 0.0
        for source, tia in tias.items():
            s_value = float(table.values[row, table.sources.index(source)])
            if source == t:
                if t in patient_masses and t in reference:
                    s_value *= reference[t] / patient_masses[t]
                    used_masses[t] = patient_masses[t]
                self_gy += tia * _S_PER_H * s_value * _GY_PER_MGY
            else:
                cross_gy += tia * _S_PER_H * s_value * _GY_PER_MGY
        self_dose[t] = self_gy
        cross_dose[t] = cross_gy
    if used_masses:
        notes.append(
            "Self-dose S-values scaled linearly by phantom/patient mass for "
            f"{', '.join(sorted(used_masses))} (OLINDA/EXM convention for non-penetrating "
            "radiation; the photon part, which scales about as mass^(-2/3), is scaled the "
            "same way); cross-dose not scaled."
        )
    unused = sorted(set(patient_masses) - set(used_masses))
    if unused:
        notes.append(
            f"Masses given but not used (no self-dose term among the targets): {', '.join(unused)}."
        )
    if "total_body" in tias:
        notes.append(
            "total_body source treated as given; OLINDA's remainder-of-body correction "
            "is not applied."
        )
    return _result(self_dose, cross_dose, phantom, nuclide, "s-value-table", used_masses, notes)


def _nonpenetrating_dose(
    nuclide: str,
    phantom: str,
    tias: dict[str, float],
    patient_masses: dict[str, float],
    wanted: list[str] | None,
) -> OrganDoseResult:
    reference = _masses(phantom)
    targets = list(tias) if wanted is None else wanted
    self_dose: dict[str, float] = {}
    cross_dose: dict[str, float] = {}
    used_masses: dict[str, float] = {}
    for t in targets:
        if t not in tias:
            self_dose[t] = 0.0
            cross_dose[t] = 0.0
            continue
        mass = patient_masses.get(t, reference.get(t))
        if mass is None:
            raise ThxError(
                f"no mass for {t!r}: give it in masses_g (the {phantom} phantom has none)"
            )
        used_masses[t] = mass
        # electrons, alphas and photons with the absorbed fractions of a sphere of the
        # organ's mass (theranostix.dosimetry._sphere)
        from theranostix.dosimetry._sphere import sphere_model

        s_value = sphere_model(nuclide, mass).s_value_mgy_per_mbq_s
        self_dose[t] = tias[t] * _S_PER_H * s_value * _GY_PER_MGY
        cross_dose[t] = 0.0
    notes = [
        f"No S-value table for {nuclide}: self-dose of a unit-density sphere of the "
        "organ's mass (sphere model: electron and photon absorbed fractions of the sphere, "
        "alpha particles absorbed).",
        "Cross-dose NOT included (reported as 0).",
        "Progeny of the radionuclide not included.",
    ]
    defaulted = sorted(t for t in used_masses if t not in patient_masses)
    if defaulted:
        notes.append(f"{phantom} reference masses used for: {', '.join(defaulted)}.")
    return _result(
        self_dose, cross_dose, phantom, nuclide, "non-penetrating-self-dose", used_masses, notes
    )


def _result(
    self_dose: dict[str, float],
    cross_dose: dict[str, float],
    phantom: str,
    nuclide: str,
    method: str,
    masses: dict[str, float],
    notes: list[str],
) -> OrganDoseResult:
    total = {t: self_dose[t] + cross_dose[t] for t in self_dose}
    return OrganDoseResult(
        dose_gy=MappingProxyType(total),
        self_dose_gy=MappingProxyType(dict(self_dose)),
        cross_dose_gy=MappingProxyType(dict(cross_dose)),
        phantom=phantom,
        nuclide=nuclide,
        method=method,
        masses_g=MappingProxyType(dict(masses)),
        notes=tuple(notes),
    )


def organ_dose(
    nuclide: str,
    organ: str,
    tia_mbq_h: float,
    *,
    mass_g: float | None = None,
    phantom: str = "adult-male",
) -> dict[str, Any]:
    """Self-dose to one organ from its own time-integrated activity (for the CLI).

    With an S-value table (Lu-177) the dose is ``TIA · S(organ ← organ)``, with the
    S-value scaled by ``m_phantom / mass_g`` when a mass is given; otherwise the
    electrons and alphas absorbed locally plus the photons absorbed in a sphere of
    the organ's mass. See :func:`organ_dose_gy`.

    Parameters
    ----------
    nuclide : str
        Radionuclide, any spelling.
    organ : str
        Organ name (:func:`find_organ`); it must be both a source and a target
        (not a hollow-organ contents region).
    tia_mbq_h : float
        Time-integrated activity in the organ (MBq·h).
    mass_g : float, optional
        Patient organ mass (g); the phantom mass by default.
    phantom : str
        ``"adult-male"`` or ``"adult-female"``.

    Returns
    -------
    dict
        JSON-ready: ``nuclide``, ``organ``, ``phantom``, ``method``, ``tia_mbq_h``,
        ``mass_g`` (used), ``phantom_mass_g``, ``s_value_mgy_per_mbq_s`` (after
        mass scaling; ``None`` without a table), ``dose_gy``, ``notes``.

    Examples
    --------
    >>> d = organ_dose("Lu-177", "kidneys", 1000.0)
    >>> d["s_value_mgy_per_mbq_s"], round(d["dose_gy"], 4)
    (7.76e-05, 0.2794)
    >>> round(organ_dose("lu177", "Kidneys", 1000.0, mass_g=155.0)["dose_gy"], 4)
    0.5587
    """
    key = find_organ(organ)
    name = _nuclide_name(nuclide)
    ph = _phantom(phantom)
    reference = _masses(ph).get(key)
    if name in _TABLE_FILES:
        table = _load_table(name, ph)
        if key not in table.sources or key not in table.targets:
            wall = _WALL_OF_CONTENTS.get(key)
            hint = (
                f"; the table gives the dose to {wall!r} from {key!r}: use organ_dose_gy()"
                if wall
                else ""
            )
            raise ThxError(f"{key!r} has no self-dose S-value in the {name} {ph} table{hint}")
    masses = {key: mass_g} if mass_g is not None else None
    result = organ_dose_gy({key: tia_mbq_h}, nuclide=name, phantom=ph, target=key, masses_g=masses)
    s_value: float | None = None
    if result.method == "s-value-table":
        s_value = _load_table(name, ph).s(key, key)
        if mass_g is not None and reference is not None:
            s_value *= reference / mass_g
    return {
        "nuclide": name,
        "organ": key,
        "phantom": ph,
        "method": result.method,
        "tia_mbq_h": float(tia_mbq_h),
        "mass_g": result.masses_g.get(key, reference),
        "phantom_mass_g": reference,
        "s_value_mgy_per_mbq_s": s_value,
        "dose_gy": result.dose_gy[key],
        "notes": list(result.notes),
    }

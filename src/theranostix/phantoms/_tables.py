"""Tracer uptake and Lu-177 kinetics tables, loaded from ``data/tracers.toml``.

Each value in the data file names its source (``[sources]``: DOI, PMID or URL)
and its basis (``reported``, ``derived`` or ``assumed``); see ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import enum
import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from theranostix._enums import parse_enum
from theranostix.errors import ThxError

__all__ = [
    "LesionSite",
    "LutetiumTable",
    "PetTracerTable",
    "RegionKinetics",
    "Tracer",
    "lutetium_table",
    "pet_table",
    "sources",
]


class Tracer(enum.Enum):
    """PET tracer of a synthetic patient."""

    FDG = "fdg"
    """[18F]FDG."""
    PSMA = "psma"
    """[68Ga]Ga-PSMA-11 (Lu-177 therapy: [177Lu]Lu-PSMA-617)."""
    SSTR = "sstr"
    """[68Ga]Ga-DOTATATE (Lu-177 therapy: [177Lu]Lu-DOTATATE)."""

    @classmethod
    def parse(cls, value: Tracer | str) -> Tracer:
        """A tracer from its value (``"fdg"``, ``"psma"``, ``"sstr"``, any case)."""
        return parse_enum(cls, value, "tracer")


class LesionSite(enum.Enum):
    """Where a lesion is placed."""

    LIVER = "liver"
    BONE = "bone"
    LYMPH_NODE = "lymph_node"

    @classmethod
    def parse(cls, value: LesionSite | str) -> LesionSite:
        """A site from its value (``"liver"``, ``"bone"``, ``"lymph_node"``)."""
        return parse_enum(cls, value, "lesion site")


@dataclass(frozen=True)
class PetTracerTable:
    """Uptake of one PET tracer.

    Attributes
    ----------
    tracer : Tracer
    radiopharmaceutical : str
        Radiopharmaceutical (0018,0031) name.
    nuclide : str
        Radionuclide name, e.g. ``"Ga-68"``.
    injected_activity_bq : float
        Default administered activity.
    uptake_time_s : float
        Injection to start of the PET acquisition.
    suv : dict
        SUV (body weight) of each region.
    lesion_suv : dict
        Default lesion SUV per :class:`LesionSite`.
    """

    tracer: Tracer
    radiopharmaceutical: str
    nuclide: str
    injected_activity_bq: float
    uptake_time_s: float
    suv: dict[str, float]
    lesion_suv: dict[LesionSite, float]


@dataclass(frozen=True)
class RegionKinetics:
    """Bi-exponential uptake and washout of one region after a Lu-177 administration.

    ``A(t) = A0 · f · (exp(−λ_eff·t) − exp(−λ_up·t))`` with ``λ = ln 2 / T``, t in
    hours after administration (a standard two-compartment time-activity model,
    e.g. Siegel JA et al., MIRD pamphlet no. 16, J Nucl Med 1999;40:37S-61S).
    Its integral from 0 to infinity is the time-integrated activity
    ``Ã = A0 · f · (1/λ_eff − 1/λ_up)``.

    Attributes
    ----------
    fraction : float
        ``f``, fraction of the administered activity (extrapolated amplitude).
    effective_half_life_h : float
        Washout effective half-life (biological and physical), hours.
    uptake_half_life_h : float
        Uptake half-life, hours (shorter than the washout).
    """

    fraction: float
    effective_half_life_h: float
    uptake_half_life_h: float

    def __post_init__(self) -> None:
        if not (self.fraction >= 0 and self.uptake_half_life_h > 0):
            raise ThxError(f"invalid kinetics {self}: fraction >= 0 and half-lives > 0 needed")
        if self.effective_half_life_h <= self.uptake_half_life_h:
            raise ThxError(
                f"effective half-life {self.effective_half_life_h} h must exceed the uptake "
                f"half-life {self.uptake_half_life_h} h"
            )

    def fraction_at(self, time_h: float) -> float:
        """Fraction of the administered activity in the region at ``time_h`` hours."""
        lam_e = math.log(2.0) / self.effective_half_life_h
        lam_u = math.log(2.0) / self.uptake_half_life_h
        return self.fraction * (math.exp(-lam_e * time_h) - math.exp(-lam_u * time_h))

    def integral_h(self) -> float:
        """∫₀^∞ of :meth:`fraction_at` (hours): ``f·(T_eff − T_up)/ln 2``."""
        return self.fraction * (self.effective_half_life_h - self.uptake_half_life_h) / math.log(2)


@dataclass(frozen=True)
class LutetiumTable:
    """A Lu-177 therapy: radiopharmaceutical, activity and kinetics per region.

    Attributes
    ----------
    radiopharmaceutical : str
    injected_activity_bq : float
    regions : dict of RegionKinetics
        Keyed by region name (``data/tracers.toml``).
    lesion_fraction_per_ml_per_suv : float
        Lesion amplitude ``f = volume_ml · SUV · this``.
    lesion_effective_half_life_h, lesion_uptake_half_life_h : float
        Lesion kinetics.
    """

    radiopharmaceutical: str
    injected_activity_bq: float
    regions: dict[str, RegionKinetics]
    lesion_fraction_per_ml_per_suv: float
    lesion_effective_half_life_h: float
    lesion_uptake_half_life_h: float

    def lesion_kinetics(self, volume_ml: float, suv: float) -> RegionKinetics:
        """Kinetics of a lesion of ``volume_ml`` with PET uptake ``suv``."""
        return RegionKinetics(
            fraction=volume_ml * suv * self.lesion_fraction_per_ml_per_suv,
            effective_half_life_h=self.lesion_effective_half_life_h,
            uptake_half_life_h=self.lesion_uptake_half_life_h,
        )


@functools.cache
def _data() -> dict[str, Any]:
    text = resources.files("theranostix.phantoms").joinpath("data/tracers.toml").read_text("utf-8")
    return tomllib.loads(text)


def sources() -> dict[str, str]:
    """The literature of ``data/tracers.toml``: source key -> citation."""
    return dict(_data()["sources"])


@functools.cache
def pet_table(tracer: Tracer | str) -> PetTracerTable:
    """Uptake table of a PET tracer (``"fdg"``, ``"psma"`` or ``"sstr"``)."""
    t = Tracer.parse(tracer)
    raw = _data()["pet"][t.value]
    return PetTracerTable(
        tracer=t,
        radiopharmaceutical=raw["radiopharmaceutical"],
        nuclide=raw["nuclide"],
        injected_activity_bq=float(raw["injected_activity"]["value_mbq"]) * 1e6,
        uptake_time_s=float(raw["uptake_time"]["value_min"]) * 60.0,
        suv={name: float(v["value"]) for name, v in raw["suv"].items()},
        lesion_suv={LesionSite(n): float(v["value"]) for n, v in raw["lesion_suv"].items()},
    )


@functools.cache
def lutetium_table(tracer: Tracer | str) -> LutetiumTable:
    """The Lu-177 therapy matching a PET tracer (PSMA -> PSMA-617, SSTR -> DOTATATE)."""
    t = Tracer.parse(tracer)
    therapies = _data()["lutetium"]
    if t.value not in therapies:
        raise ThxError(
            f"no Lu-177 therapy for tracer {t.value!r}: Lu-177 SPECT is made for "
            f"{', '.join(sorted(therapies))} patients"
        )
    raw = therapies[t.value]
    return LutetiumTable(
        radiopharmaceutical=raw["radiopharmaceutical"],
        injected_activity_bq=float(raw["injected_activity"]["value_mbq"]) * 1e6,
        regions={
            name: RegionKinetics(
                float(v["fraction"]),
                float(v["effective_half_life_h"]),
                float(v["uptake_half_life_h"]),
            )
            for name, v in raw["regions"].items()
        },
        lesion_fraction_per_ml_per_suv=float(raw["lesion_fraction_per_ml_per_suv"]["value"]),
        lesion_effective_half_life_h=float(raw["lesion"]["effective_half_life_h"]),
        lesion_uptake_half_life_h=float(raw["lesion"]["uptake_half_life_h"]),
    )

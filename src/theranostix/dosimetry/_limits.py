"""Organ-at-risk limits as data, their check, and a planner of the next therapy cycle.

Limits live in a TOML file (``schema = 1``); the built-in one is
``data/organ_limits.toml`` (provenance in ``data/PROVENANCE_limits.md``). A site
passes its own file to :func:`load_limits`.

Schema 1
--------
Top level (all required unless marked optional)::

    schema = 1
    title = "..."
    date = 2026-11-23                 # TOML date the file was written or reviewed

    [references.bodei2008]            # at least one; keys cited by `sources`
    citation = "Bodei L et al. ... Eur J Nucl Med Mol Imaging 2008;35:1847-1856"
    doi = "10.1007/s00259-008-0778-1" # optional (doi or url or both)
    url = "https://..."               # optional

    [organs.kidneys]                  # LQ parameters; required for organs with a BED limit
    alpha_beta_gy = 2.6
    repair_half_time_h = 2.8
    sources = ["wessels2008"]
    basis = "reported"                # reported | derived | assumed
    confidence = "medium"             # high | medium | low
    note = "..."                      # optional

    [[limits]]                        # at least one
    id = "kidneys-bed"                # unique; lower-case letters, digits, "-", "_", "."
    organ = "kidneys"
    quantity = "bed"                  # absorbed_dose | bed
    scope = "cumulative"              # cumulative | per_cycle
    value_gy = 40.0
    risk_factors = "absent"           # any | absent | present
    sources = ["bodei2008"]
    basis = "reported"
    confidence = "medium"
    note = "..."                      # optional

Unknown fields are errors; every error names the file and the field, e.g.
``site.toml: limits[1].value_gy: must be a finite number > 0, got -3.0``.

References
----------
.. [1] Bodei L, Cremonesi M, Ferrari M, et al. Long-term evaluation of renal
   toxicity after peptide receptor radionuclide therapy with 90Y-DOTATOC and
   177Lu-DOTATATE: the role of associated risk factors. Eur J Nucl Med Mol
   Imaging 2008;35:1847-1856. doi:10.1007/s00259-008-0778-1
.. [2] Emami B, Lyman J, Brown A, et al. Tolerance of normal tissue to
   therapeutic irradiation. Int J Radiat Oncol Biol Phys 1991;21:109-122.
   doi:10.1016/0360-3016(91)90171-Y
.. [3] Dale RG. Dose-rate effects in targeted radiotherapy. Phys Med Biol
   1996;41:1871-1884. doi:10.1088/0031-9155/41/10/001
"""

from __future__ import annotations

import datetime
import enum
import functools
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from theranostix._toml import TomlTable
from theranostix.dosimetry._radiobiology import g_factor_mono, g_factor_uptake_washout
from theranostix.errors import ThxError

__all__ = [
    "ActivityBound",
    "Basis",
    "Confidence",
    "CyclePlan",
    "LimitFinding",
    "LimitQuantity",
    "LimitScope",
    "LimitSet",
    "LimitSource",
    "OrganLimit",
    "OrganRadiobiology",
    "RiskGroup",
    "TherapyCycle",
    "check_limits",
    "load_limits",
    "plan_next_cycle",
]

SCHEMA_VERSION = 1
"""The limits schema this version of theranostix reads."""

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class LimitQuantity(enum.Enum):
    """What a limit bounds."""

    ABSORBED_DOSE = "absorbed_dose"
    BED = "bed"


class LimitScope(enum.Enum):
    """Whether a limit bounds the sum over all cycles or each cycle."""

    CUMULATIVE = "cumulative"
    PER_CYCLE = "per_cycle"


class RiskGroup(enum.Enum):
    """Patients a limit applies to (risk factors: mainly hypertension, diabetes [1]_).

    References
    ----------
    .. [1] Bodei L et al. Eur J Nucl Med Mol Imaging 2008;35:1847. doi:10.1007/s00259-008-0778-1
    """

    ANY = "any"
    ABSENT = "absent"
    PRESENT = "present"

    def applies(self, risk_factors: bool) -> bool:
        """Whether a limit of this group applies to a patient with(out) risk factors."""
        return self is RiskGroup.ANY or (self is RiskGroup.PRESENT) == risk_factors


class Basis(enum.Enum):
    """How a value relates to its sources (house style of the PROVENANCE files)."""

    REPORTED = "reported"
    DERIVED = "derived"
    ASSUMED = "assumed"


class Confidence(enum.Enum):
    """How far a value is established for radionuclide therapy."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class LimitSource:
    """A work the limits file cites."""

    key: str
    citation: str
    doi: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        tail = f" doi:{self.doi}" if self.doi else (f" {self.url}" if self.url else "")
        return f"{self.citation}{tail}"


@dataclass(frozen=True)
class OrganRadiobiology:
    """LQ parameters of an organ, used for its BED."""

    organ: str
    alpha_beta_gy: float
    repair_half_time_h: float
    sources: tuple[str, ...]
    basis: Basis
    confidence: Confidence
    note: str = ""


@dataclass(frozen=True)
class OrganLimit:
    """One organ-at-risk limit.

    Attributes
    ----------
    id : str
    organ : str
    quantity : LimitQuantity
        Absorbed dose or BED.
    scope : LimitScope
        Cumulative over cycles or per cycle.
    value_gy : float
    risk_group : RiskGroup
    sources : tuple of str
        Keys of :attr:`LimitSet.references`.
    basis : Basis
    confidence : Confidence
    note : str
    """

    id: str
    organ: str
    quantity: LimitQuantity
    scope: LimitScope
    value_gy: float
    risk_group: RiskGroup
    sources: tuple[str, ...]
    basis: Basis
    confidence: Confidence
    note: str = ""

    def describe(self) -> str:
        """E.g. ``kidneys cumulative BED <= 40 Gy (no risk factors)``."""
        what = "BED" if self.quantity is LimitQuantity.BED else "absorbed dose"
        scope = "cumulative" if self.scope is LimitScope.CUMULATIVE else "per-cycle"
        group = {
            RiskGroup.ANY: "",
            RiskGroup.ABSENT: " (no risk factors)",
            RiskGroup.PRESENT: " (with risk factors)",
        }[self.risk_group]
        return f"{self.organ} {scope} {what} <= {self.value_gy:g} Gy{group}"


@dataclass(frozen=True)
class LimitSet:
    """The contents of a limits file.

    Attributes
    ----------
    title : str
    date : datetime.date
    references : tuple of LimitSource
    radiobiology : mapping of str to OrganRadiobiology
        By organ.
    limits : tuple of OrganLimit
    path : str or None
        The file read, or None for the built-in file.
    """

    title: str
    date: datetime.date
    references: tuple[LimitSource, ...]
    radiobiology: Mapping[str, OrganRadiobiology]
    limits: tuple[OrganLimit, ...]
    path: str | None = None

    def applicable(self, risk_factors: bool) -> tuple[OrganLimit, ...]:
        """The limits that apply to a patient with (``True``) or without risk factors."""
        return tuple(lim for lim in self.limits if lim.risk_group.applies(risk_factors))

    def source(self, key: str) -> LimitSource:
        """The cited work of key ``key``."""
        for ref in self.references:
            if ref.key == key:
                return ref
        raise ThxError(f"the limits file cites no {key!r}")

    def organ_radiobiology(self, organ: str) -> OrganRadiobiology:
        """LQ parameters of ``organ``; a ThxError when the file has none."""
        try:
            return self.radiobiology[organ]
        except KeyError:
            known = ", ".join(sorted(self.radiobiology)) or "none"
            raise ThxError(
                f"no alpha/beta and repair half-time for organ {organ!r} (given for: {known})"
            ) from None


# ---------------------------------------------------------------------------------- loading


_REFERENCE_FIELDS = ("citation", "doi", "url")
_ORGAN_FIELDS = (
    "alpha_beta_gy",
    "repair_half_time_h",
    "sources",
    "basis",
    "confidence",
    "note",
)
_LIMIT_FIELDS = (
    "id",
    "organ",
    "quantity",
    "scope",
    "value_gy",
    "risk_factors",
    "sources",
    "basis",
    "confidence",
    "note",
)


def _check_sources(table: TomlTable, sources: tuple[str, ...], keys: set[str]) -> None:
    for key in sources:
        if key not in keys:
            raise table.error(
                "sources", f"{key!r} is not a key of [references] ({', '.join(sorted(keys))})"
            )


def _parse_limits(data: Mapping[str, Any], file: str, path: str | None) -> LimitSet:
    top = TomlTable(data, file, "")
    top.only(("schema", "title", "date", "references", "organs", "limits"))
    schema = top.get("schema", int, "an integer", required=True)
    if schema != SCHEMA_VERSION:
        raise top.error(
            "schema",
            f"{schema!r} is not supported (this theranostix reads schema {SCHEMA_VERSION})",
        )
    title = top.text("title", non_empty=True)
    date = top.get("date", datetime.date, "a TOML date such as 2026-11-23", required=True)
    if isinstance(date, datetime.datetime):
        raise top.error("date", f"expected a date without a time, got {date!r}")
    ref_table = top.table("references")
    assert ref_table is not None
    references: list[LimitSource] = []
    for key in ref_table.data:
        entry = ref_table.table(key)
        assert entry is not None
        entry.only(_REFERENCE_FIELDS)
        doi = entry.text("doi", required=False) or None
        url = entry.text("url", required=False) or None
        references.append(LimitSource(key, entry.text("citation", non_empty=True), doi, url))
    if not references:
        raise top.error("references", "cite at least one work")
    keys = {r.key for r in references}

    radiobiology: dict[str, OrganRadiobiology] = {}
    organ_table = top.table("organs", required=False)
    for organ in [] if organ_table is None else list(organ_table.data):
        assert organ_table is not None
        entry = organ_table.table(organ)
        assert entry is not None
        entry.only(_ORGAN_FIELDS)
        sources = entry.strings("sources", non_empty=True)
        _check_sources(entry, sources, keys)
        radiobiology[organ] = OrganRadiobiology(
            organ=organ,
            alpha_beta_gy=entry.positive("alpha_beta_gy", "Gy"),
            repair_half_time_h=entry.positive("repair_half_time_h", "h"),
            sources=sources,
            basis=entry.choice("basis", Basis),
            confidence=entry.choice("confidence", Confidence),
            note=entry.text("note", required=False),
        )

    limits: list[OrganLimit] = []
    seen: set[str] = set()
    for entry in top.tables("limits", non_empty=True):
        entry.only(_LIMIT_FIELDS)
        limit_id = entry.text("id", non_empty=True)
        if not _ID_PATTERN.match(limit_id):
            raise entry.error("id", f"{limit_id!r}: use lower-case letters, digits, '-', '_', '.'")
        if limit_id in seen:
            raise entry.error("id", f"{limit_id!r} is used more than once")
        seen.add(limit_id)
        organ = entry.text("organ", non_empty=True)
        quantity = entry.choice("quantity", LimitQuantity)
        if quantity is LimitQuantity.BED and organ not in radiobiology:
            raise entry.error(
                "organ", f"{organ!r} has a BED limit but no [organs.{organ}] LQ parameters"
            )
        sources = entry.strings("sources", non_empty=True)
        _check_sources(entry, sources, keys)
        limits.append(
            OrganLimit(
                id=limit_id,
                organ=organ,
                quantity=quantity,
                scope=entry.choice("scope", LimitScope),
                value_gy=entry.positive("value_gy", "Gy"),
                risk_group=entry.choice("risk_factors", RiskGroup),
                sources=sources,
                basis=entry.choice("basis", Basis),
                confidence=entry.choice("confidence", Confidence),
                note=entry.text("note", required=False),
            )
        )
    return LimitSet(
        title=title,
        date=date,
        references=tuple(references),
        radiobiology=MappingProxyType(radiobiology),
        limits=tuple(limits),
        path=path,
    )


def _read_limits_text(text: str, file: str, path: str | None) -> LimitSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThxError(f"{file}: not valid TOML: {exc}") from None
    return _parse_limits(data, file, path)


@functools.lru_cache(maxsize=1)
def _builtin() -> LimitSet:
    entry = resources.files("theranostix.dosimetry").joinpath("data", "organ_limits.toml")
    label = "theranostix/dosimetry/data/organ_limits.toml"
    return _read_limits_text(entry.read_text(encoding="utf-8"), label, None)


def load_limits(path: str | os.PathLike[str] | None = None) -> LimitSet:
    """Organ-at-risk limits from a TOML file (schema 1), or the built-in ones.

    Parameters
    ----------
    path : str or path-like, optional
        A limits file; None reads ``data/organ_limits.toml`` (kidneys: 23 Gy
        absorbed dose [2]_, BED 40 Gy without and 28 Gy with risk factors [1]_;
        red marrow 2 Gy; salivary glands 32 Gy; sources and confidence in
        ``data/PROVENANCE_limits.md``).

    Returns
    -------
    LimitSet

    Raises
    ------
    ThxError
        Unreadable file, or a file that breaks the schema (the message names
        the file and the field).

    References
    ----------
    .. [1] Bodei L et al. Eur J Nucl Med Mol Imaging 2008;35:1847. doi:10.1007/s00259-008-0778-1
    .. [2] Emami B et al. Int J Radiat Oncol Biol Phys 1991;21:109.
       doi:10.1016/0360-3016(91)90171-Y

    Examples
    --------
    >>> limits = load_limits()
    >>> for lim in limits.applicable(risk_factors=True):
    ...     print(lim.id, "|", lim.describe())
    kidneys-dose | kidneys cumulative absorbed dose <= 23 Gy
    kidneys-bed-risk | kidneys cumulative BED <= 28 Gy (with risk factors)
    red-marrow-dose | red_marrow cumulative absorbed dose <= 2 Gy
    salivary-glands-dose | salivary_glands cumulative absorbed dose <= 32 Gy
    >>> limits.radiobiology["kidneys"].alpha_beta_gy
    2.6
    """
    if path is None:
        return _builtin()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ThxError(f"{file}: cannot read the limits file ({exc.strerror or exc})") from None
    return _read_limits_text(text, str(file), str(file))


# ------------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class LimitFinding:
    """One limit compared with a dose.

    Attributes
    ----------
    organ : str
    limit : OrganLimit
    value_gy : float or None
        The absorbed dose or BED compared, Gy; None when not given (not assessed).
    margin_gy : float or None
        ``limit - value`` (negative when exceeded).
    exceeded : bool
    """

    organ: str
    limit: OrganLimit
    value_gy: float | None
    margin_gy: float | None
    exceeded: bool

    @property
    def assessed(self) -> bool:
        """Whether a value was available for this limit."""
        return self.value_gy is not None


def _pair(organ: str, value: object, what: str) -> tuple[float | None, float | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        dose: object = value
        bed: object = None
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        dose, bed = value
    else:
        raise ThxError(
            f"{what}[{organ!r}]: expected (absorbed dose Gy, BED Gy or None), got {value!r}"
        )
    out: list[float | None] = []
    for name, v in (("absorbed dose", dose), ("BED", bed)):
        if v is None:
            out.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ThxError(f"{what}[{organ!r}]: {name}: expected a number (Gy), got {v!r}")
        if not math.isfinite(float(v)) or float(v) < 0.0:
            raise ThxError(f"{what}[{organ!r}]: {name}: must be finite and >= 0 Gy, got {v!r}")
        out.append(float(v))
    return out[0], out[1]


def check_limits(
    cumulative: Mapping[str, tuple[float | None, float | None] | float],
    *,
    risk_factors: bool,
    limits: LimitSet | None = None,
    per_cycle: Mapping[str, tuple[float | None, float | None] | float] | None = None,
) -> list[LimitFinding]:
    """Compare organ doses with the limits that apply to the patient.

    Parameters
    ----------
    cumulative : mapping of str to (float, float or None)
        Organ -> (cumulative absorbed dose Gy, cumulative BED Gy); a bare
        number is an absorbed dose without BED.
    risk_factors : bool
        Whether the patient has renal risk factors (selects the kidney BED limit).
    limits : LimitSet, optional
        Default: the built-in limits.
    per_cycle : mapping of str to (float, float or None), optional
        Doses of the last cycle, for per-cycle limits.

    Returns
    -------
    list of LimitFinding
        One per applicable limit, in the order of the file; limits of organs
        (or quantities) without a value are returned not assessed.

    Examples
    --------
    >>> findings = check_limits({"kidneys": (20.0, 42.0)}, risk_factors=False)
    >>> [(f.limit.id, f.exceeded, f.margin_gy) for f in findings if f.organ == "kidneys"]
    [('kidneys-dose', False, 3.0), ('kidneys-bed', True, -2.0)]
    """
    limit_set = _builtin() if limits is None else limits
    values = {o: _pair(o, v, "cumulative") for o, v in cumulative.items()}
    cycle_values = {o: _pair(o, v, "per_cycle") for o, v in (per_cycle or {}).items()}
    findings: list[LimitFinding] = []
    for limit in limit_set.applicable(risk_factors):
        source = values if limit.scope is LimitScope.CUMULATIVE else cycle_values
        dose, bed = source.get(limit.organ, (None, None))
        value = bed if limit.quantity is LimitQuantity.BED else dose
        if value is None:
            findings.append(LimitFinding(limit.organ, limit, None, None, False))
        else:
            margin = limit.value_gy - value
            findings.append(LimitFinding(limit.organ, limit, value, margin, value > limit.value_gy))
    return findings


# ------------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class TherapyCycle:
    """A given cycle: administered activity and per-GBq organ doses with their kinetics.

    Attributes
    ----------
    activity_gbq : float
    organ_doses_gy_per_gbq : mapping of str to float
        Absorbed dose per administered activity, by organ.
    organ_effective_half_lives_h : mapping of str to float
        Effective half-life of the organ dose rate (needed for organs with a
        BED limit: it sets the Lea-Catcheside factor).
    organ_uptake_half_lives_h : mapping of str to float
        Optional uptake half-lives (uptake-washout dose rate).
    tumour_gy_per_gbq : float or None
    tumour_effective_half_life_h : float or None
    """

    activity_gbq: float
    organ_doses_gy_per_gbq: Mapping[str, float]
    organ_effective_half_lives_h: Mapping[str, float] = field(default_factory=dict)
    organ_uptake_half_lives_h: Mapping[str, float] = field(default_factory=dict)
    tumour_gy_per_gbq: float | None = None
    tumour_effective_half_life_h: float | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "cycle") -> TherapyCycle:
        """A cycle from a dict with the attribute names as keys."""
        allowed = set(cls.__dataclass_fields__)
        for key in data:
            if key not in allowed:
                raise ThxError(
                    f"{where}.{key}: unknown field (allowed: {', '.join(sorted(allowed))})"
                )
        for key in ("activity_gbq", "organ_doses_gy_per_gbq"):
            if key not in data:
                raise ThxError(f"{where}.{key}: missing")
        return cls(**dict(data))


def _number(value: object, what: str, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ThxError(f"{what}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0.0 or (number == 0.0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ThxError(f"{what}: must be a finite number {bound}, got {value!r}")
    return number


def _g(t_eff: float, t_up: float | None, t_rep: float) -> float:
    if t_up is None:
        return g_factor_mono(t_eff, t_rep)
    return g_factor_uptake_washout(t_eff, t_up, t_rep)


def _activity_for_bed(
    remaining_gy: float, gy_per_gbq: float, g: float, alpha_beta_gy: float
) -> float:
    """Activity A with ``a A (1 + G a A / (alpha/beta)) = remaining`` (positive root)."""
    if remaining_gy <= 0.0:
        return 0.0
    if gy_per_gbq == 0.0:
        return math.inf
    q = g * gy_per_gbq**2 / alpha_beta_gy
    # 2c / (b + sqrt(b^2 + 4 q c)): no cancellation, exact also for G = 0
    return 2.0 * remaining_gy / (gy_per_gbq + math.sqrt(gy_per_gbq**2 + 4.0 * q * remaining_gy))


@dataclass(frozen=True)
class ActivityBound:
    """The largest next-cycle activity one limit allows."""

    limit: OrganLimit
    activity_gbq: float
    gy_per_gbq: float
    g_factor: float | None


@dataclass(frozen=True)
class CyclePlan:
    """Proposed activity of the next cycle.

    Attributes
    ----------
    activity_gbq : float
        Proposed activity, GBq.
    reason : str
        ``"organ_limit"``, ``"max_activity"``, ``"tumour_target"``,
        ``"tumour_target_reached"`` (no further activity needed) or
        ``"limit_reached"`` (a cumulative limit already leaves no room).
    limiting : ActivityBound or None
        The bound that sets the safe activity (the smallest), if any.
    max_safe_activity_gbq : float
        Smallest activity bound of all limits (inf when no organ constrains).
    tumour_target_activity_gbq : float or None
        Activity reaching the tumour BED target, if a target was given.
    bounds : tuple of ActivityBound
        Every applicable limit with a dose estimate, smallest first.
    not_assessed : tuple of OrganLimit
        Applicable limits of organs without dose data in the cycles.
    findings : tuple of LimitFinding
        :func:`check_limits` of the cumulative doses after the proposed cycle.
    gy_per_gbq : mapping of str to float
        Organ dose per activity used for the next cycle.
    estimate : str
        ``"mean"`` or ``"last"``.
    """

    activity_gbq: float
    reason: str
    limiting: ActivityBound | None
    max_safe_activity_gbq: float
    tumour_target_activity_gbq: float | None
    bounds: tuple[ActivityBound, ...]
    not_assessed: tuple[OrganLimit, ...]
    findings: tuple[LimitFinding, ...]
    gy_per_gbq: Mapping[str, float]
    estimate: str

    @property
    def limiting_organ(self) -> str | None:
        """Organ whose limit sets the safe activity, if any."""
        return None if self.limiting is None else self.limiting.limit.organ


def plan_next_cycle(
    previous_cycles: Sequence[TherapyCycle | Mapping[str, Any]],
    *,
    risk_factors: bool,
    limits: LimitSet | None = None,
    tumour_bed_target_gy: float | None = None,
    tumour_gy_per_gbq: float | None = None,
    tumour_alpha_beta_gy: float | None = None,
    tumour_repair_half_time_h: float | None = None,
    tumour_effective_half_life_h: float | None = None,
    max_activity_gbq: float = 7.4,
    estimate: str = "mean",
) -> CyclePlan:
    """Propose the activity of the next cycle from the Gy/GBq of the previous ones.

    The next cycle's organ dose per GBq ``a`` is the mean over the previous
    cycles (``estimate="mean"``: averages out the noise of single
    measurements) or that of the last cycle (``"last"``: follows a trend, e.g.
    a declining renal function); its Lea-Catcheside factor ``G`` is the mean or
    last of the cycles' ``G`` from their effective half-lives and the organ's
    LQ parameters. For each applicable limit, the largest activity ``A`` that
    keeps the organ at or below it is, with ``R`` the room left (limit minus
    the cumulative value of the previous cycles, or the limit for per-cycle
    limits):

    * absorbed dose: ``A = R / a``;
    * BED (quadratic in dose, dose linear in activity [1]_ [2]_):
      ``a A (1 + G a A / (alpha/beta)) = R``, solved for its positive root.

    The proposal is the smallest such ``A``, capped at ``max_activity_gbq``. With
    a ``tumour_bed_target_gy`` (cumulative over all cycles, previous cycles
    from their ``tumour_gy_per_gbq``) the proposal is the smallest activity
    reaching the target when that is safe, else the safe activity.

    Parameters
    ----------
    previous_cycles : sequence of TherapyCycle or mapping
        At least one; mappings use the attribute names of :class:`TherapyCycle`.
    risk_factors : bool
        Whether the patient has renal risk factors.
    limits : LimitSet, optional
        Default: the built-in limits.
    tumour_bed_target_gy : float, optional
        Cumulative tumour BED to reach, Gy.
    tumour_gy_per_gbq : float, optional
        Tumour dose per GBq of the next cycle; default: mean or last of the cycles.
    tumour_alpha_beta_gy, tumour_repair_half_time_h : float, optional
        Tumour LQ parameters; required with a target.
    tumour_effective_half_life_h : float, optional
        Tumour dose-rate half-life of the next cycle; default: mean or last of
        the cycles (used for previous cycles without their own).
    max_activity_gbq : float
        Largest activity to propose (default 7.4 GBq, the standard 177Lu
        activity per cycle of VISION and NETTER-1).
    estimate : {"mean", "last"}

    Returns
    -------
    CyclePlan

    References
    ----------
    .. [1] Dale RG. Phys Med Biol 1996;41:1871-1884. doi:10.1088/0031-9155/41/10/001
    .. [2] Bodei L et al. Eur J Nucl Med Mol Imaging 2008;35:1847. doi:10.1007/s00259-008-0778-1

    Examples
    --------
    >>> cycle = {"activity_gbq": 7.4,
    ...          "organ_doses_gy_per_gbq": {"kidneys": 0.9, "red_marrow": 0.03},
    ...          "organ_effective_half_lives_h": {"kidneys": 50.0}}
    >>> plan = plan_next_cycle([cycle, cycle], risk_factors=True, max_activity_gbq=20.0)
    >>> plan.limiting_organ, plan.limiting.limit.id, round(plan.activity_gbq, 3), plan.reason
    ('kidneys', 'kidneys-dose', 10.756, 'organ_limit')
    >>> [lim.id for lim in plan.not_assessed]
    ['salivary-glands-dose']
    """
    limit_set = _builtin() if limits is None else limits
    if estimate not in ("mean", "last"):
        raise ThxError(f"estimate: must be 'mean' or 'last', got {estimate!r}")
    cap = _number(max_activity_gbq, "max_activity_gbq", allow_zero=False)
    if not previous_cycles:
        raise ThxError("previous_cycles: give at least one cycle with its Gy/GBq")
    cycles: list[TherapyCycle] = []
    for i, raw in enumerate(previous_cycles):
        where = f"previous_cycles[{i}]"
        cycle = raw if isinstance(raw, TherapyCycle) else TherapyCycle.from_mapping(raw, where)
        _number(cycle.activity_gbq, f"{where}.activity_gbq", allow_zero=False)
        if not isinstance(cycle.organ_doses_gy_per_gbq, Mapping):
            raise ThxError(f"{where}.organ_doses_gy_per_gbq: expected a mapping organ -> Gy/GBq")
        for organ, value in cycle.organ_doses_gy_per_gbq.items():
            _number(value, f"{where}.organ_doses_gy_per_gbq[{organ!r}]", allow_zero=True)
        cycles.append(cycle)

    def pick(values: list[float]) -> float:
        return values[-1] if estimate == "last" else sum(values) / len(values)

    def organ_g(cycle: TherapyCycle, organ: str, where: str) -> float:
        bio = limit_set.organ_radiobiology(organ)
        t_eff = cycle.organ_effective_half_lives_h.get(organ)
        if t_eff is None:
            raise ThxError(
                f"{where}.organ_effective_half_lives_h: no half-life for {organ!r}, "
                "needed for its BED limit"
            )
        t_up = cycle.organ_uptake_half_lives_h.get(organ)
        try:
            return _g(t_eff, t_up, bio.repair_half_time_h)
        except ThxError as exc:
            raise ThxError(f"{where} ({organ}): {exc}") from None

    applicable = limit_set.applicable(risk_factors)
    organs = {lim.organ for lim in applicable}
    per_gbq: dict[str, float] = {}
    dose_prev: dict[str, float] = {}
    bed_prev: dict[str, float] = {}
    g_next: dict[str, float] = {}
    for organ in sorted(organs):
        if not all(organ in c.organ_doses_gy_per_gbq for c in cycles):
            continue  # not assessed (reported in the plan)
        rates = [float(c.organ_doses_gy_per_gbq[organ]) for c in cycles]
        doses = [r * float(c.activity_gbq) for r, c in zip(rates, cycles, strict=True)]
        per_gbq[organ] = pick(rates)
        dose_prev[organ] = sum(doses)
        if organ in limit_set.radiobiology:
            ab = limit_set.radiobiology[organ].alpha_beta_gy
            has_bed_limit = any(
                lim.organ == organ and lim.quantity is LimitQuantity.BED for lim in applicable
            )
            if has_bed_limit or all(organ in c.organ_effective_half_lives_h for c in cycles):
                gs = [organ_g(c, organ, f"previous_cycles[{i}]") for i, c in enumerate(cycles)]
                g_next[organ] = pick(gs)
                bed_prev[organ] = sum(
                    d * (1.0 + g * d / ab) for d, g in zip(doses, gs, strict=True)
                )

    bounds: list[ActivityBound] = []
    not_assessed: list[OrganLimit] = []
    for lim in applicable:
        if lim.organ not in per_gbq:
            not_assessed.append(lim)
            continue
        a = per_gbq[lim.organ]
        cumulative = lim.scope is LimitScope.CUMULATIVE
        if lim.quantity is LimitQuantity.ABSORBED_DOSE:
            room = lim.value_gy - (dose_prev[lim.organ] if cumulative else 0.0)
            activity = math.inf if a == 0.0 else max(room, 0.0) / a
            bounds.append(ActivityBound(lim, activity, a, None))
        else:
            room = lim.value_gy - (bed_prev[lim.organ] if cumulative else 0.0)
            ab = limit_set.radiobiology[lim.organ].alpha_beta_gy
            g = g_next[lim.organ]
            bounds.append(ActivityBound(lim, _activity_for_bed(room, a, g, ab), a, g))
    bounds.sort(key=lambda b: b.activity_gbq)
    limiting = bounds[0] if bounds else None
    safe = limiting.activity_gbq if limiting is not None else math.inf

    if safe <= 0.0:
        activity, reason = 0.0, "limit_reached"
    elif safe <= cap:
        activity, reason = safe, "organ_limit"
    else:
        activity, reason = cap, "max_activity"

    target_activity: float | None = None
    if tumour_bed_target_gy is not None:
        target = _number(tumour_bed_target_gy, "tumour_bed_target_gy", allow_zero=False)
        if tumour_alpha_beta_gy is None or tumour_repair_half_time_h is None:
            raise ThxError(
                "tumour_alpha_beta_gy and tumour_repair_half_time_h: required with "
                "tumour_bed_target_gy"
            )
        t_ab = _number(tumour_alpha_beta_gy, "tumour_alpha_beta_gy", allow_zero=False)
        t_rep = _number(tumour_repair_half_time_h, "tumour_repair_half_time_h", allow_zero=False)
        halves = [c.tumour_effective_half_life_h for c in cycles]
        known = [float(h) for h in halves if h is not None]
        t_half_next = tumour_effective_half_life_h
        if t_half_next is None:
            if not known:
                raise ThxError(
                    "tumour_effective_half_life_h: required (no previous cycle gives one)"
                )
            t_half_next = pick(known)
        tumour_prev = 0.0
        rates_t: list[float] = []
        for i, c in enumerate(cycles):
            if c.tumour_gy_per_gbq is None:
                raise ThxError(
                    f"previous_cycles[{i}].tumour_gy_per_gbq: missing, needed for the "
                    "cumulative tumour BED"
                )
            rate = _number(
                c.tumour_gy_per_gbq, f"previous_cycles[{i}].tumour_gy_per_gbq", allow_zero=True
            )
            rates_t.append(rate)
            d = rate * float(c.activity_gbq)
            half = c.tumour_effective_half_life_h or t_half_next
            tumour_prev += d * (1.0 + g_factor_mono(half, t_rep) * d / t_ab)
        a_t = (
            pick(rates_t)
            if tumour_gy_per_gbq is None
            else _number(tumour_gy_per_gbq, "tumour_gy_per_gbq", allow_zero=False)
        )
        target_activity = _activity_for_bed(
            target - tumour_prev, a_t, g_factor_mono(t_half_next, t_rep), t_ab
        )
        if target_activity == 0.0:
            activity, reason = 0.0, "tumour_target_reached"
        elif target_activity <= min(safe, cap):
            activity, reason = target_activity, "tumour_target"

    after: dict[str, tuple[float | None, float | None]] = {}
    this_cycle: dict[str, tuple[float | None, float | None]] = {}
    for organ, a in per_gbq.items():
        d = a * activity
        bed_cycle: float | None = None
        bed_total: float | None = None
        if organ in bed_prev:
            ab = limit_set.radiobiology[organ].alpha_beta_gy
            bed_cycle = d * (1.0 + g_next[organ] * d / ab)
            bed_total = bed_prev[organ] + bed_cycle
        after[organ] = (dose_prev[organ] + d, bed_total)
        this_cycle[organ] = (d, bed_cycle)
    findings = check_limits(
        after, risk_factors=risk_factors, limits=limit_set, per_cycle=this_cycle
    )
    return CyclePlan(
        activity_gbq=activity,
        reason=reason,
        limiting=limiting,
        max_safe_activity_gbq=safe,
        tumour_target_activity_gbq=target_activity,
        bounds=tuple(bounds),
        not_assessed=tuple(not_assessed),
        findings=tuple(findings),
        gy_per_gbq=MappingProxyType(dict(per_gbq)),
        estimate=estimate,
    )

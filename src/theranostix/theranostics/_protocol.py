"""Eligibility protocols as data: the TOML schema, its validation and the built-in protocols.

A protocol is a TOML file (``schema = 1``) with its metadata, the works it cites
and an ordered list of criteria of four kinds. Built-in protocols live in
``data/protocols/*.toml`` (provenance in ``data/PROVENANCE.md``); a site adds
its own by writing a file and passing its path to :func:`load_protocol` or to
:func:`~theranostix.theranostics.evaluate_eligibility`.

Schema 1
--------
Top level (all required unless marked optional)::

    schema = 1                       # version of this schema
    id = "vision-psma"               # lower-case letters, digits, "-", "_", "."
    version = "1.0"                  # version of the protocol's content
    title = "..."
    tracers = ["psma"]               # fdg | psma | sstr | fapi | other
    therapy = "[177Lu]Lu-PSMA-617"
    date = 2026-01-15                # TOML date the file was written or reviewed
    description = "..."              # optional

    [references.sartor2021]          # at least one; keys cited by `sources`
    citation = "Sartor O et al. ... N Engl J Med 2021;385:1091-1103"
    doi = "10.1056/NEJMoa2107322"    # optional (doi or url or both)
    url = "https://..."              # optional

    [scales.krenning]                # optional; grading scales for `lesion_grade`
    description = "..."
    sources = ["krenning1993"]
    note = "..."                     # optional
    [[scales.krenning.grades]]       # ascending; the first grade has no `when`
    grade = 0
    label = "no uptake"
    [[scales.krenning.grades]]
    grade = 2
    label = "equal to liver"
    when = [{ reference = "liver", statistic = "mean", op = "ge", factor = 0.9 }]

    [[criteria]]                     # at least one, evaluated in order
    id = "psma-positive"
    kind = "lesion_uptake"           # see below
    description = "..."
    sources = ["sartor2021"]         # keys of [references]
    note = "..."                     # optional: how the rule was operationalised
    on_fail = "not_eligible"         # optional: not_eligible (default) | indeterminate | ignore
    on_not_assessed = "indeterminate"  # optional: indeterminate (default) | not_eligible | ignore

Criterion kinds and their fields:

``lesion_uptake``
    Passes when at least ``min_count`` (default 1) PET lesions have ``metric``
    (``suv_max`` | ``suv_peak`` | ``suv_mean``) ``op`` (``gt`` | ``ge`` | ``lt``
    | ``le``) ``factor`` x the ``statistic`` (``mean`` | ``max``) of the
    ``reference`` region; ``locations`` (optional list of organ names) keeps
    only lesions located there.
``comparison_negative``
    Fails when a comparison lesion (seen on CT or FDG PET,
    :class:`ComparisonLesion`) is negative on the theranostic PET (its
    ``suv_max`` ``op`` ``factor`` x reference ``statistic``) and its short axis
    is at least the limit of its category in ``size_limits_mm`` (a table
    ``{ lymph_node = 25.0, ... }``; categories without a limit are not
    considered). Not assessed when no comparison lesions are given.
``lesion_grade``
    Grades each PET lesion's ``metric`` on ``scale`` (a key of ``[scales]``):
    a lesion gets the highest grade whose ``when`` conditions all hold. Passes
    when ``require = "all"`` lesions, ``"any"`` lesion or a ``"fraction"``
    (``fraction`` in (0, 1]) of the lesions have grade >= ``min_grade``. Fails
    without lesions.
``reference_present``
    Passes when every region of ``references`` (list of names, e.g.
    ``["liver"]``) was measured with a finite, positive mean.

Unknown fields are errors (a misspelt field would otherwise be ignored); every
error names the file and the field, e.g. ``site.toml: criteria[1].op: 'eq' is
not one of gt, ge, lt, le``.

References
----------
.. [1] Sartor O, de Bono J, Chi KN, et al. Lutetium-177-PSMA-617 for metastatic
   castration-resistant prostate cancer (VISION). N Engl J Med
   2021;385:1091-1103. doi:10.1056/NEJMoa2107322
.. [2] Strosberg J, El-Haddad G, Wolin E, et al. Phase 3 trial of 177Lu-Dotatate
   for midgut neuroendocrine tumors (NETTER-1). N Engl J Med 2017;376:125-135.
   doi:10.1056/NEJMoa1607427
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import itertools
import math
import operator
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from theranostix._enums import parse_enum
from theranostix._toml import TomlTable
from theranostix.errors import ThxError
from theranostix.segmentation._types import ReferenceRegion, TracerFamily

__all__ = [
    "Citation",
    "ComparisonCategory",
    "ComparisonLesion",
    "ComparisonSource",
    "Criterion",
    "CriterionKind",
    "Effect",
    "EligibilityProtocol",
    "Grade",
    "GradeRequirement",
    "GradeScale",
    "Metric",
    "Operator",
    "ReferenceCondition",
    "Statistic",
    "builtin_protocols",
    "load_protocol",
]

SCHEMA_VERSION = 1
"""The protocol schema this version of theranostix reads."""

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class CriterionKind(enum.Enum):
    """The kinds of criteria a protocol can use (see the module docstring)."""

    LESION_UPTAKE = "lesion_uptake"
    """At least ``min_count`` PET lesions above (or below) a reference threshold."""
    COMPARISON_NEGATIVE = "comparison_negative"
    """No large comparison lesion that is negative on the theranostic PET."""
    LESION_GRADE = "lesion_grade"
    """Lesions graded on a scale (e.g. Krenning), with a requirement on the grades."""
    REFERENCE_PRESENT = "reference_present"
    """The reference regions the protocol needs were measured."""


class Operator(enum.Enum):
    """Comparison of a measured value with a threshold."""

    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"

    @property
    def symbol(self) -> str:
        """``>``, ``>=``, ``<`` or ``<=``."""
        return {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}[self.value]

    def apply(self, value: float, threshold: float) -> bool:
        """Whether ``value <op> threshold``."""
        functions: dict[str, Callable[[float, float], bool]] = {
            "gt": operator.gt,
            "ge": operator.ge,
            "lt": operator.lt,
            "le": operator.le,
        }
        return bool(functions[self.value](value, threshold))


class Metric(enum.Enum):
    """Lesion uptake metric compared by a criterion (attribute of ``LesionMetrics``)."""

    SUV_MAX = "suv_max"
    SUV_PEAK = "suv_peak"
    SUV_MEAN = "suv_mean"


class Statistic(enum.Enum):
    """Statistic of a reference region used as the basis of a threshold."""

    MEAN = "mean"
    MAX = "max"


class GradeRequirement(enum.Enum):
    """Which lesions must reach ``min_grade`` for a ``lesion_grade`` criterion to pass."""

    ALL = "all"
    ANY = "any"
    FRACTION = "fraction"


class Effect(enum.Enum):
    """What a failed or not-assessed criterion does to the verdict."""

    NOT_ELIGIBLE = "not_eligible"
    INDETERMINATE = "indeterminate"
    IGNORE = "ignore"


class ComparisonCategory(enum.Enum):
    """Anatomical category of a comparison lesion (VISION size criteria, see [1]_).

    References
    ----------
    .. [1] Sartor O et al. N Engl J Med 2021;385:1091-1103. doi:10.1056/NEJMoa2107322
    """

    LYMPH_NODE = "lymph_node"
    SOLID_ORGAN = "solid_organ"
    BONE_SOFT_TISSUE = "bone_soft_tissue"
    """Bone lesion with a soft-tissue component (measured on the component)."""
    BONE = "bone"
    """Bone lesion without a measurable soft-tissue component."""


class ComparisonSource(enum.Enum):
    """Where a comparison lesion was seen."""

    CT = "ct"
    FDG = "fdg"


@dataclass(frozen=True)
class Citation:
    """A work a protocol cites.

    Attributes
    ----------
    key : str
        Key used by the criteria's ``sources``.
    citation : str
        Authors, title, journal, year, volume and pages.
    doi : str or None
    url : str or None
    """

    key: str
    citation: str
    doi: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if not self.key.strip():
            raise ThxError("a citation needs a non-empty key")
        if not self.citation.strip():
            raise ThxError(f"citation {self.key!r}: the citation text is empty")

    def __str__(self) -> str:
        tail = f" doi:{self.doi}" if self.doi else (f" {self.url}" if self.url else "")
        return f"{self.citation}{tail}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready citation."""
        return {"key": self.key, "citation": self.citation, "doi": self.doi, "url": self.url}


@dataclass(frozen=True)
class ReferenceCondition:
    """``value <op> factor x <statistic of the reference region>``.

    Attributes
    ----------
    reference : str
        Name of the reference region (``"liver"``, ``"spleen"``, ``"blood_pool"``...).
    statistic : Statistic
    op : Operator
    factor : float
        Non-negative multiplier of the reference statistic.

    Examples
    --------
    >>> c = ReferenceCondition("liver", "mean", "gt", 1.0)
    >>> c.describe("suv_max")
    'suv_max > 1 x liver mean'
    """

    reference: str
    statistic: Statistic
    op: Operator
    factor: float

    def __post_init__(self) -> None:
        if not isinstance(self.reference, str) or not self.reference.strip():
            raise ThxError(f"reference: expected a region name, got {self.reference!r}")
        object.__setattr__(self, "statistic", parse_enum(Statistic, self.statistic, "statistic"))
        object.__setattr__(self, "op", parse_enum(Operator, self.op, "op"))
        factor = self.factor
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            raise ThxError(f"factor: expected a number, got {factor!r}")
        if not math.isfinite(factor) or factor < 0:
            raise ThxError(f"factor: must be a finite number >= 0, got {factor!r}")
        object.__setattr__(self, "factor", float(factor))

    def threshold(self, references: Mapping[str, ReferenceRegion]) -> float | None:
        """``factor`` x the reference statistic, or ``None`` when the region is unusable."""
        basis = reference_statistic(references, self.reference, self.statistic)
        return None if basis is None else self.factor * basis

    def holds(self, value: float, references: Mapping[str, ReferenceRegion]) -> bool | None:
        """Whether ``value`` meets the condition; ``None`` when it cannot be told."""
        threshold = self.threshold(references)
        if threshold is None or not math.isfinite(value):
            return None
        return self.op.apply(value, threshold)

    def describe(self, metric: str) -> str:
        """The condition in words, e.g. ``"suv_max > 1 x liver mean"``."""
        return (
            f"{metric} {self.op.symbol} {self.factor:g} x {self.reference} {self.statistic.value}"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready condition."""
        return {
            "reference": self.reference,
            "statistic": self.statistic.value,
            "op": self.op.value,
            "factor": self.factor,
        }


def reference_statistic(
    references: Mapping[str, ReferenceRegion], name: str, statistic: Statistic
) -> float | None:
    """The ``statistic`` of reference region ``name``; ``None`` if absent, non-finite or <= 0."""
    region = references.get(name)
    if region is None:
        return None
    value = float(region.mean if statistic is Statistic.MEAN else region.max)
    return value if math.isfinite(value) and value > 0 else None


@dataclass(frozen=True)
class Grade:
    """One grade of a :class:`GradeScale`.

    Attributes
    ----------
    grade : int
    label : str
    when : tuple of ReferenceCondition
        All must hold for a lesion to reach this grade (empty for the lowest grade).
    """

    grade: int
    label: str
    when: tuple[ReferenceCondition, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.grade, bool) or not isinstance(self.grade, int):
            raise ThxError(f"grade: expected an integer, got {self.grade!r}")
        object.__setattr__(self, "when", tuple(self.when))


@dataclass(frozen=True)
class GradeScale:
    """An ordered grading scale of lesion uptake relative to reference regions.

    A lesion gets the highest grade whose conditions all hold; the lowest grade
    is the default and has no conditions.

    Attributes
    ----------
    id : str
    description : str
    grades : tuple of Grade
        In increasing order.
    sources : tuple of str
        Citation keys.
    note : str
    """

    id: str
    description: str
    grades: tuple[Grade, ...]
    sources: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        grades = tuple(self.grades)
        object.__setattr__(self, "grades", grades)
        object.__setattr__(self, "sources", tuple(self.sources))
        if len(grades) < 2:
            raise ThxError(f"scale {self.id!r}: grades: a scale needs at least two grades")
        values = [g.grade for g in grades]
        if any(b <= a for a, b in itertools.pairwise(values)):
            raise ThxError(f"scale {self.id!r}: grades: must be strictly increasing, got {values}")
        if grades[0].when:
            raise ThxError(
                f"scale {self.id!r}: grades[0].when: the lowest grade is the default and "
                "takes no conditions"
            )
        for i, g in enumerate(grades[1:], start=1):
            if not g.when:
                raise ThxError(f"scale {self.id!r}: grades[{i}].when: needs at least one condition")

    @property
    def values(self) -> tuple[int, ...]:
        """The grades, lowest first."""
        return tuple(g.grade for g in self.grades)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready scale."""
        return {
            "id": self.id,
            "description": self.description,
            "sources": list(self.sources),
            "note": self.note,
            "grades": [
                {"grade": g.grade, "label": g.label, "when": [c.as_dict() for c in g.when]}
                for g in self.grades
            ],
        }


_COMMON_FIELDS = ("id", "kind", "description", "sources", "note", "on_fail", "on_not_assessed")
_CONDITION_FIELDS = ("op", "factor", "reference", "statistic")
_KIND_FIELDS: dict[CriterionKind, tuple[str, ...]] = {
    CriterionKind.LESION_UPTAKE: ("metric", *_CONDITION_FIELDS, "min_count", "locations"),
    CriterionKind.COMPARISON_NEGATIVE: (*_CONDITION_FIELDS, "size_limits_mm"),
    CriterionKind.LESION_GRADE: ("scale", "metric", "require", "min_grade", "fraction"),
    CriterionKind.REFERENCE_PRESENT: ("references",),
}


@dataclass(frozen=True)
class Criterion:
    """One eligibility criterion of a protocol (see the module docstring for the kinds).

    Strings are accepted for the enum fields and converted; the constructor
    checks that the fields the kind needs are there and valid.

    Attributes
    ----------
    id : str
    kind : CriterionKind
    description : str
    sources : tuple of str
        Citation keys of the protocol's references.
    note : str
        How a published rule was made numeric (choices of this package or the site).
    on_fail, on_not_assessed : Effect
        Effect on the verdict of a failed or a not-assessed criterion.
    metric : Metric or None
        ``lesion_uptake`` and ``lesion_grade``.
    condition : ReferenceCondition or None
        ``lesion_uptake`` (lesions that count) and ``comparison_negative``
        (comparison lesions that are negative on the theranostic PET).
    min_count : int
        ``lesion_uptake``: lesions needed.
    locations : tuple of str
        ``lesion_uptake``: only lesions at these locations count (all when empty).
    size_limits_mm : mapping of ComparisonCategory to float
        ``comparison_negative``: short-axis limit by category.
    scale : GradeScale or None
        ``lesion_grade``.
    require : GradeRequirement or None
        ``lesion_grade``.
    min_grade : int or None
        ``lesion_grade``: a grade of the scale.
    fraction : float or None
        ``lesion_grade`` with ``require = fraction``: the fraction in (0, 1].
    references : tuple of str
        ``reference_present``: region names.
    """

    id: str
    kind: CriterionKind
    description: str
    sources: tuple[str, ...] = ()
    note: str = ""
    on_fail: Effect = Effect.NOT_ELIGIBLE
    on_not_assessed: Effect = Effect.INDETERMINATE
    metric: Metric | None = None
    condition: ReferenceCondition | None = None
    min_count: int = 1
    locations: tuple[str, ...] = ()
    size_limits_mm: Mapping[ComparisonCategory, float] = field(default_factory=dict)
    scale: GradeScale | None = None
    require: GradeRequirement | None = None
    min_grade: int | None = None
    fraction: float | None = None
    references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID_PATTERN.match(self.id):
            raise ThxError(
                f"id: {self.id!r} is not a valid criterion id (lower-case letters, digits, "
                "'-', '_', '.')"
            )
        kind = parse_enum(CriterionKind, self.kind, "kind")
        set_ = functools.partial(object.__setattr__, self)
        set_("kind", kind)
        set_("sources", tuple(self.sources))
        set_("locations", tuple(self.locations))
        set_("references", tuple(self.references))
        set_("on_fail", parse_enum(Effect, self.on_fail, "on_fail"))
        set_("on_not_assessed", parse_enum(Effect, self.on_not_assessed, "on_not_assessed"))
        if self.metric is not None:
            set_("metric", parse_enum(Metric, self.metric, "metric"))
        if self.require is not None:
            set_("require", parse_enum(GradeRequirement, self.require, "require"))
        limits: dict[ComparisonCategory, float] = {}
        for key, value in dict(self.size_limits_mm).items():
            category = parse_enum(ComparisonCategory, key, "size_limits_mm")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ThxError(f"size_limits_mm.{category.value}: expected mm, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ThxError(f"size_limits_mm.{category.value}: must be > 0 mm, got {value!r}")
            limits[category] = float(value)
        set_("size_limits_mm", MappingProxyType(limits))
        {
            CriterionKind.LESION_UPTAKE: self._check_lesion_uptake,
            CriterionKind.COMPARISON_NEGATIVE: self._check_comparison_negative,
            CriterionKind.LESION_GRADE: self._check_lesion_grade,
            CriterionKind.REFERENCE_PRESENT: self._check_reference_present,
        }[kind]()

    def _check_lesion_uptake(self) -> None:
        if self.metric is None:
            raise ThxError("metric: missing (suv_max, suv_peak or suv_mean)")
        if self.condition is None:
            raise ThxError("op/factor/reference/statistic: the uptake condition is missing")
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, int):
            raise ThxError(f"min_count: expected an integer, got {self.min_count!r}")
        if self.min_count < 1:
            raise ThxError(f"min_count: must be >= 1, got {self.min_count}")

    def _check_comparison_negative(self) -> None:
        if self.condition is None:
            raise ThxError("op/factor/reference/statistic: the negativity condition is missing")
        if not self.size_limits_mm:
            raise ThxError("size_limits_mm: needs at least one category with its limit")

    def _check_lesion_grade(self) -> None:
        if self.scale is None:
            raise ThxError("scale: missing")
        if self.metric is None:
            raise ThxError("metric: missing (suv_max, suv_peak or suv_mean)")
        if self.require is None:
            raise ThxError("require: missing (all, any or fraction)")
        if isinstance(self.min_grade, bool) or not isinstance(self.min_grade, int):
            raise ThxError(f"min_grade: expected an integer grade, got {self.min_grade!r}")
        if self.min_grade not in self.scale.values:
            raise ThxError(
                f"min_grade: {self.min_grade} is not a grade of scale {self.scale.id!r} "
                f"({', '.join(map(str, self.scale.values))})"
            )
        if self.require is GradeRequirement.FRACTION:
            fraction = self.fraction
            if isinstance(fraction, bool) or not isinstance(fraction, int | float):
                raise ThxError(f"fraction: expected a number in (0, 1], got {fraction!r}")
            if not 0 < fraction <= 1:
                raise ThxError(f"fraction: must be in (0, 1], got {fraction!r}")
            object.__setattr__(self, "fraction", float(fraction))
        elif self.fraction is not None:
            raise ThxError(
                f"fraction: only used with require = 'fraction', not {self.require.value!r}"
            )

    def _check_reference_present(self) -> None:
        if not self.references or not all(isinstance(r, str) and r for r in self.references):
            raise ThxError(f"references: expected a list of region names, got {self.references!r}")

    def rule(self) -> str:
        """The criterion's rule in words, with its parameters."""
        kind = self.kind
        if kind is CriterionKind.LESION_UPTAKE:
            assert self.condition is not None
            assert self.metric is not None
            where = f" in {', '.join(self.locations)}" if self.locations else ""
            return (
                f"at least {self.min_count} lesion(s){where} with "
                f"{self.condition.describe(self.metric.value)}"
            )
        if kind is CriterionKind.COMPARISON_NEGATIVE:
            assert self.condition is not None
            sizes = ", ".join(f"{c.value} >= {mm:g} mm" for c, mm in self.size_limits_mm.items())
            return (
                f"no comparison lesion with {self.condition.describe('suv_max')} "
                f"and short axis {sizes}"
            )
        if kind is CriterionKind.LESION_GRADE:
            assert self.scale is not None
            assert self.metric is not None
            assert self.require is not None
            if self.require is GradeRequirement.FRACTION:
                which = f"at least {self.fraction or 0.0:.0%} of lesions"
            else:
                which = "all lesions" if self.require is GradeRequirement.ALL else "any lesion"
            return f"{which} with {self.scale.id} grade >= {self.min_grade} ({self.metric.value})"
        return f"reference region(s) {', '.join(self.references)} measured"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready criterion (the fields of its kind)."""
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "description": self.description,
            "sources": list(self.sources),
            "note": self.note,
            "on_fail": self.on_fail.value,
            "on_not_assessed": self.on_not_assessed.value,
            "rule": self.rule(),
        }
        if self.metric is not None:
            out["metric"] = self.metric.value
        if self.condition is not None:
            out.update(self.condition.as_dict())
        if self.kind is CriterionKind.LESION_UPTAKE:
            out["min_count"] = self.min_count
            out["locations"] = list(self.locations)
        if self.size_limits_mm:
            out["size_limits_mm"] = {c.value: mm for c, mm in self.size_limits_mm.items()}
        if self.scale is not None:
            out["scale"] = self.scale.as_dict()
            out["require"] = None if self.require is None else self.require.value
            out["min_grade"] = self.min_grade
            out["fraction"] = self.fraction
        if self.references:
            out["references"] = list(self.references)
        return out


@dataclass(frozen=True)
class EligibilityProtocol:
    """A versioned set of eligibility criteria for one radioligand therapy.

    Attributes
    ----------
    id : str
    version : str
    title : str
    tracers : tuple of TracerFamily
        PET tracers the criteria are written for.
    therapy : str
    date : datetime.date
        When the protocol file was written or last reviewed.
    references : tuple of Citation
    criteria : tuple of Criterion
        In evaluation order.
    description : str
    schema : int
    path : str or None
        The file it was read from (``None`` when built in code).
    modifications : tuple of str
        Changes made with :meth:`with_criterion`, reported with every result.
    """

    id: str
    version: str
    title: str
    tracers: tuple[TracerFamily, ...]
    therapy: str
    date: datetime.date
    references: tuple[Citation, ...]
    criteria: tuple[Criterion, ...]
    description: str = ""
    schema: int = SCHEMA_VERSION
    path: str | None = None
    modifications: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID_PATTERN.match(self.id):
            raise ThxError(
                f"id: {self.id!r} is not a valid protocol id (lower-case letters, digits, "
                "'-', '_', '.')"
            )
        if self.schema != SCHEMA_VERSION:
            raise ThxError(
                f"schema: {self.schema!r} is not supported (this theranostix reads schema "
                f"{SCHEMA_VERSION})"
            )
        tracers = tuple(TracerFamily.parse(t) if isinstance(t, str) else t for t in self.tracers)
        if not tracers or not all(isinstance(t, TracerFamily) for t in tracers):
            raise ThxError(f"tracers: expected at least one tracer, got {self.tracers!r}")
        object.__setattr__(self, "tracers", tracers)
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "modifications", tuple(self.modifications))
        if not self.references:
            raise ThxError("references: a protocol must cite at least one work")
        keys = [c.key for c in self.references]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ThxError(f"references: duplicate key(s) {', '.join(duplicates)}")
        if not self.criteria:
            raise ThxError("criteria: a protocol needs at least one criterion")
        ids = [c.id for c in self.criteria]
        for i, criterion in enumerate(self.criteria):
            if criterion.id in ids[:i]:
                raise ThxError(f"criteria[{i}].id: {criterion.id!r} is used more than once")
            if not criterion.sources:
                raise ThxError(f"criteria[{i}].sources: cite at least one of {', '.join(keys)}")
            cited = [(f"criteria[{i}].sources", key) for key in criterion.sources]
            if criterion.scale is not None:
                where = f"scales.{criterion.scale.id}.sources"
                cited += [(where, key) for key in criterion.scale.sources]
            for where, key in cited:
                if key not in keys:
                    raise ThxError(
                        f"{where}: {key!r} is not a key of [references] ({', '.join(keys)})"
                    )

    def citation(self, key: str) -> Citation:
        """The cited work with ``key``."""
        for c in self.references:
            if c.key == key:
                return c
        raise ThxError(f"protocol {self.id!r} cites no {key!r}")

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with ``criterion_id``; error listing the ids."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        ids = ", ".join(c.id for c in self.criteria)
        raise ThxError(f"protocol {self.id!r} has no criterion {criterion_id!r} (criteria: {ids})")

    def with_criterion(self, criterion_id: str, **changes: Any) -> EligibilityProtocol:
        """A copy with one criterion's fields changed, e.g. ``min_grade=3``.

        The change is validated like a file and recorded in ``modifications``,
        which every result reports as a warning, so a site preference never
        passes for the published protocol.

        Examples
        --------
        >>> p = load_protocol("krenning-sstr").with_criterion("krenning-grade", min_grade=3)
        >>> p.criterion("krenning-grade").min_grade, p.modifications
        (3, ("criterion 'krenning-grade': min_grade=3 (was 2)",))
        """
        old = self.criterion(criterion_id)
        names = {f.name for f in dataclasses.fields(Criterion)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ThxError(
                f"criterion {criterion_id!r}: unknown field(s) {', '.join(unknown)} "
                f"(fields: {', '.join(sorted(names))})"
            )
        try:
            new = dataclasses.replace(old, **changes)
        except ThxError as exc:
            raise ThxError(f"protocol {self.id!r}, criterion {criterion_id!r}: {exc}") from None
        notes = tuple(
            f"criterion {criterion_id!r}: {name}={value!r} (was {getattr(old, name)!r})"
            for name, value in changes.items()
        )
        criteria = tuple(new if c.id == criterion_id else c for c in self.criteria)
        return dataclasses.replace(
            self, criteria=criteria, modifications=self.modifications + notes
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready protocol."""
        return {
            "schema": self.schema,
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "tracers": [t.value for t in self.tracers],
            "therapy": self.therapy,
            "date": self.date.isoformat(),
            "description": self.description,
            "references": [c.as_dict() for c in self.references],
            "criteria": [c.as_dict() for c in self.criteria],
            "path": self.path,
            "modifications": list(self.modifications),
        }


@dataclass(frozen=True)
class ComparisonLesion:
    """A lesion seen on CT or FDG PET, with the theranostic tracer's uptake measured in it.

    Used by ``comparison_negative`` criteria to find disease that the
    theranostic tracer does not reach (e.g. PSMA-negative lesions in VISION).

    Attributes
    ----------
    name : str
    category : ComparisonCategory
        ``lymph_node``, ``solid_organ``, ``bone_soft_tissue`` or ``bone``
        (strings accepted).
    short_axis_mm : float
        Short axis on CT (for ``bone_soft_tissue``, of the soft-tissue component).
    suv_max : float
        Uptake of the theranostic tracer (PSMA/SSTR PET) in the lesion, in the
        unit of the analysed PET image.
    source : ComparisonSource
        ``ct`` or ``fdg`` (strings accepted).
    centroid_mm : tuple of float or None
        LPS centre, for the report.

    Examples
    --------
    >>> node = ComparisonLesion("node_1", "lymph_node", 26.0, 3.1, "ct")
    >>> node.category.value, node.source.value
    ('lymph_node', 'ct')
    """

    name: str
    category: ComparisonCategory
    short_axis_mm: float
    suv_max: float
    source: ComparisonSource = ComparisonSource.CT
    centroid_mm: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ThxError(
                f"comparison lesion name: expected a non-empty string, got {self.name!r}"
            )
        what = f"comparison lesion {self.name!r}"
        object.__setattr__(
            self, "category", parse_enum(ComparisonCategory, self.category, f"{what} category")
        )
        object.__setattr__(
            self, "source", parse_enum(ComparisonSource, self.source, f"{what} source")
        )
        for attr, unit in (("short_axis_mm", "mm"), ("suv_max", "image unit")):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ThxError(f"{what} {attr}: expected a number ({unit}), got {value!r}")
            if not math.isfinite(value) or value < 0 or (attr == "short_axis_mm" and value == 0):
                raise ThxError(f"{what} {attr}: must be a finite number > 0, got {value!r}")
            object.__setattr__(self, attr, float(value))
        if self.centroid_mm is not None:
            centre = tuple(float(v) for v in self.centroid_mm)
            if len(centre) != 3:
                raise ThxError(f"{what} centroid_mm: expected 3 numbers, got {self.centroid_mm!r}")
            object.__setattr__(self, "centroid_mm", centre)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready lesion."""
        return {
            "name": self.name,
            "category": self.category.value,
            "short_axis_mm": self.short_axis_mm,
            "suv_max": self.suv_max,
            "source": self.source.value,
            "centroid_mm": None if self.centroid_mm is None else list(self.centroid_mm),
        }


# ---------------------------------------------------------------------------------- loading


def _read_condition(table: TomlTable) -> ReferenceCondition:
    op = table.choice("op", Operator)
    statistic = table.choice("statistic", Statistic)
    assert op is not None
    assert statistic is not None
    factor = table.number("factor")
    if factor is None or not math.isfinite(factor) or factor < 0:
        raise table.error("factor", f"must be a finite number >= 0, got {factor!r}")
    return ReferenceCondition(table.text("reference"), statistic, op, factor)


def _read_scale(key: str, table: TomlTable) -> GradeScale:
    grades: list[Grade] = []
    for grade_table in table.tables("grades"):
        conditions: list[ReferenceCondition] = []
        if grade_table.has("when"):
            for cond in grade_table.tables("when"):
                conditions.append(_read_condition(cond))
                cond.finish()
        else:
            grade_table.used.add("when")
        value = grade_table.integer("grade")
        assert value is not None
        grades.append(Grade(value, grade_table.text("label"), tuple(conditions)))
        grade_table.finish()
    try:
        scale = GradeScale(
            id=key,
            description=table.text("description"),
            grades=tuple(grades),
            sources=table.strings("sources"),
            note=table.text("note", required=False),
        )
    except ThxError as exc:
        raise ThxError(f"{table.file}: {table.where}: {exc}") from None
    table.finish()
    return scale


def _read_criterion(table: TomlTable, scales: Mapping[str, GradeScale]) -> Criterion:
    kind = table.choice("kind", CriterionKind)
    assert kind is not None
    allowed = (*_COMMON_FIELDS, *_KIND_FIELDS[kind])
    table.finish(allowed)  # unknown fields first: a typo is the likeliest error
    kwargs: dict[str, Any] = {
        "id": table.text("id"),
        "kind": kind,
        "description": table.text("description"),
        "sources": table.strings("sources"),
        "note": table.text("note", required=False),
    }
    for key in ("on_fail", "on_not_assessed"):
        effect = table.choice(key, Effect, required=False)
        if effect is not None:
            kwargs[key] = effect
    if kind in (CriterionKind.LESION_UPTAKE, CriterionKind.LESION_GRADE):
        kwargs["metric"] = table.choice("metric", Metric)
    if kind in (CriterionKind.LESION_UPTAKE, CriterionKind.COMPARISON_NEGATIVE):
        kwargs["condition"] = _read_condition(table)
    if kind is CriterionKind.LESION_UPTAKE:
        min_count = table.integer("min_count", required=False)
        if min_count is not None:
            kwargs["min_count"] = min_count
        kwargs["locations"] = table.strings("locations", required=False)
    elif kind is CriterionKind.COMPARISON_NEGATIVE:
        limits = table.table("size_limits_mm")
        assert limits is not None
        parsed: dict[ComparisonCategory, float] = {}
        for name in list(limits.data):
            try:
                category = parse_enum(ComparisonCategory, name, limits.path(name))
            except ThxError as exc:
                raise ThxError(f"{table.file}: {exc}") from None
            value = limits.number(name)
            assert value is not None
            parsed[category] = value
        kwargs["size_limits_mm"] = parsed
    elif kind is CriterionKind.LESION_GRADE:
        scale_key = table.text("scale")
        if scale_key not in scales:
            known = ", ".join(sorted(scales)) or "none defined"
            raise table.error("scale", f"{scale_key!r} is not a scale of this file ({known})")
        kwargs["scale"] = scales[scale_key]
        kwargs["require"] = table.choice("require", GradeRequirement)
        kwargs["min_grade"] = table.integer("min_grade")
        kwargs["fraction"] = table.number("fraction", required=False)
    else:
        kwargs["references"] = table.strings("references")
    try:
        return Criterion(**kwargs)
    except ThxError as exc:
        raise ThxError(f"{table.file}: {table.where} ({kwargs['id']}): {exc}") from None


def _parse_protocol(data: Mapping[str, Any], file: str, path: str | None) -> EligibilityProtocol:
    top = TomlTable(data, file, "")
    schema = top.integer("schema")
    if schema != SCHEMA_VERSION:
        raise top.error(
            "schema",
            f"{schema!r} is not supported (this theranostix reads schema {SCHEMA_VERSION})",
        )
    tracers: list[TracerFamily] = []
    for i, name in enumerate(top.strings("tracers")):
        try:
            tracers.append(TracerFamily.parse(name))
        except ThxError as exc:
            raise ThxError(f"{file}: tracers[{i}]: {exc}") from None
    date = top.get("date", datetime.date, "a TOML date such as 2026-01-15", required=True)
    if isinstance(date, datetime.datetime):
        raise top.error("date", f"expected a date without a time, got {date!r}")
    references: list[Citation] = []
    ref_table = top.table("references")
    assert ref_table is not None
    for key in list(ref_table.data):
        entry = ref_table.table(key)
        assert entry is not None
        references.append(
            Citation(
                key=key,
                citation=entry.text("citation"),
                doi=entry.text("doi", required=False) or None,
                url=entry.text("url", required=False) or None,
            )
        )
        entry.finish()
    scales: dict[str, GradeScale] = {}
    scale_table = top.table("scales", required=False)
    if scale_table is not None:
        for key in list(scale_table.data):
            sub = scale_table.table(key)
            assert sub is not None
            scales[key] = _read_scale(key, sub)
    criteria = [_read_criterion(t, scales) for t in top.tables("criteria")]
    protocol_id = top.text("id")
    version = top.text("version")
    title = top.text("title")
    therapy = top.text("therapy")
    description = top.text("description", required=False)
    top.finish()
    try:
        return EligibilityProtocol(
            id=protocol_id,
            version=version,
            title=title,
            tracers=tuple(tracers),
            therapy=therapy,
            date=date,
            references=tuple(references),
            criteria=tuple(criteria),
            description=description,
            schema=schema,
            path=path,
        )
    except ThxError as exc:
        raise ThxError(f"{file}: {exc}") from None


def _read_protocol_text(text: str, file: str, path: str | None) -> EligibilityProtocol:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThxError(f"{file}: not valid TOML: {exc}") from None
    return _parse_protocol(data, file, path)


def _protocol_files() -> list[Traversable]:
    folder = resources.files("theranostix.theranostics").joinpath("data", "protocols")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


@functools.lru_cache(maxsize=1)
def _builtin() -> dict[str, EligibilityProtocol]:
    out: dict[str, EligibilityProtocol] = {}
    for entry in _protocol_files():
        label = f"theranostix/theranostics/data/protocols/{entry.name}"
        protocol = _read_protocol_text(entry.read_text(encoding="utf-8"), label, None)
        stem = entry.name.removesuffix(".toml")
        if protocol.id != stem:
            raise ThxError(f"{label}: id: {protocol.id!r} differs from the file name {stem!r}")
        out[protocol.id] = protocol
    return out


def builtin_protocols() -> dict[str, EligibilityProtocol]:
    """The protocols shipped with theranostix, by id.

    ``vision-psma``: PSMA PET selection for [177Lu]Lu-PSMA-617 as in the
    VISION trial [1]_; ``krenning-sstr``: Krenning grade of every lesion on SSTR
    PET before [177Lu]Lu-DOTATATE, uptake at least that of the liver as in
    NETTER-1 [2]_. Sources of every threshold: ``data/PROVENANCE.md``.

    Returns
    -------
    dict of str to EligibilityProtocol

    References
    ----------
    .. [1] Sartor O et al. N Engl J Med 2021;385:1091-1103. doi:10.1056/NEJMoa2107322
    .. [2] Strosberg J et al. N Engl J Med 2017;376:125-135. doi:10.1056/NEJMoa1607427

    Examples
    --------
    >>> sorted(builtin_protocols())
    ['krenning-sstr', 'vision-psma']
    """
    return dict(_builtin())


def load_protocol(
    name_or_path: str | os.PathLike[str] | EligibilityProtocol,
) -> EligibilityProtocol:
    """A protocol by built-in id (``"vision-psma"``) or from a TOML file (schema 1).

    Parameters
    ----------
    name_or_path : str, path-like or EligibilityProtocol
        A built-in id, or the path of a protocol file (a string is a path when
        it ends in ``.toml`` or contains a path separator). A protocol is
        returned as is.

    Returns
    -------
    EligibilityProtocol

    Raises
    ------
    ThxError
        Unknown id (the message lists the built-in ids), unreadable file, or a
        file that breaks the schema (the message names the file and the field).

    Examples
    --------
    >>> p = load_protocol("vision-psma")
    >>> p.therapy, [c.id for c in p.criteria]
    ('[177Lu]Lu-PSMA-617', ['liver-reference', 'psma-positive', 'psma-negative-lesions'])
    """
    if isinstance(name_or_path, EligibilityProtocol):
        return name_or_path
    if isinstance(name_or_path, str) and not (
        name_or_path.endswith(".toml") or "/" in name_or_path or os.sep in name_or_path
    ):
        protocols = _builtin()
        if name_or_path in protocols:
            return protocols[name_or_path]
        raise ThxError(
            f"unknown eligibility protocol {name_or_path!r}; built-in: "
            f"{', '.join(sorted(protocols))}, or give the path of a protocol TOML file"
        )
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ThxError(f"{path}: cannot read the protocol file ({exc.strerror or exc})") from None
    return _read_protocol_text(text, str(path), str(path))

"""Evaluation of an eligibility protocol on an analysed PET scan.

Each criterion of the protocol is evaluated on the scan's lesions, its
reference regions and, optionally, a comparison set of lesions seen on CT or
FDG PET; each gives ``pass``, ``fail`` or ``not_assessed`` with the values it
measured, the thresholds it used and the lesions involved. The verdict follows
from the criteria and the effect the protocol gives to a failed or a
not-assessed criterion (``on_fail``, ``on_not_assessed``):

* ``not_eligible`` when a criterion whose effect is ``not_eligible`` failed or
  was not assessed;
* otherwise ``indeterminate`` when a criterion whose effect is
  ``indeterminate`` failed or was not assessed;
* otherwise ``eligible``.

Thresholds are ratios to reference regions of the same image, so they hold
for SUV and SUL alike.

References
----------
.. [1] Sartor O, de Bono J, Chi KN, et al. Lutetium-177-PSMA-617 for metastatic
   castration-resistant prostate cancer (VISION). N Engl J Med
   2021;385:1091-1103. doi:10.1056/NEJMoa2107322
.. [2] Strosberg J, El-Haddad G, Wolin E, et al. Phase 3 trial of 177Lu-Dotatate
   for midgut neuroendocrine tumors (NETTER-1). N Engl J Med 2017;376:125-135.
   doi:10.1056/NEJMoa1607427
.. [3] Kwekkeboom DJ, Krenning EP. Somatostatin receptor imaging. Semin Nucl Med
   2002;32:84-91. doi:10.1053/snuc.2002.31022
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from theranostix.biomarkers._types import LesionMetrics, PetAnalysis
from theranostix.errors import ThxError
from theranostix.segmentation._types import ReferenceRegion, TracerFamily
from theranostix.theranostics._protocol import (
    Citation,
    ComparisonLesion,
    Criterion,
    CriterionKind,
    Effect,
    EligibilityProtocol,
    GradeRequirement,
    GradeScale,
    Statistic,
    builtin_protocols,
    load_protocol,
    reference_statistic,
)

__all__ = [
    "CriterionResult",
    "CriterionStatus",
    "EligibilityResult",
    "Verdict",
    "default_protocol",
    "evaluate_eligibility",
    "krenning_score",
]

_DEFAULT_PROTOCOLS: dict[TracerFamily, str] = {
    TracerFamily.PSMA: "vision-psma",
    TracerFamily.SSTR: "krenning-sstr",
}


class Verdict(enum.Enum):
    """Outcome of an eligibility evaluation."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    INDETERMINATE = "indeterminate"
    """A criterion that decides the verdict could not be assessed (or the protocol
    says its failure makes the read indeterminate, e.g. a missing liver reference)."""


class CriterionStatus(enum.Enum):
    """Outcome of one criterion."""

    PASS = "pass"
    FAIL = "fail"
    NOT_ASSESSED = "not_assessed"


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class CriterionResult:
    """What one criterion found.

    Attributes
    ----------
    id, description : str
        From the protocol.
    kind : CriterionKind
    status : CriterionStatus
    rule : str
        The rule with its parameters, in words.
    detail : str
        What was found, in one or two sentences.
    values : dict of str to float
        Measured values by lesion name (PET lesions or comparison lesions) or,
        for ``reference_present``, by region name.
    thresholds : dict of str to float
        Thresholds used (image unit), e.g. ``{"1 x liver mean": 5.2}``.
    lesions : tuple of str
        Lesions that meet the per-lesion test: uptake condition
        (``lesion_uptake``), grade >= ``min_grade`` (``lesion_grade``),
        negative and large (``comparison_negative``), or missing regions
        (``reference_present``).
    lesion_grades : dict of str to int
        ``lesion_grade`` only: grade of each lesion.
    sources : tuple of str
        Citation keys of the protocol.
    effect : Effect or None
        Effect on the verdict (``None`` when the criterion passed).
    """

    id: str
    kind: CriterionKind
    description: str
    status: CriterionStatus
    rule: str
    detail: str
    values: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    lesions: tuple[str, ...] = ()
    lesion_grades: dict[str, int] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    effect: Effect | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready result (enum values, lists; non-finite numbers as ``None``)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "description": self.description,
            "status": self.status.value,
            "rule": self.rule,
            "detail": self.detail,
            "values": {k: _json_number(v) for k, v in self.values.items()},
            "thresholds": {k: _json_number(v) for k, v in self.thresholds.items()},
            "lesions": list(self.lesions),
            "lesion_grades": dict(self.lesion_grades),
            "sources": list(self.sources),
            "effect": None if self.effect is None else self.effect.value,
        }


@dataclass(frozen=True)
class EligibilityResult:
    """The verdict of a protocol on one scan, with every criterion.

    Attributes
    ----------
    protocol_id, protocol_version, protocol_title, therapy : str
    references : tuple of Citation
        The works the protocol cites.
    tracer : TracerFamily
        Tracer of the analysed scan.
    verdict : Verdict
    criteria : tuple of CriterionResult
        In protocol order.
    lesion_grades : dict of str to int
        Grade of each lesion from the protocol's first ``lesion_grade`` criterion
        (empty without one).
    reasons : tuple of str
        Why the verdict is not ``eligible``: the criteria that decided it.
    warnings : tuple of str
        Tracer mismatch, protocol modifications, unusable reference regions.
    comparison : tuple of ComparisonLesion
        The comparison set used.
    """

    protocol_id: str
    protocol_version: str
    protocol_title: str
    therapy: str
    references: tuple[Citation, ...]
    tracer: TracerFamily
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    lesion_grades: dict[str, int] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    comparison: tuple[ComparisonLesion, ...] = ()

    @property
    def eligible(self) -> bool:
        """Whether the verdict is ``eligible``."""
        return self.verdict is Verdict.ELIGIBLE

    def criterion(self, criterion_id: str) -> CriterionResult:
        """The result of the criterion with ``criterion_id``."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        ids = ", ".join(c.id for c in self.criteria)
        raise ThxError(f"no criterion {criterion_id!r} in this result (criteria: {ids})")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready result (``json.dumps`` works on it as is)."""
        return {
            "protocol": {
                "id": self.protocol_id,
                "version": self.protocol_version,
                "title": self.protocol_title,
                "therapy": self.therapy,
                "references": [c.as_dict() for c in self.references],
            },
            "tracer": self.tracer.value,
            "verdict": self.verdict.value,
            "reasons": list(self.reasons),
            "criteria": [c.as_dict() for c in self.criteria],
            "lesion_grades": dict(self.lesion_grades),
            "warnings": list(self.warnings),
            "comparison": [c.as_dict() for c in self.comparison],
        }


def krenning_score(
    value: float,
    liver_mean: float,
    spleen_mean: float | None,
    *,
    equal_band: float = 0.10,
    background: float = 0.0,
) -> int:
    """Krenning grade (0-4) of a lesion's uptake relative to liver and spleen.

    The 4-point Krenning scale [1]_ [2]_ was defined visually on planar
    somatostatin receptor scintigraphy: 0 no uptake, 1 lower than normal liver,
    2 equal to liver, 3 greater than liver, 4 greater than spleen. Its numeric
    form here, used with SSTR PET [3]_, is a choice of this package:

    * 0: ``value <= background`` (no uptake);
    * 1: ``value < (1 - equal_band) x liver_mean``;
    * 2: ``(1 - equal_band) x liver_mean <= value <= (1 + equal_band) x liver_mean``;
    * 3: ``value > (1 + equal_band) x liver_mean``;
    * 4: grade 3 and ``value > spleen_mean``.

    The built-in ``krenning-sstr`` protocol encodes the same scale as data.

    Parameters
    ----------
    value : float
        Lesion uptake, usually SUVmax.
    liver_mean : float
        Mean of the normal-liver reference (same unit), > 0.
    spleen_mean : float or None
        Mean of the spleen reference (> 0); ``None`` without a spleen (e.g.
        splenectomy), which caps the grade at 3.
    equal_band : float, optional
        Half-width of "equal to liver" as a fraction of the liver mean, in
        [0, 1) (default 0.10, i.e. within ±10 %).
    background : float, optional
        Uptake at or below which the lesion is graded 0 (default 0).

    Returns
    -------
    int
        The grade, 0 to 4.

    References
    ----------
    .. [1] Krenning EP, Kwekkeboom DJ, Bakker WH, et al. Somatostatin receptor
       scintigraphy with [111In-DTPA-D-Phe1]- and [123I-Tyr3]-octreotide: the
       Rotterdam experience with more than 1000 patients. Eur J Nucl Med
       1993;20:716-731. doi:10.1007/BF00181765
    .. [2] Kwekkeboom DJ, Krenning EP. Somatostatin receptor imaging. Semin Nucl
       Med 2002;32:84-91. doi:10.1053/snuc.2002.31022
    .. [3] Hope TA, Allen-Auerbach M, Bodei L, et al. SNMMI procedure
       standard/EANM practice guideline for SSTR PET: imaging neuroendocrine
       tumors. J Nucl Med 2023;64:204-210. doi:10.2967/jnumed.122.264860

    Examples
    --------
    >>> krenning_score(4.0, liver_mean=10.0, spleen_mean=20.0)
    1
    >>> krenning_score(9.0, 10.0, 20.0), krenning_score(11.0, 10.0, 20.0)
    (2, 2)
    >>> krenning_score(11.5, 10.0, 20.0), krenning_score(20.5, 10.0, 20.0)
    (3, 4)
    >>> krenning_score(20.5, 10.0, None)
    3
    >>> krenning_score(0.0, 10.0, 20.0)
    0
    """
    for name, number in (("value", value), ("liver_mean", liver_mean)):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ThxError(f"{name}: expected a number, got {number!r}")
        if not math.isfinite(number):
            raise ThxError(f"{name}: must be finite, got {number!r}")
    if liver_mean <= 0:
        raise ThxError(f"liver_mean: must be > 0, got {liver_mean!r}")
    if spleen_mean is not None and not (math.isfinite(spleen_mean) and spleen_mean > 0):
        raise ThxError(f"spleen_mean: must be > 0 or None, got {spleen_mean!r}")
    if not 0 <= equal_band < 1:
        raise ThxError(f"equal_band: must be in [0, 1), got {equal_band!r}")
    if value <= background:
        return 0
    upper = (1 + equal_band) * liver_mean
    if value > upper:
        return 4 if spleen_mean is not None and value > spleen_mean else 3
    return 2 if value >= (1 - equal_band) * liver_mean else 1


def default_protocol(tracer: TracerFamily | str) -> EligibilityProtocol | None:
    """The built-in protocol for a tracer: psma -> ``vision-psma``, sstr -> ``krenning-sstr``.

    Parameters
    ----------
    tracer : TracerFamily or str

    Returns
    -------
    EligibilityProtocol or None
        ``None`` for tracers without a built-in protocol (fdg, fapi, other).

    Examples
    --------
    >>> default_protocol("psma").id, default_protocol("fdg") is None
    ('vision-psma', True)
    """
    family = TracerFamily.parse(tracer)
    name = _DEFAULT_PROTOCOLS.get(family)
    return None if name is None else builtin_protocols()[name]


def _reference_thresholds(
    references: Mapping[str, ReferenceRegion], scale: GradeScale
) -> dict[str, float]:
    out: dict[str, float] = {}
    for grade in scale.grades:
        for cond in grade.when:
            threshold = cond.threshold(references)
            if threshold is not None:
                key = f"grade {grade.grade}: {cond.op.symbol} {cond.factor:g} x {cond.reference}"
                out[f"{key} {cond.statistic.value}"] = threshold
    return out


def _grade(
    value: float, scale: GradeScale, references: Mapping[str, ReferenceRegion]
) -> tuple[int, bool]:
    """The highest grade whose conditions hold, and whether it is exact.

    Not exact when a higher grade could not be ruled out (a condition could not
    be evaluated: missing reference or non-finite value): the true grade is at
    least the one returned.
    """
    exact = True
    for grade in reversed(scale.grades):
        outcomes = [cond.holds(value, references) for cond in grade.when]
        if all(o is True for o in outcomes):
            return grade.grade, exact
        if not any(o is False for o in outcomes):
            exact = False
    return scale.grades[0].grade, exact  # pragma: no cover - the lowest grade always holds


def _metric_value(lesion: LesionMetrics, metric: str) -> float:
    return float(getattr(lesion, metric))


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _lesion_uptake(
    criterion: Criterion, analysis: PetAnalysis
) -> tuple[CriterionStatus, str, dict[str, Any]]:
    cond = criterion.condition
    assert cond is not None
    assert criterion.metric is not None
    metric = criterion.metric.value
    threshold = cond.threshold(analysis.references)
    values = {lesion.name: _metric_value(lesion, metric) for lesion in analysis.lesions}
    if threshold is None:
        detail = f"reference {cond.reference!r} is missing or unusable; lesion uptake not compared"
        return CriterionStatus.NOT_ASSESSED, detail, {"values": values}
    basis = f"{cond.factor:g} x {cond.reference} {cond.statistic.value}"
    definite: list[str] = []
    unknown: list[str] = []
    considered = 0
    for lesion in analysis.lesions:
        located = not criterion.locations or lesion.location in criterion.locations
        if criterion.locations and lesion.location is not None and not located:
            continue
        considered += 1
        holds = cond.holds(values[lesion.name], analysis.references)
        if holds is False:
            continue
        if holds is None or (lesion.location is None and criterion.locations):
            unknown.append(lesion.name)
        else:
            definite.append(lesion.name)
    if len(definite) >= criterion.min_count:
        status = CriterionStatus.PASS
    elif len(definite) + len(unknown) < criterion.min_count:
        status = CriterionStatus.FAIL
    else:
        status = CriterionStatus.NOT_ASSESSED
    where = f" in {', '.join(criterion.locations)}" if criterion.locations else ""
    detail = (
        f"{len(definite)} of {considered} lesion(s){where} with {metric} {cond.op.symbol} "
        f"{_fmt(threshold)} ({basis}); at least {criterion.min_count} required"
    )
    if definite:
        detail += f": {', '.join(definite)}"
    if unknown:
        detail += f"; {len(unknown)} more undecided (no location or no value): {', '.join(unknown)}"
    if not analysis.lesions:
        detail = f"no lesions; at least {criterion.min_count} with {metric} {cond.op.symbol} "
        detail += f"{_fmt(threshold)} ({basis}) required"
    return (
        status,
        detail,
        {
            "values": values,
            "thresholds": {basis: threshold},
            "lesions": tuple(definite),
        },
    )


def _comparison_negative(
    criterion: Criterion, analysis: PetAnalysis, comparison: tuple[ComparisonLesion, ...]
) -> tuple[CriterionStatus, str, dict[str, Any]]:
    cond = criterion.condition
    assert cond is not None
    if not comparison:
        detail = (
            "no comparison lesions (CT or FDG PET) were given: disease negative on this PET "
            "cannot be assessed"
        )
        return CriterionStatus.NOT_ASSESSED, detail, {}
    values = {c.name: c.suv_max for c in comparison}
    threshold = cond.threshold(analysis.references)
    if threshold is None:
        detail = f"reference {cond.reference!r} is missing or unusable; negativity not assessed"
        return CriterionStatus.NOT_ASSESSED, detail, {"values": values}
    basis = f"{cond.factor:g} x {cond.reference} {cond.statistic.value}"
    offending: list[str] = []
    negative_small: list[str] = []
    not_considered: list[str] = []
    findings: list[str] = []
    for lesion in comparison:
        limit = criterion.size_limits_mm.get(lesion.category)
        if limit is None:
            not_considered.append(lesion.name)
            continue
        if not cond.op.apply(lesion.suv_max, threshold):
            continue
        if lesion.short_axis_mm >= limit:
            offending.append(lesion.name)
            findings.append(
                f"{lesion.name} ({lesion.category.value}, {lesion.source.value}): short axis "
                f"{lesion.short_axis_mm:g} mm >= {limit:g} mm, suv_max {_fmt(lesion.suv_max)} "
                f"{cond.op.symbol} {_fmt(threshold)}"
            )
        else:
            negative_small.append(lesion.name)
    if offending:
        status = CriterionStatus.FAIL
        detail = f"{len(offending)} negative lesion(s) meeting the size criteria: " + "; ".join(
            findings
        )
    else:
        status = CriterionStatus.PASS
        detail = (
            f"none of {len(comparison)} comparison lesion(s) is both negative "
            f"(suv_max {cond.op.symbol} {_fmt(threshold)}, {basis}) and at the size limit"
        )
    if negative_small:
        detail += f"; negative but below the size limit: {', '.join(negative_small)}"
    if not_considered:
        detail += f"; category without a size limit, not considered: {', '.join(not_considered)}"
    return (
        status,
        detail,
        {
            "values": values,
            "thresholds": {basis: threshold},
            "lesions": tuple(offending),
        },
    )


def _lesion_grade(
    criterion: Criterion, analysis: PetAnalysis
) -> tuple[CriterionStatus, str, dict[str, Any]]:
    scale = criterion.scale
    assert scale is not None
    assert criterion.metric is not None
    assert criterion.min_grade is not None
    metric = criterion.metric.value
    min_grade = criterion.min_grade
    values = {lesion.name: _metric_value(lesion, metric) for lesion in analysis.lesions}
    thresholds = _reference_thresholds(analysis.references, scale)
    if not analysis.lesions:
        detail = f"no lesions to grade on the {scale.id} scale"
        return CriterionStatus.FAIL, detail, {"thresholds": thresholds}
    grades: dict[str, int] = {}
    reached: list[str] = []
    below: list[str] = []
    uncertain: list[str] = []
    for lesion in analysis.lesions:
        grade, exact = _grade(values[lesion.name], scale, analysis.references)
        grades[lesion.name] = grade
        if grade >= min_grade:
            reached.append(lesion.name)
        elif exact:
            below.append(lesion.name)
        else:
            uncertain.append(lesion.name)
    n = len(analysis.lesions)
    require = criterion.require
    if require is GradeRequirement.ALL:
        passed, failed = not below and not uncertain, bool(below)
        need = f"all {n}"
    elif require is GradeRequirement.ANY:
        passed, failed = bool(reached), not reached and not uncertain
        need = "at least 1"
    else:
        assert criterion.fraction is not None
        fraction = criterion.fraction
        passed = len(reached) >= fraction * n
        failed = len(reached) + len(uncertain) < fraction * n
        need = f"at least {fraction:.0%} of {n}"
    status = (
        CriterionStatus.PASS
        if passed
        else CriterionStatus.FAIL
        if failed
        else CriterionStatus.NOT_ASSESSED
    )
    listing = ", ".join(f"{name} {grade}" for name, grade in grades.items())
    detail = (
        f"{len(reached)} of {n} lesion(s) with {scale.id} grade >= {min_grade} "
        f"({need} required); grades ({metric}): {listing}"
    )
    if below:
        detail += f"; below grade {min_grade}: {', '.join(below)}"
    if uncertain:
        detail += f"; grade not decidable (missing reference or value): {', '.join(uncertain)}"
    return (
        status,
        detail,
        {
            "values": values,
            "thresholds": thresholds,
            "lesions": tuple(reached),
            "lesion_grades": grades,
        },
    )


def _reference_present(
    criterion: Criterion, analysis: PetAnalysis
) -> tuple[CriterionStatus, str, dict[str, Any]]:
    values: dict[str, float] = {}
    missing: list[str] = []
    for name in criterion.references:
        mean = reference_statistic(analysis.references, name, Statistic.MEAN)
        if mean is None:
            missing.append(name)
        else:
            values[name] = mean
    if missing:
        available = ", ".join(sorted(analysis.references)) or "none"
        detail = f"missing or unusable reference region(s): {', '.join(missing)} (measured: "
        detail += f"{available})"
        return CriterionStatus.FAIL, detail, {"values": values, "lesions": tuple(missing)}
    listing = ", ".join(f"{name} mean {_fmt(v)}" for name, v in values.items())
    return CriterionStatus.PASS, f"measured: {listing}", {"values": values}


def _evaluate_criterion(
    criterion: Criterion, analysis: PetAnalysis, comparison: tuple[ComparisonLesion, ...]
) -> CriterionResult:
    kind = criterion.kind
    if kind is CriterionKind.LESION_UPTAKE:
        status, detail, extra = _lesion_uptake(criterion, analysis)
    elif kind is CriterionKind.COMPARISON_NEGATIVE:
        status, detail, extra = _comparison_negative(criterion, analysis, comparison)
    elif kind is CriterionKind.LESION_GRADE:
        status, detail, extra = _lesion_grade(criterion, analysis)
    else:
        status, detail, extra = _reference_present(criterion, analysis)
    effect = {
        CriterionStatus.PASS: None,
        CriterionStatus.FAIL: criterion.on_fail,
        CriterionStatus.NOT_ASSESSED: criterion.on_not_assessed,
    }[status]
    return CriterionResult(
        id=criterion.id,
        kind=kind,
        description=criterion.description,
        status=status,
        rule=criterion.rule(),
        detail=detail,
        sources=criterion.sources,
        effect=effect,
        **extra,
    )


def _check_comparison(comparison: Iterable[ComparisonLesion]) -> tuple[ComparisonLesion, ...]:
    if isinstance(comparison, ComparisonLesion):
        return (comparison,)
    items = tuple(comparison)
    for i, item in enumerate(items):
        if not isinstance(item, ComparisonLesion):
            raise ThxError(
                f"comparison[{i}]: expected a ComparisonLesion, got {type(item).__name__}"
            )
    names = [c.name for c in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ThxError(f"comparison: lesion name(s) used more than once: {', '.join(duplicates)}")
    return items


def evaluate_eligibility(
    analysis: PetAnalysis,
    protocol: EligibilityProtocol | str | os.PathLike[str] | None = None,
    *,
    comparison: Iterable[ComparisonLesion] = (),
) -> EligibilityResult:
    """Whether an analysed PET scan allows a radioligand therapy, criterion by criterion.

    Parameters
    ----------
    analysis : PetAnalysis
        The theranostic PET (PSMA, SSTR...), its lesions and reference regions.
    protocol : EligibilityProtocol, str, path-like or None, optional
        A protocol, a built-in id (``"vision-psma"``, ``"krenning-sstr"``) or
        the path of a protocol TOML file; ``None`` for the default of the
        scan's tracer (:func:`default_protocol`).
    comparison : iterable of ComparisonLesion, optional
        Lesions seen on CT or FDG PET with the theranostic tracer's uptake
        measured in them, for ``comparison_negative`` criteria (VISION's
        PSMA-negative lesions [1]_). Without them such criteria are
        ``not_assessed`` and the protocol decides what that does.

    Returns
    -------
    EligibilityResult

    Raises
    ------
    ThxError
        No protocol given and none is built in for the tracer (the message names
        the tracer and the available protocols); a bad protocol file; a
        comparison item that is not a :class:`ComparisonLesion`.

    Notes
    -----
    The built-in protocols follow VISION [1]_ (at least one lesion with SUVmax
    above the liver SUVmean; no PSMA-negative lesion, uptake <= liver, of
    short axis >= 1.0 cm in a solid organ, >= 2.5 cm in a lymph node or
    >= 1.0 cm for the soft-tissue part of a bone lesion) and NETTER-1 [2]_ (all
    lesions with uptake at least that of normal liver, Krenning grade >= 2 [3]_,
    see :func:`krenning_score`).

    References
    ----------
    .. [1] Sartor O et al. N Engl J Med 2021;385:1091-1103. doi:10.1056/NEJMoa2107322
    .. [2] Strosberg J et al. N Engl J Med 2017;376:125-135. doi:10.1056/NEJMoa1607427
    .. [3] Kwekkeboom DJ, Krenning EP. Semin Nucl Med 2002;32:84-91.
       doi:10.1053/snuc.2002.31022
    """
    if not isinstance(analysis, PetAnalysis):
        raise ThxError(f"analysis: expected a PetAnalysis, got {type(analysis).__name__}")
    tracer = analysis.tracer
    if protocol is None:
        chosen = default_protocol(tracer)
        if chosen is None:
            available = ", ".join(sorted(builtin_protocols()))
            raise ThxError(
                f"no default eligibility protocol for tracer {tracer.value!r}; choose one of "
                f"{available} or give the path of a protocol TOML file"
            )
    else:
        chosen = load_protocol(protocol)
    items = _check_comparison(comparison)
    warnings: list[str] = []
    if tracer not in chosen.tracers:
        written = ", ".join(t.value for t in chosen.tracers)
        warnings.append(
            f"protocol {chosen.id!r} is written for {written} PET; this scan's tracer is "
            f"{tracer.value}"
        )
    warnings.extend(f"protocol modified: {m}" for m in chosen.modifications)
    for name, region in sorted(analysis.references.items()):
        if not (math.isfinite(region.mean) and region.mean > 0):
            warnings.append(f"reference region {name!r} has mean {region.mean!r}; not used")
    results = tuple(_evaluate_criterion(c, analysis, items) for c in chosen.criteria)
    decisive: dict[Effect, list[str]] = {Effect.NOT_ELIGIBLE: [], Effect.INDETERMINATE: []}
    for r in results:
        if r.effect in decisive:
            decisive[r.effect].append(f"{r.id}: {r.status.value.replace('_', ' ')} ({r.detail})")
    if decisive[Effect.NOT_ELIGIBLE]:
        verdict = Verdict.NOT_ELIGIBLE
    elif decisive[Effect.INDETERMINATE]:
        verdict = Verdict.INDETERMINATE
    else:
        verdict = Verdict.ELIGIBLE
    grades = next(
        (dict(r.lesion_grades) for r in results if r.kind is CriterionKind.LESION_GRADE), {}
    )
    return EligibilityResult(
        protocol_id=chosen.id,
        protocol_version=chosen.version,
        protocol_title=chosen.title,
        therapy=chosen.therapy,
        references=chosen.references,
        tracer=tracer,
        verdict=verdict,
        criteria=results,
        lesion_grades=grades,
        reasons=tuple(decisive[Effect.NOT_ELIGIBLE] + decisive[Effect.INDETERMINATE]),
        warnings=tuple(warnings),
        comparison=items,
    )

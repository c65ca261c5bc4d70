"""Treatment response between two PET scans: lesion matching, PERCIST 1.0 and EORTC 1999.

A response compares a baseline :class:`~theranostix.biomarkers.PetAnalysis`
with a follow-up one. Lesions are paired across the scans by the distance of
their centroids (:func:`match_lesions`); each set of criteria is a function
``(baseline, followup, **options) -> ResponseResult`` registered in
:data:`RESPONSE_CRITERIA`, and :func:`assess_response` dispatches by name.

- :func:`percist_response` works in SUL (SUV normalised by lean body mass) on
  the hottest lesion of each scan by SULpeak, with the liver (or blood-pool)
  measurability threshold, new lesions, the increase in TLG and the quality
  checks of the protocol [1]_ [2]_.
- :func:`eortc_response` works in SUVmax of the baseline's hottest lesions and
  their matches in the follow-up [3]_.

References
----------
.. [1] Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST: evolving
   considerations for PET response criteria in solid tumors. J Nucl Med
   2009;50 Suppl 1:122S-150S. doi:10.2967/jnumed.108.057307
.. [2] O JH, Lodge MA, Wahl RL. Practical PERCIST: a simplified guide to PET
   response criteria in solid tumors 1.0. Radiology 2016;280:576-584.
   doi:10.1148/radiol.2016142043
.. [3] Young H, Baum R, Cremerius U, et al. Measurement of clinical and
   subclinical tumour response using [18F]-fluorodeoxyglucose and positron
   emission tomography: review and 1999 EORTC recommendations. Eur J Cancer
   1999;35:1773-1782. doi:10.1016/S0959-8049(99)00229-4
.. [4] Kuhn HW. The Hungarian method for the assignment problem. Naval Res
   Logist Q 1955;2:83-97. doi:10.1002/nav.3800020109
"""

from __future__ import annotations

import enum
import inspect
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theranostix.biomarkers._types import LesionMetrics, PetAnalysis
from theranostix.errors import ThxError
from theranostix.imaging._suv import (
    SuvNormalization,
    body_surface_area_dubois_m2,
    ideal_body_weight_kg,
    lean_body_mass_james_kg,
)

__all__ = [
    "RESPONSE_CRITERIA",
    "LesionMatch",
    "ResponseCategory",
    "ResponseResult",
    "assess_response",
    "eortc_response",
    "match_lesions",
    "percist_response",
]

# Relative tolerance of the threshold comparisons, so that a change computed as
# 29.999999999999996 % counts as the 30 % it is.
_TOLERANCE = 1e-9

# PERCIST 1.0 measurability: 1.5 x liver SULmean + 2 SD (3 cm sphere in the right
# lobe), or 2.0 x blood-pool SULmean + 2 SD (descending aorta) when the liver is
# abnormal (Wahl 2009, Appendix "Minimum metabolically measurable target lesion").
_LIVER_FACTOR = 1.5
_BLOOD_POOL_FACTOR = 2.0
_SD_FACTOR = 2.0

# PERCIST 1.0 comparability of the two scans (Wahl 2009, Appendix; O 2016, Table 1).
_REFERENCE_MAX_CHANGE = 0.20
_REFERENCE_MAX_CHANGE_SUL = 0.3
_UPTAKE_TIME_MAX_DIFFERENCE_S = 15 * 60.0
_ACTIVITY_MAX_CHANGE = 0.20


class ResponseCategory(enum.Enum):
    """Metabolic response categories shared by PERCIST 1.0 and EORTC 1999."""

    CMR = "CMR"
    """Complete metabolic response."""
    PMR = "PMR"
    """Partial metabolic response."""
    SMD = "SMD"
    """Stable metabolic disease."""
    PMD = "PMD"
    """Progressive metabolic disease."""
    NE = "NE"
    """Not evaluable (no measurable disease at baseline)."""


@dataclass(frozen=True)
class LesionMatch:
    """One lesion followed from the baseline to the follow-up scan.

    A pair has both labels; a lesion seen only at baseline (disappeared) has
    ``followup_label=None``, one seen only at follow-up (new) ``baseline_label=None``.
    Values are in the image unit of the analyses (SUV or SUL), or in SUL when the
    match belongs to a PERCIST result; changes are follow-up minus baseline, and
    percentages are relative to baseline (``None`` when a side is missing or the
    baseline is 0).

    Attributes
    ----------
    baseline_label, followup_label : int or None
        Lesion labels in each scan.
    distance_mm : float or None
        Distance between the centroids after the translation of the follow-up.
    suv_peak_baseline, suv_peak_followup : float or None
    suv_peak_change, suv_peak_change_pct : float or None
    suv_max_baseline, suv_max_followup : float or None
    suv_max_change, suv_max_change_pct : float or None
    mtv_baseline_ml, mtv_followup_ml : float or None
    mtv_change_ml, mtv_change_pct : float or None
    """

    baseline_label: int | None
    followup_label: int | None
    distance_mm: float | None
    suv_peak_baseline: float | None
    suv_peak_followup: float | None
    suv_peak_change: float | None
    suv_peak_change_pct: float | None
    suv_max_baseline: float | None
    suv_max_followup: float | None
    suv_max_change: float | None
    suv_max_change_pct: float | None
    mtv_baseline_ml: float | None
    mtv_followup_ml: float | None
    mtv_change_ml: float | None
    mtv_change_pct: float | None

    @property
    def status(self) -> str:
        """``"matched"``, ``"disappeared"`` (baseline only) or ``"new"`` (follow-up only)."""
        if self.baseline_label is None:
            return "new"
        if self.followup_label is None:
            return "disappeared"
        return "matched"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values, with ``status``."""
        return {
            "status": self.status,
            "baseline_label": self.baseline_label,
            "followup_label": self.followup_label,
            "distance_mm": self.distance_mm,
            "suv_peak_baseline": self.suv_peak_baseline,
            "suv_peak_followup": self.suv_peak_followup,
            "suv_peak_change": self.suv_peak_change,
            "suv_peak_change_pct": self.suv_peak_change_pct,
            "suv_max_baseline": self.suv_max_baseline,
            "suv_max_followup": self.suv_max_followup,
            "suv_max_change": self.suv_max_change,
            "suv_max_change_pct": self.suv_max_change_pct,
            "mtv_baseline_ml": self.mtv_baseline_ml,
            "mtv_followup_ml": self.mtv_followup_ml,
            "mtv_change_ml": self.mtv_change_ml,
            "mtv_change_pct": self.mtv_change_pct,
        }


@dataclass(frozen=True)
class ResponseResult:
    """The response category between two scans and the numbers it rests on.

    Attributes
    ----------
    criteria : str
        Name of the criteria (a key of :data:`RESPONSE_CRITERIA`).
    category : ResponseCategory
    unit : str
        Unit of the target values (``"SUL"``, ``"SUV (bw)"``...).
    baseline_value, followup_value : float or None
        The target measure in each scan (PERCIST: SULpeak of the hottest lesion;
        EORTC: sum of SUVmax of the target lesions). ``None`` when a scan has no
        lesion to measure.
    change, change_pct : float or None
        ``followup_value - baseline_value`` and the same in % of baseline.
    baseline_targets, followup_targets : tuple of int
        Labels of the lesions measured in each scan.
    new_lesions : tuple of int
        Follow-up labels of the lesions counted as new.
    matches : tuple of LesionMatch
        All lesions of both scans, paired where possible.
    baseline_threshold, followup_threshold : float or None
        Measurability thresholds (PERCIST), in ``unit``.
    reasons : tuple of str
        Why the category was given, in words.
    warnings : tuple of str
        Quality checks that failed (the scans may not be comparable).
    secondary : dict
        Secondary analyses (PERCIST: sum of SULpeak of up to 5 lesions and TLG;
        EORTC: the single hottest lesion), JSON-ready values.
    """

    criteria: str
    category: ResponseCategory
    unit: str
    baseline_value: float | None
    followup_value: float | None
    change: float | None
    change_pct: float | None
    baseline_targets: tuple[int, ...]
    followup_targets: tuple[int, ...]
    new_lesions: tuple[int, ...]
    matches: tuple[LesionMatch, ...]
    baseline_threshold: float | None = None
    followup_threshold: float | None = None
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    secondary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready result: lists instead of tuples, enum values instead of enums."""
        return {
            "criteria": self.criteria,
            "category": self.category.value,
            "unit": self.unit,
            "baseline_value": self.baseline_value,
            "followup_value": self.followup_value,
            "change": self.change,
            "change_pct": self.change_pct,
            "baseline_targets": list(self.baseline_targets),
            "followup_targets": list(self.followup_targets),
            "new_lesions": list(self.new_lesions),
            "matches": [m.as_dict() for m in self.matches],
            "baseline_threshold": self.baseline_threshold,
            "followup_threshold": self.followup_threshold,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "secondary": _jsonable(self.secondary),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------- helpers
def _change_pct(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before == 0:
        return None
    return (after - before) / before * 100.0


def _change(before: float | None, after: float | None) -> float | None:
    if before is None or after is None:
        return None
    return after - before


def _at_least(value: float, limit: float) -> bool:
    return value >= limit - _TOLERANCE * max(1.0, abs(limit))


def _more_than(value: float, limit: float) -> bool:
    return value > limit + _TOLERANCE * max(1.0, abs(limit))


def _positive(value: float, name: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ThxError(f"{name} must be a positive number, got {value!r}")
    return number


def _count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ThxError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def _vector(value: Sequence[float], name: str) -> tuple[float, float, float]:
    arr = np.asarray(value, dtype=float).reshape(-1)
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise ThxError(f"{name} must be three finite numbers (LPS mm), got {value!r}")
    return (float(arr[0]), float(arr[1]), float(arr[2]))


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _hottest(
    lesions: Iterable[LesionMetrics],
    key: Callable[[LesionMetrics], float],
    max_lesions: int,
    max_per_organ: int | None = None,
) -> list[LesionMetrics]:
    """Up to ``max_lesions`` hottest lesions by ``key``, at most ``max_per_organ`` per location.

    Lesions without a location (``None``, no organ masks) are not limited per organ.
    """
    chosen: list[LesionMetrics] = []
    per_organ: Counter[str] = Counter()
    for lesion in sorted(lesions, key=lambda les: (-key(les), les.label)):
        if len(chosen) >= max_lesions:
            break
        if max_per_organ is not None and lesion.location is not None:
            if per_organ[lesion.location] >= max_per_organ:
                continue
            per_organ[lesion.location] += 1
        chosen.append(lesion)
    return chosen


# --------------------------------------------------------------------------- matching
def _liver_translation_mm(baseline: PetAnalysis, followup: PetAnalysis) -> tuple[float, ...]:
    before = baseline.references.get("liver")
    after = followup.references.get("liver")
    if before is None or after is None or before.center_mm is None or after.center_mm is None:
        return (0.0, 0.0, 0.0)
    return tuple(float(b - a) for b, a in zip(before.center_mm, after.center_mm, strict=True))


def _match(
    baseline: PetAnalysis,
    followup: PetAnalysis,
    max_distance_mm: float,
    translation_mm: Sequence[float] | None,
    baseline_factor: float = 1.0,
    followup_factor: float = 1.0,
) -> tuple[LesionMatch, ...]:
    max_distance = _positive(max_distance_mm, "max_distance_mm")
    shift = _vector(
        _liver_translation_mm(baseline, followup) if translation_mm is None else translation_mm,
        "translation_mm",
    )
    before, after = baseline.lesions, followup.lesions
    pairs: dict[int, tuple[int, float]] = {}
    if before and after:
        from scipy.optimize import linear_sum_assignment

        pb = np.array([les.centroid_mm for les in before], dtype=float)
        pf = np.array([les.centroid_mm for les in after], dtype=float) + np.asarray(shift)
        distance = np.linalg.norm(pb[:, None, :] - pf[None, :, :], axis=-1)
        allowed = distance <= max_distance
        # A forbidden pair costs more than any set of allowed pairs, so the assignment
        # first maximises the number of allowed pairs, then minimises their total distance.
        forbidden = max_distance * (min(len(before), len(after)) + 1.0)
        rows, cols = linear_sum_assignment(np.where(allowed, distance, forbidden))
        for r, c in zip(rows, cols, strict=True):
            if allowed[r, c]:
                pairs[int(r)] = (int(c), float(distance[r, c]))

    matches: list[LesionMatch] = []
    used: set[int] = set()
    for i, lesion in enumerate(before):
        paired = pairs.get(i)
        if paired is None:
            matches.append(_lesion_match(lesion, None, None, baseline_factor, followup_factor))
        else:
            used.add(paired[0])
            matches.append(
                _lesion_match(lesion, after[paired[0]], paired[1], baseline_factor, followup_factor)
            )
    for j, lesion in enumerate(after):
        if j not in used:
            matches.append(_lesion_match(None, lesion, None, baseline_factor, followup_factor))
    return tuple(matches)


def _lesion_match(
    before: LesionMetrics | None,
    after: LesionMetrics | None,
    distance_mm: float | None,
    baseline_factor: float,
    followup_factor: float,
) -> LesionMatch:
    peak_b = None if before is None else before.suv_peak * baseline_factor
    peak_f = None if after is None else after.suv_peak * followup_factor
    max_b = None if before is None else before.suv_max * baseline_factor
    max_f = None if after is None else after.suv_max * followup_factor
    mtv_b = None if before is None else before.mtv_ml
    mtv_f = None if after is None else after.mtv_ml
    return LesionMatch(
        baseline_label=None if before is None else before.label,
        followup_label=None if after is None else after.label,
        distance_mm=distance_mm,
        suv_peak_baseline=peak_b,
        suv_peak_followup=peak_f,
        suv_peak_change=_change(peak_b, peak_f),
        suv_peak_change_pct=_change_pct(peak_b, peak_f),
        suv_max_baseline=max_b,
        suv_max_followup=max_f,
        suv_max_change=_change(max_b, max_f),
        suv_max_change_pct=_change_pct(max_b, max_f),
        mtv_baseline_ml=mtv_b,
        mtv_followup_ml=mtv_f,
        mtv_change_ml=_change(mtv_b, mtv_f),
        mtv_change_pct=_change_pct(mtv_b, mtv_f),
    )


def match_lesions(
    baseline: PetAnalysis,
    followup: PetAnalysis,
    *,
    max_distance_mm: float = 30.0,
    translation_mm: Sequence[float] | None = None,
) -> tuple[LesionMatch, ...]:
    """Pair the lesions of two scans one-to-one by the distance of their centroids.

    The follow-up centroids are first moved by ``translation_mm`` into the
    baseline's coordinates: the two sessions place the patient differently on
    the table, so their LPS coordinates differ. By default the translation is
    the baseline's liver reference centre minus the follow-up's
    (``references["liver"].center_mm``) when both scans have one, else zero.
    The pairing minimises the total distance with the Hungarian algorithm
    (:func:`scipy.optimize.linear_sum_assignment`) [1]_; pairs farther apart than
    ``max_distance_mm`` are never made, and among the pairings the one with the
    most allowed pairs is chosen first.

    Parameters
    ----------
    baseline, followup : PetAnalysis
        The two scans.
    max_distance_mm : float, optional
        Largest centroid distance of a pair, after translation (mm).
    translation_mm : sequence of 3 float, optional
        LPS vector (mm) added to the follow-up centroids.

    Returns
    -------
    tuple of LesionMatch
        One per baseline lesion in label order (matched or disappeared), then
        the unmatched (new) follow-up lesions in label order. Values are in the
        image units of the analyses.

    Raises
    ------
    ThxError
        ``max_distance_mm`` is not positive or ``translation_mm`` not three numbers.

    References
    ----------
    .. [1] Kuhn HW. The Hungarian method for the assignment problem. Naval Res
       Logist Q 1955;2:83-97. doi:10.1002/nav.3800020109
    """
    return _match(baseline, followup, max_distance_mm, translation_mm)


# --------------------------------------------------------------------------- quality
def _common_warnings(baseline: PetAnalysis, followup: PetAnalysis) -> list[str]:
    """Uptake time and injected activity checks of PERCIST 1.0 (Wahl 2009; O 2016)."""
    warnings: list[str] = []
    tb, tf = baseline.uptake_time_s, followup.uptake_time_s
    if (
        tb is not None
        and tf is not None
        and _more_than(abs(tf - tb), _UPTAKE_TIME_MAX_DIFFERENCE_S)
    ):
        warnings.append(
            f"uptake times differ by {abs(tf - tb) / 60:.1f} min (baseline {tb / 60:.1f} min, "
            f"follow-up {tf / 60:.1f} min); PERCIST asks for within "
            f"{_UPTAKE_TIME_MAX_DIFFERENCE_S / 60:.0f} min"
        )
    ab, af = baseline.injected_activity_bq, followup.injected_activity_bq
    if ab is not None and af is not None and ab > 0:
        relative = abs(af - ab) / ab
        if _more_than(relative, _ACTIVITY_MAX_CHANGE):
            warnings.append(
                f"injected activities differ by {relative * 100:.1f} % (baseline "
                f"{ab / 1e6:.1f} MBq, follow-up {af / 1e6:.1f} MBq); PERCIST asks for within "
                f"{_ACTIVITY_MAX_CHANGE * 100:.0f} %"
            )
    return warnings


# --------------------------------------------------------------------------- PERCIST
@dataclass(frozen=True)
class _Reference:
    name: str
    mean: float
    sd: float
    threshold: float


def _sul_factor(analysis: PetAnalysis, which: str) -> tuple[float, str]:
    """SUL per image unit of ``analysis`` and the lean-body-mass formula of the SUL."""
    try:
        norm = SuvNormalization(str(analysis.normalization).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in SuvNormalization)
        raise ThxError(
            f"{which} scan: SUV normalization {analysis.normalization!r} is not one of {allowed}"
        ) from None
    if norm in (SuvNormalization.LBM_JAMES, SuvNormalization.LBM_JANMAHASATIAN):
        return 1.0, norm.value
    patient = analysis.patient
    weight_kg, height_m, sex = patient.weight_kg, patient.height_m, patient.sex
    if weight_kg is None or height_m is None or sex is None:
        missing = [
            name
            for name, value in (("weight_kg", weight_kg), ("height_m", height_m), ("sex", sex))
            if value is None
        ]
        raise ThxError(
            f"{which} scan: PERCIST works in SUL, and converting its SUV ({norm.value}) with the "
            f"James lean body mass needs the patient's weight, height and sex; missing: "
            f"{', '.join(missing)} (PatientInfo)"
        )
    weight, height_cm = float(weight_kg), float(height_m) * 100.0
    if weight <= 0 or height_cm <= 0:
        raise ThxError(
            f"{which} scan: weight {weight:g} kg and height {height_cm:g} cm must be positive"
        )
    lbm = lean_body_mass_james_kg(weight, height_cm, sex)
    if lbm <= 0:
        raise ThxError(
            f"{which} scan: the James formula gives a non-positive lean body mass "
            f"({lbm:.3g} kg) for {weight:g} kg and {height_cm:g} cm"
        )
    if norm is SuvNormalization.BW:
        factor = lbm / weight
    elif norm is SuvNormalization.BSA:
        # SUVbsa = C x BSA(cm²) / D and SUL = C x LBM(g) / D.
        factor = lbm * 1000.0 / (body_surface_area_dubois_m2(weight, height_cm) * 1e4)
    else:  # IBW
        factor = lbm / ideal_body_weight_kg(height_cm, sex)
    return factor, SuvNormalization.LBM_JAMES.value


def _percist_reference(analysis: PetAnalysis, factor: float, which: str) -> _Reference:
    refs = analysis.references
    liver = refs.get("liver")
    if liver is not None:
        mean, sd = liver.mean * factor, liver.sd * factor
        return _Reference("liver", mean, sd, _LIVER_FACTOR * mean + _SD_FACTOR * sd)
    blood = refs.get("blood_pool")
    if blood is not None:
        mean, sd = blood.mean * factor, blood.sd * factor
        return _Reference("blood_pool", mean, sd, _BLOOD_POOL_FACTOR * mean + _SD_FACTOR * sd)
    found = ", ".join(sorted(refs)) or "none"
    raise ThxError(
        f"{which} scan has no 'liver' or 'blood_pool' reference region (found: {found}); "
        "PERCIST needs one for the measurability threshold"
    )


def _reference_warning(before: _Reference, after: _Reference) -> str | None:
    difference = after.mean - before.mean
    relative = abs(difference) / before.mean if before.mean > 0 else math.inf
    if _more_than(relative, _REFERENCE_MAX_CHANGE) or _more_than(
        abs(difference), _REFERENCE_MAX_CHANGE_SUL
    ):
        return (
            f"{before.name} SULmean changed from {before.mean:.2f} to {after.mean:.2f} "
            f"({difference:+.2f} SUL, {relative * 100:+.1f} %); PERCIST asks for within "
            f"{_REFERENCE_MAX_CHANGE * 100:.0f} % and {_REFERENCE_MAX_CHANGE_SUL} SUL"
        )
    return None


def percist_response(
    baseline: PetAnalysis,
    followup: PetAnalysis,
    *,
    change_pct: float = 30.0,
    min_change_sul: float = 0.8,
    tlg_increase_pct: float = 75.0,
    max_lesions: int = 5,
    max_per_organ: int = 2,
    max_distance_mm: float = 30.0,
    translation_mm: Sequence[float] | None = None,
) -> ResponseResult:
    """Metabolic response by PERCIST 1.0.

    All values are in SUL [1]_: an analysis normalised by lean body mass
    (``"lbm-james"``, ``"lbm-janmahasatian"``) is used as is; one in SUVbw (or
    SUVbsa, SUVibw) is converted with the James lean body mass of its patient,
    ``SUL = SUVbw x LBM / W`` (the SUL of PERCIST 1.0, [1]_ Appendix).

    - Measurability at baseline: ``1.5 x liver SULmean + 2 SD`` (3 cm sphere in
      the right lobe), or ``2.0 x blood-pool SULmean + 2 SD`` when there is no
      liver reference [1]_ [2]_. The same formula on the follow-up gives the
      follow-up threshold.
    - Target: the hottest lesion by SULpeak in each scan, not necessarily the
      same lesion; the baseline one must be measurable, otherwise the result
      is NE [1]_ [2]_.
    - PMD: SULpeak increase > ``change_pct`` % and > ``min_change_sul``; or a
      new lesion, i.e. a follow-up lesion matched to no baseline lesion (see
      :func:`match_lesions`) whose SULpeak reaches the follow-up measurability
      threshold; or an increase in total lesion glycolysis > ``tlg_increase_pct``
      % with no decline of the target SULpeak (the "visible increase in
      extent", 75 % in TLG) [1]_ [2]_.
    - CMR: no lesion of the follow-up has a SULpeak reaching the follow-up
      liver SULmean (blood-pool SULmean without a liver reference), and no new
      lesion [1]_.
    - PMR: SULpeak decrease >= ``change_pct`` % and >= ``min_change_sul``, and
      no other matched lesion whose SULpeak rises by more than both [1]_.
    - SMD otherwise.

    The secondary analysis sums the SULpeak of up to ``max_lesions`` hottest
    lesions, at most ``max_per_organ`` per organ (``location``; lesions without
    one are not limited), measurable ones at baseline and any at follow-up [1]_.
    Quality checks are reported as warnings, not errors: liver (blood-pool)
    SULmean differing by more than 20 % or 0.3 SUL, uptake times by more than
    15 min, injected activities by more than 20 % [1]_ [2]_.

    Parameters
    ----------
    baseline, followup : PetAnalysis
        The two scans, each with a ``"liver"`` or ``"blood_pool"`` reference region.
    change_pct : float, optional
        Relative change of SULpeak for PMR and PMD (%).
    min_change_sul : float, optional
        Absolute change of SULpeak for PMR and PMD (SUL).
    tlg_increase_pct : float, optional
        Increase of the total TLG (sum over lesions, in SUL·mL) meaning PMD (%).
    max_lesions, max_per_organ : int, optional
        Lesions in the secondary sum of SULpeak.
    max_distance_mm, translation_mm
        Lesion matching, see :func:`match_lesions`.

    Returns
    -------
    ResponseResult
        ``criteria="percist-1.0"``, values in SUL; ``secondary`` holds
        ``sum_sul_peak_*``, ``tlg_*`` and the reference region used.

    Raises
    ------
    ThxError
        A scan has neither a liver nor a blood-pool reference region; an SUVbw
        scan lacks the patient's weight, height or sex; an option is invalid.

    References
    ----------
    .. [1] Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST:
       evolving considerations for PET response criteria in solid tumors.
       J Nucl Med 2009;50 Suppl 1:122S-150S. doi:10.2967/jnumed.108.057307
    .. [2] O JH, Lodge MA, Wahl RL. Practical PERCIST: a simplified guide to PET
       response criteria in solid tumors 1.0. Radiology 2016;280:576-584.
       doi:10.1148/radiol.2016142043
    """
    change_limit = _positive(change_pct, "change_pct")
    sul_limit = _positive(min_change_sul, "min_change_sul")
    tlg_limit = _positive(tlg_increase_pct, "tlg_increase_pct")
    max_lesions = _count(max_lesions, "max_lesions")
    max_per_organ = _count(max_per_organ, "max_per_organ")

    fb, lbm_b = _sul_factor(baseline, "baseline")
    ff, lbm_f = _sul_factor(followup, "follow-up")
    ref_b = _percist_reference(baseline, fb, "baseline")
    ref_f = _percist_reference(followup, ff, "follow-up")
    matches = _match(baseline, followup, max_distance_mm, translation_mm, fb, ff)

    warnings: list[str] = []
    if lbm_b != lbm_f:
        warnings.append(
            f"the SUL of the two scans use different lean body mass formulas "
            f"(baseline {lbm_b}, follow-up {lbm_f})"
        )
    if ref_b.name != ref_f.name:
        warnings.append(
            f"the reference regions differ (baseline {ref_b.name}, follow-up {ref_f.name})"
        )
    else:
        message = _reference_warning(ref_b, ref_f)
        if message:
            warnings.append(message)
    warnings.extend(_common_warnings(baseline, followup))

    def sul_peak_b(lesion: LesionMetrics) -> float:
        return lesion.suv_peak * fb

    def sul_peak_f(lesion: LesionMetrics) -> float:
        return lesion.suv_peak * ff

    target_b = _hottest(baseline.lesions, sul_peak_b, 1)
    target_f = _hottest(followup.lesions, sul_peak_f, 1)
    value_b = sul_peak_b(target_b[0]) if target_b else None
    value_f = sul_peak_f(target_f[0]) if target_f else None
    change = _change(value_b, value_f)
    pct = _change_pct(value_b, value_f)

    new_lesions = tuple(
        m.followup_label
        for m in matches
        if m.followup_label is not None
        and m.baseline_label is None
        and m.suv_peak_followup is not None
        and _at_least(m.suv_peak_followup, ref_f.threshold)
    )

    tlg_b = baseline.summary.tlg_total * fb
    tlg_f = followup.summary.tlg_total * ff
    tlg_pct = _change_pct(tlg_b, tlg_f)

    measurable_b = [les for les in baseline.lesions if _at_least(sul_peak_b(les), ref_b.threshold)]
    sum_b_lesions = _hottest(measurable_b, sul_peak_b, max_lesions, max_per_organ)
    sum_f_lesions = _hottest(followup.lesions, sul_peak_f, max_lesions, max_per_organ)
    sum_b = sum(sul_peak_b(les) for les in sum_b_lesions) if sum_b_lesions else None
    sum_f = sum(sul_peak_f(les) for les in sum_f_lesions)
    secondary: dict[str, Any] = {
        "reference_baseline": ref_b.name,
        "reference_followup": ref_f.name,
        "reference_mean_baseline": ref_b.mean,
        "reference_mean_followup": ref_f.mean,
        "sul_factor_baseline": fb,
        "sul_factor_followup": ff,
        "sum_sul_peak_baseline": sum_b,
        "sum_sul_peak_followup": sum_f,
        "sum_sul_peak_change_pct": _change_pct(sum_b, sum_f),
        "sum_lesions_baseline": [les.label for les in sum_b_lesions],
        "sum_lesions_followup": [les.label for les in sum_f_lesions],
        "tlg_baseline": tlg_b,
        "tlg_followup": tlg_f,
        "tlg_change_pct": tlg_pct,
    }

    reasons: list[str] = []
    if value_b is None or not _at_least(value_b, ref_b.threshold):
        category = ResponseCategory.NE
        if value_b is None:
            reasons.append("no lesion at baseline")
        else:
            reasons.append(
                f"baseline hottest lesion SULpeak {value_b:.2f} is below the measurability "
                f"threshold {ref_b.threshold:.2f} ({ref_b.name})"
            )
        if new_lesions:
            reasons.append(f"{len(new_lesions)} measurable lesion(s) at follow-up")
    else:
        if value_f is None or change is None or pct is None:
            reasons.append(f"SULpeak {value_b:.2f} at baseline, no lesion at follow-up")
        else:
            reasons.append(
                f"SULpeak {value_b:.2f} -> {value_f:.2f} ({pct:+.1f} %, {change:+.2f} SUL)"
            )
        progression: list[str] = []
        if new_lesions:
            progression.append(f"new lesion(s) {', '.join(map(str, new_lesions))}")
        if (
            pct is not None
            and change is not None
            and _more_than(pct, change_limit)
            and _more_than(change, sul_limit)
        ):
            progression.append(f"SULpeak increase > {change_limit:g} % and > {sul_limit:g} SUL")
        if (
            tlg_pct is not None
            and _more_than(tlg_pct, tlg_limit)
            and change is not None
            and _at_least(change, 0.0)
        ):
            progression.append(
                f"TLG {tlg_b:.1f} -> {tlg_f:.1f} ({tlg_pct:+.1f} %) > {tlg_limit:g} % with no "
                "decline of SULpeak"
            )
        remaining = [
            les.label for les in followup.lesions if _at_least(sul_peak_f(les), ref_f.mean)
        ]
        others_up = [
            m.followup_label
            for m in matches
            if m.suv_peak_change is not None
            and m.suv_peak_change_pct is not None
            and _more_than(m.suv_peak_change_pct, change_limit)
            and _more_than(m.suv_peak_change, sul_limit)
        ]
        if progression:
            category = ResponseCategory.PMD
            reasons.extend(progression)
        elif not remaining:
            category = ResponseCategory.CMR
            reasons.append(f"no follow-up lesion reaches the {ref_f.name} SULmean {ref_f.mean:.2f}")
        elif (
            pct is not None
            and change is not None
            and _at_least(-pct, change_limit)
            and _at_least(-change, sul_limit)
        ):
            if others_up:
                category = ResponseCategory.SMD
                reasons.append(
                    f"SULpeak decrease >= {change_limit:g} % and >= {sul_limit:g} SUL, but "
                    f"lesion(s) {', '.join(map(str, others_up))} rose by more than both"
                )
            else:
                category = ResponseCategory.PMR
                reasons.append(f"SULpeak decrease >= {change_limit:g} % and >= {sul_limit:g} SUL")
        else:
            category = ResponseCategory.SMD
            reasons.append("neither PMR, PMD nor CMR")

    return ResponseResult(
        criteria="percist-1.0",
        category=category,
        unit="SUL",
        baseline_value=value_b,
        followup_value=value_f,
        change=change,
        change_pct=pct,
        baseline_targets=tuple(les.label for les in target_b),
        followup_targets=tuple(les.label for les in target_f),
        new_lesions=new_lesions,
        matches=matches,
        baseline_threshold=ref_b.threshold,
        followup_threshold=ref_f.threshold,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        secondary=secondary,
    )


# --------------------------------------------------------------------------- EORTC
def eortc_response(
    baseline: PetAnalysis,
    followup: PetAnalysis,
    *,
    pmr_decrease_pct: float = 25.0,
    pmd_increase_pct: float = 25.0,
    max_lesions: int = 5,
    max_distance_mm: float = 30.0,
    translation_mm: Sequence[float] | None = None,
) -> ResponseResult:
    """Metabolic response by the EORTC 1999 recommendations.

    The target lesions are the ``max_lesions`` hottest baseline lesions by
    SUVmax; the measure is the sum of their SUVmax, compared with the sum of
    the SUVmax of the follow-up lesions matched to them (:func:`match_lesions`;
    a target lesion with no match has resolved and counts 0). With
    ``max_lesions=1`` this is the single hottest lesion, which is always
    reported in ``secondary``. Categories [1]_:

    - PMD: increase of the measure > ``pmd_increase_pct`` %, or new lesions
      (any follow-up lesion matched to no baseline lesion);
    - CMR: complete resolution, no lesion left at follow-up;
    - PMR: decrease >= ``pmr_decrease_pct`` % (EORTC: 15-25 % after one cycle,
      > 25 % after more than one);
    - SMD otherwise; NE without a lesion at baseline.

    EORTC also counts as PMD an increase of the extent of uptake (20 % in the
    longest dimension); that is not assessed here. Both scans must share the
    SUV normalisation (EORTC recommends SUV by body surface area). The
    uptake-time and injected-activity checks of PERCIST are reported as
    warnings [2]_.

    Parameters
    ----------
    baseline, followup : PetAnalysis
        The two scans.
    pmr_decrease_pct, pmd_increase_pct : float, optional
        Thresholds of PMR and PMD (%).
    max_lesions : int, optional
        Number of hottest baseline lesions summed.
    max_distance_mm, translation_mm
        Lesion matching, see :func:`match_lesions`.

    Returns
    -------
    ResponseResult
        ``criteria="eortc-1999"``, values in the image unit of the analyses.

    Raises
    ------
    ThxError
        The scans have different SUV normalisations, or an option is invalid.

    References
    ----------
    .. [1] Young H, Baum R, Cremerius U, et al. Measurement of clinical and
       subclinical tumour response using [18F]-fluorodeoxyglucose and positron
       emission tomography: review and 1999 EORTC recommendations. Eur J Cancer
       1999;35:1773-1782. doi:10.1016/S0959-8049(99)00229-4
    .. [2] Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST.
       J Nucl Med 2009;50 Suppl 1:122S-150S. doi:10.2967/jnumed.108.057307
    """
    pmr_limit = _positive(pmr_decrease_pct, "pmr_decrease_pct")
    pmd_limit = _positive(pmd_increase_pct, "pmd_increase_pct")
    max_lesions = _count(max_lesions, "max_lesions")
    norm_b = str(baseline.normalization).strip().lower()
    norm_f = str(followup.normalization).strip().lower()
    if norm_b != norm_f:
        raise ThxError(
            f"EORTC compares SUV of one normalisation, but the baseline is {norm_b!r} and the "
            f"follow-up {norm_f!r}; analyse both with the same normalisation"
        )
    unit = f"SUV ({norm_b})"
    matches = _match(baseline, followup, max_distance_mm, translation_mm)
    by_baseline = {m.baseline_label: m for m in matches if m.baseline_label is not None}
    new_lesions = tuple(
        m.followup_label
        for m in matches
        if m.baseline_label is None and m.followup_label is not None
    )
    warnings = _common_warnings(baseline, followup)

    def suv_max(lesion: LesionMetrics) -> float:
        return lesion.suv_max

    def followed(targets: list[LesionMetrics]) -> tuple[float, tuple[int, ...]]:
        total, labels = 0.0, []
        for lesion in targets:
            m = by_baseline[lesion.label]
            if m.followup_label is not None and m.suv_max_followup is not None:
                total += m.suv_max_followup
                labels.append(m.followup_label)
        return total, tuple(labels)

    targets = _hottest(baseline.lesions, suv_max, max_lesions)
    hottest = targets[:1]
    if not targets:
        return ResponseResult(
            criteria="eortc-1999",
            category=ResponseCategory.NE,
            unit=unit,
            baseline_value=None,
            followup_value=None,
            change=None,
            change_pct=None,
            baseline_targets=(),
            followup_targets=(),
            new_lesions=new_lesions,
            matches=matches,
            reasons=("no lesion at baseline",),
            warnings=tuple(warnings),
        )
    value_b = sum(les.suv_max for les in targets)
    value_f, followup_targets = followed(targets)
    change = value_f - value_b
    pct = _change_pct(value_b, value_f)
    hot_b = hottest[0].suv_max
    hot_f, hot_labels = followed(hottest)
    secondary: dict[str, Any] = {
        "hottest_baseline_label": hottest[0].label,
        "hottest_followup_label": hot_labels[0] if hot_labels else None,
        "hottest_suv_max_baseline": hot_b,
        "hottest_suv_max_followup": hot_f,
        "hottest_suv_max_change_pct": _change_pct(hot_b, hot_f),
    }

    reasons = [
        f"sum of SUVmax of {len(targets)} lesion(s) {value_b:.2f} -> {value_f:.2f}"
        + ("" if pct is None else f" ({pct:+.1f} %)")
    ]
    if new_lesions or (pct is not None and _more_than(pct, pmd_limit)):
        category = ResponseCategory.PMD
        if new_lesions:
            reasons.append(f"new lesion(s) {', '.join(map(str, new_lesions))}")
        if pct is not None and _more_than(pct, pmd_limit):
            reasons.append(f"SUVmax increase > {pmd_limit:g} %")
    elif not followup.lesions:
        category = ResponseCategory.CMR
        reasons.append("complete resolution: no lesion at follow-up")
    elif pct is not None and _at_least(-pct, pmr_limit):
        category = ResponseCategory.PMR
        reasons.append(f"SUVmax decrease >= {pmr_limit:g} %")
    else:
        category = ResponseCategory.SMD
        reasons.append("neither PMR, PMD nor CMR")

    return ResponseResult(
        criteria="eortc-1999",
        category=category,
        unit=unit,
        baseline_value=value_b,
        followup_value=value_f,
        change=change,
        change_pct=pct,
        baseline_targets=tuple(les.label for les in targets),
        followup_targets=followup_targets,
        new_lesions=new_lesions,
        matches=matches,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        secondary=secondary,
    )


# --------------------------------------------------------------------------- registry
RESPONSE_CRITERIA: dict[str, Callable[[PetAnalysis, PetAnalysis], ResponseResult]] = {
    "percist-1.0": percist_response,
    "eortc-1999": eortc_response,
}
"""Response criteria by name; add an entry to make a new one available to
:func:`assess_response`. Each takes ``(baseline, followup, **options)``."""

_ALIASES = {"percist": "percist-1.0", "eortc": "eortc-1999"}


def assess_response(
    baseline: PetAnalysis,
    followup: PetAnalysis,
    criteria: str = "percist-1.0",
    **options: Any,
) -> ResponseResult:
    """Response between two scans by the named criteria.

    Parameters
    ----------
    baseline, followup : PetAnalysis
        The two scans.
    criteria : str, optional
        A key of :data:`RESPONSE_CRITERIA` (case-insensitive; ``"percist"`` and
        ``"eortc"`` are accepted for ``"percist-1.0"`` and ``"eortc-1999"``).
    **options
        Keyword options of the criteria function (see :func:`percist_response`
        and :func:`eortc_response`).

    Returns
    -------
    ResponseResult

    Raises
    ------
    ThxError
        Unknown criteria (the message lists the names) or an option the
        criteria do not take.

    References
    ----------
    .. [1] Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST.
       J Nucl Med 2009;50 Suppl 1:122S-150S. doi:10.2967/jnumed.108.057307
    .. [2] Young H, Baum R, Cremerius U, et al. 1999 EORTC recommendations.
       Eur J Cancer 1999;35:1773-1782. doi:10.1016/S0959-8049(99)00229-4
    """
    text = str(criteria).strip().lower()
    name = text if text in RESPONSE_CRITERIA else _ALIASES.get(text, text)
    function = RESPONSE_CRITERIA.get(name)
    if function is None:
        raise ThxError(
            f"response criteria {criteria!r} is not one of {', '.join(sorted(RESPONSE_CRITERIA))}"
        )
    try:
        signature: inspect.Signature | None = inspect.signature(function)
    except (TypeError, ValueError):  # no signature to check: let the call decide
        signature = None
    if signature is not None:
        try:
            signature.bind(baseline, followup, **options)
        except TypeError as error:
            accepted = [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]
            raise ThxError(
                f"{name}: {error}; its options are {', '.join(accepted) or 'none'}"
            ) from None
    return function(baseline, followup, **options)

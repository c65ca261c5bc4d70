"""Response between two PET scans: lesion matching, PERCIST 1.0 and EORTC 1999.

The analyses are built by hand (tiny volumes, chosen lesion metrics), so every
expected number below is computed from the published thresholds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from theranostix.biomarkers import (
    RESPONSE_CRITERIA,
    LesionMatch,
    LesionMetrics,
    PatientSummary,
    PetAnalysis,
    ResponseCategory,
    ResponseResult,
    assess_response,
    eortc_response,
    match_lesions,
    percist_response,
)
from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, Mask, PatientInfo, Sex, Volume
from theranostix.segmentation._types import (
    LesionSegmentation,
    ReferenceRegion,
    SegmentationMethod,
    TracerFamily,
)

GEOMETRY = Geometry((2, 2, 2), spacing_mm=(4.0, 4.0, 4.0))
Vec = tuple[float, float, float]

# Default liver: SULmean 1.0, SD 0.05 -> PERCIST threshold 1.5 x 1.0 + 2 x 0.05 = 1.6.
LIVER_THRESHOLD = 1.6


def lesion(
    label: int,
    peak: float,
    *,
    suv_max: float | None = None,
    at: Vec = (0.0, 0.0, 0.0),
    mtv_ml: float = 5.0,
    location: str | None = None,
) -> LesionMetrics:
    suv_max = peak * 1.25 if suv_max is None else suv_max
    mean = peak * 0.6
    return LesionMetrics(
        label=label,
        name=f"lesion_{label}",
        suv_max=suv_max,
        suv_peak=peak,
        suv_mean=mean,
        mtv_ml=mtv_ml,
        tlg=mean * mtv_ml,
        centroid_mm=at,
        max_position_mm=at,
        voxels=10,
        location=location,
        long_axis_mm=20.0,
        short_axis_mm=15.0,
        threshold=1.6,
    )


def reference(name: str, mean: float, sd: float, center: Vec | None) -> ReferenceRegion:
    mask = Mask(np.ones(GEOMETRY.shape, dtype=bool), GEOMETRY, name)
    return ReferenceRegion(
        name=name,
        method="test sphere",
        mean=mean,
        sd=sd,
        max=mean * 1.5,
        voxels=mask.voxel_count,
        volume_ml=mask.volume_ml,
        center_mm=center,
        mask=mask,
    )


def analysis(
    lesions: Sequence[LesionMetrics] = (),
    *,
    liver: tuple[float, float] | None = (1.0, 0.05),
    liver_center: Vec | None = (0.0, 0.0, 0.0),
    blood_pool: tuple[float, float] | None = None,
    normalization: str = "lbm-james",
    patient: PatientInfo | None = None,
    uptake_time_s: float | None = 3600.0,
    injected_activity_bq: float | None = 300e6,
    tlg_total: float | None = None,
) -> PetAnalysis:
    refs: dict[str, ReferenceRegion] = {}
    if liver is not None:
        refs["liver"] = reference("liver", *liver, liver_center)
    if blood_pool is not None:
        refs["blood_pool"] = reference("blood_pool", *blood_pool, (0.0, 30.0, 40.0))
    lesions = tuple(lesions)
    segmentation = LesionSegmentation(
        labels=np.zeros(GEOMETRY.shape, dtype=np.int32),
        geometry=GEOMETRY,
        method=SegmentationMethod.PERCIST,
        thresholds=tuple(1.6 for _ in lesions),
        detection_threshold=1.6,
        references=refs,
    )
    summary = PatientSummary(
        lesion_count=len(lesions),
        tmtv_ml=sum(les.mtv_ml for les in lesions),
        tlg_total=sum(les.tlg for les in lesions) if tlg_total is None else tlg_total,
        suv_max=max((les.suv_max for les in lesions), default=None),
        suv_peak=max((les.suv_peak for les in lesions), default=None),
        dmax_mm=None,
        sdmax_m_inv=None,
        psma_tv_ml=None,
        tl_psma=None,
        references=refs,
    )
    return PetAnalysis(
        image=Volume(np.zeros(GEOMETRY.shape, dtype=np.float32), GEOMETRY),
        normalization=normalization,
        tracer=TracerFamily.FDG,
        segmentation=segmentation,
        lesions=lesions,
        summary=summary,
        patient=PatientInfo() if patient is None else patient,
        uptake_time_s=uptake_time_s,
        injected_activity_bq=injected_activity_bq,
    )


def percist(before: float, after: float, **options: Any) -> ResponseResult:
    """PERCIST on one lesion per scan, same place, SULpeak ``before`` -> ``after``."""
    return percist_response(analysis([lesion(1, before)]), analysis([lesion(1, after)]), **options)


# --------------------------------------------------------------------------- PERCIST categories


def test_percist_pmr_at_thresholds() -> None:
    # 8/3 -> 8/3 - 0.8: exactly -30 % and -0.8 SUL (both limits are inclusive for PMR).
    result = percist(8 / 3, 8 / 3 - 0.8)
    assert result.category is ResponseCategory.PMR
    assert result.change == pytest.approx(-0.8)
    assert result.change_pct == pytest.approx(-30.0)
    assert result.baseline_value == pytest.approx(8 / 3)
    assert result.followup_value == pytest.approx(8 / 3 - 0.8)
    assert result.baseline_threshold == pytest.approx(LIVER_THRESHOLD)
    assert result.unit == "SUL"
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (5 / 3, 5 / 3 - 0.5, ResponseCategory.SMD),  # -30 % but only -0.5 SUL
        (4.0, 2.84, ResponseCategory.SMD),  # -29 %, -1.16 SUL
        (2.0, 1.3, ResponseCategory.SMD),  # -35 %, -0.7 SUL
        (4.0, 2.0, ResponseCategory.PMR),  # -50 %, -2.0 SUL
        (4.0, 5.24, ResponseCategory.PMD),  # +31 %, +1.24 SUL
        (8 / 3, 8 / 3 + 0.8, ResponseCategory.SMD),  # exactly +30 %/+0.8: PMD needs more
        (1.6, 2.24, ResponseCategory.SMD),  # +40 % but only +0.64 SUL
        (4.0, 4.4, ResponseCategory.SMD),  # +10 %
    ],
)
def test_percist_categories_around_thresholds(
    before: float, after: float, expected: ResponseCategory
) -> None:
    assert percist(before, after).category is expected


def test_percist_new_lesion_is_progression() -> None:
    base = analysis([lesion(1, 4.0)])
    follow = analysis([lesion(1, 3.0, at=(2.0, 0.0, 0.0)), lesion(2, 2.5, at=(0.0, 150.0, 0.0))])
    result = percist_response(base, follow)
    assert result.category is ResponseCategory.PMD
    assert result.new_lesions == (2,)
    assert result.followup_threshold == pytest.approx(LIVER_THRESHOLD)
    assert any("new lesion" in r for r in result.reasons)


def test_percist_unmatched_lesion_below_threshold_is_not_new() -> None:
    base = analysis([lesion(1, 4.0)])
    follow = analysis([lesion(1, 3.8), lesion(2, 1.5, at=(0.0, 150.0, 0.0))])
    result = percist_response(base, follow)
    assert result.new_lesions == ()
    assert result.category is ResponseCategory.SMD
    assert [m.status for m in result.matches] == ["matched", "new"]


@pytest.mark.parametrize(
    ("after_peak", "tlg_after", "expected"),
    [
        (4.0, 180.0, ResponseCategory.PMD),  # TLG +80 %, SULpeak unchanged
        (4.0, 170.0, ResponseCategory.SMD),  # TLG +70 %
        (3.6, 180.0, ResponseCategory.SMD),  # TLG +80 % but SULpeak declined 10 %
    ],
)
def test_percist_tlg_increase(
    after_peak: float, tlg_after: float, expected: ResponseCategory
) -> None:
    base = analysis([lesion(1, 4.0)], tlg_total=100.0)
    follow = analysis([lesion(1, after_peak)], tlg_total=tlg_after)
    result = percist_response(base, follow)
    assert result.category is expected
    assert result.secondary["tlg_change_pct"] == pytest.approx(tlg_after - 100.0)


def test_percist_cmr() -> None:
    base = analysis([lesion(1, 6.0), lesion(2, 3.0, at=(50.0, 0.0, 0.0))])
    # Residual uptake below the follow-up liver SULmean (1.0).
    result = percist_response(base, analysis([lesion(1, 0.95)]))
    assert result.category is ResponseCategory.CMR
    assert result.change_pct == pytest.approx((0.95 - 6.0) / 6.0 * 100)
    # No lesion at all.
    empty = percist_response(base, analysis([]))
    assert empty.category is ResponseCategory.CMR
    assert empty.followup_value is None and empty.change_pct is None
    assert [m.status for m in empty.matches] == ["disappeared", "disappeared"]
    # A residual lesion above the liver: only PMR.
    assert percist_response(base, analysis([lesion(1, 1.1)])).category is ResponseCategory.PMR


def test_percist_pmr_blocked_by_another_lesion_rising() -> None:
    base = analysis([lesion(1, 6.0), lesion(2, 2.0, at=(60.0, 0.0, 0.0))])
    follow = analysis([lesion(1, 3.0), lesion(2, 3.0, at=(60.0, 0.0, 0.0))])
    result = percist_response(base, follow)
    assert result.change_pct == pytest.approx(-50.0)
    assert result.category is ResponseCategory.SMD


def test_percist_targets_are_hottest_lesions_of_each_scan() -> None:
    base = analysis([lesion(1, 5.0), lesion(2, 3.0, at=(60.0, 0.0, 0.0))])
    follow = analysis([lesion(1, 2.0), lesion(2, 4.2, at=(60.0, 0.0, 0.0))])
    result = percist_response(base, follow)
    assert result.baseline_targets == (1,)
    assert result.followup_targets == (2,)
    assert result.change == pytest.approx(-0.8)
    assert result.change_pct == pytest.approx(-16.0)


def test_percist_not_evaluable_when_baseline_not_measurable() -> None:
    result = percist(1.5, 0.5)  # threshold 1.6
    assert result.category is ResponseCategory.NE
    assert "below the measurability threshold" in result.reasons[0]
    assert percist_response(analysis([]), analysis([])).category is ResponseCategory.NE
    assert percist(1.6, 0.5).category is ResponseCategory.CMR  # at the threshold: measurable


def test_percist_blood_pool_threshold_without_liver() -> None:
    # 2.0 x 1.0 + 2 x 0.1 = 2.2
    def scans(peak: float) -> tuple[PetAnalysis, PetAnalysis]:
        return (
            analysis([lesion(1, peak)], liver=None, blood_pool=(1.0, 0.1)),
            analysis([lesion(1, peak)], liver=None, blood_pool=(1.0, 0.1)),
        )

    low = percist_response(*scans(2.1))
    assert low.baseline_threshold == pytest.approx(2.2)
    assert low.category is ResponseCategory.NE
    assert low.secondary["reference_baseline"] == "blood_pool"
    assert percist_response(*scans(2.3)).category is ResponseCategory.SMD


def test_percist_without_reference_is_an_error() -> None:
    with pytest.raises(ThxError, match="baseline scan has no 'liver' or 'blood_pool'"):
        percist_response(analysis([lesion(1, 4.0)], liver=None), analysis([lesion(1, 4.0)]))
    with pytest.raises(ThxError, match="follow-up scan has no"):
        percist_response(analysis([lesion(1, 4.0)]), analysis([lesion(1, 4.0)], liver=None))


# --------------------------------------------------------------------------- SUV -> SUL


def test_suv_bw_converted_to_sul_with_james_formula() -> None:
    patient = PatientInfo(weight_kg=80.0, height_m=1.80, sex=Sex.MALE)
    # James, male: LBM = 1.10 x 80 - 128 x (80 / 180)² = 88 - 25.283951 = 62.716049 kg
    factor = (88.0 - 128.0 * (80.0 / 180.0) ** 2) / 80.0
    assert factor == pytest.approx(0.78395062, rel=1e-7)
    base = analysis([lesion(1, 10.0)], normalization="bw", patient=patient, liver=(2.0, 0.25))
    follow = analysis([lesion(1, 6.0)], normalization="lbm-james")
    result = percist_response(base, follow)
    assert result.baseline_value == pytest.approx(10.0 * factor)
    assert result.secondary["sul_factor_baseline"] == pytest.approx(factor)
    assert result.secondary["sul_factor_followup"] == 1.0
    # Liver SULmean 2.0 x 0.78395 = 1.5679, SD 0.196 -> 1.5 x 1.5679 + 2 x 0.196 = 2.7438
    assert result.baseline_threshold == pytest.approx((1.5 * 2.0 + 2 * 0.25) * factor)
    assert result.change_pct == pytest.approx((6.0 - 7.8395062) / 7.8395062 * 100, rel=1e-6)
    assert result.category is ResponseCategory.SMD  # -23.5 %
    assert result.matches[0].suv_peak_baseline == pytest.approx(10.0 * factor)


def test_suv_bw_without_body_measures_is_an_error() -> None:
    base = analysis(
        [lesion(1, 4.0)], normalization="bw", patient=PatientInfo(weight_kg=70.0, sex=Sex.FEMALE)
    )
    with pytest.raises(ThxError, match=r"baseline scan.*missing: height_m"):
        percist_response(base, analysis([lesion(1, 4.0)]))
    unknown = analysis([lesion(1, 4.0)], normalization="suvxyz")
    with pytest.raises(ThxError, match="'suvxyz' is not one of bw"):
        percist_response(analysis([lesion(1, 4.0)]), unknown)


# --------------------------------------------------------------------------- warnings


def test_percist_quality_warnings() -> None:
    base = analysis([lesion(1, 4.0)], uptake_time_s=3600.0, injected_activity_bq=300e6)
    follow = analysis(
        [lesion(1, 4.0)],
        liver=(1.25, 0.05),  # +25 %
        uptake_time_s=3600.0 + 16 * 60,  # 16 min later
        injected_activity_bq=370e6,  # +23.3 %
    )
    warnings = percist_response(base, follow).warnings
    assert len(warnings) == 3
    assert "liver SULmean changed from 1.00 to 1.25" in warnings[0]
    assert "uptake times differ by 16.0 min" in warnings[1]
    assert "injected activities differ by 23.3 %" in warnings[2]


def test_percist_liver_warning_on_absolute_change_and_limits() -> None:
    base = analysis([lesion(1, 6.0)], liver=(2.0, 0.1))
    # +0.35 SUL is only +17.5 %, but more than 0.3 SUL.
    assert len(percist_response(base, analysis([lesion(1, 6.0)], liver=(2.35, 0.1))).warnings) == 1
    # +0.2 SUL (+10 %), 14 min, +19 %: comparable.
    follow = analysis(
        [lesion(1, 6.0)],
        liver=(2.2, 0.1),
        uptake_time_s=3600.0 + 14 * 60,
        injected_activity_bq=357e6,
    )
    assert percist_response(base, follow).warnings == ()
    # Missing data: no check, no warning.
    follow = analysis([lesion(1, 6.0)], liver=(2.0, 0.1), uptake_time_s=None)
    assert percist_response(base, follow).warnings == ()


# --------------------------------------------------------------------------- secondary


def test_percist_sum_of_up_to_five_lesions_two_per_organ() -> None:
    lesions = [
        lesion(1, 10.0, location="lung", at=(0.0, 0.0, 0.0)),
        lesion(2, 9.0, location="lung", at=(100.0, 0.0, 0.0)),
        lesion(3, 8.0, location="lung", at=(200.0, 0.0, 0.0)),
        lesion(4, 7.0, location="liver", at=(0.0, 100.0, 0.0)),
        lesion(5, 6.0, location="bone", at=(0.0, 200.0, 0.0)),
        lesion(6, 5.0, location="bone", at=(0.0, 300.0, 0.0)),
        lesion(7, 4.0, location="node", at=(0.0, 400.0, 0.0)),
        lesion(8, 1.2, location="node", at=(0.0, 500.0, 0.0)),  # not measurable
    ]
    follow = [lesion(1, 5.0, location="lung"), lesion(2, 3.5, location="lung", at=(100.0, 0, 0))]
    result = percist_response(analysis(lesions), analysis(follow))
    secondary = result.secondary
    assert secondary["sum_lesions_baseline"] == [1, 2, 4, 5, 6]
    assert secondary["sum_sul_peak_baseline"] == pytest.approx(37.0)
    assert secondary["sum_sul_peak_followup"] == pytest.approx(8.5)
    assert secondary["sum_sul_peak_change_pct"] == pytest.approx((8.5 - 37.0) / 37.0 * 100)
    assert result.category is ResponseCategory.PMR


# --------------------------------------------------------------------------- matching


def test_matching_uses_liver_translation() -> None:
    base = analysis(
        [lesion(1, 5.0, at=(0.0, 0.0, 0.0)), lesion(2, 4.0, at=(40.0, 0.0, 0.0))],
        liver_center=(10.0, 20.0, 30.0),
    )
    # The follow-up session is shifted by +100 mm in x; lesion 2 is now the hotter.
    follow = analysis(
        [lesion(1, 6.0, at=(140.0, 1.0, 0.0)), lesion(2, 2.0, at=(100.0, 0.0, 0.0))],
        liver_center=(110.0, 20.0, 30.0),
    )
    matches = match_lesions(base, follow)
    assert [(m.baseline_label, m.followup_label) for m in matches] == [(1, 2), (2, 1)]
    assert matches[0].distance_mm == pytest.approx(0.0)
    assert matches[1].distance_mm == pytest.approx(1.0)
    assert matches[0].suv_peak_change == pytest.approx(-3.0)
    assert matches[0].suv_peak_change_pct == pytest.approx(-60.0)
    assert matches[1].suv_max_change_pct == pytest.approx(50.0)
    assert matches[1].mtv_change_ml == pytest.approx(0.0)
    # Without translation nothing is within 30 mm.
    unshifted = match_lesions(base, follow, translation_mm=(0.0, 0.0, 0.0))
    assert [m.status for m in unshifted] == ["disappeared", "disappeared", "new", "new"]
    assert [m.followup_label for m in unshifted[2:]] == [1, 2]
    # An explicit translation replaces the liver's.
    explicit = match_lesions(base, follow, translation_mm=(-100.0, 0.0, 0.0))
    assert [(m.baseline_label, m.followup_label) for m in explicit] == [(1, 2), (2, 1)]


def test_matching_without_liver_centres_uses_no_translation() -> None:
    base = analysis([lesion(1, 5.0)], liver_center=None)
    follow = analysis([lesion(1, 5.0, at=(20.0, 0.0, 0.0))], liver_center=(500.0, 0.0, 0.0))
    (match,) = match_lesions(base, follow)
    assert match.distance_mm == pytest.approx(20.0)


def test_matching_is_optimal_not_greedy_and_respects_max_distance() -> None:
    # Greedy nearest-first would pair 1-X (5 mm) and leave 2 alone (2-Y is 51 mm);
    # the assignment pairs 1-Y (26 mm) and 2-X (20 mm).
    base = analysis([lesion(1, 5.0, at=(0.0, 0.0, 0.0)), lesion(2, 4.0, at=(25.0, 0.0, 0.0))])
    follow = analysis([lesion(1, 5.0, at=(5.0, 0.0, 0.0)), lesion(2, 4.0, at=(-26.0, 0.0, 0.0))])
    matches = match_lesions(base, follow)
    assert [(m.baseline_label, m.followup_label) for m in matches] == [(1, 2), (2, 1)]
    assert [m.distance_mm for m in matches] == pytest.approx([26.0, 20.0])
    # At the limit a pair is kept; beyond it, not.
    one = analysis([lesion(1, 5.0)])
    assert match_lesions(one, analysis([lesion(1, 5.0, at=(0.0, 30.0, 0.0))]))[0].status == (
        "matched"
    )
    far = match_lesions(one, analysis([lesion(1, 5.0, at=(0.0, 30.1, 0.0))]))
    assert [m.status for m in far] == ["disappeared", "new"]
    assert far[0].suv_peak_change is None and far[1].distance_mm is None
    assert match_lesions(one, analysis([lesion(1, 5.0, at=(0.0, 40.0, 0.0))]), max_distance_mm=45)[
        0
    ].distance_mm == pytest.approx(40.0)


def test_matching_rejects_bad_options() -> None:
    one = analysis([lesion(1, 5.0)])
    with pytest.raises(ThxError, match="max_distance_mm must be a positive number"):
        match_lesions(one, one, max_distance_mm=0.0)
    with pytest.raises(ThxError, match="translation_mm must be three finite numbers"):
        match_lesions(one, one, translation_mm=(1.0, 2.0))


# --------------------------------------------------------------------------- EORTC


def eortc(before: Sequence[float], after: Sequence[float | None], **options: Any) -> ResponseResult:
    """EORTC with lesions 60 mm apart; ``None`` at follow-up means the lesion resolved."""
    base = [lesion(i + 1, v / 1.25, suv_max=v, at=(60.0 * i, 0, 0)) for i, v in enumerate(before)]
    follow = [
        lesion(i + 1, v / 1.25, suv_max=v, at=(60.0 * i, 0, 0))
        for i, v in enumerate(after)
        if v is not None
    ]
    return eortc_response(analysis(base), analysis(follow), **options)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ([10.0], [7.5], ResponseCategory.PMR),  # -25 %
        ([10.0], [7.6], ResponseCategory.SMD),  # -24 %
        ([10.0], [12.5], ResponseCategory.SMD),  # +25 %: PMD needs more
        ([10.0], [12.6], ResponseCategory.PMD),  # +26 %
        ([10.0, 6.0], [10.0, 2.0], ResponseCategory.PMR),  # sum 16 -> 12, -25 %
        ([10.0, 6.0], [None, 8.0], ResponseCategory.PMR),  # sum 16 -> 8 (resolved counts 0)
        ([10.0, 6.0], [None, None], ResponseCategory.CMR),
    ],
)
def test_eortc_categories(
    before: list[float], after: list[float | None], expected: ResponseCategory
) -> None:
    assert eortc(before, after).category is expected


def test_eortc_values_new_lesions_and_secondary() -> None:
    result = eortc([10.0, 6.0, 4.0], [8.0, 6.0, 4.0])
    assert result.baseline_value == pytest.approx(20.0)
    assert result.followup_value == pytest.approx(18.0)
    assert result.change_pct == pytest.approx(-10.0)
    assert result.baseline_targets == (1, 2, 3)
    assert result.followup_targets == (1, 2, 3)
    assert result.secondary["hottest_suv_max_change_pct"] == pytest.approx(-20.0)
    assert result.unit == "SUV (lbm-james)"
    # Only the hottest lesion: -20 %, still SMD at 25 %, PMR at 15 %.
    assert eortc([10.0, 6.0], [8.0, 6.0], max_lesions=1).change_pct == pytest.approx(-20.0)
    assert eortc([10.0], [8.0], pmr_decrease_pct=15.0).category is ResponseCategory.PMR
    # Two targets out of three.
    assert eortc([10.0, 6.0, 4.0], [5.0, 3.0, 8.0], max_lesions=2).change_pct == pytest.approx(-50)
    # Any unmatched follow-up lesion is new.
    base = analysis([lesion(1, 8.0, suv_max=10.0)])
    follow = analysis([lesion(1, 4.0, suv_max=5.0), lesion(2, 1.0, suv_max=1.2, at=(0, 90.0, 0))])
    new = eortc_response(base, follow)
    assert new.category is ResponseCategory.PMD
    assert new.new_lesions == (2,)


def test_eortc_not_evaluable_and_normalisation_mismatch() -> None:
    assert eortc([], [5.0]).category is ResponseCategory.NE
    with pytest.raises(ThxError, match="baseline is 'bw' and the follow-up 'lbm-james'"):
        eortc_response(analysis([], normalization="bw"), analysis([]))


# --------------------------------------------------------------------------- framework


def test_registry_and_dispatch() -> None:
    assert set(RESPONSE_CRITERIA) == {"percist-1.0", "eortc-1999"}
    base, follow = analysis([lesion(1, 4.0)]), analysis([lesion(1, 2.0)])
    percist_result = assess_response(base, follow)
    assert percist_result.criteria == "percist-1.0"
    assert percist_result.category is ResponseCategory.PMR
    eortc_result = assess_response(base, follow, "EORTC", pmr_decrease_pct=60.0)
    assert eortc_result.criteria == "eortc-1999"
    assert eortc_result.category is ResponseCategory.SMD  # -50 % < 60 %
    with pytest.raises(ThxError, match=r"'recist-1\.1' is not one of eortc-1999, percist-1\.0"):
        assess_response(base, follow, "recist-1.1")
    with pytest.raises(ThxError, match=r"percist-1\.0: .*its options are change_pct"):
        assess_response(base, follow, "percist-1.0", pmr_decrease_pct=25.0)


def test_as_dict_is_json_ready() -> None:
    base = analysis([lesion(1, 4.0, location="lung")])
    follow = analysis([lesion(1, 2.0, location="lung"), lesion(2, 3.0, at=(0.0, 99.0, 0.0))])
    result = percist_response(base, follow)
    data = result.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["category"] == "PMD"
    assert data["new_lesions"] == [2]
    assert data["baseline_targets"] == [1]
    assert data["followup_targets"] == [2]
    assert data["matches"][0]["status"] == "matched"
    assert data["matches"][0]["suv_peak_change_pct"] == pytest.approx(-50.0)
    assert data["matches"][1]["baseline_label"] is None
    assert isinstance(data["warnings"], list) and isinstance(data["reasons"], list)
    assert data["secondary"]["sum_lesions_followup"] == [2, 1]
    assert isinstance(result.matches[0], LesionMatch)
    assert [c.value for c in ResponseCategory] == ["CMR", "PMR", "SMD", "PMD", "NE"]

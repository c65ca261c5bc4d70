"""Eligibility rules as data: VISION (PSMA), Krenning/NETTER-1 (SSTR) and a site protocol."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from theranostix.biomarkers import LesionMetrics, PatientSummary, PetAnalysis
from theranostix.errors import ThxError
from theranostix.imaging import Geometry, Mask, Volume
from theranostix.imaging._volume import ImageUnit, Modality
from theranostix.segmentation import (
    LesionSegmentation,
    ReferenceRegion,
    SegmentationMethod,
    TracerFamily,
)
from theranostix.theranostics import (
    ComparisonLesion,
    builtin_protocols,
    default_protocol,
    evaluate_eligibility,
    krenning_score,
    load_protocol,
)
from theranostix.theranostics._evaluate import CriterionStatus, Verdict

LIVER = 5.0  # liver SUVmean of the helper's scans
SPLEEN = 12.0


def lesion(
    label: int,
    suv_max: float,
    *,
    location: str | None = "bone_marrow",
    short_axis_mm: float = 12.0,
) -> LesionMetrics:
    """One lesion with chosen uptake; the other metrics follow from it."""
    return LesionMetrics(
        label=label,
        name=f"lesion_{label}",
        suv_max=suv_max,
        suv_peak=0.8 * suv_max,
        suv_mean=0.6 * suv_max,
        mtv_ml=2.0,
        tlg=1.2 * suv_max,
        centroid_mm=(10.0 * label, 0.0, 0.0),
        max_position_mm=(10.0 * label, 0.0, 0.0),
        voxels=1,
        location=location,
        long_axis_mm=1.5 * short_axis_mm,
        short_axis_mm=short_axis_mm,
        threshold=2.0,
    )


def make_analysis(
    tracer: str,
    lesions: Sequence[LesionMetrics],
    references: dict[str, float] | None = None,
) -> PetAnalysis:
    """A PetAnalysis built directly: tiny grid, one voxel per lesion, chosen reference means."""
    refs = {"liver": LIVER, "spleen": SPLEEN} if references is None else references
    n = max(len(lesions), 1)
    geometry = Geometry((1, 1, n), spacing_mm=(4.0, 4.0, 4.0))
    labels = np.zeros((1, 1, n), dtype=np.int32)
    image = np.ones((1, 1, n))
    for i, item in enumerate(lesions):
        labels[0, 0, i] = item.label
        image[0, 0, i] = item.suv_max
    regions = {
        name: ReferenceRegion(
            name=name,
            method="test region",
            mean=mean,
            sd=0.1 * mean,
            max=1.5 * mean,
            voxels=10,
            volume_ml=0.64,
            center_mm=None,
            mask=Mask(np.zeros((1, 1, n), dtype=bool), geometry, name),
        )
        for name, mean in refs.items()
    }
    segmentation = LesionSegmentation(
        labels=labels,
        geometry=geometry,
        method=SegmentationMethod.FIXED_41,
        thresholds=tuple(item.threshold for item in lesions),
        detection_threshold=2.0,
        references=regions,
    )
    summary = PatientSummary(
        lesion_count=len(lesions),
        tmtv_ml=sum(item.mtv_ml for item in lesions),
        tlg_total=sum(item.tlg for item in lesions),
        suv_max=max((item.suv_max for item in lesions), default=None),
        suv_peak=max((item.suv_peak for item in lesions), default=None),
        dmax_mm=None,
        sdmax_m_inv=None,
        psma_tv_ml=None,
        tl_psma=None,
        references=regions,
    )
    volume = Volume(image, geometry, ImageUnit.SUV, Modality.PT)
    return PetAnalysis(
        volume, "bw", TracerFamily.parse(tracer), segmentation, tuple(lesions), summary
    )


def node(short_axis_mm: float, suv_max: float, name: str = "node_1") -> ComparisonLesion:
    return ComparisonLesion(name, "lymph_node", short_axis_mm, suv_max, "ct")


# ------------------------------------------------------------------------------ built-ins


def test_builtin_protocols_and_defaults() -> None:
    protocols = builtin_protocols()
    assert sorted(protocols) == ["krenning-sstr", "vision-psma"]
    vision = protocols["vision-psma"]
    assert vision.tracers == (TracerFamily.PSMA,)
    assert vision.citation("sartor2021").doi == "10.1056/NEJMoa2107322"
    negative = vision.criterion("psma-negative-lesions")
    assert {c.value: mm for c, mm in negative.size_limits_mm.items()} == {
        "solid_organ": 10.0,
        "lymph_node": 25.0,
        "bone_soft_tissue": 10.0,
    }
    assert negative.condition is not None
    assert (negative.condition.op.value, negative.condition.factor) == ("le", 1.0)
    krenning = protocols["krenning-sstr"]
    assert krenning.citation("strosberg2017").doi == "10.1056/NEJMoa1607427"
    assert krenning.criterion("krenning-grade").min_grade == 2
    assert default_protocol("psma") is vision
    assert default_protocol(TracerFamily.SSTR) is krenning
    assert default_protocol("fdg") is None
    assert default_protocol("fapi") is None
    # every criterion and scale cites works of its file
    for protocol in protocols.values():
        keys = {c.key for c in protocol.references}
        for criterion in protocol.criteria:
            assert criterion.sources and set(criterion.sources) <= keys


def test_load_protocol_by_name_and_unknown_name() -> None:
    assert load_protocol("vision-psma") is builtin_protocols()["vision-psma"]
    with pytest.raises(ThxError, match=r"'vision'.*krenning-sstr, vision-psma"):
        load_protocol("vision")


# ---------------------------------------------------------------------------------- VISION


def test_vision_eligible_with_uptake_above_liver_and_clean_comparison() -> None:
    analysis = make_analysis("psma", [lesion(1, 14.0), lesion(2, 4.0)])
    comparison = [node(30.0, 9.0), node(26.0, 5.5, "node_2")]  # large but PSMA-positive
    result = evaluate_eligibility(analysis, comparison=comparison)
    assert result.protocol_id == "vision-psma"
    assert result.verdict is Verdict.ELIGIBLE and result.eligible
    assert result.reasons == ()
    assert result.warnings == ()
    positive = result.criterion("psma-positive")
    assert positive.status is CriterionStatus.PASS
    assert positive.lesions == ("lesion_1",)
    assert positive.values == {"lesion_1": 14.0, "lesion_2": 4.0}
    assert positive.thresholds == {"1 x liver mean": pytest.approx(LIVER)}
    negative = result.criterion("psma-negative-lesions")
    assert negative.status is CriterionStatus.PASS
    assert negative.lesions == ()
    assert negative.values == {"node_1": 9.0, "node_2": 5.5}


def test_vision_not_eligible_without_uptake_above_liver() -> None:
    # 5.0 equals the liver mean: "greater than liver" is strict
    analysis = make_analysis("psma", [lesion(1, 5.0), lesion(2, 3.2)])
    result = evaluate_eligibility(analysis, comparison=[node(10.0, 2.0)])
    assert result.verdict is Verdict.NOT_ELIGIBLE
    positive = result.criterion("psma-positive")
    assert positive.status is CriterionStatus.FAIL
    assert positive.lesions == ()
    assert positive.effect is not None and positive.effect.value == "not_eligible"
    assert "0 of 2 lesion(s) with suv_max > 5" in positive.detail
    assert result.reasons[0].startswith("psma-positive: fail")


def test_vision_not_eligible_with_psma_negative_26_mm_node() -> None:
    analysis = make_analysis("psma", [lesion(1, 20.0)])
    result = evaluate_eligibility(analysis, "vision-psma", comparison=[node(26.0, 4.5)])
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.criterion("psma-positive").status is CriterionStatus.PASS
    negative = result.criterion("psma-negative-lesions")
    assert negative.status is CriterionStatus.FAIL
    assert negative.lesions == ("node_1",)
    assert "short axis 26 mm >= 25 mm" in negative.detail
    assert negative.thresholds == {"1 x liver mean": pytest.approx(LIVER)}


def test_vision_24_mm_negative_node_does_not_exclude_but_10_mm_liver_lesion_does() -> None:
    analysis = make_analysis("psma", [lesion(1, 20.0)])
    small = evaluate_eligibility(analysis, comparison=[node(24.0, 4.5)])
    assert small.verdict is Verdict.ELIGIBLE
    negative = small.criterion("psma-negative-lesions")
    assert negative.status is CriterionStatus.PASS
    assert "negative but below the size limit: node_1" in negative.detail
    # uptake exactly at the liver mean is PSMA-negative (<= liver); 10 mm solid organ is at limit
    organ = ComparisonLesion("liver_met", "solid_organ", 10.0, LIVER, "ct")
    bone = ComparisonLesion("rib", "bone", 40.0, 1.0, "ct")  # no soft tissue: not measurable
    result = evaluate_eligibility(analysis, comparison=[organ, bone])
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.criterion("psma-negative-lesions").lesions == ("liver_met",)
    assert "not considered: rib" in result.criterion("psma-negative-lesions").detail
    soft = ComparisonLesion("sacrum", "bone_soft_tissue", 9.9, 2.0, "fdg")
    assert evaluate_eligibility(analysis, comparison=[soft]).verdict is Verdict.ELIGIBLE


def test_vision_indeterminate_without_comparison_set() -> None:
    analysis = make_analysis("psma", [lesion(1, 20.0)])
    result = evaluate_eligibility(analysis)
    assert result.verdict is Verdict.INDETERMINATE
    negative = result.criterion("psma-negative-lesions")
    assert negative.status is CriterionStatus.NOT_ASSESSED
    assert negative.effect is not None and negative.effect.value == "indeterminate"
    assert "no comparison lesions" in negative.detail
    assert len(result.reasons) == 1 and result.reasons[0].startswith("psma-negative-lesions")
    # a failure outweighs a criterion that could not be assessed
    cold = make_analysis("psma", [lesion(1, 3.0)])
    assert evaluate_eligibility(cold).verdict is Verdict.NOT_ELIGIBLE


def test_vision_missing_liver_is_indeterminate_not_ineligible() -> None:
    analysis = make_analysis("psma", [lesion(1, 20.0)], references={"spleen": SPLEEN})
    result = evaluate_eligibility(analysis, comparison=[node(10.0, 2.0)])
    assert result.verdict is Verdict.INDETERMINATE
    assert result.criterion("liver-reference").status is CriterionStatus.FAIL
    assert result.criterion("liver-reference").lesions == ("liver",)
    assert result.criterion("psma-positive").status is CriterionStatus.NOT_ASSESSED


def test_protocol_for_another_tracer_warns_and_no_default_names_choices() -> None:
    analysis = make_analysis("sstr", [lesion(1, 20.0)])
    result = evaluate_eligibility(analysis, "vision-psma", comparison=[node(10.0, 1.0)])
    assert result.verdict is Verdict.ELIGIBLE
    assert result.warnings == (
        "protocol 'vision-psma' is written for psma PET; this scan's tracer is sstr",
    )
    fdg = make_analysis("fdg", [lesion(1, 20.0)])
    with pytest.raises(ThxError, match=r"tracer 'fdg'.*krenning-sstr, vision-psma"):
        evaluate_eligibility(fdg)
    with pytest.raises(ThxError, match=r"comparison\[0\]: expected a ComparisonLesion"):
        evaluate_eligibility(analysis, "vision-psma", comparison=[{"name": "x"}])


def test_comparison_lesion_validation() -> None:
    assert ComparisonLesion("n", "Lymph-Node", 20, 3).category.value == "lymph_node"
    with pytest.raises(ThxError, match=r"category: 'spleen' is not one of lymph_node"):
        ComparisonLesion("n", "spleen", 20.0, 3.0)
    with pytest.raises(ThxError, match=r"'n' short_axis_mm: must be a finite number > 0"):
        ComparisonLesion("n", "lymph_node", 0.0, 3.0)
    with pytest.raises(ThxError, match=r"source: 'mri' is not one of ct, fdg"):
        ComparisonLesion("n", "lymph_node", 20.0, 3.0, "mri")


# -------------------------------------------------------------------------------- Krenning


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (0.0, 0),
        (0.01, 1),
        (8.99, 1),
        (9.0, 2),  # 0.9 x liver: lower end of "equal" is included
        (10.0, 2),
        (11.0, 2),  # 1.1 x liver: upper end of "equal" is included
        (11.01, 3),
        (20.0, 3),  # equal to the spleen is not above it
        (20.01, 4),
    ],
)
def test_krenning_score_boundaries(value: float, grade: int) -> None:
    assert krenning_score(value, 10.0, 20.0) == grade


def test_krenning_score_options_and_errors() -> None:
    assert krenning_score(10.6, 10.0, 20.0, equal_band=0.05) == 3
    assert krenning_score(10.4, 10.0, 20.0, equal_band=0.05) == 2
    assert krenning_score(1.5, 10.0, 20.0, background=2.0) == 0
    assert krenning_score(30.0, 10.0, None) == 3
    # spleen below the liver band: grade 4 still needs uptake above the liver band
    assert krenning_score(10.5, 10.0, 8.0) == 2
    with pytest.raises(ThxError, match="liver_mean: must be > 0"):
        krenning_score(5.0, 0.0, 20.0)
    with pytest.raises(ThxError, match=r"equal_band: must be in \[0, 1\)"):
        krenning_score(5.0, 10.0, 20.0, equal_band=1.0)
    with pytest.raises(ThxError, match="value: must be finite"):
        krenning_score(float("nan"), 10.0, 20.0)


def test_krenning_protocol_grades_match_krenning_score() -> None:
    """The scale written as data in krenning-sstr.toml and the function agree everywhere."""
    values = [0.0, 0.5, 4.49, 4.5, 5.0, 5.5, 5.51, 11.9, 12.0, 12.01, 40.0]
    analysis = make_analysis("sstr", [lesion(i + 1, v) for i, v in enumerate(values)])
    result = evaluate_eligibility(analysis)
    expected = {f"lesion_{i + 1}": krenning_score(v, LIVER, SPLEEN) for i, v in enumerate(values)}
    assert result.lesion_grades == expected
    assert list(expected.values()) == [0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]


def test_sstr_eligible_when_all_lesions_at_least_liver() -> None:
    analysis = make_analysis("sstr", [lesion(1, 30.0), lesion(2, 7.0), lesion(3, 4.6)])
    result = evaluate_eligibility(analysis)
    assert result.protocol_id == "krenning-sstr"
    assert result.verdict is Verdict.ELIGIBLE
    assert result.lesion_grades == {"lesion_1": 4, "lesion_2": 3, "lesion_3": 2}
    grade = result.criterion("krenning-grade")
    assert grade.status is CriterionStatus.PASS
    assert grade.lesions == ("lesion_1", "lesion_2", "lesion_3")
    assert grade.thresholds["grade 2: >= 0.9 x liver mean"] == pytest.approx(4.5)
    assert grade.thresholds["grade 4: > 1 x spleen mean"] == pytest.approx(SPLEEN)


def test_sstr_not_eligible_with_one_lesion_below_liver() -> None:
    analysis = make_analysis("sstr", [lesion(1, 30.0), lesion(2, 4.0)])
    result = evaluate_eligibility(analysis)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    grade = result.criterion("krenning-grade")
    assert grade.status is CriterionStatus.FAIL
    assert grade.lesion_grades == {"lesion_1": 4, "lesion_2": 1}
    assert "below grade 2: lesion_2" in grade.detail
    assert evaluate_eligibility(make_analysis("sstr", [])).verdict is Verdict.NOT_ELIGIBLE


def test_sstr_site_preference_grade_3() -> None:
    strict = load_protocol("krenning-sstr").with_criterion("krenning-grade", min_grade=3)
    analysis = make_analysis("sstr", [lesion(1, 30.0), lesion(2, 5.0)])  # grades 4 and 2
    assert evaluate_eligibility(analysis).verdict is Verdict.ELIGIBLE
    result = evaluate_eligibility(analysis, strict)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.warnings == (
        "protocol modified: criterion 'krenning-grade': min_grade=3 (was 2)",
    )
    with pytest.raises(ThxError, match=r"min_grade: 5 is not a grade of scale 'krenning'"):
        strict.with_criterion("krenning-grade", min_grade=5)
    with pytest.raises(ThxError, match=r"unknown field\(s\) min_grde"):
        strict.with_criterion("krenning-grade", min_grde=3)


def test_sstr_without_spleen_caps_grades_and_stays_decidable() -> None:
    analysis = make_analysis("sstr", [lesion(1, 30.0), lesion(2, 6.0)], {"liver": LIVER})
    result = evaluate_eligibility(analysis)
    assert result.verdict is Verdict.ELIGIBLE  # spleen-reference is informational
    assert result.criterion("spleen-reference").status is CriterionStatus.FAIL
    assert result.lesion_grades == {"lesion_1": 3, "lesion_2": 3}
    strict = load_protocol("krenning-sstr").with_criterion("krenning-grade", min_grade=4)
    undecided = evaluate_eligibility(analysis, strict)
    assert undecided.criterion("krenning-grade").status is CriterionStatus.NOT_ASSESSED
    assert undecided.verdict is Verdict.INDETERMINATE


# ------------------------------------------------------------------------- site protocol

SITE_FAPI = """
schema = 1
id = "site-fapi"
version = "0.1"
title = "Example site protocol: FAPI PET before [90Y]Y-FAPI-46 (illustrative)"
tracers = ["fapi"]
therapy = "[90Y]Y-FAPI-46"
date = 2026-02-01

[references.site]
citation = "Example site rule, written for the theranostix test suite; not a published criterion"
url = "https://example.org/site-fapi"

[scales.fapi3]
description = "Lesion uptake against blood pool and liver"
sources = ["site"]
[[scales.fapi3.grades]]
grade = 0
label = "at or below blood pool"
[[scales.fapi3.grades]]
grade = 1
label = "above blood pool"
when = [{ reference = "blood_pool", statistic = "mean", op = "gt", factor = 1.0 }]
[[scales.fapi3.grades]]
grade = 2
label = "above liver"
when = [{ reference = "liver", statistic = "mean", op = "gt", factor = 1.0 }]
[[scales.fapi3.grades]]
grade = 3
label = "above three times liver"
when = [{ reference = "liver", statistic = "mean", op = "gt", factor = 3.0 }]

[[criteria]]
id = "references"
kind = "reference_present"
description = "Liver and blood pool measured"
sources = ["site"]
references = ["liver", "blood_pool"]
on_fail = "indeterminate"

[[criteria]]
id = "intense-uptake"
kind = "lesion_uptake"
description = "At least two lesions with SUVpeak above three times liver"
sources = ["site"]
metric = "suv_peak"
op = "gt"
factor = 3.0
reference = "liver"
statistic = "mean"
min_count = 2

[[criteria]]
id = "majority-above-liver"
kind = "lesion_grade"
description = "Most lesions above liver"
sources = ["site"]
scale = "fapi3"
metric = "suv_max"
require = "fraction"
fraction = 0.5
min_grade = 2
"""


def test_site_fapi_protocol_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "site-fapi.toml"
    path.write_text(SITE_FAPI, encoding="utf-8")
    protocol = load_protocol(path)
    assert protocol.id == "site-fapi" and protocol.path == str(path)
    assert load_protocol(str(path)).criteria == protocol.criteria
    refs = {"liver": 2.0, "blood_pool": 1.0}
    # suv_peak = 0.8 x suv_max: 9.6 and 8.0 are > 6.0; grades 3, 3, 1, 0
    lesions = [lesion(1, 12.0), lesion(2, 10.0), lesion(3, 1.5), lesion(4, 0.9)]
    result = evaluate_eligibility(make_analysis("fapi", lesions, refs), protocol)
    assert result.verdict is Verdict.ELIGIBLE
    assert result.criterion("intense-uptake").lesions == ("lesion_1", "lesion_2")
    assert result.lesion_grades == {"lesion_1": 3, "lesion_2": 3, "lesion_3": 1, "lesion_4": 0}
    assert result.criterion("majority-above-liver").status is CriterionStatus.PASS
    fewer = [lesion(1, 12.0), lesion(2, 1.9), lesion(3, 1.5)]  # 1 of 3 above liver
    result = evaluate_eligibility(make_analysis("fapi", fewer, refs), path)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.criterion("intense-uptake").status is CriterionStatus.FAIL
    assert result.criterion("majority-above-liver").status is CriterionStatus.FAIL
    assert result.lesion_grades == {"lesion_1": 3, "lesion_2": 1, "lesion_3": 1}


def test_lesion_uptake_restricted_to_locations(tmp_path: Path) -> None:
    text = SITE_FAPI.replace("min_count = 2", 'min_count = 1\nlocations = ["liver"]')
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    refs = {"liver": 2.0, "blood_pool": 1.0}
    hot_bone = [lesion(1, 12.0, location="bone_marrow"), lesion(2, 3.0, location="liver")]
    result = evaluate_eligibility(make_analysis("fapi", hot_bone, refs), path)
    assert result.criterion("intense-uptake").status is CriterionStatus.FAIL
    unknown = [lesion(1, 12.0, location=None)]
    result = evaluate_eligibility(make_analysis("fapi", unknown, refs), path)
    assert result.criterion("intense-uptake").status is CriterionStatus.NOT_ASSESSED


# ------------------------------------------------------------------------------------ JSON


def test_as_dict_json_roundtrip() -> None:
    analysis = make_analysis("sstr", [lesion(1, 30.0), lesion(2, 4.0)])
    result = evaluate_eligibility(analysis)
    payload: dict[str, Any] = json.loads(json.dumps(result.as_dict()))
    assert payload["verdict"] == "not_eligible"
    assert payload["tracer"] == "sstr"
    assert payload["protocol"]["id"] == "krenning-sstr"
    assert payload["protocol"]["version"] == "1.0"
    dois = {ref["doi"] for ref in payload["protocol"]["references"]}
    assert "10.1056/NEJMoa1607427" in dois
    assert payload["lesion_grades"] == {"lesion_1": 4, "lesion_2": 1}
    grade = next(c for c in payload["criteria"] if c["id"] == "krenning-grade")
    assert grade["status"] == "fail"
    assert grade["effect"] == "not_eligible"
    assert grade["values"] == {"lesion_1": 30.0, "lesion_2": 4.0}
    assert grade["kind"] == "lesion_grade"
    vision = evaluate_eligibility(
        make_analysis("psma", [lesion(1, 20.0)]), comparison=[node(26.0, 4.0)]
    ).as_dict()
    again = json.loads(json.dumps(vision))
    assert again == vision
    assert again["comparison"][0] == {
        "name": "node_1",
        "category": "lymph_node",
        "short_axis_mm": 26.0,
        "suv_max": 4.0,
        "source": "ct",
        "centroid_mm": None,
    }
    assert json.loads(json.dumps(load_protocol("vision-psma").as_dict()))["date"] == "2026-01-15"

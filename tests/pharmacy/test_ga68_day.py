"""Ga-68 labelling day from a patient list: the production planner behind a protocol front end."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from theranostix.errors import ThxError
from theranostix.pharmacy._dispensing import PetPatient
from theranostix.pharmacy._ga68_day import plan_ga68_day
from theranostix.production import DoseRequest, Generator, plan_elution_day

CET = timezone(timedelta(hours=1))
LAM_GA = math.log(2) / (67.71 * 60)  # Ga-68, ICRP 107 half-life 67.71 min
MBQ = 1e6


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 11, 24, h, m, tzinfo=CET)


def generator(activity_bq: float = 1.85e9) -> Generator:
    return Generator(
        "ge68-ga68",
        calibration_activity_bq=activity_bq,
        calibrated=datetime(2026, 10, 1, 12, 0, tzinfo=CET),
        elutions=[datetime(2026, 11, 23, 16, 0, tzinfo=CET)],
    )


def test_psma_day_matches_the_production_planner() -> None:
    people = [
        PetPatient("P1", 70, at(9)),
        PetPatient("P2", 80, at(9, 20)),
        PetPatient("P3", 100, at(9, 40)),
    ]
    plan = plan_ga68_day(people, generator(), protocol="psma11-ga68")
    assert [d.activity_bq for d in plan.doses] == pytest.approx([140 * MBQ, 160 * MBQ, 200 * MBQ])
    assert plan.labelling_yield == 0.85 and plan.labelling_duration_s == 25 * 60
    direct = plan_elution_day(
        generator(),
        [DoseRequest(p.patient_id, p.injection_time, 2 * p.weight_kg * MBQ) for p in people],
        labelling_yield=0.85,
        labelling_duration_s=1500,
    )
    assert [b.elution_at for b in plan.elution_plan.batches] == [
        b.elution_at for b in direct.batches
    ]
    assert plan.elution_count == 2 and not plan.unserved
    first = plan.elution_plan.batches[0]
    # product at release = eluate · yield · exp(−λ·25 min) (decay-corrected yield)
    assert first.product_bq == pytest.approx(
        first.eluate_bq * 0.85 * math.exp(-LAM_GA * 1500), rel=1e-6
    )
    # first patient: the product decays from release to injection, then the dose is taken
    p1 = plan.doses[0]
    left = (
        first.product_bq * math.exp(-LAM_GA * (at(9) - first.release_at).total_seconds())
        - 140 * MBQ
    )
    assert p1.batch == 1 and p1.remaining_after_bq == pytest.approx(left, rel=1e-6)
    report = plan.as_dict()
    assert report["elutions"][0]["patients"] == ["P1", "P2"]
    assert report["doses"][2]["batch"] == 2 and report["all_served"]


def test_clamp_and_unserved_patients_are_reported() -> None:
    people = [PetPatient("big", 140, at(9)), PetPatient("late", 70, at(9, 10))]
    plan = plan_ga68_day(people, generator(200 * MBQ), protocol="psma11-ga68")
    big = plan.as_dict()["doses"][0]
    assert big["activity_bq"] == 259 * MBQ and big["requested_activity_bq"] == 280 * MBQ
    assert "above_maximum" in big["flags"]
    assert plan.unserved  # a 200 MBq generator cannot label these doses
    assert all("not_served" in d["flags"] for d in plan.as_dict()["doses"] if d["batch"] is None)


def test_errors() -> None:
    people = [PetPatient("P1", 70, at(9))]
    with pytest.raises(ThxError, match="is for F-18"):
        plan_ga68_day(people, generator(), protocol="fdg-eanm-3d")
    with pytest.raises(ThxError, match="no labelling yield"):
        plan_ga68_day(people, generator(), mbq_per_kg=2)
    plan = plan_ga68_day(
        people, generator(), mbq_per_kg=2, labelling_yield=0.9, labelling_duration_s=1200
    )
    assert plan.doses[0].activity_bq == 140 * MBQ and plan.labelling_yield == 0.9
    mixed = [*people, PetPatient("P2", 70, at(10), protocol="dotatate-ga68")]
    with pytest.raises(ThxError, match="different labelling"):
        plan_ga68_day(mixed, generator(), protocol="psma11-ga68")
    with pytest.raises(ThxError, match="Ge-68/Ga-68"):
        plan_ga68_day(people, Generator("mo99-tc99m", calibration_activity_bq=2e10, calibrated=at(6)),
                      protocol="psma11-ga68")  # fmt: skip
    with pytest.raises(ThxError, match="no patient"):
        plan_ga68_day([], generator(), protocol="psma11-ga68")

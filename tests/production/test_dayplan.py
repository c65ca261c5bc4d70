from datetime import datetime, timedelta, timezone

import pytest

from theranostix.errors import NaiveDatetimeError, ThxError
from theranostix.nuclides import Nuclide
from theranostix.production import (
    DoseRequest,
    Generator,
    generator_status,
    plan_elution_day,
)
from theranostix.units import elapsed_s

CET = timezone(timedelta(hours=1))
GA68 = Nuclide("Ga-68")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=CET)


def generator(calibration_bq: float = 1.85e9) -> Generator:
    return Generator(
        "ge68-ga68",
        calibration_activity_bq=calibration_bq,
        calibrated=datetime(2026, 10, 1, 12, 0, tzinfo=CET),
        elutions=[datetime(2026, 11, 23, 16, 0, tzinfo=CET)],
    )


def check_plan_is_consistent(gen: Generator, plan, yield_: float, duration_s: float) -> None:
    """Recompute every batch independently from the generator model and decay."""
    replay = gen
    for batch in plan.batches:
        status = generator_status(replay, batch.elution_at)
        assert batch.available_daughter_bq == pytest.approx(status.available_daughter_bq)
        eluate = status.expected_eluate_bq
        product = eluate * yield_ * 2 ** (-duration_s / GA68.half_life_s)
        assert batch.product_bq == pytest.approx(product, rel=1e-9)
        remaining, clock = product, batch.release_at
        for dose in batch.doses:
            assert dose.request.injection >= batch.release_at
            remaining = remaining * 2 ** (
                -elapsed_s(clock, dose.request.injection) / GA68.half_life_s
            )
            remaining -= dose.request.activity_bq
            assert remaining >= 0
            assert dose.remaining_after_bq == pytest.approx(remaining, rel=1e-9, abs=1.0)
            clock = dose.request.injection
        replay = replay.with_elutions(batch.elution_at)


def test_every_patient_served_and_figures_consistent() -> None:
    gen = generator()
    day = [DoseRequest(f"P{i}", at(8 + i // 2, 30 * (i % 2)), 150e6) for i in range(8)]
    plan = plan_elution_day(gen, day, labelling_yield=0.85, labelling_duration_s=1500)
    assert plan.unserved == ()
    assert plan.served_count == 8
    check_plan_is_consistent(gen, plan, 0.85, 1500)
    # Each batch releases at least the margin (10 min) before its first injection.
    for batch in plan.batches:
        assert elapsed_s(batch.release_at, batch.doses[0].request.injection) >= 600 - 1e-6
    # The updated generator history holds the planned elutions.
    assert plan.generator_after.elutions[-1].at == plan.batches[-1].elution_at


def test_fewest_elutions_when_one_elution_is_enough() -> None:
    plan = plan_elution_day(
        generator(),
        [DoseRequest("A", at(9), 100e6), DoseRequest("B", at(9, 20), 100e6)],
        labelling_yield=0.9,
        labelling_duration_s=1200,
    )
    assert len(plan.batches) == 1
    assert [d.request.label for d in plan.batches[0].doses] == ["A", "B"]


def test_clustered_patients_need_spaced_elutions() -> None:
    # Three large doses 20 min apart exceed one elution; the plan splits them and
    # spaces the elutions so the second has grown in enough.
    gen = generator()
    day = [DoseRequest(n, at(11, m), 180e6) for n, m in (("X", 0), ("Y", 20), ("Z", 40))]
    plan = plan_elution_day(gen, day, labelling_yield=0.85, labelling_duration_s=1500)
    assert plan.unserved == ()
    assert len(plan.batches) == 2
    check_plan_is_consistent(gen, plan, 0.85, 1500)


def test_impossible_dose_is_reported_not_dropped() -> None:
    day = [DoseRequest("small", at(9), 100e6), DoseRequest("huge", at(12), 5e9)]
    plan = plan_elution_day(generator(), day, labelling_yield=0.85, labelling_duration_s=1500)
    assert [r.label for r in plan.unserved] == ["huge"]
    assert plan.served_count == 1


def test_weak_generator_serves_fewer() -> None:
    day = [DoseRequest(f"P{i}", at(9, 10 * i), 150e6) for i in range(4)]
    strong = plan_elution_day(
        generator(1.85e9), day, labelling_yield=0.85, labelling_duration_s=1500
    )
    weak = plan_elution_day(generator(0.3e9), day, labelling_yield=0.85, labelling_duration_s=1500)
    assert strong.served_count == 4
    assert weak.served_count < 4


def test_validation() -> None:
    with pytest.raises(NaiveDatetimeError):
        DoseRequest("P1", datetime(2026, 11, 24, 9, 0), 100e6)
    with pytest.raises(ThxError, match="activity must be > 0"):
        DoseRequest("P1", at(9), 0.0)
    with pytest.raises(ThxError, match="labelling_yield"):
        plan_elution_day(
            generator(),
            [DoseRequest("P1", at(9), 1e8)],
            labelling_yield=1.5,
            labelling_duration_s=60,
        )
    assert (
        plan_elution_day(generator(), [], labelling_yield=0.8, labelling_duration_s=60).batches
        == ()
    )

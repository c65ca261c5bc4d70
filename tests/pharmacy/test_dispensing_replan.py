"""Re-planning the PET day: late, absent and added patients, a vial measured low or diluted."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from theranostix.errors import ThxError
from theranostix.pharmacy._dispensing import (
    DoseFlag,
    DoseStatus,
    PatientAbsent,
    PatientAdded,
    PatientLate,
    PetDispensingPlan,
    PetPatient,
    VialDiluted,
    VialMeasured,
    plan_pet_day,
    replan_pet_day,
)

CET = timezone(timedelta(hours=1))
LAM = math.log(2) / (109.77 * 60)  # F-18
MBQ = 1e6


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 11, 24, h, m, tzinfo=CET)


def base_plan(
    protocol: str | None = None, weights: tuple[float, ...] = (70, 80, 100)
) -> PetDispensingPlan:
    people = [
        PetPatient(pid, w, at(9, 20 * k))
        for k, (pid, w) in enumerate(zip("ABC", weights, strict=True))
    ]
    if protocol:
        return plan_pet_day(people, tracer="F-18", calibration_time=at(8), protocol=protocol)
    return plan_pet_day(people, tracer="F-18", calibration_time=at(8), mbq_per_kg=3)


def volume(activity_mbq: float, seconds_after_cal: float, order_bq: float) -> float:
    return activity_mbq * MBQ * math.exp(LAM * seconds_after_cal) * 10 / order_bq


def test_absent_patient_frees_the_volume() -> None:
    plan = base_plan()
    order = plan.order_activity_at_calibration_bq
    new = replan_pet_day(plan, [PatientAbsent("B")], now=at(9, 5))
    assert [d.patient_id for d in new.doses] == ["A", "C"]
    assert new.dose("A").status is DoseStatus.DRAWN
    assert new.dose("C").status is DoseStatus.PLANNED
    assert new.cancelled == ("B",) and not new.wasted
    assert new.order_activity_at_calibration_bq == order
    left = 10 - volume(210, 3600, order) - volume(300, 6000, order)
    assert new.residual.volume_ml == pytest.approx(left, rel=1e-9)


def test_absent_after_drawing_wastes_the_dose() -> None:
    plan = base_plan()
    new = replan_pet_day(plan, [PatientAbsent("A")], now=at(9, 5))
    assert [d.patient_id for d in new.doses] == ["B", "C"]
    assert [w.patient_id for w in new.wasted] == ["A"]
    assert new.residual.volume_ml == pytest.approx(plan.residual.volume_ml, rel=1e-12)
    assert any("A absent" in n and "wasted" in n for n in new.notes)
    # replanning again keeps the wasted volume out of the vial
    again = replan_pet_day(new, [], now=at(9, 25))
    assert again.residual.volume_ml == pytest.approx(plan.residual.volume_ml, rel=1e-12)
    assert again.dose("B").status is DoseStatus.DRAWN


def test_late_patient_not_yet_drawn_is_drawn_later() -> None:
    plan = base_plan()
    order = plan.order_activity_at_calibration_bq
    new = replan_pet_day(plan, [PatientLate("B", at(10, 0))], now=at(9, 5))
    assert [d.patient_id for d in new.doses] == ["A", "C", "B"]  # draw order
    b = new.dose("B")
    assert b.status is DoseStatus.PLANNED and b.activity_bq == pytest.approx(240 * MBQ)
    assert b.volume_ml == pytest.approx(volume(240, 7200, order), rel=1e-9)
    assert new.feasible
    used = volume(210, 3600, order) + volume(300, 6000, order) + volume(240, 7200, order)
    assert new.residual.volume_ml == pytest.approx(10 - used, rel=1e-9)
    assert new.residual.at == at(10, 0)


def test_late_patient_with_a_drawn_dose_gets_a_decayed_syringe() -> None:
    plan = base_plan()
    new = replan_pet_day(plan, [PatientLate("A", at(9, 30))], now=at(9, 10))
    a = new.dose("A")
    assert a.status is DoseStatus.DRAWN
    assert a.volume_ml == plan.dose("A").volume_ml  # kept as drawn
    assert a.activity_bq == pytest.approx(210 * MBQ * math.exp(-LAM * 1800), rel=1e-12)
    assert a.flags == (DoseFlag.SYRINGE_DECAYED,) and a.feasible  # no protocol minimum
    missing = 210 - 210 * math.exp(-LAM * 1800)
    assert a.suggestions == (
        f"top up with {missing:.1f} MBq at injection (or accept {210 - missing:.1f} MBq)",
    )
    assert new.residual.volume_ml == pytest.approx(plan.residual.volume_ml, rel=1e-12)


def test_late_drawn_dose_below_the_protocol_minimum_is_blocking() -> None:
    plan = base_plan("fdg-local", weights=(52, 80, 100))  # 156 MBq, minimum 150 MBq
    new = replan_pet_day(plan, [PatientLate("A", at(9, 30))], now=at(9, 10))
    a = new.dose("A")
    assert a.activity_bq == pytest.approx(156 * MBQ * math.exp(-LAM * 1800))
    assert a.flags == (DoseFlag.SYRINGE_DECAYED, DoseFlag.BELOW_PROTOCOL_MINIMUM)
    assert not a.feasible and not new.feasible


def test_added_patient_beyond_the_margin_is_not_served() -> None:
    plan = base_plan()
    order = plan.order_activity_at_calibration_bq
    added = PetPatient("D", 60, at(10, 0))
    new = replan_pet_day(plan, [PatientAdded(added)], now=at(9, 5))
    d = new.dose("D")
    spare = 10 - 0.3 - 9.7 / 1.1
    assert d.volume_ml == pytest.approx(volume(180, 7200, order), rel=1e-9) and d.volume_ml > spare
    assert d.status is DoseStatus.NOT_SERVED and d.flags == (DoseFlag.VIAL_EXHAUSTED,)
    conc = order * math.exp(-LAM * 7200) / 10
    assert any(f"at most {conc * spare / MBQ:.1f} MBq" in s for s in d.suggestions)
    small = replan_pet_day(plan, [PatientAdded(PetPatient("E", 20, at(9, 50)))], now=at(9, 5))
    e = small.dose("E")
    assert e.status is DoseStatus.PLANNED and e.volume_ml == pytest.approx(volume(60, 6600, order))
    assert small.feasible
    with pytest.raises(ThxError, match="already in the plan"):
        replan_pet_day(plan, [PatientAdded(PetPatient("A", 20, at(9, 50)))], now=at(9, 5))


def test_vial_measured_low_before_any_draw() -> None:
    plan = base_plan()
    order = plan.order_activity_at_calibration_bq
    measured = 0.8 * order * math.exp(-LAM * 1800)
    new = replan_pet_day(plan, [VialMeasured(measured, at(8, 30))], now=at(8, 30))
    a, b, c = new.doses
    assert a.volume_ml == pytest.approx(volume(210, 3600, order) / 0.8, rel=1e-9)
    assert b.volume_ml == pytest.approx(volume(240, 4800, order) / 0.8, rel=1e-9)
    assert a.feasible and b.feasible
    assert c.status is DoseStatus.NOT_SERVED and c.flags == (DoseFlag.VIAL_EXHAUSTED,)
    assert new.vial_reference.activity_bq == measured and new.vial_reference.volume_ml == 10
    assert any("-20.0 %" in n for n in new.notes)


def test_vial_measured_after_a_draw_uses_the_remaining_volume() -> None:
    plan = base_plan()
    order = plan.order_activity_at_calibration_bq
    v_a = volume(210, 3600, order)
    expected = order * math.exp(-LAM * 3900) * (10 - v_a) / 10  # at 09:05, after A
    new = replan_pet_day(plan, [VialMeasured(expected, at(9, 5))], now=at(9, 5))
    assert new.vial_reference.volume_ml == pytest.approx(10 - v_a)
    assert new.accounted_draws == ("A",)
    assert [d.volume_ml for d in new.doses] == pytest.approx([d.volume_ml for d in plan.doses])
    assert new.residual.volume_ml == pytest.approx(plan.residual.volume_ml, rel=1e-9)
    assert any("+0.0 %" in n for n in new.notes)
    given = replan_pet_day(plan, [VialMeasured(expected, at(9, 5), volume_ml=8.0)], now=at(9, 5))
    assert given.vial_reference.volume_ml == 8.0


def test_vial_diluted_after_a_draw_scales_the_later_volumes() -> None:
    plan = base_plan()
    order = plan.order_activity_at_calibration_bq
    left = 10 - volume(210, 3600, order)  # after A's draw at 09:00
    new = replan_pet_day(plan, [VialDiluted(5.0, at(9, 5))], now=at(9, 5))
    ref = new.vial_reference
    assert ref.volume_ml == pytest.approx(left + 5) and new.accounted_draws == ("A",)
    # the activity stays: c'·(V + 5) = c·V at 09:05
    assert ref.activity_bq == pytest.approx(order * math.exp(-LAM * 3900) * left / 10, rel=1e-12)
    scale = (left + 5) / left
    a, b, c = new.doses
    assert a.volume_ml == plan.doses[0].volume_ml
    assert b.volume_ml == pytest.approx(plan.doses[1].volume_ml * scale, rel=1e-12)
    assert c.volume_ml == pytest.approx(plan.doses[2].volume_ml * scale, rel=1e-12)
    # the same residual activity, in a volume diluted like the rest
    assert new.residual.activity_bq == pytest.approx(plan.residual.activity_bq, rel=1e-9)
    assert new.residual.volume_ml == pytest.approx(plan.residual.volume_ml * scale, rel=1e-9)
    assert any("vial diluted at 09:05" in n for n in new.notes)
    with pytest.raises(ThxError, match=r"dilution at .* is after now"):
        replan_pet_day(plan, [VialDiluted(5.0, at(9, 30))], now=at(9, 5))
    with pytest.raises(ThxError, match="must be > 0 mL"):
        VialDiluted(0.0, at(9, 5))


def test_replanning_errors() -> None:
    plan = base_plan()
    with pytest.raises(ThxError, match="no patient 'Z'"):
        replan_pet_day(plan, [PatientLate("Z", at(10))], now=at(9, 5))
    with pytest.raises(ThxError, match="after now"):
        replan_pet_day(plan, [VialMeasured(1e8, at(9, 30))], now=at(9, 5))
    with pytest.raises(ThxError, match=r"patient A: injection time .* is before now"):
        replan_pet_day(plan, [], now=at(9, 10), drawn=[])
    with pytest.raises(ThxError, match="drawn: no patient 'Z'"):
        replan_pet_day(plan, [], now=at(9, 10), drawn=["Z"])


def test_explicit_drawn_and_draw_now_when_the_draw_time_has_passed() -> None:
    people = [PetPatient("A", 70, at(9, 0)), PetPatient("B", 80, at(9, 20))]
    from theranostix.pharmacy._dispensing import DispensingSettings

    plan = plan_pet_day(
        people, tracer="F-18", calibration_time=at(8), mbq_per_kg=3,
        settings=DispensingSettings(draw_lead_s=1200),
    )  # fmt: skip
    # at 09:05 B's planned draw (09:00) has passed but it is not drawn: drawn now, 15 min lead
    new = replan_pet_day(plan, [], now=at(9, 5), drawn=["A"])
    b = new.dose("B")
    assert b.status is DoseStatus.PLANNED and b.draw_time == at(9, 5)
    assert b.activity_at_draw_bq == pytest.approx(240 * MBQ * math.exp(LAM * 900), rel=1e-12)

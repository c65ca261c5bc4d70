"""PET dispensing plan: doses, volumes, order at calibration, residual, flags; all by hand."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from theranostix.errors import NaiveDatetimeError, ThxError
from theranostix.pharmacy._dispensing import (
    DispensingSettings,
    DoseFlag,
    DoseStatus,
    PetPatient,
    order_activity_at_calibration,
    plan_pet_day,
    read_patients_csv,
)
from theranostix.pharmacy._protocols import PetProtocol, pet_protocol, pet_protocols
from theranostix.pharmacy._synthetic import synthetic_pet_day

CET = timezone(timedelta(hours=1))
LAM = math.log(2) / (109.77 * 60)  # F-18, ICRP 107 half-life 109.77 min
MBQ = 1e6


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 11, 24, h, m, tzinfo=CET)


def three_patients(weights: tuple[float, float, float] = (70, 80, 100)) -> list[PetPatient]:
    return [
        PetPatient("A", weights[0], at(9, 0)),
        PetPatient("B", weights[1], at(9, 20)),
        PetPatient("C", weights[2], at(9, 40)),
    ]


def test_order_volumes_and_residual_by_hand() -> None:
    plan = plan_pet_day(three_patients(), tracer="F-18", calibration_time=at(8), mbq_per_kg=3)
    activity = [210 * MBQ, 240 * MBQ, 300 * MBQ]
    dt = [3600, 4800, 6000]  # s after calibration
    back = [a * math.exp(LAM * t) for a, t in zip(activity, dt, strict=True)]
    order = 1.10 * 10 / (10 - 0.3) * sum(back)
    assert plan.order_activity_at_calibration_bq == pytest.approx(order, rel=1e-9)
    assert order / MBQ == pytest.approx(1438.6, abs=0.05)
    assert plan.vial.activity_bq == pytest.approx(order, rel=1e-12)
    volumes = [b * 10 / order for b in back]
    assert [d.volume_ml for d in plan.doses] == pytest.approx(volumes, rel=1e-9)
    assert sum(volumes) == pytest.approx(9.7 / 1.1, rel=1e-12)
    assert [d.activity_bq for d in plan.doses] == pytest.approx(activity)
    assert [d.activity_at_draw_bq for d in plan.doses] == pytest.approx(activity)
    assert all(d.status is DoseStatus.PLANNED and not d.issues for d in plan.doses)
    assert plan.feasible
    # residual at the last injection (09:40)
    left = 10 - sum(volumes)
    conc_end = order * math.exp(-LAM * 6000) / 10
    assert plan.residual.at == at(9, 40)
    assert plan.residual.volume_ml == pytest.approx(left, rel=1e-9)
    assert plan.residual.activity_bq == pytest.approx(conc_end * left, rel=1e-9)
    assert plan.residual.extractable_volume_ml == pytest.approx(left - 0.3, rel=1e-9)
    assert plan.residual.extractable_activity_bq == pytest.approx(conc_end * (left - 0.3), rel=1e-9)
    # vial content after each draw
    b = plan.doses[1]
    assert b.concentration_at_draw_bq_per_ml == pytest.approx(
        order * math.exp(-LAM * 4800) / 10, rel=1e-9
    )
    assert b.vial_volume_after_ml == pytest.approx(10 - volumes[0] - volumes[1], rel=1e-9)
    later = plan_pet_day(
        three_patients(), tracer="F-18", calibration_time=at(8), mbq_per_kg=3, end_of_day=at(17)
    )
    assert later.residual.activity_bq == pytest.approx(
        order * math.exp(-LAM * 9 * 3600) / 10 * left, rel=1e-9
    )


def test_draw_lead_changes_draw_activity_not_the_order() -> None:
    settings = DispensingSettings(draw_lead_s=600)
    lead = plan_pet_day(
        three_patients(), tracer="F-18", calibration_time=at(8), mbq_per_kg=3, settings=settings
    )
    base = plan_pet_day(three_patients(), tracer="F-18", calibration_time=at(8), mbq_per_kg=3)
    first = lead.doses[0]
    assert first.draw_time == at(8, 50)
    assert first.activity_at_draw_bq == pytest.approx(210 * MBQ * math.exp(LAM * 600), rel=1e-12)
    assert first.activity_bq == pytest.approx(210 * MBQ)
    # the same vial serves the same doses: order and volumes do not depend on the lead
    assert lead.order_activity_at_calibration_bq == pytest.approx(
        base.order_activity_at_calibration_bq, rel=1e-12
    )
    assert [d.volume_ml for d in lead.doses] == pytest.approx([d.volume_ml for d in base.doses])


def test_vial_exhausted_skips_a_dose_and_serves_the_next() -> None:
    plan = plan_pet_day(
        three_patients((70, 80, 40)), tracer="F-18", calibration_time=at(8), mbq_per_kg=3,
        vial_activity_bq=600 * MBQ,
    )  # fmt: skip
    a, b, c = plan.doses
    v_a = 210 * math.exp(LAM * 3600) * 10 / 600
    v_b = 240 * math.exp(LAM * 4800) * 10 / 600
    v_c = 120 * math.exp(LAM * 6000) * 10 / 600
    assert a.volume_ml == pytest.approx(v_a) and a.feasible
    assert b.status is DoseStatus.NOT_SERVED and b.flags == (DoseFlag.VIAL_EXHAUSTED,)
    assert b.volume_ml == pytest.approx(v_b) and v_b > 9.7 - v_a
    assert not b.feasible and not plan.feasible
    assert b.vial_volume_after_ml == pytest.approx(10 - v_a)
    available = 600 * math.exp(-LAM * 4800) / 10 * (9.7 - v_a)  # MBq at 09:20
    assert f"{available:.1f} MBq" in b.issues[0].message
    assert any(f"at most {available:.1f} MBq" in s for s in b.suggestions)
    # latest time: 600·exp(−λt)/10·(9.7 − v_a) = 240  =>  t = ln(60·(9.7 − v_a)/240)/λ
    latest = at(8) + timedelta(seconds=math.log(60 * (9.7 - v_a) / 240) / LAM)
    assert any(f"at or before {latest:%H:%M}" in s for s in b.suggestions)
    assert c.status is DoseStatus.PLANNED and c.volume_ml == pytest.approx(v_c)
    assert plan.residual.volume_ml == pytest.approx(10 - v_a - v_c)
    assert plan.order_activity_at_calibration_bq > 600 * MBQ
    assert any("below the order" in n for n in plan.notes)


def test_protocol_clamps_and_digital_factor() -> None:
    people = [
        PetPatient("light", 40, at(9)),
        PetPatient("heavy", 150, at(9, 20)),
        PetPatient("mid", 100, at(9, 40)),
    ]
    plan = plan_pet_day(people, tracer="F-18", calibration_time=at(8), protocol="fdg-local")
    light, heavy, mid = plan.doses
    assert light.activity_bq == 150 * MBQ and light.prescription.requested_bq == 120 * MBQ
    assert light.flags == (DoseFlag.BELOW_MINIMUM,) and light.feasible
    assert heavy.activity_bq == 400 * MBQ and heavy.prescription.requested_bq == 450 * MBQ
    assert heavy.flags == (DoseFlag.ABOVE_MAXIMUM,) and "clamped" in heavy.issues[0].message
    assert mid.activity_bq == pytest.approx(300 * MBQ) and not mid.issues
    digital = plan_pet_day(
        people, tracer="F-18", calibration_time=at(8), protocol="fdg-local",
        settings=DispensingSettings(digital=True),
    )  # fmt: skip
    assert digital.doses[2].activity_bq == pytest.approx(100 * 3 * 0.7 * MBQ)
    assert digital.doses[0].activity_bq == 150 * MBQ  # 84 MBq raised to the minimum
    assert digital.doses[1].activity_bq == pytest.approx(150 * 3 * 0.7 * MBQ)  # 315, no clamp


def test_volume_below_minimum_and_above_syringe() -> None:
    one = [PetPatient("P", 70, at(8))]
    small = plan_pet_day(
        one, tracer="F-18", calibration_time=at(8), mbq_per_kg=3, vial_activity_bq=100e9
    )
    dose = small.doses[0]
    assert dose.volume_ml == pytest.approx(210e6 / 10e9)
    assert dose.flags == (DoseFlag.VOLUME_BELOW_MINIMUM,) and not dose.feasible
    assert dose.status is DoseStatus.PLANNED  # drawn from the vial (after dilution)
    assert f"{0.1 / 0.021:.2f}" in dose.suggestions[0]
    settings = DispensingSettings(max_syringe_volume_ml=2.0)
    big = plan_pet_day(
        [PetPatient("P", 100, at(8))], tracer="F-18", calibration_time=at(8), mbq_per_kg=3,
        vial_activity_bq=1000 * MBQ, settings=settings,
    )  # fmt: skip
    dose = big.doses[0]
    assert dose.volume_ml == pytest.approx(3.0)
    assert dose.flags == (DoseFlag.VOLUME_ABOVE_SYRINGE,)
    assert dose.suggestions == ("split the dose into 2 syringes",)
    # the order makes each dose fit in one syringe: 300 MBq · 10 mL / 2 mL
    assert big.order_activity_at_calibration_bq == pytest.approx(1500 * MBQ)
    ordered = plan_pet_day(
        [PetPatient("P", 100, at(8))], tracer="F-18", calibration_time=at(8), mbq_per_kg=3,
        settings=settings,
    )  # fmt: skip
    assert ordered.doses[0].volume_ml == pytest.approx(2.0) and ordered.feasible


def test_order_function_and_errors() -> None:
    t = at(8)
    assert order_activity_at_calibration(
        [(100 * MBQ, at(9, 49, ))], nuclide="F-18", calibration_time=t, vial_volume_ml=10,
        dead_volume_ml=0.0, safety_margin=0.0,
    ) == pytest.approx(100 * MBQ * math.exp(LAM * 109 * 60))  # fmt: skip
    assert (
        order_activity_at_calibration([], nuclide="F-18", calibration_time=t, vial_volume_ml=5) == 0
    )
    with pytest.raises(ThxError, match="dead volume"):
        order_activity_at_calibration([], nuclide="F-18", calibration_time=t, vial_volume_ml=0.2)


def test_protocol_errors() -> None:
    people = three_patients()
    with pytest.raises(ThxError, match="not both"):
        plan_pet_day(
            people, tracer="F-18", calibration_time=at(8), mbq_per_kg=3, protocol="fdg-local"
        )
    with pytest.raises(ThxError, match="psma11-ga68 is for Ga-68, not F-18"):
        plan_pet_day(people, tracer="F-18", calibration_time=at(8), protocol="psma11-ga68")
    with pytest.raises(ThxError, match="patient A: no protocol"):
        plan_pet_day(people, tracer="F-18", calibration_time=at(8))
    with pytest.raises(ThxError, match="did you mean"):
        pet_protocol("fdg-eanm")
    with pytest.raises(ThxError, match="appears twice"):
        plan_pet_day([*people, people[0]], tracer="F-18", calibration_time=at(8), mbq_per_kg=3)
    with pytest.raises(NaiveDatetimeError):
        PetPatient("X", 70, datetime(2026, 11, 24, 9, 0))
    with pytest.raises(ThxError, match="weight"):
        PetPatient("X", 0, at(9))
    with pytest.raises(ThxError, match="exactly one"):
        PetProtocol("x", "F-18")
    with pytest.raises(ThxError, match="above the maximum"):
        PetProtocol("x", "F-18", fixed_activity_bq=1e8, min_activity_bq=3e8, max_activity_bq=2e8)


def test_per_patient_protocol_and_fixed_activity() -> None:
    people = [PetPatient("A", 70, at(9)), PetPatient("B", 120, at(9, 20), protocol="dcfpyl-f18")]
    plan = plan_pet_day(people, tracer="F-18", calibration_time=at(8), protocol="fdg-eanm-3d")
    assert plan.doses[0].activity_bq == pytest.approx(70 * 2.33 * MBQ)
    assert plan.doses[1].activity_bq == 333 * MBQ and plan.doses[1].protocol.name == "dcfpyl-f18"


def test_builtin_protocols_cite_sources() -> None:
    table = pet_protocols()
    assert {"fdg-eanm-3d", "psma11-ga68", "dotatate-ga68", "dcfpyl-f18"} <= set(table)
    for p in table.values():
        assert p.source.strip()
        assert p.guideline or "local example" in p.source
    psma = table["psma11-ga68"]
    assert (psma.activity_per_kg_bq, psma.min_activity_bq, psma.max_activity_bq) == (
        2e6,
        111e6,
        259e6,
    )
    assert "doi:10.1007/s00259-014-2961-x" in table["fdg-eanm-3d"].source


def test_read_patients_csv(tmp_path: Path) -> None:
    good = tmp_path / "day.csv"
    good.write_text(
        "# PET day\npatient_id,weight_kg,injection_time,protocol\n"
        "A,70,2026-11-24T09:00+01:00,\n\nB,82.5,2026-11-24 09:20,dcfpyl-f18\n",
        encoding="utf-8",
    )
    people = read_patients_csv(good, tz="Europe/Paris")
    assert [(p.patient_id, p.weight_kg, p.protocol) for p in people] == [
        ("A", 70.0, None), ("B", 82.5, "dcfpyl-f18"),
    ]  # fmt: skip
    assert people[1].injection_time == at(9, 20)
    cases = {
        "patient_id,weight_kg\nA,70\n": "line 1: missing column 'injection_time'",
        "patient_id,weight_kg,injection_time\nA,heavy,2026-11-24T09:00+01:00\n": (
            "line 2 column 'weight_kg': 'heavy' is not a number"
        ),
        "patient_id,weight_kg,injection_time\nA,700,2026-11-24T09:00+01:00\n": "line 2 column 'weight_kg'",
        "patient_id,weight_kg,injection_time\nA,70,2026-11-24T09:00+01:00\nA,71,2026-11-24T09:20+01:00\n": (
            "line 3 column 'patient_id': 'A' already on line 2"
        ),
        "patient_id,weight_kg,injection_time\nA,70,2026-11-24T09:00\n": (
            "line 2 column 'injection_time': .*no time zone"
        ),
        "patient_id,weight_kg,injection_time\nA,,2026-11-24T09:00+01:00\n": "line 2 column 'weight_kg': missing",
        "patient_id,weight_kg,injection_time\n": "no patient rows",
        "": "empty file",
    }
    for n, (text, message) in enumerate(cases.items()):
        bad = tmp_path / f"bad{n}.csv"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ThxError, match=message) as info:
            read_patients_csv(bad)
        assert str(bad) in str(info.value)
    with pytest.raises(ThxError, match="cannot be read"):
        read_patients_csv(tmp_path / "missing.csv")


def test_synthetic_day_is_reproducible_and_plannable() -> None:
    day = synthetic_pet_day(n_patients=10, seed=3, start=at(8, 30))
    assert day == synthetic_pet_day(n_patients=10, seed=3, start=at(8, 30))
    assert len(day) == 10 and day[0].injection_time == at(8, 30)
    gaps = {(b.injection_time - a.injection_time).seconds for a, b in itertools.pairwise(day)}
    assert gaps <= {900, 1200}
    assert all(40 <= p.weight_kg <= 160 for p in day)
    plan = plan_pet_day(day, tracer="F-18", calibration_time=at(8), protocol="fdg-eanm-3d")
    assert plan.feasible and len(plan.doses) == 10
    with pytest.raises(ThxError, match="n_patients"):
        synthetic_pet_day(n_patients=0)

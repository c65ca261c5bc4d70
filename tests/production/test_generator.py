"""Generators against the two-member Bateman solution written out here, and chain_decay."""

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from theranostix.errors import NaiveDatetimeError, ThxError, UnreachableActivityError
from theranostix.nuclides import chain_decay
from theranostix.production import (
    PH_EUR_GE68_LIMIT,
    Elution,
    ExpiryReference,
    Generator,
    GeneratorModel,
    GeneratorType,
    daughter_ingrowth,
    elution_history,
    estimate_elution_efficiency,
    generator_status,
    next_elution,
    simulate_elutions,
    time_of_maximum_daughter_activity,
)

# ICRP-107 half-lives and branching.
MO99_H, TC99M_H, B_MO_TC = 65.94, 6.015, 0.8773
GE68_D, GA68_MIN = 270.95, 67.71
LAM_MO, LAM_TC = math.log(2) / (MO99_H * 3600), math.log(2) / (TC99M_H * 3600)
LAM_GE, LAM_GA = math.log(2) / (GE68_D * 86400), math.log(2) / (GA68_MIN * 60)

CAL = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def bateman(
    a_p0: float, lam_p: float, lam_d: float, b: float, t: float, a_d0: float = 0.0
) -> float:
    """A_d(t) = b·λd/(λd−λp)·A_p0·(e^−λp·t − e^−λd·t) + A_d0·e^−λd·t."""
    return b * lam_d / (lam_d - lam_p) * a_p0 * (
        math.exp(-lam_p * t) - math.exp(-lam_d * t)
    ) + a_d0 * math.exp(-lam_d * t)


def gega(**changes: object) -> Generator:
    model = dataclasses.replace(GeneratorModel.typical("ge68-ga68"), **changes)
    return Generator(model, calibration_activity_bq=1.85e9, calibrated=CAL)


# --------------------------------------------------------------------------- ingrowth


@pytest.mark.parametrize("hours", [0.5, 6.0, 22.9, 48.0])
def test_mo_tc_ingrowth_closed_form(hours: float) -> None:
    got = daughter_ingrowth(10e9, "Mo-99", "Tc-99m", hours * 3600)
    assert got == pytest.approx(bateman(10e9, LAM_MO, LAM_TC, B_MO_TC, hours * 3600), rel=1e-9)


def test_mo_tc_ingrowth_matches_chain_decay_vectorised() -> None:
    times = np.array([600.0, 3600.0, 6 * 3600.0, 23 * 3600.0, 72 * 3600.0])
    got = daughter_ingrowth(10e9, "Mo-99", "Tc-99m", times)
    reference = chain_decay({"Mo-99": 10e9}, times)["Tc-99m"]
    np.testing.assert_allclose(got, reference, rtol=1e-9)


def test_ingrowth_with_residual_matches_chain_decay() -> None:
    got = daughter_ingrowth(10e9, "Mo-99", "Tc-99m", 5 * 3600, daughter_activity_bq=2e9)
    reference = chain_decay({"Mo-99": 10e9, "Tc-99m": 2e9}, 5 * 3600)["Tc-99m"]
    assert got == pytest.approx(reference, rel=1e-9)
    hand = bateman(10e9, LAM_MO, LAM_TC, B_MO_TC, 5 * 3600, a_d0=2e9)
    assert got == pytest.approx(hand, rel=1e-9)


def test_ge_ga_near_equilibrium_after_14_h() -> None:
    a = daughter_ingrowth(1e9, "Ge-68", "Ga-68", 14 * 3600)
    equilibrium = 1e9 * math.exp(-LAM_GE * 14 * 3600) * LAM_GA / (LAM_GA - LAM_GE)
    assert a / equilibrium == pytest.approx(1.0, abs=2e-4)
    assert a / equilibrium < 1.0
    # 68 min (one Ga-68 half-life) after an elution, half of equilibrium.
    half = daughter_ingrowth(1e9, "Ge-68", "Ga-68", GA68_MIN * 60)
    assert half / 1e9 == pytest.approx(0.5, abs=1e-3)


def test_t_max_mo_tc_is_22_9_h() -> None:
    t_max = time_of_maximum_daughter_activity("Mo-99", "Tc-99m")
    assert t_max == pytest.approx(math.log(LAM_TC / LAM_MO) / (LAM_TC - LAM_MO), rel=1e-9)
    assert t_max / 3600 == pytest.approx(22.9, abs=0.05)
    around = daughter_ingrowth(10e9, "Mo-99", "Tc-99m", np.array([t_max - 600, t_max, t_max + 600]))
    assert around[1] > around[0]
    assert around[1] > around[2]


def test_t_max_refused_for_longer_lived_daughter() -> None:
    with pytest.raises(ThxError, match="lives longer"):
        time_of_maximum_daughter_activity("Tc-99m", "Mo-99")


def test_ingrowth_refuses_negative_time() -> None:
    with pytest.raises(ThxError, match="elapsed_s"):
        daughter_ingrowth(1e9, "Mo-99", "Tc-99m", -1.0)


# --------------------------------------------------------------------------- status


def test_status_before_any_elution_is_equilibrium() -> None:
    at = CAL + timedelta(days=10)
    s = generator_status(gega(), at)
    parent = 1.85e9 * math.exp(-LAM_GE * 10 * 86400)
    assert s.parent_activity_bq == pytest.approx(parent, rel=1e-9)
    assert s.available_daughter_bq == pytest.approx(parent * LAM_GA / (LAM_GA - LAM_GE), rel=1e-9)
    assert s.expected_eluate_bq == pytest.approx(0.6 * s.available_daughter_bq)
    assert s.elution_count == 0
    assert s.last_elution is None
    assert s.age_s == 10 * 86400


def test_status_residual_after_elution() -> None:
    t_e = CAL + timedelta(days=14)
    gen = gega(elution_efficiency=0.7).with_elutions(t_e)
    at = t_e + timedelta(hours=2)
    parent_e = 1.85e9 * math.exp(-LAM_GE * 14 * 86400)
    available_e = parent_e * LAM_GA / (LAM_GA - LAM_GE)
    residual = 0.3 * available_e
    expected = bateman(parent_e, LAM_GE, LAM_GA, 1.0, 7200, a_d0=residual)
    s = generator_status(gen, at)
    assert s.available_daughter_bq == pytest.approx(expected, rel=1e-9)
    assert s.elution_count == 1
    assert s.last_elution == t_e
    assert s.since_last_elution_s == 7200
    # An elution exactly at `at` is not yet applied: the status is what it finds.
    assert generator_status(gen, t_e).available_daughter_bq == pytest.approx(available_e, rel=1e-9)


def test_measured_elution_sets_residual_and_efficiency() -> None:
    t_e = CAL + timedelta(days=14)
    parent_e = 1.85e9 * math.exp(-LAM_GE * 14 * 86400)
    available_e = parent_e * LAM_GA / (LAM_GA - LAM_GE)
    gen = gega().with_elutions(Elution(t_e, measured_activity_bq=1.2e9))
    (record,) = elution_history(gen)
    assert record.measured
    assert record.efficiency == pytest.approx(1.2e9 / available_e, rel=1e-9)
    assert record.residual_daughter_bq == pytest.approx(available_e - 1.2e9, rel=1e-9)
    later = generator_status(gen, t_e + timedelta(hours=1)).available_daughter_bq
    assert later == pytest.approx(
        bateman(parent_e, LAM_GE, LAM_GA, 1.0, 3600, a_d0=available_e - 1.2e9), rel=1e-9
    )


def test_measured_more_than_available_refused() -> None:
    gen = gega().with_elutions(Elution(CAL + timedelta(days=1), measured_activity_bq=5e9))
    with pytest.raises(ThxError, match="more than"):
        generator_status(gen, CAL + timedelta(days=2))


def test_efficiency_estimate_round_trip() -> None:
    gen = gega()
    day = [CAL + timedelta(days=3, hours=h) for h in (0, 3)]
    simulated = simulate_elutions(gen, day, efficiency=0.72)
    with_first = gen.with_elutions(Elution(day[0], efficiency=0.72))
    estimate = estimate_elution_efficiency(with_first, day[1], simulated[1].eluate_activity_bq)
    assert estimate == pytest.approx(0.72, rel=1e-9)


def test_mo_tc_branching_in_status() -> None:
    gen = Generator("mo99-tc99m", calibration_activity_bq=20e9, calibrated=CAL, elutions=[CAL])
    s = generator_status(gen, CAL + timedelta(hours=23))
    # The Mo/Tc example model elutes 0.85 and leaves 0.15 of the equilibrium Tc-99m at CAL.
    residual = 0.15 * 20e9 * B_MO_TC * LAM_TC / (LAM_TC - LAM_MO)
    hand = bateman(20e9, LAM_MO, LAM_TC, B_MO_TC, 23 * 3600, a_d0=residual)
    assert s.available_daughter_bq == pytest.approx(hand, rel=1e-9)
    assert gen.branching_fraction == B_MO_TC


# --------------------------------------------------------------------------- expiry


def test_expiry_by_months_clamps_to_month_end() -> None:
    cal = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    model = dataclasses.replace(GeneratorModel.typical("ge68"), shelf_life_months=1)
    gen = Generator(model, calibration_activity_bq=1e9, calibrated=cal)
    assert gen.expires_at() == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    before = generator_status(gen, datetime(2026, 2, 28, 8, 59, tzinfo=UTC))
    after = generator_status(gen, datetime(2026, 2, 28, 9, 0, tzinfo=UTC))
    assert not before.expired
    assert before.expiry_reasons == ()
    assert after.expired
    assert "1 months" in after.expiry_reasons[0]


def test_expiry_by_twelve_months_default() -> None:
    s = generator_status(gega(), datetime(2027, 6, 1, 12, 0, tzinfo=UTC))
    assert s.expires_at == datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    assert s.expired


def test_expiry_by_number_of_elutions() -> None:
    times = [CAL + timedelta(days=d) for d in (1, 2, 3)]
    gen = gega(max_elutions=3).with_elutions(*times)
    after_two = generator_status(gen, times[2])
    assert not after_two.expired
    assert after_two.elutions_left == 1
    after_three = generator_status(gen, times[2] + timedelta(minutes=1))
    assert after_three.expired
    assert after_three.elutions_left == 0
    assert any("maximum is 3" in r for r in after_three.expiry_reasons)


def test_expiry_from_first_use() -> None:
    first = CAL + timedelta(days=40)
    model = dataclasses.replace(
        GeneratorModel.typical("ge68"), shelf_life_days=30.0, shelf_life_months=None,
        expiry_from=ExpiryReference.FIRST_USE,
    )  # fmt: skip
    gen = Generator(model, calibration_activity_bq=1e9, calibrated=CAL, elutions=[first])
    assert gen.expires_at() == first + timedelta(days=30)
    s = generator_status(gen, first + timedelta(days=5))
    assert s.age_since_first_use_s == 5 * 86400
    assert s.age_s == 45 * 86400
    assert not s.expired
    # Not used yet: no expiry date.
    unused = Generator(model, calibration_activity_bq=1e9, calibrated=CAL)
    assert unused.expires_at() is None


def test_simulated_elution_flags_expiry() -> None:
    gen = gega(max_elutions=2)
    results = simulate_elutions(gen, [CAL + timedelta(hours=h) for h in (1, 4, 7)])
    assert [r.expired for r in results] == [False, False, True]
    assert [r.number for r in results] == [1, 2, 3]


# --------------------------------------------------------------------------- next elution


def test_next_elution_ge_ga_earliest_time() -> None:
    t_e = CAL + timedelta(days=7)
    gen = gega().with_elutions(t_e)
    timing = next_elution(gen, 1e9)
    assert timing.start == t_e
    dt = (timing.at - t_e).total_seconds()
    parent_e = 1.85e9 * math.exp(-LAM_GE * 7 * 86400)
    residual = 0.4 * parent_e * LAM_GA / (LAM_GA - LAM_GE)
    # The earliest whole second at which the eluate reaches the need.
    assert dt == int(dt)
    assert 0.6 * bateman(parent_e, LAM_GE, LAM_GA, 1.0, dt, residual) >= 1e9
    assert 0.6 * bateman(parent_e, LAM_GE, LAM_GA, 1.0, dt - 1, residual) < 1e9
    assert timing.expected_eluate_bq >= 1e9
    assert timing.expected_eluate_bq == pytest.approx(1e9, rel=1e-4)


def test_next_elution_already_enough_is_now() -> None:
    t_e = CAL + timedelta(days=7)
    gen = gega().with_elutions(t_e)
    later = t_e + timedelta(hours=10)
    timing = next_elution(gen, 500e6, earliest=later)
    assert timing.at == later
    assert timing.wait_s == 0


def test_next_elution_mo_tc_peak_is_t_max_after_complete_elution() -> None:
    t_e = CAL + timedelta(days=1)
    gen = Generator(
        "mo99-tc99m", calibration_activity_bq=20e9, calibrated=CAL,
        elutions=[Elution(t_e, efficiency=1.0)],
    )  # fmt: skip
    timing = next_elution(gen, 1e9)
    t_max = math.log(LAM_TC / LAM_MO) / (LAM_TC - LAM_MO)
    assert (timing.peak_at - t_e).total_seconds() == pytest.approx(t_max, abs=1e-3)
    parent_e = 20e9 * math.exp(-LAM_MO * 86400)
    peak = 0.85 * bateman(parent_e, LAM_MO, LAM_TC, B_MO_TC, t_max)
    assert timing.peak_eluate_bq == pytest.approx(peak, rel=1e-9)
    dt = (timing.at - t_e).total_seconds()
    assert 0.85 * bateman(parent_e, LAM_MO, LAM_TC, B_MO_TC, dt) >= 1e9
    assert 0.85 * bateman(parent_e, LAM_MO, LAM_TC, B_MO_TC, dt - 1) < 1e9


def test_next_elution_unreachable_above_maximum() -> None:
    gen = gega().with_elutions(CAL + timedelta(days=7))
    with pytest.raises(UnreachableActivityError, match="at most"):
        next_elution(gen, 1.5e9)


def test_next_elution_unreachable_after_expiry() -> None:
    gen = gega(max_elutions=1).with_elutions(CAL + timedelta(days=7))
    with pytest.raises(UnreachableActivityError, match="expired"):
        next_elution(gen, 100e6)


def test_next_elution_naive_earliest_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        next_elution(gega(), 1e8, earliest=datetime(2026, 6, 2, 8, 0))


# --------------------------------------------------------------------------- simulation


def test_simulation_day_of_ga68_elutions() -> None:
    gen = gega()
    times = [CAL + timedelta(days=14, hours=h) for h in (0, 3, 6)]
    results = simulate_elutions(gen, times)
    parent = 1.85e9 * math.exp(-LAM_GE * 14 * 86400)
    first_available = parent * LAM_GA / (LAM_GA - LAM_GE)
    assert results[0].available_daughter_bq == pytest.approx(first_available, rel=1e-9)
    second = bateman(parent, LAM_GE, LAM_GA, 1.0, 3 * 3600, a_d0=0.4 * first_available)
    assert results[1].available_daughter_bq == pytest.approx(second, rel=1e-9)
    for r in results:
        assert r.eluate_activity_bq == pytest.approx(0.6 * r.available_daughter_bq)
        assert r.residual_daughter_bq == pytest.approx(0.4 * r.available_daughter_bq)
    assert results[1].since_previous_s == 3 * 3600
    assert results[2].parent_activity_bq == pytest.approx(
        1.85e9 * math.exp(-LAM_GE * (14 * 86400 + 6 * 3600)), rel=1e-9
    )


def test_simulation_times_must_increase_after_history() -> None:
    gen = gega().with_elutions(CAL + timedelta(days=2))
    with pytest.raises(ThxError, match="not after the previous elution"):
        simulate_elutions(gen, [CAL + timedelta(days=1)])
    with pytest.raises(ThxError, match="not after the previous elution"):
        simulate_elutions(gen, [CAL + timedelta(days=3), CAL + timedelta(days=3)])
    with pytest.raises(NaiveDatetimeError):
        simulate_elutions(gen, [datetime(2026, 6, 10, 8, 0)])


def test_breakthrough_estimate_against_ph_eur_limit() -> None:
    assert PH_EUR_GE68_LIMIT == 1e-5  # 0.001 %
    at = CAL + timedelta(days=30)
    low = generator_status(gega(breakthrough_fraction=1e-6), at)
    parent = 1.85e9 * math.exp(-LAM_GE * 30 * 86400)
    assert low.parent_in_eluate_bq == pytest.approx(1e-6 * parent, rel=1e-9)
    assert low.breakthrough_ratio == pytest.approx(1e-6 * parent / low.expected_eluate_bq)
    assert low.breakthrough_within_limit is True
    high = generator_status(gega(breakthrough_fraction=1e-4), at)
    assert high.breakthrough_within_limit is False
    assert generator_status(gega(), at).breakthrough_ratio is None


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"elution_efficiency": 0.0}, "elution_efficiency"),
        ({"elution_efficiency": 1.2}, "elution_efficiency"),
        ({"elution_efficiency": 70.0}, "elution_efficiency"),
        ({"max_elutions": 0}, "max_elutions"),
        ({"shelf_life_months": -1}, "shelf_life_months"),
        ({"shelf_life_days": 10.0}, "shelf_life_days"),  # both shelf lives given
        ({"breakthrough_fraction": -1e-5}, "breakthrough_fraction"),
        ({"expiry_from": "delivery"}, "expiry_from"),
    ],
)
def test_model_validation_names_parameter(changes: dict[str, object], name: str) -> None:
    with pytest.raises(ThxError, match=name):
        dataclasses.replace(GeneratorModel.typical("ge68-ga68"), **changes)


def test_generator_validation() -> None:
    with pytest.raises(NaiveDatetimeError, match="calibrated"):
        Generator("ge68-ga68", calibration_activity_bq=1e9, calibrated=datetime(2026, 6, 1))
    with pytest.raises(ThxError, match="calibration_activity_bq"):
        Generator("ge68-ga68", calibration_activity_bq=0, calibrated=CAL)
    with pytest.raises(ThxError, match="same time"):
        Generator("ge68-ga68", calibration_activity_bq=1e9, calibrated=CAL, elutions=[CAL, CAL])
    with pytest.raises(ThxError, match="unknown generator type"):
        Generator("sr90-y90", calibration_activity_bq=1e9, calibrated=CAL)
    with pytest.raises(ThxError, match="measured_activity_bq"):
        Elution(CAL, measured_activity_bq=-1.0)
    with pytest.raises(ThxError, match="not both"):
        Elution(CAL, measured_activity_bq=1e8, efficiency=0.5)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ge68-ga68", GeneratorType.GE68_GA68),
        ("Ge-68/Ga-68", GeneratorType.GE68_GA68),
        ("GE68_GA68", GeneratorType.GE68_GA68),
        ("mo99", GeneratorType.MO99_TC99M),
        ("Tc-99m", GeneratorType.MO99_TC99M),
    ],
)
def test_generator_type_spellings(text: str, kind: GeneratorType) -> None:
    assert GeneratorType.parse(text) is kind


def test_next_elution_before_a_future_calibration() -> None:
    # Mo-99/Tc-99m generators are often calibrated for a date after delivery.
    gen = Generator("mo99-tc99m", calibration_activity_bq=20e9, calibrated=CAL)
    earliest = CAL - timedelta(days=2)
    timing = next_elution(gen, 1e9, earliest=earliest)
    assert timing.at == earliest
    parent = 20e9 * math.exp(LAM_MO * 2 * 86400)
    assert timing.parent_activity_bq == pytest.approx(parent, rel=1e-9)
    equilibrium = parent * B_MO_TC * LAM_TC / (LAM_TC - LAM_MO)
    assert timing.expected_eluate_bq == pytest.approx(0.85 * equilibrium, rel=1e-9)

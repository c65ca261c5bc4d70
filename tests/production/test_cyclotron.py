"""Cyclotron production against hand calculations with ICRP-107 half-lives."""

import math
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from theranostix.errors import NaiveDatetimeError, ThxError, UnreachableActivityError
from theranostix.production import (
    ProductionRoute,
    YieldConvention,
    eob_activity,
    irradiation_duration_for,
    plan_irradiation,
    product_activity,
    saturation_yield_from_thick_target_yield,
)
from theranostix.units import elapsed_s

F18_HALF_LIFE_MIN = 109.77  # ICRP-107
LAMBDA_F18 = math.log(2) / (F18_HALF_LIFE_MIN * 60)
CET = timezone(timedelta(hours=1))


def fdg_route(**changes: object) -> ProductionRoute:
    values: dict[str, object] = {
        "saturation_yield_bq_per_ua": 8e9,
        "beam_current_ua": 60.0,
        "synthesis_yield": 0.6,
        "synthesis_duration_s": 45 * 60,
        "qc_duration_s": 20 * 60,
    }
    values.update(changes)
    return ProductionRoute("F-18", **values)  # type: ignore[arg-type]


def test_eob_f18_two_hours_at_60_ua() -> None:
    expected = 8e9 * 60 * (1 - 2 ** (-120 / F18_HALF_LIFE_MIN))
    got = eob_activity("F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=60, duration_s=7200)
    assert got == pytest.approx(expected, rel=1e-9)
    assert got / 1e9 == pytest.approx(255.01, abs=0.01)


def test_eob_limits() -> None:
    assert (
        eob_activity("F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=1, duration_s=0) == 0
    )
    long_run = eob_activity(
        "F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=1, duration_s=20 * 6586.2
    )
    assert long_run == pytest.approx(8e9 * (1 - 2.0**-20), rel=1e-12)


def test_thick_target_yield_to_saturation_yield() -> None:
    # 3.3 GBq/µAh for a 1 h run: Y_sat = 3.3 GBq·h/µAh / (1 − 2^(−60/109.77)).
    y_sat = saturation_yield_from_thick_target_yield("F-18", 3.3e9)
    assert y_sat == pytest.approx(3.3e9 / (1 - 2 ** (-60 / F18_HALF_LIFE_MIN)), rel=1e-9)
    # The 1 h run at 1 µA gives back the quoted activity per µAh.
    one_hour = eob_activity(
        "F-18", saturation_yield_bq_per_ua=y_sat, beam_current_ua=1, duration_s=3600
    )
    assert one_hour == pytest.approx(3.3e9, rel=1e-12)
    # A yield quoted for a 2 h run: A(2 h) per µA = Y·2 h.
    y_2h = saturation_yield_from_thick_target_yield("F-18", 3.0e9, run_duration_s=7200)
    assert y_2h * (1 - 2 ** (-120 / F18_HALF_LIFE_MIN)) == pytest.approx(6.0e9, rel=1e-9)


def test_irradiation_duration_inverts_activation() -> None:
    t = irradiation_duration_for("F-18", 100e9, saturation_yield_bq_per_ua=8e9, beam_current_ua=60)
    assert t == pytest.approx(-math.log(1 - 100e9 / 480e9) / LAMBDA_F18, rel=1e-9)


@pytest.mark.parametrize("needed_bq", [480e9, 600e9])
def test_irradiation_unreachable_at_saturation(needed_bq: float) -> None:
    with pytest.raises(UnreachableActivityError) as info:
        irradiation_duration_for(
            "F-18", needed_bq, saturation_yield_bq_per_ua=8e9, beam_current_ua=60
        )
    message = str(info.value)
    assert "480 GBq" in message  # the saturation activity Y_sat·I
    assert "current" in message
    assert "saturation yield" in message


def test_product_activity_decay_corrected_yield() -> None:
    p = product_activity(
        "F-18",
        200e9,
        synthesis_yield=0.6,
        synthesis_duration_s=45 * 60,
        qc_duration_s=20 * 60,
        transport_duration_s=30 * 60,
    )
    eos = 200e9 * 0.6 * 2 ** (-45 / F18_HALF_LIFE_MIN)
    assert p.end_of_synthesis_activity_bq == pytest.approx(eos, rel=1e-9)
    assert p.release_activity_bq == pytest.approx(eos * 2 ** (-20 / F18_HALF_LIFE_MIN), rel=1e-9)
    assert p.delivery_activity_bq == pytest.approx(
        200e9 * 0.6 * 2 ** (-95 / F18_HALF_LIFE_MIN), rel=1e-9
    )
    assert p.yield_convention is YieldConvention.DECAY_CORRECTED
    assert p.eob_to_delivery_s == 95 * 60


def test_product_activity_not_decay_corrected_yield() -> None:
    p = product_activity(
        "F-18",
        200e9,
        synthesis_yield=0.5,
        synthesis_duration_s=45 * 60,
        qc_duration_s=20 * 60,
        yield_convention="not-decay-corrected",
    )
    assert p.end_of_synthesis_activity_bq == pytest.approx(100e9, rel=1e-12)
    assert p.release_activity_bq == pytest.approx(100e9 * 2 ** (-20 / F18_HALF_LIFE_MIN))


def test_activity_yield_above_decay_fraction_refused() -> None:
    # After 60 min only 2^(−60/109.77) = 0.6846 of the F-18 is left: an AY of 0.8 is impossible.
    with pytest.raises(ThxError, match=r"0\.6846"):
        product_activity(
            "F-18",
            100e9,
            synthesis_yield=0.8,
            synthesis_duration_s=3600,
            yield_convention=YieldConvention.NOT_DECAY_CORRECTED,
        )


def test_product_times_and_delivery() -> None:
    eob = datetime(2026, 11, 24, 5, 0, tzinfo=CET)
    delivery = datetime(2026, 11, 24, 7, 0, tzinfo=CET)
    p = product_activity(
        "F-18",
        250e9,
        synthesis_yield=0.6,
        synthesis_duration_s=45 * 60,
        qc_duration_s=20 * 60,
        eob=eob,
        delivery=delivery,
    )
    assert p.release == datetime(2026, 11, 24, 6, 5, tzinfo=CET)
    assert p.transport_duration_s == 55 * 60
    assert p.delivery_activity_bq == pytest.approx(
        250e9 * 0.6 * 2 ** (-120 / F18_HALF_LIFE_MIN), rel=1e-9
    )
    assert p.activity_at(delivery) == pytest.approx(p.delivery_activity_bq, rel=1e-12)


def test_product_delivery_before_release_refused() -> None:
    eob = datetime(2026, 11, 24, 5, 0, tzinfo=CET)
    with pytest.raises(ThxError, match="before the release"):
        product_activity(
            "F-18",
            250e9,
            synthesis_yield=0.6,
            synthesis_duration_s=45 * 60,
            qc_duration_s=20 * 60,
            eob=eob,
            delivery=eob + timedelta(minutes=30),
        )


def test_product_naive_eob_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="eob"):
        product_activity(
            "F-18", 1e9, synthesis_yield=0.5, synthesis_duration_s=60, eob=datetime(2026, 1, 1)
        )


def test_plan_matches_hand_calculation() -> None:
    route = fdg_route()
    plan = plan_irradiation(route, 20e9, transport_duration_s=30 * 60)
    needed_eob = 20e9 / (0.6 * 2 ** (-(45 + 20 + 30) / F18_HALF_LIFE_MIN))
    assert plan.eob_activity_bq == pytest.approx(needed_eob, rel=1e-9)
    t_irr = -math.log(1 - needed_eob / 480e9) / LAMBDA_F18
    assert plan.irradiation_duration_s == pytest.approx(t_irr, rel=1e-9)
    assert plan.saturation_fraction == pytest.approx(needed_eob / 480e9)
    assert plan.product.delivery_activity_bq == pytest.approx(20e9, rel=1e-9)
    # Running the route for that long delivers the target.
    again = route.product(plan.irradiation_duration_s, transport_duration_s=30 * 60)
    assert again.delivery_activity_bq == pytest.approx(20e9, rel=1e-9)


def test_plan_with_delivery_datetime_across_dst() -> None:
    paris = ZoneInfo("Europe/Paris")
    delivery = datetime(2026, 10, 25, 4, 0, tzinfo=paris)  # clocks went back at 03:00 CEST
    plan = plan_irradiation(fdg_route(), 150e9, delivery=delivery, transport_duration_s=1800)
    assert plan.eob is not None
    assert plan.beam_start is not None
    assert elapsed_s(plan.eob, delivery) == pytest.approx((45 + 20 + 30) * 60)
    assert elapsed_s(plan.beam_start, plan.eob) == pytest.approx(plan.irradiation_duration_s)
    assert plan.product.delivery == delivery
    assert plan.product.transport_duration_s == pytest.approx(1800)


def test_plan_unreachable_names_eob_and_saturation() -> None:
    with pytest.raises(UnreachableActivityError) as info:
        plan_irradiation(fdg_route(), 300e9)
    message = str(info.value)
    assert "needed at EOB" in message
    assert "saturation activity" in message
    assert "480 GBq" in message


def test_plan_max_beam_time() -> None:
    route = fdg_route(max_beam_duration_s=3600)
    with pytest.raises(UnreachableActivityError, match="maximum beam time"):
        plan_irradiation(route, 100e9)
    short = plan_irradiation(route, 20e9)
    assert short.irradiation_duration_s < 3600
    # A limit given to the call replaces the route's.
    with pytest.raises(UnreachableActivityError, match="maximum beam time"):
        plan_irradiation(route, 20e9, max_beam_duration_s=60)


def test_plan_naive_delivery_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        plan_irradiation(fdg_route(), 20e9, delivery=datetime(2026, 11, 24, 7, 0))


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"beam_current_ua": 0.0}, "beam_current_ua"),
        ({"beam_current_ua": -5.0}, "beam_current_ua"),
        ({"saturation_yield_bq_per_ua": 0.0}, "saturation_yield_bq_per_ua"),
        ({"synthesis_yield": 0.0}, "synthesis_yield"),
        ({"synthesis_yield": 1.2}, "synthesis_yield"),
        ({"synthesis_yield": 60.0}, "synthesis_yield"),
        ({"synthesis_duration_s": -1.0}, "synthesis_duration_s"),
        ({"qc_duration_s": -1.0}, "qc_duration_s"),
        ({"max_beam_duration_s": 0.0}, "max_beam_duration_s"),
        ({"beam_current_ua": float("nan")}, "beam_current_ua"),
    ],
)
def test_route_validation_names_parameter(changes: dict[str, float], name: str) -> None:
    with pytest.raises(ThxError, match=name):
        fdg_route(**changes)


def test_route_unknown_nuclide() -> None:
    with pytest.raises(ThxError, match="F-19"):
        ProductionRoute("F-19", saturation_yield_bq_per_ua=1e9, beam_current_ua=1)


def test_route_accepts_any_nuclide_spelling() -> None:
    route = ProductionRoute("18F", saturation_yield_bq_per_ua=1e9, beam_current_ua=1)
    assert route.nuclide.name == "F-18"
    assert route.saturation_activity_bq == 1e9


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"duration_s": -1.0}, "duration_s"),
        ({"beam_current_ua": 0.0}, "beam_current_ua"),
        ({"saturation_yield_bq_per_ua": -1.0}, "saturation_yield_bq_per_ua"),
    ],
)
def test_eob_validation(kwargs: dict[str, float], name: str) -> None:
    values = {"saturation_yield_bq_per_ua": 8e9, "beam_current_ua": 10.0, "duration_s": 60.0}
    values.update(kwargs)
    with pytest.raises(ThxError, match=name):
        eob_activity("F-18", **values)

"""Therapy preparation ordering against the vial calibration; Lu-177m ratio."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from theranostix.errors import ThxError, UnreachableActivityError
from theranostix.pharmacy._therapy import (
    LU177M_RATIO_EOB_CARRIER_ADDED,
    TherapyProduct,
    lu177m_ratio,
    lu177m_ratio_at_eob,
    order_therapy,
)

T_LU = 6.647 * 24.0  # h
CAL = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # noon CET
PRODUCT = TherapyProduct("Lu-PSMA", (7.4e9, 10e9, 12e9), shelf_life_s=120 * 3600.0)


def test_required_activity_at_calibration_by_hand() -> None:
    admin = CAL + timedelta(hours=47)
    o = order_therapy(PRODUCT, 7.4e9, admin, [CAL])
    required = 7.4e9 * 2 ** (47 / T_LU)
    assert o.chosen.required_at_calibration_bq == pytest.approx(required, rel=1e-4)
    assert required / 1e9 == pytest.approx(9.077, abs=1e-3)
    assert o.chosen.vial_bq == 12e9  # 10 GBq − 10 % = 9 GBq < 9.077 GBq
    assert o.chosen.minimum_at_administration_bq == pytest.approx(
        12e9 * 0.9 * 2 ** (-47 / T_LU), rel=1e-4
    )


def test_choose_smallest_vial_then_nearest_calibration() -> None:
    admin = CAL + timedelta(hours=47)
    later = CAL + timedelta(days=1)  # 23 h before administration
    o = order_therapy(PRODUCT, 7.4e9, admin, [CAL, later])
    # later: 7.4·2^(23/159.5) = 8.18 GBq ≤ 9 → 10 GBq vial
    assert o.chosen.calibration == later
    assert o.chosen.vial_bq == 10e9


def test_administration_before_calibration_needs_less() -> None:
    o = order_therapy(PRODUCT, 7.4e9, CAL - timedelta(hours=36), [CAL])
    assert o.chosen.required_at_calibration_bq == pytest.approx(7.4e9 * 2 ** (-36 / T_LU), 1e-4)
    assert o.chosen.vial_bq == 7.4e9  # 7.4·2^(−36/159.5) = 6.329 GBq ≤ 6.66 GBq
    # 24 h before: 6.667 GBq > 6.66 GBq (7.4 GBq − 10 %) → the next vial
    o24 = order_therapy(PRODUCT, 7.4e9, CAL - timedelta(hours=24), [CAL])
    assert o24.chosen.vial_bq == 10e9


def test_shelf_life_and_unreachable() -> None:
    with pytest.raises(UnreachableActivityError, match="expiry"):
        order_therapy(PRODUCT, 1e9, CAL + timedelta(hours=121), [CAL])
    with pytest.raises(UnreachableActivityError, match="too small"):
        order_therapy(PRODUCT, 15e9, CAL, [CAL])
    with pytest.raises(ThxError, match="no time zone"):
        order_therapy(PRODUCT, 7.4e9, datetime(2026, 3, 3, 10), [CAL])


def test_lu177m_content_of_vial() -> None:
    p = TherapyProduct("ca", (7.4e9,), 72 * 3600.0, lu177m_ratio_at_calibration=2e-4)
    o = order_therapy(p, 6e9, CAL, [CAL])
    assert o.chosen.lu177m_at_calibration_bq == pytest.approx(7.4e9 * 2e-4)


def test_lu177m_ratio_models() -> None:
    assert LU177M_RATIO_EOB_CARRIER_ADDED == 2e-4
    # short irradiation limit: (σm/σg)·(T_g/T_m)
    assert lu177m_ratio_at_eob(1.0, 1000.0, 1.0) == pytest.approx(1e-3 * 6.647 / 160.4, 1e-6)
    # long irradiation: (σm/σg)·(1−2^(−21/160.4))/(1−2^(−21/6.647))
    r21 = lu177m_ratio_at_eob(21 * 86400.0, 1000.0, 1.0)
    assert r21 == pytest.approx(1e-3 * (1 - 2 ** (-21 / 160.4)) / (1 - 2 ** (-21 / 6.647)), 1e-6)
    # the ratio doubles when Lu-177 has lost half relative to Lu-177m
    t_double = math.log(2) / (math.log(2) / 6.647 - math.log(2) / 160.4) * 86400
    assert lu177m_ratio(1e-4, t_double) == pytest.approx(2e-4)
    with pytest.raises(ThxError, match="Lu-177 only"):
        TherapyProduct("x", (1e9,), 1.0, nuclide="I-131", lu177m_ratio_at_calibration=1e-4)

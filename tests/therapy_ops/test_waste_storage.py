"""Decay-in-storage: release dates of Lu-177 waste with and without Lu-177m (by hand)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from theranostix.errors import ThxError
from theranostix.pharmacy._therapy import lu177m_ratio
from theranostix.therapy_ops._waste import (
    WasteContainer,
    lu177_waste_contents,
    release_waste,
    waste_release,
)

SEALED = datetime(2026, 1, 1, tzinfo=UTC)
T_LU177_D = 6.647
T_LU177M_D = 160.4
LEVELS = {"Lu-177": 100.0, "Lu-177m": 10.0}  # example levels (Bq/g) given by the user


def test_lu177_only() -> None:
    c = WasteContainer("nca", SEALED, 1000.0, lu177_waste_contents(1e9))
    r = waste_release(c, LEVELS)
    # 1e6 Bq/g → 100 Bq/g: 6.647 d × log2(1e4) = 88.32 d
    assert r.storage_s / 86400 == pytest.approx(T_LU177_D * math.log2(1e4), abs=1e-3)
    assert r.limiting_nuclide == "Lu-177"


def test_carrier_added_lu177m_dominates() -> None:
    c = WasteContainer("ca", SEALED, 1000.0, lu177_waste_contents(1e9, 2e-4))
    each = waste_release(c, LEVELS, "each")
    # Lu-177m 200 Bq/g → 10 Bq/g: 160.4 d × log2(20) = 693.2 d
    assert each.storage_s / 86400 == pytest.approx(T_LU177M_D * math.log2(20), abs=0.01)
    assert each.limiting_nuclide == "Lu-177m"
    # summation rule with Lu-177 fed by the 21.7 % IT branch in transient equilibrium:
    # C_177/C_177m = 0.217·T_m/(T_m − T_g) = 0.2264; Σ = C_m (1/10 + 0.2264/100) = 1
    ratio = 0.217 * T_LU177M_D / (T_LU177M_D - T_LU177_D)
    cm = 1.0 / (1 / 10 + ratio / 100)
    total = waste_release(c, LEVELS)
    assert total.storage_s / 86400 == pytest.approx(T_LU177M_D * math.log2(200 / cm), abs=0.05)
    assert total.storage_s / 86400 == pytest.approx(698.4, abs=0.1)
    assert total.release.date().isoformat() == "2027-11-30"


def test_ratio_growth_from_vial_to_waste() -> None:
    # 2e-4 at calibration; waste sealed 14 d later → ratio 2e-4·exp(ln2·14(1/6.647−1/160.4))
    r = lu177m_ratio(2e-4, 14 * 86400.0)
    assert r == pytest.approx(2e-4 * math.exp(math.log(2) * 14 * (1 / 6.647 - 1 / 160.4)), 1e-6)
    assert r == pytest.approx(8.106e-4, rel=1e-3)


def test_several_containers_sorted_and_releasable() -> None:
    a = WasteContainer("a", SEALED, 1000.0, {"Lu-177": 1e9})
    b = WasteContainer("b", SEALED, 1000.0, {"Lu-177": 1e8})
    rows = release_waste([a, b], LEVELS, now=datetime(2026, 3, 25, tzinfo=UTC))
    assert [r["container_id"] for r in rows] == ["b", "a"]
    # b: 6.647·log2(1e3) = 66.2 d (7 Mar) → releasable on 25 Mar; a: 88.3 d (30 Mar) → not
    assert [r["releasable"] for r in rows] == [True, False]


def test_missing_level_named() -> None:
    c = WasteContainer("ca", SEALED, 1000.0, {"Lu-177m": 1e5})
    with pytest.raises(ThxError, match="Lu-177"):
        waste_release(c, {"Lu-177m": 10.0})  # Lu-177 grows in from the IT branch
    with pytest.raises(ThxError, match="mass"):
        WasteContainer("x", SEALED, 0.0, {"Lu-177": 1.0})

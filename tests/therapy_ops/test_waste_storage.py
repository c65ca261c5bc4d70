"""Decay-in-storage: release dates of Lu-177 waste with and without Lu-177m, by clearance
level and by dose rate (by hand)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from theranostix.errors import ThxError
from theranostix.nuclides import air_kerma_rate_constant
from theranostix.pharmacy._therapy import lu177m_ratio
from theranostix.therapy_ops._waste import (
    DoseRateLimit,
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


# --- dose-rate criterion (point source Γ·A/d², or scaled from a measured dose rate) ---


def test_dose_rate_limits_a_dilute_container() -> None:
    gamma = air_kerma_rate_constant("Lu-177")  # µGy·m²/(MBq·h)
    limit = DoseRateLimit(0.1, distance_m=1.0)
    # 1 GBq in 1 t: 1000 Bq/g reaches 100 Bq/g after 6.647·log2(10) = 22.1 d, but the dose
    # rate Γ·1000 MBq = 4.29 µSv/h needs 6.647·log2(42.9) = 36.1 d to fall to 0.1 µSv/h
    c = WasteContainer("drum", SEALED, 1e6, {"Lu-177": 1e9})
    r = waste_release(c, LEVELS, dose_rate=limit)
    expected_d = T_LU177_D * math.log2(gamma * 1000.0 / 0.1)
    assert expected_d == pytest.approx(36.06, abs=0.01)
    assert r.storage_s / 86400 == pytest.approx(expected_d, abs=1e-3)
    assert r.limiting_criterion == "dose rate" and r.limiting_nuclide == "Lu-177"
    assert r.dose_rate_at_release_usv_h == pytest.approx(0.1, rel=1e-4)
    # the Lu-177 left, f = 0.1/(Γ·1000), gives 1000·f Bq/g against 100 Bq/g
    assert r.index_at_release == pytest.approx(10 * 0.1 / (gamma * 1000.0), rel=1e-4)
    # the same container on clearance alone, and on the dose rate alone at 2 m (Γ·A/4)
    assert waste_release(c, LEVELS).storage_s / 86400 == pytest.approx(22.08, abs=0.01)
    alone = waste_release(c, None, dose_rate=DoseRateLimit(0.1, distance_m=2.0))
    assert alone.index_at_release is None  # no clearance levels given
    assert alone.storage_s / 86400 == pytest.approx(expected_d - 2 * T_LU177_D, abs=1e-3)


def test_dose_rate_does_not_delay_a_concentrated_container() -> None:
    c = WasteContainer("bag", SEALED, 1000.0, {"Lu-177": 1e9})
    r = waste_release(c, LEVELS, dose_rate=DoseRateLimit(0.1))
    assert r.limiting_criterion == "clearance"
    assert r.storage_s / 86400 == pytest.approx(T_LU177_D * math.log2(1e4), abs=1e-3)
    assert r.dose_rate_at_release_usv_h == pytest.approx(
        air_kerma_rate_constant("Lu-177") * 1000.0 / 1e4, rel=1e-4
    )


def test_measured_dose_rate_is_decayed_with_the_nuclide_mix() -> None:
    # measured 2 µSv/h at sealing (the container's own shielding kept): 6.647·log2(20)
    c = WasteContainer("drum", SEALED, 1e6, {"Lu-177": 1e9}, dose_rate_usv_h=2.0)
    r = waste_release(c, None, dose_rate=DoseRateLimit(0.1))
    assert r.storage_s / 86400 == pytest.approx(T_LU177_D * math.log2(20), abs=1e-3)
    # carrier-added: Lu-177m (Γ 30x that of Lu-177) keeps the dose rate up for longer
    ca = WasteContainer("ca", SEALED, 1e6, lu177_waste_contents(1e9, 2e-4), dose_rate_usv_h=2.0)
    rc = waste_release(ca, None, dose_rate=DoseRateLimit(0.1))
    assert rc.storage_s > r.storage_s
    g = {n: air_kerma_rate_constant(n) for n in ("Lu-177", "Lu-177m")}
    a0 = g["Lu-177"] * 1e9 + g["Lu-177m"] * 2e5
    from theranostix.nuclides import chain_decay

    a = chain_decay(dict(ca.contents_bq), rc.storage_s)
    at_release = 2.0 * sum(g[n] * a[n] for n in g) / a0
    assert at_release == pytest.approx(0.1, rel=1e-4)
    assert rc.dose_rate_at_release_usv_h == pytest.approx(0.1, rel=1e-4)


def test_dose_rate_errors_name_the_input() -> None:
    with pytest.raises(ThxError, match="clearance levels, a dose-rate"):
        waste_release(WasteContainer("x", SEALED, 1.0, {"Lu-177": 1.0}), None)
    with pytest.raises(ThxError, match="distance_m"):
        DoseRateLimit(0.1, distance_m=0.0)
    with pytest.raises(ThxError, match="dose rate must be"):
        WasteContainer("x", SEALED, 1.0, {"Lu-177": 1.0}, dose_rate_usv_h=-1.0)
    with pytest.raises(ThxError, match="'empty': every activity is 0 Bq"):
        waste_release(WasteContainer("empty", SEALED, 1.0, {"Lu-177": 0.0}), LEVELS)
    p32 = WasteContainer("p", SEALED, 1.0, {"P-32": 1e6}, dose_rate_usv_h=1.0)
    with pytest.raises(ThxError, match=r"'p'.*no photons"):
        waste_release(p32, None, dose_rate=DoseRateLimit(0.1))

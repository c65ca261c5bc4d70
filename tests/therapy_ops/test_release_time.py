"""Patient release: dose rate at 1 m, release time, contact doses (hand-computed values)."""

from __future__ import annotations

import math

import pytest

from theranostix.errors import ThxError
from theranostix.nuclides import air_kerma_rate_constant
from theranostix.therapy_ops._release import (
    ContactPattern,
    ReleaseLimit,
    RetentionModel,
    assess_release,
    contact_dose_msv,
    default_contacts,
    default_dose_rate_limit_usv_h,
    dose_rate_at_1m_usv_h,
    fit_retention,
    release_time_s,
    restriction_days,
)

H = 3600.0
GAMMA_LU = air_kerma_rate_constant("Lu-177")


def test_dose_rate_is_gamma_times_activity() -> None:
    assert air_kerma_rate_constant("Lu-177") == pytest.approx(0.004294, rel=1e-3)
    assert dose_rate_at_1m_usv_h("Lu-177", 7.4e9) == pytest.approx(GAMMA_LU * 7400.0)
    assert dose_rate_at_1m_usv_h("Lu-177", 7.4e9) == pytest.approx(31.78, abs=0.01)
    assert dose_rate_at_1m_usv_h("Lu-177", 7.4e9, attenuation_factor=0.5) == pytest.approx(
        GAMMA_LU * 3700.0
    )


def test_mono_exponential_release_time_closed_form() -> None:
    r = assess_release("Lu-177", 7.4e9, RetentionModel.mono(40 * H), ReleaseLimit(20.0))
    h0 = GAMMA_LU * 7400.0
    expected_h = 40.0 / math.log(2) * math.log(h0 / 20.0)
    assert r.release_time_s / H == pytest.approx(expected_h, rel=1e-9)
    assert r.release_time_s / H == pytest.approx(26.72, abs=0.01)
    assert r.dose_rate_at_release_usv_h == pytest.approx(20.0, rel=1e-9)
    assert r.retained_at_release_bq == pytest.approx(7.4e9 * 20.0 / h0, rel=1e-9)


def test_already_below_limit_is_zero() -> None:
    r = assess_release("Lu-177", 1e9, RetentionModel.mono(40 * H), ReleaseLimit(20.0))
    assert r.release_time_s == 0.0


def test_biexponential_release_time_by_root() -> None:
    model = RetentionModel((0.6, 0.4), (2 * H, 40 * H))
    t = release_time_s(31.78, model, 5.0)
    assert 31.78 * (0.6 * 2 ** (-t / (2 * H)) + 0.4 * 2 ** (-t / (40 * H))) == pytest.approx(5.0)
    # at ~27 fast half-lives only the slow part is left: 31.78·0.4·2^(-t/40 h) = 5 → 53.84 h
    assert t / H == pytest.approx(40 * math.log2(31.78 * 0.4 / 5.0), abs=1e-4)
    assert t / H == pytest.approx(53.84, abs=0.01)


def test_retained_activity_limit() -> None:
    r = assess_release(
        "Lu-177", 7.4e9, RetentionModel.mono(40 * H), ReleaseLimit(retained_activity_bq=1.85e9)
    )
    assert r.release_time_s / H == pytest.approx(80.0, rel=1e-9)  # two half-lives


def test_measured_dose_rate_replaces_gamma() -> None:
    # 10 µSv/h measured at 24 h, T_eff 24 h → 20 µSv/h at administration; limit 5 → 48 h
    r = assess_release(
        "Lu-177",
        7.4e9,
        RetentionModel.mono(24 * H),
        ReleaseLimit(5.0),
        measured_usv_h_at_1m=10.0,
        measured_at_s=24 * H,
    )
    assert r.dose_rate0_usv_h == pytest.approx(20.0)
    assert r.release_time_s / H == pytest.approx(48.0)
    per_mbq = assess_release(
        "Lu-177", 7.4e9, RetentionModel.mono(24 * H), ReleaseLimit(5.0),
        dose_rate_per_mbq_usv_h=0.002,
    )  # fmt: skip
    assert per_mbq.dose_rate0_usv_h == pytest.approx(14.8)


def test_contact_dose_nureg_form_and_restriction() -> None:
    model = RetentionModel.mono(40 * H)
    c = ContactPattern("partner", 2.0, 1.0, 0.25, 2.0, 0.25)
    # D(∞) = Ḣ0 E T/ln2 (NUREG-1556 Vol. 9 App. U with t_r = 0): 30·0.25·57.71 h = 432.8 µSv
    assert contact_dose_msv(30.0, model, c, 0.0) == pytest.approx(
        30.0 * 0.25 * 40 / math.log(2) / 1000
    )
    # 300 µSv/h: 4.328 mSv without restriction > 2 mSv; find whole days that meet it
    days = restriction_days(300.0, model, c, 0.0)
    assert days is not None and days > 0
    assert contact_dose_msv(300.0, model, c, 0.0, days * 86400.0) <= 2.0
    assert contact_dose_msv(300.0, model, c, 0.0, (days - 1) * 86400.0) > 2.0
    # hand: restricted weight 0.0625, normal 0.25; D(τ)=Ḣ0·T/ln2·[0.0625 + 0.1875·2^(-τ/T)] h
    tau_h = -40 * math.log2((2.0 * 1000 / (300 * 40 / math.log(2)) - 0.0625) / 0.1875)
    assert tau_h == pytest.approx(72.9, abs=0.1)
    assert days == math.ceil(tau_h / 24) == 4
    # a permanent restriction that still exceeds: None
    assert restriction_days(3000.0, model, c, 0.0) is None


def test_default_contacts_and_json_keys() -> None:
    contacts = default_contacts()
    assert {c.name for c in contacts} >= {"partner", "child"}
    assert default_dose_rate_limit_usv_h() == 20.0
    r = assess_release("Lu-177", 7.4e9, RetentionModel.mono(40 * H), ReleaseLimit(20.0))
    d = r.as_dict()
    assert {"release_time_h", "dose_rate_at_release_usv_h", "limit", "contacts"} <= set(d)
    assert set(d["contacts"][0]) >= {"contact", "dose_msv", "constraint_msv", "restriction_days"}
    partner = next(c for c in r.contacts if c.contact == "partner")
    # 20 µSv/h at release, 0.25 at 1 m, T/ln2 = 57.71 h → 0.2885 mSv
    assert partner.dose_msv == pytest.approx(20 * 0.25 * 40 / math.log(2) / 1000, rel=1e-9)
    assert partner.restriction_days == 0


def test_fit_retention() -> None:
    t = [0.0, 24 * H, 48 * H, 96 * H]
    v = [30.0 * 2 ** (-x / (36 * H)) for x in t]
    model, v0 = fit_retention(t, v)
    assert model.effective_half_lives_s[0] / H == pytest.approx(36.0)
    assert v0 == pytest.approx(30.0)
    t2 = [0.0, 1 * H, 2 * H, 4 * H, 8 * H, 24 * H, 48 * H, 96 * H]
    v2 = [20 * 2 ** (-x / (2 * H)) + 10 * 2 ** (-x / (50 * H)) for x in t2]
    m2, w0 = fit_retention(t2, v2, components=2)
    assert w0 == pytest.approx(30.0, rel=1e-4)
    assert sorted(m2.effective_half_lives_s) == pytest.approx([2 * H, 50 * H], rel=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fractions": (0.7, 0.5), "effective_half_lives_s": (1.0, 2.0)}, "sum to"),
        ({"fractions": (1.0,), "effective_half_lives_s": (1.0, 2.0)}, "one effective"),
        ({"fractions": (1.0,), "effective_half_lives_s": (-1.0,)}, "half-life"),
    ],
)
def test_bad_models(kwargs: dict[str, tuple[float, ...]], message: str) -> None:
    with pytest.raises(ThxError, match=message):
        RetentionModel(**kwargs)


def test_bad_limits_and_measurement() -> None:
    with pytest.raises(ThxError, match="exactly one"):
        ReleaseLimit(20.0, 1e9)
    with pytest.raises(ThxError, match="both"):
        assess_release(
            "Lu-177", 7.4e9, RetentionModel.mono(H), ReleaseLimit(20.0), measured_usv_h_at_1m=5.0
        )

"""BED, EQD2, Lea-Catcheside factor, cycles and EBRT (theranostix.dosimetry._radiobiology)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate

from theranostix.dosimetry._radiobiology import (
    BedSummary,
    EbrtCourse,
    ExponentialDoseRate,
    PartKind,
    RadionuclideCycle,
    bed_gy,
    ebrt_bed_gy,
    eqd2_gy,
    g_factor_mono,
    g_factor_uptake_washout,
    lea_catcheside_factor,
    total_bed,
)
from theranostix.errors import ThxError

LN2 = math.log(2.0)


def g_by_double_integration(rate, repair_half_time_h: float, t_end_h: float) -> float:
    """G = 2/D^2 int_0^T R(t) int_0^t R(w) exp(-mu (t - w)) dw dt, by nested scipy quad."""
    mu = LN2 / repair_half_time_h
    dose, _ = integrate.quad(rate, 0.0, t_end_h, limit=500, epsabs=1e-13, epsrel=1e-12)

    def inner(t: float) -> float:
        value, _ = integrate.quad(
            lambda w: rate(w) * math.exp(-mu * (t - w)),
            0.0,
            t,
            limit=500,
            epsabs=1e-13,
            epsrel=1e-12,
        )
        return rate(t) * value

    cuts = np.unique(np.concatenate([[0.0], np.geomspace(1.0, t_end_h, 25)]))
    total = sum(
        integrate.quad(inner, a, b, limit=500, epsabs=1e-13, epsrel=1e-11)[0]
        for a, b in itertools.pairwise(cuts)
    )
    return 2.0 * total / dose**2


# ------------------------------------------------------------------------- hand-computed


def test_bed_mono_exponential_by_hand() -> None:
    # D = 20 Gy, T_eff = 50 h, T_rep = 2.8 h, alpha/beta = 2.6 Gy
    # lambda = ln2/50 = 0.013862944 /h ; mu = ln2/2.8 = 0.247552564 /h
    # G = lambda / (lambda + mu) = 0.013862944 / 0.261415508 = 0.0530303 (= 2.8 / 52.8)
    # BED = 20 (1 + 0.0530303 * 20 / 2.6) = 20 (1 + 0.4079254) = 28.158508 Gy
    lam = 0.013862944
    mu = 0.247552564
    g_hand = lam / (lam + mu)
    assert g_hand == pytest.approx(0.0530303, abs=1e-7)
    assert g_factor_mono(50.0, 2.8) == pytest.approx(2.8 / 52.8, rel=1e-12)
    assert g_factor_mono(50.0, 2.8) == pytest.approx(g_hand, rel=1e-7)  # 9-digit inputs
    bed = bed_gy(20.0, alpha_beta_gy=2.6, repair_half_time_h=2.8, effective_half_life_h=50.0)
    assert bed == pytest.approx(28.158508, abs=1e-6)
    assert isinstance(bed, float)


def test_bed_acute_and_array() -> None:
    # G = 1: acute single dose, BED = D (1 + D / (alpha/beta)); 2 Gy at 10 Gy -> 2.4 Gy
    out = bed_gy(np.array([0.0, 2.0, 10.0]), alpha_beta_gy=10.0, g_factor=1.0)
    np.testing.assert_allclose(out, [0.0, 2.4, 20.0])
    # EBRT in n fractions is BED with G = 1/n
    assert bed_gy(60.0, alpha_beta_gy=10.0, g_factor=1.0 / 30.0) == pytest.approx(72.0)


# ---------------------------------------------------------- closed forms vs double integral


@pytest.mark.parametrize(("t_eff", "t_rep"), [(50.0, 2.8), (6.0, 1.5), (160.0, 0.5)])
def test_g_mono_closed_form_matches_double_integral(t_eff: float, t_rep: float) -> None:
    lam = LN2 / t_eff
    numeric = g_by_double_integration(lambda t: math.exp(-lam * t), t_rep, 60.0 * t_eff)
    assert g_factor_mono(t_eff, t_rep) == pytest.approx(numeric, abs=1e-6)
    analytic = ExponentialDoseRate.mono(t_eff).lea_catcheside_factor(t_rep)
    assert analytic == pytest.approx(g_factor_mono(t_eff, t_rep), rel=1e-12)


@pytest.mark.parametrize(("t_eff", "t_up", "t_rep"), [(50.0, 2.0, 2.8), (70.0, 10.0, 1.5)])
def test_g_uptake_washout_closed_form_matches_double_integral(
    t_eff: float, t_up: float, t_rep: float
) -> None:
    l1, l2 = LN2 / t_up, LN2 / t_eff
    numeric = g_by_double_integration(
        lambda t: math.exp(-l2 * t) - math.exp(-l1 * t), t_rep, 60.0 * t_eff
    )
    closed = g_factor_uptake_washout(t_eff, t_up, t_rep)
    assert closed == pytest.approx(numeric, abs=1e-6)
    shape = ExponentialDoseRate.uptake_washout(t_eff, t_up)
    assert shape.lea_catcheside_factor(t_rep) == pytest.approx(closed, rel=1e-10)
    # uptake spreads the dose in time: less quadratic effect than instant uptake
    assert closed < g_factor_mono(t_eff, t_rep)


def test_g_sum_of_three_exponentials_matches_double_integral() -> None:
    shape = ExponentialDoseRate((0.7, 0.3, -1.0), (30.0, 120.0, 1.0))
    numeric = g_by_double_integration(lambda t: float(shape.rate(t)), 2.8, 60.0 * 120.0)
    assert shape.lea_catcheside_factor(2.8) == pytest.approx(numeric, abs=1e-6)


def test_numeric_g_of_a_callable_matches_closed_forms() -> None:
    l1, l2 = LN2 / 2.0, LN2 / 50.0
    g = lea_catcheside_factor(
        lambda t: np.exp(-l2 * t) - np.exp(-l1 * t), repair_half_time_h=2.8, t_end_h=3000.0
    )
    assert g == pytest.approx(g_factor_uptake_washout(50.0, 2.0, 2.8), abs=1e-8)
    g_mono = lea_catcheside_factor(
        lambda t: np.exp(-l2 * t), repair_half_time_h=2.8, t_end_h=3000.0
    )
    assert g_mono == pytest.approx(2.8 / 52.8, abs=1e-8)


def test_numeric_g_of_a_piecewise_rate_with_breakpoint() -> None:
    # constant dose rate for 10 h (a brachytherapy-like infusion): closed form of Dale 1985,
    # G = 2 (mu T - 1 + exp(-mu T)) / (mu T)^2
    mu, duration = LN2 / 1.5, 10.0
    expected = 2.0 * (mu * duration - 1.0 + math.exp(-mu * duration)) / (mu * duration) ** 2
    g = lea_catcheside_factor(
        lambda t: np.where(np.asarray(t) <= duration, 1.0, 0.0),
        repair_half_time_h=1.5,
        t_end_h=20.0,
        breakpoints_h=[duration],
    )
    assert g == pytest.approx(expected, abs=1e-8)


def test_g_limits() -> None:
    assert g_factor_uptake_washout(50.0, 1e-7, 2.8) == pytest.approx(g_factor_mono(50.0, 2.8))
    assert g_factor_mono(1e-9, 2.8) == pytest.approx(1.0)  # acute
    assert g_factor_mono(1e9, 2.8) == pytest.approx(0.0, abs=1e-8)  # very protracted


def test_bed_with_uptake_and_dose_rate_agree() -> None:
    common = {"alpha_beta_gy": 2.6, "repair_half_time_h": 2.8}
    a = bed_gy(15.0, effective_half_life_h=50.0, uptake_half_life_h=2.0, **common)
    b = bed_gy(15.0, dose_rate=ExponentialDoseRate.uptake_washout(50.0, 2.0), **common)
    g = g_factor_uptake_washout(50.0, 2.0, 2.8)
    assert a == pytest.approx(b)
    assert a == pytest.approx(15.0 * (1.0 + g * 15.0 / 2.6))


# --------------------------------------------------------------------------- EQD2, EBRT


def test_ebrt_bed_and_eqd2() -> None:
    # 30 x 2 Gy at alpha/beta 10 Gy: BED = 60 (1 + 2/10) = 72 Gy, EQD2 = 72 / 1.2 = 60 Gy
    bed = ebrt_bed_gy(30, 2.0, 10.0)
    assert bed == pytest.approx(72.0)
    assert eqd2_gy(bed, 10.0) == pytest.approx(60.0)
    # 5 x 8 Gy at alpha/beta 3 Gy: BED = 40 (1 + 8/3) = 146.667 Gy, EQD2 = 146.667 / (5/3) = 88
    assert ebrt_bed_gy(5, 8.0, 3.0) == pytest.approx(146.6666667)
    assert eqd2_gy(ebrt_bed_gy(5, 8.0, 3.0), 3.0) == pytest.approx(88.0)
    np.testing.assert_allclose(eqd2_gy([12.0, 24.0], 2.0), [6.0, 12.0])


# ---------------------------------------------------------------------- cycles and EBRT


def test_total_bed_sums_cycles_each_with_its_own_g() -> None:
    cycles = [
        RadionuclideCycle(6.0, effective_half_life_h=50.0),
        RadionuclideCycle(5.0, effective_half_life_h=40.0, uptake_half_life_h=3.0),
        RadionuclideCycle(4.0, g_factor=0.1, label="third"),
    ]
    s = total_bed(cycles, alpha_beta_gy=2.6, repair_half_time_h=2.8)
    assert isinstance(s, BedSummary)
    g = [g_factor_mono(50.0, 2.8), g_factor_uptake_washout(40.0, 3.0, 2.8), 0.1]
    expected = [d * (1.0 + gi * d / 2.6) for d, gi in zip([6.0, 5.0, 4.0], g, strict=True)]
    assert [p.bed_gy for p in s.parts] == pytest.approx(expected)
    assert [p.g_factor for p in s.parts] == pytest.approx(g)
    assert [p.label for p in s.parts] == ["cycle 1", "cycle 2", "third"]
    assert s.bed_gy == pytest.approx(sum(expected))
    assert s.eqd2_gy == pytest.approx(sum(expected) / (1.0 + 2.0 / 2.6))
    assert s.dose_gy == pytest.approx(15.0)
    # one cycle of the summed dose gives more BED than the cycles (quadratic term)
    one = bed_gy(15.0, alpha_beta_gy=2.6, repair_half_time_h=2.8, effective_half_life_h=50.0)
    assert one > s.bed_gy


def test_total_bed_combined_with_ebrt() -> None:
    cycles = [RadionuclideCycle(5.0, effective_half_life_h=50.0)] * 2
    s = total_bed(
        cycles,
        [EbrtCourse(10, 2.0), EbrtCourse(5, 4.0, "boost")],
        alpha_beta_gy=2.6,
        repair_half_time_h=2.8,
    )
    radionuclide = 2 * 5.0 * (1.0 + (2.8 / 52.8) * 5.0 / 2.6)
    ebrt = 20.0 * (1.0 + 2.0 / 2.6) + 20.0 * (1.0 + 4.0 / 2.6)
    assert s.radionuclide_bed_gy == pytest.approx(radionuclide)
    assert s.ebrt_bed_gy == pytest.approx(ebrt)
    assert s.bed_gy == pytest.approx(radionuclide + ebrt)
    assert [p.kind for p in s.parts] == [PartKind.RADIONUCLIDE] * 2 + [PartKind.EBRT] * 2
    assert s.parts[-1].label == "boost"
    assert s.parts[2].eqd2_gy == pytest.approx(eqd2_gy(ebrt_bed_gy(10, 2.0, 2.6), 2.6))
    only_ebrt = total_bed([], EbrtCourse(30, 2.0), alpha_beta_gy=10.0)
    assert (only_ebrt.bed_gy, only_ebrt.eqd2_gy) == pytest.approx((72.0, 60.0))


# -------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: g_factor_mono(0.0, 2.8), "effective_half_life_h: must be a finite number > 0"),
        (lambda: g_factor_mono(50.0, -1.0), "repair_half_time_h: must be a finite number > 0"),
        (lambda: g_factor_uptake_washout(50.0, 60.0, 2.8), "uptake_half_life_h: must be shorter"),
        (lambda: bed_gy(-1.0, alpha_beta_gy=2.6, g_factor=1.0), "dose_gy: must be finite and >= 0"),
        (lambda: bed_gy(1.0, alpha_beta_gy=0.0, g_factor=1.0), "alpha_beta_gy: must be"),
        (lambda: bed_gy(1.0, alpha_beta_gy=2.6, g_factor=1.5), "g_factor: must be in [0, 1]"),
        (
            lambda: bed_gy(1.0, alpha_beta_gy=2.6, effective_half_life_h=50.0),
            "repair_half_time_h: required",
        ),
        (
            lambda: bed_gy(1.0, alpha_beta_gy=2.6, effective_half_life_h=50.0, g_factor=0.1),
            "exactly one of",
        ),
        (lambda: ebrt_bed_gy(0, 2.0, 10.0), "n_fractions: must be >= 1"),
        (lambda: ebrt_bed_gy(30, 0.0, 10.0), "dose_per_fraction_gy: must be"),
        (lambda: eqd2_gy(72.0, -10.0), "alpha_beta_gy: must be"),
        (lambda: ExponentialDoseRate((1.0, -2.0), (50.0, 2.0)), "R(t) must be >= 0"),
        (lambda: ExponentialDoseRate((1.0,), (50.0, 2.0)), "equal length"),
        (
            lambda: lea_catcheside_factor(lambda t: np.exp(-t), repair_half_time_h=2.8),
            "t_end_h: required",
        ),
        (
            lambda: total_bed([RadionuclideCycle(5.0)], alpha_beta_gy=2.6, repair_half_time_h=2.8),
            "cycles[0] (cycle 1): describe the dose rate",
        ),
        (lambda: total_bed([], alpha_beta_gy=2.6), "at least one"),
    ],
)
def test_errors_name_the_input(call, message: str) -> None:
    with pytest.raises(ThxError) as info:
        call()
    assert message in str(info.value)

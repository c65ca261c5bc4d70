"""Sphere model of lesion dose: escape probability, photon absorbed fractions, S-values."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from theranostix.dosimetry._organ import (
    nonpenetrating_self_dose_gy,
    phantom_masses_g,
    svalue_table,
)
from theranostix.dosimetry._sphere import (
    TISSUE_TO_AIR_MU_EN_RATIO,
    _escape_probability,
    photon_absorbed_fraction_sphere,
    sphere_dose_gy,
    sphere_model,
    sphere_s_value_mgy_per_mbq_s,
)
from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide, air_mu_en_rho

J_PER_MEV = 1.602176634e-13


def electron_only_s(nuclide: str, mass_g: float) -> float:
    """E_e / m in mGy/(MBq·s)."""
    return Nuclide(nuclide).electron_energy_mev * 1e6 * J_PER_MEV / (mass_g / 1000) * 1e3


# --------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("tau", [0.05, 0.5, 2.0, 5.0])
def test_escape_probability_matches_monte_carlo(tau: float) -> None:
    # Uniform points in a unit sphere, isotropic directions, distance s to the surface:
    # P_esc = <exp(-tau s)>. 200 000 histories: standard error < 1e-3.
    rng = np.random.default_rng(20240601)
    n = 200_000
    p = rng.normal(size=(n, 3))
    p *= (rng.random(n) ** (1 / 3) / np.linalg.norm(p, axis=1))[:, None]
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    pu = np.sum(p * u, axis=1)
    s = -pu + np.sqrt(pu**2 - np.sum(p * p, axis=1) + 1.0)
    mc = np.exp(-tau * s)
    expected = float(mc.mean())
    sigma = float(mc.std() / np.sqrt(n))
    assert float(_escape_probability(np.array([tau]))[0]) == pytest.approx(
        expected, abs=4 * sigma + 1e-4
    )


def test_escape_probability_series_is_continuous_and_has_the_3r_over_4_limit() -> None:
    taus = np.array([1e-6, 1e-4, 1e-2 * (1 - 1e-12), 1e-2, 0.1])
    phi = 1 - _escape_probability(taus)
    assert phi[0] == pytest.approx(0.75e-6, rel=1e-5)  # mean escape path 3r/4, not 4r/3
    assert phi[2] == pytest.approx(phi[3], rel=1e-7)  # series (left) vs closed form (right)
    assert np.all(np.diff(phi) >= 0)
    big = 1 - _escape_probability(np.array([200.0]))
    # thick limit: P_esc -> S/(4 V mu) = 3/(4 tau), next term -3/(8 tau^3)
    assert big[0] == pytest.approx(1 - 3 / (4 * 200) + 3 / (8 * 200**3), rel=1e-12)


def test_tissue_coefficient_is_air_times_electron_density_ratio() -> None:
    assert pytest.approx(1.112, abs=1e-3) == TISSUE_TO_AIR_MU_EN_RATIO
    phi = photon_absorbed_fraction_sphere(0.2084, 1.0)
    r = (3 / (4 * np.pi)) ** (1 / 3)
    tau = TISSUE_TO_AIR_MU_EN_RATIO * float(air_mu_en_rho(0.2084)) * r
    assert float(phi) == pytest.approx(1 - float(_escape_probability(np.array([tau]))[0]))
    assert np.shape(phi) == ()


def test_photon_absorbed_fraction_grows_with_mass_and_falls_with_energy() -> None:
    masses = [0.1, 1.0, 10.0, 100.0, 1000.0]
    phi = [float(photon_absorbed_fraction_sphere(0.2084, m)) for m in masses]
    assert all(0 < a < b < 1 for a, b in itertools.pairwise(phi))
    assert photon_absorbed_fraction_sphere(0.0005, 1.0) == 1.0  # below the table: local
    low, high = photon_absorbed_fraction_sphere([0.03, 1.0], 10.0)
    assert low > high


# --------------------------------------------------------------------------- S-values


@pytest.mark.validation
def test_large_sphere_is_electron_only_plus_a_small_photon_share() -> None:
    # 100 g Lu-177: electrons absorbed but for 0.6 % (CSDA range of the 498 keV endpoint:
    # 1.8 mm, radius 2.9 cm); photons (35 keV emitted per decay against 148 keV of
    # electrons) mostly escape. The S-value is within 0-3 % above E_e/m.
    m = sphere_model("Lu-177", 100.0)
    electron = electron_only_s("Lu-177", 100.0)
    assert m.s_value_mgy_per_mbq_s == pytest.approx(sphere_s_value_mgy_per_mbq_s("Lu-177", 100))
    assert 0.99 < m.electron_absorbed_fraction < 1.0
    assert 1.0 < m.s_value_mgy_per_mbq_s / electron < 1.03
    assert 0.005 < m.photon_fraction < 0.03
    assert m.radius_cm == pytest.approx((300 / (4 * np.pi)) ** (1 / 3))
    assert m.photon_emitted_mev == pytest.approx(Nuclide("Lu-177").photon_energy_mev)
    assert 0 < m.photon_absorbed_mev < m.photon_emitted_mev


def test_photon_share_increases_with_mass() -> None:
    shares = [sphere_model("Lu-177", m).photon_fraction for m in (1.0, 10.0, 100.0, 1000.0)]
    assert all(a < b for a, b in itertools.pairwise(shares))


@pytest.mark.validation
@pytest.mark.parametrize("organ", ["kidneys", "liver", "spleen"])
def test_sphere_of_organ_mass_agrees_with_the_phantom_self_s_value(organ: str) -> None:
    # Independent cross-check: the OLINDA-style Monte Carlo self S-value of the phantom
    # organ vs our sphere of the same mass. Organs are not spheres (less photon
    # self-absorption), so allow 3 %; found: kidneys +0.8 %, liver -0.3 %, spleen +0.6 %.
    mass = phantom_masses_g("adult-male")[organ]
    tabled = svalue_table("Lu-177", "adult-male").s(organ, organ)
    assert sphere_s_value_mgy_per_mbq_s("Lu-177", mass) == pytest.approx(tabled, rel=0.03)


def test_sphere_dose_units_and_electron_only_value() -> None:
    s = sphere_s_value_mgy_per_mbq_s("Lu-177", 25.0)
    d = sphere_dose_gy("Lu-177", 800.0, 25.0)
    assert d == pytest.approx(800.0 * 3600.0 * s * 1e-3, rel=1e-12)
    electron = nonpenetrating_self_dose_gy("Lu-177", 800.0, 25.0)
    assert 0.99 < d / electron < 1.02
    assert sphere_dose_gy("Lu-177", 0.0, 25.0) == 0.0


def test_density_makes_a_same_mass_sphere_thicker_for_electrons_and_photons() -> None:
    # Same mass at density 2: radius / 2^(1/3), but thickness in g/cm² (rho·r) x 2^(2/3),
    # so both electrons and photons are absorbed more; the emitted energies are equal.
    dense = sphere_model("Lu-177", 0.1, density_g_per_ml=2.0)
    unit = sphere_model("Lu-177", 0.1)
    assert dense.radius_cm == pytest.approx(unit.radius_cm / 2 ** (1 / 3))
    assert dense.electron_emitted_mev == unit.electron_emitted_mev
    assert unit.electron_absorbed_mev < dense.electron_absorbed_mev < dense.electron_emitted_mev
    assert dense.photon_absorbed_mev > unit.photon_absorbed_mev
    # the electron part equals that of a unit-density sphere 2^(2/3) times the radius
    same_thickness = sphere_model("Lu-177", 0.1 * 4.0)
    assert dense.electron_absorbed_fraction == pytest.approx(
        same_thickness.electron_absorbed_fraction, rel=1e-12
    )


def test_other_nuclides() -> None:
    # A pure beta emitter (Emax 2.28 MeV, CSDA range 1.1 cm): the S-value is the absorbed
    # electron energy over the mass; a 10 g sphere (r = 1.34 cm) lets ~14 % escape.
    y90 = sphere_model("Y-90", 10.0)
    absorbed = y90.electron_absorbed_fraction
    assert y90.s_value_mgy_per_mbq_s == pytest.approx(
        absorbed * electron_only_s("Y-90", 10.0), rel=1e-3
    )
    assert 0.80 < absorbed < 0.90
    assert 0.96 < sphere_model("Y-90", 1000.0).electron_absorbed_fraction < 0.98
    # A photon-rich one: I-131 has more photon share than Lu-177 at the same mass.
    assert (
        sphere_model("I-131", 10.0).photon_fraction > sphere_model("Lu-177", 10.0).photon_fraction
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: sphere_s_value_mgy_per_mbq_s("Lu-177", 0.0),
        lambda: sphere_dose_gy("Lu-177", 1.0, -1.0),
        lambda: sphere_dose_gy("Lu-177", -1.0, 1.0),
        lambda: photon_absorbed_fraction_sphere(0.1, 1.0, density_g_per_ml=0.0),
    ],
)
def test_invalid_inputs(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ThxError):
        call()


def test_synthetic_patient_lesions() -> None:
    from theranostix.phantoms import make_patient

    p = make_patient("psma", lesions=2, seed=3)
    for lesion in p.lesions:
        tia = p.tia_mbq_h(lesion.name)
        dose = sphere_dose_gy("Lu-177", tia, lesion.volume_ml)
        electron = nonpenetrating_self_dose_gy("Lu-177", tia, lesion.volume_ml)
        # photons add 0.5-2 %, electron escape removes 1-3 % in 1-10 mL lesions
        assert 0.97 < dose / electron < 1.02
        assert dose > 10.0  # PSMA-avid lesions receive tens of Gy per cycle


# Dose factors of Tb-152 in unit-density spheres computed with OLINDA 2 (mGy/(MBq·h)),
# Cicone et al., EJNMMI Res 2019, doi:10.1186/s13550-019-0524-7, Table 3. Tb-152 emits
# positrons up to 2.97 MeV (20 %), conversion electrons and many photon lines, so
# every part of the model (electron escape, photons, annihilation) is exercised.
OLINDA2_TB152 = {
    0.1: 678.0,
    0.5: 184.0,
    1.0: 111.0,
    2.0: 60.9,
    4.0: 33.0,
    6.0: 23.0,
    8.0: 17.8,
    10.0: 14.6,
}


@pytest.mark.validation
@pytest.mark.parametrize(("mass_g", "reference"), sorted(OLINDA2_TB152.items()))
def test_sphere_s_values_match_olinda2_for_tb152(mass_g: float, reference: float) -> None:
    # Found: +1.6 to +1.8 % from 2 to 10 g, +0.5 % at 1 g, +8 % at 0.5 g, +5 % at 0.1 g.
    # Below 1 g the paper's own two models (OLINDA 2 and the ellipsoidal model) differ
    # by 9.8 %, and ours lies between them; tolerance 3 % from 1 g, 10 % below.
    ours = sphere_s_value_mgy_per_mbq_s("Tb-152", mass_g) * 3600.0
    assert ours == pytest.approx(reference, rel=0.03 if mass_g >= 1.0 else 0.10)


@pytest.mark.validation
def test_full_electron_absorption_would_miss_olinda2_by_far() -> None:
    # The check has power: the previous model (electrons absorbed where emitted)
    # overestimated the 1 g and 0.1 g Tb-152 dose factors by > 40 % and > 100 %.
    for mass_g in (0.1, 1.0):
        m = sphere_model("Tb-152", mass_g)
        full = (m.electron_emitted_mev + m.photon_absorbed_mev) / m.absorbed_mev
        assert full * m.s_value_mgy_per_mbq_s * 3600 > 1.4 * OLINDA2_TB152[mass_g]


def test_electron_energy_absorbed_uses_spectrum_and_lines() -> None:
    from theranostix.dosimetry._sphere import electron_energy_absorbed_mev

    emitted, absorbed = electron_energy_absorbed_mev("Lu-177", 1e6)
    assert emitted == pytest.approx(Nuclide("Lu-177").electron_energy_mev)
    assert absorbed == pytest.approx(emitted, rel=2e-3)  # a 1 t sphere absorbs them all
    fractions = [
        electron_energy_absorbed_mev("Lu-177", m)[1] / emitted for m in (1e-3, 1e-2, 0.1, 1)
    ]
    assert all(a < b for a, b in itertools.pairwise(fractions))
    # At-211: no betas, only conversion and Auger electrons (and alphas, counted apart)
    e_at, a_at = electron_energy_absorbed_mev("At-211", 1.0)
    assert 0 < a_at <= e_at == pytest.approx(Nuclide("At-211").electron_energy_mev)

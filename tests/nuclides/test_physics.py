import math

import numpy as np
import pytest

from theranostix.nuclides import Nuclide, air_kerma_rate_constant, air_mu_en_rho

#: µGy·m²/(MBq·h) per R·cm²/(mCi·h): 1 R = 8.76 mGy air kerma (W/e = 33.97 J/C),
#: 1 cm² = 1e-4 m², 1 mCi = 37 MBq.
R_CM2_PER_MCI_H = 8.76e3 * 1e-4 / 37


def test_tabulated_values_are_returned_exactly() -> None:
    assert float(air_mu_en_rho(0.5)) == pytest.approx(2.966e-2)
    assert float(air_mu_en_rho(1.25)) == pytest.approx(2.666e-2)
    np.testing.assert_allclose(air_mu_en_rho([0.01, 0.1]), [4.742, 2.325e-2])


def test_log_log_interpolation_and_k_edge() -> None:
    # Midway in log energy between 0.5 and 0.6 MeV the log of mu_en is midway too.
    e = math.sqrt(0.5 * 0.6)
    assert float(air_mu_en_rho(e)) == pytest.approx(math.sqrt(2.966e-2 * 2.953e-2), rel=1e-9)
    # Argon K edge at 3.2029 keV: the upper value.
    assert float(air_mu_en_rho(3.2029e-3)) == pytest.approx(146.0)
    with pytest.raises(ValueError, match="outside the NIST air table"):
        air_mu_en_rho(25.0)


def test_f18_from_its_annihilation_photons() -> None:
    nuc = Nuclide("F-18")
    photons = 2 * nuc.positron_yield
    mev_cm2_per_g = photons * 0.511 * float(air_mu_en_rho(0.511))
    expected = mev_cm2_per_g * 1.602176634e-13 * 0.1 / (4 * math.pi) * 3.6e9 * 1e6
    assert air_kerma_rate_constant("F-18") == pytest.approx(expected, rel=2e-3)
    # The exposure-rate constant commonly tabulated for F-18 is 5.7 R·cm²/(mCi·h).
    assert air_kerma_rate_constant("F-18") == pytest.approx(5.7 * R_CM2_PER_MCI_H, rel=0.02)


def test_co60_against_the_classic_exposure_rate_constant() -> None:
    # Co-60: textbook exposure-rate constants 12.9-13.1 R·cm²/(mCi·h), e.g. 13.07 in
    # Khan FM, The Physics of Radiation Therapy, 4th ed., 2010, Table 15.1
    # (0.305-0.309 µGy·m²/(MBq·h)); ICRP-107 lines with NIST μen/ρ give 0.3056.
    gamma = air_kerma_rate_constant("Co-60") / R_CM2_PER_MCI_H
    assert 12.8 < gamma < 13.2


def test_cutoff_removes_low_energy_x_rays() -> None:
    tc20 = air_kerma_rate_constant("Tc-99m", cutoff_kev=20)
    tc5 = air_kerma_rate_constant("Tc-99m", cutoff_kev=5)
    tc150 = air_kerma_rate_constant("Tc-99m", cutoff_kev=150)
    assert tc5 > tc20 > 100 * tc150  # above 150 keV only weak lines are left
    assert Nuclide("Tc-99m").air_kerma_rate_constant() == tc20
    assert air_kerma_rate_constant("Y-90", cutoff_kev=20) < 1e-5  # nearly a pure beta emitter
    with pytest.raises(ValueError, match="at least 1 keV"):
        air_kerma_rate_constant("F-18", cutoff_kev=0.5)

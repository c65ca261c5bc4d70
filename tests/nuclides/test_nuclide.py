import math

import numpy as np
import pytest

from theranostix.errors import UnknownNuclideError
from theranostix.nuclides import (
    DecayMode,
    Nuclide,
    RadiationType,
    catalogue,
    list_nuclides,
    normalize_name,
    pairs,
)


@pytest.mark.parametrize(
    "spelling", ["Lu-177", "177Lu", "lu177", "Lu177", "lu-177", "177-Lu", "LU 177"]
)
def test_name_spellings(spelling: str) -> None:
    assert Nuclide(spelling).name == "Lu-177"


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("99mTc", "Tc-99m"),
        ("tc99m", "Tc-99m"),
        ("Tc-99M", "Tc-99m"),
        ("177mLu", "Lu-177m"),
        ("sc44m", "Sc-44m"),
    ],
)
def test_metastable_spellings(spelling: str, name: str) -> None:
    assert normalize_name(spelling) == name


def test_unknown_nuclide_suggests_closest_names() -> None:
    with pytest.raises(UnknownNuclideError) as info:
        Nuclide("Lu-176x")
    assert info.value.suggestions[0] == "Lu-176"
    assert "did you mean Lu-176" in str(info.value)
    with pytest.raises(UnknownNuclideError, match="Ga-68"):
        Nuclide("Gallium-68")
    with pytest.raises(UnknownNuclideError, match="F-18"):
        Nuclide("F18x")


def test_stable_nuclide_is_not_a_radionuclide() -> None:
    with pytest.raises(UnknownNuclideError):
        Nuclide("Hf-177")


def test_identity_and_properties() -> None:
    lu = Nuclide("177Lu")
    assert lu == Nuclide("Lu-177")
    assert len({lu, Nuclide("lu177")}) == 1
    assert lu.element == "Lu" and lu.mass_number == 177 and not lu.is_metastable
    assert Nuclide("Tc-99m").is_metastable
    assert lu.decay_constant_per_s == pytest.approx(math.log(2) / (6.647 * 86400))
    assert lu.half_life("d") == pytest.approx(6.647)
    assert repr(lu) == "Nuclide('Lu-177')"


def test_decay_modes_and_branching() -> None:
    assert Nuclide("Lu-177").decay_modes == {DecayMode.BETA_MINUS: 1.0}
    at = Nuclide("At-211")
    assert at.decay_modes == {
        DecayMode.EC: pytest.approx(0.582),
        DecayMode.ALPHA: pytest.approx(0.418),
    }
    assert set(at.progeny) == {"Po-211", "Bi-207"}
    cu = Nuclide("Cu-64")
    assert cu.decay_modes[DecayMode.BETA_PLUS_EC] == pytest.approx(0.61)
    assert cu.decay_modes[DecayMode.BETA_MINUS] == pytest.approx(0.39)
    assert Nuclide("Mo-99").branching_fraction("Tc-99m") == pytest.approx(0.8773)
    assert Nuclide("Mo-99").branching_fraction("99mTc") == pytest.approx(0.8773)
    assert Nuclide("Mo-99").branching_fraction("Ga-68") == 0.0


def test_positron_yields_of_pet_nuclides() -> None:
    # Independent evaluation (NNDC NuDat 3, ENSDF): F-18 96.86 %, Ga-68 88.91 %,
    # Cu-64 17.52 %, Zr-89 22.74 %; ICRP-107 agrees to within 1 %.
    assert Nuclide("F-18").positron_yield == pytest.approx(0.9686, rel=0.01)
    assert Nuclide("Ga-68").positron_yield == pytest.approx(0.8891, rel=0.01)
    assert Nuclide("Cu-64").positron_yield == pytest.approx(0.1752, rel=0.01)
    assert Nuclide("Zr-89").positron_yield == pytest.approx(0.2274, rel=0.01)
    assert Nuclide("Lu-177").positron_yield == 0.0


def test_annihilation_photons_are_twice_the_positrons() -> None:
    for name in ("F-18", "Ga-68", "Zr-89"):
        nuc = Nuclide(name)
        annihilation = sum(e.yield_per_decay for e in nuc.emissions(RadiationType.ANNIHILATION))
        assert annihilation == pytest.approx(2 * nuc.positron_yield, rel=1e-3)
        assert all(abs(e.energy_mev - 0.511) < 1e-3 for e in nuc.emissions("annihilation"))


def test_energy_groups_add_up() -> None:
    nuc = Nuclide("Ga-68")
    per_kind = nuc.mean_energies_mev()
    electrons = sum(v for k, v in per_kind.items() if k.is_electron)
    photons = sum(v for k, v in per_kind.items() if k.is_photon)
    assert nuc.electron_energy_mev == pytest.approx(electrons)
    assert nuc.photon_energy_mev == pytest.approx(photons)
    assert per_kind[RadiationType.ALPHA] == 0.0


def test_unknown_radiation_type_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid types: alpha"):
        Nuclide("F-18").mean_energy_mev("positron")


def test_beta_spectrum_integrates_to_beta_yield() -> None:
    energy, density = Nuclide("Y-90").beta_spectrum()
    assert energy[-1] == pytest.approx(2.28, abs=0.01)  # Y-90 end-point energy
    assert float(np.trapezoid(density, energy)) == pytest.approx(1.0, abs=0.01)
    mean = float(np.trapezoid(density * energy, energy))
    assert mean == pytest.approx(Nuclide("Y-90").mean_energy_mev("beta_minus"), rel=0.01)
    empty_e, empty_n = Nuclide("Tc-99m").beta_spectrum()
    assert empty_e.size == empty_n.size


def test_dose_constants_follow_the_mird_schema() -> None:
    # k = 1.602176634e-13 J/MeV * 3.6e9 decays/(MBq h) * 1e3 g/kg = 0.5768 g Gy/(MBq h MeV)
    k = 0.576784
    y90 = Nuclide("Y-90").dose_constants()
    assert y90["non_penetrating"] == pytest.approx(
        k * Nuclide("Y-90").electron_energy_mev, rel=1e-3
    )
    f18 = Nuclide("F-18").dose_constants()
    assert f18["penetrating"] == pytest.approx(
        k * 2 * 0.511 * Nuclide("F-18").positron_yield, rel=1e-3
    )
    assert f18["total"] == pytest.approx(f18["penetrating"] + f18["non_penetrating"])
    # Raising the photon cut-off moves low-energy X-rays to the non-penetrating part.
    lu_low = Nuclide("Lu-177").dose_constants(photon_cutoff_mev=0.0)
    lu_high = Nuclide("Lu-177").dose_constants(photon_cutoff_mev=0.1)
    assert lu_high["penetrating"] < lu_low["penetrating"]
    assert lu_high["total"] == pytest.approx(lu_low["total"])


def test_catalogue_covers_the_required_nuclides() -> None:
    required = {
        "F-18",
        "Cu-64",
        "Sc-44",
        "Sc-44m",
        "Ga-68",
        "Ge-68",
        "Zr-89",
        "Cu-67",
        "Sc-47",
        "At-211",
        "Lu-177",
        "Lu-177m",
        "Y-90",
        "I-131",
        "I-123",
        "I-124",
        "Tc-99m",
        "Mo-99",
        "In-111",
        "Tb-161",
        "Pb-212",
        "Ac-225",
        "Ra-223",
    }
    assert required <= set(list_nuclides())
    assert all(entry.roles for entry in catalogue())
    assert [(p.imaging.name, p.therapy.name) for p in pairs()] == [
        ("Ga-68", "Lu-177"),
        ("Cu-64", "Cu-67"),
        ("Sc-44", "Sc-47"),
        ("I-124", "I-131"),
    ]
    everything = list_nuclides(clinical_only=False)
    assert len(everything) == 1252 and everything.index("H-3") < everything.index("Lu-177")

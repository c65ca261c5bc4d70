"""Alpha emitters: energy per decay with progeny, local dose, RBE-weighted dose."""

from __future__ import annotations

import math

import pytest

from theranostix.dosimetry._alpha import alpha_dose, alpha_energy_per_decay
from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide

J_PER_MEV = 1.602176634e-13


def hand_dose_gy(tia_mbq_h: float, energy_mev: float, mass_g: float) -> float:
    return tia_mbq_h * 3600.0 * 1e6 * energy_mev * J_PER_MEV / (mass_g / 1000.0)


def test_at211_one_alpha_per_decay_with_po211_branch() -> None:
    e = alpha_energy_per_decay("At-211")
    b = Nuclide("At-211").branching_fraction("Po-211")
    expected = Nuclide("At-211").mean_energy_mev("alpha") + b * Nuclide("Po-211").mean_energy_mev(
        "alpha"
    )
    assert e.alpha_mev == pytest.approx(expected, rel=1e-12)
    assert e.alpha_mev == pytest.approx(6.78, abs=0.01)  # README: 6.78 MeV
    assert e.alphas_per_decay == pytest.approx(1.0, abs=1e-3)
    assert e.decays_per_parent_decay["Po-211"] == pytest.approx(b)


def test_ac225_four_alphas_from_branching() -> None:
    e = alpha_energy_per_decay("225Ac")
    nuc = {n: Nuclide(n) for n in ("Ac-225", "Fr-221", "At-217", "Bi-213", "Po-213")}
    n_bi = nuc["Fr-221"].branching_fraction("At-217") * nuc["At-217"].branching_fraction("Bi-213")
    n_po = n_bi * nuc["Bi-213"].branching_fraction("Po-213")
    expected = (
        nuc["Ac-225"].mean_energy_mev("alpha")
        + nuc["Fr-221"].mean_energy_mev("alpha")
        + nuc["At-217"].mean_energy_mev("alpha")
        + n_bi * nuc["Bi-213"].mean_energy_mev("alpha")
        + n_po * nuc["Po-213"].mean_energy_mev("alpha")
    )
    assert e.alpha_mev == pytest.approx(expected, rel=1e-9)
    assert 27.0 < e.alpha_mev < 28.0
    assert e.alphas_per_decay == pytest.approx(4.0, abs=0.01)
    assert set(e.decays_per_parent_decay) == {
        "Ac-225",
        "Fr-221",
        "At-217",
        "Bi-213",
        "Po-213",
        "Tl-209",
        "Pb-209",
    }
    assert e.photon_mev > 0 and e.electron_mev > 0


def test_pb212_chain_counts_decays_not_transient_ratio() -> None:
    e = alpha_energy_per_decay("Pb-212")
    bi = Nuclide("Bi-212")
    expected = bi.mean_energy_mev("alpha") + bi.branching_fraction("Po-212") * Nuclide(
        "Po-212"
    ).mean_energy_mev("alpha")
    assert e.alpha_mev == pytest.approx(expected, rel=1e-9)
    assert e.decays_per_parent_decay["Bi-212"] == pytest.approx(1.0)
    assert e.alphas_per_decay == pytest.approx(1.0, abs=1e-3)
    assert any("transient equilibrium" in n for n in e.notes)


def test_ra223_four_alphas() -> None:
    e = alpha_energy_per_decay("Ra-223")
    assert e.alphas_per_decay == pytest.approx(4.0, abs=0.01)
    assert 26.0 < e.alpha_mev < 27.0


def test_without_progeny_is_parent_only() -> None:
    e = alpha_energy_per_decay("Ac-225", with_progeny=False)
    assert e.alpha_mev == pytest.approx(Nuclide("Ac-225").mean_energy_mev("alpha"))
    assert dict(e.decays_per_parent_decay) == {"Ac-225": 1.0}


def test_daughter_retention_zero_leaves_parent() -> None:
    zero = alpha_energy_per_decay("Ac-225", daughter_retention=0.0)
    parent = alpha_energy_per_decay("Ac-225", with_progeny=False)
    assert zero.alpha_mev == pytest.approx(parent.alpha_mev)
    assert zero.electron_mev == pytest.approx(parent.electron_mev)
    half = alpha_energy_per_decay("Ac-225", daughter_retention=0.5)
    full = alpha_energy_per_decay("Ac-225")
    assert half.alpha_mev == pytest.approx(
        parent.alpha_mev + 0.5 * (full.alpha_mev - parent.alpha_mev)
    )


def test_dose_by_hand_and_rbe_weighting() -> None:
    tia, mass = 250.0, 180.0
    d = alpha_dose("Ac-225", tia, mass)
    e = alpha_energy_per_decay("Ac-225")
    assert d.alpha_dose_gy == pytest.approx(hand_dose_gy(tia, e.alpha_mev, mass), rel=1e-12)
    assert d.electron_dose_gy == pytest.approx(hand_dose_gy(tia, e.electron_mev, mass), rel=1e-12)
    assert d.absorbed_dose_gy == pytest.approx(d.alpha_dose_gy + d.electron_dose_gy)
    assert d.rbe == 5.0
    assert d.rbe_weighted_dose_gy == pytest.approx(5.0 * d.alpha_dose_gy + d.electron_dose_gy)
    d3 = alpha_dose("Ac-225", tia, mass, rbe=3.0)
    assert d3.rbe_weighted_dose_gy == pytest.approx(3.0 * d.alpha_dose_gy + d.electron_dose_gy)
    assert d3.absorbed_dose_gy == pytest.approx(d.absorbed_dose_gy)  # RBE never in absorbed


def test_at211_dose_hand_number() -> None:
    # 100 MBq·h in 300 g: 3.6e11 decays x 6.7837 MeV x 1.602e-13 J/MeV / 0.3 kg
    d = alpha_dose("At-211", 100.0, 300.0)
    assert d.alpha_dose_gy == pytest.approx(3.6e11 * 6.7837 * J_PER_MEV / 0.3, rel=1e-4)


def test_as_dict_is_plain() -> None:
    import json

    d = alpha_dose("Pb-212", 10.0, 50.0).as_dict()
    text = json.dumps(d)
    assert "rbe_weighted_dose_gy" in text and d["energy"]["nuclide"] == "Pb-212"
    assert math.isfinite(d["absorbed_dose_gy"])


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"tia_mbq_h": -1.0}, "tia_mbq_h"),
        ({"tia_mbq_h": float("nan")}, "tia_mbq_h"),
        ({"mass_g": 0.0}, "mass_g"),
        ({"rbe": 0.0}, "rbe"),
        ({"daughter_retention": 1.5}, "daughter_retention"),
    ],
)
def test_errors_name_the_input(kwargs: dict[str, float], word: str) -> None:
    args: dict[str, float] = {"tia_mbq_h": 10.0, "mass_g": 100.0}
    args.update(kwargs)
    with pytest.raises(ThxError, match=word):
        alpha_dose("Ac-225", **args)  # type: ignore[arg-type]


def test_unknown_nuclide() -> None:
    with pytest.raises(ThxError):
        alpha_energy_per_decay("Xx-999")

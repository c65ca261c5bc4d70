import math

import numpy as np
import pytest

from theranostix.nuclides import Nuclide, chain_decay, equilibrium_chain
from theranostix.nuclides._data import radioactivedecay


def _alphas_per_parent_decay(name: str) -> float:
    return sum(
        m.activity_ratio * sum(e.yield_per_decay for e in m.nuclide.emissions("alpha"))
        for m in equilibrium_chain(name).members
    )


def test_at211_with_its_po211_branch() -> None:
    chain = equilibrium_chain("At-211")
    ratios = {m.name: m.activity_ratio for m in chain.members}
    lam_at, lam_po = Nuclide("At-211").decay_constant_per_s, Nuclide("Po-211").decay_constant_per_s
    assert ratios["Po-211"] == pytest.approx(0.582 * lam_po / (lam_po - lam_at), rel=1e-9)
    assert "Bi-207" in chain.excluded  # 31.6 y: never in equilibrium with 7.2 h At-211
    # One alpha per At-211 decay (41.8 % from At-211, 58.2 % from Po-211), mean ~6.8 MeV
    # (Zalutsky MR, Pruszynski M. Curr Radiopharm 2011;4:177-185).
    assert _alphas_per_parent_decay("At-211") == pytest.approx(1.0, abs=1e-3)
    expected = Nuclide("At-211").mean_energy_mev("alpha") + ratios["Po-211"] * Nuclide(
        "Po-211"
    ).mean_energy_mev("alpha")
    assert chain.mean_energy_mev("alpha") == pytest.approx(expected)
    assert chain.mean_energy_mev("alpha") == pytest.approx(6.78, abs=0.02)


@pytest.mark.parametrize("name", ["Ac-225", "Ra-223"])
def test_four_alphas_per_decay_in_equilibrium(name: str) -> None:
    # Ac-225 and Ra-223 each emit four alpha particles per decay with their progeny
    # (Ac-225: Kratochwil C et al. J Nucl Med 2016;57:1941; Ra-223: Xofigo SmPC).
    assert _alphas_per_parent_decay(name) == pytest.approx(4.0, abs=0.03)
    members = [m.name for m in equilibrium_chain(name).members]
    assert members[0] == name
    if name == "Ac-225":
        assert {"Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209"} <= set(members)


def test_pb212_transient_equilibrium() -> None:
    chain = equilibrium_chain("Pb-212")
    ratios = {m.name: m.activity_ratio for m in chain.members}
    lam_pb, lam_bi = Nuclide("Pb-212").decay_constant_per_s, Nuclide("Bi-212").decay_constant_per_s
    assert ratios["Bi-212"] == pytest.approx(lam_bi / (lam_bi - lam_pb))
    assert ratios["Bi-212"] == pytest.approx(1.105, abs=0.002)
    assert _alphas_per_parent_decay("Pb-212") == pytest.approx(ratios["Bi-212"], rel=1e-3)


def test_nuclide_without_progeny_in_equilibrium() -> None:
    chain = equilibrium_chain("F-18")
    assert [m.name for m in chain.members] == ["F-18"]
    assert chain.electron_energy_mev == pytest.approx(Nuclide("F-18").electron_energy_mev)
    assert chain.excluded == ("O-18",)


def test_chain_decay_matches_two_member_bateman() -> None:
    a0 = 10e9
    t = np.array([0.0, 6 * 3600.0, 23 * 3600.0, 72 * 3600.0])
    out = chain_decay({"Mo-99": a0}, t)
    lp, ld = Nuclide("Mo-99").decay_constant_per_s, Nuclide("Tc-99m").decay_constant_per_s
    b = Nuclide("Mo-99").branching_fraction("Tc-99m")
    tc = b * a0 * ld / (ld - lp) * (np.exp(-lp * t) - np.exp(-ld * t))
    np.testing.assert_allclose(out["Mo-99"], a0 * np.exp(-lp * t), rtol=1e-9)
    np.testing.assert_allclose(out["Tc-99m"], tc, rtol=1e-9, atol=1e-3)


def test_chain_decay_matches_radioactivedecay_inventory() -> None:
    rd = radioactivedecay()
    times = [3600.0, 86400.0, 10 * 86400.0]
    vector = chain_decay({"Ac-225": 1e6}, np.array(times))
    for i, t in enumerate(times):
        reference = rd.Inventory({"Ac-225": 1e6}, "Bq").decay(t, "s").activities("Bq")
        for name, value in reference.items():
            if value > 1e-6:
                assert vector[name][i] == pytest.approx(value, rel=1e-6), (name, t)


def test_chain_decay_scalar_and_validation() -> None:
    out = chain_decay({"F-18": 1e9}, 6586.2)
    assert out["F-18"] == pytest.approx(5e8)
    assert isinstance(out["F-18"], float)
    with pytest.raises(ValueError, match="negative"):
        chain_decay({"F-18": 1e9}, -1.0)


def test_large_time_grid_is_vectorised() -> None:
    t = np.linspace(0, 30 * 86400, 100_000)
    out = chain_decay({"Ra-223": 1e6}, t)
    assert out["Ra-223"].shape == t.shape
    assert math.isclose(float(out["Ra-223"][0]), 1e6)

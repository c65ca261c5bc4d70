"""Red marrow dose: blood-based and image-based methods."""

from __future__ import annotations

import json
import math

import pytest

from theranostix.dosimetry import phantom_masses_g, svalue_table
from theranostix.dosimetry._marrow import (
    blood_tia_mbq_h_per_ml,
    red_marrow_dose_blood_gy,
    red_marrow_dose_image_gy,
)
from theranostix.errors import ThxError

TO_GY = 3600.0 * 1e-3  # MBq·h -> MBq·s, mGy -> Gy


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return svalue_table("Lu-177", "adult-male")


def test_tabled_values_used() -> None:
    t = svalue_table("Lu-177", "adult-male")
    assert t.s("red_marrow", "red_marrow") == 1.15e-05
    assert t.s("red_marrow", "total_body") == 2.74e-07
    assert phantom_masses_g("adult-male")["red_marrow"] == 1170.0


def test_blood_self_dose_by_hand(table) -> None:  # type: ignore[no-untyped-def]
    tiac = 0.05
    r = red_marrow_dose_blood_gy(tiac)
    tia_rm = tiac * 1.0 * 1170.0
    assert r.red_marrow_tia_mbq_h == pytest.approx(tia_rm)
    assert r.self_dose_gy == pytest.approx(tia_rm * 1.15e-05 * TO_GY, rel=1e-12)
    assert r.cross_dose_gy == 0.0
    assert r.dose_gy == r.self_dose_gy
    assert r.method == "blood"
    assert any("NOT included" in n for n in r.notes)


def test_blood_mass_scaling_self_dose_independent_of_mass() -> None:
    tiac = 0.05
    ref = red_marrow_dose_blood_gy(tiac)
    r = red_marrow_dose_blood_gy(tiac, red_marrow_mass_g=1500.0)
    assert r.red_marrow_tia_mbq_h == pytest.approx(tiac * 1500.0)
    # TIA x m, S x m_ph/m: self-dose unchanged
    expected = tiac * 1500.0 * 1.15e-05 * (1170.0 / 1500.0) * TO_GY
    assert r.self_dose_gy == pytest.approx(expected, rel=1e-12)
    assert r.self_dose_gy == pytest.approx(ref.self_dose_gy, rel=1e-12)


def test_body_mass_scaling() -> None:
    r = red_marrow_dose_blood_gy(0.05, body_mass_kg=90.0)
    assert r.red_marrow_mass_g == pytest.approx(1170.0 * 90.0 / 73.0)
    f = red_marrow_dose_blood_gy(0.05, phantom="adult-female", body_mass_kg=60.0)
    assert f.red_marrow_mass_g == pytest.approx(phantom_masses_g("adult-female")["red_marrow"])


def test_rmblr_scales_tia() -> None:
    r = red_marrow_dose_blood_gy(0.05, rmblr=0.36)
    assert r.red_marrow_tia_mbq_h == pytest.approx(0.05 * 0.36 * 1170.0)


def test_cross_dose_sums(table) -> None:  # type: ignore[no-untyped-def]
    tiac, wb = 0.05, 30000.0
    organs = {"Kidneys": 2000.0, "liver": 3000.0}
    r = red_marrow_dose_blood_gy(tiac, whole_body_tia_mbq_h=wb, organ_tia_mbq_h=organs)
    tia_rm = tiac * 1170.0
    rob = wb - tia_rm - 5000.0
    assert r.remainder_tia_mbq_h == pytest.approx(rob)
    exp_k = 2000.0 * table.s("red_marrow", "kidneys") * TO_GY
    exp_l = 3000.0 * table.s("red_marrow", "liver") * TO_GY
    exp_rob = rob * 2.74e-07 * TO_GY
    assert r.cross_dose_by_source_gy["kidneys"] == pytest.approx(exp_k, rel=1e-12)
    assert r.cross_dose_by_source_gy["liver"] == pytest.approx(exp_l, rel=1e-12)
    assert r.cross_dose_by_source_gy["remainder_of_body"] == pytest.approx(exp_rob, rel=1e-12)
    assert r.cross_dose_gy == pytest.approx(exp_k + exp_l + exp_rob, rel=1e-12)
    assert r.dose_gy == pytest.approx(r.self_dose_gy + r.cross_dose_gy, rel=1e-12)
    assert any("remainder-of-body correction is not applied" in n for n in r.notes)


def test_image_based_scaling() -> None:
    r = red_marrow_dose_image_gy(8.0, 0.08)
    assert r.red_marrow_tia_mbq_h == pytest.approx(100.0)
    assert r.self_dose_gy == pytest.approx(100.0 * 1.15e-05 * TO_GY, rel=1e-12)
    m = red_marrow_dose_image_gy(8.0, 0.08, red_marrow_mass_g=900.0)
    assert m.self_dose_gy == pytest.approx(100.0 * 1.15e-05 * 1170.0 / 900.0 * TO_GY, rel=1e-12)
    assert m.method == "image"


def test_blood_tiac_wrapper() -> None:
    t = [1.0, 4.0, 24.0, 48.0, 96.0]
    c = [0.02 * math.exp(-math.log(2) * x / 20.0) for x in t]
    assert blood_tia_mbq_h_per_ml(t, c, "Lu-177", models=("mono",)) == pytest.approx(
        0.02 * 20.0 / math.log(2), rel=1e-6
    )
    with pytest.raises(ThxError, match="activity_concentration_mbq_per_ml"):
        blood_tia_mbq_h_per_ml([1.0, 2.0], [0.1, -0.1], "Lu-177")


def test_as_dict_json() -> None:
    r = red_marrow_dose_blood_gy(0.05, whole_body_tia_mbq_h=1e4, organ_tia_mbq_h={"kidneys": 1.0})
    d = r.as_dict()
    json.dumps(d)
    assert d["inputs"]["organ_tia_mbq_h"] == {"kidneys": 1.0}


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: red_marrow_dose_blood_gy(-0.1), "blood_tiac_mbq_h_per_ml"),
        (lambda: red_marrow_dose_blood_gy(None), "blood_tiac_mbq_h_per_ml"),  # type: ignore[arg-type]
        (lambda: red_marrow_dose_blood_gy(0.1, rmblr=0.0), "rmblr"),
        (lambda: red_marrow_dose_blood_gy(0.1, red_marrow_mass_g=-5.0), "red_marrow_mass_g"),
        (
            lambda: red_marrow_dose_blood_gy(0.1, red_marrow_mass_g=1000.0, body_mass_kg=70.0),
            "not both",
        ),
        (lambda: red_marrow_dose_blood_gy(0.1, whole_body_tia_mbq_h=-1.0), "whole_body_tia_mbq_h"),
        (lambda: red_marrow_dose_blood_gy(0.1, whole_body_tia_mbq_h=10.0), "whole_body_tia_mbq_h"),
        (lambda: red_marrow_dose_blood_gy(0.1, organ_tia_mbq_h={"kidneys": -1.0}), "kidneys"),
        (lambda: red_marrow_dose_blood_gy(0.1, organ_tia_mbq_h={"red marrow": 1.0}), "red marrow"),
        (
            lambda: red_marrow_dose_blood_gy(0.1, organ_tia_mbq_h={"body": 1.0}),
            "whole_body_tia_mbq_h",
        ),
        (lambda: red_marrow_dose_blood_gy(0.1, organ_tia_mbq_h={"kidnies": 1.0}), "kidnies"),
        (lambda: red_marrow_dose_blood_gy(0.1, nuclide="Ac-225"), "Ac-225"),
        (lambda: red_marrow_dose_image_gy(-1.0, 0.1), "region_tia_mbq_h"),
        (lambda: red_marrow_dose_image_gy(1.0, 0.0), "region_marrow_fraction"),
        (lambda: red_marrow_dose_image_gy(1.0, 1.2), "region_marrow_fraction"),
    ],
)
def test_errors_name_the_input(call, word: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ThxError, match=word):
        call()

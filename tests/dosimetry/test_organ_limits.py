"""Organ-at-risk limits, their check and the cycle planner (theranostix.dosimetry._limits)."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from theranostix.dosimetry._limits import (
    Basis,
    LimitQuantity,
    LimitScope,
    RiskGroup,
    TherapyCycle,
    check_limits,
    load_limits,
    plan_next_cycle,
)
from theranostix.dosimetry._radiobiology import bed_gy, g_factor_mono
from theranostix.errors import ThxError

BUILTIN = resources.files("theranostix.dosimetry").joinpath("data", "organ_limits.toml")


def builtin_text() -> str:
    return BUILTIN.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------- file


def test_builtin_limits_load_with_sources() -> None:
    limits = load_limits()
    by_id = {lim.id: lim for lim in limits.limits}
    kid = by_id["kidneys-dose"]
    assert (kid.organ, kid.quantity, kid.scope, kid.value_gy) == (
        "kidneys",
        LimitQuantity.ABSORBED_DOSE,
        LimitScope.CUMULATIVE,
        23.0,
    )
    assert by_id["kidneys-bed"].value_gy == 40.0
    assert by_id["kidneys-bed"].risk_group is RiskGroup.ABSENT
    assert by_id["kidneys-bed-risk"].value_gy == 28.0
    assert by_id["kidneys-bed-risk"].risk_group is RiskGroup.PRESENT
    assert by_id["red-marrow-dose"].value_gy == 2.0
    assert by_id["salivary-glands-dose"].quantity is LimitQuantity.ABSORBED_DOSE
    assert limits.source("bodei2008").doi == "10.1007/s00259-008-0778-1"
    assert limits.radiobiology["kidneys"].alpha_beta_gy == 2.6
    assert limits.radiobiology["kidneys"].repair_half_time_h == 2.8
    assert limits.radiobiology["red_marrow"].basis is Basis.ASSUMED
    for lim in limits.limits:
        for key in lim.sources:
            ref = limits.source(key)
            assert ref.doi or ref.url
    assert limits.path is None
    ids_risk = [lim.id for lim in limits.applicable(risk_factors=True)]
    assert "kidneys-bed-risk" in ids_risk and "kidneys-bed" not in ids_risk


def test_provenance_lists_every_source() -> None:
    text = resources.files("theranostix.dosimetry").joinpath("data", "PROVENANCE_limits.md")
    provenance = text.read_text(encoding="utf-8")
    limits = load_limits()
    for ref in limits.references:
        assert (ref.doi or ref.url) in provenance, ref.key
    for lim in limits.limits:
        assert lim.id in provenance


def test_load_limits_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(builtin_text().replace("value_gy = 23.0", "value_gy = 20.0"), "utf-8")
    limits = load_limits(path)
    assert {lim.id: lim.value_gy for lim in limits.limits}["kidneys-dose"] == 20.0
    assert limits.path == str(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("value_gy = 40.0", "value_gy = -40.0", "limits[1].value_gy: must be a finite number > 0"),
        ('quantity = "bed"', 'quantity = "eqd2"', "limits[1].quantity: 'eqd2' is not one of"),
        ('scope = "cumulative"', 'scpoe = "cumulative"', "limits[0].scpoe: unknown field"),
        ('risk_factors = "absent"', 'risk_factors = "maybe"', "limits[1].risk_factors"),
        ('sources = ["bodei2008"]', 'sources = ["nobody2020"]', "limits[1].sources: 'nobody2020'"),
        ("alpha_beta_gy = 2.6", "alpha_beta_gy = 0", "organs.kidneys.alpha_beta_gy: must be"),
        ("repair_half_time_h = 2.8\n", "", "organs.kidneys.repair_half_time_h: missing"),
        ("schema = 1", "schema = 2", "schema: 2 is not supported"),
        ('id = "kidneys-bed-risk"', 'id = "kidneys-bed"', "limits[2].id: 'kidneys-bed' is used"),
        ('basis = "reported"', 'basis = "rumoured"', "organs.kidneys.basis"),
        ("[organs.kidneys]", "[organs.kidney]", "limits[1].organ: 'kidneys' has a BED limit"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = builtin_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(ThxError) as info:
        load_limits(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ThxError, match="cannot read the limits file"):
        load_limits(tmp_path / "missing.toml")
    path = tmp_path / "broken.toml"
    path.write_text("schema = ", "utf-8")
    with pytest.raises(ThxError, match="not valid TOML"):
        load_limits(path)


def test_builtin_file_is_plain_toml() -> None:
    data = tomllib.loads(builtin_text())
    assert data["schema"] == 1


# -------------------------------------------------------------------------------- check


def test_check_limits_flags_exceeded_kidney_bed() -> None:
    doses = {"kidneys": (20.0, 30.0), "red_marrow": (1.0, None)}
    with_risk = {f.limit.id: f for f in check_limits(doses, risk_factors=True)}
    assert with_risk["kidneys-bed-risk"].exceeded
    assert with_risk["kidneys-bed-risk"].margin_gy == pytest.approx(-2.0)
    assert with_risk["kidneys-bed-risk"].value_gy == 30.0
    assert not with_risk["kidneys-dose"].exceeded
    assert with_risk["kidneys-dose"].margin_gy == pytest.approx(3.0)
    assert not with_risk["red-marrow-dose"].exceeded
    assert not with_risk["salivary-glands-dose"].assessed
    without = {f.limit.id: f for f in check_limits(doses, risk_factors=False)}
    assert not without["kidneys-bed"].exceeded
    assert without["kidneys-bed"].margin_gy == pytest.approx(10.0)
    assert "kidneys-bed-risk" not in without


def test_check_limits_rejects_bad_values() -> None:
    with pytest.raises(ThxError, match=r"cumulative\['kidneys'\]: BED: must be finite"):
        check_limits({"kidneys": (20.0, -1.0)}, risk_factors=False)
    with pytest.raises(ThxError, match=r"cumulative\['kidneys'\]: expected"):
        check_limits({"kidneys": "a lot"}, risk_factors=False)  # type: ignore[dict-item]


# ------------------------------------------------------------------------------ planner

KIDNEY_T_EFF_H = 50.0


def heavy_kidney_cycle(activity_gbq: float, kidney_gy_per_gbq: float) -> dict[str, object]:
    return {
        "activity_gbq": activity_gbq,
        "organ_doses_gy_per_gbq": {
            "kidneys": kidney_gy_per_gbq,
            "red_marrow": 0.03,
            "salivary_glands": 0.5,
        },
        "organ_effective_half_lives_h": {"kidneys": KIDNEY_T_EFF_H},
        "tumour_gy_per_gbq": 4.0,
        "tumour_effective_half_life_h": 80.0,
    }


def kidney_bed(doses_gy: list[float]) -> float:
    return sum(
        bed_gy(d, alpha_beta_gy=2.6, repair_half_time_h=2.8, effective_half_life_h=KIDNEY_T_EFF_H)
        for d in doses_gy
    )


def test_planner_puts_the_limiting_organ_exactly_at_its_limit() -> None:
    cycles = [heavy_kidney_cycle(2.0, 3.0)]  # 6 Gy kidney so far
    plan = plan_next_cycle(cycles, risk_factors=True, max_activity_gbq=20.0)
    assert plan.reason == "organ_limit"
    assert plan.limiting is not None
    assert plan.limiting.limit.id == "kidneys-bed-risk"
    assert plan.limiting_organ == "kidneys"
    activity = plan.activity_gbq
    # independent recomputation: cumulative kidney BED after the cycle = 28 Gy
    assert kidney_bed([6.0, 3.0 * activity]) == pytest.approx(28.0, abs=1e-6)
    findings = {f.limit.id: f for f in plan.findings}
    assert findings["kidneys-bed-risk"].margin_gy == pytest.approx(0.0, abs=1e-6)
    others = [f for f in plan.findings if f.limit.id != "kidneys-bed-risk" and f.assessed]
    assert others and all(f.value_gy < f.limit.value_gy for f in others)  # type: ignore[operator]
    assert 6.0 + 3.0 * activity < 23.0
    assert plan.bounds[0] is plan.limiting
    assert plan.not_assessed == ()
    # without risk factors the absorbed-dose limit (23 Gy) binds first
    relaxed = plan_next_cycle(cycles, risk_factors=False, max_activity_gbq=20.0)
    assert relaxed.limiting is not None and relaxed.limiting.limit.id == "kidneys-dose"
    assert 6.0 + 3.0 * relaxed.activity_gbq == pytest.approx(23.0, abs=1e-9)
    assert relaxed.activity_gbq > activity


def test_planner_caps_at_max_activity_and_uses_mean_or_last() -> None:
    cycles = [
        TherapyCycle(7.4, {"kidneys": 0.4}, {"kidneys": KIDNEY_T_EFF_H}),
        TherapyCycle(7.4, {"kidneys": 0.8}, {"kidneys": KIDNEY_T_EFF_H}),
    ]
    plan = plan_next_cycle(cycles, risk_factors=False)
    assert plan.reason == "max_activity" and plan.activity_gbq == 7.4
    assert plan.gy_per_gbq["kidneys"] == pytest.approx(0.6)
    mean = plan_next_cycle(cycles, risk_factors=False, max_activity_gbq=100.0)
    last = plan_next_cycle(cycles, risk_factors=False, max_activity_gbq=100.0, estimate="last")
    prev = 7.4 * 0.4 + 7.4 * 0.8
    assert mean.activity_gbq == pytest.approx((23.0 - prev) / 0.6)
    assert last.activity_gbq == pytest.approx((23.0 - prev) / 0.8)
    assert {lim.organ for lim in mean.not_assessed} == {"red_marrow", "salivary_glands"}


def test_planner_returns_the_tumour_target_activity_when_safe() -> None:
    cycles = [heavy_kidney_cycle(2.0, 3.0)]
    safe = plan_next_cycle(cycles, risk_factors=True, max_activity_gbq=20.0).activity_gbq
    kwargs = {
        "risk_factors": True,
        "max_activity_gbq": 20.0,
        "tumour_alpha_beta_gy": 10.0,
        "tumour_repair_half_time_h": 1.5,
    }
    # previous tumour BED: 8 Gy at G = 1.5/81.5
    g_t = g_factor_mono(80.0, 1.5)
    tumour_prev = 8.0 * (1.0 + g_t * 8.0 / 10.0)
    plan = plan_next_cycle(cycles, tumour_bed_target_gy=20.0, **kwargs)
    assert plan.reason == "tumour_target"
    assert plan.tumour_target_activity_gbq == pytest.approx(plan.activity_gbq)
    assert plan.activity_gbq < safe
    d = 4.0 * plan.activity_gbq
    assert tumour_prev + d * (1.0 + g_t * d / 10.0) == pytest.approx(20.0, abs=1e-6)
    assert not any(f.exceeded for f in plan.findings)
    # a target out of reach: the safe activity, target activity reported
    far = plan_next_cycle(cycles, tumour_bed_target_gy=500.0, **kwargs)
    assert far.reason == "organ_limit"
    assert far.activity_gbq == pytest.approx(safe)
    assert far.tumour_target_activity_gbq is not None
    assert far.tumour_target_activity_gbq > safe
    # a target already reached
    done = plan_next_cycle(cycles, tumour_bed_target_gy=5.0, **kwargs)
    assert (done.activity_gbq, done.reason) == (0.0, "tumour_target_reached")
    # an explicit tumour Gy/GBq for the next cycle
    explicit = plan_next_cycle(cycles, tumour_bed_target_gy=20.0, tumour_gy_per_gbq=8.0, **kwargs)
    assert explicit.activity_gbq < plan.activity_gbq


def test_planner_when_a_limit_is_already_reached() -> None:
    cycles = [heavy_kidney_cycle(8.0, 3.0)]  # 24 Gy kidney
    plan = plan_next_cycle(cycles, risk_factors=False)
    assert (plan.activity_gbq, plan.reason) == (0.0, "limit_reached")
    assert plan.limiting is not None and plan.limiting.limit.id == "kidneys-dose"
    assert any(f.exceeded for f in plan.findings)


def test_planner_errors() -> None:
    no_half_life = {"activity_gbq": 7.4, "organ_doses_gy_per_gbq": {"kidneys": 0.5}}
    with pytest.raises(ThxError, match=r"previous_cycles\[0\]\.organ_effective_half_lives_h"):
        plan_next_cycle([no_half_life], risk_factors=False)
    with pytest.raises(ThxError, match=r"previous_cycles\[0\]\.activity_gbq: must be"):
        plan_next_cycle([{"activity_gbq": 0.0, "organ_doses_gy_per_gbq": {}}], risk_factors=False)
    with pytest.raises(ThxError, match=r"previous_cycles\[0\]\.actvity_gbq: unknown field"):
        plan_next_cycle([{"actvity_gbq": 7.4}], risk_factors=False)
    with pytest.raises(ThxError, match="at least one cycle"):
        plan_next_cycle([], risk_factors=False)
    with pytest.raises(ThxError, match="estimate: must be"):
        plan_next_cycle([heavy_kidney_cycle(2.0, 3.0)], risk_factors=False, estimate="median")
    with pytest.raises(ThxError, match="tumour_alpha_beta_gy and tumour_repair_half_time_h"):
        plan_next_cycle([heavy_kidney_cycle(2.0, 3.0)], risk_factors=False, tumour_bed_target_gy=50)
    with pytest.raises(ThxError, match="max_activity_gbq: must be"):
        plan_next_cycle([heavy_kidney_cycle(2.0, 3.0)], risk_factors=False, max_activity_gbq=-1)
    assert math.isfinite(
        plan_next_cycle([heavy_kidney_cycle(2.0, 3.0)], risk_factors=False).activity_gbq
    )

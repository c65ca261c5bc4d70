"""theranostix.supply: a hand-solvable instance, shortfall, decay, diagnosis, disruption."""

import copy
import itertools
import math
from typing import Any

import pytest

from theranostix.supply._disruption import CyclotronFailure, RoadClosure, replan
from theranostix.supply._model import PlanOptions, SupplyInfeasibleError, diagnose, plan_supply
from theranostix.supply._scenario import ScenarioError, load_scenario, scenario_from_dict
from theranostix.supply._synthetic import synthetic_scenario
from theranostix.units import elapsed_s, shift

F18_S = 109.77 * 60  # ICRP-107 half-life of F-18
LAM = math.log(2) / F18_S

TINY: dict[str, Any] = {
    "name": "tiny",
    "day": "2026-11-23",
    "timezone": "UTC",
    "grid_min": 60,
    "objective": {"decay_cost_eur_per_gbq": 1.0, "shortfall_penalty_eur": 1.0e6},
    "sites": [{
        "name": "S", "lon": 0.0, "lat": 45.0, "beam_window": ["06:00", "07:00"],
        "run_cost_eur": 1000, "beam_cost_eur_per_h": 100,
        "targets": [{"name": "T", "nuclide": "F-18", "product": "FDG",
                     "saturation_yield_bq_per_ua": 1.0e10, "currents_ua": [20],
                     "durations_min": [60], "synthesis_min": 30, "qc_min": 30,
                     "synthesis_yield": 1.0}],
    }],
    "hospitals": [{"name": "A", "lon": 0.5, "lat": 45.0}, {"name": "B", "lon": 1.0, "lat": 45.0}],
    "links": [{"site": "S", "hospital": "A", "duration_min": 60, "cost_eur": 100},
              {"site": "S", "hospital": "B", "duration_min": 120, "cost_eur": 200}],
    "orders": [{"id": "OA", "hospital": "A", "product": "FDG", "activity_gbq": 5,
                "calibration": "10:00"},
               {"id": "OB", "hospital": "B", "product": "FDG", "activity_gbq": 5,
                "calibration": "11:00"}],
}  # fmt: skip
EOB_GBQ = 1e10 * 20 * (1 - math.exp(-LAM * 3600)) / 1e9  # one run 06:00-07:00 at 20 uA


def tiny(**changes: Any) -> Any:
    data = copy.deepcopy(TINY)
    for path, value in changes.items():
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return scenario_from_dict(data, source="tiny.yaml")


def test_hand_solved_instance() -> None:
    plan = plan_supply(tiny())
    assert plan.status == "optimal"
    assert [(r.site, r.target, r.start.hour, r.duration_s) for r in plan.runs] == [
        ("S", "T", 6, 3600.0)
    ]
    assert plan.runs[0].eob_activity_bq == pytest.approx(EOB_GBQ * 1e9, rel=1e-9)
    x_a = 5 * math.exp(LAM * 3 * 3600)  # GBq at EOB (07:00) for 5 GBq at 10:00
    x_b = 5 * math.exp(LAM * 4 * 3600)
    by_order = {d.order: d for d in plan.deliveries}
    assert by_order["OA"].allocated_eob_bq / 1e9 == pytest.approx(x_a, rel=1e-6)
    assert by_order["OB"].allocated_eob_bq / 1e9 == pytest.approx(x_b, rel=1e-6)
    # release 08:00 (EOB + 30 + 30 min); arrival = departure + link duration
    assert (by_order["OA"].departure.hour, by_order["OA"].arrival.hour) == (8, 9)
    assert (by_order["OB"].departure.hour, by_order["OB"].arrival.hour) == (8, 10)
    expected = 1000 + 100 + 100 + 200 + (x_a - 5) + (x_b - 5)
    assert plan.objective == pytest.approx(expected, rel=1e-6)
    assert all(s.shortfall_bq == 0 for s in plan.shortfall)


def test_decay_to_calibration_is_exact() -> None:
    plan = plan_supply(tiny())
    run = plan.runs[0]
    for d in plan.deliveries:
        order = next(o for o in plan.scenario.orders if o.id == d.order)
        dt = elapsed_s(run.end_of_bombardment, order.calibration)
        assert d.activity_at_calibration_bq == pytest.approx(
            d.allocated_eob_bq * math.exp(-LAM * dt), rel=1e-9
        )
        assert d.activity_at_calibration_bq == pytest.approx(5e9, rel=1e-6)


def test_shortfall_when_capacity_is_short() -> None:
    plan = plan_supply(tiny(**{"orders.1.activity_gbq": 50}))
    x_a = 5 * math.exp(LAM * 3 * 3600)
    short = {s.order: s for s in plan.shortfall}
    assert short["OA"].shortfall_bq == 0
    delivered_b = (EOB_GBQ - x_a) * math.exp(-LAM * 4 * 3600)
    assert short["OB"].delivered_bq / 1e9 == pytest.approx(delivered_b, rel=1e-6)
    assert short["OB"].shortfall_bq / 1e9 == pytest.approx(50 - delivered_b, rel=1e-6)
    assert "capacity" in short["OB"].reason
    assert plan.as_dict()["shortfall"][0]["order"] == "OB"


def test_diagnosis_of_unservable_orders() -> None:
    scenario = tiny(**{"orders.0.product": "Ga-68", "orders.1.calibration": "09:30"})
    reasons = diagnose(scenario)
    assert len(reasons) == 2
    assert "order OA (A, Ga-68 5 GBq at 10:00): no site produces 'Ga-68'" in reasons[0]
    assert "earliest arrival 10:00 from S (release 08:00 + transport 120 min)" in reasons[1]
    assert "after the arrival deadline 09:30" in reasons[1]
    plan = plan_supply(scenario)
    assert [s.shortfall_bq for s in plan.shortfall] == [5e9, 5e9]
    assert plan.runs == [] and plan.objective == pytest.approx(0.0)
    with pytest.raises(SupplyInfeasibleError, match="2 order"):
        plan_supply(scenario, PlanOptions(strict=True))


def test_yaml_validation_names_file_and_key(tmp_path: Any) -> None:
    with pytest.raises(ScenarioError, match=r"^tiny.yaml: sites\[0\].targets\[0\]."
                       r"saturation_yield_bq_per_ua: must be positive"):  # fmt: skip
        tiny(**{"sites.0.targets.0.saturation_yield_bq_per_ua": -1})
    with pytest.raises(ScenarioError, match=r"orders\[1\].calibration: read as the number 960"):
        tiny(**{"orders.1.calibration": 960})
    with pytest.raises(ScenarioError, match=r"orders\[0\].hospital: unknown hospital 'Z'"):
        tiny(**{"orders.0.hospital": "Z"})
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: not valid YAML"):
        load_scenario(bad)


def test_default_scenario_is_optimal_and_complete() -> None:
    scenario = load_scenario()
    assert {s.name for s in scenario.sites} >= {"Caen", "Tours", "Toulouse", "Nantes", "Strasbourg"}
    plan = plan_supply(scenario)
    assert plan.status == "optimal"
    assert plan.solve_time_s < 10
    assert sum(s.shortfall_bq for s in plan.shortfall) == 0
    assert {r.nuclide for r in plan.runs} >= {"F-18", "Cu-64", "Sc-44", "Zr-89", "Cu-67",
                                              "Sc-47", "At-211"}  # fmt: skip
    for d in plan.deliveries:
        assert d.arrival <= next(o.calibration for o in scenario.orders if o.id == d.order)


def test_cyclotron_failure_keeps_shipped_and_reroutes() -> None:
    scenario = load_scenario()
    plan = plan_supply(scenario)
    when = shift(scenario.t0, 6 * 3600)
    new = replan(plan, CyclotronFailure("Caen", when))
    assert new.status == "optimal"

    def sent_before(deliveries: Any) -> dict[tuple[str, str], float]:
        total: dict[tuple[str, str], float] = {}
        for d in deliveries:
            if d.departure < when:
                total[(d.site, d.order)] = total.get((d.site, d.order), 0.0) + d.allocated_eob_bq
        return total

    shipped, kept = sent_before(plan.deliveries), sent_before(new.deliveries)
    assert shipped and shipped.keys() == kept.keys()
    for pair, amount in shipped.items():
        assert kept[pair] == pytest.approx(amount, rel=1e-6)
    assert not [r for r in new.runs if r.site == "Caen" and r.start >= when]
    assert new.objective >= plan.objective - 1e-6 * plan.objective
    assert "cyclotron Caen down" in new.events[0]


def test_road_closure_reroutes() -> None:
    scenario = load_scenario()
    plan = plan_supply(scenario)
    site, hospital = "Orsay", "Paris-HEGP"
    assert [d for d in plan.deliveries if (d.site, d.hospital) == (site, hospital)]
    when = shift(scenario.t0, 5 * 3600)
    new = replan(plan, RoadClosure(site, hospital, when))
    assert not [d for d in new.deliveries
                if (d.site, d.hospital) == (site, hospital) and d.departure >= when]  # fmt: skip
    assert sum(s.shortfall_bq for s in new.shortfall) == 0


def test_synthetic_generator_is_reproducible() -> None:
    a = synthetic_scenario(4, 10, ("F-18", "Cu-64"), seed=3)
    b = synthetic_scenario(4, 10, ("F-18", "Cu-64"), seed=3)
    assert a == b and len(a.sites) == 4 and len(a.hospitals) == 10
    plan = plan_supply(a, PlanOptions(mip_rel_gap=0.01, time_limit_s=20))
    assert plan.status == "optimal" and plan.mip_gap <= 0.01


def test_warm_start_keeps_the_optimum() -> None:
    # the LP-guided first plan only seeds HiGHS: same optimum on the small scenario
    scenario = load_scenario()
    cold = plan_supply(scenario, PlanOptions(warm_start=False))
    warm = plan_supply(scenario, PlanOptions(warm_start=True))
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-3)


def test_lp_dive_first_plan_is_feasible_and_close_to_the_bound() -> None:
    # the dive's plan is the first incumbent; later ones only improve on it
    scenario = synthetic_scenario(6, 30, ("F-18", "Cu-64"), seed=3)
    plan = plan_supply(scenario, PlanOptions(warm_start=True, time_limit_s=5, mip_rel_gap=1e-3))
    assert plan.status in ("optimal", "time_limit")
    values = [v for _, v in plan.incumbents]
    assert len(values) >= 1
    assert all(b < a for a, b in itertools.pairwise(values))
    assert plan.objective == pytest.approx(values[-1], rel=1e-9)
    assert values[0] <= 1.15 * plan.dual_bound
    # its allocations respect capacities and deliver what the objective says
    served = sum(d.activity_at_calibration_bq for d in plan.deliveries)
    needed = sum(o.activity_bq for o in scenario.orders)
    unmet = sum(s.shortfall_bq for s in plan.shortfall)
    assert served + unmet == pytest.approx(needed, rel=1e-6)
    for run in plan.runs:
        used = sum(d.allocated_eob_bq for d in plan.deliveries if d.run == run.id)
        assert used <= run.product_activity_eob_bq * (1 + 1e-6)


def test_lp_dive_respects_a_replan_and_keeps_its_optimum() -> None:
    scenario = load_scenario()
    when = shift(scenario.t0, 6 * 3600)
    cold = replan(plan_supply(scenario), CyclotronFailure("Caen", when))
    warm = replan(
        plan_supply(scenario, PlanOptions(warm_start=True)), CyclotronFailure("Caen", when)
    )
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-3)
    assert not [r for r in warm.runs if r.site == "Caen" and r.start >= when]


def test_reductions_never_leave_a_reachable_order_unserved() -> None:
    # EOB 07:00, calibrations 10:00 and 11:00: more than 0.5 half-life, so the reduction
    # would remove every run of both orders; they get all their options back instead
    exact = plan_supply(tiny())
    reduced = plan_supply(tiny(), PlanOptions(max_half_lives=0.5, max_sites_per_order=1))
    assert reduced.status == "optimal"
    assert all(s.shortfall_bq == 0 for s in reduced.shortfall)
    assert reduced.objective == pytest.approx(exact.objective, rel=1e-9)


def test_neighbourhood_search_improves_a_plan_and_keeps_it_feasible() -> None:
    import numpy as np

    from theranostix.supply._model import (
        Restrictions,
        _build,
        _neighbourhood_search,
        _warm_start,
    )

    scenario = synthetic_scenario(6, 30, ("F-18", "Cu-64"), seed=3)
    options = PlanOptions(time_limit_s=20)
    model = _build(scenario, options, Restrictions())
    start = _warm_start(model.h, options, model, [], 0.0)
    assert start is not None
    before = np.array(start.col_value)
    better = np.array(
        _neighbourhood_search(model.h, scenario, options, model, start, 10.0).col_value
    )
    cost = np.asarray(model.cost)
    assert cost @ better < cost @ before - 1.0  # 105,734 -> 102,996 EUR when measured
    lp = model.h.getLp()
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    assert np.all(better >= lower - 1e-6) and np.all(better <= upper + 1e-6)
    integers = better[: model.x0]
    assert np.allclose(integers, np.round(integers), atol=1e-6)
    # every row within its bounds (column-wise sparse matrix of the model)
    a = lp.a_matrix_
    activity = np.zeros(lp.num_row_)
    starts, index, value = np.array(a.start_), np.array(a.index_), np.array(a.value_)
    for j in range(lp.num_col_):
        rows = slice(starts[j], starts[j + 1])
        activity[index[rows]] += value[rows] * better[j]
    tol = 1e-6 * (1 + np.abs(activity))
    assert np.all(activity >= np.array(lp.row_lower_) - tol)
    assert np.all(activity <= np.array(lp.row_upper_) + tol)

"""Radionuclide supply across a cyclotron network: a mixed-integer plan solved with HiGHS.

Main entry points
-----------------
load_scenario, scenario_from_dict, synthetic_scenario
    A network of cyclotron sites, hospitals with orders and transport links
    (YAML; the default is an illustrative French network).
plan_supply
    Production runs, batch splits and deliveries that minimise cost plus decayed
    activity, with unmet demand reported as a shortfall (HiGHS MILP).
replan, CyclotronFailure, RoadClosure
    Re-planning after a disruption, keeping what has already shipped.
write_plan_outputs, write_timeline_png, write_map_png
    Schedule tables, a timeline and a map.

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    # _scenario
    "Hospital": "_scenario",
    "Link": "_scenario",
    "Objective": "_scenario",
    "Order": "_scenario",
    "Scenario": "_scenario",
    "ScenarioError": "_scenario",
    "Site": "_scenario",
    "Target": "_scenario",
    "TransportMode": "_scenario",
    "TransportModel": "_scenario",
    "default_scenario_path": "_scenario",
    "estimate_link": "_scenario",
    "haversine_km": "_scenario",
    "load_scenario": "_scenario",
    "scenario_from_dict": "_scenario",
    # _model
    "Delivery": "_model",
    "Plan": "_model",
    "PlanOptions": "_model",
    "Restrictions": "_model",
    "Run": "_model",
    "Shortfall": "_model",
    "SupplyInfeasibleError": "_model",
    "diagnose": "_model",
    "plan_supply": "_model",
    # _disruption
    "CyclotronFailure": "_disruption",
    "RoadClosure": "_disruption",
    "replan": "_disruption",
    # _synthetic
    "synthetic_scenario": "_synthetic",
    # _plots
    "write_map_png": "_plots",
    "write_plan_outputs": "_plots",
    "write_timeline_png": "_plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

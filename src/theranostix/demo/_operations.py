"""The demo's operations day: the synthetic hospital's FDG PET day and the national supply for it.

The hospital is one of the default supply scenario's (``Paris-Saint-Louis``); its PET
day is a synthetic list of patients dispensed from one multi-dose FDG vial
(:func:`theranostix.pharmacy.plan_pet_day`), and the vial's order at calibration
becomes one more order of the illustrative national network solved by
:func:`theranostix.supply.plan_supply`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from pathlib import Path
from typing import Any

__all__ = ["DEMO_HOSPITAL", "operations_report"]

#: Hospital of the default supply scenario that runs the demo PET day.
DEMO_HOSPITAL = "Paris-Saint-Louis"
_PROTOCOL = "fdg-eanm-3d"
_PATIENTS = 12
_SEED = 7


def operations_report(out_dir: Path | None = None) -> dict[str, Any]:
    """The PET dispensing plan of the demo day and the national supply plan that serves it.

    Parameters
    ----------
    out_dir : pathlib.Path, optional
        Where to write the supply plan's tables, timeline and map (not written
        without it).

    Returns
    -------
    dict
        ``{"pet_day": ..., "supply": ...}``, JSON-ready.
    """
    from theranostix.pharmacy import plan_pet_day, synthetic_pet_day
    from theranostix.supply import Order, load_scenario, plan_supply, write_plan_outputs

    scenario = load_scenario()
    tz = scenario.timezone
    day = scenario.day if not isinstance(scenario.day, datetime) else scenario.day.date()
    calibration = datetime.combine(day, time(7, 30), tzinfo=tz)
    patients = synthetic_pet_day(
        _PATIENTS,
        tracer="F-18",
        seed=_SEED,
        start=datetime.combine(day, time(8, 0), tzinfo=tz),
        protocol=_PROTOCOL,
    )
    pet = plan_pet_day(patients, tracer="F-18", calibration_time=calibration, protocol=_PROTOCOL)
    order = Order(
        id="FDG-DEMO-PET-DAY",
        hospital=DEMO_HOSPITAL,
        product="FDG",
        activity_bq=pet.order_activity_at_calibration_bq,
        calibration=calibration,
        arrive_after=datetime.combine(day, time(5, 0), tzinfo=tz),
        arrive_before=calibration,
    )
    scenario = dataclasses.replace(scenario, orders=(*scenario.orders, order))
    plan = plan_supply(scenario)
    outputs: dict[str, str] = {}
    if out_dir is not None:
        written = write_plan_outputs(plan, out_dir / "supply")
        outputs = {key: str(path) for key, path in written.items()}
    ours = [d for d in plan.deliveries if d.order == order.id]
    served_bq = sum(d.activity_at_calibration_bq for d in ours)
    return {
        "pet_day": {
            "hospital": DEMO_HOSPITAL,
            "protocol": _PROTOCOL,
            "date": day.isoformat(),
            **pet.as_dict(),
        },
        "supply": {
            "scenario": scenario.name,
            "status": plan.status,
            "objective_eur": plan.objective,
            "mip_gap": plan.mip_gap,
            "solve_time_s": plan.solve_time_s,
            "runs": len(plan.runs),
            "deliveries": len(plan.deliveries),
            "orders": len(scenario.orders),
            "shortfall_orders": [s.order for s in plan.shortfall if s.shortfall_bq > 0],
            "demo_order": {
                "id": order.id,
                "activity_bq": order.activity_bq,
                "calibration": calibration.isoformat(),
                "served_bq": served_bq,
                "deliveries": [
                    {
                        "site": d.site,
                        "departure": d.departure.isoformat(timespec="minutes"),
                        "arrival": d.arrival.isoformat(timespec="minutes"),
                        "activity_at_calibration_bq": d.activity_at_calibration_bq,
                    }
                    for d in ours
                ],
            },
            "outputs": outputs,
        },
    }

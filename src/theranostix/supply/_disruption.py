"""Re-planning after a disruption: a cyclotron failure or a closed road.

What happened before the event is kept: runs whose beam started before the event time are
fixed (except those of a failed cyclotron still under beam at the failure, which are
lost), deliveries that left before the event are fixed with their activity, and nothing
new may start or leave before the event. The rest is planned again with the same model
(:func:`theranostix.supply.plan_supply`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from theranostix.errors import ThxError
from theranostix.supply._model import Plan, Restrictions, plan_supply

__all__ = ["CyclotronFailure", "RoadClosure", "replan"]


@dataclass(frozen=True)
class CyclotronFailure:
    """Cyclotron ``site`` is down from ``from_time`` until ``until`` (None: no end)."""

    site: str
    from_time: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class RoadClosure:
    """The road from ``site`` to ``hospital`` is closed to departures from ``from_time``."""

    site: str
    hospital: str
    from_time: datetime


Event = CyclotronFailure | RoadClosure


def replan(plan: Plan, event: Event) -> Plan:
    """Plan again after ``event``, keeping the runs started and the deliveries shipped.

    Parameters
    ----------
    plan : Plan
        The plan in force (from :func:`plan_supply` or an earlier :func:`replan`).
    event : CyclotronFailure or RoadClosure
        What happened, and when.

    Returns
    -------
    Plan
        The new plan; its ``events`` list the events applied and the runs lost.
    """
    from theranostix.units import elapsed_s, ensure_aware

    scenario = plan.scenario
    when = ensure_aware(event.from_time, "event time")
    now = elapsed_s(scenario.t0, when)
    site = scenario.site(event.site)
    restrictions = Restrictions(now_s=now)
    notes = list(plan.events)
    failed = isinstance(event, CyclotronFailure)
    if isinstance(event, CyclotronFailure):
        until = (
            elapsed_s(scenario.t0, ensure_aware(event.until, "until"))
            if event.until is not None
            else float("inf")
        )
        if until <= now:
            raise ThxError(f"cyclotron failure of {site.name}: 'until' must be after the start")
        restrictions.site_down[site.name] = (now, until)
        notes.append(f"cyclotron {site.name} down from {when.isoformat()}"
                     + (f" until {event.until.isoformat()}" if event.until else ""))  # fmt: skip
    else:
        scenario.hospital(event.hospital)
        if (site.name, event.hospital) not in scenario.link_map():
            raise ThxError(f"road closure: there is no link from {site.name} to {event.hospital}")
        restrictions.closed_links.add((site.name, event.hospital))
        notes.append(f"road {site.name} -> {event.hospital} closed from {when.isoformat()}")
    kept: set[str] = set()
    for run in plan.runs:
        key = plan.run_keys[run.id]
        started = elapsed_s(scenario.t0, run.start) < now - 1e-6
        if not started:
            continue
        in_beam = elapsed_s(scenario.t0, run.end_of_bombardment) > now + 1e-6
        if failed and run.site == site.name and in_beam:
            notes.append(f"run {run.id} ({run.site} {run.target}) lost: under beam at the failure")
            continue
        restrictions.fixed_runs[key] = restrictions.fixed_runs.get(key, 0) + 1
        kept.add(run.id)
    for d in plan.deliveries:
        if elapsed_s(scenario.t0, d.departure) < now - 1e-6 and d.run in kept:
            pair = (plan.run_keys[d.run], d.order)
            amount, _, _ = restrictions.shipped.get(pair, (0.0, 0.0, 0.0))
            restrictions.shipped[pair] = (
                amount + d.allocated_eob_bq,
                elapsed_s(scenario.t0, d.departure),
                elapsed_s(scenario.t0, d.arrival),
            )
    new = plan_supply(scenario, plan.options, restrictions=restrictions)
    new.events = notes
    return new

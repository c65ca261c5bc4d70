"""``thx supply``: production and delivery plans across a cyclotron network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from theranostix.cli._common import JsonOption, console, emit_json, fail, user_errors

supply_app = typer.Typer(help="Radionuclide supply network planning (HiGHS).", no_args_is_help=True)

ScenarioArg = Annotated[
    Path | None,
    typer.Argument(help="Scenario YAML; the default national scenario (France) without it."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Folder for plan.json, CSV tables, timeline.png, map.png."),
]
TimeLimitOption = Annotated[float, typer.Option("--time-limit", help="Solver time limit, seconds.")]
GapOption = Annotated[
    float, typer.Option("--gap", help="Relative MIP gap at which HiGHS stops (1e-4: optimal).")
]


def _options(time_limit: float, gap: float, strict: bool = False) -> Any:
    from theranostix.supply._model import PlanOptions

    if time_limit <= 0:
        fail(f"--time-limit must be > 0, got {time_limit}")
    if not 0 <= gap < 1:
        fail(f"--gap must be in [0, 1), got {gap}")
    return PlanOptions(time_limit_s=time_limit, mip_rel_gap=gap, strict=strict)


def _report(plan: Any, as_json: bool, outdir: Path | None) -> None:
    from theranostix.units import format_activity

    if outdir is not None:
        from theranostix.supply._plots import write_plan_outputs

        write_plan_outputs(plan, outdir)
    if as_json:
        emit_json(plan.as_dict())
        return
    from rich.table import Table

    out = console()
    out.print(
        f"{plan.scenario.name}: {plan.status}, objective {plan.objective:,.0f} EUR "
        f"(gap {plan.mip_gap:.2%}, {plan.solve_time_s:.1f} s)"
    )
    for event in plan.events:
        out.print(f"event: {event}")
    runs = Table(title="production runs")
    for column in ("run", "site", "target", "nuclide", "start", "EOB", "release", "µA", "A(EOB)"):
        runs.add_column(column)
    for r in plan.runs:
        runs.add_row(r.id, r.site, r.target, r.nuclide, f"{r.start:%H:%M}",
                     f"{r.end_of_bombardment:%H:%M}", f"{r.release:%H:%M}", f"{r.current_ua:g}",
                     format_activity(r.eob_activity_bq, digits=3))  # fmt: skip
    out.print(runs)
    deliveries = Table(title="deliveries")
    for column in ("run", "site", "hospital", "order", "departure", "arrival", "A(calibration)"):
        deliveries.add_column(column)
    for d in plan.deliveries:
        deliveries.add_row(d.run, d.site, d.hospital, d.order, f"{d.departure:%H:%M}",
                           f"{d.arrival:%H:%M}",
                           format_activity(d.activity_at_calibration_bq, digits=3))  # fmt: skip
    out.print(deliveries)
    for s in plan.shortfall:
        if s.shortfall_bq > 0:
            out.print(f"shortfall {s.order}: {format_activity(s.shortfall_bq, digits=3)} of "
                      f"{format_activity(s.needed_bq, digits=3)} ({s.reason})")  # fmt: skip
    if outdir is not None:
        out.print(f"written to {outdir}")


@supply_app.command("plan")
def plan_command(
    scenario: ScenarioArg = None,
    as_json: JsonOption = False,
    output: OutOption = None,
    time_limit: TimeLimitOption = 60.0,
    gap: GapOption = 1e-4,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 2) when an order cannot be served.")
    ] = False,
) -> None:
    """Plan production runs and deliveries minimising cost, decay and shortfall."""
    from theranostix.supply._model import plan_supply
    from theranostix.supply._scenario import load_scenario

    options = _options(time_limit, gap, strict)
    with user_errors():
        plan = plan_supply(load_scenario(scenario), options)
    _report(plan, as_json, output)


@supply_app.command("replan")
def replan_command(
    scenario: ScenarioArg = None,
    at: Annotated[
        str, typer.Option("--at", help="Event time: 'HH:MM' on the scenario day or ISO 8601.")
    ] = "",
    fail_site: Annotated[
        str | None, typer.Option("--fail-site", help="Cyclotron site that fails at --at.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="End of the failure (default: end of day).")
    ] = None,
    close_road: Annotated[
        str | None,
        typer.Option("--close-road", help="Link closed from --at, as SITE:HOSPITAL."),
    ] = None,
    as_json: JsonOption = False,
    output: OutOption = None,
    time_limit: TimeLimitOption = 60.0,
    gap: GapOption = 1e-4,
) -> None:
    """Plan, then re-plan after a cyclotron failure or a road closure, keeping what shipped."""
    from theranostix.supply._disruption import CyclotronFailure, RoadClosure, replan
    from theranostix.supply._model import plan_supply
    from theranostix.supply._scenario import load_scenario

    if (fail_site is None) == (close_road is None):
        fail("give one event: --fail-site SITE or --close-road SITE:HOSPITAL")
    if not at:
        fail("--at is required: the time of the event, e.g. --at 05:00")
    options = _options(time_limit, gap)
    with user_errors():
        loaded = load_scenario(scenario)
        when = _when(loaded, at, "--at")
        event: Any
        if fail_site is not None:
            event = CyclotronFailure(fail_site, when, _when(loaded, until, "--until") if until
                                     else None)  # fmt: skip
        else:
            assert close_road is not None
            site, sep, hospital = close_road.partition(":")
            if not sep or not site or not hospital:
                fail(f"--close-road must be SITE:HOSPITAL, got {close_road!r}")
            event = RoadClosure(site, hospital, when)
        plan = replan(plan_supply(loaded, options), event)
    _report(plan, as_json, output)


def _when(scenario: Any, text: str, name: str) -> Any:
    from datetime import datetime, time

    from theranostix.units import parse_datetime

    value = text.strip()
    if len(value) <= 5 and ":" in value:
        try:
            clock = time.fromisoformat(value.zfill(5))
        except ValueError:
            fail(f"{name}: cannot read {text!r} as HH:MM")
        return datetime.combine(scenario.day, clock, tzinfo=scenario.timezone)
    return parse_datetime(value, name=name, tz=scenario.timezone)

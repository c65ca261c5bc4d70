"""``thx cyclotron``, ``thx generator`` and ``thx label`` commands (production domain).

Thin layers over :mod:`theranostix.production`: options are parsed with
:mod:`theranostix.units` (activities such as ``"8 GBq"``, durations such as
``"45 min"``, ISO 8601 datetimes), one library call does the work, and the result
is printed as a table or, with ``--json``, as one JSON object. Only typer and the
standard library are imported at module level.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import typer

from theranostix.cli._common import (
    JSON_OPTION_HELP,
    TZ_OPTION_HELP,
    console,
    emit_json,
    fail,
    to_plain,
)

cyclotron_app = typer.Typer(
    help="Cyclotron production: EOB activity, product activity, beam time.",
    no_args_is_help=True,
)
generator_app = typer.Typer(
    help="Ge-68/Ga-68 and Mo-99/Tc-99m generators: status, next elution, a day of elutions.",
    no_args_is_help=True,
)
labelling_app = typer.Typer(
    help="Radiolabelling: product activity from an eluate, a yield and a duration.",
    no_args_is_help=True,
    invoke_without_command=True,
    subcommand_metavar="",
)


# --------------------------------------------------------------------------- helpers


#: Library parameter names and the options that set them, for error messages.
_OPTION_OF = {
    "saturation_yield_bq_per_ua": "--saturation-yield",
    "yield_bq_per_uah": "--thick-target-yield",
    "beam_current_ua": "--current",
    "duration_s": "--duration",
    "eob_activity_bq": "--eob-activity",
    "synthesis_yield": "--synthesis-yield",
    "synthesis_duration_s": "--synthesis-time",
    "qc_duration_s": "--qc-time",
    "transport_duration_s": "--transport",
    "target_activity_bq": "--target",
    "max_beam_duration_s": "--max-beam-time",
    "calibration_activity_bq": "--calibration-activity",
    "elution_efficiency": "--efficiency",
    "efficiency": "--efficiency",
    "shelf_life_months": "--shelf-life-months",
    "shelf_life_days": "--shelf-life-days",
    "max_elutions": "--max-elutions",
    "expiry_from": "--expiry-from",
    "breakthrough_fraction": "--breakthrough",
    "needed_eluate_bq": "--needed",
    "measured_activity_bq": "--elution",
    "eluate_activity_bq": "--eluate",
    "labelling_yield": "--yield",
    "after_s": "--after",
}

_OPTION_NAMES = re.compile(
    r"(?<![-\w])(" + "|".join(sorted(_OPTION_OF, key=len, reverse=True)) + r")(?!\w)"
)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Report library errors (ThxError, ValueError) as one line with exit code 2.

    Library parameter names in the message are replaced by the option names.
    """
    try:
        yield
    except ValueError as exc:  # ThxError derives from ValueError
        lines = str(exc).splitlines()
        message = lines[0] if lines else type(exc).__name__
        fail(_OPTION_NAMES.sub(lambda m: _OPTION_OF[m.group(0)], message))


def _activity(text: str, option: str) -> float:
    from theranostix.errors import ThxError
    from theranostix.units import parse_activity

    try:
        return parse_activity(text)
    except ThxError as exc:
        raise ThxError(f"{option}: {exc}") from None


def _duration(text: str, option: str) -> float:
    from theranostix.errors import ThxError
    from theranostix.units import parse_duration

    try:
        return parse_duration(text)
    except ThxError as exc:
        raise ThxError(f"{option}: {exc}") from None


def _when(text: str, option: str, tz: str | None) -> datetime:
    from theranostix.units import parse_datetime

    return parse_datetime(text, name=option, tz=tz)


def _now(tz: str | None) -> datetime:
    now = datetime.now(UTC)
    if tz is None:
        return now
    from theranostix.units import get_timezone

    return now.astimezone(get_timezone(tz))


_TIME_OF_DAY = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2})?\s*$")


def _elution_time(text: str, day: str | None, tz: str | None) -> datetime:
    """An ``--elute`` value: a time of day on ``--date`` in ``--tz``, or an ISO datetime."""
    from theranostix.errors import ThxError
    from theranostix.units import get_timezone

    if not _TIME_OF_DAY.match(text):
        return _when(text, "--elute", tz)
    if day is None or tz is None:
        raise ThxError(
            f"--elute {text!r} is a time of day: give --date YYYY-MM-DD and --tz ZONE, "
            "or a full datetime such as 2026-06-15T08:00+02:00"
        )
    try:
        on = date.fromisoformat(day.strip())
        at = time.fromisoformat(text.strip().zfill(5))
    except ValueError:
        raise ThxError(
            f"cannot read --date {day!r} / --elute {text!r}: expected YYYY-MM-DD and HH:MM"
        ) from None
    return datetime.combine(on, at, tzinfo=get_timezone(tz))


def _fmt_a(activity_bq: float | None) -> str:
    from theranostix.units import format_activity

    return "-" if activity_bq is None else format_activity(activity_bq)


def _fmt_t(duration_s: float | None) -> str:
    from theranostix.units import format_duration

    return "-" if duration_s is None else format_duration(duration_s)


def _fmt_dt(when: datetime | None) -> str:
    return "-" if when is None else when.isoformat(timespec="minutes")


def _fmt_at(activity_bq: float | None, when: datetime | None) -> str:
    """An activity, followed by its datetime when there is one."""
    return _fmt_a(activity_bq) + ("" if when is None else f"  {_fmt_dt(when)}")


def _table(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(key, value)
    console().print(table)


# --------------------------------------------------------------------------- cyclotron

NuclideOpt = Annotated[str, typer.Option("--nuclide", help="Radionuclide produced, e.g. F-18.")]
SatYieldOpt = Annotated[
    str | None,
    typer.Option(
        "--saturation-yield",
        help="Saturation yield per µA of beam, as an activity, e.g. '8 GBq' (= 8 GBq/µA).",
    ),
]
ThickYieldOpt = Annotated[
    str | None,
    typer.Option(
        "--thick-target-yield",
        help="Instead of --saturation-yield: activity at EOB per µA·h of a 1 h run, "
        "e.g. '3.3 GBq' (= 3.3 GBq/µAh).",
    ),
]
CurrentOpt = Annotated[float, typer.Option("--current", help="Beam current on target (µA).")]
ConventionOpt = Annotated[
    str,
    typer.Option(
        "--yield-convention",
        help="How the synthesis/labelling yield is quoted: decay-corrected (radiochemical "
        "yield, RCY) or not-decay-corrected (activity yield, AY).",
    ),
]
TzOpt = Annotated[str | None, typer.Option("--tz", help=TZ_OPTION_HELP)]
JsonOpt = Annotated[bool, typer.Option("--json", help=JSON_OPTION_HELP)]


def _saturation_yield(nuclide: str, saturation: str | None, thick: str | None) -> float:
    """Saturation yield (Bq/µA) from exactly one of the two options."""
    from theranostix.production import saturation_yield_from_thick_target_yield

    if (saturation is None) == (thick is None):
        fail("give exactly one of --saturation-yield and --thick-target-yield")
    if saturation is not None:
        return _activity(saturation, "--saturation-yield")
    assert thick is not None
    return saturation_yield_from_thick_target_yield(
        nuclide, _activity(thick, "--thick-target-yield")
    )


@cyclotron_app.command("eob")
def eob_command(
    nuclide: NuclideOpt,
    current: CurrentOpt,
    duration: Annotated[
        str, typer.Option("--duration", help="Irradiation time, e.g. '2 h' or '90 min'.")
    ],
    saturation_yield: SatYieldOpt = None,
    thick_target_yield: ThickYieldOpt = None,
    beam_start: Annotated[
        str | None,
        typer.Option("--beam-start", help="Beam start (ISO 8601) to report the EOB datetime."),
    ] = None,
    tz: TzOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Activity at end of bombardment: A = Y_sat·I·(1 − exp(−λ·t)).

    Example: thx cyclotron eob --nuclide F-18 --saturation-yield "8 GBq" --current 60
    --duration "2 h" --json
    """
    with _user_errors():
        from theranostix.nuclides import Nuclide
        from theranostix.production import eob_activity
        from theranostix.units import shift

        nuc = Nuclide(nuclide)
        y_sat = _saturation_yield(nuc.name, saturation_yield, thick_target_yield)
        duration_s = _duration(duration, "--duration")
        activity = eob_activity(
            nuc, saturation_yield_bq_per_ua=y_sat, beam_current_ua=current, duration_s=duration_s
        )
        start = None if beam_start is None else _when(beam_start, "--beam-start", tz)
        payload: dict[str, Any] = {
            "nuclide": nuc.name,
            "saturation_yield_bq_per_ua": y_sat,
            "beam_current_ua": current,
            "duration_s": duration_s,
            "saturation_activity_bq": y_sat * current,
            "saturation_fraction": activity / (y_sat * current),
            "eob_activity_bq": activity,
            "beam_start": start,
            "eob": None if start is None else shift(start, duration_s),
        }
    if as_json:
        emit_json(payload)
        return
    _table(
        f"{nuc.name} end of bombardment",
        [
            ("saturation yield", f"{_fmt_a(y_sat)}/µA"),
            ("beam current", f"{current:g} µA"),
            ("irradiation", _fmt_t(duration_s)),
            ("saturation activity Y_sat·I", _fmt_a(y_sat * current)),
            ("fraction of saturation", f"{payload['saturation_fraction']:.3f}"),
            ("activity at EOB", _fmt_a(activity)),
            ("EOB", _fmt_dt(payload["eob"])),
        ],
    )


@cyclotron_app.command("product")
def product_command(
    nuclide: NuclideOpt,
    synthesis_yield: Annotated[
        float, typer.Option("--synthesis-yield", help="Synthesis yield as a fraction, e.g. 0.6.")
    ],
    synthesis_time: Annotated[
        str, typer.Option("--synthesis-time", help="EOB to end of synthesis, e.g. '45 min'.")
    ],
    qc_time: Annotated[
        str, typer.Option("--qc-time", help="End of synthesis to release (QC), e.g. '20 min'.")
    ] = "0 min",
    eob_activity: Annotated[
        str | None,
        typer.Option("--eob-activity", help="Activity at EOB, e.g. '250 GBq' (or give the beam)."),
    ] = None,
    saturation_yield: SatYieldOpt = None,
    thick_target_yield: ThickYieldOpt = None,
    current: Annotated[
        float | None, typer.Option("--current", help="Beam current (µA), with --duration.")
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", help="Irradiation time, e.g. '2 h'.")
    ] = None,
    transport: Annotated[
        str | None, typer.Option("--transport", help="Release to delivery, e.g. '30 min'.")
    ] = None,
    eob: Annotated[str | None, typer.Option("--eob", help="EOB datetime (ISO 8601).")] = None,
    delivery: Annotated[
        str | None,
        typer.Option("--delivery", help="Delivery/calibration datetime (ISO 8601); needs --eob."),
    ] = None,
    yield_convention: ConventionOpt = "decay-corrected",
    tz: TzOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Product activity at end of synthesis, release (after QC) and delivery.

    Give the EOB activity with --eob-activity, or the beam with --saturation-yield
    (or --thick-target-yield), --current and --duration.
    """
    with _user_errors():
        from theranostix.nuclides import Nuclide
        from theranostix.production import eob_activity as activation
        from theranostix.production import product_activity

        nuc = Nuclide(nuclide)
        if eob_activity is not None:
            if any(
                v is not None for v in (saturation_yield, thick_target_yield, current, duration)
            ):
                fail("give either --eob-activity or the beam (yield, --current, --duration)")
            eob_bq = _activity(eob_activity, "--eob-activity")
        else:
            if current is None or duration is None:
                fail("give --eob-activity, or --saturation-yield, --current and --duration")
            eob_bq = activation(
                nuc,
                saturation_yield_bq_per_ua=_saturation_yield(
                    nuc.name, saturation_yield, thick_target_yield
                ),
                beam_current_ua=current,
                duration_s=_duration(duration, "--duration"),
            )
        result = product_activity(
            nuc,
            eob_bq,
            synthesis_yield=synthesis_yield,
            synthesis_duration_s=_duration(synthesis_time, "--synthesis-time"),
            qc_duration_s=_duration(qc_time, "--qc-time"),
            yield_convention=yield_convention,
            transport_duration_s=None if transport is None else _duration(transport, "--transport"),
            eob=None if eob is None else _when(eob, "--eob", tz),
            delivery=None if delivery is None else _when(delivery, "--delivery", tz),
        )
        payload = to_plain(result)
    if as_json:
        emit_json(payload)
        return
    _table(
        f"{nuc.name} product ({result.yield_convention.value} yield {result.synthesis_yield:g})",
        [
            ("EOB", _fmt_at(result.eob_activity_bq, result.eob)),
            (
                f"end of synthesis (+{_fmt_t(result.synthesis_duration_s)})",
                _fmt_at(result.end_of_synthesis_activity_bq, result.end_of_synthesis),
            ),
            (
                f"release (+{_fmt_t(result.qc_duration_s)} QC)",
                _fmt_at(result.release_activity_bq, result.release),
            ),
            (
                f"delivery (+{_fmt_t(result.transport_duration_s)})",
                _fmt_at(result.delivery_activity_bq, result.delivery),
            ),
        ],
    )


@cyclotron_app.command("plan")
def plan_command(
    nuclide: NuclideOpt,
    target: Annotated[
        str, typer.Option("--target", help="Product activity wanted at delivery, e.g. '20 GBq'.")
    ],
    current: CurrentOpt,
    saturation_yield: SatYieldOpt = None,
    thick_target_yield: ThickYieldOpt = None,
    delivery: Annotated[
        str | None,
        typer.Option(
            "--delivery", help="Delivery datetime (ISO 8601); then beam start and EOB are given."
        ),
    ] = None,
    synthesis_yield: Annotated[
        float, typer.Option("--synthesis-yield", help="Synthesis yield as a fraction.")
    ] = 1.0,
    synthesis_time: Annotated[
        str, typer.Option("--synthesis-time", help="EOB to end of synthesis, e.g. '45 min'.")
    ] = "0 min",
    qc_time: Annotated[
        str, typer.Option("--qc-time", help="End of synthesis to release, e.g. '20 min'.")
    ] = "0 min",
    transport: Annotated[
        str, typer.Option("--transport", help="Release to delivery, e.g. '30 min'.")
    ] = "0 min",
    max_beam_time: Annotated[
        str | None, typer.Option("--max-beam-time", help="Longest allowed beam time, e.g. '3 h'.")
    ] = None,
    yield_convention: ConventionOpt = "decay-corrected",
    tz: TzOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Beam time (and beam start, EOB) for a target activity at delivery.

    Exits with code 2 when the target is unreachable even at saturation (Y_sat·I)
    or needs more than --max-beam-time.
    """
    with _user_errors():
        from theranostix.nuclides import Nuclide
        from theranostix.production import ProductionRoute, plan_irradiation

        nuc = Nuclide(nuclide)
        route = ProductionRoute(
            nuc,
            saturation_yield_bq_per_ua=_saturation_yield(
                nuc.name, saturation_yield, thick_target_yield
            ),
            beam_current_ua=current,
            synthesis_yield=synthesis_yield,
            synthesis_duration_s=_duration(synthesis_time, "--synthesis-time"),
            qc_duration_s=_duration(qc_time, "--qc-time"),
            yield_convention=yield_convention,
            max_beam_duration_s=None
            if max_beam_time is None
            else _duration(max_beam_time, "--max-beam-time"),
        )
        plan = plan_irradiation(
            route,
            _activity(target, "--target"),
            delivery=None if delivery is None else _when(delivery, "--delivery", tz),
            transport_duration_s=_duration(transport, "--transport"),
        )
        payload = to_plain(plan)
        payload["saturation_fraction"] = plan.saturation_fraction
    if as_json:
        emit_json(payload)
        return
    _table(
        f"{nuc.name} irradiation plan for {_fmt_a(plan.target_activity_bq)} at delivery",
        [
            ("beam time", _fmt_t(plan.irradiation_duration_s)),
            ("beam start", _fmt_dt(plan.beam_start)),
            ("EOB", _fmt_dt(plan.eob)),
            ("activity needed at EOB", _fmt_a(plan.eob_activity_bq)),
            ("saturation activity Y_sat·I", _fmt_a(plan.saturation_activity_bq)),
            ("fraction of saturation", f"{plan.saturation_fraction:.3f}"),
            ("EOB to delivery", _fmt_t(plan.eob_to_delivery_s)),
            ("release activity", _fmt_a(plan.product.release_activity_bq)),
            ("delivery", _fmt_dt(plan.delivery)),
        ],
    )


# --------------------------------------------------------------------------- generator

TypeOpt = Annotated[str, typer.Option("--type", help="Generator: ge68-ga68 or mo99-tc99m.")]
CalActivityOpt = Annotated[
    str,
    typer.Option("--calibration-activity", help="Parent activity at calibration, e.g. '1.85 GBq'."),
]
CalibratedOpt = Annotated[
    str, typer.Option("--calibrated", help="Calibration datetime (ISO 8601).")
]
ElutionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--elution",
        help="A past elution, repeatable: DATETIME, or DATETIME=ACTIVITY with the measured "
        "eluate decay-corrected to that time, e.g. '2026-06-10T08:00+02:00=450 MBq'.",
    ),
]
EfficiencyOpt = Annotated[
    float | None,
    typer.Option(
        "--efficiency",
        help="Elution efficiency, a fraction (example defaults, conservative: 0.6 Ge/Ga, "
        "0.85 Mo/Tc).",
    ),
]
ShelfMonthsOpt = Annotated[
    int | None,
    typer.Option(
        "--shelf-life-months",
        help="Shelf life in months (example default 12 for Ge/Ga); 0 for none.",
    ),
]
ShelfDaysOpt = Annotated[
    float | None,
    typer.Option(
        "--shelf-life-days", help="Shelf life in days (example default 21 for Mo/Tc); 0 for none."
    ),
]
MaxElutionsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-elutions",
        help="Largest number of elutions (example default 250 for Ge/Ga); 0 for no limit.",
    ),
]
ExpiryFromOpt = Annotated[
    str,
    typer.Option("--expiry-from", help="Shelf life counts from: calibration or first-use."),
]
FirstUseOpt = Annotated[
    str | None,
    typer.Option("--first-use", help="First use (ISO 8601); by default the first elution."),
]
BreakthroughOpt = Annotated[
    float | None,
    typer.Option(
        "--breakthrough",
        help="Parent breakthrough: fraction of the column's parent in each eluate, e.g. 1e-5.",
    ),
]


def _generator(
    kind: str,
    calibration_activity: str,
    calibrated: str,
    elutions: list[str] | None,
    efficiency: float | None,
    shelf_life_months: int | None,
    shelf_life_days: float | None,
    max_elutions: int | None,
    expiry_from: str,
    first_use: str | None,
    breakthrough: float | None,
    tz: str | None,
) -> Any:
    """A :class:`~theranostix.production.Generator` from the shared options."""
    from theranostix.production import Elution, Generator, GeneratorModel

    model = GeneratorModel.typical(kind)
    changes: dict[str, Any] = {"expiry_from": expiry_from}
    if efficiency is not None:
        changes["elution_efficiency"] = efficiency
    if shelf_life_months is not None or shelf_life_days is not None:
        changes["shelf_life_months"] = shelf_life_months or None
        changes["shelf_life_days"] = shelf_life_days or None
    if max_elutions is not None:
        changes["max_elutions"] = max_elutions or None
    if breakthrough is not None:
        changes["breakthrough_fraction"] = breakthrough
    model = dataclasses.replace(model, **changes)
    history = []
    for text in elutions or []:
        when, _, measured = text.partition("=")
        history.append(
            Elution(
                _when(when, "--elution", tz),
                measured_activity_bq=_activity(measured, "--elution") if measured else None,
            )
        )
    return Generator(
        model,
        calibration_activity_bq=_activity(calibration_activity, "--calibration-activity"),
        calibrated=_when(calibrated, "--calibrated", tz),
        elutions=history,
        first_use=None if first_use is None else _when(first_use, "--first-use", tz),
    )


def _model_dict(gen: Any) -> dict[str, Any]:
    out: dict[str, Any] = to_plain(gen.model)
    out.update(
        parent=gen.parent.name,
        daughter=gen.daughter.name,
        branching_fraction=gen.branching_fraction,
        calibration_activity_bq=gen.calibration_activity_bq,
        calibrated=gen.calibrated,
    )
    return out


@generator_app.command("status")
def status_command(
    kind: TypeOpt,
    calibration_activity: CalActivityOpt,
    calibrated: CalibratedOpt,
    elution: ElutionOpt = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Datetime of the status (ISO 8601); default now.")
    ] = None,
    efficiency: EfficiencyOpt = None,
    shelf_life_months: ShelfMonthsOpt = None,
    shelf_life_days: ShelfDaysOpt = None,
    max_elutions: MaxElutionsOpt = None,
    expiry_from: ExpiryFromOpt = "calibration",
    first_use: FirstUseOpt = None,
    breakthrough: BreakthroughOpt = None,
    tz: TzOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Parent and daughter on the column, expected eluate, age and expiry.

    Example: thx generator status --type ge68-ga68 --calibration-activity "1.85 GBq"
    --calibrated 2026-06-01T12:00+02:00 --elution 2026-06-15T08:00+02:00
    --at 2026-06-15T12:00+02:00 --json
    """
    with _user_errors():
        from theranostix.production import elution_history, generator_status

        gen = _generator(
            kind,
            calibration_activity,
            calibrated,
            elution,
            efficiency,
            shelf_life_months,
            shelf_life_days,
            max_elutions,
            expiry_from,
            first_use,
            breakthrough,
            tz,
        )
        when = _now(tz) if at is None else _when(at, "--at", tz)
        status = generator_status(gen, when)
        payload: dict[str, Any] = to_plain(status)
        payload["generator"] = _model_dict(gen)
        payload["history"] = [to_plain(e) for e in elution_history(gen) if e.at < when]
    if as_json:
        emit_json(payload)
        return
    daughter, parent = gen.daughter.name, gen.parent.name
    _table(
        f"{parent}/{daughter} generator at {_fmt_dt(status.at)}",
        [
            (f"{parent} on the column", _fmt_a(status.parent_activity_bq)),
            (f"{daughter} on the column", _fmt_a(status.available_daughter_bq)),
            (f"{daughter} at equilibrium", _fmt_a(status.equilibrium_daughter_bq)),
            (
                f"expected eluate (efficiency {status.elution_efficiency:g})",
                _fmt_a(status.expected_eluate_bq),
            ),
            ("elutions so far", str(status.elution_count)),
            ("last elution", _fmt_dt(status.last_elution)),
            ("since last elution", _fmt_t(status.since_last_elution_s)),
            ("age since calibration", _fmt_t(status.age_s)),
            ("expires", _fmt_dt(status.expires_at)),
            ("elutions left", "-" if status.elutions_left is None else str(status.elutions_left)),
            ("status", "EXPIRED: " + "; ".join(status.expiry_reasons) if status.expired else "ok"),
        ],
    )


@generator_app.command("next")
def next_command(
    kind: TypeOpt,
    calibration_activity: CalActivityOpt,
    calibrated: CalibratedOpt,
    needed: Annotated[
        str, typer.Option("--needed", help="Eluate activity needed, e.g. '500 MBq'.")
    ],
    elution: ElutionOpt = None,
    after: Annotated[
        str | None,
        typer.Option(
            "--after", help="Not before this datetime (ISO 8601); default now or the last elution."
        ),
    ] = None,
    efficiency: EfficiencyOpt = None,
    shelf_life_months: ShelfMonthsOpt = None,
    shelf_life_days: ShelfDaysOpt = None,
    max_elutions: MaxElutionsOpt = None,
    expiry_from: ExpiryFromOpt = "calibration",
    first_use: FirstUseOpt = None,
    breakthrough: BreakthroughOpt = None,
    tz: TzOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Earliest elution time giving the needed eluate activity.

    Exits with code 2 when the need is never reached (more than the column's
    maximum, or only after expiry).
    """
    with _user_errors():
        from theranostix.production import next_elution, time_of_maximum_daughter_activity

        gen = _generator(
            kind,
            calibration_activity,
            calibrated,
            elution,
            efficiency,
            shelf_life_months,
            shelf_life_days,
            max_elutions,
            expiry_from,
            first_use,
            breakthrough,
            tz,
        )
        earliest = _now(tz) if after is None else _when(after, "--after", tz)
        timing = next_elution(gen, _activity(needed, "--needed"), earliest=earliest)
        payload: dict[str, Any] = to_plain(timing)
        payload["time_of_maximum_after_complete_elution_s"] = time_of_maximum_daughter_activity(
            gen.parent, gen.daughter
        )
    if as_json:
        emit_json(payload)
        return
    _table(
        f"Next {gen.daughter.name} elution for {_fmt_a(timing.needed_eluate_bq)}",
        [
            ("elute at", _fmt_dt(timing.at)),
            ("wait", _fmt_t(timing.wait_s)),
            ("expected eluate", _fmt_a(timing.expected_eluate_bq)),
            (f"{gen.daughter.name} on the column", _fmt_a(timing.available_daughter_bq)),
            (
                "maximum after start",
                f"{_fmt_a(timing.peak_eluate_bq)} at {_fmt_dt(timing.peak_at)}",
            ),
        ],
    )


@generator_app.command("day")
def day_command(
    kind: TypeOpt,
    calibration_activity: CalActivityOpt,
    calibrated: CalibratedOpt,
    elute: Annotated[
        list[str],
        typer.Option(
            "--elute",
            help="A planned elution, repeatable: HH:MM on --date in --tz, or a full ISO 8601 "
            "datetime.",
        ),
    ],
    on_date: Annotated[
        str | None, typer.Option("--date", help="Day of the HH:MM elutions, YYYY-MM-DD.")
    ] = None,
    elution: ElutionOpt = None,
    efficiency: EfficiencyOpt = None,
    shelf_life_months: ShelfMonthsOpt = None,
    shelf_life_days: ShelfDaysOpt = None,
    max_elutions: MaxElutionsOpt = None,
    expiry_from: ExpiryFromOpt = "calibration",
    first_use: FirstUseOpt = None,
    breakthrough: BreakthroughOpt = None,
    tz: TzOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a day of planned elutions: daughter available, eluate, parent.

    Example: thx generator day --type ge68-ga68 --calibration-activity "1.85 GBq"
    --calibrated 2026-06-01T12:00+02:00 --date 2026-06-15 --tz Europe/Paris
    --elute 08:00 --elute 11:00 --elute 14:00 --json
    """
    with _user_errors():
        from theranostix.production import simulate_elutions

        gen = _generator(
            kind,
            calibration_activity,
            calibrated,
            elution,
            efficiency,
            shelf_life_months,
            shelf_life_days,
            max_elutions,
            expiry_from,
            first_use,
            breakthrough,
            tz,
        )
        times = [_elution_time(text, on_date, tz) for text in elute]
        results = simulate_elutions(gen, times)
        payload: dict[str, Any] = {
            "generator": _model_dict(gen),
            "elutions": [to_plain(e) for e in results],
            "total_eluate_bq": sum(e.eluate_activity_bq for e in results),
        }
    if as_json:
        emit_json(payload)
        return
    from rich.table import Table

    daughter = gen.daughter.name
    table = Table(title=f"{gen.parent.name}/{daughter} elutions")
    for header in ("#", "time", gen.parent.name, f"{daughter} on column", "eluate", "note"):
        table.add_column(header, justify="right" if header not in ("time", "note") else "left")
    for e in results:
        note = "EXPIRED: " + "; ".join(e.expiry_reasons) if e.expired else ""
        table.add_row(
            str(e.number),
            _fmt_dt(e.at),
            _fmt_a(e.parent_activity_bq),
            _fmt_a(e.available_daughter_bq),
            _fmt_a(e.eluate_activity_bq),
            note,
        )
    console().print(table)
    console().print(f"total eluate: {_fmt_a(payload['total_eluate_bq'])}")


# --------------------------------------------------------------------------- labelling


@labelling_app.callback()
def label_command(
    eluate: Annotated[
        str, typer.Option("--eluate", help="Activity at the start of labelling, e.g. '800 MBq'.")
    ],
    labelling_yield: Annotated[
        float, typer.Option("--yield", help="Labelling yield as a fraction, e.g. 0.9.")
    ],
    duration: Annotated[str, typer.Option("--duration", help="Labelling duration, e.g. '20 min'.")],
    nuclide: Annotated[
        str, typer.Option("--nuclide", help="Radionuclide of the eluate.")
    ] = "Ga-68",
    yield_convention: ConventionOpt = "decay-corrected",
    start: Annotated[
        str | None, typer.Option("--start", help="Start of labelling (ISO 8601).")
    ] = None,
    after: Annotated[
        str | None,
        typer.Option("--after", help="Also the activity this long after the end, e.g. '30 min'."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Also the activity at this datetime (ISO 8601; needs --start)."),
    ] = None,
    tz: TzOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Product activity of a radiolabelling: thx label --eluate A --yield Y --duration T.

    The labelled product at the end is A·Y·exp(−λT) with a decay-corrected yield
    (default) or A·Y with --yield-convention not-decay-corrected; --after or --at
    add its activity at a later time.
    """
    with _user_errors():
        from theranostix.production import label_product

        result = label_product(
            _activity(eluate, "--eluate"),
            nuclide,
            labelling_yield=labelling_yield,
            duration_s=_duration(duration, "--duration"),
            yield_convention=yield_convention,
            start=None if start is None else _when(start, "--start", tz),
            after_s=None if after is None else _duration(after, "--after"),
            later=None if at is None else _when(at, "--at", tz),
        )
        payload = to_plain(result)
    if as_json:
        emit_json(payload)
        return
    rows = [
        ("eluate", _fmt_at(result.eluate_activity_bq, result.start)),
        (f"yield ({result.yield_convention.value})", f"{result.labelling_yield:g}"),
        ("labelling", _fmt_t(result.duration_s)),
        ("product at end", _fmt_at(result.product_activity_bq, result.end)),
    ]
    if result.later_activity_bq is not None:
        rows.append(
            (
                f"product {_fmt_t(result.later_s)} later",
                _fmt_at(result.later_activity_bq, result.later),
            )
        )
    _table(f"{result.nuclide.name} labelling", rows)


__all__ = ["cyclotron_app", "generator_app", "labelling_app"]

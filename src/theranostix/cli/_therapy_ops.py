"""``thx riv``: radioligand-therapy operations (courses, rooms, release, waste)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from theranostix.cli._common import (
    JsonOption,
    TzOption,
    console,
    emit_json,
    fail,
    parse_when,
    user_errors,
)

riv_app = typer.Typer(
    help="Radioligand-therapy operations: courses, shielded rooms, release, waste.",
    no_args_is_help=True,
)


def _floats(text: str, name: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        fail(f"{name} {text!r} is not a comma-separated list of numbers")


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for n, column in enumerate(columns):
        table.add_column(column, justify="left" if n == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console().print(table)


@riv_app.command("release")
def release_command(
    activity_gbq: Annotated[
        float, typer.Option("--activity-gbq", help="Administered activity, GBq.")
    ],
    nuclide: Annotated[str, typer.Option("--nuclide", "-n", help="Radionuclide.")] = "Lu-177",
    effective_half_life_h: Annotated[
        float | None,
        typer.Option("--effective-half-life-h", help="Mono-exponential effective half-life, h."),
    ] = None,
    fractions: Annotated[
        str | None,
        typer.Option("--fractions", help="Fractions of a multi-exponential, e.g. 0.6,0.4."),
    ] = None,
    half_lives_h: Annotated[
        str | None, typer.Option("--half-lives-h", help="Their effective half-lives, h, e.g. 2,40.")
    ] = None,
    measured_usv_h: Annotated[
        float | None,
        typer.Option("--measured-usv-h-at-1m", help="Measured dose rate at 1 m, µSv/h."),
    ] = None,
    measured_at_h: Annotated[
        float | None,
        typer.Option("--measured-at-h", help="Time of that measurement after administration, h."),
    ] = None,
    usv_h_per_mbq: Annotated[
        float | None,
        typer.Option("--usv-h-per-mbq", help="Measured dose rate at 1 m per MBq (replaces Γ)."),
    ] = None,
    attenuation: Annotated[
        float, typer.Option("--attenuation", help="Body attenuation factor on Γ·A (≤ 1).")
    ] = 1.0,
    limit_usv_h: Annotated[
        float | None,
        typer.Option("--limit-usv-h", help="Release limit: dose rate at 1 m, µSv/h (default 20)."),
    ] = None,
    limit_retained_mbq: Annotated[
        float | None,
        typer.Option("--limit-retained-mbq", help="Release limit: retained activity, MBq."),
    ] = None,
    contacts_toml: Annotated[
        Path | None,
        typer.Option("--contacts-toml", help="TOML with [[contact]] tables (see release.toml)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Release time, dose rate at release, doses to family members and instructions."""
    from theranostix.therapy_ops._release import (
        ReleaseLimit,
        RetentionModel,
        assess_release,
        default_dose_rate_limit_usv_h,
        load_contacts,
    )

    if limit_usv_h is not None and limit_retained_mbq is not None:
        fail("give only one of --limit-usv-h and --limit-retained-mbq")
    if effective_half_life_h is not None and (fractions or half_lives_h):
        fail("give either --effective-half-life-h or --fractions with --half-lives-h")
    with user_errors():
        if effective_half_life_h is not None:
            model = RetentionModel.mono(effective_half_life_h * 3600.0)
        elif fractions and half_lives_h:
            model = RetentionModel(
                tuple(_floats(fractions, "--fractions")),
                tuple(h * 3600.0 for h in _floats(half_lives_h, "--half-lives-h")),
            )
        else:
            fail("give --effective-half-life-h, or --fractions with --half-lives-h")
        if limit_retained_mbq is not None:
            limit = ReleaseLimit(retained_activity_bq=limit_retained_mbq * 1e6)
        else:
            limit = ReleaseLimit(dose_rate_usv_h=limit_usv_h or default_dose_rate_limit_usv_h())
        contacts = None if contacts_toml is None else load_contacts(str(contacts_toml))
        result = assess_release(
            nuclide,
            activity_gbq * 1e9,
            model,
            limit,
            attenuation_factor=attenuation,
            dose_rate_per_mbq_usv_h=usv_h_per_mbq,
            measured_usv_h_at_1m=measured_usv_h,
            measured_at_s=None if measured_at_h is None else measured_at_h * 3600.0,
            contacts=contacts,
        )
    report = result.as_dict()
    if as_json:
        emit_json(report)
        return
    out = console()
    out.print(
        f"{nuclide} {activity_gbq:g} GBq: {report['dose_rate_at_administration_usv_h']:.1f} µSv/h "
        f"at 1 m at administration; limit {report['limit']}"
    )
    out.print(
        f"release after {report['release_time_h']:.1f} h "
        f"({report['dose_rate_at_release_usv_h']:.1f} µSv/h at 1 m, "
        f"{report['retained_at_release_mbq']:.0f} MBq retained)"
    )
    _table(
        "doses to contacts after release",
        ["contact", "dose mSv", "constraint mSv", "restriction d", "instruction"],
        [
            [
                c["contact"],
                f"{c['dose_msv']:.3f}",
                f"{c['constraint_msv']:g}",
                "-" if c["restriction_days"] is None else str(c["restriction_days"]),
                c["instruction"],
            ]
            for c in report["contacts"]
        ],
    )
    for note in report["notes"]:
        out.print(f"note: {note}")


def _split(text: str, name: str, parts: tuple[int, int]) -> list[str]:
    items = [x.strip() for x in text.split(",")]
    if not parts[0] <= len(items) <= parts[1]:
        fail(f"{name} {text!r}: expected {parts[0]} to {parts[1]} comma-separated fields")
    return items


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        fail(f"{name}: cycle {text!r} is not an integer")


def _float(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        fail(f"{name}: {text!r} is not a number")


@riv_app.command("course")
def course_command(
    schedule: Annotated[
        str, typer.Option("--schedule", help="Standard schedule: vision, netter-1.")
    ],
    start: Annotated[str, typer.Option("--start", help="Planned date of cycle 1 (ISO 8601).")],
    given: Annotated[
        list[str] | None,
        typer.Option("--given", help="Administered cycle: CYCLE,DATETIME,GBQ (repeatable)."),
    ] = None,
    delay: Annotated[
        list[str] | None,
        typer.Option("--delay", help="Delay: CYCLE,DAYS[,REASON] (repeatable)."),
    ] = None,
    dose: Annotated[
        list[str] | None,
        typer.Option("--dose", help="Dose change from a cycle on: CYCLE,GBQ[,REASON]."),
    ] = None,
    stop_after: Annotated[
        int | None, typer.Option("--stop-after", help="Stop the course after this cycle.")
    ] = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """A treatment course: planned and actual cycle dates, delays, dose changes, totals."""
    from theranostix.therapy_ops._courses import TreatmentCourse

    with user_errors():
        course = TreatmentCourse(schedule, parse_when(start, "--start", tz))
        events: list[tuple[Any, str, list[str]]] = []
        for text in given or []:
            events.append(("given", text, _split(text, "--given", (3, 3))))
        for text in delay or []:
            events.append(("delay", text, _split(text, "--delay", (2, 3))))
        for text in dose or []:
            events.append(("dose", text, _split(text, "--dose", (2, 3))))
        # administrations first in cycle order, then the plan changes
        for kind, _text, f in sorted(events, key=lambda e: (e[0] != "given", e[2][0])):
            cycle = _int(f[0], f"--{kind}")
            if kind == "given":
                when = parse_when(f[1], "--given", tz)
                course.record_administration(cycle, when, _float(f[2], "--given") * 1e9)
            elif kind == "delay":
                course.delay(cycle, _float(f[1], "--delay"), f[2] if len(f) > 2 else "")
            else:
                course.change_dose(cycle, _float(f[1], "--dose") * 1e9, f[2] if len(f) > 2 else "")
        if stop_after is not None:
            course.stop(stop_after)
        report = course.as_dict()
    if as_json:
        emit_json(report)
        return
    rows = []
    for c in report["cycles"]:
        when = c["actual"] or c["planned"]
        rows.append(
            [
                str(c["cycle"]),
                c["status"],
                when.strftime("%Y-%m-%d %H:%M"),
                f"{c['shift_days']:+.0f}",
                f"{c['administered_gbq'] or c['planned_activity_gbq']:.2f}",
                "; ".join(c["notes"]),
            ]
        )
    s = report["schedule"]
    _table(
        f"{s['name']}: {s['activity_gbq']:g} GBq every {s['interval_days']:g} d × {s['cycles']}",
        ["cycle", "status", "date", "shift d", "GBq", "notes"],
        rows,
    )
    sm = report["summary"]
    console().print(
        f"given {sm['cycles_given']}, planned {sm['cycles_planned']}, cancelled "
        f"{sm['cycles_cancelled']}; administered {sm['administered_gbq']:.2f} GBq, "
        f"cumulative planned {sm['cumulative_planned_gbq']:.2f} GBq. Source: {s['source']}"
    )


RoomsOption = Annotated[int, typer.Option("--rooms", help="Number of shielded rooms.")]
TurnoverOption = Annotated[
    float, typer.Option("--turnover-h", help="Room turnover after discharge, h.")
]


@riv_app.command("rooms")
def rooms_command(
    admissions: Annotated[Path, typer.Argument(help="CSV with columns patient_id,admit[,stay_h].")],
    rooms: RoomsOption,
    stay_h: Annotated[
        float | None, typer.Option("--stay-h", help="Stay for rows without stay_h, h.")
    ] = None,
    turnover_h: TurnoverOption = 0.0,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Assign admissions to shielded rooms; report conflicts and occupancy."""
    from theranostix.therapy_ops._rooms import read_admissions_csv, schedule_rooms

    with user_errors():
        adm = read_admissions_csv(
            admissions, default_stay_s=None if stay_h is None else stay_h * 3600.0, tz=tz
        )
        result = schedule_rooms(adm, rooms, turnover_h * 3600.0)
    report = result.as_dict()
    if as_json:
        emit_json(report)
        return
    _table(
        f"{rooms} room(s), {len(adm)} admission(s)",
        ["patient", "room", "admit", "discharge"],
        [
            [
                a["patient_id"],
                "CONFLICT" if a["room"] is None else str(a["room"]),
                a["admit"].strftime("%Y-%m-%d %H:%M"),
                a["discharge"].strftime("%Y-%m-%d %H:%M"),
            ]
            for a in report["assignments"]
        ],
    )
    rebook = [
        f"{a['patient_id']} (first room free {a['next_free_room_at']:%Y-%m-%d %H:%M})"
        for a in report["assignments"]
        if a["room"] is None
    ]
    conflicts = ", ".join(rebook) or "none"
    console().print(f"occupancy {report['occupancy']:.0%}; conflicts: {conflicts}")


@riv_app.command("capacity")
def capacity_command(
    rooms: RoomsOption,
    stay_h: Annotated[float, typer.Option("--stay-h", help="Stay of each patient, h.")],
    turnover_h: TurnoverOption = 0.0,
    days: Annotated[
        str, typer.Option("--days", help="Admission days, e.g. mon,wed,fri or mon-fri.")
    ] = "mon-fri",
    at: Annotated[str, typer.Option("--at", help="Admission time HH:MM (local).")] = "09:00",
    weeks: Annotated[int, typer.Option("--weeks", help="Weeks of activity in the period.")] = 52,
    start: Annotated[
        str | None, typer.Option("--start", help="First day YYYY-MM-DD (default: this Monday).")
    ] = None,
    demand: Annotated[
        int | None, typer.Option("--demand", help="Therapies expected over the period.")
    ] = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Yearly capacity of a therapy ward: admissions that fit, against the demand."""
    from datetime import date, datetime, time, timedelta

    from theranostix.therapy_ops._rooms import parse_weekdays, ward_capacity

    with user_errors():
        weekdays = parse_weekdays(days)
        try:
            admit_at = time.fromisoformat(at)
        except ValueError:
            fail(f"--at {at!r}: expected a time HH:MM, e.g. 09:00")
        if start is None:
            from theranostix.units import get_timezone

            today = datetime.now(get_timezone(tz or "UTC")).date()
            first = today - timedelta(days=today.weekday())
        else:
            try:
                first = date.fromisoformat(start)
            except ValueError:
                fail(f"--start {start!r}: expected a date YYYY-MM-DD")
        result = ward_capacity(
            rooms,
            stay_h * 3600.0,
            turnover_h * 3600.0,
            weekdays=weekdays,
            admit_at=admit_at,
            start=first,
            weeks=weeks,
            tz=tz or "UTC",
            demand=demand,
        )
    report = result.as_dict()
    if as_json:
        emit_json(report)
        return
    _table(
        f"{rooms} room(s), {stay_h:g} h stay + {turnover_h:g} h turnover, {weeks} weeks",
        ["admission day", "admissions"],
        [[day, str(n)] for day, n in report["admissions_by_weekday"].items()],
    )
    line = (
        f"{report['admissions']} admissions ({report['admissions_per_week']:.1f} a week), "
        f"occupancy {report['occupancy']:.0%}"
    )
    if demand is not None:
        short = report["shortfall"]
        line += f"; demand {demand}: " + (f"{short} do not fit" if short else "covered")
    console().print(line)


@riv_app.command("waste")
def waste_command(
    containers: Annotated[
        Path,
        typer.Argument(
            help="CSV: container_id,sealed,mass_g,nuclide,activity_mbq (a row per nuclide), "
            "optional dose_rate_usv_h (measured at sealing at --distance-m)."
        ),
    ],
    clearance: Annotated[
        list[str] | None,
        typer.Option("--clearance", help="Clearance level NUCLIDE=BQ_PER_G (repeatable)."),
    ] = None,
    dose_rate_limit: Annotated[
        float | None,
        typer.Option(
            "--dose-rate-limit",
            help="Also require the dose rate at --distance-m below this (µSv/h).",
        ),
    ] = None,
    distance_m: Annotated[
        float, typer.Option("--distance-m", help="Distance of the dose-rate limit (m).")
    ] = 1.0,
    lu177m_ratio: Annotated[
        float,
        typer.Option(
            "--lu177m-ratio",
            help="Lu-177m/Lu-177 ratio at sealing added to Lu-177 rows (carrier-added).",
        ),
    ] = 0.0,
    rule: Annotated[
        str, typer.Option("--rule", help="sum (Σ C/L ≤ 1) or each (every C ≤ L).")
    ] = "sum",
    now: Annotated[str | None, typer.Option("--now", help="Mark containers releasable.")] = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Decay-in-storage: when each waste container can be released."""
    import csv

    from theranostix.therapy_ops._waste import DoseRateLimit, WasteContainer, release_waste

    if not clearance and dose_rate_limit is None:
        fail("give --clearance NUCLIDE=BQ_PER_G, --dose-rate-limit USV_H, or both")
    levels: dict[str, float] = {}
    for item in clearance or []:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--clearance {item!r}: expected NUCLIDE=BQ_PER_G, e.g. Lu-177=100")
        levels[name.strip()] = _float(value, f"--clearance {name.strip()}")
    with user_errors():
        try:
            text = containers.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read {containers}: {exc.strerror}")
        rows = list(csv.DictReader(text.splitlines()))
        needed = {"container_id", "sealed", "mass_g", "nuclide", "activity_mbq"}
        if not rows or needed - set(rows[0]):
            fail(f"{containers.name}: needs columns {', '.join(sorted(needed))} and rows")
        grouped: dict[str, dict[str, Any]] = {}
        for n, row in enumerate(rows, start=2):
            cid = row["container_id"].strip()
            g = grouped.setdefault(
                cid,
                {
                    "sealed": parse_when(row["sealed"], f"{containers.name}: line {n}: sealed", tz),
                    "mass_g": _float(row["mass_g"], f"{containers.name}: line {n}: mass_g"),
                    "contents": {},
                    "dose_rate": None,
                },
            )
            if (row.get("dose_rate_usv_h") or "").strip():
                g["dose_rate"] = _float(
                    row["dose_rate_usv_h"], f"{containers.name}: line {n}: dose_rate_usv_h"
                )
            a = _float(row["activity_mbq"], f"{containers.name}: line {n}: activity_mbq") * 1e6
            nuc = row["nuclide"].strip()
            g["contents"][nuc] = g["contents"].get(nuc, 0.0) + a
            if lu177m_ratio > 0 and nuc.lower().replace("-", "") == "lu177":
                g["contents"]["Lu-177m"] = g["contents"].get("Lu-177m", 0.0) + a * lu177m_ratio
        items = [
            WasteContainer(cid, g["sealed"], g["mass_g"], g["contents"], g["dose_rate"])
            for cid, g in grouped.items()
        ]
        when = None if now is None else parse_when(now, "--now", tz)
        limit = None
        if dose_rate_limit is not None:
            limit = DoseRateLimit(dose_rate_limit, distance_m)
        report = release_waste(items, levels, rule, now=when, dose_rate=limit)
    if as_json:
        emit_json({"containers": report})
        return
    _table(
        "decay-in-storage",
        ["container", "release", "storage d", "limiting", "releasable"],
        [
            [
                r["container_id"],
                r["release"].strftime("%Y-%m-%d"),
                f"{r['storage_days']:.1f}",
                f"{r['limiting_nuclide']} ({r['limiting_criterion']})",
                "-" if r.get("releasable") is None else ("yes" if r["releasable"] else "no"),
            ]
            for r in report
        ],
    )

"""``thx pharmacy``: PET dispensing plans and therapy preparations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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

if TYPE_CHECKING:
    from theranostix.pharmacy._dispensing import PetDispensingPlan, ReplanEvent

pharmacy_app = typer.Typer(
    help="Radiopharmacy: dispensing plans, Ga-68 days, batch records, therapy preparations.",
    no_args_is_help=True,
)

PatientsArg = Annotated[
    Path,
    typer.Argument(
        help="CSV with columns patient_id,weight_kg,injection_time (ISO 8601) and an optional "
        "protocol column."
    ),
]
ProtocolOption = Annotated[
    str | None,
    typer.Option("--protocol", help="Protocol name (see 'thx pharmacy protocols')."),
]
MbqPerKgOption = Annotated[
    float | None, typer.Option("--mbq-per-kg", help="Activity per body mass, MBq/kg.")
]
DigitalOption = Annotated[
    bool, typer.Option("--digital", help="Apply the protocol's digital PET reduction factor.")
]


def _mbq(value_bq: float | None) -> str:
    return "-" if value_bq is None else f"{value_bq / 1e6:.1f}"


def _hm(text: str) -> str:
    return text[11:16]


@pharmacy_app.command("protocols")
def protocols_command(as_json: JsonOption = False) -> None:
    """List the built-in PET protocols with their activities and sources."""
    from theranostix.pharmacy._protocols import pet_protocols

    table = pet_protocols()
    if as_json:
        emit_json({"protocols": [p.as_dict() for p in table.values()]})
        return
    from rich.table import Table

    out = Table(title="PET protocols (MBq)")
    for column in ("name", "tracer", "MBq/kg", "fixed", "min", "max", "digital", "basis"):
        out.add_column(
            column, justify="left" if column in ("name", "tracer", "source") else "right"
        )
    for p in table.values():
        out.add_row(
            p.name,
            p.tracer,
            _mbq(p.activity_per_kg_bq),
            _mbq(p.fixed_activity_bq),
            _mbq(p.min_activity_bq),
            _mbq(p.max_activity_bq),
            f"{p.digital_reduction_factor:g}",
            "guideline/label" if p.guideline else "local example",
        )
    console().print(out)
    console().print("sources: thx pharmacy protocols --json")


TracerOption = Annotated[str, typer.Option("--tracer", help="Radionuclide of the vial, e.g. F-18.")]
CalibrationTimeOption = Annotated[
    str, typer.Option("--calibration-time", help="Calibration datetime of the vial (ISO 8601).")
]
VialVolumeOption = Annotated[
    float, typer.Option("--vial-volume-ml", help="Vial volume at calibration, mL.")
]
DrawLeadOption = Annotated[
    float, typer.Option("--draw-lead-min", help="Doses are drawn this long before injection.")
]
DeadVolumeOption = Annotated[
    float, typer.Option("--dead-volume-ml", help="Unextractable volume of the vial, mL.")
]
MinVolumeOption = Annotated[
    float, typer.Option("--min-volume-ml", help="Smallest accurately drawable volume, mL.")
]
MaxSyringeOption = Annotated[
    float, typer.Option("--max-syringe-ml", help="Largest syringe volume, mL (0: no limit).")
]
MarginOption = Annotated[
    float, typer.Option("--margin", help="Safety margin of the order, a fraction (0.1 = 10 %).")
]
EndOfDayOption = Annotated[
    str | None,
    typer.Option("--end-of-day", help="Time of the residual (ISO 8601); default last injection."),
]


def _morning_plan(
    patients: Path,
    *,
    tracer: str,
    calibration_time: str,
    mbq_per_kg: float | None,
    protocol: str | None,
    vial_volume_ml: float,
    vial_activity_mbq: float | None,
    draw_lead_min: float,
    dead_volume_ml: float,
    min_volume_ml: float,
    max_syringe_ml: float,
    margin: float,
    digital: bool,
    end_of_day: datetime | None,
    tz: str | None,
) -> PetDispensingPlan:
    """The plan of ``thx pharmacy plan`` from its options (call inside ``user_errors()``)."""
    if mbq_per_kg is not None and protocol is not None:
        fail("give --mbq-per-kg or --protocol, not both")
    from theranostix.pharmacy._dispensing import (
        DispensingSettings,
        plan_pet_day,
        read_patients_csv,
    )

    people = read_patients_csv(patients, tz=tz)
    settings = DispensingSettings(
        draw_lead_s=draw_lead_min * 60.0,
        dead_volume_ml=dead_volume_ml,
        min_draw_volume_ml=min_volume_ml,
        max_syringe_volume_ml=max_syringe_ml or None,
        safety_margin=margin,
        digital=digital,
    )
    return plan_pet_day(
        people,
        tracer=tracer,
        calibration_time=parse_when(calibration_time, "--calibration-time", tz),
        vial_volume_ml=vial_volume_ml,
        protocol=protocol,
        mbq_per_kg=mbq_per_kg,
        vial_activity_bq=None if vial_activity_mbq is None else vial_activity_mbq * 1e6,
        settings=settings,
        end_of_day=end_of_day,
    )


@pharmacy_app.command("plan")
def plan_command(
    patients: PatientsArg,
    tracer: TracerOption,
    calibration_time: CalibrationTimeOption,
    mbq_per_kg: MbqPerKgOption = None,
    protocol: ProtocolOption = None,
    vial_volume_ml: VialVolumeOption = 10.0,
    vial_activity_mbq: Annotated[
        float | None,
        typer.Option(
            "--vial-activity-mbq",
            help="Delivered vial activity at calibration, MBq (default: the computed order).",
        ),
    ] = None,
    draw_lead_min: DrawLeadOption = 0.0,
    dead_volume_ml: DeadVolumeOption = 0.3,
    min_volume_ml: MinVolumeOption = 0.1,
    max_syringe_ml: MaxSyringeOption = 10.0,
    margin: MarginOption = 0.10,
    digital: DigitalOption = False,
    end_of_day: EndOfDayOption = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Daily dispensing plan from a multi-dose vial: doses, volumes, order, residual.

    Example: thx pharmacy plan patients.csv --tracer F-18 --protocol fdg-eanm-3d
    --calibration-time 2026-11-24T08:00+01:00 --vial-volume-ml 10 --json
    """
    with user_errors():
        plan = _morning_plan(
            patients, tracer=tracer, calibration_time=calibration_time, mbq_per_kg=mbq_per_kg,
            protocol=protocol, vial_volume_ml=vial_volume_ml, vial_activity_mbq=vial_activity_mbq,
            draw_lead_min=draw_lead_min, dead_volume_ml=dead_volume_ml,
            min_volume_ml=min_volume_ml, max_syringe_ml=max_syringe_ml, margin=margin,
            digital=digital,
            end_of_day=None if end_of_day is None else parse_when(end_of_day, "--end-of-day", tz),
            tz=tz,
        )  # fmt: skip
        report = plan.as_dict()
    if as_json:
        emit_json(report)
        return
    _print_plan(report)


@pharmacy_app.command("replan")
def replan_command(
    patients: PatientsArg,
    events: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns event,patient_id,time,weight_kg,protocol,activity_mbq,"
            "volume_ml; event is late (patient_id, time = new injection), absent (patient_id), "
            "added (patient_id, weight_kg, time, optional protocol), vial-measured "
            "(activity_mbq at time, optional volume_ml) or vial-diluted (volume_ml of saline "
            "added at time). Unused columns empty or absent."
        ),
    ],
    tracer: TracerOption,
    calibration_time: CalibrationTimeOption,
    vial_activity_mbq: Annotated[
        float,
        typer.Option(
            "--vial-activity-mbq", help="Activity of the vial delivered, at calibration, MBq."
        ),
    ],
    now: Annotated[str, typer.Option("--now", help="Time of the re-planning (ISO 8601).")],
    drawn: Annotated[
        list[str] | None,
        typer.Option(
            "--drawn",
            help="A patient whose dose is drawn, repeatable (default: the doses the morning "
            "plan draws at or before --now).",
        ),
    ] = None,
    mbq_per_kg: MbqPerKgOption = None,
    protocol: ProtocolOption = None,
    vial_volume_ml: VialVolumeOption = 10.0,
    draw_lead_min: DrawLeadOption = 0.0,
    dead_volume_ml: DeadVolumeOption = 0.3,
    min_volume_ml: MinVolumeOption = 0.1,
    max_syringe_ml: MaxSyringeOption = 10.0,
    margin: MarginOption = 0.10,
    digital: DigitalOption = False,
    end_of_day: EndOfDayOption = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-plan the rest of a PET day: late, absent or added patients, a vial measured.

    Rebuilds the morning plan (as 'thx pharmacy plan' with the vial delivered)
    and applies the events in file order.

    Example: thx pharmacy replan patients.csv events.csv --tracer F-18
    --protocol fdg-eanm-3d --calibration-time 2026-11-24T08:00+01:00
    --vial-activity-mbq 900 --now 2026-11-24T09:25+01:00 --json
    """
    with user_errors():
        from theranostix.pharmacy._dispensing import read_events_csv, replan_pet_day

        end = None if end_of_day is None else parse_when(end_of_day, "--end-of-day", tz)
        plan = _morning_plan(
            patients, tracer=tracer, calibration_time=calibration_time, mbq_per_kg=mbq_per_kg,
            protocol=protocol, vial_volume_ml=vial_volume_ml, vial_activity_mbq=vial_activity_mbq,
            draw_lead_min=draw_lead_min, dead_volume_ml=dead_volume_ml,
            min_volume_ml=min_volume_ml, max_syringe_ml=max_syringe_ml, margin=margin,
            digital=digital, end_of_day=end, tz=tz,
        )  # fmt: skip
        applied = read_events_csv(events, tz=tz)
        new = replan_pet_day(
            plan, applied, now=parse_when(now, "--now", tz), drawn=drawn, end_of_day=end
        )
        report = {**new.as_dict(), "events": [_event_dict(e) for e in applied]}
    if as_json:
        emit_json(report)
        return
    out = console()
    for e in report["events"]:
        detail = ", ".join(f"{k} {v}" for k, v in e.items() if k != "event" and v is not None)
        out.print(f"event: {e['event']}: {detail}")
    if report["cancelled"]:
        out.print(f"cancelled: {', '.join(report['cancelled'])}")
    _print_plan(report)


def _event_dict(event: ReplanEvent) -> dict[str, Any]:
    """One re-planning event as plain values (the event names of the events CSV)."""
    from theranostix.pharmacy._dispensing import (
        PatientAbsent,
        PatientAdded,
        PatientLate,
        VialDiluted,
        VialMeasured,
    )

    if isinstance(event, PatientLate):
        return {
            "event": "late",
            "patient_id": event.patient_id,
            "injection_time": event.injection_time.isoformat(),
        }
    if isinstance(event, PatientAbsent):
        return {"event": "absent", "patient_id": event.patient_id}
    if isinstance(event, PatientAdded):
        p = event.patient
        return {
            "event": "added",
            "patient_id": p.patient_id,
            "weight_kg": p.weight_kg,
            "injection_time": p.injection_time.isoformat(),
            "protocol": p.protocol,
        }
    if isinstance(event, VialDiluted):
        return {"event": "vial-diluted", "added_ml": event.added_ml, "at": event.at.isoformat()}
    assert isinstance(event, VialMeasured)
    return {
        "event": "vial-measured",
        "activity_bq": event.activity_bq,
        "at": event.at.isoformat(),
        "volume_ml": event.volume_ml,
    }


def _print_plan(report: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    table = Table(title=f"{report['tracer']} dispensing plan, vial {report['vial_volume_ml']:g} mL "
                  f"calibrated {report['calibration_time']}")  # fmt: skip
    for column in ("patient", "protocol", "kg", "inject", "draw", "MBq inj", "MBq draw", "mL",
                   "status"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("patient", "protocol", "status")
                         else "right")  # fmt: skip
    for d in report["doses"]:
        status = d["status"] if not d["flags"] else f"{d['status']}: {', '.join(d['flags'])}"
        table.add_row(
            d["patient_id"], d["protocol"], f"{d['weight_kg']:g}", _hm(d["injection_time"]),
            _hm(d["draw_time"]), _mbq(d["activity_bq"]), _mbq(d["activity_at_draw_bq"]),
            f"{d['volume_ml']:.2f}", status,
        )  # fmt: skip
    out.print(table)
    out.print(
        f"order at calibration: {_mbq(report['order_activity_at_calibration_bq'])} MBq "
        f"(margin {100 * report['settings']['safety_margin']:g} %); vial used: "
        f"{_mbq(report['vial_activity_at_calibration_bq'])} MBq"
    )
    r = report["residual"]
    out.print(
        f"residual at {_hm(r['at'])}: {_mbq(r['activity_bq'])} MBq in {r['volume_ml']:.2f} mL "
        f"({_mbq(r['extractable_activity_bq'])} MBq extractable)"
    )
    for d in report["doses"]:
        for issue in d["issues"]:
            out.print(f"{d['patient_id']}: {issue['message']}")
        for suggestion in d["suggestions"]:
            out.print(f"{d['patient_id']}: suggestion: {suggestion}")
    for note in report["notes"]:
        out.print(f"note: {note}")
    if not report["feasible"]:
        out.print("NOT FEASIBLE as planned: see the flags above")


@pharmacy_app.command("ga68-day")
def ga68_day_command(
    patients: PatientsArg,
    generator_activity_mbq: Annotated[
        float,
        typer.Option("--generator-activity-mbq", help="Ge-68 activity at calibration, MBq."),
    ],
    generator_calibration: Annotated[
        str,
        typer.Option("--generator-calibration", help="Generator calibration datetime (ISO 8601)."),
    ],
    protocol: ProtocolOption = None,
    mbq_per_kg: MbqPerKgOption = None,
    elution: Annotated[
        list[str] | None,
        typer.Option("--elution", help="A past elution (ISO 8601), repeatable."),
    ] = None,
    efficiency: Annotated[
        float | None,
        typer.Option("--efficiency", help="Elution efficiency (example default 0.6)."),
    ] = None,
    labelling_yield: Annotated[
        float | None,
        typer.Option("--labelling-yield", help="Decay-corrected labelling yield (default: kit)."),
    ] = None,
    labelling_duration_min: Annotated[
        float | None,
        typer.Option("--labelling-duration-min", help="Elution to release, min (default: kit)."),
    ] = None,
    margin_min: Annotated[
        float, typer.Option("--margin-min", help="Least time from release to first injection.")
    ] = 10.0,
    digital: DigitalOption = False,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ga-68 labelling day from the patient list: the fewest elutions serving everyone.

    Front end of 'thx generator' planning: doses come from the protocol, the
    elutions from the generator model (Bateman ingrowth).

    Example: thx pharmacy ga68-day patients.csv --protocol psma11-ga68
    --generator-activity-mbq 1850 --generator-calibration 2026-10-01T12:00+01:00
    --elution 2026-11-23T16:00+01:00 --json
    """
    if mbq_per_kg is not None and protocol is not None:
        fail("give --mbq-per-kg or --protocol, not both")
    with user_errors():
        import dataclasses

        from theranostix.pharmacy._dispensing import read_patients_csv
        from theranostix.pharmacy._ga68_day import plan_ga68_day
        from theranostix.production import Generator, GeneratorModel

        people = read_patients_csv(patients, tz=tz)
        model = GeneratorModel.typical("ge68-ga68")
        if efficiency is not None:
            model = dataclasses.replace(model, elution_efficiency=efficiency)
        generator = Generator(
            model,
            calibration_activity_bq=generator_activity_mbq * 1e6,
            calibrated=parse_when(generator_calibration, "--generator-calibration", tz),
            elutions=[parse_when(e, "--elution", tz) for e in elution or []],
        )
        plan = plan_ga68_day(
            people,
            generator,
            protocol=protocol,
            mbq_per_kg=mbq_per_kg,
            labelling_yield=labelling_yield,
            labelling_duration_s=None
            if labelling_duration_min is None
            else labelling_duration_min * 60.0,
            digital=digital,
            margin_s=margin_min * 60.0,
        )
        report = plan.as_dict()
    if as_json:
        emit_json(report)
        return
    from rich.table import Table

    out = console()
    table = Table(title=f"Ga-68 day: {report['elution_count']} elution(s)")
    for column in ("#", "elute", "eluate MBq", "release", "product MBq", "patients", "left MBq"):
        table.add_column(column, justify="left" if column == "patients" else "right")
    for b in report["elutions"]:
        table.add_row(
            str(b["number"]), _hm(b["elution_at"]), _mbq(b["eluate_bq"]), _hm(b["release_at"]),
            _mbq(b["product_bq"]), ", ".join(b["patients"]), _mbq(b["residual_bq"]),
        )  # fmt: skip
    out.print(table)
    for d in report["doses"]:
        flags = f" [{', '.join(d['flags'])}]" if d["flags"] else ""
        out.print(
            f"{d['patient_id']}: {_mbq(d['activity_bq'])} MBq at {_hm(d['injection_time'])}, "
            f"batch {d['batch'] if d['batch'] is not None else '-'}{flags}"
        )
    if report["unserved"]:
        out.print(f"NOT SERVED: {', '.join(report['unserved'])}")

"""``thx pharmacy batch``: batch records, quality control, dispensed and administered doses."""

from __future__ import annotations

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
    from theranostix.pharmacy._records import RecordStore

batch_app = typer.Typer(
    help="Batch records and traceability (append-only store).", no_args_is_help=True
)

DEFAULT_DB = "theranostix-records.sqlite"

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="THX_RECORDS_DB",
        help="Records database: a SQLite file path or a SQLAlchemy URL "
        "(postgresql+psycopg://user@host/db).",
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option("--user", envvar="THX_USER", help="Who makes the record (required to write)."),
]
LotArgument = Annotated[str, typer.Argument(help="Batch lot number.")]


def _open(db: str) -> RecordStore:
    from theranostix.pharmacy._records import RecordStore

    return RecordStore(db)


def _user(user: str | None) -> str:
    if user is None or not user.strip():
        fail("--user (or THX_USER) is required: records name who made them")
    return user.strip()


def _activity(text: str, option: str) -> float:
    from theranostix.units import parse_activity

    try:
        return parse_activity(text)
    except ValueError as exc:
        raise ValueError(f"{option}: {exc}") from None


def _mbq(value_bq: float | None) -> str:
    return "-" if value_bq is None else f"{value_bq / 1e6:.1f} MBq"


def _rows(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("field")
    table.add_column("value")
    for name, value in rows:
        table.add_row(name, value)
    console().print(table)


def _result_text(result: Any) -> str:
    if result.value is None:
        verdict = "pass" if result.passed else "fail"
        return f"{verdict} ({result.observation})" if result.observation else verdict
    unit = "" if result.unit in ("1", "") else f" {result.unit}"
    return f"{result.value:.4g}{unit}"


def _emit_batch(record: Any, as_json: bool, title: str) -> None:
    if as_json:
        emit_json({"batch": record})
        return
    _rows(
        title,
        [
            ("lot", record.lot),
            ("product", f"{record.product} ({record.nuclide})"),
            ("activity", f"{_mbq(record.activity_bq)} at {record.calibration_time.isoformat()}"),
            ("volume", f"{record.volume_ml:g} mL"),
            ("expiry", record.expiry_time.isoformat()),
            ("generator / kit / precursor lots",
             " / ".join(x or "-" for x in (record.generator_lot, record.kit_lot,
                                           record.precursor_lot))),
            ("status", record.status.value),
        ],
    )  # fmt: skip


@batch_app.command("create")
def create_command(
    lot: Annotated[str, typer.Option("--lot", help="Batch lot number (unique).")],
    product: Annotated[str, typer.Option("--product", help="Product key, e.g. fdg, ga68-psma-11.")],
    nuclide: Annotated[str, typer.Option("--nuclide", "-n", help="Radionuclide, e.g. F-18.")],
    activity: Annotated[
        str, typer.Option("--activity", help="Batch activity at calibration, e.g. '20 GBq'.")
    ],
    volume_ml: Annotated[float, typer.Option("--volume-ml", help="Batch volume, mL.")],
    calibration_time: Annotated[
        str, typer.Option("--calibration-time", help="ISO 8601 time of --activity.")
    ],
    expiry_time: Annotated[str, typer.Option("--expiry-time", help="ISO 8601 expiry time.")],
    generator_lot: Annotated[str | None, typer.Option("--generator-lot")] = None,
    kit_lot: Annotated[str | None, typer.Option("--kit-lot")] = None,
    precursor_lot: Annotated[str | None, typer.Option("--precursor-lot")] = None,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a new batch (status draft)."""
    who = _user(user)
    with user_errors():
        store = _open(db)
        with store:
            record = store.create_batch(
                lot=lot,
                nuclide=nuclide,
                product=product,
                activity_bq=_activity(activity, "--activity"),
                volume_ml=volume_ml,
                calibration_time=parse_when(calibration_time, "--calibration-time", tz),
                expiry_time=parse_when(expiry_time, "--expiry-time", tz),
                generator_lot=generator_lot,
                kit_lot=kit_lot,
                precursor_lot=precursor_lot,
                user=who,
            )
    _emit_batch(record, as_json, f"batch {record.lot} created")


@batch_app.command("qc")
def qc_command(
    lot: LotArgument,
    test: Annotated[
        str, typer.Option("--test", help="QC test: radiochemical_purity, ph, appearance, ...")
    ],
    value: Annotated[
        float | None, typer.Option("--value", help="Result in the test's unit (%, pH, min).")
    ] = None,
    passed: Annotated[
        bool | None, typer.Option("--pass/--fail", help="Result of a pass/fail test.")
    ] = None,
    reading: Annotated[
        list[str] | None,
        typer.Option(
            "--reading",
            help="half_life test: TIME=ACTIVITY dose-calibrator reading, twice or more, "
            "e.g. --reading 2026-11-23T08:00Z='1000 MBq'.",
        ),
    ] = None,
    calibrator: Annotated[
        str | None, typer.Option("--calibrator", help="Dose calibrator id (half_life test).")
    ] = None,
    observation: Annotated[
        str | None, typer.Option("--observation", help="What was observed.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why a test is repeated or corrected.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record one QC result, judged against the product's configured limit."""
    who = _user(user)
    fit: Any = None
    with user_errors():
        store = _open(db)
        with store:
            if reading:
                if test != "half_life" or value is not None or passed is not None:
                    fail("--reading is only for --test half_life, without --value or --pass")
                readings = []
                for text in reading:
                    when, sep, act = text.partition("=")
                    if not sep:
                        fail(f"--reading {text!r}: expected TIME=ACTIVITY")
                    readings.append(
                        (parse_when(when, "--reading", tz), _activity(act, "--reading"))
                    )
                result, fit = store.record_half_life(
                    lot, readings, user=who, calibrator_id=calibrator, reason=reason
                )
            else:
                result = store.record_qc(
                    lot, test, user=who, value=value, passed=passed,
                    observation=observation, reason=reason,
                )  # fmt: skip
    if as_json:
        emit_json({"qc": result, "half_life_fit": fit})
        return
    shown = _result_text(result)
    verdict = "PASS" if result.passed else "FAIL"
    console().print(f"{lot}: {result.test} = {shown} (limit {result.limit}): {verdict}")
    if fit is not None and fit.deviation_pct is not None:
        console().print(
            f"fitted half-life {fit.half_life_min:.2f} min from {fit.n_readings} readings, "
            f"{fit.deviation_pct:+.2f} % from nominal"
        )


@batch_app.command("release")
def release_command(
    lot: LotArgument,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Release a batch: every configured QC test must be recorded and passing."""
    who = _user(user)
    with user_errors():
        store = _open(db)
        with store:
            record = store.release(lot, user=who)
    _emit_batch(record, as_json, f"batch {lot} released")


@batch_app.command("reject")
def reject_command(
    lot: LotArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why the batch is rejected.")],
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a batch in draft or QC (final)."""
    who = _user(user)
    with user_errors():
        store = _open(db)
        with store:
            record = store.reject(lot, user=who, reason=reason)
    _emit_batch(record, as_json, f"batch {lot} rejected")


@batch_app.command("dispense")
def dispense_command(
    lot: LotArgument,
    patient: Annotated[str, typer.Option("--patient", help="Patient id.")],
    prescribed: Annotated[
        str, typer.Option("--prescribed", help="Prescribed activity at --measured-at, '370 MBq'.")
    ],
    measured: Annotated[
        str, typer.Option("--measured", help="Dose-calibrator reading of the dose, '365 MBq'.")
    ],
    measured_at: Annotated[str, typer.Option("--measured-at", help="ISO 8601 measurement time.")],
    calibrator: Annotated[str, typer.Option("--calibrator", help="Dose calibrator id.")],
    tolerance_pct: Annotated[
        float, typer.Option("--tolerance-pct", help="Accepted deviation from prescribed, %.")
    ] = 10.0,
    dose_id: Annotated[
        str | None, typer.Option("--dose-id", help="Dose id (default LOT-Dnnn).")
    ] = None,
    volume_ml: Annotated[float | None, typer.Option("--volume-ml", help="Dose volume, mL.")] = None,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a dose drawn from a released batch with its dose-calibrator measurement."""
    who = _user(user)
    with user_errors():
        store = _open(db)
        with store:
            dose = store.dispense(
                lot,
                patient_id=patient,
                prescribed_activity_bq=_activity(prescribed, "--prescribed"),
                measured_activity_bq=_activity(measured, "--measured"),
                measured_at=parse_when(measured_at, "--measured-at", tz),
                calibrator_id=calibrator,
                user=who,
                tolerance_pct=tolerance_pct,
                dose_id=dose_id,
                volume_ml=volume_ml,
            )
    if as_json:
        emit_json({"dose": dose})
        return
    flag = "within" if dose.within_tolerance else "OUTSIDE"
    console().print(
        f"dose {dose.dose_id} for {dose.patient_id}: {_mbq(dose.measured_activity_bq)} measured, "
        f"{_mbq(dose.prescribed_activity_bq)} prescribed ({dose.deviation_pct:+.1f} %, {flag} "
        f"±{dose.tolerance_pct:g} %)"
    )


@batch_app.command("administer")
def administer_command(
    dose_id: Annotated[str, typer.Argument(help="Dose id.")],
    patient: Annotated[str, typer.Option("--patient", help="Patient id (checked against dose).")],
    at: Annotated[str, typer.Option("--at", help="ISO 8601 administration time.")],
    residual: Annotated[
        str, typer.Option("--residual", help="Residual activity in the syringe, '4 MBq'.")
    ] = "0 MBq",
    residual_at: Annotated[
        str | None, typer.Option("--residual-at", help="When the residual was measured.")
    ] = None,
    deviation_reason: Annotated[
        str | None,
        typer.Option("--deviation-reason", help="Required for a dose outside its tolerance."),
    ] = None,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the administration of a dispensed dose to its patient."""
    who = _user(user)
    with user_errors():
        store = _open(db)
        with store:
            record = store.administer(
                dose_id,
                patient_id=patient,
                administered_at=parse_when(at, "--at", tz),
                user=who,
                residual_activity_bq=_activity(residual, "--residual"),
                residual_measured_at=None
                if residual_at is None
                else parse_when(residual_at, "--residual-at", tz),
                deviation_reason=deviation_reason,
            )
    if as_json:
        emit_json({"administration": record})
        return
    console().print(
        f"dose {record.dose_id} administered to {record.patient_id} at "
        f"{record.administered_at.isoformat()}: {_mbq(record.administered_activity_bq)}"
    )


@batch_app.command("show")
def show_command(
    lot: LotArgument,
    at: Annotated[
        str | None, typer.Option("--at", help="Evaluate status and remaining activity at (now).")
    ] = None,
    db: DbOption = DEFAULT_DB,
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """A batch with its QC, doses, administrations and remaining activity."""
    with user_errors():
        store = _open(db)
        with store:
            report = store.report(lot, None if at is None else parse_when(at, "--at", tz))
    if as_json:
        emit_json({"report": report, "releasable": report.releasable})
        return
    _emit_batch(report.batch, False, f"batch {lot}: {report.status.value} at {report.at}")
    from rich.table import Table

    out = console()
    qc = Table(title="QC")
    for column in ("id", "test", "result", "limit", "verdict", "by", "note"):
        qc.add_column(column)
    for q in report.qc:
        shown = _result_text(q)
        note = "superseded" if q.superseded else (q.reason or "")
        qc.add_row(str(q.id), q.test, shown, q.limit, "pass" if q.passed else "FAIL",
                   q.recorded_by, note)  # fmt: skip
    out.print(qc)
    if report.qc_missing or report.qc_failing:
        out.print(f"missing QC: {', '.join(report.qc_missing) or '-'}; "
                  f"failing QC: {', '.join(report.qc_failing) or '-'}")  # fmt: skip
    doses = Table(title=f"doses (remaining {_mbq(report.remaining_activity_bq)})")
    for column in ("dose", "patient", "measured", "prescribed", "at", "tolerance"):
        doses.add_column(column)
    for d in report.doses:
        doses.add_row(d.dose_id, d.patient_id, _mbq(d.measured_activity_bq),
                      _mbq(d.prescribed_activity_bq), d.measured_at.isoformat(),
                      f"{d.deviation_pct:+.1f} % "
                      f"{'ok' if d.within_tolerance else 'OUTSIDE'}")  # fmt: skip
    out.print(doses)


def _trace_rows(records: list[Any]) -> None:
    from rich.table import Table

    table = Table(title="traceability")
    for column in ("patient", "dose", "administered", "batch", "generator", "kit", "precursor",
                   "QC"):  # fmt: skip
        table.add_column(column)
    for r in records:
        admin = r.administration
        table.add_row(
            r.patient_id,
            f"{r.dose.dose_id} {_mbq(r.dose.measured_activity_bq)}",
            "-"
            if admin is None
            else f"{admin.administered_at.isoformat()} {_mbq(admin.administered_activity_bq)}",
            r.batch.lot,
            r.batch.generator_lot or "-",
            r.batch.kit_lot or "-",
            r.batch.precursor_lot or "-",
            ", ".join(f"{q.test}:{'pass' if q.passed else 'FAIL'}" for q in r.qc),
        )
    console().print(table)


@batch_app.command("trace")
def trace_command(
    patient: Annotated[
        str | None, typer.Option("--patient", help="Trace a patient's doses to their lots.")
    ] = None,
    lot: Annotated[
        str | None,
        typer.Option(
            "--lot", help="Recall: every patient of a batch, generator, kit or precursor lot."
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Traceability: a patient to batches and lots, or a lot to every patient (recall)."""
    if (patient is None) == (lot is None):
        fail("give exactly one of --patient and --lot")
    with user_errors():
        store = _open(db)
        with store:
            if patient is not None:
                records = store.trace_patient(patient)
                payload: dict[str, Any] = {"patient_id": patient, "records": records}
            else:
                assert lot is not None
                recall = store.recall(lot)
                records = recall.records
                payload = {"lot": lot, "batches": recall.batches, "patients": recall.patients,
                           "records": records}  # fmt: skip
    if as_json:
        emit_json(payload)
        return
    if lot is not None:
        batches = payload["batches"]
        if not batches:
            console().print(f"lot {lot}: no batch uses it")
            return
        used = "; ".join(f"{b} ({', '.join(roles)})" for b, roles in batches.items())
        console().print(f"lot {lot} used in: {used}")
        console().print(f"patients: {', '.join(payload['patients']) or '-'}")
    _trace_rows(records)


@batch_app.command("history")
def history_command(
    lot: LotArgument, db: DbOption = DEFAULT_DB, as_json: JsonOption = False
) -> None:
    """The audit trail of a batch: every event, who and when, oldest first."""
    with user_errors():
        store = _open(db)
        with store:
            events = store.history(lot)
    if as_json:
        emit_json({"lot": lot, "events": events})
        return
    from rich.table import Table

    table = Table(title=f"history of batch {lot}")
    for column in ("id", "at (UTC)", "who", "action", "corrects", "details"):
        table.add_column(column)
    for e in events:
        details = ", ".join(
            f"{k}={v}" for k, v in e.payload.items() if k in ("test", "value", "passed", "status",
                                                                "reason", "dose_id", "patient_id")
        )  # fmt: skip
        table.add_row(str(e.id), e.at.isoformat(), e.actor, e.action,
                      "" if e.corrects is None else str(e.corrects), details)  # fmt: skip
    console().print(table)

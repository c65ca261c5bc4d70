"""Batch records and traceability: an append-only store of batches, QC, doses and administrations.

One :class:`RecordStore` wraps a SQLAlchemy database: SQLite by default
(``sqlite:///path``, foreign keys on), PostgreSQL for a large site
(``postgresql+psycopg://user@host/db``). Every write is one transaction (an error leaves
the database unchanged) and appends an event (who, when in UTC, action, JSON payload) to
``thx_event``. QC results, doses, administrations and events are never updated nor
deleted — the database itself refuses it (triggers); a correction is a new row that
references the corrected one. The batch row holds the current state; a released or
rejected batch is frozen.

Rules enforced (each a :class:`~theranostix.errors.ThxError` naming the lot and field):

- release needs every QC test configured for the product (:mod:`._qc`) recorded and
  passing, and a batch not expired;
- a released batch's defining fields cannot change;
- dispensing needs a released, unexpired batch, and the measured dose cannot exceed the
  activity left in the batch (batch activity decayed to the measurement time minus every
  earlier dose decayed to the same time);
- each dispensed dose carries its dose-calibrator measurement and is flagged when outside
  its tolerance of the prescribed activity; it is administered once, to the patient it was
  dispensed for, and an out-of-tolerance dose only with a written deviation reason.

Traceability: :meth:`RecordStore.trace_patient` (patient → administrations → doses →
batch → generator, kit and precursor lots and QC) and :meth:`RecordStore.recall` (a batch,
generator, kit or precursor lot → every patient who received or was dispensed a dose).

References
----------
.. [1] EudraLex Volume 4, EU Guidelines for Good Manufacturing Practice, Chapter 4
   (Documentation) and Annex 11 (Computerised systems: audit trails).
.. [2] Gillings N, Hjelstuen O, Ballinger J, et al. Guideline on current good
   radiopharmacy practice (cGRPP) for the small-scale preparation of radiopharmaceuticals.
   EJNMMI Radiopharm Chem 2021;6:8. doi:10.1186/s41181-021-00123-2
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from theranostix._enums import parse_enum
from theranostix._json import to_plain
from theranostix.errors import ThxError
from theranostix.pharmacy._qc import HalfLifeFit, QcSpec, fit_half_life, load_qc_limits, qc_spec

__all__ = [
    "AdministrationRecord",
    "BatchRecord",
    "BatchReport",
    "BatchStatus",
    "DoseRecord",
    "EventRecord",
    "QcResultRecord",
    "RecallReport",
    "RecordStore",
    "TraceRecord",
    "records_url",
]

SCHEMA_VERSION = "1"
DEFAULT_TOLERANCE_PCT = 10.0
_REL_EPS = 1e-9


class BatchStatus(enum.Enum):
    """Life cycle of a batch: draft → qc → released | rejected; expired is derived from time."""

    DRAFT = "draft"
    QC = "qc"
    RELEASED = "released"
    REJECTED = "rejected"
    EXPIRED = "expired"


# --------------------------------------------------------------------------- schema


class _UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes stored in UTC; SQLite (no time zone) gets naive UTC, read back as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ThxError(f"datetime {value} has no time zone; records are stored in UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Base(DeclarativeBase):
    pass


class _Meta(_Base):
    __tablename__ = "thx_meta"
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(256))


class _Batch(_Base):
    __tablename__ = "thx_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot: Mapped[str] = mapped_column(sa.String(128), unique=True)
    nuclide: Mapped[str] = mapped_column(sa.String(32))
    product: Mapped[str] = mapped_column(sa.String(128))
    activity_bq: Mapped[float] = mapped_column(sa.Float)
    volume_ml: Mapped[float] = mapped_column(sa.Float)
    calibration_time: Mapped[datetime] = mapped_column(_UtcDateTime)
    expiry_time: Mapped[datetime] = mapped_column(_UtcDateTime)
    generator_lot: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    kit_lot: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    precursor_lot: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    created_by: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    qc_results: Mapped[list[_QcResult]] = relationship(
        back_populates="batch", order_by="_QcResult.id"
    )
    doses: Mapped[list[_Dose]] = relationship(back_populates="batch", order_by="_Dose.id")


class _QcResult(_Base):
    __tablename__ = "thx_qc_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("thx_batch.id"), index=True)
    test: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[float | None] = mapped_column(sa.Float)
    unit: Mapped[str] = mapped_column(sa.String(32))
    observation: Mapped[str | None] = mapped_column(sa.String(512))
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    limit_text: Mapped[str] = mapped_column(sa.String(256))
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("thx_qc_result.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(512))
    recorded_by: Mapped[str] = mapped_column(sa.String(128))
    recorded_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    batch: Mapped[_Batch] = relationship(back_populates="qc_results")


class _Dose(_Base):
    __tablename__ = "thx_dose"
    id: Mapped[int] = mapped_column(primary_key=True)
    dose_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("thx_batch.id"), index=True)
    patient_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    prescribed_activity_bq: Mapped[float] = mapped_column(sa.Float)
    measured_activity_bq: Mapped[float] = mapped_column(sa.Float)
    measured_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    calibrator_id: Mapped[str] = mapped_column(sa.String(128))
    tolerance_pct: Mapped[float] = mapped_column(sa.Float)
    within_tolerance: Mapped[bool] = mapped_column(sa.Boolean)
    volume_ml: Mapped[float | None] = mapped_column(sa.Float)
    dispensed_by: Mapped[str] = mapped_column(sa.String(128))
    recorded_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    batch: Mapped[_Batch] = relationship(back_populates="doses")
    administration: Mapped[_Administration | None] = relationship(back_populates="dose")


class _Administration(_Base):
    __tablename__ = "thx_administration"
    id: Mapped[int] = mapped_column(primary_key=True)
    dose_pk: Mapped[int] = mapped_column(sa.ForeignKey("thx_dose.id"), unique=True)
    patient_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    administered_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    residual_activity_bq: Mapped[float] = mapped_column(sa.Float)
    administered_activity_bq: Mapped[float] = mapped_column(sa.Float)
    deviation_reason: Mapped[str | None] = mapped_column(sa.String(512))
    administered_by: Mapped[str] = mapped_column(sa.String(128))
    recorded_at: Mapped[datetime] = mapped_column(_UtcDateTime)
    dose: Mapped[_Dose] = relationship(back_populates="administration")


class _Event(_Base):
    __tablename__ = "thx_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("thx_batch.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(128))
    at: Mapped[datetime] = mapped_column(_UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("thx_event.id"))


_APPEND_ONLY = ("thx_event", "thx_qc_result", "thx_dose", "thx_administration")
_DEFINING = (
    "lot",
    "nuclide",
    "product",
    "activity_bq",
    "volume_ml",
    "calibration_time",
    "expiry_time",
    "generator_lot",
    "kit_lot",
    "precursor_lot",
)
_FROZEN_COLUMNS = (*_DEFINING, "status", "created_by", "created_at")


def _ddl(sql: str) -> sa.DDL:
    return sa.DDL(sql)  # type: ignore[no-untyped-call]


def _install_triggers(meta: sa.MetaData) -> None:
    """Database-level guards: append-only tables, frozen released/rejected batches.

    Each table's triggers are created with the table (``after_create`` of the table), so
    opening an existing database creates nothing.
    """
    pg_append_only = (
        "CREATE OR REPLACE FUNCTION thx_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$"
    )
    for name in _APPEND_ONLY:
        table = meta.tables[name]
        for op in ("UPDATE", "DELETE"):
            sql = (
                f"CREATE TRIGGER {name}_no_{op.lower()} BEFORE {op} ON {name} "
                f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"
            )
            sa.event.listen(table, "after_create", _ddl(sql).execute_if(dialect="sqlite"))
        for sql in (
            pg_append_only,
            f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
            "FOR EACH ROW EXECUTE FUNCTION thx_append_only()",
        ):
            sa.event.listen(table, "after_create", _ddl(sql).execute_if(dialect="postgresql"))
    batch = meta.tables["thx_batch"]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN_COLUMNS)
    frozen = (
        "CREATE TRIGGER thx_batch_frozen BEFORE UPDATE ON thx_batch "
        f"WHEN OLD.status IN ('released', 'rejected') AND ({changed}) "
        "BEGIN SELECT RAISE(ABORT, 'a released or rejected batch is frozen'); END"
    )
    no_delete = (
        "CREATE TRIGGER thx_batch_no_delete BEFORE DELETE ON thx_batch "
        "BEGIN SELECT RAISE(ABORT, 'thx_batch rows are never deleted'); END"
    )
    for sql in (frozen, no_delete):
        sa.event.listen(batch, "after_create", _ddl(sql).execute_if(dialect="sqlite"))
    distinct = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN_COLUMNS)
    pg = (
        "CREATE OR REPLACE FUNCTION thx_batch_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF TG_OP = 'DELETE' THEN "
        "RAISE EXCEPTION USING MESSAGE = 'thx_batch rows are never deleted'; END IF; "
        f"IF OLD.status IN ('released', 'rejected') AND ({distinct}) THEN "
        "RAISE EXCEPTION USING MESSAGE = 'a released or rejected batch is frozen'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER thx_batch_guard BEFORE UPDATE OR DELETE ON thx_batch "
        "FOR EACH ROW EXECUTE FUNCTION thx_batch_guard()",
    )
    for sql in pg:
        sa.event.listen(batch, "after_create", _ddl(sql).execute_if(dialect="postgresql"))


_install_triggers(_Base.metadata)


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class BatchRecord:
    """One batch as stored (times in UTC).

    Attributes
    ----------
    lot : str
        Batch lot number (unique).
    nuclide, product : str
        Radionuclide (e.g. ``"F-18"``) and product key of the QC limits (e.g. ``"fdg"``).
    activity_bq : float
        Activity of the whole batch at ``calibration_time``, Bq.
    volume_ml : float
        Volume of the batch, mL.
    calibration_time, expiry_time : datetime
        Reference time of ``activity_bq``; end of shelf life.
    generator_lot, kit_lot, precursor_lot : str or None
        Lots of the generator, cold kit and precursor used.
    status : BatchStatus
        Stored status (draft, qc, released, rejected); see :meth:`status_at`.
    created_by : str
        Who created the record.
    created_at : datetime
        When it was recorded.
    """

    lot: str
    nuclide: str
    product: str
    activity_bq: float
    volume_ml: float
    calibration_time: datetime
    expiry_time: datetime
    generator_lot: str | None
    kit_lot: str | None
    precursor_lot: str | None
    status: BatchStatus
    created_by: str
    created_at: datetime

    def status_at(self, when: datetime) -> BatchStatus:
        """The status at ``when``: ``expired`` once past expiry unless rejected."""
        if self.status is not BatchStatus.REJECTED and when >= self.expiry_time:
            return BatchStatus.EXPIRED
        return self.status

    def activity_at_bq(self, when: datetime) -> float:
        """Activity of the whole batch decayed to ``when`` (before any dose is drawn), Bq."""
        from theranostix.nuclides import decay
        from theranostix.units import elapsed_s

        return float(decay(self.activity_bq, self.nuclide, elapsed_s(self.calibration_time, when)))


@dataclass(frozen=True)
class QcResultRecord:
    """One QC result (``superseded`` once a later result of the same test replaces it)."""

    id: int
    lot: str
    test: str
    value: float | None
    unit: str
    observation: str | None
    passed: bool
    limit: str
    supersedes: int | None
    reason: str | None
    recorded_by: str
    recorded_at: datetime
    superseded: bool = False


@dataclass(frozen=True)
class DoseRecord:
    """One dispensed dose and its dose-calibrator measurement.

    ``deviation_pct`` = 100·(measured − prescribed)/prescribed; ``within_tolerance`` when
    its magnitude is at most ``tolerance_pct``.
    """

    dose_id: str
    lot: str
    patient_id: str
    prescribed_activity_bq: float
    measured_activity_bq: float
    measured_at: datetime
    calibrator_id: str
    tolerance_pct: float
    deviation_pct: float
    within_tolerance: bool
    volume_ml: float | None
    dispensed_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class AdministrationRecord:
    """One administration: ``administered_activity_bq`` = dose decayed to the time − residual."""

    dose_id: str
    patient_id: str
    administered_at: datetime
    residual_activity_bq: float
    administered_activity_bq: float
    deviation_reason: str | None
    administered_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class EventRecord:
    """One audit-trail event (never changed; a correction is a later event naming this id)."""

    id: int
    lot: str | None
    action: str
    actor: str
    at: datetime
    payload: dict[str, Any]
    corrects: int | None


@dataclass(frozen=True)
class BatchReport:
    """A batch with its QC, doses and administrations, evaluated at ``at``.

    Attributes
    ----------
    batch : BatchRecord
    at : datetime
        Time of the evaluation.
    status : BatchStatus
        Status at ``at`` (expired derived from the expiry time).
    qc : list of QcResultRecord
        Every QC result, superseded ones flagged.
    qc_missing, qc_failing : list of str
        Configured tests without a result, and those whose current result fails.
    remaining_activity_bq : float
        Batch activity at ``at`` minus every dose drawn, each decayed to ``at``.
    doses, administrations : lists
    """

    batch: BatchRecord
    at: datetime
    status: BatchStatus
    qc: list[QcResultRecord]
    qc_missing: list[str]
    qc_failing: list[str]
    remaining_activity_bq: float
    doses: list[DoseRecord]
    administrations: list[AdministrationRecord]

    @property
    def releasable(self) -> bool:
        """Whether every configured QC test is present and passing."""
        return not self.qc_missing and not self.qc_failing


@dataclass(frozen=True)
class TraceRecord:
    """One dose traced to its batch, the batch's generator/kit/precursor lots and its QC."""

    patient_id: str
    dose: DoseRecord
    administration: AdministrationRecord | None
    batch: BatchRecord
    qc: list[QcResultRecord]


@dataclass(frozen=True)
class RecallReport:
    """Every dose made from batches that used ``lot`` (as batch, generator, kit or precursor)."""

    lot: str
    batches: dict[str, list[str]] = field(default_factory=dict)
    records: list[TraceRecord] = field(default_factory=list)

    @property
    def patients(self) -> list[str]:
        """Patients who received (or were dispensed) a dose, sorted."""
        return sorted({r.patient_id for r in self.records})


# --------------------------------------------------------------------------- store


def records_url(text: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL from a URL or a file path (a path becomes ``sqlite:///<abs path>``).

    >>> records_url("postgresql+psycopg://thx@db/records")
    'postgresql+psycopg://thx@db/records'
    >>> records_url("/tmp/records.sqlite")
    'sqlite:////tmp/records.sqlite'
    """
    raw = os.fspath(text)
    if "://" in raw:
        if raw.startswith("postgresql://"):
            return "postgresql+psycopg://" + raw.removeprefix("postgresql://")
        return raw
    path = Path(raw).expanduser().resolve()
    if not path.parent.is_dir():
        raise ThxError(f"records database {raw}: folder {path.parent} does not exist")
    return f"sqlite:///{path}"


def _actor(user: str) -> str:
    name = (user or "").strip()
    if not name:
        raise ThxError("user: who makes the record is required (--user or THX_USER)")
    return name


def _text(value: str | None, what: str, *, required: bool = True) -> str | None:
    if value is None or not value.strip():
        if required:
            raise ThxError(f"{what} is required and must not be empty")
        return None
    return value.strip()


def _positive(value: float, what: str, *, zero: bool = False) -> float:
    number = float(value)
    ok = math.isfinite(number) and (number >= 0.0 if zero else number > 0.0)
    if not ok:
        raise ThxError(f"{what} must be a finite number {'≥' if zero else '>'} 0, got {value}")
    return number


def _aware(value: datetime, what: str) -> datetime:
    from theranostix.units import ensure_aware

    return ensure_aware(value, what).astimezone(UTC)


def _batch_record(row: _Batch) -> BatchRecord:
    return BatchRecord(
        lot=row.lot,
        nuclide=row.nuclide,
        product=row.product,
        activity_bq=row.activity_bq,
        volume_ml=row.volume_ml,
        calibration_time=row.calibration_time,
        expiry_time=row.expiry_time,
        generator_lot=row.generator_lot,
        kit_lot=row.kit_lot,
        precursor_lot=row.precursor_lot,
        status=BatchStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _qc_records(row: _Batch) -> list[QcResultRecord]:
    replaced = {q.supersedes_id for q in row.qc_results if q.supersedes_id is not None}
    return [
        QcResultRecord(
            id=q.id,
            lot=row.lot,
            test=q.test,
            value=q.value,
            unit=q.unit,
            observation=q.observation,
            passed=q.passed,
            limit=q.limit_text,
            supersedes=q.supersedes_id,
            reason=q.reason,
            recorded_by=q.recorded_by,
            recorded_at=q.recorded_at,
            superseded=q.id in replaced,
        )
        for q in row.qc_results
    ]


def _dose_record(row: _Dose) -> DoseRecord:
    return DoseRecord(
        dose_id=row.dose_id,
        lot=row.batch.lot,
        patient_id=row.patient_id,
        prescribed_activity_bq=row.prescribed_activity_bq,
        measured_activity_bq=row.measured_activity_bq,
        measured_at=row.measured_at,
        calibrator_id=row.calibrator_id,
        tolerance_pct=row.tolerance_pct,
        deviation_pct=100.0
        * (row.measured_activity_bq - row.prescribed_activity_bq)
        / row.prescribed_activity_bq,
        within_tolerance=row.within_tolerance,
        volume_ml=row.volume_ml,
        dispensed_by=row.dispensed_by,
        recorded_at=row.recorded_at,
    )


def _admin_record(row: _Administration) -> AdministrationRecord:
    return AdministrationRecord(
        dose_id=row.dose.dose_id,
        patient_id=row.patient_id,
        administered_at=row.administered_at,
        residual_activity_bq=row.residual_activity_bq,
        administered_activity_bq=row.administered_activity_bq,
        deviation_reason=row.deviation_reason,
        administered_by=row.administered_by,
        recorded_at=row.recorded_at,
    )


def _event_record(row: _Event, lot: str | None) -> EventRecord:
    return EventRecord(
        id=row.id,
        lot=lot,
        action=row.action,
        actor=row.actor,
        at=row.at,
        payload=dict(row.payload),
        corrects=row.corrects_id,
    )


class RecordStore:
    """Append-only batch records in a SQLAlchemy database (SQLite or PostgreSQL).

    Parameters
    ----------
    url : str or path-like
        ``sqlite:///path``, ``postgresql+psycopg://...`` or a file path (SQLite). The
        tables are created when absent.
    qc_limits : path-like, optional
        Site QC limits file (schema 1 of :mod:`theranostix.pharmacy._qc`); default built-in.
    clock : callable, optional
        Returns the current aware datetime; stamps every record (default: system UTC).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> store = RecordStore("sqlite://")  # in memory
    >>> t0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    >>> b = store.create_batch(lot="FDG-001", nuclide="F-18", product="fdg",
    ...     activity_bq=100e9, volume_ml=10.0, calibration_time=t0,
    ...     expiry_time=datetime(2026, 11, 23, 17, 0, tzinfo=UTC), user="qp.martin")
    >>> b.status.value
    'draft'
    >>> store.close()
    """

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        qc_limits: str | os.PathLike[str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.url = records_url(url)
        self._specs: Mapping[str, QcSpec] = load_qc_limits(qc_limits)
        self._clock = clock or (lambda: datetime.now(UTC))
        try:
            self._engine = sa.create_engine(self.url)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
            raise ThxError(f"records database {self.url!r}: {exc}") from None
        if self._engine.dialect.name == "sqlite":
            sa.event.listen(self._engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        try:
            self._create_schema()
        except sa.exc.OperationalError as exc:
            self._engine.dispose()
            raise ThxError(f"records database {self.url!r}: cannot open ({exc.orig})") from None

    # ----------------------------------------------------------------- plumbing

    def _create_schema(self) -> None:
        _Base.metadata.create_all(self._engine)
        with self._sessions.begin() as session:
            meta = session.get(_Meta, "schema_version")
            if meta is None:
                session.add(_Meta(key="schema_version", value=SCHEMA_VERSION))
            elif meta.value != SCHEMA_VERSION:
                raise ThxError(
                    f"records database {self.url!r} has schema {meta.value}, "
                    f"this version of theranostix reads schema {SCHEMA_VERSION}"
                )

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now(self) -> datetime:
        return _aware(self._clock(), "clock time")

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: committed at the end, rolled back on any error."""
        try:
            with self._sessions.begin() as session:
                yield session
        except sa.exc.IntegrityError as exc:
            raise ThxError(f"records database refused the change: {exc.orig}") from None

    def _batch_row(self, session: Session, lot: str, *, lock: bool = False) -> _Batch:
        stmt = sa.select(_Batch).where(_Batch.lot == lot)
        if lock:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise ThxError(f"batch lot {lot!r}: no such batch in {self._engine.url!r}")
        return row

    def _event(
        self,
        session: Session,
        batch: _Batch | None,
        action: str,
        actor: str,
        payload: Mapping[str, Any],
        corrects: int | None = None,
    ) -> _Event:
        row = _Event(
            batch_id=None if batch is None else batch.id,
            action=action,
            actor=actor,
            at=self._now(),
            payload=to_plain(dict(payload)),
            corrects_id=corrects,
        )
        session.add(row)
        session.flush()
        return row

    def spec(self, product: str) -> QcSpec:
        """The QC specification of ``product`` in this store's QC limits."""
        return qc_spec(product, self._specs)

    # ----------------------------------------------------------------- batches

    def create_batch(
        self,
        *,
        lot: str,
        nuclide: str,
        product: str,
        activity_bq: float,
        volume_ml: float,
        calibration_time: datetime,
        expiry_time: datetime,
        user: str,
        generator_lot: str | None = None,
        kit_lot: str | None = None,
        precursor_lot: str | None = None,
    ) -> BatchRecord:
        """Record a new batch (status ``draft``).

        Raises
        ------
        ThxError
            Duplicate lot, unknown nuclide or product, nuclide not that of the product,
            non-positive activity or volume, naive datetimes, expiry not after calibration.
        """
        from theranostix.nuclides import Nuclide

        actor = _actor(user)
        lot_text = _text(lot, "lot")
        assert lot_text is not None
        spec = self.spec(product)
        name = Nuclide(nuclide).name
        if name != Nuclide(spec.nuclide).name:
            raise ThxError(
                f"batch lot {lot_text!r}: nuclide {name} does not match product "
                f"{spec.key!r} ({spec.nuclide})"
            )
        cal = _aware(calibration_time, "calibration_time")
        exp = _aware(expiry_time, "expiry_time")
        if exp <= cal:
            raise ThxError(f"batch lot {lot_text!r}: expiry_time {exp} is not after {cal}")
        values: dict[str, Any] = {
            "lot": lot_text,
            "nuclide": name,
            "product": spec.key,
            "activity_bq": _positive(activity_bq, "activity_bq"),
            "volume_ml": _positive(volume_ml, "volume_ml"),
            "calibration_time": cal,
            "expiry_time": exp,
            "generator_lot": _text(generator_lot, "generator_lot", required=False),
            "kit_lot": _text(kit_lot, "kit_lot", required=False),
            "precursor_lot": _text(precursor_lot, "precursor_lot", required=False),
        }
        with self._write() as session:
            exists = session.scalars(sa.select(_Batch.id).where(_Batch.lot == lot_text)).first()
            if exists is not None:
                raise ThxError(f"batch lot {lot_text!r} already exists; lots are unique")
            row = _Batch(
                **values,
                status=BatchStatus.DRAFT.value,
                created_by=actor,
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            self._event(session, row, "batch.created", actor, values)
            return _batch_record(row)

    def correct_batch(
        self, lot: str, changes: Mapping[str, Any], *, user: str, reason: str
    ) -> BatchRecord:
        """Correct defining fields of a draft or in-QC batch; refused once released or rejected.

        The correction is an event naming the corrected event, with old and new values.

        Raises
        ------
        ThxError
            The batch is released or rejected (names the lot and the field), an unknown
            field, an invalid value, or no reason.
        """
        actor = _actor(user)
        why = _text(reason, "reason")
        editable = set(_DEFINING) - {"lot", "product", "nuclide"}
        for key in changes:
            if key not in _DEFINING:
                raise ThxError(f"batch lot {lot!r}: {key!r} is not a batch field")
        with self._write() as session:
            row = self._batch_row(session, lot, lock=True)
            status = BatchStatus(row.status)
            if status in (BatchStatus.RELEASED, BatchStatus.REJECTED):
                key = next(iter(changes), "any field")
                raise ThxError(
                    f"batch lot {lot!r} is {status.value}: field {key!r} cannot be changed"
                )
            for key in changes:
                if key not in editable:
                    raise ThxError(
                        f"batch lot {lot!r}: field {key!r} cannot be corrected; reject the "
                        "batch and record a new one"
                    )
            old: dict[str, Any] = {}
            new: dict[str, Any] = {}
            for key, value in changes.items():
                if key in ("activity_bq", "volume_ml"):
                    value = _positive(value, key)
                elif key in ("calibration_time", "expiry_time"):
                    value = _aware(value, key)
                else:
                    value = _text(value, key, required=False)
                old[key] = getattr(row, key)
                new[key] = value
                setattr(row, key, value)
            if row.expiry_time <= row.calibration_time:
                raise ThxError(f"batch lot {lot!r}: expiry_time is not after calibration_time")
            corrected = session.scalars(
                sa.select(_Event.id)
                .where(_Event.batch_id == row.id)
                .where(_Event.action.in_(("batch.created", "batch.corrected")))
                .order_by(_Event.id.desc())
            ).first()
            self._event(
                session,
                row,
                "batch.corrected",
                actor,
                {"old": old, "new": new, "reason": why},
                corrects=corrected,
            )
            return _batch_record(row)

    # ----------------------------------------------------------------- QC

    def _add_qc(
        self,
        session: Session,
        row: _Batch,
        actor: str,
        test: str,
        value: float | None,
        passed: bool | None,
        observation: str | None,
        reason: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> _QcResult:
        status = BatchStatus(row.status)
        if status not in (BatchStatus.DRAFT, BatchStatus.QC):
            raise ThxError(f"batch lot {row.lot!r} is {status.value}: QC results cannot be added")
        limit = self.spec(row.product).limit(test)
        outcome = limit.evaluate(value, passed=passed)
        previous = session.scalars(
            sa.select(_QcResult)
            .where(_QcResult.batch_id == row.id, _QcResult.test == test)
            .order_by(_QcResult.id.desc())
        ).first()
        why = _text(reason, "reason", required=False)
        if previous is not None and why is None:
            raise ThxError(
                f"batch lot {row.lot!r}: QC test {test!r} already has a result "
                f"(id {previous.id}); a repeat or correction needs a reason"
            )
        result = _QcResult(
            batch_id=row.id,
            test=test,
            value=value,
            unit=limit.unit,
            observation=_text(observation, "observation", required=False),
            passed=outcome.passed,
            limit_text=outcome.limit,
            supersedes_id=None if previous is None else previous.id,
            reason=why,
            recorded_by=actor,
            recorded_at=self._now(),
        )
        session.add(result)
        session.flush()
        corrects: int | None = None
        if previous is not None:
            for ev in session.scalars(
                sa.select(_Event)
                .where(_Event.batch_id == row.id, _Event.action.like("qc.%"))
                .order_by(_Event.id.desc())
            ):
                if ev.payload.get("qc_result_id") == previous.id:
                    corrects = ev.id
                    break
        payload: dict[str, Any] = {
            "qc_result_id": result.id,
            "test": test,
            "value": value,
            "unit": limit.unit,
            "observation": result.observation,
            "passed": outcome.passed,
            "limit": outcome.limit,
            "reason": why,
            **(extra or {}),
        }
        if status is BatchStatus.DRAFT:
            row.status = BatchStatus.QC.value
            payload["status"] = BatchStatus.QC.value
        action = "qc.recorded" if previous is None else "qc.corrected"
        self._event(session, row, action, actor, payload, corrects=corrects)
        return result

    def record_qc(
        self,
        lot: str,
        test: str,
        *,
        user: str,
        value: float | None = None,
        passed: bool | None = None,
        observation: str | None = None,
        reason: str | None = None,
    ) -> QcResultRecord:
        """Record one QC result, judged against the product's configured limit.

        A numeric test takes ``value`` (in the configured unit: % for radiochemical
        purity, min for half-life); a pass/fail test (appearance) takes ``passed`` and an
        ``observation``. A second result for a test (retest or correction) needs a
        ``reason`` and supersedes the earlier one, which stays in the record.
        """
        actor = _actor(user)
        with self._write() as session:
            row = self._batch_row(session, lot, lock=True)
            result = self._add_qc(session, row, actor, test, value, passed, observation, reason)
            session.refresh(row)
            return next(q for q in _qc_records(row) if q.id == result.id)

    def record_qc_many(
        self, lot: str, results: Mapping[str, float | bool], *, user: str
    ) -> list[QcResultRecord]:
        """Record several first QC results at once (``True``/``False`` for pass/fail tests).

        All or nothing: one invalid result leaves the database unchanged.
        """
        actor = _actor(user)
        with self._write() as session:
            row = self._batch_row(session, lot, lock=True)
            ids = []
            for test, value in results.items():
                if isinstance(value, bool):
                    res = self._add_qc(session, row, actor, test, None, value, None, None)
                else:
                    res = self._add_qc(session, row, actor, test, float(value), None, None, None)
                ids.append(res.id)
            session.refresh(row)
            return [q for q in _qc_records(row) if q.id in ids]

    def record_half_life(
        self,
        lot: str,
        readings: Sequence[tuple[datetime, float]],
        *,
        user: str,
        calibrator_id: str | None = None,
        reason: str | None = None,
    ) -> tuple[QcResultRecord, HalfLifeFit]:
        """Radionuclidic identity: fit the half-life to dose-calibrator readings and record it.

        The recorded value of test ``half_life`` is the fitted half-life in minutes; the
        readings, the nominal half-life and the deviation go into the event payload.
        """
        actor = _actor(user)
        with self._write() as session:
            row = self._batch_row(session, lot, lock=True)
            fit = fit_half_life(readings, nuclide=row.nuclide)
            extra = {
                "readings": [{"at": t, "activity_bq": a} for t, a in readings],
                "calibrator_id": calibrator_id,
                "half_life_s": fit.half_life_s,
                "nominal_half_life_s": fit.nominal_half_life_s,
                "deviation_pct": fit.deviation_pct,
                "max_residual_pct": fit.max_residual_pct,
                "method": "least squares on ln(activity)",
            }
            result = self._add_qc(
                session, row, actor, "half_life", fit.half_life_min, None, None, reason, extra
            )
            session.refresh(row)
            record = next(q for q in _qc_records(row) if q.id == result.id)
            return record, fit

    def _qc_gaps(self, row: _Batch) -> tuple[list[str], list[str]]:
        current = {q.test: q for q in _qc_records(row) if not q.superseded}
        tests = self.spec(row.product).tests
        missing = [t for t in tests if t not in current]
        failing = [t for t in tests if t in current and not current[t].passed]
        return missing, failing

    def release(self, lot: str, *, user: str) -> BatchRecord:
        """Release a batch for use: every configured QC test recorded and passing.

        Raises
        ------
        ThxError
            Listing the missing and failing tests; or the batch is not in draft/QC, or expired.
        """
        actor = _actor(user)
        with self._write() as session:
            row = self._batch_row(session, lot, lock=True)
            status = _batch_record(row).status_at(self._now())
            if status not in (BatchStatus.DRAFT, BatchStatus.QC):
                raise ThxError(f"batch lot {lot!r} is {status.value}: it cannot be released")
            missing, failing = self._qc_gaps(row)
            if missing or failing:
                parts = []
                if failing:
                    parts.append(f"failing QC: {', '.join(failing)}")
                if missing:
                    parts.append(f"missing QC: {', '.join(missing)}")
                raise ThxError(f"batch lot {lot!r} cannot be released; {'; '.join(parts)}")
            qc_ids = [q.id for q in _qc_records(row) if not q.superseded]
            row.status = BatchStatus.RELEASED.value
            self._event(
                session, row, "batch.released", actor, {"status": "released", "qc_ids": qc_ids}
            )
            return _batch_record(row)

    def reject(self, lot: str, *, user: str, reason: str) -> BatchRecord:
        """Reject a batch in draft or QC (terminal; the reason is recorded)."""
        actor = _actor(user)
        why = _text(reason, "reason")
        with self._write() as session:
            row = self._batch_row(session, lot, lock=True)
            status = BatchStatus(row.status)
            if status not in (BatchStatus.DRAFT, BatchStatus.QC):
                raise ThxError(f"batch lot {lot!r} is {status.value}: it cannot be rejected")
            row.status = BatchStatus.REJECTED.value
            self._event(
                session, row, "batch.rejected", actor, {"status": "rejected", "reason": why}
            )
            return _batch_record(row)

    # ----------------------------------------------------------------- doses

    @staticmethod
    def _remaining_bq(row: _Batch, when: datetime) -> float:
        from theranostix.nuclides import decay
        from theranostix.units import elapsed_s

        left = _batch_record(row).activity_at_bq(when)
        for dose in row.doses:
            left -= float(
                decay(dose.measured_activity_bq, row.nuclide, elapsed_s(dose.measured_at, when))
            )
        return left

    def dispense(
        self,
        lot: str,
        *,
        patient_id: str,
        prescribed_activity_bq: float,
        measured_activity_bq: float,
        measured_at: datetime,
        calibrator_id: str,
        user: str,
        tolerance_pct: float = DEFAULT_TOLERANCE_PCT,
        dose_id: str | None = None,
        volume_ml: float | None = None,
    ) -> DoseRecord:
        """Record a dose drawn from a released batch with its dose-calibrator measurement.

        ``prescribed_activity_bq`` is the activity intended at ``measured_at``; a measured
        activity deviating by more than ``tolerance_pct`` is recorded and flagged
        (``within_tolerance`` false), and can then only be administered with a reason.

        Raises
        ------
        ThxError
            Batch not released or expired at ``measured_at``; measured activity above what
            is left in the batch; duplicate dose id; invalid numbers.
        """
        actor = _actor(user)
        patient = _text(patient_id, "patient_id")
        calibrator = _text(calibrator_id, "calibrator_id")
        prescribed = _positive(prescribed_activity_bq, "prescribed_activity_bq")
        measured = _positive(measured_activity_bq, "measured_activity_bq")
        tol = _positive(tolerance_pct, "tolerance_pct")
        when = _aware(measured_at, "measured_at")
        vol = None if volume_ml is None else _positive(volume_ml, "volume_ml")
        with self._write() as session:
            row = self._batch_row(session, lot, lock=True)
            status = _batch_record(row).status_at(when)
            if status is not BatchStatus.RELEASED:
                detail = f" at {when.isoformat()}" if status is BatchStatus.EXPIRED else ""
                raise ThxError(
                    f"batch lot {lot!r} is {status.value}{detail}: dispensing is refused"
                )
            remaining = self._remaining_bq(row, when)
            if measured > remaining * (1.0 + _REL_EPS):
                raise ThxError(
                    f"batch lot {lot!r}: measured dose {measured / 1e6:.1f} MBq exceeds the "
                    f"{max(remaining, 0.0) / 1e6:.1f} MBq left at {when.isoformat()}"
                )
            ident = (
                _text(dose_id, "dose_id", required=False) or f"{row.lot}-D{len(row.doses) + 1:03d}"
            )
            if session.scalars(sa.select(_Dose.id).where(_Dose.dose_id == ident)).first():
                raise ThxError(f"dose id {ident!r} already exists")
            deviation = 100.0 * (measured - prescribed) / prescribed
            dose = _Dose(
                dose_id=ident,
                batch_id=row.id,
                patient_id=patient,
                prescribed_activity_bq=prescribed,
                measured_activity_bq=measured,
                measured_at=when,
                calibrator_id=calibrator,
                tolerance_pct=tol,
                within_tolerance=abs(deviation) <= tol + _REL_EPS,
                volume_ml=vol,
                dispensed_by=actor,
                recorded_at=self._now(),
            )
            session.add(dose)
            session.flush()
            session.refresh(row)
            record = _dose_record(dose)
            self._event(
                session,
                row,
                "dose.dispensed",
                actor,
                {
                    **{k: v for k, v in vars(record).items() if k not in ("recorded_at",)},
                    "remaining_before_bq": remaining,
                },
            )
            return record

    def administer(
        self,
        dose_id: str,
        *,
        patient_id: str,
        administered_at: datetime,
        user: str,
        residual_activity_bq: float = 0.0,
        residual_measured_at: datetime | None = None,
        deviation_reason: str | None = None,
    ) -> AdministrationRecord:
        """Record the administration of a dispensed dose to its patient.

        The administered activity is the measured dose decayed to ``administered_at``
        minus the residual left in the syringe (measured at ``residual_measured_at``,
        default the administration time, decayed back to it).

        Raises
        ------
        ThxError
            Unknown dose, wrong patient, already administered, before the dose was measured,
            after batch expiry, residual above the dose, or an out-of-tolerance dose without
            a ``deviation_reason``.
        """
        from theranostix.nuclides import decay
        from theranostix.units import elapsed_s

        actor = _actor(user)
        patient = _text(patient_id, "patient_id")
        when = _aware(administered_at, "administered_at")
        residual = _positive(residual_activity_bq, "residual_activity_bq", zero=True)
        why = _text(deviation_reason, "deviation_reason", required=False)
        with self._write() as session:
            dose = session.scalars(
                sa.select(_Dose).where(_Dose.dose_id == dose_id).with_for_update()
            ).one_or_none()
            if dose is None:
                raise ThxError(f"dose id {dose_id!r}: no such dose")
            lot = dose.batch.lot
            if dose.patient_id != patient:
                raise ThxError(
                    f"dose {dose_id!r} (lot {lot!r}) was dispensed for patient "
                    f"{dose.patient_id!r}, not {patient!r}"
                )
            if dose.administration is not None:
                raise ThxError(f"dose {dose_id!r} was already administered")
            if when < dose.measured_at:
                raise ThxError(
                    f"dose {dose_id!r}: administered_at {when.isoformat()} is before its "
                    f"measurement at {dose.measured_at.isoformat()}"
                )
            if _batch_record(dose.batch).status_at(when) is BatchStatus.EXPIRED:
                raise ThxError(f"batch lot {lot!r} expired before {when.isoformat()}")
            if not dose.within_tolerance and why is None:
                raise ThxError(
                    f"dose {dose_id!r} (lot {lot!r}) is outside its ±{dose.tolerance_pct:g} % "
                    "tolerance: administering it needs a deviation reason"
                )
            at_admin = float(
                decay(
                    dose.measured_activity_bq, dose.batch.nuclide, elapsed_s(dose.measured_at, when)
                )
            )
            res_when = (
                when
                if residual_measured_at is None
                else _aware(residual_measured_at, "residual_measured_at")
            )
            residual_at = float(decay(residual, dose.batch.nuclide, elapsed_s(res_when, when)))
            if residual_at > at_admin * (1.0 + _REL_EPS):
                raise ThxError(
                    f"dose {dose_id!r}: residual {residual_at / 1e6:.2f} MBq exceeds the dose "
                    f"{at_admin / 1e6:.2f} MBq at administration"
                )
            admin = _Administration(
                dose_pk=dose.id,
                patient_id=patient,
                administered_at=when,
                residual_activity_bq=residual,
                administered_activity_bq=max(at_admin - residual_at, 0.0),
                deviation_reason=why,
                administered_by=actor,
                recorded_at=self._now(),
            )
            session.add(admin)
            session.flush()
            session.refresh(dose)
            record = _admin_record(admin)
            payload = {k: v for k, v in vars(record).items() if k != "recorded_at"}
            payload["residual_measured_at"] = res_when
            payload["lot"] = lot
            self._event(session, dose.batch, "dose.administered", actor, payload)
            return record

    def correct_event(
        self, event_id: int, *, user: str, reason: str, payload: Mapping[str, Any] | None = None
    ) -> EventRecord:
        """Append a correction of an earlier event (e.g. a transcription error).

        The corrected event is left as it is; the new ``event.corrected`` event names it,
        carries the reason and the corrected values. Corrections that change a batch or a
        QC result go through :meth:`correct_batch` and :meth:`record_qc`.
        """
        actor = _actor(user)
        why = _text(reason, "reason")
        with self._write() as session:
            target = session.get(_Event, event_id)
            if target is None:
                raise ThxError(f"event id {event_id}: no such event")
            batch = None if target.batch_id is None else session.get(_Batch, target.batch_id)
            row = self._event(
                session,
                batch,
                "event.corrected",
                actor,
                {"reason": why, "corrected_action": target.action, "values": dict(payload or {})},
                corrects=target.id,
            )
            return _event_record(row, None if batch is None else batch.lot)

    # ----------------------------------------------------------------- reading

    def batch(self, lot: str) -> BatchRecord:
        """The batch ``lot`` as stored."""
        with self._sessions() as session:
            return _batch_record(self._batch_row(session, lot))

    def list_batches(self) -> list[BatchRecord]:
        """Every batch, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(sa.select(_Batch).order_by(_Batch.id))
            return [_batch_record(r) for r in rows]

    def report(self, lot: str, at: datetime | None = None) -> BatchReport:
        """The batch with its QC, doses, administrations and remaining activity at ``at``."""
        when = self._now() if at is None else _aware(at, "at")
        with self._sessions() as session:
            row = self._batch_row(session, lot)
            missing, failing = self._qc_gaps(row)
            batch = _batch_record(row)
            return BatchReport(
                batch=batch,
                at=when,
                status=batch.status_at(when),
                qc=_qc_records(row),
                qc_missing=missing,
                qc_failing=failing,
                remaining_activity_bq=self._remaining_bq(row, when),
                doses=[_dose_record(d) for d in row.doses],
                administrations=[
                    _admin_record(d.administration) for d in row.doses if d.administration
                ],
            )

    def remaining_activity_bq(self, lot: str, at: datetime) -> float:
        """Activity left in batch ``lot`` at ``at`` after every dose drawn, Bq."""
        when = _aware(at, "at")
        with self._sessions() as session:
            return self._remaining_bq(self._batch_row(session, lot), when)

    def history(self, lot: str) -> list[EventRecord]:
        """The audit trail of batch ``lot``, oldest first."""
        with self._sessions() as session:
            row = self._batch_row(session, lot)
            events = session.scalars(
                sa.select(_Event).where(_Event.batch_id == row.id).order_by(_Event.id)
            )
            return [_event_record(e, row.lot) for e in events]

    def event_count(self) -> int:
        """Number of events in the audit trail (it only grows)."""
        with self._sessions() as session:
            return int(session.scalar(sa.select(sa.func.count(_Event.id))) or 0)

    def _trace(self, dose: _Dose) -> TraceRecord:
        return TraceRecord(
            patient_id=dose.patient_id,
            dose=_dose_record(dose),
            administration=None
            if dose.administration is None
            else _admin_record(dose.administration),
            batch=_batch_record(dose.batch),
            qc=[q for q in _qc_records(dose.batch) if not q.superseded],
        )

    def trace_patient(self, patient_id: str) -> list[TraceRecord]:
        """Every dose dispensed for ``patient_id`` → batch → generator/kit/precursor lots, QC."""
        with self._sessions() as session:
            doses = session.scalars(
                sa.select(_Dose).where(_Dose.patient_id == patient_id).order_by(_Dose.measured_at)
            )
            return [self._trace(d) for d in doses]

    def recall(self, lot: str) -> RecallReport:
        """Every patient dispensed a dose from a batch that used ``lot``.

        ``lot`` is matched against batch, generator, kit and precursor lots;
        ``batches`` maps each matching batch lot to how it matched.
        """
        with self._sessions() as session:
            rows = session.scalars(
                sa.select(_Batch)
                .where(
                    sa.or_(
                        _Batch.lot == lot,
                        _Batch.generator_lot == lot,
                        _Batch.kit_lot == lot,
                        _Batch.precursor_lot == lot,
                    )
                )
                .order_by(_Batch.id)
            ).all()
            report = RecallReport(lot=lot)
            for row in rows:
                report.batches[row.lot] = [
                    role
                    for role, value in (
                        ("batch", row.lot),
                        ("generator", row.generator_lot),
                        ("kit", row.kit_lot),
                        ("precursor", row.precursor_lot),
                    )
                    if value == lot
                ]
                report.records.extend(self._trace(d) for d in row.doses)
            return report


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def parse_status(text: str) -> BatchStatus:
    """Read a batch status name (``draft``, ``qc``, ``released``, ``rejected``, ``expired``)."""
    return parse_enum(BatchStatus, text, "status")

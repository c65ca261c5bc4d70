"""RecordStore on SQLite and on a real PostgreSQL (pgserver): life cycle, refusals, audit trail."""

from __future__ import annotations

import itertools
import math
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from theranostix.errors import ThxError
from theranostix.pharmacy._records import BatchStatus, RecordStore

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # calibration time of the F-18 batch
F18_HALF_LIFE_MIN = 109.77  # ICRP 107
_counter = itertools.count()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Returns a function that makes a new, empty database and gives its URL."""
    if request.param == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="thx-sqlite-"))
        yield lambda: f"sqlite:///{folder / f'records{next(_counter)}.sqlite'}"
        return
    runtime = tempfile.mkdtemp(prefix="thx-xdg-")  # mode 0700, as platformdirs wants
    os.environ.setdefault("XDG_RUNTIME_DIR", runtime)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tempfile.mkdtemp(prefix="thxpg"), cleanup_mode="stop")
    base = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")

    def make() -> str:
        name = f"thx_records_{next(_counter)}"
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        return base.replace("/postgres?", f"/{name}?", 1)

    try:
        yield make
    finally:
        admin.dispose()
        server.cleanup()


class Clock:
    """A settable clock: the recording time of every event."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(minutes=5))


@pytest.fixture
def store(database_factory: Callable[[], str], clock: Clock) -> Iterator[RecordStore]:
    s = RecordStore(database_factory(), clock=clock)
    yield s
    s.close()


def new_fdg(store: RecordStore, lot: str = "FDG-001", **kw: Any) -> None:
    args: dict[str, Any] = {
        "lot": lot, "nuclide": "F-18", "product": "fdg", "activity_bq": 20e9, "volume_ml": 10.0,
        "calibration_time": T0, "expiry_time": T0 + timedelta(hours=10), "user": "qp.martin",
        "generator_lot": None, "kit_lot": "KIT-7", "precursor_lot": "MAN-2026-11",
    }  # fmt: skip
    args.update(kw)
    store.create_batch(**args)


HALF_LIFE_READINGS = [(T0 + timedelta(hours=1), 1000e6), (T0 + timedelta(hours=1.5), 827.3e6)]


def released_fdg(store: RecordStore, lot: str = "FDG-001", **kw: Any) -> None:
    new_fdg(store, lot, **kw)
    store.record_qc_many(lot, {"radiochemical_purity": 98.5, "ph": 6.0, "appearance": True},
                         user="qc.dubois")  # fmt: skip
    store.record_half_life(lot, HALF_LIFE_READINGS, user="qc.dubois", calibrator_id="CRC-1")
    store.release(lot, user="qp.martin")


def count_rows(store: RecordStore, table: str) -> int:
    with store._engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


# ------------------------------------------------------------------ life cycle


def test_full_lifecycle_and_traceability(store: RecordStore, clock: Clock) -> None:
    new_fdg(store)
    assert store.batch("FDG-001").status is BatchStatus.DRAFT
    store.record_qc("FDG-001", "radiochemical_purity", value=98.5, user="qc.dubois")
    assert store.batch("FDG-001").status is BatchStatus.QC
    store.record_qc("FDG-001", "ph", value=6.0, user="qc.dubois")
    store.record_qc("FDG-001", "appearance", passed=True, observation="clear", user="qc.dubois")
    qc, fit = store.record_half_life("FDG-001", HALF_LIFE_READINGS, user="qc.dubois")
    # by hand: T = 30 min · ln 2 / ln(1000/827.3) = 20.7944 / 0.189588 = 109.68 min
    assert qc.value == pytest.approx(109.68, abs=0.01)
    assert qc.passed and fit.deviation_pct == pytest.approx(-0.08, abs=0.01)
    clock.now = T0 + timedelta(minutes=50)
    released = store.release("FDG-001", user="qp.martin")
    assert released.status is BatchStatus.RELEASED

    # dose at 09:00 (2 h after calibration): 370 MBq prescribed, 380 MBq measured (+2.7 %)
    t_dose = T0 + timedelta(hours=2)
    dose = store.dispense("FDG-001", patient_id="P-0042", prescribed_activity_bq=370e6,
                          measured_activity_bq=380e6, measured_at=t_dose,
                          calibrator_id="CRC-1", user="tech.leroy")  # fmt: skip
    assert dose.dose_id == "FDG-001-D001"
    assert dose.within_tolerance and dose.deviation_pct == pytest.approx(100 * 10 / 370)
    t_admin = T0 + timedelta(hours=2, minutes=10)
    admin = store.administer(dose.dose_id, patient_id="P-0042", administered_at=t_admin,
                             residual_activity_bq=5e6, user="nurse.petit")  # fmt: skip
    expected = 380e6 * 2 ** (-10 / F18_HALF_LIFE_MIN) - 5e6  # 357.8 MBq - 5 MBq
    assert admin.administered_activity_bq == pytest.approx(expected, rel=1e-4)
    assert admin.administered_activity_bq == pytest.approx(351.7e6, rel=1e-3)
    assert admin.administered_at == t_admin and admin.administered_at.tzinfo is not None

    # batch at 09:00: 20 GBq · 2^(-120/109.77) = 9.375 GBq; after the dose 8.995 GBq
    left = store.remaining_activity_bq("FDG-001", t_dose)
    assert left == pytest.approx(20e9 * 2 ** (-120 / F18_HALF_LIFE_MIN) - 380e6, rel=1e-4)
    assert left == pytest.approx(8.995e9, rel=1e-3)

    trace = store.trace_patient("P-0042")
    assert len(trace) == 1
    rec = trace[0]
    assert (rec.batch.lot, rec.batch.kit_lot, rec.batch.precursor_lot) == (
        "FDG-001", "KIT-7", "MAN-2026-11")  # fmt: skip
    assert rec.administration is not None and rec.administration.administered_by == "nurse.petit"
    assert {q.test for q in rec.qc} == {"radiochemical_purity", "ph", "appearance", "half_life"}

    actions = [e.action for e in store.history("FDG-001")]
    assert actions == ["batch.created", "qc.recorded", "qc.recorded", "qc.recorded",
                       "qc.recorded", "batch.released", "dose.dispensed", "dose.administered"]  # fmt: skip
    events = store.history("FDG-001")
    assert events[5].at == T0 + timedelta(minutes=50) and events[5].actor == "qp.martin"
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == timedelta(0) for e in events)


def test_datetimes_round_trip_in_utc(store: RecordStore) -> None:
    from zoneinfo import ZoneInfo

    paris = T0.astimezone(ZoneInfo("Europe/Paris"))
    new_fdg(store, calibration_time=paris)
    batch = store.batch("FDG-001")
    assert batch.calibration_time == T0
    assert batch.calibration_time.tzinfo is UTC
    with pytest.raises(ThxError, match=r"calibration_time.*no time zone"):
        new_fdg(store, lot="X", calibration_time=datetime(2026, 11, 23, 8, 0))


# ------------------------------------------------------------------ refusals


def test_release_refused_with_failing_and_missing_qc(store: RecordStore) -> None:
    new_fdg(store)
    store.record_qc("FDG-001", "radiochemical_purity", value=93.0, user="qc.dubois")
    store.record_qc("FDG-001", "ph", value=6.0, user="qc.dubois")
    with pytest.raises(ThxError) as err:
        store.release("FDG-001", user="qp.martin")
    message = str(err.value)
    assert "FDG-001" in message
    assert "failing QC: radiochemical_purity" in message
    assert "missing QC: half_life, appearance" in message
    assert store.batch("FDG-001").status is BatchStatus.QC
    report = store.report("FDG-001")
    assert report.qc_failing == ["radiochemical_purity"] and not report.releasable


def test_half_life_identity_failure_blocks_release(store: RecordStore) -> None:
    new_fdg(store)
    store.record_qc_many("FDG-001", {"radiochemical_purity": 98.0, "ph": 6.0, "appearance": True},
                         user="qc.dubois")  # fmt: skip
    # 1000 -> 800 MBq in 30 min: T = 20.794 / ln 1.25 = 93.19 min, outside 105-115 min
    qc, _fit = store.record_half_life(
        "FDG-001", [(T0, 1000e6), (T0 + timedelta(minutes=30), 800e6)], user="qc.dubois"
    )
    assert qc.value == pytest.approx(93.19, abs=0.01) and not qc.passed
    with pytest.raises(ThxError, match="failing QC: half_life"):
        store.release("FDG-001", user="qp.martin")


def test_released_batch_cannot_be_edited(store: RecordStore) -> None:
    released_fdg(store)
    before = store.event_count()
    with pytest.raises(ThxError, match=r"batch lot 'FDG-001' is released: field 'activity_bq'"):
        store.correct_batch("FDG-001", {"activity_bq": 25e9}, user="qp.martin", reason="typo")
    with pytest.raises(ThxError, match=r"FDG-001.*released.*QC results cannot be added"):
        store.record_qc("FDG-001", "ph", value=7.0, user="qc.dubois", reason="retest")
    with pytest.raises(ThxError, match="released: it cannot be rejected"):
        store.reject("FDG-001", user="qp.martin", reason="late doubt")
    assert store.batch("FDG-001").activity_bq == 20e9
    assert store.event_count() == before


def test_correction_of_draft_batch_is_a_new_event(store: RecordStore) -> None:
    new_fdg(store)
    created = store.history("FDG-001")[0]
    store.correct_batch("FDG-001", {"activity_bq": 21e9}, user="qp.martin",
                        reason="transcription error")  # fmt: skip
    events = store.history("FDG-001")
    assert len(events) == 2
    assert events[0] == created  # the original event is unchanged
    assert events[1].action == "batch.corrected" and events[1].corrects == created.id
    assert events[1].payload["old"] == {"activity_bq": 20e9}
    assert events[1].payload["new"] == {"activity_bq": 21e9}
    assert store.batch("FDG-001").activity_bq == 21e9
    with pytest.raises(ThxError, match="field 'lot' cannot be corrected"):
        store.correct_batch("FDG-001", {"lot": "FDG-002"}, user="qp.martin", reason="x")


def test_qc_correction_supersedes_and_keeps_the_original(store: RecordStore) -> None:
    new_fdg(store)
    first = store.record_qc("FDG-001", "ph", value=9.0, user="qc.dubois")
    assert not first.passed
    with pytest.raises(ThxError, match=r"already has a result.*needs a reason"):
        store.record_qc("FDG-001", "ph", value=6.5, user="qc.dubois")
    n = store.event_count()
    second = store.record_qc("FDG-001", "ph", value=6.5, user="qc.dubois",
                             reason="pH strip misread; re-measured")  # fmt: skip
    assert store.event_count() == n + 1
    assert second.passed and second.supersedes == first.id
    qc = store.report("FDG-001").qc
    assert [(q.id, q.value, q.superseded) for q in qc] == [(first.id, 9.0, True),
                                                           (second.id, 6.5, False)]  # fmt: skip
    events = store.history("FDG-001")
    assert events[-1].action == "qc.corrected"
    assert events[-1].corrects == events[1].id and events[1].payload["value"] == 9.0


def test_dispense_refused_from_unreleased_expired_or_rejected(store: RecordStore) -> None:
    new_fdg(store)
    kwargs: dict[str, Any] = {"patient_id": "P1", "prescribed_activity_bq": 370e6,
                                  "measured_activity_bq": 370e6, "calibrator_id": "CRC-1",
                                  "user": "tech.leroy"}  # fmt: skip
    with pytest.raises(ThxError, match="batch lot 'FDG-001' is draft: dispensing is refused"):
        store.dispense("FDG-001", measured_at=T0 + timedelta(hours=1), **kwargs)
    new_fdg(store, lot="FDG-002")
    store.reject("FDG-002", user="qp.martin", reason="synthesis failure")
    with pytest.raises(ThxError, match="FDG-002' is rejected"):
        store.dispense("FDG-002", measured_at=T0 + timedelta(hours=1), **kwargs)
    released_fdg(store, lot="FDG-003")
    with pytest.raises(ThxError, match="FDG-003' is expired at 2026-11-23T17:30"):
        store.dispense("FDG-003", measured_at=T0 + timedelta(hours=10, minutes=30), **kwargs)
    assert store.report("FDG-003").doses == []


def test_over_dispensing_is_refused(store: RecordStore) -> None:
    released_fdg(store)
    t = T0 + timedelta(hours=2)  # 9.375 GBq left in the vial
    store.dispense("FDG-001", patient_id="P1", prescribed_activity_bq=5e9,
                   measured_activity_bq=5e9, measured_at=t, calibrator_id="CRC-1",
                   user="tech.leroy")  # fmt: skip
    # 4.375 GBq left at 09:00, 2.0 GBq of it an hour later 4.375 · 2^(-60/109.77) = 2.99 GBq
    with pytest.raises(ThxError, match=r"measured dose 4500.0 MBq exceeds the 4374.\d MBq left"):
        store.dispense("FDG-001", patient_id="P2", prescribed_activity_bq=4.5e9,
                       measured_activity_bq=4.5e9, measured_at=t, calibrator_id="CRC-1",
                       user="tech.leroy")  # fmt: skip
    later = t + timedelta(hours=1)
    left = store.remaining_activity_bq("FDG-001", later)
    assert left == pytest.approx(4.3747e9 * 2 ** (-60 / F18_HALF_LIFE_MIN), rel=1e-3)
    with pytest.raises(ThxError, match="exceeds"):
        store.dispense("FDG-001", patient_id="P2", prescribed_activity_bq=3.1e9,
                       measured_activity_bq=3.1e9, measured_at=later, calibrator_id="CRC-1",
                       user="tech.leroy")  # fmt: skip
    assert len(store.report("FDG-001").doses) == 1


def test_dose_outside_tolerance_is_flagged_and_needs_a_reason(store: RecordStore) -> None:
    released_fdg(store)
    t = T0 + timedelta(hours=2)
    dose = store.dispense("FDG-001", patient_id="P1", prescribed_activity_bq=370e6,
                          measured_activity_bq=420e6, measured_at=t, calibrator_id="CRC-1",
                          user="tech.leroy", tolerance_pct=10.0)  # fmt: skip
    assert dose.deviation_pct == pytest.approx(13.51, abs=0.01)
    assert not dose.within_tolerance
    with pytest.raises(ThxError, match=r"outside its ±10 % tolerance.*deviation reason"):
        store.administer(dose.dose_id, patient_id="P1", administered_at=t + timedelta(minutes=5),
                         user="nurse.petit")  # fmt: skip
    with pytest.raises(ThxError, match="dispensed for patient 'P1', not 'P2'"):
        store.administer(dose.dose_id, patient_id="P2", administered_at=t + timedelta(minutes=5),
                         user="nurse.petit", deviation_reason="x")  # fmt: skip
    admin = store.administer(dose.dose_id, patient_id="P1",
                             administered_at=t + timedelta(minutes=5), user="nurse.petit",
                             deviation_reason="physician accepted 420 MBq")  # fmt: skip
    assert admin.deviation_reason == "physician accepted 420 MBq"
    with pytest.raises(ThxError, match="already administered"):
        store.administer(dose.dose_id, patient_id="P1", administered_at=t + timedelta(minutes=6),
                         user="nurse.petit", deviation_reason="x")  # fmt: skip


def test_user_is_required_and_lots_are_unique(store: RecordStore) -> None:
    with pytest.raises(ThxError, match="user"):
        new_fdg(store, user="  ")
    new_fdg(store)
    with pytest.raises(ThxError, match="'FDG-001' already exists"):
        new_fdg(store)
    with pytest.raises(ThxError, match="nuclide Ga-68 does not match product 'fdg'"):
        new_fdg(store, lot="X", nuclide="Ga-68")
    with pytest.raises(ThxError, match="product 'fdgx' has no QC specification"):
        new_fdg(store, lot="Y", product="fdgx")


# ------------------------------------------------------------------ integrity


def test_failing_operation_leaves_the_database_unchanged(store: RecordStore) -> None:
    new_fdg(store)
    events = store.event_count()
    with pytest.raises(ThxError, match="'sterility' is not configured"):
        store.record_qc_many("FDG-001", {"radiochemical_purity": 98.0, "ph": 6.0,
                                         "sterility": True}, user="qc.dubois")  # fmt: skip
    assert store.event_count() == events
    assert store.report("FDG-001").qc == []
    assert store.batch("FDG-001").status is BatchStatus.DRAFT
    assert count_rows(store, "thx_qc_result") == 0


def test_error_after_the_insert_rolls_back(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    released_fdg(store)
    events = store.event_count()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ThxError("audit trail unavailable")

    monkeypatch.setattr(RecordStore, "_event", broken)
    with pytest.raises(ThxError, match="audit trail unavailable"):
        store.dispense("FDG-001", patient_id="P1", prescribed_activity_bq=370e6,
                       measured_activity_bq=370e6, measured_at=T0 + timedelta(hours=2),
                       calibrator_id="CRC-1", user="tech.leroy")  # fmt: skip
    monkeypatch.undo()
    assert count_rows(store, "thx_dose") == 0
    assert store.event_count() == events


@pytest.mark.parametrize("table", ["thx_event", "thx_qc_result"])
def test_history_tables_refuse_update_and_delete(store: RecordStore, table: str) -> None:
    released_fdg(store)
    rows = count_rows(store, table)
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store._engine.begin() as c:
            c.execute(sa.text(sql))
    assert count_rows(store, table) == rows


def test_released_batch_is_frozen_in_the_database(store: RecordStore) -> None:
    released_fdg(store)
    with pytest.raises(sa.exc.DBAPIError, match="frozen"), store._engine.begin() as conn:
        conn.execute(sa.text("UPDATE thx_batch SET activity_bq = 1 WHERE lot = 'FDG-001'"))
    with pytest.raises(sa.exc.DBAPIError, match="never deleted"), store._engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM thx_batch"))
    assert store.batch("FDG-001").activity_bq == 20e9


def test_event_count_only_grows_and_correction_is_an_event(store: RecordStore) -> None:
    released_fdg(store)
    dose = store.dispense("FDG-001", patient_id="P1", prescribed_activity_bq=370e6,
                          measured_activity_bq=372e6, measured_at=T0 + timedelta(hours=2),
                          calibrator_id="CRC-1", user="tech.leroy")  # fmt: skip
    before = store.history("FDG-001")
    target = before[-1]
    correction = store.correct_event(target.id, user="tech.leroy", reason="wrong calibrator id",
                                     payload={"calibrator_id": "CRC-2"})  # fmt: skip
    after = store.history("FDG-001")
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1 and after[-1] == correction
    assert correction.corrects == target.id and correction.payload["values"] == {
        "calibrator_id": "CRC-2"}  # fmt: skip
    assert store.report("FDG-001").doses[0].calibrator_id == dose.calibrator_id == "CRC-1"


def test_reopening_the_database_keeps_everything(database_factory: Callable[[], str]) -> None:
    url = database_factory()
    with RecordStore(url) as first:
        released_fdg(first)
        n = first.event_count()
    with RecordStore(url) as second:
        assert second.event_count() == n
        assert second.batch("FDG-001").status is BatchStatus.RELEASED


# ------------------------------------------------------------------ recall


def test_recall_by_batch_kit_generator_and_precursor(store: RecordStore) -> None:
    t = T0 + timedelta(hours=2)
    released_fdg(store, lot="FDG-001", kit_lot="KIT-7", precursor_lot="MAN-A")
    released_fdg(store, lot="FDG-002", kit_lot="KIT-8", precursor_lot="MAN-A")
    for lot, patients in (("FDG-001", ["P1", "P2"]), ("FDG-002", ["P3"])):
        for p in patients:
            store.dispense(lot, patient_id=p, prescribed_activity_bq=300e6,
                           measured_activity_bq=300e6, measured_at=t, calibrator_id="CRC-1",
                           user="tech.leroy")  # fmt: skip
    store.administer("FDG-001-D001", patient_id="P1", administered_at=t + timedelta(minutes=3),
                     user="nurse.petit")  # fmt: skip
    by_precursor = store.recall("MAN-A")
    assert by_precursor.patients == ["P1", "P2", "P3"]
    assert by_precursor.batches == {"FDG-001": ["precursor"], "FDG-002": ["precursor"]}
    by_kit = store.recall("KIT-7")
    assert by_kit.patients == ["P1", "P2"]
    assert [r.administration is not None for r in by_kit.records] == [True, False]
    assert store.recall("FDG-002").batches == {"FDG-002": ["batch"]}
    assert store.recall("NOPE").patients == []
    assert math.isfinite(store.report("FDG-001").remaining_activity_bq)

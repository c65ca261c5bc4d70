"""Radiopharmacy: PET dispensing plans, Ga-68 labelling days, batch records, therapy vials.

Main entry points
-----------------
plan_pet_day, replan_pet_day, read_events_csv, order_activity_at_calibration
    The day's PET doses drawn from one multi-dose vial: activities, volumes, the
    order to place at calibration time, feasibility, residual; re-planning after
    late, absent or added patients or a vial measured low.
plan_ga68_day
    A Ga-68 labelling day from the patient list: the fewest generator elutions.
RecordStore, fit_half_life
    Append-only batch records (SQLite or PostgreSQL): QC and release, dispensed
    doses with their dose-calibrator readings, administrations, traceability.
order_therapy, lu177m_ratio
    Lu-177 therapy vials ordered against their calibration date; Lu-177m content.

Activities are in Bq and durations in s inside; datetimes are timezone-aware.

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    # _protocols
    "PetProtocol": "_protocols",
    "Prescription": "_protocols",
    "load_pet_protocols": "_protocols",
    "pet_protocol": "_protocols",
    "pet_protocols": "_protocols",
    # _dispensing
    "BLOCKING_FLAGS": "_dispensing",
    "DispensingSettings": "_dispensing",
    "DoseFlag": "_dispensing",
    "DoseIssue": "_dispensing",
    "DoseStatus": "_dispensing",
    "PatientAbsent": "_dispensing",
    "PatientAdded": "_dispensing",
    "PatientLate": "_dispensing",
    "PetDispensingPlan": "_dispensing",
    "PetDose": "_dispensing",
    "PetPatient": "_dispensing",
    "ReplanEvent": "_dispensing",
    "Vial": "_dispensing",
    "VialDiluted": "_dispensing",
    "VialMeasured": "_dispensing",
    "VialResidual": "_dispensing",
    "order_activity_at_calibration": "_dispensing",
    "plan_pet_day": "_dispensing",
    "read_events_csv": "_dispensing",
    "read_patients_csv": "_dispensing",
    "replan_pet_day": "_dispensing",
    # _ga68_day
    "Ga68DayPlan": "_ga68_day",
    "Ga68Dose": "_ga68_day",
    "plan_ga68_day": "_ga68_day",
    # _synthetic
    "synthetic_pet_day": "_synthetic",
    # _records
    "AdministrationRecord": "_records",
    "BatchRecord": "_records",
    "BatchReport": "_records",
    "BatchStatus": "_records",
    "DoseRecord": "_records",
    "EventRecord": "_records",
    "QcResultRecord": "_records",
    "RecallReport": "_records",
    "RecordStore": "_records",
    "TraceRecord": "_records",
    "records_url": "_records",
    # _qc
    "HalfLifeFit": "_qc",
    "QcBasis": "_qc",
    "QcLimit": "_qc",
    "QcOutcome": "_qc",
    "QcSpec": "_qc",
    "fit_half_life": "_qc",
    "load_qc_limits": "_qc",
    "qc_spec": "_qc",
    # _therapy
    "LU177M_RATIO_EOB_CARRIER_ADDED": "_therapy",
    "TherapyOption": "_therapy",
    "TherapyOrder": "_therapy",
    "TherapyProduct": "_therapy",
    "lu177m_ratio": "_therapy",
    "lu177m_ratio_at_eob": "_therapy",
    "order_therapy": "_therapy",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

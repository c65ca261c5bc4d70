"""Radioligand-therapy operations: courses, shielded rooms, patient release, waste decay.

Main entry points
-----------------
assess_release, release_time_s, dose_rate_at_1m_usv_h, contact_dose_msv
    Dose rate at 1 m from the retained activity, the release time against a
    dose-rate or retained-activity limit, doses to contacts and the days of
    restriction that meet their constraints.
TreatmentCourse, get_schedule
    Cycles of a course (VISION, NETTER-1 or custom) with delays and dose changes.
schedule_rooms, ward_capacity
    Shielded rooms assigned to admissions (conflicts with the first free room,
    occupancy); the admissions a ward can take in a year against the demand.
release_waste, waste_release, lu177_waste_contents
    Decay-in-storage: when each container can be released (clearance levels and/or a
    dose-rate limit, DoseRateLimit), Lu-177m included.

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    # _release
    "ContactDose": "_release",
    "ContactPattern": "_release",
    "ReleaseAssessment": "_release",
    "ReleaseLimit": "_release",
    "RetentionModel": "_release",
    "assess_release": "_release",
    "contact_dose_msv": "_release",
    "default_contacts": "_release",
    "default_dose_rate_limit_usv_h": "_release",
    "dose_rate_at_1m_usv_h": "_release",
    "fit_retention": "_release",
    "load_contacts": "_release",
    "release_time_s": "_release",
    "restriction_days": "_release",
    # _courses
    "CourseCycle": "_courses",
    "CourseEvent": "_courses",
    "CycleStatus": "_courses",
    "EventKind": "_courses",
    "Schedule": "_courses",
    "TreatmentCourse": "_courses",
    "get_schedule": "_courses",
    "schedules": "_courses",
    # _rooms
    "Admission": "_rooms",
    "RoomAssignment": "_rooms",
    "RoomSchedule": "_rooms",
    "WardCapacity": "_rooms",
    "parse_weekdays": "_rooms",
    "ward_capacity": "_rooms",
    "read_admissions_csv": "_rooms",
    "schedule_rooms": "_rooms",
    "stay_from_release_s": "_rooms",
    # _waste
    "ClearanceRule": "_waste",
    "DoseRateLimit": "_waste",
    "WasteContainer": "_waste",
    "WasteRelease": "_waste",
    "lu177_waste_contents": "_waste",
    "release_waste": "_waste",
    "waste_release": "_waste",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

"""A Ga-68 labelling day from the patient list: doses by protocol, then the fewest elutions.

This is the patient-list front end of
:func:`theranostix.production.plan_elution_day`: each patient's activity at
injection comes from the protocol (MBq/kg or fixed, clamped to its range), the
kit's labelling yield and duration come from the protocol (or are given), and the
production planner places the elutions so that the patients are served with the
fewest elutions (Bateman ingrowth on the Ge-68/Ga-68 column, labelling losses,
decay to each injection).

References
----------
.. [1] Bateman H. The solution of a system of differential equations occurring
   in the theory of radioactive transformations. Proc Camb Phil Soc
   1910;15:423-427.
.. [2] Coenen HH et al. Consensus nomenclature rules for radiopharmaceutical
   chemistry - setting the record straight. Nucl Med Biol 2017;55:v-xi.
   doi:10.1016/j.nucmedbio.2017.09.004 (decay-corrected radiochemical yield).
.. [3] Fendler WP et al. PSMA PET/CT: joint EANM procedure guideline/SNMMI
   procedure standard for prostate cancer imaging 2.0. Eur J Nucl Med Mol
   Imaging 2023;50:1466-1486. doi:10.1007/s00259-022-06089-w
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from theranostix.errors import ThxError
from theranostix.pharmacy._dispensing import PetPatient
from theranostix.pharmacy._protocols import PetProtocol, Prescription, pet_protocol
from theranostix.production import (
    DoseRequest,
    ElutionDayPlan,
    Generator,
    YieldConvention,
    plan_elution_day,
)

__all__ = ["Ga68DayPlan", "Ga68Dose", "plan_ga68_day"]

_MBQ = 1e6


@dataclass(frozen=True)
class Ga68Dose:
    """One patient of a Ga-68 day.

    Attributes
    ----------
    patient : PetPatient
    protocol : PetProtocol
    prescription : Prescription
    batch : int or None
        Number of the elution/labelling that serves the patient; None if unserved.
    remaining_after_bq : float or None
        Product left in the batch after this dose, at its injection time.
    """

    patient: PetPatient
    protocol: PetProtocol
    prescription: Prescription
    batch: int | None
    remaining_after_bq: float | None

    @property
    def activity_bq(self) -> float:
        """Activity at injection (Bq)."""
        return self.prescription.activity_bq

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        flags = []
        if self.prescription.clamped == "maximum":
            flags.append("above_maximum")
        elif self.prescription.clamped == "minimum":
            flags.append("below_minimum")
        if self.batch is None:
            flags.append("not_served")
        return {
            "patient_id": self.patient.patient_id,
            "weight_kg": self.patient.weight_kg,
            "protocol": self.protocol.name,
            "injection_time": self.patient.injection_time.isoformat(),
            "requested_activity_bq": self.prescription.requested_bq,
            "activity_bq": self.activity_bq,
            "batch": self.batch,
            "remaining_after_bq": self.remaining_after_bq,
            "flags": flags,
        }


@dataclass(frozen=True)
class Ga68DayPlan:
    """Result of :func:`plan_ga68_day`.

    Attributes
    ----------
    doses : tuple of Ga68Dose
        In injection order.
    elution_plan : ElutionDayPlan
        The production plan (batches, unserved, generator after the day).
    labelling_yield : float
    labelling_duration_s : float
    """

    doses: tuple[Ga68Dose, ...]
    elution_plan: ElutionDayPlan
    labelling_yield: float
    labelling_duration_s: float

    @property
    def elution_count(self) -> int:
        """Number of elutions (and labellings) of the day."""
        return len(self.elution_plan.batches)

    @property
    def unserved(self) -> tuple[str, ...]:
        """Patients no elution can serve."""
        return tuple(d.patient.patient_id for d in self.doses if d.batch is None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plan."""
        return {
            "labelling_yield": self.labelling_yield,
            "labelling_duration_s": self.labelling_duration_s,
            "elution_count": self.elution_count,
            "all_served": not self.unserved,
            "elutions": [
                {
                    "number": b.number,
                    "elution_at": b.elution_at.isoformat(),
                    "available_daughter_bq": b.available_daughter_bq,
                    "eluate_bq": b.eluate_bq,
                    "release_at": b.release_at.isoformat(),
                    "product_bq": b.product_bq,
                    "residual_bq": b.residual_bq,
                    "patients": [d.request.label for d in b.doses],
                }
                for b in self.elution_plan.batches
            ],
            "doses": [d.as_dict() for d in self.doses],
            "unserved": list(self.unserved),
        }


def plan_ga68_day(
    patients: Iterable[PetPatient],
    generator: Generator,
    *,
    protocol: PetProtocol | str | None = None,
    mbq_per_kg: float | None = None,
    labelling_yield: float | None = None,
    labelling_duration_s: float | None = None,
    digital: bool = False,
    yield_convention: YieldConvention | str = YieldConvention.DECAY_CORRECTED,
    margin_s: float = 600.0,
    grid_s: float = 300.0,
    earliest: datetime | None = None,
    protocols: Mapping[str, PetProtocol] | None = None,
) -> Ga68DayPlan:
    """Elutions and kit labellings that serve a day of Ga-68 patients.

    Parameters
    ----------
    patients : iterable of PetPatient
        A patient's own ``protocol`` overrides the default; all protocols must
        share one kit (same labelling yield and duration).
    generator : Generator
        A Ge-68/Ga-68 generator with its elution history.
    protocol : PetProtocol or str, optional
        Default protocol, e.g. ``"psma11-ga68"``.
    mbq_per_kg : float, optional
        Default activity per kg instead of a protocol (needs the labelling yield
        and duration).
    labelling_yield : float, optional
        Overrides the protocol's labelling yield (decay-corrected by default).
    labelling_duration_s : float, optional
        Overrides the protocol's labelling duration, elution to release (s).
    digital : bool
        Apply the protocol's digital PET reduction factor.
    yield_convention, margin_s, grid_s, earliest
        Passed to :func:`~theranostix.production.plan_elution_day`.
    protocols : mapping, optional
        Protocol table (default: the built-in one).

    Returns
    -------
    Ga68DayPlan

    References
    ----------
    .. [1] Bateman H. Proc Camb Phil Soc 1910;15:423-427 (ingrowth on the column).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> cet = timezone(timedelta(hours=1))
    >>> gen = Generator("ge68-ga68", calibration_activity_bq=1.85e9,
    ...                 calibrated=datetime(2026, 10, 1, 12, 0, tzinfo=cet),
    ...                 elutions=[datetime(2026, 11, 23, 16, 0, tzinfo=cet)])
    >>> day = [PetPatient(f"P{i}", 75, datetime(2026, 11, 24, 9 + i, 0, tzinfo=cet))
    ...        for i in range(3)]
    >>> plan = plan_ga68_day(day, gen, protocol="psma11-ga68")
    >>> plan.elution_count, plan.unserved
    (2, ())
    """
    if generator.daughter.name != "Ga-68":
        raise ThxError(f"a Ga-68 day needs a Ge-68/Ga-68 generator, got {generator.model.name}")
    if protocol is not None and mbq_per_kg is not None:
        raise ThxError("give a protocol or an activity per kg, not both")
    default: PetProtocol | None = None
    if mbq_per_kg is not None:
        if not (math.isfinite(mbq_per_kg) and mbq_per_kg > 0):
            raise ThxError(f"activity per kg must be a finite number > 0 MBq/kg, got {mbq_per_kg}")
        default = PetProtocol.per_kg("Ga-68", mbq_per_kg * _MBQ)
    elif protocol is not None:
        default = pet_protocol(protocol, protocols)
    people = sorted(patients, key=lambda p: p.injection_time)
    if not people:
        raise ThxError("no patient in the Ga-68 day")
    chosen: list[tuple[PetPatient, PetProtocol, Prescription]] = []
    seen: set[str] = set()
    for p in people:
        if p.patient_id in seen:
            raise ThxError(f"patient {p.patient_id!r} appears twice")
        seen.add(p.patient_id)
        proto = pet_protocol(p.protocol, protocols) if p.protocol else default
        if proto is None:
            raise ThxError(f"patient {p.patient_id}: no protocol (give a default protocol)")
        if proto.tracer != "Ga-68":
            raise ThxError(f"patient {p.patient_id}: protocol {proto.name} is for {proto.tracer}")
        chosen.append((p, proto, proto.prescribe(p.weight_kg, digital=digital)))
    y = labelling_yield
    duration = labelling_duration_s
    kits = {(pr.labelling_yield, pr.labelling_duration_s) for _, pr, _ in chosen}
    if y is None or duration is None:
        if len(kits) > 1:
            names = sorted({pr.name for _, pr, _ in chosen})
            raise ThxError(
                f"protocols {', '.join(names)} have different labelling yields or durations: "
                "plan one kit per day plan, or give the labelling yield and duration"
            )
        kit_yield, kit_duration = kits.pop()
        y = kit_yield if y is None else y
        duration = kit_duration if duration is None else duration
    if y is None or duration is None:
        raise ThxError("no labelling yield or duration: give them, or use a protocol that has them")
    requests = [
        DoseRequest(p.patient_id, p.injection_time, pres.activity_bq) for p, _, pres in chosen
    ]
    plan = plan_elution_day(
        generator,
        requests,
        labelling_yield=y,
        labelling_duration_s=duration,
        yield_convention=yield_convention,
        margin_s=margin_s,
        grid_s=grid_s,
        earliest=earliest,
    )
    served: dict[str, tuple[int, float]] = {}
    for b in plan.batches:
        for d in b.doses:
            served[d.request.label] = (b.number, d.remaining_after_bq)
    doses = tuple(
        Ga68Dose(
            p,
            proto,
            pres,
            served[p.patient_id][0] if p.patient_id in served else None,
            served[p.patient_id][1] if p.patient_id in served else None,
        )
        for p, proto, pres in chosen
    )
    return Ga68DayPlan(doses, plan, y, duration)

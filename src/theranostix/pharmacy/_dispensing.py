"""Daily dispensing plan of a PET tracer from a multi-dose vial, and its re-planning.

Model
-----
A multi-dose vial holds ``A_ref`` (Bq) in ``V_ref`` (mL) at ``t_ref`` (its
calibration, or a later measurement). Drawing removes activity and volume in
proportion, so the concentration depends on time only [1]_::

    c(t) = A_ref · exp(−λ (t − t_ref)) / V_ref          (Bq/mL)

A patient injected at ``t_inj`` with ``A_inj`` has the dose drawn ``lead``
seconds earlier, at ``t_draw = t_inj − lead``, with activity
``a = A_inj · exp(λ · lead)`` and volume ``v = a / c(t_draw)``. Doses are drawn
in draw-time order; a dose is drawable while ``v`` fits in the extractable
volume ``V_remaining − V_dead``.

Order at calibration (closed form). With the vial filled to ``V`` at ``t_cal``,
``v_i = a_i · V · exp(λ (t_i − t_cal)) / A_cal``. All doses fit when
``Σ v_i <= V − V_dead``, i.e.::

    A_cal >= V / (V − V_dead) · Σ_i a_i · exp(λ (t_i − t_cal))

(the draws decay-corrected back to calibration, scaled up for the dead volume).
The order adds a safety margin ``m``: ``A_order = (1 + m) · that``, and is
raised, if needed, so that no dose exceeds the largest syringe volume
(``A_cal >= a_i · V · exp(λ (t_i − t_cal)) / v_max``). With the order, the doses
use ``(V − V_dead) / (1 + m)`` mL in all.

Feasibility flags per dose: vial exhausted (not drawn, with the activity still
available and the latest injection time that would work), volume below the
minimum drawable or above the syringe (drawn, to be diluted or split), activity
clamped to the protocol maximum or raised to its minimum.

References
----------
.. [1] Rutherford E, Soddy F. The cause and nature of radioactivity. Phil Mag
   1902;4(21):370-396. doi:10.1080/14786440209462856 (A = A0·exp(−λt)); decay
   data: ICRP Publication 107, Ann ICRP 2008;38(3). doi:10.1016/j.icrp.2008.10.004
.. [2] Saha GB. Fundamentals of Nuclear Pharmacy, 7th ed. Springer, 2018, ch. 6
   (dispensing of radiopharmaceuticals from a multi-dose vial: volume =
   activity needed / concentration at the time of drawing).
.. [3] Boellaard R et al. FDG PET/CT: EANM procedure guidelines for tumour
   imaging: version 2.0. Eur J Nucl Med Mol Imaging 2015;42:328-354.
   doi:10.1007/s00259-014-2961-x (activity per body mass).
"""

from __future__ import annotations

import csv
import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide
from theranostix.pharmacy._protocols import PetProtocol, Prescription, pet_protocol
from theranostix.units import elapsed_s, ensure_aware, parse_datetime, shift

__all__ = [
    "BLOCKING_FLAGS",
    "DispensingSettings",
    "DoseFlag",
    "DoseIssue",
    "DoseStatus",
    "PatientAbsent",
    "PatientAdded",
    "PatientLate",
    "PetDispensingPlan",
    "PetDose",
    "PetPatient",
    "ReplanEvent",
    "Vial",
    "VialMeasured",
    "VialResidual",
    "order_activity_at_calibration",
    "plan_pet_day",
    "read_events_csv",
    "read_patients_csv",
    "replan_pet_day",
]

_MBQ = 1e6
_EPS_ML = 1e-9


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PetPatient:
    """A patient of the day.

    Parameters
    ----------
    patient_id : str
        Identifier (unique in the day).
    weight_kg : float
        Body weight (kg), 0 < w <= 500.
    injection_time : datetime
        Planned injection (timezone-aware).
    protocol : str, optional
        Protocol name overriding the plan's default protocol.
    """

    patient_id: str
    weight_kg: float
    injection_time: datetime
    protocol: str | None = None

    def __post_init__(self) -> None:
        if not str(self.patient_id).strip():
            raise ThxError("patient_id must not be empty")
        if not (math.isfinite(self.weight_kg) and 0 < self.weight_kg <= 500):
            raise ThxError(
                f"patient {self.patient_id}: weight must be in (0, 500] kg, got {self.weight_kg!r}"
            )
        ensure_aware(self.injection_time, f"injection time of patient {self.patient_id}")


@dataclass(frozen=True)
class Vial:
    """A multi-dose vial: activity and volume at a reference time.

    Parameters
    ----------
    nuclide : str
        Radionuclide (normalised: ``"18F"`` -> ``"F-18"``).
    activity_bq : float
        Activity in the vial at ``at`` (Bq).
    at : datetime
        Reference time: calibration, or a measurement.
    volume_ml : float
        Volume in the vial at ``at`` (mL).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> v = Vial("F-18", 10e9, datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc), 10.0)
    >>> round(v.concentration_bq_per_ml(datetime(2026, 11, 24, 9, 49, 46, 200000,
    ...       tzinfo=timezone.utc)) / 1e6, 3)
    500.0
    """

    nuclide: str
    activity_bq: float
    at: datetime
    volume_ml: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "nuclide", Nuclide(self.nuclide).name)
        if not (math.isfinite(self.activity_bq) and self.activity_bq > 0):
            raise ThxError(
                f"vial activity must be a finite number > 0 Bq, got {self.activity_bq!r}"
            )
        if not (math.isfinite(self.volume_ml) and self.volume_ml > 0):
            raise ThxError(f"vial volume must be a finite number > 0 mL, got {self.volume_ml!r}")
        ensure_aware(self.at, "vial reference time")

    @property
    def decay_constant_per_s(self) -> float:
        """λ of the vial's nuclide (1/s)."""
        return Nuclide(self.nuclide).decay_constant_per_s

    def activity_at(self, when: datetime) -> float:
        """Activity of the whole vial at ``when`` if nothing were drawn (Bq)."""
        return self.activity_bq * math.exp(-self.decay_constant_per_s * elapsed_s(self.at, when))

    def concentration_bq_per_ml(self, when: datetime) -> float:
        """Activity concentration at ``when``: A_ref·exp(−λ(t − t_ref))/V_ref (Bq/mL)."""
        return self.activity_at(when) / self.volume_ml


@dataclass(frozen=True)
class DispensingSettings:
    """Parameters of the dispensing.

    Parameters
    ----------
    draw_lead_s : float
        Doses are drawn this long before injection (s); the drawn activity is
        A_inj·exp(λ·lead).
    dead_volume_ml : float
        Volume that cannot be extracted from the vial (mL).
    min_draw_volume_ml : float
        Smallest volume a syringe draws accurately (mL).
    max_syringe_volume_ml : float or None
        Largest volume of one syringe (mL); None for no limit.
    safety_margin : float
        Relative margin added to the order (0.1 = 10 %).
    digital : bool
        Apply the protocols' digital PET reduction factor.
    """

    draw_lead_s: float = 0.0
    dead_volume_ml: float = 0.3
    min_draw_volume_ml: float = 0.1
    max_syringe_volume_ml: float | None = 10.0
    safety_margin: float = 0.10
    digital: bool = False

    def __post_init__(self) -> None:
        for name in ("draw_lead_s", "dead_volume_ml", "min_draw_volume_ml", "safety_margin"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ThxError(f"{name} must be a finite number >= 0, got {value!r}")
        v_max = self.max_syringe_volume_ml
        if v_max is not None and not (math.isfinite(v_max) and v_max > self.min_draw_volume_ml):
            raise ThxError(
                f"max_syringe_volume_ml must be above min_draw_volume_ml "
                f"({self.min_draw_volume_ml:g} mL), got {v_max!r}"
            )


# --------------------------------------------------------------------------- results


class DoseStatus(enum.Enum):
    """Where a dose stands in the plan."""

    PLANNED = "planned"
    DRAWN = "drawn"
    NOT_SERVED = "not_served"


class DoseFlag(enum.Enum):
    """Why a dose needs attention."""

    ABOVE_MAXIMUM = "above_maximum"
    BELOW_MINIMUM = "below_minimum"
    VIAL_EXHAUSTED = "vial_exhausted"
    VOLUME_BELOW_MINIMUM = "volume_below_minimum"
    VOLUME_ABOVE_SYRINGE = "volume_above_syringe"
    SYRINGE_DECAYED = "syringe_decayed"
    BELOW_PROTOCOL_MINIMUM = "below_protocol_minimum"


#: Flags that make a dose infeasible as planned.
BLOCKING_FLAGS = frozenset(
    {
        DoseFlag.VIAL_EXHAUSTED,
        DoseFlag.VOLUME_BELOW_MINIMUM,
        DoseFlag.VOLUME_ABOVE_SYRINGE,
        DoseFlag.BELOW_PROTOCOL_MINIMUM,
    }
)


@dataclass(frozen=True)
class DoseIssue:
    """A flag and its explanation."""

    flag: DoseFlag
    message: str

    @property
    def blocking(self) -> bool:
        """Whether the dose is infeasible as planned."""
        return self.flag in BLOCKING_FLAGS


@dataclass(frozen=True)
class PetDose:
    """One patient's dose in the plan.

    Attributes
    ----------
    patient : PetPatient
    protocol : PetProtocol
    prescription : Prescription
        Requested and clamped activities of the protocol.
    activity_bq : float
        Activity at injection (Bq); for a drawn dose of a late patient, what is
        left in the syringe at the new injection time.
    draw_time : datetime
    activity_at_draw_bq : float
    volume_ml : float
        Volume to draw (for a not-served dose: the volume it would need).
    concentration_at_draw_bq_per_ml : float
    vial_volume_after_ml, vial_activity_after_bq : float
        Vial content just after this draw (unchanged when not served).
    status : DoseStatus
    issues : tuple of DoseIssue
    suggestions : tuple of str
    """

    patient: PetPatient
    protocol: PetProtocol
    prescription: Prescription
    activity_bq: float
    draw_time: datetime
    activity_at_draw_bq: float
    volume_ml: float
    concentration_at_draw_bq_per_ml: float
    vial_volume_after_ml: float
    vial_activity_after_bq: float
    status: DoseStatus
    issues: tuple[DoseIssue, ...] = ()
    suggestions: tuple[str, ...] = ()

    @property
    def patient_id(self) -> str:
        """The patient's identifier."""
        return self.patient.patient_id

    @property
    def injection_time(self) -> datetime:
        """Planned injection time."""
        return self.patient.injection_time

    @property
    def flags(self) -> tuple[DoseFlag, ...]:
        """The flags of the dose."""
        return tuple(i.flag for i in self.issues)

    @property
    def feasible(self) -> bool:
        """Served and without a blocking flag."""
        return self.status is not DoseStatus.NOT_SERVED and not any(i.blocking for i in self.issues)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (activities in Bq, volumes in mL)."""
        return {
            "patient_id": self.patient_id,
            "weight_kg": self.patient.weight_kg,
            "protocol": self.protocol.name,
            "injection_time": self.injection_time.isoformat(),
            "draw_time": self.draw_time.isoformat(),
            "requested_activity_bq": self.prescription.requested_bq,
            "activity_bq": self.activity_bq,
            "activity_at_draw_bq": self.activity_at_draw_bq,
            "volume_ml": self.volume_ml,
            "concentration_at_draw_bq_per_ml": self.concentration_at_draw_bq_per_ml,
            "vial_volume_after_ml": self.vial_volume_after_ml,
            "vial_activity_after_bq": self.vial_activity_after_bq,
            "status": self.status.value,
            "feasible": self.feasible,
            "flags": [i.flag.value for i in self.issues],
            "issues": [{"flag": i.flag.value, "message": i.message} for i in self.issues],
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True)
class VialResidual:
    """What is left in the vial at the end of the day."""

    at: datetime
    activity_bq: float
    volume_ml: float
    extractable_volume_ml: float
    extractable_activity_bq: float


@dataclass(frozen=True)
class PetDispensingPlan:
    """Result of :func:`plan_pet_day` or :func:`replan_pet_day`.

    Attributes
    ----------
    tracer : str
    vial : Vial
        The vial at calibration (ordered or delivered activity, full volume).
    vial_reference : Vial
        The state concentrations are computed from: ``vial``, or a measurement.
    order_activity_at_calibration_bq : float
        Smallest calibration activity that serves every dose (margin included).
    settings : DispensingSettings
    doses : tuple of PetDose
        In draw order.
    residual : VialResidual
    default_protocol : PetProtocol or None
    cancelled : tuple of str
        Patients removed (absent) by re-planning.
    wasted : tuple of PetDose
        Drawn doses of absent patients (their volume has left the vial).
    accounted_draws : tuple of str
        Drawn doses whose volume is already out of ``vial_reference.volume_ml``.
    notes : tuple of str
    """

    tracer: str
    vial: Vial
    vial_reference: Vial
    order_activity_at_calibration_bq: float
    settings: DispensingSettings
    doses: tuple[PetDose, ...]
    residual: VialResidual
    default_protocol: PetProtocol | None = None
    cancelled: tuple[str, ...] = ()
    wasted: tuple[PetDose, ...] = ()
    accounted_draws: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        """Every dose is feasible."""
        return all(d.feasible for d in self.doses)

    def dose(self, patient_id: str) -> PetDose:
        """The dose of one patient."""
        for d in self.doses:
            if d.patient_id == patient_id:
                return d
        raise ThxError(f"no patient {patient_id!r} in the plan")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plan."""
        s = self.settings
        return {
            "tracer": self.tracer,
            "calibration_time": self.vial.at.isoformat(),
            "vial_volume_ml": self.vial.volume_ml,
            "order_activity_at_calibration_bq": self.order_activity_at_calibration_bq,
            "vial_activity_at_calibration_bq": self.vial.activity_bq,
            "vial_reference": {
                "activity_bq": self.vial_reference.activity_bq,
                "at": self.vial_reference.at.isoformat(),
                "volume_ml": self.vial_reference.volume_ml,
            },
            "settings": {
                "draw_lead_s": s.draw_lead_s,
                "dead_volume_ml": s.dead_volume_ml,
                "min_draw_volume_ml": s.min_draw_volume_ml,
                "max_syringe_volume_ml": s.max_syringe_volume_ml,
                "safety_margin": s.safety_margin,
                "digital": s.digital,
            },
            "default_protocol": None
            if self.default_protocol is None
            else self.default_protocol.as_dict(),
            "feasible": self.feasible,
            "doses": [d.as_dict() for d in self.doses],
            "total_drawn_activity_bq": sum(
                d.activity_at_draw_bq for d in self.doses if d.status is not DoseStatus.NOT_SERVED
            ),
            "residual": {
                "at": self.residual.at.isoformat(),
                "activity_bq": self.residual.activity_bq,
                "volume_ml": self.residual.volume_ml,
                "extractable_volume_ml": self.residual.extractable_volume_ml,
                "extractable_activity_bq": self.residual.extractable_activity_bq,
            },
            "cancelled": list(self.cancelled),
            "wasted": [
                {
                    "patient_id": d.patient_id,
                    "draw_time": d.draw_time.isoformat(),
                    "activity_at_draw_bq": d.activity_at_draw_bq,
                    "volume_ml": d.volume_ml,
                }
                for d in self.wasted
            ],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- replanning events


@dataclass(frozen=True)
class PatientLate:
    """A patient is injected at another time (later, or earlier)."""

    patient_id: str
    injection_time: datetime

    def __post_init__(self) -> None:
        ensure_aware(self.injection_time, f"new injection time of patient {self.patient_id}")


@dataclass(frozen=True)
class PatientAbsent:
    """A patient does not come: the dose is dropped (a drawn dose is wasted)."""

    patient_id: str


@dataclass(frozen=True)
class PatientAdded:
    """A patient added to the day (``patient.protocol`` or the plan's default)."""

    patient: PetPatient


@dataclass(frozen=True)
class VialMeasured:
    """The vial measured in the dose calibrator.

    Parameters
    ----------
    activity_bq : float
        Activity measured in the vial at ``at`` (Bq).
    at : datetime
        Measurement time.
    volume_ml : float, optional
        Volume in the vial at ``at``; by default the calibration volume minus the
        doses drawn before ``at``.
    """

    activity_bq: float
    at: datetime
    volume_ml: float | None = None

    def __post_init__(self) -> None:
        ensure_aware(self.at, "vial measurement time")
        if not (math.isfinite(self.activity_bq) and self.activity_bq > 0):
            raise ThxError(f"measured vial activity must be > 0 Bq, got {self.activity_bq!r}")
        if self.volume_ml is not None and not (
            math.isfinite(self.volume_ml) and self.volume_ml > 0
        ):
            raise ThxError(f"measured vial volume must be > 0 mL, got {self.volume_ml!r}")


@dataclass(frozen=True)
class VialDiluted:
    """Saline added to the vial (to draw small volumes): the activity stays, the volume grows.

    Parameters
    ----------
    added_ml : float
        Volume of saline added at ``at`` (mL), > 0.
    at : datetime
        Time of the dilution.
    """

    added_ml: float
    at: datetime

    def __post_init__(self) -> None:
        ensure_aware(self.at, "vial dilution time")
        if not (math.isfinite(self.added_ml) and self.added_ml > 0):
            raise ThxError(f"volume added to the vial must be > 0 mL, got {self.added_ml!r}")


ReplanEvent = PatientLate | PatientAbsent | PatientAdded | VialMeasured | VialDiluted


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class _Entry:
    patient: PetPatient
    protocol: PetProtocol
    prescription: Prescription
    activity_bq: float
    drawn: PetDose | None = None
    issues: tuple[DoseIssue, ...] = ()
    suggestions: tuple[str, ...] = ()
    draw_at: datetime | None = None


def _mbq(value_bq: float) -> str:
    return f"{value_bq / _MBQ:.1f} MBq"


def _hm(when: datetime) -> str:
    return when.strftime("%H:%M")


def _prescription_issues(protocol: PetProtocol, p: Prescription) -> tuple[DoseIssue, ...]:
    if p.clamped == "maximum":
        return (
            DoseIssue(
                DoseFlag.ABOVE_MAXIMUM,
                f"requested {_mbq(p.requested_bq)} is above the maximum of protocol "
                f"{protocol.name}: clamped to {_mbq(p.activity_bq)}",
            ),
        )
    if p.clamped == "minimum":
        return (
            DoseIssue(
                DoseFlag.BELOW_MINIMUM,
                f"requested {_mbq(p.requested_bq)} is below the minimum of protocol "
                f"{protocol.name}: raised to {_mbq(p.activity_bq)}",
            ),
        )
    return ()


def _entry(
    patient: PetPatient, default: PetProtocol | None, tracer: str, settings: DispensingSettings,
    protocols: Mapping[str, PetProtocol] | None,
) -> _Entry:  # fmt: skip
    if patient.protocol:
        protocol = pet_protocol(patient.protocol, protocols)
    elif default is not None:
        protocol = default
    else:
        raise ThxError(
            f"patient {patient.patient_id}: no protocol (give a default protocol or "
            "activity per kg, or a protocol for the patient)"
        )
    if protocol.tracer != tracer:
        raise ThxError(
            f"patient {patient.patient_id}: protocol {protocol.name} is for {protocol.tracer}, "
            f"the vial holds {tracer}"
        )
    p = protocol.prescribe(patient.weight_kg, digital=settings.digital)
    return _Entry(patient, protocol, p, p.activity_bq, issues=_prescription_issues(protocol, p))


def _draw_time(entry: _Entry, settings: DispensingSettings) -> datetime:
    if entry.drawn is not None:
        return entry.drawn.draw_time
    if entry.draw_at is not None:
        return entry.draw_at
    return shift(entry.patient.injection_time, -settings.draw_lead_s)


def order_activity_at_calibration(
    draws: Iterable[tuple[float, datetime]],
    *,
    nuclide: str,
    calibration_time: datetime,
    vial_volume_ml: float,
    dead_volume_ml: float = 0.3,
    safety_margin: float = 0.10,
    max_syringe_volume_ml: float | None = None,
) -> float:
    """Smallest calibration activity of a vial that serves every draw.

    ``A = (1 + m) · V / (V − V_dead) · Σ a_i · exp(λ (t_i − t_cal))``, raised if
    needed to ``max_i a_i · V · exp(λ (t_i − t_cal)) / v_max`` so that no dose
    exceeds one syringe.

    Parameters
    ----------
    draws : iterable of (activity_bq, draw_time)
        Activity drawn (Bq) and when.
    nuclide : str
    calibration_time : datetime
    vial_volume_ml : float
        Volume of the vial at calibration, V (mL).
    dead_volume_ml : float
        Unextractable volume, V_dead (mL), < V.
    safety_margin : float
        m (0.1 = 10 %).
    max_syringe_volume_ml : float, optional
        v_max (mL).

    Returns
    -------
    float
        Activity at calibration (Bq).

    References
    ----------
    .. [1] Rutherford E, Soddy F. Phil Mag 1902;4(21):370-396.
       doi:10.1080/14786440209462856 (exponential decay, here backwards to t_cal).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    >>> order_activity_at_calibration([(300e6, t)], nuclide="F-18", calibration_time=t,
    ...     vial_volume_ml=10, dead_volume_ml=0, safety_margin=0) / 1e6
    300.0
    """
    if not vial_volume_ml > dead_volume_ml >= 0:
        raise ThxError(
            f"vial volume {vial_volume_ml:g} mL must exceed the dead volume {dead_volume_ml:g} mL"
        )
    lam = Nuclide(nuclide).decay_constant_per_s
    back = [a * math.exp(lam * elapsed_s(calibration_time, t)) for a, t in draws]
    if not back:
        return 0.0
    need = (1 + safety_margin) * vial_volume_ml / (vial_volume_ml - dead_volume_ml) * sum(back)
    if max_syringe_volume_ml is not None:
        need = max(need, max(back) * vial_volume_ml / max_syringe_volume_ml)
    return need


def _simulate(
    entries: Sequence[_Entry],
    *,
    ref: Vial,
    accounted: frozenset[str],
    settings: DispensingSettings,
    now: datetime | None,
    wasted: Sequence[PetDose] = (),
) -> tuple[tuple[PetDose, ...], float]:
    """Draw the doses in draw-time order; returns the doses and the volume left (mL)."""
    lam = ref.decay_constant_per_s
    order = sorted(range(len(entries)), key=lambda k: (_draw_time(entries[k], settings), k))
    # Wasted doses were drawn before any dose still to draw.
    remaining = ref.volume_ml - sum(w.volume_ml for w in wasted if w.patient_id not in accounted)
    doses: list[PetDose] = []
    for k in order:
        e = entries[k]
        if e.drawn is not None:
            if e.patient.patient_id not in accounted:
                remaining -= e.drawn.volume_ml
            doses.append(
                replace(
                    e.drawn,
                    patient=e.patient,
                    activity_bq=e.activity_bq,
                    status=DoseStatus.DRAWN,
                    issues=e.issues,
                    suggestions=e.suggestions,
                )
            )
            continue
        t_draw = _draw_time(e, settings)
        a_draw = e.activity_bq * math.exp(lam * elapsed_s(t_draw, e.patient.injection_time))
        conc = ref.concentration_bq_per_ml(t_draw)
        volume = a_draw / conc
        extractable = remaining - settings.dead_volume_ml
        issues = list(e.issues)
        suggestions = list(e.suggestions)
        if volume > extractable + _EPS_ML:
            issues.append(_exhausted_issue(e, conc, max(extractable, 0.0), volume))
            suggestions.extend(_exhausted_suggestions(e, ref, a_draw, extractable, settings, now))
            status = DoseStatus.NOT_SERVED
        else:
            remaining -= volume
            status = DoseStatus.PLANNED
            if volume < settings.min_draw_volume_ml - _EPS_ML:
                factor = settings.min_draw_volume_ml / volume
                issues.append(
                    DoseIssue(
                        DoseFlag.VOLUME_BELOW_MINIMUM,
                        f"volume {volume:.3f} mL is below the minimum drawable "
                        f"{settings.min_draw_volume_ml:g} mL",
                    )
                )
                suggestions.append(
                    f"dilute the vial with saline by a factor >= {factor:.2f} (recompute the "
                    "plan with the new volume), or use a syringe that measures this volume"
                )
            v_max = settings.max_syringe_volume_ml
            if v_max is not None and volume > v_max + _EPS_ML:
                n = math.ceil(volume / v_max - 1e-12)
                issues.append(
                    DoseIssue(
                        DoseFlag.VOLUME_ABOVE_SYRINGE,
                        f"volume {volume:.2f} mL is above the syringe volume {v_max:g} mL",
                    )
                )
                suggestions.append(f"split the dose into {n} syringes")
        doses.append(
            PetDose(
                patient=e.patient,
                protocol=e.protocol,
                prescription=e.prescription,
                activity_bq=e.activity_bq,
                draw_time=t_draw,
                activity_at_draw_bq=a_draw,
                volume_ml=volume,
                concentration_at_draw_bq_per_ml=conc,
                vial_volume_after_ml=remaining,
                vial_activity_after_bq=conc * remaining,
                status=status,
                issues=tuple(issues),
                suggestions=tuple(suggestions),
            )
        )
    return tuple(doses), remaining


def _exhausted_issue(e: _Entry, conc: float, extractable: float, volume: float) -> DoseIssue:
    return DoseIssue(
        DoseFlag.VIAL_EXHAUSTED,
        f"needs {volume:.2f} mL but only {extractable:.2f} mL can still be drawn "
        f"({_mbq(conc * extractable)} at the draw time): not served",
    )


def _exhausted_suggestions(
    e: _Entry, ref: Vial, a_draw: float, extractable: float, settings: DispensingSettings,
    now: datetime | None,
) -> list[str]:  # fmt: skip
    out: list[str] = []
    if extractable <= 0:
        return ["the vial is empty at this point: order another vial"]
    lam = ref.decay_constant_per_s
    t_draw = _draw_time(e, settings)
    lead = elapsed_s(t_draw, e.patient.injection_time)
    available_inj = ref.concentration_bq_per_ml(t_draw) * extractable * math.exp(-lam * lead)
    floor = e.protocol.min_activity_bq
    if floor is not None and available_inj >= floor:
        out.append(f"reduce to {_mbq(available_inj)} at injection (protocol minimum {_mbq(floor)})")
    elif floor is None:
        out.append(f"at most {_mbq(available_inj)} can be given at the planned time")
    else:
        out.append(f"the {_mbq(available_inj)} left is below the protocol minimum {_mbq(floor)}")
    # Latest draw time t at which c(t)·V_ext >= a_draw.
    latest_draw = shift(
        ref.at, math.log(ref.activity_bq * extractable / (ref.volume_ml * a_draw)) / lam
    )
    latest_inj = shift(latest_draw, lead)
    floor_time = now if now is not None else ref.at
    if elapsed_s(floor_time, latest_draw) >= 0:
        out.append(
            f"inject earlier, at or before {_hm(latest_inj)} (with the vial as it is at "
            "this point of the plan)"
        )
    return out


def _finish(
    entries: Sequence[_Entry],
    *,
    tracer: str,
    vial: Vial,
    ref: Vial,
    order_bq: float,
    settings: DispensingSettings,
    default: PetProtocol | None,
    end_of_day: datetime | None,
    cancelled: tuple[str, ...],
    accounted: frozenset[str],
    now: datetime | None,
    notes: tuple[str, ...],
    wasted: tuple[PetDose, ...] = (),
) -> PetDispensingPlan:
    doses, remaining = _simulate(
        entries, ref=ref, accounted=accounted, settings=settings, now=now, wasted=wasted
    )
    if end_of_day is None:
        times = [d.injection_time for d in doses] or [ref.at]
        end = max(times, key=lambda t: elapsed_s(ref.at, t))
    else:
        end = ensure_aware(end_of_day, "end of day")
    conc = ref.concentration_bq_per_ml(end)
    extractable = max(remaining - settings.dead_volume_ml, 0.0)
    residual = VialResidual(end, conc * remaining, remaining, extractable, conc * extractable)
    return PetDispensingPlan(
        tracer=tracer,
        vial=vial,
        vial_reference=ref,
        order_activity_at_calibration_bq=order_bq,
        settings=settings,
        doses=doses,
        residual=residual,
        default_protocol=default,
        cancelled=cancelled,
        wasted=wasted,
        accounted_draws=tuple(sorted(accounted)),
        notes=notes,
    )


def _default_protocol(
    tracer: str, protocol: PetProtocol | str | None, mbq_per_kg: float | None,
    protocols: Mapping[str, PetProtocol] | None,
) -> PetProtocol | None:  # fmt: skip
    if protocol is not None and mbq_per_kg is not None:
        raise ThxError("give a protocol or an activity per kg, not both")
    if mbq_per_kg is not None:
        if not (math.isfinite(mbq_per_kg) and mbq_per_kg > 0):
            raise ThxError(f"activity per kg must be a finite number > 0 MBq/kg, got {mbq_per_kg}")
        return PetProtocol.per_kg(tracer, mbq_per_kg * _MBQ)
    if protocol is None:
        return None
    chosen = pet_protocol(protocol, protocols)
    if chosen.tracer != tracer:
        raise ThxError(f"protocol {chosen.name} is for {chosen.tracer}, not {tracer}")
    return chosen


def plan_pet_day(
    patients: Iterable[PetPatient],
    *,
    tracer: str,
    calibration_time: datetime,
    vial_volume_ml: float = 10.0,
    protocol: PetProtocol | str | None = None,
    mbq_per_kg: float | None = None,
    vial_activity_bq: float | None = None,
    settings: DispensingSettings | None = None,
    end_of_day: datetime | None = None,
    protocols: Mapping[str, PetProtocol] | None = None,
) -> PetDispensingPlan:
    """Dispensing plan of a PET tracer day from one multi-dose vial.

    Parameters
    ----------
    patients : iterable of PetPatient
    tracer : str
        Radionuclide of the vial, e.g. ``"F-18"``.
    calibration_time : datetime
        Calibration time of the vial (aware).
    vial_volume_ml : float
        Volume of the vial at calibration (mL).
    protocol : PetProtocol or str, optional
        Default protocol (a patient's own ``protocol`` overrides it).
    mbq_per_kg : float, optional
        Default activity per body mass instead of a protocol (MBq/kg).
    vial_activity_bq : float, optional
        Activity of the delivered vial at calibration (Bq); by default the vial is
        the computed order.
    settings : DispensingSettings, optional
    end_of_day : datetime, optional
        Time of the residual; by default the last injection.
    protocols : mapping, optional
        Protocol table (default: the built-in one).

    Returns
    -------
    PetDispensingPlan

    References
    ----------
    .. [1] Saha GB. Fundamentals of Nuclear Pharmacy, 7th ed. Springer, 2018, ch. 6.
    .. [2] Rutherford E, Soddy F. Phil Mag 1902;4(21):370-396.
       doi:10.1080/14786440209462856

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda h, m=0: datetime(2026, 11, 24, h, m, tzinfo=timezone.utc)
    >>> day = [PetPatient("P1", 70, t(9)), PetPatient("P2", 80, t(9, 20))]
    >>> plan = plan_pet_day(day, tracer="F-18", calibration_time=t(8), mbq_per_kg=3)
    >>> round(plan.order_activity_at_calibration_bq / 1e6, 1)
    798.9
    >>> [round(d.volume_ml, 3) for d in plan.doses]  # together (10 - 0.3) / 1.1 mL
    [3.84, 4.979]
    """
    tracer = Nuclide(tracer).name
    settings = settings or DispensingSettings()
    ensure_aware(calibration_time, "calibration time")
    people = list(patients)
    _check_unique(people)
    default = _default_protocol(tracer, protocol, mbq_per_kg, protocols)
    entries = [_entry(p, default, tracer, settings, protocols) for p in people]
    order_bq = _order(entries, tracer, calibration_time, vial_volume_ml, settings)
    notes: list[str] = []
    if vial_activity_bq is None:
        activity = order_bq if order_bq > 0 else 1.0
        notes.append("vial activity = the computed order")
    else:
        activity = vial_activity_bq
        if vial_activity_bq < order_bq:
            notes.append(
                f"the vial ({_mbq(vial_activity_bq)}) is below the order needed "
                f"({_mbq(order_bq)}) at calibration"
            )
    vial = Vial(tracer, activity, calibration_time, vial_volume_ml)
    return _finish(
        entries, tracer=tracer, vial=vial, ref=vial, order_bq=order_bq, settings=settings,
        default=default, end_of_day=end_of_day, cancelled=(), accounted=frozenset(), now=None,
        notes=tuple(notes),
    )  # fmt: skip


def _order(
    entries: Sequence[_Entry], tracer: str, t_cal: datetime, volume_ml: float,
    settings: DispensingSettings,
) -> float:  # fmt: skip
    lam = Nuclide(tracer).decay_constant_per_s
    draws = [
        (
            e.activity_bq
            * math.exp(lam * elapsed_s(_draw_time(e, settings), e.patient.injection_time)),
            _draw_time(e, settings),
        )
        for e in entries
        if e.drawn is None
    ]
    return order_activity_at_calibration(
        draws, nuclide=tracer, calibration_time=t_cal, vial_volume_ml=volume_ml,
        dead_volume_ml=settings.dead_volume_ml, safety_margin=settings.safety_margin,
        max_syringe_volume_ml=settings.max_syringe_volume_ml,
    )  # fmt: skip


def _check_unique(patients: Sequence[PetPatient]) -> None:
    seen: set[str] = set()
    for p in patients:
        if p.patient_id in seen:
            raise ThxError(f"patient {p.patient_id!r} appears twice")
        seen.add(p.patient_id)


# --------------------------------------------------------------------------- replanning


def replan_pet_day(
    plan: PetDispensingPlan,
    events: Iterable[ReplanEvent],
    *,
    now: datetime,
    drawn: Iterable[str] | None = None,
    end_of_day: datetime | None = None,
    protocols: Mapping[str, PetProtocol] | None = None,
) -> PetDispensingPlan:
    """Re-plan the rest of the day after patient changes, a vial measurement or a dilution.

    The events are late, absent or added patients, a measurement of the vial and a
    dilution of the vial with saline.

    Doses already drawn are kept as drawn (volume and activity drawn as recorded);
    the others are planned again from the vial's remaining volume.

    Parameters
    ----------
    plan : PetDispensingPlan
        The current plan.
    events : iterable of PatientLate, PatientAbsent, PatientAdded, VialMeasured, VialDiluted
    now : datetime
        Time of the re-planning.
    drawn : iterable of str, optional
        Patients whose dose has been drawn; by default the drawn doses of ``plan``
        and its feasible doses with a draw time at or before ``now``.
    end_of_day : datetime, optional
        Time of the residual; by default the last injection.
    protocols : mapping, optional
        Protocol table for added patients (default: the built-in one).

    Returns
    -------
    PetDispensingPlan
        Served patients, those that can no longer be served (flags and
        suggestions), the residual. A drawn dose of a late patient is reported
        with the activity left at the new injection time.

    References
    ----------
    .. [1] Rutherford E, Soddy F. Phil Mag 1902;4(21):370-396.
       doi:10.1080/14786440209462856
    """
    ensure_aware(now, "now")
    settings = plan.settings
    lam = plan.vial.decay_constant_per_s
    by_id = {d.patient_id: d for d in plan.doses}
    if drawn is None:
        drawn_ids = {
            d.patient_id
            for d in plan.doses
            if d.status is DoseStatus.DRAWN or (d.feasible and elapsed_s(d.draw_time, now) >= 0)
        }
    else:
        drawn_ids = set(drawn)
        for pid in drawn_ids:
            if pid not in by_id:
                raise ThxError(f"drawn: no patient {pid!r} in the plan")
            if by_id[pid].status is DoseStatus.NOT_SERVED:
                raise ThxError(f"drawn: the dose of {pid} was not served by the plan")
    patients = {d.patient_id: d.patient for d in plan.doses}
    extra_protocols: dict[str, PetProtocol] = {d.patient_id: d.protocol for d in plan.doses}
    cancelled = list(plan.cancelled)
    wasted = {d.patient_id: d for d in plan.wasted}
    ref, accounted = plan.vial_reference, set(plan.accounted_draws)
    notes = list(plan.notes)
    for event in events:
        if isinstance(event, PatientLate):
            _known(event.patient_id, patients)
            patients[event.patient_id] = replace(
                patients[event.patient_id], injection_time=event.injection_time
            )
        elif isinstance(event, PatientAbsent):
            _known(event.patient_id, patients)
            del patients[event.patient_id]
            cancelled.append(event.patient_id)
            if event.patient_id in drawn_ids:
                drawn_ids.discard(event.patient_id)
                wasted[event.patient_id] = by_id[event.patient_id]
                notes.append(
                    f"{event.patient_id} absent: the drawn dose "
                    f"({_mbq(by_id[event.patient_id].activity_at_draw_bq)}) is wasted"
                )
        elif isinstance(event, PatientAdded):
            pid = event.patient.patient_id
            if pid in patients:
                raise ThxError(f"added patient {pid!r} is already in the plan")
            patients[pid] = event.patient
            extra_protocols.pop(pid, None)
        elif isinstance(event, VialMeasured | VialDiluted):
            what = "measurement" if isinstance(event, VialMeasured) else "dilution"
            if elapsed_s(now, event.at) > 0:
                raise ThxError(
                    f"vial {what} at {event.at.isoformat()} is after now ({now.isoformat()})"
                )
            records = {**wasted, **{pid: by_id[pid] for pid in drawn_ids}}
            before = [
                pid for pid, d in records.items()
                if pid not in accounted and elapsed_s(d.draw_time, event.at) >= 0
            ]  # fmt: skip
            left_ml = ref.volume_ml - sum(records[pid].volume_ml for pid in before)
            accounted |= set(before)
            if isinstance(event, VialDiluted):
                # same activity (c·V left), more volume: c' = c·V/(V + added)
                activity = ref.concentration_bq_per_ml(event.at) * left_ml
                ref = Vial(plan.tracer, activity, event.at, left_ml + event.added_ml)
                notes.append(
                    f"vial diluted at {_hm(event.at)}: {left_ml:.2f} mL + {event.added_ml:g} mL "
                    f"saline, {_mbq(activity / ref.volume_ml)}/mL"
                )
                continue
            volume = event.volume_ml if event.volume_ml is not None else left_ml
            ref = Vial(plan.tracer, event.activity_bq, event.at, volume)
            expected = (
                plan.vial_reference.activity_at(event.at) * volume / (plan.vial_reference.volume_ml)
            )
            notes.append(
                f"vial measured {_mbq(event.activity_bq)} at {_hm(event.at)} "
                f"({100 * (event.activity_bq / expected - 1):+.1f} % against the plan)"
            )
        else:  # pragma: no cover - typing guards this
            raise ThxError(f"unknown re-planning event {event!r}")
    entries: list[_Entry] = []
    for pid, patient in patients.items():
        if pid in extra_protocols:
            protocol = extra_protocols[pid]
            p = protocol.prescribe(patient.weight_kg, digital=settings.digital)
            e = _Entry(
                patient, protocol, p, p.activity_bq, issues=_prescription_issues(protocol, p)
            )
        else:
            e = _entry(patient, plan.default_protocol, plan.tracer, settings, protocols)
        if pid in drawn_ids:
            entries.append(_drawn_entry(e, by_id[pid], lam))
            continue
        if elapsed_s(patient.injection_time, now) > 0:
            raise ThxError(
                f"patient {pid}: injection time {patient.injection_time.isoformat()} is before "
                f"now ({now.isoformat()}) and the dose is not drawn: mark it drawn, late or absent"
            )
        entries.append(e)
    entries = _with_late_draws(entries, now, settings)
    return _finish(
        entries, tracer=plan.tracer, vial=plan.vial, ref=ref,
        order_bq=plan.order_activity_at_calibration_bq, settings=settings,
        default=plan.default_protocol, end_of_day=end_of_day, cancelled=tuple(cancelled),
        accounted=frozenset(accounted & ({e.patient.patient_id for e in entries} | set(wasted))),
        now=now, notes=tuple(notes), wasted=tuple(wasted.values()),
    )  # fmt: skip


def _with_late_draws(
    entries: list[_Entry], now: datetime, settings: DispensingSettings
) -> list[_Entry]:
    """A dose not drawn yet whose planned draw time has passed is drawn now."""
    return [
        replace(e, draw_at=now)
        if e.drawn is None and elapsed_s(_draw_time(e, settings), now) > 0
        else e
        for e in entries
    ]


def _known(pid: str, patients: Mapping[str, PetPatient]) -> None:
    if pid not in patients:
        raise ThxError(f"no patient {pid!r} in the plan (known: {', '.join(sorted(patients))})")


def _drawn_entry(e: _Entry, dose: PetDose, lam: float) -> _Entry:
    """A drawn dose: activity at the (possibly new) injection time, from the syringe."""
    delay = elapsed_s(dose.draw_time, e.patient.injection_time)
    activity = dose.activity_at_draw_bq * math.exp(-lam * delay)
    issues = list(dose.issues)
    suggestions = list(dose.suggestions)
    if e.patient.injection_time != dose.injection_time:
        stale = (DoseFlag.SYRINGE_DECAYED, DoseFlag.BELOW_PROTOCOL_MINIMUM)
        issues = [i for i in issues if i.flag not in stale]
        issues.append(
            DoseIssue(
                DoseFlag.SYRINGE_DECAYED,
                f"drawn dose injected at {_hm(e.patient.injection_time)} instead of "
                f"{_hm(dose.injection_time)}: {_mbq(activity)} left at injection "
                f"(planned {_mbq(dose.activity_bq)})",
            )
        )
        floor = e.protocol.min_activity_bq
        if floor is not None and activity < floor:
            issues.append(
                DoseIssue(
                    DoseFlag.BELOW_PROTOCOL_MINIMUM,
                    f"{_mbq(activity)} at injection is below the protocol minimum {_mbq(floor)}",
                )
            )
        missing = dose.activity_bq - activity
        if missing > 0:
            suggestions.append(
                f"top up with {_mbq(missing)} at injection (or accept {_mbq(activity)})"
            )
    return replace(
        e, activity_bq=activity, drawn=dose, issues=tuple(issues), suggestions=tuple(suggestions)
    )


# --------------------------------------------------------------------------- CSV


def _csv_rows(p: Path, expected: str) -> tuple[list[tuple[int, str]], list[list[str]]]:
    """Lines (number, text) without blanks and ``#`` comments, and their CSV rows."""
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThxError(f"{p}: cannot be read ({exc})") from None
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1)]
    lines = [(i, line) for i, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ThxError(f"{p}: empty file, expected a header {expected}")
    return lines, list(csv.reader([line for _, line in lines]))


def read_patients_csv(
    path: str | Path, *, tz: str | tzinfo | None = None
) -> tuple[PetPatient, ...]:
    """Read the patient list of the day.

    Parameters
    ----------
    path : str or Path
        UTF-8 CSV with a header ``patient_id,weight_kg,injection_time`` and an
        optional ``protocol`` column; ISO 8601 datetimes with time zones (or
        ``tz``). Blank lines and lines starting with ``#`` are ignored.
    tz : str or tzinfo, optional
        Time zone of datetimes written without an offset.

    Returns
    -------
    tuple of PetPatient

    Raises
    ------
    ThxError
        Naming the file, line and column: missing column or value, bad number or
        datetime, implausible weight, duplicate patient.
    """
    p = Path(path)
    lines, rows = _csv_rows(p, "patient_id,weight_kg,injection_time")
    header = [h.strip() for h in rows[0]]
    columns: dict[str, int] = {}
    for name in ("patient_id", "weight_kg", "injection_time"):
        if name not in header:
            raise ThxError(
                f"{p} line {lines[0][0]}: missing column {name!r} (header: {', '.join(header)})"
            )
        columns[name] = header.index(name)
    protocol_col = header.index("protocol") if "protocol" in header else None
    out: list[PetPatient] = []
    seen: dict[str, int] = {}
    for (number, _), row in zip(lines[1:], rows[1:], strict=True):

        def cell(column: str, index: int, *, line: int = number, values: list[str] = row) -> str:
            if index >= len(values) or not values[index].strip():
                raise ThxError(f"{p} line {line} column {column!r}: missing value")
            return values[index].strip()

        pid = cell("patient_id", columns["patient_id"])
        if pid in seen:
            raise ThxError(
                f"{p} line {number} column 'patient_id': {pid!r} already on line {seen[pid]}"
            )
        seen[pid] = number
        raw = cell("weight_kg", columns["weight_kg"])
        try:
            weight = float(raw)
        except ValueError:
            raise ThxError(
                f"{p} line {number} column 'weight_kg': {raw!r} is not a number"
            ) from None
        if not (math.isfinite(weight) and 0 < weight <= 500):
            raise ThxError(f"{p} line {number} column 'weight_kg': {raw} kg is not in (0, 500]")
        try:
            when = parse_datetime(
                cell("injection_time", columns["injection_time"]), "injection_time", tz
            )
        except ThxError as exc:
            raise ThxError(f"{p} line {number} column 'injection_time': {exc}") from None
        protocol = None
        if protocol_col is not None and protocol_col < len(row) and row[protocol_col].strip():
            protocol = row[protocol_col].strip()
        out.append(PetPatient(pid, weight, when, protocol))
    if not out:
        raise ThxError(f"{p}: no patient rows after the header")
    return tuple(out)


#: Event names of :func:`read_events_csv` and the columns each one reads.
_EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "late": ("patient_id", "time"),
    "absent": ("patient_id",),
    "added": ("patient_id", "weight_kg", "time", "protocol"),
    "vial-measured": ("activity_mbq", "time", "volume_ml"),
    "vial-diluted": ("volume_ml", "time"),
}
_EVENTS_HEADER = (
    "event",
    "patient_id",
    "time",
    "weight_kg",
    "protocol",
    "activity_mbq",
    "volume_ml",
)


def read_events_csv(
    path: str | Path,
    *,
    tz: str | tzinfo | None = None,
    protocols: Mapping[str, PetProtocol] | None = None,
) -> list[ReplanEvent]:
    """Read the re-planning events of a PET day, in file order.

    Parameters
    ----------
    path : str or Path
        UTF-8 CSV with a header naming some of the columns
        ``event,patient_id,time,weight_kg,protocol,activity_mbq,volume_ml`` (an
        ``event`` column is required). One row per event; ``event`` is one of

        - ``late``: ``patient_id``, ``time`` = the new injection time;
        - ``absent``: ``patient_id``;
        - ``added``: ``patient_id``, ``weight_kg``, ``time`` = the planned
          injection time, optional ``protocol`` (default: the plan's);
        - ``vial-measured``: ``activity_mbq`` measured at ``time``, optional
          ``volume_ml`` (default: calibration volume minus the doses drawn);
        - ``vial-diluted``: ``volume_ml`` of saline added at ``time``.

        Columns an event does not use must be empty or absent. ISO 8601
        datetimes with time zones (or ``tz``). Blank lines and lines starting
        with ``#`` are ignored. A file with only the header has no events.
    tz : str or tzinfo, optional
        Time zone of datetimes written without an offset; without it such
        datetimes are refused.
    protocols : mapping, optional
        Protocol table the ``protocol`` of added patients is checked against
        (default: the built-in one).

    Returns
    -------
    list of PatientLate, PatientAbsent, PatientAdded, VialMeasured, VialDiluted
        For :func:`replan_pet_day`.

    Raises
    ------
    ThxError
        Naming the file, line and column: unknown event (with the allowed ones)
        or column, missing value, value in a column the event does not use, bad
        number or datetime, implausible weight, activity or volume, unknown
        protocol, patient added twice.

    Examples
    --------
    A file moving B to 10:00, cancelling C, adding D and recording a vial
    measurement (the unused columns are left empty)::

        event,patient_id,time,weight_kg,protocol,activity_mbq,volume_ml
        late,B,2026-11-24T10:00+01:00,,,,
        absent,C,,,,,
        added,D,2026-11-24T10:20+01:00,90,fdg-eanm-3d,,
        vial-measured,,2026-11-24T09:10+01:00,,,640,
    """
    p = Path(path)
    lines, rows = _csv_rows(p, ",".join(_EVENTS_HEADER))
    header = [h.strip() for h in rows[0]]
    head_line = lines[0][0]
    for name in header:
        if name not in _EVENTS_HEADER:
            raise ThxError(
                f"{p} line {head_line}: unknown column {name!r} "
                f"(allowed: {', '.join(_EVENTS_HEADER)})"
            )
        if header.count(name) > 1:
            raise ThxError(f"{p} line {head_line}: column {name!r} appears twice")
    if "event" not in header:
        raise ThxError(
            f"{p} line {head_line}: missing column 'event' (header: {', '.join(header)})"
        )
    columns = {name: header.index(name) for name in header}
    events: list[ReplanEvent] = []
    added: dict[str, int] = {}
    for (number, _), row in zip(lines[1:], rows[1:], strict=True):
        where = f"{p} line {number}"

        def value(column: str, *, values: list[str] = row) -> str:
            index = columns.get(column)
            if index is None or index >= len(values):
                return ""
            return values[index].strip()

        def required(column: str, *, at: str = where) -> str:
            text = value(column)
            if not text:
                hint = "" if column in columns else " (no such column in the header)"
                raise ThxError(f"{at} column {column!r}: missing value{hint}")
            return text

        def number_in(column: str, low: float, high: float, unit: str, *, at: str = where) -> float:
            raw = required(column)
            try:
                x = float(raw)
            except ValueError:
                raise ThxError(f"{at} column {column!r}: {raw!r} is not a number") from None
            if not (math.isfinite(x) and low < x <= high):
                raise ThxError(
                    f"{at} column {column!r}: {raw} {unit} is not in ({low:g}, {high:g}]"
                )
            return x

        def when(column: str, *, at: str = where) -> datetime:
            try:
                return parse_datetime(required(column), column, tz)
            except ThxError as exc:
                if str(exc).startswith(at):
                    raise
                raise ThxError(f"{at} column {column!r}: {exc}") from None

        kind = required("event")
        if kind not in _EVENT_COLUMNS:
            raise ThxError(
                f"{where} column 'event': unknown event {kind!r} "
                f"(allowed: {', '.join(_EVENT_COLUMNS)})"
            )
        for column in header:
            if column != "event" and column not in _EVENT_COLUMNS[kind] and value(column):
                raise ThxError(
                    f"{where} column {column!r}: not used by the {kind!r} event "
                    f"(got {value(column)!r}); leave it empty"
                )
        event: ReplanEvent
        if kind == "late":
            event = PatientLate(required("patient_id"), when("time"))
        elif kind == "absent":
            event = PatientAbsent(required("patient_id"))
        elif kind == "added":
            pid = required("patient_id")
            if pid in added:
                raise ThxError(
                    f"{where} column 'patient_id': {pid!r} already added on line {added[pid]}"
                )
            added[pid] = number
            weight = number_in("weight_kg", 0, 500, "kg")
            protocol = value("protocol") or None
            if protocol is not None:
                try:
                    pet_protocol(protocol, protocols)
                except ThxError as exc:
                    raise ThxError(f"{where} column 'protocol': {exc}") from None
            event = PatientAdded(PetPatient(pid, weight, when("time"), protocol))
        elif kind == "vial-diluted":
            event = VialDiluted(number_in("volume_ml", 0, math.inf, "mL"), when("time"))
        else:
            activity = number_in("activity_mbq", 0, math.inf, "MBq")
            volume = number_in("volume_ml", 0, math.inf, "mL") if value("volume_ml") else None
            event = VialMeasured(activity * _MBQ, when("time"), volume)
        events.append(event)
    return events

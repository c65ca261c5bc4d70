"""Patient release after radionuclide therapy: dose rate at 1 m, release time, family doses.

Model
-----
The ambient dose rate at 1 m from the patient is that of a point source holding the
retained activity,

    Ḣ(1 m, t) = k · A0 · R(t),    R(t) = Σ f_i exp(−λ_i t),

with ``k`` the dose rate per unit activity at 1 m: the air-kerma rate constant Γδ of
the nuclide (µGy·m²/(MBq·h), from :func:`theranostix.nuclides.air_kerma_rate_constant`,
taken as µSv/h at 1 m per MBq) times an attenuation factor for the patient's own
body (≤ 1; measured dose rates from patients are lower than Γ·A), or derived from a
measured dose rate at a known time. ``λ_i`` are effective (biological + physical)
clearance constants. At a distance d the dose rate scales as 1/d² (point source; at
1 m and less the patient is not a point and this overestimates).

The release time is the first t with Ḣ(1 m, t) ≤ limit (closed form for one
exponential, root finding for more), or with A0·R(t) ≤ a retained-activity limit.

The dose to a contact from release time t_r on, at distance d with occupancy E, is

    D = k · A0 · E / d² · Σ f_i / λ_i · exp(−λ_i t_r)

which for one exponential and t_r = 0 is the NRC formula D(∞) = 34.6 Γ Q0 T_p E / r²
(34.6 = 24 h/d / ln 2, T_p in days) of NUREG-1556 Vol. 9, Appendix U.

References
----------
.. [1] U.S. NRC, NUREG-1556 Vol. 9, "Consolidated Guidance About Materials Licenses:
   Program-Specific Guidance About Medical Use Licenses", Appendix U (release of
   patients administered radioactive material).
.. [2] ICRP Publication 94, "Release of patients after therapy with unsealed
   radionuclides", Ann. ICRP 34(2), 2004.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from theranostix._toml import TomlTable
from theranostix.errors import ThxError

__all__ = [
    "ContactDose",
    "ContactPattern",
    "ReleaseAssessment",
    "ReleaseLimit",
    "RetentionModel",
    "assess_release",
    "contact_dose_msv",
    "default_contacts",
    "default_dose_rate_limit_usv_h",
    "dose_rate_at_1m_usv_h",
    "fit_retention",
    "load_contacts",
    "release_time_s",
    "restriction_days",
]

_LN2 = math.log(2.0)
_DAY_S = 86400.0
_H_S = 3600.0


def _positive(value: float, name: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0.0:
        raise ThxError(f"{name} must be a finite number > 0, got {value!r}")
    return value


@dataclass(frozen=True)
class RetentionModel:
    """Retained fraction R(t) = Σ f_i exp(−ln2 t / T_i) of the administered activity.

    Parameters
    ----------
    fractions : tuple of float
        Fractions f_i (each in (0, 1], sum ≤ 1 + 1e-6).
    effective_half_lives_s : tuple of float
        Effective half-lives T_i (s), > 0, one per fraction.

    Examples
    --------
    >>> m = RetentionModel.mono(40 * 3600.0)
    >>> round(m.retained_fraction(40 * 3600.0), 6)
    0.5
    """

    fractions: tuple[float, ...]
    effective_half_lives_s: tuple[float, ...]

    def __post_init__(self) -> None:
        f = tuple(float(x) for x in self.fractions)
        t = tuple(float(x) for x in self.effective_half_lives_s)
        if not f or len(f) != len(t):
            raise ThxError(
                f"retention model: {len(f)} fraction(s) but {len(t)} half-life(s); "
                "give one effective half-life per fraction"
            )
        for x in f:
            if not math.isfinite(x) or not 0.0 < x <= 1.0:
                raise ThxError(f"retention fractions must be in (0, 1], got {x!r}")
        if sum(f) > 1.0 + 1e-6:
            raise ThxError(f"retention fractions sum to {sum(f):g} > 1")
        for x in t:
            _positive(x, "effective half-life (s)")
        object.__setattr__(self, "fractions", f)
        object.__setattr__(self, "effective_half_lives_s", t)

    @classmethod
    def mono(cls, effective_half_life_s: float) -> RetentionModel:
        """All activity cleared with one effective half-life."""
        return cls((1.0,), (effective_half_life_s,))

    @property
    def decay_constants_per_s(self) -> tuple[float, ...]:
        """λ_i = ln2 / T_i (1/s)."""
        return tuple(_LN2 / t for t in self.effective_half_lives_s)

    def retained_fraction(self, t_s: float) -> float:
        """R(t) at ``t_s`` seconds after administration."""
        return sum(
            f * math.exp(-lam * t_s)
            for f, lam in zip(self.fractions, self.decay_constants_per_s, strict=True)
        )

    def integral_s(self, start_s: float, end_s: float = math.inf) -> float:
        """∫ R(t) dt from ``start_s`` to ``end_s`` (s)."""
        total = 0.0
        for f, lam in zip(self.fractions, self.decay_constants_per_s, strict=True):
            upper = 0.0 if math.isinf(end_s) else math.exp(-lam * end_s)
            total += f / lam * (math.exp(-lam * start_s) - upper)
        return total


def fit_retention(
    times_s: Sequence[float], values: Sequence[float], components: int = 1
) -> tuple[RetentionModel, float]:
    """Fit a retention model to measured dose rates (or activities) at times.

    One component: least squares on log(values) (log-linear). Two components:
    non-linear least squares of ``a1 exp(−λ1 t) + a2 exp(−λ2 t)``.

    Parameters
    ----------
    times_s : sequence of float
        Times after administration (s), not negative.
    values : sequence of float
        Dose rates (any unit) or activities, > 0.
    components : {1, 2}
        Number of exponentials.

    Returns
    -------
    (RetentionModel, float)
        The normalised model and the fitted value at t = 0 (in the unit of ``values``).

    Examples
    --------
    >>> model, v0 = fit_retention([0.0, 86400.0], [30.0, 15.0])
    >>> round(model.effective_half_lives_s[0] / 3600, 3), round(v0, 3)
    (24.0, 30.0)
    """
    import numpy as np

    t = np.asarray(times_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if t.shape != v.shape or t.ndim != 1:
        raise ThxError("fit_retention: times and values must be two lists of the same length")
    if components not in (1, 2):
        raise ThxError(f"fit_retention: components must be 1 or 2, got {components!r}")
    if np.any(~np.isfinite(v)) or np.any(v <= 0) or np.any(t < 0) or np.any(~np.isfinite(t)):
        raise ThxError("fit_retention: values must be > 0 and times finite and not negative")
    if len(t) < 2 * components or len(np.unique(t)) < 2 * components:
        raise ThxError(
            f"fit_retention: {components} component(s) need at least {2 * components} "
            f"distinct times, got {len(np.unique(t))}"
        )
    if components == 1:
        slope, intercept = np.polyfit(t, np.log(v), 1)
        if slope >= 0:
            raise ThxError("fit_retention: the measured values do not decrease with time")
        return RetentionModel.mono(_LN2 / -float(slope)), float(math.exp(intercept))
    from scipy.optimize import curve_fit

    def bi(x: Any, a1: float, l1: float, a2: float, l2: float) -> Any:
        return a1 * np.exp(-l1 * x) + a2 * np.exp(-l2 * x)

    span = float(t.max() - t.min()) or 1.0
    p0 = (float(v[0]) / 2, 10.0 / span, float(v[0]) / 2, 1.0 / span)
    try:
        popt, _ = curve_fit(bi, t, v, p0=p0, bounds=(0.0, np.inf), maxfev=20000)
    except RuntimeError as exc:
        raise ThxError(f"fit_retention: the bi-exponential fit did not converge ({exc})") from exc
    a1, l1, a2, l2 = (float(x) for x in popt)
    if min(a1, a2, l1, l2) <= 0:
        raise ThxError("fit_retention: a bi-exponential does not fit (a component vanished)")
    total = a1 + a2
    return RetentionModel((a1 / total, a2 / total), (_LN2 / l1, _LN2 / l2)), total


def dose_rate_at_1m_usv_h(
    nuclide: str,
    activity_bq: float,
    *,
    attenuation_factor: float = 1.0,
) -> float:
    """Dose rate at 1 m (µSv/h) of a point source of ``activity_bq`` in air.

    Ḣ = Γδ · A · a, with Γδ the air-kerma rate constant (µGy·m²/(MBq·h)) taken as
    µSv·m²/(MBq·h) and ``a`` an attenuation factor (≤ 1) for the patient's body.

    References
    ----------
    .. [1] ICRU Report 85a (2011), air-kerma rate constant (see
       :func:`theranostix.nuclides.air_kerma_rate_constant`).

    Examples
    --------
    >>> from theranostix.nuclides import air_kerma_rate_constant
    >>> g = air_kerma_rate_constant("Lu-177")
    >>> dose_rate_at_1m_usv_h("Lu-177", 7.4e9) == g * 7400.0
    True
    """
    from theranostix.nuclides import air_kerma_rate_constant

    a = float(attenuation_factor)
    if not math.isfinite(a) or not 0.0 < a <= 1.0:
        raise ThxError(f"attenuation factor must be in (0, 1], got {attenuation_factor!r}")
    if not math.isfinite(activity_bq) or activity_bq < 0:
        raise ThxError(f"activity must be a finite number ≥ 0 Bq, got {activity_bq!r}")
    return air_kerma_rate_constant(nuclide) * activity_bq / 1e6 * a


@dataclass(frozen=True)
class ReleaseLimit:
    """A release criterion: dose rate at 1 m (µSv/h) or retained activity (Bq).

    Exactly one of ``dose_rate_usv_h`` and ``retained_activity_bq`` is given.
    """

    dose_rate_usv_h: float | None = None
    retained_activity_bq: float | None = None

    def __post_init__(self) -> None:
        given = [x for x in (self.dose_rate_usv_h, self.retained_activity_bq) if x is not None]
        if len(given) != 1:
            raise ThxError(
                "release limit: give exactly one of a dose rate at 1 m (µSv/h) "
                "and a retained activity (Bq)"
            )
        if self.dose_rate_usv_h is not None:
            _positive(self.dose_rate_usv_h, "release limit dose rate (µSv/h at 1 m)")
        if self.retained_activity_bq is not None:
            _positive(self.retained_activity_bq, "release limit retained activity (Bq)")

    def describe(self) -> str:
        """A short text, e.g. ``'20 µSv/h at 1 m'``."""
        if self.dose_rate_usv_h is not None:
            return f"{self.dose_rate_usv_h:g} µSv/h at 1 m"
        assert self.retained_activity_bq is not None
        return f"{self.retained_activity_bq / 1e6:g} MBq retained"


def release_time_s(initial_value: float, model: RetentionModel, limit_value: float) -> float:
    """First time (s) at which ``initial_value · R(t)`` ≤ ``limit_value``.

    One exponential: t = T_eff / ln2 · ln(initial / limit); more: Brent root finding
    (R is strictly decreasing). Zero when already at or below the limit.

    Examples
    --------
    >>> t = release_time_s(40.0, RetentionModel.mono(40 * 3600.0), 20.0)
    >>> round(t / 3600, 6)
    40.0
    """
    _positive(limit_value, "limit")
    if initial_value <= limit_value:
        return 0.0
    if len(model.fractions) == 1:
        lam = model.decay_constants_per_s[0]
        start = initial_value * model.fractions[0]
        return math.log(start / limit_value) / lam if start > limit_value else 0.0
    from scipy.optimize import brentq

    def excess(t: float) -> float:
        return initial_value * model.retained_fraction(t) - limit_value

    hi = max(model.effective_half_lives_s)
    while excess(hi) > 0:
        hi *= 2.0
    return float(brentq(excess, 0.0, hi, xtol=1e-6, rtol=1e-12))


@dataclass(frozen=True)
class ContactPattern:
    """How a contact person stays near the patient, with and without restrictions.

    Attributes
    ----------
    name : str
        E.g. ``"partner"``.
    constraint_msv : float
        Dose constraint for this contact (mSv).
    normal_distance_m, normal_occupancy : float
        Distance (m) and occupancy factor (fraction of time) without restrictions.
    restricted_distance_m, restricted_occupancy : float
        Distance and occupancy while restrictions apply.
    description : str
        Text of the instruction.
    """

    name: str
    constraint_msv: float
    normal_distance_m: float
    normal_occupancy: float
    restricted_distance_m: float
    restricted_occupancy: float
    description: str = ""

    def __post_init__(self) -> None:
        _positive(self.constraint_msv, f"contact {self.name!r} constraint (mSv)")
        _positive(self.normal_distance_m, f"contact {self.name!r} normal distance (m)")
        _positive(self.restricted_distance_m, f"contact {self.name!r} restricted distance (m)")
        for what, occ in (
            ("normal", self.normal_occupancy),
            ("restricted", self.restricted_occupancy),
        ):
            if not math.isfinite(occ) or not 0.0 <= occ <= 1.0:
                raise ThxError(
                    f"contact {self.name!r} {what} occupancy must be in [0, 1], got {occ!r}"
                )

    @property
    def restricted_weight_per_m2(self) -> float:
        """E / d² while restricted (1/m²)."""
        return self.restricted_occupancy / self.restricted_distance_m**2

    @property
    def normal_weight_per_m2(self) -> float:
        """E / d² without restriction (1/m²)."""
        return self.normal_occupancy / self.normal_distance_m**2


def contact_dose_msv(
    dose_rate0_usv_h: float,
    model: RetentionModel,
    contact: ContactPattern,
    release_s: float,
    restriction_s: float = 0.0,
) -> float:
    """Dose (mSv) to a contact from release on, restricted for ``restriction_s`` after it.

    D = Ḣ0 · [E_r/d_r² ∫_{t_r}^{t_r+τ} R dt + E_n/d_n² ∫_{t_r+τ}^∞ R dt], with Ḣ0 the
    dose rate at 1 m at administration (µSv/h), ∫ R = Σ f_i/λ_i (e^{−λ_i a} − e^{−λ_i b}).

    References
    ----------
    .. [1] U.S. NRC, NUREG-1556 Vol. 9, Appendix U: D(∞) = 34.6 Γ Q0 T_p E / r².

    Examples
    --------
    One exponential of 40 h, 30 µSv/h at 1 m, occupancy 0.25 at 1 m, no restriction:
    30 × 0.25 × 40/ln2 µSv = 432.8 µSv.

    >>> c = ContactPattern("p", 5.0, 1.0, 0.25, 2.0, 0.25)
    >>> round(contact_dose_msv(30.0, RetentionModel.mono(40 * 3600.0), c, 0.0), 4)
    0.4328
    """
    t1 = release_s + restriction_s
    restricted = contact.restricted_weight_per_m2 * model.integral_s(release_s, t1)
    normal = contact.normal_weight_per_m2 * model.integral_s(t1)
    return dose_rate0_usv_h * (restricted + normal) / _H_S / 1000.0


def restriction_days(
    dose_rate0_usv_h: float, model: RetentionModel, contact: ContactPattern, release_s: float
) -> int | None:
    """Whole days of restriction after release that keep the contact's dose ≤ constraint.

    ``0`` when no restriction is needed; ``None`` when even permanent restriction
    does not meet the constraint.
    """
    if contact_dose_msv(dose_rate0_usv_h, model, contact, release_s) <= contact.constraint_msv:
        return 0
    if (
        contact_dose_msv(dose_rate0_usv_h, model, contact, release_s, math.inf)
        > contact.constraint_msv
    ):
        return None
    days = 1
    while contact_dose_msv(dose_rate0_usv_h, model, contact, release_s, days * _DAY_S) > (
        contact.constraint_msv
    ):
        days += 1
        if days > 100000:  # pragma: no cover - guarded by the permanent check above
            return None
    return days


@dataclass(frozen=True)
class ContactDose:
    """Dose to one contact and the days of restriction that meet its constraint."""

    contact: str
    dose_msv: float
    constraint_msv: float
    restriction_days: int | None
    dose_with_restriction_msv: float | None
    instruction: str


@dataclass(frozen=True)
class ReleaseAssessment:
    """Result of :func:`assess_release` (times in s after administration)."""

    nuclide: str
    administered_bq: float
    dose_rate_per_mbq_usv_h: float
    dose_rate0_usv_h: float
    model: RetentionModel
    limit: ReleaseLimit
    release_time_s: float
    dose_rate_at_release_usv_h: float
    retained_at_release_bq: float
    contacts: tuple[ContactDose, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (hours, µSv/h, MBq, mSv)."""
        return {
            "nuclide": self.nuclide,
            "administered_mbq": self.administered_bq / 1e6,
            "dose_rate_per_mbq_usv_h_at_1m": self.dose_rate_per_mbq_usv_h,
            "dose_rate_at_administration_usv_h": self.dose_rate0_usv_h,
            "fractions": list(self.model.fractions),
            "effective_half_lives_h": [t / _H_S for t in self.model.effective_half_lives_s],
            "limit": self.limit.describe(),
            "release_time_h": self.release_time_s / _H_S,
            "dose_rate_at_release_usv_h": self.dose_rate_at_release_usv_h,
            "retained_at_release_mbq": self.retained_at_release_bq / 1e6,
            "contacts": [
                {
                    "contact": c.contact,
                    "dose_msv": c.dose_msv,
                    "constraint_msv": c.constraint_msv,
                    "restriction_days": c.restriction_days,
                    "dose_with_restriction_msv": c.dose_with_restriction_msv,
                    "instruction": c.instruction,
                }
                for c in self.contacts
            ],
            "notes": list(self.notes),
        }


def assess_release(
    nuclide: str,
    administered_bq: float,
    model: RetentionModel,
    limit: ReleaseLimit,
    *,
    attenuation_factor: float = 1.0,
    dose_rate_per_mbq_usv_h: float | None = None,
    measured_usv_h_at_1m: float | None = None,
    measured_at_s: float | None = None,
    contacts: Sequence[ContactPattern] | None = None,
) -> ReleaseAssessment:
    """Release time, dose rate at release and contact doses with restriction days.

    The dose rate at 1 m at administration, Ḣ0, is (first that applies):
    ``measured_usv_h_at_1m / R(measured_at_s)``; ``dose_rate_per_mbq_usv_h × A0``;
    Γδ · A0 · ``attenuation_factor``.

    Parameters
    ----------
    nuclide : str
        E.g. ``"Lu-177"``.
    administered_bq : float
        Administered activity A0 (Bq).
    model : RetentionModel
        Effective retention.
    limit : ReleaseLimit
        Release criterion.
    attenuation_factor : float
        Factor (≤ 1) for the attenuation in the patient, applied to Γδ.
    dose_rate_per_mbq_usv_h : float, optional
        Measured dose rate at 1 m per MBq administered (µSv/h/MBq), replacing Γδ.
    measured_usv_h_at_1m, measured_at_s : float, optional
        A measured dose rate at 1 m and its time after administration.
    contacts : sequence of ContactPattern, optional
        Defaults to :func:`default_contacts`.

    References
    ----------
    .. [1] U.S. NRC, NUREG-1556 Vol. 9, Appendix U.
    .. [2] ICRP Publication 94, Ann. ICRP 34(2), 2004.

    Examples
    --------
    >>> r = assess_release("Lu-177", 7.4e9, RetentionModel.mono(40 * 3600.0),
    ...                    ReleaseLimit(dose_rate_usv_h=20.0))
    >>> round(r.release_time_s / 3600, 2)
    26.72
    """
    a0 = _positive(administered_bq, "administered activity (Bq)")
    notes: list[str] = []
    if (measured_usv_h_at_1m is None) != (measured_at_s is None):
        raise ThxError("a measured dose rate needs both its value (µSv/h at 1 m) and its time")
    if measured_usv_h_at_1m is not None and measured_at_s is not None:
        _positive(measured_usv_h_at_1m, "measured dose rate (µSv/h at 1 m)")
        if not math.isfinite(measured_at_s) or measured_at_s < 0:
            raise ThxError(
                f"measured time must be ≥ 0 s after administration, got {measured_at_s!r}"
            )
        h0 = measured_usv_h_at_1m / model.retained_fraction(measured_at_s)
        notes.append("dose rate at 1 m from the measurement, back-extrapolated with the model")
    elif dose_rate_per_mbq_usv_h is not None:
        h0 = _positive(dose_rate_per_mbq_usv_h, "dose rate per MBq (µSv/h at 1 m)") * a0 / 1e6
        notes.append("dose rate at 1 m from the given dose rate per MBq")
    else:
        h0 = dose_rate_at_1m_usv_h(nuclide, a0, attenuation_factor=attenuation_factor)
        notes.append(
            "dose rate at 1 m = air-kerma rate constant × activity (point source in air"
            + (")" if attenuation_factor == 1.0 else f", × attenuation {attenuation_factor:g})")
            + "; the patient's body attenuates, so measured dose rates are lower"
        )
    k = h0 / (a0 / 1e6)
    if limit.dose_rate_usv_h is not None:
        t_r = release_time_s(h0, model, limit.dose_rate_usv_h)
    else:
        assert limit.retained_activity_bq is not None
        t_r = release_time_s(a0, model, limit.retained_activity_bq)
    r_r = model.retained_fraction(t_r)
    doses = []
    for c in default_contacts() if contacts is None else contacts:
        dose = contact_dose_msv(h0, model, c, t_r)
        days = restriction_days(h0, model, c, t_r)
        with_r = None if days is None else contact_dose_msv(h0, model, c, t_r, days * _DAY_S)
        if days is None:
            text = (
                f"{c.name}: the constraint of {c.constraint_msv:g} mSv cannot be met "
                "by this restriction"
            )
        elif days == 0:
            text = f"{c.name}: no restriction needed"
        else:
            text = (
                f"{c.name}: for {days} day(s) after release keep ≥ {c.restricted_distance_m:g} m "
                f"(occupancy {c.restricted_occupancy:g})"
                + (f" — {c.description}" if c.description else "")
            )
        doses.append(ContactDose(c.name, dose, c.constraint_msv, days, with_r, text))
    return ReleaseAssessment(
        nuclide=nuclide,
        administered_bq=a0,
        dose_rate_per_mbq_usv_h=k,
        dose_rate0_usv_h=h0,
        model=model,
        limit=limit,
        release_time_s=t_r,
        dose_rate_at_release_usv_h=h0 * r_r,
        retained_at_release_bq=a0 * r_r,
        contacts=tuple(doses),
        notes=tuple(notes),
    )


def _read_contacts(data: dict[str, Any], file: str) -> tuple[ContactPattern, ...]:
    root = TomlTable(data, file, "")
    out = []
    for t in root.tables("contact", non_empty=True):
        out.append(
            ContactPattern(
                name=t.text("name", non_empty=True),
                constraint_msv=t.positive("constraint_msv", "mSv"),
                normal_distance_m=t.positive("normal_distance_m", "m"),
                normal_occupancy=float(t.number("normal_occupancy") or 0.0),
                restricted_distance_m=t.positive("restricted_distance_m", "m"),
                restricted_occupancy=float(t.number("restricted_occupancy") or 0.0),
                description=t.text("description", required=False),
            )
        )
        t.finish()
    return tuple(out)


def load_contacts(path: str) -> tuple[ContactPattern, ...]:
    """Contact patterns from a TOML file with ``[[contact]]`` tables (as ``release.toml``)."""
    from pathlib import Path

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThxError(f"cannot read contacts file {path}: {exc}") from exc
    return _read_contacts(data, p.name)


def _default_data() -> dict[str, Any]:
    text = (
        resources.files("theranostix.therapy_ops")
        .joinpath("data", "release.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def default_contacts() -> tuple[ContactPattern, ...]:
    """The example contact patterns of the shipped ``release.toml`` (configurable examples)."""
    return _read_contacts(_default_data(), "release.toml")


def default_dose_rate_limit_usv_h() -> float:
    """The example release limit of the shipped ``release.toml`` (µSv/h at 1 m)."""
    limits = TomlTable(_default_data(), "release.toml", "").table("limits")
    assert limits is not None
    return limits.positive("dose_rate_usv_h_at_1m", "µSv/h")

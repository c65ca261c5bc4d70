"""Radionuclide generators: Ge-68/Ga-68 and Mo-99/Tc-99m.

The daughter on the column grows in from the parent after each elution, from the
residual the previous elution left behind (the two-member Bateman solution). The
column is taken to be in equilibrium with the parent before its first recorded
elution; record an elution (e.g. a factory or a first wash-out elution) to start
from an empty column.

Elution efficiency, shelf life and the maximum number of elutions depend on the
generator model: they are parameters of :class:`GeneratorModel`, and the values of
:meth:`GeneratorModel.typical` are conservative examples only. Use the values in
the instructions for use of your generator.

References
----------
.. [1] Bateman H. The solution of a system of differential equations occurring
   in the theory of radioactive transformations. Proc Camb Phil Soc
   1910;15:423-427.
.. [2] Cherry SR, Sorenson JA, Phelps ME. Physics in Nuclear Medicine, 4th ed.
   Elsevier, 2012, ch. 5 (radionuclide generators, transient and secular
   equilibrium, time of maximum daughter activity).
.. [3] Saha GB. Fundamentals of Nuclear Pharmacy, 7th ed. Springer, 2018, ch. 5
   (radionuclide generators, elution yield, breakthrough).
.. [4] European Pharmacopoeia, monograph 2464: Gallium (68Ga) chloride solution
   for radiolabelling (germanium-68: maximum 0.001 per cent of the total
   radioactivity).
"""

from __future__ import annotations

import calendar
import enum
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError, UnreachableActivityError
from theranostix.nuclides import Nuclide, decay_factor
from theranostix.production._validate import (
    fraction,
    positive,
    positive_int_or_none,
)
from theranostix.units import elapsed_s, ensure_aware, format_activity, shift

__all__ = [
    "PH_EUR_GE68_LIMIT",
    "Elution",
    "ElutionResult",
    "ElutionTiming",
    "ExpiryReference",
    "Generator",
    "GeneratorModel",
    "GeneratorStatus",
    "GeneratorType",
    "daughter_ingrowth",
    "elution_history",
    "estimate_elution_efficiency",
    "generator_status",
    "next_elution",
    "simulate_elutions",
    "time_of_maximum_daughter_activity",
]

#: Ph. Eur. monograph 2464 limit of Ge-68 in a Ga-68 eluate: 0.001 % of the activity.
PH_EUR_GE68_LIMIT = 1e-5


class GeneratorType(enum.Enum):
    """The generator systems supported, by parent and daughter."""

    GE68_GA68 = "ge68-ga68"
    MO99_TC99M = "mo99-tc99m"

    @property
    def parent(self) -> str:
        """Name of the parent radionuclide, e.g. ``'Ge-68'``."""
        return {"ge68-ga68": "Ge-68", "mo99-tc99m": "Mo-99"}[self.value]

    @property
    def daughter(self) -> str:
        """Name of the daughter eluted, e.g. ``'Ga-68'``."""
        return {"ge68-ga68": "Ga-68", "mo99-tc99m": "Tc-99m"}[self.value]

    @classmethod
    def parse(cls, value: GeneratorType | str) -> GeneratorType:
        """Accept the enum or spellings such as ``"ge68-ga68"``, ``"Ge-68/Ga-68"``, ``"mo99"``.

        >>> GeneratorType.parse("Mo-99/Tc-99m")
        <GeneratorType.MO99_TC99M: 'mo99-tc99m'>
        """
        if isinstance(value, cls):
            return value
        key = "".join(ch for ch in str(value).lower() if ch.isalnum())
        aliases = {
            "ge68ga68": cls.GE68_GA68,
            "ge68": cls.GE68_GA68,
            "ga68": cls.GE68_GA68,
            "mo99tc99m": cls.MO99_TC99M,
            "mo99": cls.MO99_TC99M,
            "tc99m": cls.MO99_TC99M,
        }
        if key in aliases:
            return aliases[key]
        allowed = ", ".join(m.value for m in cls)
        raise ThxError(f"unknown generator type {value!r}; allowed: {allowed}")


class ExpiryReference(enum.Enum):
    """What the shelf life of a generator counts from."""

    CALIBRATION = "calibration"
    FIRST_USE = "first-use"


def _add_months(when: datetime, months: int) -> datetime:
    """Same wall-clock time ``months`` calendar months later (day clamped to month end)."""
    total = when.month - 1 + months
    year, month = when.year + total // 12, total % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


@dataclass(frozen=True, init=False)
class GeneratorModel:
    """Properties of a generator model that the user (or its leaflet) provides.

    Parameters
    ----------
    generator_type : GeneratorType or str
        ``"ge68-ga68"`` or ``"mo99-tc99m"``.
    elution_efficiency : float
        Fraction of the daughter on the column that an elution collects,
        0 < efficiency <= 1.
    shelf_life_months : int, optional
        Shelf life in calendar months (give this or ``shelf_life_days``).
    shelf_life_days : float, optional
        Shelf life in days.
    max_elutions : int, optional
        Largest number of elutions allowed.
    expiry_from : ExpiryReference or str
        Whether the shelf life counts from calibration (default) or first use.
    breakthrough_fraction : float, optional
        Fraction of the parent on the column found in each eluate (parent
        breakthrough), e.g. 1e-5 for 0.001 %; without it no estimate is made.
    breakthrough_limit : float, optional
        Largest allowed ratio of parent to daughter activity in the eluate; for
        Ge-68/Ga-68 :meth:`typical` uses the Ph. Eur. limit 1e-5 (0.001 %) [4]_.
    name : str
        Free label.

    Examples
    --------
    >>> import dataclasses
    >>> model = GeneratorModel.typical("ge68-ga68")
    >>> model.elution_efficiency, model.shelf_life_months, model.max_elutions
    (0.6, 12, 250)
    >>> dataclasses.replace(model, elution_efficiency=0.75).elution_efficiency
    0.75
    """

    generator_type: GeneratorType
    elution_efficiency: float
    shelf_life_months: int | None
    shelf_life_days: float | None
    max_elutions: int | None
    expiry_from: ExpiryReference
    breakthrough_fraction: float | None
    breakthrough_limit: float | None
    name: str

    def __init__(
        self,
        generator_type: GeneratorType | str,
        *,
        elution_efficiency: float,
        shelf_life_months: int | None = None,
        shelf_life_days: float | None = None,
        max_elutions: int | None = None,
        expiry_from: ExpiryReference | str = ExpiryReference.CALIBRATION,
        breakthrough_fraction: float | None = None,
        breakthrough_limit: float | None = None,
        name: str = "",
    ) -> None:
        if shelf_life_months is not None and shelf_life_days is not None:
            raise ThxError("give shelf_life_months or shelf_life_days, not both")
        try:
            reference = ExpiryReference(expiry_from)
        except ValueError:
            allowed = ", ".join(m.value for m in ExpiryReference)
            raise ThxError(f"unknown expiry_from {expiry_from!r}; allowed: {allowed}") from None
        values: dict[str, Any] = {
            "generator_type": GeneratorType.parse(generator_type),
            "elution_efficiency": fraction(elution_efficiency, "elution_efficiency"),
            "shelf_life_months": positive_int_or_none(shelf_life_months, "shelf_life_months"),
            "shelf_life_days": None
            if shelf_life_days is None
            else positive(shelf_life_days, "shelf_life_days", "d"),
            "max_elutions": positive_int_or_none(max_elutions, "max_elutions"),
            "expiry_from": reference,
            "breakthrough_fraction": None
            if breakthrough_fraction is None
            else fraction(breakthrough_fraction, "breakthrough_fraction"),
            "breakthrough_limit": None
            if breakthrough_limit is None
            else fraction(breakthrough_limit, "breakthrough_limit"),
            "name": str(name),
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @classmethod
    def typical(cls, generator_type: GeneratorType | str) -> GeneratorModel:
        """Example values for a generator type: conservative, configurable, not vendor data.

        ``ge68-ga68``: efficiency 0.6 (lower end of the usual 0.6-0.8), shelf life
        12 months from calibration, at most 250 elutions, Ge-68 limit of the
        Ph. Eur. (0.001 %). ``mo99-tc99m``: efficiency 0.85 (slightly below the
        usual ~0.9), shelf life 21 days from calibration, no elution count limit.
        Replace them with the values of your generator (``dataclasses.replace``).
        """
        kind = GeneratorType.parse(generator_type)
        if kind is GeneratorType.GE68_GA68:
            return cls(
                kind,
                elution_efficiency=0.6,
                shelf_life_months=12,
                max_elutions=250,
                breakthrough_limit=PH_EUR_GE68_LIMIT,
                name="typical Ge-68/Ga-68 (example values)",
            )
        return cls(
            kind,
            elution_efficiency=0.85,
            shelf_life_days=21.0,
            name="typical Mo-99/Tc-99m (example values)",
        )


@dataclass(frozen=True)
class Elution:
    """One elution of a generator.

    Parameters
    ----------
    at : datetime
        Aware datetime of the elution.
    measured_activity_bq : float, optional
        Measured eluate activity (Bq), decay-corrected to ``at``. When given, the
        residual left on the column is the available activity minus this.
    efficiency : float, optional
        Elution efficiency of this elution, when known instead of a measurement;
        otherwise the model's efficiency is used.
    """

    at: datetime
    measured_activity_bq: float | None = None
    efficiency: float | None = None

    def __post_init__(self) -> None:
        ensure_aware(self.at, "elution time")
        if self.measured_activity_bq is not None:
            positive(self.measured_activity_bq, "measured_activity_bq", "Bq")
            if self.efficiency is not None:
                raise ThxError(
                    f"elution at {self.at.isoformat()}: give measured_activity_bq or efficiency, "
                    "not both"
                )
        if self.efficiency is not None:
            fraction(self.efficiency, "efficiency")


@dataclass(frozen=True, init=False)
class Generator:
    """A generator: its model, calibration and elution history.

    Parameters
    ----------
    model : GeneratorModel, GeneratorType or str
        A type name such as ``"ge68-ga68"`` uses :meth:`GeneratorModel.typical`.
    calibration_activity_bq : float
        Parent activity (Bq) at ``calibrated``.
    calibrated : datetime
        Aware calibration datetime.
    elutions : iterable of Elution or datetime
        Elution history (any order; sorted here).
    first_use : datetime, optional
        When the generator was first used; by default its first elution.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> gen = Generator("mo99-tc99m", calibration_activity_bq=20e9,
    ...                 calibrated=datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc))
    >>> gen.parent.name, gen.daughter.name, gen.branching_fraction
    ('Mo-99', 'Tc-99m', 0.8773)
    """

    model: GeneratorModel
    calibration_activity_bq: float
    calibrated: datetime
    elutions: tuple[Elution, ...]
    first_use: datetime | None

    def __init__(
        self,
        model: GeneratorModel | GeneratorType | str,
        *,
        calibration_activity_bq: float,
        calibrated: datetime,
        elutions: Iterable[Elution | datetime] = (),
        first_use: datetime | None = None,
    ) -> None:
        if not isinstance(model, GeneratorModel):
            model = GeneratorModel.typical(model)
        history = sorted(
            (e if isinstance(e, Elution) else Elution(e) for e in elutions),
            key=lambda e: e.at,
        )
        for before, after in itertools.pairwise(history):
            if before.at == after.at:
                raise ThxError(f"two elutions at the same time {after.at.isoformat()}")
        values: dict[str, Any] = {
            "model": model,
            "calibration_activity_bq": positive(
                calibration_activity_bq, "calibration_activity_bq", "Bq"
            ),
            "calibrated": ensure_aware(calibrated, "calibrated"),
            "elutions": tuple(history),
            "first_use": None if first_use is None else ensure_aware(first_use, "first_use"),
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @property
    def generator_type(self) -> GeneratorType:
        """Ge-68/Ga-68 or Mo-99/Tc-99m."""
        return self.model.generator_type

    @property
    def parent(self) -> Nuclide:
        """The parent radionuclide."""
        return Nuclide(self.generator_type.parent)

    @property
    def daughter(self) -> Nuclide:
        """The daughter radionuclide."""
        return Nuclide(self.generator_type.daughter)

    @property
    def branching_fraction(self) -> float:
        """Fraction of parent decays that feed the daughter (ICRP-107)."""
        return self.parent.branching_fraction(self.daughter)

    @property
    def equilibrium_ratio(self) -> float:
        """Daughter per parent activity at equilibrium, b·λd/(λd−λp) [2]_."""
        lam_p = self.parent.decay_constant_per_s
        lam_d = self.daughter.decay_constant_per_s
        return self.branching_fraction * lam_d / (lam_d - lam_p)

    def with_elutions(self, *elutions: Elution | datetime) -> Generator:
        """A copy with more elutions in the history."""
        return Generator(
            self.model,
            calibration_activity_bq=self.calibration_activity_bq,
            calibrated=self.calibrated,
            elutions=(*self.elutions, *elutions),
            first_use=self.first_use,
        )

    def parent_activity_bq(self, at: datetime) -> float:
        """Parent activity (Bq) at an aware datetime (A = A_cal·exp(−λp·t))."""
        seconds = elapsed_s(self.calibrated, ensure_aware(at, "at"))
        return self.calibration_activity_bq * decay_factor(self.parent, seconds)

    def expires_at(self, at: datetime | None = None) -> datetime | None:
        """End of the shelf life, or None without a shelf life (or not yet in use)."""
        model = self.model
        if model.shelf_life_months is None and model.shelf_life_days is None:
            return None
        start: datetime | None = self.calibrated
        if model.expiry_from is ExpiryReference.FIRST_USE:
            start = self.first_use_at(at)
            if start is None:
                return None
        assert start is not None
        if model.shelf_life_months is not None:
            return _add_months(start, model.shelf_life_months)
        assert model.shelf_life_days is not None
        return shift(start, model.shelf_life_days * 86400.0)

    def first_use_at(self, at: datetime | None = None) -> datetime | None:
        """First use: the given one, else the first elution (up to ``at``)."""
        if self.first_use is not None:
            return self.first_use
        for elution in self.elutions:
            if at is None or elution.at <= at:
                return elution.at
        return None


def daughter_ingrowth(
    parent_activity_bq: npt.ArrayLike,
    parent: Nuclide | str,
    daughter: Nuclide | str,
    elapsed_s: npt.ArrayLike,
    *,
    daughter_activity_bq: npt.ArrayLike = 0.0,
) -> Any:
    r"""Daughter activity after ``elapsed_s`` from a parent and a daughter at time zero.

    The two-member Bateman solution [1]_ [2]_:

    .. math::

        A_d(t) = b \frac{\lambda_d}{\lambda_d - \lambda_p} A_p(0)
        \left(e^{-\lambda_p t} - e^{-\lambda_d t}\right) + A_d(0) e^{-\lambda_d t}

    with b the branching fraction of the parent to the daughter (ICRP-107).

    Parameters
    ----------
    parent_activity_bq : float or array_like
        Parent activity at time zero (Bq).
    parent, daughter : Nuclide or str
        The pair, e.g. ``"Mo-99"``, ``"Tc-99m"``.
    elapsed_s : float or array_like
        Time(s) after time zero (s), >= 0.
    daughter_activity_bq : float or array_like
        Daughter activity at time zero (Bq), e.g. the residual of an elution.

    Returns
    -------
    float or numpy.ndarray
        Daughter activity (Bq).

    Examples
    --------
    >>> round(daughter_ingrowth(10e9, "Mo-99", "Tc-99m", 23 * 3600) / 1e9, 3)
    6.899
    """
    par, dau = Nuclide(parent), Nuclide(daughter)
    lam_p, lam_d = par.decay_constant_per_s, dau.decay_constant_per_s
    b = par.branching_fraction(dau)
    if b <= 0:
        raise ThxError(f"{dau.name} is not a direct progeny of {par.name}")
    t = np.asarray(elapsed_s, dtype=np.float64)
    if np.any(t < 0):
        raise ThxError(f"elapsed_s must be >= 0 s, got {elapsed_s!r}")
    a_p0 = np.asarray(parent_activity_bq, dtype=np.float64)
    a_d0 = np.asarray(daughter_activity_bq, dtype=np.float64)
    # e^{-λp t} − e^{-λd t} = e^{-λp t}·(1 − e^{−(λd−λp) t}), accurate for small t.
    ingrowth = np.exp(-lam_p * t) * -np.expm1(-(lam_d - lam_p) * t)
    value = b * lam_d / (lam_d - lam_p) * a_p0 * ingrowth + a_d0 * np.exp(-lam_d * t)
    return float(value) if value.ndim == 0 else value


def time_of_maximum_daughter_activity(parent: Nuclide | str, daughter: Nuclide | str) -> float:
    r"""Time (s) after a complete elution when the daughter activity is largest [2]_.

    .. math:: t_{max} = \frac{\ln(\lambda_d / \lambda_p)}{\lambda_d - \lambda_p}

    Examples
    --------
    >>> round(time_of_maximum_daughter_activity("Mo-99", "Tc-99m") / 3600, 1)
    22.9
    """
    lam_p = Nuclide(parent).decay_constant_per_s
    lam_d = Nuclide(daughter).decay_constant_per_s
    if lam_d <= lam_p:
        raise ThxError(
            f"{Nuclide(daughter).name} lives longer than {Nuclide(parent).name}: "
            "its activity has no maximum after an elution"
        )
    return math.log(lam_d / lam_p) / (lam_d - lam_p)


# --------------------------------------------------------------------------- column state


@dataclass(frozen=True)
class _Column:
    """Daughter on the column after the last elution applied (None: equilibrium)."""

    anchor: datetime | None
    anchor_parent_bq: float
    residual_bq: float
    count: int


def _available_bq(gen: Generator, column: _Column, at: datetime) -> float:
    if column.anchor is None:
        return gen.equilibrium_ratio * gen.parent_activity_bq(at)
    return float(
        daughter_ingrowth(
            column.anchor_parent_bq,
            gen.parent,
            gen.daughter,
            elapsed_s(column.anchor, at),
            daughter_activity_bq=column.residual_bq,
        )
    )


@dataclass(frozen=True)
class ElutionResult:
    """One elution, recorded or simulated.

    Attributes
    ----------
    number : int
        Its rank in the generator's life (1 for the first elution).
    at : datetime
        When.
    parent_activity_bq : float
        Parent on the column.
    available_daughter_bq : float
        Daughter on the column just before the elution.
    eluate_activity_bq : float
        Daughter in the eluate (measured, or efficiency × available).
    efficiency : float
        Efficiency used, or measured / available for a measured elution.
    measured : bool
        Whether ``eluate_activity_bq`` is a measurement.
    residual_daughter_bq : float
        Daughter left on the column.
    since_previous_s : float or None
        Time since the previous elution.
    expired : bool
        Whether the generator was expired at this elution.
    expiry_reasons : tuple of str
        Why.
    parent_in_eluate_bq, breakthrough_ratio : float or None
        Estimated parent breakthrough and its ratio to the daughter in the eluate
        (when the model has a ``breakthrough_fraction``).
    breakthrough_within_limit : bool or None
        Ratio <= the model's ``breakthrough_limit`` (when both are known).
    """

    number: int
    at: datetime
    parent_activity_bq: float
    available_daughter_bq: float
    eluate_activity_bq: float
    efficiency: float
    measured: bool
    residual_daughter_bq: float
    since_previous_s: float | None
    expired: bool
    expiry_reasons: tuple[str, ...]
    parent_in_eluate_bq: float | None = None
    breakthrough_ratio: float | None = None
    breakthrough_within_limit: bool | None = None


def _expiry(gen: Generator, at: datetime, count: int) -> tuple[datetime | None, tuple[str, ...]]:
    """Expiry datetime and the reasons the generator is expired at ``at`` after ``count``."""
    reasons: list[str] = []
    expires = gen.expires_at(at)
    if expires is not None and at >= expires:
        model = gen.model
        life = (
            f"{model.shelf_life_months} months"
            if model.shelf_life_months is not None
            else f"{model.shelf_life_days:g} days"
        )
        reasons.append(
            f"shelf life of {life} from {model.expiry_from.value} ended {expires.isoformat()}"
        )
    limit = gen.model.max_elutions
    if limit is not None and count >= limit:
        reasons.append(f"{count} elutions done, the maximum is {limit}")
    return expires, tuple(reasons)


def _breakthrough(
    gen: Generator, parent_bq: float, eluate_bq: float
) -> tuple[float | None, float | None, bool | None]:
    f = gen.model.breakthrough_fraction
    if f is None:
        return None, None, None
    in_eluate = f * parent_bq
    ratio = in_eluate / eluate_bq if eluate_bq > 0 else math.inf
    limit = gen.model.breakthrough_limit
    return in_eluate, ratio, None if limit is None else ratio <= limit


def _elute(
    gen: Generator,
    column: _Column,
    elution: Elution,
    default_efficiency: float,
) -> tuple[_Column, ElutionResult]:
    at = elution.at
    available = _available_bq(gen, column, at)
    parent_bq = gen.parent_activity_bq(at)
    if elution.measured_activity_bq is not None:
        eluate = elution.measured_activity_bq
        if eluate > available:
            raise ThxError(
                f"elution at {at.isoformat()}: measured eluate {format_activity(eluate)} is more "
                f"than the {format_activity(available)} of {gen.daughter.name} the model puts on "
                "the column; check the calibration activity and datetime, the elution history "
                "and that the measurement is decay-corrected to the elution time"
            )
        efficiency = eluate / available
    else:
        efficiency = default_efficiency if elution.efficiency is None else elution.efficiency
        eluate = efficiency * available
    _, reasons = _expiry(gen, at, column.count)
    in_eluate, ratio, within = _breakthrough(gen, parent_bq, eluate)
    result = ElutionResult(
        number=column.count + 1,
        at=at,
        parent_activity_bq=parent_bq,
        available_daughter_bq=available,
        eluate_activity_bq=eluate,
        efficiency=efficiency,
        measured=elution.measured_activity_bq is not None,
        residual_daughter_bq=available - eluate,
        since_previous_s=None if column.anchor is None else elapsed_s(column.anchor, at),
        expired=bool(reasons),
        expiry_reasons=reasons,
        parent_in_eluate_bq=in_eluate,
        breakthrough_ratio=ratio,
        breakthrough_within_limit=within,
    )
    after = _Column(
        anchor=at,
        anchor_parent_bq=parent_bq,
        residual_bq=available - eluate,
        count=column.count + 1,
    )
    return after, result


def _replay(
    gen: Generator, until: datetime | None, *, inclusive: bool
) -> tuple[_Column, list[ElutionResult]]:
    """Column state after the recorded elutions before (or at) ``until``."""
    column = _Column(anchor=None, anchor_parent_bq=0.0, residual_bq=0.0, count=0)
    results: list[ElutionResult] = []
    for elution in gen.elutions:
        if until is not None and (elution.at > until or (elution.at == until and not inclusive)):
            break
        column, result = _elute(gen, column, elution, gen.model.elution_efficiency)
        results.append(result)
    return column, results


def elution_history(generator: Generator) -> list[ElutionResult]:
    """The recorded elutions replayed: available daughter, eluate, efficiency, residual.

    For a measured elution ``efficiency`` is the estimate measured / available.
    """
    return _replay(generator, None, inclusive=True)[1]


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class GeneratorStatus:
    """State of a generator at one time (see :func:`generator_status`).

    Attributes
    ----------
    generator_type : GeneratorType
        The system.
    at : datetime
        When.
    parent_activity_bq : float
        Parent on the column.
    available_daughter_bq : float
        Daughter on the column (ingrowth since the last elution plus its residual).
    equilibrium_daughter_bq : float
        What the daughter would be in equilibrium with the parent, b·λd/(λd−λp)·A_p.
    elution_efficiency : float
        Efficiency assumed for an elution now.
    expected_eluate_bq : float
        efficiency × available.
    elution_count : int
        Elutions before ``at``.
    last_elution : datetime or None
        The latest of them.
    since_last_elution_s : float or None
        Time since it.
    age_s : float
        Time since calibration (negative before calibration).
    first_use : datetime or None
        First use (given, or first elution).
    age_since_first_use_s : float or None
        Time since first use.
    expires_at : datetime or None
        End of the shelf life.
    elutions_left : int or None
        Elutions left before the maximum number.
    expired : bool
        Expired by shelf life or by number of elutions.
    expiry_reasons : tuple of str
        Why.
    parent_in_eluate_bq, breakthrough_ratio, breakthrough_within_limit
        Breakthrough estimate for an elution now (see :class:`ElutionResult`).
    """

    generator_type: GeneratorType
    at: datetime
    parent_activity_bq: float
    available_daughter_bq: float
    equilibrium_daughter_bq: float
    elution_efficiency: float
    expected_eluate_bq: float
    elution_count: int
    last_elution: datetime | None
    since_last_elution_s: float | None
    age_s: float
    first_use: datetime | None
    age_since_first_use_s: float | None
    expires_at: datetime | None
    elutions_left: int | None
    expired: bool
    expiry_reasons: tuple[str, ...]
    parent_in_eluate_bq: float | None = None
    breakthrough_ratio: float | None = None
    breakthrough_within_limit: bool | None = None


def generator_status(
    generator: Generator, at: datetime, *, efficiency: float | None = None
) -> GeneratorStatus:
    """Parent and daughter on the column at ``at``, expected eluate, age and expiry.

    Elutions recorded before ``at`` are applied (one at exactly ``at`` is not: the
    status is what that elution finds); later ones are ignored. The daughter grows
    in after the last elution from its residual, by :func:`daughter_ingrowth` [1]_.

    Parameters
    ----------
    generator : Generator
        Model, calibration and history.
    at : datetime
        Aware datetime.
    efficiency : float, optional
        Elution efficiency for an elution now; the model's by default.

    Returns
    -------
    GeneratorStatus

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> cal = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    >>> gen = Generator("ge68-ga68", calibration_activity_bq=1.85e9, calibrated=cal,
    ...                 elutions=[cal + timedelta(days=14)])
    >>> s = generator_status(gen, cal + timedelta(days=14, hours=14))
    >>> round(s.available_daughter_bq / s.equilibrium_daughter_bq, 3)
    1.0
    >>> s.elution_count, s.expired
    (1, False)
    """
    at = ensure_aware(at, "at")
    eff = (
        generator.model.elution_efficiency
        if efficiency is None
        else fraction(efficiency, "efficiency")
    )
    column, _ = _replay(generator, at, inclusive=False)
    available = _available_bq(generator, column, at)
    parent_bq = generator.parent_activity_bq(at)
    expires, reasons = _expiry(generator, at, column.count)
    first_use = generator.first_use_at(at)
    limit = generator.model.max_elutions
    in_eluate, ratio, within = _breakthrough(generator, parent_bq, eff * available)
    return GeneratorStatus(
        generator_type=generator.generator_type,
        at=at,
        parent_activity_bq=parent_bq,
        available_daughter_bq=available,
        equilibrium_daughter_bq=generator.equilibrium_ratio * parent_bq,
        elution_efficiency=eff,
        expected_eluate_bq=eff * available,
        elution_count=column.count,
        last_elution=column.anchor,
        since_last_elution_s=None if column.anchor is None else elapsed_s(column.anchor, at),
        age_s=elapsed_s(generator.calibrated, at),
        first_use=first_use,
        age_since_first_use_s=None
        if first_use is None or first_use > at
        else elapsed_s(first_use, at),
        expires_at=expires,
        elutions_left=None if limit is None else max(limit - column.count, 0),
        expired=bool(reasons),
        expiry_reasons=reasons,
        parent_in_eluate_bq=in_eluate,
        breakthrough_ratio=ratio,
        breakthrough_within_limit=within,
    )


def estimate_elution_efficiency(
    generator: Generator, at: datetime, measured_eluate_bq: float
) -> float:
    """Elution efficiency from a measured eluate: measured / available on the column [3]_.

    ``measured_eluate_bq`` is decay-corrected to the elution time ``at``; the
    available daughter comes from :func:`generator_status` (elutions before ``at``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> cal = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    >>> gen = Generator("ge68-ga68", calibration_activity_bq=1.85e9, calibrated=cal)
    >>> available = generator_status(gen, cal).available_daughter_bq
    >>> round(estimate_elution_efficiency(gen, cal, 0.7 * available), 6)
    0.7
    """
    measured = positive(measured_eluate_bq, "measured_eluate_bq", "Bq")
    available = generator_status(generator, at).available_daughter_bq
    if measured > available:
        raise ThxError(
            f"measured_eluate_bq {format_activity(measured)} is more than the "
            f"{format_activity(available)} of {generator.daughter.name} on the column at "
            f"{at.isoformat()}; check the calibration and the elution history"
        )
    return measured / available


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class ElutionTiming:
    """Earliest elution giving a needed eluate (see :func:`next_elution`).

    Attributes
    ----------
    at : datetime
        Earliest elution time giving ``needed_eluate_bq``.
    start : datetime
        Searched from here (last elution, or the earliest time given).
    wait_s : float
        ``at`` − ``start``.
    needed_eluate_bq : float
        The need.
    expected_eluate_bq, available_daughter_bq, parent_activity_bq : float
        At ``at``.
    efficiency : float
        Elution efficiency assumed.
    peak_at : datetime
        When the daughter on the column is largest after ``start``.
    peak_eluate_bq : float
        The eluate an elution at ``peak_at`` would give.
    """

    at: datetime
    start: datetime
    wait_s: float
    needed_eluate_bq: float
    expected_eluate_bq: float
    available_daughter_bq: float
    parent_activity_bq: float
    efficiency: float
    peak_at: datetime
    peak_eluate_bq: float


def _peak_offset_s(gen: Generator, column: _Column) -> float:
    """Time after the anchor of the daughter maximum, with a residual R [1]_ [2]_.

    Setting dA_d/dt = 0 in the Bateman solution with A_d(0) = R and
    K = b·λd/(λd−λp)·A_p(0) gives exp((λd−λp)·t) = λd·(K − R) / (λp·K).
    """
    lam_p = gen.parent.decay_constant_per_s
    lam_d = gen.daughter.decay_constant_per_s
    k = gen.equilibrium_ratio * column.anchor_parent_bq
    argument = lam_d * (k - column.residual_bq) / (lam_p * k)
    if argument <= 1.0:
        return 0.0
    return math.log(argument) / (lam_d - lam_p)


def next_elution(
    generator: Generator,
    needed_eluate_bq: float,
    *,
    earliest: datetime | None = None,
    efficiency: float | None = None,
) -> ElutionTiming:
    """Earliest time when an elution gives at least ``needed_eluate_bq``.

    The search starts at the last recorded elution, or at ``earliest`` if later;
    with no elution recorded, at ``earliest`` (by default at calibration). After an
    elution the daughter grows in (:func:`daughter_ingrowth`) up to a maximum
    (22.9 h after a complete Mo-99/Tc-99m elution, see
    :func:`time_of_maximum_daughter_activity`; about 14 h for Ge-68/Ga-68) and
    then follows the parent down, so the answer is found between the start and
    that maximum (Brent's method), rounded up to the whole second.

    Parameters
    ----------
    generator : Generator
        Model, calibration and history.
    needed_eluate_bq : float
        Eluate activity needed (Bq).
    earliest : datetime, optional
        Not before this aware datetime.
    efficiency : float, optional
        Elution efficiency; the model's by default.

    Returns
    -------
    ElutionTiming

    Raises
    ------
    UnreachableActivityError
        When no time gives the need (more than the column's maximum), or only after
        the generator expires or has used up its elutions.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> cal = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    >>> gen = Generator("ge68-ga68", calibration_activity_bq=1.85e9, calibrated=cal,
    ...                 elutions=[cal + timedelta(days=7)])
    >>> timing = next_elution(gen, 1e9)  # efficiency 0.6: 1.67 GBq needed on the column
    >>> round(timing.wait_s / 60)
    194
    """
    needed = positive(needed_eluate_bq, "needed_eluate_bq", "Bq")
    eff = (
        generator.model.elution_efficiency
        if efficiency is None
        else fraction(efficiency, "efficiency")
    )
    column, _ = _replay(generator, None, inclusive=True)
    if earliest is not None:
        ensure_aware(earliest, "earliest")
    if column.anchor is None:
        start = generator.calibrated if earliest is None else earliest
    else:
        start = column.anchor if earliest is None else max(column.anchor, earliest)
    if column.anchor is None:
        peak = start  # in equilibrium the daughter only follows the parent down
    else:
        peak = shift(column.anchor, _peak_offset_s(generator, column))
        if peak < start:
            peak = start

    def eluate_at(seconds_after_start: float) -> float:
        return eff * _available_bq(generator, column, shift(start, seconds_after_start))

    peak_s = elapsed_s(start, peak)
    peak_eluate = eluate_at(peak_s)
    name = generator.daughter.name
    if peak_eluate < needed:
        raise UnreachableActivityError(
            f"needed eluate {format_activity(needed)} of {name} is more than this generator can "
            f"give after {start.isoformat()}: at most {format_activity(peak_eluate)} "
            f"(efficiency {eff:g} × {format_activity(peak_eluate / eff)} on the column) at "
            f"{peak.isoformat()}; lower the need, raise the efficiency, or use a stronger "
            "generator"
        )
    if eluate_at(0.0) >= needed:
        at_s = 0.0
    else:
        from scipy.optimize import brentq

        root_s = float(brentq(lambda s: eluate_at(s) - needed, 0.0, peak_s, xtol=1e-3))
        # Rounded up to the whole second (the eluate rises until the peak), so that the
        # expected eluate is never below the need.
        at_s = min(float(math.ceil(root_s)), peak_s)
    at = shift(start, at_s)
    _, reasons = _expiry(generator, at, column.count)
    if reasons:
        raise UnreachableActivityError(
            f"needed eluate {format_activity(needed)} of {name} would be reached at "
            f"{at.isoformat()}, but the generator is expired then: {'; '.join(reasons)}"
        )
    available = _available_bq(generator, column, at)
    return ElutionTiming(
        at=at,
        start=start,
        wait_s=at_s,
        needed_eluate_bq=needed,
        expected_eluate_bq=eff * available,
        available_daughter_bq=available,
        parent_activity_bq=generator.parent_activity_bq(at),
        efficiency=eff,
        peak_at=peak,
        peak_eluate_bq=peak_eluate,
    )


def simulate_elutions(
    generator: Generator,
    times: Sequence[datetime],
    *,
    efficiency: float | None = None,
) -> list[ElutionResult]:
    """Simulate planned elutions after the recorded history, e.g. a day of Ga-68.

    Each elution collects ``efficiency`` × the daughter on the column and leaves the
    rest, from which the next ingrowth starts (:func:`daughter_ingrowth` [1]_).

    Parameters
    ----------
    generator : Generator
        Model, calibration and recorded elutions.
    times : sequence of datetime
        Planned elution times: aware, increasing, after the last recorded elution.
    efficiency : float, optional
        Elution efficiency of the planned elutions; the model's by default.

    Returns
    -------
    list of ElutionResult
        Per elution: time, parent, available daughter, eluate, residual, expiry.

    Examples
    --------
    A 1.85 GBq Ge-68/Ga-68 generator, two weeks after calibration, eluted at
    8:00, 11:00 and 14:00 (efficiency 0.6 by default):

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> paris = ZoneInfo("Europe/Paris")
    >>> gen = Generator("ge68-ga68", calibration_activity_bq=1.85e9,
    ...                 calibrated=datetime(2026, 6, 1, 12, 0, tzinfo=paris))
    >>> day = [datetime(2026, 6, 15, hour, 0, tzinfo=paris) for hour in (8, 11, 14)]
    >>> for e in simulate_elutions(gen, day):
    ...     print(e.at.strftime("%H:%M"), round(e.parent_activity_bq / 1e6),
    ...           round(e.available_daughter_bq / 1e6), round(e.eluate_activity_bq / 1e6))
    08:00 1786 1786 1072
    11:00 1785 1616 969
    14:00 1785 1604 963
    """
    eff = (
        generator.model.elution_efficiency
        if efficiency is None
        else fraction(efficiency, "efficiency")
    )
    column, _ = _replay(generator, None, inclusive=True)
    results: list[ElutionResult] = []
    previous = column.anchor
    for when in times:
        ensure_aware(when, "elution time")
        if previous is not None and when <= previous:
            raise ThxError(
                f"planned elution {when.isoformat()} is not after the previous elution "
                f"{previous.isoformat()}; give increasing times after the recorded history"
            )
        column, result = _elute(generator, column, Elution(when), eff)
        results.append(result)
        previous = when
    return results

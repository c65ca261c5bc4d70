"""A day of generator elutions planned around the patients' injection times.

The plan serves as many patients as possible with the fewest elutions and, among
such plans, keeps the largest spare activity at the tightest dose (robustness to
a late patient or a low yield). Patients are served in injection order, each
elution by a block of consecutive patients; elution times are searched on a grid
(5 min by default) by dynamic programming over (next patient, previous elution
time), with the column modelled by the two-member Bateman ingrowth
(:func:`~theranostix.production.daughter_ingrowth`) and a residual of
(1 − efficiency) after each elution. The chosen elution times are then replayed
exactly through :func:`~theranostix.production.generator_status` (history,
efficiency, expiry) to give the reported figures. A patient that no elution can
serve is reported, never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide, decay
from theranostix.production._generator import Generator, daughter_ingrowth, generator_status
from theranostix.production._process import YieldConvention, activity_after_process
from theranostix.units import elapsed_s, ensure_aware, shift

#: (score, batches): score = (unserved, elutions, −least spare activity); batches =
#: (index of first patient, elution time in s from the first injection).
_Plan = tuple[tuple[int, int, float], tuple[tuple[int, float], ...]]

__all__ = ["DoseRequest", "ElutionDayPlan", "PlannedBatch", "PlannedDose", "plan_elution_day"]


@dataclass(frozen=True)
class DoseRequest:
    """A dose of the labelled product needed at an injection time.

    Parameters
    ----------
    label : str
        Patient or dose identifier.
    injection : datetime
        Aware injection datetime.
    activity_bq : float
        Activity (Bq) needed at injection.
    """

    label: str
    injection: datetime
    activity_bq: float

    def __post_init__(self) -> None:
        ensure_aware(self.injection, f"injection time of {self.label}")
        if not self.activity_bq > 0:
            raise ThxError(f"dose of {self.label}: activity must be > 0 Bq, got {self.activity_bq}")


@dataclass(frozen=True)
class PlannedDose:
    """A dose drawn from a batch: the request and the activity left after drawing it."""

    request: DoseRequest
    remaining_after_bq: float


@dataclass(frozen=True)
class PlannedBatch:
    """One elution, its labelling and the doses it serves.

    Attributes
    ----------
    number : int
        1, 2, ... in the day.
    elution_at : datetime
        Elution time.
    available_daughter_bq, eluate_bq : float
        Daughter on the column and expected eluate at elution.
    release_at : datetime
        End of labelling and QC.
    product_bq : float
        Product activity at release.
    doses : tuple of PlannedDose
        Doses served, in injection order.
    """

    number: int
    elution_at: datetime
    available_daughter_bq: float
    eluate_bq: float
    release_at: datetime
    product_bq: float
    doses: tuple[PlannedDose, ...]

    @property
    def residual_bq(self) -> float:
        """Product left after the last dose, at that dose's injection time."""
        return self.doses[-1].remaining_after_bq if self.doses else self.product_bq


@dataclass(frozen=True)
class ElutionDayPlan:
    """Result of :func:`plan_elution_day`."""

    batches: tuple[PlannedBatch, ...]
    unserved: tuple[DoseRequest, ...]
    generator_after: Generator

    @property
    def served_count(self) -> int:
        """Number of doses the plan serves."""
        return sum(len(b.doses) for b in self.batches)


def plan_elution_day(
    generator: Generator,
    requests: Iterable[DoseRequest],
    *,
    labelling_yield: float,
    labelling_duration_s: float,
    yield_convention: YieldConvention | str = YieldConvention.DECAY_CORRECTED,
    margin_s: float = 600.0,
    grid_s: float = 300.0,
    earliest: datetime | None = None,
) -> ElutionDayPlan:
    """Plan the elutions and labellings of a day so that every dose is served.

    Parameters
    ----------
    generator : Generator
        The generator with its history up to the start of the day.
    requests : iterable of DoseRequest
        Doses needed (any order).
    labelling_yield : float
        Labelling yield (0 < y <= 1), with ``yield_convention``.
    labelling_duration_s : float
        Elution to release, QC included (s).
    yield_convention : YieldConvention or str
        Whether the yield is decay-corrected (radiochemical yield, default).
    margin_s : float
        Least time between release and the first injection of a batch (s).
    grid_s : float
        Step of the elution times searched (s).
    earliest : datetime, optional
        No elution before this; by default 3 h before the first injection (and
        never before the last recorded elution).

    Returns
    -------
    ElutionDayPlan

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> cet = timezone(timedelta(hours=1))
    >>> gen = Generator("ge68-ga68", calibration_activity_bq=1.85e9,
    ...                 calibrated=datetime(2026, 10, 1, 12, 0, tzinfo=cet),
    ...                 elutions=[datetime(2026, 11, 23, 16, 0, tzinfo=cet)])
    >>> day = [DoseRequest(f"P{i}", datetime(2026, 11, 24, 9 + i, 0, tzinfo=cet), 150e6)
    ...        for i in range(3)]
    >>> plan = plan_elution_day(gen, day, labelling_yield=0.85, labelling_duration_s=1500)
    >>> [(b.elution_at.strftime("%H:%M"), len(b.doses)) for b in plan.batches]
    [('08:25', 2), ('10:25', 1)]
    """
    pending = tuple(sorted(requests, key=lambda r: r.injection))
    if not pending:
        return ElutionDayPlan((), (), generator)
    if not 0 < labelling_yield <= 1:
        raise ThxError(f"labelling_yield must be in (0, 1], got {labelling_yield}")
    if labelling_duration_s < 0 or margin_s < 0 or grid_s <= 0:
        raise ThxError("labelling_duration_s and margin_s must be >= 0 s, grid_s > 0 s")
    times = _search_elution_times(
        generator,
        pending,
        labelling_yield=labelling_yield,
        labelling_duration_s=labelling_duration_s,
        yield_convention=yield_convention,
        margin_s=margin_s,
        grid_s=grid_s,
        earliest=earliest,
    )
    return _replay_plan(
        generator, pending, times, labelling_yield, labelling_duration_s, yield_convention
    )


def _product_factor(
    nuclide: Nuclide, labelling_yield: float, duration_s: float, convention: YieldConvention | str
) -> float:
    """Product at release per unit eluate (one implementation: activity_after_process)."""
    return activity_after_process(
        1.0, nuclide, yield_fraction=labelling_yield, duration_s=duration_s, convention=convention
    )


def _search_elution_times(
    generator: Generator,
    pending: tuple[DoseRequest, ...],
    *,
    labelling_yield: float,
    labelling_duration_s: float,
    yield_convention: YieldConvention | str,
    margin_s: float,
    grid_s: float,
    earliest: datetime | None,
) -> dict[int, datetime]:
    """Elution time of each batch, keyed by the index of its first patient."""
    product = generator.daughter
    lam = product.decay_constant_per_s
    efficiency = generator.model.elution_efficiency
    factor = _product_factor(product, labelling_yield, labelling_duration_s, yield_convention)
    origin = pending[0].injection
    start = shift(origin, -3 * 3600.0) if earliest is None else ensure_aware(earliest, "earliest")
    status = generator_status(generator, start)
    last = status.last_elution
    # Column at the origin of the search: daughter on the column at ``start``.
    t0 = elapsed_s(origin, start)
    column0 = (t0, status.available_daughter_bq)
    inject = np.array([elapsed_s(origin, r.injection) for r in pending])
    dose = np.array([r.activity_bq for r in pending])
    lead = labelling_duration_s + margin_s

    def parent_at(t: float) -> float:
        return generator.parent_activity_bq(shift(origin, t))

    memo: dict[tuple[int, float], _Plan] = {}

    def best(i: int, t_prev: float, residual: float) -> _Plan:
        """(score, batches) for patients i.. after an elution at t_prev leaving residual.

        Memoised on (i, t_prev) only: the residual a state is first reached with is
        kept (it differs little between paths, and is forgotten within a few
        daughter half-lives); the exact replay afterwards gives the real figures.
        """
        key = (i, round(t_prev, 3))
        if key not in memo:
            memo[key] = _best(i, t_prev, residual)
        return memo[key]

    def _best(i: int, t_prev: float, residual: float) -> _Plan:
        if i == len(pending):
            return (0, 0, -math.inf), ()
        latest = inject[i] - lead
        first_grid = t_prev + grid_s if (i > 0 or last is not None or t_prev > t0) else t_prev
        candidates = np.arange(latest, first_grid - 1e-6, -grid_s)[::-1]
        options: list[_Plan] = []
        if candidates.size:
            available = np.asarray(
                daughter_ingrowth(
                    parent_at(t_prev),
                    generator.parent,
                    product,
                    candidates - t_prev,
                    daughter_activity_bq=residual,
                ),
                dtype=np.float64,
            ).reshape(-1)
            for t_e, avail in zip(candidates, available, strict=True):
                remaining, clock, j, spare = (
                    avail * efficiency * factor,
                    t_e + labelling_duration_s,
                    i,
                    math.inf,
                )
                while j < len(pending):
                    left = remaining * math.exp(-lam * (inject[j] - clock)) - dose[j]
                    if left < 0:
                        break
                    remaining, clock, spare, j = left, inject[j], min(spare, left), j + 1
                if j == i:
                    continue
                score, rest = best(j, float(t_e), float(avail * (1 - efficiency)))
                total = (score[0], score[1] + 1, max(score[2], -spare))
                options.append((total, ((i, float(t_e)), *rest)))
        if not options:  # nobody can serve patient i: skip it
            score, rest = best(i + 1, t_prev, residual)
            return (score[0] + 1, score[1], score[2]), rest
        return min(options, key=lambda o: o[0])

    _, batches = best(0, column0[0], column0[1])
    return {i: shift(origin, t) for i, t in batches}


def _replay_plan(
    generator: Generator,
    pending: tuple[DoseRequest, ...],
    times: dict[int, datetime],
    labelling_yield: float,
    labelling_duration_s: float,
    yield_convention: YieldConvention | str,
) -> ElutionDayPlan:
    """Replay the chosen elutions exactly with the generator model."""
    product = generator.daughter
    factor = _product_factor(product, labelling_yield, labelling_duration_s, yield_convention)
    gen = generator
    batches: list[PlannedBatch] = []
    served: set[int] = set()
    starts = sorted(times)
    for k, i in enumerate(starts):
        elution_at = times[i]
        status = generator_status(gen, elution_at)
        if status.expired:
            raise ThxError(
                f"generator expired before the elution for {pending[i].label} at "
                f"{elution_at.isoformat()}: {'; '.join(status.expiry_reasons)}"
            )
        product_bq = status.expected_eluate_bq * factor
        release_at = shift(elution_at, labelling_duration_s)
        stop = starts[k + 1] if k + 1 < len(starts) else len(pending)
        remaining, clock = product_bq, release_at
        doses: list[PlannedDose] = []
        for j in range(i, stop):
            request = pending[j]
            left = float(decay(remaining, product, elapsed_s(clock, request.injection)))
            left -= request.activity_bq
            if left < 0:
                break
            remaining, clock = left, request.injection
            doses.append(PlannedDose(request, remaining))
            served.add(j)
        gen = gen.with_elutions(elution_at)
        batches.append(
            PlannedBatch(
                number=len(batches) + 1,
                elution_at=elution_at,
                available_daughter_bq=status.available_daughter_bq,
                eluate_bq=status.expected_eluate_bq,
                release_at=release_at,
                product_bq=product_bq,
                doses=tuple(doses),
            )
        )
    unserved = tuple(r for j, r in enumerate(pending) if j not in served)
    return ElutionDayPlan(tuple(batches), unserved, gen)

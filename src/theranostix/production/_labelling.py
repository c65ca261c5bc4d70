"""Radiolabelling: product activity from an eluate, a labelling yield and a duration.

The labelling step is the same computation as a cyclotron synthesis step
(:func:`~theranostix.production.activity_after_process`).

References
----------
.. [1] Coenen HH, Gee AD, Adam M, et al. Consensus nomenclature rules for
   radiopharmaceutical chemistry — Setting the record straight. Nucl Med Biol
   2017;55:v-xi. doi:10.1016/j.nucmedbio.2017.09.004
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide, decay_factor
from theranostix.production._process import YieldConvention, activity_after_process
from theranostix.production._validate import fraction, non_negative, positive
from theranostix.units import elapsed_s, ensure_aware, shift

__all__ = ["LabellingResult", "label_product"]


@dataclass(frozen=True)
class LabellingResult:
    """Result of :func:`label_product`.

    Attributes
    ----------
    nuclide : Nuclide
        The radionuclide.
    eluate_activity_bq : float
        Activity put into the labelling at its start.
    labelling_yield : float
        The yield, quoted with ``yield_convention``.
    yield_convention : YieldConvention
        Decay-corrected (radiochemical yield) or not (activity yield).
    duration_s : float
        Labelling duration (s).
    product_activity_bq : float
        Product activity at the end of the labelling.
    start, end : datetime or None
        Start and end of the labelling, when a start datetime was given.
    later_s : float or None
        Time after the end of the labelling of ``later_activity_bq``.
    later : datetime or None
        That time as a datetime, when known.
    later_activity_bq : float or None
        Product activity then.
    """

    nuclide: Nuclide
    eluate_activity_bq: float
    labelling_yield: float
    yield_convention: YieldConvention
    duration_s: float
    product_activity_bq: float
    start: datetime | None = None
    end: datetime | None = None
    later_s: float | None = None
    later: datetime | None = None
    later_activity_bq: float | None = None


def label_product(
    eluate_activity_bq: float,
    nuclide: Nuclide | str = "Ga-68",
    *,
    labelling_yield: float,
    duration_s: float,
    yield_convention: YieldConvention | str = YieldConvention.DECAY_CORRECTED,
    start: datetime | None = None,
    after_s: float | None = None,
    later: datetime | None = None,
) -> LabellingResult:
    """Product activity of a radiolabelling, and optionally at a later time.

    At the end of the labelling the product is given by :func:`activity_after_process`
    (yield decay-corrected by default [1]_); afterwards it decays, A = A₀·exp(−λt).

    Parameters
    ----------
    eluate_activity_bq : float
        Eluate activity (Bq) at the start of the labelling.
    nuclide : Nuclide or str
        The radionuclide; Ga-68 by default.
    labelling_yield : float
        Labelling yield, 0 < yield <= 1.
    duration_s : float
        Labelling duration, start to end (s).
    yield_convention : YieldConvention or str
        ``"decay-corrected"`` (default) or ``"not-decay-corrected"``.
    start : datetime, optional
        Aware start of the labelling; then ``end`` (and ``later``) are reported.
    after_s : float, optional
        Report the activity this long after the end of the labelling (s).
    later : datetime, optional
        Report the activity at this aware datetime (needs ``start``; not before the end).

    Returns
    -------
    LabellingResult

    Examples
    --------
    800 MBq of Ga-68, 90 % decay-corrected yield, 20 min of labelling, then 30 min:

    >>> r = label_product(800e6, "Ga-68", labelling_yield=0.9, duration_s=20 * 60,
    ...                   after_s=30 * 60)
    >>> round(r.product_activity_bq / 1e6, 1), round(r.later_activity_bq / 1e6, 1)
    (586.7, 431.6)
    """
    nuc = Nuclide(nuclide)
    positive(eluate_activity_bq, "eluate_activity_bq", "Bq")
    fraction(labelling_yield, "labelling_yield")
    duration = non_negative(duration_s, "duration_s", "s")
    convention = YieldConvention.parse(yield_convention)
    product_bq = activity_after_process(
        eluate_activity_bq,
        nuc,
        yield_fraction=labelling_yield,
        duration_s=duration,
        convention=convention,
    )
    if after_s is not None and later is not None:
        raise ThxError("give either after_s or later, not both")
    end = None
    if start is not None:
        end = shift(ensure_aware(start, "start"), duration)
    later_s: float | None = None
    if later is not None:
        ensure_aware(later, "later")
        if end is None:
            raise ThxError("later needs the labelling start datetime start")
        later_s = elapsed_s(end, later)
        if later_s < 0:
            raise ThxError(
                f"later {later.isoformat()} is before the end of the labelling {end.isoformat()}"
            )
    elif after_s is not None:
        later_s = non_negative(after_s, "after_s", "s")
        if end is not None:
            later = shift(end, later_s)
    later_bq = None if later_s is None else product_bq * decay_factor(nuc, later_s)
    return LabellingResult(
        nuclide=nuc,
        eluate_activity_bq=float(eluate_activity_bq),
        labelling_yield=float(labelling_yield),
        yield_convention=convention,
        duration_s=duration,
        product_activity_bq=product_bq,
        start=start,
        end=end,
        later_s=later_s,
        later=later,
        later_activity_bq=later_bq,
    )

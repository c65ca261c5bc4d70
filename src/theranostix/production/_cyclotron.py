"""Cyclotron production: activity at end of bombardment, product activity, beam time.

Time line of one production run::

    beam start --(irradiation)--> EOB --(synthesis)--> end of synthesis
        --(QC)--> release --(transport)--> delivery / calibration

The synthesis is taken to start at EOB (include target transfer in its duration).

References
----------
.. [1] IAEA. Cyclotron Produced Radionuclides: Physical Characteristics and
   Production Methods. Technical Reports Series No. 468. Vienna: IAEA, 2009
   (activation equation, saturation activity, thick-target yields).
.. [2] Otuka N, Takács S. Definitions of radioisotope thick target yields.
   Radiochim Acta 2015;103(1):1-6 (physical yield and "1 h" production yield).
.. [3] Coenen HH, Gee AD, Adam M, et al. Consensus nomenclature rules for
   radiopharmaceutical chemistry — Setting the record straight. Nucl Med Biol
   2017;55:v-xi. doi:10.1016/j.nucmedbio.2017.09.004
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from theranostix.errors import ThxError, UnreachableActivityError
from theranostix.nuclides import Nuclide, decay_factor
from theranostix.production._process import YieldConvention, activity_after_process
from theranostix.production._validate import fraction, non_negative, positive
from theranostix.units import elapsed_s, ensure_aware, format_activity, format_duration, shift

__all__ = [
    "IrradiationPlan",
    "ProductActivity",
    "ProductionRoute",
    "eob_activity",
    "irradiation_duration_for",
    "plan_irradiation",
    "product_activity",
    "saturation_yield_from_thick_target_yield",
]


def eob_activity(
    nuclide: Nuclide | str,
    *,
    saturation_yield_bq_per_ua: float,
    beam_current_ua: float,
    duration_s: float,
) -> float:
    r"""Activity at end of bombardment (EOB) from the activation equation [1]_.

    .. math:: A_{EOB} = Y_{sat} \cdot I \cdot (1 - e^{-\lambda t_{irr}})

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide produced.
    saturation_yield_bq_per_ua : float
        Saturation yield Y_sat (Bq per µA): the activity reached after an infinitely
        long irradiation at 1 µA.
    beam_current_ua : float
        Beam current I on target (µA).
    duration_s : float
        Irradiation time t_irr (s).

    Returns
    -------
    float
        Activity at EOB (Bq).

    Examples
    --------
    One half-life of F-18 at 10 µA with Y_sat = 8 GBq/µA reaches half of 80 GBq:

    >>> eob_activity("F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=10,
    ...              duration_s=109.77 * 60) / 1e9
    40.0
    """
    nuc = Nuclide(nuclide)
    y_sat = positive(saturation_yield_bq_per_ua, "saturation_yield_bq_per_ua", "Bq/µA")
    current = positive(beam_current_ua, "beam_current_ua", "µA")
    t_irr = non_negative(duration_s, "duration_s", "s")
    return y_sat * current * -math.expm1(-nuc.decay_constant_per_s * t_irr)


def saturation_yield_from_thick_target_yield(
    nuclide: Nuclide | str, yield_bq_per_uah: float, *, run_duration_s: float = 3600.0
) -> float:
    r"""Saturation yield (Bq/µA) from a thick-target yield quoted per µA·h of a run [1]_ [2]_.

    A yield quoted as activity at EOB per µA·h of charge, for a run of duration T
    (usually 1 h, the "1 h yield"), is :math:`Y_T = A_{EOB} / (I \cdot T)`. With the
    activation equation :math:`A_{EOB} = Y_{sat} I (1 - e^{-\lambda T})`:

    .. math:: Y_{sat} = \frac{Y_T \cdot T}{1 - e^{-\lambda T}}

    with T in hours. (A *physical* yield, the initial slope dA/dt per µA, converts
    instead as Y_sat = Y_phys / λ.)

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide produced.
    yield_bq_per_uah : float
        Activity at EOB per µA·h of charge (Bq/(µA·h)), e.g. 3.3e9 for 3.3 GBq/µAh.
    run_duration_s : float
        Duration of the run the yield was quoted for (s); 1 h by default.

    Returns
    -------
    float
        Saturation yield (Bq/µA).

    Examples
    --------
    >>> round(saturation_yield_from_thick_target_yield("F-18", 3.3e9) / 1e9, 3)
    10.464
    """
    nuc = Nuclide(nuclide)
    y_t = positive(yield_bq_per_uah, "yield_bq_per_uah", "Bq/(µA·h)")
    run_s = positive(run_duration_s, "run_duration_s", "s")
    return y_t * (run_s / 3600.0) / -math.expm1(-nuc.decay_constant_per_s * run_s)


def irradiation_duration_for(
    nuclide: Nuclide | str,
    eob_activity_bq: float,
    *,
    saturation_yield_bq_per_ua: float,
    beam_current_ua: float,
) -> float:
    r"""Irradiation time (s) to reach ``eob_activity_bq`` at EOB [1]_.

    Inverts the activation equation:

    .. math:: t_{irr} = -\frac{1}{\lambda} \ln\left(1 - \frac{A_{EOB}}{Y_{sat} I}\right)

    Raises
    ------
    UnreachableActivityError
        When ``eob_activity_bq`` is not below the saturation activity Y_sat·I.

    Examples
    --------
    >>> round(irradiation_duration_for("F-18", 40e9, saturation_yield_bq_per_ua=8e9,
    ...                                beam_current_ua=10) / 60, 2)
    109.77
    """
    nuc = Nuclide(nuclide)
    needed = positive(eob_activity_bq, "eob_activity_bq", "Bq")
    y_sat = positive(saturation_yield_bq_per_ua, "saturation_yield_bq_per_ua", "Bq/µA")
    current = positive(beam_current_ua, "beam_current_ua", "µA")
    saturation_bq = y_sat * current
    if needed >= saturation_bq:
        raise UnreachableActivityError(
            f"{format_activity(needed)} of {nuc.name} needed at EOB is not below the saturation "
            f"activity Y_sat·I = {format_activity(y_sat)}/µA × {current:g} µA = "
            f"{format_activity(saturation_bq)}: unreachable with any beam time; raise the beam "
            "current or the saturation yield, or lower the target or the time from EOB to "
            "delivery (later EOB, shorter synthesis, QC or transport)"
        )
    return -math.log1p(-needed / saturation_bq) / nuc.decay_constant_per_s


@dataclass(frozen=True)
class ProductActivity:
    """Activities of a product from EOB to delivery (see :func:`product_activity`).

    Attributes
    ----------
    nuclide : Nuclide
        The radionuclide.
    eob_activity_bq : float
        Activity at end of bombardment.
    end_of_synthesis_activity_bq : float
        Product activity at the end of the synthesis (after the yield).
    release_activity_bq : float
        Product activity at release, after QC.
    delivery_activity_bq : float
        Product activity at delivery / calibration (equal to the release activity
        when there is no transport).
    synthesis_yield : float
        The yield used, quoted with ``yield_convention``.
    yield_convention : YieldConvention
        Decay-corrected (RCY) or not (activity yield).
    synthesis_duration_s, qc_duration_s, transport_duration_s : float
        Durations of the steps (s).
    eob, end_of_synthesis, release, delivery : datetime or None
        The times of the steps when an EOB datetime was given.
    """

    nuclide: Nuclide
    eob_activity_bq: float
    end_of_synthesis_activity_bq: float
    release_activity_bq: float
    delivery_activity_bq: float
    synthesis_yield: float
    yield_convention: YieldConvention
    synthesis_duration_s: float
    qc_duration_s: float
    transport_duration_s: float
    eob: datetime | None = None
    end_of_synthesis: datetime | None = None
    release: datetime | None = None
    delivery: datetime | None = None

    @property
    def eob_to_delivery_s(self) -> float:
        """Time from EOB to delivery (s)."""
        return self.synthesis_duration_s + self.qc_duration_s + self.transport_duration_s

    def activity_at(self, when: datetime) -> float:
        """Product activity at an aware datetime at or after the end of synthesis."""
        if self.end_of_synthesis is None:
            raise ThxError("activity_at needs the product times: give eob to product_activity")
        seconds = elapsed_s(self.end_of_synthesis, ensure_aware(when, "when"))
        if seconds < 0:
            raise ThxError(
                f"when {when.isoformat()} is before the end of synthesis "
                f"{self.end_of_synthesis.isoformat()}; the product does not exist yet"
            )
        return self.end_of_synthesis_activity_bq * math.exp(
            -self.nuclide.decay_constant_per_s * seconds
        )


def product_activity(
    nuclide: Nuclide | str,
    eob_activity_bq: float,
    *,
    synthesis_yield: float,
    synthesis_duration_s: float,
    qc_duration_s: float = 0.0,
    yield_convention: YieldConvention | str = YieldConvention.DECAY_CORRECTED,
    transport_duration_s: float | None = None,
    eob: datetime | None = None,
    delivery: datetime | None = None,
) -> ProductActivity:
    """Product activity at end of synthesis, release (after QC) and delivery.

    The synthesis step is :func:`activity_after_process` (yield and decay during the
    synthesis, the yield decay-corrected by default, as radiochemical yields
    usually are [3]_); QC and transport are pure decay, A = A₀·exp(−λt).

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide.
    eob_activity_bq : float
        Activity at EOB (Bq), e.g. from :func:`eob_activity`.
    synthesis_yield : float
        Synthesis yield, 0 < yield <= 1.
    synthesis_duration_s : float
        From EOB to end of synthesis (s).
    qc_duration_s : float
        From end of synthesis to release (s).
    yield_convention : YieldConvention or str
        ``"decay-corrected"`` (default, radiochemical yield) or ``"not-decay-corrected"``.
    transport_duration_s : float, optional
        From release to delivery/calibration (s). Give this or ``delivery``.
    eob : datetime, optional
        Aware datetime of EOB; the step times are then reported.
    delivery : datetime, optional
        Aware delivery / calibration datetime (needs ``eob``; not before release).

    Returns
    -------
    ProductActivity

    Examples
    --------
    100 GBq of F-18 at EOB, 60 % RCY in 109.77 min (one half-life), 20 min QC:

    >>> p = product_activity("F-18", 100e9, synthesis_yield=0.6,
    ...                      synthesis_duration_s=109.77 * 60, qc_duration_s=0)
    >>> p.end_of_synthesis_activity_bq / 1e9
    30.0
    """
    nuc = Nuclide(nuclide)
    positive(eob_activity_bq, "eob_activity_bq", "Bq")
    fraction(synthesis_yield, "synthesis_yield")
    synthesis_s = non_negative(synthesis_duration_s, "synthesis_duration_s", "s")
    qc_s = non_negative(qc_duration_s, "qc_duration_s", "s")
    convention = YieldConvention.parse(yield_convention)
    eos_bq = activity_after_process(
        eob_activity_bq,
        nuc,
        yield_fraction=synthesis_yield,
        duration_s=synthesis_s,
        convention=convention,
    )
    release_bq = eos_bq * decay_factor(nuc, qc_s)
    if eob is not None:
        ensure_aware(eob, "eob")
    if delivery is not None:
        ensure_aware(delivery, "delivery")
        if transport_duration_s is not None:
            raise ThxError("give either transport_duration_s or delivery, not both")
        if eob is None:
            raise ThxError("delivery needs the EOB datetime eob to place the product in time")
    end_of_synthesis = release = None
    if eob is not None:
        end_of_synthesis = shift(eob, synthesis_s)
        release = shift(eob, synthesis_s + qc_s)
        if delivery is not None:
            transport_s = elapsed_s(release, delivery)
            if transport_s < 0:
                raise ThxError(
                    f"delivery {delivery.isoformat()} is before the release "
                    f"{release.isoformat()} (EOB + synthesis + QC); deliver later or start earlier"
                )
        else:
            transport_s = non_negative(transport_duration_s or 0.0, "transport_duration_s", "s")
            delivery = shift(release, transport_s)
    else:
        transport_s = non_negative(transport_duration_s or 0.0, "transport_duration_s", "s")
    return ProductActivity(
        nuclide=nuc,
        eob_activity_bq=float(eob_activity_bq),
        end_of_synthesis_activity_bq=eos_bq,
        release_activity_bq=release_bq,
        delivery_activity_bq=release_bq * decay_factor(nuc, transport_s),
        synthesis_yield=float(synthesis_yield),
        yield_convention=convention,
        synthesis_duration_s=synthesis_s,
        qc_duration_s=qc_s,
        transport_duration_s=transport_s,
        eob=eob,
        end_of_synthesis=end_of_synthesis,
        release=release,
        delivery=delivery,
    )


@dataclass(frozen=True, init=False)
class ProductionRoute:
    """A cyclotron production route, validated when it is built.

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide produced (must be known to the decay data and radioactive).
    saturation_yield_bq_per_ua : float
        Saturation yield of the target (Bq/µA), > 0.
    beam_current_ua : float
        Beam current (µA), > 0.
    synthesis_yield : float
        Synthesis yield, 0 < yield <= 1 (1 when the target product is used as is).
    synthesis_duration_s : float
        From EOB to end of synthesis (s), >= 0.
    qc_duration_s : float
        Quality control, end of synthesis to release (s), >= 0.
    yield_convention : YieldConvention or str
        How ``synthesis_yield`` is quoted; decay-corrected (RCY) by default.
    max_beam_duration_s : float, optional
        Longest allowed irradiation (s), > 0; plans needing more are refused.
    name : str
        Free label, e.g. ``"FDG site A"``.

    Examples
    --------
    >>> route = ProductionRoute("F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=60,
    ...                         synthesis_yield=0.6, synthesis_duration_s=45 * 60,
    ...                         qc_duration_s=20 * 60)
    >>> route.saturation_activity_bq / 1e9
    480.0
    >>> ProductionRoute("F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=0)
    Traceback (most recent call last):
    ...
    theranostix.errors.ThxError: beam_current_ua must be > 0 µA, got 0 µA
    """

    nuclide: Nuclide
    saturation_yield_bq_per_ua: float
    beam_current_ua: float
    synthesis_yield: float
    synthesis_duration_s: float
    qc_duration_s: float
    yield_convention: YieldConvention
    max_beam_duration_s: float | None
    name: str

    def __init__(
        self,
        nuclide: Nuclide | str,
        *,
        saturation_yield_bq_per_ua: float,
        beam_current_ua: float,
        synthesis_yield: float = 1.0,
        synthesis_duration_s: float = 0.0,
        qc_duration_s: float = 0.0,
        yield_convention: YieldConvention | str = YieldConvention.DECAY_CORRECTED,
        max_beam_duration_s: float | None = None,
        name: str = "",
    ) -> None:
        values = {
            "nuclide": Nuclide(nuclide),
            "saturation_yield_bq_per_ua": positive(
                saturation_yield_bq_per_ua, "saturation_yield_bq_per_ua", "Bq/µA"
            ),
            "beam_current_ua": positive(beam_current_ua, "beam_current_ua", "µA"),
            "synthesis_yield": fraction(synthesis_yield, "synthesis_yield"),
            "synthesis_duration_s": non_negative(synthesis_duration_s, "synthesis_duration_s", "s"),
            "qc_duration_s": non_negative(qc_duration_s, "qc_duration_s", "s"),
            "yield_convention": YieldConvention.parse(yield_convention),
            "max_beam_duration_s": None
            if max_beam_duration_s is None
            else positive(max_beam_duration_s, "max_beam_duration_s", "s"),
            "name": str(name),
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)
        # Refuses an activity yield larger than what decay alone leaves.
        activity_after_process(
            1.0,
            self.nuclide,
            yield_fraction=self.synthesis_yield,
            duration_s=self.synthesis_duration_s,
            convention=self.yield_convention,
        )

    @property
    def saturation_activity_bq(self) -> float:
        """Saturation activity Y_sat·I (Bq), the limit of an infinitely long run."""
        return self.saturation_yield_bq_per_ua * self.beam_current_ua

    def eob_activity_bq(self, duration_s: float) -> float:
        """Activity at EOB after ``duration_s`` seconds of beam (:func:`eob_activity`)."""
        return eob_activity(
            self.nuclide,
            saturation_yield_bq_per_ua=self.saturation_yield_bq_per_ua,
            beam_current_ua=self.beam_current_ua,
            duration_s=duration_s,
        )

    def product(
        self,
        irradiation_duration_s: float,
        *,
        transport_duration_s: float | None = None,
        eob: datetime | None = None,
        delivery: datetime | None = None,
    ) -> ProductActivity:
        """Activities of the product of a run (see :func:`product_activity`)."""
        return product_activity(
            self.nuclide,
            self.eob_activity_bq(irradiation_duration_s),
            synthesis_yield=self.synthesis_yield,
            synthesis_duration_s=self.synthesis_duration_s,
            qc_duration_s=self.qc_duration_s,
            yield_convention=self.yield_convention,
            transport_duration_s=transport_duration_s,
            eob=eob,
            delivery=delivery,
        )

    def delivery_fraction(self, eob_to_delivery_s: float) -> float:
        """Product activity at delivery per Bq at EOB, for a time EOB→delivery (s)."""
        after_synthesis = activity_after_process(
            1.0,
            self.nuclide,
            yield_fraction=self.synthesis_yield,
            duration_s=self.synthesis_duration_s,
            convention=self.yield_convention,
        )
        later_s = eob_to_delivery_s - self.synthesis_duration_s
        return after_synthesis * decay_factor(self.nuclide, later_s)


@dataclass(frozen=True)
class IrradiationPlan:
    """The beam time for a target activity at delivery (see :func:`plan_irradiation`).

    Attributes
    ----------
    route : ProductionRoute
        The route planned.
    target_activity_bq : float
        Product activity wanted at delivery.
    irradiation_duration_s : float
        Beam time needed (s).
    eob_activity_bq : float
        Activity needed at EOB.
    saturation_activity_bq : float
        Y_sat·I, the most any beam time could give.
    eob_to_delivery_s : float
        Synthesis + QC + transport (s).
    product : ProductActivity
        The product activities of the planned run.
    beam_start, eob, delivery : datetime or None
        Set when a delivery datetime was given.
    """

    route: ProductionRoute
    target_activity_bq: float
    irradiation_duration_s: float
    eob_activity_bq: float
    saturation_activity_bq: float
    eob_to_delivery_s: float
    product: ProductActivity
    beam_start: datetime | None = None
    eob: datetime | None = None
    delivery: datetime | None = None

    @property
    def saturation_fraction(self) -> float:
        """A_EOB / (Y_sat·I): how close to saturation the run goes."""
        return self.eob_activity_bq / self.saturation_activity_bq


def plan_irradiation(
    route: ProductionRoute,
    target_activity_bq: float,
    *,
    delivery: datetime | None = None,
    transport_duration_s: float = 0.0,
    max_beam_duration_s: float | None = None,
) -> IrradiationPlan:
    """Irradiation time (and beam start, EOB) for a target product activity at delivery.

    The activity needed at EOB is the target divided by the fraction surviving the
    synthesis (yield and decay, :func:`activity_after_process`), QC and transport;
    the beam time then inverts the activation equation
    (:func:`irradiation_duration_for`) [1]_.

    Parameters
    ----------
    route : ProductionRoute
        Nuclide, yields, current, synthesis and QC durations.
    target_activity_bq : float
        Product activity wanted at delivery (Bq).
    delivery : datetime, optional
        Aware delivery / calibration datetime; then EOB and beam start are returned.
    transport_duration_s : float
        From release to delivery (s).
    max_beam_duration_s : float, optional
        Longest allowed beam time (s); defaults to the route's.

    Returns
    -------
    IrradiationPlan

    Raises
    ------
    UnreachableActivityError
        When even saturation cannot reach the target, or when the beam time needed
        exceeds the maximum.

    Examples
    --------
    >>> route = ProductionRoute("F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=60,
    ...                         synthesis_yield=0.6, synthesis_duration_s=45 * 60,
    ...                         qc_duration_s=20 * 60)
    >>> plan = plan_irradiation(route, 100e9)
    >>> round(plan.irradiation_duration_s / 60, 1), round(plan.eob_activity_bq / 1e9, 1)
    (117.4, 251.2)
    >>> round(plan.product.delivery_activity_bq / 1e9, 6)
    100.0
    """
    target_bq = positive(target_activity_bq, "target_activity_bq", "Bq")
    transport_s = non_negative(transport_duration_s, "transport_duration_s", "s")
    limit_s = route.max_beam_duration_s if max_beam_duration_s is None else max_beam_duration_s
    if limit_s is not None:
        limit_s = positive(limit_s, "max_beam_duration_s", "s")
    eob_to_delivery_s = route.synthesis_duration_s + route.qc_duration_s + transport_s
    needed_eob_bq = target_bq / route.delivery_fraction(eob_to_delivery_s)
    try:
        beam_s = irradiation_duration_for(
            route.nuclide,
            needed_eob_bq,
            saturation_yield_bq_per_ua=route.saturation_yield_bq_per_ua,
            beam_current_ua=route.beam_current_ua,
        )
    except UnreachableActivityError as exc:
        raise UnreachableActivityError(
            f"target {format_activity(target_bq)} at delivery, "
            f"{format_duration(eob_to_delivery_s)} after EOB: {exc}"
        ) from None
    if limit_s is not None and beam_s > limit_s:
        raise UnreachableActivityError(
            f"{format_activity(target_bq)} of {route.nuclide.name} at delivery needs "
            f"{format_activity(needed_eob_bq)} at EOB, i.e. {format_duration(beam_s)} of beam at "
            f"{route.beam_current_ua:g} µA, more than the maximum beam time "
            f"{format_duration(limit_s)}; raise the current or the yield, shorten "
            "synthesis/QC/transport, or lower the target"
        )
    eob = beam_start = None
    if delivery is not None:
        ensure_aware(delivery, "delivery")
        eob = shift(delivery, -eob_to_delivery_s)
        beam_start = shift(eob, -beam_s)
    product = product_activity(
        route.nuclide,
        needed_eob_bq,
        synthesis_yield=route.synthesis_yield,
        synthesis_duration_s=route.synthesis_duration_s,
        qc_duration_s=route.qc_duration_s,
        yield_convention=route.yield_convention,
        transport_duration_s=None if eob is not None else transport_s,
        eob=eob,
        delivery=delivery,
    )
    return IrradiationPlan(
        route=route,
        target_activity_bq=target_bq,
        irradiation_duration_s=beam_s,
        eob_activity_bq=needed_eob_bq,
        saturation_activity_bq=route.saturation_activity_bq,
        eob_to_delivery_s=eob_to_delivery_s,
        product=product,
        beam_start=beam_start,
        eob=eob,
        delivery=delivery,
    )

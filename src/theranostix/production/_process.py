"""One implementation of "a process with a yield and a duration".

A radiosynthesis after a cyclotron bombardment and a radiolabelling of a
generator eluate are the same computation: the activity put in at the start,
a yield, a duration during which the product decays. Both
:func:`~theranostix.production.product_activity` and
:func:`~theranostix.production.label_product` call :func:`activity_after_process`.

References
----------
.. [1] Coenen HH, Gee AD, Adam M, et al. Consensus nomenclature rules for
   radiopharmaceutical chemistry — Setting the record straight. Nucl Med Biol
   2017;55:v-xi. doi:10.1016/j.nucmedbio.2017.09.004 (radiochemical yield, RCY,
   is decay-corrected; activity yield, AY, is not).
"""

from __future__ import annotations

import enum

from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide, decay_factor
from theranostix.production._validate import fraction, non_negative, positive

__all__ = ["YieldConvention", "activity_after_process"]


class YieldConvention(enum.Enum):
    """How a process yield is quoted (Coenen et al. 2017 [1]_).

    ``DECAY_CORRECTED``
        Radiochemical yield (RCY): the fraction of the starting activity found in
        the product, both decay-corrected to the same time. The product at the end
        of the process is ``A_start · RCY · exp(−λ·t)``. The usual convention and
        the default everywhere in theranostix.
    ``NOT_DECAY_CORRECTED``
        Activity yield (AY): the product activity at the end divided by the starting
        activity, as measured; decay during the process is already inside it, so
        the product is ``A_start · AY``, and AY cannot exceed ``exp(−λ·t)``.
    """

    DECAY_CORRECTED = "decay-corrected"
    NOT_DECAY_CORRECTED = "not-decay-corrected"

    @classmethod
    def parse(cls, value: YieldConvention | str) -> YieldConvention:
        """Accept the enum, its value, its name, or ``"rcy"`` / ``"ay"``.

        >>> YieldConvention.parse("rcy")
        <YieldConvention.DECAY_CORRECTED: 'decay-corrected'>
        """
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower().replace("_", "-")
        aliases = {"rcy": cls.DECAY_CORRECTED, "ay": cls.NOT_DECAY_CORRECTED}
        if text in aliases:
            return aliases[text]
        for member in cls:
            if text == member.value:
                return member
        allowed = ", ".join(m.value for m in cls)
        raise ThxError(f"unknown yield convention {value!r}; allowed: {allowed} (or rcy, ay)")


def activity_after_process(
    activity_bq: float,
    nuclide: Nuclide | str,
    *,
    yield_fraction: float,
    duration_s: float,
    convention: YieldConvention | str = YieldConvention.DECAY_CORRECTED,
) -> float:
    r"""Product activity at the end of a process (synthesis or labelling).

    With a decay-corrected yield (radiochemical yield, RCY) [1]_

    .. math:: A_{end} = A_{start} \cdot RCY \cdot e^{-\lambda t}

    and with a yield that is not decay-corrected (activity yield, AY)

    .. math:: A_{end} = A_{start} \cdot AY

    Parameters
    ----------
    activity_bq : float
        Activity (Bq) at the start of the process (> 0).
    nuclide : Nuclide or str
        The radionuclide.
    yield_fraction : float
        The yield, 0 < yield <= 1.
    duration_s : float
        Duration of the process in seconds (>= 0).
    convention : YieldConvention or str
        How ``yield_fraction`` is quoted; decay-corrected by default.

    Returns
    -------
    float
        Product activity (Bq) at the end of the process.

    Raises
    ------
    ThxError
        For a non-positive activity, a yield outside (0, 1], a negative duration,
        or an activity yield larger than the fraction left by decay alone.

    Examples
    --------
    >>> round(activity_after_process(1e9, "Ga-68", yield_fraction=0.9,
    ...                              duration_s=67.71 * 60) / 1e6, 1)
    450.0
    >>> activity_after_process(1e9, "Ga-68", yield_fraction=0.4, duration_s=67.71 * 60,
    ...                        convention="not-decay-corrected") / 1e6
    400.0
    """
    start_bq = positive(activity_bq, "activity_bq", "Bq")
    yld = fraction(yield_fraction, "yield_fraction")
    duration = non_negative(duration_s, "duration_s", "s")
    nuc = Nuclide(nuclide)
    surviving = decay_factor(nuc, duration)
    if YieldConvention.parse(convention) is YieldConvention.DECAY_CORRECTED:
        return start_bq * yld * surviving
    if yld > surviving * (1 + 1e-12):
        raise ThxError(
            f"a yield of {yld:g} is not possible as a not-decay-corrected (activity) yield "
            f"over {duration / 60:.4g} min of {nuc.name}: decay alone leaves {surviving:.4g}; "
            "give a smaller yield, or use the decay-corrected convention"
        )
    return start_bq * yld

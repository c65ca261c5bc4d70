r"""Radiobiology of radionuclide therapy: Lea-Catcheside factor, BED, EQD2, cycles and EBRT.

The linear-quadratic (LQ) model with incomplete repair during a protracted
irradiation gives the biologically effective dose [1]_ [2]_

.. math:: \mathrm{BED} = D \left(1 + \frac{G\,D}{\alpha/\beta}\right),

where :math:`G` is the Lea-Catcheside dose-protraction factor of the dose-rate
function :math:`R(t)` (:math:`D = \int_0^\infty R`) and a mono-exponential
repair of sublethal damage with :math:`\mu = \ln 2 / T_\mathrm{rep}`:

.. math:: G = \frac{2}{D^2} \int_0^\infty R(t) \int_0^t R(w)\, e^{-\mu (t-w)}\,dw\,dt.

For a dose rate that is a sum of exponentials,
:math:`R(t) = \sum_i a_i e^{-\lambda_i t}`, the integral is analytic
(derived here; it reduces to the published closed forms [1]_ [3]_ [4]_):

.. math:: G = \frac{2}{D^2} \sum_{i,j}
   \frac{a_i a_j}{(\lambda_i + \lambda_j)(\lambda_i + \mu)},
   \qquad D = \sum_i \frac{a_i}{\lambda_i}.

Instant uptake and mono-exponential clearance with effective decay constant
:math:`\lambda` give :math:`G = \lambda / (\lambda + \mu)
= T_\mathrm{rep} / (T_\mathrm{rep} + T_\mathrm{eff})` [1]_; uptake and washout,
:math:`R(t) \propto e^{-\lambda_2 t} - e^{-\lambda_1 t}` with
:math:`\lambda_1 > \lambda_2`, give :func:`g_factor_uptake_washout` [2]_ [3]_.
Any other dose-rate function is integrated numerically
(:func:`lea_catcheside_factor` with a callable).

External-beam radiotherapy (EBRT) in ``n`` fractions of ``d`` Gy, each acute and
fully repaired before the next, has :math:`\mathrm{BED} = n d (1 + d/(\alpha/\beta))`
and :math:`\mathrm{EQD2} = \mathrm{BED} / (1 + 2/(\alpha/\beta))` [5]_.
Radionuclide cycles weeks apart are independent irradiations, each with its own
:math:`G`; their BEDs add, and so does the BED of an EBRT course to the same
tissue [4]_ [5]_ (:func:`total_bed`). Repopulation is not modelled.

Units are those of the field: Gy for doses and for :math:`\alpha/\beta`,
hours for half-lives and repair half-times; names carry them.

References
----------
.. [1] Dale RG. The application of the linear-quadratic dose-effect equation to
   fractionated and protracted radiotherapy. Br J Radiol 1985;58:515-528.
   doi:10.1259/0007-1285-58-690-515
.. [2] Dale RG. Dose-rate effects in targeted radiotherapy. Phys Med Biol
   1996;41:1871-1884. doi:10.1088/0031-9155/41/10/001
.. [3] Baechler S, Hobbs RF, Prideaux AR, Wahl RL, Sgouros G. Extension of the
   biological effective dose to the MIRD schema and possible implications in
   radionuclide therapy dosimetry. Med Phys 2008;35:1123-1134.
   doi:10.1118/1.2836421
.. [4] Hobbs RF, Sgouros G. Calculation of the biological effective dose for
   piecewise defined dose-rate fits. Med Phys 2009;36:904-907.
   doi:10.1118/1.3070587
.. [5] Fowler JF. The linear-quadratic formula and progress in fractionated
   radiotherapy. Br J Radiol 1989;62:679-694. doi:10.1259/0007-1285-62-740-679
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError

__all__ = [
    "BedPart",
    "BedSummary",
    "EbrtCourse",
    "ExponentialDoseRate",
    "PartKind",
    "RadionuclideCycle",
    "bed_gy",
    "ebrt_bed_gy",
    "eqd2_gy",
    "g_factor_mono",
    "g_factor_uptake_washout",
    "lea_catcheside_factor",
    "total_bed",
]

LN2 = math.log(2.0)

FloatArray = npt.NDArray[np.float64]
DoseRateFunction = Callable[[FloatArray], Any]
"""A dose rate ``R(t)`` (any unit): called with an array of times in hours."""


# ---------------------------------------------------------------------------------- checks


def _positive(value: object, name: str, unit: str = "") -> float:
    """``value`` as a float, or a :class:`ThxError` unless finite and > 0."""
    unit_text = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ThxError(f"{name}: expected a number{unit_text}, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise ThxError(f"{name}: must be a finite number > 0{unit_text}, got {value!r}")
    return number


def _dose_array(dose_gy: object, name: str = "dose_gy") -> FloatArray:
    """Absorbed dose(s) as a float array: finite and >= 0 Gy."""
    try:
        array = np.asarray(dose_gy, dtype=np.float64)
    except (TypeError, ValueError):
        raise ThxError(
            f"{name}: expected a number or array of numbers (Gy), got {dose_gy!r}"
        ) from None
    if isinstance(dose_gy, bool) or not np.all(np.isfinite(array)) or np.any(array < 0.0):
        raise ThxError(f"{name}: must be finite and >= 0 Gy, got {dose_gy!r}")
    return array


def _as_result(array: FloatArray, scalar: bool) -> float | FloatArray:
    return float(array) if scalar else array


# ------------------------------------------------------------------------ dose-rate models


@dataclass(frozen=True)
class ExponentialDoseRate:
    """Shape of a dose rate that is a sum of exponentials.

    ``R(t) = sum_i a_i exp(-ln2 t / T_i)`` with ``t`` in hours from
    administration; the scale is arbitrary (only the shape matters for
    :math:`G`). Negative amplitudes describe an uptake phase; the sum must stay
    >= 0 for all ``t`` and have a positive integral.

    Attributes
    ----------
    amplitudes : tuple of float
        ``a_i`` (relative).
    half_lives_h : tuple of float
        ``T_i`` in hours, each > 0.

    Examples
    --------
    >>> ExponentialDoseRate.mono(50.0).lea_catcheside_factor(2.8)  # 2.8 / (2.8 + 50)
    0.0530303...
    >>> ExponentialDoseRate.uptake_washout(50.0, 2.0).half_lives_h
    (50.0, 2.0)
    """

    amplitudes: tuple[float, ...]
    half_lives_h: tuple[float, ...]

    def __post_init__(self) -> None:
        amplitudes = tuple(self.amplitudes)
        half_lives = tuple(self.half_lives_h)
        if not amplitudes or len(amplitudes) != len(half_lives):
            raise ThxError(
                "dose rate: amplitudes and half_lives_h must be non-empty and of equal length, "
                f"got {len(amplitudes)} and {len(half_lives)}"
            )
        checked: list[float] = []
        for i, a in enumerate(amplitudes):
            if isinstance(a, bool) or not isinstance(a, (int, float, np.integer, np.floating)):
                raise ThxError(f"dose rate: amplitudes[{i}]: expected a number, got {a!r}")
            if not math.isfinite(float(a)):
                raise ThxError(f"dose rate: amplitudes[{i}]: must be finite, got {a!r}")
            checked.append(float(a))
        halves = tuple(
            _positive(t, f"dose rate: half_lives_h[{i}]", "h") for i, t in enumerate(half_lives)
        )
        object.__setattr__(self, "amplitudes", tuple(checked))
        object.__setattr__(self, "half_lives_h", halves)
        if self.integral_h() <= 0.0:
            raise ThxError(
                f"dose rate: the integral of R(t) must be > 0, got {self.integral_h()!r} "
                f"(amplitudes {self.amplitudes}, half_lives_h {self.half_lives_h})"
            )
        t = np.concatenate(([0.0], np.geomspace(1e-3, 50.0, 400) * max(halves)))
        rate = self.rate(t)
        scale = float(np.max(np.abs(rate))) or 1.0
        if float(np.min(rate)) < -1e-12 * scale:
            t_bad = float(t[int(np.argmin(rate))])
            raise ThxError(
                f"dose rate: R(t) must be >= 0 for all t, but R({t_bad:.4g} h) < 0 "
                f"(amplitudes {self.amplitudes}, half_lives_h {self.half_lives_h})"
            )

    @classmethod
    def mono(cls, effective_half_life_h: float) -> ExponentialDoseRate:
        """Instant uptake, mono-exponential clearance: ``R(t) = exp(-ln2 t / T_eff)``."""
        return cls((1.0,), (_positive(effective_half_life_h, "effective_half_life_h", "h"),))

    @classmethod
    def uptake_washout(
        cls, effective_half_life_h: float, uptake_half_life_h: float
    ) -> ExponentialDoseRate:
        """Uptake then washout: ``R(t) = exp(-ln2 t / T_eff) - exp(-ln2 t / T_up)``.

        The convention of the Lu-177 models of ``theranostix.phantoms``; requires
        ``uptake_half_life_h < effective_half_life_h``.
        """
        t_eff = _positive(effective_half_life_h, "effective_half_life_h", "h")
        t_up = _positive(uptake_half_life_h, "uptake_half_life_h", "h")
        if not t_up < t_eff:
            raise ThxError(
                f"uptake_half_life_h: must be shorter than effective_half_life_h "
                f"({t_eff!r} h), got {t_up!r} h"
            )
        return cls((1.0, -1.0), (t_eff, t_up))

    @property
    def decay_constants_per_h(self) -> FloatArray:
        """``lambda_i = ln2 / T_i`` in 1/h."""
        return LN2 / np.asarray(self.half_lives_h, dtype=np.float64)

    def rate(self, t_h: npt.ArrayLike) -> FloatArray:
        """``R(t)`` at times ``t_h`` (hours), in the units of the amplitudes."""
        t = np.asarray(t_h, dtype=np.float64)
        lam = self.decay_constants_per_h
        a = np.asarray(self.amplitudes, dtype=np.float64)
        out: FloatArray = np.exp(-np.multiply.outer(t, lam)) @ a
        return out

    def integral_h(self) -> float:
        """``integral_0^inf R(t) dt = sum_i a_i T_i / ln2`` (amplitude units x h)."""
        return float(np.sum(np.asarray(self.amplitudes) / self.decay_constants_per_h))

    def lea_catcheside_factor(self, repair_half_time_h: float) -> float:
        """Analytic Lea-Catcheside factor (see the module docstring)."""
        mu = LN2 / _positive(repair_half_time_h, "repair_half_time_h", "h")
        lam = self.decay_constants_per_h
        a = np.asarray(self.amplitudes, dtype=np.float64)
        dose = float(np.sum(a / lam))
        pair = np.outer(a, a) / (np.add.outer(lam, lam) * (lam + mu)[:, None])
        return float(2.0 * np.sum(pair) / dose**2)


# ------------------------------------------------------------------------ Lea-Catcheside G


def g_factor_mono(effective_half_life_h: float, repair_half_time_h: float) -> float:
    """Lea-Catcheside factor of instant uptake and mono-exponential clearance.

    ``G = lambda / (lambda + mu) = T_rep / (T_rep + T_eff)`` [1]_.

    Parameters
    ----------
    effective_half_life_h : float
        Effective (biological and physical) half-life of the dose rate, h.
    repair_half_time_h : float
        Half-time of sublethal-damage repair, h.

    Returns
    -------
    float
        ``G`` in (0, 1).

    References
    ----------
    .. [1] Dale RG. Br J Radiol 1985;58:515-528. doi:10.1259/0007-1285-58-690-515

    Examples
    --------
    >>> g_factor_mono(50.0, 2.8)  # 2.8 / 52.8
    0.0530303...
    """
    t_eff = _positive(effective_half_life_h, "effective_half_life_h", "h")
    t_rep = _positive(repair_half_time_h, "repair_half_time_h", "h")
    return t_rep / (t_rep + t_eff)


def g_factor_uptake_washout(
    effective_half_life_h: float, uptake_half_life_h: float, repair_half_time_h: float
) -> float:
    """Lea-Catcheside factor of a dose rate ``exp(-l2 t) - exp(-l1 t)`` (uptake, washout).

    With ``l1 = ln2 / T_up > l2 = ln2 / T_eff`` and ``mu = ln2 / T_rep``::

        G = (l1 l2 / (l1 - l2))^2 [ 1/(l2 (l2 + mu)) + 1/(l1 (l1 + mu))
                                    - 2/(l1 + l2) (1/(l1 + mu) + 1/(l2 + mu)) ]

    the sum-of-exponentials form (module docstring) for two terms; the same
    function as the uptake-phase expressions of Dale [1]_ and Baechler et al. [2]_.
    Tends to :func:`g_factor_mono` as ``T_up -> 0``.

    Parameters
    ----------
    effective_half_life_h : float
        Half-life of the washout phase, h.
    uptake_half_life_h : float
        Half-life of the uptake phase, h; shorter than ``effective_half_life_h``.
    repair_half_time_h : float
        Half-time of sublethal-damage repair, h.

    Returns
    -------
    float

    References
    ----------
    .. [1] Dale RG. Phys Med Biol 1996;41:1871-1884. doi:10.1088/0031-9155/41/10/001
    .. [2] Baechler S et al. Med Phys 2008;35:1123-1134. doi:10.1118/1.2836421

    Examples
    --------
    >>> round(g_factor_uptake_washout(50.0, 1e-6, 2.8), 6) == round(g_factor_mono(50.0, 2.8), 6)
    True
    >>> g_factor_uptake_washout(50.0, 2.0, 2.8) < g_factor_mono(50.0, 2.8)
    True
    """
    t_eff = _positive(effective_half_life_h, "effective_half_life_h", "h")
    t_up = _positive(uptake_half_life_h, "uptake_half_life_h", "h")
    mu = LN2 / _positive(repair_half_time_h, "repair_half_time_h", "h")
    if not t_up < t_eff:
        raise ThxError(
            f"uptake_half_life_h: must be shorter than effective_half_life_h ({t_eff!r} h), "
            f"got {t_up!r} h"
        )
    l1, l2 = LN2 / t_up, LN2 / t_eff
    bracket = (
        1.0 / (l2 * (l2 + mu))
        + 1.0 / (l1 * (l1 + mu))
        - 2.0 / (l1 + l2) * (1.0 / (l1 + mu) + 1.0 / (l2 + mu))
    )
    return (l1 * l2 / (l1 - l2)) ** 2 * bracket


def _numeric_g(
    dose_rate: DoseRateFunction,
    mu: float,
    t_end_h: float,
    breakpoints_h: Iterable[float],
) -> float:
    """``G`` of an arbitrary ``R(t)`` on ``[0, t_end_h]`` by ODE integration.

    ``y(t) = int_0^t R(w) exp(-mu (t - w)) dw`` obeys ``y' = R - mu y``; with
    ``D' = R`` and ``I' = R y`` the double integral is ``G = 2 I / D^2``.
    """
    from scipy.integrate import solve_ivp

    def rate(t: float) -> float:
        value = np.asarray(dose_rate(np.asarray([t], dtype=np.float64)), dtype=np.float64)
        return float(value.reshape(-1)[0])

    cuts = sorted({0.0, t_end_h, *(float(b) for b in breakpoints_h if 0.0 < b < t_end_h)})
    probe = np.unique(np.concatenate([np.linspace(0.0, t_end_h, 2001), cuts]))
    samples = np.asarray(dose_rate(probe), dtype=np.float64).reshape(-1)
    if samples.shape != probe.shape or not np.all(np.isfinite(samples)):
        raise ThxError("dose_rate: must return one finite value per time (array in, array out)")
    scale = float(np.max(np.abs(samples)))
    if scale == 0.0:
        raise ThxError("dose_rate: R(t) is zero everywhere on [0, t_end_h]")
    if float(np.min(samples)) < -1e-12 * scale:
        t_bad = float(probe[int(np.argmin(samples))])
        raise ThxError(f"dose_rate: R(t) must be >= 0, but R({t_bad:.4g} h) < 0")

    def rhs(t: float, state: FloatArray) -> list[float]:
        r = rate(t) / scale
        return [r, r - mu * state[1], r * state[1]]

    state = np.zeros(3)
    for start, stop in itertools.pairwise(cuts):
        solution = solve_ivp(
            rhs,
            (start, stop),
            state,
            method="DOP853",
            rtol=1e-11,
            atol=1e-14 * max(t_end_h, 1.0),
            max_step=(stop - start) / 20.0,
        )
        if not solution.success:
            raise ThxError(f"dose_rate: numerical integration failed ({solution.message})")
        state = np.asarray(solution.y[:, -1], dtype=np.float64)
    dose, integral = float(state[0]), float(state[2])
    if dose <= 0.0:
        raise ThxError("dose_rate: the integral of R(t) on [0, t_end_h] must be > 0")
    return 2.0 * integral / dose**2


def lea_catcheside_factor(
    dose_rate: ExponentialDoseRate | DoseRateFunction,
    *,
    repair_half_time_h: float,
    t_end_h: float | None = None,
    breakpoints_h: Sequence[float] = (),
) -> float:
    """Lea-Catcheside dose-protraction factor ``G`` of a dose-rate function.

    ``G = 2/D^2 int_0^inf R(t) int_0^t R(w) exp(-mu (t - w)) dw dt`` with
    ``mu = ln2 / T_rep`` and ``D = int_0^inf R`` [1]_ [2]_.

    Parameters
    ----------
    dose_rate : ExponentialDoseRate or callable
        A sum of exponentials (analytic ``G``), or a function ``R(t)`` of an
        array of times in hours returning an array of dose rates (any unit),
        integrated numerically on ``[0, t_end_h]`` (the dose after ``t_end_h``
        is taken as zero, so choose it many effective half-lives long).
    repair_half_time_h : float
        Half-time of sublethal-damage repair, h.
    t_end_h : float, optional
        End of the numerical integration, h; required with a callable.
    breakpoints_h : sequence of float, optional
        Times where a callable ``R(t)`` is not smooth (e.g. the knots of a
        piecewise fit [3]_); integration restarts there.

    Returns
    -------
    float
        ``G`` in (0, 1]; 1 for an acute dose, -> 0 for a very protracted one.

    References
    ----------
    .. [1] Dale RG. Br J Radiol 1985;58:515-528. doi:10.1259/0007-1285-58-690-515
    .. [2] Baechler S et al. Med Phys 2008;35:1123-1134. doi:10.1118/1.2836421
    .. [3] Hobbs RF, Sgouros G. Med Phys 2009;36:904-907. doi:10.1118/1.3070587

    Examples
    --------
    >>> import numpy as np
    >>> lea_catcheside_factor(ExponentialDoseRate.mono(50.0), repair_half_time_h=2.8)
    0.0530303...
    >>> g = lea_catcheside_factor(lambda t: np.exp(-np.log(2) * t / 50.0),
    ...                           repair_half_time_h=2.8, t_end_h=3000.0)
    >>> abs(g - 2.8 / 52.8) < 1e-8
    True
    """
    t_rep = _positive(repair_half_time_h, "repair_half_time_h", "h")
    if isinstance(dose_rate, ExponentialDoseRate):
        return dose_rate.lea_catcheside_factor(t_rep)
    if not callable(dose_rate):
        raise ThxError(
            f"dose_rate: expected an ExponentialDoseRate or a function of time, got {dose_rate!r}"
        )
    if t_end_h is None:
        raise ThxError("t_end_h: required to integrate a dose-rate function numerically")
    t_end = _positive(t_end_h, "t_end_h", "h")
    return _numeric_g(dose_rate, LN2 / t_rep, t_end, breakpoints_h)


# ----------------------------------------------------------------------------- BED, EQD2


def _g_from(
    *,
    repair_half_time_h: float | None,
    effective_half_life_h: float | None,
    uptake_half_life_h: float | None,
    dose_rate: ExponentialDoseRate | DoseRateFunction | None,
    g_factor: float | None,
    t_end_h: float | None,
) -> float:
    given = [
        name
        for name, value in (
            ("effective_half_life_h", effective_half_life_h),
            ("dose_rate", dose_rate),
            ("g_factor", g_factor),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise ThxError(
            "describe the dose rate by exactly one of effective_half_life_h (with optional "
            f"uptake_half_life_h), dose_rate or g_factor; got {', '.join(given) or 'none'}"
        )
    if uptake_half_life_h is not None and effective_half_life_h is None:
        raise ThxError("uptake_half_life_h: needs effective_half_life_h")
    if g_factor is not None:
        if isinstance(g_factor, bool) or not isinstance(g_factor, (int, float)):
            raise ThxError(f"g_factor: expected a number in [0, 1], got {g_factor!r}")
        if not 0.0 <= float(g_factor) <= 1.0:
            raise ThxError(f"g_factor: must be in [0, 1], got {g_factor!r}")
        return float(g_factor)
    if repair_half_time_h is None:
        raise ThxError("repair_half_time_h: required to compute the Lea-Catcheside factor")
    if dose_rate is not None:
        return lea_catcheside_factor(
            dose_rate, repair_half_time_h=repair_half_time_h, t_end_h=t_end_h
        )
    assert effective_half_life_h is not None
    if uptake_half_life_h is None:
        return g_factor_mono(effective_half_life_h, repair_half_time_h)
    return g_factor_uptake_washout(effective_half_life_h, uptake_half_life_h, repair_half_time_h)


@overload
def bed_gy(
    dose_gy: float,
    *,
    alpha_beta_gy: float,
    repair_half_time_h: float | None = ...,
    effective_half_life_h: float | None = ...,
    uptake_half_life_h: float | None = ...,
    dose_rate: ExponentialDoseRate | DoseRateFunction | None = ...,
    g_factor: float | None = ...,
    t_end_h: float | None = ...,
) -> float: ...
@overload
def bed_gy(
    dose_gy: FloatArray | Sequence[float],
    *,
    alpha_beta_gy: float,
    repair_half_time_h: float | None = ...,
    effective_half_life_h: float | None = ...,
    uptake_half_life_h: float | None = ...,
    dose_rate: ExponentialDoseRate | DoseRateFunction | None = ...,
    g_factor: float | None = ...,
    t_end_h: float | None = ...,
) -> FloatArray: ...
def bed_gy(
    dose_gy: float | FloatArray | Sequence[float],
    *,
    alpha_beta_gy: float,
    repair_half_time_h: float | None = None,
    effective_half_life_h: float | None = None,
    uptake_half_life_h: float | None = None,
    dose_rate: ExponentialDoseRate | DoseRateFunction | None = None,
    g_factor: float | None = None,
    t_end_h: float | None = None,
) -> float | FloatArray:
    """Biologically effective dose of one radionuclide administration.

    ``BED = D (1 + G D / (alpha/beta))`` [1]_ [2]_, with the Lea-Catcheside
    factor ``G`` of the dose rate described by exactly one of:
    ``effective_half_life_h`` (instant uptake, mono-exponential clearance,
    :func:`g_factor_mono`), ``effective_half_life_h`` with
    ``uptake_half_life_h`` (:func:`g_factor_uptake_washout`), ``dose_rate``
    (:func:`lea_catcheside_factor`) or ``g_factor`` itself.

    Parameters
    ----------
    dose_gy : float or array of float
        Absorbed dose, Gy (>= 0).
    alpha_beta_gy : float
        alpha/beta of the tissue, Gy.
    repair_half_time_h : float, optional
        Repair half-time, h; required unless ``g_factor`` is given.
    effective_half_life_h, uptake_half_life_h : float, optional
        Half-lives of the dose rate, h.
    dose_rate : ExponentialDoseRate or callable, optional
        Dose-rate shape (see :func:`lea_catcheside_factor`).
    g_factor : float, optional
        ``G`` in [0, 1] (1: acute single dose).
    t_end_h : float, optional
        End of the numerical integration for a callable ``dose_rate``.

    Returns
    -------
    float or numpy.ndarray
        BED in Gy, of the shape of ``dose_gy``.

    References
    ----------
    .. [1] Dale RG. Br J Radiol 1985;58:515-528. doi:10.1259/0007-1285-58-690-515
    .. [2] Baechler S et al. Med Phys 2008;35:1123-1134. doi:10.1118/1.2836421

    Examples
    --------
    >>> bed_gy(20.0, alpha_beta_gy=2.6, repair_half_time_h=2.8, effective_half_life_h=50.0)
    28.158...
    >>> bed_gy([0.0, 2.0], alpha_beta_gy=10.0, g_factor=1.0)  # acute 2 Gy
    array([0. , 2.4])
    """
    scalar = np.ndim(dose_gy) == 0
    dose = _dose_array(dose_gy)
    ab = _positive(alpha_beta_gy, "alpha_beta_gy", "Gy")
    g = _g_from(
        repair_half_time_h=repair_half_time_h,
        effective_half_life_h=effective_half_life_h,
        uptake_half_life_h=uptake_half_life_h,
        dose_rate=dose_rate,
        g_factor=g_factor,
        t_end_h=t_end_h,
    )
    return _as_result(dose * (1.0 + g * dose / ab), scalar)


@overload
def eqd2_gy(bed_gy: float, alpha_beta_gy: float) -> float: ...
@overload
def eqd2_gy(bed_gy: FloatArray | Sequence[float], alpha_beta_gy: float) -> FloatArray: ...
def eqd2_gy(
    bed_gy: float | FloatArray | Sequence[float], alpha_beta_gy: float
) -> float | FloatArray:
    """Equivalent dose in 2-Gy fractions: ``EQD2 = BED / (1 + 2 / (alpha/beta))``.

    Parameters
    ----------
    bed_gy : float or array of float
        BED, Gy (>= 0).
    alpha_beta_gy : float
        alpha/beta of the tissue, Gy.

    Returns
    -------
    float or numpy.ndarray
        EQD2 in Gy.

    References
    ----------
    .. [1] Fowler JF. Br J Radiol 1989;62:679-694. doi:10.1259/0007-1285-62-740-679

    Examples
    --------
    >>> eqd2_gy(72.0, 10.0)
    60.0
    """
    scalar = np.ndim(bed_gy) == 0
    bed = _dose_array(bed_gy, "bed_gy")
    ab = _positive(alpha_beta_gy, "alpha_beta_gy", "Gy")
    return _as_result(bed / (1.0 + 2.0 / ab), scalar)


def ebrt_bed_gy(n_fractions: int, dose_per_fraction_gy: float, alpha_beta_gy: float) -> float:
    """BED of external-beam radiotherapy in ``n`` acute, fully repaired fractions.

    ``BED = n d (1 + d / (alpha/beta))`` [1]_.

    Parameters
    ----------
    n_fractions : int
        Number of fractions, >= 1.
    dose_per_fraction_gy : float
        Dose per fraction ``d``, Gy.
    alpha_beta_gy : float
        alpha/beta of the tissue, Gy.

    Returns
    -------
    float
        BED in Gy.

    References
    ----------
    .. [1] Fowler JF. Br J Radiol 1989;62:679-694. doi:10.1259/0007-1285-62-740-679

    Examples
    --------
    >>> ebrt_bed_gy(30, 2.0, 10.0)  # 60 Gy (1 + 2/10)
    72.0
    """
    if isinstance(n_fractions, bool) or not isinstance(n_fractions, (int, np.integer)):
        raise ThxError(f"n_fractions: expected an integer >= 1, got {n_fractions!r}")
    if n_fractions < 1:
        raise ThxError(f"n_fractions: must be >= 1, got {n_fractions!r}")
    d = _positive(dose_per_fraction_gy, "dose_per_fraction_gy", "Gy")
    ab = _positive(alpha_beta_gy, "alpha_beta_gy", "Gy")
    return int(n_fractions) * d * (1.0 + d / ab)


# --------------------------------------------------------------------- cycles and courses


@dataclass(frozen=True)
class RadionuclideCycle:
    """One radionuclide administration to a tissue: its absorbed dose and dose-rate shape.

    Describe the dose rate by exactly one of ``effective_half_life_h`` (with
    optional ``uptake_half_life_h``), ``dose_rate`` or ``g_factor`` (as in
    :func:`bed_gy`).

    Attributes
    ----------
    dose_gy : float
    effective_half_life_h, uptake_half_life_h : float or None
    dose_rate : ExponentialDoseRate, callable or None
    g_factor : float or None
    t_end_h : float or None
        For a callable ``dose_rate``.
    label : str
    """

    dose_gy: float
    effective_half_life_h: float | None = None
    uptake_half_life_h: float | None = None
    dose_rate: ExponentialDoseRate | DoseRateFunction | None = None
    g_factor: float | None = None
    t_end_h: float | None = None
    label: str = ""


@dataclass(frozen=True)
class EbrtCourse:
    """A course of external-beam radiotherapy: ``n_fractions`` x ``dose_per_fraction_gy``."""

    n_fractions: int
    dose_per_fraction_gy: float
    label: str = ""


class PartKind(enum.Enum):
    """Kind of irradiation a part of a :class:`BedSummary` is."""

    RADIONUCLIDE = "radionuclide"
    EBRT = "ebrt"


@dataclass(frozen=True)
class BedPart:
    """BED of one radionuclide cycle or one EBRT course.

    Attributes
    ----------
    label : str
    kind : PartKind
    dose_gy : float
        Absorbed (physical) dose of the part, Gy.
    g_factor : float
        Lea-Catcheside factor (for EBRT: ``1/n``, the factor of ``n`` acute,
        fully repaired fractions).
    bed_gy, eqd2_gy : float
    """

    label: str
    kind: PartKind
    dose_gy: float
    g_factor: float
    bed_gy: float
    eqd2_gy: float


@dataclass(frozen=True)
class BedSummary:
    """Total BED and EQD2 of radionuclide cycles and EBRT courses to one tissue.

    Attributes
    ----------
    bed_gy, eqd2_gy : float
        Totals, Gy.
    dose_gy : float
        Total absorbed dose, Gy.
    alpha_beta_gy : float
    parts : tuple of BedPart
        Per cycle, then per EBRT course, in the order given.
    """

    bed_gy: float
    eqd2_gy: float
    dose_gy: float
    alpha_beta_gy: float
    parts: tuple[BedPart, ...]

    @property
    def radionuclide_bed_gy(self) -> float:
        """BED of the radionuclide cycles, Gy."""
        return sum(p.bed_gy for p in self.parts if p.kind is PartKind.RADIONUCLIDE)

    @property
    def ebrt_bed_gy(self) -> float:
        """BED of the EBRT courses, Gy."""
        return sum(p.bed_gy for p in self.parts if p.kind is PartKind.EBRT)


def total_bed(
    cycles: Sequence[RadionuclideCycle],
    ebrt: EbrtCourse | Sequence[EbrtCourse] | None = None,
    *,
    alpha_beta_gy: float,
    repair_half_time_h: float | None = None,
) -> BedSummary:
    """Total BED and EQD2 of radionuclide cycles, optionally with EBRT, to one tissue.

    Each cycle is an independent protracted irradiation with its own ``G``
    (cycles weeks apart: repair is complete in between), so BEDs add [1]_ [2]_;
    an EBRT course adds ``n d (1 + d / (alpha/beta))`` [3]_. Repopulation
    between cycles is not modelled (conservative for normal tissue).

    Parameters
    ----------
    cycles : sequence of RadionuclideCycle
        May be empty when ``ebrt`` is given.
    ebrt : EbrtCourse or sequence of EbrtCourse, optional
    alpha_beta_gy : float
        alpha/beta of the tissue, Gy.
    repair_half_time_h : float, optional
        Repair half-time, h; required unless every cycle gives its ``g_factor``.

    Returns
    -------
    BedSummary

    References
    ----------
    .. [1] Dale RG. Phys Med Biol 1996;41:1871-1884. doi:10.1088/0031-9155/41/10/001
    .. [2] Hobbs RF, Sgouros G. Med Phys 2009;36:904-907. doi:10.1118/1.3070587
    .. [3] Fowler JF. Br J Radiol 1989;62:679-694. doi:10.1259/0007-1285-62-740-679

    Examples
    --------
    >>> cycles = [RadionuclideCycle(5.0, effective_half_life_h=50.0, label=f"cycle {i}")
    ...           for i in (1, 2)]
    >>> s = total_bed(cycles, EbrtCourse(10, 2.0), alpha_beta_gy=2.6, repair_half_time_h=2.8)
    >>> [p.label for p in s.parts], round(s.bed_gy, 3)
    (['cycle 1', 'cycle 2', 'EBRT 10 x 2 Gy'], 46.404)
    """
    ab = _positive(alpha_beta_gy, "alpha_beta_gy", "Gy")
    courses: tuple[EbrtCourse, ...]
    if ebrt is None:
        courses = ()
    elif isinstance(ebrt, EbrtCourse):
        courses = (ebrt,)
    else:
        courses = tuple(ebrt)
    if not cycles and not courses:
        raise ThxError("cycles: give at least one radionuclide cycle or EBRT course")
    parts: list[BedPart] = []
    for i, cycle in enumerate(cycles):
        if not isinstance(cycle, RadionuclideCycle):
            raise ThxError(f"cycles[{i}]: expected a RadionuclideCycle, got {cycle!r}")
        label = cycle.label or f"cycle {i + 1}"
        try:
            dose = float(_dose_array(cycle.dose_gy))
            g = _g_from(
                repair_half_time_h=repair_half_time_h,
                effective_half_life_h=cycle.effective_half_life_h,
                uptake_half_life_h=cycle.uptake_half_life_h,
                dose_rate=cycle.dose_rate,
                g_factor=cycle.g_factor,
                t_end_h=cycle.t_end_h,
            )
        except ThxError as exc:
            raise ThxError(f"cycles[{i}] ({label}): {exc}") from None
        bed = dose * (1.0 + g * dose / ab)
        parts.append(BedPart(label, PartKind.RADIONUCLIDE, dose, g, bed, bed / (1.0 + 2.0 / ab)))
    for i, course in enumerate(courses):
        if not isinstance(course, EbrtCourse):
            raise ThxError(f"ebrt[{i}]: expected an EbrtCourse, got {course!r}")
        label = course.label or f"EBRT {course.n_fractions} x {course.dose_per_fraction_gy:g} Gy"
        try:
            bed = ebrt_bed_gy(course.n_fractions, course.dose_per_fraction_gy, ab)
        except ThxError as exc:
            raise ThxError(f"ebrt[{i}] ({label}): {exc}") from None
        dose = course.n_fractions * float(course.dose_per_fraction_gy)
        parts.append(
            BedPart(
                label, PartKind.EBRT, dose, 1.0 / course.n_fractions, bed, bed / (1.0 + 2.0 / ab)
            )
        )
    total = sum(p.bed_gy for p in parts)
    return BedSummary(
        bed_gy=total,
        eqd2_gy=total / (1.0 + 2.0 / ab),
        dose_gy=sum(p.dose_gy for p in parts),
        alpha_beta_gy=ab,
        parts=tuple(parts),
    )

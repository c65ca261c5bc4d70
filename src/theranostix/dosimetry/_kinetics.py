"""Time-activity curve (TAC) kinetics: fits, time-integrated activity, single time point.

Units at the boundary are those of the dosimetry community: times in hours (``time_h``),
activities in MBq (``activity_mbq``), time-integrated activities (TIA) in MBq·h
(``tia_mbq_h``), decay constants per hour (``lambda1_per_h``). The nuclide's half-life
comes from :class:`theranostix.nuclides.Nuclide` in seconds and is converted once. The
least-squares problem itself is solved in dimensionless variables (time over the last
sampling time, activity over the largest activity), which keeps every parameter of order
one; parameters and covariances are converted back to hours and MBq.

Models
------
``mono``
    ``A(t) = A1·exp(−λ1·t)``; TIA ``A1/λ1``.
``bi``
    ``A(t) = A1·exp(−λ1·t) + A2·exp(−λ2·t)`` with ``A1, A2 ≥ 0`` and ``λ2 ≥ λ1`` (two
    washout phases; component 1 is the slow one); TIA ``A1/λ1 + A2/λ2``.
``bi-uptake``
    ``A(t) = A1·(exp(−λ1·t) − exp(−λ2·t))`` with ``λ2 ≥ λ1`` (λ2 is the uptake, λ1 the
    washout); TIA ``A1·(1/λ1 − 1/λ2)``.
``tri``
    ``A(t) = A1·exp(−λ1·t) + A2·exp(−λ2·t) − (A1 + A2)·exp(−λ3·t)`` with ``A1, A2 ≥ 0``
    and ``λ1 ≤ λ2 ≤ λ3`` (uptake λ3, two washouts); TIA ``A1/λ1 + A2/λ2 − (A1 + A2)/λ3``.
``trapezoid``
    Trapezoidal rule from ``A(0) = 0`` (a straight line from the origin to the first point,
    as recommended by MIRD Pamphlet No. 26 for an unsampled uptake phase) through the
    points, plus the physical-decay tail ``A_last/λ_phys`` after the last point. If the
    first time is 0 its measured activity is used instead of 0.

Every decay constant is constrained to ``λ ≥ λ_phys = ln 2/T_phys``: no region can lose
activity more slowly than physical decay. The fits are weighted least squares
(``scipy.optimize.least_squares``, trust-region reflective with bounds, several starting
points) with weights ``1/σ²``; σ is an absolute column or ``relative_sigma × activity``.

Model selection
---------------
Corrected Akaike information criterion (Glatting et al. 2007; NUKFIT, Kletting et al. 2013)
``AICc = n·ln(RSS/n) + 2k + 2k(k + 1)/(n − k − 1)`` on the weighted residual sum of squares
``RSS = Σ ((A_i − f(t_i))/σ_i)²``. A model is ranked only when ``n − k − 1 > 0`` and it is
fitted only when ``n ≥ k``. With the default models:

====== ============================================================
n      models ranked by AICc
====== ============================================================
2, 3   none; ``mono`` is used (fewest parameters, see below)
4      ``mono``
5      ``mono``, ``bi-uptake``
6      ``mono``, ``bi-uptake``, ``bi``
≥ 7    ``mono``, ``bi-uptake``, ``bi``, ``tri``
====== ============================================================

The model of lowest AICc is selected. When no fitted model can be ranked, the successful
fit with the fewest parameters is selected (``models=("bi-uptake",)`` therefore imposes an
uptake-washout model with 3 or 4 points, a choice from prior knowledge of the
pharmacokinetics), and the trapezoid only when no exponential model could be fitted. The
trapezoid has no fitted parameters and is never ranked by AICc. A weighted RSS below the
numerical resolution of the fit (relative residuals of √ε ≈ 1.5e-8) is raised to it, so
that models that all fit noiseless data exactly tie on the RSS and the penalty selects the
simplest one.

Uncertainty
-----------
The parameter covariance is ``(Jᵀ W J)⁻¹`` with the Jacobian of the model at the optimum
and ``W = diag(1/σ²)``: the σ are taken as the uncertainties of the activities (NUKFIT;
EANM guidance, Gear et al. 2018). With ``scale_covariance=True`` it is multiplied by the
reduced χ² ``RSS/(n − k)``. A parameter at an active bound (for instance ``λ1 = λ_phys``)
is held fixed: its variance and covariances are 0. A singular matrix (a parameter without
information, such as λ2 when ``A2 = 0``) is inverted by the Moore-Penrose pseudo-inverse
and noted in the candidate's ``reason``. The TIA uncertainty is the delta method
``σ_TIA² = ∇TIAᵀ C ∇TIA`` with the analytic gradient of the TIA (for the trapezoid, which
is linear in the activities, ``σ_TIA² = Σ c_i² σ_i²`` with its quadrature weights ``c_i``).

References
----------
.. [1] Glatting G, Kletting P, Reske SN, Hohl K, Ring C. Choosing the optimal fit function:
   comparison of the Akaike information criterion and the F-test. Med Phys
   2007;34:4285-4292. doi:10.1118/1.2794176
.. [2] Kletting P, Schimmel S, Kestler HA, et al. Molecular radiotherapy: the NUKFIT
   software for calculating the time-integrated activity coefficient. Med Phys
   2013;40:102504. doi:10.1118/1.4820367
.. [3] Ljungberg M, Celler A, Konijnenberg MW, Eckerman KF, Dewaraja YK, Sjögreen-Gleisner
   K. MIRD Pamphlet No. 26: Joint EANM/MIRD guidelines for quantitative 177Lu SPECT
   applied for dosimetry of radiopharmaceutical therapy. J Nucl Med 2016;57:151-162.
   doi:10.2967/jnumed.115.159012
.. [4] Sarrut D, Halty A, Badel JN, Ferrer L, Bardiès M. Voxel-based multimodel fitting
   method for modeling time activity curves in SPECT images. Med Phys 2017;44:6280-6288.
.. [5] Gear JI, Cox MG, Gustafsson J, et al. EANM practical guidance on uncertainty analysis
   for molecular radiotherapy absorbed dose calculations. Eur J Nucl Med Mol Imaging
   2018;45:2456-2474. doi:10.1007/s00259-018-4136-7
.. [6] Hänscheid H, Lapa C, Buck AK, Lassmann M, Werner RA. Dose mapping after
   endoradiotherapy with 177Lu-DOTATATE/DOTATOC by a single measurement after 4 days.
   J Nucl Med 2018;59:75-81. doi:10.2967/jnumed.117.193706
.. [7] Madsen MT, Menda Y, O'Dorisio TM, O'Dorisio MS. Technical note: single time point
   dose estimate for exponential clearance. Med Phys 2018;45:2318-2324.
   doi:10.1002/mp.12886

Examples
--------
>>> import numpy as np
>>> t = np.array([4.0, 24.0, 48.0, 96.0, 168.0])
>>> a = 100.0 * np.exp(-np.log(2) / 40.0 * t)  # 100 MBq, T_eff = 40 h
>>> fit = fit_tac(t, a, nuclide="Lu-177", models=("mono",))
>>> round(fit.tia_mbq_h, 1), round(fit.effective_half_life_h, 3)
(5770.8, 40.0)
>>> round(single_time_point_error(40.0 / np.log(2), 40.0, method="haenscheid"), 4)
0.0615
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError

if TYPE_CHECKING:
    from theranostix.nuclides import Nuclide

__all__ = [
    "MODELS",
    "KineticsFit",
    "ModelCandidate",
    "fit_tac",
    "read_tac_csv",
    "single_time_point_error",
    "single_time_point_tia",
]

FloatArray = npt.NDArray[np.float64]

#: Models known to :func:`fit_tac`, in the order they are fitted.
MODELS: tuple[str, ...] = ("mono", "bi-uptake", "bi", "tri", "trapezoid")

_LN2 = math.log(2.0)
#: Relative residual below which a fit is numerically exact (√ε of float64).
_RESOLUTION = math.sqrt(float(np.finfo(np.float64).eps))
#: Fastest rate fitted: exp(−λ·t_min) = e^−100, indistinguishable from 0 at every sample.
_RATE_LIMIT = 100.0
#: Largest amplitude, in units of the largest activity (keeps λ2 → λ1 fits finite).
_AMPLITUDE_LIMIT = 1e8
#: σ floor for relative uncertainties of activities that are 0: this × the largest activity.
_SIGMA_FLOOR = 1e-6


# ------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class _Model:
    """An exponential model in natural parameters (amplitudes and rates, normalised units).

    ``internal`` parameters are what the optimiser sees; ``natural = M @ internal`` where
    ``M`` turns rate increments into ordered rates (``λ2 = λ1 + δ``), so that the order
    constraints become simple bounds.
    """

    name: str
    names: tuple[str, ...]
    is_rate: tuple[bool, ...]
    mapping: FloatArray

    @property
    def k(self) -> int:
        return len(self.names)

    @property
    def internal_names(self) -> tuple[str, ...]:
        """Names of the optimiser's parameters (rate increments for the later rates)."""
        rates = [j for j in range(self.k) if self.is_rate[j]]
        out = list(self.names)
        for previous, current in itertools.pairwise(rates):
            out[current] = f"{self.names[current]} - {self.names[previous]}"
        return tuple(out)

    def terms(self, p: FloatArray) -> tuple[list[float], list[int]]:
        """(coefficients, rate indices) so that ``A(t) = Σ c_j·exp(−p[r_j]·t)``."""
        if self.name == "mono":
            return [p[0]], [1]
        if self.name == "bi-uptake":
            return [p[0], -p[0]], [1, 2]
        if self.name == "bi":
            return [p[0], p[2]], [1, 3]
        return [p[0], p[2], -(p[0] + p[2])], [1, 3, 4]  # tri

    def value(self, p: FloatArray, t: FloatArray) -> FloatArray:
        coefficients, rates = self.terms(p)
        out = np.zeros_like(t)
        for c, r in zip(coefficients, rates, strict=True):
            out += c * np.exp(-p[r] * t)
        return out

    def jacobian(self, p: FloatArray, t: FloatArray) -> FloatArray:
        """∂A(t_i)/∂p_j, shape (n, k)."""
        e = {r: np.exp(-p[r] * t) for r in range(self.k) if self.is_rate[r]}
        jac = np.zeros((t.size, self.k))
        if self.name == "mono":
            jac[:, 0] = e[1]
            jac[:, 1] = -p[0] * t * e[1]
        elif self.name == "bi-uptake":
            jac[:, 0] = e[1] - e[2]
            jac[:, 1] = -p[0] * t * e[1]
            jac[:, 2] = p[0] * t * e[2]
        elif self.name == "bi":
            jac[:, 0] = e[1]
            jac[:, 1] = -p[0] * t * e[1]
            jac[:, 2] = e[3]
            jac[:, 3] = -p[2] * t * e[3]
        else:
            jac[:, 0] = e[1] - e[4]
            jac[:, 1] = -p[0] * t * e[1]
            jac[:, 2] = e[3] - e[4]
            jac[:, 3] = -p[2] * t * e[3]
            jac[:, 4] = (p[0] + p[2]) * t * e[4]
        return jac

    def tia(self, p: FloatArray) -> float:
        """∫₀^∞ A(t) dt = Σ c_j/λ_j."""
        coefficients, rates = self.terms(p)
        return float(sum(c / p[r] for c, r in zip(coefficients, rates, strict=True)))

    def tia_gradient(self, p: FloatArray) -> FloatArray:
        """∂TIA/∂p_j."""
        g = np.zeros(self.k)
        if self.name == "mono":
            g[:] = [1 / p[1], -p[0] / p[1] ** 2]
        elif self.name == "bi-uptake":
            g[:] = [1 / p[1] - 1 / p[2], -p[0] / p[1] ** 2, p[0] / p[2] ** 2]
        elif self.name == "bi":
            g[:] = [1 / p[1], -p[0] / p[1] ** 2, 1 / p[3], -p[2] / p[3] ** 2]
        else:
            g[:] = [
                1 / p[1] - 1 / p[4],
                -p[0] / p[1] ** 2,
                1 / p[3] - 1 / p[4],
                -p[2] / p[3] ** 2,
                (p[0] + p[2]) / p[4] ** 2,
            ]
        return g

    def slowest_rate(self, p: FloatArray) -> float:
        """Rate of the slowest washout component with a non-zero amplitude."""
        if self.name in ("bi", "tri") and p[0] <= 0 and p[2] > 0:
            return float(p[3])
        return float(p[1])


def _mapping(k: int, rate_chain: Sequence[int]) -> FloatArray:
    """``natural = M @ internal`` with ``rate_chain[i+1] = rate_chain[i] + δ``."""
    m = np.eye(k)
    for previous, current in itertools.pairwise(rate_chain):
        m[current] = m[previous] + np.eye(k)[current]
    return m


_EXPONENTIAL: dict[str, _Model] = {
    "mono": _Model("mono", ("A1_mbq", "lambda1_per_h"), (False, True), _mapping(2, [1])),
    "bi-uptake": _Model(
        "bi-uptake",
        ("A1_mbq", "lambda1_per_h", "lambda2_per_h"),
        (False, True, True),
        _mapping(3, [1, 2]),
    ),
    "bi": _Model(
        "bi",
        ("A1_mbq", "lambda1_per_h", "A2_mbq", "lambda2_per_h"),
        (False, True, False, True),
        _mapping(4, [1, 3]),
    ),
    "tri": _Model(
        "tri",
        ("A1_mbq", "lambda1_per_h", "A2_mbq", "lambda2_per_h", "lambda3_per_h"),
        (False, True, False, True, True),
        _mapping(5, [1, 3, 4]),
    ),
}


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True, eq=False)
class ModelCandidate:
    """One model tried by :func:`fit_tac`.

    Attributes
    ----------
    model : str
        Model name (see :data:`MODELS`).
    status : {"ok", "unranked", "failed", "skipped"}
        ``ok``: fitted and ranked by AICc; ``unranked``: computed but without AICc
        (``n − k − 1 ≤ 0``, or the trapezoid); ``failed``: the optimiser did not converge
        to a finite result; ``skipped``: fewer points than parameters.
    n_parameters : int
        ``k``.
    parameters : dict of str to float
        Fitted parameters in MBq and per hour (empty unless fitted).
    covariance : ndarray, shape (k, k)
        Parameter covariance in the same units (empty unless fitted).
    tia_mbq_h, tia_uncertainty_mbq_h : float or None
        Time-integrated activity from 0 to ∞ and its standard uncertainty.
    effective_half_life_h : float or None
        ``ln 2/λ1`` (slowest washout); ``None`` for the trapezoid.
    weighted_rss : float or None
        ``Σ ((A_i − f(t_i))/σ_i)²`` (before the resolution floor).
    aicc : float or None
        Corrected AIC; ``None`` when not ranked.
    akaike_weight : float or None
        ``exp(−Δ_i/2)/Σ exp(−Δ_j/2)`` over the ranked models.
    reason : str or None
        Why the model failed, was skipped or is not ranked; numerical notes.
    """

    model: str
    status: Literal["ok", "unranked", "failed", "skipped"]
    n_parameters: int
    parameters: dict[str, float] = field(default_factory=dict)
    covariance: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    tia_mbq_h: float | None = None
    tia_uncertainty_mbq_h: float | None = None
    effective_half_life_h: float | None = None
    weighted_rss: float | None = None
    aicc: float | None = None
    akaike_weight: float | None = None
    reason: str | None = None

    def activity_mbq(self, time_h: npt.ArrayLike) -> FloatArray:
        """The fitted model at ``time_h`` (hours), MBq; exponential models only."""
        if self.model not in _EXPONENTIAL or not self.parameters:
            raise ThxError(f"model {self.model!r} ({self.status}) has no fitted curve")
        p = np.array([self.parameters[name] for name in _EXPONENTIAL[self.model].names])
        t = np.asarray(time_h, dtype=np.float64)
        return _EXPONENTIAL[self.model].value(p, np.atleast_1d(t)).reshape(t.shape)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (arrays as lists, non-finite numbers as ``None``)."""
        from theranostix._json import to_plain

        return dict(to_plain(self))


@dataclass(frozen=True, eq=False)
class KineticsFit:
    """Result of :func:`fit_tac`: the selected model and every candidate.

    Attributes
    ----------
    model : str
        Selected model.
    parameters : dict of str to float
        Its parameters (MBq, per hour); empty for the trapezoid.
    covariance : ndarray
        Their covariance.
    tia_mbq_h, tia_uncertainty_mbq_h : float
        Time-integrated activity (MBq·h) from 0 to ∞ and its standard uncertainty.
    effective_half_life_h : float or None
        Effective half-life of the (slowest) washout, hours; ``None`` for the trapezoid.
    aicc : float or None
        AICc of the selected model (``None`` if it was selected without ranking).
    candidates : tuple of ModelCandidate
        Every model tried, in the order fitted.
    selection : str
        How the model was selected.
    nuclide : str
        Radionuclide name.
    physical_half_life_h : float
        ``T_phys`` used for the constraint and the trapezoid tail.
    n_points : int
        Number of time points.
    """

    model: str
    parameters: dict[str, float]
    covariance: FloatArray
    tia_mbq_h: float
    tia_uncertainty_mbq_h: float
    effective_half_life_h: float | None
    aicc: float | None
    candidates: tuple[ModelCandidate, ...]
    selection: str
    nuclide: str
    physical_half_life_h: float
    n_points: int

    def candidate(self, model: str) -> ModelCandidate:
        """The candidate of ``model``."""
        for c in self.candidates:
            if c.model == model:
                return c
        raise ThxError(f"model {model!r} was not tried; tried {[c.model for c in self.candidates]}")

    def activity_mbq(self, time_h: npt.ArrayLike) -> FloatArray:
        """The selected model at ``time_h`` (hours), MBq; exponential models only."""
        return self.candidate(self.model).activity_mbq(time_h)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (arrays as lists, non-finite numbers as ``None``)."""
        from theranostix._json import to_plain

        return dict(to_plain(self))


# ---------------------------------------------------------------------------- fitting


def _as_vector(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ThxError(f"{name}: expected a 1-D sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ThxError(f"{name}: {int(np.sum(~np.isfinite(array)))} value(s) are NaN or infinite")
    return array


def _physical_half_life_h(nuclide: str | Nuclide) -> tuple[str, float]:
    from theranostix.nuclides import Nuclide  # radioactivedecay loads on first use

    n = Nuclide(nuclide)
    if not (0 < n.half_life_s < math.inf):
        raise ThxError(f"nuclide {n.name} is stable: no physical decay constant for the TAC")
    return n.name, n.half_life_s / 3600.0


def _starting_points(
    model: _Model,
    tau: FloatArray,
    y: FloatArray,
    lam_phys: float,
    lam_max: float,
    seeds: list[FloatArray],
) -> list[FloatArray]:
    """Natural-parameter starts: log-linear tail fit, a grid of fast rates, simpler fits."""
    positive = y > 0
    tail = np.flatnonzero(positive)[-3:]
    if tail.size >= 2 and np.ptp(tau[tail]) > 0:
        slope, intercept = np.polyfit(tau[tail], np.log(y[tail]), 1)
        lam_tail = float(np.clip(-slope, lam_phys * 1.01, lam_max / 4))
        a_tail = float(np.clip(math.exp(min(intercept, 50.0)), 1e-6, _AMPLITUDE_LIMIT / 10))
    else:
        lam_tail = max(lam_phys * 1.5, 1.0)
        a_tail = float(np.max(y))
    first = int(np.argmax(positive)) if positive.any() else 0
    t0 = max(float(tau[first]), float(np.min(tau[tau > 0])))
    fast = [f for f in (3.0, 10.0, 30.0, 100.0) if lam_tail * f < lam_max] or [2.0]
    residual = max(float(y[first]) - a_tail * math.exp(-lam_tail * float(tau[first])), 0.0)
    starts: list[FloatArray] = []
    for f in fast:
        lam2 = lam_tail * f
        a2 = min(max(residual, 0.1 * a_tail) * math.exp(min(lam2 * t0, 30.0)), 1e6)
        if model.name == "mono":
            starts.append(np.array([a_tail, lam_tail]))
            break
        if model.name == "bi-uptake":
            starts.append(np.array([a_tail, lam_tail, lam2]))
        elif model.name == "bi":
            starts.append(np.array([a_tail, lam_tail, a2, lam2]))
        else:
            starts.append(np.array([a_tail, lam_tail, a2, lam2, min(lam2 * 10, lam_max)]))
    starts.extend(seeds)
    return starts


def _seeds_from(model: _Model, fitted: dict[str, FloatArray], lam_max: float) -> list[FloatArray]:
    """Starts from the simpler models already fitted (nested initial guesses)."""
    seeds: list[FloatArray] = []
    mono, uptake, bi = fitted.get("mono"), fitted.get("bi-uptake"), fitted.get("bi")
    if model.name == "bi-uptake" and mono is not None:
        seeds.append(np.array([mono[0], mono[1], min(mono[1] * 20, lam_max / 2)]))
    if model.name == "bi" and mono is not None:
        seeds.append(np.array([mono[0] * 0.9, mono[1], mono[0] * 0.1, min(mono[1] * 5, lam_max)]))
    if model.name == "tri":
        if uptake is not None:
            a, l1, l2 = uptake
            seeds.append(np.array([a * 0.9, l1, a * 0.1, min(3 * l1, l2), l2]))
        if bi is not None:
            seeds.append(np.array([bi[0], bi[1], bi[2], bi[3], min(bi[3] * 10, lam_max)]))
    return seeds


def _fit_one(
    model: _Model,
    tau: FloatArray,
    y: FloatArray,
    s: FloatArray,
    lam_phys: float,
    lam_max: float,
    seeds: list[FloatArray],
    rss_floor: float,
) -> tuple[FloatArray, FloatArray, float, list[bool]] | str:
    """Best weighted least-squares fit over the starts (stops at a numerically exact fit).

    Returns (natural parameters, internal parameters, weighted RSS, active-bound flags),
    or a failure message.
    """
    from scipy.optimize import least_squares

    m = model.mapping
    m_inv = np.linalg.inv(m)
    lower = np.array([lam_phys if model.is_rate[j] else 0.0 for j in range(model.k)])
    upper = np.array([lam_max if model.is_rate[j] else _AMPLITUDE_LIMIT for j in range(model.k)])
    # internal: λ_first ≥ λ_phys; increments δ ≥ 0
    first_rate = model.is_rate.index(True)
    for j in range(model.k):
        if model.is_rate[j] and j != first_rate:
            lower[j] = 0.0

    def residuals(x: FloatArray) -> FloatArray:
        return np.asarray((model.value(m @ x, tau) - y) / s, dtype=np.float64)

    def jac(x: FloatArray) -> FloatArray:
        return np.asarray((model.jacobian(m @ x, tau) / s[:, None]) @ m, dtype=np.float64)

    best: tuple[float, FloatArray] | None = None
    messages: list[str] = []
    span = upper - lower
    for start in _starting_points(model, tau, y, lam_phys, lam_max, seeds):
        x0 = m_inv @ start
        x0 = np.clip(x0, lower + 1e-9 * span.clip(max=1.0), upper - 1e-9 * upper)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            try:
                result = least_squares(
                    residuals,
                    x0,
                    jac=jac,
                    bounds=(lower, upper),
                    method="trf",
                    x_scale="jac",
                    xtol=1e-12,
                    ftol=1e-15,
                    gtol=1e-15,
                    max_nfev=100 * model.k,
                )
            except (ValueError, np.linalg.LinAlgError) as exc:  # pragma: no cover - defensive
                messages.append(str(exc))
                continue
        cost = float(2.0 * result.cost)
        if result.status < 0 or not np.isfinite(cost) or not np.all(np.isfinite(result.x)):
            messages.append(str(result.message))
            continue
        if best is None or cost < best[0]:
            best = (cost, np.asarray(result.x, dtype=np.float64))
        if cost <= rss_floor:
            break
    if best is None:
        return "least squares did not converge: " + "; ".join(dict.fromkeys(messages))
    rss, x = best
    tolerance = 1e-9 * (1.0 + np.abs(x))  # normalised parameters are of order one
    active = [
        bool(x[j] - lower[j] <= tolerance[j] or upper[j] - x[j] <= tolerance[j])
        for j in range(model.k)
    ]
    return m @ x, x, rss, active


def _covariance(
    model: _Model,
    internal: FloatArray,
    tau: FloatArray,
    s: FloatArray,
    active: list[bool],
) -> tuple[FloatArray, str | None]:
    """(Jᵀ W J)⁻¹ in natural normalised parameters, active-bound parameters held fixed."""
    m = model.mapping
    j_int = (model.jacobian(m @ internal, tau) / s[:, None]) @ m
    free = np.flatnonzero(~np.array(active, dtype=bool))
    c_int = np.zeros((model.k, model.k))
    note = None
    if free.size:
        fisher = j_int[:, free].T @ j_int[:, free]
        if np.linalg.cond(fisher) < 1e12:
            c_free = np.linalg.inv(fisher)
        else:
            c_free = np.linalg.pinv(fisher, rcond=1e-12, hermitian=True)
            note = "covariance singular (a parameter is not identifiable): pseudo-inverse used"
        c_int[np.ix_(free, free)] = c_free
    if any(active):
        fixed = ", ".join(model.internal_names[j] for j in np.flatnonzero(active))
        bound = f"at a bound, held fixed in the covariance: {fixed}"
        note = bound if note is None else f"{note}; {bound}"
    return m @ c_int @ m.T, note


def _aicc(rss: float, n: int, k: int) -> float:
    """AICc = n·ln(RSS/n) + 2k + 2k(k+1)/(n−k−1) (Glatting et al. 2007, eq. 4)."""
    return n * math.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def _trapezoid(
    time_h: FloatArray, activity: FloatArray, sigma: FloatArray, lam_phys_h: float
) -> tuple[float, float]:
    """Trapezoid from (0, 0) through the points plus ``A_last/λ_phys``: (TIA, uncertainty).

    TIA is linear in the activities, ``Σ c_i·A_i``; the uncertainty is ``√Σ c_i²σ_i²``.
    """
    if time_h[0] > 0:
        knots = np.concatenate([[0.0], time_h])
        values = np.concatenate([[0.0], activity])
        sig = np.concatenate([[0.0], sigma])
    else:
        knots, values, sig = time_h, activity, sigma
    widths = np.diff(knots)
    weights = np.zeros_like(knots)
    weights[:-1] += widths / 2
    weights[1:] += widths / 2
    weights[-1] += 1.0 / lam_phys_h
    tia = float(np.dot(weights, values))
    return tia, float(math.sqrt(float(np.dot(weights**2, sig**2))))


def fit_tac(
    time_h: npt.ArrayLike,
    activity_mbq: npt.ArrayLike,
    *,
    nuclide: str | Nuclide,
    models: Sequence[str] = ("mono", "bi", "bi-uptake", "tri", "trapezoid"),
    sigma_mbq: npt.ArrayLike | None = None,
    relative_sigma: float = 0.1,
    scale_covariance: bool = False,
) -> KineticsFit:
    """Fit a time-activity curve, select a model by AICc and integrate it to infinity.

    Parameters
    ----------
    time_h : array_like
        Times after administration, hours, ``≥ 0``, distinct (any order).
    activity_mbq : array_like
        Activities, MBq, ``≥ 0`` (not decay corrected).
    nuclide : str or Nuclide
        Radionuclide; ``λ_phys = ln 2/T_phys`` bounds every decay constant from below
        and sets the trapezoid's tail.
    models : sequence of str
        Models to try, from ``"mono"``, ``"bi"``, ``"bi-uptake"``, ``"tri"``,
        ``"trapezoid"`` (see the module documentation for the formulas).
    sigma_mbq : array_like, optional
        Absolute standard uncertainty of each activity, MBq (``> 0``). Takes precedence
        over ``relative_sigma``.
    relative_sigma : float
        ``σ_i = relative_sigma·A_i`` when ``sigma_mbq`` is not given (10 % by default, a
        typical quantitative SPECT uncertainty); an activity of 0 gets
        ``relative_sigma × 1e-6 × max(A)``. Relative weights make the selection and the
        parameters independent of the activity scale.
    scale_covariance : bool
        Multiply the covariance by the reduced χ² ``RSS/(n − k)`` (σ known only up to a
        factor). By default the σ are taken as the true uncertainties.

    Returns
    -------
    KineticsFit
        The selected model, its TIA (MBq·h) and uncertainty, and every candidate.

    Raises
    ------
    ThxError
        Invalid input (shapes, fewer than 2 points, negative or repeated times, negative
        activities, non-positive σ, unknown models), or no model could be computed.

    Notes
    -----
    Selection: lowest AICc among the fits with ``n − k − 1 > 0``; otherwise the successful
    fit with the fewest parameters; otherwise the trapezoid. TIA formulas, the constraint
    ``λ ≥ λ_phys`` and the covariance are described in the module documentation.

    References
    ----------
    Glatting G et al., Med Phys 2007;34:4285, doi:10.1118/1.2794176 (AICc);
    Kletting P et al., Med Phys 2013;40:102504, doi:10.1118/1.4820367 (NUKFIT: weighted
    fits, λ ≥ λ_phys, AICc, covariance-based TIA uncertainty);
    Ljungberg M et al., MIRD Pamphlet No. 26, J Nucl Med 2016;57:151,
    doi:10.2967/jnumed.115.159012 (trapezoid from the origin, physical tail);
    Gear JI et al., EJNMMI 2018;45:2456, doi:10.1007/s00259-018-4136-7 (uncertainty
    propagation).

    Examples
    --------
    >>> t = [4.0, 24.0, 96.0, 168.0]
    >>> a = [40.0 * (math.exp(-math.log(2) * x / 50) - math.exp(-math.log(2) * x)) for x in t]
    >>> fit = fit_tac(t, a, nuclide="Lu-177", models=("bi-uptake",))
    >>> fit.model, round(fit.tia_mbq_h, 3), round(40 * 49 / math.log(2), 3)
    ('bi-uptake', 2827.682, 2827.682)
    """
    t = _as_vector(time_h, "time_h")
    a = _as_vector(activity_mbq, "activity_mbq")
    if t.shape != a.shape:
        raise ThxError(f"time_h has {t.size} values but activity_mbq has {a.size}")
    if t.size < 2:
        raise ThxError(f"a time-activity curve needs at least 2 points, got {t.size}")
    if np.any(t < 0):
        raise ThxError(f"time_h must be >= 0 (hours after administration), got {t.min():g}")
    if np.any(a < 0):
        raise ThxError(f"activity_mbq must be >= 0, got {a.min():g}")
    unknown = [name for name in models if name not in MODELS]
    if unknown or not models:
        raise ThxError(f"unknown model(s) {unknown}: choose from {', '.join(MODELS)}")
    if sigma_mbq is not None:
        sigma = _as_vector(sigma_mbq, "sigma_mbq")
        if sigma.shape != a.shape:
            raise ThxError(f"sigma_mbq has {sigma.size} values but activity_mbq has {a.size}")
        if np.any(sigma <= 0):
            raise ThxError(f"sigma_mbq must be > 0, got {sigma.min():g}")
    else:
        if not (relative_sigma > 0 and math.isfinite(relative_sigma)):
            raise ThxError(f"relative_sigma must be > 0, got {relative_sigma}")
        sigma = relative_sigma * np.maximum(np.abs(a), _SIGMA_FLOOR * float(np.max(a)))
        if np.any(sigma <= 0):
            raise ThxError("all activities are 0: give sigma_mbq")
    order = np.argsort(t, kind="stable")
    t, a, sigma = t[order], a[order], sigma[order]
    if np.any(np.diff(t) == 0):
        raise ThxError(f"time_h has repeated values: {sorted(set(t[1:][np.diff(t) == 0]))}")
    if not np.any(t > 0):
        raise ThxError("time_h: at least one time must be > 0")
    if float(np.max(a)) <= 0:
        raise ThxError("activity_mbq: all activities are 0")

    name, t_phys_h = _physical_half_life_h(nuclide)
    lam_phys_h = _LN2 / t_phys_h
    n = t.size
    t_ref, a_ref = float(t[-1]), float(np.max(a))
    tau, y, s = t / t_ref, a / a_ref, sigma / a_ref
    lam_phys = lam_phys_h * t_ref
    lam_max = max(_RATE_LIMIT / float(np.min(tau[tau > 0])), 10.0 * lam_phys)
    rss_floor = float(np.sum((_RESOLUTION * y / s) ** 2))

    ordered = [m for m in MODELS if m in models]
    candidates: list[ModelCandidate] = []
    fitted: dict[str, FloatArray] = {}
    for model_name in ordered:
        if model_name == "trapezoid":
            tia, tia_u = _trapezoid(t, a, sigma, lam_phys_h)
            candidates.append(
                ModelCandidate(
                    "trapezoid",
                    "unranked",
                    0,
                    tia_mbq_h=tia,
                    tia_uncertainty_mbq_h=tia_u,
                    reason="no fitted parameters: not ranked by AICc",
                )
            )
            continue
        model = _EXPONENTIAL[model_name]
        k = model.k
        if n < k:
            candidates.append(
                ModelCandidate(
                    model_name, "skipped", k, reason=f"{n} points < {k} parameters: not fitted"
                )
            )
            continue
        seeds = _seeds_from(model, fitted, lam_max)
        outcome = _fit_one(model, tau, y, s, lam_phys, lam_max, seeds, rss_floor)
        if isinstance(outcome, str):
            candidates.append(ModelCandidate(model_name, "failed", k, reason=outcome))
            continue
        p_norm, internal, rss, active = outcome
        fitted[model_name] = p_norm
        c_norm, note = _covariance(model, internal, tau, s, active)
        if scale_covariance:
            if n > k:
                c_norm = c_norm * max(rss, rss_floor) / (n - k)
            else:
                note = "; ".join(filter(None, [note, "n = k: covariance not scaled"]))
        scale = np.array([1.0 / t_ref if r else a_ref for r in model.is_rate])
        params = p_norm * scale
        cov = c_norm * np.outer(scale, scale)
        # TIA in normalised units × a_ref·t_ref (avoids rescaling the gradient)
        tia = model.tia(p_norm) * a_ref * t_ref
        grad = model.tia_gradient(p_norm)
        tia_u = math.sqrt(max(float(grad @ c_norm @ grad), 0.0)) * a_ref * t_ref
        ranked = n - k - 1 > 0
        if not ranked:
            note = "; ".join(filter(None, [f"n - k - 1 = {n - k - 1} <= 0: AICc undefined", note]))
        cov.setflags(write=False)
        candidates.append(
            ModelCandidate(
                model_name,
                "ok" if ranked else "unranked",
                k,
                parameters={nm: float(v) for nm, v in zip(model.names, params, strict=True)},
                covariance=cov,
                tia_mbq_h=tia,
                tia_uncertainty_mbq_h=tia_u,
                effective_half_life_h=_LN2 / (model.slowest_rate(p_norm) / t_ref),
                weighted_rss=rss,
                aicc=_aicc(max(rss, rss_floor), n, k) if ranked else None,
                reason=note,
            )
        )

    candidates = _with_weights(candidates)
    chosen, selection = _select(candidates)
    return KineticsFit(
        model=chosen.model,
        parameters=dict(chosen.parameters),
        covariance=chosen.covariance,
        tia_mbq_h=float(chosen.tia_mbq_h),  # type: ignore[arg-type]
        tia_uncertainty_mbq_h=float(chosen.tia_uncertainty_mbq_h),  # type: ignore[arg-type]
        effective_half_life_h=chosen.effective_half_life_h,
        aicc=chosen.aicc,
        candidates=tuple(candidates),
        selection=selection,
        nuclide=name,
        physical_half_life_h=t_phys_h,
        n_points=n,
    )


def _with_weights(candidates: list[ModelCandidate]) -> list[ModelCandidate]:
    """Akaike weights over the ranked candidates (Burnham & Anderson; Glatting 2007)."""
    ranked = [c.aicc for c in candidates if c.status == "ok" and c.aicc is not None]
    if not ranked:
        return candidates
    best = min(ranked)
    total = sum(math.exp(-(v - best) / 2) for v in ranked)
    out = []
    for c in candidates:
        if c.status == "ok" and c.aicc is not None:
            weight = math.exp(-(c.aicc - best) / 2) / total
            c = dataclasses.replace(c, akaike_weight=weight)
        out.append(c)
    return out


def _select(candidates: list[ModelCandidate]) -> tuple[ModelCandidate, str]:
    ranked = [c for c in candidates if c.status == "ok" and c.aicc is not None]
    if ranked:
        best = min(ranked, key=lambda c: c.aicc if c.aicc is not None else math.inf)
        return best, f"lowest AICc of {len(ranked)} ranked model(s)"
    fits = [c for c in candidates if c.model in _EXPONENTIAL and c.status == "unranked"]
    if fits:
        best = min(fits, key=lambda c: c.n_parameters)
        return best, "no model ranked by AICc (too few points): fewest parameters"
    for c in candidates:
        if c.model == "trapezoid":
            return c, "no exponential model fitted: trapezoid"
    reasons = "; ".join(f"{c.model}: {c.reason}" for c in candidates)
    raise ThxError(f"no model could be fitted ({reasons})")


# ------------------------------------------------------------------------------- CSV


def read_tac_csv(path: str | Path) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Read a time-activity curve from a CSV file.

    Parameters
    ----------
    path : str or Path
        UTF-8 CSV with a header row naming the columns ``time_h`` and ``activity_mbq``
        and optionally ``sigma_mbq``; other columns are ignored, as are blank lines and
        lines starting with ``#``. Rows may be in any order: they are sorted by time.

    Returns
    -------
    time_h, activity_mbq : ndarray
        Times (hours) and activities (MBq), sorted by time.
    sigma_mbq : ndarray or None
        Absolute uncertainties (MBq), or ``None`` without a ``sigma_mbq`` column.

    Raises
    ------
    ThxError
        Naming the file, and the line and column where relevant: unreadable file, missing
        column, empty or non-numeric or non-finite value, negative time or activity,
        non-positive σ, fewer than 2 points, duplicate times.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThxError(f"{p}: cannot be read ({exc})") from exc
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1)]
    lines = [(i, line) for i, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ThxError(f"{p}: empty file, expected a header with time_h,activity_mbq")
    rows = list(csv.reader([line for _, line in lines]))
    header_line = lines[0][0]
    header = [h.strip() for h in rows[0]]
    columns: dict[str, int] = {}
    for required in ("time_h", "activity_mbq"):
        if required not in header:
            raise ThxError(
                f"{p} line {header_line}: missing column {required!r} (header: {', '.join(header)})"
            )
        columns[required] = header.index(required)
    if "sigma_mbq" in header:
        columns["sigma_mbq"] = header.index("sigma_mbq")
    values: dict[str, list[float]] = {c: [] for c in columns}
    line_numbers: list[int] = []
    for (number, _), row in zip(lines[1:], rows[1:], strict=True):
        for column, index in columns.items():
            where = f"{p} line {number} column {column!r}"
            if index >= len(row) or not row[index].strip():
                raise ThxError(f"{where}: missing value")
            try:
                value = float(row[index])
            except ValueError:
                raise ThxError(f"{where}: {row[index].strip()!r} is not a number") from None
            if not math.isfinite(value):
                raise ThxError(f"{where}: {row[index].strip()!r} is not finite")
            if column in ("time_h", "activity_mbq") and value < 0:
                raise ThxError(f"{where}: {value:g} is negative")
            if column == "sigma_mbq" and value <= 0:
                raise ThxError(f"{where}: {value:g} must be > 0")
            values[column].append(value)
        line_numbers.append(number)
    if len(line_numbers) < 2:
        raise ThxError(f"{p}: {len(line_numbers)} data row(s), at least 2 time points needed")
    first_seen: dict[float, int] = {}
    for number, time in zip(line_numbers, values["time_h"], strict=True):
        if time in first_seen:
            raise ThxError(
                f"{p} line {number} column 'time_h': time {time:g} h repeats line "
                f"{first_seen[time]}"
            )
        first_seen[time] = number
    t = np.array(values["time_h"])
    order = np.argsort(t, kind="stable")
    sigma = np.array(values["sigma_mbq"])[order] if "sigma_mbq" in values else None
    return t[order], np.array(values["activity_mbq"])[order], sigma


# --------------------------------------------------------------- single time point


def single_time_point_tia(
    time_h: float,
    activity_mbq: float,
    *,
    method: Literal["haenscheid", "madsen"] = "haenscheid",
    effective_half_life_h: float | None = None,
) -> float:
    """Time-integrated activity (MBq·h) from one measurement.

    Parameters
    ----------
    time_h : float
        Time of the measurement after administration, hours (> 0).
    activity_mbq : float
        Activity at ``time_h``, MBq (≥ 0).
    method : {"haenscheid", "madsen"}
        ``"haenscheid"``: ``TIA ≈ A(t)·2t/ln 2`` (Hänscheid et al. 2018), exact for a
        mono-exponential at ``t = T_eff`` and ``t = 2·T_eff``, within 10 % for
        ``0.76·T_eff ≤ t ≤ 2.44·T_eff`` (see :func:`single_time_point_error`).
        ``"madsen"``: ``TIA = A(t)·exp(λ_eff·t)/λ_eff`` with ``λ_eff = ln 2/T_eff`` and
        ``T_eff`` a population effective half-life (Madsen et al. 2018): the integral of
        the mono-exponential through the measurement.
    effective_half_life_h : float, optional
        Population effective half-life, hours; required by ``"madsen"``, refused by
        ``"haenscheid"`` (which does not use one).

    Returns
    -------
    float
        TIA from 0 to ∞, MBq·h.

    References
    ----------
    Hänscheid H et al., J Nucl Med 2018;59:75-81, doi:10.2967/jnumed.117.193706;
    Madsen MT et al., Med Phys 2018;45:2318-2324, doi:10.1002/mp.12886.

    Examples
    --------
    >>> round(single_time_point_tia(96.0, 10.0), 2)  # 10 MBq at 96 h: 10·2·96/ln 2
    2769.97
    """
    if not (time_h > 0 and math.isfinite(time_h)):
        raise ThxError(f"time_h must be > 0, got {time_h}")
    if not (activity_mbq >= 0 and math.isfinite(activity_mbq)):
        raise ThxError(f"activity_mbq must be >= 0, got {activity_mbq}")
    if method == "haenscheid":
        if effective_half_life_h is not None:
            raise ThxError("the Hänscheid method uses no effective half-life: leave it None")
        return activity_mbq * 2.0 * time_h / _LN2
    if method == "madsen":
        if effective_half_life_h is None or not (
            effective_half_life_h > 0 and math.isfinite(effective_half_life_h)
        ):
            raise ThxError(
                f"the Madsen method needs effective_half_life_h > 0, got {effective_half_life_h}"
            )
        lam = _LN2 / effective_half_life_h
        exponent = lam * time_h
        if exponent > 700:
            raise ThxError(f"time_h/T_eff = {time_h / effective_half_life_h:g} is too large")
        return activity_mbq * math.exp(exponent) / lam
    raise ThxError(f"method {method!r}: choose 'haenscheid' or 'madsen'")


def single_time_point_error(
    time_h: float,
    effective_half_life_h_true: float | None = None,
    *,
    method: Literal["haenscheid", "madsen"],
    population_half_life_h: float | None = None,
    true_activity: Callable[[float], float] | None = None,
) -> float:
    """Relative error ``TIA_method/TIA_true − 1`` of a single-time-point method.

    Parameters
    ----------
    time_h : float
        Imaging time after administration, hours (> 0).
    effective_half_life_h_true : float, optional
        True effective half-life of a mono-exponential ``A(t) = A0·exp(−λt)``, hours.
    method : {"haenscheid", "madsen"}
        See :func:`single_time_point_tia`.
    population_half_life_h : float, optional
        The population half-life the Madsen method assumes (required for it).
    true_activity : callable, optional
        True kinetics instead of a mono-exponential: ``true_activity(t_h)`` in any unit
        of activity; its integral from 0 to ∞ is computed numerically
        (``scipy.integrate.quad``). Give this or ``effective_half_life_h_true``.

    Returns
    -------
    float
        Relative error (``0.05`` means the method overestimates by 5 %).

    Notes
    -----
    For a mono-exponential with ``x = t/T_eff`` and ``λ = ln 2/T_eff``:

    * Hänscheid: ``TIA_est/TIA_true = (2t/ln 2)·λ·exp(−λt) = 2x·2^(−x)``, so the error
      ``2x·2^(−x) − 1`` is 0 at ``x = 1`` and ``x = 2``, is largest, ``2/(e·ln 2) − 1 ≈
      +6.1 %``, at ``x = 1/ln 2 ≈ 1.44``, and is below 10 % in magnitude for
      ``0.764 ≤ x ≤ 2.437``.
    * Madsen with population ``λ_p``: ``TIA_est/TIA_true = (λ/λ_p)·exp((λ_p − λ)·t)``,
      0 when ``λ_p = λ`` at every time.

    References
    ----------
    Hänscheid H et al., J Nucl Med 2018;59:75-81, doi:10.2967/jnumed.117.193706;
    Madsen MT et al., Med Phys 2018;45:2318-2324, doi:10.1002/mp.12886.

    Examples
    --------
    >>> single_time_point_error(40.0, 40.0, method="haenscheid")  # t = T_eff: exact
    0.0
    """
    if (effective_half_life_h_true is None) == (true_activity is None):
        raise ThxError("give exactly one of effective_half_life_h_true and true_activity")
    if not (time_h > 0 and math.isfinite(time_h)):
        raise ThxError(f"time_h must be > 0, got {time_h}")
    if method == "madsen" and population_half_life_h is None:
        raise ThxError("the Madsen method needs population_half_life_h")
    if method == "haenscheid" and population_half_life_h is not None:
        raise ThxError("the Hänscheid method uses no population half-life: leave it None")
    if effective_half_life_h_true is not None:
        if not (effective_half_life_h_true > 0 and math.isfinite(effective_half_life_h_true)):
            raise ThxError(
                f"effective_half_life_h_true must be > 0, got {effective_half_life_h_true}"
            )
        lam = _LN2 / effective_half_life_h_true
        if method == "haenscheid":
            x = time_h / effective_half_life_h_true
            return float(2.0 * x * 2.0 ** (-x) - 1.0)
        if method == "madsen":
            assert population_half_life_h is not None
            lam_p = _LN2 / population_half_life_h
            return float(lam / lam_p * math.exp((lam_p - lam) * time_h) - 1.0)
        raise ThxError(f"method {method!r}: choose 'haenscheid' or 'madsen'")
    assert true_activity is not None
    true_tia = _integral_to_infinity(true_activity, time_h)
    if not true_tia > 0:
        raise ThxError(f"the true kinetics integrate to {true_tia:g}: must be > 0")
    estimate = single_time_point_tia(
        time_h,
        float(true_activity(time_h)),
        method=method,
        effective_half_life_h=population_half_life_h,
    )
    return float(estimate / true_tia - 1.0)


def _integral_to_infinity(f: Callable[[float], float], split_h: float) -> float:
    """∫₀^∞ f(t) dt by adaptive quadrature on [0, t], [t, 10t], [10t, ∞)."""
    from scipy.integrate import IntegrationWarning, quad

    total = 0.0
    edges = [0.0, split_h, 10.0 * split_h, math.inf]
    with warnings.catch_warnings():
        warnings.simplefilter("error", IntegrationWarning)
        for lo, hi in itertools.pairwise(edges):
            try:
                value, _ = quad(lambda x: float(f(x)), lo, hi, limit=200, epsabs=0, epsrel=1e-10)
            except IntegrationWarning as exc:
                raise ThxError(f"the true kinetics could not be integrated: {exc}") from exc
            total += value
    return total

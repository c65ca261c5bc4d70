"""Therapy preparations (e.g. [177Lu]Lu-PSMA-617, [177Lu]Lu-DOTATATE): ordering and Lu-177m.

Ordering
--------
A ready-to-use therapy vial is supplied with a nominal activity at a calibration date
and time (e.g. 7.4 GBq ± 10 % at 12:00 CET) and may be used until calibration + a
shelf life. To give a prescribed activity A_p at the administration time t_a from a
vial calibrated at t_c, the vial must hold at calibration

    A_cal = A_p · exp(λ (t_a − t_c))

(λ the physical decay constant; t_a − t_c < 0 when administered before calibration).
Against the supplier's tolerance the order is sized on the worst case: the smallest
nominal vial with nominal × (1 − tolerance) ≥ A_cal.

Lu-177m in carrier-added Lu-177
-------------------------------
Lu-177 made by direct neutron capture on Lu-176 ("carrier-added") contains the
long-lived isomer Lu-177m (T½ 160.4 d) made by the same capture; Lu-177 made from
Yb-176(n,γ)Yb-177 → Lu-177 ("no-carrier-added") contains none [1]_. At the end of
bombardment (EOB) the ratio is of the order of 10⁻⁴ (0.01-0.02 %) [1]_ and it grows
afterwards, as Lu-177 decays faster than Lu-177m:

    r(t) = r_EOB · exp((λ_177 − λ_177m) t).

For an irradiation of duration t_irr (thin target, no burn-up) the activation
equation gives

    r_EOB = (σ_m / σ_g) · (1 − e^{−λ_m t_irr}) / (1 − e^{−λ_g t_irr})

with σ_g and σ_m the thermal capture cross sections of Lu-176 to Lu-177 and to
Lu-177m [1]_ (to be supplied; no values are shipped here).

References
----------
.. [1] Dash A, Pillai MRA, Knapp FF Jr. Production of 177Lu for targeted radionuclide
   therapy: available options. Nucl Med Mol Imaging 2015;49(2):85-107.
   doi:10.1007/s13139-014-0315-z
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from theranostix.errors import ThxError, UnreachableActivityError
from theranostix.units import elapsed_s, ensure_aware, shift

__all__ = [
    "LU177M_RATIO_EOB_CARRIER_ADDED",
    "TherapyOption",
    "TherapyOrder",
    "TherapyProduct",
    "lu177m_ratio",
    "lu177m_ratio_at_eob",
    "order_therapy",
]

LU177M_RATIO_EOB_CARRIER_ADDED = 2.0e-4
"""Lu-177m/Lu-177 activity ratio at EOB for carrier-added Lu-177: 0.02 %, the upper end
of the typical 0.01-0.02 % quoted by Dash, Pillai & Knapp 2015
(doi:10.1007/s13139-014-0315-z); conservative for waste. Use the supplier's
certificate value when known."""


def _half_life_s(nuclide: str) -> float:
    from theranostix.nuclides import Nuclide

    return Nuclide(nuclide).half_life_s


def lu177m_ratio(ratio_at_reference: float, elapsed_s_: float) -> float:
    """Lu-177m/Lu-177 activity ratio ``elapsed_s_`` seconds after a reference time.

    r(t) = r0 · exp((λ_177 − λ_177m) t), negative ``elapsed_s_`` going back in time.
    (Lu-177 fed by the 21.7 % IT branch of Lu-177m is neglected: it adds about
    r·0.22 to the Lu-177, a relative change of the order of r.)

    References
    ----------
    .. [1] Dash A, Pillai MRA, Knapp FF Jr. Nucl Med Mol Imaging 2015;49:85-107.
       doi:10.1007/s13139-014-0315-z

    Examples
    --------
    After 14 days: exp(ln2 · 14 · (1/6.647 − 1/160.4)) = 4.053.

    >>> round(lu177m_ratio(1e-4, 14 * 86400.0) / 1e-4, 3)
    4.053
    """
    if not math.isfinite(ratio_at_reference) or ratio_at_reference < 0:
        raise ThxError(f"Lu-177m ratio must be ≥ 0, got {ratio_at_reference!r}")
    lam_g = math.log(2) / _half_life_s("Lu-177")
    lam_m = math.log(2) / _half_life_s("Lu-177m")
    return ratio_at_reference * math.exp((lam_g - lam_m) * elapsed_s_)


def lu177m_ratio_at_eob(
    irradiation_s: float, sigma_ground_barn: float, sigma_isomer_barn: float
) -> float:
    """Lu-177m/Lu-177 activity ratio at end of bombardment (thin target, no burn-up).

    r = (σ_m/σ_g) · (1 − e^{−λ_m t}) / (1 − e^{−λ_g t}), both activities produced
    by Lu-176(n,γ) in the same flux.

    Parameters
    ----------
    irradiation_s : float
        Irradiation time (s), > 0.
    sigma_ground_barn, sigma_isomer_barn : float
        Thermal capture cross sections of Lu-176 to Lu-177 and to Lu-177m (b).

    References
    ----------
    .. [1] Dash A, Pillai MRA, Knapp FF Jr. Nucl Med Mol Imaging 2015;49:85-107.
       doi:10.1007/s13139-014-0315-z

    Examples
    --------
    For a short irradiation the ratio tends to (σ_m/σ_g)·(λ_m/λ_g):

    >>> r = lu177m_ratio_at_eob(60.0, 1000.0, 1.0)
    >>> round(r / (1e-3 * 6.647 / 160.4), 4)
    1.0
    """
    for name, v in (
        ("irradiation time (s)", irradiation_s),
        ("cross section to Lu-177 (b)", sigma_ground_barn),
        ("cross section to Lu-177m (b)", sigma_isomer_barn),
    ):
        if not math.isfinite(v) or v <= 0:
            raise ThxError(f"{name} must be > 0, got {v!r}")
    lam_g = math.log(2) / _half_life_s("Lu-177")
    lam_m = math.log(2) / _half_life_s("Lu-177m")
    return (sigma_isomer_barn / sigma_ground_barn) * (
        -math.expm1(-lam_m * irradiation_s) / -math.expm1(-lam_g * irradiation_s)
    )


@dataclass(frozen=True)
class TherapyProduct:
    """A ready-to-use therapy product as supplied.

    Parameters
    ----------
    name : str
        E.g. ``"[177Lu]Lu-PSMA-617"``.
    vial_activities_bq : sequence of float
        Nominal activities at calibration of the vials that can be ordered (Bq).
    shelf_life_s : float
        Use before calibration + shelf life (s), as stated by the supplier.
    nuclide : str
        Default ``"Lu-177"``.
    tolerance : float
        Relative tolerance of the nominal activity (0.10 for ± 10 %).
    lu177m_ratio_at_calibration : float
        Lu-177m/Lu-177 activity ratio at calibration (0 for no-carrier-added).
    """

    name: str
    vial_activities_bq: tuple[float, ...]
    shelf_life_s: float
    nuclide: str = "Lu-177"
    tolerance: float = 0.10
    lu177m_ratio_at_calibration: float = 0.0

    def __post_init__(self) -> None:
        vials = tuple(sorted(float(v) for v in self.vial_activities_bq))
        if not vials or any(not math.isfinite(v) or v <= 0 for v in vials):
            raise ThxError(f"product {self.name!r}: vial activities must be > 0 Bq")
        object.__setattr__(self, "vial_activities_bq", vials)
        if not math.isfinite(self.shelf_life_s) or self.shelf_life_s <= 0:
            raise ThxError(f"product {self.name!r}: shelf life must be > 0 s")
        if not 0.0 <= self.tolerance < 1.0:
            raise ThxError(f"product {self.name!r}: tolerance must be in [0, 1)")
        if (
            not math.isfinite(self.lu177m_ratio_at_calibration)
            or self.lu177m_ratio_at_calibration < 0
        ):
            raise ThxError(f"product {self.name!r}: Lu-177m ratio must be ≥ 0")
        if self.lu177m_ratio_at_calibration > 0 and self.nuclide != "Lu-177":
            raise ThxError(f"product {self.name!r}: a Lu-177m ratio applies to Lu-177 only")


@dataclass(frozen=True)
class TherapyOption:
    """One calibration time considered for an order."""

    calibration: datetime
    expiry: datetime
    required_at_calibration_bq: float
    vial_bq: float | None
    minimum_at_administration_bq: float | None
    lu177m_at_calibration_bq: float | None
    feasible: bool
    reason: str


@dataclass(frozen=True)
class TherapyOrder:
    """Result of :func:`order_therapy`: every option and the one chosen."""

    product: str
    nuclide: str
    prescribed_bq: float
    administration: datetime
    options: tuple[TherapyOption, ...]
    chosen: TherapyOption

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (GBq, MBq, ISO 8601)."""

        def opt(o: TherapyOption) -> dict[str, Any]:
            return {
                "calibration": o.calibration,
                "expiry": o.expiry,
                "required_at_calibration_gbq": o.required_at_calibration_bq / 1e9,
                "vial_gbq": None if o.vial_bq is None else o.vial_bq / 1e9,
                "minimum_at_administration_gbq": None
                if o.minimum_at_administration_bq is None
                else o.minimum_at_administration_bq / 1e9,
                "lu177m_at_calibration_kbq": None
                if o.lu177m_at_calibration_bq is None
                else o.lu177m_at_calibration_bq / 1e3,
                "feasible": o.feasible,
                "reason": o.reason,
            }

        return {
            "product": self.product,
            "nuclide": self.nuclide,
            "prescribed_gbq": self.prescribed_bq / 1e9,
            "administration": self.administration,
            "chosen": opt(self.chosen),
            "options": [opt(o) for o in self.options],
        }


def order_therapy(
    product: TherapyProduct,
    prescribed_bq: float,
    administration: datetime,
    calibrations: Sequence[datetime],
) -> TherapyOrder:
    """Choose the calibration time and vial size that cover a prescribed activity.

    For each calibration time t_c: the activity needed at calibration
    A_cal = A_p · exp(λ (t_a − t_c)); the smallest vial with
    nominal · (1 − tolerance) ≥ A_cal; administration must be within the shelf life
    (t_a ≤ t_c + shelf life). The chosen option is the feasible one with the smallest
    vial, then the calibration nearest to the administration.

    Parameters
    ----------
    product : TherapyProduct
        The product.
    prescribed_bq : float
        Activity to administer (Bq).
    administration : datetime
        Planned administration time (timezone-aware).
    calibrations : sequence of datetime
        Calibration times the supplier offers (timezone-aware).

    Raises
    ------
    UnreachableActivityError
        When no calibration time and vial cover the dose within the shelf life.

    References
    ----------
    .. [1] Dash A, Pillai MRA, Knapp FF Jr. Nucl Med Mol Imaging 2015;49:85-107.
       doi:10.1007/s13139-014-0315-z (Lu-177m content of carrier-added Lu-177).

    Examples
    --------
    7.4 GBq at 10:00 UTC, two days after a calibration at 11:00 UTC (noon CET):
    A_cal = 7.4 · 2^(47/(6.647·24)) = 9.077 GBq; the 10 GBq vial at −10 % (9 GBq)
    does not cover it, so the 12 GBq vial is needed.

    >>> from datetime import datetime, timezone
    >>> p = TherapyProduct("Lu-PSMA", (7.4e9, 10e9, 12e9), shelf_life_s=120 * 3600.0)
    >>> cal = datetime(2026, 3, 2, 11, tzinfo=timezone.utc)
    >>> o = order_therapy(p, 7.4e9, datetime(2026, 3, 4, 10, tzinfo=timezone.utc), [cal])
    >>> round(o.chosen.required_at_calibration_bq / 1e9, 3), o.chosen.vial_bq / 1e9
    (9.077, 12.0)
    """
    if not math.isfinite(prescribed_bq) or prescribed_bq <= 0:
        raise ThxError(f"prescribed activity must be > 0 Bq, got {prescribed_bq!r}")
    ensure_aware(administration, "administration time")
    if not calibrations:
        raise ThxError("give at least one calibration time")
    lam = math.log(2) / _half_life_s(product.nuclide)
    options: list[TherapyOption] = []
    for cal in calibrations:
        ensure_aware(cal, "calibration time")
        dt = elapsed_s(cal, administration)
        expiry = shift(cal, product.shelf_life_s)
        required = prescribed_bq * math.exp(lam * dt)
        vial = next(
            (v for v in product.vial_activities_bq if v * (1 - product.tolerance) >= required),
            None,
        )
        if dt > product.shelf_life_s:
            reason = f"administration is after the expiry {expiry.isoformat()}"
            ok = False
        elif vial is None:
            biggest = product.vial_activities_bq[-1]
            reason = (
                f"needs {required / 1e9:.3f} GBq at calibration; the largest vial "
                f"({biggest / 1e9:g} GBq − {product.tolerance:.0%}) is too small"
            )
            ok = False
        else:
            reason = "ok"
            ok = True
        minimum = None if vial is None else vial * (1 - product.tolerance) * math.exp(-lam * dt)
        lu177m = None if vial is None else vial * product.lu177m_ratio_at_calibration
        options.append(TherapyOption(cal, expiry, required, vial, minimum, lu177m, ok, reason))
    feasible = [o for o in options if o.feasible]
    if not feasible:
        raise UnreachableActivityError(
            f"no calibration time covers {prescribed_bq / 1e9:g} GBq of {product.name} at "
            f"{administration.isoformat()}: " + "; ".join(o.reason for o in options)
        )
    chosen = min(
        feasible,
        key=lambda o: (o.vial_bq or 0.0, abs(elapsed_s(o.calibration, administration))),
    )
    return TherapyOrder(
        product.name, product.nuclide, prescribed_bq, administration, tuple(options), chosen
    )

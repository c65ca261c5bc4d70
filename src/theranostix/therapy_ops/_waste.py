"""Decay-in-storage of radioactive waste: when each container can be released.

Each container holds one or more radionuclides with an activity at a reference time
(its sealing) and a mass. The activity concentrations C_i(t) (Bq/g) follow the full
decay chains (Bateman, :func:`theranostix.nuclides.chain_decay`), so the Lu-177 fed
by the isomeric transition of Lu-177m is included. A container can be released
when, from then on,

- ``rule="sum"`` (default): Σ C_i(t) / L_i ≤ 1, the summation rule for mixtures of
  radionuclides of the clearance levels of Council Directive 2013/59/Euratom
  (Annex VII) and IAEA GSR Part 3 (Schedule I); or
- ``rule="each"``: C_i(t) ≤ L_i for every nuclide;

with L_i the clearance level of nuclide i (Bq/g). **No clearance levels are shipped:**
they are set by national regulation and must be supplied by the user. A nuclide
present (or grown in) without a clearance level is an error.

A dose-rate criterion can be added (or used alone): the container is released only
once its dose rate at a distance d has fallen below a limit, as for hospital
decay-in-storage where the container must read like background before disposal
(e.g. US NRC 10 CFR 35.92). The dose rate is either computed for an unshielded point
source, Ḣ(t) = Σ Γ_i A_i(t) / d², with Γ_i the air-kerma rate constants
(:func:`theranostix.nuclides.air_kerma_rate_constant`) taken as µSv·m²/(MBq·h) — an
upper bound, since self-absorption in the waste and the container wall are ignored —
or scaled from a dose rate measured at sealing at the same distance,
Ḣ(t) = Ḣ_0 · Σ Γ_i A_i(t) / Σ Γ_i A_i(0), which keeps the container's own
attenuation and changes only the nuclide mix.

Carrier-added Lu-177 carries Lu-177m (T½ 160.4 d): see
:func:`lu177_waste_contents`, which adds it from the Lu-177m/Lu-177 ratio of
:mod:`theranostix.pharmacy._therapy`; it then dominates the storage time.

References
----------
.. [1] Council Directive 2013/59/Euratom (basic safety standards), Annex VII.
.. [2] Dash A, Pillai MRA, Knapp FF Jr. Nucl Med Mol Imaging 2015;49:85-107.
   doi:10.1007/s13139-014-0315-z
.. [3] US NRC, 10 CFR 35.92, Decay-in-storage.
.. [4] ICRU Report 85a (2011), air-kerma rate constant.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from theranostix._enums import parse_enum
from theranostix.errors import ThxError
from theranostix.units import elapsed_s, ensure_aware, shift

__all__ = [
    "ClearanceRule",
    "DoseRateLimit",
    "WasteContainer",
    "WasteRelease",
    "lu177_waste_contents",
    "release_waste",
    "waste_release",
]

_DAY_S = 86400.0


class ClearanceRule(enum.Enum):
    """How the clearance levels of several nuclides combine."""

    SUM = "sum"
    EACH = "each"


@dataclass(frozen=True)
class WasteContainer:
    """A sealed waste container.

    Parameters
    ----------
    container_id : str
        Label.
    reference : datetime
        Time of the activities (timezone-aware), usually the sealing.
    mass_g : float
        Mass of the waste (g), > 0.
    contents_bq : mapping of str to float
        Activity of each nuclide at ``reference`` (Bq).
    dose_rate_usv_h : float, optional
        Dose rate measured at ``reference`` at the distance of the dose-rate criterion
        (µSv/h); without it the dose rate of a point source is computed.
    """

    container_id: str
    reference: datetime
    mass_g: float
    contents_bq: Mapping[str, float]
    dose_rate_usv_h: float | None = None

    def __post_init__(self) -> None:
        from theranostix.nuclides import normalize_name

        ensure_aware(self.reference, f"container {self.container_id!r} reference time")
        if not math.isfinite(self.mass_g) or self.mass_g <= 0:
            raise ThxError(f"container {self.container_id!r}: mass must be > 0 g")
        if not self.contents_bq:
            raise ThxError(f"container {self.container_id!r}: no nuclides")
        clean: dict[str, float] = {}
        for name, a in self.contents_bq.items():
            if not math.isfinite(a) or a < 0:
                raise ThxError(f"container {self.container_id!r}: {name} activity must be ≥ 0 Bq")
            key = normalize_name(name)
            clean[key] = clean.get(key, 0.0) + float(a)
        object.__setattr__(self, "contents_bq", clean)
        h = self.dose_rate_usv_h
        if h is not None and (not math.isfinite(h) or h < 0):
            raise ThxError(f"container {self.container_id!r}: dose rate must be ≥ 0 µSv/h")


@dataclass(frozen=True)
class WasteRelease:
    """When a container can be released."""

    container_id: str
    release: datetime
    storage_s: float
    concentrations_at_release_bq_per_g: dict[str, float]
    index_at_release: float | None
    limiting_nuclide: str
    rule: ClearanceRule
    limiting_criterion: str = "clearance"
    dose_rate_at_release_usv_h: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (days, Bq/g, µSv/h)."""
        return {
            "container_id": self.container_id,
            "release": self.release,
            "storage_days": self.storage_s / _DAY_S,
            "limiting_criterion": self.limiting_criterion,
            "limiting_nuclide": self.limiting_nuclide,
            "rule": self.rule.value,
            "index_at_release": self.index_at_release,
            "concentrations_at_release_bq_per_g": self.concentrations_at_release_bq_per_g,
            "dose_rate_at_release_usv_h": self.dose_rate_at_release_usv_h,
        }


@dataclass(frozen=True)
class DoseRateLimit:
    """Dose-rate criterion of decay-in-storage: Ḣ at ``distance_m`` ≤ ``limit_usv_h``.

    Parameters
    ----------
    limit_usv_h : float
        Limit (µSv/h), > 0, e.g. the local background or a multiple of it.
    distance_m : float
        Distance of the limit (m), > 0; a measured dose rate of a container must be at
        this distance.
    """

    limit_usv_h: float
    distance_m: float = 1.0

    def __post_init__(self) -> None:
        for name in ("limit_usv_h", "distance_m"):
            v = getattr(self, name)
            if not math.isfinite(v) or v <= 0:
                raise ThxError(f"dose-rate criterion: {name} must be > 0, got {v!r}")


def _dose_rates(
    container: WasteContainer,
    activities: Mapping[str, Any],
    limit: DoseRateLimit,
    gammas: Mapping[str, float],
) -> dict[str, Any]:
    """Dose-rate contribution of each nuclide (µSv/h) at ``limit.distance_m``.

    Point source: Γ_i·A_i/d² (``gammas``: ICRU 85a Γ, µGy·m²/(MBq·h) taken as µSv); with
    a measured Ḣ_0 the sum is scaled to it at the reference time (module docstring).
    """
    import numpy as np

    rates = {
        n: gammas[n] * np.asarray(a, dtype=np.float64) / 1e6 / limit.distance_m**2
        for n, a in activities.items()
    }
    if container.dose_rate_usv_h is not None:
        at_ref = sum(gammas[n] * a / 1e6 for n, a in container.contents_bq.items())
        at_ref /= limit.distance_m**2
        if at_ref <= 0:
            raise ThxError(
                f"container {container.container_id!r}: a dose rate is given but its "
                "nuclides emit no photons"
            )
        scale = container.dose_rate_usv_h / at_ref
        rates = {n: r * scale for n, r in rates.items()}
    return rates


def lu177_waste_contents(lu177_bq: float, lu177m_ratio: float = 0.0) -> dict[str, float]:
    """Contents of Lu-177 waste: Lu-177 and, if carrier-added, Lu-177m = ratio × Lu-177.

    >>> lu177_waste_contents(1e9, 2e-4)
    {'Lu-177': 1000000000.0, 'Lu-177m': 200000.0}
    """
    if not math.isfinite(lu177_bq) or lu177_bq < 0:
        raise ThxError(f"Lu-177 activity must be ≥ 0 Bq, got {lu177_bq!r}")
    if not math.isfinite(lu177m_ratio) or lu177m_ratio < 0:
        raise ThxError(f"Lu-177m ratio must be ≥ 0, got {lu177m_ratio!r}")
    out = {"Lu-177": float(lu177_bq)}
    if lu177m_ratio > 0:
        out["Lu-177m"] = lu177_bq * lu177m_ratio
    return out


def _index(conc: Mapping[str, Any], levels: Mapping[str, float], rule: ClearanceRule) -> Any:
    import numpy as np

    parts = [np.asarray(conc[n], dtype=np.float64) / levels[n] for n in conc]
    stacked = np.stack(parts)
    return stacked.sum(axis=0) if rule is ClearanceRule.SUM else stacked.max(axis=0)


def waste_release(
    container: WasteContainer,
    clearance_bq_per_g: Mapping[str, float] | None,
    rule: ClearanceRule | str = ClearanceRule.SUM,
    max_storage_s: float = 50 * 365.25 * _DAY_S,
    *,
    dose_rate: DoseRateLimit | None = None,
) -> WasteRelease:
    """Earliest time after which the container stays below its release criteria.

    The criteria are the clearance index I(t) (Σ C_i/L_i or max C_i/L_i over the chain
    members) ≤ 1 and, if ``dose_rate`` is given, Ḣ(t)/limit ≤ 1 (module docstring). Their
    maximum is evaluated on a daily grid up to ``max_storage_s``; the release is found by
    Brent's method after the last grid day above 1.

    Parameters
    ----------
    container : WasteContainer
        The container.
    clearance_bq_per_g : mapping of str to float, or None
        Clearance level of each nuclide (Bq/g), including grown-in progeny; None (or
        empty) to release on the dose rate alone.
    rule : ClearanceRule or {"sum", "each"}
        How several nuclides combine.
    max_storage_s : float
        Horizon of the search (s).
    dose_rate : DoseRateLimit, optional
        Dose-rate criterion.

    References
    ----------
    .. [1] Council Directive 2013/59/Euratom, Annex VII (clearance, summation rule).
    .. [2] Bateman H. Proc Cambridge Philos Soc 1910;15:423-427 (chain decay).
    .. [3] US NRC, 10 CFR 35.92 (decay-in-storage); ICRU Report 85a (2011) (Γ).

    Examples
    --------
    1 MBq of Lu-177 in 1 kg (1000 Bq/g) with a (user) level of 100 Bq/g:
    6.647 d × log2(10) = 22.08 d.

    >>> from datetime import datetime, timezone
    >>> c = WasteContainer("bin-1", datetime(2026, 1, 1, tzinfo=timezone.utc), 1000.0,
    ...                    {"Lu-177": 1e6})
    >>> round(waste_release(c, {"Lu-177": 100.0}).storage_s / 86400, 2)
    22.08
    """
    import numpy as np
    from scipy.optimize import brentq

    from theranostix.nuclides import chain_decay, normalize_name

    rule_ = parse_enum(ClearanceRule, rule, "clearance rule")
    levels: dict[str, float] = {}
    for name, level in (clearance_bq_per_g or {}).items():
        if not math.isfinite(level) or level <= 0:
            raise ThxError(f"clearance level of {name} must be > 0 Bq/g, got {level!r}")
        levels[normalize_name(name)] = float(level)
    if not levels and dose_rate is None:
        raise ThxError(
            f"container {container.container_id!r}: give clearance levels, a dose-rate "
            "limit, or both"
        )
    grid = np.arange(0.0, max_storage_s + _DAY_S, _DAY_S)
    activities = chain_decay(dict(container.contents_bq), grid)
    present = [n for n, a in activities.items() if np.any(np.asarray(a) > 0)]
    if not present:
        raise ThxError(
            f"container {container.container_id!r}: every activity is 0 Bq, nothing to store"
        )
    missing = sorted(n for n in present if n not in levels)
    if levels and missing:
        raise ThxError(
            f"container {container.container_id!r}: no clearance level (Bq/g) for "
            f"{', '.join(missing)} (present or grown in); give one for each"
        )

    gammas: dict[str, float] = {}
    if dose_rate is not None:
        from theranostix.nuclides import air_kerma_rate_constant

        names = set(present) | set(container.contents_bq)
        gammas = {n: air_kerma_rate_constant(n) for n in names}

    def criteria(acts: Mapping[str, Any]) -> tuple[Any, Any]:
        """(clearance index, dose rate / limit), each 0 when not asked."""
        a = {n: np.asarray(acts.get(n, 0.0), dtype=np.float64) for n in present}
        zero = np.zeros_like(a[present[0]])
        index = ratio = zero
        if levels:
            index = _index({n: v / container.mass_g for n, v in a.items()}, levels, rule_)
        if dose_rate is not None:
            rates = _dose_rates(container, a, dose_rate, gammas)
            ratio = sum(rates.values(), zero) / dose_rate.limit_usv_h
        return index, ratio

    clear, ratio = criteria(activities)
    above = np.nonzero(np.maximum(clear, ratio) > 1.0)[0]
    if len(above) and above[-1] == len(grid) - 1:
        raise ThxError(
            f"container {container.container_id!r}: still above its release criteria "
            f"after {max_storage_s / _DAY_S / 365.25:g} years"
        )
    if len(above) == 0:
        t_rel = 0.0
    else:
        lo, hi = float(grid[above[-1]]), float(grid[above[-1] + 1])

        def excess(t: float) -> float:
            c, r = criteria(chain_decay(dict(container.contents_bq), t))
            return max(float(c), float(r)) - 1.0

        t_rel = float(brentq(excess, lo, hi, xtol=1.0))
    final = chain_decay(dict(container.contents_bq), t_rel)
    at_rel = {n: float(final.get(n, 0.0)) / container.mass_g for n in present}
    clear_rel, ratio_rel = (float(x) for x in criteria(final))
    by_dose = dose_rate is not None and (not levels or ratio_rel > clear_rel)
    if by_dose:
        assert dose_rate is not None
        rates = _dose_rates(container, {n: final.get(n, 0.0) for n in present}, dose_rate, gammas)
        shares = {n: float(v) for n, v in rates.items()}
    else:
        shares = {n: at_rel[n] / levels[n] for n in at_rel}
    return WasteRelease(
        container_id=container.container_id,
        release=shift(container.reference, t_rel),
        storage_s=t_rel,
        concentrations_at_release_bq_per_g=at_rel,
        index_at_release=clear_rel if levels else None,
        limiting_nuclide=max(shares, key=lambda n: shares[n]),
        rule=rule_,
        limiting_criterion="dose rate" if by_dose else "clearance",
        dose_rate_at_release_usv_h=(
            None if dose_rate is None else ratio_rel * dose_rate.limit_usv_h
        ),
    )


def release_waste(
    containers: Sequence[WasteContainer],
    clearance_bq_per_g: Mapping[str, float] | None,
    rule: ClearanceRule | str = ClearanceRule.SUM,
    *,
    now: datetime | None = None,
    dose_rate: DoseRateLimit | None = None,
) -> list[dict[str, Any]]:
    """Release dates of several containers, earliest first, with ``releasable`` at ``now``."""
    rows = []
    for c in containers:
        r = waste_release(c, clearance_bq_per_g, rule, dose_rate=dose_rate)
        row = r.as_dict()
        if now is not None:
            row["releasable"] = elapsed_s(r.release, ensure_aware(now, "now")) >= 0
        rows.append(row)
    rows.sort(key=lambda d: d["release"])
    return rows

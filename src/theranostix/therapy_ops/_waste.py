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

Carrier-added Lu-177 carries Lu-177m (T½ 160.4 d): see
:func:`lu177_waste_contents`, which adds it from the Lu-177m/Lu-177 ratio of
:mod:`theranostix.pharmacy._therapy`; it then dominates the storage time.

References
----------
.. [1] Council Directive 2013/59/Euratom (basic safety standards), Annex VII.
.. [2] Dash A, Pillai MRA, Knapp FF Jr. Nucl Med Mol Imaging 2015;49:85-107.
   doi:10.1007/s13139-014-0315-z
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
    """

    container_id: str
    reference: datetime
    mass_g: float
    contents_bq: Mapping[str, float]

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


@dataclass(frozen=True)
class WasteRelease:
    """When a container can be released."""

    container_id: str
    release: datetime
    storage_s: float
    concentrations_at_release_bq_per_g: dict[str, float]
    index_at_release: float
    limiting_nuclide: str
    rule: ClearanceRule

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (days, Bq/g)."""
        return {
            "container_id": self.container_id,
            "release": self.release,
            "storage_days": self.storage_s / _DAY_S,
            "limiting_nuclide": self.limiting_nuclide,
            "rule": self.rule.value,
            "index_at_release": self.index_at_release,
            "concentrations_at_release_bq_per_g": self.concentrations_at_release_bq_per_g,
        }


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
    clearance_bq_per_g: Mapping[str, float],
    rule: ClearanceRule | str = ClearanceRule.SUM,
    max_storage_s: float = 50 * 365.25 * _DAY_S,
) -> WasteRelease:
    """Earliest time after which the container stays below its clearance levels.

    The clearance index I(t) (Σ C_i/L_i or max C_i/L_i over the chain members) is
    evaluated on a daily grid up to ``max_storage_s``; the release is found by Brent's
    method after the last grid day with I > 1.

    Parameters
    ----------
    container : WasteContainer
        The container.
    clearance_bq_per_g : mapping of str to float
        Clearance level of each nuclide (Bq/g), including grown-in progeny.
    rule : ClearanceRule or {"sum", "each"}
        How several nuclides combine.
    max_storage_s : float
        Horizon of the search (s).

    References
    ----------
    .. [1] Council Directive 2013/59/Euratom, Annex VII (clearance, summation rule).
    .. [2] Bateman H. Proc Cambridge Philos Soc 1910;15:423-427 (chain decay).

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
    for name, level in clearance_bq_per_g.items():
        if not math.isfinite(level) or level <= 0:
            raise ThxError(f"clearance level of {name} must be > 0 Bq/g, got {level!r}")
        levels[normalize_name(name)] = float(level)
    grid = np.arange(0.0, max_storage_s + _DAY_S, _DAY_S)
    activities = chain_decay(dict(container.contents_bq), grid)
    conc = {
        n: np.asarray(a, dtype=np.float64) / container.mass_g
        for n, a in activities.items()
        if np.any(np.asarray(a) > 0)
    }
    missing = sorted(n for n in conc if n not in levels)
    if missing:
        raise ThxError(
            f"container {container.container_id!r}: no clearance level (Bq/g) for "
            f"{', '.join(missing)} (present or grown in); give one for each"
        )
    index = _index(conc, levels, rule_)
    above = np.nonzero(index > 1.0)[0]
    if len(above) and above[-1] == len(grid) - 1:
        raise ThxError(
            f"container {container.container_id!r}: still above clearance after "
            f"{max_storage_s / _DAY_S / 365.25:g} years"
        )
    if len(above) == 0:
        t_rel = 0.0
    else:
        lo, hi = float(grid[above[-1]]), float(grid[above[-1] + 1])

        def excess(t: float) -> float:
            a = chain_decay(dict(container.contents_bq), t)
            c = {n: float(a.get(n, 0.0)) / container.mass_g for n in conc}
            return float(_index(c, levels, rule_)) - 1.0

        t_rel = float(brentq(excess, lo, hi, xtol=1.0))
    final = chain_decay(dict(container.contents_bq), t_rel)
    at_rel = {n: float(final.get(n, 0.0)) / container.mass_g for n in conc}
    ratios = {n: at_rel[n] / levels[n] for n in at_rel}
    return WasteRelease(
        container_id=container.container_id,
        release=shift(container.reference, t_rel),
        storage_s=t_rel,
        concentrations_at_release_bq_per_g=at_rel,
        index_at_release=float(_index(at_rel, levels, rule_)),
        limiting_nuclide=max(ratios, key=lambda n: ratios[n]),
        rule=rule_,
    )


def release_waste(
    containers: Sequence[WasteContainer],
    clearance_bq_per_g: Mapping[str, float],
    rule: ClearanceRule | str = ClearanceRule.SUM,
    *,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Release dates of several containers, earliest first, with ``releasable`` at ``now``."""
    rows = []
    for c in containers:
        r = waste_release(c, clearance_bq_per_g, rule)
        row = r.as_dict()
        if now is not None:
            row["releasable"] = elapsed_s(r.release, ensure_aware(now, "now")) >= 0
        rows.append(row)
    rows.sort(key=lambda d: d["release"])
    return rows

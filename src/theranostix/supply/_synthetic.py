"""Synthetic supply scenarios of any size, reproducible from a seed (for benchmarks and tests).

Sites and hospitals are drawn uniformly over mainland France's bounding box
(longitude -4.5 to 8, latitude 42.5 to 51). Every site has F-18 targets; the other
nuclides are produced at a share of the sites. Each hospital orders F-18 in the morning
(and, one in two, in the afternoon) and, with some probability, each other nuclide.
Links are estimated from the distance (:class:`TransportModel`). All values are
illustrative.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import numpy as np

from theranostix.supply._scenario import Scenario, scenario_from_dict

__all__ = ["synthetic_scenario"]

# nuclide: (saturation yield Bq/uA, current uA, durations min, synthesis+qc min, yield,
#           share of sites producing it, share of hospitals ordering it, GBq per order)
_NUCLIDES: dict[
    str, tuple[float, float, list[int], int, float, float, float, tuple[float, float]]
] = {
    "F-18": (1.0e10, 60.0, [60, 120], 70, 0.6, 1.0, 1.0, (5.0, 15.0)),
    "Cu-64": (5.0e9, 20.0, [120, 240], 180, 0.8, 0.3, 0.3, (1.0, 3.0)),
    "Zr-89": (1.0e10, 20.0, [180], 180, 0.8, 0.25, 0.2, (0.3, 1.0)),
    "Sc-44": (2.0e9, 20.0, [60, 120], 90, 0.8, 0.3, 0.3, (0.5, 2.0)),
    "Ga-68": (2.0e9, 40.0, [60], 60, 0.7, 0.3, 0.3, (1.0, 3.0)),
}


def synthetic_scenario(
    n_sites: int = 20,
    n_hospitals: int = 150,
    nuclides: tuple[str, ...] = ("F-18", "Cu-64", "Zr-89"),
    *,
    seed: int = 0,
    day: date = date(2026, 11, 23),
    grid_min: float = 60.0,
    max_transport_h: float = 6.0,
) -> Scenario:
    """A random network of ``n_sites`` cyclotrons and ``n_hospitals`` hospitals for one day.

    Parameters
    ----------
    n_sites, n_hospitals : int
        Sizes of the network.
    nuclides : tuple of str
        Among F-18, Cu-64, Zr-89, Sc-44, Ga-68; F-18 is made at every site.
    seed : int
        Seed of the random generator (same seed, same scenario).
    grid_min : float
        Grid of the run start times (coarse for large instances).
    max_transport_h : float
        Links longer than this are left out.

    Examples
    --------
    >>> s = synthetic_scenario(3, 5, ("F-18",), seed=1)
    >>> len(s.sites), len(s.hospitals), len(s.orders) >= 5
    (3, 5, True)
    """
    unknown = [n for n in nuclides if n not in _NUCLIDES]
    if unknown or not nuclides:
        from theranostix.errors import ThxError

        raise ThxError(f"synthetic_scenario: nuclides must be among {', '.join(_NUCLIDES)}, "
                       f"got {', '.join(unknown) or 'none'}")  # fmt: skip
    rng = np.random.default_rng(seed)

    def where() -> tuple[float, float]:
        return round(float(rng.uniform(-4.5, 8.0)), 4), round(float(rng.uniform(42.5, 51.0)), 4)

    sites: list[dict[str, Any]] = []
    for i in range(n_sites):
        lon, lat = where()
        targets: list[dict[str, Any]] = []
        for k, nuclide in enumerate(nuclides):
            y_sat, current, durations, post, eta, share, _, _ = _NUCLIDES[nuclide]
            copies = 2 if k == 0 else 1  # two F-18 targets (dual beam)
            if k == 0 or i % max(1, round(1 / share)) == k % max(1, round(1 / share)):
                targets.extend({
                    "name": nuclide.replace("-", "") + "ABCD"[c], "nuclide": nuclide,
                    "saturation_yield_bq_per_ua": y_sat, "currents_ua": [current],
                    "durations_min": durations, "synthesis_min": post * 2 // 3,
                    "qc_min": post - post * 2 // 3, "synthesis_yield": eta,
                } for c in range(copies))  # fmt: skip
        sites.append({
            "name": f"C{i + 1:02d}", "lon": lon, "lat": lat, "beam_window": ["01:00", "18:00"],
            "max_simultaneous_runs": 2, "run_cost_eur": float(rng.uniform(2000, 3500)),
            "beam_cost_eur_per_h": 400.0, "targets": targets,
        })  # fmt: skip
    hospitals, orders = [], []
    for j in range(n_hospitals):
        lon, lat = where()
        name = f"H{j + 1:03d}"
        hospitals.append({"name": name, "lon": lon, "lat": lat})
        for nuclide in nuclides:
            _, _, _, _, _, _, share, (low, high) = _NUCLIDES[nuclide]
            if nuclide == nuclides[0]:
                slots = [("AM", 9 + int(rng.integers(0, 3)))]
                if rng.random() < 0.5:
                    slots.append(("PM", 13 + int(rng.integers(0, 3))))
            elif rng.random() < share:
                slots = [("X", 14 + int(rng.integers(0, 6)))]
            else:
                continue
            for tag, hour in slots:
                orders.append({
                    "id": f"{name}-{nuclide}-{tag}", "hospital": name, "product": nuclide,
                    "activity_gbq": round(float(rng.uniform(low, high)), 1),
                    "calibration": datetime.combine(day, time(hour, 0)).strftime("%H:%M"),
                    "arrive_after": "05:00",
                })  # fmt: skip
    data = {
        "name": f"synthetic-{n_sites}x{n_hospitals}-seed{seed}",
        "day": day.isoformat(),
        "timezone": "Europe/Paris",
        "grid_min": grid_min,
        "transport": {
            "speed_kmh": 80,
            "detour_factor": 1.3,
            "handling_min": 20,
            "max_duration_h": max_transport_h,
        },
        "sites": sites,
        "hospitals": hospitals,
        "orders": orders,
    }
    return scenario_from_dict(data, source=f"synthetic(seed={seed})")

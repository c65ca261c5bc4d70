"""Benchmark of theranostix.supply: the default national scenario and a synthetic network.

Default scenario (``data/france.yaml``): solved to proven optimality (HiGHS mip_rel_gap
1e-4). Target: under 10 s.

Synthetic network: 20 cyclotrons, 150 hospitals, 3 nuclides (F-18, Cu-64, Zr-89), one
day on a 60-min grid, seed 0, with the reductions ``max_sites_per_order=3`` and
``max_half_lives=5`` (and the default LP-guided warm start): the time to a plan within
1 % of the bound (mip_rel_gap 0.01, time limit 120 s); its final gap and bound are
printed. For information.
"""

from __future__ import annotations

import time


def supply_rows() -> list[tuple[str, list[float], float | None]]:
    """Time the default scenario (3 solves) and the synthetic network (1 solve)."""
    from theranostix.supply._model import PlanOptions, plan_supply
    from theranostix.supply._scenario import load_scenario
    from theranostix.supply._synthetic import synthetic_scenario

    scenario = load_scenario()
    default = []
    for _ in range(3):
        start = time.perf_counter()
        plan = plan_supply(scenario)
        default.append(time.perf_counter() - start)
    print(f"default scenario: {plan.status}, objective {plan.objective:.1f} EUR, "
          f"gap {plan.mip_gap:.2e}, model {plan.model_size}")  # fmt: skip
    big = synthetic_scenario(20, 150, ("F-18", "Cu-64", "Zr-89"), seed=0)
    options = PlanOptions(
        mip_rel_gap=0.01, time_limit_s=120.0, max_sites_per_order=3, max_half_lives=5.0
    )
    start = time.perf_counter()
    plan = plan_supply(big, options)
    synthetic = [time.perf_counter() - start]
    print(f"synthetic 20x150x3: {len(big.orders)} orders, {plan.status}, objective "
          f"{plan.objective:.1f}, bound {plan.dual_bound:.1f}, gap {plan.mip_gap:.2%}, "
          f"{len(plan.diagnosis)} unreachable orders, model {plan.model_size}")  # fmt: skip
    return [
        ("supply: default national scenario to proven optimality", default, 10.0),
        ("supply: synthetic 20 sites x 150 hospitals x 3 nuclides, to 1 % gap", synthetic, None),
    ]

r"""Production and delivery plan of a cyclotron network: a mixed-integer model solved by HiGHS.

Formulation
-----------
Time is discretised: irradiations start on a grid (``Scenario.grid_s``, 30 min by default)
inside the beam window of each site, last one of the durations allowed for the target and
run at one of its allowed currents. Every candidate run *r* = (site, target, start,
duration, current) has a known activity at end of bombardment from the activation
equation [1]_ [2]_

.. math:: A_r = Y_{sat} \, I \, (1 - e^{-\lambda t_{irr}}),

a product capacity :math:`C_r = \eta A_r` (decay-corrected synthesis yield :math:`\eta`,
activity referred back to EOB) and a release time :math:`\rho_r` = EOB + synthesis + QC.

Variables: :math:`z_r \in \{0,1\}` (run *r* is made), :math:`y_{rh} \in \{0,1\}` (a shipment
from run *r* to hospital *h*), :math:`x_{ro} \ge 0` (GBq of run *r*, referred to its EOB,
allocated to order *o*) and :math:`s_o \in [0, 1]` (unmet fraction of order *o*). A pair
(r, o) exists only when the product matches, a link site → hospital is open and the
shipment arrives in time: :math:`\max(\rho_r, t_{now}) + \tau_{sh} \le` ``arrive_before``
(a shipment may wait at the site for ``arrive_after``; its decay to the calibration time
does not depend on when it leaves). The activity it brings at calibration is

.. math:: D_{ro} = x_{ro} \, f_{ro}, \qquad f_{ro} = e^{-\lambda (t_{cal,o} - t_{EOB,r})}.

.. math::

    \min \; \sum_r c_r z_r + \sum_{rh} c_{sh} y_{rh}
        + w \sum_{ro} (1 - f_{ro}) x_{ro} + P \sum_o s_o

subject to

* demand: :math:`\sum_r f_{ro} x_{ro} + N_o s_o \ge N_o` (need :math:`N_o` at calibration);
* capacity: :math:`\sum_o x_{ro} \le C_r z_r`;
* shipment: :math:`x_{ro} \le M_{ro} y_{rh(o)}` with :math:`M_{ro} = \min(C_r, N_o/f_{ro})`,
  and :math:`y_{rh} \le z_r`;
* one run at a time on a target, and at most ``max_simultaneous_runs`` on a site: for
  every candidate start *t*, :math:`\sum_{r \ni t} z_r \le 1` (clique constraints of the
  interval graph, taken at the run starts).

Here :math:`c_r` = site run cost + beam cost per hour x beam hours, :math:`c_{sh}` the
cost of one shipment on the link, :math:`w` the cost of one GBq lost to decay between
EOB and calibration and :math:`P` the penalty of an order entirely unmet (pro rata).
The unmet fraction keeps the model feasible; it is reported as the shortfall. Orders
that no run can reach (see :func:`diagnose`) are reported unmet with the reason and
left out of the objective.

Model reductions (options of :class:`PlanOptions`, off by default): keep only the
``max_sites_per_order`` sites closest in transport time to each order, and for each
(run, order) pair only when less than ``max_half_lives`` half-lives pass between EOB and
calibration (older activity is mostly lost to decay). Optimality is then proven for the
reduced model.

Warm start (``PlanOptions.warm_start``; by default on for models of 2,000 shipment
variables or more, so small scenarios are solved exactly as before): a dive on the LP
relaxation (round the runs up one site at a time, re-solving the LP, then the
shipments), followed by a short MIP over the shipments with those runs fixed, gives a
plan in a few seconds (see :func:`_warm_start`). On models of 2,000 shipment variables
or more the plan is then improved by a large neighbourhood search (the decisions of 4
neighbouring sites re-optimised at a time, the rest fixed; :func:`_neighbourhood_search`)
until half the time limit. The plan is given to HiGHS as its first incumbent and the full
model is then solved within the remaining time, so the bound and gap are those of the
full model.

References
----------
.. [1] IAEA. Cyclotron Produced Radionuclides: Physical Characteristics and Production
   Methods. Technical Reports Series No. 468. Vienna: IAEA, 2009 (activation equation).
.. [2] :func:`theranostix.production.eob_activity`.
.. [3] Huangfu Q, Hall JAJ. Parallelizing the dual revised simplex method. Math Prog Comp
   2018;10:119-142. doi:10.1007/s12532-017-0130-5 (HiGHS).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from theranostix.errors import ThxError
from theranostix.supply._scenario import Order, Scenario, Site, Target

__all__ = [
    "Delivery",
    "Plan",
    "PlanOptions",
    "Run",
    "Shortfall",
    "SupplyInfeasibleError",
    "diagnose",
    "plan_supply",
]

GBQ = 1e9


class SupplyInfeasibleError(ThxError):
    """Some orders cannot be served at all; the message lists them with the reasons."""


@dataclass(frozen=True)
class PlanOptions:
    """Solver options and model reductions.

    ``mip_rel_gap`` is the relative gap at which HiGHS stops (1e-4, its default, counts
    as proven optimal); ``time_limit_s`` bounds the solve; ``strict`` raises
    :class:`SupplyInfeasibleError` when an order cannot be served by any run.
    """

    time_limit_s: float = 60.0
    mip_rel_gap: float = 1e-4
    threads: int | None = None
    max_sites_per_order: int | None = None
    max_half_lives: float | None = None
    strict: bool = False
    warm_start: bool | None = None


@dataclass(frozen=True)
class Run:
    """A production run of the plan."""

    id: str
    site: str
    target: str
    nuclide: str
    product: str
    start: datetime
    end_of_bombardment: datetime
    release: datetime
    duration_s: float
    current_ua: float
    eob_activity_bq: float
    product_activity_eob_bq: float
    cost_eur: float


@dataclass(frozen=True)
class Delivery:
    """Activity of one run sent to one order."""

    run: str
    site: str
    hospital: str
    order: str
    departure: datetime
    arrival: datetime
    allocated_eob_bq: float
    activity_at_calibration_bq: float
    transport_cost_eur: float


@dataclass(frozen=True)
class Shortfall:
    """Activity of an order not delivered at its calibration time."""

    order: str
    hospital: str
    product: str
    needed_bq: float
    delivered_bq: float
    shortfall_bq: float
    reason: str = ""


@dataclass
class Plan:
    """The result of :func:`plan_supply`: runs, deliveries and shortfalls, with the solve status."""

    scenario: Scenario
    status: str
    objective: float
    mip_gap: float
    dual_bound: float
    solve_time_s: float
    runs: list[Run]
    deliveries: list[Delivery]
    shortfall: list[Shortfall]
    diagnosis: list[str] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    options: PlanOptions = field(default_factory=PlanOptions)
    events: list[str] = field(default_factory=list)
    #: (seconds from the start of the solve, objective) of each better plan found
    incumbents: list[tuple[float, float]] = field(default_factory=list)
    run_keys: dict[str, tuple[str, str, float, float, float]] = field(
        default_factory=dict, repr=False
    )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: status, objective, runs, deliveries, shortfall."""
        from theranostix._json import to_plain

        return {
            "scenario": self.scenario.name,
            "status": self.status,
            "objective": self.objective,
            "mip_gap": self.mip_gap,
            "dual_bound": self.dual_bound,
            "solve_time_s": self.solve_time_s,
            "costs": self.costs,
            "model_size": self.model_size,
            "runs": to_plain(self.runs),
            "deliveries": to_plain(self.deliveries),
            "shortfall": to_plain([s for s in self.shortfall if s.shortfall_bq > 0]),
            "diagnosis": list(self.diagnosis),
            "events": list(self.events),
            "incumbents": [{"time_s": t, "objective": v} for t, v in self.incumbents],
        }


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class _Candidate:
    key: tuple[str, str, float, float, float]  # site, target, start_s, duration_s, current
    site: Site
    target: Target
    start_s: float
    eob_s: float
    release_s: float
    activity_bq: float
    capacity_bq: float
    cost: float
    pool: tuple[str, ...]  # identical targets of the site: up to len(pool) runs in this slot


@dataclass
class Restrictions:
    """What a re-plan keeps fixed or forbids (see :mod:`theranostix.supply._disruption`).

    Times are seconds from the scenario's midnight.
    """

    now_s: float = -math.inf
    fixed_runs: dict[tuple[str, str, float, float, float], int] = field(default_factory=dict)
    site_down: dict[str, tuple[float, float]] = field(default_factory=dict)
    closed_links: set[tuple[str, str]] = field(default_factory=set)
    # (run key, order id) -> allocated EOB activity (Bq) of a shipped delivery, and the
    # departure and arrival (s) it had
    shipped: dict[tuple[tuple[str, str, float, float, float], str], tuple[float, float, float]] = (
        field(default_factory=dict)
    )


def _candidates(scenario: Scenario, restrictions: Restrictions) -> list[_Candidate]:
    from theranostix.production import eob_activity
    from theranostix.units import elapsed_s

    t0, grid = scenario.t0, scenario.grid_s
    out = []
    for site in scenario.sites:
        w0, w1 = elapsed_s(t0, site.beam_start), elapsed_s(t0, site.beam_end)
        first = math.ceil(w0 / grid - 1e-9) * grid
        down = restrictions.site_down.get(site.name)
        pools: dict[tuple[Any, ...], list[Target]] = defaultdict(list)
        for target in site.targets:
            pools[_signature(target)].append(target)
        for members in pools.values():
            target = members[0]
            pool = tuple(t.name for t in members)
            for duration in target.durations_s:
                for current in target.currents_ua:
                    start = first
                    while start + duration <= w1 + 1e-6:
                        key = (site.name, target.name, start, duration, current)
                        fixed = key in restrictions.fixed_runs
                        blocked = not fixed and (
                            start < restrictions.now_s - 1e-6
                            or (down is not None and start < down[1] and start + duration > down[0])
                        )
                        if not blocked:
                            activity = eob_activity(
                                target.nuclide,
                                saturation_yield_bq_per_ua=target.saturation_yield_bq_per_ua,
                                beam_current_ua=current,
                                duration_s=duration,
                            )
                            eob = start + duration
                            out.append(
                                _Candidate(
                                    key=key,
                                    site=site,
                                    target=target,
                                    start_s=start,
                                    eob_s=eob,
                                    release_s=eob + target.synthesis_s + target.qc_s,
                                    activity_bq=activity,
                                    capacity_bq=activity * target.synthesis_yield,
                                    cost=site.run_cost_eur
                                    + site.beam_cost_eur_per_h * duration / 3600.0,
                                    pool=pool,
                                )
                            )
                        start += grid
    return out


def _signature(target: Target) -> tuple[Any, ...]:
    """Targets with the same signature are interchangeable (pooled to remove symmetry)."""
    return (
        target.nuclide,
        target.product,
        target.saturation_yield_bq_per_ua,
        target.currents_ua,
        target.durations_s,
        target.synthesis_s,
        target.qc_s,
        target.synthesis_yield,
    )


def _fmt_time(scenario: Scenario, seconds: float) -> str:
    from theranostix.units import shift

    return shift(scenario.t0, seconds).strftime("%H:%M")


def _reasons(
    scenario: Scenario, restrictions: Restrictions, candidates: list[_Candidate]
) -> dict[str, str]:
    """Why each order that no candidate run can reach is unservable (order id -> reason)."""
    from theranostix.units import elapsed_s

    links = scenario.link_map()
    producers: dict[str, set[str]] = defaultdict(set)
    for site in scenario.sites:
        for target in site.targets:
            producers[target.product].add(site.name)
    earliest: dict[tuple[str, str], float] = {}
    for c in candidates:
        k = (c.site.name, c.target.product)
        earliest[k] = min(earliest.get(k, math.inf), max(c.release_s, restrictions.now_s))
    reasons = {}
    for order in scenario.orders:
        label = (
            f"order {order.id} ({order.hospital}, {order.product} "
            f"{order.activity_bq / GBQ:g} GBq at "
            f"{_fmt_time(scenario, elapsed_s(scenario.t0, order.calibration))})"
        )
        sites = sorted(producers.get(order.product, set()))
        if not sites:
            known = sorted(producers)
            reasons[order.id] = (
                f"{label}: no site produces {order.product!r} (products: {', '.join(known)})"
            )
            continue
        open_links = [
            links[(s, order.hospital)]
            for s in sites
            if (s, order.hospital) in links and (s, order.hospital) not in restrictions.closed_links
        ]
        if not open_links:
            reasons[order.id] = (
                f"{label}: no open transport link to {order.hospital} from the sites producing "
                f"{order.product} ({', '.join(sites)})"
            )
            continue
        deadline = elapsed_s(scenario.t0, order.arrive_before)
        best = None
        for link in open_links:
            release = earliest.get((link.site, order.product))
            if release is None:
                continue
            arrival = release + link.duration_s
            if best is None or arrival < best[0]:
                best = (arrival, link.site, release, link.duration_s)
        if best is None:
            reasons[order.id] = (
                f"{label}: no production run possible at {', '.join(sites)} (beam windows, "
                "failures or the current time)"
            )
        elif best[0] > deadline + 1e-6:
            reasons[order.id] = (
                f"{label}: earliest arrival {_fmt_time(scenario, best[0])} from {best[1]} "
                f"(release {_fmt_time(scenario, best[2])} + transport {best[3] / 60:.0f} min) "
                f"is after the arrival deadline {_fmt_time(scenario, deadline)}"
            )
    return reasons


def diagnose(scenario: Scenario) -> list[str]:
    """Orders no run can serve, each with the reason (empty when every order is reachable).

    Reasons: no site produces the product; no transport link from a producing site; the
    earliest possible arrival (earliest release + transport) is after the order's
    deadline (``arrive_before``, by default the calibration time).
    """
    restrictions = Restrictions()
    return list(_reasons(scenario, restrictions, _candidates(scenario, restrictions)).values())


# --------------------------------------------------------------------------- model


def plan_supply(
    scenario: Scenario,
    options: PlanOptions | None = None,
    *,
    restrictions: Restrictions | None = None,
) -> Plan:
    """Plan production runs and deliveries for ``scenario`` (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        From :func:`load_scenario` or :func:`synthetic_scenario`.
    options : PlanOptions, optional
        Time limit, gap, reductions, strictness.
    restrictions : Restrictions, optional
        Fixed and forbidden decisions of a re-plan (used by :func:`replan`).

    Returns
    -------
    Plan
        ``status`` is ``"optimal"`` (within ``mip_rel_gap``), ``"time_limit"`` (best plan
        found, with its gap) or ``"infeasible"`` (with the diagnosis).

    Raises
    ------
    SupplyInfeasibleError
        With ``options.strict``, when an order cannot be served by any run.
    """
    import highspy

    from theranostix.units import shift

    options = options or PlanOptions()
    restrictions = restrictions or Restrictions()
    model = _build(scenario, options, restrictions)
    h, cands, reasons, links = model.h, model.cands, model.reasons, model.links
    orders, pairs, used, index = model.orders, model.pairs, model.used, model.index
    n_z, n_y, n_x, n_s, m = model.n_z, model.n_y, model.n_x, model.n_s, model.m
    ship_index, x0, s0, cost, t0 = model.ship_index, model.x0, model.s0, model.cost, scenario.t0
    started = time.perf_counter()
    incumbents: list[tuple[float, float]] = []

    def improved(event: Any) -> None:
        value = float(event.data_out.objective_function_value)
        if not incumbents or value < incumbents[-1][1] * (1.0 - 1e-9):
            incumbents.append((time.perf_counter() - started, value))

    h.cbMipImprovingSolution.subscribe(improved)
    warm = None
    if options.warm_start is True or (
        options.warm_start is None and n_y >= _WARM_START_MIN_SHIPMENTS
    ):
        warm = _warm_start(h, options, model, incumbents, started)
        if warm is not None and n_y >= _WARM_START_MIN_SHIPMENTS:  # HiGHS alone is slow there
            budget = _LNS_SHARE * options.time_limit_s - (time.perf_counter() - started)
            warm = _neighbourhood_search(h, scenario, options, model, warm, budget)
    if warm is not None:
        h.setSolution(warm)
    h.setOptionValue(
        "time_limit", max(0.0, float(options.time_limit_s) - (time.perf_counter() - started))
    )
    h.run()
    elapsed = time.perf_counter() - started
    model_status = h.getModelStatus()
    size = {"runs": n_z, "shipments": n_y, "allocations": n_x, "orders": n_s, "rows": m}
    info = h.getInfo()
    statuses = highspy.HighsModelStatus
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if model_status == statuses.kOptimal:
        status = "optimal"
    elif has_solution and model_status in (statuses.kTimeLimit, statuses.kInterrupt,
                                           statuses.kSolutionLimit):  # fmt: skip
        status = "time_limit"
    elif model_status in (statuses.kInfeasible, statuses.kUnboundedOrInfeasible):
        family = _infeasible_family(h, model.families)
        return Plan(
            scenario, "infeasible", math.nan, math.nan, math.nan, elapsed, [], [], [],
            diagnosis=[*reasons.values(), f"HiGHS: infeasible; the conflict involves the "
                       f"'{family}' constraints (fixed runs or shipped deliveries of a re-plan)"],
            model_size=size, options=options,
        )  # fmt: skip
    else:
        raise ThxError(
            f"{scenario.source}: HiGHS stopped without a plan "
            f"({h.modelStatusToString(model_status)});"
            " raise the time limit"
        )
    values = np.asarray(h.getSolution().col_value)
    run_keys: dict[str, tuple[str, str, float, float, float]] = {}

    runs: list[Run] = []
    run_ids: dict[int, list[str]] = {}
    busy: dict[tuple[str, str], float] = {}  # (site, target) -> end of its last beam
    chosen = sorted((cands[ci].start_s, ci) for ci in used if values[index[ci]] > 0.5)
    for _, ci in chosen:
        c = cands[ci]
        for _copy in range(round(values[index[ci]])):
            # interval-graph colouring: the first pooled target free at the start
            name = next(
                (t for t in c.pool if busy.get((c.site.name, t), -math.inf) <= c.start_s + 1e-6),
                c.pool[0],
            )
            busy[(c.site.name, name)] = c.eob_s
            rid = f"R{len(runs) + 1}"
            run_ids.setdefault(ci, []).append(rid)
            runs.append(
                Run(
                    id=rid,
                    site=c.site.name,
                    target=name,
                    nuclide=c.target.nuclide,
                    product=c.target.product,
                    start=shift(t0, c.start_s),
                    end_of_bombardment=shift(t0, c.eob_s),
                    release=shift(t0, c.release_s),
                    duration_s=c.key[3],
                    current_ua=c.key[4],
                    eob_activity_bq=c.activity_bq,
                    product_activity_eob_bq=c.capacity_bq,
                    cost_eur=c.cost,
                )
            )
            run_keys[rid] = c.key
    deliveries: list[Delivery] = []
    delivered: dict[int, float] = defaultdict(float)
    transport_cost = 0.0
    left = {rid: cands[ci].capacity_bq for ci, rids in run_ids.items() for rid in rids}
    for p, (ci, oi, factor, departure) in enumerate(pairs):
        amount = values[x0 + p] * GBQ
        if amount <= 1e-6 * orders[oi].activity_bq or ci not in run_ids:
            continue
        order, c = orders[oi], cands[ci]
        link = links[(c.site.name, order.hospital)]
        shipped = restrictions.shipped.get((c.key, order.id))
        arrival = shipped[2] if shipped else departure + link.duration_s
        rids = run_ids[ci]
        for k, rid in enumerate(rids):  # split over the pooled runs of this slot
            piece = amount if k == len(rids) - 1 else min(amount, left[rid])
            if piece <= 1e-9 * order.activity_bq:
                continue
            left[rid] -= piece
            amount -= piece
            deliveries.append(
                Delivery(
                    run=rid,
                    site=c.site.name,
                    hospital=order.hospital,
                    order=order.id,
                    departure=shift(t0, departure),
                    arrival=shift(t0, arrival),
                    allocated_eob_bq=piece,
                    activity_at_calibration_bq=piece * factor,
                    transport_cost_eur=link.cost_eur,
                )
            )
            delivered[oi] += piece * factor
    for j in ship_index.values():
        if values[j] > 0.5:
            transport_cost += cost[j]
    shortfall = []
    for oi, order in enumerate(orders):
        got = delivered.get(oi, 0.0)
        short = max(0.0, order.activity_bq - got)
        if short <= 1e-6 * order.activity_bq:
            short = 0.0
        reason = reasons.get(order.id, "")
        if short and not reason:
            reason = "capacity or cost: cheaper to leave unmet than to produce"
        shortfall.append(
            Shortfall(
                order.id, order.hospital, order.product, order.activity_bq, got, short, reason
            )
        )
    run_cost = sum(r.cost_eur for r in runs)
    decay_cost = float(sum(cost[x0 + p] * values[x0 + p] for p in range(n_x)))
    penalty = float(sum(values[s0:] * cost[s0:]))
    return Plan(
        scenario=scenario,
        status=status,
        objective=float(info.objective_function_value),
        mip_gap=float(info.mip_gap),
        dual_bound=float(info.mip_dual_bound),
        solve_time_s=elapsed,
        runs=runs,
        deliveries=deliveries,
        shortfall=shortfall,
        diagnosis=list(reasons.values()),
        costs={
            "runs_eur": run_cost,
            "transport_eur": transport_cost,
            "decay_eur": decay_cost,
            "shortfall_penalty_eur": penalty,
        },
        model_size=size,
        options=options,
        run_keys=run_keys,
        incumbents=incumbents,
    )


@dataclass
class _Model:
    """The HiGHS model of a scenario and the index maps to read its solution."""

    h: Any
    cands: list[_Candidate]
    reasons: dict[str, str]
    links: dict[tuple[str, str], Any]
    orders: list[Order]
    pairs: list[tuple[int, int, float, float]]
    used: list[int]
    index: dict[int, int]
    ship_index: dict[tuple[int, str], int]
    n_z: int
    n_y: int
    n_x: int
    n_s: int
    m: int
    x0: int
    s0: int
    n: int
    cost: Any
    families: list[tuple[str, int, int]]


def _build(scenario: Scenario, options: PlanOptions, restrictions: Restrictions) -> _Model:
    """Candidates, (run, order) pairs and the HiGHS model (variables, rows, options)."""
    import highspy

    from theranostix.nuclides import Nuclide
    from theranostix.units import elapsed_s

    t0 = scenario.t0
    cands = _candidates(scenario, restrictions)
    reasons = _reasons(scenario, restrictions, cands)
    for _, order_id in restrictions.shipped:  # partly served already: not unservable
        reasons.pop(order_id, None)
    if options.strict and reasons:
        raise SupplyInfeasibleError(
            f"{scenario.source}: {len(reasons)} order(s) cannot be served: "
            + "; ".join(reasons.values())
        )
    links = scenario.link_map()
    orders = list(scenario.orders)
    lam = {}
    for o in orders:
        made_as = _nuclide_of(scenario, o)
        if made_as is not None:
            lam[o.id] = Nuclide(made_as).decay_constant_per_s

    # feasible (candidate, order) pairs
    pairs: list[tuple[int, int, float, float]] = []  # cand, order, decay factor, departure
    for oi, order in enumerate(orders):
        if order.id in reasons or order.id not in lam:
            continue
        t_cal = elapsed_s(t0, order.calibration)
        reduce = bool(options.max_sites_per_order) or options.max_half_lives is not None
        own = _order_pairs(
            scenario, links, options, restrictions, cands, order, t_cal, lam[order.id], reduce
        )
        if not own and reduce:  # the reductions would leave it unserved: all options back
            own = _order_pairs(
                scenario, links, options, restrictions, cands, order, t_cal, lam[order.id], False
            )
        pairs.extend((ci, oi, factor, departure) for ci, factor, departure in own)
    used = sorted(
        {ci for ci, _, _, _ in pairs}
        | {ci for ci, c in enumerate(cands) if c.key in restrictions.fixed_runs}
    )
    index = {ci: k for k, ci in enumerate(used)}
    n_z = len(used)
    ship_keys = sorted({(ci, orders[oi].hospital) for ci, oi, _, _ in pairs})
    ship_index = {k: n_z + i for i, k in enumerate(ship_keys)}
    n_y = len(ship_keys)
    x0 = n_z + n_y
    n_x = len(pairs)
    s0 = x0 + n_x
    n_s = len(orders)
    n = s0 + n_s

    cost = np.zeros(n)
    lower = np.zeros(n)
    upper = np.ones(n)
    integrality = np.zeros(n, dtype=np.int32)
    integrality[: n_z + n_y] = 1
    obj = scenario.objective
    for ci in used:
        k = index[ci]
        cost[k] = cands[ci].cost
        upper[k] = len(cands[ci].pool)
        lower[k] = restrictions.fixed_runs.get(cands[ci].key, 0)
    for (ci, hospital), j in ship_index.items():
        cost[j] = links[(cands[ci].site.name, hospital)].cost_eur
    for p, (ci, oi, factor, _) in enumerate(pairs):
        j = x0 + p
        cost[j] = obj.decay_cost_eur_per_gbq * (1.0 - factor)
        upper[j] = (
            min(cands[ci].capacity_bq * len(cands[ci].pool), orders[oi].activity_bq / factor) / GBQ
        )
        shipped = restrictions.shipped.get((cands[ci].key, orders[oi].id))
        if shipped is not None:
            lower[j] = upper[j] = shipped[0] / GBQ
            lower[ship_index[(ci, orders[oi].hospital)]] = 1.0
    cost[s0:] = obj.shortfall_penalty_eur
    for oi, order in enumerate(orders):
        if order.id in reasons:  # unservable: a constant, left out of the objective
            cost[s0 + oi] = 0.0
            lower[s0 + oi] = 1.0

    rows_l: list[float] = []
    rows_u: list[float] = []
    starts: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    families: list[tuple[str, int, int]] = []

    def row(lo: float, hi: float, entries: list[tuple[int, float]]) -> None:
        starts.append(len(cols))
        rows_l.append(lo)
        rows_u.append(hi)
        for c_, v_ in entries:
            cols.append(c_)
            vals.append(v_)

    inf = highspy.kHighsInf
    by_order: dict[int, list[tuple[int, float]]] = defaultdict(list)
    by_cand: dict[int, list[int]] = defaultdict(list)
    for p, (ci, oi, factor, _) in enumerate(pairs):
        by_order[oi].append((x0 + p, factor))
        by_cand[ci].append(x0 + p)
    first = len(rows_l)
    for oi, order in enumerate(orders):
        need = order.activity_bq / GBQ
        row(need, inf, [*by_order.get(oi, []), (s0 + oi, need)])
    families.append(("demand", first, len(rows_l)))
    first = len(rows_l)
    for ci in used:
        row(-inf, 0.0, [*((j, 1.0) for j in by_cand.get(ci, [])),
                        (index[ci], -cands[ci].capacity_bq / GBQ)])  # fmt: skip
    families.append(("run capacity", first, len(rows_l)))
    first = len(rows_l)
    for p, (ci, oi, _, _) in enumerate(pairs):
        row(-inf, 0.0, [(x0 + p, 1.0), (ship_index[(ci, orders[oi].hospital)], -upper[x0 + p])])
    for (ci, _), j in ship_index.items():
        row(-inf, 0.0, [(j, 1.0), (index[ci], -1.0)])
    families.append(("shipment", first, len(rows_l)))
    first = len(rows_l)
    _overlap_rows(cands, used, index, row)
    families.append(("one run at a time", first, len(rows_l)))

    hs: Any = highspy
    h: Any = hs.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(options.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if options.threads:
        h.setOptionValue("threads", int(options.threads))
    h.addVars(n, lower, upper)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), integrality)
    m = len(rows_l)
    h.addRows(
        m,
        np.array(rows_l),
        np.array(rows_u),
        len(cols),
        np.array(starts, dtype=np.int32),
        np.array(cols, dtype=np.int32),
        np.array(vals),
    )
    return _Model(
        h=h, cands=cands, reasons=reasons, links=links, orders=orders, pairs=pairs,
        used=used, index=index, ship_index=ship_index, n_z=n_z, n_y=n_y, n_x=n_x,
        n_s=n_s, m=m, x0=x0, s0=s0, n=n, cost=cost, families=families,
    )  # fmt: skip


def _order_pairs(
    scenario: Scenario,
    links: dict[tuple[str, str], Any],
    options: PlanOptions,
    restrictions: Restrictions,
    cands: list[_Candidate],
    order: Order,
    t_cal: float,
    lam: float,
    reduce: bool,
) -> list[tuple[int, float, float]]:
    """(candidate, decay factor, departure) of the runs that can serve ``order``.

    With ``reduce``, only the ``max_sites_per_order`` nearest sites and runs less than
    ``max_half_lives`` half-lives before calibration (see :class:`PlanOptions`).
    """
    from theranostix.units import elapsed_s

    deadline = elapsed_s(scenario.t0, order.arrive_before)
    after = elapsed_s(scenario.t0, order.arrive_after)
    allowed_sites = None
    if reduce and options.max_sites_per_order:
        ranked = sorted(
            (links[(s.name, order.hospital)].duration_s, s.name)
            for s in scenario.sites
            if (s.name, order.hospital) in links
            and (s.name, order.hospital) not in restrictions.closed_links
            and any(t.product == order.product for t in s.targets)
        )
        allowed_sites = {name for _, name in ranked[: options.max_sites_per_order]}
    max_exponent = (
        options.max_half_lives * math.log(2)
        if reduce and options.max_half_lives is not None
        else math.inf
    )
    out = []
    for ci, c in enumerate(cands):
        if c.target.product != order.product:
            continue
        shipped = restrictions.shipped.get((c.key, order.id))
        if shipped is not None:
            out.append((ci, math.exp(-lam * (t_cal - c.eob_s)), shipped[1]))
            continue
        link = links.get((c.site.name, order.hospital))
        if link is None or (c.site.name, order.hospital) in restrictions.closed_links:
            continue
        if allowed_sites is not None and c.site.name not in allowed_sites:
            continue
        departure = max(c.release_s, restrictions.now_s, after - link.duration_s)
        if departure + link.duration_s > deadline + 1e-6 or c.eob_s > t_cal:
            continue
        if c.key not in restrictions.fixed_runs and lam * (t_cal - c.eob_s) > max_exponent:
            continue
        out.append((ci, math.exp(-lam * (t_cal - c.eob_s)), departure))
    return out


def _neighbourhood_search(
    h: Any, scenario: Scenario, options: PlanOptions, model: _Model, plan: Any, budget_s: float
) -> Any:
    """Improve a plan by re-solving it one neighbourhood of sites at a time.

    Large neighbourhood search [5]_: for each site in turn, the run and shipment
    decisions of the site and its ``_LNS_SITES - 1`` nearest sites are freed, all other
    integer decisions are fixed at the current plan (the allocations stay free), and
    that small MIP is solved from the current plan for at most ``_LNS_SUB_S``. A better
    plan replaces the current one. Stops when ``budget_s`` is spent or a whole round
    finds nothing better. Bounds are restored before returning the best plan.

    References
    ----------
    .. [5] Shaw P. Using constraint programming and local search methods to solve
       vehicle routing problems. CP-98, LNCS 1520:417-431, 1998.
       doi:10.1007/3-540-49481-2_30
    """
    begun = time.perf_counter()
    lp = h.getLp()
    col_lower = np.array(lp.col_lower_)
    col_upper = np.array(lp.col_upper_)
    site_of = [""] * model.x0
    for ci in model.used:
        site_of[model.index[ci]] = model.cands[ci].site.name
    for (ci, _), j in model.ship_index.items():
        site_of[j] = model.cands[ci].site.name
    where = {s.name: (s.lon * math.cos(math.radians(s.lat)), s.lat) for s in scenario.sites}

    def fixed_outside(name: str) -> Any:
        """Integer columns outside the neighbourhood of site ``name`` (its nearest sites)."""
        x, y = where[name]
        ranked = sorted(where, key=lambda o: (where[o][0] - x) ** 2 + (where[o][1] - y) ** 2)
        free = set(ranked[:_LNS_SITES])
        return np.array([j for j in range(model.x0) if site_of[j] not in free], dtype=np.int32)

    neighbourhoods = {name: fixed_outside(name) for name in where}
    cost = np.asarray(model.cost)
    best = np.array(plan.col_value)
    best_value = float(cost @ best)
    h.setOptionValue("mip_rel_gap", 1e-4)
    try:
        improved = True
        while improved:
            improved = False
            for fixed in neighbourhoods.values():
                left = budget_s - (time.perf_counter() - begun)
                if left < 1.0:
                    return plan
                values = np.round(best[fixed])
                h.changeColsBounds(len(fixed), fixed, values, values)
                h.setSolution(plan)  # the current best, feasible in the neighbourhood
                h.setOptionValue("time_limit", min(_LNS_SUB_S, left))
                h.run()
                found = h.getInfo().primal_solution_status == 2
                candidate = np.asarray(h.getSolution().col_value).copy()
                h.changeColsBounds(len(fixed), fixed, col_lower[fixed], col_upper[fixed])
                if found and float(cost @ candidate) < best_value * (1 - 1e-7):
                    best, best_value, improved = candidate, float(cost @ candidate), True
                    plan = _solution(best)
    finally:
        h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
        h.changeColsBounds(
            len(col_lower), np.arange(len(col_lower), dtype=np.int32), col_lower, col_upper
        )
    return plan


def _solution(values: Any) -> Any:
    """A HiGHS primal solution (``highspy.HighsSolution``) with column values ``values``."""
    import highspy

    out = highspy.HighsSolution()
    out.col_value = list(values)
    out.value_valid = True
    return out


_LNS_SHARE = 0.5
_LNS_SITES = 4
_LNS_SUB_S = 8.0


_WARM_START_MIN_SHIPMENTS = 2000


def _warm_start(
    h: Any,
    options: PlanOptions,
    model: _Model,
    incumbents: list[tuple[float, float]],
    started: float,
) -> Any:
    """A first plan by diving on the LP relaxation (None if the dive fails).

    1. Runs: the LP relaxation is solved; at each round, on every site, the run with the
       largest fractional part (at least 0.5, or the largest of all when none is) gets
       its lower bound raised to the next integer, and the LP is solved again (dual
       simplex from the previous basis), until every run variable is integral. One run
       per site and round keeps the one-run-at-a-time rows satisfiable.
    2. Shipments: with the runs fixed, the same dive on the shipment variables.
    3. With the runs fixed, the remaining MIP (shipments and allocations) is solved from
       that plan for a short budget.

    The plan is feasible for the full model and is given to HiGHS as its first
    incumbent (``setSolution``); the bounds are restored, so the bound and gap
    reported are those of the full model. LP-based diving is a classical primal
    heuristic [4]_.

    References
    ----------
    .. [4] Berthold T. Primal heuristics for mixed integer programs. Diploma thesis,
       TU Berlin, 2006 (section 3: diving heuristics).
    """
    import highspy

    budget = min(_WARM_START_SHARE * options.time_limit_s, _WARM_START_MAX_S)
    lp = h.getLp()
    col_lower = np.array(lp.col_lower_)
    col_upper = np.array(lp.col_upper_)
    n_z, x0, n = model.n_z, model.x0, model.n
    sites = [model.cands[ci].site.name for ci in model.used]
    begun = time.perf_counter()

    def lp_ok() -> bool:
        left = budget - (time.perf_counter() - begun)
        if left <= 0:
            return False
        h.setOptionValue("time_limit", left)
        h.run()
        return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def dive(first: int, last: int, one_per_site: bool) -> bool:
        while True:
            values = np.asarray(h.getSolution().col_value)[first:last]
            frac = values - np.floor(values + 1e-6)
            fractional = np.flatnonzero(frac > 1e-6)
            if fractional.size == 0:
                return True
            order = fractional[np.argsort(-frac[fractional], kind="stable")]
            pick: list[int] = []
            seen: set[str] = set()
            for k in order:
                if pick and frac[k] < 0.5:
                    break
                if one_per_site and sites[k] in seen:
                    continue
                seen.add(sites[k] if one_per_site else "")
                pick.append(int(k))
                if not one_per_site and frac[k] < 0.5:
                    break
            idx = np.array(pick, dtype=np.int32) + first
            h.changeColsBounds(len(idx), idx, np.ceil(values[idx - first] - 1e-6), col_upper[idx])
            if not lp_ok():
                return False

    h.setOptionValue("solve_relaxation", True)
    warm = None
    try:
        if lp_ok() and dive(0, n_z, True):
            z = np.round(np.asarray(h.getSolution().col_value)[:n_z])
            zi = np.arange(n_z, dtype=np.int32)
            h.changeColsBounds(n_z, zi, z, z)
            if lp_ok() and dive(n_z, x0, False):
                warm = _solution(np.asarray(h.getSolution().col_value)[:n])
                incumbents.append(
                    (time.perf_counter() - started, float(h.getInfo().objective_function_value))
                )
                # the rest of the budget: the MIP of the shipments with these runs
                h.setOptionValue("solve_relaxation", False)
                h.changeColsBounds(
                    x0 - n_z, np.arange(n_z, x0, dtype=np.int32),
                    col_lower[n_z:x0], col_upper[n_z:x0],
                )  # fmt: skip
                h.setSolution(warm)
                h.setOptionValue("mip_rel_gap", _WARM_START_GAP)
                left = budget - (time.perf_counter() - begun)
                if left > 1.0:
                    h.setOptionValue("time_limit", left)
                    h.run()
                    if h.getInfo().primal_solution_status == 2:
                        warm.col_value = list(np.asarray(h.getSolution().col_value)[:n])
    finally:
        h.setOptionValue("solve_relaxation", False)
        h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
        every = np.arange(n, dtype=np.int32)
        h.changeColsBounds(n, every, col_lower, col_upper)
    return warm


_WARM_START_SHARE = 0.25
_WARM_START_MAX_S = 15.0
_WARM_START_GAP = 1e-3


def _nuclide_of(scenario: Scenario, order: Order) -> str | None:
    for site in scenario.sites:
        for target in site.targets:
            if target.product == order.product:
                return target.nuclide
    return None


def _overlap_rows(
    cands: list[_Candidate], used: list[int], index: dict[int, int], row: Any
) -> None:
    """Clique rows: runs of one target (capacity 1) and of one site covering each start."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for ci in used:
        c = cands[ci]
        groups[(c.site.name, c.target.name)].append(ci)
        if c.site.max_simultaneous_runs < len(c.site.targets):
            groups[(c.site.name, "")].append(ci)
    for (_, target), members in groups.items():
        first = cands[members[0]]
        capacity = float(len(first.pool) if target else first.site.max_simultaneous_runs)
        for t in sorted({cands[ci].start_s for ci in members}):
            covering = [
                index[ci] for ci in members if cands[ci].start_s <= t < cands[ci].eob_s - 1e-9
            ]
            if len(covering) > 1 or not target:
                row(-math.inf, capacity, [(k, 1.0) for k in covering])


def _infeasible_family(h: Any, families: list[tuple[str, int, int]]) -> str:
    """The first constraint family whose removal makes the LP relaxation feasible."""
    import highspy

    h.setOptionValue("solve_relaxation", True)
    for name, first, last in families:
        if last <= first:
            continue
        count = last - first
        idx = np.arange(first, last, dtype=np.int32)
        lp = h.getLp()
        lo = np.array(lp.row_lower_)[first:last]
        hi = np.array(lp.row_upper_)[first:last]
        h.changeRowsBounds(count, idx, np.full(count, -highspy.kHighsInf),
                           np.full(count, highspy.kHighsInf))  # fmt: skip
        h.run()
        feasible = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        h.changeRowsBounds(count, idx, lo, hi)
        if feasible:
            return name
    return "fixed bounds"


def with_options(plan: Plan, **changes: Any) -> PlanOptions:
    """The options of ``plan`` with ``changes``."""
    return replace(plan.options, **changes)

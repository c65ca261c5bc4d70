"""Pictures of a supply plan: a timeline (Gantt chart) and a map (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from theranostix.supply._model import Plan

__all__ = ["write_map_png", "write_plan_outputs", "write_timeline_png"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _hours(plan: Plan, when: Any) -> float:
    from theranostix.units import elapsed_s

    return elapsed_s(plan.scenario.t0, when) / 3600.0


def write_timeline_png(plan: Plan, path: Path) -> Path:
    """Gantt chart: beam and synthesis+QC of each run per target, deliveries per hospital."""
    from theranostix._files import atomic_write

    plt = _pyplot()
    rows = sorted({(r.site, r.target) for r in plan.runs})
    hospitals = sorted({d.hospital for d in plan.deliveries})
    labels = [f"{s} {t}" for s, t in rows] + hospitals
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.32 * len(labels) + 1.2)))
    colours = plt.get_cmap("tab10")
    site_colour = {s.name: colours(i % 10) for i, s in enumerate(plan.scenario.sites)}
    for run in plan.runs:
        y = rows.index((run.site, run.target))
        start, eob, release = (_hours(plan, t) for t in (run.start, run.end_of_bombardment,
                                                          run.release))  # fmt: skip
        ax.barh(y, eob - start, left=start, color=site_colour[run.site], height=0.6)
        ax.barh(y, release - eob, left=eob, color=site_colour[run.site], alpha=0.35, height=0.6)
        ax.text(start, y, f" {run.id} {run.nuclide}", va="center", fontsize=6)
    for d in plan.deliveries:
        y = len(rows) + hospitals.index(d.hospital)
        dep, arr = _hours(plan, d.departure), _hours(plan, d.arrival)
        ax.barh(y, arr - dep, left=dep, color=site_colour[d.site], alpha=0.7, height=0.4)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"hours from {plan.scenario.day.isoformat()} 00:00 ({plan.scenario.timezone})")
    ax.set_title(f"{plan.scenario.name}: runs (beam, then synthesis + QC) and deliveries")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)


def write_map_png(plan: Plan, path: Path) -> Path:
    """Map (longitude, latitude) of sites and hospitals, deliveries as lines."""
    import math

    from theranostix._files import atomic_write

    plt = _pyplot()
    scenario = plan.scenario
    sites = {s.name: s for s in scenario.sites}
    hospitals = {h.name: h for h in scenario.hospitals}
    fig, ax = plt.subplots(figsize=(8, 8))
    for pair in sorted({(d.site, d.hospital) for d in plan.deliveries}):
        s, h = sites[pair[0]], hospitals[pair[1]]
        ax.plot([s.lon, h.lon], [s.lat, h.lat], color="tab:blue", alpha=0.5, lw=1)
    short = {x.hospital for x in plan.shortfall if x.shortfall_bq > 0}
    ax.scatter([h.lon for h in scenario.hospitals], [h.lat for h in scenario.hospitals],
               c=["tab:red" if h.name in short else "tab:green" for h in scenario.hospitals],
               s=18, label="hospital (red: shortfall)", zorder=3)  # fmt: skip
    ax.scatter([s.lon for s in scenario.sites], [s.lat for s in scenario.sites], marker="^",
               c="black", s=70, label="cyclotron site", zorder=4)  # fmt: skip
    if len(scenario.sites) + len(scenario.hospitals) <= 40:
        points = [(s.name, s.lon, s.lat) for s in scenario.sites]
        points += [(h.name, h.lon, h.lat) for h in scenario.hospitals]
        for name, lon, lat in points:
            ax.annotate(name, (lon, lat), fontsize=7, xytext=(3, 3), textcoords="offset points")
    mean_lat = sum(s.lat for s in scenario.sites) / len(scenario.sites)
    ax.set_aspect(1.0 / math.cos(math.radians(mean_lat)))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title(f"{scenario.name}: deliveries")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)


def write_plan_outputs(plan: Plan, outdir: Path) -> dict[str, Path]:
    """Write plan.json, runs.csv, deliveries.csv, shortfall.csv, timeline.png and map.png."""
    import csv
    import io
    import json

    from theranostix._files import atomic_write_text
    from theranostix._json import to_plain

    outdir = Path(outdir)
    report = plan.as_dict()
    text = json.dumps(to_plain(report), indent=2) + "\n"
    written = {"plan": atomic_write_text(outdir / "plan.json", text)}
    tables = {"runs": report["runs"], "deliveries": report["deliveries"],
              "shortfall": to_plain(plan.shortfall)}  # fmt: skip
    for name, rows in tables.items():
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        written[name] = atomic_write_text(outdir / f"{name}.csv", buffer.getvalue())
    written["timeline"] = write_timeline_png(plan, outdir / "timeline.png")
    written["map"] = write_map_png(plan, outdir / "map.png")
    return written

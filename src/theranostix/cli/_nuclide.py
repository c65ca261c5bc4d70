"""``thx nuclide show|list`` and ``thx decay``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from theranostix.cli._common import (
    JSON_OPTION_HELP,
    TZ_OPTION_HELP,
    console,
    emit_json,
    fail,
    parse_when,
)

nuclide_app = typer.Typer(
    help="Radionuclide data (ICRP-107): half-life, decay, emissions, constants.",
    no_args_is_help=True,
)

#: Keys of ``mean_energy_mev_per_decay`` in the JSON output, in display order.
ENERGY_KEYS = (
    "alpha",
    "alpha_recoil",
    "beta_minus",
    "beta_plus",
    "internal_conversion",
    "auger",
    "electron",
    "gamma",
    "x_ray",
    "annihilation",
    "photon",
)


def nuclide_summary(name: str, *, chain: bool = False, cutoff_kev: float = 20.0) -> dict[str, Any]:
    """Everything ``thx nuclide show`` reports, as a JSON-ready dictionary."""
    from theranostix.nuclides import Nuclide, RadiationType, equilibrium_chain
    from theranostix.units import format_duration

    nuc = Nuclide(name)

    def energies(
        per_kind: dict[RadiationType, float], electron: float, photon: float
    ) -> dict[str, float]:
        out = {kind.value: value for kind, value in per_kind.items()}
        out["electron"] = electron
        out["photon"] = photon
        return {key: out.get(key, 0.0) for key in ENERGY_KEYS}

    summary: dict[str, Any] = {
        "name": nuc.name,
        "half_life_s": nuc.half_life_s,
        "half_life": format_duration(nuc.half_life_s, digits=5),
        "decay_constant_per_s": nuc.decay_constant_per_s,
        "decay_modes": {mode.value: fraction for mode, fraction in nuc.decay_modes.items()},
        "decay_branches": [
            {"mode": b.mode.value, "progeny": b.progeny, "fraction": b.fraction}
            for b in nuc.decay_branches
        ],
        "progeny": list(nuc.progeny),
        "positron_yield": nuc.positron_yield,
        "mean_energy_mev_per_decay": energies(
            nuc.mean_energies_mev(), nuc.electron_energy_mev, nuc.photon_energy_mev
        ),
        "dose_constants_g_gy_per_mbq_h": nuc.dose_constants(),
        "air_kerma_rate_constant_ugy_m2_per_mbq_h": nuc.air_kerma_rate_constant(cutoff_kev),
        "air_kerma_cutoff_kev": cutoff_kev,
        "main_photon_lines": [
            {"radiation": e.radiation.value, "energy_mev": e.energy_mev, "yield": e.yield_per_decay}
            for e in sorted(
                (e for e in nuc.emissions() if e.radiation.is_photon and e.energy_mev > 0.02),
                key=lambda e: e.yield_per_decay,
                reverse=True,
            )[:5]
        ],
        "data_source": "ICRP Publication 107 (radioactivedecay, icrp107-database)",
    }
    if chain:
        eq = equilibrium_chain(nuc)
        summary["chain"] = {
            "members": [{"name": m.name, "activity_ratio": m.activity_ratio} for m in eq.members],
            "excluded": list(eq.excluded),
            "mean_energy_mev_per_decay": energies(
                eq.mean_energies_mev(), eq.electron_energy_mev, eq.photon_energy_mev
            ),
        }
    return summary


@nuclide_app.command("show")
def show(
    name: str = typer.Argument(..., help="Radionuclide, e.g. Lu-177, 177Lu, lu177, Tc-99m."),
    chain: bool = typer.Option(
        False, "--chain", help="Also report progeny in equilibrium and energies per parent decay."
    ),
    cutoff_kev: float = typer.Option(
        20.0, "--cutoff-kev", help="Photon energy cut-off δ of the air-kerma rate constant (keV)."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Half-life, decay modes, progeny, energies per decay and dose constants."""
    summary = nuclide_summary(name, chain=chain, cutoff_kev=cutoff_kev)
    if as_json:
        emit_json(summary)
        return
    from rich.table import Table

    out = console()
    facts = Table(title=f"{summary['name']}  (ICRP-107)", show_header=False)
    facts.add_column("quantity")
    facts.add_column("value", justify="right")
    facts.add_row("half-life", summary["half_life"])
    facts.add_row("decay constant", f"{summary['decay_constant_per_s']:.5g} /s")
    for branch in summary["decay_branches"]:
        facts.add_row(f"decay {branch['mode']} -> {branch['progeny']}", f"{branch['fraction']:.4g}")
    if summary["positron_yield"]:
        facts.add_row("positrons per decay", f"{summary['positron_yield']:.4g}")
    doses = summary["dose_constants_g_gy_per_mbq_h"]
    facts.add_row("Δ non-penetrating", f"{doses['non_penetrating']:.4g} g·Gy/(MBq·h)")
    facts.add_row("Δ penetrating", f"{doses['penetrating']:.4g} g·Gy/(MBq·h)")
    facts.add_row(
        f"air-kerma rate constant (δ={cutoff_kev:g} keV)",
        f"{summary['air_kerma_rate_constant_ugy_m2_per_mbq_h']:.4g} µGy·m²/(MBq·h)",
    )
    out.print(facts)
    energies = Table(title="Mean energy per decay (MeV)")
    energies.add_column("radiation")
    energies.add_column(summary["name"], justify="right")
    if chain:
        energies.add_column("with progeny", justify="right")
    for key in ENERGY_KEYS:
        own = summary["mean_energy_mev_per_decay"][key]
        row = [key, f"{own:.5g}"]
        if chain:
            row.append(f"{summary['chain']['mean_energy_mev_per_decay'][key]:.5g}")
        if own or (chain and summary["chain"]["mean_energy_mev_per_decay"][key]):
            energies.add_row(*row)
    out.print(energies)
    if summary["main_photon_lines"]:
        lines = Table(title="Main photon lines above 20 keV")
        lines.add_column("radiation")
        lines.add_column("energy (keV)", justify="right")
        lines.add_column("yield per decay", justify="right")
        for line in summary["main_photon_lines"]:
            lines.add_row(
                line["radiation"], f"{line['energy_mev'] * 1e3:.2f}", f"{line['yield']:.4g}"
            )
        out.print(lines)
    if chain:
        members = Table(title="Progeny in equilibrium")
        members.add_column("nuclide")
        members.add_column("activity per parent activity", justify="right")
        for m in summary["chain"]["members"]:
            members.add_row(m["name"], f"{m['activity_ratio']:.4f}")
        out.print(members)
        if summary["chain"]["excluded"]:
            out.print(
                "not in equilibrium (stable or longer-lived): "
                + ", ".join(summary["chain"]["excluded"])
            )


@nuclide_app.command("list")
def list_command(
    all_nuclides: bool = typer.Option(
        False, "--all", help="All 1252 ICRP-107 radionuclides instead of the clinical catalogue."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """List the clinical radionuclides (or all of ICRP-107) with their half-lives."""
    from theranostix.nuclides import Nuclide, catalogue, list_nuclides
    from theranostix.units import format_duration

    rows: list[dict[str, Any]]
    if all_nuclides:
        rows = [
            {"name": n, "half_life_s": Nuclide(n).half_life_s, "roles": [], "uses": ""}
            for n in list_nuclides(clinical_only=False)
        ]
    else:
        rows = [
            {
                "name": e.nuclide.name,
                "half_life_s": e.nuclide.half_life_s,
                "roles": [r.value for r in e.roles],
                "uses": e.uses,
            }
            for e in catalogue()
        ]
    if as_json:
        emit_json({"count": len(rows), "nuclides": rows})
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} radionuclides")
    table.add_column("nuclide")
    table.add_column("half-life", justify="right")
    if not all_nuclides:
        table.add_column("roles")
        table.add_column("uses")
    for row in rows:
        cells: list[str] = [row["name"], format_duration(row["half_life_s"], digits=5)]
        if not all_nuclides:
            cells += [", ".join(row["roles"]), row["uses"]]
        table.add_row(*cells)
    console().print(table)


def decay_command(
    name: str = typer.Argument(..., help="Radionuclide, e.g. F-18."),
    activity: str = typer.Option(
        ..., "--activity", "-a", help="Initial activity, e.g. '7.4 GBq' or '200 mCi'."
    ),
    elapsed: str | None = typer.Option(
        None, "--elapsed", "-t", help="Elapsed time, e.g. '90 min' or '6.647 d'."
    ),
    from_time: str | None = typer.Option(
        None,
        "--from",
        help="Reference datetime of --activity (ISO 8601, e.g. 2026-11-23T08:00+01:00).",
    ),
    to_time: str | None = typer.Option(
        None, "--to", help="Datetime wanted (ISO 8601); earlier than --from decay-corrects back."
    ),
    tz: str | None = typer.Option(None, "--tz", help=TZ_OPTION_HELP),
    chain: bool = typer.Option(
        False, "--chain", help="Also follow the progeny (full chain decay)."
    ),
    unit: str | None = typer.Option(
        None, "--unit", help="Print activities in this unit (e.g. mCi)."
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write a PNG of the decay curve(s) to this path."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Decay an activity over a duration, or between two datetimes."""
    from theranostix.nuclides import Nuclide, chain_decay, decay
    from theranostix.units import (
        elapsed_s,
        format_activity,
        format_duration,
        parse_activity,
        parse_duration,
    )

    nuc = Nuclide(name)
    activity_bq = parse_activity(activity)
    payload: dict[str, Any] = {"nuclide": nuc.name, "initial_activity_bq": activity_bq}
    if elapsed is not None and (from_time or to_time):
        fail("give either --elapsed or --from/--to, not both")
    if elapsed is not None:
        duration_s = parse_duration(elapsed)
    elif from_time and to_time:
        start = parse_when(from_time, "--from", tz)
        end = parse_when(to_time, "--to", tz)
        duration_s = elapsed_s(start, end)
        payload["from"] = start.isoformat()
        payload["to"] = end.isoformat()
    else:
        fail("give --elapsed DURATION, or both --from and --to datetimes")
    result = float(decay(activity_bq, nuc, duration_s))
    payload.update(
        {
            "elapsed_s": duration_s,
            "activity_bq": result,
            "decay_factor": result / activity_bq if activity_bq else float("nan"),
        }
    )
    if chain:
        if duration_s < 0:
            fail("--chain follows progeny forward in time only: the elapsed time must be >= 0")
        payload["chain_activities_bq"] = chain_decay({nuc.name: activity_bq}, duration_s)
    if plot is not None:
        from theranostix.nuclides.plots import plot_decay

        plot_decay(nuc, activity_bq, abs(duration_s) or nuc.half_life_s, path=plot, chain=chain)
        payload["plot"] = str(plot)
    if as_json:
        emit_json(payload)
        return
    out = console()
    direction = "later" if duration_s >= 0 else "earlier"
    out.print(
        f"{nuc.name}: {format_activity(activity_bq, unit)} -> "
        f"[bold]{format_activity(result, unit)}[/bold] "
        f"{format_duration(abs(duration_s))} {direction} (factor {payload['decay_factor']:.6g})"
    )
    if chain:
        for member, value in payload["chain_activities_bq"].items():
            if member != nuc.name:
                out.print(f"  {member}: {format_activity(value, unit)}")
    if plot is not None:
        out.print(f"plot written to {plot}")

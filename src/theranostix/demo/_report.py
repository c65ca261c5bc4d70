"""Computations of the demo, returned as JSON-ready dictionaries."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from theranostix.nuclides import RadiationType, equilibrium_chain, pairs
from theranostix.production import (
    DoseRequest,
    ElutionDayPlan,
    Generator,
    GeneratorModel,
    plan_elution_day,
)
from theranostix.units import (
    get_timezone,
    parse_activity,
    parse_activity_per_mass,
    parse_datetime,
    parse_duration,
)


@dataclass(frozen=True)
class DemoDay:
    """The demo day read from the package data."""

    generator: Generator
    requests: tuple[DoseRequest, ...]
    weights_kg: dict[str, float]
    labelling_yield: float
    labelling_duration_s: float
    product: str
    date: str
    protocol: dict[str, float]


def load_demo_day() -> DemoDay:
    """Read ``data/ga68_psma_day.toml`` into library objects."""
    text = (resources.files("theranostix.demo") / "data" / "ga68_psma_day.toml").read_text(
        encoding="utf-8"
    )
    data = tomllib.loads(text)
    zone = get_timezone(data["timezone"])
    gen_cfg = data["generator"]
    model = GeneratorModel.typical(gen_cfg["type"])
    model = GeneratorModel(
        model.generator_type,
        elution_efficiency=gen_cfg["elution_efficiency"],
        shelf_life_months=model.shelf_life_months,
        max_elutions=model.max_elutions,
        breakthrough_limit=model.breakthrough_limit,
        name=model.name,
    )
    generator = Generator(
        model,
        calibration_activity_bq=parse_activity(gen_cfg["calibration_activity"]),
        calibrated=parse_datetime(gen_cfg["calibrated"], "generator.calibrated"),
        elutions=[
            parse_datetime(t, "generator.previous_elutions") for t in gen_cfg["previous_elutions"]
        ],
    )
    protocol = data["protocol"]
    per_kg = parse_activity_per_mass(protocol["activity_per_mass"])
    low, high = parse_activity(protocol["minimum"]), parse_activity(protocol["maximum"])
    requests = []
    weights = {}
    for patient in data["patient"]:
        injection = parse_datetime(
            f"{data['date']}T{patient['injection']}", "patient.injection", zone
        )
        dose = min(max(per_kg * patient["weight_kg"], low), high)
        requests.append(DoseRequest(patient["id"], injection, dose))
        weights[patient["id"]] = float(patient["weight_kg"])
    return DemoDay(
        generator=generator,
        requests=tuple(requests),
        weights_kg=weights,
        labelling_yield=float(data["labelling"]["yield"]),
        labelling_duration_s=parse_duration(data["labelling"]["duration"]),
        product=data["labelling"]["product"],
        date=data["date"],
        protocol={"activity_per_mass_bq_per_kg": per_kg, "minimum_bq": low, "maximum_bq": high},
    )


def pairs_table() -> list[dict[str, Any]]:
    """Half-lives and energies per decay of the theranostic pairs."""
    rows = []
    for pair in pairs():
        for role, nuc in (("imaging", pair.imaging), ("therapy", pair.therapy)):
            chain = equilibrium_chain(nuc)
            rows.append(
                {
                    "pair": f"{pair.imaging.name}/{pair.therapy.name}",
                    "role": role,
                    "nuclide": nuc.name,
                    "half_life_s": nuc.half_life_s,
                    "positron_yield": nuc.positron_yield,
                    "beta_minus_mev": nuc.mean_energy_mev(RadiationType.BETA_MINUS),
                    "electron_mev": chain.electron_energy_mev,
                    "photon_mev": chain.photon_energy_mev,
                    "air_kerma_ugy_m2_per_mbq_h": nuc.air_kerma_rate_constant(),
                }
            )
    return rows


def _plan_dict(day: DemoDay, plan: ElutionDayPlan) -> dict[str, Any]:
    def iso(t: datetime) -> str:
        return t.isoformat(timespec="minutes")

    return {
        "batches": [
            {
                "number": b.number,
                "elution_at": iso(b.elution_at),
                "available_ga68_bq": b.available_daughter_bq,
                "eluate_bq": b.eluate_bq,
                "release_at": iso(b.release_at),
                "product_bq": b.product_bq,
                "doses": [
                    {
                        "patient": d.request.label,
                        "weight_kg": day.weights_kg[d.request.label],
                        "injection": iso(d.request.injection),
                        "activity_bq": d.request.activity_bq,
                        "remaining_after_bq": d.remaining_after_bq,
                    }
                    for d in b.doses
                ],
                "residual_bq": b.residual_bq,
            }
            for b in plan.batches
        ],
        "unserved": [r.label for r in plan.unserved],
        "served": plan.served_count,
        "elutions": len(plan.batches),
    }


def demo_report() -> dict[str, Any]:
    """The whole demo as one JSON-ready dictionary."""
    day = load_demo_day()
    plan = plan_elution_day(
        day.generator,
        day.requests,
        labelling_yield=day.labelling_yield,
        labelling_duration_s=day.labelling_duration_s,
    )
    first = day.requests[0].injection
    return {
        "theranostic_pairs": pairs_table(),
        "ga68_day": {
            "date": day.date,
            "product": day.product,
            "generator": {
                "type": day.generator.generator_type.value,
                "calibration_activity_bq": day.generator.calibration_activity_bq,
                "calibrated": day.generator.calibrated.isoformat(),
                "ge68_activity_bq_at_first_injection": day.generator.parent_activity_bq(first),
                "elution_efficiency": day.generator.model.elution_efficiency,
            },
            "labelling": {"yield": day.labelling_yield, "duration_s": day.labelling_duration_s},
            "protocol": day.protocol,
            **_plan_dict(day, plan),
        },
    }

"""Radionuclide production: cyclotron runs, generators and radiolabelling.

Main entry points
-----------------
eob_activity, saturation_yield_from_thick_target_yield, irradiation_duration_for
    The activation equation: activity at end of bombardment (EOB), and its inverse.
ProductionRoute, product_activity, plan_irradiation
    A cyclotron route (yields, current, synthesis and QC times); product activity
    at end of synthesis, release and delivery; beam time for a target at delivery.
Generator, GeneratorModel, generator_status, next_elution, simulate_elutions
    Ge-68/Ga-68 and Mo-99/Tc-99m generators: daughter on the column, expected
    eluate, best elution time, a day of elutions, age and expiry.
plan_elution_day, DoseRequest
    The elutions and labellings of a day, placed around the patients' doses.
label_product, activity_after_process
    Radiolabelling (and synthesis) with a yield and a duration.

All activities are in Bq, durations in s, currents in µA; datetimes are
timezone-aware.

Examples
--------
>>> from theranostix.production import eob_activity
>>> round(eob_activity("F-18", saturation_yield_bq_per_ua=8e9, beam_current_ua=60,
...                    duration_s=7200) / 1e9, 1)
255.0
"""

from theranostix.production._cyclotron import (
    IrradiationPlan,
    ProductActivity,
    ProductionRoute,
    eob_activity,
    irradiation_duration_for,
    plan_irradiation,
    product_activity,
    saturation_yield_from_thick_target_yield,
)
from theranostix.production._dayplan import (
    DoseRequest,
    ElutionDayPlan,
    PlannedBatch,
    PlannedDose,
    plan_elution_day,
)
from theranostix.production._generator import (
    PH_EUR_GE68_LIMIT,
    Elution,
    ElutionResult,
    ElutionTiming,
    ExpiryReference,
    Generator,
    GeneratorModel,
    GeneratorStatus,
    GeneratorType,
    daughter_ingrowth,
    elution_history,
    estimate_elution_efficiency,
    generator_status,
    next_elution,
    simulate_elutions,
    time_of_maximum_daughter_activity,
)
from theranostix.production._labelling import LabellingResult, label_product
from theranostix.production._process import YieldConvention, activity_after_process

__all__ = [
    "PH_EUR_GE68_LIMIT",
    "DoseRequest",
    "Elution",
    "ElutionDayPlan",
    "ElutionResult",
    "ElutionTiming",
    "ExpiryReference",
    "Generator",
    "GeneratorModel",
    "GeneratorStatus",
    "GeneratorType",
    "IrradiationPlan",
    "LabellingResult",
    "PlannedBatch",
    "PlannedDose",
    "ProductActivity",
    "ProductionRoute",
    "YieldConvention",
    "activity_after_process",
    "daughter_ingrowth",
    "elution_history",
    "eob_activity",
    "estimate_elution_efficiency",
    "generator_status",
    "irradiation_duration_for",
    "label_product",
    "next_elution",
    "plan_elution_day",
    "plan_irradiation",
    "product_activity",
    "saturation_yield_from_thick_target_yield",
    "simulate_elutions",
    "time_of_maximum_daughter_activity",
]

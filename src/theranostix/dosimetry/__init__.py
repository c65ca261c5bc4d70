"""Radionuclide therapy dosimetry: kinetics, absorbed dose, radiobiology and planning.

Time-activity curves and their time-integrated activity (TIA), organ and lesion
absorbed doses (MIRD schema with reference-phantom S-values, sphere model),
radiobiology (BED, EQD2) and organ-at-risk limits with a cycle planner.
Units at the boundary are those of the field: hours, MBq, MBq·h, Gy, GBq; names
carry them (``tia_mbq_h``, ``dose_gy``).

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    # _kinetics
    "MODELS": "_kinetics",
    "KineticsFit": "_kinetics",
    "ModelCandidate": "_kinetics",
    "fit_tac": "_kinetics",
    "read_tac_csv": "_kinetics",
    "single_time_point_error": "_kinetics",
    "single_time_point_tia": "_kinetics",
    # _organ
    "ORGAN_ALIASES": "_organ",
    "PHANTOMS": "_organ",
    "OrganDoseResult": "_organ",
    "SValueTable": "_organ",
    "find_organ": "_organ",
    "nonpenetrating_energy_mev": "_organ",
    "nonpenetrating_self_dose_gy": "_organ",
    "organ_dose": "_organ",
    "organ_dose_gy": "_organ",
    "phantom_masses_g": "_organ",
    "svalue_table": "_organ",
    "tabled_nuclides": "_organ",
    # _sphere
    "TISSUE_TO_AIR_MU_EN_RATIO": "_sphere",
    "SphereSValue": "_sphere",
    "photon_absorbed_fraction_sphere": "_sphere",
    "sphere_dose_gy": "_sphere",
    "sphere_model": "_sphere",
    "sphere_s_value_mgy_per_mbq_s": "_sphere",
    "electron_energy_absorbed_mev": "_sphere",
    # _electrons
    "collision_stopping_power_water": "_electrons",
    "csda_range_water_cm": "_electrons",
    "electron_absorbed_fraction_sphere": "_electrons",
    "electron_point_kernel": "_electrons",
    "transport_mean_free_path_cm": "_electrons",
    # _radiobiology
    "BedPart": "_radiobiology",
    "BedSummary": "_radiobiology",
    "EbrtCourse": "_radiobiology",
    "ExponentialDoseRate": "_radiobiology",
    "PartKind": "_radiobiology",
    "RadionuclideCycle": "_radiobiology",
    "bed_gy": "_radiobiology",
    "ebrt_bed_gy": "_radiobiology",
    "eqd2_gy": "_radiobiology",
    "g_factor_mono": "_radiobiology",
    "g_factor_uptake_washout": "_radiobiology",
    "lea_catcheside_factor": "_radiobiology",
    "total_bed": "_radiobiology",
    # _limits
    "ActivityBound": "_limits",
    "Basis": "_limits",
    "Confidence": "_limits",
    "CyclePlan": "_limits",
    "LimitFinding": "_limits",
    "LimitQuantity": "_limits",
    "LimitScope": "_limits",
    "LimitSet": "_limits",
    "LimitSource": "_limits",
    "OrganLimit": "_limits",
    "OrganRadiobiology": "_limits",
    "RiskGroup": "_limits",
    "TherapyCycle": "_limits",
    "check_limits": "_limits",
    "load_limits": "_limits",
    "plan_next_cycle": "_limits",
    # _voxel
    "DoseVolumeStatistics": "_voxel",
    "dose_volume_statistics": "_voxel",
    "has_vsv": "_voxel",
    "local_deposition_dose_gy": "_voxel",
    "rescaled_kernel": "_voxel",
    "tabled_vsv": "_voxel",
    "voxel_dose_gy": "_voxel",
    "voxel_tia_mono_exponential": "_voxel",
    "voxel_tia_scaled": "_voxel",
    "vsv_kernel": "_voxel",
    # _marrow
    "RedMarrowDose": "_marrow",
    "blood_tia_mbq_h_per_ml": "_marrow",
    "red_marrow_dose_blood_gy": "_marrow",
    "red_marrow_dose_image_gy": "_marrow",
    # _alpha
    "AlphaDose": "_alpha",
    "EnergyBudget": "_alpha",
    "alpha_dose": "_alpha",
    "alpha_energy_per_decay": "_alpha",
    # _plots
    "dvh_figure": "_plots",
    "tac_figure": "_plots",
    "write_dvh_png": "_plots",
    "write_tac_png": "_plots",
    # _workflow
    "DosimetryResult": "_workflow",
    "TimePoint": "_workflow",
    "VoiDosimetry": "_workflow",
    "density_from_hu": "_workflow",
    "load_study": "_workflow",
    "run_dosimetry": "_workflow",
    "write_dosimetry_outputs": "_workflow",
    # _registration
    "Registration": "_registration",
    "propagate_mask": "_registration",
    "register_ct": "_registration",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

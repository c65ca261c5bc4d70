"""The image-based dosimetry workflow: time points to organ, lesion and voxel doses.

Steps (MIRD Pamphlet No. 26 [1]_; EANM guidance for 177Lu dosimetry [2]_):

1. **Time points**: quantitative SPECT (activity concentration, Bq/mL) with its CT at
   each time after administration; the time comes from the DICOM acquisition and
   administration times.
2. **VOIs** drawn on the reference time point (RTSTRUCT, SEG or NIfTI) are carried to
   the others by CT-to-CT registration (:mod:`theranostix.dosimetry._registration`);
   every SPECT is also resampled onto the reference grid through the same transform.
3. **Time-activity curves** per VOI (activity in MBq = sum of concentration x voxel
   volume), fitted by :func:`theranostix.dosimetry._kinetics.fit_tac` (AICc).
4. **Organ doses** by the MIRD schema with the reference-phantom S-values and the
   VOI's mass (CT density or 1.04 g/mL), the salivary glands as one source (parotid
   plus submandibular); **lesions** (VOIs named ``lesion*``) by the sphere model.
5. **Voxel doses**: a mono-exponential in every voxel of the registered SPECTs, the
   voxel S-value convolution, and DVH statistics per VOI.

Partial volume is not corrected: VOI activities of small organs read low with a
SPECT resolution of 1 cm or more, which the result notes say.

References
----------
.. [1] Ljungberg M, Celler A, Konijnenberg MW, et al. MIRD Pamphlet No. 26: joint
   EANM/MIRD guidelines for quantitative 177Lu SPECT applied for dosimetry of
   radiopharmaceutical therapy. J Nucl Med 2016;57(1):151-162.
   doi:10.2967/jnumed.115.159012
.. [2] Sjögreen Gleisner K, Chouin N, Gabina PM, et al. EANM dosimetry committee
   recommendations for dosimetry of 177Lu-labelled somatostatin-receptor- and
   PSMA-targeting ligands. Eur J Nucl Med Mol Imaging 2022;49(6):1778-1809.
   doi:10.1007/s00259-022-05727-7
.. [3] Schneider U, Pedroni E, Lomax A. The calibration of CT Hounsfield units for
   radiotherapy treatment planning. Phys Med Biol 1996;41(1):111-124.
   doi:10.1088/0031-9155/41/1/009
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from theranostix.errors import ThxError
from theranostix.imaging._volume import ImageUnit, Mask, Volume

__all__ = [
    "DosimetryResult",
    "TimePoint",
    "VoiDosimetry",
    "density_from_hu",
    "load_study",
    "run_dosimetry",
    "write_dosimetry_outputs",
]

#: Density assumed for a VOI without CT (ICRU soft tissue), g/mL.
SOFT_TISSUE_G_ML = 1.04
# VOI names joined into one S-value source organ
_COMBINED = {"parotid_glands": "salivary_glands", "submandibular_glands": "salivary_glands"}


@dataclass(frozen=True)
class TimePoint:
    """One imaging time point: SPECT activity concentration (Bq/mL) and its CT."""

    time_h: float
    spect: Volume
    ct: Volume | None = None
    source: str = ""


@dataclass(frozen=True)
class VoiDosimetry:
    """Kinetics and doses of one VOI.

    Attributes
    ----------
    name, kind : str
        VOI name; ``organ`` (an S-value source), ``lesion`` or ``region``.
    volume_ml, mass_g : float
    time_h, activity_mbq : tuple of float
        The time-activity curve.
    fit : KineticsFit
    dose_gy : float or None
        S-value (organ) or sphere-model (lesion) mean absorbed dose.
    voxel : DoseVolumeStatistics or None
        Statistics of the voxel dose map inside the VOI.
    """

    name: str
    kind: str
    volume_ml: float
    mass_g: float
    time_h: tuple[float, ...]
    activity_mbq: tuple[float, ...]
    fit: Any
    dose_gy: float | None
    voxel: Any

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            "name": self.name,
            "kind": self.kind,
            "volume_ml": self.volume_ml,
            "mass_g": self.mass_g,
            "tac": {"time_h": list(self.time_h), "activity_mbq": list(self.activity_mbq)},
            "fit": self.fit.as_dict(),
            "tia_mbq_h": self.fit.tia_mbq_h,
            "tia_uncertainty_mbq_h": self.fit.tia_uncertainty_mbq_h,
            "dose_gy": self.dose_gy,
            "voxel_dose": None if self.voxel is None else self.voxel.as_dict(),
        }


@dataclass(frozen=True)
class DosimetryResult:
    """Everything the workflow computed (see :func:`run_dosimetry`)."""

    nuclide: str
    phantom: str
    time_h: tuple[float, ...]
    vois: tuple[VoiDosimetry, ...]
    organ_doses: Any  # OrganDoseResult
    dose_map: Volume | None
    tia_map: Volume | None
    registrations: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = field(default=())

    def voi(self, name: str) -> VoiDosimetry:
        """The VOI called ``name``."""
        for voi in self.vois:
            if voi.name == name:
                return voi
        raise ThxError(f"no VOI {name!r}; VOIs: {', '.join(v.name for v in self.vois)}")

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (without the maps)."""
        return {
            "nuclide": self.nuclide,
            "phantom": self.phantom,
            "time_h": list(self.time_h),
            "vois": [v.as_dict() for v in self.vois],
            "organ_doses": None if self.organ_doses is None else self.organ_doses.as_dict(),
            "registrations": list(self.registrations),
            "notes": list(self.notes),
        }


def density_from_hu(hu: np.ndarray) -> np.ndarray:
    """Mass density (g/cm³) from CT numbers, a bilinear calibration after [3]_.

    ``rho = 1 + HU/1000`` up to 0 HU (air 0, water 1) and ``rho = 1 + 0.00058 HU``
    above (bone of 1000 HU at 1.58 g/cm³), clipped at 0.001.

    Examples
    --------
    >>> density_from_hu(np.array([-1000.0, 0.0, 40.0, 1000.0])).round(3).tolist()
    [0.001, 1.0, 1.023, 1.58]
    """
    hu = np.asarray(hu, dtype=np.float64)
    rho = np.where(hu <= 0, 1.0 + hu / 1000.0, 1.0 + 0.00058 * hu)
    return np.asarray(np.maximum(rho, 0.001))


def _hours(spect: Volume, source: str) -> float:
    start = spect.timing.acquisition_start
    injection = spect.radiopharmaceutical.injection_time
    if start is None or injection is None:
        raise ThxError(
            f"{source}: no acquisition or administration time in the DICOM "
            "(AcquisitionDateTime, RadiopharmaceuticalStartDateTime); give time_h"
        )
    return (start - injection).total_seconds() / 3600.0


def _read(path: Path) -> Volume:
    from theranostix.imaging._dicom_read import read_image

    return read_image(path)


def load_study(path: str | Path) -> tuple[list[TimePoint], dict[str, Mask], dict[str, Any]]:
    """Time points, VOIs and options from a study folder or a TOML file.

    A folder in the layout of :func:`theranostix.phantoms.write_patient`
    (``spect/<h>h/nm``, ``spect/<h>h/ct``, ``organs_seg.dcm`` or ``organs.dcm``) is
    read as it is. A TOML file (``schema = 1``) lists them::

        schema = 1
        nuclide = "Lu-177"
        phantom = "adult-male"          # or adult-female
        masks = "organs_seg.dcm"        # VOIs on the reference time point's grid
        reference = 0                   # index of that time point (after sorting)
        register = true                 # CT-to-CT registration of the time points
        deformable = false
        [[timepoint]]
        spect = "spect/4h/nm"
        ct = "spect/4h/ct"
        # time_h = 4.0                  # else from the DICOM times

    Paths are relative to the TOML file. Errors name the file and the field.
    """
    p = Path(path)
    if p.is_dir():
        folders = sorted(
            (d for d in (p / "spect").glob("*h") if (d / "nm").is_dir()),
            key=lambda d: float(re.sub(r"h$", "", d.name) or "nan"),
        )
        if not folders:
            raise ThxError(f"{p}: no spect/<h>h/nm folders (and not a TOML study file)")
        masks_file = next(
            (p / n for n in ("organs_seg.dcm", "organs.dcm") if (p / n).is_file()), None
        )
        if masks_file is None:
            raise ThxError(f"{p}: no organs_seg.dcm or organs.dcm with the VOIs")
        entries: list[dict[str, Any]] = [
            {"spect": d / "nm", "ct": d / "ct" if (d / "ct").is_dir() else None} for d in folders
        ]
        options: dict[str, Any] = {"masks": masks_file}
        base = p
    elif p.is_file():
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ThxError(f"{p}: not valid TOML: {exc}") from None
        if data.get("schema") != 1:
            raise ThxError(f"{p}: schema: expected 1, got {data.get('schema')!r}")
        raw = data.get("timepoint")
        if not isinstance(raw, list) or not raw:
            raise ThxError(f"{p}: timepoint: at least one [[timepoint]] table is required")
        base = p.parent
        entries = []
        for n, item in enumerate(raw):
            if not isinstance(item, dict) or "spect" not in item:
                raise ThxError(f"{p}: timepoint[{n}].spect: a SPECT path is required")
            entries.append({
                "spect": base / str(item["spect"]),
                "ct": base / str(item["ct"]) if item.get("ct") else None,
                "time_h": item.get("time_h"),
            })  # fmt: skip
        if "masks" not in data:
            raise ThxError(f"{p}: masks: the VOI file (RTSTRUCT, SEG or NIfTI) is required")
        options = {k: data[k] for k in ("nuclide", "phantom", "reference", "register",
                                        "deformable") if k in data}  # fmt: skip
        options["masks"] = base / str(data["masks"])
    else:
        raise ThxError(f"{p}: no such study folder or file")
    timepoints = []
    for entry in entries:
        spect = _read(entry["spect"])
        given = entry.get("time_h")
        time_h = float(given) if given is not None else _hours(spect, str(entry["spect"]))
        ct = _read(entry["ct"]) if entry["ct"] is not None else None
        timepoints.append(TimePoint(time_h, spect, ct, str(entry["spect"])))
    timepoints.sort(key=lambda tp: tp.time_h)
    reference = int(options.get("reference", 0))
    if not 0 <= reference < len(timepoints):
        raise ThxError(f"reference: {reference} is not a time point index 0..{len(timepoints) - 1}")
    from theranostix.imaging import load_masks

    masks = load_masks(options["masks"], timepoints[reference].spect.geometry)
    masks.pop("body", None)  # the body outline is not a VOI
    if not options.get("nuclide") and timepoints[0].spect.radiopharmaceutical.nuclide is not None:
        options["nuclide"] = timepoints[0].spect.radiopharmaceutical.nuclide.name
    return timepoints, masks, options


def _aligned(
    timepoints: Sequence[TimePoint], reference: int, register: bool, deformable: bool
) -> tuple[list[Volume], list[dict[str, Any]], list[str]]:
    """Every SPECT on the reference grid (through the CT registration when asked)."""
    from theranostix.imaging import resample_volume

    ref = timepoints[reference]
    out: list[Volume] = []
    records: list[dict[str, Any]] = []
    notes: list[str] = []
    for n, tp in enumerate(timepoints):
        if n == reference:
            out.append(tp.spect)
            records.append({"time_h": tp.time_h, "reference": True})
            continue
        if register and tp.ct is not None and ref.ct is not None:
            import SimpleITK

            from theranostix.dosimetry._registration import register_ct
            from theranostix.imaging._sitk import from_sitk, to_sitk

            reg = register_ct(ref.ct, tp.ct, deformable=deformable)
            sitk: Any = SimpleITK
            moved = sitk.Resample(to_sitk(tp.spect), to_sitk(ref.spect), reg.transform,
                                  sitk.sitkLinear, 0.0)  # fmt: skip
            out.append(from_sitk(moved, unit=ImageUnit.BQ_PER_ML).with_array(
                sitk.GetArrayFromImage(moved)))  # fmt: skip
            records.append({"time_h": tp.time_h, "translation_mm": list(reg.translation_mm),
                            "metric": reg.metric, "deformable": reg.deformable})  # fmt: skip
        else:
            if register:
                notes.append(f"time point {tp.time_h:g} h: no CT pair, not registered")
            out.append(resample_volume(tp.spect, ref.spect.geometry))
            records.append({"time_h": tp.time_h, "registered": False})
    return out, records, notes


def run_dosimetry(
    timepoints: Sequence[TimePoint],
    masks: Mapping[str, Mask],
    *,
    nuclide: str = "Lu-177",
    phantom: str = "adult-male",
    reference: int = 0,
    register: bool = True,
    deformable: bool = False,
    voxel: bool = True,
) -> DosimetryResult:
    """Organ, lesion and voxel dosimetry of multi-time-point quantitative SPECT/CT.

    Parameters
    ----------
    timepoints : sequence of TimePoint
        At least two, SPECT in Bq/mL (any order).
    masks : mapping of str to Mask
        VOIs on the reference time point's SPECT grid.
    nuclide, phantom : str
        Radionuclide; reference phantom of the S-values (``adult-male`` or
        ``adult-female``).
    reference : int
        Index (in time order) of the time point the VOIs are on.
    register, deformable : bool
        CT-to-CT registration of every time point onto the reference.
    voxel : bool
        Also compute the voxel dose map and the DVHs.

    Returns
    -------
    DosimetryResult
    """
    from theranostix.dosimetry._kinetics import fit_tac
    from theranostix.dosimetry._organ import find_organ, organ_dose_gy
    from theranostix.dosimetry._sphere import sphere_dose_gy
    from theranostix.dosimetry._voxel import (
        dose_volume_statistics,
        has_vsv,
        local_deposition_dose_gy,
        voxel_dose_gy,
        voxel_tia_mono_exponential,
    )
    from theranostix.nuclides import Nuclide

    if len(timepoints) < 2:
        raise ThxError("dosimetry needs at least two time points")
    ordered = sorted(timepoints, key=lambda tp: tp.time_h)
    for tp in ordered:
        if tp.spect.unit not in (ImageUnit.BQ_PER_ML, ImageUnit.UNKNOWN):
            raise ThxError(
                f"{tp.source or tp.time_h}: SPECT must be in Bq/mL, got {tp.spect.unit.value}"
            )
    if not masks:
        raise ThxError("no VOI given")
    grid = ordered[reference].spect.geometry
    for name, mask in masks.items():
        grid.require_same_grid(mask.geometry, f"VOI {name!r}")
    maps, records, notes = _aligned(ordered, reference, register, deformable)
    times = np.array([tp.time_h for tp in ordered])
    voxel_ml = float(np.prod(grid.spacing_mm)) * 1e-3
    ref_ct = ordered[reference].ct
    density = None
    if ref_ct is not None:
        from theranostix.imaging import resample_volume

        ct_on_grid = (
            resample_volume(ref_ct, grid) if not ref_ct.geometry.same_grid(grid) else ref_ct
        )
        density = density_from_hu(np.asarray(ct_on_grid.array))
    vois: list[dict[str, Any]] = []
    sources: dict[str, float] = {}
    masses: dict[str, float] = {}
    for name, mask in masks.items():
        inside = mask.array
        volume_ml = float(inside.sum()) * voxel_ml
        mass_g = (float(density[inside].sum()) * voxel_ml if density is not None
                  else volume_ml * SOFT_TISSUE_G_ML)  # fmt: skip
        curve = np.array([float(np.asarray(m.array)[inside].sum()) * voxel_ml * 1e-6 for m in maps])
        fit = fit_tac(times, np.maximum(curve, 0.0), nuclide=nuclide)
        kind = "region"
        key = _COMBINED.get(name, name)
        if name.lower().startswith("lesion"):
            kind = "lesion"
        else:
            try:
                key = find_organ(key)
                kind = "organ"
            except ThxError:
                notes.append(f"VOI {name!r} is not an S-value organ: no organ dose")
        if kind == "organ":
            sources[key] = sources.get(key, 0.0) + fit.tia_mbq_h
            masses[key] = masses.get(key, 0.0) + mass_g
        vois.append({"name": name, "kind": kind, "key": key, "volume_ml": volume_ml,
                     "mass_g": mass_g, "curve": curve, "fit": fit})  # fmt: skip
    organ = (
        organ_dose_gy(sources, nuclide=nuclide, phantom=phantom, masses_g=masses)
        if sources
        else None
    )
    dose_map = tia_map = None
    if voxel:
        half_life_h = Nuclide(nuclide).half_life_s / 3600.0
        stack = [
            m.with_array(np.asarray(m.array, dtype=np.float64) * voxel_ml * 1e-6) for m in maps
        ]
        tia_map = voxel_tia_mono_exponential(
            stack, times.tolist(), physical_half_life_h=half_life_h
        )
        dens = None if density is None else Volume(density, grid)
        if has_vsv(nuclide):
            dose_map = voxel_dose_gy(tia_map, nuclide, density_g_cm3=dens)
        else:  # no kernel (e.g. alpha emitters): the particles' energy stays in the voxel
            from theranostix.dosimetry._organ import nonpenetrating_energy_mev

            energy = nonpenetrating_energy_mev(nuclide)
            dose_map = local_deposition_dose_gy(
                tia_map, energy, density_g_cm3=dens if dens is not None else SOFT_TISSUE_G_ML
            )
            notes.append(
                f"no voxel S-values for {nuclide}: voxel doses by local deposition of the "
                f"electron and alpha energy ({energy:.3f} MeV per decay), photons left out"
            )
    out: list[VoiDosimetry] = []
    for item in vois:
        if item["kind"] == "organ" and organ is not None:
            # contents of a hollow organ (bladder, stomach...): the dose to its wall
            target = item["key"].replace("_contents", "_wall")
            dose = float(organ.dose_gy.get(target, math.nan))
        elif item["kind"] == "lesion":
            dose = sphere_dose_gy(nuclide, item["fit"].tia_mbq_h, max(item["volume_ml"], 1e-6))
        else:
            dose = None
        stats = (dose_volume_statistics(dose_map, masks[item["name"]])
                 if dose_map is not None else None)  # fmt: skip
        out.append(VoiDosimetry(item["name"], item["kind"], item["volume_ml"], item["mass_g"],
                                tuple(float(t) for t in times),
                                tuple(float(a) for a in item["curve"]), item["fit"], dose,
                                stats))  # fmt: skip
    notes.append("VOI activities are not corrected for partial volume")
    return DosimetryResult(nuclide, phantom, tuple(float(t) for t in times), tuple(out), organ,
                           dose_map, tia_map, tuple(records), tuple(notes))  # fmt: skip


def write_dosimetry_outputs(
    result: DosimetryResult, out_dir: str | Path, *, reference: Volume | None = None
) -> dict[str, Path]:
    """Write ``results.json``, ``dose.nii.gz``, ``dose_rtdose.dcm``, ``tac.png``, ``dvh.png``.

    Each file goes to a temporary name beside its final one and is renamed when
    complete, so an existing output is never half-written.
    """
    import json

    from theranostix._files import atomic_write, atomic_write_text
    from theranostix._json import to_plain
    from theranostix.dosimetry._plots import write_dvh_png, write_tac_png
    from theranostix.imaging import write_nifti
    from theranostix.imaging._rtdose import write_rtdose

    out = Path(out_dir)
    written: dict[str, Path] = {}
    written["json"] = atomic_write_text(
        out / "results.json", json.dumps(to_plain(result.as_dict()), indent=2) + "\n"
    )
    curves = {v.name: (np.array(v.time_h), np.array(v.activity_mbq), v.fit) for v in result.vois}
    written["tac_png"] = write_tac_png(out / "tac.png", curves)
    if result.dose_map is not None:
        dose = result.dose_map
        written["nifti"] = atomic_write(out / "dose.nii.gz", lambda p: write_nifti(dose, p))
        written["rtdose"] = write_rtdose(dose, out / "dose_rtdose.dcm", reference=reference)
        dvhs = {v.name: v.voxel for v in result.vois if v.voxel is not None}
        written["dvh_png"] = write_dvh_png(out / "dvh.png", dvhs)
    return written

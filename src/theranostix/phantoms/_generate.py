"""Seeded synthetic patients: CT, PET and Lu-177 SPECT with known ground truth.

A patient is built in four steps, each deterministic for a seed (NumPy
``Generator`` streams derived from it with :class:`numpy.random.SeedSequence`):

1. anatomy (:mod:`._anatomy`) and lesions placed inside their host region without
   overlap;
2. the true SUV map: the table SUV of every region (``data/tracers.toml``) and the
   lesion SUVs, uniform per region;
3. PET in Bq/mL at the acquisition start,
   ``C = SUV · A_inj · exp(−λ·t_uptake) / (1000 · weight_kg)`` (body-weight SUV with
   1 g = 1 mL, Boellaard R et al., EJNMMI 2015;42:328-354,
   doi:10.1007/s00259-014-2961-x), blurred by a Gaussian PSF
   (σ = FWHM / (2·√(2·ln 2))) and made noisy by Poisson sampling of the expected
   counts ``C · V_voxel · sensitivity · duration``;
4. Lu-177 SPECT at chosen times: per-region bi-exponential kinetics
   (:class:`~._tables.RegionKinetics`), uniform concentration ``A(t) / V_region``,
   Gaussian PSF and Poisson noise as for PET.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.imaging._volume import (
    DecayCorrection,
    Geometry,
    ImageUnit,
    Mask,
    Modality,
    PatientInfo,
    Radiopharmaceutical,
    Sex,
    Timing,
    Volume,
)
from theranostix.phantoms._anatomy import (
    HU,
    LABELS,
    LESION_LABEL_START,
    LYMPH_NODE_STATIONS,
    ORGANS,
    TISSUE_DENSITY_G_PER_ML,
    Anatomy,
    build_anatomy,
    coordinates,
    phantom_geometry,
)
from theranostix.phantoms._tables import (
    LesionSite,
    LutetiumTable,
    RegionKinetics,
    Tracer,
    lutetium_table,
    pet_table,
)

__all__ = [
    "DEFAULT_LUTETIUM_TIMEPOINTS_H",
    "Lesion",
    "LesionSpec",
    "ScanSettings",
    "SyntheticPatient",
    "make_patient",
    "write_patient",
]

#: SPECT/CT time points after the Lu-177 administration (hours), a common dosimetry schedule.
DEFAULT_LUTETIUM_TIMEPOINTS_H: tuple[float, ...] = (4.0, 24.0, 96.0, 168.0)

#: FWHM = 2·√(2·ln 2)·σ of a Gaussian.
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))

_DEFAULT_TZ = timezone(timedelta(hours=1))
_DEFAULT_PET_INJECTION = datetime(2026, 1, 12, 9, 0, tzinfo=_DEFAULT_TZ)
_DEFAULT_THERAPY_INJECTION = datetime(2026, 2, 2, 10, 0, tzinfo=_DEFAULT_TZ)
_LIVER_REFERENCE_CENTRE_MM = (-100.0, 0.0, -80.0)
_LIVER_REFERENCE_DIAMETER_MM = 30.0

#: Lesion sites cycled through for ``lesions=N``, by tracer (most frequent first).
_SITE_ORDER: dict[Tracer, tuple[LesionSite, ...]] = {
    Tracer.FDG: (LesionSite.LIVER, LesionSite.LYMPH_NODE, LesionSite.BONE),
    Tracer.PSMA: (LesionSite.BONE, LesionSite.LYMPH_NODE, LesionSite.LIVER),
    Tracer.SSTR: (LesionSite.LIVER, LesionSite.BONE, LesionSite.LYMPH_NODE),
}
#: Diameter ranges (mm) of random lesions by site (modelling choice).
_DIAMETER_RANGE_MM: dict[LesionSite, tuple[float, float]] = {
    LesionSite.LIVER: (15.0, 40.0),
    LesionSite.BONE: (12.0, 26.0),
    LesionSite.LYMPH_NODE: (10.0, 24.0),
}


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class LesionSpec:
    """A lesion to place.

    Parameters
    ----------
    site : LesionSite or str
        ``"liver"``, ``"bone"`` (vertebral/pelvic/femoral marrow) or ``"lymph_node"``.
    diameter_mm : float
        Sphere diameter.
    suv : float, optional
        PET uptake (body-weight SUV); the tracer's table value for the site by default.
    center_mm : tuple of float, optional
        LPS centre; a random free position in the site by default.
    """

    site: LesionSite | str
    diameter_mm: float
    suv: float | None = None
    center_mm: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", LesionSite.parse(self.site))
        if not self.diameter_mm > 0:
            raise ThxError(f"lesion diameter must be positive, got {self.diameter_mm} mm")
        if self.suv is not None and not self.suv > 0:
            raise ThxError(f"lesion SUV must be positive, got {self.suv}")


@dataclass(frozen=True)
class ScanSettings:
    """Resolution and noise of a simulated emission scan.

    Attributes
    ----------
    psf_fwhm_mm : float or None
        FWHM of the isotropic Gaussian point-spread function; ``None``: no blur.
    noise : bool
        Poisson noise on the expected counts.
    counts_per_bq_s : float
        Effective detected counts per decay in a voxel (sensitivity after
        reconstruction): sets the noise level, not a scanner specification.
    frame_duration_s : float
        Acquisition time per bed position (counts are computed for it).
    """

    psf_fwhm_mm: float | None = 6.0
    noise: bool = True
    counts_per_bq_s: float = 1e-3
    frame_duration_s: float = 180.0

    def __post_init__(self) -> None:
        if self.psf_fwhm_mm is not None and not self.psf_fwhm_mm > 0:
            raise ThxError(f"psf_fwhm_mm must be positive or None, got {self.psf_fwhm_mm}")
        if not (self.counts_per_bq_s > 0 and self.frame_duration_s > 0):
            raise ThxError("counts_per_bq_s and frame_duration_s must be positive")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class Lesion:
    """A placed lesion.

    Attributes
    ----------
    name : str
        ``lesion_<n>``, 1-based.
    site : LesionSite
    center_mm : tuple of float
        LPS centre of the sphere.
    diameter_mm : float
    suv : float
        True (uniform) SUV.
    mask : Mask
        Voxels whose volume is at least half inside the sphere (4×4×4 sub-samples).
    """

    name: str
    site: LesionSite
    center_mm: tuple[float, float, float]
    diameter_mm: float
    suv: float
    mask: Mask

    @property
    def volume_ml(self) -> float:
        """Volume of the voxelised lesion (voxel count × voxel volume)."""
        return self.mask.volume_ml

    @property
    def analytic_volume_ml(self) -> float:
        """Volume of the sphere, π·d³/6 (mL)."""
        return math.pi * self.diameter_mm**3 / 6.0 / 1000.0


@dataclass(frozen=True, eq=False)
class SyntheticPatient:
    """A synthetic patient with its images and the ground truth behind them.

    Build one with :func:`make_patient`; write it with :func:`write_patient`.

    Attributes
    ----------
    tracer : Tracer
    seed : int
    geometry : Geometry
        Common grid of CT, PET and SPECT.
    labels : ndarray of int16
        Region label per voxel (``LABELS`` of the anatomy, lesions from 101).
    label_names : dict
        Label -> region name.
    lesions : tuple of Lesion
    patient : PatientInfo
    ct : Volume
        CT in HU.
    suv_true : Volume
        Noiseless, unblurred SUV map (the PET ground truth).
    pet_noiseless : Volume
        PET in Bq/mL at the acquisition start, blurred, without noise.
    pet : Volume
        PET in Bq/mL as written: blurred and noisy (per the settings).
    pet_settings, spect_settings : ScanSettings
    therapy_injection_time : datetime
        Administration of the Lu-177 therapy (SPECT times are counted from it).
    liver_reference_center_mm : tuple of float
        Centre of the lesion-free 3 cm PERCIST reference sphere in the right liver lobe.
    """

    tracer: Tracer
    seed: int
    geometry: Geometry
    labels: npt.NDArray[np.int16]
    label_names: dict[int, str]
    lesions: tuple[Lesion, ...]
    patient: PatientInfo
    ct: Volume
    suv_true: Volume
    pet_noiseless: Volume
    pet: Volume
    pet_settings: ScanSettings
    spect_settings: ScanSettings
    therapy_injection_time: datetime
    liver_reference_center_mm: tuple[float, float, float] = _LIVER_REFERENCE_CENTRE_MM
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- regions

    def region_mask(self, name: str) -> Mask:
        """Mask of a region (organ, tissue, ``body`` or lesion name)."""
        if name == "body":
            return Mask(self.labels > 0, self.geometry, "body")
        for label, region in self.label_names.items():
            if region == name:
                return Mask(self.labels == label, self.geometry, name)
        raise ThxError(f"no region {name!r}; regions: {', '.join(self.regions)}, body")

    @property
    def regions(self) -> tuple[str, ...]:
        """Names of the labelled regions present (tissues, organs, lesions)."""
        present = np.unique(self.labels)
        return tuple(self.label_names[int(v)] for v in present if int(v) in self.label_names)

    def organ_masks(self, *, include_body: bool = True) -> dict[str, Mask]:
        """Masks of the organs of :data:`ORGANS` (and ``body``), by name."""
        names = (("body",) if include_body else ()) + ORGANS
        return {name: self.region_mask(name) for name in names}

    def liver_reference_mask(self, diameter_mm: float = _LIVER_REFERENCE_DIAMETER_MM) -> Mask:
        """Voxels of the liver within the PERCIST reference sphere (3 cm, right lobe).

        PERCIST (Wahl RL et al., J Nucl Med 2009;50 Suppl 1:122S-150S,
        doi:10.2967/jnumed.108.057307) measures the normal-liver reference in a 3 cm
        diameter sphere in the right lobe; no lesion is placed there.
        """
        x, y, z = coordinates(self.geometry)
        cx, cy, cz = self.liver_reference_center_mm
        inside = (x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= (diameter_mm / 2.0) ** 2
        return Mask(inside & (self.labels == LABELS["liver"]), self.geometry, "liver_reference")

    def region_volume_ml(self, name: str) -> float:
        """Volume of a region in mL."""
        return self.region_mask(name).volume_ml

    def region_mass_g(self, name: str) -> float:
        """Mass of a region: volume × density (ICRP 110 densities, see ``_anatomy``)."""
        density = TISSUE_DENSITY_G_PER_ML["lesion" if name.startswith("lesion") else name]
        return self.region_volume_ml(name) * density

    # ---------------------------------------------------------------- Lu-177

    @property
    def therapy(self) -> LutetiumTable:
        """The Lu-177 therapy of this tracer (PSMA-617 or DOTATATE); error for FDG."""
        return lutetium_table(self.tracer)

    def kinetics(self) -> dict[str, RegionKinetics]:
        """Kinetics of every region present (tissues, organs and lesions)."""
        table = self.therapy
        out: dict[str, RegionKinetics] = {}
        for name in self.regions:
            if name in table.regions:
                out[name] = table.regions[name]
        for lesion in self.lesions:
            out[lesion.name] = table.lesion_kinetics(lesion.volume_ml, lesion.suv)
        return out

    def activity_bq(self, region: str, time_h: float) -> float:
        """Lu-177 activity in ``region`` at ``time_h`` hours after administration."""
        return self.therapy.injected_activity_bq * self.kinetics()[region].fraction_at(time_h)

    def tia_mbq_h(self, region: str) -> float:
        """Time-integrated activity of ``region`` (MBq·h), the analytic integral of the model."""
        return self.therapy.injected_activity_bq / 1e6 * self.kinetics()[region].integral_h()

    def spect_true(self, time_h: float) -> npt.NDArray[np.float64]:
        """Noiseless, unblurred Lu-177 activity concentration (Bq/mL) at ``time_h``."""
        out = np.zeros(self.geometry.shape)
        voxel_ml = self.geometry.voxel_volume_ml
        for name, kinetics in self.kinetics().items():
            mask = self.region_mask(name).array
            count = int(mask.sum())
            if count:
                activity = self.therapy.injected_activity_bq * kinetics.fraction_at(time_h)
                out[mask] = activity / (count * voxel_ml)
        return out

    def spect(self, time_h: float, *, psf: bool = True, noise: bool = True) -> Volume:
        """Lu-177 SPECT reconstruction (Bq/mL) at ``time_h`` hours after administration.

        Blurred by ``spect_settings.psf_fwhm_mm`` and made noisy when the settings and
        ``psf`` / ``noise`` allow; deterministic for the patient's seed and the time.
        Values refer to the acquisition start (Decay Correction ``START``).
        """
        if not time_h > 0:
            raise ThxError(f"SPECT time must be after the administration, got {time_h} h")
        settings = self.spect_settings
        values = self.spect_true(time_h)
        if psf and settings.psf_fwhm_mm is not None:
            values = _blur(values, self.geometry, settings.psf_fwhm_mm)
        if noise and settings.noise:
            rng = np.random.default_rng([self.seed, 2, round(time_h * 1000)])
            values = _poisson(values, self.geometry, settings, rng)
        start = self.therapy_injection_time + timedelta(hours=time_h)
        return Volume(
            values,
            self.geometry,
            ImageUnit.BQ_PER_ML,
            Modality.NM,
            patient=self.patient,
            radiopharmaceutical=_radiopharmaceutical(
                "Lu-177",
                self.therapy.radiopharmaceutical,
                self.therapy.injected_activity_bq,
                self.therapy_injection_time,
            ),
            timing=Timing(
                acquisition_start=start,
                frame_duration_s=settings.frame_duration_s,
                decay_correction=DecayCorrection.START,
                decay_reference_time=start,
            ),
            metadata={"series_description": f"Lu-177 SPECT {time_h:g} h"},
        )

    # ---------------------------------------------------------------- ground truth

    def ground_truth(self, lutetium_timepoints_h: Sequence[float] = ()) -> dict[str, Any]:
        """The ground truth as JSON-ready data (what ``ground_truth.json`` holds)."""
        rp = self.pet.radiopharmaceutical
        table = pet_table(self.tracer)
        suv_psf = self.pet_noiseless.array * _suv_factor(self.pet)
        lesions = []
        for lesion in self.lesions:
            inside = lesion.mask.array
            entry: dict[str, Any] = {
                "name": lesion.name,
                "site": lesion.site.value,
                "center_mm": [round(v, 3) for v in lesion.center_mm],
                "diameter_mm": lesion.diameter_mm,
                "volume_ml": lesion.volume_ml,
                "analytic_volume_ml": lesion.analytic_volume_ml,
                "voxel_count": lesion.mask.voxel_count,
                "suv_max": lesion.suv,
                "suv_mean": lesion.suv,
                "suv_max_psf": float(suv_psf[inside].max()) if inside.any() else None,
                "suv_mean_psf": float(suv_psf[inside].mean()) if inside.any() else None,
            }
            lesions.append(entry)
        pet_regions = [
            {
                "name": name,
                "suv_mean": table.suv[_suv_region(name)],
                "volume_ml": self.region_volume_ml(name),
            }
            for name in self.regions
            if not name.startswith("lesion")
        ]
        out: dict[str, Any] = {
            "generator": "theranostix.phantoms",
            "tracer": self.tracer.value,
            "seed": self.seed,
            "patient": {
                "weight_kg": self.patient.weight_kg,
                "height_m": self.patient.height_m,
                "sex": self.patient.sex.value if self.patient.sex else None,
                "patient_id": self.patient.patient_id,
            },
            "grid": {
                "shape_kji": list(self.geometry.shape),
                "spacing_mm": list(self.geometry.spacing_mm),
                "origin_mm": list(self.geometry.origin_mm),
            },
            "pet": {
                "radiopharmaceutical": rp.name,
                "nuclide": rp.nuclide.name if rp.nuclide else None,
                "injected_activity_bq": rp.injected_activity_bq,
                "injection_time": rp.injection_time.isoformat() if rp.injection_time else None,
                "acquisition_start": _iso(self.pet.timing.acquisition_start),
                "psf_fwhm_mm": self.pet_settings.psf_fwhm_mm,
                "noise": self.pet_settings.noise,
                "suv_per_bq_per_ml": _suv_factor(self.pet),
                "regions": pet_regions,
            },
            "liver_reference": {
                "center_mm": list(self.liver_reference_center_mm),
                "diameter_mm": _LIVER_REFERENCE_DIAMETER_MM,
                "suv_mean": table.suv["liver"],
            },
            "lesions": lesions,
        }
        if lutetium_timepoints_h:
            therapy = self.therapy
            kinetics = self.kinetics()
            times = [float(t) for t in lutetium_timepoints_h]
            organs = []
            for name, model in kinetics.items():
                if name.startswith("lesion"):
                    continue
                organs.append(_kinetics_entry(self, name, model, times))
            for entry in lesions:
                model = kinetics[entry["name"]]
                entry.update(
                    {
                        k: v
                        for k, v in _kinetics_entry(self, entry["name"], model, times).items()
                        if k not in ("name",)
                    }
                )
            out["lutetium"] = {
                "radiopharmaceutical": therapy.radiopharmaceutical,
                "nuclide": "Lu-177",
                "injected_activity_bq": therapy.injected_activity_bq,
                "injection_time": self.therapy_injection_time.isoformat(),
                "timepoints_h": times,
                "psf_fwhm_mm": self.spect_settings.psf_fwhm_mm,
                "noise": self.spect_settings.noise,
            }
            out["organs"] = organs
        return out


def _kinetics_entry(
    patient: SyntheticPatient, name: str, model: RegionKinetics, times: list[float]
) -> dict[str, Any]:
    a0 = patient.therapy.injected_activity_bq
    return {
        "name": name,
        "mass_g": patient.region_mass_g(name),
        "volume_ml": patient.region_volume_ml(name),
        "tia_mbq_h": a0 / 1e6 * model.integral_h(),
        "activity_bq": {f"{t:g}": a0 * model.fraction_at(t) for t in times},
        "kinetics": {
            "fraction": model.fraction,
            "effective_half_life_h": model.effective_half_life_h,
            "uptake_half_life_h": model.uptake_half_life_h,
        },
    }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _suv_region(name: str) -> str:
    """The SUV-table entry of a region (the renal medulla takes soft-tissue uptake)."""
    return "soft_tissue" if name == "renal_medulla" else name


def _suv_factor(pet: Volume) -> float:
    """SUV per Bq/mL at the acquisition start: weight_g / (A_inj · exp(−λ·t_uptake))."""
    rp, timing = pet.radiopharmaceutical, pet.timing
    if not (rp.injected_activity_bq and rp.injection_time and timing.acquisition_start):
        raise ThxError("a PET volume needs its injected activity, injection and scan times")
    if not (rp.half_life_s and pet.patient.weight_kg):
        raise ThxError("a PET volume needs its half-life and the patient's weight")
    elapsed = (timing.acquisition_start - rp.injection_time).total_seconds()
    decayed = rp.injected_activity_bq * math.exp(-math.log(2) * elapsed / rp.half_life_s)
    return pet.patient.weight_kg * 1000.0 / decayed


# --------------------------------------------------------------------------- building


def _blur(
    values: npt.NDArray[np.float64], geometry: Geometry, fwhm_mm: float
) -> npt.NDArray[np.float64]:
    """Gaussian blur, σ = FWHM / (2·√(2·ln 2)) per axis in voxels; zero outside the grid."""
    from scipy import ndimage

    si, sj, sk = geometry.spacing_mm
    sigma_mm = fwhm_mm / _FWHM_PER_SIGMA
    sigma = (sigma_mm / sk, sigma_mm / sj, sigma_mm / si)
    return np.asarray(ndimage.gaussian_filter(values, sigma=sigma, mode="constant"), dtype=float)


def _poisson(
    values: npt.NDArray[np.float64],
    geometry: Geometry,
    settings: ScanSettings,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """Poisson noise: counts ~ Poisson(C·V·s·T), back to C = counts / (V·s·T)."""
    scale = geometry.voxel_volume_ml * settings.counts_per_bq_s * settings.frame_duration_s
    counts = rng.poisson(np.clip(values, 0.0, None) * scale)
    return np.asarray(counts / scale, dtype=float)


def _radiopharmaceutical(
    nuclide: str, name: str, activity_bq: float, injection: datetime
) -> Radiopharmaceutical:
    from theranostix.nuclides import Nuclide

    nuc = Nuclide(nuclide)
    return Radiopharmaceutical(
        nuclide=nuc,
        half_life_s=nuc.half_life_s,
        injected_activity_bq=activity_bq,
        injection_time=injection,
        name=name,
    )


def _default_specs(tracer: Tracer, count: int, rng: np.random.Generator) -> list[LesionSpec]:
    table = pet_table(tracer)
    order = _SITE_ORDER[tracer]
    specs = []
    for n in range(count):
        site = order[n % len(order)]
        low, high = _DIAMETER_RANGE_MM[site]
        diameter = round(float(rng.uniform(low, high)), 1)
        suv = round(table.lesion_suv[site] * float(rng.uniform(0.8, 1.2)), 2)
        specs.append(LesionSpec(site, diameter, suv))
    return specs


def _sphere_mask(
    geometry: Geometry, centre: npt.NDArray[np.float64], radius: float
) -> npt.NDArray[np.bool_]:
    """Voxels with at least half of 4×4×4 sub-samples inside the sphere."""
    mask = np.zeros(geometry.shape, dtype=bool)
    index = geometry.lps_to_index(centre)
    spacing = np.asarray(geometry.spacing_mm)
    half = np.ceil(radius / spacing) + 1
    lo = np.maximum(np.floor(index - half), 0).astype(int)
    hi = np.minimum(np.ceil(index + half), np.asarray(geometry.shape[::-1]) - 1).astype(int)
    if np.any(hi < lo):
        return mask
    ii, jj, kk = (np.arange(lo[a], hi[a] + 1) for a in range(3))
    k3, j3, i3 = np.meshgrid(kk, jj, ii, indexing="ij")
    sub = (np.arange(4) + 0.5) / 4.0 - 0.5
    inside = np.zeros(k3.shape)
    direction = geometry.direction_matrix * spacing
    origin = np.asarray(geometry.origin_mm)
    for dk in sub:
        for dj in sub:
            for di in sub:
                ijk = np.stack([i3 + di, j3 + dj, k3 + dk], axis=-1)
                lps = ijk @ direction.T + origin
                inside += np.sum((lps - centre) ** 2, axis=-1) <= radius**2
    mask[kk[0] : kk[-1] + 1, jj[0] : jj[-1] + 1, ii[0] : ii[-1] + 1] = inside >= 32
    return mask


def _place_lesions(
    anatomy: Anatomy, specs: Sequence[LesionSpec], rng: np.random.Generator, tracer: Tracer
) -> list[Lesion]:
    """Place the lesions: centre inside the host, sphere clear of other lesions."""
    from scipy import ndimage

    geometry = anatomy.geometry
    si, sj, sk = geometry.spacing_mm
    voxel = max(si, sj, sk)
    x, y, z = coordinates(geometry)
    labels = anatomy.labels
    table = pet_table(tracer)
    depth_cache: dict[LesionSite, npt.NDArray[np.float64]] = {}

    def depth(site: LesionSite) -> npt.NDArray[np.float64]:
        if site not in depth_cache:
            if site is LesionSite.LIVER:
                allowed = labels == LABELS["liver"]
            elif site is LesionSite.BONE:
                allowed = (labels == LABELS["bone"]) | (labels == LABELS["bone_marrow"])
            else:
                allowed = labels == LABELS["soft_tissue"]
            depth_cache[site] = np.asarray(
                ndimage.distance_transform_edt(allowed, sampling=(sk, sj, si)), dtype=float
            )
        return depth_cache[site]

    near_station = np.zeros(geometry.shape, dtype=bool)
    for sx, sy, sz in LYMPH_NODE_STATIONS:
        near_station |= (x - sx) ** 2 + (y - sy) ** 2 + (z - sz) ** 2 <= 30.0**2
    rx, ry, rz = _LIVER_REFERENCE_CENTRE_MM
    from_reference = np.sqrt((x - rx) ** 2 + (y - ry) ** 2 + (z - rz) ** 2)

    placed: list[Lesion] = []
    for n, spec in enumerate(specs, start=1):
        site = LesionSite.parse(spec.site)
        radius = spec.diameter_mm / 2.0
        suv = spec.suv if spec.suv is not None else table.lesion_suv[site]
        if spec.center_mm is not None:
            centre = np.asarray(spec.center_mm, dtype=float)
        else:
            if site is LesionSite.LIVER:
                ok = depth(site) >= radius + voxel
                ok &= from_reference >= radius + _LIVER_REFERENCE_DIAMETER_MM / 2 + voxel
            elif site is LesionSite.BONE:
                ok = (labels == LABELS["bone_marrow"]) & (depth(site) >= max(0.5 * radius, voxel))
            else:
                ok = near_station & (depth(site) >= radius + voxel)
            for other in placed:
                ox, oy, oz = other.center_mm
                gap = radius + other.diameter_mm / 2.0 + voxel
                ok &= (x - ox) ** 2 + (y - oy) ** 2 + (z - oz) ** 2 >= gap**2
            candidates = np.flatnonzero(ok)
            if candidates.size == 0:
                raise ThxError(
                    f"cannot place lesion {n} ({site.value}, diameter {spec.diameter_mm:g} mm): "
                    "no free position in its site; give a smaller diameter or fewer lesions"
                )
            pick = np.unravel_index(int(candidates[rng.integers(candidates.size)]), geometry.shape)
            # off the voxel centre by up to a quarter voxel per axis, so that voxelised
            # volumes are not biased by a symmetric position on the grid
            jitter = rng.uniform(-voxel / 4, voxel / 4, 3)
            centre = np.array([x[pick], y[pick], z[pick]], dtype=float) + jitter
        mask = _sphere_mask(geometry, centre, radius)
        if not mask.any():
            raise ThxError(f"lesion {n} at {centre.tolist()} mm is outside the image grid")
        name = f"lesion_{n}"
        placed.append(
            Lesion(
                name=name,
                site=site,
                center_mm=(float(centre[0]), float(centre[1]), float(centre[2])),
                diameter_mm=float(spec.diameter_mm),
                suv=float(suv),
                mask=Mask(mask, geometry, name),
            )
        )
    return placed


def make_patient(
    tracer: Tracer | str = "psma",
    lesions: int | Sequence[LesionSpec] = 3,
    seed: int = 0,
    *,
    voxel_mm: float = 4.0,
    weight_kg: float = 75.0,
    height_m: float = 1.75,
    sex: Sex | str = Sex.MALE,
    injected_activity_bq: float | None = None,
    injection_time: datetime = _DEFAULT_PET_INJECTION,
    therapy_injection_time: datetime = _DEFAULT_THERAPY_INJECTION,
    pet: ScanSettings | None = None,
    spect: ScanSettings | None = None,
    ct_noise_hu: float = 10.0,
) -> SyntheticPatient:
    """Build a seeded synthetic patient with CT, PET and the Lu-177 therapy model.

    Parameters
    ----------
    tracer : Tracer or str
        ``"fdg"`` ([18F]FDG), ``"psma"`` ([68Ga]Ga-PSMA-11) or ``"sstr"``
        ([68Ga]Ga-DOTATATE); organ SUVs from ``data/tracers.toml``.
    lesions : int or sequence of LesionSpec
        A number of random lesions (sites cycled by tracer, random diameters and
        SUVs around the table values) or explicit specifications.
    seed : int
        Seed of every random choice (lesions, noise): the same arguments give the
        same patient.
    voxel_mm : float
        Isotropic voxel size of the common CT/PET/SPECT grid (4 mm default; 8 mm
        makes a coarse, fast phantom for tests).
    weight_kg, height_m, sex
        Patient's Weight, Size and Sex written to DICOM; the SUVs refer to this weight.
    injected_activity_bq : float, optional
        PET activity; the tracer's default (``data/tracers.toml``) otherwise.
    injection_time : datetime
        PET tracer administration (timezone-aware); the scan starts after the
        tracer's uptake time.
    therapy_injection_time : datetime
        Lu-177 administration (timezone-aware).
    pet : ScanSettings, optional
        PET PSF and noise; default 6 mm FWHM, Poisson noise, 1e-3 counts/(Bq·s), 180 s.
    spect : ScanSettings, optional
        SPECT PSF and noise; default 11 mm FWHM, Poisson noise, 2e-4 counts/(Bq·s), 900 s.
    ct_noise_hu : float
        Standard deviation of Gaussian CT noise (HU); 0 for none.

    Returns
    -------
    SyntheticPatient

    Examples
    --------
    >>> p = make_patient("psma", lesions=1, seed=1, voxel_mm=8.0, pet=ScanSettings(None, False))
    >>> p.lesions[0].site.value, p.pet.unit.value
    ('bone', 'Bq/mL')
    """
    t = Tracer.parse(tracer)
    for when, what in ((injection_time, "injection_time"), (therapy_injection_time, "therapy")):
        if when.tzinfo is None:
            from theranostix.errors import NaiveDatetimeError

            raise NaiveDatetimeError(f"{what} {when.isoformat()} has no time zone")
    if not (weight_kg > 0 and height_m > 0 and voxel_mm > 0):
        raise ThxError("weight_kg, height_m and voxel_mm must be positive")
    pet_settings = pet if pet is not None else ScanSettings()
    spect_settings = (
        spect
        if spect is not None
        else ScanSettings(
            psf_fwhm_mm=11.0, noise=True, counts_per_bq_s=2e-4, frame_duration_s=900.0
        )
    )
    table = pet_table(t)
    geometry = phantom_geometry(voxel_mm)
    anatomy = build_anatomy(geometry)
    seeds = np.random.SeedSequence(seed)
    rng_lesions, rng_pet, rng_ct = (np.random.default_rng(s) for s in seeds.spawn(3))
    specs = (
        _default_specs(t, lesions, rng_lesions)
        if isinstance(lesions, int)
        else [s if isinstance(s, LesionSpec) else LesionSpec(**s) for s in lesions]
    )
    if isinstance(lesions, int) and lesions < 0:
        raise ThxError(f"lesions must be >= 0, got {lesions}")
    placed = _place_lesions(anatomy, specs, rng_lesions, t)

    labels = anatomy.labels.copy()
    label_names = {v: k for k, v in LABELS.items()}
    for n, lesion in enumerate(placed, start=1):
        labels[lesion.mask.array] = LESION_LABEL_START + n
        label_names[LESION_LABEL_START + n] = lesion.name
    # lesions placed later may cover part of an earlier one: keep masks = label map
    placed = [
        replace(
            lesion,
            mask=Mask(labels == LESION_LABEL_START + n, geometry, lesion.name),
        )
        for n, lesion in enumerate(placed, start=1)
    ]

    suv = np.zeros(geometry.shape)
    hu = np.full(geometry.shape, HU["air"])
    for name, label in LABELS.items():
        region = labels == label
        suv[region] = table.suv[_suv_region(name)]
        hu[region] = HU[name]
    for n, lesion in enumerate(placed, start=1):
        region = labels == LESION_LABEL_START + n
        suv[region] = lesion.suv
        hu[region] = HU[f"lesion_{lesion.site.value}"]
    if ct_noise_hu > 0:
        hu = hu + rng_ct.normal(0.0, ct_noise_hu, geometry.shape) * (labels > 0)

    info = PatientInfo(
        weight_kg=weight_kg,
        height_m=height_m,
        sex=sex if isinstance(sex, Sex) else Sex(str(sex).upper()),
        patient_id=f"THX-{t.value.upper()}-{seed}",
    )
    activity = (
        injected_activity_bq if injected_activity_bq is not None else table.injected_activity_bq
    )
    radiopharmaceutical = _radiopharmaceutical(
        table.nuclide, table.radiopharmaceutical, activity, injection_time
    )
    start = injection_time + timedelta(seconds=table.uptake_time_s)
    timing = Timing(
        acquisition_start=start,
        frame_duration_s=pet_settings.frame_duration_s,
        decay_correction=DecayCorrection.START,
        decay_reference_time=start,
    )
    common: dict[str, Any] = {"patient": info, "timing": timing}
    suv_true = Volume(suv, geometry, ImageUnit.SUV, Modality.PT, **common,
                      radiopharmaceutical=radiopharmaceutical)  # fmt: skip
    bqml = Volume(suv, geometry, ImageUnit.BQ_PER_ML, Modality.PT, **common,
                  radiopharmaceutical=radiopharmaceutical)  # fmt: skip
    concentration = suv / _suv_factor(bqml)
    if pet_settings.psf_fwhm_mm is not None:
        concentration = _blur(concentration, geometry, pet_settings.psf_fwhm_mm)
    noisy = (
        _poisson(concentration, geometry, pet_settings, rng_pet)
        if pet_settings.noise
        else concentration
    )
    description = f"{table.radiopharmaceutical} PET"
    pet_noiseless = replace(bqml, array=concentration, metadata={"series_description": description})
    pet_volume = replace(bqml, array=noisy, metadata={"series_description": description})
    ct = Volume(
        hu,
        geometry,
        ImageUnit.HU,
        Modality.CT,
        patient=info,
        timing=Timing(acquisition_start=start - timedelta(minutes=2)),
        metadata={"series_description": "CT"},
    )
    return SyntheticPatient(
        tracer=t,
        seed=seed,
        geometry=geometry,
        labels=labels,
        label_names=label_names,
        lesions=tuple(placed),
        patient=info,
        ct=ct,
        suv_true=suv_true,
        pet_noiseless=pet_noiseless,
        pet=pet_volume,
        pet_settings=pet_settings,
        spect_settings=spect_settings,
        therapy_injection_time=therapy_injection_time,
    )


# --------------------------------------------------------------------------- writing


def _entropy(patient: SyntheticPatient) -> str:
    digest = hashlib.sha256(patient.labels.tobytes())
    digest.update(np.ascontiguousarray(patient.pet.array).tobytes())
    return f"theranostix-phantom-{patient.tracer.value}-{patient.seed}-{digest.hexdigest()[:24]}"


def _timepoint_folder(time_h: float) -> str:
    return f"{time_h:g}h"


def write_patient(
    patient: SyntheticPatient,
    out_dir: str | Path,
    *,
    lutetium_timepoints_h: Sequence[float] | None = None,
) -> Path:
    """Write a synthetic patient as DICOM with its ground truth.

    Layout::

        out_dir/ct/              CT series (HU)
        out_dir/pet/             PET series (Bq/mL, SUV tags), same study and frame of reference
        out_dir/organs.dcm       RTSTRUCT: body, organs and lesions, on the CT
        out_dir/organs_seg.dcm   SEG: the same regions
        out_dir/spect/<h>h/nm/   Lu-177 SPECT (NM, Bq/mL), one study per time point
        out_dir/spect/<h>h/ct/   its CT
        out_dir/ground_truth.json

    Parameters
    ----------
    patient : SyntheticPatient
        From :func:`make_patient`.
    out_dir : str or Path
        Folder to write (created).
    lutetium_timepoints_h : sequence of float, optional
        SPECT/CT times after the Lu-177 administration (hours). ``None``: 4, 24,
        96 and 168 h for PSMA and SSTR patients, none for FDG; ``()``: no SPECT.

    Returns
    -------
    Path
        ``out_dir``.
    """
    from theranostix.imaging._dicom_write import write_dicom_series, write_rtstruct, write_seg

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if lutetium_timepoints_h is None:
        times: tuple[float, ...] = (
            () if patient.tracer is Tracer.FDG else DEFAULT_LUTETIUM_TIMEPOINTS_H
        )
    else:
        times = tuple(float(t) for t in lutetium_timepoints_h)
    if times:
        patient.therapy  # noqa: B018 - raises for tracers without a Lu-177 therapy
        if len(set(times)) != len(times) or min(times) <= 0:
            raise ThxError(f"Lu-177 time points must be distinct and positive, got {times}")
    entropy = _entropy(patient)
    name = "THX^" + patient.tracer.value.upper()
    common: dict[str, Any] = {"patient_name": name, "uid_entropy": entropy}
    from pydicom.uid import generate_uid

    study = str(generate_uid(entropy_srcs=[entropy, "pet-study"]))
    frame = str(generate_uid(entropy_srcs=[entropy, "pet-frame"]))
    rp = patient.pet.radiopharmaceutical
    ct_files = write_dicom_series(
        patient.ct, out / "ct", study_uid=study, frame_of_reference_uid=frame, series_number=1,
        series_description="CT", study_datetime=rp.injection_time,
        **{**common, "uid_entropy": entropy + "-ct"},
    )  # fmt: skip
    write_dicom_series(
        patient.pet, out / "pet", study_uid=study, frame_of_reference_uid=frame, series_number=2,
        series_description=f"{rp.name} PET", study_datetime=rp.injection_time,
        **{**common, "uid_entropy": entropy + "-pet"},
    )  # fmt: skip
    masks = [*patient.organ_masks().values(), *(lesion.mask for lesion in patient.lesions)]
    masks = [m for m in masks if m.voxel_count > 0]
    write_rtstruct(masks, ct_files, out / "organs.dcm", uid_entropy=entropy + "-rtstruct")
    write_seg(masks, ct_files, out / "organs_seg.dcm", uid_entropy=entropy + "-seg")

    files: dict[str, Any] = {
        "ct": "ct",
        "pet": "pet",
        "rtstruct": "organs.dcm",
        "seg": "organs_seg.dcm",
        "spect": {},
    }
    for time_h in times:
        folder = Path("spect") / _timepoint_folder(time_h)
        tag = f"{entropy}-spect-{time_h:g}"
        spect_study = str(generate_uid(entropy_srcs=[tag, "study"]))
        spect_frame = str(generate_uid(entropy_srcs=[tag, "frame"]))
        spect = patient.spect(time_h)
        start = spect.timing.acquisition_start
        assert start is not None
        spect_ct = replace(
            patient.ct, timing=Timing(acquisition_start=start - timedelta(minutes=2))
        )
        write_dicom_series(
            spect_ct, out / folder / "ct", study_uid=spect_study,
            frame_of_reference_uid=spect_frame, series_number=1,
            series_description=f"CT for SPECT {time_h:g} h", study_datetime=start,
            **{**common, "uid_entropy": tag + "-ct"},
        )  # fmt: skip
        write_dicom_series(
            spect, out / folder / "nm", study_uid=spect_study,
            frame_of_reference_uid=spect_frame, series_number=2,
            series_description=f"{patient.therapy.radiopharmaceutical} SPECT {time_h:g} h",
            study_datetime=start, **{**common, "uid_entropy": tag + "-nm"},
        )  # fmt: skip
        files["spect"][f"{time_h:g}"] = {
            "nm": (folder / "nm").as_posix(),
            "ct": (folder / "ct").as_posix(),
            "acquisition_start": start.isoformat(),
        }
    truth = patient.ground_truth(times)
    truth["files"] = files
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return out

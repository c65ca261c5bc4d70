"""Standardised uptake values from PET volumes, and the body-size formulas they need.

The conversion follows the SUV computation manual of Vácha, Hofheinz, Braune,
Löck and Zwanenburg ("Comprehensive Manual for SUV Computation and Digital
Reference Objects for its Verification", 2025; the 17 reference objects are in
``../shared/validation/suv``) and the QIBA FDG-PET/CT profile:

1. stored values times the per-slice Rescale Slope (done by the reader);
2. units to SUVbw: BQML through the decay-corrected dose; GML and CM2ML back
   from their SUV Type; CNTS through the Philips activity-concentration or SUV
   scale factor (7053,1009)/(7053,1000); CPS through dose calibration;
3. SUVbw to the requested normalisation (LBM, BSA, IBW).

``SUVbw = C · W / D(t_ref)`` with ``C`` in Bq/mL, ``W`` in g and ``D(t_ref)``
the injected activity decayed to the time the voxel values refer to:
administration (DecayCorrection ADMIN), the series reference time (START) or,
for values not decay-corrected (NONE), each frame's own acquisition with the
average-activity factor ``λT / (1 - e^(-λT))``.

Every missing or contradictory item raises its own error type (see
:mod:`theranostix.errors`) naming the DICOM tag; ``allow`` overrides a value
explicitly (``weight``, ``height``, ``sex``, ``dose``, ``injection-time``,
``reference-time``, ``half-life``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

import numpy as np

from theranostix.errors import (
    InconsistentDoseError,
    InconsistentHalfLifeError,
    InconsistentTimingError,
    InconsistentWeightError,
    InjectionAfterScanError,
    MissingBodySizeError,
    MissingDecayCorrectionError,
    MissingDoseError,
    MissingHalfLifeError,
    MissingInjectionTimeError,
    MissingReferenceTimeError,
    MissingScaleFactorError,
    MissingUnitsError,
    MissingWeightError,
    NonZeroInterceptError,
    ThxError,
    UnsupportedUnitsError,
)
from theranostix.imaging._dicom_read import PetAttributes
from theranostix.imaging._volume import DecayCorrection, ImageUnit, Sex, Volume

__all__ = [
    "ALLOW_KEYS",
    "SuvNormalization",
    "SuvResult",
    "body_surface_area_dubois_m2",
    "ideal_body_weight_kg",
    "lean_body_mass_james_kg",
    "lean_body_mass_janmahasatian_kg",
    "parse_allow",
    "suv_factors",
    "to_suv",
]

#: Keys accepted by ``allow`` and ``--allow KEY=VALUE``, with what they replace.
ALLOW_KEYS: Mapping[str, str] = {
    "weight": "PatientWeight (0010,1030), e.g. weight=72kg",
    "height": "PatientSize (0010,1020), e.g. height=1.75m or height=175cm",
    "sex": "PatientSex (0010,0040): M, F or O",
    "dose": "RadionuclideTotalDose (0018,1074), e.g. dose=370MBq",
    "injection-time": "RadiopharmaceuticalStartDateTime (0018,1078), ISO 8601",
    "reference-time": "time the decay-corrected values refer to (START), ISO 8601",
    "half-life": "RadionuclideHalfLife (0018,1075), e.g. half-life=109.77min",
}

# Plausibility bounds used to recognise units entered the wrong way (manual, "Patient's
# weight" and "Radiopharmaceutical dose"): weights above 1000 are grams; doses up to
# 1e5 are MBq, from 1e6 Bq; in between the unit cannot be told.
_WEIGHT_GRAMS_ABOVE = 1000.0
_DOSE_MBQ_UP_TO = 1e5
_DOSE_BQ_FROM = 1e6


class SuvNormalization(enum.Enum):
    """Body measure an SUV is normalised to (values as in ``thx pet suv --norm``)."""

    BW = "bw"
    """Body weight (SUVbw, g/mL)."""
    LBM_JAMES = "lbm-james"
    """Lean body mass, James formula as DICOM SUV Type LBMJAMES128 (SUL)."""
    LBM_JANMAHASATIAN = "lbm-janmahasatian"
    """Lean body mass, Janmahasatian et al. 2005 (SUL of PERCIST)."""
    BSA = "bsa"
    """Body surface area, Du Bois (SUVbsa, cm²/mL)."""
    IBW = "ibw"
    """Ideal body weight (SUVibw, g/mL)."""


# --------------------------------------------------------------------------- body size
def _sexes(sex: Sex | str | None, need: str) -> tuple[float, float]:
    """Weights of the male and female formulas: (1, 0), (0, 1) or (0.5, 0.5) for O."""
    code = sex.value if isinstance(sex, Sex) else str(sex or "").strip().upper()
    if code == "M":
        return 1.0, 0.0
    if code == "F":
        return 0.0, 1.0
    if code == "O":
        return 0.5, 0.5
    raise MissingBodySizeError(
        "PatientSex",
        "(0010,0040)",
        f"M, F or O is needed for {need}, found {sex!r}",
        found=sex,
        allow="sex",
    )


def lean_body_mass_james_kg(weight_kg: float, height_cm: float, sex: Sex | str) -> float:
    """Lean body mass by the James formula, as DICOM SUV Type LBMJAMES128.

    Male ``1.10 W - 128 (W/H)^2``, female ``1.07 W - 148 (W/H)^2`` (W in kg,
    H in cm); for sex ``O`` the mean of both, as the SUV manual suggests.

    References
    ----------
    .. [1] James WPT. Research on Obesity. London: HMSO; 1976.
    .. [2] DICOM PS3.3 C.8.9.1.1.3, SUV Type (0054,1006) ``LBMJAMES128``.
    .. [3] Vácha M et al. Comprehensive Manual for SUV Computation and Digital
       Reference Objects for its Verification, 2025.

    Examples
    --------
    >>> round(lean_body_mass_james_kg(70, 175, "M"), 3)
    56.52
    """
    male, female = _sexes(sex, "LBM (James)")
    ratio2 = (weight_kg / height_cm) ** 2
    return male * (1.10 * weight_kg - 128.0 * ratio2) + female * (1.07 * weight_kg - 148.0 * ratio2)


def lean_body_mass_janmahasatian_kg(weight_kg: float, height_cm: float, sex: Sex | str) -> float:
    """Lean body mass by Janmahasatian et al. (the SUL of PERCIST 1.0).

    Male ``9270 W / (6680 + 216 BMI)``, female ``9270 W / (8780 + 244 BMI)``,
    BMI = W / (H/100)^2 with W in kg and H in cm; mean of both for sex ``O``.

    References
    ----------
    .. [1] Janmahasatian S et al. Quantification of lean bodyweight. Clin
       Pharmacokinet 2005;44:1051-1065. doi:10.2165/00003088-200544100-00004
    .. [2] Wahl RL et al. From RECIST to PERCIST. J Nucl Med 2009;50:122S-150S.
       doi:10.2967/jnumed.108.057307

    Examples
    --------
    >>> round(lean_body_mass_janmahasatian_kg(70, 175, "F"), 3)
    45.197
    """
    male, female = _sexes(sex, "LBM (Janmahasatian)")
    bmi = weight_kg / (height_cm / 100.0) ** 2
    return male * 9270.0 * weight_kg / (6680.0 + 216.0 * bmi) + female * 9270.0 * weight_kg / (
        8780.0 + 244.0 * bmi
    )


def body_surface_area_dubois_m2(weight_kg: float, height_cm: float) -> float:
    """Body surface area by Du Bois and Du Bois: ``0.007184 W^0.425 H^0.725`` m².

    References
    ----------
    .. [1] Du Bois D, Du Bois EF. A formula to estimate the approximate surface
       area if height and weight be known. Arch Intern Med 1916;17:863-871.
       doi:10.1001/archinte.1916.00080130010002

    Examples
    --------
    >>> round(body_surface_area_dubois_m2(70, 175), 4)
    1.8481
    """
    return float(0.007184 * weight_kg**0.425 * height_cm**0.725)


def ideal_body_weight_kg(height_cm: float, sex: Sex | str) -> float:
    """Ideal body weight: male ``48.0 + 1.06 (H - 152)``, female ``45.5 + 0.91 (H - 152)`` kg.

    Mean of both for sex ``O`` (SUV manual).

    References
    ----------
    .. [1] Sugawara Y et al. Reevaluation of the standardized uptake value for
       FDG: variations with body weight and methods for correction. Radiology
       1999;213:521-525. doi:10.1148/radiology.213.2.r99nv37521
    .. [2] Vácha M et al. SUV computation manual, 2025 (DICOM SUV Type ``IBW``).

    Examples
    --------
    >>> round(ideal_body_weight_kg(175, "O"), 3)
    69.405
    """
    male, female = _sexes(sex, "IBW")
    return male * (48.0 + 1.06 * (height_cm - 152.0)) + female * (45.5 + 0.91 * (height_cm - 152.0))


# --------------------------------------------------------------------------- interpretation
def interpret_weight_kg(
    raw: float | None, source: object, notes: list[str], *, strict: bool = True
) -> float | None:
    """Patient's Weight (0010,1030) in kg: values above 1000 are taken as grams (noted)."""
    if raw is None or raw <= 0:
        if strict:
            raise MissingWeightError(
                "PatientWeight",
                "(0010,1030)",
                f"absent or not positive (found {raw!r})",
                found=raw,
                allow="weight",
                source=source,
            )
        return None
    weight = raw
    if raw > _WEIGHT_GRAMS_ABOVE:
        weight = raw / 1000.0
        notes.append(f"PatientWeight (0010,1030) = {raw:g} read as grams: {weight:g} kg")
    if not 0.5 <= weight <= 650.0:
        if strict:
            raise InconsistentWeightError(
                "PatientWeight",
                "(0010,1030)",
                f"{raw:g} is not a plausible weight in kg",
                found=raw,
                allow="weight",
                source=source,
            )
        return None
    return weight


def interpret_height_m(
    raw: float | None, source: object, notes: list[str], *, strict: bool = True
) -> float | None:
    """Patient's Size (0010,1020) in m: values between 50 and 250 are taken as cm (noted)."""
    if raw is None or raw <= 0:
        if strict:
            raise MissingBodySizeError(
                "PatientSize",
                "(0010,1020)",
                f"absent or not positive (found {raw!r})",
                found=raw,
                allow="height",
                source=source,
            )
        return None
    if 50.0 <= raw <= 250.0:
        notes.append(f"PatientSize (0010,1020) = {raw:g} read as centimetres")
        return raw / 100.0
    if not 0.3 <= raw <= 2.6:
        if strict:
            raise MissingBodySizeError(
                "PatientSize",
                "(0010,1020)",
                f"{raw:g} is not a plausible height in m",
                found=raw,
                allow="height",
                source=source,
            )
        return None
    return raw


def interpret_dose_bq(
    raw: float | None, source: object, notes: list[str], *, strict: bool = True
) -> float | None:
    """Radionuclide Total Dose (0018,1074) in Bq: values up to 1e5 are MBq (noted)."""
    if raw is None or raw <= 0:
        if strict:
            raise MissingDoseError(
                "RadionuclideTotalDose",
                "(0018,1074)",
                f"absent or not positive (found {raw!r})",
                found=raw,
                allow="dose",
                source=source,
            )
        return None
    if raw <= _DOSE_MBQ_UP_TO:
        notes.append(f"RadionuclideTotalDose (0018,1074) = {raw:g} read as MBq")
        return raw * 1e6
    if raw < _DOSE_BQ_FROM:
        if strict:
            raise InconsistentDoseError(
                "RadionuclideTotalDose",
                "(0018,1074)",
                f"{raw:g} is neither a plausible activity in Bq nor in MBq",
                found=raw,
                allow="dose",
                source=source,
            )
        return None
    return raw


# --------------------------------------------------------------------------- overrides
def parse_allow(
    items: Sequence[str] | Mapping[str, Any] | None, tz: tzinfo | None = None
) -> dict[str, Any]:
    """Explicit values that replace DICOM attributes, from ``KEY=VALUE`` strings.

    Parameters
    ----------
    items : sequence of str or mapping
        ``["weight=72kg", "dose=370MBq", "injection-time=2025-01-01T10:00+01:00"]``
        or a mapping with the same keys (values already typed or strings).
    tz : tzinfo, optional
        Zone of datetimes written without one.

    Returns
    -------
    dict
        ``weight`` (kg), ``height`` (m), ``sex`` (Sex), ``dose`` (Bq),
        ``injection-time`` and ``reference-time`` (aware datetimes),
        ``half-life`` (s).

    Examples
    --------
    >>> parse_allow(["weight=72kg", "dose=370 MBq", "height=175cm"])
    {'weight': 72.0, 'dose': 370000000.0, 'height': 1.75}
    """
    from theranostix.units import parse_activity, parse_datetime, parse_duration

    pairs: list[tuple[str, Any]]
    if items is None:
        return {}
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        pairs = []
        for item in items:
            key, sep, value = str(item).partition("=")
            if not sep:
                raise ThxError(
                    f"--allow expects KEY=VALUE, got {item!r}; keys: {', '.join(ALLOW_KEYS)}"
                )
            pairs.append((key, value))
    out: dict[str, Any] = {}
    for key, value in pairs:
        key = key.strip().lower().replace("_", "-")
        if key not in ALLOW_KEYS:
            raise ThxError(f"unknown --allow key {key!r}; valid: {', '.join(ALLOW_KEYS)}")
        text = value.strip() if isinstance(value, str) else value
        if key == "weight":
            out[key] = _number_with_unit(text, {"kg": 1.0, "g": 1e-3, "lb": 0.45359237}, "kg", key)
        elif key == "height":
            out[key] = _number_with_unit(text, {"m": 1.0, "cm": 0.01, "in": 0.0254}, "m", key)
        elif key == "sex":
            code = text.value if isinstance(text, Sex) else str(text).upper()
            try:
                out[key] = Sex(code)
            except ValueError:
                raise ThxError(f"--allow sex must be M, F or O, got {text!r}") from None
        elif key == "dose":
            out[key] = float(text) if isinstance(text, int | float) else parse_activity(text)
        elif key == "half-life":
            out[key] = float(text) if isinstance(text, int | float) else parse_duration(text)
        else:
            out[key] = text if isinstance(text, datetime) else parse_datetime(text, key, tz)
            if out[key].tzinfo is None:
                out[key] = out[key].replace(tzinfo=tz) if tz else parse_datetime(str(text), key, tz)
    return out


def _number_with_unit(text: Any, units: Mapping[str, float], default: str, key: str) -> float:
    if isinstance(text, int | float):
        return float(text)
    raw = str(text).replace(" ", "")
    for unit in sorted(units, key=len, reverse=True):
        if raw.lower().endswith(unit):
            number = raw[: -len(unit)]
            break
    else:
        unit, number = default, raw
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise ThxError(
            f"--allow {key}={text!r} is not a number with a unit ({', '.join(units)})"
        ) from None
    if value <= 0:
        raise ThxError(f"--allow {key} must be positive, got {text!r}")
    return value


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class SuvResult:
    """How stored values were converted to SUV.

    Attributes
    ----------
    normalization : SuvNormalization
    factors : tuple of float
        SUV per stored unit (after Rescale Slope), one per slice ``k``.
    stored_units : str
        DICOM Units (0054,1001) of the stored values, e.g. ``"BQML"``.
    weight_kg, height_m, sex
        Body measures used (``None`` where not needed).
    normalizing_mass_kg : float or None
        Weight, LBM or IBW in kg, for mass normalisations.
    body_surface_area_m2 : float or None
        For BSA.
    injected_activity_bq : float or None
    injection_time, reference_time : datetime or None
        Administration time and the time the values refer to (``None`` for
        values not decay-corrected, whose reference is per slice).
    decay_factor : float or None
        ``D(t_ref) / D_adm``.
    half_life_s : float or None
    decay_correction : DecayCorrection or None
    notes : tuple of str
        Reinterpretations and overrides, each naming its tag.
    """

    normalization: SuvNormalization
    factors: tuple[float, ...]
    stored_units: str
    weight_kg: float | None = None
    height_m: float | None = None
    sex: Sex | None = None
    normalizing_mass_kg: float | None = None
    body_surface_area_m2: float | None = None
    injected_activity_bq: float | None = None
    injection_time: datetime | None = None
    reference_time: datetime | None = None
    decay_factor: float | None = None
    half_life_s: float | None = None
    decay_correction: DecayCorrection | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def factor(self) -> float | list[float]:
        """The factor when equal for all slices (within 1e-9 relative), else the list per slice."""
        values = np.asarray(self.factors)
        if np.allclose(values, values[0], rtol=1e-9, atol=0.0):
            return float(values[0])
        return [float(v) for v in values]


# --------------------------------------------------------------------------- computation
def _attributes(volume: Volume) -> PetAttributes:
    """PET attributes of a DICOM-read volume, or built from the typed fields of any other."""
    attrs = volume.metadata.get("pet")
    if isinstance(attrs, PetAttributes):
        return attrs
    units = {
        ImageUnit.BQ_PER_ML: "BQML",
        ImageUnit.SUV: "GML",
        ImageUnit.COUNTS: "CNTS",
        ImageUnit.CPS: "CPS",
    }.get(volume.unit)
    timing, rp, patient = volume.timing, volume.radiopharmaceutical, volume.patient
    n = volume.shape[0]
    times = timing.slice_acquisition_times or (timing.acquisition_start,) * n
    durations = timing.slice_frame_durations_s or (timing.frame_duration_s,) * n
    half_life = rp.half_life_s
    return PetAttributes(
        source=str(volume.metadata.get("source", "volume")),
        units=units,
        suv_type=None,
        decay_correction=timing.decay_correction.value if timing.decay_correction else None,
        weight_raw=patient.weight_kg,
        height_raw=patient.height_m,
        sex_raw=patient.sex.value if patient.sex else None,
        dose_raw=rp.injected_activity_bq,
        half_life_s=half_life,
        nuclide_from_code=rp.nuclide.name if rp.nuclide is not None else None,
        injection_datetime=rp.injection_time,
        injection_time_only=False,
        injection_shifted_back_one_day=False,
        series_datetime=None,
        ge_decay_datetime=None,
        decay_correction_datetime=timing.decay_reference_time,
        acquisition_datetimes=tuple(times),
        frame_durations_s=tuple(durations),
        frame_reference_times_s=(None,) * n,
        rescale_intercepts=(0.0,) * n,
        philips_suv_scale=None,
        philips_activity_scale=None,
        corrected_image=(),
        dose_calibration_factor=None,
        voxel_volume_ml=volume.geometry.voxel_volume_ml,
        timezone_assumed=False,
    )


def _half_life(attrs: PetAttributes, allow: Mapping[str, Any], notes: list[str]) -> float:
    if "half-life" in allow:
        notes.append(
            f"RadionuclideHalfLife (0018,1075) replaced by --allow: {allow['half-life']:g} s"
        )
        return float(allow["half-life"])
    coded = attrs.nuclide_from_code
    if attrs.half_life_s is not None and attrs.half_life_s > 0:
        if coded is not None:
            reference = _reference_half_life_s(coded)
            if abs(attrs.half_life_s - reference) > 0.02 * reference:
                raise InconsistentHalfLifeError(
                    "RadionuclideHalfLife",
                    "(0018,1075)",
                    f"{attrs.half_life_s:g} s contradicts RadionuclideCodeSequence (0054,0300) "
                    f"{coded} ({reference:.6g} s)",
                    found=attrs.half_life_s,
                    allow="half-life",
                    source=attrs.source,
                )
        return attrs.half_life_s
    if coded is not None:
        value = _reference_half_life_s(coded)
        notes.append(
            f"RadionuclideHalfLife (0018,1075) absent; {value:.6g} s of {coded} from "
            "RadionuclideCodeSequence (0054,0300)"
        )
        return value
    raise MissingHalfLifeError(
        "RadionuclideHalfLife",
        "(0018,1075)",
        "absent, and no RadionuclideCodeSequence (0054,0300) identifies the radionuclide",
        allow="half-life",
        source=attrs.source,
    )


def _reference_half_life_s(name: str) -> float:
    """Half-life of a radionuclide: the reader's table of PET/SPECT nuclides, else the decay data.

    The table avoids loading the full decay data (about 2 s) for the common nuclides; a
    test keeps it equal to the decay data.
    """
    from theranostix.imaging._dicom_read import _NOMINAL_HALF_LIVES_S

    if name in _NOMINAL_HALF_LIVES_S:
        return _NOMINAL_HALF_LIVES_S[name]
    from theranostix.nuclides import Nuclide

    return float(Nuclide(name).half_life_s)


def _decay_correction(attrs: PetAttributes) -> DecayCorrection:
    if attrs.decay_correction is None:
        raise MissingDecayCorrectionError(
            "DecayCorrection",
            "(0054,1102)",
            "absent: cannot tell to which time values refer",
            source=attrs.source,
        )
    try:
        return DecayCorrection(attrs.decay_correction)
    except ValueError:
        raise MissingDecayCorrectionError(
            "DecayCorrection",
            "(0054,1102)",
            f"{attrs.decay_correction!r} is not START, ADMIN or NONE",
            found=attrs.decay_correction,
            source=attrs.source,
        ) from None


def _injection_time(attrs: PetAttributes, allow: Mapping[str, Any], notes: list[str]) -> datetime:
    if "injection-time" in allow:
        notes.append(f"injection time replaced by --allow: {allow['injection-time'].isoformat()}")
        return allow["injection-time"]  # type: ignore[no-any-return]
    if attrs.injection_datetime is None:
        raise MissingInjectionTimeError(
            "RadiopharmaceuticalStartDateTime",
            "(0018,1078)",
            "absent, and RadiopharmaceuticalStartTime (0018,1072) too (or no date to go with it)",
            allow="injection-time",
            source=attrs.source,
        )
    return attrs.injection_datetime


def _reference_time(
    volume: Volume,
    attrs: PetAttributes,
    allow: Mapping[str, Any],
    notes: list[str],
    half_life_s: float,
) -> datetime:
    if "reference-time" in allow:
        notes.append(
            f"decay reference time replaced by --allow: {allow['reference-time'].isoformat()}"
        )
        return allow["reference-time"]  # type: ignore[no-any-return]
    reference = volume.timing.decay_reference_time
    if reference is None:
        from theranostix.imaging._dicom_read import _pet_reference_time

        # The reader could not back-compute it; it can now if the half-life came from
        # the radionuclide code or from --allow half-life.
        reference, method = _pet_reference_time(replace(attrs, half_life_s=half_life_s))
        if reference is not None:
            notes.append(f"decay reference time: {method}")
    if reference is None:
        raise MissingReferenceTimeError(
            "SeriesTime",
            "(0008,0031)",
            "DecayCorrection is START but no reference time can be established: SeriesDate/Time "
            "absent or after AcquisitionTime (0008,0032), no GE (0009,100D), and AcquisitionTime, "
            "ActualFrameDuration (0018,1242) and FrameReferenceTime (0054,1300) do not agree",
            allow="reference-time",
            source=attrs.source,
        )
    method = str(volume.metadata.get("decay_reference_method") or "")
    if method and method != "none":
        notes.append(f"decay reference time: {method}")
    return reference


def _to_suvbw_factors(
    volume: Volume,
    attrs: PetAttributes,
    allow: Mapping[str, Any],
    weight_kg: float | None,
    notes: list[str],
    height_m: float | None,
    sex: Sex | None,
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], dict[str, Any]]:
    """SUVbw per stored unit, per slice; with the dose and times used."""
    n = volume.shape[0]
    units = attrs.units
    info: dict[str, Any] = {}
    if units is None:
        raise MissingUnitsError(
            "Units", "(0054,1001)", "absent: the stored values have no unit", source=attrs.source
        )
    if units in ("GML", "CM2ML"):
        suv_type = attrs.suv_type or ("BSA" if units == "CM2ML" else "BW")
        if suv_type == "BW":
            return np.ones(n), info
        w = _need_weight(weight_kg, attrs)
        h_cm = _need_height(height_m, attrs) * 100.0
        if suv_type == "BSA":
            return np.full(n, w * 1000.0 / (body_surface_area_dubois_m2(w, h_cm) * 1e4)), info
        if suv_type in ("LBM", "LBMJAMES128"):
            if suv_type == "LBM":  # Morgan's variant: 120 instead of 128 for men (manual)
                male, female = _sexes(_need_sex(sex, attrs), "LBM")
                ratio2 = (w / h_cm) ** 2
                lbm = male * (1.10 * w - 120.0 * ratio2) + female * (1.07 * w - 148.0 * ratio2)
            else:
                lbm = lean_body_mass_james_kg(w, h_cm, _need_sex(sex, attrs))
            return np.full(n, w / lbm), info
        if suv_type == "LBMJANMA":
            return np.full(
                n, w / lean_body_mass_janmahasatian_kg(w, h_cm, _need_sex(sex, attrs))
            ), info
        if suv_type == "IBW":
            return np.full(n, w / ideal_body_weight_kg(h_cm, _need_sex(sex, attrs))), info
        raise UnsupportedUnitsError(
            "SUVType",
            "(0054,1006)",
            f"{suv_type!r} is not BW, LBM, LBMJAMES128, LBMJANMA, BSA or IBW",
            found=suv_type,
            source=attrs.source,
        )

    # Activity-concentration units: per stored unit, Bq/mL.
    if units == "BQML":
        to_bqml = 1.0
    elif units == "CNTS":
        if attrs.philips_activity_scale:
            to_bqml = attrs.philips_activity_scale
            notes.append(
                "CNTS to Bq/mL by the Philips activity concentration scale factor "
                f"(7053,1009) = {to_bqml:g}"
            )
        elif attrs.philips_suv_scale:
            notes.append(
                "CNTS to SUVbw by the Philips SUV scale factor (7053,1000) = "
                f"{attrs.philips_suv_scale:g}"
            )
            return np.full(n, attrs.philips_suv_scale), info
        else:
            raise MissingScaleFactorError(
                "PhilipsActivityConcentrationScaleFactor",
                "(7053,1009)",
                "Units CNTS without a Philips activity concentration (7053,1009) "
                "or SUV (7053,1000) "
                "scale factor: counts cannot be converted",
                source=attrs.source,
            )
    elif units == "CPS":
        if "DCAL" in attrs.corrected_image:
            to_bqml = 1.0 / attrs.voxel_volume_ml
            notes.append("CPS dose-calibrated (CorrectedImage DCAL): divided by the voxel volume")
        elif attrs.dose_calibration_factor:
            to_bqml = attrs.dose_calibration_factor / attrs.voxel_volume_ml
            notes.append(
                f"CPS times DoseCalibrationFactor (0054,1322) = {attrs.dose_calibration_factor:g}"
            )
        else:
            raise MissingScaleFactorError(
                "DoseCalibrationFactor",
                "(0054,1322)",
                "Units CPS, not dose-calibrated (no DCAL in CorrectedImage (0028,0051)) "
                "and no dose "
                "calibration factor",
                source=attrs.source,
            )
    else:
        raise UnsupportedUnitsError(
            "Units",
            "(0054,1001)",
            f"{units!r} cannot be converted to activity concentration "
            "(BQML, GML, CM2ML, CNTS and CPS can)",
            found=units,
            source=attrs.source,
        )

    if any(abs(b) > 0 for b in attrs.rescale_intercepts):
        raise NonZeroInterceptError(
            "RescaleIntercept",
            "(0028,1052)",
            f"{max(attrs.rescale_intercepts, key=abs):g} where PET requires 0 "
            "(DICOM PS3.3 C.8.9.4.1.2)",
            found=attrs.rescale_intercepts,
            source=attrs.source,
        )
    w = _need_weight(weight_kg, attrs)
    if "dose" in allow:
        dose = float(allow["dose"])
        notes.append(f"RadionuclideTotalDose (0018,1074) replaced by --allow: {dose:g} Bq")
    else:
        dose = interpret_dose_bq(attrs.dose_raw, attrs.source, notes)  # type: ignore[assignment]
    correction = _decay_correction(attrs)
    info.update(dose=dose, correction=correction)
    if correction is DecayCorrection.ADMIN:
        info["reference"] = (
            _injection_time(attrs, allow, notes)
            if attrs.injection_datetime or "injection-time" in allow
            else None
        )
        info["decay_factor"] = 1.0
        return np.full(n, to_bqml * w * 1000.0 / dose), info
    half_life = _half_life(attrs, allow, notes)
    injection = _injection_time(attrs, allow, notes)
    lam = math.log(2.0) / half_life
    info.update(half_life=half_life, injection=injection)
    from theranostix.units import elapsed_s

    if correction is DecayCorrection.START:
        reference = _reference_time(volume, attrs, allow, notes, half_life)
        delay = elapsed_s(injection, reference)
        if delay < 0:
            raise InjectionAfterScanError(
                "RadiopharmaceuticalStartDateTime",
                "(0018,1078)",
                f"administration {injection.isoformat()} is after the decay reference time "
                f"{reference.isoformat()}",
                found=injection.isoformat(),
                allow="injection-time",
                source=attrs.source,
            )
        decay = math.exp(-lam * delay)
        info.update(reference=reference, decay_factor=decay)
        return np.full(n, to_bqml * w * 1000.0 / (dose * decay)), info

    # NONE: each slice measured during its own frame, not decay-corrected (manual, "Decay
    # correction = NONE"): SUVbw = C W / D_adm · λT/(1 - e^(-λT)) · e^(λ (t_acq - t_adm)).
    factors = np.empty(n)
    for k, (start, duration) in enumerate(
        zip(attrs.acquisition_datetimes, attrs.frame_durations_s, strict=True)
    ):
        if start is None or duration is None or duration <= 0:
            keyword = "AcquisitionTime" if start is None else "ActualFrameDuration"
            raise InconsistentTimingError(
                keyword,
                "(0008,0032)" if start is None else "(0018,1242)",
                f"needed for every slice of a series with DecayCorrection NONE; slice {k} has "
                f"{start if start is None else duration!r}",
                source=attrs.source,
            )
        delay = elapsed_s(injection, start)
        if delay < 0:
            raise InjectionAfterScanError(
                "RadiopharmaceuticalStartDateTime",
                "(0018,1078)",
                f"administration {injection.isoformat()} is after the acquisition of slice {k} "
                f"({start.isoformat()})",
                found=injection.isoformat(),
                allow="injection-time",
                source=attrs.source,
            )
        x = lam * duration
        average = x / -math.expm1(-x) if x > 1e-12 else 1.0
        factors[k] = to_bqml * w * 1000.0 / dose * average * math.exp(lam * delay)
    info["decay_factor"] = None
    return factors, info


def _need_weight(weight_kg: float | None, attrs: PetAttributes) -> float:
    if weight_kg is None:
        raise MissingWeightError(
            "PatientWeight",
            "(0010,1030)",
            f"absent or not positive (found {attrs.weight_raw!r})",
            found=attrs.weight_raw,
            allow="weight",
            source=attrs.source,
        )
    return weight_kg


def _need_height(height_m: float | None, attrs: PetAttributes) -> float:
    if height_m is None:
        raise MissingBodySizeError(
            "PatientSize",
            "(0010,1020)",
            f"absent or implausible (found {attrs.height_raw!r})",
            found=attrs.height_raw,
            allow="height",
            source=attrs.source,
        )
    return height_m


def _need_sex(sex: Sex | None, attrs: PetAttributes) -> Sex:
    if sex is None:
        raise MissingBodySizeError(
            "PatientSex",
            "(0010,0040)",
            f"M, F or O needed, found {attrs.sex_raw!r}",
            found=attrs.sex_raw,
            allow="sex",
            source=attrs.source,
        )
    return sex


def suv_factors(
    volume: Volume,
    normalization: SuvNormalization | str = SuvNormalization.BW,
    *,
    allow: Sequence[str] | Mapping[str, Any] | None = None,
) -> SuvResult:
    """SUV per stored unit for each slice of a PET volume.

    Parameters
    ----------
    volume : Volume
        A PET volume from :func:`~theranostix.imaging.read_dicom_series`, or any
        volume in Bq/mL with its patient, radiopharmaceutical and timing set.
    normalization : SuvNormalization or str
        ``"bw"``, ``"lbm-james"``, ``"lbm-janmahasatian"``, ``"bsa"`` or ``"ibw"``.
    allow : sequence of ``KEY=VALUE`` or mapping, optional
        Explicit values replacing DICOM attributes; keys in :data:`ALLOW_KEYS`.

    Returns
    -------
    SuvResult

    Raises
    ------
    DicomTagError
        A subclass per missing or inconsistent item, naming the DICOM tag.

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import datetime, timezone
    >>> from theranostix.imaging import (Geometry, ImageUnit, Modality, PatientInfo,
    ...     Radiopharmaceutical, Timing, Volume, DecayCorrection)
    >>> t0 = datetime(2025, 1, 1, 10, tzinfo=timezone.utc)
    >>> scan = datetime(2025, 1, 1, 11, tzinfo=timezone.utc)
    >>> v = Volume(np.ones((1, 1, 1)), Geometry((1, 1, 1)), ImageUnit.BQ_PER_ML, Modality.PT,
    ...     PatientInfo(weight_kg=70), Radiopharmaceutical(half_life_s=6586.2,
    ...     injected_activity_bq=368.08e6, injection_time=t0),
    ...     Timing(acquisition_start=scan, decay_correction=DecayCorrection.START,
    ...            decay_reference_time=scan))
    >>> round(suv_factors(v).factor * 3600, 2)   # 3600 Bq/mL one hour after 368 MBq
    1.0
    """
    norm = SuvNormalization(normalization)
    attrs = _attributes(volume)
    notes: list[str] = list(volume.metadata.get("notes", []))
    overrides = parse_allow(
        allow, attrs.injection_datetime.tzinfo if attrs.injection_datetime else None
    )

    weight = overrides.get("weight")
    if weight is None:
        present = attrs.weight_raw is not None and attrs.weight_raw > 0
        weight = interpret_weight_kg(attrs.weight_raw, attrs.source, [], strict=present)
    else:
        notes.append(f"PatientWeight (0010,1030) replaced by --allow: {weight:g} kg")
    height = overrides.get("height")
    if height is None:
        height = interpret_height_m(attrs.height_raw, attrs.source, [], strict=False)
    else:
        notes.append(f"PatientSize (0010,1020) replaced by --allow: {height:g} m")
    sex: Sex | None = overrides.get("sex")
    if sex is None:
        sex = {"M": Sex.MALE, "F": Sex.FEMALE, "O": Sex.OTHER}.get(attrs.sex_raw or "")
    else:
        notes.append(f"PatientSex (0010,0040) replaced by --allow: {sex.value}")

    suvbw, info = _to_suvbw_factors(volume, attrs, overrides, weight, notes, height, sex)

    mass: float | None = None
    bsa: float | None = None
    if norm is SuvNormalization.BW:
        scale = 1.0
        mass = weight
    else:
        w = _need_weight(weight, attrs)
        h_cm = _need_height(height, attrs) * 100.0
        if norm is SuvNormalization.BSA:
            bsa = body_surface_area_dubois_m2(w, h_cm)
            scale = bsa * 1e4 / (w * 1000.0)
        else:
            if norm is SuvNormalization.LBM_JAMES:
                mass = lean_body_mass_james_kg(w, h_cm, _need_sex(sex, attrs))
            elif norm is SuvNormalization.LBM_JANMAHASATIAN:
                mass = lean_body_mass_janmahasatian_kg(w, h_cm, _need_sex(sex, attrs))
            else:
                mass = ideal_body_weight_kg(h_cm, _need_sex(sex, attrs))
            if mass <= 0:
                raise InconsistentWeightError(
                    "PatientWeight",
                    "(0010,1030)",
                    f"{norm.value} gives a non-positive mass ({mass:.3g} kg) for weight {w:g} kg "
                    f"and height {h_cm:g} cm",
                    found=w,
                    allow="weight",
                    source=attrs.source,
                )
            scale = mass / w
    correction = info.get("correction")
    return SuvResult(
        normalization=norm,
        factors=tuple(float(f) for f in suvbw * scale),
        stored_units=attrs.units or "",
        weight_kg=weight,
        height_m=height if norm is not SuvNormalization.BW else None,
        sex=sex if norm not in (SuvNormalization.BW, SuvNormalization.BSA) else None,
        normalizing_mass_kg=mass,
        body_surface_area_m2=bsa,
        injected_activity_bq=info.get("dose"),
        injection_time=info.get("injection"),
        reference_time=info.get("reference"),
        decay_factor=info.get("decay_factor"),
        half_life_s=info.get("half_life"),
        decay_correction=correction,
        notes=tuple(dict.fromkeys(notes)),
    )


def to_suv(
    volume: Volume,
    normalization: SuvNormalization | str = SuvNormalization.BW,
    *,
    allow: Sequence[str] | Mapping[str, Any] | None = None,
) -> Volume:
    """A PET volume converted to SUV (float32), with the :class:`SuvResult` in ``metadata["suv"]``.

    See :func:`suv_factors` for the parameters and errors.
    """
    result = suv_factors(volume, normalization, allow=allow)
    factors = np.asarray(result.factors, dtype=np.float32)
    array = np.asarray(volume.array, dtype=np.float32) * factors[:, None, None]
    metadata = dict(volume.metadata)
    metadata["suv"] = result
    return replace(volume, array=array, unit=ImageUnit.SUV, metadata=metadata)

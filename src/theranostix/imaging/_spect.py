"""Quantitative SPECT: counts to Bq/mL with a calibration factor; time-point series.

A reconstructed SPECT image in counts (or counts per second) becomes an
activity-concentration image with the *volume sensitivity* of the system,
measured with a calibration phantom of known activity reconstructed with the
same protocol [1]_ [2]_. Images that a vendor's quantitative reconstruction
already gives in Bq/mL are read as such.

Conventions
-----------
- The value of a voxel in counts is the number of counts that the
  reconstruction assigns to that voxel for the whole acquisition, and the
  acquisition duration ``T`` is the total (wall-clock) duration of the
  acquisition. For a step-and-shoot tomography with ``P`` angular steps per
  detector head of ``t`` seconds each, ``T = P × t`` (e.g. 60 steps × 20 s =
  1200 s; a dual-head camera acquiring 120 views in total with 60 steps per
  head also has ``T = 60 × 20 s``). The sensitivity must have been measured
  with the same reconstruction and the same definition of ``T``: only then
  do the reconstruction's count scaling conventions cancel.
- The sensitivity is in cps/MBq: counts per second in the reconstructed
  calibration-phantom image per MBq in the phantom at the start of the
  calibration acquisition.
- Values are corrected for decay during the acquisition and refer to its
  start (Decay Correction ``START``). The correction to the injection time,
  or to any other time, is left to the caller.
- The calibration is not decay-corrected: a sensitivity is a property of the
  camera, not of a source. Its age at the acquisition is recorded in the
  output metadata and, above :data:`CALIBRATION_AGE_NOTE_DAYS` days, a note
  asks for a recent calibration check; the values are not changed.

References
----------
.. [1] Dewaraja YK, Frey EC, Sgouros G, et al. MIRD Pamphlet No. 23:
   quantitative SPECT for patient-specific 3-dimensional dosimetry in internal
   radionuclide therapy. J Nucl Med 2012;53(8):1310-1325.
   doi:10.2967/jnumed.112.110163
.. [2] Ljungberg M, Celler A, Konijnenberg MW, et al. MIRD Pamphlet No. 26:
   joint EANM/MIRD guidelines for quantitative 177Lu SPECT applied for
   dosimetry of radiopharmaceutical therapy. J Nucl Med 2016;57(1):151-162.
   doi:10.2967/jnumed.115.159012
.. [3] Rutherford E, Soddy F. The cause and nature of radioactivity.
   Phil Mag 1902;4(21):370-396. doi:10.1080/14786440209462856
   (A(t) = A0·exp(−λt), integrated over the acquisition).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from theranostix.errors import MissingTagError, ThxError
from theranostix.imaging._volume import DecayCorrection, ImageUnit, Modality, Volume
from theranostix.nuclides import Nuclide
from theranostix.units import elapsed_s, ensure_aware

__all__ = [
    "CALIBRATION_AGE_NOTE_DAYS",
    "SpectCalibration",
    "decay_during_acquisition_factor",
    "order_time_points",
    "quantify_spect",
]

#: A calibration older than this (days before the acquisition) adds a note to
#: the output metadata. The sensitivity of a camera drifts slowly and quality
#: control re-checks it periodically; 90 days (a quarterly check) is this
#: library's choice, not a value from a guideline.
CALIBRATION_AGE_NOTE_DAYS = 90.0

#: Two volumes whose injection times differ by at most this are taken as one
#: administration (injection times typed by hand in two studies can differ by
#: rounding); more is another administration, e.g. another therapy cycle.
INJECTION_TIME_TOLERANCE_S = 60.0

#: Two acquisitions starting less than this apart are the same time point.
DUPLICATE_TIME_TOLERANCE_S = 1.0

# Half-lives differing by more than this are different nuclides.
_HALF_LIFE_RTOL = 0.01


@dataclass(frozen=True)
class SpectCalibration:
    """Volume sensitivity of a SPECT system for one radionuclide and protocol.

    Parameters
    ----------
    sensitivity_cps_per_mbq : float
        Counts per second in the reconstructed image of a calibration phantom
        per MBq of activity in it, positive.
    nuclide : Nuclide
        The radionuclide of the calibration; a name such as ``"Lu-177"`` is
        also accepted and converted.
    calibration_date : datetime
        When the calibration was measured, timezone-aware.
    energy_window : str, optional
        Photopeak window(s), e.g. ``"208 keV ± 10 %"``.
    collimator : str, optional
        Collimator, e.g. ``"MEGP"``.
    camera : str, optional
        Camera model or identifier.

    Raises
    ------
    ThxError
        When the sensitivity is not a positive finite number or the date is
        not a timezone-aware datetime.
    UnknownNuclideError
        When the nuclide name is unknown.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> cal = SpectCalibration(9.4, "177Lu", datetime(2026, 1, 5, tzinfo=timezone.utc))
    >>> cal.nuclide.name, cal.sensitivity_cps_per_mbq
    ('Lu-177', 9.4)
    """

    sensitivity_cps_per_mbq: float
    nuclide: Nuclide
    calibration_date: datetime
    energy_window: str | None = None
    collimator: str | None = None
    camera: str | None = None

    def __post_init__(self) -> None:
        try:
            sensitivity = float(self.sensitivity_cps_per_mbq)
        except (TypeError, ValueError):
            sensitivity = math.nan
        if not math.isfinite(sensitivity) or sensitivity <= 0:
            raise ThxError(
                "SPECT calibration sensitivity_cps_per_mbq must be a positive number of cps/MBq, "
                f"got {self.sensitivity_cps_per_mbq!r}"
            )
        object.__setattr__(self, "sensitivity_cps_per_mbq", sensitivity)
        nuclide: object = self.nuclide
        if isinstance(nuclide, str):
            object.__setattr__(self, "nuclide", Nuclide(nuclide))
        elif not isinstance(nuclide, Nuclide):
            raise ThxError(
                f"SPECT calibration nuclide must be a Nuclide or a name such as 'Lu-177', "
                f"got {nuclide!r}"
            )
        ensure_aware(self.calibration_date, "SPECT calibration_date")

    def require_nuclide(self, nuclide: Nuclide, what: str = "the image") -> None:
        """Raise :class:`ThxError` naming both nuclides unless ``nuclide`` is the calibration's."""
        if nuclide != self.nuclide:
            raise ThxError(
                f"{what} is {nuclide.name} but the SPECT calibration is for "
                f"{self.nuclide.name}; use a calibration measured with {nuclide.name}"
            )


def decay_during_acquisition_factor(nuclide: Nuclide | str, duration_s: float) -> float:
    """Factor λT / (1 − e^(−λT)) from the mean activity during an acquisition to its start value.

    A source of activity ``A0`` at the start of an acquisition of duration
    ``T`` gives counts proportional to ∫₀ᵀ A0·e^(−λt) dt = A0·(1 − e^(−λT))/λ
    [1]_, so the mean activity during the acquisition is ``A0`` divided by this
    factor. The factor is at least 1 and tends to 1 + λT/2 for short
    acquisitions.

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide.
    duration_s : float
        Acquisition duration in seconds, non-negative.

    Returns
    -------
    float

    References
    ----------
    .. [1] Rutherford E, Soddy F. Phil Mag 1902;4(21):370-396.
       doi:10.1080/14786440209462856 (decay law; the integral is elementary).

    Examples
    --------
    >>> tc = Nuclide("Tc-99m")
    >>> round(decay_during_acquisition_factor(tc, tc.half_life_s), 4)  # one half-life: 2 ln 2
    1.3863
    """
    try:
        duration = float(duration_s)
    except (TypeError, ValueError):
        duration = math.nan
    if not math.isfinite(duration) or duration < 0:
        raise ThxError(
            f"acquisition duration must be a non-negative number of s, got {duration_s!r}"
        )
    lam = (nuclide if isinstance(nuclide, Nuclide) else Nuclide(nuclide)).decay_constant_per_s
    x = lam * duration
    if x == 0.0:
        return 1.0
    return float(x / -math.expm1(-x))


def _describe(volume: Volume, index: int | None = None) -> str:
    """A short name for a volume in error messages: position and series identifiers."""
    parts = [] if index is None else [f"volume #{index}"]
    for key in ("series_description", "series_uid", "source"):
        value = volume.metadata.get(key)
        if value:
            parts.append(f"{key} {value!r}")
            break
    return " ".join(parts) if parts else "the image"


def _image_nuclide(volume: Volume, calibration: SpectCalibration) -> tuple[Nuclide, str | None]:
    """The nuclide of the image, checked against the calibration, and a note if inferred."""
    pharma = volume.radiopharmaceutical
    if pharma.nuclide is not None:
        calibration.require_nuclide(pharma.nuclide, f"the radionuclide of {_describe(volume)}")
        return pharma.nuclide, None
    if pharma.half_life_s is not None:
        expected = calibration.nuclide.half_life_s
        if abs(pharma.half_life_s - expected) > _HALF_LIFE_RTOL * expected:
            raise ThxError(
                f"Radionuclide Half Life (0018,1075) of {_describe(volume)} is "
                f"{pharma.half_life_s:.6g} s but the SPECT calibration is for "
                f"{calibration.nuclide.name} (half-life {expected:.6g} s); use a calibration "
                "measured with the imaged radionuclide"
            )
        return calibration.nuclide, (
            f"radionuclide taken as {calibration.nuclide.name} from the calibration "
            "(the image states only its half-life, which agrees)"
        )
    return calibration.nuclide, (
        f"radionuclide taken as {calibration.nuclide.name} from the calibration "
        "(the image does not state it)"
    )


def _acquisition_duration(
    volume: Volume, acquisition_duration_s: float | None
) -> tuple[float, str]:
    """Duration in seconds and where it came from."""
    if acquisition_duration_s is not None:
        value, source = acquisition_duration_s, "acquisition_duration_s argument"
    elif volume.timing.frame_duration_s is not None:
        value, source = volume.timing.frame_duration_s, "ActualFrameDuration (0018,1242)"
    else:
        raise MissingTagError(
            "ActualFrameDuration",
            "(0018,1242)",
            "the acquisition duration is needed to convert counts to Bq/mL and to correct "
            "for decay during the acquisition; pass acquisition_duration_s= (total "
            "acquisition time: number of angular steps per head × time per step)",
            source=_describe(volume),
        )
    try:
        duration = float(value)
    except (TypeError, ValueError):
        duration = math.nan
    if not math.isfinite(duration) or duration <= 0:
        raise ThxError(f"acquisition duration ({source}) must be positive seconds, got {value!r}")
    return duration, source


def quantify_spect(
    volume: Volume,
    calibration: SpectCalibration | None = None,
    *,
    acquisition_duration_s: float | None = None,
) -> Volume:
    """Convert a reconstructed SPECT image to Bq/mL, decay-corrected to acquisition start.

    For an image in counts (the module's conventions define the counts and
    the duration ``T``) [1]_ [2]_::

        C [Bq/mL] = N / (T × S × 1e-6 × V) × λT / (1 − e^(−λT))

    with ``N`` the voxel counts, ``S`` the sensitivity in cps/MBq (so
    ``S × 1e-6`` in cps/Bq), ``V`` the voxel volume in mL and λ the decay
    constant of the nuclide (ICRP-107). The last factor
    (:func:`decay_during_acquisition_factor`) converts the mean activity during
    the acquisition to the activity at its start. For an image in cps (counts
    already divided by ``T``) the division by ``T`` is left out; ``T`` is still
    needed for the decay factor.

    An image already in Bq/mL (a vendor's quantitative reconstruction) is
    returned as a copy, its values and timing unchanged, with a metadata entry
    saying so.

    Parameters
    ----------
    volume : Volume
        Reconstructed SPECT image (modality NM, or OT for files without one)
        in counts, cps or Bq/mL.
    calibration : SpectCalibration, optional
        Required for counts and cps. Its nuclide must be the image's.
    acquisition_duration_s : float, optional
        Total acquisition duration ``T`` in seconds; by default
        ``volume.timing.frame_duration_s`` (Actual Frame Duration (0018,1242)).

    Returns
    -------
    Volume
        Float64 values in Bq/mL; ``timing.decay_correction`` is ``START`` with
        ``decay_reference_time`` the acquisition start.
        ``metadata["spect_quantification"]`` records the inputs and factors
        used, and ``metadata["notes"]`` (a list of str) any remark, e.g. an
        old calibration.

    Raises
    ------
    ThxError
        When the unit or modality is not a SPECT image's, the calibration is
        missing (the message says what to pass) or for another nuclide, or the
        image is already decay-corrected.
    MissingTagError
        When the duration is neither given nor in the image (names
        ActualFrameDuration (0018,1242)).

    References
    ----------
    .. [1] Dewaraja YK, et al. MIRD Pamphlet No. 23. J Nucl Med
       2012;53(8):1310-1325. doi:10.2967/jnumed.112.110163
    .. [2] Ljungberg M, et al. MIRD Pamphlet No. 26. J Nucl Med
       2016;57(1):151-162. doi:10.2967/jnumed.115.159012

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import datetime, timezone
    >>> from theranostix.imaging import Geometry, ImageUnit, Modality, Timing, Volume
    >>> t0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)
    >>> cal = SpectCalibration(10.0, "Lu-177", t0)
    >>> g = Geometry((1, 1, 1), spacing_mm=(10, 10, 10))  # 1 mL voxel
    >>> counts = Volume(np.full((1, 1, 1), 12000.0), g, ImageUnit.COUNTS, Modality.NM,
    ...                 timing=Timing(acquisition_start=t0, frame_duration_s=1200.0))
    >>> q = quantify_spect(counts, cal)
    >>> q.unit.value, round(float(q.array[0, 0, 0]), 1)  # 12000/(1200 × 1e-5) × 1.000724
    ('Bq/mL', 1000724.3)
    """
    if volume.modality not in (Modality.NM, Modality.OT):
        raise ThxError(
            f"quantify_spect expects a SPECT image (modality NM), got {volume.modality.value} "
            f"for {_describe(volume)}"
        )
    metadata: dict[str, Any] = dict(volume.metadata)
    notes: list[str] = list(metadata.get("notes", ()))

    if volume.unit is ImageUnit.BQ_PER_ML:
        record: dict[str, Any] = {
            "method": "vendor quantitative reconstruction (values read as Bq/mL, unchanged)",
            "input_unit": volume.unit.value,
        }
        if calibration is not None:
            pharma_nuclide = volume.radiopharmaceutical.nuclide
            if pharma_nuclide is not None:
                calibration.require_nuclide(
                    pharma_nuclide, f"the radionuclide of {_describe(volume)}"
                )
            notes.append("image already in Bq/mL: the SPECT calibration given was not applied")
        metadata["spect_quantification"] = record
        metadata["notes"] = notes
        return replace(volume, array=np.array(volume.array, copy=True), metadata=metadata)

    if volume.unit not in (ImageUnit.COUNTS, ImageUnit.CPS):
        raise ThxError(
            f"cannot quantify {_describe(volume)} in {volume.unit.value!r}: a SPECT image in "
            "counts, cps or Bq/mL is expected"
        )
    if calibration is None:
        raise ThxError(
            f"{_describe(volume)} is in {volume.unit.value}: pass calibration=SpectCalibration("
            "sensitivity_cps_per_mbq=..., nuclide=..., calibration_date=...) measured for this "
            "camera, collimator, energy window and reconstruction"
        )
    if volume.timing.decay_correction in (DecayCorrection.START, DecayCorrection.ADMIN):
        raise ThxError(
            f"{_describe(volume)} in {volume.unit.value} is already decay-corrected "
            f"({volume.timing.decay_correction.value}); refusing to correct it twice"
        )
    nuclide, nuclide_note = _image_nuclide(volume, calibration)
    if nuclide_note:
        notes.append(nuclide_note)
    duration_s, duration_source = _acquisition_duration(volume, acquisition_duration_s)

    decay_factor = decay_during_acquisition_factor(nuclide, duration_s)
    sensitivity_cps_per_bq = calibration.sensitivity_cps_per_mbq * 1e-6
    voxel_ml = volume.geometry.voxel_volume_ml
    if volume.unit is ImageUnit.COUNTS:
        scale = decay_factor / (duration_s * sensitivity_cps_per_bq * voxel_ml)
    else:
        scale = decay_factor / (sensitivity_cps_per_bq * voxel_ml)

    start = volume.timing.acquisition_start
    age_days: float | None = None
    if start is None:
        notes.append("acquisition start unknown: the age of the SPECT calibration was not checked")
    else:
        age_days = elapsed_s(calibration.calibration_date, start) / 86400.0
        if age_days > CALIBRATION_AGE_NOTE_DAYS:
            notes.append(
                f"SPECT calibration of {calibration.calibration_date.isoformat()} is "
                f"{age_days:.0f} days older than the acquisition (more than "
                f"{CALIBRATION_AGE_NOTE_DAYS:.0f}); check that it is still valid"
            )
        elif age_days < 0:
            notes.append(
                f"SPECT calibration of {calibration.calibration_date.isoformat()} was measured "
                f"{-age_days:.1f} days after the acquisition"
            )

    metadata["spect_quantification"] = {
        "method": "calibration",
        "input_unit": volume.unit.value,
        "nuclide": nuclide.name,
        "sensitivity_cps_per_mbq": calibration.sensitivity_cps_per_mbq,
        "calibration_date": calibration.calibration_date.isoformat(),
        "calibration_age_days": age_days,
        "energy_window": calibration.energy_window,
        "collimator": calibration.collimator,
        "camera": calibration.camera,
        "acquisition_duration_s": duration_s,
        "duration_source": duration_source,
        "voxel_volume_ml": voxel_ml,
        "decay_during_acquisition_factor": decay_factor,
        "scale_bq_per_ml_per_unit": scale,
    }
    metadata["notes"] = notes
    timing = replace(
        volume.timing,
        frame_duration_s=duration_s,
        decay_correction=DecayCorrection.START,
        decay_reference_time=start,
    )
    array = np.asarray(volume.array, dtype=np.float64) * scale
    return replace(volume, array=array, unit=ImageUnit.BQ_PER_ML, timing=timing, metadata=metadata)


def _patient_id(volume: Volume) -> str | None:
    """Patient ID from the patient record, else from ``metadata["patient_id"]``."""
    pid = volume.patient.patient_id or volume.metadata.get("patient_id")
    if pid is None:
        return None
    text = str(pid).strip()
    return text or None


def order_time_points(volumes: Iterable[Volume]) -> list[tuple[float, Volume]]:
    """Order images of one patient and one administration by time after injection.

    Parameters
    ----------
    volumes : iterable of Volume
        Images of one patient after one administration, in any order. Each
        needs ``radiopharmaceutical.injection_time`` and
        ``timing.acquisition_start`` (timezone-aware).

    Returns
    -------
    list of (float, Volume)
        ``(hours after injection, volume)``, earliest first. Elapsed time is
        computed in UTC, so it is exact across daylight-saving changes. When
        injection times differ by up to :data:`INJECTION_TIME_TOLERANCE_S`,
        the earliest one is used for all.

    Raises
    ------
    ThxError
        When there is no volume; when patient IDs (``patient.patient_id`` or
        ``metadata["patient_id"]``) differ; when a volume has no injection time
        or acquisition start, or was acquired before injection; when injection
        times differ (another administration, e.g. another therapy cycle) or
        radionuclides differ; when two volumes share a time point. Each message
        names the volumes concerned.

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import datetime, timedelta, timezone
    >>> from theranostix.imaging import Geometry, Radiopharmaceutical, Timing, Volume
    >>> inj = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    >>> def scan(hours):
    ...     return Volume(np.zeros((1, 1, 1)), Geometry((1, 1, 1)),
    ...                   radiopharmaceutical=Radiopharmaceutical(injection_time=inj),
    ...                   timing=Timing(acquisition_start=inj + timedelta(hours=hours)))
    >>> [t for t, _ in order_time_points([scan(96), scan(4), scan(24)])]
    [4.0, 24.0, 96.0]
    """
    items: Sequence[Volume] = list(volumes)
    if not items:
        raise ThxError("order_time_points needs at least one volume, got none")

    patients: dict[str, int] = {}
    nuclides: dict[str, int] = {}
    injections: list[tuple[datetime, int]] = []
    for index, volume in enumerate(items):
        pid = _patient_id(volume)
        if pid is not None:
            patients.setdefault(pid, index)
        nuclide = volume.radiopharmaceutical.nuclide
        if nuclide is not None:
            nuclides.setdefault(nuclide.name, index)
        injection = volume.radiopharmaceutical.injection_time
        if injection is None:
            raise ThxError(
                f"{_describe(volume, index)} has no injection time "
                "(Radiopharmaceutical Start DateTime (0018,1078)); time after injection unknown"
            )
        ensure_aware(injection, f"injection time of {_describe(volume, index)}")
        if volume.timing.acquisition_start is None:
            raise ThxError(
                f"{_describe(volume, index)} has no acquisition start (Acquisition DateTime "
                "(0008,002A)); time after injection unknown"
            )
        ensure_aware(
            volume.timing.acquisition_start, f"acquisition start of {_describe(volume, index)}"
        )
        injections.append((injection, index))

    if len(patients) > 1:
        (pid_a, a), (pid_b, b) = list(patients.items())[:2]
        raise ThxError(
            f"volumes belong to different patients: {_describe(items[a], a)} is patient "
            f"{pid_a!r}, {_describe(items[b], b)} is patient {pid_b!r}"
        )
    if len(nuclides) > 1:
        (name_a, a), (name_b, b) = list(nuclides.items())[:2]
        raise ThxError(
            f"volumes show different radionuclides: {_describe(items[a], a)} is {name_a}, "
            f"{_describe(items[b], b)} is {name_b}"
        )

    earliest, first = min(injections, key=lambda item: item[0].astimezone(UTC))
    for injection, index in injections:
        if abs(elapsed_s(earliest, injection)) > INJECTION_TIME_TOLERANCE_S:
            raise ThxError(
                "volumes belong to different administrations (e.g. therapy cycles): "
                f"{_describe(items[first], first)} was injected at {earliest.isoformat()}, "
                f"{_describe(items[index], index)} at {injection.isoformat()}; order each "
                "administration separately"
            )

    timed: list[tuple[float, int]] = []
    for index, volume in enumerate(items):
        start = volume.timing.acquisition_start
        assert start is not None  # checked above
        seconds = elapsed_s(earliest, start)
        if seconds < 0:
            raise ThxError(
                f"{_describe(volume, index)} was acquired at {start.isoformat()}, "
                f"{-seconds / 3600:.3g} h before the injection at {earliest.isoformat()}"
            )
        timed.append((seconds, index))
    timed.sort()
    for (t_a, a), (t_b, b) in itertools.pairwise(timed):
        if t_b - t_a < DUPLICATE_TIME_TOLERANCE_S:
            raise ThxError(
                f"{_describe(items[a], a)} and {_describe(items[b], b)} are the same time point "
                f"({t_a / 3600:.4g} h after injection); keep one of them"
            )
    return [(seconds / 3600.0, items[index]) for seconds, index in timed]

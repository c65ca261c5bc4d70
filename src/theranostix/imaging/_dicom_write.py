"""Write volumes and masks as DICOM: CT, PET and NM image series, RTSTRUCT and SEG.

The writers are strict: they refuse a volume whose unit or timing cannot be
expressed in the target object, and write what the IODs of DICOM PS3.3 require
(Type 1 and Type 2 attributes of the modules listed in each function).

- CT Image Storage (PS3.3 A.3): one file per slice, int16 Hounsfield units.
- PET Image Storage (PS3.3 A.21): one file per slice, int16 with a per-slice
  Rescale Slope (C.8.9.4.1.4), Units ``BQML``, Decay Correction ``START``.
- NM Image Storage (PS3.3 A.5), ``RECON TOMO``: one multi-frame file of uint16
  with one Rescale Slope and a Real World Value Mapping (C.7.6.16.2.11) to
  UCUM ``Bq/ml``.
- RT Structure Set Storage (PS3.3 A.19): contours per slice, ``CLOSED_PLANAR``.
- Segmentation Storage (PS3.3 A.51): ``BINARY`` segments, written by highdicom.

Datetimes are timezone-aware; DA/TM values are local to the acquisition's own
offset, which is written in Timezone Offset From UTC (0008,0201) (PS3.3 C.12.1.1.8).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import NaiveDatetimeError, ThxError
from theranostix.imaging._volume import (
    DecayCorrection,
    Geometry,
    ImageUnit,
    Mask,
    Modality,
    PatientInfo,
    Volume,
)

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["write_dicom_series", "write_rtstruct", "write_seg"]

_CT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.2"
_PET_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.128"
_NM_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.20"
_RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"

_INT16_MAX = 32767
_UINT16_MAX = 65535

#: Radionuclide codes of PS3.16 CID 18 / CID 4020 (SNOMED CT, scheme SCT; the current
#: standard replaced the legacy SNOMED-RT codes such as C-111A1 for F-18).
_RADIONUCLIDE_CODES: dict[str, tuple[str, str, str]] = {
    "F-18": ("77004003", "SCT", "^18^Fluorine"),
    "Ga-68": ("35337001", "SCT", "^68^Gallium"),
    "Lu-177": ("447553000", "SCT", "^177^Lutetium"),
    "Cu-64": ("127000001", "SCT", "^64^Copper"),
    "Zr-89": ("58214004", "SCT", "^89^Zirconium"),
}

#: Radiopharmaceutical codes of PS3.16 CID 4021 / CID 25, keyed by lower-case name.
_RADIOPHARMACEUTICAL_CODES: dict[str, tuple[str, str, str]] = {
    "fluorodeoxyglucose": ("35321007", "SCT", "Fluorodeoxyglucose F^18^"),
    "ga-68-psma-11": ("C118961", "NCIt", "PSMA-11 Ga^68^"),
    "ga-68-dotatate": ("724025002", "SCT", "Dotatate Ga^68^"),
    "lu-177-dotatate": ("781259000", "SCT", "Lutetium^177^ DOTATATE"),
}

#: Lu-177 photopeak window used for the NM Energy Window Information Sequence:
#: 208.4 keV ± 10 % (EANM/MIRD guideline for quantitative Lu-177 SPECT, Ljungberg M
#: et al., J Nucl Med 2016;57:151-162, doi:10.2967/jnumed.115.159012).
_NM_WINDOWS: dict[str, tuple[float, float]] = {"Lu-177": (187.56, 229.24)}


# --------------------------------------------------------------------------- helpers


def _ds(value: float) -> Any:
    """A DS value formatted to fit 16 characters (PS3.5 Table 6.2-1)."""
    from pydicom.valuerep import DSfloat

    return DSfloat(float(value), auto_format=True)


def _ds_list(values: Iterable[float]) -> list[Any]:
    return [_ds(v) for v in values]


def _aware(when: datetime | None, what: str) -> datetime | None:
    if when is not None and when.tzinfo is None:
        raise NaiveDatetimeError(
            f"{what} {when.isoformat()} has no time zone; DICOM writing needs an aware datetime"
        )
    return when


def _da(when: datetime) -> str:
    return when.strftime("%Y%m%d")


def _tm(when: datetime) -> str:
    return when.strftime("%H%M%S.%f")


def _dt(when: datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S.%f%z")


def _offset(when: datetime) -> str:
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _uid(entropy: str | None, *parts: object) -> str:
    """A new UID: random, or derived from ``entropy`` and ``parts`` (deterministic)."""
    from pydicom.uid import generate_uid

    if entropy is None:
        return str(generate_uid())
    return str(generate_uid(entropy_srcs=[entropy, *(str(p) for p in parts)]))


def _code_item(value: str, scheme: str, meaning: str) -> Dataset:
    from pydicom.dataset import Dataset

    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _file_meta(sop_class_uid: str, sop_instance_uid: str) -> Any:
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    return meta


@dataclass(frozen=True)
class _Context:
    """Identifiers and dates shared by every instance of one series."""

    patient: PatientInfo
    patient_name: str
    study_uid: str
    series_uid: str
    frame_of_reference_uid: str
    series_number: int
    series_description: str
    study_datetime: datetime
    series_datetime: datetime
    manufacturer: str
    entropy: str | None


def _common(ds: Dataset, ctx: _Context, modality: str, sop_class_uid: str, sop_uid: str) -> None:
    """Patient, General Study, General Series, Frame of Reference, Equipment, SOP Common."""
    from theranostix import __version__

    when = ctx.series_datetime
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_uid
    ds.InstanceCreationDate = _da(when)
    ds.InstanceCreationTime = _tm(when)
    ds.TimezoneOffsetFromUTC = _offset(when)
    # Patient (C.7.1.1)
    ds.PatientName = ctx.patient_name
    ds.PatientID = ctx.patient.patient_id or "THX-PHANTOM"
    ds.PatientBirthDate = ""
    ds.PatientSex = ctx.patient.sex.value if ctx.patient.sex is not None else ""
    # Patient Study (C.7.2.2)
    if ctx.patient.weight_kg is not None:
        ds.PatientWeight = _ds(ctx.patient.weight_kg)
    if ctx.patient.height_m is not None:
        ds.PatientSize = _ds(ctx.patient.height_m)
    # General Study (C.7.2.1)
    ds.StudyInstanceUID = ctx.study_uid
    ds.StudyDate = _da(ctx.study_datetime)
    ds.StudyTime = _tm(ctx.study_datetime)
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    # General Series (C.7.3.1)
    ds.Modality = modality
    ds.SeriesInstanceUID = ctx.series_uid
    ds.SeriesNumber = ctx.series_number
    ds.SeriesDescription = ctx.series_description
    ds.SeriesDate = _da(when)
    ds.SeriesTime = _tm(when)
    # Frame of Reference (C.7.4.1)
    ds.FrameOfReferenceUID = ctx.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    # General Equipment (C.7.5.1)
    ds.Manufacturer = ctx.manufacturer
    ds.ManufacturerModelName = "theranostix"
    ds.SoftwareVersions = __version__


def _pixel_module(ds: Dataset, rows: int, columns: int, signed: bool) -> None:
    """Image Pixel module (C.7.6.3) for 16-bit greyscale."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if signed else 0


def _orientation(geometry: Geometry) -> list[Any]:
    d = geometry.direction_matrix
    return _ds_list([*d[:, 0], *d[:, 1]])


def _radiopharmaceutical_item(volume: Volume, start_tz: datetime) -> Dataset:
    """One item of the Radiopharmaceutical Information Sequence (C.8.9.2 / C.8.4.10)."""
    from pydicom.dataset import Dataset

    rp = volume.radiopharmaceutical
    nuclide = rp.nuclide.name if rp.nuclide is not None else None
    half_life_s = rp.half_life_s
    if half_life_s is None and rp.nuclide is not None:
        half_life_s = rp.nuclide.half_life_s
    injection = _aware(rp.injection_time, "radiopharmaceutical injection_time")
    if injection is None or rp.injected_activity_bq is None or half_life_s is None:
        raise ThxError(
            f"a {volume.modality.value} series needs the injected activity, injection time and "
            f"half-life of its radiopharmaceutical; got activity {rp.injected_activity_bq}, "
            f"injection {injection}, half-life {half_life_s}"
        )
    injection = injection.astimezone(start_tz.tzinfo)
    item = Dataset()
    item.Radiopharmaceutical = rp.name or (nuclide or "")
    item.RadiopharmaceuticalStartTime = _tm(injection)
    item.RadiopharmaceuticalStartDateTime = _dt(injection)
    item.RadionuclideTotalDose = _ds(rp.injected_activity_bq)
    item.RadionuclideHalfLife = _ds(half_life_s)
    if nuclide is not None:
        if rp.nuclide is not None and rp.nuclide.positron_yield > 0:
            item.RadionuclidePositronFraction = _ds(rp.nuclide.positron_yield)
        code = _RADIONUCLIDE_CODES.get(nuclide)
        if code is not None:
            item.RadionuclideCodeSequence = [_code_item(*code)]
    pharm = _RADIOPHARMACEUTICAL_CODES.get((rp.name or "").lower())
    if pharm is not None:
        item.RadiopharmaceuticalCodeSequence = [_code_item(*pharm)]
    return item


def _context(
    volume: Volume,
    *,
    patient: PatientInfo | None,
    patient_name: str,
    study_uid: str | None,
    series_uid: str | None,
    frame_of_reference_uid: str | None,
    series_number: int,
    series_description: str | None,
    study_datetime: datetime | None,
    manufacturer: str,
    uid_entropy: str | None,
) -> _Context:
    start = _aware(volume.timing.acquisition_start, "timing.acquisition_start")
    study_when = _aware(study_datetime, "study_datetime")
    if start is None:
        if volume.modality in (Modality.PT, Modality.NM):
            raise ThxError(
                f"a {volume.modality.value} series needs timing.acquisition_start (the series "
                "reference time of its SUV and decay corrections)"
            )
        start = study_when or datetime(2000, 1, 1, tzinfo=UTC)
    if study_when is None:
        study_when = start
    study_when = study_when.astimezone(start.tzinfo)
    meta = volume.metadata
    return _Context(
        patient=patient if patient is not None else volume.patient,
        patient_name=patient_name,
        study_uid=study_uid or meta.get("study_uid") or _uid(uid_entropy, "study"),
        series_uid=series_uid or _uid(uid_entropy, "series"),
        frame_of_reference_uid=frame_of_reference_uid
        or meta.get("frame_of_reference_uid")
        or _uid(uid_entropy, "frame-of-reference"),
        series_number=int(series_number),
        series_description=series_description
        if series_description is not None
        else str(meta.get("series_description", "")),
        study_datetime=study_when,
        series_datetime=start,
        manufacturer=manufacturer,
        entropy=uid_entropy,
    )


def _slice_scale_int16(values: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.int16], Any]:
    """Stored int16 values and the DS Rescale Slope mapping them back (C.7.6.3.1.1).

    The slope is chosen so that the largest magnitude of the slice uses the full
    int16 range; the stored values are computed with the slope *as written*, so
    ``stored * float(slope)`` reproduces the values to half a quantisation step.
    """
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    slope = _ds(peak / _INT16_MAX if peak > 0 else 1.0)
    stored = np.clip(np.rint(values / float(slope)), -_INT16_MAX, _INT16_MAX)
    return stored.astype(np.int16), slope


# --------------------------------------------------------------------------- image series


def write_dicom_series(
    volume: Volume,
    out_dir: str | Path,
    *,
    series_description: str | None = None,
    study_uid: str | None = None,
    series_uid: str | None = None,
    frame_of_reference_uid: str | None = None,
    series_number: int = 1,
    patient: PatientInfo | None = None,
    patient_name: str = "THX^PHANTOM",
    study_datetime: datetime | None = None,
    manufacturer: str = "theranostix",
    uid_entropy: str | None = None,
) -> list[Path]:
    r"""Write a volume as a DICOM image series (CT, PET or NM, from its modality).

    - ``Modality.CT`` with unit ``HU``: CT Image Storage, one file per slice,
      int16 with Rescale Slope 1 and Intercept 0 (PS3.3 C.8.2.1).
    - ``Modality.PT`` with unit ``Bq/mL``: PET Image Storage, one file per slice,
      int16 with a per-slice Rescale Slope; PET Series (C.8.9.1), PET Isotope
      (C.8.9.2) and PET Image (C.8.9.4) modules with Units ``BQML``, Decay
      Correction from the volume's timing (``START`` by default), Frame Reference
      Time, Actual Frame Duration and Decay Factor.
    - ``Modality.NM`` with unit ``Bq/mL``: NM Image Storage, one multi-frame file
      of a reconstructed tomogram (``ORIGINAL\PRIMARY\RECON TOMO\EMISSION``,
      Frame Increment Pointer to Slice Vector (0054,0080), C.8.4.8), uint16 with
      one Rescale Slope and a Real World Value Mapping to UCUM ``Bq/ml``.

    Series Date/Time and Acquisition Date/Time are the acquisition start
    (``volume.timing.acquisition_start``, required for PET and NM); they are the
    reference time of Decay Correction ``START`` (C.8.9.1.1.2).

    Parameters
    ----------
    volume : Volume
        The image; its geometry gives positions (LPS), its metadata may give
        ``study_uid`` and ``frame_of_reference_uid``.
    out_dir : str or Path
        Folder to write into (created); files are named ``<InstanceNumber>.dcm``,
        but readers should order slices by position, not by name.
    series_description, study_uid, series_uid, frame_of_reference_uid, series_number
        Series identifiers; UIDs are generated when not given.
    patient : PatientInfo, optional
        Overrides ``volume.patient`` (weight, height, sex, ID).
    patient_name : str
        Patient's Name (0010,0010).
    study_datetime : datetime, optional
        Study Date/Time (aware); the acquisition start by default.
    manufacturer : str
        Manufacturer (0008,0070).
    uid_entropy : str, optional
        When given, all generated UIDs are derived from it (deterministic output).

    Returns
    -------
    list of Path
        The files written, in slice order (one file for NM).

    Raises
    ------
    ThxError
        When the modality and unit cannot be written, or PET/NM timing or the
        radiopharmaceutical is missing.
    NaiveDatetimeError
        When a datetime has no time zone.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from theranostix.imaging import Geometry, ImageUnit, Modality, Volume
    >>> ct = Volume(np.zeros((2, 3, 4)), Geometry((2, 3, 4)), ImageUnit.HU, Modality.CT)
    >>> len(write_dicom_series(ct, tempfile.mkdtemp()))
    2
    """
    out = Path(out_dir)
    ctx = _context(
        volume,
        patient=patient,
        patient_name=patient_name,
        study_uid=study_uid,
        series_uid=series_uid,
        frame_of_reference_uid=frame_of_reference_uid,
        series_number=series_number,
        series_description=series_description,
        study_datetime=study_datetime,
        manufacturer=manufacturer,
        uid_entropy=uid_entropy,
    )
    kind = (volume.modality, volume.unit)
    if kind == (Modality.CT, ImageUnit.HU):
        writer = _write_ct
    elif kind == (Modality.PT, ImageUnit.BQ_PER_ML):
        writer = _write_pet
    elif kind == (Modality.NM, ImageUnit.BQ_PER_ML):
        writer = _write_nm
    else:
        raise ThxError(
            f"cannot write a {volume.modality.value} volume in {volume.unit.value} as DICOM; "
            "supported: CT in HU, PT in Bq/mL, NM in Bq/mL"
        )
    out.mkdir(parents=True, exist_ok=True)
    return writer(volume, out, ctx)


def _slice_datasets(volume: Volume, ctx: _Context, sop_class: str, modality: str) -> list[Dataset]:
    """Per-slice datasets with the common modules and the image plane module (C.7.6.2)."""
    from pydicom.dataset import FileDataset

    geometry = volume.geometry
    nk, nj, ni = geometry.shape
    normal = geometry.direction_matrix[:, 2]
    si, sj, sk = geometry.spacing_mm
    orientation = _orientation(geometry)
    out: list[Dataset] = []
    for k in range(nk):
        sop_uid = _uid(ctx.entropy, ctx.series_uid, "instance", k)
        ds = FileDataset(
            f"{k + 1}.dcm", {}, file_meta=_file_meta(sop_class, sop_uid), preamble=b"\0" * 128
        )
        _common(ds, ctx, modality, sop_class, sop_uid)
        position = geometry.index_to_lps([0.0, 0.0, float(k)])
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = _ds_list(position)
        ds.ImageOrientationPatient = orientation
        ds.PixelSpacing = _ds_list([sj, si])
        ds.SliceThickness = _ds(sk)
        ds.SliceLocation = _ds(float(np.dot(position, normal)))
        ds.PatientOrientation = ""
        _pixel_module(ds, nj, ni, signed=True)
        out.append(ds)
    return out


def _save(ds: Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


def _write_ct(volume: Volume, out: Path, ctx: _Context) -> list[Path]:
    values = np.asarray(volume.array, dtype=float)
    stored = np.clip(np.rint(values), -_INT16_MAX - 1, _INT16_MAX).astype(np.int16)
    when = ctx.series_datetime
    paths = []
    for k, ds in enumerate(_slice_datasets(volume, ctx, _CT_SOP_CLASS, "CT")):
        # CT Image module (C.8.2.1)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.KVP = _ds(120)
        ds.AcquisitionNumber = 1
        ds.AcquisitionDate = _da(when)
        ds.AcquisitionTime = _tm(when)
        ds.ContentDate = _da(when)
        ds.ContentTime = _tm(when)
        ds.RescaleIntercept = _ds(0)
        ds.RescaleSlope = _ds(1)
        ds.RescaleType = "HU"
        ds.PixelData = np.ascontiguousarray(stored[k]).tobytes()
        paths.append(_save(ds, out / f"{k + 1}.dcm"))
    return paths


def _decay_const(volume: Volume) -> float:
    rp = volume.radiopharmaceutical
    half_life = rp.half_life_s or (rp.nuclide.half_life_s if rp.nuclide else None)
    return math.log(2.0) / half_life if half_life else 0.0


def _write_pet(volume: Volume, out: Path, ctx: _Context) -> list[Path]:
    timing = volume.timing
    start = ctx.series_datetime
    correction = timing.decay_correction or DecayCorrection.START
    if correction is DecayCorrection.ADMIN:
        raise ThxError("writing PET decay-corrected to ADMIN is not supported; use START or NONE")
    duration_s = timing.frame_duration_s if timing.frame_duration_s is not None else 0.0
    nk = volume.shape[0]
    slice_times = timing.slice_acquisition_times or (start,) * nk
    durations = timing.slice_frame_durations_s or (duration_s,) * nk
    if len(slice_times) != nk or len(durations) != nk:
        raise ThxError(
            f"timing has {len(slice_times)} slice times and {len(durations)} durations for "
            f"{nk} slices"
        )
    lam = _decay_const(volume)
    rp_item = _radiopharmaceutical_item(volume, start)
    values = np.asarray(volume.array, dtype=float)
    paths = []
    for k, ds in enumerate(_slice_datasets(volume, ctx, _PET_SOP_CLASS, "PT")):
        acquired = slice_times[k]
        if acquired.tzinfo is None:
            raise NaiveDatetimeError(
                f"timing.slice_acquisition_times[{k}] {acquired.isoformat()} has no time zone"
            )
        acquired = acquired.astimezone(start.tzinfo)
        offset_s = (acquired - start).total_seconds()
        # PET Series module (C.8.9.1)
        ds.Units = "BQML"
        ds.CountsSource = "EMISSION"
        ds.SeriesType = ["WHOLE BODY", "IMAGE"]
        ds.NumberOfSlices = nk
        ds.CorrectedImage = ["DECY", "ATTN", "SCAT", "DTIM", "RAN", "NORM"]
        if correction is DecayCorrection.NONE:
            ds.CorrectedImage = ["ATTN", "SCAT", "DTIM", "RAN", "NORM"]
        ds.DecayCorrection = correction.value
        ds.RandomsCorrectionMethod = "DLYD"
        ds.ReconstructionMethod = "SYNTHETIC"
        ds.CollimatorType = "NONE"
        # Patient Orientation module (C.8.11.1), Type 2 sequences left empty
        ds.PatientOrientationCodeSequence = []
        ds.PatientGantryRelationshipCodeSequence = []
        # PET Isotope module (C.8.9.2)
        ds.RadiopharmaceuticalInformationSequence = [rp_item]
        # PET Image module (C.8.9.4)
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        ds.ImageIndex = k + 1
        ds.AcquisitionDate = _da(acquired)
        ds.AcquisitionTime = _tm(acquired)
        ds.ContentDate = _da(start)
        ds.ContentTime = _tm(start)
        ds.ActualFrameDuration = round(durations[k] * 1000.0)
        # Frame Reference Time (C.8.9.4.1.5): offset (ms) from the series reference
        # time of the time the pixel values refer to; values decay-corrected to START
        # refer to the series reference time itself.
        ds.FrameReferenceTime = _ds(0.0 if correction is DecayCorrection.START else offset_s * 1e3)
        if correction is DecayCorrection.START:
            # Decay Factor (C.8.9.4.1.7): the factor applied to correct this frame's
            # values to the reference time, exp(λ·(t_frame - t_ref)).
            ds.DecayFactor = _ds(math.exp(lam * offset_s))
        stored, slope = _slice_scale_int16(values[k])
        ds.RescaleIntercept = _ds(0)
        ds.RescaleSlope = slope
        ds.PixelData = np.ascontiguousarray(stored).tobytes()
        paths.append(_save(ds, out / f"{k + 1}.dcm"))
    return paths


def _write_nm(volume: Volume, out: Path, ctx: _Context) -> list[Path]:
    from pydicom.dataset import Dataset, FileDataset

    geometry = volume.geometry
    nk, nj, ni = geometry.shape
    si, sj, sk = geometry.spacing_mm
    start = ctx.series_datetime
    timing = volume.timing
    correction = timing.decay_correction or DecayCorrection.START
    values = np.asarray(volume.array, dtype=float)
    if np.any(values < 0):
        raise ThxError(
            "an NM series is written as unsigned integers: the volume has negative values"
        )
    peak = float(values.max()) if values.size else 0.0
    slope = _ds(peak / _UINT16_MAX if peak > 0 else 1.0)
    stored = np.clip(np.rint(values / float(slope)), 0, _UINT16_MAX).astype(np.uint16)

    sop_uid = _uid(ctx.entropy, ctx.series_uid, "instance", 0)
    ds = FileDataset(
        "1.dcm", {}, file_meta=_file_meta(_NM_SOP_CLASS, sop_uid), preamble=b"\0" * 128
    )
    _common(ds, ctx, "NM", _NM_SOP_CLASS, sop_uid)
    ds.InstanceNumber = 1
    # NM Image module (C.8.4.9)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "RECON TOMO", "EMISSION"]
    ds.AcquisitionDate = _da(start)
    ds.AcquisitionTime = _tm(start)
    ds.ContentDate = _da(start)
    ds.ContentTime = _tm(start)
    ds.ActualFrameDuration = round((timing.frame_duration_s or 0.0) * 1000.0)
    corrected = ["ATTN", "SCAT"] + (["DECY"] if correction is not DecayCorrection.NONE else [])
    ds.CorrectedImage = corrected
    ds.DecayCorrection = correction.value
    ds.Units = "BQML"
    ds.PixelSpacing = _ds_list([sj, si])
    ds.SliceThickness = _ds(sk)
    ds.SpacingBetweenSlices = _ds(sk)
    # NM Multi-frame module (C.8.4.8): reconstructed tomogram, frames along the slice vector
    ds.NumberOfFrames = nk
    ds.FrameIncrementPointer = [0x00540080]
    ds.SliceVector = list(range(1, nk + 1))
    ds.NumberOfSlices = nk
    # NM Detector module (C.8.4.11): image position/orientation of the first frame
    det = Dataset()
    det.ImagePositionPatient = _ds_list(geometry.index_to_lps([0.0, 0.0, 0.0]))
    det.ImageOrientationPatient = _orientation(geometry)
    ds.DetectorInformationSequence = [det]
    ds.NumberOfDetectors = 1
    # NM Isotope module (C.8.4.10)
    window = Dataset()
    nuclide = volume.radiopharmaceutical.nuclide
    lower, upper = _NM_WINDOWS.get(nuclide.name if nuclide else "", (0.0, 0.0))
    if upper > 0:
        rng = Dataset()
        rng.EnergyWindowLowerLimit = _ds(lower)
        rng.EnergyWindowUpperLimit = _ds(upper)
        window.EnergyWindowRangeSequence = [rng]
        window.EnergyWindowName = "PHOTOPEAK"
    ds.EnergyWindowInformationSequence = [window]
    ds.NumberOfEnergyWindows = 1
    ds.RadiopharmaceuticalInformationSequence = [_radiopharmaceutical_item(volume, start)]
    ds.PatientOrientationCodeSequence = []
    ds.PatientGantryRelationshipCodeSequence = []
    # Pixels and their mapping to Bq/ml (C.7.6.16.2.11, UCUM units of CID 82)
    _pixel_module(ds, nj, ni, signed=False)
    ds.RescaleIntercept = _ds(0)
    ds.RescaleSlope = slope
    mapping = Dataset()
    mapping.RealWorldValueFirstValueMapped = 0
    mapping.RealWorldValueLastValueMapped = _UINT16_MAX
    mapping.RealWorldValueIntercept = 0.0
    mapping.RealWorldValueSlope = float(slope)
    mapping.LUTExplanation = "activity concentration"
    mapping.LUTLabel = "BQML"
    mapping.MeasurementUnitsCodeSequence = [_code_item("Bq/ml", "UCUM", "becquerels/milliliter")]
    ds.RealWorldValueMappingSequence = [mapping]
    ds.PixelData = np.ascontiguousarray(stored).tobytes()
    return [_save(ds, out / "1.dcm")]


# --------------------------------------------------------------------------- reference images


def _read_references(reference_files: Sequence[str | Path]) -> list[Dataset]:
    import pydicom

    if not reference_files:
        raise ThxError("reference_files is empty: give the image files the masks were drawn on")
    return [pydicom.dcmread(Path(p), stop_before_pixels=True) for p in reference_files]


def _match_slices(geometry: Geometry, references: Sequence[Dataset], what: str) -> list[Dataset]:
    """The reference dataset of each slice ``k`` of ``geometry``, matched by position."""
    positions = np.array([[float(v) for v in ds.ImagePositionPatient] for ds in references])
    out = []
    for k in range(geometry.shape[0]):
        target = geometry.index_to_lps([0.0, 0.0, float(k)])
        distance = np.linalg.norm(positions - target, axis=1)
        best = int(np.argmin(distance))
        if distance[best] > 0.01 * min(geometry.spacing_mm) + 1e-3:
            raise ThxError(
                f"{what}: no reference image at slice {k} (LPS {np.round(target, 3).tolist()} mm); "
                "the masks must be on the grid of the reference series"
            )
        out.append(references[best])
    return out


def _check_masks(masks: Sequence[Mask]) -> Geometry:
    if not masks:
        raise ThxError("no masks given")
    geometry = masks[0].geometry
    for mask in masks[1:]:
        geometry.require_same_grid(mask.geometry, f"mask {mask.name!r}")
    names = [m.name for m in masks]
    if len(set(names)) != len(names):
        raise ThxError(f"mask names must be unique, got {names}")
    return geometry


# --------------------------------------------------------------------------- RTSTRUCT

#: Display colours (RGB) for ROI names; others cycle through _PALETTE.
_COLOURS: dict[str, tuple[int, int, int]] = {
    "body": (255, 224, 189),
    "liver": (160, 82, 45),
    "spleen": (128, 0, 128),
    "kidneys": (255, 165, 0),
    "parotid_glands": (0, 200, 200),
    "submandibular_glands": (0, 150, 150),
    "lacrimal_glands": (0, 100, 255),
    "bladder": (255, 255, 0),
    "bone_marrow": (220, 20, 60),
    "bone": (245, 245, 220),
    "lungs": (135, 206, 235),
    "blood_pool": (200, 0, 0),
    "brain": (255, 192, 203),
}
_PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 0, 255), (0, 255, 255), (255, 128, 0)]


def _colour(name: str, index: int) -> list[int]:
    if name.startswith("lesion"):
        return [255, 0, 0]
    return list(_COLOURS.get(name, _PALETTE[index % len(_PALETTE)]))


def slice_contours(mask_slice: npt.NDArray[np.bool_]) -> list[npt.NDArray[np.float64]]:
    """Closed contours ``(n, 2)`` of ``(i, j)`` indices around a 2-D mask slice.

    Marching squares (contourpy) on the slice padded with zeros, at level 0.5:
    the iso-line passes half-way between every inside and outside voxel centre,
    so the voxel centres inside the polygons (even-odd rule) are exactly the mask.
    The closing point is not repeated.

    Parameters
    ----------
    mask_slice : ndarray of bool
        ``[j, i]`` slice.

    Returns
    -------
    list of ndarray
        One ``(n, 2)`` array per closed contour, columns ``(i, j)``.
    """
    import contourpy

    padded = np.pad(np.asarray(mask_slice, dtype=np.float64), 1)
    gen = contourpy.contour_generator(z=padded, line_type=contourpy.LineType.Separate)
    contours: list[npt.NDArray[np.float64]] = []
    for line in gen.lines(0.5):
        points = np.asarray(line, dtype=np.float64) - 1.0  # undo the padding
        if len(points) > 1 and np.allclose(points[0], points[-1]):
            points = points[:-1]
        if len(points) >= 3:
            contours.append(points)
    return contours


def write_rtstruct(
    masks: Sequence[Mask],
    reference_files: Sequence[str | Path],
    out_path: str | Path,
    *,
    structure_set_label: str = "theranostix",
    series_description: str = "theranostix structures",
    interpreted_types: dict[str, str] | None = None,
    uid_entropy: str | None = None,
) -> Path:
    """Write masks as an RT Structure Set referencing an image series.

    Each mask becomes one ROI; each slice of it one or more ``CLOSED_PLANAR``
    contours drawn at the 0.5 iso-line of the mask (marching squares,
    :func:`slice_contours`), in LPS millimetres through
    :meth:`Geometry.index_to_lps`. A voxel whose centre lies inside the contours
    of its slice (even-odd rule over the slice's contours, so that holes are
    inner contours) is exactly a voxel of the mask. Modules: Patient, General
    Study, RT Series, Structure Set, ROI Contour and RT ROI Observations
    (DICOM PS3.3 A.19, C.8.8).

    Parameters
    ----------
    masks : sequence of Mask
        Regions on the grid of the reference series, with unique names.
    reference_files : sequence of path
        The image files (one per slice) the masks refer to; patient, study and
        frame of reference are copied from them.
    out_path : str or Path
        File to write.
    structure_set_label, series_description : str
        Structure Set Label (3006,0002) and Series Description.
    interpreted_types : dict, optional
        RT ROI Interpreted Type (3006,00A4) per ROI name; ``ORGAN`` by default,
        ``GTV`` for names starting with ``lesion``.
    uid_entropy : str, optional
        Derive the generated UIDs from this string (deterministic output).

    Returns
    -------
    Path
        ``out_path``.
    """
    from pydicom.dataset import Dataset, FileDataset

    geometry = _check_masks(masks)
    references = _read_references(reference_files)
    by_slice = _match_slices(geometry, references, "write_rtstruct")
    first = references[0]
    out = Path(out_path)
    sop_uid = _uid(uid_entropy, "rtstruct", "instance")
    ds = FileDataset(
        out.name, {}, file_meta=_file_meta(_RTSTRUCT_SOP_CLASS, sop_uid), preamble=b"\0" * 128
    )
    now = _reference_datetime(first)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = _RTSTRUCT_SOP_CLASS
    ds.SOPInstanceUID = sop_uid
    ds.InstanceCreationDate = now[0]
    ds.InstanceCreationTime = now[1]
    if "TimezoneOffsetFromUTC" in first:
        ds.TimezoneOffsetFromUTC = first.TimezoneOffsetFromUTC
    for keyword in (
        "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientWeight",
        "PatientSize", "StudyInstanceUID", "StudyDate", "StudyTime", "ReferringPhysicianName",
        "StudyID", "AccessionNumber",
    ):  # fmt: skip
        if keyword in first:
            setattr(ds, keyword, first[keyword].value)
    # RT Series (C.8.8.1)
    ds.Modality = "RTSTRUCT"
    ds.SeriesInstanceUID = _uid(uid_entropy, "rtstruct", "series")
    ds.SeriesNumber = 100
    ds.SeriesDescription = series_description
    ds.OperatorsName = ""
    ds.Manufacturer = "theranostix"
    # Structure Set (C.8.8.5)
    ds.StructureSetLabel = structure_set_label
    ds.StructureSetDate, ds.StructureSetTime = now
    ds.InstanceNumber = 1

    contour_images = []
    for ref in references:
        item = Dataset()
        item.ReferencedSOPClassUID = ref.SOPClassUID
        item.ReferencedSOPInstanceUID = ref.SOPInstanceUID
        contour_images.append(item)
    series_ref = Dataset()
    series_ref.SeriesInstanceUID = first.SeriesInstanceUID
    series_ref.ContourImageSequence = contour_images
    study_ref = Dataset()
    study_ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management
    study_ref.ReferencedSOPInstanceUID = first.StudyInstanceUID
    study_ref.RTReferencedSeriesSequence = [series_ref]
    frame_ref = Dataset()
    frame_ref.FrameOfReferenceUID = first.FrameOfReferenceUID
    frame_ref.RTReferencedStudySequence = [study_ref]
    ds.ReferencedFrameOfReferenceSequence = [frame_ref]

    rois, roi_contours, observations = [], [], []
    for number, mask in enumerate(masks, start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = first.FrameOfReferenceUID
        roi.ROIName = mask.name
        roi.ROIGenerationAlgorithm = "AUTOMATIC"
        rois.append(roi)

        contour_items = []
        for k in range(geometry.shape[0]):
            if not mask.array[k].any():
                continue
            ref = by_slice[k]
            for contour in slice_contours(mask.array[k]):
                ijk = np.column_stack([contour, np.full(len(contour), float(k))])
                lps = geometry.index_to_lps(ijk)
                image = Dataset()
                image.ReferencedSOPClassUID = ref.SOPClassUID
                image.ReferencedSOPInstanceUID = ref.SOPInstanceUID
                item = Dataset()
                item.ContourImageSequence = [image]
                item.ContourGeometricType = "CLOSED_PLANAR"
                item.NumberOfContourPoints = len(lps)
                _set_raw_ds(item, 0x30060050, lps.reshape(-1))  # Contour Data
                contour_items.append(item)
        roi_contour = Dataset()
        roi_contour.ROIDisplayColor = _colour(mask.name, number - 1)
        roi_contour.ReferencedROINumber = number
        roi_contour.ContourSequence = contour_items
        roi_contours.append(roi_contour)

        observation = Dataset()
        observation.ObservationNumber = number
        observation.ReferencedROINumber = number
        default = "GTV" if mask.name.lower().startswith("lesion") else "ORGAN"
        observation.RTROIInterpretedType = (interpreted_types or {}).get(mask.name, default)
        observation.ROIInterpreter = ""
        observations.append(observation)
    ds.StructureSetROISequence = rois
    ds.ROIContourSequence = roi_contours
    ds.RTROIObservationsSequence = observations
    out.parent.mkdir(parents=True, exist_ok=True)
    return _save(ds, out)


def _ds_text(value: float) -> str:
    """A DS string of at most 16 characters (PS3.5 Table 6.2-1), 4 decimals at most."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if len(text) > 16:
        text = f"{value:.10g}"
    return text


def _set_raw_ds(ds: Dataset, tag: int, values: npt.NDArray[np.float64]) -> None:
    """Set a multi-valued DS element from pre-formatted bytes.

    Contours have hundreds of thousands of coordinates; formatting them once as
    text is much faster than building one ``DSfloat`` per value. The element is
    decoded (and validated) by pydicom like any other on access.
    """
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    text = "\\".join(_ds_text(float(v)) for v in values)
    if len(text) % 2:
        text += " "
    raw = text.encode("ascii")
    ds[tag] = RawDataElement(Tag(tag), "DS", len(raw), raw, 0, False, True)


def _reference_datetime(ds: Dataset) -> tuple[str, str]:
    date = str(ds.get("SeriesDate", "") or ds.get("StudyDate", "") or "20000101")
    time = str(ds.get("SeriesTime", "") or ds.get("StudyTime", "") or "000000")
    return date, time


# --------------------------------------------------------------------------- SEG


def _property_codes(name: str) -> tuple[Any, Any]:
    """Segmented property category and type (PS3.16 CID 7150 / CID 7151) for a name."""
    from pydicom.sr.codedict import codes

    key = name.lower()
    organ = {
        "liver": codes.SCT.Liver,
        "spleen": codes.SCT.Spleen,
        "kidneys": codes.SCT.Kidney,
        "kidney": codes.SCT.Kidney,
        "parotid_glands": codes.SCT.ParotidGland,
        "submandibular_glands": codes.SCT.SubmandibularGland,
        "lacrimal_glands": codes.SCT.LacrimalGland,
        "bladder": codes.SCT.UrinaryBladderStructure,
        "lungs": codes.SCT.Lung,
        "blood_pool": codes.SCT.Heart,
        "brain": codes.SCT.Brain,
    }
    tissue = {
        "bone_marrow": codes.SCT.BoneMarrow,
        "bone": codes.SCT.Bone,
        "soft_tissue": codes.SCT.SoftTissue,
        "fat": codes.SCT.AdiposeTissue,
    }
    if key in organ:
        return codes.cid7150.AnatomicalStructure, organ[key]
    if key in tissue:
        return codes.cid7150.Tissue, tissue[key]
    if key.startswith("lesion"):
        return codes.cid7150.MorphologicallyAbnormalStructure, codes.SCT.Neoplasm
    return codes.cid7150.AnatomicalStructure, codes.SCT.AnatomicalStructure


def write_seg(
    masks: Sequence[Mask],
    reference_files: Sequence[str | Path],
    out_path: str | Path,
    *,
    series_description: str = "theranostix segmentation",
    uid_entropy: str | None = None,
) -> Path:
    """Write masks as a DICOM Segmentation (``BINARY``, one segment per mask).

    Uses :class:`highdicom.seg.Segmentation` (DICOM PS3.3 A.51, C.8.20): the
    segments reference the source images, carry SNOMED CT segmented property
    category/type codes chosen from the mask names (organs, tissues, lesions as
    neoplasms) and an algorithm identification naming theranostix, algorithm
    type ``AUTOMATIC``.

    Parameters
    ----------
    masks : sequence of Mask
        Regions on the grid of the reference series, with unique names.
    reference_files : sequence of path
        The source image files, one per slice of the masks' grid.
    out_path : str or Path
        File to write.
    series_description : str
        Series Description of the segmentation.
    uid_entropy : str, optional
        Derive the generated UIDs from this string (deterministic output).

    Returns
    -------
    Path
        ``out_path``.
    """
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    from theranostix import __version__

    geometry = _check_masks(masks)
    references = [pydicom.dcmread(Path(p)) for p in reference_files]
    if not references:
        raise ThxError("reference_files is empty: give the image files the masks were drawn on")
    ordered = _match_slices(geometry, references, "write_seg")
    pixels = np.stack([m.array for m in masks], axis=-1).astype(bool)
    algorithm = hd.AlgorithmIdentificationSequence(
        name="theranostix",
        version=__version__,
        family=codes.cid7162.MorphologicalOperations,
    )
    descriptions = []
    for number, mask in enumerate(masks, start=1):
        category, kind = _property_codes(mask.name)
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=mask.name[:64],
                segmented_property_category=category,
                segmented_property_type=kind,
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
                algorithm_identification=algorithm,
            )
        )
    seg = hd.seg.Segmentation(
        source_images=ordered,
        pixel_array=pixels,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=_uid(uid_entropy, "seg", "series"),
        series_number=101,
        sop_instance_uid=_uid(uid_entropy, "seg", "instance"),
        instance_number=1,
        manufacturer="theranostix",
        manufacturer_model_name="theranostix",
        software_versions=__version__,
        device_serial_number="0",
        series_description=series_description,
    )
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(out)
    return out

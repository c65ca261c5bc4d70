r"""Write an absorbed-dose volume as a DICOM RT Dose object.

RT Dose Storage (SOP Class UID ``1.2.840.10008.5.1.4.1.1.481.2``, DICOM PS3.3
A.18) holds a dose grid as one multi-frame image. The object written here has
the modules of the RT Dose IOD (PS3.3 A.18.3) that a grid-based dose needs:

- Patient (C.7.1.1), General Study (C.7.2.1), Patient Study (C.7.2.2);
- RT Series (C.8.8.1): Modality ``RTDOSE``;
- Frame of Reference (C.7.4.1) and General Equipment (C.7.5.1);
- General Image (C.7.6.1), Image Plane (C.7.6.2), Image Pixel (C.7.6.3) and
  Multi-frame (C.7.6.6), with Frame Increment Pointer (0028,0009) pointing to
  Grid Frame Offset Vector (3004,000C);
- RT Dose (C.8.8.3): Dose Units ``GY``, Dose Type ``PHYSICAL``, Dose Summation
  Type ``RECORD`` (see below), Grid Frame Offset Vector and Dose Grid Scaling;
- SOP Common (C.12.1).

Pixel values and scaling (PS3.3 C.8.8.3.1, C.8.8.3.4)
-----------------------------------------------------
The dose is stored as unsigned integers (Pixel Representation 0, as the RT Dose
module requires unless Dose Type is ``ERROR``), 32 bits by default, and
``dose_gy = stored × DoseGridScaling``. The scaling is chosen so that the
maximum dose uses the whole integer range; the stored values are computed with
the scaling *as written* (a DS of at most 16 characters), so reading the file
back reproduces the dose to half a quantisation step: about 1e-10 of the
maximum with 32 bits, 8e-6 with 16 bits.

Grid Frame Offset Vector (PS3.3 C.8.8.3.2)
------------------------------------------
The offsets (mm) of the frames are given relative to the first frame (first
value 0), along the normal of the image plane (row cosine × column cosine), so
that frame ``k`` lies at Image Position (Patient) + ``offset[k]`` × normal. A
volume whose slice axis points against that normal gets negative offsets.

Dose Summation Type
-------------------
Dose Summation Type (3004,000A) has Defined Terms (PS3.3 C.8.8.3) that all
refer to external-beam or brachytherapy objects: ``PLAN``, ``MULTI_PLAN``,
``PLAN_OVERVIEW``, ``FRACTION``, ``BEAM``, ``BRACHY``, ``FRACTION_SESSION``,
``BEAM_SESSION``, ``BRACHY_SESSION`` and ``CONTROL_POINT`` describe dose
*calculated for an RT Plan* (or part of one) and make the Referenced RT Plan
Sequence (300C,0002) required, while ``RECORD`` is dose calculated for what was
delivered (a treatment record). A radionuclide-therapy dose computed from
post-therapy imaging has no RT Plan; it is a dose *as delivered*, so this
writer uses ``RECORD``. No RT Plan, Treatment Record or Radiopharmaceutical
Administration object is referenced (theranostix writes none); viewers and
treatment-planning systems read the grid without them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from theranostix._files import atomic_write
from theranostix.errors import ThxError
from theranostix.imaging._dicom_write import (
    _aware,
    _common,
    _context,
    _da,
    _ds,
    _ds_list,
    _file_meta,
    _orientation,
    _tm,
    _uid,
)
from theranostix.imaging._volume import ImageUnit, Modality, PatientInfo, Timing, Volume

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["DOSE_SUMMATION_TYPE", "RTDOSE_SOP_CLASS_UID", "write_rtdose"]

RTDOSE_SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.481.2"
"""RT Dose Storage SOP Class UID (DICOM PS3.4 B.5)."""

DOSE_SUMMATION_TYPE = "RECORD"
"""Dose Summation Type (3004,000A) written: dose as delivered (see the module notes)."""

_GRID_FRAME_OFFSET_VECTOR = 0x3004000C
_UINT_MAX: dict[int, int] = {16: 0xFFFF, 32: 0xFFFFFFFF}

#: Patient and study attributes copied from the reference image (PS3.3 C.7.1.1,
#: C.7.2.1, C.7.2.2) so that the dose joins the reference's patient and study.
_REFERENCE_KEYWORDS = (
    "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex",
    "PatientAge", "PatientWeight", "PatientSize", "StudyInstanceUID", "StudyDate",
    "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber", "StudyDescription",
)  # fmt: skip


def _dose_values(dose: Volume) -> npt.NDArray[np.float64]:
    """The dose in Gy as float64, after checking its unit and values."""
    unit_note = str(dose.metadata.get("unit", ""))
    if dose.unit is not ImageUnit.GY and not (dose.unit is ImageUnit.UNKNOWN and unit_note == "Gy"):
        raise ThxError(
            f"an RT Dose holds absorbed dose in Gy; the volume is in {dose.unit.value}"
            + (f" (metadata unit {unit_note!r})" if unit_note else "")
        )
    values = np.asarray(dose.array, dtype=np.float64)
    not_finite = ~np.isfinite(values)
    if not_finite.any():
        first = tuple(int(v) for v in np.argwhere(not_finite)[0])
        raise ThxError(
            f"the dose has {int(not_finite.sum())} NaN or infinite voxel(s) (first at [k, j, i] "
            f"= {first}); an RT Dose cannot store them"
        )
    negative = values < 0
    if negative.any():
        first = tuple(int(v) for v in np.argwhere(negative)[0])
        raise ThxError(
            f"the dose has {int(negative.sum())} negative voxel(s) (minimum "
            f"{float(values.min()):.6g} Gy, first at [k, j, i] = {first}); an RT Dose of "
            "Dose Type PHYSICAL stores unsigned values"
        )
    return values


def _scale(
    values: npt.NDArray[np.float64], bits: int
) -> tuple[npt.NDArray[np.unsignedinteger[Any]], Any]:
    """Stored unsigned integers and the DS Dose Grid Scaling mapping them to Gy."""
    top = _UINT_MAX[bits]
    peak = float(values.max()) if values.size else 0.0
    scaling = _ds(peak / top if peak > 0 else 1.0)
    stored = np.clip(np.rint(values / float(scaling)), 0, top)
    dtype = np.uint32 if bits == 32 else np.uint16
    return stored.astype(dtype), scaling


def _reference_header(reference: Volume) -> Dataset | None:
    """The header of the first file of a reference read from DICOM, if readable."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    files = reference.metadata.get("files") or ()
    for name in files[:1]:
        try:
            return pydicom.dcmread(Path(name), stop_before_pixels=True)
        except (OSError, InvalidDicomError):
            return None
    return None


def _offset_zone(header: Dataset, when: datetime) -> datetime:
    """``when`` in the reference's Timezone Offset From UTC (0008,0201), when it has one."""
    text = str(header.get("TimezoneOffsetFromUTC", "") or "").strip()
    if len(text) != 5 or text[0] not in "+-" or not text[1:].isdigit():
        return when
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    sign = -1 if text[0] == "-" else 1
    return when.astimezone(timezone(timedelta(minutes=sign * minutes)))


def _grid_frame_offsets(dose: Volume) -> list[float]:
    """Offsets (mm) of each frame from the first along the image-plane normal (C.8.8.3.2)."""
    geometry = dose.geometry
    d = geometry.direction_matrix
    normal = np.cross(d[:, 0], d[:, 1])
    nk = geometry.shape[0]
    ijk = np.column_stack([np.zeros(nk), np.zeros(nk), np.arange(nk, dtype=float)])
    positions = geometry.index_to_lps(ijk)
    return [float(v) for v in (positions - positions[0]) @ normal]


def write_rtdose(
    dose: Volume,
    path: str | Path,
    *,
    reference: Volume | None = None,
    description: str = "theranostix absorbed dose",
    series_number: int = 200,
    bits_allocated: Literal[16, 32] = 32,
    patient_name: str = "THX^PHANTOM",
    content_datetime: datetime | None = None,
    uid_entropy: str | None = None,
) -> Path:
    """Write an absorbed-dose volume (Gy) as a DICOM RT Dose file.

    One multi-frame RT Dose Storage instance (DICOM PS3.3 A.18): a grid of
    unsigned integers times Dose Grid Scaling (3004,000E), Dose Units ``GY``,
    Dose Type ``PHYSICAL``, Dose Summation Type ``RECORD`` (RT Dose module,
    PS3.3 C.8.8.3; see the module notes for the choice), frames along the slice
    axis with a Grid Frame Offset Vector (C.8.8.3.2), and the Image Plane
    module (C.7.6.2) from the volume's geometry: Image Position (Patient) of the
    first voxel, Image Orientation (Patient) from the direction matrix, Pixel
    Spacing (row, column spacing) and Slice Thickness (the slice spacing).

    Parameters
    ----------
    dose : Volume
        Absorbed dose, Gy: unit ``ImageUnit.GY``, or ``UNKNOWN`` with
        ``metadata["unit"] == "Gy"`` (as :func:`theranostix.dosimetry.voxel_dose_gy`
        returns). Values must be finite and non-negative.
    path : str or Path
        File to write (its folder is created); written atomically.
    reference : Volume, optional
        The image the dose was computed on, read from DICOM
        (:func:`theranostix.imaging.read_dicom_series`). Frame of Reference UID,
        Study Instance UID and the Patient and General Study attributes (name,
        ID, birth date, sex, weight, size, study date/time/ID, accession number)
        are copied from it, so that viewers place the dose on that image. Without
        it, ``dose.metadata`` may give ``study_uid`` and ``frame_of_reference_uid``;
        otherwise new UIDs are generated.
    description : str
        Series Description (0008,103E).
    series_number : int
        Series Number (0020,0011).
    bits_allocated : {32, 16}
        Bits per stored value; 32 reproduces the dose to about 1e-10 of its
        maximum, 16 to about 8e-6 (and makes a file half as large).
    patient_name : str
        Patient's Name (0010,0010) when there is no reference.
    content_datetime : datetime, optional
        Content and instance creation date/time (timezone-aware); now by default.
    uid_entropy : str, optional
        When given, the generated UIDs are derived from it (deterministic output).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ThxError
        When the dose is not in Gy, has NaN, infinite or negative values, when
        ``bits_allocated`` is not 16 or 32, or when ``reference`` carries no
        Frame of Reference UID (it was not read from DICOM).
    NaiveDatetimeError
        When ``content_datetime`` has no time zone.

    Examples
    --------
    >>> import numpy as np, tempfile, pydicom
    >>> from theranostix.imaging import Geometry, ImageUnit, Volume
    >>> dose = Volume(np.full((2, 3, 4), 2.5), Geometry((2, 3, 4)), ImageUnit.GY)
    >>> out = write_rtdose(dose, tempfile.mkdtemp() + "/dose.dcm")
    >>> ds = pydicom.dcmread(out)
    >>> ds.Modality, ds.DoseUnits, int(ds.NumberOfFrames)
    ('RTDOSE', 'GY', 2)
    >>> float(ds.pixel_array.max() * float(ds.DoseGridScaling))
    2.5
    """
    from pydicom.dataset import FileDataset
    from pydicom.tag import Tag

    values = _dose_values(dose)
    if bits_allocated not in _UINT_MAX:
        raise ThxError(f"bits_allocated must be 16 or 32, got {bits_allocated!r}")
    created = _aware(content_datetime, "content_datetime") or datetime.now(UTC)

    header: Dataset | None = None
    study_uid: str | None = None
    frame_uid: str | None = None
    patient: PatientInfo = dose.patient
    if reference is not None:
        header = _reference_header(reference)
        frame_uid = str(reference.metadata.get("frame_of_reference_uid") or "") or None
        study_uid = str(reference.metadata.get("study_uid") or "") or None
        if header is not None:
            # one Timezone Offset From UTC applies to every DA/TM of the instance
            created = _offset_zone(header, created)
            frame_uid = str(header.get("FrameOfReferenceUID", "") or "") or frame_uid
            study_uid = str(header.get("StudyInstanceUID", "") or "") or study_uid
        if frame_uid is None:
            raise ThxError(
                "the reference volume has no Frame of Reference UID (metadata "
                "'frame_of_reference_uid'); give an image read from DICOM, whose frame of "
                "reference the dose grid's positions are in"
            )
        patient = reference.patient
    # The dose's own modality and timing do not describe the RT Dose series: its
    # series/content date is the time the dose object is created.
    as_dose = replace(dose, modality=Modality.RTDOSE, timing=Timing())
    ctx = _context(
        as_dose,
        patient=patient,
        patient_name=patient_name,
        study_uid=study_uid,
        series_uid=None,
        frame_of_reference_uid=frame_uid,
        series_number=series_number,
        series_description=description,
        study_datetime=created,
        manufacturer="theranostix",
        uid_entropy=uid_entropy,
    )
    out = Path(path)
    sop_uid = _uid(uid_entropy, ctx.series_uid, "rtdose", "instance")
    ds = FileDataset(
        out.name, {}, file_meta=_file_meta(RTDOSE_SOP_CLASS_UID, sop_uid), preamble=b"\0" * 128
    )
    _common(ds, ctx, "RTDOSE", RTDOSE_SOP_CLASS_UID, sop_uid)
    if header is not None:
        for keyword in _REFERENCE_KEYWORDS:
            if keyword in header:
                setattr(ds, keyword, header[keyword].value)
    # RT Series (C.8.8.1): Operators' Name is Type 2
    ds.OperatorsName = ""
    # General Image (C.7.6.1)
    ds.InstanceNumber = 1
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.ContentDate = _da(created)
    ds.ContentTime = _tm(created)
    # Image Plane (C.7.6.2): position of the first frame's first voxel
    geometry = dose.geometry
    nk, nj, ni = geometry.shape
    si, sj, sk = geometry.spacing_mm
    ds.ImagePositionPatient = _ds_list(geometry.index_to_lps([0.0, 0.0, 0.0]))
    ds.ImageOrientationPatient = _orientation(geometry)
    ds.PixelSpacing = _ds_list([sj, si])  # row spacing (along j), column spacing (along i)
    ds.SliceThickness = _ds(sk)
    # Image Pixel (C.7.6.3) as constrained by the RT Dose module (C.8.8.3.4)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = nj
    ds.Columns = ni
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_allocated
    ds.HighBit = bits_allocated - 1
    ds.PixelRepresentation = 0
    # Multi-frame (C.7.6.6)
    ds.NumberOfFrames = nk
    ds.FrameIncrementPointer = Tag(_GRID_FRAME_OFFSET_VECTOR)
    # RT Dose (C.8.8.3)
    stored, scaling = _scale(values, bits_allocated)
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = DOSE_SUMMATION_TYPE
    ds.GridFrameOffsetVector = _ds_list(_grid_frame_offsets(dose))
    ds.DoseGridScaling = scaling
    method = dose.metadata.get("method")
    if method:
        ds.DoseComment = f"theranostix: {method}"[:64]
    ds.PixelData = np.ascontiguousarray(stored).tobytes()

    def save(tmp: Path) -> None:
        ds.save_as(tmp, enforce_file_format=True)

    return atomic_write(out, save)

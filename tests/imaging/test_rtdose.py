"""DICOM RT Dose writer (theranostix.imaging._rtdose).

Files are read back with pydicom; the dose is rebuilt as stored × Dose Grid Scaling
and the voxel positions from Image Position/Orientation (Patient), Pixel Spacing and
Grid Frame Offset Vector as DICOM PS3.3 C.7.6.2 and C.8.8.3.2 define them, then
compared with the geometry the volume was written from.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pydicom
import pytest

from theranostix.errors import ThxError
from theranostix.imaging import (
    DecayCorrection,
    Geometry,
    ImageUnit,
    Modality,
    PatientInfo,
    Radiopharmaceutical,
    Timing,
    Volume,
    read_dicom_series,
    read_image,
    write_dicom_series,
)
from theranostix.imaging._rtdose import RTDOSE_SOP_CLASS_UID, write_rtdose
from theranostix.nuclides import Nuclide

TZ = timezone(timedelta(hours=2))


def _rotation(degrees: float) -> tuple[float, ...]:
    """Direction matrix (row-major) rotated about the LPS z axis: a proper rotation."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return (c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0)


def _dose(
    geometry: Geometry, seed: int = 0, unit: ImageUnit = ImageUnit.GY, **metadata: object
) -> Volume:
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 4.0, size=geometry.shape)
    values[0, 0, 0] = 0.0
    return Volume(values, geometry, unit, metadata=dict(metadata))


def _dose_from_file(ds: pydicom.Dataset) -> np.ndarray:
    frames = np.asarray(ds.pixel_array, dtype=np.float64).reshape(
        int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns)
    )
    return frames * float(ds.DoseGridScaling)


def _positions_from_tags(ds: pydicom.Dataset, ijk: np.ndarray) -> np.ndarray:
    """LPS (mm) of voxels (i, j, k) from the Image Plane and RT Dose attributes."""
    origin = np.array([float(v) for v in ds.ImagePositionPatient])
    cosines = np.array([float(v) for v in ds.ImageOrientationPatient])
    row, col = cosines[:3], cosines[3:]
    normal = np.cross(row, col)
    row_spacing, col_spacing = (float(v) for v in ds.PixelSpacing)
    offsets = np.array([float(v) for v in ds.GridFrameOffsetVector])
    i, j, k = ijk[:, 0], ijk[:, 1], ijk[:, 2].astype(int)
    return (
        origin
        + np.outer(i * col_spacing, row)
        + np.outer(j * row_spacing, col)
        + np.outer(offsets[k], normal)
    )


CORNERS = np.array([[0, 0, 0], [6, 0, 0], [0, 8, 0], [0, 0, 4], [6, 8, 4], [3, 5, 2]], dtype=float)


def test_roundtrip_values_tags_and_geometry(tmp_path: Path) -> None:
    geometry = Geometry(
        (5, 9, 7),
        origin_mm=(-120.5, 33.25, 410.0),
        spacing_mm=(1.7, 2.3, 3.1),
        direction=_rotation(30.0),
    )
    dose = _dose(geometry)
    out = write_rtdose(dose, tmp_path / "sub" / "dose.dcm", description="Lu-177 cycle 1")
    assert out == tmp_path / "sub" / "dose.dcm"
    assert sorted(p.name for p in out.parent.iterdir()) == ["dose.dcm"]  # no temporary left

    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == RTDOSE_SOP_CLASS_UID == "1.2.840.10008.5.1.4.1.1.481.2"
    assert ds.file_meta.MediaStorageSOPClassUID == RTDOSE_SOP_CLASS_UID
    assert ds.Modality == "RTDOSE"
    assert (ds.DoseUnits, ds.DoseType, ds.DoseSummationType) == ("GY", "PHYSICAL", "RECORD")
    assert ds.SeriesDescription == "Lu-177 cycle 1"
    assert int(ds.NumberOfFrames) == 5 and (int(ds.Rows), int(ds.Columns)) == (9, 7)
    assert ds.FrameIncrementPointer == pydicom.tag.Tag(0x3004, 0x000C)
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (32, 32, 31, 0)
    assert ds.pixel_array.dtype == np.uint32
    # the maximum uses (almost) the whole uint32 range
    assert int(ds.pixel_array.max()) > 0.99 * 0xFFFFFFFF
    assert float(ds.DoseGridScaling) == pytest.approx(dose.array.max() / 0xFFFFFFFF, rel=1e-6)

    values = _dose_from_file(ds)
    error = np.abs(values - dose.array).max() / dose.array.max()
    assert error < 1e-4
    assert error < 1e-8  # 32 bits: half a step of max/(2^32 - 1)

    assert [float(v) for v in ds.PixelSpacing] == pytest.approx([2.3, 1.7])
    assert float(ds.SliceThickness) == pytest.approx(3.1)
    assert [float(v) for v in ds.GridFrameOffsetVector] == pytest.approx([0.0, 3.1, 6.2, 9.3, 12.4])
    expected = geometry.index_to_lps(CORNERS)
    assert _positions_from_tags(ds, CORNERS) == pytest.approx(expected, abs=1e-4)

    # the project's reader places the grid identically (it ignores DoseGridScaling)
    read = read_image(out)
    assert read.modality is Modality.RTDOSE
    assert read.geometry.same_grid(geometry)


def test_slice_axis_against_the_plane_normal_gets_negative_offsets(tmp_path: Path) -> None:
    # k runs towards the feet (-z) while row × column points to the head (+z)
    direction = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
    geometry = Geometry(
        (4, 6, 7), origin_mm=(10.0, -20.0, 300.0), spacing_mm=(2, 2.5, 4.0), direction=direction
    )
    ds = pydicom.dcmread(write_rtdose(_dose(geometry, seed=1), tmp_path / "dose.dcm"))
    assert [float(v) for v in ds.GridFrameOffsetVector] == pytest.approx([0, -4, -8, -12])
    ijk = np.array([[0, 0, 0], [6, 5, 3], [2, 1, 2]], dtype=float)
    assert _positions_from_tags(ds, ijk) == pytest.approx(geometry.index_to_lps(ijk), abs=1e-4)


def test_sixteen_bits_reproduce_the_dose(tmp_path: Path) -> None:
    geometry = Geometry((3, 8, 5), spacing_mm=(4.8, 4.8, 4.8))
    dose = _dose(geometry, seed=2)
    ds = pydicom.dcmread(write_rtdose(dose, tmp_path / "d.dcm", bits_allocated=16))
    assert (ds.BitsAllocated, ds.HighBit) == (16, 15) and ds.pixel_array.dtype == np.uint16
    error = np.abs(_dose_from_file(ds) - dose.array).max() / dose.array.max()
    assert error < 1e-4


def test_zero_dose_and_voxel_dose_metadata(tmp_path: Path) -> None:
    geometry = Geometry((2, 3, 4))
    # voxel_dose_gy returns unit UNKNOWN with metadata unit "Gy" and its method
    dose = Volume(np.zeros(geometry.shape), geometry, metadata={"unit": "Gy", "method": "VSV"})
    ds = pydicom.dcmread(write_rtdose(dose, tmp_path / "zero.dcm"))
    assert float(ds.DoseGridScaling) == 1.0
    assert not ds.pixel_array.any()
    assert ds.DoseComment == "theranostix: VSV"


def test_uids_are_deterministic_with_entropy(tmp_path: Path) -> None:
    dose = _dose(Geometry((2, 3, 4)))
    when = datetime(2026, 3, 2, 9, 30, tzinfo=TZ)
    a = pydicom.dcmread(
        write_rtdose(dose, tmp_path / "a.dcm", uid_entropy="x", content_datetime=when)
    )
    b = pydicom.dcmread(
        write_rtdose(dose, tmp_path / "b.dcm", uid_entropy="x", content_datetime=when)
    )
    for keyword in (
        "SOPInstanceUID",
        "SeriesInstanceUID",
        "StudyInstanceUID",
        "FrameOfReferenceUID",
    ):
        assert a[keyword].value == b[keyword].value
    assert (a.ContentDate, a.TimezoneOffsetFromUTC) == ("20260302", "+0200")


def _nm_reference(tmp_path: Path) -> Volume:
    start = datetime(2026, 3, 2, 11, 0, tzinfo=TZ)
    geometry = Geometry((6, 10, 8), origin_mm=(-70.0, -50.0, 100.0), spacing_mm=(4.8, 4.8, 4.8))
    nm = Volume(
        np.full(geometry.shape, 1000.0),
        geometry,
        ImageUnit.BQ_PER_ML,
        Modality.NM,
        patient=PatientInfo(weight_kg=72.0, patient_id="THX-RTDOSE-1"),
        radiopharmaceutical=Radiopharmaceutical(
            nuclide=Nuclide("Lu-177"),
            injected_activity_bq=7.4e9,
            injection_time=start - timedelta(hours=24),
            name="Lu-177-DOTATATE",
        ),
        timing=Timing(
            acquisition_start=start, frame_duration_s=1800.0, decay_correction=DecayCorrection.START
        ),
    )
    files = write_dicom_series(nm, tmp_path / "nm", patient_name="DOE^JANE", uid_entropy="nm")
    return read_dicom_series(files[0].parent)


def test_reference_uids_and_patient_are_copied(tmp_path: Path) -> None:
    reference = _nm_reference(tmp_path)
    source = pydicom.dcmread(reference.metadata["files"][0], stop_before_pixels=True)
    dose = _dose(reference.geometry, seed=3)
    out = write_rtdose(
        dose,
        tmp_path / "dose.dcm",
        reference=reference,
        content_datetime=datetime(2026, 3, 9, 8, 0, tzinfo=UTC),
    )
    ds = pydicom.dcmread(out)
    assert ds.FrameOfReferenceUID == source.FrameOfReferenceUID
    assert ds.FrameOfReferenceUID == reference.metadata["frame_of_reference_uid"]
    assert ds.StudyInstanceUID == source.StudyInstanceUID == reference.metadata["study_uid"]
    assert ds.SeriesInstanceUID != source.SeriesInstanceUID
    assert ds.SOPInstanceUID != source.SOPInstanceUID
    for keyword in ("PatientName", "PatientID", "PatientSex", "StudyDate", "StudyTime", "StudyID"):
        assert ds[keyword].value == source[keyword].value
    assert ds.PatientName == "DOE^JANE" and ds.PatientID == "THX-RTDOSE-1"
    # dates are written in the reference's time zone (one offset for the whole instance)
    assert ds.TimezoneOffsetFromUTC == source.TimezoneOffsetFromUTC == "+0200"
    assert (ds.ContentDate, ds.ContentTime[:4]) == ("20260309", "1000")
    assert _positions_from_tags(ds, CORNERS[:1]) == pytest.approx(
        reference.geometry.index_to_lps(CORNERS[:1]), abs=1e-4
    )


def test_reference_without_dicom_identifiers_is_refused(tmp_path: Path) -> None:
    geometry = Geometry((2, 3, 4))
    nifti_like = Volume(np.zeros(geometry.shape), geometry, metadata={"source": "x.nii.gz"})
    with pytest.raises(ThxError, match="no Frame of Reference UID"):
        write_rtdose(_dose(geometry), tmp_path / "d.dcm", reference=nifti_like)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.nan, r"1 NaN or infinite voxel\(s\)"),
        (np.inf, "NaN or infinite"),
        (-0.5, r"1 negative voxel\(s\) \(minimum -0\.5 Gy, first at \[k, j, i\] = \(1, 2, 3\)\)"),
    ],
)
def test_invalid_dose_values_are_refused(tmp_path: Path, value: float, match: str) -> None:
    dose = _dose(Geometry((2, 3, 4)))
    dose.array[1, 2, 3] = value
    target = tmp_path / "d.dcm"
    target.write_bytes(b"old")
    with pytest.raises(ThxError, match=match):
        write_rtdose(dose, target)
    assert target.read_bytes() == b"old"  # nothing half-written


def test_wrong_unit_and_bits_are_refused(tmp_path: Path) -> None:
    geometry = Geometry((2, 3, 4))
    with pytest.raises(ThxError, match="absorbed dose in Gy; the volume is in Bq/mL"):
        write_rtdose(_dose(geometry, unit=ImageUnit.BQ_PER_ML), tmp_path / "a.dcm")
    with pytest.raises(ThxError, match="bits_allocated must be 16 or 32"):
        write_rtdose(_dose(geometry), tmp_path / "b.dcm", bits_allocated=8)  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())

"""load_mask: RTSTRUCT, SEG and NIfTI / NRRD masks from one spec (theranostix.imaging._masks)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging import Geometry, Mask, Volume, load_mask, to_sitk, write_nifti

GRID = Geometry((4, 8, 10), origin_mm=(-10.0, -20.0, 30.0), spacing_mm=(2.0, 3.0, 4.0))


def _file_meta(ds: Dataset, sop_class: str) -> None:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def square_on_slice(i0: int, j0: int, i1: int, j1: int, k: int) -> np.ndarray:
    ij = np.array([[i0, j0], [i1, j0], [i1, j1], [i0, j1]], float)
    return GRID.index_to_lps(np.column_stack([ij, np.full(4, float(k))]))


def write_rtstruct(path: Path, rois: dict[str, np.ndarray]) -> Path:
    """An RTSTRUCT with one contour per ROI."""
    ds = Dataset()
    _file_meta(ds, "1.2.840.10008.5.1.4.1.1.481.3")
    ds.Modality = "RTSTRUCT"
    ds.StructureSetROISequence, ds.ROIContourSequence = Sequence(), Sequence()
    for number, (name, points) in enumerate(rois.items(), start=1):
        roi, item, contour = Dataset(), Dataset(), Dataset()
        roi.ROINumber, roi.ROIName = number, name
        contour.ContourGeometricType = "CLOSED_PLANAR"
        contour.NumberOfContourPoints = len(points)
        contour.ContourData = [float(v) for v in points.reshape(-1)]
        item.ReferencedROINumber = number
        item.ContourSequence = Sequence([contour])
        ds.StructureSetROISequence.append(roi)
        ds.ROIContourSequence.append(item)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def ct_slices() -> list[Dataset]:
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    out = []
    for k in range(GRID.shape[0]):
        ds = Dataset()
        _file_meta(ds, CTImageStorage)
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.Modality, ds.PatientID, ds.PatientName = "CT", "P1", "Doe^J"
        ds.PatientBirthDate = ds.PatientSex = ds.AccessionNumber = ds.ReferringPhysicianName = ""
        ds.StudyDate, ds.StudyTime, ds.StudyID, ds.SeriesNumber = "20240101", "120000", "1", 1
        ds.InstanceNumber, ds.Manufacturer = k + 1, "test"
        ds.ImagePositionPatient = list(GRID.index_to_lps([0, 0, k]))
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [3.0, 2.0], 4.0
        ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = (
            8,
            10,
            1,
            "MONOCHROME2",
        )
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = np.zeros((8, 10), np.int16).tobytes()
        out.append(ds)
    return out


def write_seg(path: Path, segments: dict[str, np.ndarray]) -> Path:
    code = hd.sr.CodedConcept("91723000", "SCT", "Anatomical Structure")
    descriptions = [
        hd.seg.SegmentDescription(n, label, code, code, hd.seg.SegmentAlgorithmTypeValues.MANUAL)
        for n, label in enumerate(segments, start=1)
    ]
    seg = hd.seg.Segmentation(
        source_images=ct_slices(),
        pixel_array=np.stack(list(segments.values()), axis=-1),
        segmentation_type="BINARY",
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=2,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="test",
        manufacturer_model_name="test",
        software_versions="1",
        device_serial_number="1",
    )
    seg.save_as(path)
    return path


def expected_square(i0: int, j0: int, i1: int, j1: int, k: int) -> np.ndarray:
    out = np.zeros(GRID.shape, bool)
    out[k, j0:j1, i0:i1] = True
    return out


def test_rtstruct_roi_names_with_spaces_and_colons(tmp_path: Path) -> None:
    rois = {
        "Left lung": square_on_slice(1, 1, 4, 3, 1),
        "GTV: primary": square_on_slice(5, 2, 9, 7, 2),
    }
    path = write_rtstruct(tmp_path / "rs 1.dcm", rois)
    left = load_mask(f"{path}:Left lung", GRID)
    assert left.name == "Left lung"
    np.testing.assert_array_equal(left.array, expected_square(1, 1, 4, 3, 1))
    gtv = load_mask(f"{path}:GTV: primary", GRID)
    np.testing.assert_array_equal(gtv.array, expected_square(5, 2, 9, 7, 2))
    with pytest.raises(ThxError, match=r"has 2 ROIs \('Left lung', 'GTV: primary'\)"):
        load_mask(path, GRID)
    with pytest.raises(ThxError, match="no ROI named 'Right lung'; ROIs available"):
        load_mask(f"{path}:Right lung", GRID)


def test_single_roi_rtstruct_needs_no_name(tmp_path: Path) -> None:
    path = write_rtstruct(tmp_path / "rs.dcm", {"liver": square_on_slice(2, 2, 5, 6, 3)})
    mask = load_mask(str(path), GRID)
    assert mask.name == "liver"
    np.testing.assert_array_equal(mask.array, expected_square(2, 2, 5, 6, 3))


def test_seg_segments(tmp_path: Path) -> None:
    liver, spleen = expected_square(1, 1, 6, 5, 1), expected_square(6, 5, 9, 8, 2)
    path = write_seg(tmp_path / "seg.dcm", {"liver": liver, "spleen": spleen})
    np.testing.assert_array_equal(load_mask(f"{path}:spleen", GRID).array, spleen)
    np.testing.assert_array_equal(load_mask(f"{path}:1", GRID).array, liver)
    with pytest.raises(ThxError, match=r"has 2 segments \('liver', 'spleen'\)"):
        load_mask(path, GRID)
    single = write_seg(tmp_path / "one.dcm", {"liver": liver})
    assert load_mask(single, GRID).name == "liver"


def test_nifti_mask_on_the_grid_and_resampled(tmp_path: Path) -> None:
    array = expected_square(2, 1, 7, 6, 2)
    path = write_nifti(Mask(array, GRID, "m"), tmp_path / "m.nii.gz")
    same = load_mask(path, GRID)
    np.testing.assert_array_equal(same.array, array)
    assert same.geometry is GRID and same.name == "m.nii.gz"
    # onto a grid with half the in-plane spacing (centres a quarter voxel off): each voxel -> 2x2
    fine = Geometry((4, 16, 20), origin_mm=(-10.5, -20.75, 30.0), spacing_mm=(1.0, 1.5, 4.0))
    resampled = load_mask(path, fine)
    np.testing.assert_array_equal(resampled.array, array.repeat(2, axis=1).repeat(2, axis=2))


def test_label_map_nifti_picks_a_label(tmp_path: Path) -> None:
    labels = np.zeros(GRID.shape, np.int16)
    labels[1, 1:3, 1:4] = 1
    labels[2, 4:7, 5:9] = 3
    path = write_nifti(Volume(labels, GRID), tmp_path / "labels.nii")
    assert load_mask(path, GRID).voxel_count == 6 + 12  # nonzero = inside
    three = load_mask(f"{path}:3", GRID)
    assert three.name == "labels.nii:3"
    np.testing.assert_array_equal(three.array, labels == 3)
    with pytest.raises(ThxError, match=r"label '2' is not present; label values present: 1, 3"):
        load_mask(f"{path}:2", GRID)
    with pytest.raises(ThxError, match=r"'liver' is neither a label value nor a label name"):
        load_mask(f"{path}:liver", GRID)


def test_slicer_seg_nrrd_label_names(tmp_path: Path) -> None:
    labels = np.zeros(GRID.shape, np.uint8)
    labels[0, 0:2, 0:2] = 1
    labels[3, 5:8, 5:9] = 2
    image = to_sitk(Volume(labels, GRID))
    for index, (name, value) in enumerate([("liver", 1), ("left kidney", 2)]):
        image.SetMetaData(f"Segment{index}_Name", name)
        image.SetMetaData(f"Segment{index}_LabelValue", str(value))
    path = tmp_path / "s.seg.nrrd"
    sitk.WriteImage(image, str(path))
    kidney = load_mask(f"{path}:left kidney", GRID)
    np.testing.assert_array_equal(kidney.array, labels == 2)


def test_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(DicomReadError, match=r"nothing\.dcm:GTV: no such mask file"):
        load_mask(f"{tmp_path / 'nothing.dcm'}:GTV", GRID)
    ct = ct_slices()[0]
    ct_path = tmp_path / "ct.dcm"
    pydicom.dcmwrite(ct_path, ct, enforce_file_format=True)
    with pytest.raises(DicomReadError, match=r"ct\.dcm: is not a mask: SOP Class UID"):
        load_mask(ct_path, GRID)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(DicomReadError, match=r"notes\.txt: is neither a DICOM file nor a NIfTI"):
        load_mask(text, GRID)


def test_nifti_on_another_frame_is_resampled_not_reused(tmp_path: Path) -> None:
    array = expected_square(0, 0, 4, 4, 0)
    moved = replace(GRID, origin_mm=(-8.0, -20.0, 30.0))  # one voxel further along +x
    path = write_nifti(Mask(array, moved, "m"), tmp_path / "moved.nii.gz")
    mask = load_mask(path, GRID)
    np.testing.assert_array_equal(mask.array, expected_square(1, 0, 5, 4, 0))

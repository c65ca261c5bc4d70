"""DICOM SEG reading (theranostix.imaging._seg)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging import Geometry, read_seg

# CT grid of the source images: 6 slices of 8 rows x 10 columns
SPACING = (2.0, 3.0, 4.0)  # (i, j, k) mm
ORIGIN = (-10.0, -20.0, 30.0)
CT_GRID = Geometry((6, 8, 10), origin_mm=ORIGIN, spacing_mm=SPACING)


def ct_slices(geometry: Geometry = CT_GRID) -> list[Dataset]:
    """Minimal CT slices (axial, identity orientation) of ``geometry``."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    nk, nj, ni = geometry.shape
    slices = []
    for k in range(nk):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.Modality = "CT"
        ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = "P1", "Doe^J", "", ""
        ds.StudyDate, ds.StudyTime, ds.AccessionNumber = "20240101", "120000", ""
        ds.ReferringPhysicianName, ds.StudyID, ds.SeriesNumber = "", "1", 1
        ds.InstanceNumber, ds.Manufacturer = k + 1, "test"
        ds.ImagePositionPatient = list(geometry.index_to_lps([0, 0, k]))
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [geometry.spacing_mm[1], geometry.spacing_mm[0]]
        ds.SliceThickness = geometry.spacing_mm[2]
        ds.Rows, ds.Columns = nj, ni
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = np.zeros((nj, ni), np.int16).tobytes()
        slices.append(ds)
    return slices


def description(number: int, label: str) -> hd.seg.SegmentDescription:
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=label,
        segmented_property_category=hd.sr.CodedConcept("91723000", "SCT", "Anatomical Structure"),
        segmented_property_type=hd.sr.CodedConcept("10200004", "SCT", "Liver"),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )


def write_seg(
    path: Path,
    segments: dict[str, np.ndarray],
    *,
    kind: str = "BINARY",
    sources: list[Dataset] | None = None,
) -> Path:
    """A SEG over ``sources`` (default: all CT slices); arrays are [k, j, i] per segment."""
    sources = ct_slices() if sources is None else sources
    labels = list(segments)
    if kind == "LABELMAP":
        pixels = np.zeros(next(iter(segments.values())).shape, np.uint8)
        for number, label in enumerate(labels, start=1):
            pixels[segments[label] > 0] = number
    else:
        pixels = np.stack([segments[label] for label in labels], axis=-1)
        pixels = pixels.astype(np.float64 if kind == "FRACTIONAL" else bool)
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=pixels,
        segmentation_type=kind,
        segment_descriptions=[description(n, lab) for n, lab in enumerate(labels, start=1)],
        series_instance_uid=generate_uid(),
        series_number=2,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="test",
        manufacturer_model_name="test",
        software_versions="1",
        device_serial_number="1",
        omit_empty_frames=True,
    )
    seg.save_as(path)
    return path


def box(shape: tuple[int, int, int], k: slice, j: slice, i: slice) -> np.ndarray:
    out = np.zeros(shape, bool)
    out[k, j, i] = True
    return out


def test_binary_segments_on_the_source_grid(tmp_path: Path) -> None:
    liver = box(CT_GRID.shape, slice(1, 5), slice(2, 6), slice(3, 8))
    lesion = box(CT_GRID.shape, slice(2, 3), slice(3, 4), slice(4, 6))
    path = write_seg(tmp_path / "seg.dcm", {"liver": liver, "lesion": lesion})
    masks = read_seg(path, CT_GRID)
    assert [m.name for m in masks] == ["liver", "lesion"]
    np.testing.assert_array_equal(masks[0].array, liver)
    np.testing.assert_array_equal(masks[1].array, lesion)
    assert masks[0].voxel_count == 4 * 4 * 5 and masks[1].voxel_count == 2
    one = read_seg(path, CT_GRID, "lesion")
    np.testing.assert_array_equal(one.array, lesion)
    assert read_seg(path, CT_GRID, 1).name == "liver"
    assert read_seg(path, CT_GRID, segment=" LIVER").name == "liver"


def test_own_grid_spans_the_frames_present(tmp_path: Path) -> None:
    liver = box(CT_GRID.shape, slice(1, 5), slice(2, 6), slice(3, 8))
    path = write_seg(tmp_path / "seg.dcm", {"liver": liver})
    (mask,) = read_seg(path)
    # empty frames are omitted: the own grid runs from slice 1 to slice 4
    assert mask.geometry.shape == (4, 8, 10)
    assert mask.geometry.spacing_mm == SPACING
    np.testing.assert_allclose(mask.geometry.origin_mm, CT_GRID.index_to_lps([0, 0, 1]))
    np.testing.assert_array_equal(mask.array, liver[1:5])


def test_frames_on_some_slices_are_placed_by_position(tmp_path: Path) -> None:
    # segment only on slices 1 and 4: the SEG stores two frames 12 mm apart
    marks = np.zeros(CT_GRID.shape, bool)
    marks[1, 2:4, 2:5] = True
    marks[4, 5:7, 6:9] = True
    path = write_seg(tmp_path / "seg.dcm", {"marks": marks})
    assert pydicom.dcmread(path).NumberOfFrames == 2
    mask = read_seg(path, CT_GRID, "marks")
    np.testing.assert_array_equal(mask.array, marks)
    # without a grid: slice spacing from Slice Thickness (the gap is 3 of them)
    own = read_seg(path, segment="marks")
    assert own.geometry.shape == (4, 8, 10) and own.geometry.spacing_mm[2] == 4.0
    assert own.array.sum(axis=(1, 2)).tolist() == [6, 0, 0, 6]


def test_placed_on_a_larger_aligned_grid(tmp_path: Path) -> None:
    liver = box(CT_GRID.shape, slice(1, 5), slice(2, 6), slice(3, 8))
    path = write_seg(tmp_path / "seg.dcm", {"liver": liver})
    # a grid with 2 more columns and 1 more row before, and 3 more slices before
    bigger = Geometry(
        (9, 10, 13), origin_mm=tuple(CT_GRID.index_to_lps([-2, -1, -3])), spacing_mm=SPACING
    )
    mask = read_seg(path, bigger, "liver")
    expected = np.zeros(bigger.shape, bool)
    expected[3:9, 1:9, 2:12] = liver
    np.testing.assert_array_equal(mask.array, expected)
    # and on a smaller one that cuts the segment
    smaller = replace(CT_GRID, shape=(3, 8, 5))
    np.testing.assert_array_equal(read_seg(path, smaller, "liver").array, liver[:3, :, :5])


def test_resampled_onto_a_finer_grid(tmp_path: Path) -> None:
    liver = box(CT_GRID.shape, slice(1, 5), slice(2, 6), slice(3, 8))
    path = write_seg(tmp_path / "seg.dcm", {"liver": liver})
    # half the in-plane spacing, centres a quarter voxel from the coarse centres
    fine_spacing = (1.0, 1.5, 4.0)
    origin = np.asarray(ORIGIN) - [0.5, 0.75, 0.0]
    fine = Geometry((6, 16, 20), origin_mm=tuple(origin), spacing_mm=fine_spacing)
    mask = read_seg(path, fine, "liver")
    assert mask.voxel_count == 4 * liver.sum()
    np.testing.assert_array_equal(mask.array, liver.repeat(2, axis=1).repeat(2, axis=2))


def test_fractional_threshold(tmp_path: Path) -> None:
    values = np.zeros(CT_GRID.shape)
    values[2, 1, 1:6] = [0.2, 0.4, 0.8, 1.0, 0.2]  # multiples of 1/255: stored exactly
    path = write_seg(tmp_path / "frac.dcm", {"tumour": values}, kind="FRACTIONAL")
    mask = read_seg(path, CT_GRID, "tumour")
    assert np.argwhere(mask.array).tolist() == [[2, 1, 3], [2, 1, 4]]
    loose = read_seg(path, CT_GRID, "tumour", fraction_threshold=0.3)
    assert loose.voxel_count == 3
    # resampled route: linear interpolation of the fractions, then the threshold
    shifted = replace(CT_GRID, origin_mm=tuple(np.add(ORIGIN, [1.0, 0.0, 0.0])))
    half = read_seg(path, shifted, "tumour")
    # centres halfway between columns: 0.1, 0.3, 0.6, 0.9, 0.6, 0.1
    assert np.argwhere(half.array).tolist() == [[2, 1, 2], [2, 1, 3], [2, 1, 4]]


def test_labelmap_segmentation(tmp_path: Path) -> None:
    liver = box(CT_GRID.shape, slice(1, 5), slice(2, 6), slice(3, 8))
    lesion = box(CT_GRID.shape, slice(2, 3), slice(0, 2), slice(0, 2))
    path = write_seg(tmp_path / "lm.dcm", {"liver": liver, "lesion": lesion}, kind="LABELMAP")
    masks = read_seg(path, CT_GRID)
    assert [m.name for m in masks] == ["liver", "lesion"]  # not highdicom's background segment
    np.testing.assert_array_equal(masks[0].array, liver)
    np.testing.assert_array_equal(masks[1].array, lesion)
    background = read_seg(path, CT_GRID, 0)
    # only the stored frames (slices 1-4) can hold background; omitted ones hold nothing
    stored = np.zeros(CT_GRID.shape, bool)
    stored[1:5] = True
    np.testing.assert_array_equal(background.array, stored & ~liver & ~lesion)


def test_unknown_segment_lists_labels(tmp_path: Path) -> None:
    liver = box(CT_GRID.shape, slice(1, 2), slice(2, 6), slice(3, 8))
    path = write_seg(tmp_path / "seg.dcm", {"liver": liver, "spleen": liver})
    with pytest.raises(
        ThxError, match=r"no segment 'kidney'; segments available: 1: 'liver', 2: 'spleen'"
    ):
        read_seg(path, CT_GRID, "kidney")
    with pytest.raises(ThxError, match="no segment 7"):
        read_seg(path, CT_GRID, 7)


def test_not_a_seg(tmp_path: Path) -> None:
    ct = ct_slices()[0]
    path = tmp_path / "ct.dcm"
    pydicom.dcmwrite(path, ct, enforce_file_format=True)
    with pytest.raises(DicomReadError, match=r"ct\.dcm: is not a DICOM Segmentation.*'CT'"):
        read_seg(path)
    with pytest.raises(DicomReadError, match=r"none\.dcm: no such file"):
        read_seg(tmp_path / "none.dcm")
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x00" * 10)
    with pytest.raises(DicomReadError, match=r"junk\.dcm: not a readable DICOM file"):
        read_seg(junk)


def test_frames_off_any_regular_grid_are_reported(tmp_path: Path) -> None:
    marks = np.zeros(CT_GRID.shape, bool)
    marks[[1, 2, 4], 2:4, 2:5] = True
    path = write_seg(tmp_path / "seg.dcm", {"marks": marks})
    ds = pydicom.dcmread(path)
    z4 = float(CT_GRID.index_to_lps([0, 0, 4])[2])
    for group in ds.PerFrameFunctionalGroupsSequence:
        position = group.PlanePositionSequence[0]
        if float(position.ImagePositionPatient[2]) == z4:
            position.ImagePositionPatient = [*position.ImagePositionPatient[:2], z4 + 1.0]
    ds.save_as(path)
    with pytest.raises(DicomReadError, match=r"seg\.dcm: frame positions are not whole slices"):
        read_seg(path)
    with pytest.raises(DicomReadError, match=r"seg\.dcm: frame positions are not whole slices"):
        read_seg(path, CT_GRID, "marks")

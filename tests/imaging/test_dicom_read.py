"""DICOM series reader: slice order, several series, gaps, corrupted input, multi-frame objects."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theranostix.errors import DicomReadError, DicomReadWarning, MissingTagError
from theranostix.imaging import (
    ImageUnit,
    Modality,
    find_series,
    read_dicom_series,
    read_image,
)


def _ramp(shape=(5, 4, 3)) -> np.ndarray:
    """Values that identify every voxel: 1000 + 100 k + 10 j + i."""
    k, j, i = np.indices(shape)
    return 1000.0 + 100 * k + 10 * j + i


def test_slices_are_ordered_by_position_not_by_name_or_instance_number(pet_series) -> None:
    values = _ramp()
    # File names run against the spatial order, and so do the instance numbers.
    folder = pet_series(values, file_names=lambda k: f"img_{9 - k}.dcm")
    volume = read_dicom_series(folder)
    np.testing.assert_allclose(volume.array, values, rtol=1e-4)
    assert volume.geometry.origin_mm == (0.0, 0.0, 0.0)
    assert volume.geometry.spacing_mm == (4.0, 4.0, 4.0)
    assert volume.modality is Modality.PT and volume.unit is ImageUnit.BQ_PER_ML


def test_per_slice_rescale_slope_is_applied(pet_series) -> None:
    values = _ramp()
    values[3] *= 50  # that slice gets a 50 times larger slope
    volume = read_dicom_series(pet_series(values))
    np.testing.assert_allclose(volume.array, values, rtol=1e-4)


def test_feet_first_stack_with_decreasing_z(pet_series) -> None:
    values = _ramp()

    def per_slice(k: int, ds) -> None:
        ds.ImagePositionPatient = [10.0, -5.0, 100.0 - 3.0 * k]

    volume = read_dicom_series(pet_series(values, per_slice=per_slice))
    # Sorted along the normal (+z): the last written slice comes first.
    np.testing.assert_allclose(volume.array, values[::-1], rtol=1e-4)
    assert volume.geometry.origin_mm == (10.0, -5.0, 88.0)
    assert volume.geometry.spacing_mm[2] == pytest.approx(3.0)


def test_oblique_orientation_gives_the_right_positions(pet_series) -> None:
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    row, col = np.array([c, s, 0.0]), np.array([-s, c, 0.0])

    def per_slice(k: int, ds) -> None:
        ds.ImageOrientationPatient = [*row, *col]
        ds.ImagePositionPatient = [1.0, 2.0, 2.5 * k]

    volume = read_dicom_series(pet_series(_ramp(), per_slice=per_slice, spacing_mm=(2, 3, 2.5)))
    # Voxel (i=2, j=1, k=3): origin + 2*2 mm along the row + 1*3 mm along the column + 3*2.5 mm in z.
    expected = np.array([1.0, 2.0, 0.0]) + 4 * row + 3 * col + [0, 0, 7.5]
    np.testing.assert_allclose(volume.geometry.index_to_lps([2, 1, 3]), expected, atol=1e-6)


def test_several_series_are_listed_and_one_can_be_chosen(tmp_path: Path, pet_writer) -> None:
    pet_writer(tmp_path / "a", _ramp(), series_uid="1.2.3.4")
    pet_writer(tmp_path / "b", _ramp() * 2, series_uid="1.2.3.5")
    infos = find_series(tmp_path)
    assert sorted(s.series_uid for s in infos) == ["1.2.3.4", "1.2.3.5"]
    assert all(s.modality == "PT" and len(s.files) == 5 for s in infos)
    with pytest.raises(DicomReadError, match=r"2 image series.*1\.2\.3\.4.*1\.2\.3\.5"):
        read_dicom_series(tmp_path)
    chosen = read_dicom_series(tmp_path, series_uid="1.2.3.5")
    np.testing.assert_allclose(chosen.array, _ramp() * 2, rtol=1e-4)
    with pytest.raises(DicomReadError, match=r"no series with SeriesInstanceUID 9\.9"):
        read_dicom_series(tmp_path, series_uid="9.9")
    with pytest.raises(DicomReadError, match="no CT image series"):
        read_dicom_series(tmp_path, modality="CT")


def test_missing_slice_is_a_gap_error_naming_the_neighbours(pet_series) -> None:
    folder = pet_series(_ramp((6, 3, 3)))
    (folder / "slice_002.dcm").unlink()
    with pytest.raises(
        DicomReadError, match=r"gap of 1 missing slice.*slice_001\.dcm and slice_003\.dcm"
    ):
        read_dicom_series(folder)


def test_uneven_spacing_is_an_error(pet_series) -> None:
    def per_slice(k: int, ds) -> None:
        ds.ImagePositionPatient = [0.0, 0.0, [0.0, 4.0, 8.0, 13.0, 17.0][k]]

    with pytest.raises(DicomReadError, match=r"uneven slice spacing: 5\.000 mm"):
        read_dicom_series(pet_series(_ramp(), per_slice=per_slice))


def test_duplicate_positions_are_an_error(pet_series) -> None:
    def per_slice(k: int, ds) -> None:
        ds.ImagePositionPatient = [0.0, 0.0, 4.0 * min(k, 3)]

    with pytest.raises(DicomReadError, match="same position"):
        read_dicom_series(pet_series(_ramp(), per_slice=per_slice))


def test_mixed_orientations_are_an_error(pet_series) -> None:
    def per_slice(k: int, ds) -> None:
        if k == 2:
            ds.ImageOrientationPatient = [0, 1, 0, 1, 0, 0]

    with pytest.raises(DicomReadError, match=r"different orientations.*slice_002\.dcm"):
        read_dicom_series(pet_series(_ramp(), per_slice=per_slice))


def test_missing_geometry_tag_is_named(pet_series) -> None:
    def per_slice(k: int, ds) -> None:
        if k == 1:
            del ds.ImagePositionPatient

    with pytest.raises(MissingTagError, match=r"ImagePositionPatient \(0020,0032\).*slice_001.dcm"):
        read_dicom_series(pet_series(_ramp(), per_slice=per_slice))


def test_non_dicom_files_are_skipped_with_a_warning_naming_them(pet_series) -> None:
    folder = pet_series(_ramp())
    (folder / "notes.txt").write_text("not an image")
    (folder / "DICOMDIR.bak").write_bytes(b"\x00" * 10)
    with pytest.warns(DicomReadWarning) as record:
        volume = read_dicom_series(folder)
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 2
    assert messages[0].endswith("DICOMDIR.bak: not a DICOM file, skipped")
    assert messages[1].endswith("notes.txt: not a DICOM file, skipped")
    np.testing.assert_allclose(volume.array, _ramp(), rtol=1e-4)


def test_truncated_pixel_data_is_an_error_naming_the_file(pet_series) -> None:
    folder = pet_series(_ramp())
    path = folder / "slice_003.dcm"
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(DicomReadError, match=r"slice_003\.dcm"):
        read_dicom_series(folder)


def test_missing_pixel_data_is_an_error_naming_the_file(pet_series) -> None:
    import pydicom

    folder = pet_series(_ramp())
    path = folder / "slice_001.dcm"
    ds = pydicom.dcmread(path)
    del ds.PixelData
    ds.save_as(path)
    with pytest.raises(DicomReadError, match=r"slice_001\.dcm: no Pixel Data \(7FE0,0010\)"):
        read_dicom_series(folder)


def test_truncated_header_is_skipped_with_a_warning_then_the_gap_is_reported(pet_series) -> None:
    folder = pet_series(_ramp())
    path = folder / "slice_002.dcm"
    path.write_bytes(path.read_bytes()[:200])
    with (
        pytest.warns(DicomReadWarning, match=r"slice_002\.dcm"),
        pytest.raises(DicomReadError, match="gap"),
    ):
        read_dicom_series(folder)


def test_empty_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DicomReadError, match="no such file or folder"):
        read_dicom_series(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DicomReadError, match=r"no image series.*no DICOM files"):
        read_dicom_series(tmp_path / "empty")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations(range(5)),
    spacing=st.floats(min_value=0.5, max_value=8.0),
    z0=st.floats(min_value=-500, max_value=500),
)
def test_any_file_order_and_spacing_gives_the_same_volume(
    tmp_path_factory, pet_writer, order, spacing, z0
) -> None:
    folder = tmp_path_factory.mktemp("perm")
    values = _ramp()

    def per_slice(k: int, ds) -> None:
        ds.ImagePositionPatient = [0.0, 0.0, z0 + spacing * k]

    pet_writer(folder, values, per_slice=per_slice, file_names=lambda k: f"f{order[k]}.dcm")
    volume = read_dicom_series(folder)
    np.testing.assert_allclose(volume.array, values, rtol=1e-4)
    assert volume.geometry.spacing_mm[2] == pytest.approx(spacing, rel=1e-6, abs=1e-6)
    assert volume.geometry.origin_mm[2] == pytest.approx(z0, abs=1e-6)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(junk=st.binary(min_size=0, max_size=600), cut=st.integers(min_value=0, max_value=2000))
def test_garbage_files_never_crash_the_reader(tmp_path_factory, pet_writer, junk, cut) -> None:
    """Random bytes and truncated copies: either the right volume with warnings, or a DicomReadError."""
    folder = tmp_path_factory.mktemp("junk")
    pet_writer(folder, _ramp())
    (folder / "junk.bin").write_bytes(junk)
    original = (folder / "slice_004.dcm").read_bytes()
    (folder / "slice_004_copy.dcm").write_bytes(original[:cut])
    with pytest.warns(DicomReadWarning):
        outcome = _read_or_error(folder)
    if not isinstance(outcome, DicomReadError | MissingTagError):
        np.testing.assert_allclose(outcome.array, _ramp(), rtol=1e-4)


def _read_or_error(folder: Path):
    try:
        return read_dicom_series(folder)
    except (DicomReadError, MissingTagError) as exc:
        return exc


# ----------------------------------------------------------------------------- CT, NM, enhanced
def _base_dataset(sop_class: str, modality: str):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Modality = modality
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    return ds


def test_ct_hounsfield_units_from_rescale(tmp_path: Path) -> None:
    hu = np.array([[[-1000, 0], [40, 1000]]] * 3, dtype=float)
    series = None
    for k in range(3):
        ds = _base_dataset("1.2.840.10008.5.1.4.1.1.2", "CT")
        if series is None:
            series = ds.SeriesInstanceUID
        ds.SeriesInstanceUID = series
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0, 0, 2.0 * k]
        ds.PixelSpacing = [0.8, 0.7]
        ds.Rows, ds.Columns = 2, 2
        ds.RescaleSlope, ds.RescaleIntercept = "1", "-1024"
        ds.PixelData = (hu[k] + 1024).astype(np.int16).tobytes()
        ds.save_as(tmp_path / f"ct{k}.dcm", enforce_file_format=True)
    volume = read_image(tmp_path)
    assert volume.modality is Modality.CT and volume.unit is ImageUnit.HU
    np.testing.assert_array_equal(volume.array, hu)
    assert volume.geometry.spacing_mm == (0.7, 0.8, 2.0)


def test_nm_multiframe_reconstruction(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset

    values = _ramp((6, 4, 5))
    ds = _base_dataset("1.2.840.10008.5.1.4.1.1.20", "NM")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "RECON TOMO", "EMISSION"]
    ds.NumberOfFrames = 6
    ds.Rows, ds.Columns = 4, 5
    ds.PixelSpacing = [4.8, 4.8]
    ds.SpacingBetweenSlices = "4.8"
    ds.SliceThickness = "4.8"
    detector = Dataset()
    detector.ImagePositionPatient = [-10.0, -20.0, -30.0]
    detector.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.DetectorInformationSequence = [detector]
    ds.Units = "BQML"
    ds.RescaleSlope = "0.5"
    ds.PixelData = (values / 0.5).astype(np.int16).tobytes()
    ds.save_as(tmp_path / "spect.dcm", enforce_file_format=True)
    volume = read_dicom_series(tmp_path / "spect.dcm")
    assert volume.modality is Modality.NM and volume.unit is ImageUnit.BQ_PER_ML
    np.testing.assert_allclose(volume.array, values)
    assert volume.geometry.origin_mm == (-10.0, -20.0, -30.0)
    np.testing.assert_allclose(volume.geometry.index_to_lps([0, 0, 5]), [-10, -20, -30 + 24])


def test_enhanced_pet_with_shuffled_frames_and_per_frame_slopes(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset

    values = _ramp((4, 3, 3))
    order = [2, 0, 3, 1]  # frame f holds slice order[f]
    slopes = [0.5, 1.0, 2.0, 0.25]
    ds = _base_dataset("1.2.840.10008.5.1.4.1.1.130", "PT")
    ds.NumberOfFrames = 4
    ds.Rows, ds.Columns = 3, 3
    ds.Units = "BQML"
    shared = Dataset()
    orientation, measures = Dataset(), Dataset()
    orientation.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    measures.PixelSpacing = [2.0, 2.0]
    measures.SliceThickness = "3.0"
    shared.PlaneOrientationSequence = [orientation]
    shared.PixelMeasuresSequence = [measures]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames, pixels = [], []
    for f, k in enumerate(order):
        item, position, transform = Dataset(), Dataset(), Dataset()
        position.ImagePositionPatient = [0.0, 0.0, 3.0 * k]
        transform.RescaleSlope, transform.RescaleIntercept = str(slopes[f]), "0"
        item.PlanePositionSequence = [position]
        item.PixelValueTransformationSequence = [transform]
        frames.append(item)
        pixels.append(np.round(values[k] / slopes[f]).astype(np.int16))
    ds.PerFrameFunctionalGroupsSequence = frames
    ds.PixelData = np.stack(pixels).tobytes()
    ds.save_as(tmp_path / "enhanced.dcm", enforce_file_format=True)
    volume = read_dicom_series(tmp_path)
    expected = np.stack(
        [np.round(values[k] / slopes[order.index(k)]) * slopes[order.index(k)] for k in range(4)]
    )
    np.testing.assert_allclose(volume.array, expected)
    assert volume.geometry.spacing_mm == (2.0, 2.0, 3.0)


def test_non_image_series_are_not_read_as_images(tmp_path: Path, pet_series) -> None:
    shutil.copytree(pet_series(_ramp()), tmp_path / "study" / "pet")
    rt = _base_dataset("1.2.840.10008.5.1.4.1.1.481.3", "RTSTRUCT")
    rt.save_as(tmp_path / "study" / "rs.dcm", enforce_file_format=True)
    assert {s.modality for s in find_series(tmp_path / "study")} == {"PT", "RTSTRUCT"}
    assert read_dicom_series(tmp_path / "study").modality is Modality.PT


def test_nominal_half_lives_agree_with_the_decay_data() -> None:
    from theranostix.imaging._dicom_read import _NOMINAL_HALF_LIVES_S
    from theranostix.nuclides import Nuclide

    for name, half_life in _NOMINAL_HALF_LIVES_S.items():
        assert half_life == pytest.approx(Nuclide(name).half_life_s, rel=2e-3), name


def test_every_truncation_of_a_file_is_a_warning_or_an_error_never_a_crash(pet_series) -> None:
    """A copy of one slice cut at every byte: a DicomReadWarning naming it, or a DicomReadError."""
    import warnings

    folder = pet_series(_ramp())
    original = (folder / "slice_004.dcm").read_bytes()
    copy = folder / "slice_004_copy.dcm"
    outcomes = set()
    for cut in range(0, len(original) + 1, 3):
        copy.write_bytes(original[:cut])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = _read_or_error(folder)
        foreign = [w for w in caught if not issubclass(w.category, DicomReadWarning)]
        assert foreign == [], (cut, [str(w.message) for w in foreign])
        assert all("slice_004_copy.dcm" in str(w.message) for w in caught), cut
        outcomes.add(type(outcome).__name__)
        if not isinstance(outcome, DicomReadError | MissingTagError):
            np.testing.assert_allclose(outcome.array, _ramp(), rtol=1e-4)
    assert {"Volume", "DicomReadError"} <= outcomes

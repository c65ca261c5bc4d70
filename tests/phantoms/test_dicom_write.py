"""theranostix.imaging write_dicom_series / write_rtstruct / write_seg, read back with pydicom."""

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pydicom
import pytest
from matplotlib.path import Path as PolygonPath
from pydicom import config
from pydicom.valuerep import validate_value

from theranostix.errors import NaiveDatetimeError, ThxError
from theranostix.imaging import (
    Geometry,
    ImageUnit,
    Mask,
    Modality,
    Volume,
    rasterize_rtstruct,
    read_dicom_series,
    to_suv,
    write_dicom_series,
    write_rtstruct,
    write_seg,
)
from theranostix.phantoms import ScanSettings, make_patient

NOISELESS = ScanSettings(psf_fwhm_mm=None, noise=False)
TZ = timezone(timedelta(hours=1))


@pytest.fixture(scope="module")
def patient():
    return make_patient("psma", lesions=3, seed=2, voxel_mm=8.0, pet=NOISELESS, spect=NOISELESS)


@pytest.fixture(scope="module")
def written(patient, tmp_path_factory):
    out = tmp_path_factory.mktemp("series")
    ct = write_dicom_series(patient.ct, out / "ct", series_number=1)
    pet = write_dicom_series(patient.pet, out / "pet", series_number=2)
    nm = write_dicom_series(patient.spect(24.0), out / "nm", series_number=3)
    return {"ct": ct, "pet": pet, "nm": nm}


def strict_read(path: Path) -> pydicom.Dataset:
    """Read with pydicom's validation raising, and validate every value."""
    with config.strict_reading():
        ds = pydicom.dcmread(path)
        for elem in ds.iterall():
            if elem.VR in ("SQ", "OB", "OW", "UN", "US or SS"):
                continue
            values = elem.value if elem.VM > 1 else [elem.value]
            for value in values:
                text = str(value) if elem.VR in ("DS", "IS") else value
                validate_value(elem.VR, text, config.RAISE)
    return ds


def test_pet_tags(patient, written) -> None:
    ds = strict_read(written["pet"][10])
    rp = patient.pet.radiopharmaceutical
    start = patient.pet.timing.acquisition_start
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.128"
    assert ds.Modality == "PT"
    assert ds.Units == "BQML"
    assert ds.DecayCorrection == "START"
    assert {"DECY", "ATTN"} <= set(ds.CorrectedImage)
    assert ds.SeriesDate == start.strftime("%Y%m%d")
    assert ds.SeriesTime.startswith(start.strftime("%H%M%S"))
    assert ds.AcquisitionTime == ds.SeriesTime
    assert ds.TimezoneOffsetFromUTC == "+0100"
    assert int(ds.ActualFrameDuration) == 180_000
    assert float(ds.FrameReferenceTime) == 0.0
    assert ds.NumberOfSlices == patient.geometry.shape[0]
    assert float(ds.PatientWeight) == 75.0
    assert float(ds.PatientSize) == 1.75
    assert ds.PatientSex == "M"
    item = ds.RadiopharmaceuticalInformationSequence[0]
    assert item.Radiopharmaceutical == "Ga-68-PSMA-11"
    assert float(item.RadionuclideTotalDose) == rp.injected_activity_bq
    assert float(item.RadionuclideHalfLife) == pytest.approx(rp.nuclide.half_life_s, rel=1e-9)
    assert item.RadiopharmaceuticalStartTime.startswith(rp.injection_time.strftime("%H%M%S"))
    assert item.RadiopharmaceuticalStartDateTime.startswith(
        rp.injection_time.strftime("%Y%m%d%H%M%S")
    )
    assert item.RadiopharmaceuticalStartDateTime.endswith("+0100")
    code = item.RadionuclideCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning) == (
        "35337001", "SCT", "^68^Gallium",
    )  # fmt: skip


def test_pet_suv_from_tags_equals_table(patient, written) -> None:
    """SUV = weight·1000 / (dose decayed to the series time) × Bq/mL, from the tags only."""
    for path in written["pet"]:
        ds = pydicom.dcmread(path)
        item = ds.RadiopharmaceuticalInformationSequence[0]
        injection = datetime.strptime(item.RadiopharmaceuticalStartDateTime, "%Y%m%d%H%M%S.%f%z")
        series = datetime.strptime(ds.SeriesDate + ds.SeriesTime, "%Y%m%d%H%M%S.%f").replace(
            tzinfo=injection.tzinfo
        )
        elapsed = (series - injection).total_seconds()
        dose = float(item.RadionuclideTotalDose) * 2 ** (
            -elapsed / float(item.RadionuclideHalfLife)
        )
        slope = float(ds.RescaleSlope)
        suv = ds.pixel_array * slope * float(ds.PatientWeight) * 1000 / dose
        k = int(ds.InstanceNumber) - 1
        truth = patient.suv_true.array[k]
        step = slope * float(ds.PatientWeight) * 1000 / dose
        assert np.abs(suv - truth).max() <= step / 2 * 1.0001
        if truth.any():
            assert np.abs(ds.pixel_array).max() == 32767  # full int16 range per slice
            assert np.abs(suv - truth).max() <= truth.max() / 32767


def test_ct_hounsfield_units(patient, written) -> None:
    ds = strict_read(written["ct"][100])
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert ds.RescaleType == "HU"
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert np.array_equal(hu, np.rint(patient.ct.array[100]))
    position = [float(v) for v in ds.ImagePositionPatient]
    assert position == pytest.approx(patient.geometry.index_to_lps([0, 0, 100]).tolist())
    assert [float(v) for v in ds.PixelSpacing] == [8.0, 8.0]
    assert ds.FrameOfReferenceUID == pydicom.dcmread(written["ct"][0]).FrameOfReferenceUID


def test_nm_multiframe(patient, written) -> None:
    (path,) = written["nm"]
    ds = strict_read(path)
    nk, nj, ni = patient.geometry.shape
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.20"
    assert list(ds.ImageType) == ["ORIGINAL", "PRIMARY", "RECON TOMO", "EMISSION"]
    assert ds.NumberOfFrames == nk
    assert ds.FrameIncrementPointer == 0x00540080
    assert list(ds.SliceVector) == list(range(1, nk + 1))
    assert ds.Units == "BQML"
    detector = ds.DetectorInformationSequence[0]
    assert [float(v) for v in detector.ImagePositionPatient] == list(patient.geometry.origin_mm)
    assert [float(v) for v in detector.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    assert float(ds.SpacingBetweenSlices) == float(ds.SliceThickness) == 8.0
    mapping = ds.RealWorldValueMappingSequence[0]
    unit = mapping.MeasurementUnitsCodeSequence[0]
    assert (unit.CodeValue, unit.CodingSchemeDesignator) == ("Bq/ml", "UCUM")
    assert mapping.RealWorldValueSlope == pytest.approx(float(ds.RescaleSlope))
    item = ds.RadiopharmaceuticalInformationSequence[0]
    assert item.RadionuclideCodeSequence[0].CodeValue == "447553000"
    assert float(item.RadionuclideTotalDose) == 7.4e9
    start = patient.therapy_injection_time + timedelta(hours=24)
    assert ds.AcquisitionDate + ds.AcquisitionTime[:6] == start.strftime("%Y%m%d%H%M%S")
    values = ds.pixel_array * float(ds.RescaleSlope)
    assert values.shape == (nk, nj, ni)
    assert np.abs(values - patient.spect(24.0).array).max() <= float(ds.RescaleSlope) / 2 * 1.0001


def test_round_trip_through_the_reader_gives_the_true_suv(patient, written) -> None:
    volume = read_dicom_series(written["pet"][0].parent)
    assert volume.geometry.same_grid(patient.geometry)
    suv = to_suv(volume, "bw")
    step = np.abs(patient.suv_true.array).max() / 32767
    assert np.abs(suv.array - patient.suv_true.array).max() <= step
    for name in ("liver", "kidneys", "parotid_glands"):
        mask = patient.region_mask(name).array
        assert suv.array[mask].mean() == pytest.approx(
            patient.suv_true.array[mask].mean(), rel=1e-4
        )


def test_refuses_what_it_cannot_write(patient, tmp_path: Path) -> None:
    geometry = Geometry((2, 3, 4))
    with pytest.raises(ThxError, match="cannot write a PT volume in SUV"):
        write_dicom_series(patient.suv_true, tmp_path / "suv")
    pet = patient.pet
    naive = type(pet.timing)(acquisition_start=datetime(2026, 1, 1, 10, 0))
    with pytest.raises(NaiveDatetimeError):
        write_dicom_series(
            Volume(np.zeros((2, 3, 4)), geometry, ImageUnit.BQ_PER_ML, Modality.PT, timing=naive),
            tmp_path / "naive",
        )
    with pytest.raises(ThxError, match=r"needs timing\.acquisition_start"):
        write_dicom_series(
            Volume(np.zeros((2, 3, 4)), geometry, ImageUnit.BQ_PER_ML, Modality.NM),
            tmp_path / "nm",
        )


def _ring_masks() -> tuple[Geometry, list[Mask]]:
    geometry = Geometry((6, 24, 28), origin_mm=(-54.0, -46.0, 10.0), spacing_mm=(4, 4, 5))
    k, j, i = np.indices(geometry.shape)
    disc = (i - 13.2) ** 2 + (j - 11.7) ** 2 <= 64
    ring = disc & ((i - 13.2) ** 2 + (j - 11.7) ** 2 > 9) & (k >= 1) & (k <= 4)
    blobs = np.zeros(geometry.shape, dtype=bool)
    blobs[2, 2:5, 2:4] = True
    blobs[2, 5:7, 4:6] = True  # touches the first one diagonally only
    blobs[3, 18:21, 22:26] = True
    return geometry, [Mask(ring, geometry, "kidneys"), Mask(blobs, geometry, "lesion_1")]


def _ct(geometry: Geometry, out: Path) -> list[Path]:
    start = datetime(2026, 3, 2, 9, 30, tzinfo=TZ)
    from theranostix.imaging import Timing

    ct = Volume(np.zeros(geometry.shape), geometry, ImageUnit.HU, Modality.CT,
                timing=Timing(acquisition_start=start))  # fmt: skip
    return write_dicom_series(ct, out)


def test_rtstruct_contours_rasterise_back_to_the_masks(tmp_path: Path) -> None:
    geometry, masks = _ring_masks()
    ct = _ct(geometry, tmp_path / "ct")
    path = write_rtstruct(masks, ct, tmp_path / "rt.dcm")
    ds = strict_read(path)
    assert ds.Modality == "RTSTRUCT"
    frame = ds.ReferencedFrameOfReferenceSequence[0]
    referenced = {
        item.ReferencedSOPInstanceUID
        for item in frame.RTReferencedStudySequence[0]
        .RTReferencedSeriesSequence[0]
        .ContourImageSequence
    }
    assert referenced == {pydicom.dcmread(p).SOPInstanceUID for p in ct}
    assert [r.ROIName for r in ds.StructureSetROISequence] == ["kidneys", "lesion_1"]
    assert [o.RTROIInterpretedType for o in ds.RTROIObservationsSequence] == ["ORGAN", "GTV"]
    j, i = np.indices(geometry.shape[1:])
    centres = np.column_stack([i.ravel(), j.ravel()])
    for number, mask in enumerate(masks, start=1):
        roi = next(r for r in ds.ROIContourSequence if r.ReferencedROINumber == number)
        assert len(roi.ROIDisplayColor) == 3
        raster = np.zeros(geometry.shape, dtype=bool)
        for contour in roi.ContourSequence:
            assert contour.ContourGeometricType == "CLOSED_PLANAR"
            points = np.asarray(contour.ContourData, dtype=float).reshape(-1, 3)
            assert len(points) == contour.NumberOfContourPoints
            ijk = geometry.lps_to_index(points)
            slice_k = round(float(ijk[0, 2]))
            assert np.allclose(ijk[:, 2], slice_k)
            inside = PolygonPath(ijk[:, :2]).contains_points(centres).reshape(j.shape)
            raster[slice_k] ^= inside  # even-odd: an inner contour is a hole
        assert np.array_equal(raster, mask.array), mask.name
        # and through the library's own rasteriser
        assert np.array_equal(rasterize_rtstruct(path, geometry, mask.name).array, mask.array)


def test_phantom_rtstruct_round_trip(patient, written, tmp_path: Path) -> None:
    masks = [*patient.organ_masks().values(), *(lesion.mask for lesion in patient.lesions)]
    path = write_rtstruct(masks, written["ct"], tmp_path / "organs.dcm")
    for mask in masks:
        back = rasterize_rtstruct(path, patient.geometry, mask.name)
        assert np.array_equal(back.array, mask.array), mask.name


def test_seg_segments_and_pixels(tmp_path: Path) -> None:
    import highdicom as hd

    geometry, masks = _ring_masks()
    ct = _ct(geometry, tmp_path / "ct")
    path = write_seg(masks, ct, tmp_path / "seg.dcm")
    seg = hd.seg.segread(path)
    assert seg.SegmentationType == "BINARY"
    first, second = seg.SegmentSequence
    assert first.SegmentLabel == "kidneys"
    assert first.SegmentedPropertyTypeCodeSequence[0].CodeValue == "64033007"  # SCT kidney
    assert second.SegmentedPropertyTypeCodeSequence[0].CodeValue == "108369006"  # neoplasm
    assert first.SegmentAlgorithmType == "AUTOMATIC"
    assert first.SegmentAlgorithmName == "theranostix"
    uids = [pydicom.dcmread(p).SOPInstanceUID for p in ct]
    pixels = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=uids,
        ignore_spatial_locations=True,
        assert_missing_frames_are_empty=True,
    )
    for n, mask in enumerate(masks):
        assert np.array_equal(pixels[..., n].astype(bool), mask.array), mask.name


def test_masks_off_the_reference_grid_are_refused(tmp_path: Path) -> None:
    geometry, masks = _ring_masks()
    ct = _ct(geometry, tmp_path / "ct")
    shifted = Geometry(geometry.shape, origin_mm=(0, 0, 0), spacing_mm=geometry.spacing_mm)
    with pytest.raises(ThxError, match="no reference image at slice 0"):
        write_rtstruct([Mask(masks[0].array, shifted, "x")], ct, tmp_path / "rt.dcm")
    with pytest.raises(ThxError, match="unique"):
        write_seg([masks[0], masks[0]], ct, tmp_path / "seg.dcm")


def test_decay_factor_and_frame_reference_time_for_later_beds(tmp_path: Path) -> None:
    from theranostix.imaging import DecayCorrection, Radiopharmaceutical, Timing
    from theranostix.nuclides import Nuclide

    geometry = Geometry((3, 4, 5))
    injection = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    start = injection + timedelta(hours=1)
    beds = (start, start, start + timedelta(minutes=3))
    pet = Volume(
        np.ones(geometry.shape) * 1000.0, geometry, ImageUnit.BQ_PER_ML, Modality.PT,
        radiopharmaceutical=Radiopharmaceutical(Nuclide("F-18"), None, 3e8, injection, "FDG"),
        timing=Timing(start, 180.0, DecayCorrection.START, start, beds, (180.0,) * 3),
    )  # fmt: skip
    files = write_dicom_series(pet, tmp_path)
    last = pydicom.dcmread(files[2])
    lam = math.log(2) / Nuclide("F-18").half_life_s
    assert float(last.DecayFactor) == pytest.approx(math.exp(lam * 180.0), rel=1e-9)
    assert last.AcquisitionTime.startswith("100300")
    assert last.SeriesTime.startswith("100000")

"""Factories of small synthetic DICOM series for the tests (used through fixtures of conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def write_pet_series(
    folder: Path,
    values: np.ndarray,
    *,
    tags: dict[str, Any] | None = None,
    rp: dict[str, Any] | None = None,
    per_slice: Callable[[int, Any], None] | None = None,
    spacing_mm: tuple[float, float, float] = (4.0, 4.0, 4.0),
    slope: float | None = None,
    file_names: Callable[[int], str] | None = None,
    series_uid: str | None = None,
) -> Path:
    """Write ``values`` ([k, j, i], in the series' units) as single-frame PET slices.

    Defaults follow the SUV reference object DRO_0_0: BQML, DecayCorrection START,
    70 kg, 368.08 MBq of F-18 injected at 10:00, series at 11:00. ``tags`` and
    ``rp`` override top-level and Radiopharmaceutical Information attributes
    (``None`` deletes one); ``per_slice(k, dataset)`` edits each slice last.
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    study_uid = generate_uid()
    frame_uid = generate_uid()
    nk, nj, ni = values.shape
    for k in range(nk):
        plane = np.asarray(values[k], dtype=float)
        peak = float(np.max(np.abs(plane))) or 1.0
        m = slope if slope is not None else peak / 32000.0
        stored = np.round(plane / m).astype(np.int16)
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.128"
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        sop_uid = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.128"
        ds.SOPInstanceUID = sop_uid
        ds.Modality = "PT"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.PatientID = "SYN"
        ds.PatientSex = "M"
        ds.PatientWeight = "70.0"
        ds.PatientSize = "1.75"
        ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = "20250101"
        ds.SeriesTime = ds.AcquisitionTime = "110000"
        ds.ActualFrameDuration = "300000"
        ds.FrameReferenceTime = "150000"
        ds.Units = "BQML"
        ds.DecayCorrection = "START"
        ds.CorrectedImage = ["NORM", "ATTN", "DECY"]
        ds.InstanceNumber = nk - k  # deliberately opposite to the spatial order
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0.0, 0.0, float(k * spacing_mm[2])]
        ds.PixelSpacing = [spacing_mm[1], spacing_mm[0]]
        ds.SliceThickness = spacing_mm[2]
        ds.Rows, ds.Columns = nj, ni
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.RescaleSlope = f"{m:.10g}"
        ds.RescaleIntercept = "0"
        item = Dataset()
        item.Radiopharmaceutical = "FDG"
        item.RadiopharmaceuticalStartDateTime = "20250101100000"
        item.RadiopharmaceuticalStartTime = "100000"
        item.RadionuclideTotalDose = "368080000"
        item.RadionuclideHalfLife = "6586.2"
        for key, value in (rp or {}).items():
            if value is None:
                if key in item:
                    delattr(item, key)
            else:
                setattr(item, key, value)
        ds.RadiopharmaceuticalInformationSequence = [item]
        for key, value in (tags or {}).items():
            if value is None:
                if key in ds:
                    delattr(ds, key)
            else:
                setattr(ds, key, value)
        ds.PixelData = stored.tobytes()
        if per_slice is not None:
            per_slice(k, ds)
        name = file_names(k) if file_names else f"slice_{k:03d}.dcm"
        ds.save_as(folder / name, enforce_file_format=True)
    return folder

"""Quantitative imaging: volumes, DICOM/NIfTI/NRRD readers and writers, masks, SUV, SPECT.

The public names are listed in ``__all__`` and imported lazily, so that
``import theranostix.imaging`` does not load pydicom, highdicom or SimpleITK
until a reader or writer is used.

Coordinates are LPS millimetres and arrays are indexed ``[k, j, i]``; see
:mod:`theranostix.imaging._volume` for the convention, documented once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from theranostix import _lazy

# public name -> private module that defines it
_EXPORTS: dict[str, str] = {
    # types (_volume)
    "DecayCorrection": "_volume",
    "Geometry": "_volume",
    "GeometryMismatchError": "_volume",
    "ImageUnit": "_volume",
    "Mask": "_volume",
    "Modality": "_volume",
    "PatientInfo": "_volume",
    "Radiopharmaceutical": "_volume",
    "Sex": "_volume",
    "Timing": "_volume",
    "Volume": "_volume",
    # DICOM reading (_dicom_read)
    "PetAttributes": "_dicom_read",
    "SeriesInfo": "_dicom_read",
    "find_series": "_dicom_read",
    "read_dicom_series": "_dicom_read",
    "read_image": "_dicom_read",
    # SimpleITK bridge, NIfTI / NRRD (_sitk)
    "from_sitk": "_sitk",
    "read_itk_image": "_sitk",
    "to_sitk": "_sitk",
    "write_nifti": "_sitk",
    # resampling (_resample)
    "Interpolation": "_resample",
    "resample_mask": "_resample",
    "resample_volume": "_resample",
    # masks: RTSTRUCT, SEG, NIfTI (_rtstruct, _seg, _masks)
    "rasterize_rtstruct": "_rtstruct",
    "rtstruct_roi_names": "_rtstruct",
    "read_seg": "_seg",
    "load_mask": "_masks",
    "load_masks": "_masks",
    # DICOM writing (_dicom_write)
    "write_dicom_series": "_dicom_write",
    "write_rtstruct": "_dicom_write",
    "write_seg": "_dicom_write",
    "write_rtdose": "_rtdose",
    # SUV (_suv)
    "SuvNormalization": "_suv",
    "SuvResult": "_suv",
    "ALLOW_KEYS": "_suv",
    "parse_allow": "_suv",
    "body_surface_area_dubois_m2": "_suv",
    "ideal_body_weight_kg": "_suv",
    "lean_body_mass_james_kg": "_suv",
    "lean_body_mass_janmahasatian_kg": "_suv",
    "suv_factors": "_suv",
    "to_suv": "_suv",
    # region statistics (_stats)
    "RoiStatistics": "_stats",
    "global_intensity_peak": "_stats",
    "sphere_radius_mm": "_stats",
    "local_intensity_peak": "_stats",
    "roi_statistics": "_stats",
    # quantitative SPECT (_spect)
    "SpectCalibration": "_spect",
    "decay_during_acquisition_factor": "_spect",
    "order_time_points": "_spect",
    "quantify_spect": "_spect",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from theranostix.imaging._volume import (
        DecayCorrection as DecayCorrection,
    )
    from theranostix.imaging._volume import (
        Geometry as Geometry,
    )
    from theranostix.imaging._volume import (
        GeometryMismatchError as GeometryMismatchError,
    )
    from theranostix.imaging._volume import (
        ImageUnit as ImageUnit,
    )
    from theranostix.imaging._volume import (
        Mask as Mask,
    )
    from theranostix.imaging._volume import (
        Modality as Modality,
    )
    from theranostix.imaging._volume import (
        PatientInfo as PatientInfo,
    )
    from theranostix.imaging._volume import (
        Radiopharmaceutical as Radiopharmaceutical,
    )
    from theranostix.imaging._volume import (
        Sex as Sex,
    )
    from theranostix.imaging._volume import (
        Timing as Timing,
    )
    from theranostix.imaging._volume import (
        Volume as Volume,
    )


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

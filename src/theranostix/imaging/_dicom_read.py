"""Reading DICOM image series (PET, CT, NM/SPECT, Enhanced PET/CT) into :class:`Volume`.

A folder may hold several series and files of other kinds. Files are grouped
by Series Instance UID (0020,000E); slices are ordered by their position along
the slice normal (the cross product of the two Image Orientation (Patient)
cosines), never by file name or Instance Number (DICOM PS3.3 C.7.6.2.1.1).
Missing slices, uneven spacing, mixed orientations and duplicated positions are
errors that name the files, so that no silently wrong volume is returned.

Multi-frame objects are read from their frame geometry: NM (tomographic
reconstructions, Detector Information Sequence and Spacing Between Slices,
PS3.3 C.8.4.10) and enhanced objects (Plane Position / Orientation and Pixel
Measures functional groups, PS3.3 C.7.6.16).

The reader is lenient about metadata: what a later computation (SUV, decay
correction) needs but is missing is recorded as ``None`` and reported, with its
DICOM tag, by that computation.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import DicomReadError, DicomReadWarning, MissingTagError
from theranostix.imaging._dicom_time import (
    combine,
    dataset_timezone,
    parse_da,
    parse_dt,
    parse_tm,
    tag_string,
)
from theranostix.imaging._volume import (
    DecayCorrection,
    Geometry,
    ImageUnit,
    Modality,
    PatientInfo,
    Radiopharmaceutical,
    Sex,
    Timing,
    Volume,
)

__all__ = ["PetAttributes", "SeriesInfo", "find_series", "read_dicom_series", "read_image"]

#: Modalities whose objects carry no image pixels of their own.
_NON_IMAGE_MODALITIES = frozenset(
    {"RTSTRUCT", "SEG", "RTPLAN", "SR", "PR", "REG", "KO", "RTRECORD"}
)
_MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"

_UNITS = {
    "BQML": ImageUnit.BQ_PER_ML,
    "GML": ImageUnit.SUV,
    "CM2ML": ImageUnit.SUV,
    "CNTS": ImageUnit.COUNTS,
    "CPS": ImageUnit.CPS,
    "HU": ImageUnit.HU,
}
_UCUM_UNITS = {
    "bq/ml": "BQML",
    "{suvbw}g/ml": "GML",
    "g/ml": "GML",
    "{counts}": "CNTS",
    "{cnts}": "CNTS",
    "{counts}/s": "CPS",
    "/s": "CPS",
}

# Radionuclide codes of DICOM PS3.16 CID 4020 "PET Radionuclide" and CID 18
# "Isotopes in Radiopharmaceuticals" (SNOMED-RT style and SNOMED CT identifiers).
_RADIONUCLIDE_CODES = {
    "C-111A1": "F-18",
    "77004003": "F-18",
    "C-131A3": "Ga-68",
    "C-131A2": "Ga-67",
    "C-105A1": "C-11",
    "C-107A1": "N-13",
    "C-B1038": "O-15",
    "C-159A2": "Rb-82",
    "C-127A2": "Cu-64",
    "C-1018C": "Zr-89",
    "C-114A5": "I-124",
    "C-114B1": "I-131",
    "C-163A8": "Tc-99m",
    "C-145A4": "In-111",
    "C-162A3": "Y-90",
    "C-B1160": "Lu-177",
    "35337001": "Ga-68",
    "447553000": "Lu-177",
}

# Nominal half-lives (s) used only to name the radionuclide when no code is
# given; the decay corrections themselves use Radionuclide Half Life (0018,1075).
# Values from the decay data of theranostix.nuclides (ICRP-107); a test checks them.
_NOMINAL_HALF_LIVES_S = {
    "F-18": 6586.2,
    "Ga-68": 4062.6,
    "C-11": 1221.8,
    "N-13": 597.9,
    "O-15": 122.24,
    "Rb-82": 76.38,
    "Cu-64": 45721.1,
    "Zr-89": 282276.0,
    "Sc-44": 14292.0,
    "I-124": 360806.4,
    "Tc-99m": 21624.12,
    "Lu-177": 574300.8,
    "In-111": 242332.4,
    "I-131": 692902.1,
}


@dataclass(frozen=True)
class SeriesInfo:
    """One series found in a folder.

    Attributes
    ----------
    series_uid : str
        Series Instance UID (0020,000E).
    modality : str
        Modality (0008,0060), e.g. ``"PT"``.
    description : str
        Series Description (0008,103E).
    files : tuple of Path
        Its files, in the order found (not the slice order).
    study_uid : str
        Study Instance UID (0020,000D).
    patient_id : str
        Patient ID (0010,0020).
    series_number : int or None
        Series Number (0020,0011).
    """

    series_uid: str
    modality: str
    description: str
    files: tuple[Path, ...]
    study_uid: str = ""
    patient_id: str = ""
    series_number: int | None = None

    @property
    def is_image(self) -> bool:
        """Whether the series holds images (not RTSTRUCT, SEG, SR...)."""
        return self.modality not in _NON_IMAGE_MODALITIES

    def summary(self) -> str:
        """One line: modality, description, file count and UID."""
        desc = f" {self.description!r}" if self.description else ""
        return (
            f"{self.modality}{desc}, {len(self.files)} file(s), SeriesInstanceUID {self.series_uid}"
        )


@dataclass(frozen=True)
class PetAttributes:
    """PET attributes as stored, for the SUV computation (:mod:`theranostix.imaging._suv`).

    Values are as found (``None`` when absent), except that datetimes are made
    timezone-aware and times are in seconds. ``per_slice`` tuples follow the
    slice order ``k`` of the volume.
    """

    source: str
    units: str | None
    suv_type: str | None
    decay_correction: str | None
    weight_raw: float | None
    height_raw: float | None
    sex_raw: str | None
    dose_raw: float | None
    half_life_s: float | None
    nuclide_from_code: str | None
    injection_datetime: datetime | None
    injection_time_only: bool
    injection_shifted_back_one_day: bool
    series_datetime: datetime | None
    ge_decay_datetime: datetime | None
    decay_correction_datetime: datetime | None
    acquisition_datetimes: tuple[datetime | None, ...]
    frame_durations_s: tuple[float | None, ...]
    frame_reference_times_s: tuple[float | None, ...]
    rescale_intercepts: tuple[float, ...]
    philips_suv_scale: float | None
    philips_activity_scale: float | None
    corrected_image: tuple[str, ...]
    dose_calibration_factor: float | None
    voxel_volume_ml: float
    timezone_assumed: bool


# --------------------------------------------------------------------------- scanning
def _candidate_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise DicomReadError(path, "no such file or folder")
    return files


@contextmanager
def _named_warnings(path: Path) -> Iterator[None]:
    """Re-issue pydicom's warnings about a file as DicomReadWarning naming the file."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for item in caught:
        if issubclass(item.category, DicomReadWarning):  # already names its file
            warnings.warn(item.message, item.category, stacklevel=4)
        else:
            warnings.warn(f"{path}: {item.message}", DicomReadWarning, stacklevel=4)


def _scan(paths: Iterable[Path]) -> dict[str, list[tuple[Path, Any]]]:
    """Headers of every DICOM file under ``paths``, grouped by Series Instance UID."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    groups: dict[str, list[tuple[Path, Any]]] = {}
    for path in _candidate_files(paths):
        try:
            with _named_warnings(path):
                header = pydicom.dcmread(path, stop_before_pixels=True)
                # pydicom converts values lazily: convert the top level now, so that its
                # warnings and errors about this file are reported here, naming it.
                for _ in (*header.file_meta, *header):
                    pass
        except InvalidDicomError:
            warnings.warn(f"{path}: not a DICOM file, skipped", DicomReadWarning, stacklevel=3)
            continue
        except Exception as exc:  # truncated or corrupt file: name it and go on
            warnings.warn(
                f"{path}: unreadable DICOM file skipped ({type(exc).__name__}: {exc})",
                DicomReadWarning,
                stacklevel=3,
            )
            continue
        sop_class = str(getattr(header.file_meta, "MediaStorageSOPClassUID", ""))
        if sop_class == _MEDIA_STORAGE_DIRECTORY:
            continue
        uid = str(header.get("SeriesInstanceUID", "") or "")
        if not uid:
            warnings.warn(
                f"{path}: no SeriesInstanceUID (0020,000E), skipped", DicomReadWarning, stacklevel=3
            )
            continue
        groups.setdefault(uid, []).append((path, header))
    return groups


def _series_info(uid: str, members: Sequence[tuple[Path, Any]]) -> SeriesInfo:
    first = members[0][1]
    number = first.get("SeriesNumber")
    return SeriesInfo(
        series_uid=uid,
        modality=str(first.get("Modality", "") or ""),
        description=str(first.get("SeriesDescription", "") or ""),
        files=tuple(path for path, _ in members),
        study_uid=str(first.get("StudyInstanceUID", "") or ""),
        patient_id=str(first.get("PatientID", "") or ""),
        series_number=int(number) if number not in (None, "") else None,
    )


def find_series(path: str | Path | Sequence[str | Path]) -> list[SeriesInfo]:
    """All DICOM series in a folder (searched recursively), a file or a list of them.

    Files that are not DICOM or cannot be read are skipped with a
    :class:`~theranostix.errors.DicomReadWarning` that names them.

    Parameters
    ----------
    path : str, Path or sequence of them
        Folder(s) or file(s).

    Returns
    -------
    list of SeriesInfo
        Sorted by modality, series number and description.
    """
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    groups = _scan(paths)
    infos = [_series_info(uid, members) for uid, members in groups.items()]
    return sorted(infos, key=lambda s: (s.modality, s.series_number or 0, s.description))


# --------------------------------------------------------------------------- helpers
def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _floats(header: Any, keyword: str, count: int, path: Path) -> npt.NDArray[np.float64]:
    value = header.get(keyword)
    if value is None or value == "":
        raise MissingTagError(keyword, tag_string(keyword), "absent", source=path)
    try:
        arr = np.asarray([float(v) for v in value], dtype=float)
    except (TypeError, ValueError):
        raise DicomReadError(
            path, f"{keyword} {tag_string(keyword)} = {value!r} is not numeric"
        ) from None
    if arr.shape != (count,) or not np.all(np.isfinite(arr)):
        raise DicomReadError(
            path, f"{keyword} {tag_string(keyword)} must hold {count} numbers, found {value!r}"
        )
    return arr


def _private(header: Any, group: int, element: int, creator_hint: str) -> Any:
    """A private element by tag, unless its private creator names another vendor."""
    elem = header.get((group, element))
    if elem is None:
        return None
    creator = header.get((group, 0x0010))
    if creator is not None and creator_hint.lower() not in str(creator.value).lower():
        return None
    return elem.value


def _direction(
    row: npt.NDArray[np.float64], col: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    normal = np.cross(row, col)
    return np.column_stack([row, col, normal])


# --------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class _Frame:
    """One 2-D image plane: where it is and how to scale its stored values."""

    path: Path
    header: Any
    frame_index: int | None  # index into a multi-frame object, None for single-frame files
    position: npt.NDArray[np.float64]
    slope: float
    intercept: float


def _order_frames(
    frames: list[_Frame], direction: npt.NDArray[np.float64]
) -> tuple[list[_Frame], float]:
    """Frames sorted along the normal, and the slice spacing; errors on gaps and duplicates."""
    normal = direction[:, 2]
    distance = np.array([float(f.position @ normal) for f in frames])
    order = np.argsort(distance, kind="stable")
    frames = [frames[i] for i in order]
    distance = distance[order]
    if len(frames) == 1:
        return frames, 0.0
    steps = np.diff(distance)
    for idx in np.flatnonzero(steps < 1e-3):
        a, b = frames[idx], frames[idx + 1]
        raise DicomReadError(
            a.path.parent,
            f"two images at the same position {distance[idx]:.3f} mm along the normal "
            f"({_frame_name(a)} and {_frame_name(b)}): a dynamic, gated or duplicated series; "
            "select one frame or remove the duplicate",
        )
    spacing = float(np.median(steps))
    uneven = np.flatnonzero(np.abs(steps - spacing) > max(1e-3, 0.01 * spacing))
    if uneven.size:
        first_bad = int(uneven[0])
        a, b = frames[first_bad], frames[first_bad + 1]
        ratio = steps[first_bad] / spacing
        kind = (
            f"a gap of {round(ratio) - 1} missing slice(s)"
            if abs(ratio - round(ratio)) < 0.05 and round(ratio) >= 2
            else "uneven slice spacing"
        )
        raise DicomReadError(
            a.path.parent,
            f"{kind}: {steps[first_bad]:.3f} mm between {_frame_name(a)} and {_frame_name(b)} "
            f"where the series spacing is {spacing:.3f} mm ({uneven.size} irregular step(s))",
        )
    # Slices must lie on one line along the normal: a sheared stack (gantry tilt) is refused.
    offsets = np.array([f.position for f in frames]) - frames[0].position
    in_plane = offsets - np.outer(offsets @ normal, normal)
    if np.max(np.linalg.norm(in_plane, axis=1)) > max(1e-2, 0.01 * spacing):
        raise DicomReadError(
            frames[0].path.parent,
            "slice positions are not along the slice normal (gantry tilt or sheared stack); "
            "resample the series before reading it",
        )
    return frames, spacing


def _frame_name(frame: _Frame) -> str:
    return (
        frame.path.name
        if frame.frame_index is None
        else f"{frame.path.name} frame {frame.frame_index + 1}"
    )


def _single_frame_planes(
    members: Sequence[tuple[Path, Any]],
) -> tuple[list[_Frame], npt.NDArray[np.float64], tuple[float, float], tuple[int, int]]:
    frames: list[_Frame] = []
    ref_dir: npt.NDArray[np.float64] | None = None
    ref_spacing: npt.NDArray[np.float64] | None = None
    ref_shape: tuple[int, int] | None = None
    ref_path: Path | None = None
    for path, header in members:
        orientation = _floats(header, "ImageOrientationPatient", 6, path)
        position = _floats(header, "ImagePositionPatient", 3, path)
        spacing = _floats(header, "PixelSpacing", 2, path)
        rows, cols = header.get("Rows"), header.get("Columns")
        if not rows or not cols:
            raise MissingTagError("Rows", tag_string("Rows"), "absent (no image size)", source=path)
        direction = _direction(orientation[:3], orientation[3:])
        shape = (int(rows), int(cols))
        if ref_dir is None:
            ref_dir, ref_spacing, ref_shape, ref_path = direction, spacing, shape, path
        else:
            if not np.allclose(direction, ref_dir, atol=1e-4):
                raise DicomReadError(
                    path.parent,
                    "images with different orientations in one series "
                    f"({ref_path.name if ref_path else ''} "
                    f"and {path.name})",
                )
            if shape != ref_shape or not np.allclose(spacing, ref_spacing, atol=1e-4):  # type: ignore[arg-type]
                raise DicomReadError(
                    path.parent,
                    f"images of different size or pixel spacing in one series "
                    f"({ref_path.name if ref_path else ''}: {ref_shape}, {ref_spacing}; "
                    f"{path.name}: {shape}, {spacing.tolist()})",
                )
        slope = _float(header.get("RescaleSlope"))
        intercept = _float(header.get("RescaleIntercept"))
        frames.append(
            _Frame(path, header, None, position, 1.0 if slope is None else slope, intercept or 0.0)
        )
    if ref_dir is None or ref_spacing is None or ref_shape is None:
        raise DicomReadError("series", "no image files")
    # PixelSpacing is (row spacing, column spacing): between rows (along j), columns (along i).
    return frames, ref_dir, (float(ref_spacing[1]), float(ref_spacing[0])), ref_shape


def _functional(header: Any, index: int, sequence: str, item: str) -> Any:
    """An item of a functional group, per-frame first, then shared (PS3.3 C.7.6.16)."""
    for groups, idx in (
        ("PerFrameFunctionalGroupsSequence", index),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        seq = header.get(groups)
        if seq is None or len(seq) <= idx:
            continue
        group = seq[idx]
        if sequence in group and len(group[sequence].value):
            inner = group[sequence].value[0]
            if item in inner:
                return inner.get(item)
    return None


def _multi_frame_planes(
    path: Path, header: Any
) -> tuple[list[_Frame], npt.NDArray[np.float64], tuple[float, float], tuple[int, int]]:
    n_frames = int(header.get("NumberOfFrames", 1) or 1)
    rows, cols = int(header.get("Rows") or 0), int(header.get("Columns") or 0)
    if not rows or not cols:
        raise MissingTagError("Rows", tag_string("Rows"), "absent (no image size)", source=path)
    frames: list[_Frame] = []
    if "PerFrameFunctionalGroupsSequence" in header or "SharedFunctionalGroupsSequence" in header:
        orientation = _functional(header, 0, "PlaneOrientationSequence", "ImageOrientationPatient")
        spacing = _functional(header, 0, "PixelMeasuresSequence", "PixelSpacing")
        if orientation is None or spacing is None:
            raise MissingTagError(
                "PlaneOrientationSequence",
                tag_string("PlaneOrientationSequence"),
                "enhanced image without plane orientation or pixel measures",
                source=path,
            )
        row_col = np.asarray([float(v) for v in orientation], dtype=float)
        direction = _direction(row_col[:3], row_col[3:])
        for index in range(n_frames):
            position = _functional(header, index, "PlanePositionSequence", "ImagePositionPatient")
            if position is None:
                raise MissingTagError(
                    "PlanePositionSequence",
                    tag_string("PlanePositionSequence"),
                    f"frame {index + 1} has no position",
                    source=path,
                )
            transform = "PixelValueTransformationSequence"
            slope = _float(_functional(header, index, transform, "RescaleSlope"))
            intercept = _float(_functional(header, index, transform, "RescaleIntercept"))
            if slope is None:
                slope = _float(header.get("RescaleSlope"))
                intercept = _float(header.get("RescaleIntercept"))
            frames.append(
                _Frame(
                    path,
                    header,
                    index,
                    np.asarray([float(v) for v in position]),
                    1.0 if slope is None else slope,
                    intercept or 0.0,
                )
            )
        pixel = (float(spacing[1]), float(spacing[0]))
        return frames, direction, pixel, (rows, cols)
    # NM multi-frame (tomographic reconstruction): geometry in the Detector Information Sequence.
    detector = header.get("DetectorInformationSequence")
    item = detector[0] if detector else header
    orientation = _floats(item, "ImageOrientationPatient", 6, path)
    origin = _floats(item, "ImagePositionPatient", 3, path)
    pixel_spacing = _floats(header, "PixelSpacing", 2, path)
    step = _float(header.get("SpacingBetweenSlices")) or _float(header.get("SliceThickness"))
    if step is None:
        raise MissingTagError(
            "SpacingBetweenSlices",
            tag_string("SpacingBetweenSlices"),
            f"absent in a {n_frames}-frame object (and no SliceThickness)",
            source=path,
        )
    direction = _direction(orientation[:3], orientation[3:])
    slope = _float(header.get("RescaleSlope"))
    intercept = _float(header.get("RescaleIntercept"))
    for index in range(n_frames):
        position = origin + index * step * direction[:, 2]
        frames.append(
            _Frame(path, header, index, position, 1.0 if slope is None else slope, intercept or 0.0)
        )
    return frames, direction, (float(pixel_spacing[1]), float(pixel_spacing[0])), (rows, cols)


def _pixels(frames: Sequence[_Frame], shape: tuple[int, int]) -> npt.NDArray[np.float32]:
    """Stored values times their per-plane slope plus intercept, as float32 ``[k, j, i]``."""
    import pydicom

    out = np.empty((len(frames), *shape), dtype=np.float32)
    cache: dict[Path, npt.NDArray[Any]] = {}
    for k, frame in enumerate(frames):
        if frame.frame_index is None:
            data = _read_pixels(pydicom, frame.path)
        else:
            if frame.path not in cache:
                cache[frame.path] = _read_pixels(pydicom, frame.path)
            data = cache[frame.path]
            if data.ndim == 2:
                data = data[None]
            data = data[frame.frame_index]
        if data.shape != shape:
            raise DicomReadError(frame.path, f"pixel data of shape {data.shape}, expected {shape}")
        np.multiply(data, frame.slope, out=out[k], casting="unsafe")
        if frame.intercept:
            out[k] += np.float32(frame.intercept)
    return out


def _read_pixels(pydicom: Any, path: Path) -> npt.NDArray[Any]:
    """Decoded pixel data of one file; errors name the file.

    ``pydicom.pixels.pixel_array`` reads only the pixel-description elements and
    the pixel data from the file, which is faster than parsing the whole dataset.
    """
    from pydicom.pixels.utils import pixel_array

    try:
        with _named_warnings(path):
            return np.asarray(pixel_array(path))
    except Exception as first:
        try:
            dataset = pydicom.dcmread(path)
        except Exception as exc:
            raise DicomReadError(path, f"cannot be read ({type(exc).__name__}: {exc})") from None
        if "PixelData" not in dataset and "FloatPixelData" not in dataset:
            raise DicomReadError(path, "no Pixel Data (7FE0,0010)") from None
        raise DicomReadError(
            path, f"pixel data cannot be decoded ({type(first).__name__}: {first})"
        ) from None


# --------------------------------------------------------------------------- metadata
def _sex(value: Any) -> Sex | None:
    text = str(value or "").strip().upper()
    return {"M": Sex.MALE, "F": Sex.FEMALE, "O": Sex.OTHER}.get(text)


def _nuclide_from_code(item: Any) -> str | None:
    seq = item.get("RadionuclideCodeSequence") if item is not None else None
    if not seq:
        return None
    code = seq[0]
    value = str(code.get("CodeValue", "") or "").strip()
    if value in _RADIONUCLIDE_CODES:
        return _RADIONUCLIDE_CODES[value]
    meaning = str(code.get("CodeMeaning", "") or "")
    # Code meanings read like "^18^Fluorine"; take the mass number and look the element up.
    import re

    match = re.match(r"^\^?(\d{1,3})\^?\s*([A-Za-z]+)", meaning.strip())
    if match:
        mass, element = match.groups()
        symbol = _ELEMENT_SYMBOLS.get(element.lower())
        if symbol:
            return f"{symbol}-{int(mass)}"
    return None


_ELEMENT_SYMBOLS = {
    "fluorine": "F",
    "gallium": "Ga",
    "carbon": "C",
    "nitrogen": "N",
    "oxygen": "O",
    "rubidium": "Rb",
    "copper": "Cu",
    "zirconium": "Zr",
    "scandium": "Sc",
    "iodine": "I",
    "technetium": "Tc",
    "lutetium": "Lu",
    "indium": "In",
    "yttrium": "Y",
    "terbium": "Tb",
    "actinium": "Ac",
    "astatine": "At",
    "lead": "Pb",
    "bismuth": "Bi",
    "radium": "Ra",
}


def _nuclide_from_half_life(half_life_s: float | None) -> str | None:
    if half_life_s is None:
        return None
    for name, nominal in _NOMINAL_HALF_LIVES_S.items():
        if abs(half_life_s - nominal) <= 0.005 * nominal:
            return name
    return None


def _acquisition_datetime(header: Any, tz: tzinfo, path: Path) -> datetime | None:
    dt = parse_dt(header.get("AcquisitionDateTime"), "AcquisitionDateTime", tz, path)
    if dt is not None:
        return dt
    day = (
        parse_da(header.get("AcquisitionDate"), "AcquisitionDate", path)
        or parse_da(header.get("SeriesDate"), "SeriesDate", path)
        or parse_da(header.get("StudyDate"), "StudyDate", path)
    )
    return combine(day, parse_tm(header.get("AcquisitionTime"), "AcquisitionTime", path), tz)


def _frame_acquisition(
    frame: _Frame, tz: tzinfo
) -> tuple[datetime | None, float | None, float | None]:
    """Acquisition start, duration (s) and frame reference time (s) of one plane."""
    header = frame.header
    if frame.frame_index is not None and "PerFrameFunctionalGroupsSequence" in header:
        content = header.PerFrameFunctionalGroupsSequence[frame.frame_index].get(
            "FrameContentSequence"
        )
        if content:
            item = content[0]
            start = parse_dt(
                item.get("FrameAcquisitionDateTime"), "FrameAcquisitionDateTime", tz, frame.path
            )
            duration_ms = _float(item.get("FrameAcquisitionDuration"))
            reference = parse_dt(
                item.get("FrameReferenceDateTime"), "FrameReferenceDateTime", tz, frame.path
            )
            ref_s = (reference - start).total_seconds() if reference and start else None
            return start, None if duration_ms is None else duration_ms / 1000.0, ref_s
    duration_ms = _float(header.get("ActualFrameDuration"))
    reference_ms = _float(header.get("FrameReferenceTime"))
    return (
        _acquisition_datetime(header, tz, frame.path),
        None if duration_ms is None else duration_ms / 1000.0,
        None if reference_ms is None else reference_ms / 1000.0,
    )


def _average_count_rate_offset_s(half_life_s: float, duration_s: float) -> float:
    """Time after frame start at which the activity equals its frame average.

    For exponential decay with constant lambda over a frame of duration T,
    ``T_ave = ln(lambda T / (1 - exp(-lambda T))) / lambda`` (Vácha et al., SUV
    computation manual for the SUV DROs, 2025, "Decay correction = START",
    following the QIBA FDG-PET profile).
    """
    lam = np.log(2.0) / half_life_s
    x = lam * duration_s
    if x < 1e-9:
        return duration_s / 2.0
    return float(np.log(x / -np.expm1(-x)) / lam)


def _pet_reference_time(
    attrs: PetAttributes,
) -> tuple[datetime | None, str]:
    """The time a START decay correction refers to, and how it was found.

    Priority (Vácha et al. SUV manual; QIBA): GE private PET scan datetime
    (0009,100D); Series Date/Time when not after the earliest acquisition;
    otherwise back-computed from acquisition time, frame duration and frame
    reference time, ``t_ref = t_acq + T_ave - Δt``, which must agree between
    frames.
    """
    acquisitions = [t for t in attrs.acquisition_datetimes if t is not None]
    earliest = min(acquisitions) if acquisitions else None
    if attrs.ge_decay_datetime is not None:
        return attrs.ge_decay_datetime, "GE private PET scan datetime (0009,100D)"
    if attrs.decay_correction_datetime is not None:
        return attrs.decay_correction_datetime, "DecayCorrectionDateTime (0018,9701)"
    if attrs.series_datetime is not None and (
        earliest is None or attrs.series_datetime <= earliest
    ):
        return attrs.series_datetime, "SeriesDate/SeriesTime (0008,0021/0031)"
    if attrs.half_life_s is not None:
        candidates: list[datetime] = []
        for start, duration, reference in zip(
            attrs.acquisition_datetimes,
            attrs.frame_durations_s,
            attrs.frame_reference_times_s,
            strict=True,
        ):
            if start is None or duration is None or reference is None:
                candidates = []
                break
            offset = _average_count_rate_offset_s(attrs.half_life_s, duration) - reference
            candidates.append(start + timedelta(seconds=offset))
        if candidates:
            lo, hi = min(candidates), max(candidates)
            if (hi - lo).total_seconds() <= 2.0:
                return lo + (hi - lo) / 2, (
                    "back-computed from AcquisitionTime (0008,0032), ActualFrameDuration "
                    "(0018,1242) and FrameReferenceTime (0054,1300)"
                )
    return None, "none"


def _pet_attributes(
    frames: Sequence[_Frame], geometry: Geometry, tz_default: tzinfo | None, source: Path
) -> PetAttributes:
    first = frames[0].header
    tz, assumed = dataset_timezone(first, tz_default)
    rp_seq = first.get("RadiopharmaceuticalInformationSequence")
    rp = rp_seq[0] if rp_seq else None

    def rp_get(keyword: str) -> Any:
        return rp.get(keyword) if rp is not None else None

    per_frame = [_frame_acquisition(f, tz) for f in frames]
    acquisitions = tuple(p[0] for p in per_frame)
    known = [t for t in acquisitions if t is not None]
    earliest = min(known) if known else None

    series_day = parse_da(first.get("SeriesDate"), "SeriesDate", source)
    series_dt = combine(series_day, parse_tm(first.get("SeriesTime"), "SeriesTime", source), tz)
    study_day = parse_da(first.get("StudyDate"), "StudyDate", source)

    injection = parse_dt(
        rp_get("RadiopharmaceuticalStartDateTime"), "RadiopharmaceuticalStartDateTime", tz, source
    )
    time_only = False
    shifted = False
    if injection is None:
        moment = parse_tm(
            rp_get("RadiopharmaceuticalStartTime"), "RadiopharmaceuticalStartTime", source
        )
        day = series_day or study_day or (earliest.date() if earliest else None)
        injection = combine(day, moment, tz)
        time_only = injection is not None
        reference = earliest or series_dt
        # A time without a date that falls after the scan was given the day before
        # (injection before midnight, scan after it).
        if injection is not None and reference is not None and injection > reference:
            injection -= timedelta(days=1)
            shifted = True

    ge = _private(first, 0x0009, 0x100D, "GEMS")
    ge_dt = parse_dt(ge, "GEPETScanDateTime", tz, source) if ge else None
    dc_dt = parse_dt(first.get("DecayCorrectionDateTime"), "DecayCorrectionDateTime", tz, source)

    return PetAttributes(
        source=str(source),
        units=_units_code(first),
        suv_type=str(first.get("SUVType", "") or "").strip().upper() or None,
        decay_correction=str(first.get("DecayCorrection", "") or "").strip().upper() or None,
        weight_raw=_float(first.get("PatientWeight")),
        height_raw=_float(first.get("PatientSize")),
        sex_raw=str(first.get("PatientSex", "") or "").strip().upper() or None,
        dose_raw=_float(rp_get("RadionuclideTotalDose")),
        half_life_s=_float(rp_get("RadionuclideHalfLife")),
        nuclide_from_code=_nuclide_from_code(rp),
        injection_datetime=injection,
        injection_time_only=time_only,
        injection_shifted_back_one_day=shifted,
        series_datetime=series_dt,
        ge_decay_datetime=ge_dt,
        decay_correction_datetime=dc_dt,
        acquisition_datetimes=acquisitions,
        frame_durations_s=tuple(p[1] for p in per_frame),
        frame_reference_times_s=tuple(p[2] for p in per_frame),
        rescale_intercepts=tuple(f.intercept for f in frames),
        philips_suv_scale=_float(_private(first, 0x7053, 0x1000, "Philips")),
        philips_activity_scale=_float(_private(first, 0x7053, 0x1009, "Philips")),
        corrected_image=tuple(str(v).upper() for v in (first.get("CorrectedImage") or [])),
        dose_calibration_factor=_float(first.get("DoseCalibrationFactor")),
        voxel_volume_ml=geometry.voxel_volume_ml,
        timezone_assumed=assumed,
    )


def _units_code(header: Any) -> str | None:
    units = str(header.get("Units", "") or "").strip().upper()
    if units:
        return units
    for seq_name in ("RealWorldValueMappingSequence",):
        seq = header.get(seq_name)
        if seq and "MeasurementUnitsCodeSequence" in seq[0]:
            code = str(seq[0].MeasurementUnitsCodeSequence[0].get("CodeValue", "")).strip().lower()
            if code in _UCUM_UNITS:
                return _UCUM_UNITS[code]
    return None


def _interpreted(attrs: PetAttributes) -> tuple[PatientInfo, Radiopharmaceutical, list[str]]:
    """Typed patient and radiopharmaceutical values, with the reinterpretations made."""
    from theranostix.imaging._suv import interpret_dose_bq, interpret_height_m, interpret_weight_kg

    notes: list[str] = []
    weight = interpret_weight_kg(attrs.weight_raw, attrs.source, notes, strict=False)
    height = interpret_height_m(attrs.height_raw, attrs.source, notes, strict=False)
    dose = interpret_dose_bq(attrs.dose_raw, attrs.source, notes, strict=False)
    nuclide_name = attrs.nuclide_from_code or _nuclide_from_half_life(attrs.half_life_s)
    nuclide = None
    if nuclide_name is not None:
        from theranostix.nuclides import Nuclide

        nuclide = Nuclide(nuclide_name)
    if attrs.injection_shifted_back_one_day:
        notes.append(
            "RadiopharmaceuticalStartTime (0018,1072) without a date fell after the scan; "
            "taken as the day before (injection before midnight)"
        )
    patient = PatientInfo(weight_kg=weight, height_m=height, sex=_sex(attrs.sex_raw))
    rp = Radiopharmaceutical(
        nuclide=nuclide,
        half_life_s=attrs.half_life_s,
        injected_activity_bq=dose,
        injection_time=attrs.injection_datetime,
    )
    return patient, rp, notes


# --------------------------------------------------------------------------- reading
def _select(
    groups: dict[str, list[tuple[Path, Any]]],
    where: Sequence[Path],
    series_uid: str | None,
    modality: str | None,
) -> tuple[str, list[tuple[Path, Any]]]:
    infos = [_series_info(uid, members) for uid, members in groups.items()]
    place = where[0] if len(where) == 1 else where
    candidates = [s for s in infos if s.is_image]
    if series_uid is not None:
        candidates = [s for s in infos if s.series_uid == series_uid]
        if not candidates:
            raise DicomReadError(place, f"no series with SeriesInstanceUID {series_uid}")
    if modality is not None:
        candidates = [s for s in candidates if s.modality == modality.upper()]
    if not candidates:
        found = "; ".join(s.summary() for s in infos) or "no DICOM files"
        wanted = f"{modality} image series" if modality else "image series"
        raise DicomReadError(place, f"no {wanted} (found: {found})")
    if len(candidates) > 1:
        listing = "; ".join(s.summary() for s in candidates)
        raise DicomReadError(
            place, f"{len(candidates)} image series, choose one by SeriesInstanceUID: {listing}"
        )
    uid = candidates[0].series_uid
    return uid, groups[uid]


def read_dicom_series(
    path: str | Path | Sequence[str | Path],
    *,
    series_uid: str | None = None,
    modality: str | None = None,
    tz: str | tzinfo | None = None,
) -> Volume:
    """Read one DICOM image series into a :class:`Volume`.

    Parameters
    ----------
    path : str, Path or sequence of them
        A folder (searched recursively; it may hold several series and other
        files), one multi-frame file, or a list of files.
    series_uid : str, optional
        Series Instance UID to read when there are several series.
    modality : str, optional
        Keep only series of this modality (``"PT"``, ``"CT"``, ``"NM"``).
    tz : str or tzinfo, optional
        Time zone of DICOM times stored without an offset, when Timezone
        Offset From UTC (0008,0201) is absent; UTC by default (recorded as
        ``metadata["timezone_assumed"]``).

    Returns
    -------
    Volume
        Values are stored values times Rescale Slope plus Rescale Intercept,
        per slice (float32). For PET and NM, ``metadata["pet"]`` holds the
        :class:`PetAttributes` that :func:`theranostix.imaging.to_suv` needs.

    Raises
    ------
    DicomReadError
        No or several image series, missing slices, uneven spacing, mixed
        orientations, undecodable pixel data; the message names the files.
    MissingTagError
        Geometry attributes (Image Position/Orientation, Pixel Spacing) absent.

    Notes
    -----
    Unreadable and non-DICOM files in the folder are skipped with a
    :class:`~theranostix.errors.DicomReadWarning` that names each of them.
    """
    from theranostix.units import get_timezone

    where = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    tz_default = get_timezone(tz) if isinstance(tz, str) else tz
    groups = _scan(where)
    uid, members = _select(groups, where, series_uid, modality)
    source = where[0] if len(where) == 1 else where[0].parent
    with _named_warnings(source):
        return _read_members(uid, members, source, tz_default)


def _read_members(
    uid: str, members: Sequence[tuple[Path, Any]], source: Path, tz_default: tzinfo | None
) -> Volume:
    """The volume of one series, from its scanned members."""
    multi = [(p, h) for p, h in members if int(h.get("NumberOfFrames", 1) or 1) > 1]
    if multi:
        if len(members) > 1:
            raise DicomReadError(
                source, f"series {uid} mixes {len(multi)} multi-frame file(s) with other files"
            )
        frames, direction, pixel_spacing, plane = _multi_frame_planes(*multi[0])
    else:
        frames, direction, pixel_spacing, plane = _single_frame_planes(members)
    frames, step = _order_frames(frames, direction)
    if step == 0.0:
        header = frames[0].header
        step = (
            _float(header.get("SpacingBetweenSlices"))
            or _float(header.get("SliceThickness"))
            or 1.0
        )
    geometry = Geometry(
        (len(frames), *plane),
        origin_mm=tuple(frames[0].position),
        spacing_mm=(pixel_spacing[0], pixel_spacing[1], step),
        direction=tuple(direction.reshape(-1)),
    )
    array = _pixels(frames, plane)

    first = frames[0].header
    modality_code = str(first.get("Modality", "") or "OT").upper()
    try:
        image_modality = Modality(modality_code)
    except ValueError:
        image_modality = Modality.OT
    metadata: dict[str, Any] = {
        "source": str(source),
        "series_uid": uid,
        "study_uid": str(first.get("StudyInstanceUID", "") or ""),
        "frame_of_reference_uid": str(first.get("FrameOfReferenceUID", "") or ""),
        "series_description": str(first.get("SeriesDescription", "") or ""),
        "manufacturer": str(first.get("Manufacturer", "") or ""),
        "sop_instance_uids": tuple(str(f.header.get("SOPInstanceUID", "")) for f in frames),
        "files": tuple(str(f.path) for f in frames),
        "notes": [],
    }
    unit = ImageUnit.HU if image_modality is Modality.CT else ImageUnit.UNKNOWN
    patient = PatientInfo(patient_id=str(first.get("PatientID", "") or "") or None)
    rp = Radiopharmaceutical()
    timing = Timing()
    if image_modality in (Modality.PT, Modality.NM):
        attrs = _pet_attributes(frames, geometry, tz_default, source)
        units = attrs.units
        unit = _UNITS.get(
            units or "",
            ImageUnit.COUNTS
            if image_modality is Modality.NM and units is None
            else ImageUnit.UNKNOWN,
        )
        patient, rp, notes = _interpreted(attrs)
        patient = PatientInfo(
            patient.weight_kg,
            patient.height_m,
            patient.sex,
            str(first.get("PatientID", "") or "") or None,
        )
        name = rp_seq_name(first)
        rp = Radiopharmaceutical(
            rp.nuclide, rp.half_life_s, rp.injected_activity_bq, rp.injection_time, name
        )
        try:
            correction: DecayCorrection | None = (
                DecayCorrection(attrs.decay_correction) if attrs.decay_correction else None
            )
        except ValueError:
            correction = None
        reference: datetime | None = None
        method = "none"
        if correction is DecayCorrection.START:
            reference, method = _pet_reference_time(attrs)
        elif correction is DecayCorrection.ADMIN:
            reference, method = attrs.injection_datetime, "administration time"
        known = [t for t in attrs.acquisition_datetimes if t is not None]
        timing = Timing(
            acquisition_start=min(known) if known else None,
            frame_duration_s=attrs.frame_durations_s[0],
            decay_correction=correction,
            decay_reference_time=reference,
            slice_acquisition_times=tuple(t for t in attrs.acquisition_datetimes if t is not None)
            if len(known) == len(frames)
            else (),
            slice_frame_durations_s=tuple(d for d in attrs.frame_durations_s if d is not None)
            if all(d is not None for d in attrs.frame_durations_s)
            else (),
        )
        metadata["pet"] = attrs
        metadata["decay_reference_method"] = method
        metadata["timezone_assumed"] = attrs.timezone_assumed
        metadata["notes"].extend(notes)
        if attrs.timezone_assumed:
            zone = "UTC" if tz_default is None else str(tz_default)
            metadata["notes"].append(
                f"times without TimezoneOffsetFromUTC (0008,0201) read in {zone}"
            )
    return Volume(array, geometry, unit, image_modality, patient, rp, timing, metadata)


def rp_seq_name(header: Any) -> str | None:
    """Radiopharmaceutical (0018,0031) of the first Radiopharmaceutical Information item."""
    seq = header.get("RadiopharmaceuticalInformationSequence")
    if not seq:
        return None
    return str(seq[0].get("Radiopharmaceutical", "") or "") or None


def read_image(
    path: str | Path,
    *,
    series_uid: str | None = None,
    modality: str | None = None,
    tz: str | tzinfo | None = None,
) -> Volume:
    """Read an image from a DICOM folder or file, NIfTI (``.nii``, ``.nii.gz``) or NRRD.

    Parameters
    ----------
    path : str or Path
        DICOM folder or file, or a NIfTI / NRRD file.
    series_uid, modality, tz
        Passed to :func:`read_dicom_series` for DICOM input.
    """
    p = Path(path)
    name = p.name.lower()
    if p.is_file() and name.endswith((".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")):
        from theranostix.imaging._sitk import read_itk_image

        return read_itk_image(p)
    return read_dicom_series(p, series_uid=series_uid, modality=modality, tz=tz)

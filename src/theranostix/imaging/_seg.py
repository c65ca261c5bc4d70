"""DICOM Segmentation (SEG) reading: binary, fractional and label-map segments.

A Segmentation image stores each segment as frames (DICOM PS3.3 A.51
Segmentation IOD, C.8.20 Segmentation Image Module); each frame carries its
position in the Plane Position (Patient) functional group (PS3.3 C.7.6.16.2.3)
and, for BINARY and FRACTIONAL segmentations, the segment it belongs to in the
Segment Identification functional group (C.8.20.3.1). Empty frames are usually
omitted, so frames are placed one by one by their Image Position (Patient) and
never assumed to be contiguous.

FRACTIONAL values are divided by Maximum Fractional Value (0062,000E) and a
voxel is inside when its fraction is at least 0.5, the partial-volume
threshold of IBSI [1]_. The file is parsed with highdicom [2]_.

References
----------
.. [1] Zwanenburg A et al. The Image Biomarker Standardization Initiative.
   Radiology 2020;295:328-338. doi:10.1148/radiol.2020191145
.. [2] Herrmann MD et al. Implementing the DICOM standard for digital pathology.
   J Pathol Inform 2018;9:37. doi:10.4103/jpi.jpi_42_18 (highdicom).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import highdicom as hd
import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging._resample import resample_mask, resample_volume
from theranostix.imaging._volume import Geometry, Mask, Volume

__all__ = ["read_seg"]

SEG_SOP_CLASS_UIDS = ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7")
_POSITION_TOLERANCE_MM = 0.01
_DIRECTION_TOLERANCE = 1e-4


@dataclass(frozen=True)
class _Frame:
    """One frame: its segment, values and plane (LPS mm)."""

    segment: int | None  # None for LABELMAP frames (values are segment numbers)
    values: npt.NDArray[Any]
    position: npt.NDArray[np.float64]
    row_dir: npt.NDArray[np.float64]  # direction of increasing column index i
    col_dir: npt.NDArray[np.float64]  # direction of increasing row index j
    spacing_ij: tuple[float, float]  # (between columns, between rows)


def _functional_group(ds: Dataset, index: int, keyword: str) -> Dataset | None:
    """The first item of a functional group macro for a frame (per-frame, else shared)."""
    for container in ("PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence"):
        groups = ds.get(container)
        if not groups:
            continue
        group = groups[index] if container.startswith("PerFrame") else groups[0]
        items = group.get(keyword)
        if items:
            return items[0]  # type: ignore[no-any-return]
    return None


def _read(path: Path) -> hd.seg.Segmentation:
    if not path.is_file():
        raise DicomReadError(path, "no such file")
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise DicomReadError(path, f"not a readable DICOM file ({exc})") from exc
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class not in SEG_SOP_CLASS_UIDS:
        raise DicomReadError(
            path,
            f"is not a DICOM Segmentation: SOP Class UID (0008,0016) is {sop_class!r} and "
            f"Modality (0008,0060) is {str(ds.get('Modality', ''))!r}, expected one of "
            f"{', '.join(SEG_SOP_CLASS_UIDS)} / 'SEG'",
        )
    try:
        return hd.seg.Segmentation.from_dataset(ds, copy=False)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise DicomReadError(path, f"invalid DICOM Segmentation ({exc})") from exc


def _segments(seg: hd.seg.Segmentation) -> dict[int, str]:
    """Segment Number -> Segment Label (0062,0005), in file order."""
    return {
        int(item.SegmentNumber): str(item.get("SegmentLabel", ""))
        for item in seg.get("SegmentSequence", [])
    }


def _select(segments: dict[int, str], segment: str | int, path: Path) -> int:
    """The segment number chosen by label (exact, else case-insensitive) or by number."""
    if isinstance(segment, int):
        if segment in segments:
            return segment
    else:
        wanted = segment.strip().casefold()
        exact = [number for number, label in segments.items() if label == segment]
        loose = [n for n, label in segments.items() if label.strip().casefold() == wanted]
        found = exact or loose
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ThxError(f"{path}: several segments are labelled {segment!r} (numbers {found})")
    listed = ", ".join(f"{number}: {label!r}" for number, label in segments.items())
    raise ThxError(f"{path}: no segment {segment!r}; segments available: {listed}")


def _frames(seg: hd.seg.Segmentation, path: Path) -> list[_Frame]:
    """Decode every frame with its plane and segment number."""
    try:
        pixels = np.asarray(seg.pixel_array)
    except (AttributeError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise DicomReadError(path, f"pixel data cannot be decoded ({exc})") from exc
    n_frames = int(seg.get("NumberOfFrames", 1))
    pixels = pixels.reshape(n_frames, int(seg.Rows), int(seg.Columns))
    kind = seg.segmentation_type.value
    scale = 1.0
    if kind == "FRACTIONAL":
        scale = 1.0 / float(seg.get("MaximumFractionalValue", 255))
    frames = []
    for index in range(n_frames):
        position = _functional_group(seg, index, "PlanePositionSequence")
        orientation = _functional_group(seg, index, "PlaneOrientationSequence")
        measures = _functional_group(seg, index, "PixelMeasuresSequence")
        if position is None or orientation is None or measures is None:
            raise DicomReadError(
                path,
                f"frame {index + 1} lacks Plane Position (0020,9113), Plane Orientation "
                "(0020,9116) or Pixel Measures (0028,9110): its position is unknown",
            )
        iop = np.asarray(orientation.ImageOrientationPatient, dtype=float)
        row_spacing, column_spacing = (float(v) for v in measures.PixelSpacing)
        identification = _functional_group(seg, index, "SegmentIdentificationSequence")
        number = None
        if kind != "LABELMAP":
            if identification is None:
                raise DicomReadError(
                    path, f"frame {index + 1} lacks Segment Identification (0062,000A)"
                )
            number = int(identification.ReferencedSegmentNumber)
        values = pixels[index] * scale if kind == "FRACTIONAL" else pixels[index]
        frames.append(
            _Frame(
                segment=number,
                values=values,
                position=np.asarray(position.ImagePositionPatient, dtype=float),
                row_dir=iop[:3],
                col_dir=iop[3:],
                spacing_ij=(column_spacing, row_spacing),
            )
        )
    return frames


def _own_geometry(seg: hd.seg.Segmentation, frames: list[_Frame], path: Path) -> Geometry:
    """The grid of the SEG's own frames (regular stack along the slice normal).

    The slice spacing is Spacing Between Slices (0018,0088) when given, else Slice
    Thickness (0018,0050) when every gap between frame positions is a multiple
    of it, else the smallest gap.
    """
    first = frames[0]
    normal = np.cross(first.row_dir, first.col_dir)
    for frame in frames:
        if (
            not np.allclose(frame.row_dir, first.row_dir, atol=_DIRECTION_TOLERANCE)
            or not np.allclose(frame.col_dir, first.col_dir, atol=_DIRECTION_TOLERANCE)
            or not np.allclose(frame.spacing_ij, first.spacing_ij, atol=1e-6)
        ):
            raise DicomReadError(path, "frames differ in orientation or pixel spacing")
    heights = np.array([float(np.dot(normal, f.position)) for f in frames])
    in_plane = np.array([f.position - np.dot(normal, f.position) * normal for f in frames])
    if np.ptp(in_plane, axis=0).max() > _POSITION_TOLERANCE_MM:
        raise DicomReadError(path, "frames are not stacked along their normal")
    distinct = np.unique(np.round(heights, 4))
    gaps = np.diff(distinct)
    measures = _functional_group(seg, 0, "PixelMeasuresSequence")
    between = float(measures.get("SpacingBetweenSlices", 0) or 0) if measures else 0.0
    thickness = float(measures.get("SliceThickness", 0) or 0) if measures else 0.0
    if between > 0:
        spacing = between
    elif thickness > 0 and np.allclose(
        gaps / thickness, np.rint(gaps / thickness), atol=_POSITION_TOLERANCE_MM / thickness
    ):
        spacing = thickness
    elif gaps.size:
        spacing = float(gaps.min())
    else:
        spacing = 1.0
    lowest = frames[int(np.argmin(heights))].position
    n_slices = round(float(distinct[-1] - distinct[0]) / spacing) + 1
    nj, ni = first.values.shape
    return Geometry(
        shape=(n_slices, nj, ni),
        origin_mm=tuple(lowest),
        spacing_mm=(first.spacing_ij[0], first.spacing_ij[1], spacing),
        direction=tuple(np.column_stack([first.row_dir, first.col_dir, normal]).reshape(-1)),
    )


def _frame_offset(frame: _Frame, geometry: Geometry) -> tuple[int, int, int] | None:
    """Integer ``(i, j, k)`` of the frame's first pixel on ``geometry``, if it is aligned."""
    matrix = geometry.direction_matrix
    if not (
        np.allclose(frame.row_dir, matrix[:, 0], atol=_DIRECTION_TOLERANCE)
        and np.allclose(frame.col_dir, matrix[:, 1], atol=_DIRECTION_TOLERANCE)
        and np.allclose(frame.spacing_ij, geometry.spacing_mm[:2], atol=1e-4)
    ):
        return None
    index = geometry.lps_to_index(frame.position)
    rounded = np.rint(index)
    if np.any(np.abs(index - rounded) * np.asarray(geometry.spacing_mm) > _POSITION_TOLERANCE_MM):
        return None
    return (int(rounded[0]), int(rounded[1]), int(rounded[2]))


def _paste(
    frames: list[tuple[_Frame, npt.NDArray[Any]]], geometry: Geometry
) -> npt.NDArray[Any] | None:
    """Place frames on an aligned grid by index (``None`` when one is not aligned)."""
    nk, nj, ni = geometry.shape
    dtype = np.result_type(*[values.dtype for _, values in frames]) if frames else np.float64
    out = np.zeros(geometry.shape, dtype=dtype)
    for frame, values in frames:
        offset = _frame_offset(frame, geometry)
        if offset is None:
            return None
        i0, j0, k = offset
        if not 0 <= k < nk:
            continue
        fj, fi = values.shape
        j_lo, j_hi = max(0, j0), min(nj, j0 + fj)
        i_lo, i_hi = max(0, i0), min(ni, i0 + fi)
        if j_lo >= j_hi or i_lo >= i_hi:
            continue
        patch = values[j_lo - j0 : j_hi - j0, i_lo - i0 : i_hi - i0]
        out[k, j_lo:j_hi, i_lo:i_hi] = np.maximum(out[k, j_lo:j_hi, i_lo:i_hi], patch)
    return out


def _segment_values(frames: list[_Frame], number: int) -> list[tuple[_Frame, npt.NDArray[Any]]]:
    """The frames of one segment with their values (fraction, or 0/1)."""
    out: list[tuple[_Frame, npt.NDArray[Any]]] = []
    for frame in frames:
        if frame.segment is None:
            out.append((frame, (frame.values == number).astype(np.uint8)))
        elif frame.segment == number:
            out.append((frame, frame.values))
    return out


@overload
def read_seg(
    path: str | Path,
    geometry: Geometry | None,
    segment: str | int,
    *,
    fraction_threshold: float = ...,
) -> Mask: ...


@overload
def read_seg(
    path: str | Path,
    geometry: Geometry | None = ...,
    *,
    segment: str | int,
    fraction_threshold: float = ...,
) -> Mask: ...


@overload
def read_seg(
    path: str | Path,
    geometry: Geometry | None = ...,
    segment: None = ...,
    *,
    fraction_threshold: float = ...,
) -> list[Mask]: ...


def read_seg(
    path: str | Path,
    geometry: Geometry | None = None,
    segment: str | int | None = None,
    *,
    fraction_threshold: float = 0.5,
) -> list[Mask] | Mask:
    """Read the segments of a DICOM Segmentation as masks.

    Parameters
    ----------
    path : str or Path
        The SEG file (BINARY, FRACTIONAL or LABELMAP).
    geometry : Geometry, optional
        Grid to place the masks on. Frames whose plane and pixel grid coincide
        with slices of ``geometry`` are placed by their Image Position (Patient)
        (exact, also when only some slices have frames); otherwise the segments
        are built on the SEG's own grid and resampled (nearest neighbour for
        binary segments, linear interpolation of the fractions for fractional
        ones). By default the SEG's own grid is used.
    segment : str or int, optional
        Segment Label (0062,0005), or a Segment Number (0062,0004) as an int.
        By default every segment is returned.
    fraction_threshold : float
        A FRACTIONAL voxel is inside when its fraction is at least this (0.5,
        IBSI [1]_).

    Returns
    -------
    Mask or list of Mask
        One mask named by its segment label when ``segment`` is given, else one
        per segment in Segment Sequence order (without the background segment,
        number 0, of a LABELMAP segmentation; it can be asked for explicitly).

    Raises
    ------
    DicomReadError
        The file is missing, unreadable, not a SEG, or its frames cannot be
        placed in space.
    ThxError
        No segment has this label (the message lists the segments).
    """
    path = Path(path)
    seg = _read(path)
    segments = _segments(seg)
    if not segments:
        raise DicomReadError(path, "Segment Sequence (0062,0002) is empty")
    if segment is None:
        # segment 0 of a LABELMAP describes the background (PS3.3 C.8.20.2): not a region
        chosen = [number for number in segments if number != 0]
    else:
        chosen = [_select(segments, segment, path)]
    frames = _frames(seg, path)
    if not frames:
        raise DicomReadError(path, "the segmentation has no frames")
    fractional = seg.segmentation_type.value == "FRACTIONAL"
    own: Geometry | None = None
    masks = []
    for number in chosen:
        values = _segment_values(frames, number)
        placed = None if geometry is None else _paste(values, geometry)
        if placed is None:
            if own is None:
                own = _own_geometry(seg, frames, path)
            on_own = _paste(values, own)
            if on_own is None:
                raise DicomReadError(
                    path, "frame positions are not whole slices apart: not a regular grid"
                )
            if geometry is None:
                placed = on_own
            elif fractional:
                fraction = Volume(on_own.astype(np.float64), own)
                placed = resample_volume(fraction, geometry, "linear", fill_value=0.0).array
            else:
                placed = resample_mask(Mask(on_own != 0, own), geometry).array
        target = geometry if geometry is not None else own
        assert target is not None
        array = placed >= fraction_threshold if fractional else placed != 0
        masks.append(Mask(array, target, segments[number]))
    return masks if segment is None else masks[0]

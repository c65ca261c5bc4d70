"""One entry point for regions: RTSTRUCT ROI, SEG segment or NIfTI / NRRD mask.

A mask is specified as ``"PATH"`` or ``"PATH:SELECTOR"``, where the selector is
an ROI name (RTSTRUCT), a segment label or number (SEG) or a label value or
name (label-map NIfTI / NRRD). The file type is recognised from the SOP Class
UID (0008,0016) of DICOM files (RT Structure Set: DICOM PS3.4 B.5,
1.2.840.10008.5.1.4.1.1.481.3; Segmentation: 1.2.840.10008.5.1.4.1.1.66.4 and
.66.7) and from the extension of NIfTI and NRRD files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging._resample import resample_mask
from theranostix.imaging._rtstruct import (
    RTSTRUCT_SOP_CLASS_UID,
    rasterize_rtstruct,
    rtstruct_roi_names,
)
from theranostix.imaging._seg import SEG_SOP_CLASS_UIDS, read_seg
from theranostix.imaging._sitk import _ITK_SUFFIXES, _suffix, read_itk_image
from theranostix.imaging._volume import Geometry, Mask

__all__ = ["load_mask", "load_masks"]


def _split_spec(spec: str | Path) -> tuple[Path, str | None]:
    """Split ``"PATH:SELECTOR"``: at a ``':'`` whose left part is an existing file.

    The whole string is a path when it exists; otherwise the ``':'`` are tried
    from the last to the first, so that selectors may contain spaces and ROI
    names may contain ``':'`` too.
    """
    text = str(spec)
    if Path(text).exists():
        return Path(text), None
    positions = [index for index, char in enumerate(text) if char == ":"]
    for index in reversed(positions):
        head = text[:index]
        if head and Path(head).is_file():
            return Path(head), text[index + 1 :]
    raise DicomReadError(text, "no such mask file (expected PATH or PATH:ROI_NAME)")


def _label_names(header: dict[str, str]) -> dict[str, int]:
    """Segment name -> label value from a 3D Slicer ``.seg.nrrd`` header, if any."""
    names: dict[str, int] = {}
    for key, value in header.items():
        if key.startswith("Segment") and key.endswith("_Name"):
            prefix = key[: -len("_Name")]
            label = header.get(f"{prefix}_LabelValue")
            if label is not None and label.strip().lstrip("-").isdigit():
                names[value] = int(label)
    return names


def _itk_mask(path: Path, selector: str | None, reference: Geometry) -> Mask:
    """A mask from a NIfTI / NRRD image: nonzero, or one label of a label map."""
    volume = read_itk_image(path)
    values = volume.array
    name = path.name
    if selector is None:
        inside = values != 0
    else:
        names = _label_names(volume.metadata.get("header", {}))
        labels = np.unique(values[values != 0])
        if selector in names:
            label: float = names[selector]
        else:
            try:
                label = float(selector)
            except ValueError:
                known = ", ".join(f"{n!r} = {v}" for n, v in names.items()) or "none stored"
                raise ThxError(
                    f"{path}: {selector!r} is neither a label value nor a label name "
                    f"(names: {known}; label values present: "
                    f"{', '.join(f'{v:g}' for v in labels)})"
                ) from None
        inside = values == label
        if not inside.any():
            raise ThxError(
                f"{path}: label {selector!r} is not present; label values present: "
                f"{', '.join(f'{v:g}' for v in labels) or 'none'}"
            )
        name = f"{path.name}:{selector}"
    mask = Mask(inside, volume.geometry, name)
    if mask.geometry.same_grid(reference):
        return Mask(mask.array, reference, name)
    return resample_mask(mask, reference, method="nearest")


def load_mask(spec: str | Path, reference: Geometry) -> Mask:
    """Load a region from an RTSTRUCT, a SEG or a NIfTI / NRRD mask onto a grid.

    Parameters
    ----------
    spec : str or Path
        ``"PATH"`` or ``"PATH:SELECTOR"``. The text is split at a ``':'`` only
        when the part before it is an existing file (the last such ``':'``
        first), so ROI names may contain spaces. The selector is an ROI Name for
        an RTSTRUCT, a Segment Label (or number) for a SEG, and a label value
        (``":2"``) or a segment name stored in a 3D Slicer ``.seg.nrrd`` header
        for a NIfTI / NRRD label map.
    reference : Geometry
        Grid of the image the mask is for. RTSTRUCT contours are rasterised on
        it, SEG frames are placed on it, and NIfTI / NRRD masks on another grid
        are resampled onto it (nearest neighbour).

    Returns
    -------
    Mask
        The region on ``reference``.

    Raises
    ------
    DicomReadError
        The file is missing, unreadable, or not an RTSTRUCT, SEG, NIfTI or NRRD.
    ThxError
        The selector is missing where several regions exist, or names none of
        them (the message lists the available ones).

    Notes
    -----
    Without a selector, a NIfTI / NRRD mask is the set of nonzero voxels (all
    labels of a label map), and an RTSTRUCT or SEG must contain exactly one
    region.
    """
    path, selector = _split_spec(spec)
    if not path.is_file():
        raise DicomReadError(path, "is not a file")
    if _suffix(path) in _ITK_SUFFIXES:
        return _itk_mask(path, selector, reference)
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise DicomReadError(
            path,
            f"is neither a DICOM file nor a NIfTI / NRRD image "
            f"(extensions {', '.join(_ITK_SUFFIXES)}): {exc}",
        ) from exc
    sop_class = str(header.get("SOPClassUID", ""))
    modality = str(header.get("Modality", ""))
    if sop_class == RTSTRUCT_SOP_CLASS_UID or modality == "RTSTRUCT":
        if selector is None:
            names = rtstruct_roi_names(path)
            if len(names) != 1:
                listed = ", ".join(repr(n) for n in names) or "none"
                raise ThxError(
                    f"{path}: the structure set has {len(names)} ROIs ({listed}); "
                    f"choose one with {path}:ROI_NAME"
                )
            selector = names[0]
        return rasterize_rtstruct(path, reference, selector)
    if sop_class in SEG_SOP_CLASS_UIDS or modality == "SEG":
        if selector is None:
            masks = read_seg(path, reference)
            if len(masks) != 1:
                listed = ", ".join(repr(m.name) for m in masks)
                raise ThxError(
                    f"{path}: the segmentation has {len(masks)} segments ({listed}); "
                    f"choose one with {path}:LABEL"
                )
            return masks[0]
        return _read_seg_selector(path, reference, selector)
    raise DicomReadError(
        path,
        f"is not a mask: SOP Class UID (0008,0016) {sop_class!r}, Modality (0008,0060) "
        f"{modality!r}; expected an RTSTRUCT, a SEG, or a NIfTI / NRRD file",
    )


def _read_seg_selector(path: Path, reference: Geometry, selector: str) -> Mask:
    """A SEG segment by label, or by number when no label matches."""
    try:
        return read_seg(path, reference, selector)
    except DicomReadError:
        raise
    except ThxError:
        if not selector.strip().isdigit():
            raise
        return read_seg(path, reference, int(selector))


def load_masks(path: str | Path, reference: Geometry) -> dict[str, Mask]:
    """Every region of an RTSTRUCT, a SEG or a NIfTI / NRRD label map, by name, on a grid.

    Organ segmentations come as one file holding many regions: the ROIs of a
    structure set, the segments of a SEG, or the labels of a label map (named
    from a 3D Slicer ``.seg.nrrd`` header when present, else ``"label_<value>"``).

    Parameters
    ----------
    path : str or Path
        The file.
    reference : Geometry
        Grid of the image the masks are for.

    Returns
    -------
    dict of str to Mask
        Names as stored (ROI Name, Segment Label), empty regions left out.

    Raises
    ------
    DicomReadError
        The file is missing or not a mask file.
    """
    path = Path(path)
    if not path.is_file():
        raise DicomReadError(path, "is not a file (expected an RTSTRUCT, SEG, NIfTI or NRRD)")
    out: dict[str, Mask] = {}
    if _suffix(path) in _ITK_SUFFIXES:
        volume = read_itk_image(path)
        named = {v: n for n, v in _label_names(volume.metadata.get("header", {})).items()}
        for value in np.unique(volume.array[volume.array != 0]):
            label = named.get(int(value), f"label_{value:g}") if float(value).is_integer() else None
            mask = _itk_mask(path, f"{value:g}", reference)
            out[label or f"label_{value:g}"] = Mask(mask.array, reference, label or mask.name)
        return {name: mask for name, mask in out.items() if mask.voxel_count}
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise DicomReadError(
            path, f"is neither a DICOM file nor a NIfTI / NRRD image: {exc}"
        ) from exc
    sop_class = str(header.get("SOPClassUID", ""))
    modality = str(header.get("Modality", ""))
    if sop_class == RTSTRUCT_SOP_CLASS_UID or modality == "RTSTRUCT":
        for name in rtstruct_roi_names(path):
            out[name] = rasterize_rtstruct(path, reference, name)
    elif sop_class in SEG_SOP_CLASS_UIDS or modality == "SEG":
        masks = read_seg(path, reference)
        for mask in masks if isinstance(masks, list) else [masks]:
            out[mask.name] = mask
    else:
        raise DicomReadError(
            path,
            f"is not a mask file: SOP Class UID (0008,0016) {sop_class!r}, Modality (0008,0060) "
            f"{modality!r}; expected an RTSTRUCT, a SEG, or a NIfTI / NRRD label map",
        )
    return {name: mask for name, mask in out.items() if mask.voxel_count}

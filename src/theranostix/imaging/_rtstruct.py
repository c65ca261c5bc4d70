"""DICOM RT Structure Set (RTSTRUCT) reading and rasterisation.

A structure set stores each region of interest (ROI) as planar polygons in
patient coordinates (DICOM PS3.3 C.8.8.5 Structure Set Module and C.8.8.6 ROI
Contour Module). ``CLOSED_PLANAR`` contours in the same plane are combined with
the even-odd (XOR) rule, so that a contour inside another makes a hole (PS3.3
C.8.8.6.3 "Representing inner and outer contours").

Rasterisation
-------------
Each contour is mapped into continuous voxel indices of the target grid with
:meth:`Geometry.lps_to_index`, which also handles a non-identity (oblique)
direction. Its plane must coincide with a slice of the grid within half a slice
spacing; when several contour planes fall within half a slice of the same
slice, the nearest plane is used. In the ``(i, j)`` plane of the slice, a voxel
is inside when its centre is: the number of polygon edges crossed by the ray
from the centre towards ``+i`` is odd (crossing-number test [1]_, [2]_,
evaluated scanline by scanline). Edges follow the half-open rule: an edge covers
rows ``min(j0, j1) <= j < max(j0, j1)`` and a crossing at ``x`` counts for the
voxels with ``i < x``, so a centre exactly on a left or lower edge is inside and
one on a right or upper edge is outside. A polygon with vertices on voxel
centres thus covers exactly as many voxels as its area in voxels.

References
----------
.. [1] Shimrat M. Algorithm 112: Position of point relative to polygon.
   Commun ACM 1962;5(8):434. doi:10.1145/368637.368653
.. [2] Haines E. Point in polygon strategies. In: Heckbert P, ed. Graphics
   Gems IV. Academic Press; 1994:24-46. doi:10.1016/B978-0-12-336156-1.50013-6
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging._volume import Geometry, Mask

__all__ = ["rasterize_rtstruct", "rtstruct_roi_names"]

RTSTRUCT_SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.481.3"
_CLOSED_TYPES = ("CLOSED_PLANAR", "CLOSED_PLANAR_XOR")
# contour points are Decimal Strings (at most 16 characters, PS3.5 6.2): snap indices this
# close to an integer so that points on voxel centres or rows are treated consistently
_SNAP = 1e-6
# tolerance (in slices) on "within half a slice" of a plane
_PLANE_TOLERANCE = 1e-3


def _read(path: str | Path) -> Dataset:
    """Read an RTSTRUCT file, checking that it is one."""
    path = Path(path)
    if not path.is_file():
        raise DicomReadError(path, "no such file")
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise DicomReadError(path, f"not a readable DICOM file ({exc})") from exc
    sop_class = str(ds.get("SOPClassUID", ""))
    modality = str(ds.get("Modality", ""))
    if sop_class != RTSTRUCT_SOP_CLASS_UID and modality != "RTSTRUCT":
        raise DicomReadError(
            path,
            f"is not an RT Structure Set: SOP Class UID (0008,0016) is {sop_class!r} and "
            f"Modality (0008,0060) is {modality!r}, expected {RTSTRUCT_SOP_CLASS_UID} / "
            "'RTSTRUCT'",
        )
    return ds


def _roi_table(ds: Dataset) -> dict[int, str]:
    """ROI Number -> ROI Name from the Structure Set ROI Sequence (3006,0020)."""
    table: dict[int, str] = {}
    for item in ds.get("StructureSetROISequence", []):
        if "ROINumber" in item:
            table[int(item.ROINumber)] = str(item.get("ROIName", ""))
    return table


def rtstruct_roi_names(path: str | Path) -> list[str]:
    """Names of the ROIs of an RT Structure Set, in file order.

    Parameters
    ----------
    path : str or Path
        The RTSTRUCT file.

    Returns
    -------
    list of str
        ROI Name (3006,0026) of each item of the Structure Set ROI Sequence
        (3006,0020).

    Raises
    ------
    DicomReadError
        The file is missing, unreadable or not an RTSTRUCT.
    """
    return list(_roi_table(_read(path)).values())


def _find_roi_number(table: dict[int, str], roi_name: str, path: str | Path) -> int:
    """The ROI Number whose name is ``roi_name`` (exact, else unique case-insensitive match)."""
    exact = [number for number, name in table.items() if name == roi_name]
    if not exact:
        wanted = roi_name.strip().casefold()
        exact = [number for number, name in table.items() if name.strip().casefold() == wanted]
    if len(exact) == 1:
        return exact[0]
    available = ", ".join(repr(name) for name in table.values()) or "none"
    if not exact:
        raise ThxError(f"{path}: no ROI named {roi_name!r}; ROIs available: {available}")
    raise ThxError(f"{path}: several ROIs are named {roi_name!r} (ROI numbers {exact})")


@dataclass(frozen=True)
class _Contour:
    """One closed contour in continuous voxel indices ``(i, j, k)`` of the target grid."""

    number: int
    ijk: npt.NDArray[np.float64]


def _snap(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    rounded = np.rint(values)
    return np.where(np.abs(values - rounded) < _SNAP, rounded, values)


def _closed_contours(
    roi_contour: Dataset, geometry: Geometry, roi_name: str, path: str | Path
) -> list[_Contour]:
    """The closed planar contours of an ROI, mapped into the grid's index space."""
    contours: list[_Contour] = []
    for number, item in enumerate(roi_contour.get("ContourSequence", []), start=1):
        kind = str(item.get("ContourGeometricType", "")).upper()
        if kind not in _CLOSED_TYPES:
            continue  # POINT and OPEN_* contours enclose no area
        data = np.asarray(item.get("ContourData", []), dtype=float)
        if data.size < 9 or data.size % 3:
            raise ThxError(
                f"{path}: ROI {roi_name!r} contour {number}: Contour Data (3006,0050) has "
                f"{data.size} values; a closed contour needs at least 3 (x, y, z) points"
            )
        ijk = _snap(geometry.lps_to_index(data.reshape(-1, 3)))
        k = ijk[:, 2]
        if float(np.ptp(k)) > 1.0 + _PLANE_TOLERANCE:
            raise ThxError(
                f"{path}: ROI {roi_name!r} contour {number} is not parallel to the image "
                f"slices (it spans {float(np.ptp(k)):.3g} slices); rasterise it on a grid "
                "aligned with the structure set"
            )
        contours.append(_Contour(number, ijk))
    return contours


def _assign_planes(
    contours: list[_Contour], n_slices: int, roi_name: str, path: str | Path
) -> dict[int, list[npt.NDArray[np.float64]]]:
    """Slice index -> the polygons (``(n, 2)`` in ``(i, j)``) to fill on it.

    Contours are grouped by plane (mean ``k``, to 1e-3 slice); each slice takes
    the plane nearest to it if that plane is within half a slice, and every
    point of its contours must be within half a slice too.
    """
    planes: dict[float, list[_Contour]] = {}
    for contour in contours:
        key = round(float(np.mean(contour.ijk[:, 2])), 3)
        planes.setdefault(key, []).append(contour)
    chosen: dict[int, float] = {}
    half = 0.5 + _PLANE_TOLERANCE
    for plane in sorted(planes):
        group = planes[plane]
        k_all = np.concatenate([c.ijk[:, 2] for c in group])
        slice_index = round(plane)
        if not 0 <= slice_index < n_slices:
            continue  # outside the grid
        if float(np.max(np.abs(k_all - slice_index))) > half:
            numbers = ", ".join(str(c.number) for c in group)
            raise ThxError(
                f"{path}: ROI {roi_name!r} contour(s) {numbers} near slice {slice_index} are "
                "not within half a slice of its plane (tilted relative to the image slices)"
            )
        best = chosen.get(slice_index)
        if best is None or abs(plane - slice_index) < abs(best - slice_index):
            chosen[slice_index] = plane
    return {k: [c.ijk[:, :2] for c in planes[plane]] for k, plane in chosen.items()}


def fill_polygons_even_odd(
    polygons: list[npt.NDArray[np.float64]], shape: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    """Rasterise polygons with the even-odd rule on a grid of voxel centres.

    Parameters
    ----------
    polygons : list of ndarray
        Each an ``(n, 2)`` array of vertices ``(i, j)`` in continuous voxel
        indices (voxel centres at integers); polygons are closed implicitly.
    shape : tuple of int
        ``(nj, ni)``: rows and columns of the output.

    Returns
    -------
    ndarray of bool
        ``[j, i]``: ``True`` where the voxel centre is inside an odd number of
        polygons, with the half-open boundary rule of the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> square = np.array([[1, 1], [4, 1], [4, 3], [1, 3]], float)
    >>> fill_polygons_even_odd([square], (5, 6)).sum()  # 3 x 2 voxels = its area
    np.int64(6)
    """
    nj, ni = shape
    x0_list, y0_list, x1_list, y1_list = [], [], [], []
    for polygon in polygons:
        x0_list.append(polygon[:, 0])
        y0_list.append(polygon[:, 1])
        x1_list.append(np.roll(polygon[:, 0], -1))
        y1_list.append(np.roll(polygon[:, 1], -1))
    x0, y0 = np.concatenate(x0_list), np.concatenate(y0_list)
    x1, y1 = np.concatenate(x1_list), np.concatenate(y1_list)
    # rows covered by each edge: ceil(min y) <= j < ceil(max y), clipped to the grid
    lo = np.clip(np.ceil(np.minimum(y0, y1)), 0, nj).astype(np.int64)
    hi = np.clip(np.ceil(np.maximum(y0, y1)), 0, nj).astype(np.int64)
    counts = np.maximum(hi - lo, 0)
    edge = np.repeat(np.arange(x0.size), counts)
    rows = lo[edge] + (np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts))
    t = (rows - y0[edge]) / (y1[edge] - y0[edge])
    x_cross = x0[edge] + t * (x1[edge] - x0[edge])
    # a crossing at x toggles the voxels i < x, i.e. i < ceil(x)
    stop = np.clip(np.ceil(_snap(x_cross)), 0, ni).astype(np.int64)
    toggles = np.zeros((nj, ni + 1), dtype=np.int64)
    np.add.at(toggles, (rows, np.zeros_like(rows)), 1)
    np.add.at(toggles, (rows, stop), -1)
    crossings = np.cumsum(toggles[:, :ni], axis=1)
    return np.asarray(crossings % 2 == 1)


def rasterize_rtstruct(path: str | Path, geometry: Geometry, roi_name: str) -> Mask:
    """Rasterise one ROI of an RT Structure Set onto a voxel grid.

    Parameters
    ----------
    path : str or Path
        The RTSTRUCT file.
    geometry : Geometry
        The grid (usually that of the image the structures were drawn on).
    roi_name : str
        ROI Name (3006,0026); an exact match, else a unique case-insensitive one.

    Returns
    -------
    Mask
        Voxels whose centre lies inside the ROI's ``CLOSED_PLANAR`` contours
        (even-odd rule per plane, see the module docstring), named ``roi_name``.

    Raises
    ------
    DicomReadError
        The file is missing, unreadable or not an RTSTRUCT.
    ThxError
        No ROI has this name (the message lists those available), the ROI has no
        closed contours, a contour is not parallel to the slices, or none of its
        contours lies within half a slice of a slice of ``geometry``.
    """
    ds = _read(path)
    table = _roi_table(ds)
    number = _find_roi_number(table, roi_name, path)
    name = table[number]
    roi_contour = next(
        (
            item
            for item in ds.get("ROIContourSequence", [])
            if int(item.get("ReferencedROINumber", -1)) == number
        ),
        None,
    )
    if roi_contour is None or not roi_contour.get("ContourSequence"):
        raise ThxError(f"{path}: ROI {name!r} (ROI number {number}) has no contours")
    contours = _closed_contours(roi_contour, geometry, name, path)
    if not contours:
        raise ThxError(
            f"{path}: ROI {name!r} has no CLOSED_PLANAR contours (only points or open contours)"
        )
    nk, nj, ni = geometry.shape
    per_slice = _assign_planes(contours, nk, name, path)
    if not per_slice:
        k_values = np.concatenate([c.ijk[:, 2] for c in contours])
        raise ThxError(
            f"{path}: none of the {len(contours)} contours of ROI {name!r} lies on a slice of "
            f"the grid (contour slice indices {k_values.min():.4g} to {k_values.max():.4g}, "
            f"grid has slices 0 to {nk - 1})"
        )
    array = np.zeros(geometry.shape, dtype=bool)
    for k, polygons in per_slice.items():
        array[k] = fill_polygons_even_odd(polygons, (nj, ni))
    return Mask(array, geometry, name)

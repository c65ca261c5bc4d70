"""RTSTRUCT reading and rasterisation (theranostix.imaging._rtstruct)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.path import Path as MplPath
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging import Geometry, rasterize_rtstruct, read_itk_image, rtstruct_roi_names
from theranostix.imaging._rtstruct import fill_polygons_even_odd

RTSTRUCT_UID = "1.2.840.10008.5.1.4.1.1.481.3"


def write_rtstruct(
    path: Path,
    rois: dict[str, list[np.ndarray]],
    kinds: dict[str, str] | None = None,
) -> Path:
    """An RTSTRUCT whose ROI ``name`` has the given (n, 3) LPS contours."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = RTSTRUCT_UID
    ds.SOPClassUID = RTSTRUCT_UID
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Modality = "RTSTRUCT"
    frame = generate_uid()
    ds.StructureSetROISequence = Sequence()
    ds.ROIContourSequence = Sequence()
    for number, (name, contours) in enumerate(rois.items(), start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ROIName = name
        roi.ReferencedFrameOfReferenceUID = frame
        ds.StructureSetROISequence.append(roi)
        item = Dataset()
        item.ReferencedROINumber = number
        item.ContourSequence = Sequence()
        for points in contours:
            contour = Dataset()
            contour.ContourGeometricType = (kinds or {}).get(name, "CLOSED_PLANAR")
            contour.NumberOfContourPoints = len(points)
            contour.ContourData = [f"{v:.10g}" for v in np.asarray(points, float).reshape(-1)]
            item.ContourSequence.append(contour)
        ds.ROIContourSequence.append(item)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def on_slice(geometry: Geometry, ij: np.ndarray, k: float) -> np.ndarray:
    """LPS points of in-plane indices ``ij`` on (continuous) slice ``k``."""
    ij = np.asarray(ij, float)
    return geometry.index_to_lps(np.column_stack([ij, np.full(len(ij), k)]))


def rectangle(i0: float, j0: float, i1: float, j1: float) -> np.ndarray:
    return np.array([[i0, j0], [i1, j0], [i1, j1], [i0, j1]], float)


GRID = Geometry((6, 20, 24), origin_mm=(-10.0, -20.0, 5.0), spacing_mm=(2.0, 2.5, 3.0))


def test_roi_names_in_file_order(tmp_path: Path) -> None:
    square = on_slice(GRID, rectangle(2, 2, 5, 5), 1)
    path = write_rtstruct(tmp_path / "rs.dcm", {"GTV": [square], "Left lung": [square]})
    assert rtstruct_roi_names(path) == ["GTV", "Left lung"]


def test_square_on_voxel_centres_covers_its_area(tmp_path: Path) -> None:
    # vertices on voxel centres i = 2..7, j = 3..6: 5 x 3 voxels (half-open rule)
    square = on_slice(GRID, rectangle(2, 3, 7, 6), 2)
    path = write_rtstruct(tmp_path / "rs.dcm", {"square": [square]})
    mask = rasterize_rtstruct(path, GRID, "square")
    expected = np.zeros(GRID.shape, bool)
    expected[2, 3:6, 2:7] = True
    np.testing.assert_array_equal(mask.array, expected)
    area_mm2 = 5 * 2.0 * 3 * 2.5
    assert mask.voxel_count == area_mm2 / (2.0 * 2.5)
    assert mask.name == "square"


def test_contour_beyond_the_grid_is_clipped(tmp_path: Path) -> None:
    # columns -3..3 and rows -2..29 of a 24 x 20 slice: 4 columns x 20 rows remain
    big = on_slice(GRID, rectangle(-3, -2, 4, 30), 5)
    mask = rasterize_rtstruct(write_rtstruct(tmp_path / "rs.dcm", {"b": [big]}), GRID, "b")
    assert mask.voxel_count == 4 * 20
    assert mask.array[5, :, :4].all()


def test_square_between_centres_takes_centres_inside(tmp_path: Path) -> None:
    square = on_slice(GRID, rectangle(1.5, 2.5, 6.5, 7.5), 0)  # voxel edges
    mask = rasterize_rtstruct(write_rtstruct(tmp_path / "rs.dcm", {"s": [square]}), GRID, "s")
    assert mask.voxel_count == 5 * 5
    assert mask.array[0, 3:8, 2:7].all()


@pytest.mark.parametrize("hole_first", [False, True])
def test_square_with_hole_is_xor(tmp_path: Path, hole_first: bool) -> None:
    outer = on_slice(GRID, rectangle(2, 2, 12, 12), 3)
    inner = on_slice(GRID, rectangle(5, 5, 8, 8), 3)
    contours = [inner, outer] if hole_first else [outer, inner]
    path = write_rtstruct(tmp_path / "rs.dcm", {"ring": contours})
    mask = rasterize_rtstruct(path, GRID, "ring")
    assert mask.voxel_count == 10 * 10 - 3 * 3
    assert not mask.array[3, 5:8, 5:8].any()
    assert mask.array[3, 2:5, 2:12].all()


def test_circle_matches_centre_in_disc(tmp_path: Path) -> None:
    geometry = Geometry((3, 64, 64), origin_mm=(0.0, 0.0, 0.0), spacing_mm=(1.0, 1.0, 2.0))
    centre, radius, n = np.array([31.3, 30.2]), 20.0, 720
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ij = centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
    path = write_rtstruct(tmp_path / "rs.dcm", {"disc": [on_slice(geometry, ij, 1)]})
    mask = rasterize_rtstruct(path, geometry, "disc")
    jj, ii = np.mgrid[0:64, 0:64]
    distance = np.hypot(ii - centre[0], jj - centre[1])
    sagitta = radius * (1 - math.cos(math.pi / n))  # polygon lies within this of the circle
    sure = np.abs(distance - radius) > sagitta + 1e-9
    np.testing.assert_array_equal(mask.array[1][sure], (distance < radius)[sure])
    assert mask.array[[0, 2]].sum() == 0
    # and the area is the disc's to within the voxels the circle crosses
    band = np.count_nonzero(np.abs(distance - radius) <= math.sqrt(0.5))
    assert abs(mask.voxel_count - math.pi * radius**2) <= band


def test_oblique_grid_uses_patient_coordinates(tmp_path: Path) -> None:
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    # i along (c, s, 0), j along z, k along (s, -c, 0): a rotated coronal-like grid
    direction = (c, 0.0, s, s, 0.0, -c, 0.0, 1.0, 0.0)
    geometry = Geometry(
        (5, 16, 18), origin_mm=(3.0, -7.0, 11.0), spacing_mm=(1.5, 2.0, 2.5), direction=direction
    )
    square = on_slice(geometry, rectangle(3, 4, 9, 10), 2)
    hole = on_slice(geometry, rectangle(5, 6, 7, 8), 2)
    path = write_rtstruct(tmp_path / "rs.dcm", {"obl": [square, hole]})
    mask = rasterize_rtstruct(path, geometry, "obl")
    expected = np.zeros(geometry.shape, bool)
    expected[2, 4:10, 3:9] = True
    expected[2, 6:8, 5:7] = False
    np.testing.assert_array_equal(mask.array, expected)


def test_contour_planes_pick_the_nearest_slice(tmp_path: Path) -> None:
    # planes at k = 1.4 and k = 1.6 both fall within half a slice of slices 1 and 2
    small = on_slice(GRID, rectangle(2, 2, 4, 4), 1.4)
    large = on_slice(GRID, rectangle(2, 2, 8, 8), 1.6)
    # two contours drawn 1 mm apart near slice 4 (k = 4 - 1/3 and k = 4): the nearest wins,
    # they are not XOR-ed into an empty slice
    near = on_slice(GRID, rectangle(10, 10, 13, 13), 4.0)
    far = on_slice(GRID, rectangle(10, 10, 13, 13), 4.0 - 1 / 3)
    beyond = on_slice(GRID, rectangle(2, 2, 4, 4), 7.0)  # outside the grid: ignored
    path = write_rtstruct(tmp_path / "rs.dcm", {"r": [small, large, far, near, beyond]})
    mask = rasterize_rtstruct(path, GRID, "r")
    assert mask.array.sum(axis=(1, 2)).tolist() == [0, 4, 36, 0, 9, 0]


def test_point_and_open_contours_are_ignored(tmp_path: Path) -> None:
    square = on_slice(GRID, rectangle(2, 2, 5, 5), 1)
    path = write_rtstruct(
        tmp_path / "rs.dcm", {"pts": [square], "ok": [square]}, kinds={"pts": "POINT"}
    )
    assert rasterize_rtstruct(path, GRID, "ok").voxel_count == 9
    with pytest.raises(ThxError, match="'pts' has no CLOSED_PLANAR"):
        rasterize_rtstruct(path, GRID, "pts")


def test_roi_name_falls_back_to_case_insensitive(tmp_path: Path) -> None:
    square = on_slice(GRID, rectangle(2, 2, 5, 5), 1)
    path = write_rtstruct(tmp_path / "rs.dcm", {"Liver": [square]})
    assert rasterize_rtstruct(path, GRID, " LIVER").name == "Liver"


def test_unknown_roi_lists_available(tmp_path: Path) -> None:
    square = on_slice(GRID, rectangle(2, 2, 5, 5), 1)
    path = write_rtstruct(tmp_path / "rs.dcm", {"GTV": [square], "Left lung": [square]})
    with pytest.raises(ThxError, match=r"no ROI named 'CTV'.*'GTV', 'Left lung'"):
        rasterize_rtstruct(path, GRID, "CTV")


def test_roi_without_contours_is_named(tmp_path: Path) -> None:
    path = write_rtstruct(tmp_path / "rs.dcm", {"empty": []})
    with pytest.raises(ThxError, match=r"ROI 'empty'.*has no contours"):
        rasterize_rtstruct(path, GRID, "empty")


def test_contours_off_the_grid_are_reported(tmp_path: Path) -> None:
    square = on_slice(GRID, rectangle(2, 2, 5, 5), 9)
    path = write_rtstruct(tmp_path / "rs.dcm", {"far": [square]})
    with pytest.raises(ThxError, match="none of the 1 contours of ROI 'far'"):
        rasterize_rtstruct(path, GRID, "far")


def test_tilted_contour_is_rejected(tmp_path: Path) -> None:
    ij = rectangle(2, 2, 5, 5)
    points = GRID.index_to_lps(np.column_stack([ij, [1.0, 1.0, 2.2, 2.2]]))
    path = write_rtstruct(tmp_path / "rs.dcm", {"tilt": [points]})
    with pytest.raises(ThxError, match="'tilt' contour 1 is not parallel"):
        rasterize_rtstruct(path, GRID, "tilt")


def test_not_an_rtstruct(tmp_path: Path) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    path = tmp_path / "ct.dcm"
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    with pytest.raises(DicomReadError, match=r"ct\.dcm: is not an RT Structure Set.*'CT'"):
        rtstruct_roi_names(path)
    text = tmp_path / "notes.txt"
    text.write_text("not dicom")
    with pytest.raises(DicomReadError, match=r"notes\.txt: not a readable DICOM file"):
        rasterize_rtstruct(text, GRID, "x")
    with pytest.raises(DicomReadError, match=r"missing\.dcm: no such file"):
        rtstruct_roi_names(tmp_path / "missing.dcm")


def _distance_to_edges(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    a = polygon
    b = np.roll(polygon, -1, axis=0)
    ab = b - a
    ap = points[:, None, :] - a[None, :, :]
    t = np.clip((ap * ab).sum(-1) / (ab * ab).sum(-1), 0, 1)
    closest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(points[:, None, :] - closest, axis=-1).min(axis=1)


@st.composite
def star_polygons(draw: st.DrawFn) -> np.ndarray:
    """Simple (star-shaped) polygons: sorted angles, random radii, random centre."""
    n = draw(st.integers(3, 12))
    cx = draw(st.floats(12, 28))
    cy = draw(st.floats(12, 28))
    gaps = draw(st.lists(st.floats(0.1, 1.0), min_size=n, max_size=n))
    radii = draw(st.lists(st.floats(1.0, 11.0), min_size=n, max_size=n))
    angles = np.cumsum(gaps) / np.sum(gaps) * 2 * np.pi
    return np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])


@settings(max_examples=150, deadline=None)
@given(star_polygons())
def test_fill_area_is_shoelace_area_within_boundary_band(polygon: np.ndarray) -> None:
    filled = fill_polygons_even_odd([polygon], (40, 40))
    x, y = polygon[:, 0], polygon[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))  # shoelace
    jj, ii = np.mgrid[0:40, 0:40]
    centres = np.column_stack([ii.ravel(), jj.ravel()]).astype(float)
    distance = _distance_to_edges(centres, polygon).reshape(40, 40)
    # only voxels whose square meets the boundary can be counted differently from their area
    band = np.count_nonzero(distance <= math.sqrt(0.5))
    assert abs(filled.sum() - area) <= band
    # away from the boundary, the inside test agrees with matplotlib's
    reference = MplPath(polygon).contains_points(centres).reshape(40, 40)
    clear = distance > 1e-6
    np.testing.assert_array_equal(filled[clear], reference[clear])


def _pet_geometry(folder: Path) -> Geometry:
    """PET grid from the slice headers (sorted along the slice normal)."""
    headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in folder.glob("*.dcm")]
    orientation = np.asarray(headers[0].ImageOrientationPatient, float)
    row, col = orientation[:3], orientation[3:]
    normal = np.cross(row, col)
    headers.sort(key=lambda h: float(np.dot(normal, np.asarray(h.ImagePositionPatient, float))))
    heights = [float(np.dot(normal, np.asarray(h.ImagePositionPatient, float))) for h in headers]
    row_spacing, column_spacing = (float(v) for v in headers[0].PixelSpacing)
    return Geometry(
        shape=(len(headers), int(headers[0].Rows), int(headers[0].Columns)),
        origin_mm=tuple(float(v) for v in headers[0].ImagePositionPatient),
        spacing_mm=(column_spacing, row_spacing, float(np.mean(np.diff(heights)))),
        direction=tuple(np.column_stack([row, col, normal]).reshape(-1)),
    )


@pytest.mark.validation
def test_dro_rtstruct_against_reference_mask(shared_dir: Path) -> None:
    """The SUV DROs' RTSTRUCT rasterised on the PET grid, against DRO_mask.nii.gz.

    Measured (all 17 DROs identical): 174 690 voxels from the RTSTRUCT, 203 202 in
    the NIfTI mask, none outside it; Dice 0.9245. The difference is in the data:
    the mask has 18 slices (k = 1..18, 11 289 voxels each), the contours only 16
    planes (z = 8..68 mm, k = 2..17), and every contour runs 0.6-1.6 voxels inside
    the mask's edge (contour radius 58.4-59.3 voxels, mask 60). Of the 5934 mask
    voxels missing on contoured slices, 1443 do not even touch the polygon (centre
    farther than half a voxel diagonal from it) and no voxel the polygon touches
    is outside the mask, so no centre-inside or boundary convention can reproduce
    the mask.
    """
    folders = sorted(p for p in (shared_dir / "validation" / "suv").glob("DRO_*") if p.is_dir())
    assert len(folders) == 17
    first: np.ndarray | None = None
    for folder in folders:
        geometry = _pet_geometry(folder / "PT")
        (rs_path,) = sorted((folder / "RS").glob("*.dcm"))
        reference = read_itk_image(folder / "mask" / "DRO_mask.nii.gz")
        assert reference.geometry.same_grid(geometry)
        truth = reference.array != 0
        (name,) = rtstruct_roi_names(rs_path)
        mask = rasterize_rtstruct(rs_path, geometry, name)
        both = np.count_nonzero(mask.array & truth)
        dice = 2 * both / (mask.voxel_count + np.count_nonzero(truth))
        assert np.count_nonzero(mask.array & ~truth) == 0, folder.name
        assert dice > 0.92, (folder.name, dice)
        ds = pydicom.dcmread(rs_path)
        contours = ds.ROIContourSequence[0].ContourSequence
        planes = sorted(
            round(float(geometry.lps_to_index(np.asarray(c.ContourData, float)[:3])[2]))
            for c in contours
        )
        assert np.flatnonzero(mask.array.any(axis=(1, 2))).tolist() == planes
        if first is not None:
            np.testing.assert_array_equal(mask.array, first)
            continue
        first = mask.array
        # investigation of the difference (DRO_0_0; the others are identical)
        missed_on_contoured = untouched = 0
        nk, nj, ni = geometry.shape
        jj, ii = np.mgrid[0:nj, 0:ni]
        centres = np.column_stack([ii.ravel(), jj.ravel()]).astype(float)
        for contour in contours:
            ijk = geometry.lps_to_index(np.asarray(contour.ContourData, float).reshape(-1, 3))
            k = round(float(ijk[0, 2]))
            # the fill agrees with matplotlib except for centres exactly on an edge
            inside = MplPath(ijk[:, :2]).contains_points(centres).reshape(nj, ni)
            assert np.count_nonzero(inside != mask.array[k]) <= 1
            # the polygon touches no voxel outside the mask (8 x 8 sub-voxel fill)
            fine = fill_polygons_even_odd([(ijk[:, :2] + 0.5) * 8 - 0.5], (nj * 8, ni * 8))
            touched = fine.reshape(nj, 8, ni, 8).any(axis=(1, 3))
            assert np.count_nonzero(touched & ~truth[k]) == 0
            missed = np.argwhere(truth[k] & ~mask.array[k])[:, ::-1].astype(float)  # (i, j)
            missed_on_contoured += len(missed)
            untouched += np.count_nonzero(_distance_to_edges(missed, ijk[:, :2]) > math.sqrt(0.5))
        uncontoured = np.ones(nk, bool)
        uncontoured[planes] = False
        on_uncontoured = np.count_nonzero(truth[uncontoured])
        assert on_uncontoured > 0  # the mask's first and last slices have no contour
        assert missed_on_contoured + on_uncontoured == np.count_nonzero(truth & ~mask.array)
        assert untouched > 0.2 * missed_on_contoured

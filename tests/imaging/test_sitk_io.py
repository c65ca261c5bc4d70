"""SimpleITK bridge and NIfTI / NRRD input-output (theranostix.imaging._sitk)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging import (
    Geometry,
    ImageUnit,
    Mask,
    Modality,
    Volume,
    from_sitk,
    read_itk_image,
    to_sitk,
    write_nifti,
)

LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0])


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues' rotation matrix about ``axis`` by ``angle`` radians."""
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def oblique_geometry(shape: tuple[int, int, int] = (3, 4, 5)) -> Geometry:
    matrix = rotation(np.array([1.0, 2.0, 3.0]), 0.7)
    return Geometry(
        shape,
        origin_mm=(-12.5, 30.25, 7.125),
        spacing_mm=(0.8, 1.3, 2.7),
        direction=tuple(matrix.reshape(-1)),
    )


def test_round_trip_is_exact() -> None:
    geometry = oblique_geometry()
    rng = np.random.default_rng(1)
    for dtype in (np.int16, np.uint8, np.float32, np.float64, np.int32):
        array = (rng.normal(size=geometry.shape) * 100).astype(dtype)
        volume = Volume(array, geometry, ImageUnit.BQ_PER_ML, Modality.PT)
        image = to_sitk(volume)
        assert image.GetSize() == (5, 4, 3)
        back = from_sitk(image, unit=ImageUnit.BQ_PER_ML, modality=Modality.PT)
        assert back.geometry == geometry
        assert back.array.dtype == dtype
        np.testing.assert_array_equal(back.array, array)
        assert back.unit is ImageUnit.BQ_PER_ML and back.modality is Modality.PT


def test_sitk_positions_agree_with_geometry() -> None:
    geometry = oblique_geometry()
    image = to_sitk(Volume(np.zeros(geometry.shape), geometry))
    for ijk in [(0, 0, 0), (4, 0, 0), (1, 3, 2), (4, 3, 2)]:
        np.testing.assert_allclose(
            image.TransformIndexToPhysicalPoint(ijk), geometry.index_to_lps(ijk), atol=1e-12
        )


def test_mask_becomes_uint8() -> None:
    geometry = oblique_geometry()
    array = np.zeros(geometry.shape, bool)
    array[1, 2, 3] = True
    image = to_sitk(Mask(array, geometry, "m"))
    assert image.GetPixelID() == sitk.sitkUInt8
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), array.astype(np.uint8))


@st.composite
def geometries(draw: st.DrawFn) -> Geometry:
    shape = tuple(draw(st.integers(1, 6)) for _ in range(3))
    origin = tuple(draw(st.floats(-500, 500)) for _ in range(3))
    spacing = tuple(draw(st.floats(0.1, 10)) for _ in range(3))
    axis = np.array([draw(st.floats(-1, 1)) for _ in range(3)]) + np.array([0, 0, 1e-3])
    angle = draw(st.floats(-np.pi, np.pi))
    matrix = rotation(axis, angle) @ np.diag([1.0, 1.0, draw(st.sampled_from([1.0, -1.0]))])
    return Geometry(shape, origin, spacing, tuple(matrix.reshape(-1)))  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(geometries(), st.integers(0, 2**31))
def test_round_trip_property(geometry: Geometry, seed: int) -> None:
    array = np.random.default_rng(seed).normal(size=geometry.shape)
    back = from_sitk(to_sitk(Volume(array, geometry)))
    assert back.geometry == geometry
    np.testing.assert_array_equal(back.array, array)


def test_from_sitk_rejects_non_volumes() -> None:
    with pytest.raises(ThxError, match="2-D image"):
        from_sitk(sitk.Image(4, 5, sitk.sitkFloat32))
    with pytest.raises(ThxError, match="4-D image"):
        from_sitk(sitk.Image([2, 3, 4, 5], sitk.sitkFloat32))
    with pytest.raises(ThxError, match="3 components per voxel"):
        from_sitk(sitk.Image([2, 3, 4], sitk.sitkVectorFloat32, 3))


def nifti1(
    array: np.ndarray,
    *,
    pixdim: tuple[float, float, float],
    qform: tuple[np.ndarray, np.ndarray, float] | None = None,
    sform: np.ndarray | None = None,
) -> bytes:
    """A single-file NIfTI-1 image of int16 ``array[k, j, i]``, written field by field.

    ``qform`` is (rotation matrix, offset, qfac); ``sform`` a 3x4 RAS affine.
    Field offsets from the NIfTI-1 header definition (nifti1.h).
    """
    header = bytearray(348)
    nk, nj, ni = array.shape
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, ni, nj, nk, 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, 4, 16)  # DT_INT16, 16 bits
    qfac = qform[2] if qform is not None else 1.0
    struct.pack_into("<8f", header, 76, qfac, *pixdim, 0, 0, 0, 0)
    struct.pack_into("<f", header, 108, 352.0)  # vox_offset
    struct.pack_into("<ff", header, 112, 1.0, 0.0)  # scl_slope, scl_inter
    header[123] = 2  # xyzt_units: millimetres
    if qform is not None:
        matrix, offset, _ = qform
        a = 0.5 * np.sqrt(1 + np.trace(matrix))
        b = (matrix[2, 1] - matrix[1, 2]) / (4 * a)
        c = (matrix[0, 2] - matrix[2, 0]) / (4 * a)
        d = (matrix[1, 0] - matrix[0, 1]) / (4 * a)
        struct.pack_into("<h", header, 252, 1)
        struct.pack_into("<6f", header, 256, b, c, d, *offset)
    if sform is not None:
        struct.pack_into("<h", header, 254, 1)
        struct.pack_into("<12f", header, 280, *np.asarray(sform, float).reshape(-1))
    header[344:348] = b"n+1\0"
    return bytes(header) + b"\0\0\0\0" + array.astype("<i2").tobytes()


def _expected_lps(affine_ras: np.ndarray, ijk: np.ndarray) -> np.ndarray:
    return (LPS_FROM_RAS @ (affine_ras[:, :3] @ ijk.T + affine_ras[:, 3:])).T


IJK = np.array([[0, 0, 0], [4, 0, 0], [0, 3, 0], [0, 0, 2], [4, 3, 2], [1, 2, 1]], float)


@pytest.mark.parametrize("qfac", [1.0, -1.0])
def test_nifti_qform_is_converted_from_ras(tmp_path: Path, qfac: float) -> None:
    matrix = rotation(np.array([0.3, -0.5, 1.0]), 0.9)
    offset = np.array([10.0, -20.0, 30.0])
    pixdim = (2.0, 3.0, 4.0)
    array = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5)
    path = tmp_path / "q.nii"
    path.write_bytes(nifti1(array, pixdim=pixdim, qform=(matrix, offset, qfac)))
    volume = read_itk_image(path, unit=ImageUnit.SUV)
    affine = np.column_stack([matrix @ np.diag([1.0, 1.0, qfac]) @ np.diag(pixdim), offset])
    np.testing.assert_allclose(
        volume.geometry.index_to_lps(IJK), _expected_lps(affine, IJK), atol=1e-4
    )
    np.testing.assert_array_equal(volume.array, array)  # i fastest in the file = [k, j, i]
    assert volume.unit is ImageUnit.SUV and volume.metadata["source"] == str(path)


def test_nifti_sform_is_converted_from_ras(tmp_path: Path) -> None:
    matrix = rotation(np.array([1.0, 1.0, 0.0]), -0.4)
    affine = np.column_stack([matrix @ np.diag([1.5, 2.5, 3.5]), [-5.0, 7.0, 100.0]])
    array = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    path = tmp_path / "s.nii.gz"
    path.write_bytes(gzip.compress(nifti1(array, pixdim=(1.5, 2.5, 3.5), sform=affine)))
    volume = read_itk_image(path)
    np.testing.assert_allclose(
        volume.geometry.index_to_lps(IJK), _expected_lps(affine, IJK), atol=1e-4
    )
    np.testing.assert_array_equal(volume.array, array)


def _read_header(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data)[:352] if path.name.endswith(".gz") else data[:352]


@pytest.mark.parametrize("name", ["v.nii", "v.nii.gz"])
def test_write_nifti_stores_ras_and_reads_back(tmp_path: Path, name: str) -> None:
    geometry = oblique_geometry()
    array = np.random.default_rng(3).normal(size=geometry.shape).astype(np.float32)
    path = write_nifti(Volume(array, geometry), tmp_path / name)
    header = _read_header(path)
    assert struct.unpack_from("<h", header, 254)[0] > 0  # sform present
    srow = np.array(struct.unpack_from("<12f", header, 280)).reshape(3, 4)
    np.testing.assert_allclose(srow, LPS_FROM_RAS @ geometry.affine[:3], atol=1e-5)
    back = read_itk_image(path)
    np.testing.assert_array_equal(back.array, array)
    np.testing.assert_allclose(back.geometry.affine, geometry.affine, atol=1e-5)
    assert back.geometry.shape == geometry.shape


def test_write_nifti_mask_as_uint8(tmp_path: Path) -> None:
    geometry = oblique_geometry()
    array = np.zeros(geometry.shape, bool)
    array[0, 1, 2] = array[2, 3, 4] = True
    path = write_nifti(Mask(array, geometry, "m"), tmp_path / "m.nii.gz")
    assert struct.unpack_from("<hh", _read_header(path), 70) == (2, 8)  # DT_UINT8
    back = read_itk_image(path)
    assert back.array.dtype == np.uint8
    np.testing.assert_array_equal(back.array, array.astype(np.uint8))


def test_write_nifti_rejects_other_extensions(tmp_path: Path) -> None:
    volume = Volume(np.zeros((1, 2, 2)), Geometry((1, 2, 2)))
    with pytest.raises(ThxError, match=r"out\.nrrd: a NIfTI file name must end"):
        write_nifti(volume, tmp_path / "out.nrrd")


@pytest.mark.parametrize(
    ("space", "flip"),
    [("left-posterior-superior", np.eye(3)), ("right-anterior-superior", LPS_FROM_RAS)],
)
def test_nrrd_space_directions(tmp_path: Path, space: str, flip: np.ndarray) -> None:
    array = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    header = (
        "NRRD0004\n"
        "type: short\n"
        "dimension: 3\n"
        f"space: {space}\n"
        "sizes: 4 3 2\n"
        "space directions: (0,1.5,0) (-2,0,0) (0,0,2.5)\n"
        "kinds: domain domain domain\n"
        "endian: little\n"
        "encoding: raw\n"
        "space origin: (1,2,3)\n\n"
    )
    path = tmp_path / "v.nrrd"
    path.write_bytes(header.encode() + array.astype("<i2").tobytes())
    volume = read_itk_image(path)
    columns = np.array([[0, 1.5, 0], [-2, 0, 0], [0, 0, 2.5]]).T  # i, j, k vectors
    expected = (flip @ (columns @ IJK[:, :3].T[:, :] + np.array([[1], [2], [3]]))).T
    np.testing.assert_allclose(volume.geometry.index_to_lps(IJK), expected, atol=1e-9)
    np.testing.assert_array_equal(volume.array, array)


def test_nhdr_round_trip(tmp_path: Path) -> None:
    geometry = oblique_geometry()
    array = np.arange(60, dtype=np.float64).reshape(geometry.shape)
    sitk.WriteImage(to_sitk(Volume(array, geometry)), str(tmp_path / "v.nhdr"))
    back = read_itk_image(tmp_path / "v.nhdr")
    np.testing.assert_allclose(back.geometry.affine, geometry.affine, atol=1e-12)
    np.testing.assert_array_equal(back.array, array)


def test_read_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DicomReadError, match=r"absent\.nii: no such file"):
        read_itk_image(tmp_path / "absent.nii")
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(b"definitely not an image")
    with pytest.raises(DicomReadError, match=r"bad\.nii\.gz: cannot be read as \.nii\.gz"):
        read_itk_image(bad)
    other = tmp_path / "v.mha"
    other.write_bytes(b"x")
    with pytest.raises(DicomReadError, match=r"v\.mha: unsupported image file type '\.mha'"):
        read_itk_image(other)


def test_4d_and_vector_images_are_rejected(tmp_path: Path) -> None:
    frames = [sitk.Image([4, 3, 2], sitk.sitkFloat32) for _ in range(3)]
    sitk.WriteImage(sitk.JoinSeries(frames), str(tmp_path / "t.nii.gz"))
    with pytest.raises(DicomReadError, match=r"t\.nii\.gz: is a 4-D image of size \(4, 3, 2, 3\)"):
        read_itk_image(tmp_path / "t.nii.gz")
    sitk.WriteImage(sitk.Compose(frames), str(tmp_path / "vec.nrrd"))
    with pytest.raises(DicomReadError, match=r"vec\.nrrd: has 3 components per voxel"):
        read_itk_image(tmp_path / "vec.nrrd")

"""Region statistics and IBSI local/global intensity peaks."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import theranostix.imaging._stats as stats_module
from theranostix.errors import ThxError
from theranostix.imaging._stats import (
    RoiStatistics,
    global_intensity_peak,
    local_intensity_peak,
    roi_statistics,
    sphere_radius_mm,
)
from theranostix.imaging._volume import Geometry, GeometryMismatchError, ImageUnit, Mask, Volume


def _rotation(angle_rad: float) -> tuple[float, ...]:
    """Direction matrix (row-major) rotating i and j about k, and tilting k about i."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return tuple((rz @ rx).ravel())


def _brute_force_sphere_mean(
    geometry: Geometry, image: np.ndarray, centre_kji: tuple[int, int, int], radius_mm: float
) -> float:
    """Sphere mean from the LPS position of every voxel of the image (no index offsets)."""
    nk, nj, ni = geometry.shape
    kk, jj, ii = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
    ijk = np.stack([ii.ravel(), jj.ravel(), kk.ravel()], axis=1)
    lps = geometry.index_to_lps(ijk)
    k, j, i = centre_kji
    centre = geometry.index_to_lps([[i, j, k]])[0]
    inside = np.linalg.norm(lps - centre, axis=1) <= radius_mm * (1 + 1e-9)
    return float(image.ravel()[inside].mean())


# ----------------------------------------------------------------------------- IBSI


def _ibsi_reference(path: Path, tag: str) -> tuple[float, float, int]:
    """Reference value, tolerance and number of decimals written, for one feature tag."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["tag"] == tag:
                text = row["reference value"].strip()
                decimals = len(text.split(".")[1]) if "." in text else 0
                return float(text), float(row["tolerance"]), decimals
    raise AssertionError(f"{tag} not in {path}")


@pytest.mark.validation
def test_ibsi_digital_phantom_local_and_global_peak(shared_dir: Path) -> None:
    sitk = pytest.importorskip("SimpleITK")
    folder = shared_dir / "validation" / "ibsi" / "digital_phantom"
    image = sitk.ReadImage(str(folder / "image.nii.gz"))
    mask_image = sitk.ReadImage(str(folder / "mask.nii.gz"))
    array = sitk.GetArrayFromImage(image).astype(float)
    geometry = Geometry(
        array.shape, image.GetOrigin(), image.GetSpacing(), tuple(image.GetDirection())
    )
    mask_geometry = Geometry(
        sitk.GetArrayFromImage(mask_image).shape,
        mask_image.GetOrigin(),
        mask_image.GetSpacing(),
        tuple(mask_image.GetDirection()),
    )
    volume = Volume(array, geometry)
    mask = Mask(sitk.GetArrayFromImage(mask_image) > 0, mask_geometry, "digital phantom")
    reference = shared_dir / "validation/ibsi/reference/ibsi_1_reference_values_digital_phantom.csv"

    for tag, value in (
        ("loc_peak_loc", local_intensity_peak(volume, mask)),
        ("loc_peak_glob", global_intensity_peak(volume, mask)),
    ):
        expected, tolerance, decimals = _ibsi_reference(reference, tag)
        # The reference is given to `decimals` places with tolerance 0: the value must round to it.
        assert abs(value - expected) <= tolerance + 0.5 * 10.0**-decimals, (tag, value, expected)
        assert round(value, decimals) == expected
    assert roi_statistics(volume, mask).peak == local_intensity_peak(volume, mask)


# ----------------------------------------------------------------------------- analytic cases


def test_sphere_radius_of_one_millilitre() -> None:
    radius = sphere_radius_mm(1.0)
    assert 4.0 / 3.0 * math.pi * radius**3 == pytest.approx(1000.0, rel=1e-12)
    assert radius == pytest.approx(6.2035, abs=1e-4)
    with pytest.raises(ThxError, match="sphere volume"):
        sphere_radius_mm(0.0)
    with pytest.raises(ThxError, match="sphere volume"):
        sphere_radius_mm(float("nan"))


def test_uniform_image_peak_equals_value_on_oblique_anisotropic_grid() -> None:
    geometry = Geometry(
        (7, 9, 8), origin_mm=(-40, 12, 300), spacing_mm=(1.7, 2.3, 4.1), direction=_rotation(0.4)
    )
    volume = Volume(np.full(geometry.shape, 3.25), geometry, ImageUnit.SUV)
    region = np.zeros(geometry.shape, bool)
    region[0, 0, 0] = region[3, 4, 4] = True  # a corner voxel: sphere cut by the image edge
    mask = Mask(region, geometry, "two voxels")
    assert local_intensity_peak(volume, mask) == pytest.approx(3.25, rel=1e-15)
    assert global_intensity_peak(volume, mask) == pytest.approx(3.25, rel=1e-12)


@pytest.mark.parametrize(
    ("spacing", "angle", "centre"),
    [
        ((2.0, 2.0, 2.0), 0.0, (5, 5, 5)),
        ((0.9, 1.3, 3.0), 0.0, (5, 6, 7)),
        ((0.9, 1.3, 3.0), 0.7, (5, 6, 7)),
        ((1.5, 2.5, 4.0), 1.1, (0, 1, 10)),  # at the image edge: missing voxels not counted
    ],
)
def test_single_hot_voxel_mean_over_voxels_within_radius(
    spacing: tuple[float, float, float], angle: float, centre: tuple[int, int, int]
) -> None:
    geometry = Geometry(
        (11, 13, 12), origin_mm=(5, -7, 20), spacing_mm=spacing, direction=_rotation(angle)
    )
    image = np.zeros(geometry.shape)
    image[centre] = 50.0
    region = np.zeros(geometry.shape, bool)
    region[centre] = True
    volume, mask = Volume(image, geometry), Mask(region, geometry)

    expected = _brute_force_sphere_mean(geometry, image, centre, sphere_radius_mm(1.0))
    # The hot voxel is alone in the sphere: the peak is its value over the voxel count.
    count = 50.0 / expected
    assert count == pytest.approx(round(count), abs=1e-9)
    assert local_intensity_peak(volume, mask) == pytest.approx(expected, rel=1e-12)
    assert global_intensity_peak(volume, mask) == pytest.approx(expected, rel=1e-12)


def test_anisotropic_slices_thicker_than_the_radius_give_a_disc() -> None:
    # 1 mm pixels and 10 mm slices: the 6.2 mm sphere holds only in-plane voxels.
    geometry = Geometry((5, 21, 21), spacing_mm=(1.0, 1.0, 10.0))
    image = np.zeros(geometry.shape)
    image[1, :, :] = image[3, :, :] = 100.0  # warm slices above and below must not count
    image[2, 10, 10] = 1000.0
    region = np.zeros(geometry.shape, bool)
    region[2, 10, 10] = True
    radius = sphere_radius_mm(1.0)
    disc = sum(1 for a in range(-10, 11) for b in range(-10, 11) if math.hypot(a, b) <= radius)
    assert local_intensity_peak(Volume(image, geometry), Mask(region, geometry)) == pytest.approx(
        1000.0 / disc, rel=1e-12
    )


def test_local_peak_uses_image_voxels_outside_the_region() -> None:
    geometry = Geometry((9, 9, 9), spacing_mm=(2.0, 2.0, 2.0))
    image = np.full(geometry.shape, 10.0)
    image[4, 4, 4] = 20.0
    region = np.zeros(geometry.shape, bool)
    region[4, 4, 4] = True
    mean = _brute_force_sphere_mean(geometry, image, (4, 4, 4), sphere_radius_mm(1.0))
    assert local_intensity_peak(Volume(image, geometry), Mask(region, geometry)) == pytest.approx(
        mean, rel=1e-12
    )
    assert mean > 10.0


def test_tied_maxima_take_the_highest_local_mean() -> None:
    geometry = Geometry((12, 12, 12), spacing_mm=(2.0, 2.0, 2.0))
    image = np.zeros(geometry.shape)
    image[3, 3, 3] = image[8, 8, 8] = 9.0
    image[8, 8, 9] = 4.0  # a warm neighbour next to the second maximum only
    region = np.zeros(geometry.shape, bool)
    region[3, 3, 3] = region[8, 8, 8] = True
    radius = sphere_radius_mm(1.0)
    first = _brute_force_sphere_mean(geometry, image, (3, 3, 3), radius)
    second = _brute_force_sphere_mean(geometry, image, (8, 8, 8), radius)
    assert second > first
    assert local_intensity_peak(Volume(image, geometry), Mask(region, geometry)) == pytest.approx(
        second, rel=1e-12
    )


def test_global_peak_is_the_highest_sphere_mean_over_the_region() -> None:
    rng = np.random.default_rng(7)
    geometry = Geometry((10, 11, 12), spacing_mm=(1.8, 2.2, 3.1), direction=_rotation(0.3))
    image = rng.gamma(2.0, 3.0, geometry.shape)
    region = np.zeros(geometry.shape, bool)
    region[2:7, 3:9, 1:5] = True
    radius = sphere_radius_mm(1.0)
    means = [
        _brute_force_sphere_mean(geometry, image, tuple(int(v) for v in kji), radius)
        for kji in np.argwhere(region)
    ]
    volume, mask = Volume(image, geometry), Mask(region, geometry)
    assert global_intensity_peak(volume, mask) == pytest.approx(max(means), rel=1e-12)
    assert global_intensity_peak(volume, mask) >= local_intensity_peak(volume, mask)


def test_fft_and_direct_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    geometry = Geometry((14, 15, 16), spacing_mm=(1.1, 1.4, 2.5))
    image = rng.normal(100.0, 20.0, geometry.shape)
    region = np.zeros(geometry.shape, bool)
    region[0:6, 4:12, 9:16] = True  # touching image edges
    image[3, 8, 12] = image[5, 5, 10] = image.max() + 1.0  # two tied maxima
    volume, mask = Volume(image, geometry), Mask(region, geometry)
    direct_global = global_intensity_peak(volume, mask)
    direct_local = local_intensity_peak(volume, mask)
    monkeypatch.setattr(stats_module, "_DIRECT_LIMIT", 0)
    monkeypatch.setattr(stats_module, "_GATHER_LIMIT", 0)
    assert global_intensity_peak(volume, mask) == pytest.approx(direct_global, rel=1e-10)
    assert local_intensity_peak(volume, mask) == pytest.approx(direct_local, rel=1e-10)


def test_nan_outside_the_region_is_not_counted() -> None:
    geometry = Geometry((5, 5, 5), spacing_mm=(5.0, 5.0, 5.0))  # 7 voxels in the sphere
    image = np.full(geometry.shape, 2.0)
    image[2, 2, 2] = 9.0
    image[2, 2, 3] = np.nan
    region = np.zeros(geometry.shape, bool)
    region[2, 2, 2] = True
    assert local_intensity_peak(Volume(image, geometry), Mask(region, geometry)) == pytest.approx(
        (9.0 + 5 * 2.0) / 6
    )


def test_roi_statistics_values() -> None:
    rng = np.random.default_rng(3)
    geometry = Geometry((6, 7, 8), spacing_mm=(2.0, 3.0, 4.0))
    image = rng.uniform(0.0, 10.0, geometry.shape)
    region = image > 6.0
    volume = Volume(image, geometry, ImageUnit.BQ_PER_ML)
    mask = Mask(region, geometry, "hot")
    result = roi_statistics(volume, mask, peak_volume_ml=2.0)
    values = image[region]
    assert isinstance(result, RoiStatistics)
    assert result.name == "hot"
    assert result.voxels == values.size
    assert result.volume_ml == pytest.approx(values.size * 2.0 * 3.0 * 4.0 / 1000.0)
    assert (result.max, result.min) == (values.max(), values.min())
    assert result.mean == pytest.approx(values.mean())
    assert result.std == pytest.approx(math.sqrt(((values - values.mean()) ** 2).mean()))
    assert result.peak == local_intensity_peak(volume, mask, sphere_volume_ml=2.0)
    assert result.unit == "Bq/mL"
    assert result.as_dict()["voxels"] == values.size


# ----------------------------------------------------------------------------- errors


def test_mask_on_another_grid_is_refused() -> None:
    geometry = Geometry((4, 4, 4), spacing_mm=(2.0, 2.0, 2.0))
    other = Geometry((4, 4, 4), spacing_mm=(2.0, 2.0, 2.5))
    volume = Volume(np.ones(geometry.shape), geometry)
    mask = Mask(np.ones(other.shape, bool), other, "liver")
    with pytest.raises(GeometryMismatchError, match="mask 'liver'"):
        roi_statistics(volume, mask)
    with pytest.raises(GeometryMismatchError, match="resample"):
        local_intensity_peak(volume, mask)


def test_empty_mask_is_refused_by_name() -> None:
    geometry = Geometry((4, 4, 4))
    volume = Volume(np.ones(geometry.shape), geometry)
    mask = Mask(np.zeros(geometry.shape, bool), geometry, "lesion 3")
    for function in (roi_statistics, local_intensity_peak, global_intensity_peak):
        with pytest.raises(ThxError, match="mask 'lesion 3' is empty"):
            function(volume, mask)


def test_nan_inside_the_region_is_refused() -> None:
    geometry = Geometry((4, 4, 4))
    image = np.ones(geometry.shape)
    image[1, 1, 1] = np.nan
    with pytest.raises(ThxError, match=r"mask 'tumour' covers 1 voxel"):
        roi_statistics(
            Volume(image, geometry), Mask(np.ones(geometry.shape, bool), geometry, "tumour")
        )


# ----------------------------------------------------------------------------- properties


@st.composite
def _image_and_mask(draw: st.DrawFn) -> tuple[Volume, Mask]:
    shape = draw(st.tuples(*(st.integers(1, 6) for _ in range(3))))
    spacing = draw(st.tuples(*(st.floats(0.8, 8.0) for _ in range(3))))
    angle = draw(st.floats(0.0, math.pi))
    geometry = Geometry(shape, spacing_mm=spacing, direction=_rotation(angle))
    image = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e3, 1e3, width=32)))
    region = draw(hnp.arrays(np.bool_, shape))
    flat = draw(st.integers(0, int(np.prod(shape)) - 1))
    region.flat[flat] = True
    return Volume(image, geometry), Mask(region, geometry)


@settings(max_examples=60, deadline=None)
@given(_image_and_mask())
def test_peak_lies_between_image_min_and_max(case: tuple[Volume, Mask]) -> None:
    volume, mask = case
    local = local_intensity_peak(volume, mask)
    glob = global_intensity_peak(volume, mask)
    slack = 1e-9 * (1.0 + np.abs(volume.array).max())
    assert volume.array.min() - slack <= local <= volume.array.max() + slack
    assert local <= glob + slack
    assert glob <= volume.array.max() + slack


@settings(max_examples=60, deadline=None)
@given(_image_and_mask(), st.data())
def test_local_peak_ignores_region_voxels_below_the_maximum(
    case: tuple[Volume, Mask], data: st.DataObject
) -> None:
    volume, mask = case
    image = volume.array
    highest = image[mask.array].max()
    extra = data.draw(hnp.arrays(np.bool_, image.shape))
    grown = Mask(mask.array | (extra & (image < highest)), mask.geometry)
    # Only the sphere around the hottest region voxel(s) matters, not the region's shape.
    hottest = Mask(mask.array & (image == highest), mask.geometry)
    peak = local_intensity_peak(volume, mask)
    assert local_intensity_peak(volume, grown) == peak
    assert local_intensity_peak(volume, hottest) == peak

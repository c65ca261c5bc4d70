"""Resampling of volumes and masks (theranostix.imaging._resample)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theranostix.errors import ThxError
from theranostix.imaging import (
    Geometry,
    ImageUnit,
    Interpolation,
    Mask,
    Modality,
    Timing,
    Volume,
    resample_mask,
    resample_volume,
)
from theranostix.imaging._resample import coverage_fraction


def rotation_z(degrees: float) -> tuple[float, ...]:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return (c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0)


SOURCE = Geometry(
    (6, 7, 8), origin_mm=(-3.0, 4.0, 10.0), spacing_mm=(2.0, 1.5, 3.0), direction=rotation_z(20)
)


def random_volume(geometry: Geometry = SOURCE, unit: ImageUnit = ImageUnit.BQ_PER_ML) -> Volume:
    array = np.random.default_rng(0).uniform(0, 100, geometry.shape)
    return Volume(array, geometry, unit, Modality.PT, metadata={"series_uid": "1.2.3"})


@pytest.mark.parametrize("interpolation", list(Interpolation))
def test_identity_resampling_returns_the_array(interpolation: Interpolation) -> None:
    volume = random_volume()
    out = resample_volume(volume, SOURCE, interpolation)
    np.testing.assert_allclose(out.array, volume.array, rtol=1e-12, atol=1e-9)
    assert out.geometry == SOURCE


def test_nearest_keeps_type_and_linear_gives_float() -> None:
    volume = Volume(np.arange(8 * 7 * 6, dtype=np.int16).reshape(SOURCE.shape), SOURCE)
    nearest = resample_volume(volume, SOURCE, "nearest")
    assert nearest.array.dtype == np.int16
    np.testing.assert_array_equal(nearest.array, volume.array)
    assert resample_volume(volume, SOURCE, "LINEAR").array.dtype == np.float64


def test_integer_shift_moves_the_array_and_fills() -> None:
    volume = random_volume()
    # reference grid moved by +2 voxels along i and -1 along k (in the source's own axes)
    origin = SOURCE.index_to_lps([2, 0, -1])
    shifted = replace(SOURCE, origin_mm=tuple(origin))
    out = resample_volume(volume, shifted, Interpolation.NEAREST)
    np.testing.assert_array_equal(out.array[1:, :, :-2], volume.array[:-1, :, 2:])
    assert (out.array[0] == 0).all() and (out.array[:, :, -2:] == 0).all()
    hu = resample_volume(random_volume(unit=ImageUnit.HU), shifted, "linear")
    assert (hu.array[0] == -1024).all()
    custom = resample_volume(volume, shifted, "linear", fill_value=-7.5)
    assert (custom.array[:, :, -2:] == -7.5).all()


def test_value_at_a_point_lands_at_its_index() -> None:
    array = np.zeros(SOURCE.shape)
    array[3, 4, 5] = 42.0  # (i, j, k) = (5, 4, 3)
    point = SOURCE.index_to_lps([5, 4, 3])
    # another grid: other spacing, rotated 90 degrees about z, a voxel centre on the point
    spacing = (0.5, 1.0, 1.5)
    reference = Geometry(
        (20, 30, 40), origin_mm=(0.0, 0.0, 0.0), spacing_mm=spacing, direction=rotation_z(90)
    )
    index = np.array([13, 11, 6])
    origin = point - reference.index_to_lps(index)
    reference = replace(reference, origin_mm=tuple(origin))
    out = resample_volume(Volume(array, SOURCE), reference, "nearest")
    hot = np.argwhere(out.array == 42.0)
    assert [13, 11, 6] in hot[:, ::-1].tolist()
    np.testing.assert_allclose(
        SOURCE.lps_to_index(reference.index_to_lps(hot[:, ::-1])),
        np.tile([5, 4, 3], (len(hot), 1)),
        atol=0.5 + 1e-9,
    )


def test_linear_reproduces_linear_fields() -> None:
    # v = a . x + b at voxel centres; trilinear interpolation is exact for it
    a, b = np.array([0.3, -1.2, 2.0]), 5.0
    nk, nj, ni = SOURCE.shape
    ijk = np.stack(np.meshgrid(np.arange(ni), np.arange(nj), np.arange(nk), indexing="ij"), -1)
    values = (SOURCE.index_to_lps(ijk) @ a + b).transpose(2, 1, 0)
    reference = Geometry(
        (4, 5, 6),
        origin_mm=tuple(SOURCE.index_to_lps([1.3, 1.7, 1.2])),
        spacing_mm=(1.1, 0.9, 2.0),
        direction=rotation_z(35),
    )
    out = resample_volume(Volume(values, SOURCE), reference, "linear")
    rk, rj, ri = reference.shape
    out_ijk = np.stack(np.meshgrid(np.arange(ri), np.arange(rj), np.arange(rk), indexing="ij"), -1)
    centres = reference.index_to_lps(out_ijk)
    inside = np.all(
        (SOURCE.lps_to_index(centres) >= 0)
        & (SOURCE.lps_to_index(centres) <= [ni - 1, nj - 1, nk - 1]),
        axis=-1,
    ).transpose(2, 1, 0)
    expected = (centres @ a + b).transpose(2, 1, 0)
    assert inside.sum() > 20
    np.testing.assert_allclose(out.array[inside], expected[inside], atol=1e-9)


def test_metadata_and_units_are_kept() -> None:
    start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    times = tuple(start + timedelta(minutes=2 * k) for k in range(6))
    volume = replace(
        random_volume(),
        timing=Timing(slice_acquisition_times=times, slice_frame_durations_s=(120.0,) * 6),
    )
    # three slices per source slice, starting at source slice 1: k_source = 1 + k / 3
    reference = replace(
        SOURCE,
        shape=(8, 7, 8),
        spacing_mm=(2.0, 1.5, 1.0),
        origin_mm=tuple(SOURCE.index_to_lps([0, 0, 1])),
    )
    out = resample_volume(volume, reference)
    assert out.unit is ImageUnit.BQ_PER_ML and out.modality is Modality.PT
    assert out.metadata == {"series_uid": "1.2.3"} and out.metadata is not volume.metadata
    nearest_source = [round(1 + k / 3) for k in range(8)]
    assert out.timing.slice_acquisition_times == tuple(times[k] for k in nearest_source)
    assert out.timing.slice_frame_durations_s == (120.0,) * 8


def test_unknown_interpolation() -> None:
    with pytest.raises(ThxError, match="unknown interpolation 'cubic'; expected one of nearest"):
        resample_volume(random_volume(), SOURCE, "cubic")


signed_permutations = [
    (perm, signs)
    for perm in itertools.permutations(range(3))
    for signs in itertools.product([1, -1], repeat=3)
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(signed_permutations), st.integers(0, 2**31))
def test_mask_round_trip_through_a_permuted_grid(
    layout: tuple[tuple[int, ...], tuple[int, ...]], seed: int
) -> None:
    perm, signs = layout
    mask = Mask(np.random.default_rng(seed).random(SOURCE.shape) > 0.6, SOURCE, "m")
    # the same voxel centres, with axes permuted and flipped
    matrix = SOURCE.direction_matrix
    nijk = np.array(SOURCE.shape[::-1])
    spacing = np.asarray(SOURCE.spacing_mm)
    # new axis a is old axis perm[a], flipped when signs[a] < 0
    new_direction = matrix[:, list(perm)] * np.array(signs)
    first = np.zeros(3)
    for a in range(3):
        first[perm[a]] = 0 if signs[a] > 0 else nijk[perm[a]] - 1
    other = Geometry(
        tuple(int(n) for n in nijk[list(perm)][::-1]),  # type: ignore[arg-type]
        origin_mm=tuple(SOURCE.index_to_lps(first)),
        spacing_mm=tuple(spacing[list(perm)]),
        direction=tuple(new_direction.reshape(-1)),
    )
    there = resample_mask(mask, other)
    assert there.voxel_count == mask.voxel_count
    back = resample_mask(there, SOURCE)
    np.testing.assert_array_equal(back.array, mask.array)
    assert back.name == "m"


def test_partial_volume_fractions_are_exact() -> None:
    fine = Geometry((6, 6, 6), origin_mm=(0.0, 0.0, 0.0), spacing_mm=(1.0, 1.0, 1.0))
    array = np.zeros(fine.shape, bool)
    array[:3, :3, :3] = True  # the box [-0.5, 2.5] mm along each axis
    mask = Mask(array, fine, "box")
    # output voxels of 2 mm: [-0.5, 1.5] fully inside, [1.5, 3.5] half inside
    coarse = Geometry((3, 3, 3), origin_mm=(0.5, 0.5, 0.5), spacing_mm=(2.0, 2.0, 2.0))
    fraction = coverage_fraction(mask, coarse)
    per_axis = np.array([1.0, 0.5, 0.0])
    expected = per_axis[:, None, None] * per_axis[None, :, None] * per_axis[None, None, :]
    np.testing.assert_array_equal(fraction, expected)
    assert (fraction * coarse.voxel_volume_ml).sum() == pytest.approx(mask.volume_ml)
    pv = resample_mask(mask, coarse, method="partial_volume")
    np.testing.assert_array_equal(pv.array, expected >= 0.5)
    strict = resample_mask(mask, coarse, method="partial_volume", threshold=0.75)
    assert strict.voxel_count == 1


def test_partial_volume_differs_from_nearest_where_the_centre_is_unlike_the_rest() -> None:
    fine = Geometry((3, 3, 3), spacing_mm=(1.0, 1.0, 1.0))
    array = np.ones(fine.shape, bool)
    array[1, 1, 1] = False  # a hollow 3 mm cube: 26 of 27 voxels
    coarse = Geometry((1, 1, 1), origin_mm=(1.0, 1.0, 1.0), spacing_mm=(3.0, 3.0, 3.0))
    assert resample_mask(Mask(array, fine), coarse).voxel_count == 0  # centre voxel is empty
    assert coverage_fraction(Mask(array, fine), coarse)[0, 0, 0] == pytest.approx(26 / 27, abs=0.02)
    assert resample_mask(Mask(array, fine), coarse, method="partial_volume").voxel_count == 1


def test_mask_method_and_threshold_are_checked() -> None:
    mask = Mask(np.ones(SOURCE.shape, bool), SOURCE)
    with pytest.raises(ThxError, match="unknown mask resampling method 'linear'"):
        resample_mask(mask, SOURCE, method="linear")  # type: ignore[arg-type]
    with pytest.raises(ThxError, match=r"threshold must be in \(0, 1\], got 1.5"):
        resample_mask(mask, SOURCE, method="partial_volume", threshold=1.5)


@settings(max_examples=40, deadline=None)
@given(
    st.tuples(st.floats(0.3, 3), st.floats(0.3, 3), st.floats(0.3, 3)),
    st.tuples(st.floats(-5, 5), st.floats(-5, 5), st.floats(-5, 5)),
)
def test_partial_volume_preserves_volume_of_a_box(
    spacing: tuple[float, float, float], shift: tuple[float, float, float]
) -> None:
    fine = Geometry((20, 20, 20), origin_mm=(0.0, 0.0, 0.0), spacing_mm=(0.5, 0.5, 0.5))
    array = np.zeros(fine.shape, bool)
    array[6:14, 6:14, 6:14] = True  # a 4 mm cube from 2.75 to 6.75 mm
    shape = tuple(int(np.ceil(20 / s)) + 1 for s in spacing[::-1])
    reference = Geometry(shape, origin_mm=tuple(np.array(shift) - 8), spacing_mm=spacing)  # type: ignore[arg-type]
    fraction = coverage_fraction(Mask(array, fine), reference)
    covered_ml = fraction.sum() * reference.voxel_volume_ml
    # midpoint rule with n sub-samples per axis: error below one sub-sample layer per face
    n = np.array([min(8, max(2, 2 * int(np.ceil(s / 0.5 - 1e-9)))) for s in spacing])
    band_ml = 6 * 4.0 * 4.0 * float(np.max(np.array(spacing) / n)) / 1000
    assert abs(covered_ml - 0.064) <= band_ml

"""The linear-time GLRLM run counting and GLSZM/GLDZM zone labelling against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from theranostix.radiomics._glrlm import glrlm_features, run_length_per_slice
from theranostix.radiomics._zones import (
    _DZM_TAGS,
    _SZM_TAGS,
    aggregate,
    distance_zone_matrix,
    gldzm_features,
    glszm_features,
    size_zone_matrix,
    zone_features,
)

#: All 26 directions, both senses.
ALL_OFFSETS = [d for d in itertools.product((-1, 0, 1), repeat=3) if d != (0, 0, 0)]


def _image(seed: int, shape: tuple[int, int, int], n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    grey = rng.integers(1, n_levels + 1, size=shape)
    mask = rng.random(shape) < 0.8
    return np.where(mask, grey, 0), mask


def _brute_runs(
    grey: np.ndarray, mask: np.ndarray, offset: tuple[int, int, int], n_levels: int
) -> np.ndarray:
    """Per-slice run counts by walking every line voxel by voxel."""
    shape = grey.shape
    step = np.array(offset)
    counts = np.zeros((shape[0], n_levels, max(shape)), dtype=np.int64)
    for start in itertools.product(*(range(n) for n in shape)):
        previous = np.array(start) - step
        if all(0 <= c < n for c, n in zip(previous, shape, strict=True)):
            continue  # not the first voxel of its line
        voxel, run_level, run_start, length = np.array(start), 0, 0, 0
        while all(0 <= c < n for c, n in zip(voxel, shape, strict=True)):
            value = int(grey[tuple(voxel)]) if mask[tuple(voxel)] else 0
            if value != run_level:
                if run_level:
                    counts[run_start, run_level - 1, length - 1] += 1
                run_level, run_start, length = value, int(voxel[0]), 0
            length += 1
            voxel = voxel + step
        if run_level:
            counts[run_start, run_level - 1, length - 1] += 1
    return counts


@pytest.mark.parametrize("shape", [(3, 4, 5), (5, 2, 3), (1, 6, 4), (4, 1, 1)])
def test_run_counts_match_brute_force_in_every_direction(shape: tuple[int, int, int]) -> None:
    grey, mask = _image(sum(shape), shape, 3)
    for offset in ALL_OFFSETS:
        expected = _brute_runs(grey, mask, offset, 3)
        per_slice = run_length_per_slice(grey, mask, offset, 3)
        np.testing.assert_array_equal(per_slice, expected, err_msg=str(offset))
        volume = run_length_per_slice(grey, mask, offset, 3, per_slice=False)
        total = expected.sum(axis=0)
        longest = max(1, int(np.flatnonzero(total.any(axis=0)).max(initial=-1)) + 1)
        np.testing.assert_array_equal(volume, total[:, :longest], err_msg=str(offset))


def test_glrlm_features_do_not_depend_on_the_chunk_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from theranostix.radiomics import _glrlm

    grey, mask = _image(7, (6, 9, 8), 5)
    reference = glrlm_features(grey, mask, n_levels=5)
    monkeypatch.setattr(_glrlm, "_CHUNK_ELEMENTS", 1)  # one direction at a time
    assert glrlm_features(grey, mask, n_levels=5) == pytest.approx(reference, rel=1e-12)


def _brute_zones(grey: np.ndarray, mask: np.ndarray, in_plane: bool) -> list[tuple[int, ...]]:
    """Zones as (slice, level, size, distance) by labelling every grey level apart."""
    structure = np.ones((3, 3, 3), dtype=bool)
    if in_plane:
        structure[0] = structure[2] = False
    if in_plane:
        metric = np.zeros((3, 3, 3), dtype=bool)
        metric[1] = ndimage.generate_binary_structure(2, 1)
        padded = np.pad(mask, ((0, 0), (1, 1), (1, 1)))
        distance = ndimage.distance_transform_cdt(padded, metric=metric)[:, 1:-1, 1:-1]
    else:
        distance = ndimage.distance_transform_cdt(np.pad(mask, 1), metric="taxicab")
        distance = distance[1:-1, 1:-1, 1:-1]
    zones = []
    for level in range(1, int(grey.max()) + 1):
        labels, count = ndimage.label(mask & (grey == level), structure=structure)
        for n in range(1, count + 1):
            inside = labels == n
            k = int(np.flatnonzero(inside.any(axis=(1, 2)))[0]) if in_plane else 0
            zones.append((k, level, int(inside.sum()), int(distance[inside].min())))
    return sorted(zones)


@pytest.mark.parametrize("in_plane", [True, False])
def test_zone_matrices_match_per_level_labelling(in_plane: bool) -> None:
    grey, mask = _image(3, (4, 7, 6), 3)
    zones = _brute_zones(grey, mask, in_plane)
    sizes, n_voxels = size_zone_matrix(grey, mask, 3, in_plane)
    distances, _ = distance_zone_matrix(grey, mask, 3, in_plane)
    expected_sizes = np.zeros_like(sizes)
    expected_distances = np.zeros_like(distances)
    for _, level, size, distance in zones:
        expected_sizes[level - 1, size - 1] += 1
        expected_distances[level - 1, distance - 1] += 1
    np.testing.assert_array_equal(sizes, expected_sizes)
    np.testing.assert_array_equal(distances, expected_distances)
    assert n_voxels == mask.sum()


def test_zone_features_match_the_per_slice_matrices() -> None:
    """The one-pass aggregation equals the per-slice matrices of ``aggregate``."""
    grey, mask = _image(11, (5, 8, 7), 4)
    mask[2] = False  # a slice without ROI voxels is left out
    grey = np.where(mask, grey, 0)
    for family, matrix_of, tags, prefix in (
        (glszm_features, size_zone_matrix, _SZM_TAGS, "szm"),
        (gldzm_features, distance_zone_matrix, _DZM_TAGS, "dzm"),
    ):
        expected = aggregate(
            grey,
            mask,
            4,
            prefix,
            matrix_of,
            lambda m, nv, t=tags: zone_features(m, nv, t),
            names=tags,
        )
        assert family(grey, mask, n_levels=4) == pytest.approx(expected, rel=1e-12)

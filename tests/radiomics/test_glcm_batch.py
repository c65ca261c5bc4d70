"""GLCM fast paths: batched features and matrices restricted to the levels present."""

from __future__ import annotations

import math

import numpy as np

from theranostix.radiomics import glcm_features
from theranostix.radiomics._glcm import (
    DIRECTIONS_3D,
    cooccurrence_per_slice,
    glcm_batch_features,
    glcm_matrix_features,
)


def _reference(counts: np.ndarray, levels: np.ndarray, n_levels: int) -> dict[str, float]:
    """Features of the full Ng x Ng matrix with the present levels placed at their rows."""
    full = np.zeros((n_levels, n_levels))
    index = (levels - 1).astype(int)
    full[np.ix_(index, index)] = counts
    return glcm_matrix_features(full)


def test_restricted_matrix_gives_the_features_of_the_full_one() -> None:
    rng = np.random.default_rng(4)
    levels = np.array([2.0, 5.0, 6.0, 11.0])
    counts = rng.integers(0, 9, size=(4, 4)).astype(float)
    counts = counts + counts.T
    fast = glcm_matrix_features(counts, levels=levels, n_levels=12)
    slow = _reference(counts, levels, 12)
    for name, value in slow.items():
        assert math.isclose(fast[name], value, rel_tol=1e-12, abs_tol=1e-12), name


def test_batch_equals_one_matrix_at_a_time() -> None:
    rng = np.random.default_rng(5)
    stack = rng.integers(0, 5, size=(6, 7, 7)).astype(float)
    stack = stack + stack.transpose(0, 2, 1)
    stack[3] = 0.0
    stack[3, 2, 2] = 4.0  # a single grey level: correlation undefined
    batch = glcm_batch_features(stack)
    for d in range(6):
        one = glcm_matrix_features(stack[d])
        for name, value in one.items():
            got = float(batch[name][d])
            assert (math.isnan(value) and math.isnan(got)) or math.isclose(
                got, value, rel_tol=1e-12, abs_tol=1e-12
            ), (d, name)
    assert math.isnan(batch["corr"][3]) and batch["energy"][3] == 1.0


def test_sparse_grey_levels_match_the_full_matrix() -> None:
    # levels 3, 9, 40 only (as fixed bin size from a range bound leaves most levels empty)
    rng = np.random.default_rng(6)
    grey = rng.choice([3, 9, 40], size=(4, 6, 6))
    mask = rng.random((4, 6, 6)) > 0.2
    f = glcm_features(grey, mask, n_levels=45, dims=["3D"])
    inside = np.where(mask, grey, 0)
    merged = sum(
        cooccurrence_per_slice(inside, mask, d, 45, per_slice=False) for d in DIRECTIONS_3D
    )
    full = glcm_matrix_features(np.asarray(merged, dtype=float))
    for name, value in full.items():
        assert math.isclose(f[f"cm_{name}_3D_comb"], value, rel_tol=1e-12), name

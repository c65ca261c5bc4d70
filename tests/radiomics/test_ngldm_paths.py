"""NGLDM: the one-step window count equals the neighbour-by-neighbour count."""

from __future__ import annotations

import numpy as np
import pytest

import theranostix.radiomics._neighbourhood as neighbourhood


@pytest.mark.parametrize("in_plane", [False, True])
def test_window_and_loop_counts_agree(in_plane: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    grey = rng.integers(1, 4, size=(5, 7, 6))
    mask = rng.random(grey.shape) > 0.25
    grey = np.where(mask, grey, 0)
    window, n_window = neighbourhood.dependence_matrix(grey, mask, 3, in_plane)
    monkeypatch.setattr(neighbourhood, "_WINDOW_VOXELS", 0)
    loop, n_loop = neighbourhood.dependence_matrix(grey, mask, 3, in_plane)
    assert n_window == n_loop == int(mask.sum())
    np.testing.assert_array_equal(window, loop)
    assert window.sum() == mask.sum()  # every ROI voxel counted once
    assert window.shape == (3, 9 if in_plane else 27)

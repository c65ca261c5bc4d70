"""IBSI re-segmentation and discretisation on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theranostix.errors import ThxError
from theranostix.radiomics._discretise import (
    discretise_fixed_bin_number,
    discretise_fixed_bin_size,
    resegment,
)


def test_fixed_bin_number_edges() -> None:
    x = np.array([-1.0, 0.0, 1.0, 1.999, 2.0, 3.0])
    # Ng = 4 over [-1, 3]: bin width 1
    assert discretise_fixed_bin_number(x, 4).tolist() == [1, 2, 3, 3, 4, 4]
    assert discretise_fixed_bin_number(x, 1).tolist() == [1] * 6


def test_fixed_bin_size_uses_the_resegmentation_minimum() -> None:
    x = np.array([-500.0, -476.0, -475.0, 0.0, 24.9, 25.0])
    # CT: range [-500, 400], bin width 25 -> bins start at -500
    assert discretise_fixed_bin_size(x, 25.0, minimum=-500.0).tolist() == [1, 1, 2, 21, 21, 22]
    # without a minimum the smallest value starts bin 1
    assert discretise_fixed_bin_size(x[1:], 25.0).tolist() == [1, 1, 20, 21, 21]
    # values that are multiples of the width despite float division land in the upper bin
    suv = np.array([0.1 * n for n in range(11)])
    assert discretise_fixed_bin_size(suv, 0.1, minimum=0.0).tolist() == list(range(1, 12))
    with pytest.raises(ThxError, match="below the discretisation minimum"):
        discretise_fixed_bin_size(x, 25.0, minimum=0.0)
    with pytest.raises(ThxError, match="bin width"):
        discretise_fixed_bin_size(x, 0.0)


def test_resegmentation_range_and_outliers() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(0.0, 1.0, (4, 10, 10))
    image[0, 0, 0] = 50.0  # an outlier
    mask = np.ones(image.shape, bool)
    kept = resegment(image, mask, outliers_sd=3.0)
    mean, sd = image.mean(), image.std()
    np.testing.assert_array_equal(kept, np.abs(image - mean) <= 3 * sd)
    assert not kept[0, 0, 0]
    both = resegment(image, mask, value_range=(-1.0, math.inf), outliers_sd=3.0)
    np.testing.assert_array_equal(both, kept & (image >= -1.0))
    with pytest.raises(ThxError, match="no voxel"):
        resegment(image, mask, value_range=(100.0, 200.0))
    with pytest.raises(ThxError, match="empty"):
        resegment(image, np.zeros(image.shape, bool))

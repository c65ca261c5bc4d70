"""IBSI align-grid-centers interpolation: grid arithmetic and exactness on linear ramps."""

from __future__ import annotations

import numpy as np
import pytest

from theranostix.errors import ThxError
from theranostix.imaging import Geometry
from theranostix.radiomics._interpolate import (
    grid_axis,
    interpolate_image,
    interpolate_mask,
    interpolation_geometry,
)
from theranostix.radiomics._settings import Interpolation


def test_grid_of_the_manual_example_shares_the_centre() -> None:
    g = Geometry((1, 4, 4), origin_mm=(10.0, 20.0, 0.0), spacing_mm=(3.0, 3.0, 5.0))
    new, start, step = interpolation_geometry(g, (2.0, 2.0))
    assert new.shape == (1, 6, 6)
    np.testing.assert_allclose(start, [0.0, -1 / 6, -1 / 6])
    np.testing.assert_allclose(step, [1.0, 2 / 3, 2 / 3])
    assert new.spacing_mm == pytest.approx((2.0, 2.0, 5.0))
    centre_old = g.index_to_lps([1.5, 1.5, 0.0])
    centre_new = new.index_to_lps([2.5, 2.5, 0.0])
    np.testing.assert_allclose(centre_new, centre_old)
    assert new.origin_mm[0] == pytest.approx(10.0 + (3.0 * 3 - 2.0 * 5) / 2)
    # 0.977 mm x 512 to 2 mm: ceil(250.1...) = 251; exact multiples are not rounded up
    assert grid_axis(512, 0.977, 2.0)[0] == 251
    assert grid_axis(10, 2.0, 2.0) == (10, 0.0, 1.0)
    assert grid_axis(3, 0.2, 0.6)[0] == 1


def test_linear_interpolation_reproduces_a_ramp_inside_the_grid() -> None:
    g = Geometry((6, 8, 10), spacing_mm=(1.0, 1.5, 3.0))
    k, j, i = np.indices(g.shape)
    ramp = 2.0 * i * 1.0 + 3.0 * j * 1.5 - 1.0 * k * 3.0  # linear in mm
    out, new = interpolate_image(ramp, g, (2.0, 2.0, 2.0))
    kk, jj, ii = np.indices(new.shape)
    xyz = new.index_to_lps(np.stack([ii.ravel(), jj.ravel(), kk.ravel()], axis=1))
    expected = (2.0 * xyz[:, 0] + 3.0 * xyz[:, 1] - 1.0 * xyz[:, 2]).reshape(new.shape)
    inside = (
        (xyz[:, 0] >= 0) & (xyz[:, 0] <= 9.0) & (xyz[:, 1] >= 0) & (xyz[:, 1] <= 10.5)
        & (xyz[:, 2] >= 0) & (xyz[:, 2] <= 15.0)
    ).reshape(new.shape)  # fmt: skip
    np.testing.assert_allclose(out[inside], expected[inside], atol=1e-9)
    rounded, _ = interpolate_image(ramp, g, (2.0, 2.0, 2.0), rounding=1.0)
    np.testing.assert_array_equal(rounded, np.round(out))
    cubic, _ = interpolate_image(ramp, g, (2.0, 2.0, 2.0), method=Interpolation.CUBIC)
    assert cubic.shape == out.shape


def test_mask_partial_volume_threshold() -> None:
    g = Geometry((1, 1, 4), spacing_mm=(2.0, 2.0, 2.0))
    mask = np.array([[[False, True, True, False]]])
    half, new = interpolate_mask(mask, g, (1.0, 1.0), partial_volume=0.5)
    fine, _ = interpolate_mask(mask, g, (1.0, 1.0), partial_volume=0.9)
    assert new.shape == (1, 2, 8)
    assert half[0, 0].tolist() == [False, False, True, True, True, True, False, False]
    assert fine[0, 0].tolist() == [False, False, False, True, True, False, False, False]
    with pytest.raises(ThxError, match="not cubic"):
        interpolate_mask(mask, g, (1.0, 1.0), method=Interpolation.CUBIC)

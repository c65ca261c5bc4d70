"""The radiomics pipeline: interpolation blocks, masks, aggregations, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from theranostix.errors import ThxError
from theranostix.imaging import Geometry, Mask, Volume
from theranostix.radiomics import (
    FAMILIES,
    extract_features,
    family_features,
    load_settings,
    prepare_roi,
)
from theranostix.radiomics._interpolate import interpolate_image, interpolate_mask
from theranostix.radiomics._settings import Interpolation
from theranostix.radiomics._zones import gldzm_features


def _lesion(seed: int = 3) -> tuple[Volume, Mask]:
    """A noisy PET-like blob (SUV) of radius 12 mm in a 4 mm grid."""
    rng = np.random.default_rng(seed)
    g = Geometry((20, 24, 22), origin_mm=(-40.0, -30.0, 10.0), spacing_mm=(4.0, 4.0, 4.0))
    k, j, i = np.indices(g.shape)
    r2 = ((k - 10) ** 2 + (j - 12) ** 2 + (i - 11) ** 2) * 16.0
    suv = 1.0 + 8.0 * np.exp(-r2 / (2 * 9.0**2)) + rng.normal(0, 0.3, g.shape)
    return Volume(np.clip(suv, 0, None), g), Mask(r2 <= 12.0**2, g)


@pytest.mark.parametrize("method", [Interpolation.LINEAR, Interpolation.CUBIC])
def test_interpolation_block_equals_the_whole_grid(method: Interpolation) -> None:
    image, mask = _lesion()
    full, g_full = interpolate_image(image.array, image.geometry, (3.0, 3.0, 3.0), method=method)
    block = ((2, 3, 4), (20, 17, 25))
    part, g_part = interpolate_image(
        image.array, image.geometry, (3.0, 3.0, 3.0), method=method, block=block
    )
    np.testing.assert_allclose(part, full[2:20, 3:17, 4:25], rtol=0, atol=1e-12)
    assert g_part.shape == (18, 14, 21)
    np.testing.assert_allclose(g_part.index_to_lps([0, 0, 0]), g_full.index_to_lps([4, 3, 2]))
    m_full, _ = interpolate_mask(mask.array, image.geometry, (3.0, 3.0, 3.0))
    m_part, _ = interpolate_mask(mask.array, image.geometry, (3.0, 3.0, 3.0), block=block)
    assert np.array_equal(m_part, m_full[2:20, 3:17, 4:25])


def test_prepared_block_holds_the_whole_interpolated_roi() -> None:
    image, mask = _lesion()
    s = load_settings("ibsi-C")  # 2 mm trilinear; CT range would empty a PET: use "pet" bins
    roi = prepare_roi(image, mask, s.__class__(**{**s.__dict__, "resegmentation_range": None}))
    m_full, _ = interpolate_mask(mask.array, image.geometry, (2.0, 2.0, 2.0))
    assert int(roi.morph_mask.sum()) == int(m_full.sum())
    # the block keeps a margin around the ROI for the 1 cm3 local-intensity sphere
    lo = np.argwhere(roi.morph_mask).min(axis=0)
    assert lo.min() >= 3


def test_pet_features_agree_with_direct_computation() -> None:
    image, mask = _lesion()
    f = extract_features(image, mask, "pet")
    values = image.array[mask.array]
    assert f["stat_mean"] == pytest.approx(values.mean())
    assert f["stat_max"] == pytest.approx(values.max())
    assert f["morph_vol_approx"] == pytest.approx(mask.array.sum() * 64.0)
    # fixed bin size 0.25 SUV from 0: the highest grey level holds the maximum
    assert f["ih_max"] == math.floor(values.max() / 0.25) + 1
    assert f["ih_min"] == math.floor(values.min() / 0.25) + 1
    # 3D settings: the 3D aggregations only
    assert "cm_energy_3D_avg" in f and "cm_energy_2D_avg" not in f
    assert not any("_2_5D" in tag for tag in f)
    assert {t.split("_")[0] for t in f} >= {"morph", "loc", "stat", "ih", "ivh", "cm", "rlm",
                                           "szm", "dzm", "ngt", "ngl"}  # fmt: skip


def test_two_dimensional_settings_give_2d_and_2_5d() -> None:
    image, mask = _lesion()
    s = load_settings("pet")
    s2 = s.__class__(**{**s.__dict__, "dimensionality": "2D"})
    roi = prepare_roi(image, mask, s2)
    f = family_features(roi, "glszm")
    assert f and all(tag.endswith(("_2D", "_2_5D")) for tag in f)
    g = family_features(roi, "glcm")
    assert {tag.rsplit("_", 2)[-2] + "_" + tag.rsplit("_", 1)[-1] for tag in g} == {
        "2D_avg", "2D_comb", "5D_avg", "5D_comb"
    }  # fmt: skip


def test_distance_zones_measure_to_the_morphological_edge() -> None:
    # a 1x5x5 plane; the centre voxel is removed by re-segmentation
    grey = np.ones((1, 5, 5), dtype=int)
    morph = np.ones((1, 5, 5), dtype=bool)
    intensity = morph.copy()
    intensity[0, 2, 2] = False
    own = gldzm_features(grey, intensity, dims=["2D"])
    edge = gldzm_features(grey, intensity, dims=["2D"], edge_mask=morph)
    # one zone (the ring) at distance 1 either way, but its largest distance is the
    # same; the hole is an edge only for the intensity mask: ring voxels next to it
    # would have distance 1 anyway, so use a zone of level 2 next to the hole
    assert own["dzm_sde_2D"] == edge["dzm_sde_2D"] == 1.0
    grey[0, 2, 1] = 2  # a zone touching the hole, 2 voxels from the outer edge
    own = gldzm_features(grey, intensity, dims=["2D"])
    edge = gldzm_features(grey, intensity, dims=["2D"], edge_mask=morph)
    assert own["dzm_lde_2D"] == 1.0  # the hole counts as an edge
    assert edge["dzm_lde_2D"] == pytest.approx((1 + 4) / 2)  # zones at distances 1 and 2


def test_errors_name_the_problem() -> None:
    image, mask = _lesion()
    other = Geometry((20, 24, 22), spacing_mm=(2.0, 2.0, 2.0))
    with pytest.raises(ThxError, match="grid"):
        prepare_roi(image, Mask(mask.array, other), "pet")
    with pytest.raises(ThxError, match="empty"):
        prepare_roi(image, Mask(np.zeros_like(mask.array), image.geometry), "pet")
    bad = image.array.copy()
    bad[10, 12, 11] = np.nan
    with pytest.raises(ThxError, match="NaN"):
        prepare_roi(Volume(bad, image.geometry), mask, "pet")
    with pytest.raises(ThxError, match="no discretisation"):
        prepare_roi(image, mask, "ibsi-digital")  # SUV are not integer grey levels
    s = load_settings("pet")
    narrow = s.__class__(**{**s.__dict__, "resegmentation_range": (100.0, 200.0)})
    with pytest.raises(ThxError, match="re-segmentation"):
        prepare_roi(image, mask, narrow)  # no SUV between 100 and 200
    tiny = np.zeros_like(mask.array)
    tiny[10, 12, 11] = True
    s = load_settings("ibsi-C")
    coarse = s.__class__(
        **{**s.__dict__, "spacing_mm": (9.0, 9.0, 9.0), "resegmentation_range": None}
    )
    with pytest.raises(ThxError, match="vanishes"):
        prepare_roi(image, Mask(tiny, image.geometry), coarse)
    with pytest.raises(ThxError, match="family"):
        extract_features(image, mask, "pet", families=["shape"])
    roi = prepare_roi(image, mask, "pet")
    with pytest.raises(ThxError, match="family"):
        family_features(roi, "firstorder")


def test_every_family_runs_on_a_single_voxel() -> None:
    g = Geometry((3, 3, 3), spacing_mm=(4.0, 4.0, 4.0))
    a = np.full(g.shape, 2.0)
    m = np.zeros(g.shape, dtype=bool)
    m[1, 1, 1] = True
    roi = prepare_roi(Volume(a, g), Mask(m, g), "pet")
    for family in FAMILIES:
        assert family_features(roi, family), family
    assert family_features(roi, "statistics")["stat_mean"] == 2.0
    # IVH over [0, 2] SUV (the range starts at 0): the voxel holds the whole volume
    assert family_features(roi, "intensity_volume_histogram")["ivh_v10"] == 1.0
    assert math.isnan(family_features(roi, "morphology")["morph_pca_elongation"])


def test_non_standard_morphology_can_be_left_out(tmp_path: Path) -> None:
    image, mask = _lesion()
    path = tmp_path / "fast.toml"
    path.write_text(
        'schema = 1\nname = "fast"\n[resegmentation]\nrange = [0.0, inf]\n'
        '[discretisation]\nmethod = "fixed_bin_size"\nbin_width = 0.25\n'
        "[morphology]\nnon_standard = false\n",
        encoding="utf-8",
    )
    fast = extract_features(image, mask, load_settings(path), families=["morphology"])
    full = extract_features(image, mask, "pet", families=["morphology"])
    assert fast.keys() == full.keys()
    for tag in ("morph_vol_dens_ombb", "morph_area_dens_ombb", "morph_vol_dens_mvee"):
        assert math.isnan(fast[tag]) and 0.0 < full[tag] <= 1.0
    assert fast["morph_volume"] == full["morph_volume"]
    path.write_text(path.read_text(encoding="utf-8").replace("false", '"no"'), encoding="utf-8")
    with pytest.raises(ThxError, match=r"morphology\.non_standard"):
        load_settings(path)

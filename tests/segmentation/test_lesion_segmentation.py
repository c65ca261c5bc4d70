"""Lesion delineation and reference regions, on small synthetic images and a phantom."""

from __future__ import annotations

import numpy as np
import pytest

from theranostix.errors import ThxError
from theranostix.imaging import Geometry, ImageUnit, Mask, Modality, Volume
from theranostix.segmentation import (
    SegmentationMethod,
    TracerFamily,
    liver_reference,
    organ_reference,
    percist_threshold,
    physiological_organs,
    segment_lesions,
)

SPACING = 4.0


def _grid(shape: tuple[int, int, int] = (30, 30, 30)) -> Geometry:
    return Geometry(shape, origin_mm=(-58.0, -58.0, -58.0), spacing_mm=(SPACING,) * 3)


def _ball(g: Geometry, centre_mm: tuple[float, float, float], radius_mm: float) -> np.ndarray:
    nk, nj, ni = g.shape
    k, j, i = np.indices(g.shape)
    xyz = g.index_to_lps(np.stack([i.ravel(), j.ravel(), k.ravel()], axis=1)).reshape(nk, nj, ni, 3)
    return np.sum((xyz - np.asarray(centre_mm)) ** 2, axis=-1) <= radius_mm**2


def _suv(array: np.ndarray, g: Geometry) -> Volume:
    return Volume(array.astype(float), g, ImageUnit.SUV, Modality.PT)


@pytest.fixture
def two_spheres() -> tuple[Volume, dict[str, Mask]]:
    """Liver (SUV 2, box) with no lesion; a hot sphere (SUV 10) and a warm one (SUV 5)."""
    g = _grid()
    a = np.full(g.shape, 0.5)
    liver = np.zeros(g.shape, bool)
    liver[2:14, 2:28, 2:28] = True  # k 2..13 -> z -50..-6 mm
    a[liver] = 2.0
    hot = _ball(g, (20.0, 20.0, 30.0), 10.0)
    warm = _ball(g, (-25.0, -25.0, 30.0), 8.0)
    a[hot] = 10.0
    a[warm] = 5.0
    return _suv(a, g), {"liver": Mask(liver, g, "liver")}


def test_percist_threshold_formula() -> None:
    ref = type("R", (), {"mean": 2.0, "sd": 0.3})()
    assert percist_threshold(ref) == pytest.approx(1.5 * 2.0 + 2 * 0.3)
    assert percist_threshold(ref, blood_pool=True) == pytest.approx(2.0 * 2.0 + 2 * 0.3)


def test_percist_segmentation_finds_both_spheres_in_order(two_spheres) -> None:
    image, organs = two_spheres
    seg = segment_lesions(image, "percist", organs=organs)
    liver = seg.references["liver"]
    assert liver.mean == pytest.approx(2.0) and liver.sd == pytest.approx(0.0)
    assert seg.detection_threshold == pytest.approx(3.0)
    assert seg.count == 2
    # label 1 is the hottest
    assert image.array[seg.labels == 1].max() == 10.0
    assert image.array[seg.labels == 2].max() == 5.0
    hot = _ball(image.geometry, (20.0, 20.0, 30.0), 10.0)
    np.testing.assert_array_equal(seg.labels == 1, hot)


def test_percist_without_liver_is_a_clear_error(two_spheres) -> None:
    image, _ = two_spheres
    with pytest.raises(ThxError, match="liver mask"):
        segment_lesions(image, "percist")


def test_absolute_thresholds_and_min_volume(two_spheres) -> None:
    image, organs = two_spheres
    assert segment_lesions(image, "suv4.0").count == 2
    only_hot = segment_lesions(image, SegmentationMethod.SUV_4_0, min_volume_ml=3.0)
    assert only_hot.count == 1  # the 8 mm-radius sphere holds about 2.1 mL
    assert any("smaller than 3 mL" in note for note in only_hot.notes)
    # SUV 2.5 does not take the liver (SUV 2)
    assert segment_lesions(image, "suv2.5", organs=organs).count == 2


def test_fixed_fraction_grows_each_lesion_to_its_own_fraction() -> None:
    g = _grid()
    a = np.full(g.shape, 0.5)
    core = _ball(g, (0.0, 0.0, 0.0), 6.0)
    rim = _ball(g, (0.0, 0.0, 0.0), 14.0) & ~core
    a[rim] = 4.5  # 45 % of 10: inside the 41 % contour, outside the 50 % one
    a[core] = 10.0
    image = _suv(a, g)
    s41 = segment_lesions(image, "41pct", detection_threshold=3.0)
    s50 = segment_lesions(image, "50pct", detection_threshold=3.0)
    assert s41.count == s50.count == 1
    np.testing.assert_array_equal(s41.labels == 1, core | rim)
    np.testing.assert_array_equal(s50.labels == 1, core)
    assert s41.thresholds == (pytest.approx(4.1),)
    assert s50.thresholds == (pytest.approx(5.0),)


def test_fixed_fraction_separates_touching_lesions_of_different_uptake() -> None:
    g = _grid()
    a = np.full(g.shape, 0.5)
    big = _ball(g, (-12.0, 0.0, 0.0), 12.0)
    small = _ball(g, (8.0, 0.0, 0.0), 9.0) & ~big
    a[big] = 20.0
    a[small] = 6.0  # below 41 % of 20: not part of the first lesion
    seg = segment_lesions(_suv(a, g), "41pct", detection_threshold=2.0)
    assert seg.count == 2
    np.testing.assert_array_equal(seg.labels == 1, big)
    np.testing.assert_array_equal(seg.labels == 2, small)
    # a single global threshold merges them
    assert segment_lesions(_suv(a, g), "suv2.5").count == 1


def test_fixed_fraction_from_user_seed() -> None:
    g = _grid()
    a = np.full(g.shape, 0.5)
    one = _ball(g, (-25.0, 0.0, 0.0), 8.0)
    two = _ball(g, (25.0, 0.0, 0.0), 8.0)
    a[one], a[two] = 8.0, 9.0
    seg = segment_lesions(_suv(a, g), "50pct", seeds_mm=[(-20.0, 2.0, 0.0)])
    assert seg.count == 1
    np.testing.assert_array_equal(seg.labels == 1, one)
    with pytest.raises(ThxError, match="outside the image"):
        segment_lesions(_suv(a, g), "50pct", seeds_mm=[(500.0, 0.0, 0.0)])


def test_fixed_fraction_notes_an_open_contour() -> None:
    g = _grid()
    a = np.full(g.shape, 3.0)  # background above 41 % of the lesion's 6
    a[_ball(g, (0.0, 0.0, 0.0), 6.0)] = 6.0
    seg = segment_lesions(_suv(a, g), "41pct", detection_threshold=5.0)
    assert seg.count == 1
    assert any("growth limit" in note for note in seg.notes)


def test_user_mask_components_become_lesions(two_spheres) -> None:
    image, _ = two_spheres
    g = image.geometry
    mask = _ball(g, (20.0, 20.0, 30.0), 10.0) | _ball(g, (-25.0, -25.0, 30.0), 8.0)
    seg = segment_lesions(image, "user", user_mask=Mask(mask, g, "drawn"))
    assert seg.count == 2 and seg.method is SegmentationMethod.USER
    with pytest.raises(ThxError, match="needs a lesion mask"):
        segment_lesions(image, "user")


def test_physiological_organs_are_excluded_with_a_margin() -> None:
    g = _grid()
    a = np.full(g.shape, 0.5)
    kidney = _ball(g, (0.0, 0.0, 0.0), 14.0)
    a[kidney] = 40.0
    a[_ball(g, (0.0, 0.0, 0.0), 18.0) & ~kidney] = 8.0  # spill just outside the kidney
    lesion = _ball(g, (-40.0, -40.0, -40.0), 8.0)
    a[lesion] = 12.0
    organs = {"kidney_left": Mask(kidney, g, "kidney_left")}
    image = _suv(a, g)
    seg = segment_lesions(image, "suv4.0", organs=organs, tracer="psma")
    assert seg.count == 1
    np.testing.assert_array_equal(seg.labels == 1, lesion)
    assert seg.excluded_organs == ("kidney_left",)
    # without exclusion the kidney and its spill are a lesion
    assert segment_lesions(image, "suv4.0", organs=organs, exclude_organs=()).count == 2


def test_background_organ_keeps_lesions_above_its_own_level() -> None:
    g = _grid()
    rng = np.random.default_rng(0)
    a = np.full(g.shape, 0.5)
    liver = np.zeros(g.shape, bool)
    liver[2:28, 2:28, 2:20] = True
    a[liver] = 5.0 + rng.normal(0, 0.2, int(liver.sum()))
    met = _ball(g, (-20.0, 0.0, 0.0), 8.0)
    a[met] = 15.0
    seg = segment_lesions(_suv(a, g), "suv2.5", organs={"liver": Mask(liver, g)}, tracer="psma")
    assert seg.count == 1
    found = seg.labels == 1
    assert np.all(found[met])
    # a noisy liver voxel above median + 3 robust SD touching the lesion may join it
    assert np.count_nonzero(found & ~met) <= 3
    assert physiological_organs(TracerFamily.PSMA)["background"] == ("liver", "spleen")


def test_segmentation_refuses_bq_per_ml(two_spheres) -> None:
    image, _ = two_spheres
    with pytest.raises(ThxError, match="needs an image in SUV"):
        segment_lesions(image.with_array(image.array, ImageUnit.BQ_PER_ML), "suv2.5")
    with pytest.raises(ThxError, match="not one of"):
        segment_lesions(image, "otsu")


def test_liver_sphere_avoids_a_liver_lesion_and_lies_in_the_right_lobe() -> None:
    g = Geometry((40, 40, 60), origin_mm=(-118.0, -78.0, -78.0), spacing_mm=(4.0, 4.0, 4.0))
    rng = np.random.default_rng(1)
    liver = np.ones(g.shape, bool)
    a = 2.0 + rng.normal(0.0, 0.05, g.shape)
    lesion = _ball(g, (-60.0, 0.0, 0.0), 16.0)  # in the right (negative x) half
    a[lesion] = 9.0
    image = _suv(a, g)
    ref = liver_reference(image, Mask(liver, g, "liver"))
    assert ref.name == "liver"
    assert ref.center_mm[0] < 0.0  # patient right
    assert not np.any(ref.mask.array & lesion)
    assert ref.mean == pytest.approx(2.0, abs=0.02)
    # radius 15 mm on a 4 mm grid: the voxel centres within 15 mm
    assert ref.voxels == int(_ball(g, ref.center_mm, 15.0).sum())


def test_liver_sphere_errors() -> None:
    g = _grid()
    image = _suv(np.ones(g.shape), g)
    thin = np.zeros(g.shape, bool)
    thin[10:14, :, :] = True  # 16 mm thick
    with pytest.raises(ThxError, match="no 30 mm sphere fits"):
        liver_reference(image, Mask(thin, g, "liver"))
    with pytest.raises(ThxError, match="needs a liver mask"):
        liver_reference(image)


def test_organ_reference_keeps_away_from_the_border() -> None:
    g = _grid()
    a = np.full(g.shape, 1.0)
    aorta = _ball(g, (0.0, 0.0, 0.0), 20.0)
    border = aorta & ~_ball(g, (0.0, 0.0, 0.0), 16.0)
    a[aorta] = 2.0
    a[border] = 1.5  # partial volume at the wall
    ref = organ_reference(_suv(a, g), Mask(aorta, g, "aorta"), "blood_pool")
    assert ref.mean == pytest.approx(2.0)
    assert "5 mm" in ref.method


def test_ct_liver_heuristic_fails_clearly() -> None:
    from theranostix.segmentation import liver_mask_from_ct

    g = _grid()
    water = Volume(np.zeros(g.shape), g, ImageUnit.HU, Modality.CT)
    with pytest.raises(ThxError, match="no lung on the patient's right"):
        liver_mask_from_ct(water)
    with pytest.raises(ThxError, match="needs a CT in HU"):
        liver_mask_from_ct(_suv(np.zeros(g.shape), g))
    # lungs but nothing of liver density below them
    hu = np.zeros(g.shape)
    hu[20:28, 8:22, 4:14] = -800.0  # a right lung (negative x) high in the volume
    with pytest.raises(ThxError, match="cannot find the liver on the CT"):
        liver_mask_from_ct(Volume(hu, g, ImageUnit.HU, Modality.CT))

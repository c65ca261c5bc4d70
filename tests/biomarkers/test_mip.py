"""Maximum-intensity projections: orientation, lesion masks, figure and PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from theranostix.biomarkers import mip_figure, write_mip_png
from theranostix.biomarkers._mip import _analysis_inputs, mip_arrays, projected_masks
from theranostix.biomarkers._types import LesionMetrics, PatientSummary, PetAnalysis
from theranostix.errors import ThxError
from theranostix.imaging import Geometry, ImageUnit, Modality, Volume
from theranostix.segmentation._types import LesionSegmentation, SegmentationMethod, TracerFamily

SHAPE = (40, 30, 20)  # [k, j, i]: 40 slices (z), 30 rows (y), 20 columns (x)
SPACING = (2.0, 3.0, 4.0)  # mm along i, j, k


def _two_cubes() -> tuple[Volume, np.ndarray]:
    """Background 1 SUV; lesion 1 (SUV 8) high on the patient's left and anterior,
    lesion 2 (SUV 5) low on the patient's right and posterior."""
    array = np.ones(SHAPE, dtype=np.float32)
    labels = np.zeros(SHAPE, dtype=np.int32)
    array[30:34, 2:5, 14:18] = 8.0  # k 30-33 (superior), j 2-4 (anterior), i 14-17 (left)
    labels[30:34, 2:5, 14:18] = 1
    array[5:8, 20:25, 2:5] = 5.0  # k 5-7 (inferior), j 20-24 (posterior), i 2-4 (right)
    labels[5:8, 20:25, 2:5] = 2
    geometry = Geometry(SHAPE, origin_mm=(-20.0, -45.0, -80.0), spacing_mm=SPACING)
    return Volume(array, geometry, ImageUnit.SUV, Modality.PT), labels


def test_coronal_and_sagittal_mips_are_numpy_max_with_head_up() -> None:
    rng = np.random.default_rng(7)
    array = rng.random(SHAPE)
    mips = mip_arrays(Volume(array, Geometry(SHAPE, spacing_mm=SPACING)))
    assert mips["coronal"].shape == (40, 20)
    assert mips["sagittal"].shape == (40, 30)
    np.testing.assert_array_equal(mips["coronal"], array.max(axis=1)[::-1, :])
    np.testing.assert_array_equal(mips["sagittal"], array.max(axis=2)[::-1, :])


def test_hot_voxel_on_patients_left_is_on_viewers_right_at_its_height() -> None:
    array = np.zeros(SHAPE)
    array[35, 10, 18] = 9.0  # superior (k=35 of 40), patient's left (i=18 of 20), j=10
    mips = mip_arrays(Volume(array, Geometry(SHAPE, spacing_mm=SPACING)))
    row, col = np.unravel_index(np.argmax(mips["coronal"]), mips["coronal"].shape)
    assert (int(row), int(col)) == (40 - 1 - 35, 18)  # row 4 from the top, 2nd column from right
    assert col > mips["coronal"].shape[1] / 2  # viewer's right half
    assert float(mips["coronal"][4, 18]) == 9.0
    row, col = np.unravel_index(np.argmax(mips["sagittal"]), mips["sagittal"].shape)
    assert (int(row), int(col)) == (4, 10)  # anterior (small j) towards the left


def test_index_axis_towards_patients_right_is_flipped() -> None:
    # i runs towards the patient's right: i = 0 is the patient's far left
    geometry = Geometry(SHAPE, direction=(-1, 0, 0, 0, 1, 0, 0, 0, 1))
    array = np.zeros(SHAPE)
    array[0, 0, 0] = 3.0  # inferior, anterior, patient's far left
    coronal = mip_arrays(Volume(array, geometry), "coronal")["coronal"]
    assert np.argwhere(coronal == 3.0).tolist() == [[39, 19]]  # bottom row, viewer's far right


def test_permuted_axes_match_brute_force_lps_placement() -> None:
    # columns: i -> +z (head), j -> +x (left), k -> +y (posterior)
    direction = (0, 1, 0, 0, 0, 1, 1, 0, 0)
    geometry = Geometry(
        (5, 6, 7), origin_mm=(10, 20, 30), spacing_mm=(1.5, 2.0, 2.5), direction=direction
    )
    rng = np.random.default_rng(3)
    array = rng.random((5, 6, 7))
    kk, jj, ii = np.indices(array.shape)
    lps = geometry.index_to_lps(np.stack([ii, jj, kk], axis=-1).reshape(-1, 3))
    spacing = np.array([2.0, 2.5, 1.5])  # along x (j), y (k), z (i)
    xyz = np.rint((lps - lps.min(axis=0)) / spacing).astype(int)
    canonical = np.empty((7, 5, 6))  # [z, y, x]
    canonical[xyz[:, 2], xyz[:, 1], xyz[:, 0]] = array.reshape(-1)
    mips = mip_arrays(Volume(array, geometry))
    np.testing.assert_array_equal(mips["coronal"], canonical.max(axis=1)[::-1, :])
    np.testing.assert_array_equal(mips["sagittal"], canonical.max(axis=2)[::-1, :])


def test_nan_voxels_are_ignored() -> None:
    array = np.ones(SHAPE)
    array[10, 3, 4] = np.nan
    array[10, 7, 4] = 2.5
    coronal = mip_arrays(Volume(array, Geometry(SHAPE)))["coronal"]
    assert float(coronal[29, 4]) == 2.5
    assert np.isfinite(coronal).all()


def test_projected_masks_match_full_projection_and_orientation() -> None:
    _, labels = _two_cubes()
    geometry = Geometry(SHAPE, spacing_mm=SPACING)
    coronal = projected_masks(labels, geometry, "coronal")
    sagittal = projected_masks(labels, geometry, "sagittal")
    assert sorted(coronal) == [1, 2]
    for label in (1, 2):
        np.testing.assert_array_equal(coronal[label], (labels == label).any(axis=1)[::-1, :])
        np.testing.assert_array_equal(sagittal[label], (labels == label).any(axis=2)[::-1, :])
    rows, cols = np.nonzero(coronal[1])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (6, 9, 14, 17)  # top right
    rows, cols = np.nonzero(coronal[2])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (32, 34, 2, 4)  # bottom left
    assert int(coronal[1].sum()) == 16 and int(sagittal[2].sum()) == 15


def test_boolean_mask_is_lesion_one() -> None:
    _, labels = _two_cubes()
    masks = projected_masks(labels > 0, Geometry(SHAPE), "coronal")
    assert list(masks) == [1]
    assert int(masks[1].sum()) == 16 + 9


def test_mip_figure_draws_contours_labels_and_window() -> None:
    image, labels = _two_cubes()
    fig = mip_figure(image, labels, lesion_names={1: "1 liver 8.0"}, title="two cubes")
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 2
    coronal_ax = image_axes[0]
    shown = coronal_ax.images[0]
    assert shown.get_clim() == (0.0, 10.0)  # SUV default window
    assert shown.get_cmap().name == "gray_r"
    # physical extent: x from -21 to 19 mm, z from -82 to 78 mm
    np.testing.assert_allclose(shown.get_extent(), [-21.0, 19.0, -82.0, 78.0])
    texts = [t.get_text() for t in coronal_ax.texts]
    assert "1 liver 8.0" in texts and "2" in texts and "R" in texts and "L" in texts
    assert len(coronal_ax.collections) == 2  # one contour set per lesion
    colors = [tuple(c.get_edgecolor()[0]) for c in coronal_ax.collections]
    assert colors[0] != colors[1]
    colorbar_axes = [ax for ax in fig.axes if not ax.images]
    assert colorbar_axes[0].get_ylabel() == "SUV"
    assert fig.get_suptitle() == "two cubes"


def test_non_suv_window_is_the_999th_percentile_of_the_coronal_mip() -> None:
    image, _ = _two_cubes()
    counts = image.with_array(image.array * 1000.0, ImageUnit.BQ_PER_ML)
    fig = mip_figure(counts, views="coronal")
    coronal = mip_arrays(counts, "coronal")["coronal"]
    top = fig.axes[0].images[0].get_clim()[1]
    assert top == pytest.approx(float(np.percentile(coronal, 99.9)))
    assert 5000.0 < top <= 8000.0
    assert fig.axes[-1].get_ylabel() == "Bq/mL"


def test_write_png_creates_folder_and_a_readable_picture(tmp_path: Path) -> None:
    from matplotlib.image import imread

    image, labels = _two_cubes()
    path = write_mip_png(image, tmp_path / "sub" / "mip.png", labels=labels, dpi=80)
    assert path == tmp_path / "sub" / "mip.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(path)
    height, width, channels = pixels.shape
    assert channels == 4
    assert 300 < height < 1000 and 300 < width < 1600
    assert float(pixels[..., :3].min()) < 0.1  # the hot cubes are black
    assert float(np.median(pixels[..., :3])) > 0.8  # mostly white background
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["mip.png"]


def _analysis() -> PetAnalysis:
    image, labels = _two_cubes()
    segmentation = LesionSegmentation(
        labels, image.geometry, SegmentationMethod.SUV_4_0, (4.0, 4.0), 4.0
    )
    voxel_ml = image.geometry.voxel_volume_ml

    def metrics(label: int, suv: float, voxels: int, location: str | None) -> LesionMetrics:
        return LesionMetrics(
            label=label, name=f"lesion_{label}", suv_max=suv, suv_peak=suv, suv_mean=suv,
            mtv_ml=voxels * voxel_ml, tlg=suv * voxels * voxel_ml, centroid_mm=(0.0, 0.0, 0.0),
            max_position_mm=(0.0, 0.0, 0.0), voxels=voxels, location=location, long_axis_mm=10.0,
            short_axis_mm=8.0, threshold=4.0,
        )  # fmt: skip

    lesions = (metrics(1, 8.0, 48, "liver"), metrics(2, 5.0, 45, None))
    summary = PatientSummary(
        lesion_count=2, tmtv_ml=93 * voxel_ml, tlg_total=0.0, suv_max=8.0, suv_peak=8.0,
        dmax_mm=None, sdmax_m_inv=None, psma_tv_ml=None, tl_psma=None,
    )  # fmt: skip
    return PetAnalysis(image, "bw", TracerFamily.FDG, segmentation, lesions, summary)


def test_analysis_gives_lesion_names_and_title() -> None:
    analysis = _analysis()
    image, labels, names, title = _analysis_inputs(analysis)
    assert image is analysis.image and labels is analysis.segmentation.labels
    assert names == {1: "1 liver 8.0", 2: "2 5.0"}
    assert title.startswith("FDG PET: 2 lesions, TMTV 2.2 mL, SUVmax 8.0")  # 93 x 0.024 mL


def test_write_png_from_analysis(tmp_path: Path) -> None:
    from matplotlib.image import imread

    path = write_mip_png(_analysis(), tmp_path / "analysis.png", dpi=60)
    assert imread(path).shape[2] == 4
    with pytest.raises(ThxError, match="labels were given with a PetAnalysis"):
        write_mip_png(_analysis(), tmp_path / "x.png", labels=np.zeros(SHAPE, np.int32))
    assert not (tmp_path / "x.png").exists()


def test_labels_shape_mismatch_raises() -> None:
    image, _ = _two_cubes()
    with pytest.raises(
        ThxError, match=r"labels shape \(40, 30, 19\) differs from the image shape \(40, 30, 20\)"
    ):
        mip_figure(image, np.zeros((40, 30, 19), np.int32))
    with pytest.raises(ThxError, match="labels shape"):
        projected_masks(np.zeros((2, 2, 2), np.int32), Geometry(SHAPE))


def test_oblique_direction_raises() -> None:
    c, s = np.cos(np.radians(10)), np.sin(np.radians(10))
    geometry = Geometry(SHAPE, direction=(c, -s, 0, s, c, 0, 0, 0, 1))
    volume = Volume(np.zeros(SHAPE), geometry)
    with pytest.raises(ThxError, match=r"oblique.*resample_volume"):
        mip_arrays(volume)
    with pytest.raises(ThxError, match="oblique"):
        mip_figure(volume)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels": np.zeros(SHAPE)}, "integer label map"),
        ({"labels": np.full(SHAPE, -1, np.int32)}, "found -1"),
        ({"vmax": 0.0}, "vmax must be a positive"),
        ({"views": ("axial",)}, "view 'axial' is not one of coronal, sagittal"),
        ({"views": ()}, "views is empty"),
    ],
)
def test_invalid_inputs_raise(kwargs: dict[str, object], message: str) -> None:
    image, _ = _two_cubes()
    with pytest.raises(ThxError, match=message):
        mip_figure(image, **kwargs)


def test_write_png_rejects_other_inputs(tmp_path: Path) -> None:
    with pytest.raises(ThxError, match="PetAnalysis or a Volume, got ndarray"):
        write_mip_png(np.zeros(SHAPE), tmp_path / "x.png")

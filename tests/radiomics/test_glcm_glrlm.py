"""IBSI 1 co-occurrence (GLCM) and run length (GLRLM) features."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from theranostix.radiomics._glcm import cooccurrence_per_slice, glcm_features
from theranostix.radiomics._glrlm import glrlm_features, run_length_per_slice

AGGREGATIONS = ("2D_avg", "2D_comb", "2_5D_avg", "2_5D_comb", "3D_avg", "3D_comb")


def _small() -> tuple[np.ndarray, np.ndarray]:
    """One 3x3 slice; the voxel at (j=2, i=2) lies outside the ROI."""
    grey = np.array([[[1, 1, 2], [2, 2, 2], [1, 2, 9]]])
    mask = np.ones_like(grey, dtype=bool)
    mask[0, 2, 2] = False
    return grey, mask


def test_glcm_hand_counted_pairs() -> None:
    grey, mask = _small()
    g = np.where(mask, grey, 0).astype(np.int64)
    # horizontal (0, 0, 1): pairs (1,1) (1,2) (2,2) (2,2) (1,2); (2,9) is outside the mask
    np.testing.assert_array_equal(
        cooccurrence_per_slice(g, mask, (0, 0, 1), 2)[0], [[2, 2], [2, 4]]
    )
    # vertical (0, 1, 0): (1,2) (2,1) (1,2) (2,2) (2,2)
    np.testing.assert_array_equal(
        cooccurrence_per_slice(g, mask, (0, 1, 0), 2)[0], [[0, 3], [3, 4]]
    )
    # diagonal (0, 1, 1): (1,2) (1,2) (2,2)
    np.testing.assert_array_equal(
        cooccurrence_per_slice(g, mask, (0, 1, 1), 2)[0], [[0, 2], [2, 2]]
    )
    # anti-diagonal (0, 1, -1): (1,2) (2,2) (2,1) (2,2)
    np.testing.assert_array_equal(
        cooccurrence_per_slice(g, mask, (0, 1, -1), 2)[0], [[0, 2], [2, 4]]
    )

    f = glcm_features(grey, mask)
    # 25 GLCM features x 6 aggregations (the exact tags: test_ibsi_validation.py)
    assert len(f) == 25 * 6 and all(t.startswith("cm_") and t.endswith(AGGREGATIONS) for t in f)
    # merged over the 4 directions: [[2, 9], [9, 14]], 34 pairs
    assert f["cm_joint_max_2D_comb"] == pytest.approx(14 / 34)
    assert f["cm_joint_max_2_5D_comb"] == pytest.approx(14 / 34)
    assert f["cm_contrast_2D_comb"] == pytest.approx(18 / 34)
    p = np.array([2, 9, 9, 14]) / 34
    assert f["cm_joint_entr_2D_comb"] == pytest.approx(-np.sum(p * np.log2(p)))
    # per direction joint maxima 4/10, 4/10, 2/6, 4/8, averaged
    assert f["cm_joint_max_2D_avg"] == pytest.approx((0.4 + 0.4 + 2 / 6 + 0.5) / 4)
    # a single slice has no pair across slices: 3D averages the 4 in-plane directions only
    assert f["cm_joint_max_3D_avg"] == pytest.approx(f["cm_joint_max_2D_avg"])


def test_glcm_pairs_across_slices_only() -> None:
    grey = np.array([[[1]], [[2]]])
    f = glcm_features(grey, grey > 0)
    assert f["cm_joint_max_3D_comb"] == pytest.approx(0.5)
    assert f["cm_contrast_3D_avg"] == pytest.approx(1.0)
    assert math.isnan(f["cm_joint_max_2D_avg"])


def test_glrlm_hand_counted_runs() -> None:
    grey, mask = _small()
    g = np.where(mask, grey, 0).astype(np.int64)
    # horizontal: rows 1 1 2 | 2 2 2 | 1 2 (x): level 1 lengths 2, 1; level 2 lengths 1, 3, 1
    np.testing.assert_array_equal(
        run_length_per_slice(g, mask, (0, 0, 1), 2)[0], [[1, 1, 0], [2, 0, 1]]
    )
    # anti-diagonal lines: 1 | 1 2 | 2 2 1 | 2 2 | (x)
    np.testing.assert_array_equal(
        run_length_per_slice(g, mask, (0, 1, -1), 2)[0], [[3, 0, 0], [1, 2, 0]]
    )

    f = glrlm_features(grey, mask)
    # 16 GLRLM features x 6 aggregations
    assert len(f) == 16 * 6 and all(t.startswith("rlm_") and t.endswith(AGGREGATIONS) for t in f)
    # runs per direction (8 voxels): horizontal 5, vertical 6, diagonal 7, anti-diagonal 6
    assert f["rlm_r_perc_2D_avg"] == pytest.approx(24 / 32)
    assert f["rlm_r_perc_2D_comb"] == pytest.approx(24 / 32)
    # merged: 11 runs of level 1 and 13 of level 2; 17 of length 1, 6 of length 2, 1 of length 3
    assert f["rlm_glnu_2D_comb"] == pytest.approx((11**2 + 13**2) / 24)
    assert f["rlm_lre_2D_comb"] == pytest.approx((17 + 6 * 4 + 9) / 24)
    assert f["rlm_sre_2_5D_comb"] == pytest.approx((17 + 6 / 4 + 1 / 9) / 24)


def test_glrlm_run_across_slices() -> None:
    grey = np.full((3, 1, 1), 2)
    f = glrlm_features(grey, grey > 0, n_levels=2)
    # along k one run of length 3; the 12 other 3D directions give 3 runs of length 1
    assert f["rlm_r_perc_3D_comb"] == pytest.approx((1 + 12 * 3) / (13 * 3))
    assert f["rlm_lgre_3D_avg"] == pytest.approx(0.25)


def test_invalid_inputs() -> None:
    grey, mask = _small()
    with pytest.raises(ValueError, match="same shape"):
        glcm_features(grey, mask[..., :2])
    with pytest.raises(ValueError, match="empty"):
        glrlm_features(grey, np.zeros_like(mask))
    with pytest.raises(ValueError, match=r"1\.\.1"):
        glcm_features(grey, mask, n_levels=1)


@pytest.mark.validation
def test_ibsi_digital_phantom(shared_dir: Path) -> None:
    sitk = pytest.importorskip("SimpleITK")
    root = shared_dir / "validation" / "ibsi"
    grey = sitk.GetArrayFromImage(sitk.ReadImage(str(root / "digital_phantom" / "image.nii.gz")))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(root / "digital_phantom" / "mask.nii.gz"))) > 0
    features = {**glcm_features(grey, mask, n_levels=6), **glrlm_features(grey, mask, n_levels=6)}
    table = root / "reference" / "ibsi_1_reference_values_digital_phantom.csv"
    with table.open(encoding="utf-8-sig", newline="") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["family"].startswith(("Co-occurrence matrix", "Run length matrix"))
        ]
    assert len(rows) == 246
    failures = []
    for row in rows:
        reference = float(row["reference value"])
        # tolerance 0: the reference is rounded to 3 significant digits
        rounding = 0.5 * 10 ** (math.floor(math.log10(abs(reference))) - 2)
        allowed = (float(row["tolerance"]) + rounding) * (1 + 1e-9)
        value = features[row["tag"]]
        if not abs(value - reference) <= allowed:
            failures.append((row["tag"], reference, value))
    assert not failures

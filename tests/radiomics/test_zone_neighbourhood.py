"""GLSZM, GLDZM, NGTDM and NGLDM features against hand computations and IBSI 1."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from theranostix.radiomics._neighbourhood import ngldm_features, ngtdm_features
from theranostix.radiomics._zones import gldzm_features, glszm_features

FAMILIES: dict[str, Callable[..., dict[str, float]]] = {
    "szm": glszm_features,
    "dzm": gldzm_features,
    "ngt": ngtdm_features,
    "ngl": ngldm_features,
}


def _all(grey: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
    roi = np.ones(grey.shape, dtype=bool) if mask is None else mask
    out: dict[str, float] = {}
    for function in FAMILIES.values():
        out.update(function(grey, roi))
    return out


def test_glszm_by_hand() -> None:
    # Zones: grey 1 of 2 voxels, grey 2 of 1 voxel; N_s = 2, N_v = 3.
    f = glszm_features(np.array([[[1, 1, 2]]]), np.ones((1, 1, 3), dtype=bool))
    assert f["szm_sze_3D"] == pytest.approx((1 / 4 + 1) / 2)
    assert f["szm_lze_3D"] == pytest.approx((4 + 1) / 2)
    assert f["szm_lgze_3D"] == pytest.approx((1 + 1 / 4) / 2)
    assert f["szm_lzhge_3D"] == pytest.approx((4 + 4) / 2)
    assert f["szm_glnu_3D"] == pytest.approx(1.0)
    assert f["szm_z_perc_3D"] == pytest.approx(2 / 3)
    assert f["szm_gl_var_3D"] == pytest.approx(0.25)
    assert f["szm_zs_entr_3D"] == pytest.approx(1.0)


def test_glszm_connectivity_26_in_3d_and_8_in_2d() -> None:
    # Diagonal neighbours across slices join in 3D but not within a slice.
    grey = np.array([[[1, 2]], [[2, 1]]])
    f = glszm_features(grey, np.ones(grey.shape, dtype=bool))
    assert f["szm_sze_3D"] == pytest.approx(0.25)  # two zones of size 2
    assert f["szm_sze_2D"] == pytest.approx(1.0)  # only zones of size 1 per slice
    assert f["szm_sze_2_5D"] == pytest.approx(1.0)
    assert f["szm_z_perc_2_5D"] == pytest.approx(1.0)
    diagonal = np.array([[[1, 2], [2, 1]]])  # in-plane diagonal joins with 8-connectivity
    assert glszm_features(diagonal, np.ones(diagonal.shape, dtype=bool))[
        "szm_sze_2D"
    ] == pytest.approx(0.25)


def test_gldzm_by_hand() -> None:
    # 3x3 slice, centre grey 2: ring zone at distance 1, centre zone at distance 2
    # in 2D; in 3D the single slice makes every voxel a border voxel (distance 1).
    grey = np.ones((1, 3, 3), dtype=int)
    grey[0, 1, 1] = 2
    mask = np.ones(grey.shape, dtype=bool)
    f = gldzm_features(grey, mask)
    assert f["dzm_sde_2D"] == pytest.approx((1 + 1 / 4) / 2)
    assert f["dzm_lde_2D"] == pytest.approx((1 + 4) / 2)
    assert f["dzm_zdnu_2D"] == pytest.approx(1.0)
    assert f["dzm_sde_3D"] == pytest.approx(1.0)
    # The edge is the mask's own border: removing a corner does not move the centre.
    mask[0, 0, 0] = False
    assert gldzm_features(grey, mask)["dzm_lde_2D"] == pytest.approx(2.5)
    mask[0, 0, 1] = False  # now the centre touches the outside
    assert gldzm_features(grey, mask)["dzm_lde_2D"] == pytest.approx(1.0)


def test_ngtdm_by_hand_excludes_voxels_without_neighbours() -> None:
    # Voxels 1 and 2 neighbour each other; the grey 3 voxel has no ROI neighbour.
    grey = np.array([[[1, 2, 1, 3]]])
    mask = np.array([[[True, True, False, True]]])
    f = ngtdm_features(grey, mask)
    # n = (1, 1), s = (1, 1), p = (0.5, 0.5), N_vc = 2.
    assert f["ngt_coarseness_3D"] == pytest.approx(1.0)
    assert f["ngt_contrast_3D"] == pytest.approx(0.25)
    assert f["ngt_busyness_3D"] == pytest.approx(1.0)
    assert f["ngt_complexity_3D"] == pytest.approx(1.0)
    assert f["ngt_strength_3D"] == pytest.approx(1.0)
    uniform = ngtdm_features(np.ones((1, 2, 2), dtype=int), np.ones((1, 2, 2), dtype=bool))
    assert uniform["ngt_coarseness_2D"] == pytest.approx(1.0e6)
    assert uniform["ngt_contrast_2D"] == 0.0


def test_ngldm_by_hand() -> None:
    # Dependences: grey 1 voxels k = 1 (j = 2) twice, grey 2 voxel k = 0 (j = 1).
    f = ngldm_features(np.array([[[1, 1, 2]]]), np.ones((1, 1, 3), dtype=bool))
    assert f["ngl_lde_3D"] == pytest.approx((2 / 4 + 1) / 3)
    assert f["ngl_hde_3D"] == pytest.approx((2 * 4 + 1) / 3)
    assert f["ngl_lgce_3D"] == pytest.approx((2 + 1 / 4) / 3)
    assert f["ngl_hgce_3D"] == pytest.approx((2 + 4) / 3)
    assert f["ngl_dcnu_3D"] == pytest.approx(5 / 3)
    assert f["ngl_dc_perc_3D"] == pytest.approx(1.0)
    assert f["ngl_dc_energy_3D"] == pytest.approx(5 / 9)


@pytest.mark.parametrize(
    ("grey", "mask", "message"),
    [
        (np.ones((2, 2, 2, 2)), np.ones((2, 2, 2, 2), dtype=bool), "2D or 3D"),
        (np.ones((1, 2, 2)), np.ones((1, 2, 3), dtype=bool), "shape"),
        (np.ones((1, 2, 2)), np.ones((1, 2, 2)), "boolean"),
        (np.ones((1, 2, 2)), np.zeros((1, 2, 2), dtype=bool), "empty"),
        (np.zeros((1, 2, 2)), np.ones((1, 2, 2), dtype=bool), "must lie in 1"),
        (np.full((1, 2, 2), 1.5), np.ones((1, 2, 2), dtype=bool), "integer"),
    ],
)
@pytest.mark.parametrize("function", FAMILIES.values())
def test_invalid_input(
    function: Callable[..., dict[str, float]], grey: np.ndarray, mask: np.ndarray, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        function(grey, mask)


def test_n_levels_too_small_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"1\.\.2"):
        glszm_features(np.array([[[1, 3]]]), np.ones((1, 1, 2), dtype=bool), n_levels=2)


def _ibsi_rows(shared_dir: Path) -> list[dict[str, str]]:
    path = shared_dir / "validation/ibsi/reference/ibsi_1_reference_values_digital_phantom.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["tag"].split("_")[0] in FAMILIES]


def _rounding_tolerance(reference: float) -> float:
    """Half a unit of the third significant digit: IBSI reports 3 significant digits."""
    if reference == 0.0:
        return 5.0e-4
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(reference))) - 2)


@pytest.mark.validation
def test_ibsi_digital_phantom(shared_dir: Path) -> None:
    sitk = pytest.importorskip("SimpleITK")
    folder = shared_dir / "validation/ibsi/digital_phantom"
    grey = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "image.nii.gz"))).astype(int)
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "mask.nii.gz"))) > 0
    features: dict[str, float] = {}
    for function in FAMILIES.values():
        features.update(function(grey, mask, n_levels=6))
    rows = _ibsi_rows(shared_dir)
    assert len(rows) == 162
    failures = []
    for row in rows:
        reference = float(row["reference value"])
        tolerance = max(float(row["tolerance"] or 0.0), _rounding_tolerance(reference))
        value = features.get(row["tag"])
        if value is None or abs(value - reference) > tolerance * (1 + 1e-9):
            failures.append((row["tag"], reference, value))
    assert not failures
    assert set(features) == {row["tag"] for row in rows}

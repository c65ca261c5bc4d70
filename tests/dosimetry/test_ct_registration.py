"""CT-to-CT registration and VOI propagation between time points."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from theranostix.dosimetry._registration import propagate_mask, register_ct
from theranostix.errors import ThxError
from theranostix.imaging import Mask, Volume
from theranostix.phantoms import make_patient


@pytest.fixture(scope="module")
def moved() -> dict[str, Any]:
    """The phantom CT and liver, and both moved by a known rigid transform."""
    import SimpleITK as sitk

    from theranostix.imaging import to_sitk

    patient = make_patient("psma", lesions=0, seed=2, voxel_mm=8.0)
    ct = patient.ct
    liver = patient.region_mask("liver")
    truth = sitk.Euler3DTransform()
    truth.SetCenter(ct.geometry.index_to_lps(np.array(ct.geometry.shape[::-1]) / 2).tolist())
    truth.SetRotation(0.0, 0.0, np.deg2rad(3.0))
    truth.SetTranslation((6.0, -4.0, 9.0))
    # the moving image: sampled at T(p) for every fixed point p (anatomy moved by T^-1)
    moving = sitk.Resample(to_sitk(ct), to_sitk(ct), truth, sitk.sitkLinear, -1000.0)
    moving_liver = sitk.Resample(
        sitk.Cast(to_sitk(liver), sitk.sitkFloat32), to_sitk(ct), truth, sitk.sitkLinear, 0.0
    )
    return {
        "ct": ct,
        "liver": liver,
        "truth": truth,
        "moving_ct": Volume(sitk.GetArrayFromImage(moving), ct.geometry),
        "moving_liver": Mask(sitk.GetArrayFromImage(moving_liver) >= 0.5, ct.geometry, "liver"),
        "rigid": register_ct(ct, Volume(sitk.GetArrayFromImage(moving), ct.geometry)),
    }


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b)))


def test_rigid_registration_recovers_the_motion(moved: dict[str, Any]) -> None:
    # moving(p) = ct(T(p)): the registration maps fixed points p to T^-1 (p)
    reg = moved["rigid"]
    inverse = moved["truth"].GetInverse()
    ct = moved["ct"]
    body = np.argwhere(ct.array > -500)[::97]  # points inside the body, (k, j, i)
    points = ct.geometry.index_to_lps(body[:, ::-1].astype(float))
    errors = [
        np.linalg.norm(np.subtract(reg.transform.TransformPoint(p.tolist()),
                                   inverse.TransformPoint(p.tolist())))
        for p in points
    ]  # fmt: skip
    assert max(errors) < 2.0  # mm, with 8 mm voxels
    assert np.mean(errors) < 1.0
    assert not reg.deformable


def test_propagated_voi_matches_the_original(moved: dict[str, Any]) -> None:
    reg = moved["rigid"]
    back = propagate_mask(moved["moving_liver"], reg, moved["ct"])
    assert back.name == "liver"
    before = _dice(moved["moving_liver"].array, moved["liver"].array)
    after = _dice(back.array, moved["liver"].array)
    assert before < 0.9 < 0.93 < after


def test_deformable_refinement_keeps_the_alignment(moved: dict[str, Any]) -> None:
    reg = register_ct(
        moved["ct"],
        moved["moving_ct"],
        deformable=True,
        bspline_mesh_mm=150.0,
        bspline_iterations=8,
    )
    back = propagate_mask(moved["moving_liver"], reg, moved["ct"])
    assert reg.deformable and _dice(back.array, moved["liver"].array) > 0.9


def test_not_a_ct(moved: dict[str, Any]) -> None:
    blank = Volume(np.full(moved["ct"].geometry.shape, -1000.0), moved["ct"].geometry)
    with pytest.raises(ThxError, match="moving CT has no voxel"):
        register_ct(moved["ct"], blank)

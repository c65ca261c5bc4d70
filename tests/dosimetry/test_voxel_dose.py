"""Voxel dosimetry: VSV convolution, kernel rescaling, local deposition, DVH, voxel TIA."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from theranostix.dosimetry._voxel import (
    dose_volume_statistics,
    local_deposition_dose_gy,
    rescaled_kernel,
    tabled_vsv,
    voxel_dose_gy,
    voxel_tia_mono_exponential,
    voxel_tia_scaled,
    vsv_kernel,
)
from theranostix.errors import ThxError
from theranostix.imaging import Geometry, Mask, Volume

MEV_TO_J = 1.602176634e-13


def _grid(n: int, voxel_mm: float) -> Geometry:
    return Geometry((n, n, n), origin_mm=(-(n - 1) * voxel_mm / 2,) * 3, spacing_mm=(voxel_mm,) * 3)


def _sphere_doses(voxel_mm: float, radius_mm: float = 30.0) -> tuple[float, float]:
    """Mean dose (Gy) in the central 1 cm and in the outer 6 mm of a uniform sphere."""
    n = int(np.ceil(160 / voxel_mm))
    g = _grid(n, voxel_mm)
    k, j, i = np.indices(g.shape)
    c = (n - 1) / 2
    r = np.sqrt((k - c) ** 2 + (j - c) ** 2 + (i - c) ** 2) * voxel_mm
    inside = r <= radius_mm
    tia = np.where(inside, voxel_mm**3 / 1000.0, 0.0)  # 1 MBq·h per mL
    dose = voxel_dose_gy(Volume(tia, g), "Lu-177").array
    return float(dose[r <= 10].mean()), float(dose[(r > radius_mm - 6) & inside].mean())


def test_uniform_activity_gives_the_kernel_sum() -> None:
    # the analytic check: far from the edges, D = A_voxel x sum(S)
    g = _grid(31, 4.0)
    tia = np.full(g.shape, 2.5)  # MBq·h per voxel
    dose = voxel_dose_gy(Volume(tia, g), "Lu-177").array
    kernel, size = vsv_kernel("Lu-177", 4.0)
    assert size == 4.0
    expected = 2.5 * 3600 * kernel.sum() * 1e-3
    assert dose[15, 15, 15] == pytest.approx(expected, rel=1e-9)
    # on the first slice the sources beyond the edge are missing: half the kernel in k
    assert dose[0, 15, 15] == pytest.approx(2.5 * 3600 * kernel[5:].sum() * 1e-3, rel=1e-9)


def test_kernel_is_the_table(shared_dir: Path) -> None:
    # an independent read of the original file in ../shared
    rows = (shared_dir / "data" / "vsv" / "177Lu4mmsoft.txt").read_text(encoding="latin-1")
    table = {
        tuple(int(v) for v in parts[:3]): float(parts[3])
        for parts in (line.split() for line in rows.splitlines()[2:])
        if len(parts) == 4
    }
    kernel, _ = vsv_kernel("lu177", 4.0)
    for (i, j, k), value in table.items():
        for si, sj, sk in ((1, 1, 1), (-1, 1, 1), (1, -1, -1), (-1, -1, -1)):
            assert kernel[5 + sk * k, 5 + sj * j, 5 + si * i] == value
    assert ("177Lu", "soft") in tabled_vsv() and len(tabled_vsv()) == 14  # 7 nuclides x 2


def test_kernel_energy_matches_the_electron_energy() -> None:
    from theranostix.nuclides import Nuclide

    kernel, _ = vsv_kernel("Lu-177", 4.0)
    mass_kg = 4.0**3 * 1e-3 * 1.04 * 1e-3
    electrons = 1e6 * Nuclide("Lu-177").electron_energy_mev * MEV_TO_J / mass_kg * 1e3  # mGy
    # the kernel holds the electrons' energy (less what goes beyond 5 voxels) and the
    # little photon energy absorbed within 20 mm: 90-100 % of the electron energy
    assert 0.9 < kernel.sum() / electrons < 1.0


def test_rescaled_kernel_error_is_the_documented_one() -> None:
    for start, target in ((4.0, 4.8), (4.8, 4.0), (3.0, 4.42), (6.0, 4.8)):
        rescaled, size = rescaled_kernel("Lu-177", (target,) * 3, from_size_mm=start)
        tabled, _ = vsv_kernel("Lu-177", target)
        assert size == start
        c, t = rescaled.shape[0] // 2, tabled.shape[0] // 2
        assert rescaled.sum() == pytest.approx(tabled.sum(), rel=0.01)
        assert rescaled[c, c, c] == pytest.approx(tabled[t, t, t], rel=0.09)
        np.testing.assert_allclose(rescaled, rescaled[::-1, ::-1, ::-1])  # symmetric


@pytest.mark.parametrize("voxel_mm", [4.5, 4.6])
def test_untabled_voxel_size_gives_the_tabled_doses(voxel_mm: float) -> None:
    centre, edge = _sphere_doses(voxel_mm)
    for tabled in (4.42, 4.8):
        ref_centre, ref_edge = _sphere_doses(tabled)
        assert centre == pytest.approx(ref_centre, rel=0.01)
        assert edge == pytest.approx(ref_edge, rel=0.01)
    # and the physics: 1 MBq·h/mL of Lu-177 in a large sphere, electrons absorbed locally
    from theranostix.nuclides import Nuclide

    local = 3.6e9 * Nuclide("Lu-177").electron_energy_mev * MEV_TO_J / 1.04e-3
    assert 0.9 * local < centre < 1.02 * local


def test_anisotropic_voxels() -> None:
    g = Geometry((21, 31, 31), spacing_mm=(3.0, 3.0, 5.0))
    tia = np.full(g.shape, 1.0)
    dose = voxel_dose_gy(Volume(tia, g), "Lu-177")
    assert "rescaled to 3x3x5 mm" in dose.metadata["method"]
    # uniform concentration: the centre dose is A/V x (energy per decay / density)
    centre = dose.array[10, 15, 15]
    per_ml = 1.0 / (3 * 3 * 5e-3)
    reference = _sphere_doses(4.0)[0] * per_ml  # 4 mm tabled result for 1 MBq·h/mL
    assert centre == pytest.approx(reference, rel=0.02)


def test_density_scaling_and_local_deposition() -> None:
    g = _grid(11, 4.0)
    tia = Volume(np.full(g.shape, 1.0), g)
    rho = np.full(g.shape, 2.08)
    rho[0] = 0.001  # air
    plain = voxel_dose_gy(tia, "Lu-177").array
    scaled = voxel_dose_gy(tia, "Lu-177", density_g_cm3=Volume(rho, g)).array
    np.testing.assert_allclose(scaled[1:], plain[1:] / 2.0)
    assert np.all(scaled[0] == 0.0)
    local = local_deposition_dose_gy(tia, 0.1479, density_g_cm3=1.0).array
    assert local[5, 5, 5] == pytest.approx(3.6e9 * 0.1479 * MEV_TO_J / (0.064e-3))


def test_dose_volume_statistics() -> None:
    g = Geometry((1, 10, 10), spacing_mm=(2.0, 2.0, 2.0))
    dose = np.full(g.shape, 10.0)
    dose[0, :5] = 30.0  # half the voxels at 30 Gy, half at 10 Gy
    s = dose_volume_statistics(Volume(dose, g), Mask(np.ones(g.shape, bool), g), alpha_per_gy=0.1)
    assert (s.mean_gy, s.d2_gy, s.d50_gy, s.d98_gy) == (20.0, 30.0, 30.0, 10.0)
    assert s.eud_gy == pytest.approx(-math.log(0.5 * math.exp(-3.0) + 0.5 * math.exp(-1.0)) / 0.1)
    assert s.volume_ml == pytest.approx(100 * 8e-3)
    assert s.dvh_volume_fraction[0] == 1.0 and s.dvh_volume_fraction[-1] == 0.0
    uniform = dose_volume_statistics(
        Volume(np.full(g.shape, 7.0), g), Mask(np.ones(g.shape, bool), g), alpha_per_gy=0.3
    )
    assert uniform.eud_gy == pytest.approx(7.0)


def test_voxel_tia_mono_exponential() -> None:
    g = Geometry((1, 2, 2))
    t = [4.0, 24.0, 96.0, 168.0]
    half_lives = np.array([[[30.0, 80.0], [159.5, 400.0]]])  # the last one slower than physics
    a0 = np.array([[[10.0, 5.0], [2.0, 1.0]]])
    maps = [Volume(a0 * 0.5 ** (ti / half_lives), g) for ti in t]
    tia = voxel_tia_mono_exponential(maps, t, physical_half_life_h=159.5).array
    expected = a0 * half_lives / math.log(2)
    np.testing.assert_allclose(tia[0, 0], expected[0, 0], rtol=1e-9)
    np.testing.assert_allclose(tia[0, 1, 0], expected[0, 1, 0], rtol=1e-9)
    # constrained to physical decay: the fit is refitted with lambda_phys
    assert tia[0, 1, 1] < expected[0, 1, 1]
    assert tia[0, 1, 1] == pytest.approx(
        np.exp(np.mean(np.log([m.array[0, 1, 1] for m in maps]) + math.log(2) / 159.5 * np.array(t)))
        * 159.5 / math.log(2)
    )  # fmt: skip
    with pytest.raises(ThxError, match="increasing"):
        voxel_tia_mono_exponential(maps, [4.0, 24.0, 24.0, 168.0], physical_half_life_h=159.5)


def test_voxel_tia_scaled_and_errors() -> None:
    g = Geometry((1, 1, 4))
    activity = Volume(np.array([[[1.0, 2.0, 3.0, 4.0]]]), g)
    voi = Mask(np.array([[[True, True, True, False]]]), g, "kidney")
    tia = voxel_tia_scaled(activity, voi, 60.0).array
    assert tia.ravel().tolist() == [10.0, 20.0, 30.0, 0.0]
    with pytest.raises(ThxError, match="kidney"):
        voxel_tia_scaled(Volume(np.zeros((1, 1, 4)), g), voi, 60.0)
    with pytest.raises(ThxError, match="negative"):
        voxel_dose_gy(Volume(-activity.array, g), "Lu-177")
    with pytest.raises(ThxError, match="no voxel S-values for Ac-225"):
        voxel_dose_gy(activity, "Ac-225")

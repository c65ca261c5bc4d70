"""Benchmark of issue 6: voxel dosimetry of 4 SPECT time points of 128³, and the organ workflow.

Voxel: four synthetic Lu-177 activity maps of 128 x 128 x 128 voxels of 4.8 mm (eight
blobs with effective half-lives from 30 to 150 h in a warm body), a mono-exponential
fitted in every voxel (``voxel_tia_mono_exponential``) and the convolution with the
4.8 mm voxel S-value kernel (``voxel_dose_gy``). Target: under 10 s.

Organ: the same four maps with eight VOIs: the activity of each VOI at each time point,
a time-activity fit by AICc per VOI (``fit_tac``), and the organ self-doses from the
S-value table with mass scaling (``organ_dose_gy``). Target: under 2 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

SHAPE = (128, 128, 128)
VOXEL_MM = 4.8
TIMES_H = (4.0, 24.0, 96.0, 168.0)
ORGANS = ("kidneys", "liver", "spleen", "salivary_glands", "red_marrow", "lungs", "pancreas",
          "thyroid")  # fmt: skip


def _maps() -> tuple[list[object], dict[str, object]]:
    from theranostix.imaging import Geometry, Mask, Volume

    rng = np.random.default_rng(6)
    g = Geometry(SHAPE, spacing_mm=(VOXEL_MM,) * 3)
    k, j, i = np.indices(SHAPE, dtype=np.float32)
    body = ((j - 64) / 50) ** 2 + ((i - 64) / 60) ** 2 <= 1.0
    blobs = []
    for n, organ in enumerate(ORGANS):
        centre = rng.uniform(30, 98, 3)
        radius = rng.uniform(4, 9)
        inside = (k - centre[0]) ** 2 + (j - centre[1]) ** 2 + (i - centre[2]) ** 2 <= radius**2
        blobs.append((organ, inside, rng.uniform(0.05, 0.4), 30.0 + 15.0 * n))
    maps = []
    for t in TIMES_H:
        activity = np.where(body, 0.002 * 0.5 ** (t / 60.0), 0.0)  # MBq per voxel
        for _, inside, a0, half_life in blobs:
            activity = np.where(inside, a0 * 0.5 ** (t / half_life), activity)
        noisy = activity * (1.0 + 0.05 * rng.standard_normal(SHAPE))
        maps.append(Volume(np.maximum(noisy, 0.0).astype(np.float32), g))
    masks = {organ: Mask(inside, g, organ) for organ, inside, _, _ in blobs}
    return maps, masks


def _timed(func: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


def dosimetry_rows() -> list[tuple[str, list[float], float | None]]:
    """Time the voxel and the organ dosimetry."""
    from theranostix.dosimetry._kinetics import fit_tac
    from theranostix.dosimetry._organ import organ_dose_gy
    from theranostix.dosimetry._voxel import voxel_dose_gy, voxel_tia_mono_exponential

    maps, masks = _maps()

    def voxel() -> None:
        tia = voxel_tia_mono_exponential(maps, TIMES_H, physical_half_life_h=159.53)  # type: ignore[arg-type]
        voxel_dose_gy(tia, "Lu-177")

    def organ() -> None:
        tias = {}
        masses = {}
        voxel_ml = VOXEL_MM**3 * 1e-3
        for organ, mask in masks.items():
            inside = mask.array  # type: ignore[attr-defined]
            curve = [float(m.array[inside].sum()) for m in maps]  # type: ignore[attr-defined]
            fit = fit_tac(np.array(TIMES_H), np.array(curve), nuclide="Lu-177")
            tias[organ] = fit.tia_mbq_h
            masses[organ] = float(inside.sum()) * voxel_ml * 1.04
        organ_dose_gy(tias, nuclide="Lu-177", phantom="adult-male", masses_g=masses)

    return [
        (f"voxel dosimetry: 4 time points of {SHAPE[0]}³, voxel fit + VSV convolution",
         _timed(voxel, 3), 10.0),
        ("organ dosimetry: 8 VOIs x 4 time points, TAC fits (AICc) + S-value doses",
         _timed(organ, 3), 2.0),
    ]  # fmt: skip

"""Benchmark of issue 4: a whole-body PET of 200 x 200 x 400 voxels with 20 lesions.

The series is synthetic: an elliptic body (SUV 0.8), a liver (SUV 2.0), kidneys (8),
a bladder (15), a brain (7) and 20 spheres of 10 to 40 mm (SUV 4 to 15), blurred by
a 6 mm PSF with Gaussian noise of 10 %, written as DICOM PET (Bq/mL, FDG) with the
organs as a DICOM SEG. Timed: DICOM (PET + SEG) to the lesion table, the JSON
report, the label map and the MIP picture; and the per-lesion metrics alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

SHAPE = (400, 200, 200)  # slices, rows, columns
SPACING_MM = (3.0, 3.0, 2.0)  # i, j, k: 600 x 600 x 800 mm
LESIONS = 20


def write_study(folder: Path) -> tuple[Path, Path]:
    """Write the PET series and the organ SEG; return their paths."""
    from scipy import ndimage

    from theranostix.imaging import (
        DecayCorrection,
        Geometry,
        ImageUnit,
        Mask,
        Modality,
        PatientInfo,
        Radiopharmaceutical,
        Timing,
        Volume,
        write_dicom_series,
        write_seg,
    )
    from theranostix.nuclides import Nuclide

    g = Geometry(SHAPE, origin_mm=(-298.5, -298.5, -799.0), spacing_mm=SPACING_MM)
    k, j, i = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    x = g.origin_mm[0] + i * SPACING_MM[0]
    y = g.origin_mm[1] + j * SPACING_MM[1]
    z = g.origin_mm[2] + k * SPACING_MM[2]

    def ellipsoid(c: tuple[float, float, float], r: tuple[float, float, float]) -> np.ndarray:
        return ((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1

    body = (((x / 170.0) ** 2 + (y / 110.0) ** 2) <= 1) & (z > -780) & (z < -20)
    organs = {
        "liver": ellipsoid((-75.0, 0.0, -350.0), (85.0, 80.0, 75.0)),
        "kidneys": ellipsoid((-70.0, 60.0, -450.0), (28.0, 25.0, 55.0))
        | ellipsoid((70.0, 60.0, -450.0), (28.0, 25.0, 55.0)),
        "bladder": ellipsoid((0.0, -30.0, -700.0), (40.0, 35.0, 30.0)),
        "brain": ellipsoid((0.0, 0.0, -80.0), (60.0, 75.0, 55.0)),
    }
    suv = np.zeros(SHAPE, dtype=np.float32)
    suv[body] = 0.8
    for name, value in (("liver", 2.0), ("kidneys", 8.0), ("bladder", 15.0), ("brain", 7.0)):
        organs[name] = organs[name] & (body | (name == "brain"))
        suv[organs[name]] = value
    rng = np.random.default_rng(4)
    centres = [(-75.0, 0.0, -330.0), (-100.0, 30.0, -380.0)]  # two in the liver
    while len(centres) < LESIONS:
        c = (rng.uniform(-140, 140), rng.uniform(-80, 80), rng.uniform(-760, -200))
        if ((c[0] / 150) ** 2 + (c[1] / 95) ** 2 <= 1) and all(
            np.linalg.norm(np.subtract(c, o)) > 60 for o in centres
        ):
            centres.append(c)
    for n, c in enumerate(centres):
        radius = 5.0 + 15.0 * (n % 7) / 6.0
        sphere = ellipsoid(c, (radius, radius, radius))
        suv[sphere] = 4.0 + 11.0 * ((n * 7) % 20) / 19.0
    sigma = 6.0 / 2.3548 / np.array(SPACING_MM[::-1])
    suv = ndimage.gaussian_filter(suv, sigma)
    suv *= 1.0 + 0.1 * rng.standard_normal(SHAPE, dtype=np.float32)
    np.maximum(suv, 0.0, out=suv)
    injected, weight = 250e6, 75.0
    bqml = suv * (injected / (weight * 1000.0))  # SUV -> Bq/mL at the scan (DC to start)
    scan = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    injection = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    half_life = 6586.2
    bqml *= np.float32(np.exp(-np.log(2) * 3600.0 / half_life))
    volume = Volume(
        bqml, g, ImageUnit.BQ_PER_ML, Modality.PT, PatientInfo(weight_kg=weight, height_m=1.78),
        Radiopharmaceutical(nuclide=Nuclide("F-18"), half_life_s=half_life,
                            injected_activity_bq=injected, injection_time=injection),
        Timing(acquisition_start=scan, frame_duration_s=120.0,
               decay_correction=DecayCorrection.START, decay_reference_time=scan),
    )  # fmt: skip
    files = write_dicom_series(volume, folder / "pet", series_description="benchmark FDG PET")
    masks = [Mask(mask, g, name) for name, mask in organs.items()]
    seg = write_seg(masks, files, folder / "organs_seg.dcm")
    return folder / "pet", seg


def analysis_rows(folder: Path) -> list[tuple[str, list[float], float | None]]:
    """Time the end-to-end analysis and the per-lesion metrics."""
    from theranostix.biomarkers import analyze_study, measure_lesions, write_study_outputs
    from theranostix.imaging import load_masks

    pet, seg = write_study(folder)
    counts: list[int] = []

    def end_to_end() -> None:
        study = analyze_study(pet, organs_path=seg, method="percist", tracer="fdg")
        write_study_outputs(study, folder / "out", seg=False)
        counts.append(study.analysis.summary.lesion_count)

    def timed(func: Callable[[], object], repeat: int) -> list[float]:
        out = []
        for _ in range(repeat):
            start = time.perf_counter()
            func()
            out.append(time.perf_counter() - start)
        return out

    total = timed(end_to_end, 3)
    study = analyze_study(pet, organs_path=seg, method="percist", tracer="fdg")
    a = study.analysis
    organs = load_masks(seg, a.image.geometry)
    per_lesion = [
        t / max(a.summary.lesion_count, 1)
        for t in timed(lambda: measure_lesions(a.image, a.segmentation, organs), 5)
    ]
    with_seg = timed(lambda: write_study_outputs(study, folder / "out_seg"), 1)
    print(f"PET analysis benchmark: {counts[-1]} lesions found of {LESIONS} placed")
    return [
        (f"PET {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]}, {LESIONS} lesions: DICOM to lesion table + MIP",
         total, 10.0),
        ("conventional metrics per lesion (SUVmax/peak/mean, MTV, TLG, axes)", per_lesion, 0.050),
        ("writing the DICOM SEG of the lesions (highdicom) with the other outputs", with_seg,
         None),
    ]  # fmt: skip

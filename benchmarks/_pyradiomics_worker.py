"""PyRadiomics side of ``radiomics_vs_pyradiomics.py``; runs in the PyRadiomics venv only.

Started by the driver as::

    benchmarks/.venv-pyradiomics/bin/python benchmarks/_pyradiomics_worker.py JOB.json

``JOB.json`` holds ``settings`` (PyRadiomics extractor settings), ``repeat`` and
``cases`` (``name``, ``image``, ``mask``: NIfTI files, label 1). The files are read
outside the timing. For every case and repeat, the pre-processing of
``RadiomicsFeatureExtractor.execute`` (mask check, resampling, re-segmentation, the
bounding box and the crop to it) is timed as ``preprocessing``, then each feature
class (``shape`` on the un-resegmented mask, as PyRadiomics does, the others on the
re-segmented one) is timed from its construction (discretisation and matrices) to
the end of ``execute()`` with every default feature enabled. The best of the repeats
of each measurement is kept. The result is printed as JSON on stdout: per case the
seconds per step, the ROI voxel count after re-segmentation and the number of grey
levels of the GLCM. Deliberately free of theranostix: only the standard library,
NumPy, SimpleITK and PyRadiomics.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import numpy as np
import SimpleITK as sitk

CLASSES = ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")


def _quiet() -> None:
    """Silence PyRadiomics (it logs to stderr from import on)."""
    import radiomics

    radiomics.setVerbosity(logging.CRITICAL + 10)
    logging.getLogger("radiomics").setLevel(logging.CRITICAL + 10)


def _preprocess(
    image: Any, mask: Any, settings: dict[str, Any]
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """What ``execute`` does before the features: (shape inputs, texture inputs), cropped."""
    from radiomics import featureextractor, imageoperations

    image, mask = featureextractor.RadiomicsFeatureExtractor.loadImage(
        image, mask, None, **settings
    )
    box, corrected = imageoperations.checkMask(image, mask, **settings)
    if corrected is not None:
        mask = corrected
    shape_box = box
    texture_mask = mask
    if settings.get("resegmentRange") is not None:
        texture_mask = imageoperations.resegmentMask(image, mask, **settings)
        box, _ = imageoperations.checkMask(image, texture_mask, **settings)
    if box is None or shape_box is None:
        raise ValueError("the mask fails the PyRadiomics checks")
    shape_inputs = imageoperations.cropToTumorMask(image, mask, shape_box)
    texture_inputs = imageoperations.cropToTumorMask(image, texture_mask, box)
    return shape_inputs, texture_inputs


def _warm_up(settings: dict[str, Any]) -> None:
    """One untimed run on a tiny image: imports and first-call costs out of the timings."""
    rng = np.random.default_rng(0)
    values = rng.uniform(0.0, 10.0, (12, 12, 12))
    inside = np.zeros((12, 12, 12), dtype=np.uint8)
    inside[3:9, 3:9, 3:9] = 1
    image, mask = sitk.GetImageFromArray(values), sitk.GetImageFromArray(inside)
    for item in (image, mask):
        item.SetSpacing((4.0, 4.0, 4.0))
    _time_case("warm-up", image, mask, settings, 1)


def _run_case(case: dict[str, Any], settings: dict[str, Any], repeat: int) -> dict[str, Any]:
    image = sitk.ReadImage(case["image"], sitk.sitkFloat64)
    mask = sitk.ReadImage(case["mask"], sitk.sitkUInt8)
    return _time_case(case["name"], image, mask, settings, repeat)


def _time_case(
    name: str, image: Any, mask: Any, settings: dict[str, Any], repeat: int
) -> dict[str, Any]:
    from radiomics import getFeatureClasses

    classes = getFeatureClasses()
    best: dict[str, float] = {}
    n_features = 0
    grey_levels = 0
    for _ in range(repeat):
        start = time.perf_counter()
        shape_inputs, texture_inputs = _preprocess(image, mask, settings)
        times = {"preprocessing": time.perf_counter() - start}
        n_features = 0
        for family in CLASSES:
            inputs = shape_inputs if family == "shape" else texture_inputs
            start = time.perf_counter()
            feature_class = classes[family](*inputs, **settings)
            values = feature_class.execute()
            times[family] = time.perf_counter() - start
            n_features += len(values)
            if family == "glcm":
                grey_levels = int(feature_class.coefficients["Ng"])
        for key, value in times.items():
            best[key] = min(best.get(key, np.inf), value)
    voxels = int(np.count_nonzero(sitk.GetArrayViewFromImage(texture_inputs[1]) == 1))
    return {
        "name": name,
        "seconds": best,
        "roi_voxels": voxels,
        "grey_levels": grey_levels,
        "features": n_features,
    }


def main() -> None:
    """Run the job named on the command line and print the timings as JSON."""
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    _quiet()
    import radiomics

    settings = {"additionalInfo": False, **job["settings"]}
    _warm_up(settings)
    results = [_run_case(case, settings, int(job["repeat"])) for case in job["cases"]]
    versions = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "SimpleITK": sitk.Version.VersionString(),
        "pyradiomics": radiomics.__version__,
    }
    json.dump({"versions": versions, "cases": results}, sys.stdout)


if __name__ == "__main__":
    main()

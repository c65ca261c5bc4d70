"""theranostix IBSI radiomics against PyRadiomics 3.0.1, side by side on the same regions.

Run with ``make bench-radiomics`` (it builds the PyRadiomics venv
``benchmarks/.venv-pyradiomics`` from ``benchmarks/pyradiomics-requirements.txt``
first; options through ``ARGS``, e.g. ``make bench-radiomics ARGS="--quick"``), or once
that venv exists::

    .venv/bin/python benchmarks/radiomics_vs_pyradiomics.py [--quick] [--json FILE]

Three region sets, each with the same voxels and the same bin width for both tools:

1. PET lesions of two synthetic patients (``theranostix.phantoms.make_patient``,
   4 mm voxels, SUV), 20 spheres of 12 to 60 mm. theranostix preset ``pet`` (3D, no
   interpolation, re-segmentation SUV >= 0, fixed bin size 0.25); PyRadiomics:
   ``binWidth`` 0.25, no resampling, ``resegmentRange`` [0], distance 1, 13-direction
   3D GLCM, ``voxelArrayShift`` 0.
2. The GTV of the IBSI CT phantom (``/work/shared/validation/ibsi/ct_phantom``; read
   only, skipped when absent), intensities rounded to integers. theranostix preset
   ``ibsi-C`` (2 mm isotropic trilinear interpolation, re-segmentation [-1000, 400]
   HU, bin width 25); PyRadiomics: ``resampledPixelSpacing`` [2, 2, 2],
   ``sitkLinear``, the same re-segmentation range and bin width.
3. One large irregular ROI of about 500,000 voxels (a blurred, noisy, heterogeneous blob
   in a synthetic SUV image, 2 mm voxels), preset ``pet`` as in 1. The peak memory
   of theranostix (tracemalloc) on it is reported too.

Measured: wall-clock seconds of the pre-processing (theranostix ``prepare_roi``:
interpolation, re-segmentation, discretisation, crop; PyRadiomics: what
``RadiomicsFeatureExtractor.execute`` does before the features) and of every
feature family (theranostix ``family_features``; PyRadiomics a feature class from
its construction, which discretises and builds the matrices, to ``execute()``).
The PyRadiomics side runs in its own venv as a subprocess
(``_pyradiomics_worker.py``) on NIfTI copies of the same images and masks; file
reading is not timed. Each measurement is the best of ``--repeat`` runs (3).

Families compared: morphology <-> shape; statistics + intensity histogram <->
firstorder; GLCM, GLRLM, GLSZM, NGTDM <-> the same; NGLDM <-> GLDM. The local
intensity peaks, GLDZM, the intensity-volume histogram and the diagnostics have no
PyRadiomics counterpart: they are timed and shown, outside the ratios. The
morphology family computes more than PyRadiomics' shape class (Moran's I, Geary's C,
centre of mass shift, integrated intensity, AABB/AEE/convex-hull densities): it is
compared with its 25 standardised features (settings ``[morphology] non_standard =
false``) against PyRadiomics' 14; the OMBB and MVEE densities, which IBSI does not
standardise and PyRadiomics does not compute, are timed apart
(``morphology_ombb_mvee``, the extra time of the whole family).

Targets (issue): theranostix at least 5 times faster per region overall (comparable
families plus pre-processing), and no compared family slower than PyRadiomics. The
exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().with_name("_pyradiomics_worker.py")
PYRADIOMICS_PYTHON = ROOT / "benchmarks" / ".venv-pyradiomics" / "bin" / "python"
IBSI_CT = ROOT.parent / "shared" / "validation" / "ibsi" / "ct_phantom"
if not IBSI_CT.is_dir():  # a work tree outside the usual layout
    IBSI_CT = Path("/work/shared/validation/ibsi/ct_phantom")

#: Compared rows: label, PyRadiomics steps, theranostix steps (summed).
COMPARED: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("pre-processing", ("preprocessing",), ("preprocessing",)),
    ("shape <-> morphology", ("shape",), ("morphology",)),
    (
        "firstorder <-> statistics + histogram",
        ("firstorder",),
        ("statistics", "intensity_histogram"),
    ),
    ("glcm", ("glcm",), ("glcm",)),
    ("glrlm", ("glrlm",), ("glrlm",)),
    ("glszm", ("glszm",), ("glszm",)),
    ("gldm <-> ngldm", ("gldm",), ("ngldm",)),
    ("ngtdm", ("ngtdm",), ("ngtdm",)),
)
#: theranostix families without a PyRadiomics counterpart (shown, not in the ratios).
UNCOMPARED = (
    "local_intensity",
    "morphology_ombb_mvee",
    "gldzm",
    "intensity_volume_histogram",
    "diagnostics",
)
TARGET_OVERALL = 5.0  # PyRadiomics / theranostix, per region overall
TARGET_FAMILY = 1.0  # no compared family slower than PyRadiomics

PYRADIOMICS_PET = {
    "binWidth": 0.25,
    "resegmentRange": [0.0],
    "force2D": False,
    "distances": [1],
    "voxelArrayShift": 0,
    "resampledPixelSpacing": None,
}
PYRADIOMICS_CT = {
    "binWidth": 25.0,
    "resegmentRange": [-1000.0, 400.0],
    "force2D": False,
    "distances": [1],
    "voxelArrayShift": 0,
    "resampledPixelSpacing": [2.0, 2.0, 2.0],
    "interpolator": "sitkLinear",
}

# Lesions (site, diameter mm) of the two synthetic PET patients: 20 of 12 to 60 mm.
PATIENTS: tuple[tuple[str, int, tuple[tuple[str, float], ...]], ...] = (
    ("fdg", 21, (("liver", 60), ("liver", 45), ("liver", 30), ("liver", 20),
                 ("lymph_node", 12), ("lymph_node", 18), ("lymph_node", 24),
                 ("bone", 14), ("bone", 20), ("bone", 26))),
    ("psma", 22, (("liver", 50), ("liver", 35), ("liver", 25), ("liver", 15),
                  ("lymph_node", 12), ("lymph_node", 16), ("lymph_node", 22),
                  ("bone", 12), ("bone", 18), ("bone", 24))),
)  # fmt: skip
QUICK_LESIONS = 5
LARGE_ROI_VOXELS = 500_000


@dataclass
class Region:
    """One ROI: its image and mask on the same grid."""

    name: str
    image: Any  # theranostix.imaging.Volume
    mask: Any  # theranostix.imaging.Mask


@dataclass
class RegionSet:
    """Regions sharing settings, with both tools' timings once measured."""

    key: str
    title: str
    preset: str
    pyradiomics: dict[str, Any]
    regions: list[Region]
    thx: list[dict[str, Any]] = field(default_factory=list)
    pyr: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------- regions


def pet_lesions(quick: bool) -> RegionSet:
    """The lesions of the synthetic patients, on their SUV images."""
    from theranostix.imaging import to_suv
    from theranostix.phantoms import LesionSpec, make_patient

    regions: list[Region] = []
    for tracer, seed, specs in PATIENTS[:1] if quick else PATIENTS:
        chosen = specs[::2] if quick else specs
        patient = make_patient(tracer, [LesionSpec(s, d) for s, d in chosen], seed=seed)
        suv = to_suv(patient.pet)
        for lesion in patient.lesions:
            regions.append(Region(f"{tracer}{seed}/{lesion.name}", suv, lesion.mask))
    regions = regions[:QUICK_LESIONS] if quick else regions
    title = f"PET lesions of synthetic patients ({len(regions)} regions, SUV, 4 mm)"
    return RegionSet("pet_lesions", title, "pet", PYRADIOMICS_PET, regions)


def ibsi_ct() -> RegionSet | None:
    """The GTV of the IBSI CT phantom, intensities rounded to integers."""
    from theranostix.imaging import load_mask, read_image

    image_path, mask_path = IBSI_CT / "image.nii.gz", IBSI_CT / "mask.nii.gz"
    if not (image_path.is_file() and mask_path.is_file()):
        print(f"IBSI CT phantom not found in {IBSI_CT}: region set skipped")
        return None
    image = read_image(image_path)
    image = image.with_array(np.rint(image.array).astype(np.float32))
    mask = load_mask(mask_path, image.geometry)
    title = "IBSI CT phantom GTV (1 region, 2 mm isotropic interpolation, HU)"
    return RegionSet("ibsi_ct", title, "ibsi-C", PYRADIOMICS_CT, [Region("gtv", image, mask)])


def large_roi(voxels: int = LARGE_ROI_VOXELS) -> RegionSet:
    """An irregular heterogeneous blob of about ``voxels`` voxels in a synthetic SUV image."""
    from scipy import ndimage

    from theranostix.imaging import Geometry, ImageUnit, Mask, Modality, Volume

    shape = (130, 140, 140)
    rng = np.random.default_rng(5)
    k, j, i = np.indices(shape, dtype=np.float32)
    centre = np.array(shape, dtype=np.float32) / 2
    radius = (3 * voxels / (4 * np.pi)) ** (1 / 3)
    distance = np.sqrt((k - centre[0]) ** 2 + (j - centre[1]) ** 2 + (i - centre[2]) ** 2)
    texture = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), 6.0)
    texture /= texture.std()
    field_ = (distance / radius - 0.15 * texture).ravel()
    rank = voxels
    for _ in range(4):  # the piece holding the centre, grown to about ``voxels`` voxels
        threshold = np.partition(field_, rank - 1)[rank - 1]
        labels, _ = ndimage.label((field_ <= threshold).reshape(shape))
        inside = labels == labels[tuple(int(c) for c in centre)]
        rank += voxels - int(np.count_nonzero(inside))
    suv = np.where(inside, 6.0 + 2.5 * texture - 3.0 * (distance / radius) ** 4, 1.0)
    suv = ndimage.gaussian_filter(suv.astype(np.float32), 1.5)
    suv *= 1.0 + 0.15 * rng.standard_normal(shape).astype(np.float32)
    np.maximum(suv, 0.0, out=suv)
    geometry = Geometry(shape, origin_mm=(-140.0, -140.0, -130.0), spacing_mm=(2.0, 2.0, 2.0))
    image = Volume(suv.astype(np.float32), geometry, ImageUnit.SUV, Modality.PT)
    mask = Mask(inside, geometry, "blob")
    title = f"large irregular ROI ({mask.voxel_count:,} voxels, one piece, synthetic SUV, 2 mm)"
    return RegionSet("large_roi", title, "pet", PYRADIOMICS_PET, [Region("blob", image, mask)])


# --------------------------------------------------------------------------- timing


def _best(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: min(s[key] for s in samples) for key in samples[0]}


def time_theranostix(region: Region, settings: Any, repeat: int) -> dict[str, Any]:
    """Best-of-``repeat`` seconds of ``prepare_roi`` and of every family, in FAMILIES order."""
    from theranostix.radiomics import FAMILIES, family_features, prepare_roi

    samples = []
    features = 0
    roi = None
    for _ in range(repeat):
        start = time.perf_counter()
        roi = prepare_roi(region.image, region.mask, settings)
        times = {"preprocessing": time.perf_counter() - start}
        features = 0
        for family in FAMILIES:
            start = time.perf_counter()
            values = family_features(roi, family)
            times[family] = time.perf_counter() - start
            features += len(values)
        # the OMBB and MVEE densities (no PyRadiomics counterpart, not standardised by
        # IBSI): the extra time of the whole morphology family over the compared one
        whole = prepare_roi(
            region.image, region.mask, replace(settings, non_standard_morphology=True)
        )
        start = time.perf_counter()
        family_features(whole, "morphology")
        times["morphology_ombb_mvee"] = max(0.0, time.perf_counter() - start - times["morphology"])
        samples.append(times)
    return {"name": region.name, "seconds": _best(samples), "features": features, **_roi_info(roi)}


def _roi_info(roi: Any) -> dict[str, Any]:
    """ROI voxel count (intensity mask, after re-segmentation) and ``Ng`` of a prepared ROI."""
    return {"roi_voxels": int(np.count_nonzero(roi.intensity_mask)), "grey_levels": roi.n_levels}


def time_pyradiomics(
    region_set: RegionSet, folder: Path, repeat: int, python: Path
) -> dict[str, Any]:
    """Write the regions as NIfTI and time PyRadiomics on them in its own venv."""
    from theranostix.imaging import write_nifti

    cases = []
    written: dict[int, Path] = {}
    for n, region in enumerate(region_set.regions):
        image_path = written.get(id(region.image))
        if image_path is None:
            image_path = write_nifti(region.image, folder / f"image_{len(written)}.nii.gz")
            written[id(region.image)] = image_path
        mask_path = write_nifti(region.mask, folder / f"mask_{n}.nii.gz")
        cases.append({"name": region.name, "image": str(image_path), "mask": str(mask_path)})
    job = folder / "job.json"
    job.write_text(
        json.dumps({"settings": region_set.pyradiomics, "repeat": repeat, "cases": cases}),
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(python), str(WORKER), str(job)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"PyRadiomics worker failed ({region_set.key}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def warm_up(preset: str) -> list[str]:
    """One untimed theranostix run on a tiny image; the texture aggregations it computes."""
    from theranostix.imaging import Geometry, ImageUnit, Mask, Modality, Volume
    from theranostix.radiomics import extract_features, load_settings

    rng = np.random.default_rng(0)
    geometry = Geometry((12, 12, 12), spacing_mm=(4.0, 4.0, 4.0))
    values = rng.uniform(0.0, 10.0, geometry.shape).astype(np.float32)
    inside = np.zeros(geometry.shape, dtype=bool)
    inside[3:9, 3:9, 3:9] = True
    image = Volume(values, geometry, ImageUnit.SUV, Modality.PT)
    tags = extract_features(image, Mask(inside, geometry, "cube"), load_settings(preset))
    found = (re.search(r"(2_5D|2D|3D)(_[a-z_]+)?$", tag) for tag in tags if tag.startswith("cm_"))
    return sorted({m.group(0).replace("_5D", ".5D") for m in found if m is not None})


def theranostix_peak_memory(region: Region, preset: str) -> dict[str, float]:
    """tracemalloc peak of ``extract_features`` on one region (NumPy buffers included)."""
    from theranostix.radiomics import extract_features, load_settings

    settings = load_settings(preset)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        extract_features(region.image, region.mask, settings)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {
        "peak_mb": peak / 1e6,
        "roi_voxels": float(region.mask.voxel_count),
        "image_mb": region.image.array.nbytes / 1e6,
        "seconds_traced": seconds,
    }


# --------------------------------------------------------------------------- report


def _sum(rows: list[dict[str, Any]], steps: tuple[str, ...]) -> float:
    return float(sum(row["seconds"].get(step, 0.0) for row in rows for step in steps))


def summarise(region_set: RegionSet) -> dict[str, Any]:
    """Per compared row: seconds over the set for each tool and the ratio; the overall row."""
    n = len(region_set.regions)
    rows = []
    for label, pyr_steps, thx_steps in COMPARED:
        pyr = _sum(region_set.pyr, pyr_steps)
        thx = _sum(region_set.thx, thx_steps)
        rows.append({"row": label, "pyradiomics_s": pyr, "theranostix_s": thx,
                     "ratio": pyr / thx if thx > 0 else float("inf")})  # fmt: skip
    pyr_total = sum(r["pyradiomics_s"] for r in rows)
    thx_total = sum(r["theranostix_s"] for r in rows)
    pyr_features = pyr_total - rows[0]["pyradiomics_s"]
    thx_features = thx_total - rows[0]["theranostix_s"]
    extra = {family: _sum(region_set.thx, (family,)) for family in UNCOMPARED}
    return {
        "rows": rows,
        "overall_per_region": {
            "pyradiomics_s": pyr_total / n,
            "theranostix_s": thx_total / n,
            "ratio": pyr_total / thx_total if thx_total > 0 else float("inf"),
        },
        "features_only_per_region": {
            "pyradiomics_s": pyr_features / n,
            "theranostix_s": thx_features / n,
            "ratio": pyr_features / thx_features if thx_features > 0 else float("inf"),
        },
        "uncompared_theranostix_s": extra,
    }


def render(
    region_set: RegionSet, summary: dict[str, Any], repeat: int, aggregations: list[str]
) -> tuple[Any, bool]:
    """A rich table of one region set and whether its targets are met."""
    from rich.table import Table

    n = len(region_set.regions)
    table = Table(
        title=f"{region_set.title}: theranostix preset {region_set.preset!r}",
        caption=(
            f"Seconds summed over the {n} region(s), best of {repeat} run(s) each; ratio = "
            "PyRadiomics / theranostix (> 1: theranostix faster); per region rows: mean "
            "seconds per region. theranostix computes the texture families in several "
            f"aggregations (GLCM: {', '.join(aggregations)}; GLRLM alike), PyRadiomics in one "
            "3D aggregation (GLCM and GLRLM averaged over the 13 directions). PyRadiomics "
            "discretises in each texture class, theranostix once in pre-processing. Same bin "
            "width; theranostix bins from the re-segmentation lower bound (IBSI), PyRadiomics "
            "from the ROI minimum, so the number of grey levels differs."
        ),
        caption_justify="left",
    )
    for name, justify in (("family (PyRadiomics <-> theranostix)", "left"),
                          ("PyRadiomics s", "right"), ("theranostix s", "right"),
                          ("ratio", "right"), ("target", "right"), ("status", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    ok = True
    for row in summary["rows"]:
        family = row["row"] != "pre-processing"
        passed = row["ratio"] >= TARGET_FAMILY
        ok &= passed or not family
        table.add_row(
            row["row"],
            f"{row['pyradiomics_s']:.3f}",
            f"{row['theranostix_s']:.3f}",
            f"{row['ratio']:.1f} x",
            f">= {TARGET_FAMILY:g} x" if family else "-",
            ("PASS" if passed else "FAIL") if family else "info",
        )
    overall = summary["overall_per_region"]
    passed = overall["ratio"] >= TARGET_OVERALL
    ok &= passed
    table.add_row(
        "[bold]overall per region (compared families + pre-processing)",
        f"[bold]{overall['pyradiomics_s']:.3f}",
        f"[bold]{overall['theranostix_s']:.3f}",
        f"[bold]{overall['ratio']:.1f} x",
        f">= {TARGET_OVERALL:g} x",
        "PASS" if passed else "FAIL",
    )
    only = summary["features_only_per_region"]
    table.add_row(
        "compared families only, per region",
        f"{only['pyradiomics_s']:.3f}",
        f"{only['theranostix_s']:.3f}",
        f"{only['ratio']:.1f} x",
        "-",
        "info",
        end_section=True,
    )
    for family, seconds in summary["uncompared_theranostix_s"].items():
        table.add_row(f"(theranostix only) {family}", "-", f"{seconds:.3f}", "-", "-", "info")
    return table, ok


def _fairness(region_set: RegionSet) -> str:
    """ROI voxels and grey levels seen by each tool (after re-segmentation)."""
    parts = []
    for tool, rows in (("PyRadiomics", region_set.pyr), ("theranostix", region_set.thx)):
        voxels = [r["roi_voxels"] for r in rows if "roi_voxels" in r]
        levels = [r["grey_levels"] for r in rows if "grey_levels" in r]
        features = sum(r["features"] for r in rows) // max(len(rows), 1)
        scope = "all families" if tool == "theranostix" else "7 classes"
        text = f"{tool}: {features} features per region ({scope})"
        if len(voxels) == len(rows):
            text += f", {sum(voxels):,} ROI voxels"
        if len(levels) == len(rows):
            text += f", grey levels {min(levels)}-{max(levels)}"
        parts.append(text)
    return "; ".join(parts)


def main() -> None:
    """Build the regions, time both tools, print the tables, write JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer lesions, one run each")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement (3)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--only", default="pet,ibsi,large", help="region sets: pet, ibsi, large (comma list)"
    )
    parser.add_argument("--pyradiomics-python", type=Path, default=PYRADIOMICS_PYTHON)
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 3)
    if not args.pyradiomics_python.exists():
        sys.exit(
            f"{args.pyradiomics_python} not found: run `make bench-radiomics` "
            "(it creates the PyRadiomics venv)"
        )

    from rich.console import Console

    from theranostix.radiomics import load_settings

    console = Console(width=120)
    only = set(args.only.split(","))
    builders: list[tuple[str, Callable[[], RegionSet | None]]] = [
        ("pet", lambda: pet_lesions(args.quick)),
        ("ibsi", ibsi_ct),
        ("large", large_roi),
    ]
    results: list[dict[str, Any]] = []
    memory: dict[str, float] | None = None
    versions: dict[str, Any] = {
        "theranostix side": {"python": sys.version.split()[0], "numpy": np.__version__}
    }
    all_ok = True
    for key, build in builders:
        if key not in only:
            continue
        region_set = build()
        if region_set is None:
            continue
        console.print(f"[dim]timing {region_set.title} ...")
        with tempfile.TemporaryDirectory(prefix="thx-bench-radiomics-") as tmp:
            pyradiomics = time_pyradiomics(region_set, Path(tmp), repeat, args.pyradiomics_python)
        region_set.pyr = pyradiomics["cases"]
        versions["pyradiomics side"] = pyradiomics["versions"]
        # comparable feature sets: morphology without the OMBB / MVEE densities
        settings = replace(load_settings(region_set.preset), non_standard_morphology=False)
        aggregations = warm_up(region_set.preset)
        region_set.thx = [time_theranostix(r, settings, repeat) for r in region_set.regions]
        summary = summarise(region_set)
        table, ok = render(region_set, summary, repeat, aggregations)
        all_ok &= ok
        console.print(table)
        split = ", ".join(
            f"{family} {_sum(region_set.thx, (family,)):.3f} s"
            for family in ("statistics", "intensity_histogram", "local_intensity")
        )
        console.print(f"[dim]theranostix firstorder counterparts: {split}")
        console.print(f"[dim]same inputs check: {_fairness(region_set)}\n")
        if key == "large":
            memory = theranostix_peak_memory(region_set.regions[0], region_set.preset)
        results.append(
            {
                "key": region_set.key,
                "title": region_set.title,
                "theranostix_preset": region_set.preset,
                "pyradiomics_settings": region_set.pyradiomics,
                "regions": [
                    {
                        "name": r.name,
                        "mask_voxels": r.mask.voxel_count,
                        "theranostix": t,
                        "pyradiomics": p,
                    }
                    for r, t, p in zip(
                        region_set.regions, region_set.thx, region_set.pyr, strict=True
                    )
                ],
                "summary": summary,
                "targets_met": ok,
            }
        )
    if memory is not None:
        from rich.table import Table

        table = Table(title="theranostix peak memory on the large ROI (extract_features)")
        for name in ("ROI voxels", "image (float32)", "tracemalloc peak", "time (traced)"):
            table.add_column(name, justify="right")
        table.add_row(
            f"{memory['roi_voxels']:,.0f}",
            f"{memory['image_mb']:.1f} MB",
            f"{memory['peak_mb']:.1f} MB",
            f"{memory['seconds_traced']:.2f} s",
        )
        console.print(table)
    pyr_versions = versions.get("pyradiomics side", {})
    console.print(
        f"theranostix side: python {versions['theranostix side']['python']}, numpy "
        f"{np.__version__}; PyRadiomics side: "
        + ", ".join(f"{k} {v}" for k, v in pyr_versions.items())
    )
    console.print(
        f"targets: overall >= {TARGET_OVERALL:g} x per region, every compared family >= "
        f"{TARGET_FAMILY:g} x: " + ("[green]met" if all_ok else "[red]missed")
    )
    if args.json is not None:
        payload = {
            "benchmark": "theranostix radiomics vs PyRadiomics",
            "repeat": repeat,
            "quick": args.quick,
            "versions": versions,
            "targets": {"overall_ratio": TARGET_OVERALL, "family_ratio": TARGET_FAMILY},
            "region_sets": results,
            "theranostix_peak_memory_large_roi": memory,
            "targets_met": all_ok,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        console.print(f"JSON written to {args.json}")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()

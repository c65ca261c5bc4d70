"""Performance benchmarks of theranostix; `make bench` prints a table.

Targets: decay of 1e6 activities in under 50 ms and `thx --help` in under 0.5 s
(issue 2); a 400-slice PET series read and converted to SUV in under 2 s, with peak
memory under 3 times the voxel data (issue 3); a 200x200x400 PET with 20 lesions from
DICOM to lesion table and MIP in under 10 s, per-lesion metrics under 50 ms (issue 4).
The other rows are for information.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
THX = str(Path(sys.executable).with_name("thx"))


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def run_command(args: list[str]) -> Callable[[], object]:
    return lambda: subprocess.run(args, capture_output=True, check=True)


PET_SHAPE = (400, 256, 256)  # slices, rows, columns: a whole-body PET of 400 slices

# Run in a fresh process: read the series and convert it to SUV, with tracemalloc
# tracking every allocation (NumPy reports its buffers to tracemalloc).
_MEMORY_PROBE = """
import json, sys, tracemalloc
from theranostix.imaging import read_dicom_series, to_suv
tracemalloc.start()
suv = to_suv(read_dicom_series(sys.argv[1]))
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"peak": peak, "voxel_bytes": suv.array.nbytes}))
"""


def write_pet_series(folder: Path) -> None:
    """A synthetic 400-slice PET series (Bq/mL, per-slice int16 slopes) written as DICOM."""
    from datetime import UTC, datetime

    from theranostix.imaging import (
        DecayCorrection,
        Geometry,
        ImageUnit,
        Modality,
        PatientInfo,
        Radiopharmaceutical,
        Timing,
        Volume,
        write_dicom_series,
    )
    from theranostix.nuclides import Nuclide

    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 2500.0, PET_SHAPE).astype(np.float32)
    scan = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    volume = Volume(
        values,
        Geometry(PET_SHAPE, origin_mm=(-400.0, -400.0, -1000.0), spacing_mm=(3.125, 3.125, 3.0)),
        ImageUnit.BQ_PER_ML,
        Modality.PT,
        PatientInfo(weight_kg=75.0, height_m=1.78),
        Radiopharmaceutical(
            nuclide=Nuclide("F-18"),
            half_life_s=6586.2,
            injected_activity_bq=250e6,
            injection_time=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        ),
        Timing(
            acquisition_start=scan,
            frame_duration_s=120.0,
            decay_correction=DecayCorrection.START,
            decay_reference_time=scan,
        ),
    )
    write_dicom_series(volume, folder, series_description="benchmark PET")


def imaging_rows(folder: Path) -> list[tuple[str, list[float], float | None]]:
    """Reading and SUV conversion of the 400-slice series: time and peak memory."""
    from theranostix.imaging import read_dicom_series, to_suv

    def read_and_suv() -> None:
        to_suv(read_dicom_series(folder))

    probe = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(folder)], capture_output=True, check=True
    )
    memory = json.loads(probe.stdout)
    ratio = memory["peak"] / memory["voxel_bytes"]
    print(
        f"peak traced memory of read + SUV: {memory['peak'] / 1e6:.0f} MB for "
        f"{memory['voxel_bytes'] / 1e6:.0f} MB of float32 voxels = {ratio:.2f} x (target < 3 x)"
    )
    code = (
        "from theranostix.imaging import read_dicom_series, to_suv; "
        f"to_suv(read_dicom_series({str(folder)!r}))"
    )
    fresh = [sys.executable, "-c", code]
    return [
        ("PET 400 slices 256x256: read + SUV (in process)", timed(read_and_suv, 5), 2.0),
        (
            "PET 400 slices: read + SUV (fresh process, imports included)",
            timed(run_command(fresh), 3),
            2.0,
        ),
        ("PET read + SUV: peak memory / float32 voxel data", [ratio], 3.0),
    ]


def main() -> None:
    """Run every benchmark, or the groups after ``--only``: core, pet-read, pet-analysis,
    dosimetry, supply."""
    from rich.console import Console
    from rich.table import Table

    groups = {"core", "pet-read", "pet-analysis", "dosimetry", "supply"}
    if "--only" in sys.argv:
        groups = set(sys.argv[sys.argv.index("--only") + 1].split(","))

    rng = np.random.default_rng(2)
    activities = rng.uniform(1e6, 1e10, 1_000_000)
    elapsed = rng.uniform(0, 7200, 1_000_000)

    # First use of the decay data (imports radioactivedecay): measured in a fresh process.
    first_load = run_command(
        [
            sys.executable,
            "-c",
            "from theranostix.nuclides import Nuclide; Nuclide('Lu-177').half_life_s",
        ]
    )

    from theranostix.cli._nuclide import nuclide_summary
    from theranostix.nuclides import Nuclide, chain_decay, decay, list_nuclides

    def summaries() -> None:
        for name in list_nuclides():
            nuclide_summary(name, chain=True)

    _ = Nuclide("F-18").half_life_s  # warm the data caches once
    grid = np.linspace(0, 30 * 86400, 100_000)

    rows: list[tuple[str, list[float], float | None]] = []
    core: list[tuple[str, list[float], float | None]] = (
        []
        if "core" not in groups
        else [
            (
                "decay(): 1e6 activities x 1e6 times (F-18)",
                timed(lambda: decay(activities, "F-18", elapsed), 20),
                0.050,
            ),
            (
                "decay(): 1e6 activities, one time (Lu-177)",
                timed(lambda: decay(activities, "Lu-177", 3600.0), 20),
                0.050,
            ),
            (
                "chain_decay(): Ac-225 chain, 1e5 time points",
                timed(lambda: chain_decay({"Ac-225": 1e6}, grid), 10),
                None,
            ),
            ("nuclide summary of the 23 clinical nuclides", timed(summaries, 3), None),
            ("thx --help (process start to exit)", timed(run_command([THX, "--help"]), 7), 0.5),
            ("first decay-data load (fresh process)", timed(first_load, 3), None),
            (
                "thx nuclide show Lu-177 --json (process)",
                timed(run_command([THX, "nuclide", "show", "Lu-177", "--json"]), 3),
                None,
            ),
        ]
    )

    rows.extend(core)
    if "pet-read" in groups:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "pet"
            write_pet_series(folder)
            rows.extend(imaging_rows(folder))
    if "pet-analysis" in groups:
        with tempfile.TemporaryDirectory() as tmp:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from pet_analysis import analysis_rows

            rows.extend(analysis_rows(Path(tmp)))
    if "dosimetry" in groups:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from dosimetry import dosimetry_rows

        rows.extend(dosimetry_rows())
    if "supply" in groups:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from supply import supply_rows

        limit = 120.0
        if "--supply-limit" in sys.argv:
            limit = float(sys.argv[sys.argv.index("--supply-limit") + 1])
        rows.extend(supply_rows(limit))

    table = Table(title="theranostix benchmarks (wall clock)")
    table.add_column("benchmark")
    table.add_column("median", justify="right")
    table.add_column("best", justify="right")
    table.add_column("target", justify="right")
    table.add_column("status")
    failed = False
    for name, samples, target in rows:
        if not samples:  # a milestone not reached (e.g. a gap not proven in the time limit)
            table.add_row(name, "not reached", "-", "-", "info")
            continue
        median, best = statistics.median(samples), min(samples)
        ok = target is None or median < target

        def show(value: float, ratio: bool = "memory" in name) -> str:
            return f"{value:.2f} x" if ratio else f"{value * 1e3:.1f} ms"

        failed |= not ok
        table.add_row(
            name,
            show(median),
            show(best),
            "-" if target is None else f"< {show(target)}",
            "info" if target is None else ("PASS" if ok else "FAIL"),
        )
    console = Console(width=110)
    console.print(table)
    console.print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {sys.platform}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

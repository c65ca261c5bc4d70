"""Performance benchmarks of theranostix; `make bench` prints a table.

Targets (issue 2): decay of 1e6 activities in under 50 ms; `thx --help` starts in
under 0.5 s. The other rows are reported for information.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
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


def main() -> None:
    from rich.console import Console
    from rich.table import Table

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

    rows: list[tuple[str, list[float], float | None]] = [
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

    table = Table(title="theranostix benchmarks (wall clock)")
    table.add_column("benchmark")
    table.add_column("median", justify="right")
    table.add_column("best", justify="right")
    table.add_column("target", justify="right")
    table.add_column("status")
    failed = False
    for name, samples, target in rows:
        median, best = statistics.median(samples), min(samples)
        ok = target is None or median < target
        failed |= not ok
        table.add_row(
            name,
            f"{median * 1e3:.1f} ms",
            f"{best * 1e3:.1f} ms",
            "-" if target is None else f"< {target * 1e3:.0f} ms",
            "info" if target is None else ("PASS" if ok else "FAIL"),
        )
    console = Console(width=110)
    console.print(table)
    console.print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {sys.platform}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""Plots of decay curves (matplotlib, imported on first use, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from theranostix.nuclides._chain import chain_decay
from theranostix.nuclides._decay import decay
from theranostix.nuclides._nuclide import Nuclide
from theranostix.units import format_activity

__all__ = ["plot_decay"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_decay(
    nuclide: Nuclide | str,
    activity_bq: float,
    duration_s: float,
    *,
    path: str | Path | None = None,
    chain: bool = False,
    points: int = 400,
) -> Any:
    """Plot the activity of a source (and its progeny) over ``duration_s``.

    Parameters
    ----------
    nuclide : Nuclide or str
        The radionuclide.
    activity_bq : float
        Activity at time zero (Bq).
    duration_s : float
        Length of the time axis (s), at least one half-life is shown.
    path : str or Path, optional
        Write a PNG there.
    chain : bool
        Also plot every radioactive progeny (full chain decay), on a log scale.
    points : int
        Number of time points.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    nuc = nuclide if isinstance(nuclide, Nuclide) else Nuclide(nuclide)
    span = max(duration_s, nuc.half_life_s)
    unit, scale = _time_axis(span)
    t = np.linspace(0.0, span, points)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    if chain:
        floor_mbq = activity_bq / 1e6 * 1e-4
        for member, curve in chain_decay({nuc.name: activity_bq}, t).items():
            if np.max(curve) / 1e6 < floor_mbq:
                continue  # never reaches the visible range (e.g. a long-lived end product)
            ax.plot(t / scale, curve / 1e6, label=member, lw=2 if member == nuc.name else 1.2)
        ax.set_yscale("log")
        ax.set_ylim(bottom=max(floor_mbq, 1e-12))
    else:
        ax.plot(t / scale, decay(activity_bq, nuc, t) / 1e6, label=nuc.name, lw=2)
    ax.axvline(nuc.half_life_s / scale, color="grey", ls=":", lw=1)
    ax.annotate(
        "T½", (nuc.half_life_s / scale, ax.get_ylim()[1]), ha="left", va="top", color="grey"
    )
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("activity (MBq)")
    ax.set_title(f"{nuc.name}: decay of {format_activity(activity_bq)}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
        plt.close(fig)
    return fig


def _time_axis(span_s: float) -> tuple[str, float]:
    for unit, scale in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if span_s >= 3 * scale:
            return unit, scale
    return "s", 1.0

r"""Figures of a dosimetry: time-activity curves with their fits, and dose-volume histograms.

- :func:`tac_figure` / :func:`write_tac_png`: the measured activities of each
  volume of interest (VOI) and the curve of the model that
  :func:`theranostix.dosimetry.fit_tac` selected, on a logarithmic activity
  axis against the time after administration (h); the legend names the model
  and the time-integrated activity (TIA, MBq·h). For the trapezoid (no fitted
  curve) the line joins the points and continues with the physical-decay tail
  from the last point that its TIA integrates.
- :func:`dvh_figure` / :func:`write_dvh_png`: cumulative dose-volume
  histograms (percentage of the VOI receiving at least a dose, Gy) from
  :func:`theranostix.dosimetry.dose_volume_statistics`, with the median dose
  D50 marked on each curve and the mean dose and D50 in the legend.

matplotlib is imported on first use, and figures are built without pyplot (no
global backend is chosen, no figure is registered or left open); PNG files are
written atomically through a temporary file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from theranostix._files import atomic_write
from theranostix.errors import ThxError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from theranostix.dosimetry._kinetics import KineticsFit
    from theranostix.dosimetry._voxel import DoseVolumeStatistics

__all__ = ["dvh_figure", "tac_figure", "write_dvh_png", "write_tac_png"]

TacCurves: TypeAlias = "Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, KineticsFit]]"
"""Per VOI name: ``(times_h, activity_mbq, fit)``."""

_FIGSIZE_IN = (7.0, 4.5)
_CURVE_POINTS = 400
_TIME_MARGIN = 1.25
"""The fitted curves are drawn up to this multiple of the last measured time."""


def _number(value: float) -> str:
    """A legend number: 4 significant digits, without an exponent from 1000 to 1e7."""
    return f"{value:.0f}" if 1e3 <= abs(value) < 1e7 else f"{value:.4g}"


def _check_dpi(dpi: float) -> None:
    if not (isinstance(dpi, int | float) and 10 <= dpi <= 1200):
        raise ThxError(f"dpi must be between 10 and 1200, got {dpi!r}")


def _tac_arrays(
    name: str, times_h: npt.ArrayLike, activity_mbq: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Measured times and activities of one VOI, checked and sorted by time."""
    t = np.asarray(times_h, dtype=np.float64).reshape(-1)
    a = np.asarray(activity_mbq, dtype=np.float64).reshape(-1)
    if t.size == 0:
        raise ThxError(f"VOI {name!r}: no time points")
    if t.shape != a.shape:
        raise ThxError(f"VOI {name!r}: {t.size} time(s) but {a.size} activity value(s)")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(a))):
        raise ThxError(f"VOI {name!r}: times and activities must be finite numbers")
    if np.any(t < 0) or np.any(a < 0):
        raise ThxError(f"VOI {name!r}: times (h) and activities (MBq) must be >= 0")
    order = np.argsort(t)
    return t[order], a[order]


def _model_curve(
    fit: KineticsFit, t: npt.NDArray[np.float64], a: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Times and activities of the selected model's curve (MBq; NaN where not positive)."""
    end = _TIME_MARGIN * float(t[-1]) if t[-1] > 0 else 1.0
    if fit.model == "trapezoid":
        # the trapezoid through the points, then A_last·exp(−λ_phys·(t − t_last))
        lam = math.log(2.0) / fit.physical_half_life_h
        tail_t = np.linspace(float(t[-1]), end, _CURVE_POINTS // 4)
        tail_a = a[-1] * np.exp(-lam * (tail_t - t[-1]))
        times = np.concatenate([t, tail_t[1:]])
        values = np.concatenate([a, tail_a[1:]])
    else:
        times = np.linspace(0.0, end, _CURVE_POINTS)
        values = np.asarray(fit.activity_mbq(times), dtype=np.float64)
    return times, np.where(values > 0, values, np.nan)


def tac_figure(curves: TacCurves, *, title: str | None = None) -> Figure:
    """Time-activity curves: measured points and the fitted model of each VOI.

    Parameters
    ----------
    curves : mapping of str to (times_h, activity_mbq, KineticsFit)
        Per VOI name: the measured times after administration (h), activities
        (MBq) and the result of :func:`theranostix.dosimetry.fit_tac` on them.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes, activity (MBq, logarithmic) against time (h). Its lines are,
        per VOI in the mapping's order, the measured points (markers only) and
        the model curve (labelled ``"<VOI>: <model>, TIA <value> MBq·h"``).
        Non-positive activities cannot be drawn on the log axis and are left out.
        The figure is not registered with pyplot (nothing to close).

    Raises
    ------
    ThxError
        When ``curves`` is empty, or a VOI's times and activities are empty,
        of different lengths, negative or not finite.
    """
    from matplotlib.figure import Figure

    if not curves:
        raise ThxError("no time-activity curves given: pass {VOI name: (times_h, MBq, fit)}")
    prepared = []
    for name, entry in curves.items():
        if len(entry) != 3:
            raise ThxError(f"VOI {name!r}: expected (times_h, activity_mbq, fit), got {entry!r}")
        times_h, activity_mbq, fit = entry
        t, a = _tac_arrays(name, times_h, activity_mbq)
        prepared.append((name, t, a, fit, *_model_curve(fit, t, a)))

    fig = Figure(figsize=_FIGSIZE_IN, dpi=100)
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    colours = _colours(len(prepared))
    for (name, t, a, fit, curve_t, curve_a), colour in zip(prepared, colours, strict=True):
        shown = np.where(a > 0, a, np.nan)
        ax.plot(t, shown, linestyle="none", marker="o", color=colour)
        ax.plot(
            curve_t,
            curve_a,
            color=colour,
            linestyle="--" if fit.model == "trapezoid" else "-",
            label=f"{name}: {fit.model}, TIA {_number(fit.tia_mbq_h)} MBq·h",
        )
    ax.set_yscale("log", nonpositive="mask")
    ax.set_xlim(left=0.0)
    ax.set_xlabel("time after administration (h)")
    ax.set_ylabel("activity (MBq)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def _dvh_arrays(
    name: str, stats: DoseVolumeStatistics
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    dose = np.asarray(stats.dvh_dose_gy, dtype=np.float64)
    fraction = np.asarray(stats.dvh_volume_fraction, dtype=np.float64)
    if dose.size == 0:
        raise ThxError(f"VOI {name!r}: empty DVH")
    if dose.shape != fraction.shape:
        raise ThxError(
            f"VOI {name!r}: DVH has {dose.size} dose(s) but {fraction.size} volume fraction(s)"
        )
    if not (np.all(np.isfinite(dose)) and np.all(np.isfinite(fraction))):
        raise ThxError(f"VOI {name!r}: DVH values must be finite")
    return dose, 100.0 * fraction


def dvh_figure(dvhs: Mapping[str, DoseVolumeStatistics], *, title: str | None = None) -> Figure:
    """Cumulative dose-volume histograms of VOIs, with their median dose (D50) marked.

    Parameters
    ----------
    dvhs : mapping of str to DoseVolumeStatistics
        Per VOI name, the result of
        :func:`theranostix.dosimetry.dose_volume_statistics`.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes, volume (% of the VOI receiving at least the dose) against
        absorbed dose (Gy). Its lines are, per VOI in the mapping's order, the
        DVH curve (labelled ``"<VOI>: mean <x> Gy, D50 <y> Gy"``) and one marker
        at ``(D50, 50 %)``. The figure is not registered with pyplot.

    Raises
    ------
    ThxError
        When ``dvhs`` is empty or a DVH is empty, of mismatched lengths or not finite.
    """
    from matplotlib.figure import Figure

    if not dvhs:
        raise ThxError("no dose-volume histograms given: pass {VOI name: DoseVolumeStatistics}")
    prepared = [(name, stats, *_dvh_arrays(name, stats)) for name, stats in dvhs.items()]

    fig = Figure(figsize=_FIGSIZE_IN, dpi=100)
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    for (name, stats, dose, percent), colour in zip(prepared, _colours(len(prepared)), strict=True):
        ax.plot(
            dose,
            percent,
            color=colour,
            label=f"{name}: mean {stats.mean_gy:.3g} Gy, D50 {stats.d50_gy:.3g} Gy",
        )
        ax.plot([stats.d50_gy], [50.0], linestyle="none", marker="o", color=colour)
    ax.set_xlim(left=0.0)
    ax.set_ylim(0.0, 105.0)
    ax.set_xlabel("absorbed dose (Gy)")
    ax.set_ylabel("volume (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def _colours(count: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(count)]


def _save_png(fig: Figure, path: str | Path, dpi: float) -> Path:
    def write(tmp: Path) -> None:
        fig.savefig(tmp, dpi=dpi, format="png")

    return atomic_write(Path(path), write)


def write_tac_png(
    path: str | Path, curves: TacCurves, *, title: str | None = None, dpi: float = 150
) -> Path:
    """Write the time-activity figure of :func:`tac_figure` as a PNG.

    Parameters
    ----------
    path : str or Path
        The PNG to write (atomically); its folder is created when missing.
    curves : mapping of str to (times_h, activity_mbq, KineticsFit)
        See :func:`tac_figure`.
    title : str, optional
        Figure title.
    dpi : float
        Resolution, dots per inch (the figure is 7 × 4.5 inches).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ThxError
        For the reasons of :func:`tac_figure`, or a ``dpi`` outside 10-1200.
    """
    _check_dpi(dpi)
    return _save_png(tac_figure(curves, title=title), path, dpi)


def write_dvh_png(
    path: str | Path,
    dvhs: Mapping[str, DoseVolumeStatistics],
    *,
    title: str | None = None,
    dpi: float = 150,
) -> Path:
    """Write the dose-volume histogram figure of :func:`dvh_figure` as a PNG.

    Arguments, result and errors as :func:`write_tac_png`, with the DVHs of
    :func:`dvh_figure` in place of the curves.
    """
    _check_dpi(dpi)
    return _save_png(dvh_figure(dvhs, title=title), path, dpi)

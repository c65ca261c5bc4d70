"""Time-activity and dose-volume histogram figures (theranostix.dosimetry._plots)."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest

from theranostix.dosimetry._kinetics import fit_tac
from theranostix.dosimetry._plots import dvh_figure, tac_figure, write_dvh_png, write_tac_png
from theranostix.dosimetry._voxel import dose_volume_statistics
from theranostix.errors import ThxError
from theranostix.imaging import Geometry, Mask, Volume

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMES_H = np.array([4.0, 24.0, 96.0, 168.0])


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def curves() -> dict[str, tuple[np.ndarray, np.ndarray, object]]:
    kidney = 120.0 * np.exp(-math.log(2) / 50.0 * TIMES_H)
    tumour = 80.0 * np.exp(-math.log(2) / 90.0 * TIMES_H) - 60.0 * np.exp(-0.3 * TIMES_H)
    return {
        "kidneys": (TIMES_H, kidney, fit_tac(TIMES_H, kidney, nuclide="Lu-177", models=("mono",))),
        "lesion 1": (TIMES_H, tumour, fit_tac(TIMES_H, tumour, nuclide="Lu-177")),
        "spleen": (
            TIMES_H,
            kidney / 3,
            fit_tac(TIMES_H, kidney / 3, nuclide="Lu-177", models=("trapezoid",)),
        ),
    }


def test_tac_figure_has_points_and_a_curve_per_voi(curves) -> None:
    fig = tac_figure(curves, title="cycle 1")
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and ax.get_yscale() == "log"
    assert len(ax.lines) == 2 * len(curves)
    assert ax.get_title() == "cycle 1"
    for index, (name, (t, a, fit)) in enumerate(curves.items()):
        points, curve = ax.lines[2 * index], ax.lines[2 * index + 1]
        assert points.get_linestyle() == "None" and points.get_marker() == "o"
        assert np.asarray(points.get_xdata()) == pytest.approx(t)
        assert np.asarray(points.get_ydata()) == pytest.approx(a)
        tia = f"{fit.tia_mbq_h:.0f}" if fit.tia_mbq_h >= 1e3 else f"{fit.tia_mbq_h:.4g}"
        assert curve.get_label() == f"{name}: {fit.model}, TIA {tia} MBq·h"
        assert points.get_color() == curve.get_color()
        x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
        assert x.max() == pytest.approx(1.25 * t.max())
        if fit.model != "trapezoid":
            assert y[np.isfinite(y)] == pytest.approx(fit.activity_mbq(x)[np.isfinite(y)])
    # trapezoid: the points, then the physical decay from the last one
    _, a, fit = curves["spleen"]
    x, y = np.asarray(ax.lines[5].get_xdata()), np.asarray(ax.lines[5].get_ydata())
    lam = math.log(2) / fit.physical_half_life_h
    assert y[-1] == pytest.approx(a[-1] * math.exp(-lam * (x[-1] - TIMES_H[-1])))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 3 and all("TIA" in text for text in legend)


def test_tac_png_is_written(curves, tmp_path: Path) -> None:
    out = write_tac_png(tmp_path / "figs" / "tac.png", curves, dpi=100)
    assert out == tmp_path / "figs" / "tac.png"
    assert _png_size(out) == (700, 450)
    assert out.stat().st_size > 10_000
    assert [p.name for p in out.parent.iterdir()] == ["tac.png"]


def test_tac_input_errors(curves, tmp_path: Path) -> None:
    with pytest.raises(ThxError, match="no time-activity curves"):
        tac_figure({})
    t, a, fit = curves["kidneys"]
    with pytest.raises(ThxError, match=r"'kidneys': 4 time\(s\) but 3 activity"):
        tac_figure({"kidneys": (t, a[:3], fit)})
    with pytest.raises(ThxError, match="no time points"):
        tac_figure({"kidneys": ([], [], fit)})
    with pytest.raises(ThxError, match="finite"):
        tac_figure({"kidneys": (t, np.where(t > 50, np.nan, a), fit)})
    with pytest.raises(ThxError, match="dpi"):
        write_tac_png(tmp_path / "x.png", curves, dpi=5)
    assert not (tmp_path / "x.png").exists()


@pytest.fixture(scope="module")
def dvhs() -> dict[str, object]:
    geometry = Geometry((10, 12, 14), spacing_mm=(4.0, 4.0, 4.0))
    k, _j, i = np.indices(geometry.shape)
    dose = Volume(0.5 + 0.1 * i + 0.2 * k, geometry)
    left, right = i < 7, i >= 7
    return {
        "kidney L": dose_volume_statistics(dose, Mask(left, geometry, "kidney L")),
        "kidney R": dose_volume_statistics(dose, Mask(right, geometry, "kidney R")),
    }


def test_dvh_figure_has_a_curve_and_a_d50_marker_per_voi(dvhs) -> None:
    fig = dvh_figure(dvhs)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 * len(dvhs)
    assert ax.get_xlabel() == "absorbed dose (Gy)" and ax.get_ylabel() == "volume (%)"
    for index, (name, stats) in enumerate(dvhs.items()):
        curve, marker = ax.lines[2 * index], ax.lines[2 * index + 1]
        assert np.asarray(curve.get_xdata()) == pytest.approx(stats.dvh_dose_gy)
        assert np.asarray(curve.get_ydata()) == pytest.approx(
            100 * np.asarray(stats.dvh_volume_fraction)
        )
        assert curve.get_label() == (
            f"{name}: mean {stats.mean_gy:.3g} Gy, D50 {stats.d50_gy:.3g} Gy"
        )
        assert list(marker.get_xdata()) == [stats.d50_gy]
        assert list(marker.get_ydata()) == [50.0]
    assert len(ax.get_legend().get_texts()) == 2


def test_dvh_png_is_written(dvhs, tmp_path: Path) -> None:
    out = write_dvh_png(tmp_path / "dvh.png", dvhs, title="DVH")
    assert _png_size(out) == (1050, 675)
    assert out.stat().st_size > 10_000


def test_dvh_input_errors(dvhs) -> None:
    from dataclasses import replace

    with pytest.raises(ThxError, match="no dose-volume histograms"):
        dvh_figure({})
    stats = dvhs["kidney L"]
    with pytest.raises(ThxError, match="empty DVH"):
        dvh_figure({"x": replace(stats, dvh_dose_gy=(), dvh_volume_fraction=())})
    with pytest.raises(ThxError, match=r"'x': DVH has 201 dose\(s\) but 2 volume"):
        dvh_figure({"x": replace(stats, dvh_volume_fraction=(1.0, 0.0))})

"""QC limits as data, their evaluation, and the half-life identity fit."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from theranostix.errors import ThxError
from theranostix.pharmacy._qc import fit_half_life, load_qc_limits, qc_spec

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_builtin_limits_of_fdg_are_the_monograph_values() -> None:
    fdg = load_qc_limits()["fdg"]
    assert fdg.nuclide == "F-18"
    assert (fdg.tests["half_life"].min, fdg.tests["half_life"].max) == (105.0, 115.0)
    assert fdg.tests["ph"].describe() == "4.5 to 8.5"
    assert fdg.tests["radiochemical_purity"].describe() == "≥ 95 %"
    assert fdg.tests["appearance"].pass_fail
    assert all("1325" in s for lim in fdg.tests.values() for s in lim.sources)


def test_limits_are_inclusive_and_pass_fail_needs_a_verdict() -> None:
    ph = qc_spec("fdg").tests["ph"]
    assert ph.evaluate(4.5).passed and ph.evaluate(8.5).passed
    assert not ph.evaluate(4.49).passed and not ph.evaluate(8.51).passed
    rcp = qc_spec("fdg").tests["radiochemical_purity"]
    assert rcp.evaluate(95.0).passed and not rcp.evaluate(94.9).passed
    appearance = qc_spec("fdg").tests["appearance"]
    assert not appearance.evaluate(passed=False).passed
    with pytest.raises(ThxError, match="'appearance' is pass/fail"):
        appearance.evaluate(1.0)
    with pytest.raises(ThxError, match="'ph' needs a finite value"):
        ph.evaluate(math.nan)


def test_product_aliases_and_unknown_product() -> None:
    assert qc_spec("[68Ga]Ga-PSMA-11").key == "ga68-psma-11"
    assert qc_spec("DOTATOC").key == "ga68-edotreotide"
    with pytest.raises(ThxError, match=r"product 'mibg' has no QC specification.*fdg"):
        qc_spec("mibg")
    with pytest.raises(ThxError, match="'sterility' is not configured for product 'fdg'"):
        qc_spec("fdg").limit("sterility")


def test_two_readings_thirty_minutes_apart() -> None:
    # F-18: 1000 -> 827.3 MBq in 30 min; T = 30 ln2 / ln(1000/827.3) = 109.68 min
    fit = fit_half_life([(T0, 1000e6), (T0 + timedelta(minutes=30), 827.3e6)], nuclide="F-18")
    assert fit.half_life_min == pytest.approx(109.68, abs=0.005)
    assert fit.nominal_half_life_s == pytest.approx(109.77 * 60, rel=1e-4)
    assert fit.deviation_pct == pytest.approx(-0.08, abs=0.01)
    assert fit.span_s == 1800.0 and fit.max_residual_pct == pytest.approx(0.0, abs=1e-9)
    # Ga-68: 500 -> 367.8 MBq in 30 min; T = 20.794 / ln(500/367.8) = 67.71 min (62-74)
    ga = fit_half_life([(T0, 500e6), (T0 + timedelta(minutes=30), 367.8e6)], nuclide="Ga-68")
    assert ga.half_life_min == pytest.approx(67.71, abs=0.01)
    assert qc_spec("ga68-psma-11").tests["half_life"].evaluate(ga.half_life_min).passed


def test_least_squares_of_several_readings_in_any_time_zone() -> None:
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    lam = math.log(2) / (109.77 * 60)
    times = [T0 + timedelta(minutes=m) for m in (0, 10, 20, 40)]
    noise = [1.0, 1.002, 0.998, 1.0]
    readings = [(t.astimezone(paris), 1e9 * math.exp(-lam * (t - T0).total_seconds()) * e)
                for t, e in zip(times, noise, strict=True)]  # fmt: skip
    fit = fit_half_life(readings, nuclide="F-18")
    assert fit.n_readings == 4
    assert fit.half_life_min == pytest.approx(109.77, rel=0.05)
    assert 0.05 < fit.max_residual_pct < 0.3


def test_half_life_input_errors() -> None:
    with pytest.raises(ThxError, match="at least 2 readings, got 1"):
        fit_half_life([(T0, 1e9)])
    with pytest.raises(ThxError, match="distinct times"):
        fit_half_life([(T0, 1e9), (T0, 0.9e9)])
    with pytest.raises(ThxError, match="does not decrease"):
        fit_half_life([(T0, 1e9), (T0 + timedelta(minutes=5), 1.1e9)])
    with pytest.raises(ThxError, match="reading 2: activity must be"):
        fit_half_life([(T0, 1e9), (T0 + timedelta(minutes=5), -1.0)])
    with pytest.raises(ThxError, match="reading time 1"):
        fit_half_life([(datetime(2026, 11, 23, 8, 0), 1e9), (T0, 0.9e9)])


def test_site_file_errors_name_file_and_field(tmp_path: Path) -> None:
    site = tmp_path / "site_qc.toml"
    site.write_text(
        'schema = 1\ntitle = "site"\ndate = 2026-11-23\n'
        '[references.sop]\ncitation = "Site SOP QC-12"\n'
        '[[products]]\nkey = "fdg"\nname = "FDG"\nnuclide = "F-18"\n'
        '[[products.tests]]\ntest = "ph"\nunit = "1"\nmin = 9.0\nmax = 4.0\n'
        'basis = "assumed"\nsources = ["sop"]\n',
        encoding="utf-8",
    )
    with pytest.raises(
        ThxError, match=r"site_qc.toml: products\[0\].tests\[0\].min: min 9.0 is above"
    ):
        load_qc_limits(site)
    site.write_text(site.read_text().replace("min = 9.0", "min = 4.0").replace("max = 4.0",
                    "max = 9.0\nendotoxin = 1"))  # fmt: skip
    with pytest.raises(ThxError, match="endotoxin: unknown field"):
        load_qc_limits(site)
    site.write_text(site.read_text().replace("\nendotoxin = 1", ""))
    spec = load_qc_limits(site)["fdg"]
    assert list(spec.tests) == ["ph"] and spec.tests["ph"].sources == ("Site SOP QC-12",)
    with pytest.raises(ThxError, match="cannot read QC limits file"):
        load_qc_limits(tmp_path / "absent.toml")

"""IBSI 1 statistics, intensity histogram, IVH and local intensity features.

Hand-computed cases, then every reference row of the four families for the
IBSI digital phantom (needs ../shared).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, Mask, Volume
from theranostix.radiomics._intensity import (
    histogram_features,
    ivh_features,
    local_intensity_features,
    statistics_features,
)

_FAMILIES = ("Statistics", "Intensity histogram", "Intensity volume histogram", "Local intensity")


# --- statistics --------------------------------------------------------------


def test_statistics_hand_computed() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    f = statistics_features(x)
    mean = 4.0
    var = float(np.mean((x - mean) ** 2))  # (9 + 4 + 1 + 0 + 36) / 5 = 10
    assert f["stat_mean"] == pytest.approx(mean)
    assert f["stat_var"] == pytest.approx(10.0) == pytest.approx(var)
    assert f["stat_skew"] == pytest.approx(np.mean((x - mean) ** 3) / var**1.5)
    assert f["stat_kurt"] == pytest.approx(np.mean((x - mean) ** 4) / var**2 - 3.0)
    assert f["stat_median"] == 3.0
    assert (f["stat_min"], f["stat_max"], f["stat_range"]) == (1.0, 10.0, 9.0)
    # linear percentiles: P10 = 1.4, P25 = 2, P75 = 4, P90 = 7.6
    assert f["stat_p10"] == pytest.approx(1.4)
    assert f["stat_p90"] == pytest.approx(7.6)
    assert f["stat_iqr"] == pytest.approx(2.0)
    assert f["stat_qcod"] == pytest.approx(2.0 / 6.0)
    assert f["stat_mad"] == pytest.approx((3 + 2 + 1 + 0 + 6) / 5)
    # robust set: values in [1.4, 7.6] -> {2, 3, 4}, mean 3, |dev| = 1, 0, 1
    assert f["stat_rmad"] == pytest.approx(2.0 / 3.0)
    assert f["stat_medad"] == pytest.approx((2 + 1 + 0 + 1 + 7) / 5)
    assert f["stat_cov"] == pytest.approx(math.sqrt(10.0) / 4.0)
    assert f["stat_energy"] == pytest.approx(1 + 4 + 9 + 16 + 100)
    assert f["stat_rms"] == pytest.approx(math.sqrt(130 / 5))


def test_statistics_constant_and_degenerate() -> None:
    f = statistics_features(np.zeros(4))
    assert f["stat_var"] == 0.0
    assert f["stat_skew"] == 0.0 and f["stat_kurt"] == 0.0
    assert math.isnan(f["stat_cov"]) and math.isnan(f["stat_qcod"])
    with pytest.raises(ThxError, match="empty"):
        statistics_features([])
    with pytest.raises(ThxError, match="NaN or infinite"):
        statistics_features([1.0, math.nan])


# --- intensity histogram -------------------------------------------------------


def test_histogram_hand_computed() -> None:
    # counts over 1..5 (n_levels 5): [2, 0, 3, 0, 1] -> gradient [-2, 0.5, 0, -1, 1]
    grey = np.array([1, 1, 3, 3, 3, 5])
    f = histogram_features(grey, n_levels=5)
    assert f["ih_mode"] == 3.0
    p = np.array([2, 3, 1]) / 6
    assert f["ih_entropy"] == pytest.approx(-np.sum(p * np.log2(p)))
    assert f["ih_uniformity"] == pytest.approx(np.sum(p**2))
    assert (f["ih_max_grad"], f["ih_max_grad_g"]) == (1.0, 5.0)
    assert (f["ih_min_grad"], f["ih_min_grad_g"]) == (-2.0, 1.0)
    assert f["ih_mean"] == pytest.approx(16 / 6)
    assert f["ih_max"] == 5.0 and f["ih_range"] == 4.0
    # the statistics agree with the intensity-based ones on the same values
    stats = statistics_features(grey)
    for name in ("mean", "var", "skew", "kurt", "median", "p10", "p90", "iqr", "rmad", "qcod"):
        assert f[f"ih_{name}"] == pytest.approx(stats[f"stat_{name}"])


def test_histogram_ends_use_one_sided_gradients() -> None:
    # n_levels beyond the highest grey level adds empty bins to the gradient
    f = histogram_features([1, 1, 1, 2], n_levels=3)  # counts [3, 1, 0]
    assert (f["ih_min_grad"], f["ih_min_grad_g"]) == (-2.0, 1.0)  # n2 - n1
    assert (f["ih_max_grad"], f["ih_max_grad_g"]) == (-1.0, 3.0)  # n3 - n2
    assert histogram_features([2, 2])["ih_max_grad"] == 2.0  # counts [0, 2]


def test_histogram_mode_ties() -> None:
    # counts [2, 0, 0, 2, 1]: mean 2.8 -> level 4 is closest to the mean
    assert histogram_features([1, 1, 4, 4, 5])["ih_mode"] == 4.0
    # counts [1, 0, 1]: mean 2 equidistant from 1 and 3 -> the lower one
    two = histogram_features([1, 3])
    assert two["ih_mode"] == 1.0
    assert math.isnan(two["ih_rmad"])  # no value within [P10, P90] = [1.2, 2.8]


def test_histogram_rejects_bad_grey_levels() -> None:
    with pytest.raises(ThxError, match="integer grey levels"):
        histogram_features([1.5, 2.0])
    with pytest.raises(ThxError, match=r"1\.\.3"):
        histogram_features([1, 4], n_levels=3)
    with pytest.raises(ThxError, match=r"1\.\.4"):
        histogram_features([0, 4])
    with pytest.raises(ThxError, match="n_levels"):
        histogram_features([1, 2], n_levels=0)


# --- intensity-volume histogram ----------------------------------------------


def test_ivh_discrete_hand_computed() -> None:
    # G = [0, 10]: nu(i) = fraction >= i; gamma = i / 10
    x = np.array([0, 0, 0, 0, 0, 5, 5, 5, 9, 10])
    f = ivh_features(x, discretised=True)
    assert f["ivh_v10"] == pytest.approx(0.5)  # gamma >= 0.1 from i = 1: 5 voxels >= 1
    assert f["ivh_v90"] == pytest.approx(0.2)  # i = 9: {9, 10}
    assert f["ivh_i10"] == 10.0  # nu(10) = 0.1
    assert f["ivh_i90"] == 1.0  # nu(1) = 0.5 <= 0.9, nu(0) = 1
    assert f["ivh_diff_v10_v90"] == pytest.approx(0.3)
    assert f["ivh_diff_i10_i90"] == 9.0
    nu = np.array([1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2, 0.1])
    assert f["ivh_auc"] == pytest.approx(float(np.sum((nu[1:] + nu[:-1]) / 2 * 0.1)))


def test_ivh_range_and_interval() -> None:
    x = np.array([0.0, 10.0, 20.0, 30.0])
    # G = [-10, 30] with interval 10: gamma = 0, .25, .5, .75, 1
    f = ivh_features(x, discretised=True, bin_width=10.0, value_range=(-10.0, 30.0))
    assert f["ivh_v10"] == pytest.approx(1.0)  # i = 0 has gamma 0.25 >= 0.1
    assert f["ivh_v90"] == pytest.approx(0.25)  # i = 30
    assert f["ivh_i10"] == 40.0  # nu(30) = 0.25 > 0.1: the step above the range
    with pytest.raises(ThxError, match="outside value_range"):
        ivh_features(x, discretised=True, value_range=(0.0, 20.0))
    with pytest.raises(ThxError, match="on the grid"):
        ivh_features([0.0, 0.5, 1.0], discretised=True)
    with pytest.raises(ThxError, match="more than one intensity"):
        ivh_features([3.0, 3.0], discretised=True)


def test_ivh_continuous_fixed_bin_size() -> None:
    # Xmin = 0, w = 1: bins 1..4, centres 0.5..3.5; G = [0.5, 3.5] (Xmax = 4)
    x = np.array([0.2, 0.7, 1.5, 2.5, 3.9, 4.0])
    f = ivh_features(x, discretised=False, bin_width=1.0, value_range=(0.0, 4.0))
    # bins: 1, 1, 2, 3, 4, 5 -> the maximum lands in bin 5 (centre 4.5, gamma 4/3)
    assert f["ivh_v10"] == pytest.approx(4 / 6)  # first centre with gamma >= .1 is 1.5
    assert f["ivh_i90"] == 1.5
    assert f["ivh_v90"] == pytest.approx(2 / 6)  # centre 3.5 (gamma 1)
    assert f["ivh_i10"] == 5.5  # nu(4.5) = 1/6 > 0.1: the step above the last bin
    # arbitrary units: 1000 fixed bins, G = [1, 1000]
    g = ivh_features(np.linspace(0.0, 1.0, 101), discretised=False)
    # bins 1, 11, ..., 991, 1000; nu(101) = 91/101 > 0.9, nu(102) = 90/101
    assert g["ivh_i90"] == 102.0
    # gamma = (i - 1) / 999 >= 0.9 from i = 901: values >= 0.9 (11 of them)
    assert g["ivh_v90"] == pytest.approx(11 / 101)


# --- local intensity ---------------------------------------------------------


def test_local_intensity_uses_the_sphere_mean() -> None:
    # 5 mm voxels: the 1 cm3 sphere (r 6.2 mm) holds the centre and its 6 neighbours
    g = Geometry((5, 5, 5), spacing_mm=(5.0, 5.0, 5.0))
    a = np.zeros((5, 5, 5))
    a[2, 2, 2] = 7.0
    a[2, 2, 3] = 6.0
    a[2, 2, 4] = 6.0
    f = local_intensity_features(Volume(a, g), Mask(a > 0, g))
    assert f["loc_peak_loc"] == pytest.approx(13.0 / 7.0)  # 7 + one 6 among 7 voxels
    assert f["loc_peak_glob"] == pytest.approx(19.0 / 7.0)  # centred on (2, 2, 3)


# --- IBSI digital phantom ------------------------------------------------------


def _reference_rows(shared_dir: Path) -> list[dict[str, str]]:
    path = shared_dir / "validation/ibsi/reference/ibsi_1_reference_values_digital_phantom.csv"
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.DictReader(handle) if row["family"] in _FAMILIES]


@pytest.mark.validation
def test_ibsi_digital_phantom(shared_dir: Path) -> None:
    import SimpleITK as sitk  # a core dependency; imported here to keep collection fast

    folder = shared_dir / "validation/ibsi/digital_phantom"
    image = sitk.ReadImage(str(folder / "image.nii.gz"))
    array = sitk.GetArrayFromImage(image).astype(float)  # [k, j, i]
    region = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "mask.nii.gz"))) > 0
    spacing = tuple(float(s) for s in image.GetSpacing())  # (si, sj, sk)
    assert spacing == (2.0, 2.0, 2.0)
    geometry = Geometry(array.shape, spacing_mm=spacing)
    values = array[region]
    grey = values.astype(int)  # the phantom's values 1..6 are grey levels already
    computed = {
        **statistics_features(values),
        **histogram_features(grey, n_levels=6),
        **ivh_features(values, discretised=True),
        **local_intensity_features(Volume(array, geometry), Mask(region, geometry)),
    }
    rows = _reference_rows(shared_dir)
    assert len(rows) == 50
    failures = []
    for row in rows:
        tag = row["tag"]
        assert tag in computed, f"{tag} not produced"
        assert math.isfinite(computed[tag]), f"{tag} = {computed[tag]}"
        if not row["reference value"]:
            continue  # no benchmark value (ivh_auc is not standardised)
        reference = float(row["reference value"])
        tolerance = float(row["tolerance"] or 0.0)
        # the benchmark values are given to three significant digits
        allowed = max(tolerance, 0.5 * 10 ** (math.floor(math.log10(abs(reference) or 1)) - 2))
        if abs(computed[tag] - reference) > allowed:
            failures.append(f"{tag}: {computed[tag]} vs {reference} ± {allowed}")
    assert not failures, failures

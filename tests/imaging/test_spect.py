"""Quantitative SPECT: calibration, counts to Bq/mL, ordering of time points."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy.integrate import quad

from theranostix.errors import MissingTagError, NaiveDatetimeError, ThxError, UnknownNuclideError
from theranostix.imaging._spect import (
    CALIBRATION_AGE_NOTE_DAYS,
    SpectCalibration,
    decay_during_acquisition_factor,
    order_time_points,
    quantify_spect,
)
from theranostix.imaging._volume import (
    DecayCorrection,
    Geometry,
    ImageUnit,
    Modality,
    PatientInfo,
    Radiopharmaceutical,
    Timing,
    Volume,
)
from theranostix.nuclides import Nuclide

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 5, 12, 9, 30, tzinfo=PARIS)


def _calibration(nuclide: str = "Lu-177", days_before: float = 10.0) -> SpectCalibration:
    return SpectCalibration(
        sensitivity_cps_per_mbq=9.36,
        nuclide=Nuclide(nuclide),
        calibration_date=START - timedelta(days=days_before),
        energy_window="208 keV 20 %",
        collimator="MEGP",
        camera="test camera",
    )


def _spect(
    array: np.ndarray,
    unit: ImageUnit = ImageUnit.COUNTS,
    *,
    nuclide: str | None = "Lu-177",
    spacing: tuple[float, float, float] = (4.42, 4.42, 4.42),
    frame_duration_s: float | None = 1800.0,
    start: datetime | None = START,
    decay_correction: DecayCorrection | None = None,
) -> Volume:
    geometry = Geometry(array.shape, spacing_mm=spacing)
    return Volume(
        array,
        geometry,
        unit,
        Modality.NM,
        radiopharmaceutical=Radiopharmaceutical(
            nuclide=None if nuclide is None else Nuclide(nuclide)
        ),
        timing=Timing(
            acquisition_start=start,
            frame_duration_s=frame_duration_s,
            decay_correction=decay_correction,
        ),
        metadata={"series_description": "SPECT day 1"},
    )


def _expected_counts(
    concentration_bq_per_ml: np.ndarray,
    calibration: SpectCalibration,
    voxel_ml: float,
    duration_s: float,
    nuclide: Nuclide,
) -> np.ndarray:
    """Counts recorded in each voxel by numerical integration of the decaying activity."""
    lam = nuclide.decay_constant_per_s
    integral, _ = quad(lambda t: math.exp(-lam * t), 0.0, duration_s, epsabs=0.0, epsrel=1e-13)
    cps_per_bq = calibration.sensitivity_cps_per_mbq / 1e6
    return concentration_bq_per_ml * voxel_ml * cps_per_bq * integral


# ----------------------------------------------------------------------------- calibration


def test_calibration_validates_its_inputs() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert SpectCalibration(5.0, "177Lu", when).nuclide == Nuclide("Lu-177")  # type: ignore[arg-type]
    with pytest.raises(ThxError, match="sensitivity_cps_per_mbq"):
        SpectCalibration(0.0, Nuclide("Lu-177"), when)
    with pytest.raises(ThxError, match="sensitivity_cps_per_mbq"):
        SpectCalibration(float("nan"), Nuclide("Lu-177"), when)
    with pytest.raises(NaiveDatetimeError, match="calibration_date"):
        SpectCalibration(5.0, Nuclide("Lu-177"), datetime(2026, 1, 1))
    with pytest.raises(UnknownNuclideError):
        SpectCalibration(5.0, "Lu-178m2", when)  # type: ignore[arg-type]
    with pytest.raises(ThxError, match="nuclide must be"):
        SpectCalibration(5.0, 177, when)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- decay factor


@pytest.mark.parametrize(
    ("nuclide", "duration_s"),
    [("Lu-177", 30 * 60.0), ("Tc-99m", 24 * 3600.0), ("Tc-99m", 45 * 60.0), ("I-131", 1.0)],
)
def test_decay_during_acquisition_factor_matches_numerical_integration(
    nuclide: str, duration_s: float
) -> None:
    lam = Nuclide(nuclide).decay_constant_per_s
    integral, _ = quad(lambda t: math.exp(-lam * t), 0.0, duration_s, epsabs=0.0, epsrel=1e-13)
    mean_fraction = integral / duration_s  # mean activity during the acquisition / start activity
    assert decay_during_acquisition_factor(nuclide, duration_s) == pytest.approx(
        1.0 / mean_fraction, rel=1e-11
    )


def test_decay_factor_limits() -> None:
    assert decay_during_acquisition_factor("Lu-177", 0.0) == 1.0
    lam = Nuclide("Lu-177").decay_constant_per_s
    assert decay_during_acquisition_factor("Lu-177", 1e-3) == pytest.approx(1 + lam * 1e-3 / 2)
    with pytest.raises(ThxError, match="acquisition duration"):
        decay_during_acquisition_factor("Lu-177", -1.0)


# ----------------------------------------------------------------------------- quantify_spect


@pytest.mark.parametrize(
    ("nuclide", "duration_s", "spacing"),
    [
        ("Lu-177", 1800.0, (4.42, 4.42, 4.42)),
        ("Tc-99m", 6 * 3600.0, (3.0, 3.0, 5.0)),
        ("In-111", 2400.0, (4.8, 4.8, 4.8)),
    ],
)
def test_known_activity_round_trips_through_counts(
    nuclide: str, duration_s: float, spacing: tuple[float, float, float]
) -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(0.0, 5e5, (6, 7, 8))  # Bq/mL at acquisition start
    calibration = _calibration(nuclide)
    voxel_ml = spacing[0] * spacing[1] * spacing[2] / 1000.0
    counts = _expected_counts(truth, calibration, voxel_ml, duration_s, Nuclide(nuclide))
    image = _spect(counts, nuclide=nuclide, spacing=spacing, frame_duration_s=duration_s)

    result = quantify_spect(image, calibration)

    np.testing.assert_allclose(result.array, truth, rtol=1e-11)
    assert result.unit is ImageUnit.BQ_PER_ML
    assert result.array.dtype == np.float64
    assert result.timing.decay_correction is DecayCorrection.START
    assert result.timing.decay_reference_time == START
    record = result.metadata["spect_quantification"]
    assert record["decay_during_acquisition_factor"] == decay_during_acquisition_factor(
        nuclide, duration_s
    )
    assert record["acquisition_duration_s"] == duration_s
    assert record["duration_source"] == "ActualFrameDuration (0018,1242)"
    assert record["sensitivity_cps_per_mbq"] == calibration.sensitivity_cps_per_mbq
    assert result.metadata["series_description"] == "SPECT day 1"
    assert image.unit is ImageUnit.COUNTS  # input untouched
    np.testing.assert_array_equal(image.array, counts)


def test_cps_image_needs_no_division_by_duration() -> None:
    truth = np.full((3, 3, 3), 2.5e5)
    calibration = _calibration()
    counts = _expected_counts(truth, calibration, 4.42**3 / 1000, 1800.0, Nuclide("Lu-177"))
    image = _spect(counts / 1800.0, ImageUnit.CPS)
    np.testing.assert_allclose(quantify_spect(image, calibration).array, truth, rtol=1e-11)


def test_duration_override_replaces_the_frame_duration() -> None:
    truth = np.full((2, 2, 2), 1e5)
    calibration = _calibration()
    # 30 angular steps per head of 40 s: T = 1200 s
    counts = _expected_counts(truth, calibration, 4.42**3 / 1000, 30 * 40.0, Nuclide("Lu-177"))
    image = _spect(counts, frame_duration_s=None)
    result = quantify_spect(image, calibration, acquisition_duration_s=30 * 40.0)
    np.testing.assert_allclose(result.array, truth, rtol=1e-11)
    assert result.timing.frame_duration_s == 1200.0
    assert result.metadata["spect_quantification"]["duration_source"] == (
        "acquisition_duration_s argument"
    )


def test_vendor_bq_per_ml_image_is_returned_unchanged_as_a_copy() -> None:
    values = np.arange(24.0).reshape(2, 3, 4) * 1000.0
    image = _spect(values, ImageUnit.BQ_PER_ML, decay_correction=DecayCorrection.START)
    result = quantify_spect(image)
    np.testing.assert_array_equal(result.array, values)
    assert result.array is not image.array
    result.array[0, 0, 0] = -1.0
    assert image.array[0, 0, 0] == 0.0
    assert result.timing == image.timing
    assert "vendor" in result.metadata["spect_quantification"]["method"]
    assert "spect_quantification" not in image.metadata
    with_calibration = quantify_spect(image, _calibration())
    assert any("not applied" in note for note in with_calibration.metadata["notes"])


def test_missing_calibration_says_what_to_pass() -> None:
    with pytest.raises(
        ThxError, match=r"pass calibration=SpectCalibration\(sensitivity_cps_per_mbq"
    ):
        quantify_spect(_spect(np.ones((2, 2, 2))))


def test_missing_duration_names_actual_frame_duration() -> None:
    with pytest.raises(MissingTagError, match=r"ActualFrameDuration \(0018,1242\)") as info:
        quantify_spect(_spect(np.ones((2, 2, 2)), frame_duration_s=None), _calibration())
    assert "acquisition_duration_s" in str(info.value)
    assert "SPECT day 1" in str(info.value)
    with pytest.raises(ThxError, match="must be positive"):
        quantify_spect(_spect(np.ones((2, 2, 2))), _calibration(), acquisition_duration_s=0.0)


def test_calibration_for_another_nuclide_names_both() -> None:
    with pytest.raises(ThxError, match=r"Lu-177.*Tc-99m"):
        quantify_spect(_spect(np.ones((2, 2, 2)), nuclide="Lu-177"), _calibration("Tc-99m"))


def _with_half_life(volume: Volume, half_life_s: float) -> Volume:
    return replace(volume, radiopharmaceutical=Radiopharmaceutical(half_life_s=half_life_s))


def test_image_half_life_is_checked_when_its_nuclide_is_unknown() -> None:
    image = _spect(np.ones((2, 2, 2)), nuclide=None)
    lu = _with_half_life(image, Nuclide("Lu-177").half_life_s)
    result = quantify_spect(lu, _calibration("Lu-177"))
    assert result.metadata["spect_quantification"]["nuclide"] == "Lu-177"
    assert any("from the calibration" in note for note in result.metadata["notes"])
    with pytest.raises(ThxError, match=r"Half Life \(0018,1075\).*Lu-177"):
        quantify_spect(_with_half_life(image, 6.0 * 3600), _calibration("Lu-177"))


@pytest.mark.parametrize("unit", [ImageUnit.HU, ImageUnit.SUV, ImageUnit.UNKNOWN])
def test_other_units_are_refused(unit: ImageUnit) -> None:
    with pytest.raises(ThxError, match=f"in {unit.value!r}"):
        quantify_spect(_spect(np.ones((2, 2, 2)), unit), _calibration())


def test_other_modalities_and_decay_corrected_counts_are_refused() -> None:
    image = _spect(np.ones((2, 2, 2)))
    with pytest.raises(ThxError, match="modality NM"):
        quantify_spect(replace(image, modality=Modality.PT), _calibration())
    corrected = _spect(np.ones((2, 2, 2)), decay_correction=DecayCorrection.ADMIN)
    with pytest.raises(ThxError, match="already decay-corrected"):
        quantify_spect(corrected, _calibration())


def test_calibration_age_is_noted_not_applied() -> None:
    image = _spect(np.full((2, 2, 2), 1e4))
    recent = quantify_spect(image, _calibration(days_before=10.0))
    old = quantify_spect(image, _calibration(days_before=CALIBRATION_AGE_NOTE_DAYS + 30))
    later = quantify_spect(image, _calibration(days_before=-2.0))
    np.testing.assert_array_equal(old.array, recent.array)
    assert recent.metadata["notes"] == []
    assert recent.metadata["spect_quantification"]["calibration_age_days"] == pytest.approx(10.0)
    assert any("days older than the acquisition" in note for note in old.metadata["notes"])
    assert any("after the acquisition" in note for note in later.metadata["notes"])
    unknown = quantify_spect(_spect(np.full((2, 2, 2), 1e4), start=None), _calibration())
    assert unknown.timing.decay_reference_time is None
    assert any("not checked" in note for note in unknown.metadata["notes"])


# ----------------------------------------------------------------------------- time points


def _time_point(
    start: datetime,
    injection: datetime | None,
    *,
    patient: str | None = "P001",
    name: str = "",
    metadata_patient: str | None = None,
) -> Volume:
    metadata: dict[str, object] = {"series_description": name or start.isoformat()}
    if metadata_patient is not None:
        metadata["patient_id"] = metadata_patient
    return Volume(
        np.zeros((1, 1, 1)),
        Geometry((1, 1, 1)),
        ImageUnit.BQ_PER_ML,
        Modality.NM,
        patient=PatientInfo(patient_id=patient),
        radiopharmaceutical=Radiopharmaceutical(
            nuclide=Nuclide("Lu-177"), injection_time=injection
        ),
        timing=Timing(acquisition_start=start),
        metadata=metadata,
    )


def test_order_across_spring_daylight_saving_change_uses_elapsed_time() -> None:
    # Paris moves from UTC+1 to UTC+2 on 2026-03-29 at 02:00.
    injection = datetime(2026, 3, 28, 10, 0, tzinfo=PARIS)
    starts = [
        datetime(2026, 3, 28, 14, 0, tzinfo=PARIS),
        datetime(2026, 3, 29, 10, 0, tzinfo=PARIS),  # 24 h on the wall clock, 23 h elapsed
        datetime(2026, 3, 31, 10, 0, tzinfo=PARIS),
        datetime(2026, 4, 4, 9, 0, tzinfo=PARIS),
    ]
    injection_utc = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    starts_utc = [
        datetime(2026, 3, 28, 13, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 4, 7, 0, tzinfo=UTC),
    ]
    assert injection == injection_utc and starts == starts_utc
    volumes = [_time_point(s, injection) for s in starts]
    shuffled = volumes[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != volumes

    ordered = order_time_points(shuffled)

    assert [v for _, v in ordered] == volumes
    expected = [(s - injection_utc).total_seconds() / 3600 for s in starts_utc]
    assert [t for t, _ in ordered] == pytest.approx(expected, abs=1e-12)
    assert ordered[1][0] == pytest.approx(23.0)


def test_order_across_autumn_change_follows_true_time_not_wall_clock() -> None:
    # On 2026-10-25 Paris clocks go back from 03:00 CEST to 02:00 CET: 02:20 happens twice.
    injection = datetime(2026, 10, 24, 20, 0, tzinfo=PARIS)
    earlier = datetime(2026, 10, 25, 2, 40, tzinfo=PARIS, fold=0)  # 00:40 UTC
    later = datetime(2026, 10, 25, 2, 20, tzinfo=PARIS, fold=1)  # 01:20 UTC, earlier wall clock
    assert later.astimezone(UTC) - earlier.astimezone(UTC) == timedelta(minutes=40)
    ordered = order_time_points([_time_point(later, injection), _time_point(earlier, injection)])
    assert [v.timing.acquisition_start for _, v in ordered] == [earlier, later]
    assert ordered[1][0] - ordered[0][0] == pytest.approx(40 / 60)


def test_different_patients_are_refused_naming_both() -> None:
    injection = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    a = _time_point(injection + timedelta(hours=4), injection, patient="P001")
    b = _time_point(
        injection + timedelta(hours=24), injection, patient=None, metadata_patient="P002"
    )
    with pytest.raises(ThxError, match=r"different patients.*'P001'.*'P002'"):
        order_time_points([a, b])


def test_missing_injection_time_is_refused() -> None:
    injection = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    good = _time_point(injection + timedelta(hours=4), injection)
    bad = _time_point(injection + timedelta(hours=24), None, name="day 1")
    with pytest.raises(ThxError, match=r"volume #1 series_description 'day 1' has no injection"):
        order_time_points([good, bad])


def test_missing_acquisition_start_is_refused() -> None:
    injection = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    volume = _time_point(injection, injection)
    with pytest.raises(ThxError, match=r"no acquisition start"):
        order_time_points([replace(volume, timing=Timing())])


def test_different_cycles_are_refused_naming_both_injections() -> None:
    cycle1 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    cycle2 = cycle1 + timedelta(weeks=6)
    volumes = [
        _time_point(cycle1 + timedelta(hours=24), cycle1, name="C1 day 1"),
        _time_point(cycle2 + timedelta(hours=24), cycle2, name="C2 day 1"),
    ]
    with pytest.raises(ThxError, match="different administrations") as info:
        order_time_points(volumes)
    assert cycle1.isoformat() in str(info.value) and cycle2.isoformat() in str(info.value)
    assert "C1 day 1" in str(info.value) and "C2 day 1" in str(info.value)


def test_injection_times_within_a_minute_are_one_administration() -> None:
    injection = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    typed_later = injection + timedelta(seconds=30)
    ordered = order_time_points(
        [
            _time_point(injection + timedelta(hours=24), typed_later),
            _time_point(injection + timedelta(hours=4), injection),
        ]
    )
    assert [t for t, _ in ordered] == pytest.approx([4.0, 24.0])


def test_duplicate_time_points_are_refused() -> None:
    injection = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    start = injection + timedelta(hours=24)
    same_instant = start.astimezone(timezone(timedelta(hours=2)))
    with pytest.raises(ThxError, match="same time point"):
        order_time_points(
            [
                _time_point(start, injection, name="OSEM"),
                _time_point(same_instant, injection, name="MAP"),
            ]
        )


def test_scan_before_injection_and_empty_input_are_refused() -> None:
    injection = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ThxError, match="before the injection"):
        order_time_points([_time_point(injection - timedelta(hours=1), injection)])
    with pytest.raises(ThxError, match="at least one volume"):
        order_time_points([])

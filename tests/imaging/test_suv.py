"""SUV: body-size formulas, every normalisation, decay-correction modes and one error per item."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from theranostix import errors
from theranostix.imaging import (
    SuvNormalization,
    body_surface_area_dubois_m2,
    ideal_body_weight_kg,
    lean_body_mass_james_kg,
    lean_body_mass_janmahasatian_kg,
    parse_allow,
    read_dicom_series,
    suv_factors,
    to_suv,
)

F18_HALF_LIFE_S = 6586.2
DOSE_BQ = 368.08e6
WEIGHT_G = 70_000.0


def _bqml_for(suv: float, delay_s: float = 3600.0) -> float:
    """Activity concentration that is ``suv`` for the default series (70 kg, 368.08 MBq, 1 h)."""
    return suv * DOSE_BQ * 2.0 ** (-delay_s / F18_HALF_LIFE_S) / WEIGHT_G


def _values(suv_background: float = 1.0, suv_hot: float = 4.0) -> np.ndarray:
    values = np.full((4, 6, 5), _bqml_for(suv_background))
    values[1, 2, 3] = _bqml_for(suv_hot)
    return values


# ----------------------------------------------------------------------------- body size
def test_body_size_formulas_by_hand() -> None:
    # 80 kg, 180 cm, by the printed formulas.
    assert lean_body_mass_james_kg(80, 180, "M") == pytest.approx(1.10 * 80 - 128 * (80 / 180) ** 2)
    assert lean_body_mass_james_kg(80, 180, "F") == pytest.approx(1.07 * 80 - 148 * (80 / 180) ** 2)
    bmi = 80 / 1.8**2
    assert lean_body_mass_janmahasatian_kg(80, 180, "M") == pytest.approx(
        9270 * 80 / (6680 + 216 * bmi)
    )
    assert lean_body_mass_janmahasatian_kg(80, 180, "F") == pytest.approx(
        9270 * 80 / (8780 + 244 * bmi)
    )
    # Du Bois 1916: a 70 kg, 175 cm adult has about 1.85 m².
    assert body_surface_area_dubois_m2(70, 175) == pytest.approx(1.848, abs=1e-3)
    assert ideal_body_weight_kg(180, "M") == pytest.approx(48.0 + 1.06 * 28)
    assert ideal_body_weight_kg(180, "F") == pytest.approx(45.5 + 0.91 * 28)
    # Sex "O": mean of both formulas (SUV manual).
    assert ideal_body_weight_kg(180, "O") == pytest.approx(
        (ideal_body_weight_kg(180, "M") + ideal_body_weight_kg(180, "F")) / 2
    )


def test_sex_needed_for_lbm() -> None:
    with pytest.raises(errors.MissingBodySizeError, match=r"PatientSex \(0010,0040\)"):
        lean_body_mass_james_kg(80, 180, "")


# ----------------------------------------------------------------------------- normalisations
def test_default_series_gives_the_suv_it_was_built_with(pet_series) -> None:
    suv = to_suv(read_dicom_series(pet_series(_values())))
    assert suv.array[1, 2, 3] == pytest.approx(4.0, rel=1e-4)
    assert np.median(suv.array) == pytest.approx(1.0, rel=1e-4)
    result = suv.metadata["suv"]
    assert result.decay_factor == pytest.approx(2 ** (-3600 / F18_HALF_LIFE_S))
    assert result.reference_time - result.injection_time == timedelta(hours=1)


@pytest.mark.parametrize(
    ("norm", "mass"),
    [
        ("lbm-james", lean_body_mass_james_kg(70, 175, "M")),
        ("lbm-janmahasatian", lean_body_mass_janmahasatian_kg(70, 175, "M")),
        ("ibw", ideal_body_weight_kg(175, "M")),
    ],
)
def test_mass_normalisations_scale_suvbw(pet_series, norm: str, mass: float) -> None:
    pet = read_dicom_series(pet_series(_values()))
    bw = suv_factors(pet).factor
    other = suv_factors(pet, norm)
    assert other.normalization is SuvNormalization(norm)
    assert other.normalizing_mass_kg == pytest.approx(mass)
    assert other.factor == pytest.approx(bw * mass / 70.0)


def test_bsa_normalisation(pet_series) -> None:
    pet = read_dicom_series(pet_series(_values()))
    result = suv_factors(pet, "bsa")
    assert result.body_surface_area_m2 == pytest.approx(body_surface_area_dubois_m2(70, 175))
    # SUVbsa = C · BSA[cm²] / D
    assert result.factor == pytest.approx(
        result.body_surface_area_m2 * 1e4 / (DOSE_BQ * result.decay_factor)
    )


def test_stored_gml_with_lbm_type_back_to_other_normalisations(pet_series) -> None:
    lbm = lean_body_mass_janmahasatian_kg(70, 175, "M")
    sul = np.full((3, 4, 4), 1.5)  # stored SUL (SUVlbm) values
    folder = pet_series(sul, tags={"Units": "GML", "SUVType": "LBMJANMA"})
    pet = read_dicom_series(folder)
    assert to_suv(pet, "lbm-janmahasatian").array.mean() == pytest.approx(1.5, rel=1e-4)
    assert to_suv(pet, "bw").array.mean() == pytest.approx(1.5 * 70 / lbm, rel=1e-4)


# ----------------------------------------------------------------------------- decay correction
def test_admin_decay_correction_uses_the_injected_dose(pet_series) -> None:
    values = np.full((3, 4, 4), _bqml_for(1.0, delay_s=0.0))
    pet = read_dicom_series(pet_series(values, tags={"DecayCorrection": "ADMIN"}))
    suv = to_suv(pet)
    assert suv.array.mean() == pytest.approx(1.0, rel=1e-4)
    assert suv.metadata["suv"].decay_factor == 1.0


def test_not_decay_corrected_frames_against_numerical_integration(pet_series) -> None:
    """DecayCorrection NONE: each frame holds the mean activity over its own acquisition."""
    lam = math.log(2) / F18_HALF_LIFE_S
    suv_true = 2.5
    duration = 300.0
    c_admin = suv_true * DOSE_BQ / WEIGHT_G  # Bq/mL at administration
    starts = [3600.0, 3900.0, 4200.0]  # three bed positions, one slice each
    values = np.empty((3, 4, 4))
    for k, start in enumerate(starts):
        mean, _ = quad(lambda t: c_admin * math.exp(-lam * t), start, start + duration)
        values[k] = mean / duration

    def per_slice(k: int, ds) -> None:
        moment = datetime(2025, 1, 1, 10) + timedelta(seconds=starts[k])
        ds.AcquisitionTime = moment.strftime("%H%M%S")

    pet = read_dicom_series(
        pet_series(values, tags={"DecayCorrection": "NONE"}, per_slice=per_slice)
    )
    suv = to_suv(pet)
    np.testing.assert_allclose(suv.array, suv_true, rtol=1e-4)
    assert isinstance(suv.metadata["suv"].factor, list)


def test_injection_before_midnight_with_time_only(pet_series) -> None:
    tags = {"SeriesDate": "20250102", "AcquisitionDate": "20250102", "StudyDate": "20250102",
            "SeriesTime": "003000", "AcquisitionTime": "003000"}  # fmt: skip
    rp = {"RadiopharmaceuticalStartDateTime": None, "RadiopharmaceuticalStartTime": "233000"}
    pet = read_dicom_series(pet_series(_values(), tags=tags, rp=rp))
    result = suv_factors(pet)
    assert result.injection_time == datetime(2025, 1, 1, 23, 30, tzinfo=UTC)
    assert to_suv(pet).array.max() == pytest.approx(4.0, rel=1e-4)
    assert any("day before" in note for note in result.notes)


def test_reference_time_back_computed_when_series_time_is_later(pet_series) -> None:
    """SeriesTime rewritten after the scan: t_ref = t_acq + T_ave - FrameReferenceTime."""
    lam = math.log(2) / F18_HALF_LIFE_S
    duration = 600.0
    t_ave = math.log(lam * duration / (1 - math.exp(-lam * duration))) / lam
    offsets = [120.0, 420.0]  # frames start 2 and 7 minutes after the reference (11:00)

    def per_slice(k: int, ds) -> None:
        start = offsets[k % 2]
        ds.AcquisitionTime = (datetime(2025, 1, 1, 11) + timedelta(seconds=start)).strftime(
            "%H%M%S"
        )
        ds.ActualFrameDuration = str(int(duration * 1000))
        ds.FrameReferenceTime = f"{(start + t_ave) * 1000:.3f}"

    tags = {"SeriesTime": "113000"}
    pet = read_dicom_series(pet_series(_values(), tags=tags, per_slice=per_slice))
    assert pet.metadata["decay_reference_method"].startswith("back-computed")
    assert (
        abs(
            (pet.timing.decay_reference_time - datetime(2025, 1, 1, 11, tzinfo=UTC)).total_seconds()
        )
        < 1.0
    )
    assert to_suv(pet).array.max() == pytest.approx(4.0, rel=1e-3)


def test_timezone_offset_tag_is_used(pet_series) -> None:
    pet = read_dicom_series(pet_series(_values(), tags={"TimezoneOffsetFromUTC": "+0100"}))
    assert pet.radiopharmaceutical.injection_time == datetime(
        2025, 1, 1, 10, tzinfo=timezone(timedelta(hours=1))
    )
    assert pet.metadata["timezone_assumed"] is False


def test_half_life_from_the_radionuclide_code(pet_series) -> None:
    from pydicom.dataset import Dataset

    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "C-131A3", "SRT", "^68^Gallium"

    def per_slice(k: int, ds) -> None:
        ds.RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence = [code]

    values = np.full((2, 3, 3), 5000.0)
    pet = read_dicom_series(
        pet_series(values, rp={"RadionuclideHalfLife": None}, per_slice=per_slice)
    )
    assert pet.radiopharmaceutical.nuclide.name == "Ga-68"
    result = suv_factors(pet)
    assert result.half_life_s == pytest.approx(pet.radiopharmaceutical.nuclide.half_life_s)
    assert any("RadionuclideCodeSequence" in note for note in result.notes)


# ----------------------------------------------------------------------------- unit guessing
def test_dose_in_mbq_and_weight_in_grams_are_recognised(pet_series) -> None:
    pet = read_dicom_series(
        pet_series(
            _values(), tags={"PatientWeight": "70000"}, rp={"RadionuclideTotalDose": "368.08"}
        )
    )
    result = suv_factors(pet)
    assert result.weight_kg == 70.0
    assert result.injected_activity_bq == pytest.approx(DOSE_BQ)
    assert to_suv(pet).array.max() == pytest.approx(4.0, rel=1e-4)


# ----------------------------------------------------------------------------- one error per item
ERROR_CASES = [
    ({"tags": {"PatientWeight": None}}, errors.MissingWeightError, r"PatientWeight \(0010,1030\)"),
    ({"tags": {"PatientWeight": "0.01"}}, errors.InconsistentWeightError, "PatientWeight"),
    (
        {"rp": {"RadionuclideTotalDose": None}},
        errors.MissingDoseError,
        r"RadionuclideTotalDose \(0018,1074\)",
    ),
    ({"rp": {"RadionuclideTotalDose": "500000"}}, errors.InconsistentDoseError, "neither"),
    (
        {"rp": {"RadiopharmaceuticalStartDateTime": None, "RadiopharmaceuticalStartTime": None}},
        errors.MissingInjectionTimeError,
        r"RadiopharmaceuticalStartDateTime \(0018,1078\)",
    ),
    (
        {"rp": {"RadionuclideHalfLife": None}},
        errors.MissingHalfLifeError,
        r"RadionuclideHalfLife \(0018,1075\)",
    ),
    (
        {"tags": {"DecayCorrection": None}},
        errors.MissingDecayCorrectionError,
        r"DecayCorrection \(0054,1102\)",
    ),
    ({"tags": {"Units": None}}, errors.MissingUnitsError, r"Units \(0054,1001\)"),
    ({"tags": {"Units": "PROPCNTS"}}, errors.UnsupportedUnitsError, "PROPCNTS"),
    ({"tags": {"Units": "CNTS"}}, errors.MissingScaleFactorError, r"\(7053,1009\)"),
    (
        {"tags": {"Units": "CPS"}},
        errors.MissingScaleFactorError,
        r"DoseCalibrationFactor \(0054,1322\)",
    ),
    (
        {"tags": {"RescaleIntercept": "5"}},
        errors.NonZeroInterceptError,
        r"RescaleIntercept \(0028,1052\)",
    ),
    (
        {"rp": {"RadiopharmaceuticalStartDateTime": "20250101120000"}},
        errors.InjectionAfterScanError,
        "after the decay reference time",
    ),
    (
        {"tags": {"SeriesTime": "120000", "FrameReferenceTime": None}},
        errors.MissingReferenceTimeError,
        r"SeriesTime \(0008,0031\)",
    ),
]


@pytest.mark.parametrize(("options", "error", "pattern"), ERROR_CASES)
def test_each_missing_or_inconsistent_item_has_its_own_error(
    pet_series, options, error, pattern
) -> None:
    pet = read_dicom_series(pet_series(_values(), **options))
    with pytest.raises(error, match=pattern) as caught:
        suv_factors(pet)
    assert isinstance(caught.value, errors.DicomTagError)
    assert caught.value.tag.startswith("(")


def test_lbm_needs_height(pet_series) -> None:
    pet = read_dicom_series(pet_series(_values(), tags={"PatientSize": None}))
    assert suv_factors(pet).factor > 0  # body weight needs no height
    with pytest.raises(
        errors.MissingBodySizeError, match=r"PatientSize \(0010,1020\).*--allow height"
    ):
        suv_factors(pet, "lbm-james")


def test_half_life_contradicting_the_code(pet_series) -> None:
    from pydicom.dataset import Dataset

    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "C-111A1", "SRT", "^18^Fluorine"

    def per_slice(k: int, ds) -> None:
        ds.RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence = [code]

    pet = read_dicom_series(
        pet_series(_values(), rp={"RadionuclideHalfLife": "4057.7"}, per_slice=per_slice)
    )
    with pytest.raises(errors.InconsistentHalfLifeError, match="F-18"):
        suv_factors(pet)


# ----------------------------------------------------------------------------- --allow
def test_allow_supplies_missing_values(pet_series) -> None:
    folder = pet_series(
        _values(),
        tags={"PatientWeight": None},
        rp={"RadionuclideTotalDose": None, "RadiopharmaceuticalStartDateTime": None,
            "RadiopharmaceuticalStartTime": None, "RadionuclideHalfLife": None},
    )  # fmt: skip
    pet = read_dicom_series(folder)
    allow = [
        "weight=70kg",
        "dose=368.08 MBq",
        "injection-time=2025-01-01T10:00:00+00:00",
        "half-life=6586.2 s",
    ]
    suv = to_suv(pet, allow=allow)
    assert suv.array.max() == pytest.approx(4.0, rel=1e-4)
    notes = " ".join(suv.metadata["suv"].notes)
    for key in ("PatientWeight", "RadionuclideTotalDose", "injection time", "RadionuclideHalfLife"):
        assert key in notes


def test_allow_overrides_a_present_value(pet_series) -> None:
    pet = read_dicom_series(pet_series(_values()))
    doubled = suv_factors(pet, allow={"weight": 140.0})
    assert doubled.factor == pytest.approx(2 * suv_factors(pet).factor)


def test_parse_allow_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(errors.ThxError, match=r"unknown --allow key 'mass'.*weight"):
        parse_allow(["mass=70"])
    with pytest.raises(errors.ThxError, match="KEY=VALUE"):
        parse_allow(["weight"])
    with pytest.raises(errors.ThxError, match="M, F or O"):
        parse_allow(["sex=X"])
    assert parse_allow(["height=70in"])["height"] == pytest.approx(1.778)
    assert parse_allow(["weight=154lb"])["weight"] == pytest.approx(69.853, abs=1e-3)


def test_volume_without_dicom_metadata(tmp_path: Path) -> None:
    """A Bq/mL volume built in code (e.g. from NIfTI) converts from its typed fields."""
    from theranostix.imaging import (
        DecayCorrection,
        Geometry,
        ImageUnit,
        Modality,
        PatientInfo,
        Radiopharmaceutical,
        Timing,
        Volume,
    )

    injected = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    scan = injected + timedelta(hours=1)
    volume = Volume(
        np.full((2, 2, 2), _bqml_for(2.0)),
        Geometry((2, 2, 2)),
        ImageUnit.BQ_PER_ML,
        Modality.PT,
        PatientInfo(weight_kg=70.0),
        Radiopharmaceutical(
            half_life_s=F18_HALF_LIFE_S, injected_activity_bq=DOSE_BQ, injection_time=injected
        ),
        Timing(
            acquisition_start=scan,
            decay_correction=DecayCorrection.START,
            decay_reference_time=scan,
        ),
    )
    assert to_suv(volume).array.mean() == pytest.approx(2.0, rel=1e-6)


def test_back_computation_uses_a_half_life_given_with_allow(pet_series) -> None:
    """No RadionuclideHalfLife: the reader cannot back-compute t_ref; --allow half-life can."""
    lam = math.log(2) / F18_HALF_LIFE_S
    duration = 600.0
    t_ave = math.log(lam * duration / (1 - math.exp(-lam * duration))) / lam

    def per_slice(k: int, ds) -> None:
        ds.AcquisitionTime = "110200"
        ds.ActualFrameDuration = str(int(duration * 1000))
        ds.FrameReferenceTime = f"{(120.0 + t_ave) * 1000:.3f}"

    folder = pet_series(
        _values(),
        tags={"SeriesTime": "113000"},
        rp={"RadionuclideHalfLife": None},
        per_slice=per_slice,
    )
    pet = read_dicom_series(folder)
    assert pet.timing.decay_reference_time is None
    with pytest.raises(errors.MissingHalfLifeError):
        suv_factors(pet)
    result = suv_factors(pet, allow=["half-life=6586.2 s"])
    assert abs((result.reference_time - datetime(2025, 1, 1, 11, tzinfo=UTC)).total_seconds()) < 1
    assert to_suv(pet, allow=["half-life=6586.2 s"]).array.max() == pytest.approx(4.0, rel=1e-3)

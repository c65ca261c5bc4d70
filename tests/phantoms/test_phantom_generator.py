"""theranostix.phantoms: determinism, uptake tables, lesions, Lu-177 kinetics, written layout."""

import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
from scipy import integrate

from theranostix.errors import NaiveDatetimeError, ThxError
from theranostix.imaging import Geometry
from theranostix.phantoms import (
    LABELS,
    ORGANS,
    LesionSite,
    LesionSpec,
    ScanSettings,
    lutetium_table,
    make_patient,
    pet_table,
    sources,
    write_patient,
)
from theranostix.phantoms._anatomy import build_anatomy
from theranostix.phantoms._generate import _sphere_mask

NOISELESS = ScanSettings(psf_fwhm_mm=None, noise=False)
LU177_HALF_LIFE_H = 6.647  # ICRP-107


@pytest.fixture(scope="module")
def noisy():
    return make_patient("psma", lesions=3, seed=5, voxel_mm=8.0)


@pytest.fixture(scope="module")
def clean():
    return make_patient(
        "psma", lesions=3, seed=5, voxel_mm=8.0, pet=NOISELESS, spect=NOISELESS, ct_noise_hu=0
    )


def test_same_seed_same_patient(noisy) -> None:
    again = make_patient("psma", lesions=3, seed=5, voxel_mm=8.0)
    assert np.array_equal(again.labels, noisy.labels)
    assert np.array_equal(again.pet.array, noisy.pet.array)
    assert np.array_equal(again.ct.array, noisy.ct.array)
    assert [lesion.center_mm for lesion in again.lesions] == [
        lesion.center_mm for lesion in noisy.lesions
    ]
    assert np.array_equal(again.spect(24).array, noisy.spect(24).array)


def test_other_seed_other_patient(noisy) -> None:
    other = make_patient("psma", lesions=3, seed=6, voxel_mm=8.0)
    assert [lesion.center_mm for lesion in other.lesions] != [
        lesion.center_mm for lesion in noisy.lesions
    ]
    assert not np.array_equal(other.pet.array, noisy.pet.array)


@pytest.mark.parametrize("tracer", ["fdg", "psma", "sstr"])
def test_organ_suv_equals_table(tracer: str) -> None:
    patient = make_patient(tracer, lesions=2, seed=1, voxel_mm=8.0, pet=NOISELESS)
    table = pet_table(tracer)
    rp, timing = patient.pet.radiopharmaceutical, patient.pet.timing
    elapsed_s = (timing.acquisition_start - rp.injection_time).total_seconds()
    assert elapsed_s == pytest.approx(60 * 60)
    decayed = rp.injected_activity_bq * 2 ** (-elapsed_s / rp.nuclide.half_life_s)
    suv_per_bqml = patient.patient.weight_kg * 1000 / decayed
    for name in ORGANS:
        mask = patient.region_mask(name).array
        assert mask.any(), name
        assert patient.suv_true.array[mask].mean() == pytest.approx(table.suv[name], rel=1e-12)
        pet_suv = patient.pet.array[mask] * suv_per_bqml
        assert pet_suv.mean() == pytest.approx(table.suv[name], rel=1e-9)
        assert np.ptp(pet_suv) < 1e-9 * table.suv[name]
    for lesion in patient.lesions:
        assert patient.suv_true.array[lesion.mask.array].max() == lesion.suv


def test_table_values_cite_sources() -> None:
    import tomllib
    from importlib import resources

    data = tomllib.loads(
        resources.files("theranostix.phantoms").joinpath("data/tracers.toml").read_text("utf-8")
    )
    known = sources()
    entries = []
    for tracer in data["pet"].values():
        entries += list(tracer["suv"].values()) + list(tracer["lesion_suv"].values())
    for therapy in data["lutetium"].values():
        entries += list(therapy["regions"].values())
    assert len(entries) > 60
    for entry in entries:
        assert entry["source"] in known
        assert entry["basis"]
    assert pet_table("psma").suv["kidneys"] == 41.7  # Muchnik Kurash 2020, SUVmean
    assert pet_table("sstr").suv["spleen"] == 24.67  # Kuyumcu 2013, SUVmax


def test_noise_is_poisson_around_the_noiseless_map(noisy) -> None:
    liver = noisy.region_mask("liver").array & (noisy.labels == LABELS["liver"])
    inner = liver & np.roll(liver, 2, axis=0) & np.roll(liver, -2, axis=0)
    clean = noisy.pet_noiseless.array[inner]
    values = noisy.pet.array[inner]
    settings = noisy.pet_settings
    scale = noisy.geometry.voxel_volume_ml * settings.counts_per_bq_s * settings.frame_duration_s
    expected_counts = clean * scale
    # Poisson: mean = variance = expected counts
    standardised = (values * scale - expected_counts) / np.sqrt(expected_counts)
    assert abs(standardised.mean()) < 4 / math.sqrt(inner.sum())
    assert standardised.std() == pytest.approx(1.0, abs=0.15)
    assert np.allclose(values * scale, np.rint(values * scale))


def test_psf_blurs_but_keeps_activity(noisy, clean) -> None:
    # blurred noiseless PET: same total as the sharp map (the body is away from the edges
    # in x and y; allow for the slices at the ends of the field of view)
    sharp = clean.pet.array
    blurred = noisy.pet_noiseless.array
    assert blurred.sum() == pytest.approx(sharp.sum(), rel=0.01)
    assert blurred.max() < sharp.max()


def test_lesions_in_their_sites_without_overlap(noisy) -> None:
    anatomy = build_anatomy(noisy.geometry)
    sites = [lesion.site for lesion in noisy.lesions]
    assert sites == [LesionSite.BONE, LesionSite.LYMPH_NODE, LesionSite.LIVER]
    total = np.zeros(noisy.geometry.shape, dtype=int)
    for lesion in noisy.lesions:
        mask = lesion.mask.array
        assert mask.any()
        total += mask
        centre = np.rint(noisy.geometry.lps_to_index(lesion.center_mm)).astype(int)
        host = anatomy.labels[centre[2], centre[1], centre[0]]
        if lesion.site is LesionSite.LIVER:
            assert set(np.unique(anatomy.labels[mask])) == {LABELS["liver"]}
        elif lesion.site is LesionSite.BONE:
            assert host == LABELS["bone_marrow"]
        else:
            assert set(np.unique(anatomy.labels[mask])) == {LABELS["soft_tissue"]}
    assert total.max() == 1
    assert not (noisy.liver_reference_mask().array & (total > 0)).any()
    assert noisy.liver_reference_mask().array.sum() > 0


def test_sphere_voxelisation_matches_the_sphere_volume() -> None:
    geometry = Geometry((40, 40, 40), origin_mm=(-78, -78, -78), spacing_mm=(4, 4, 4))
    rng = np.random.default_rng(0)
    for diameter in (20.0, 30.0, 45.0):
        analytic = math.pi * diameter**3 / 6 / 1000
        volumes = []
        for _ in range(6):
            centre = rng.uniform(-2.0, 2.0, 3)
            mask = _sphere_mask(geometry, centre, diameter / 2)
            volumes.append(mask.sum() * geometry.voxel_volume_ml)
        assert np.mean(volumes) == pytest.approx(analytic, rel=0.04)
        assert max(abs(v / analytic - 1) for v in volumes) < 0.15


def test_explicit_lesion_volume_and_uptake() -> None:
    spec = LesionSpec("liver", 40.0, suv=12.5, center_mm=(-90.0, 10.0, -60.0))
    patient = make_patient("fdg", [spec], seed=0, voxel_mm=4.0, pet=NOISELESS)
    (lesion,) = patient.lesions
    assert lesion.analytic_volume_ml == pytest.approx(math.pi * 40**3 / 6 / 1000)
    assert lesion.volume_ml == pytest.approx(lesion.analytic_volume_ml, rel=0.05)
    assert lesion.volume_ml == lesion.mask.voxel_count * 0.064
    assert patient.suv_true.array[lesion.mask.array].min() == 12.5
    truth = patient.ground_truth()
    assert truth["lesions"][0]["suv_max"] == 12.5
    assert truth["lesions"][0]["volume_ml"] == pytest.approx(lesion.volume_ml)


def test_lesion_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ThxError, match="cannot place lesion 1"):
        make_patient("psma", [LesionSpec("lymph_node", 90.0)], seed=0, voxel_mm=8.0)


def test_tia_is_the_integral_of_the_model(clean) -> None:
    a0 = lutetium_table("psma").injected_activity_bq
    kinetics = clean.kinetics()
    assert {"kidneys", "parotid_glands", "liver", "lesion_1"} <= set(kinetics)
    for region in kinetics:
        numeric, _ = integrate.quad(
            lambda t, r=region: clean.activity_bq(r, t) / 1e6, 0, np.inf, limit=200
        )
        assert clean.tia_mbq_h(region) == pytest.approx(numeric, rel=1e-6)
        model = kinetics[region]
        assert clean.tia_mbq_h(region) == pytest.approx(
            a0
            / 1e6
            * model.fraction
            * (model.effective_half_life_h - model.uptake_half_life_h)
            / math.log(2),
            rel=1e-12,
        )
    # effective half-lives are shorter than the Lu-177 physical half-life (6.647 d)
    assert all(m.effective_half_life_h < LU177_HALF_LIFE_H * 24 for m in kinetics.values())


def test_spect_organ_activity_equals_the_model(clean) -> None:
    voxel_ml = clean.geometry.voxel_volume_ml
    for time_h in (4.0, 24.0, 168.0):
        spect = clean.spect(time_h)
        for region in ("kidneys", "liver", "parotid_glands", "bladder", "lesion_1"):
            mask = clean.region_mask(region).array
            activity = spect.array[mask].sum() * voxel_ml
            assert activity == pytest.approx(clean.activity_bq(region, time_h), rel=1e-9)
        body_total = spect.array.sum() * voxel_ml
        model_total = sum(clean.activity_bq(r, time_h) for r in clean.kinetics())
        assert body_total == pytest.approx(model_total, rel=1e-9)


def test_ground_truth_content(clean) -> None:
    truth = clean.ground_truth((4, 24, 96, 168))
    assert [lesion["name"] for lesion in truth["lesions"]] == ["lesion_1", "lesion_2", "lesion_3"]
    for lesion, entry in zip(clean.lesions, truth["lesions"], strict=True):
        assert entry["center_mm"] == pytest.approx(lesion.center_mm, abs=1e-3)
        assert entry["suv_mean"] == lesion.suv
        assert entry["tia_mbq_h"] == pytest.approx(clean.tia_mbq_h(lesion.name))
    organs = {o["name"]: o for o in truth["organs"]}
    assert set(ORGANS) <= set(organs)
    liver = organs["liver"]
    assert liver["mass_g"] == pytest.approx(clean.region_volume_ml("liver") * 1.05)
    assert liver["tia_mbq_h"] == pytest.approx(clean.tia_mbq_h("liver"))
    assert liver["activity_bq"]["24"] == pytest.approx(clean.activity_bq("liver", 24))
    assert "organs" not in clean.ground_truth()


def test_fdg_has_no_lutetium_therapy(tmp_path: Path) -> None:
    patient = make_patient("fdg", lesions=0, seed=0, voxel_mm=8.0, pet=NOISELESS)
    with pytest.raises(ThxError, match="no Lu-177 therapy for tracer 'fdg'"):
        write_patient(patient, tmp_path, lutetium_timepoints_h=(24,))


def test_invalid_inputs() -> None:
    with pytest.raises(ThxError, match="tracer: 'fap' is not one of fdg, psma, sstr"):
        make_patient("fap")
    with pytest.raises(ThxError, match=r"lesion site: .* is not one of liver"):
        LesionSpec("brain", 10)
    with pytest.raises(NaiveDatetimeError):
        make_patient("psma", injection_time=datetime(2026, 1, 1, 9, 0))


def test_write_patient_layout(clean, tmp_path: Path) -> None:
    out = write_patient(clean, tmp_path / "p", lutetium_timepoints_h=(24, 96))
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["lutetium"]["timepoints_h"] == [24.0, 96.0]
    assert len(list((out / "pet").glob("*.dcm"))) == clean.geometry.shape[0]
    assert len(list((out / "ct").glob("*.dcm"))) == clean.geometry.shape[0]
    rt = pydicom.dcmread(out / "organs.dcm")
    names = [roi.ROIName for roi in rt.StructureSetROISequence]
    assert names[: len(ORGANS) + 1] == ["body", *ORGANS]
    assert names[-3:] == ["lesion_1", "lesion_2", "lesion_3"]
    seg = pydicom.dcmread(out / "organs_seg.dcm")
    assert len(seg.SegmentSequence) == len(names)
    for time_h in (24, 96):
        nm = pydicom.dcmread(next((out / "spect" / f"{time_h}h" / "nm").glob("*.dcm")))
        assert nm.Modality == "NM"
        ct = list((out / "spect" / f"{time_h}h" / "ct").glob("*.dcm"))
        assert len(ct) == clean.geometry.shape[0]
        assert pydicom.dcmread(ct[0]).FrameOfReferenceUID == nm.FrameOfReferenceUID
        # written activity per organ = model (uint16 quantisation: one slope per volume)
        values = nm.pixel_array.astype(float) * float(nm.RescaleSlope)
        voxel_ml = clean.geometry.voxel_volume_ml
        for region in ("kidneys", "liver", "spleen"):
            mask = clean.region_mask(region).array
            written = values[mask].sum() * voxel_ml
            assert written == pytest.approx(clean.activity_bq(region, time_h), rel=2e-3)
            entry = next(o for o in truth["organs"] if o["name"] == region)
            assert entry["activity_bq"][f"{time_h}"] == pytest.approx(
                clean.activity_bq(region, time_h)
            )
    # deterministic output: the same patient writes the same UIDs
    again = write_patient(clean, tmp_path / "q", lutetium_timepoints_h=())
    first = pydicom.dcmread(out / "pet" / "1.dcm")
    second = pydicom.dcmread(again / "pet" / "1.dcm")
    assert first.SOPInstanceUID == second.SOPInstanceUID
    assert first.StudyInstanceUID == pydicom.dcmread(out / "ct" / "1.dcm").StudyInstanceUID

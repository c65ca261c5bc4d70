"""Radiomics settings: presets match the IBSI configuration tables; bad files name the field."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from theranostix.errors import ThxError
from theranostix.radiomics._settings import (
    DiscretisationMethod,
    Interpolation,
    load_settings,
    preset_names,
)


def test_presets_follow_the_ibsi_tables() -> None:
    assert preset_names() == (
        "ibsi-A",
        "ibsi-B",
        "ibsi-C",
        "ibsi-D",
        "ibsi-E",
        "ibsi-digital",
        "pet",
    )
    a, b, c = load_settings("ibsi-A"), load_settings("ibsi-B"), load_settings("ibsi-C")
    d, e = load_settings("ibsi-D"), load_settings("ibsi-E")
    assert (a.dimensionality, a.interpolate, a.resegmentation_range) == (
        "2D",
        False,
        (-500.0, 400.0),
    )
    assert a.discretisation.method is DiscretisationMethod.FIXED_BIN_SIZE
    assert a.discretisation.bin_width == 25.0
    assert (b.spacing_mm, b.discretisation.n_bins) == ((2.0, 2.0), 32)
    assert (c.spacing_mm, c.resegmentation_range, c.ivh.bin_width) == (
        (2.0, 2.0, 2.0), (-1000.0, 400.0), 2.5,
    )  # fmt: skip
    assert (d.resegmentation_range, d.outliers_sd, d.discretisation.n_bins) == (None, 3.0, 32)
    assert e.interpolation is Interpolation.CUBIC and e.roi_interpolation is Interpolation.LINEAR
    assert (e.outliers_sd, e.ivh.n_bins) == (3.0, 1000)
    for s in (b, c, d, e):
        assert s.intensity_rounding == 1.0 and s.roi_partial_volume == 0.5
    pet = load_settings("pet")
    assert pet.resegmentation_range == (0.0, math.inf)
    assert pet.discretisation.bin_width == 0.25
    digital = load_settings("ibsi-digital")
    assert digital.discretisation.method is DiscretisationMethod.NONE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('schema = 2\nname = "x"\n', "schema: expected 1"),
        ('schema = 1\nname = "x"\ncolour = 1\n', "unknown field(s) colour"),
        ('schema = 1\nname = "x"\n[discretisation]\nmethod = "fixed_bin_size"\n',
         "discretisation.bin_width: required"),
        ('schema = 1\nname = "x"\n[discretisation]\nmethod = "lloyd_max"\n',
         "discretisation.method: 'lloyd_max' is not one of"),
        ('schema = 1\nname = "x"\ndimensionality = "3D"\n[interpolation]\nenabled = true\n'
         "spacing_mm = [2.0, 2.0]\n", "interpolation.spacing_mm: 3 values"),
        ('schema = 1\nname = "x"\n[resegmentation]\nrange = [400.0, -500.0]\n', "is empty"),
        ("schema = 1\nname = [\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_bad_files_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ThxError) as error:
        load_settings(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_unknown_preset() -> None:
    with pytest.raises(ThxError, match="neither a preset"):
        load_settings("ibsi-F")

"""Radiolabelling and the shared yield-and-duration step."""

import math
from datetime import datetime, timedelta, timezone

import pytest

from theranostix.errors import NaiveDatetimeError, ThxError
from theranostix.production import (
    YieldConvention,
    activity_after_process,
    label_product,
    product_activity,
)

GA68_MIN = 67.71  # ICRP-107
CEST = timezone(timedelta(hours=2))


def test_label_decay_corrected_yield() -> None:
    r = label_product(800e6, "Ga-68", labelling_yield=0.9, duration_s=20 * 60, after_s=30 * 60)
    product = 800e6 * 0.9 * 2 ** (-20 / GA68_MIN)
    assert r.product_activity_bq == pytest.approx(product, rel=1e-9)
    assert r.later_activity_bq == pytest.approx(product * 2 ** (-30 / GA68_MIN), rel=1e-9)
    assert r.later_s == 1800
    assert r.yield_convention is YieldConvention.DECAY_CORRECTED


def test_label_not_decay_corrected_yield() -> None:
    r = label_product(800e6, labelling_yield=0.5, duration_s=20 * 60, yield_convention="ay")
    assert r.nuclide.name == "Ga-68"  # the default
    assert r.product_activity_bq == pytest.approx(400e6, rel=1e-12)


def test_label_with_datetimes() -> None:
    start = datetime(2026, 6, 15, 8, 0, tzinfo=CEST)
    later = datetime(2026, 6, 15, 9, 0, tzinfo=CEST)
    r = label_product(
        800e6, "Ga-68", labelling_yield=0.9, duration_s=1200, start=start, later=later
    )
    assert r.end == datetime(2026, 6, 15, 8, 20, tzinfo=CEST)
    assert r.later_s == 40 * 60
    assert r.later_activity_bq == pytest.approx(800e6 * 0.9 * 2 ** (-60 / GA68_MIN), rel=1e-9)


def test_label_and_synthesis_share_one_implementation() -> None:
    """The same inputs give the same activity whether called labelling or synthesis."""
    for convention in YieldConvention:
        labelled = label_product(
            5e9, "F-18", labelling_yield=0.55, duration_s=1800, yield_convention=convention
        )
        synthesised = product_activity(
            "F-18",
            5e9,
            synthesis_yield=0.55,
            synthesis_duration_s=1800,
            yield_convention=convention,
        )
        assert labelled.product_activity_bq == synthesised.end_of_synthesis_activity_bq


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"labelling_yield": 0.0}, "labelling_yield"),
        ({"labelling_yield": 1.5}, "labelling_yield"),
        ({"duration_s": -60.0}, "duration_s"),
        ({"after_s": -60.0}, "after_s"),
    ],
)
def test_label_validation_names_parameter(kwargs: dict[str, float], name: str) -> None:
    values: dict[str, float] = {"labelling_yield": 0.9, "duration_s": 600.0}
    values.update(kwargs)
    with pytest.raises(ThxError, match=name):
        label_product(800e6, "Ga-68", **values)


def test_label_refuses_bad_inputs() -> None:
    with pytest.raises(ThxError, match="eluate_activity_bq"):
        label_product(0.0, labelling_yield=0.9, duration_s=600)
    with pytest.raises(ThxError, match="not both"):
        label_product(
            800e6, labelling_yield=0.9, duration_s=600, after_s=60,
            start=datetime(2026, 6, 15, 8, 0, tzinfo=CEST),
            later=datetime(2026, 6, 15, 9, 0, tzinfo=CEST),
        )  # fmt: skip
    with pytest.raises(ThxError, match="needs the labelling start"):
        label_product(
            800e6, labelling_yield=0.9, duration_s=600,
            later=datetime(2026, 6, 15, 9, 0, tzinfo=CEST),
        )  # fmt: skip
    with pytest.raises(ThxError, match="before the end"):
        label_product(
            800e6, labelling_yield=0.9, duration_s=600,
            start=datetime(2026, 6, 15, 8, 0, tzinfo=CEST),
            later=datetime(2026, 6, 15, 8, 5, tzinfo=CEST),
        )  # fmt: skip
    with pytest.raises(NaiveDatetimeError):
        label_product(800e6, labelling_yield=0.9, duration_s=600, start=datetime(2026, 6, 15, 8))


def test_activity_after_process_limits() -> None:
    # Zero duration: no decay whatever the convention.
    assert activity_after_process(1e9, "Ga-68", yield_fraction=0.8, duration_s=0) == 8e8
    half = activity_after_process(1e9, "Ga-68", yield_fraction=1.0, duration_s=GA68_MIN * 60)
    assert half == pytest.approx(0.5e9, rel=1e-9)
    # An activity yield exactly equal to the decay fraction is allowed.
    surviving = math.exp(-math.log(2) / (GA68_MIN * 60) * 600)
    got = activity_after_process(
        1e9, "Ga-68", yield_fraction=surviving, duration_s=600, convention="not-decay-corrected"
    )
    assert got == pytest.approx(1e9 * surviving)


@pytest.mark.parametrize(
    ("text", "convention"),
    [
        ("decay-corrected", YieldConvention.DECAY_CORRECTED),
        ("RCY", YieldConvention.DECAY_CORRECTED),
        ("not_decay_corrected", YieldConvention.NOT_DECAY_CORRECTED),
        ("ay", YieldConvention.NOT_DECAY_CORRECTED),
    ],
)
def test_yield_convention_spellings(text: str, convention: YieldConvention) -> None:
    assert YieldConvention.parse(text) is convention


def test_yield_convention_unknown() -> None:
    with pytest.raises(ThxError, match="allowed: decay-corrected, not-decay-corrected"):
        YieldConvention.parse("corrected")

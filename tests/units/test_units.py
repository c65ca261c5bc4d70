from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from theranostix.errors import NaiveDatetimeError, ThxError, UnitError
from theranostix.units import (
    Dimension,
    convert,
    elapsed_s,
    format_activity,
    format_activity_per_mass,
    format_duration,
    from_si,
    parse_activity,
    parse_activity_per_mass,
    parse_datetime,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "bq"),
    [
        ("7.4 GBq", 7.4e9),
        ("200 mCi", 200 * 3.7e7),
        ("1 Ci", 3.7e10),
        ("37 MBq", 3.7e7),
        ("500kBq", 5e5),
        ("1.5e3 Bq", 1500.0),
        ("2 TBq", 2e12),
        ("10 µCi", 3.7e5),
        ("10 uCi", 3.7e5),
        ("10 μCi", 3.7e5),  # Greek mu
        ("  0.25 GBq  ", 2.5e8),
    ],
)
def test_parse_activity(text: str, bq: float) -> None:
    assert parse_activity(text) == pytest.approx(bq, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90 min", 5400.0),
        ("6.647 d", 6.647 * 86400),
        ("2 h", 7200.0),
        ("1.5 hours", 5400.0),
        ("30 s", 30.0),
        ("250 ms", 0.25),
        ("1 y", 365.25 * 86400),
        ("2 wk", 14 * 86400.0),
        ("3 days", 3 * 86400.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


def test_parse_activity_per_mass() -> None:
    assert parse_activity_per_mass("3 MBq/kg") == pytest.approx(3e6)
    assert parse_activity_per_mass("0.1 mCi/kg") == pytest.approx(3.7e6)
    assert parse_activity_per_mass("5 kBq/g") == pytest.approx(5e6)


def test_bad_unit_lists_valid_units_and_suggests() -> None:
    with pytest.raises(UnitError) as info:
        parse_activity("7.4 MBQ")
    message = str(info.value)
    assert "'MBQ'" in message
    assert "did you mean 'MBq'" in message
    for unit in ("Bq", "kBq", "MBq", "GBq", "TBq", "mCi", "Ci"):
        assert unit in message


def test_time_unit_in_activity_is_refused() -> None:
    with pytest.raises(UnitError, match="valid units: Bq"):
        parse_activity("90 min")


@pytest.mark.parametrize("text", ["", "GBq", "seven GBq", "7,4 GBq x", "nan GBq"])
def test_unreadable_quantities(text: str) -> None:
    with pytest.raises(UnitError):
        parse_activity(text)


def test_missing_unit_is_an_error() -> None:
    with pytest.raises(UnitError, match="missing unit"):
        parse_duration("90")


def test_format_picks_a_readable_unit() -> None:
    assert format_activity(7.4e9) == "7.4 GBq"
    assert format_activity(950e6) == "950 MBq"
    assert format_activity(7.4e9, "mCi") == "200 mCi"
    assert format_activity(3.7e5, "uCi") == "10 µCi"
    assert format_duration(5400.0) == "90 min"
    assert format_duration(6.647 * 86400) == "6.647 d"
    assert format_duration(30.0) == "30 s"
    assert format_duration(3 * 3600.0) == "3 h"
    assert format_activity_per_mass(3e6) == "3 MBq/kg"


def test_parse_format_round_trip() -> None:
    for text in ("7.4 GBq", "200 mCi", "90 min", "6.647 d"):
        dim = Dimension.TIME if text.endswith(("min", "d")) else Dimension.ACTIVITY
        unit = text.split()[1]
        value = parse_activity(text) if dim is Dimension.ACTIVITY else parse_duration(text)
        assert f"{from_si(value, unit, dim):g} {unit}" == text


def test_convert_and_arrays() -> None:
    assert convert(1.0, "mCi", "MBq", Dimension.ACTIVITY) == pytest.approx(37.0)
    arr = from_si(np.array([3.7e10, 7.4e10]), "Ci", Dimension.ACTIVITY)
    np.testing.assert_allclose(arr, [1.0, 2.0])


def test_parse_datetime_with_offset_and_zone() -> None:
    dt = parse_datetime("2026-11-23T08:00+01:00")
    assert dt.utcoffset() == timedelta(hours=1)
    paris = parse_datetime("2026-07-01 08:00", tz="Europe/Paris")
    assert paris.utcoffset() == timedelta(hours=2)  # summer time
    assert parse_datetime("2026-11-23T07:00Z") == dt


def test_naive_datetime_is_refused_naming_the_input() -> None:
    with pytest.raises(NaiveDatetimeError, match="--from"):
        parse_datetime("2026-11-23T08:00", name="--from")


def test_bad_datetime_and_zone() -> None:
    with pytest.raises(ThxError, match="ISO 8601"):
        parse_datetime("23/11/2026 8h", name="--to")
    with pytest.raises(ThxError, match="unknown time zone 'Mars/Olympus'"):
        parse_datetime("2026-11-23 08:00", tz="Mars/Olympus")


def test_elapsed_across_daylight_saving_change() -> None:
    # Europe/Paris springs forward on 2026-03-29 at 02:00 -> 03:00.
    start = parse_datetime("2026-03-29 01:00", tz="Europe/Paris")
    end = parse_datetime("2026-03-29 04:00", tz="Europe/Paris")
    assert elapsed_s(start, end) == 2 * 3600.0


def test_elapsed_refuses_naive() -> None:
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(NaiveDatetimeError):
        elapsed_s(aware, datetime(2026, 1, 2))

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from theranostix.errors import NaiveDatetimeError
from theranostix.nuclides import Nuclide, decay, decay_between, decay_correct, decay_factor

CET = timezone(timedelta(hours=1))


def test_one_half_life_halves() -> None:
    for name in ("F-18", "Ga-68", "Lu-177", "Ac-225"):
        nuc = Nuclide(name)
        assert decay(1000.0, name, nuc.half_life_s) == pytest.approx(500.0)
        assert decay_factor(name, 3 * nuc.half_life_s) == pytest.approx(0.125)


def test_vectorised_broadcasting() -> None:
    activities = np.array([1e9, 2e9, 4e9])
    times = np.array([[0.0], [6586.2]])  # F-18: 0 and one half-life
    out = decay(activities, "F-18", times)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out[1], activities / 2)
    np.testing.assert_allclose(out[0], activities)
    assert isinstance(decay(1e9, "F-18", 60.0), float)


def test_negative_time_decay_corrects_backwards() -> None:
    assert decay(500.0, "F-18", -Nuclide("F-18").half_life_s) == pytest.approx(1000.0)


def test_decay_between_aware_datetimes_across_midnight_and_zones() -> None:
    calibration = datetime(2026, 11, 23, 23, 0, tzinfo=CET)
    injection = datetime(2026, 11, 24, 1, 0, tzinfo=CET)
    expected = 400e6 * math.exp(-math.log(2) * 7200 / Nuclide("F-18").half_life_s)
    assert decay_between(400e6, "F-18", calibration, injection) == pytest.approx(expected)
    # The same instant written in UTC gives the same answer.
    assert decay_between(400e6, "F-18", calibration, injection.astimezone(UTC)) == pytest.approx(
        expected
    )


def test_decay_correct_is_the_inverse() -> None:
    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=CET)
    t1 = t0 + timedelta(days=3)
    later = decay_between(7.4e9, "Lu-177", t0, t1)
    assert decay_correct(later, "Lu-177", measured_at=t1, reference=t0) == pytest.approx(7.4e9)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        decay_between(
            1e6, "F-18", datetime(2026, 11, 23, 8, 0), datetime(2026, 11, 23, 9, 0, tzinfo=CET)
        )

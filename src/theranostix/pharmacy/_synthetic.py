"""A synthetic patient list of a PET day, for demonstrations and tests (not real patients)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide
from theranostix.pharmacy._dispensing import PetPatient
from theranostix.units import ensure_aware, shift

__all__ = ["synthetic_pet_day"]

#: Default first injection: 24 November 2026, 08:30 Central European Time.
_DEFAULT_START = datetime(2026, 11, 24, 8, 30, tzinfo=timezone(timedelta(hours=1)))


def synthetic_pet_day(
    n_patients: int = 12,
    *,
    tracer: str = "F-18",
    seed: int = 0,
    start: datetime | None = None,
    protocol: str | None = None,
    mean_weight_kg: float = 78.0,
    sd_weight_kg: float = 16.0,
) -> tuple[PetPatient, ...]:
    """A realistic, reproducible patient list of one PET day.

    Weights are drawn from a normal distribution (mean 78 kg, SD 16 kg by
    default, rounded to 0.5 kg, kept within 40-160 kg); injections start at
    ``start`` and follow each other every 15 or 20 min (a typical PET/CT slot),
    rounded to the minute.

    Parameters
    ----------
    n_patients : int
        Number of patients (1-200).
    tracer : str
        Radionuclide, checked; it does not change the list.
    seed : int
        Seed of the random generator (same seed, same list).
    start : datetime, optional
        First injection (aware); default 2026-11-24 08:30+01:00.
    protocol : str, optional
        Protocol name written on every patient (default: none, the plan's).
    mean_weight_kg, sd_weight_kg : float
        Weight distribution.

    Returns
    -------
    tuple of PetPatient
        Identifiers ``SYN-01``, ``SYN-02``, ...

    Examples
    --------
    >>> day = synthetic_pet_day(3, seed=1)
    >>> [(p.patient_id, p.injection_time.strftime("%H:%M")) for p in day]
    [('SYN-01', '08:30'), ('SYN-02', '08:50'), ('SYN-03', '09:05')]
    """
    Nuclide(tracer)
    if not 1 <= n_patients <= 200:
        raise ThxError(f"n_patients must be in 1..200, got {n_patients}")
    if not (mean_weight_kg > 0 and sd_weight_kg >= 0):
        raise ThxError("mean_weight_kg must be > 0 and sd_weight_kg >= 0")
    first = _DEFAULT_START if start is None else ensure_aware(start, "start")
    rng = np.random.default_rng(seed)
    weights = np.clip(rng.normal(mean_weight_kg, sd_weight_kg, n_patients), 40.0, 160.0)
    gaps_min = rng.choice([15, 20], size=n_patients)
    patients: list[PetPatient] = []
    offset_s = 0.0
    for k in range(n_patients):
        if k:
            offset_s += float(gaps_min[k]) * 60.0
        patients.append(
            PetPatient(
                f"SYN-{k + 1:02d}",
                float(round(weights[k] * 2) / 2),
                shift(first, offset_s),
                protocol,
            )
        )
    return tuple(patients)

"""Shared test configuration.

The reference material of ``../shared`` (IBSI phantoms, SUV reference objects,
physics tables) sits beside the repository in CI. Tests that need it use the
``shared_dir`` fixture, which skips them with the reason when it is absent.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dicom_factory import write_pet_series

SHARED_DIR = Path(os.environ.get("THX_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``../shared`` folder; skips the test when it is not there."""
    if not (SHARED_DIR / "validation").is_dir():
        pytest.skip(f"reference material not found at {SHARED_DIR} (../shared is absent)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def pet_writer() -> Callable[..., Path]:
    """``write_pet_series(folder, values, **options)``: a synthetic PET series (see dicom_factory)."""
    return write_pet_series


@pytest.fixture
def pet_series(tmp_path: Path) -> Callable[..., Path]:
    """``pet_series(values, **options)`` writes a PET series under tmp_path and returns its folder."""
    counter = iter(range(1000))

    def make(values: np.ndarray, *, folder: str | None = None, **options: Any) -> Path:
        return write_pet_series(tmp_path / (folder or f"pet{next(counter)}"), values, **options)

    return make

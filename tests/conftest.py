"""Shared test configuration.

The reference material of ``../shared`` (IBSI phantoms, SUV reference objects,
physics tables) sits beside the repository in CI. Tests that need it use the
``shared_dir`` fixture, which skips them with the reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DIR = Path(os.environ.get("THX_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``../shared`` folder; skips the test when it is not there."""
    if not (SHARED_DIR / "validation").is_dir():
        pytest.skip(f"reference material not found at {SHARED_DIR} (../shared is absent)")
    return SHARED_DIR

"""Shared fixtures: paths to ../shared and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared reference material; tests needing it skip clearly when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: reference material unavailable")
    return SHARED

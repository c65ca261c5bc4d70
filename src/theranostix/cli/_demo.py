"""``thx demo``: the main job on built-in demo data."""

from __future__ import annotations


def demo() -> None:
    """Theranostic pairs and a day of Ga-68 generator elutions (built-in demo data)."""

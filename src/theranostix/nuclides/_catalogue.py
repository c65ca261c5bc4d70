"""The clinical catalogue: radionuclides theranostix covers, and theranostic pairs."""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from theranostix.nuclides._data import icrp107_names
from theranostix.nuclides._nuclide import Nuclide

__all__ = ["CatalogueEntry", "Role", "TheranosticPair", "catalogue", "list_nuclides", "pairs"]


class Role(enum.Enum):
    """Clinical role of a radionuclide."""

    PET = "pet"
    SPECT = "spect"
    THERAPY = "therapy"
    GENERATOR_PARENT = "generator-parent"


@dataclass(frozen=True)
class CatalogueEntry:
    """A radionuclide of the clinical catalogue."""

    nuclide: Nuclide
    roles: tuple[Role, ...]
    uses: str


@dataclass(frozen=True)
class TheranosticPair:
    """An imaging radionuclide and the therapy radionuclide it predicts."""

    imaging: Nuclide
    therapy: Nuclide
    note: str


@cache
def _load() -> dict[str, object]:
    text = (resources.files("theranostix.nuclides") / "data" / "catalogue.toml").read_text(
        encoding="utf-8"
    )
    return tomllib.loads(text)


def catalogue() -> tuple[CatalogueEntry, ...]:
    """The radionuclides of nuclear medicine that theranostix covers and tests.

    >>> [e.nuclide.name for e in catalogue()][:3]
    ['F-18', 'Ga-68', 'Ge-68']
    """
    rows = _load()["nuclide"]
    assert isinstance(rows, list)
    return tuple(
        CatalogueEntry(Nuclide(r["name"]), tuple(Role(x) for x in r["roles"]), r["uses"])
        for r in rows
    )


def pairs() -> tuple[TheranosticPair, ...]:
    """Imaging/therapy pairs: Ga-68/Lu-177, Cu-64/Cu-67, Sc-44/Sc-47, I-124/I-131.

    >>> [(p.imaging.name, p.therapy.name) for p in pairs()][0]
    ('Ga-68', 'Lu-177')
    """
    rows = _load()["pair"]
    assert isinstance(rows, list)
    return tuple(
        TheranosticPair(Nuclide(r["imaging"]), Nuclide(r["therapy"]), r["note"]) for r in rows
    )


def list_nuclides(*, clinical_only: bool = True) -> tuple[str, ...]:
    """Names of the clinical catalogue, or of all 1252 ICRP-107 radionuclides.

    The full list is sorted by element and mass number.

    >>> len(list_nuclides(clinical_only=False))
    1252
    """
    if clinical_only:
        return tuple(entry.nuclide.name for entry in catalogue())

    def key(name: str) -> tuple[str, int, str]:
        element, rest = name.split("-")
        digits = "".join(c for c in rest if c.isdigit())
        return (element, int(digits), rest)

    return tuple(sorted(icrp107_names(), key=key))

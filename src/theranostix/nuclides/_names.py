"""Radionuclide names: normalisation at the edge and suggestions for typos.

Accepted spellings of one nuclide: ``"Lu-177"``, ``"177Lu"``, ``"lu177"``,
``"Lu177"``, ``"lu-177"``, ``"177-Lu"``, ``"Lu 177"``; metastable states as
``"Tc-99m"``, ``"99mTc"``, ``"tc99m"``. The canonical form is ``"Lu-177"`` and
``"Tc-99m"``, as in ICRP Publication 107.
"""

from __future__ import annotations

import difflib
import re

from theranostix.errors import UnknownNuclideError
from theranostix.nuclides._data import icrp107_names

_SYMBOL_FIRST = re.compile(r"^(?P<el>[A-Za-z]{1,2})[-_ ]?(?P<a>\d{1,3})(?P<m>[mMnN]?)$")
_MASS_FIRST = re.compile(r"^(?P<a>\d{1,3})(?P<m>[mMnN]?)[-_ ]?(?P<el>[A-Za-z]{1,2})$")


def _canonical_form(text: str) -> str | None:
    cleaned = text.strip()
    match = _SYMBOL_FIRST.match(cleaned) or _MASS_FIRST.match(cleaned)
    if match is None:
        return None
    element = match.group("el").capitalize()
    mass = int(match.group("a"))
    state = match.group("m").lower()
    return f"{element}-{mass}{state}"


def normalize_name(name: str) -> str:
    """Return the canonical ICRP-107 name of a radionuclide.

    Parameters
    ----------
    name : str
        Any accepted spelling, e.g. ``"177Lu"`` or ``"tc99m"``.

    Raises
    ------
    UnknownNuclideError
        When the name is not a radionuclide of ICRP-107; the error suggests the
        closest valid names.

    Examples
    --------
    >>> normalize_name("177Lu"), normalize_name("lu177"), normalize_name("Lu177")
    ('Lu-177', 'Lu-177', 'Lu-177')
    >>> normalize_name("99mTc")
    'Tc-99m'
    >>> normalize_name("Lu-178x")
    Traceback (most recent call last):
    ...
    theranostix.errors.UnknownNuclideError: unknown radionuclide 'Lu-178x'; did you mean ...
    """
    if not isinstance(name, str):
        raise UnknownNuclideError(repr(name), ())
    names = icrp107_names()
    canonical = _canonical_form(name)
    if canonical is not None and canonical in names:
        return canonical
    raise UnknownNuclideError(name, suggest_names(name))


def suggest_names(name: str, n: int = 5) -> tuple[str, ...]:
    """Closest valid radionuclide names to a misspelt one, best first.

    Isotopes of the same element with the nearest mass numbers come first, then
    names that are close as strings.

    >>> suggest_names("Lu-178x")[:2]
    ('Lu-178', 'Lu-178m')
    >>> suggest_names("Lutetium-177")[:1]
    ('Lu-177',)
    """
    names = icrp107_names()
    suggestions: list[str] = []
    canonical = _canonical_form(name.strip()) if isinstance(name, str) else None
    loose = re.match(r"^\s*(?P<el>[A-Za-z]{1,2})\D*(?P<a>\d{1,3})", name or "")
    loose = loose or re.match(r"^\s*(?P<a>\d{1,3})\D*?(?P<el>[A-Za-z]{1,2})", name or "")
    if loose is not None:
        element = loose.group("el").capitalize()
        mass = int(loose.group("a"))
        same_element = [n_ for n_ in names if n_.split("-")[0] == element]

        def distance(candidate: str) -> tuple[int, int, str]:
            digits = re.sub(r"\D", "", candidate.split("-")[1])
            return (abs(int(digits) - mass), len(candidate), candidate)

        suggestions.extend(sorted(same_element, key=distance)[:n])
    key = canonical or (name if isinstance(name, str) else "")
    for close in difflib.get_close_matches(key, sorted(names), n=n, cutoff=0.6):
        if close not in suggestions:
            suggestions.append(close)
    return tuple(suggestions[:n])

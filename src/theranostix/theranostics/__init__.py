"""Theranostic eligibility: whether the imaging allows a radioligand therapy.

Rules are data (``data/protocols/*.toml``, versioned and cited): VISION-style
PSMA PET criteria before Lu-177-PSMA-617 and the Krenning score before
Lu-177-DOTATATE are built in; a site adds a protocol (FAPI, bombesin) by writing
a TOML file, without code. Every criterion is reported, not only the verdict.

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    "ComparisonCategory": "_protocol",
    "ComparisonLesion": "_protocol",
    "Criterion": "_protocol",
    "EligibilityProtocol": "_protocol",
    "builtin_protocols": "_protocol",
    "load_protocol": "_protocol",
    "CriterionResult": "_evaluate",
    "CriterionStatus": "_evaluate",
    "Verdict": "_evaluate",
    "EligibilityResult": "_evaluate",
    "evaluate_eligibility": "_evaluate",
    "krenning_score": "_evaluate",
    "default_protocol": "_evaluate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__

"""PET administered-activity protocols: MBq/kg or fixed activity, floor, cap, digital PET factor.

The built-in table is ``data/pet_protocols.toml`` (schema 1, activities in MBq;
sources in ``data/PROVENANCE_protocols.md``). Each protocol gives either an
activity per body mass or a fixed activity, optionally a minimum and a maximum,
and a reduction factor that multiplies the activity per body mass on a digital
PET. Ga-68 kits also carry a labelling yield and duration (local examples).

References
----------
.. [1] Boellaard R et al. FDG PET/CT: EANM procedure guidelines for tumour
   imaging: version 2.0. Eur J Nucl Med Mol Imaging 2015;42:328-354.
   doi:10.1007/s00259-014-2961-x
.. [2] Fendler WP et al. PSMA PET/CT: joint EANM procedure guideline/SNMMI
   procedure standard for prostate cancer imaging 2.0. Eur J Nucl Med Mol
   Imaging 2023;50:1466-1486. doi:10.1007/s00259-022-06089-w
.. [3] Bozkurt MF et al. Guideline for PET/CT imaging of neuroendocrine
   neoplasms with 68Ga-DOTA-conjugated somatostatin receptor targeting peptides
   and 18F-DOPA. Eur J Nucl Med Mol Imaging 2017;44:1588-1601.
   doi:10.1007/s00259-017-3728-y
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from theranostix._toml import TomlTable
from theranostix.errors import ThxError
from theranostix.nuclides import Nuclide

__all__ = [
    "PetProtocol",
    "Prescription",
    "load_pet_protocols",
    "pet_protocol",
    "pet_protocols",
]

_MBQ = 1e6
_FIELDS = (
    "name",
    "tracer",
    "radiopharmaceutical",
    "activity_per_kg_mbq",
    "fixed_activity_mbq",
    "min_activity_mbq",
    "max_activity_mbq",
    "digital_reduction_factor",
    "labelling_yield",
    "labelling_duration_min",
    "guideline",
    "source",
    "notes",
)


@dataclass(frozen=True)
class Prescription:
    """Activity prescribed to one patient by a protocol.

    Attributes
    ----------
    requested_bq : float
        Weight × activity per kg × reduction factor (or the fixed activity), Bq.
    activity_bq : float
        The activity to inject: ``requested_bq`` clamped to [minimum, maximum].
    clamped : str or None
        ``"maximum"`` or ``"minimum"`` when the clamp changed the activity.
    """

    requested_bq: float
    activity_bq: float
    clamped: str | None


@dataclass(frozen=True)
class PetProtocol:
    """How much activity a PET protocol prescribes.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"fdg-eanm-3d"``.
    tracer : str
        Radionuclide (normalised, e.g. ``"18F"`` becomes ``"F-18"``).
    activity_per_kg_bq : float, optional
        Activity per body mass (Bq/kg); give this or ``fixed_activity_bq``.
    fixed_activity_bq : float, optional
        Activity independent of weight (Bq).
    min_activity_bq, max_activity_bq : float, optional
        Floor and cap of the prescription (Bq).
    digital_reduction_factor : float
        Multiplies ``activity_per_kg_bq`` on a digital PET (0 < f <= 1; 1: none).
    labelling_yield : float, optional
        Decay-corrected labelling yield of a kit (Ga-68 days).
    labelling_duration_s : float, optional
        Elution to release of a kit labelling, QC included (s).
    radiopharmaceutical, source, notes : str
        Free text; ``source`` cites the guideline or says "local example".
    guideline : bool
        Whether the activity figures come from a cited guideline or label.

    Examples
    --------
    >>> p = PetProtocol("demo", "18F", activity_per_kg_bq=3e6, max_activity_bq=300e6)
    >>> p.tracer, p.prescribe(80).activity_bq / 1e6, p.prescribe(120).clamped
    ('F-18', 240.0, 'maximum')
    """

    name: str
    tracer: str
    activity_per_kg_bq: float | None = None
    fixed_activity_bq: float | None = None
    min_activity_bq: float | None = None
    max_activity_bq: float | None = None
    digital_reduction_factor: float = 1.0
    labelling_yield: float | None = None
    labelling_duration_s: float | None = None
    radiopharmaceutical: str = ""
    guideline: bool = False
    source: str = "local example, not a guideline"
    notes: str = ""

    def __post_init__(self) -> None:
        where = f"protocol {self.name!r}"
        if not self.name.strip():
            raise ThxError("protocol name must not be empty")
        object.__setattr__(self, "tracer", Nuclide(self.tracer).name)
        if (self.activity_per_kg_bq is None) == (self.fixed_activity_bq is None):
            raise ThxError(f"{where}: give exactly one of activity per kg or fixed activity")
        for field in ("activity_per_kg_bq", "fixed_activity_bq", "min_activity_bq",
                      "max_activity_bq", "labelling_duration_s"):  # fmt: skip
            value = getattr(self, field)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ThxError(f"{where}: {field} must be a finite number > 0, got {value!r}")
        lo, hi = self.min_activity_bq, self.max_activity_bq
        if lo is not None and hi is not None and lo > hi:
            raise ThxError(f"{where}: minimum activity {lo:g} Bq is above the maximum {hi:g} Bq")
        if not 0 < self.digital_reduction_factor <= 1:
            raise ThxError(
                f"{where}: digital_reduction_factor must be in (0, 1], "
                f"got {self.digital_reduction_factor!r}"
            )
        if self.labelling_yield is not None and not 0 < self.labelling_yield <= 1:
            raise ThxError(
                f"{where}: labelling_yield must be in (0, 1], got {self.labelling_yield}"
            )

    @classmethod
    def per_kg(cls, tracer: str, activity_per_kg_bq: float) -> PetProtocol:
        """An ad-hoc protocol: activity per kg, no floor, no cap (``--mbq-per-kg``)."""
        return cls(
            f"{activity_per_kg_bq / _MBQ:g} MBq/kg",
            tracer,
            activity_per_kg_bq=activity_per_kg_bq,
            source="given on the command line",
        )

    def prescribe(self, weight_kg: float, *, digital: bool = False) -> Prescription:
        """Activity at injection for a patient of ``weight_kg``.

        ``A = w × a_kg × f_digital`` (or the fixed activity), clamped to the
        protocol's [minimum, maximum].

        Parameters
        ----------
        weight_kg : float
            Body weight (kg).
        digital : bool
            Apply the digital PET reduction factor (to the activity per kg only).

        Returns
        -------
        Prescription

        References
        ----------
        .. [1] Boellaard R et al. Eur J Nucl Med Mol Imaging 2015;42:328-354.
           doi:10.1007/s00259-014-2961-x (activity proportional to body mass).
        """
        if not (math.isfinite(weight_kg) and weight_kg > 0):
            raise ThxError(f"weight must be a finite number > 0 kg, got {weight_kg!r}")
        if self.activity_per_kg_bq is not None:
            factor = self.digital_reduction_factor if digital else 1.0
            requested = weight_kg * self.activity_per_kg_bq * factor
        else:
            assert self.fixed_activity_bq is not None
            requested = self.fixed_activity_bq
        if self.max_activity_bq is not None and requested > self.max_activity_bq:
            return Prescription(requested, self.max_activity_bq, "maximum")
        if self.min_activity_bq is not None and requested < self.min_activity_bq:
            return Prescription(requested, self.min_activity_bq, "minimum")
        return Prescription(requested, requested, None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "tracer": self.tracer,
            "radiopharmaceutical": self.radiopharmaceutical,
            "activity_per_kg_bq": self.activity_per_kg_bq,
            "fixed_activity_bq": self.fixed_activity_bq,
            "min_activity_bq": self.min_activity_bq,
            "max_activity_bq": self.max_activity_bq,
            "digital_reduction_factor": self.digital_reduction_factor,
            "labelling_yield": self.labelling_yield,
            "labelling_duration_s": self.labelling_duration_s,
            "guideline": self.guideline,
            "source": self.source,
            "notes": self.notes,
        }


def _mbq(table: TomlTable, key: str) -> float | None:
    if not table.has(key):
        table.used.add(key)
        return None
    return table.positive(key, "MBq") * _MBQ


def _parse(data: Mapping[str, Any], file: str) -> dict[str, PetProtocol]:
    root = TomlTable(data, file, "")
    schema = root.integer("schema")
    if schema != 1:
        raise root.error("schema", f"unsupported schema {schema} (this version reads 1)")
    out: dict[str, PetProtocol] = {}
    for table in root.tables("protocol", non_empty=True):
        name = table.text("name", non_empty=True)
        if name in out:
            raise table.error("name", f"duplicate protocol {name!r}")
        duration = table.number("labelling_duration_min", required=False)
        try:
            protocol = PetProtocol(
                name,
                table.text("tracer", non_empty=True),
                activity_per_kg_bq=_mbq(table, "activity_per_kg_mbq"),
                fixed_activity_bq=_mbq(table, "fixed_activity_mbq"),
                min_activity_bq=_mbq(table, "min_activity_mbq"),
                max_activity_bq=_mbq(table, "max_activity_mbq"),
                digital_reduction_factor=table.number("digital_reduction_factor", required=False)
                or 1.0,
                labelling_yield=table.number("labelling_yield", required=False),
                labelling_duration_s=None if duration is None else duration * 60.0,
                radiopharmaceutical=table.text("radiopharmaceutical", required=False),
                guideline=bool(table.get("guideline", bool, "true or false", required=True)),
                source=table.text("source", non_empty=True),
                notes=table.text("notes", required=False),
            )
        except ThxError as exc:
            raise ThxError(f"{file}: {table.where}: {exc}") from None
        table.finish(_FIELDS)
        out[name] = protocol
    root.finish(("schema", "protocol"))
    return out


@functools.lru_cache(maxsize=1)
def _builtin() -> Mapping[str, PetProtocol]:
    entry = resources.files("theranostix.pharmacy").joinpath("data", "pet_protocols.toml")
    text = entry.read_text(encoding="utf-8")
    return MappingProxyType(
        _parse(tomllib.loads(text), "theranostix/pharmacy/data/pet_protocols.toml")
    )


def load_pet_protocols(path: str | os.PathLike[str]) -> Mapping[str, PetProtocol]:
    """Protocols from a site TOML file with the schema of ``data/pet_protocols.toml``.

    Raises
    ------
    ThxError
        Unreadable file or a field that breaks the schema (names the file and field).
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThxError(f"{p}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThxError(f"{p}: not valid TOML: {exc}") from None
    return MappingProxyType(_parse(data, str(p)))


def pet_protocols() -> Mapping[str, PetProtocol]:
    """The built-in protocols by name (sources in ``data/PROVENANCE_protocols.md``).

    >>> sorted(pet_protocols())[:3]
    ['dcfpyl-f18', 'dotatate-ga68', 'fapi46-ga68']
    """
    return _builtin()


def pet_protocol(
    name: str | PetProtocol, protocols: Mapping[str, PetProtocol] | None = None
) -> PetProtocol:
    """One protocol by name (built-in table unless ``protocols`` is given).

    >>> pet_protocol("psma11-ga68").max_activity_bq
    259000000.0
    >>> pet_protocol("fdg")
    Traceback (most recent call last):
    theranostix.errors.ThxError: unknown PET protocol 'fdg'; did you mean fdg-local, ...
    """
    if isinstance(name, PetProtocol):
        return name
    table = pet_protocols() if protocols is None else protocols
    key = name.strip()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ThxError(f"unknown PET protocol {name!r}{hint} (known: {', '.join(sorted(table))})")

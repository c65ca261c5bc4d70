"""Radiomics settings: a small TOML file, with presets for the IBSI data sets and PET.

Schema 1 (every section optional except the top level)::

    schema = 1
    name = "my-settings"
    dimensionality = "3D"            # "2D" (slice by slice) or "3D"

    [interpolation]                  # IBSI image interpolation
    enabled = true
    spacing_mm = [2.0, 2.0, 2.0]     # 2 values (in-plane) for 2D, 3 for 3D
    method = "linear"                # nearest, linear, cubic
    intensity_rounding = 1.0         # round interpolated intensities to this step (optional)
    roi_method = "linear"            # nearest or linear
    roi_partial_volume = 0.5         # threshold on the interpolated ROI

    [resegmentation]                 # intensity mask only (IBSI IF9H)
    range = [-1000.0, 400.0]         # upper bound may be inf
    outliers_sd = 3.0                # mean +- 3 SD filter

    [discretisation]                 # texture and intensity histogram
    method = "fixed_bin_size"        # fixed_bin_size (bin_width), fixed_bin_number (n_bins), none
    bin_width = 25.0

    [ivh]                            # intensity-volume histogram
    method = "fixed_bin_size"        # as above; none: the intensities are already discrete
    bin_width = 2.5

    [morphology]
    non_standard = true              # OMBB and MVEE densities (not standardised by IBSI)

    [texture]
    distance = 1                     # GLCM, NGTDM, NGLDM (Chebyshev); only 1 is implemented
    ngldm_coarseness = 0             # only 0 is implemented
    aggregations = ["3D"]            # among "2D", "2.5D", "3D"; default: 2D settings give
                                     # 2D and 2.5D, 3D settings give 3D

Presets (``data/presets``): ``ibsi-digital``, ``ibsi-A`` to ``ibsi-E`` (the five
configurations of the IBSI reference manual, chapter "Reference data sets",
arXiv:1612.07003) and ``pet`` (SUV, fixed bin size 0.25 from 0).
"""

from __future__ import annotations

import enum
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from theranostix._enums import parse_enum
from theranostix.errors import ThxError

__all__ = [
    "DiscretisationMethod",
    "Interpolation",
    "RadiomicsSettings",
    "load_settings",
    "preset_names",
]


class DiscretisationMethod(enum.Enum):
    """How intensities become grey levels (IBSI 4R0B)."""

    NONE = "none"
    FIXED_BIN_SIZE = "fixed_bin_size"
    FIXED_BIN_NUMBER = "fixed_bin_number"


class Interpolation(enum.Enum):
    """Interpolation of the image and of the ROI (IBSI manual, "Image interpolation")."""

    NEAREST = "nearest"
    LINEAR = "linear"
    CUBIC = "cubic"


@dataclass(frozen=True)
class Discretisation:
    """A discretisation: method and its parameter."""

    method: DiscretisationMethod = DiscretisationMethod.NONE
    bin_width: float | None = None
    n_bins: int | None = None


@dataclass(frozen=True)
class RadiomicsSettings:
    """Validated radiomics settings (see the module docstring for the file format)."""

    name: str
    dimensionality: str = "3D"
    interpolate: bool = False
    spacing_mm: tuple[float, ...] = ()
    interpolation: Interpolation = Interpolation.LINEAR
    intensity_rounding: float | None = None
    roi_interpolation: Interpolation = Interpolation.LINEAR
    roi_partial_volume: float = 0.5
    resegmentation_range: tuple[float, float] | None = None
    outliers_sd: float | None = None
    discretisation: Discretisation = field(default_factory=Discretisation)
    ivh: Discretisation = field(default_factory=Discretisation)
    distance: int = 1
    ngldm_coarseness: int = 0
    aggregations: tuple[str, ...] = ()
    non_standard_morphology: bool = True


_SECTIONS = {
    "interpolation": {"enabled", "spacing_mm", "method", "intensity_rounding", "roi_method",
                      "roi_partial_volume"},
    "resegmentation": {"range", "outliers_sd"},
    "discretisation": {"method", "bin_width", "n_bins"},
    "ivh": {"method", "bin_width", "n_bins"},
    "texture": {"distance", "ngldm_coarseness", "aggregations"},
    "morphology": {"non_standard"},
}  # fmt: skip
_TOP = {"schema", "name", "dimensionality", *_SECTIONS}


def preset_names() -> tuple[str, ...]:
    """Names of the built-in presets.

    Examples
    --------
    >>> preset_names()
    ('ibsi-A', 'ibsi-B', 'ibsi-C', 'ibsi-D', 'ibsi-E', 'ibsi-digital', 'pet')
    """
    folder = resources.files("theranostix.radiomics").joinpath("data/presets")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


def _number(where: str, value: Any, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ThxError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    if math.isnan(number) or (positive and not number > 0):
        raise ThxError(f"{where}: expected a positive number, got {value!r}")
    return number


def _discretisation(where: str, table: dict[str, Any]) -> Discretisation:
    method = parse_enum(DiscretisationMethod, table.get("method", "none"), f"{where}.method")
    if method is DiscretisationMethod.FIXED_BIN_SIZE:
        if "bin_width" not in table:
            raise ThxError(f"{where}.bin_width: required for fixed_bin_size")
        return Discretisation(method, bin_width=_number(f"{where}.bin_width", table["bin_width"]))
    if method is DiscretisationMethod.FIXED_BIN_NUMBER:
        n = table.get("n_bins")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ThxError(f"{where}.n_bins: a positive integer is required, got {n!r}")
        return Discretisation(method, n_bins=n)
    return Discretisation()


def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ThxError(f"{where}: true or false is required, got {value!r}")
    return value


def _check_keys(where: str, table: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ThxError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: "
                       f"{', '.join(sorted(allowed))}")  # fmt: skip


def _parse(data: dict[str, Any], source: str) -> RadiomicsSettings:
    try:
        return _build(data)
    except ThxError as exc:
        raise ThxError(f"{source}: {exc}") from None


def _build(data: dict[str, Any]) -> RadiomicsSettings:
    _check_keys("settings", data, _TOP)
    if data.get("schema") != 1:
        raise ThxError(f"schema: expected 1, got {data.get('schema')!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThxError("name: a non-empty string is required")
    dims = data.get("dimensionality", "3D")
    if dims not in ("2D", "3D"):
        raise ThxError(f"dimensionality: expected '2D' or '3D', got {dims!r}")
    sections: dict[str, dict[str, Any]] = {}
    for section, allowed in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ThxError(f"{section}: expected a table")
        _check_keys(section, table, allowed)
        sections[section] = table
    interp = sections["interpolation"]
    enabled = bool(interp.get("enabled", False))
    spacing: tuple[float, ...] = ()
    if enabled:
        raw = interp.get("spacing_mm")
        expected = 2 if dims == "2D" else 3
        if not isinstance(raw, list) or len(raw) != expected:
            raise ThxError(
                f"interpolation.spacing_mm: {expected} values are required for {dims}, got {raw!r}"
            )
        spacing = tuple(_number("interpolation.spacing_mm", v) for v in raw)
    rounding = interp.get("intensity_rounding")
    reseg = sections["resegmentation"]
    value_range = None
    if "range" in reseg:
        raw_range = reseg["range"]
        if not isinstance(raw_range, list) or len(raw_range) != 2:
            raise ThxError(
                f"resegmentation.range: two numbers [a, b] are required, got {raw_range!r}"
            )
        low = _number("resegmentation.range", raw_range[0], positive=False)
        high = _number("resegmentation.range", raw_range[1], positive=False)
        if not low < high:
            raise ThxError(f"resegmentation.range: [{low}, {high}] is empty")
        value_range = (low, high)
    outliers = reseg.get("outliers_sd")
    texture = sections["texture"]
    distance = texture.get("distance", 1)
    coarseness = texture.get("ngldm_coarseness", 0)
    if not isinstance(distance, int) or isinstance(distance, bool) or distance < 1:
        raise ThxError(f"texture.distance: a positive integer is required, got {distance!r}")
    if not isinstance(coarseness, int) or isinstance(coarseness, bool) or coarseness < 0:
        raise ThxError(f"texture.ngldm_coarseness: an integer >= 0 is required, got {coarseness!r}")
    if distance != 1 or coarseness != 0:
        raise ThxError(
            "texture: only distance = 1 and ngldm_coarseness = 0 (the IBSI reference "
            f"settings) are implemented, got distance {distance}, coarseness {coarseness}"
        )
    aggregations = texture.get("aggregations", [])
    if not isinstance(aggregations, list) or not set(aggregations) <= {"2D", "2.5D", "3D"}:
        raise ThxError(
            "texture.aggregations: a list among '2D', '2.5D', '3D' is required, "
            f"got {aggregations!r}"
        )
    partial = interp.get("roi_partial_volume", 0.5)
    partial = _number("interpolation.roi_partial_volume", partial)
    if partial > 1:
        raise ThxError(f"interpolation.roi_partial_volume: must lie in (0, 1], got {partial}")
    return RadiomicsSettings(
        name=name.strip(),
        dimensionality=dims,
        interpolate=enabled,
        spacing_mm=spacing,
        interpolation=parse_enum(
            Interpolation, interp.get("method", "linear"), "interpolation.method"
        ),
        intensity_rounding=None
        if rounding is None
        else _number("interpolation.intensity_rounding", rounding),
        roi_interpolation=parse_enum(
            Interpolation, interp.get("roi_method", "linear"), "interpolation.roi_method"
        ),
        roi_partial_volume=partial,
        resegmentation_range=value_range,
        outliers_sd=None if outliers is None else _number("resegmentation.outliers_sd", outliers),
        discretisation=_discretisation("discretisation", sections["discretisation"]),
        ivh=_discretisation("ivh", sections["ivh"]),
        distance=distance,
        ngldm_coarseness=coarseness,
        aggregations=tuple(dict.fromkeys(aggregations)),
        non_standard_morphology=_flag(
            "morphology.non_standard", sections["morphology"].get("non_standard", True)
        ),
    )


def load_settings(name_or_path: str | Path) -> RadiomicsSettings:
    """Settings from a preset name (:func:`preset_names`) or a TOML file.

    Raises
    ------
    ThxError
        Unknown preset or missing file, TOML syntax error, or a bad field (the
        message names the file and the field).

    Examples
    --------
    >>> s = load_settings("ibsi-C")
    >>> s.dimensionality, s.spacing_mm, s.discretisation.bin_width, s.ivh.bin_width
    ('3D', (2.0, 2.0, 2.0), 25.0, 2.5)
    """
    text_name = str(name_or_path)
    if text_name in preset_names():
        folder = resources.files("theranostix.radiomics").joinpath("data/presets")
        text = folder.joinpath(f"{text_name}.toml").read_text(encoding="utf-8")
        source = f"preset {text_name}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ThxError(
                f"{text_name!r} is neither a preset ({', '.join(preset_names())}) nor a file"
            )
        text = path.read_text(encoding="utf-8")
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThxError(f"{source}: not valid TOML: {exc}") from None
    return _parse(data, source)

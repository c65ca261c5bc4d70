"""Release quality control of radiopharmaceutical batches: limits as data, evaluation, identity.

The limits of each product live in a TOML file (``schema = 1``); the built-in one is
``data/qc_limits.toml`` (provenance in ``data/PROVENANCE_qc.md``), a site passes its own
to :func:`load_qc_limits`. A limit is numeric (``min`` and/or ``max``, inclusive) or, with
neither, pass/fail against a written specification (appearance).

Schema 1
--------
::

    schema = 1
    title = "..."
    date = 2026-11-23

    [references.ph_eur_1325]          # keys cited by `sources`
    citation = "European Pharmacopoeia, monograph 1325: ..."
    url = "https://..."               # optional (doi or url)

    [[products]]
    key = "fdg"                       # lower-case letters, digits, "-", "_"
    name = "Fludeoxyglucose (18F) injection"
    nuclide = "F-18"
    aliases = ["18f-fdg"]             # optional

    [[products.tests]]
    test = "half_life"                # lower-case letters, digits, "_"
    unit = "min"                      # "pass/fail" when neither min nor max is given
    min = 105.0                       # optional, inclusive
    max = 115.0                       # optional, inclusive
    spec = "..."                      # optional (required for pass/fail)
    basis = "reported"                # reported | assumed
    sources = ["ph_eur_1325"]
    note = "..."                      # optional

The radionuclidic identity test (``half_life``) is computed from two or more
dose-calibrator readings of the same source by :func:`fit_half_life`: a least-squares
straight line through ln(activity) against time, whose slope is −λ [1]_.

References
----------
.. [1] Cherry SR, Sorenson JA, Phelps ME. Physics in Nuclear Medicine, 4th ed.
   Philadelphia: Elsevier Saunders; 2012. Chapter 4 (decay, A = A0·exp(−λt), semilog plot).
.. [2] European Pharmacopoeia, monograph 1325: Fludeoxyglucose (18F) injection
   (half-life 105 min to 115 min; pH 4.5 to 8.5; radiochemical purity ≥ 95 per cent).
.. [3] European Pharmacopoeia 11, monograph 3044: Gallium (68Ga) PSMA-11 injection
   (pH 4 to 8).

Examples
--------
>>> from datetime import datetime, UTC
>>> t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
>>> t1 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
>>> fit = fit_half_life([(t0, 1000e6), (t1, 827.3e6)], nuclide="F-18")
>>> round(fit.half_life_min, 1)
109.7
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from theranostix._toml import TomlTable
from theranostix.errors import ThxError

__all__ = [
    "HalfLifeFit",
    "QcBasis",
    "QcLimit",
    "QcOutcome",
    "QcSpec",
    "fit_half_life",
    "load_qc_limits",
    "qc_spec",
]

_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_TEST = re.compile(r"^[a-z0-9][a-z0-9_]*$")
PASS_FAIL = "pass/fail"


class QcBasis(enum.Enum):
    """Where a QC limit comes from."""

    REPORTED = "reported"
    ASSUMED = "assumed"


@dataclass(frozen=True)
class QcOutcome:
    """The evaluation of one QC result against its limit.

    Attributes
    ----------
    test : str
        Test name, e.g. ``"ph"``.
    passed : bool
        Whether the result meets the limit.
    limit : str
        The limit as text, e.g. ``"4.5 to 8.5"`` or ``"≥ 95 %"``.
    """

    test: str
    passed: bool
    limit: str


@dataclass(frozen=True)
class QcLimit:
    """The acceptance limit of one QC test (bounds inclusive).

    Attributes
    ----------
    test : str
        Test name, e.g. ``"radiochemical_purity"``.
    unit : str
        Unit of the value, or ``"pass/fail"``.
    min, max : float or None
        Inclusive bounds; both ``None`` for a pass/fail test.
    spec : str
        Written specification (what passes), may be empty for numeric tests.
    basis : QcBasis
        ``reported`` (monograph) or ``assumed`` (package default to confirm).
    sources : tuple of str
        Citations of the value.
    note : str
        Free text.
    """

    test: str
    unit: str
    min: float | None
    max: float | None
    spec: str
    basis: QcBasis
    sources: tuple[str, ...]
    note: str = ""

    @property
    def pass_fail(self) -> bool:
        """True for a test judged pass/fail (no numeric bound)."""
        return self.min is None and self.max is None

    def describe(self) -> str:
        """The limit as text, e.g. ``'4.5 to 8.5'``, ``'≥ 95 %'``, ``'pass: clear...'``."""
        unit = "" if self.unit in ("1", "") else f" {self.unit}"
        if self.pass_fail:
            return f"pass: {self.spec}" if self.spec else "pass"
        if self.min is not None and self.max is not None:
            return f"{self.min:g} to {self.max:g}{unit}"
        if self.min is not None:
            return f"≥ {self.min:g}{unit}"
        return f"≤ {self.max:g}{unit}"

    def evaluate(self, value: float | None = None, *, passed: bool | None = None) -> QcOutcome:
        """Judge one result: a number for a numeric test, ``passed`` for a pass/fail one.

        >>> limit = QcLimit("ph", "1", 4.5, 8.5, "", QcBasis.REPORTED, ("Ph. Eur. 1325",))
        >>> limit.evaluate(7.0).passed, limit.evaluate(8.6).passed
        (True, False)
        """
        if self.pass_fail:
            if passed is None:
                raise ThxError(
                    f"QC test {self.test!r} is pass/fail: give pass or fail, not a value"
                )
            return QcOutcome(self.test, bool(passed), self.describe())
        if value is None or not math.isfinite(value):
            raise ThxError(
                f"QC test {self.test!r} needs a finite value in {self.unit}, got {value}"
            )
        if passed is not None:
            raise ThxError(f"QC test {self.test!r} is judged from its value; do not give pass/fail")
        ok = (self.min is None or value >= self.min) and (self.max is None or value <= self.max)
        return QcOutcome(self.test, ok, self.describe())


@dataclass(frozen=True)
class QcSpec:
    """The release QC of one product.

    Attributes
    ----------
    key : str
        Product key, e.g. ``"fdg"``.
    name : str
        Product name.
    nuclide : str
        Radionuclide name, e.g. ``"F-18"``.
    aliases : tuple of str
        Other accepted spellings of the key.
    tests : Mapping[str, QcLimit]
        The required tests by name.
    source_file : str
        File the specification was read from.
    """

    key: str
    name: str
    nuclide: str
    aliases: tuple[str, ...]
    tests: Mapping[str, QcLimit]
    source_file: str

    def limit(self, test: str) -> QcLimit:
        """The limit of ``test``; a ThxError naming the product and the allowed tests."""
        try:
            return self.tests[test]
        except KeyError:
            raise ThxError(
                f"QC test {test!r} is not configured for product {self.key!r} "
                f"(configured: {', '.join(self.tests)})"
            ) from None


def _default_file() -> Path:
    entry = resources.files("theranostix.pharmacy").joinpath("data", "qc_limits.toml")
    return Path(os.fspath(entry))  # type: ignore[call-overload]


@functools.cache
def _load(path: str, _mtime_ns: int) -> Mapping[str, QcSpec]:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThxError(f"{file}: cannot read QC limits file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThxError(f"{file}: not valid TOML: {exc}") from None
    top = TomlTable(data, file.name, "")
    if top.integer("schema") != 1:
        raise top.error("schema", "only schema 1 is supported")
    top.text("title")
    top.get("date", _dt.date, "a TOML date", required=True)
    refs = top.table("references")
    assert refs is not None
    citations: dict[str, str] = {}
    for ref_key in refs.data:
        ref = refs.table(ref_key)
        assert ref is not None
        text = ref.text("citation", non_empty=True)
        extra = ref.text("doi", required=False) or ref.text("url", required=False)
        citations[ref_key] = f"{text} ({extra})" if extra else text
        ref.finish()
    specs: dict[str, QcSpec] = {}
    for prod in top.tables("products", non_empty=True):
        key = prod.text("key", non_empty=True)
        if not _KEY.match(key) or key in specs:
            raise prod.error("key", f"{key!r} must be unique, lower-case letters, digits, - or _")
        tests: dict[str, QcLimit] = {}
        for tt in prod.tables("tests", non_empty=True):
            test = tt.text("test", non_empty=True)
            if not _TEST.match(test) or test in tests:
                raise tt.error("test", f"{test!r} must be unique, lower-case letters, digits or _")
            low, high = tt.number("min", required=False), tt.number("max", required=False)
            unit = tt.text("unit", non_empty=True)
            spec = tt.text("spec", required=False)
            if low is None and high is None and (unit != PASS_FAIL or not spec.strip()):
                raise tt.error("unit", f"a test without min/max is {PASS_FAIL!r} with a spec")
            if low is not None and high is not None and low > high:
                raise tt.error("min", f"min {low} is above max {high}")
            sources = tt.strings("sources", non_empty=True)
            for src in sources:
                if src not in citations:
                    raise tt.error("sources", f"{src!r} is not a key of [references]")
            tests[test] = QcLimit(
                test=test,
                unit=unit,
                min=low,
                max=high,
                spec=spec,
                basis=tt.choice("basis", QcBasis),
                sources=tuple(citations[s] for s in sources),
                note=tt.text("note", required=False),
            )
            tt.finish()
        specs[key] = QcSpec(
            key=key,
            name=prod.text("name", non_empty=True),
            nuclide=prod.text("nuclide", non_empty=True),
            aliases=tuple(a.lower() for a in prod.strings("aliases", required=False)),
            tests=MappingProxyType(tests),
            source_file=str(file),
        )
        prod.finish()
    top.finish()
    return MappingProxyType(specs)


def load_qc_limits(path: str | os.PathLike[str] | None = None) -> Mapping[str, QcSpec]:
    """The QC specifications by product key, from ``path`` or the built-in file.

    Parameters
    ----------
    path : path-like, optional
        A site file (schema 1, see the module docstring); default ``data/qc_limits.toml``.

    Returns
    -------
    Mapping[str, QcSpec]

    Examples
    --------
    >>> specs = load_qc_limits()
    >>> specs["fdg"].tests["half_life"].describe()
    '105 to 115 min'
    """
    file = (_default_file() if path is None else Path(path)).resolve()
    try:
        mtime_ns = file.stat().st_mtime_ns
    except OSError as exc:
        raise ThxError(f"{file}: cannot read QC limits file ({exc.strerror})") from None
    return _load(str(file), mtime_ns)


def qc_spec(product: str, specs: Mapping[str, QcSpec] | None = None) -> QcSpec:
    """The specification of ``product`` (key or alias, any case); a ThxError listing the keys.

    >>> qc_spec("18F-FDG").key
    'fdg'
    """
    table = load_qc_limits() if specs is None else specs
    wanted = product.strip().lower()
    for spec in table.values():
        if wanted == spec.key or wanted in spec.aliases:
            return spec
    raise ThxError(
        f"product {product!r} has no QC specification (configured: {', '.join(table)}); "
        "add it to a site QC limits file"
    )


@dataclass(frozen=True)
class HalfLifeFit:
    """A half-life fitted to dose-calibrator readings of one source.

    Attributes
    ----------
    half_life_s : float
        Fitted half-life, s.
    nominal_half_life_s : float or None
        Half-life of the nuclide from the decay data (when a nuclide was given).
    deviation_pct : float or None
        100·(fitted − nominal)/nominal.
    n_readings : int
        Number of readings used.
    span_s : float
        Time from the first to the last reading, s.
    max_residual_pct : float
        Largest relative deviation of a reading from the fitted curve (0 for two readings).
    """

    half_life_s: float
    nominal_half_life_s: float | None
    deviation_pct: float | None
    n_readings: int
    span_s: float
    max_residual_pct: float

    @property
    def half_life_min(self) -> float:
        """Fitted half-life in minutes (the unit of the Ph. Eur. identity limits)."""
        return self.half_life_s / 60.0


def fit_half_life(
    readings: Sequence[tuple[_dt.datetime, float]], nuclide: str | None = None
) -> HalfLifeFit:
    """Fit the half-life of a source from two or more (time, activity) readings.

    Ordinary least squares of ln(A) on t; with two readings the exact
    T½ = ln 2·Δt / ln(A1/A2) [1]_.

    Parameters
    ----------
    readings : sequence of (datetime, float)
        Timezone-aware reading times and activities (Bq) of the same source in the same
        calibrator geometry; at least two distinct times.
    nuclide : str, optional
        Radionuclide whose nominal half-life is reported for comparison.

    Returns
    -------
    HalfLifeFit

    Raises
    ------
    ThxError
        Fewer than two distinct times, a non-positive activity, or activity not decreasing.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    >>> t1 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    >>> round(fit_half_life([(t0, 500e6), (t1, 367.8e6)]).half_life_min, 1)
    67.7
    """
    from theranostix.units import elapsed_s, ensure_aware

    if len(readings) < 2:
        raise ThxError(f"half-life check needs at least 2 readings, got {len(readings)}")
    points: list[tuple[float, float]] = []
    t_ref = ensure_aware(readings[0][0], "reading time 1")
    for n, (when, activity) in enumerate(readings, start=1):
        ensure_aware(when, f"reading time {n}")
        if not (math.isfinite(activity) and activity > 0):
            raise ThxError(f"reading {n}: activity must be a finite number > 0 Bq, got {activity}")
        points.append((elapsed_s(t_ref, when), math.log(activity)))
    n_pts = len(points)
    mean_t = sum(t for t, _ in points) / n_pts
    mean_y = sum(y for _, y in points) / n_pts
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    if sxx <= 0.0:
        raise ThxError("half-life check needs readings at two or more distinct times")
    slope = sum((t - mean_t) * (y - mean_y) for t, y in points) / sxx
    if not slope < 0.0:
        raise ThxError("half-life check: activity does not decrease between the readings")
    half_life_s = math.log(2.0) / -slope
    intercept = mean_y - slope * mean_t
    residual = max(abs(math.expm1(y - (intercept + slope * t))) for t, y in points)
    times = [t for t, _ in points]
    nominal: float | None = None
    deviation: float | None = None
    if nuclide is not None:
        from theranostix.nuclides import Nuclide

        nominal = Nuclide(nuclide).half_life_s
        deviation = 100.0 * (half_life_s - nominal) / nominal
    return HalfLifeFit(
        half_life_s=half_life_s,
        nominal_half_life_s=nominal,
        deviation_pct=deviation,
        n_readings=n_pts,
        span_s=max(times) - min(times),
        max_residual_pct=100.0 * residual,
    )


def qc_limits_as_dict(spec: QcSpec) -> dict[str, Any]:
    """A JSON-ready description of a product's QC (for reports)."""
    return {
        "product": spec.key,
        "name": spec.name,
        "nuclide": spec.nuclide,
        "source_file": spec.source_file,
        "tests": {
            name: {
                "limit": lim.describe(),
                "unit": lim.unit,
                "min": lim.min,
                "max": lim.max,
                "basis": lim.basis.value,
                "sources": list(lim.sources),
                "note": lim.note,
            }
            for name, lim in spec.tests.items()
        },
    }

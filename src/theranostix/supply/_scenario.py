"""Supply scenarios: cyclotron sites, hospitals, orders and transport links, read from YAML.

A scenario describes one planning day: the cyclotron sites with their targets (what each
target produces, its saturation yield, the allowed beam currents and irradiation times,
the synthesis and QC durations, the synthesis yield), the hospitals with their orders
(activity needed at a calibration time, arrival window) and the transport links
(duration, cost, mode). Links absent from the file are estimated from the great-circle
distance when the file has a ``transport`` block (see :func:`estimate_link`).

Every validation error names the file and the key path, e.g.
``scenario.yaml: sites[2].targets[0].saturation_yield_bq_per_ua: must be positive``.

Times in the file are ``"HH:MM"`` on the scenario ``day`` (in ``timezone``) or ISO 8601
datetimes; quote them (unquoted ``16:00`` is a base-60 integer in YAML 1.1).
"""

from __future__ import annotations

import contextlib
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from theranostix.errors import ThxError

__all__ = [
    "Hospital",
    "Link",
    "Objective",
    "Order",
    "Scenario",
    "ScenarioError",
    "Site",
    "Target",
    "TransportMode",
    "TransportModel",
    "default_scenario_path",
    "estimate_link",
    "haversine_km",
    "load_scenario",
    "scenario_from_dict",
]


class ScenarioError(ThxError):
    """A supply scenario is invalid; the message names the file and the key path."""


class TransportMode(enum.Enum):
    """How a delivery travels."""

    ROAD = "road"
    AIR = "air"
    RAIL = "rail"


@dataclass(frozen=True)
class Target:
    """One cyclotron target and the product synthesised from its activity.

    ``synthesis_yield`` is the decay-corrected radiochemical yield: the product activity,
    referred back to end of bombardment (EOB), per unit of EOB activity.
    """

    name: str
    nuclide: str
    product: str
    saturation_yield_bq_per_ua: float
    currents_ua: tuple[float, ...]
    durations_s: tuple[float, ...]
    synthesis_s: float
    qc_s: float
    synthesis_yield: float


@dataclass(frozen=True)
class Site:
    """A cyclotron site: location, beam window, targets and costs."""

    name: str
    lon: float
    lat: float
    beam_start: datetime
    beam_end: datetime
    targets: tuple[Target, ...]
    run_cost_eur: float
    beam_cost_eur_per_h: float
    max_simultaneous_runs: int = 1


@dataclass(frozen=True)
class Hospital:
    """A hospital (or radiopharmacy) receiving deliveries."""

    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Order:
    """Activity of ``product`` needed at ``calibration``, arriving in [after, before]."""

    id: str
    hospital: str
    product: str
    activity_bq: float
    calibration: datetime
    arrive_after: datetime
    arrive_before: datetime


@dataclass(frozen=True)
class Link:
    """Transport from a site to a hospital: door-to-door duration and cost of one shipment."""

    site: str
    hospital: str
    duration_s: float
    cost_eur: float
    mode: TransportMode = TransportMode.ROAD
    estimated: bool = False


@dataclass(frozen=True)
class TransportModel:
    """Estimate of a road link from the great-circle distance (used for missing links).

    duration = handling + distance x detour_factor / speed; cost = fixed + per km x road km.
    """

    speed_kmh: float = 75.0
    detour_factor: float = 1.3
    handling_s: float = 1200.0
    cost_eur_fixed: float = 80.0
    cost_eur_per_km: float = 1.2


@dataclass(frozen=True)
class Objective:
    """Weights of the objective (EUR): decayed activity and unmet demand."""

    decay_cost_eur_per_gbq: float = 1.0
    shortfall_penalty_eur: float = 1.0e6


@dataclass(frozen=True)
class Scenario:
    """One planning day of a cyclotron network."""

    name: str
    day: date
    timezone: tzinfo
    grid_s: float
    sites: tuple[Site, ...]
    hospitals: tuple[Hospital, ...]
    orders: tuple[Order, ...]
    links: tuple[Link, ...]
    objective: Objective = field(default_factory=Objective)
    source: str = "<scenario>"

    @property
    def t0(self) -> datetime:
        """Midnight of the planning day (time origin of the model)."""
        return datetime.combine(self.day, time(0, 0), tzinfo=self.timezone)

    def site(self, name: str) -> Site:
        """The site called ``name``."""
        for site in self.sites:
            if site.name == name:
                return site
        raise ThxError(f"{self.source}: no site named {name!r}; sites: {self._names(self.sites)}")

    def hospital(self, name: str) -> Hospital:
        """The hospital called ``name``."""
        for hospital in self.hospitals:
            if hospital.name == name:
                return hospital
        raise ThxError(
            f"{self.source}: no hospital named {name!r}; hospitals: {self._names(self.hospitals)}"
        )

    @staticmethod
    def _names(items: Sequence[Site | Hospital]) -> str:
        names = [item.name for item in items]
        return ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")

    def link_map(self) -> dict[tuple[str, str], Link]:
        """Links by (site, hospital)."""
        return {(link.site, link.hospital): link for link in self.links}


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (km) on a sphere of radius 6371 km (haversine formula).

    >>> round(haversine_km(2.3522, 48.8566, -0.3707, 49.1829))  # Paris - Caen
    202
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def estimate_link(site: Site, hospital: Hospital, model: TransportModel) -> Link:
    """A road link estimated from the great-circle distance with ``model``."""
    road_km = haversine_km(site.lon, site.lat, hospital.lon, hospital.lat) * model.detour_factor
    duration = model.handling_s + road_km / model.speed_kmh * 3600.0
    cost = model.cost_eur_fixed + model.cost_eur_per_km * road_km
    return Link(site.name, hospital.name, duration, cost, TransportMode.ROAD, estimated=True)


def default_scenario_path() -> Path:
    """The default national scenario shipped with theranostix (``data/france.yaml``)."""
    return Path(__file__).resolve().parent / "data" / "france.yaml"


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a YAML scenario; the default national scenario without ``path``."""
    import yaml

    file = default_scenario_path() if path is None else Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read the scenario ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ScenarioError(f"{file.name}: not valid YAML{where}: {first}") from None
    return scenario_from_dict(data, source=file.name)


class _Reader:
    """Typed access to the YAML tree with errors naming the file and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {path}: {message}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(path, f"must be a mapping, got {type(value).__name__}")
        return value

    def items(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if not isinstance(value, list) or not value:
            raise self.error(_join(path, key), "must be a non-empty list")
        return value

    def get(self, parent: Mapping[str, Any], key: str, path: str, default: Any = ...) -> Any:
        if key not in parent or parent[key] is None:
            if default is ...:
                raise self.error(_join(path, key), "is required")
            return default
        return parent[key]

    def text(self, parent: Mapping[str, Any], key: str, path: str, default: Any = ...) -> str:
        value = self.get(parent, key, path, default)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value == "":
            raise self.error(_join(path, key), f"must be a non-empty string, got {value!r}")
        return str(value)

    def number(
        self,
        parent: Mapping[str, Any],
        key: str,
        path: str,
        default: Any = ...,
        *,
        minimum: float | None = 0.0,
        strict: bool = True,
        maximum: float | None = None,
    ) -> float:
        value = self.get(parent, key, path, default)
        where = _join(path, key)
        if isinstance(value, str):  # YAML 1.1 reads 1.0e10 (no sign after e) as a string
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(where, f"must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise self.error(where, f"must be finite, got {value!r}")
        if minimum is not None and (number <= minimum if strict else number < minimum):
            word = "positive" if minimum == 0 and strict else f">= {minimum:g}"
            if minimum != 0 and strict:
                word = f"> {minimum:g}"
            raise self.error(where, f"must be {word}, got {value!r}")
        if maximum is not None and number > maximum:
            raise self.error(where, f"must be <= {maximum:g}, got {value!r}")
        return number

    def numbers(self, parent: Mapping[str, Any], key: str, path: str) -> tuple[float, ...]:
        value = self.get(parent, key, path)
        values = value if isinstance(value, list) else [value]
        if not values:
            raise self.error(_join(path, key), "must be a non-empty list of positive numbers")
        return tuple(
            self.number({key: v}, key, f"{path}.{key}[{i}]" if path else f"{key}[{i}]")
            for i, v in enumerate(values)
        )

    def when(self, value: Any, where: str, day: date, tz: tzinfo) -> datetime:
        from theranostix.units import parse_datetime

        if isinstance(value, int) and not isinstance(value, bool):
            raise self.error(where, f"read as the number {value}: write times in quotes, "
                             "e.g. '16:00'")  # fmt: skip
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=tz)
        if not isinstance(value, str):
            raise self.error(
                where, f"must be a time 'HH:MM' or an ISO 8601 datetime, got {value!r}"
            )
        text = value.strip()
        try:
            if len(text) <= 5 and ":" in text:
                clock = time.fromisoformat(text.zfill(5))
                return datetime.combine(day, clock, tzinfo=tz)
            return parse_datetime(text, name=where, tz=tz)
        except ValueError:
            raise self.error(
                where, f"cannot read {value!r} as a time 'HH:MM' or an ISO 8601 datetime"
            ) from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _nuclide(reader: _Reader, value: str, where: str) -> str:
    from theranostix.nuclides import Nuclide

    try:
        return Nuclide(value).name
    except ThxError as exc:
        raise reader.error(where, str(exc)) from None


def _target(reader: _Reader, raw: Any, path: str) -> Target:
    data = reader.mapping(raw, path)
    nuclide = _nuclide(reader, reader.text(data, "nuclide", path), _join(path, "nuclide"))
    return Target(
        name=reader.text(data, "name", path),
        nuclide=nuclide,
        product=reader.text(data, "product", path, nuclide),
        saturation_yield_bq_per_ua=reader.number(data, "saturation_yield_bq_per_ua", path),
        currents_ua=reader.numbers(data, "currents_ua", path),
        durations_s=tuple(60.0 * m for m in reader.numbers(data, "durations_min", path)),
        synthesis_s=60.0 * reader.number(data, "synthesis_min", path, 0.0, strict=False),
        qc_s=60.0 * reader.number(data, "qc_min", path, 0.0, strict=False),
        synthesis_yield=reader.number(data, "synthesis_yield", path, 1.0, maximum=1.0),
    )


def _site(reader: _Reader, raw: Any, path: str, day: date, tz: tzinfo) -> Site:
    data = reader.mapping(raw, path)
    window = reader.get(data, "beam_window", path, ["00:00", "23:59"])
    if not isinstance(window, list) or len(window) != 2:
        raise reader.error(_join(path, "beam_window"), "must be a list [start, end]")
    start = reader.when(window[0], f"{path}.beam_window[0]", day, tz)
    end = reader.when(window[1], f"{path}.beam_window[1]", day, tz)
    if end <= start:
        raise reader.error(_join(path, "beam_window"), "end must be after start")
    targets = tuple(
        _target(reader, t, f"{path}.targets[{i}]")
        for i, t in enumerate(reader.items(data, "targets", path))
    )
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise reader.error(_join(path, "targets"), f"target names must be unique, got {names}")
    simultaneous = reader.number(data, "max_simultaneous_runs", path, 1)
    if simultaneous != int(simultaneous):
        raise reader.error(_join(path, "max_simultaneous_runs"), "must be an integer")
    return Site(
        name=reader.text(data, "name", path),
        lon=reader.number(data, "lon", path, minimum=-180.0, strict=False, maximum=180.0),
        lat=reader.number(data, "lat", path, minimum=-90.0, strict=False, maximum=90.0),
        beam_start=start,
        beam_end=end,
        targets=targets,
        run_cost_eur=reader.number(data, "run_cost_eur", path, 0.0, strict=False),
        beam_cost_eur_per_h=reader.number(data, "beam_cost_eur_per_h", path, 0.0, strict=False),
        max_simultaneous_runs=int(simultaneous),
    )


def scenario_from_dict(data: Any, *, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as the parsed YAML tree (see the module docstring)."""
    from theranostix.units import get_timezone

    reader = _Reader(source)
    root = reader.mapping(data, "(top level)")
    try:
        tz = get_timezone(reader.text(root, "timezone", "", "UTC"))
    except ThxError as exc:
        raise reader.error("timezone", str(exc)) from None
    raw_day = reader.get(root, "day", "")
    if isinstance(raw_day, datetime):
        raw_day = raw_day.date()
    if not isinstance(raw_day, date):
        try:
            raw_day = date.fromisoformat(str(raw_day))
        except ValueError:
            raise reader.error("day", f"must be a date YYYY-MM-DD, got {raw_day!r}") from None
    day: date = raw_day
    grid_s = 60.0 * reader.number(root, "grid_min", "", 30.0)
    sites = tuple(
        _site(reader, s, f"sites[{i}]", day, tz)
        for i, s in enumerate(reader.items(root, "sites", ""))
    )
    hospitals = tuple(
        Hospital(
            name=reader.text(reader.mapping(h, f"hospitals[{i}]"), "name", f"hospitals[{i}]"),
            lon=reader.number(h, "lon", f"hospitals[{i}]", minimum=-180.0, strict=False),
            lat=reader.number(h, "lat", f"hospitals[{i}]", minimum=-90.0, strict=False),
        )
        for i, h in enumerate(reader.items(root, "hospitals", ""))
    )
    for kind, named in (("sites", sites), ("hospitals", hospitals)):
        names = [n.name for n in named]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise reader.error(kind, f"names must be unique, repeated: {', '.join(duplicates)}")
    site_names = {s.name for s in sites}
    hospital_names = {h.name for h in hospitals}
    orders = []
    for i, raw in enumerate(reader.items(root, "orders", "")):
        path = f"orders[{i}]"
        o = reader.mapping(raw, path)
        hospital = reader.text(o, "hospital", path)
        if hospital not in hospital_names:
            raise reader.error(_join(path, "hospital"), f"unknown hospital {hospital!r}")
        calibration = reader.when(
            reader.get(o, "calibration", path), f"{path}.calibration", day, tz
        )
        before_raw = reader.get(o, "arrive_before", path, None)
        before = (
            calibration
            if before_raw is None
            else reader.when(before_raw, f"{path}.arrive_before", day, tz)
        )
        after_raw = reader.get(o, "arrive_after", path, None)
        after = (
            datetime.combine(day, time(0, 0), tzinfo=tz)
            if after_raw is None
            else reader.when(after_raw, f"{path}.arrive_after", day, tz)
        )
        if before > calibration:
            raise reader.error(_join(path, "arrive_before"), "must not be after the calibration")
        if after > before:
            raise reader.error(_join(path, "arrive_after"), "must not be after arrive_before")
        orders.append(
            Order(
                id=reader.text(o, "id", path, f"O{i + 1}"),
                hospital=hospital,
                product=reader.text(o, "product", path),
                activity_bq=1e9 * reader.number(o, "activity_gbq", path),
                calibration=calibration,
                arrive_after=after,
                arrive_before=before,
            )
        )
    ids = [o.id for o in orders]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise reader.error("orders", f"order ids must be unique, repeated: {', '.join(repeated)}")
    links = _links(reader, root, sites, hospitals, site_names, hospital_names)
    raw_objective = reader.mapping(reader.get(root, "objective", "", {}), "objective")
    objective = Objective(
        decay_cost_eur_per_gbq=reader.number(
            raw_objective, "decay_cost_eur_per_gbq", "objective", 1.0, strict=False
        ),
        shortfall_penalty_eur=reader.number(
            raw_objective, "shortfall_penalty_eur", "objective", 1.0e6
        ),
    )
    return Scenario(
        name=reader.text(root, "name", "", "scenario"),
        day=day,
        timezone=tz,
        grid_s=grid_s,
        sites=sites,
        hospitals=hospitals,
        orders=tuple(orders),
        links=links,
        objective=objective,
        source=source,
    )


def _links(
    reader: _Reader,
    root: Mapping[str, Any],
    sites: tuple[Site, ...],
    hospitals: tuple[Hospital, ...],
    site_names: set[str],
    hospital_names: set[str],
) -> tuple[Link, ...]:
    from theranostix._enums import parse_enum

    found: dict[tuple[str, str], Link] = {}
    for i, raw in enumerate(reader.get(root, "links", "", [])):
        path = f"links[{i}]"
        data = reader.mapping(raw, path)
        site, hospital = reader.text(data, "site", path), reader.text(data, "hospital", path)
        if site not in site_names:
            raise reader.error(_join(path, "site"), f"unknown site {site!r}")
        if hospital not in hospital_names:
            raise reader.error(_join(path, "hospital"), f"unknown hospital {hospital!r}")
        try:
            mode = parse_enum(TransportMode, reader.get(data, "mode", path, "road"), "mode")
        except ThxError as exc:
            raise reader.error(_join(path, "mode"), str(exc)) from None
        found[(site, hospital)] = Link(
            site,
            hospital,
            60.0 * reader.number(data, "duration_min", path),
            reader.number(data, "cost_eur", path, 0.0, strict=False),
            mode,
        )
    transport = reader.get(root, "transport", "", None)
    if transport is not None:
        t = reader.mapping(transport, "transport")
        model = TransportModel(
            speed_kmh=reader.number(t, "speed_kmh", "transport", 75.0),
            detour_factor=reader.number(
                t, "detour_factor", "transport", 1.3, minimum=1.0, strict=False
            ),
            handling_s=60.0 * reader.number(t, "handling_min", "transport", 20.0, strict=False),
            cost_eur_fixed=reader.number(t, "cost_eur_fixed", "transport", 80.0, strict=False),
            cost_eur_per_km=reader.number(t, "cost_eur_per_km", "transport", 1.2, strict=False),
        )
        max_h = reader.number(t, "max_duration_h", "transport", 1e9)
        for a_site in sites:
            for a_hospital in hospitals:
                if (a_site.name, a_hospital.name) not in found:
                    link = estimate_link(a_site, a_hospital, model)
                    if link.duration_s <= max_h * 3600.0:
                        found[(a_site.name, a_hospital.name)] = link
    if not found:
        raise reader.error("links", "no transport links: give links or a transport block")
    return tuple(found.values())

"""Scenario files: a region's data and assumptions, its dated events and its policies.

A scenario is a TOML file. A region file (``scenarios/jember.toml``) gives every table; a what-if
file names its ``base``, gives its own ``[scenario] name`` and overrides only what changes (tables
are merged key by key; its ``[[policy]]`` and ``[[event]]`` entries are added to the base's).
Everything is validated here, once: an unknown key, a wrong type, a share outside [0, 1], shares
not summing to 1, a negative budget, a missing base file or a what-if without a name raise
:class:`~model.errors.ScenarioError` naming file and field.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.behaviour import Behaviour, default_behaviour
from model.defaults import (
    MAX_TOML_DEPTH,
    MIN_FRONTLINE_STAFF,
    MIN_REQUESTS_PER_MONTH,
    needs_per_month,
)
from model.errors import ScenarioError
from model.params import as_table, build, param
from model.shares import set_share, shift_share
from model.units import UNIT_KEYS

COMPONENTS = ("apps", "competency", "connectivity", "regulation", "interface")
"""The five spending components; the sixth, capital, is the budget itself."""

STOCKS = (*COMPONENTS, "capital")
EVENT_KINDS = ("mpp_open", "superapp", "recruitment")
AREA_TARGETS = ("all", "urban", "rural")
LITERACY_TARGETS = (*AREA_TARGETS, "q1", "q2", "q3", "q4", "q5")
"""Who a literacy programme is aimed at: everyone, an area, or an access quintile (q1 = least
connected)."""
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True, kw_only=True)
class Population:
    """Residents, territory and the starting digital divide."""

    residents: int = param(dataclasses.MISSING, "persons", 1, 5e7, "Residents")
    area_km2: float = param(dataclasses.MISSING, "km2", 0.1, 1e5, "Land area")
    urban_share: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0, "Share living in urban areas")
    internet_access_urban: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0, "Urban residents with usable internet, first year")
    internet_access_rural: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0, "Rural residents with usable internet, first year")
    literacy_urban: float = param(
        dataclasses.MISSING, "0-1", 0.0, 1.0, "Mean digital literacy of urban residents")
    literacy_rural: float = param(
        dataclasses.MISSING, "0-1", 0.0, 1.0, "Mean digital literacy of rural residents")
    urban_area_share: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0, "Share of the land area that is urban")


@dataclass(frozen=True, kw_only=True)
class Budget:
    """The capital component: size, growth, stability of the money for e-government."""

    apbd_idr: float = param(dataclasses.MISSING, "IDR/year", 0.0, 1e15, "Regional budget (APBD)")
    apbd_year: int = param(dataclasses.MISSING, "year", 2000, 2100, "Year of apbd_idr")
    apbd_growth_per_year: float = param(
        dataclasses.MISSING, "1/year", -0.5, 0.5, "Trend growth of the APBD")
    egov_share: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0, "Share of the APBD spent on the five components")
    volatility: float = param(
        dataclasses.MISSING, "log-sd/year", 0.0, 1.0, "Year-to-year noise of the e-gov budget")
    stable_source_share: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0,
        "Share of e-gov money from recurring sources (PAD, DAU); the rest is one-off grants")


@dataclass(frozen=True, kw_only=True)
class Shares:
    """How the e-government budget is split across the five spending components (sum 1)."""

    apps: float = param(dataclasses.MISSING, "share", 0.0, 1.0, "Application development")
    competency: float = param(dataclasses.MISSING, "share", 0.0, 1.0, "Competency development")
    connectivity: float = param(dataclasses.MISSING, "share", 0.0, 1.0, "Connectivity")
    regulation: float = param(dataclasses.MISSING, "share", 0.0, 1.0, "Regulation")
    interface: float = param(dataclasses.MISSING, "share", 0.0, 1.0, "Citizen interface")

    def as_dict(self) -> dict[str, float]:
        """The shares keyed by component."""
        return {c: getattr(self, c) for c in COMPONENTS}


@dataclass(frozen=True, kw_only=True)
class Apps:
    """The application portfolio at the start, and how app money is used."""

    initial_count: float = param(dataclasses.MISSING, "apps", 0.0, 5000.0, "Applications in use")
    initial_integration: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0, "Share of applications integrated")
    initial_quality: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Mean application quality")
    integration_share: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0,
        "Share of application money spent integrating rather than building new apps")


@dataclass(frozen=True, kw_only=True)
class Staff:
    """Civil servants (ASN) and their management."""

    civil_servants: int = param(dataclasses.MISSING, "persons", 1, 1e6, "Civil servants (PNS)")
    frontline_share: float = param(
        dataclasses.MISSING, "share", 0.0, 1.0, "Share working in the modelled service units")
    mean_age_years: float = param(dataclasses.MISSING, "years", 18.0, 65.0, "Mean age")
    age_sd_years: float = param(dataclasses.MISSING, "years", 0.0, 20.0, "Age spread")
    retirement_age_years: float = param(dataclasses.MISSING, "years", 40.0, 70.0, "Retirement age")
    hires_per_year_share: float = param(
        dataclasses.MISSING, "share/year", 0.0, 0.5, "Routine hires per year, share of headcount")
    hire_quality: float = param(
        dataclasses.MISSING, "0-1", 0.0, 1.0, "Mean starting skill of new hires")
    digital_skill: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Mean digital skill")
    service_skill: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Mean service skill")
    integrity: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Mean integrity")
    salary_idr_per_year: float = param(
        dataclasses.MISSING, "IDR/person/year", 0.0, 1e10,
        "Cost of one civil servant per year (belanja pegawai, outside the e-government budget)")


@dataclass(frozen=True, kw_only=True)
class Initial:
    """Component stocks (maturity 0-1) in the first simulated year."""

    competency: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Training capacity")
    connectivity: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Network and back office")
    regulation: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Rules, SOPs, standards")
    interface: float = param(dataclasses.MISSING, "0-1", 0.0, 1.0, "Counters, portals, complaints")


@dataclass(frozen=True, kw_only=True)
class Shift:
    """Move ``fraction`` of component ``source``'s share to component ``target``.

    A file writes it ``shift = { from = ..., to = ..., fraction = ... }``; only those keys are
    read (:data:`SHIFT_KEYS`), and ``source``/``target`` are internal names, not file keys.
    """

    source: str = param(dataclasses.MISSING, "component", None, None, "Component giving money")
    target: str = param(dataclasses.MISSING, "component", None, None, "Component receiving it")
    fraction: float = param(dataclasses.MISSING, "share", 0.0, 1.0, "Share of source's money moved")


@dataclass(frozen=True, kw_only=True)
class Event:
    """A dated, known event: an MPP opens, a super-app launches, a recruitment round."""

    kind: str = param(dataclasses.MISSING, "", None, None, "One of " + ", ".join(EVENT_KINDS))
    year: int = param(dataclasses.MISSING, "year", 1990, 2100, "Year")
    month: int = param(1, "month", 1, 12, "Month (1-12)")
    hires: int = param(0, "persons", 0, 1e6, "recruitment: persons hired")
    quality: float | None = param(None, "0-1", 0.0, 1.0, "recruitment: mean starting skill")
    integration_gain: float = param(
        0.0, "share", 0.0, 1.0, "superapp: share of unintegrated apps brought into one front end")
    units: tuple[str, ...] = param(
        UNIT_KEYS, "unit keys", None, None,
        "mpp_open: the units whose counters move into the MPP; recruitment: where hires go")
    services: int = param(0, "count", 0, 1e5, "Services offered (informational)")
    source: str = param("", "", None, None, "Where the event is documented")
    note: str = param("", "", None, None, "Free text")


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A change of levers in force from ``start_year`` to ``end_year`` (inclusive; open if none)."""

    name: str = param(dataclasses.MISSING, "", None, None, "Short name")
    start_year: int = param(dataclasses.MISSING, "year", 1990, 2100, "First year in force")
    end_year: int | None = param(None, "year", 1990, 2100, "Last year in force (absent: open)")
    shares: Shares | None = None
    shift: Shift | None = None
    budget_multiplier: float | None = param(
        None, "ratio", 0.0, 10.0, "E-gov budget multiplied by this while in force")
    # --- staff procurement planning ---------------------------------------------------------
    hires_per_year_share: float | None = param(
        None, "share/year", 0.0, 0.5, "Routine hires per year, share of headcount")
    hire_quality: float | None = param(None, "0-1", 0.0, 1.0, "Mean skill of applicants")
    replace_retirements: float | None = param(
        None, "share", 0.0, 1.0, "Share of each unit's retirements replaced in that unit")
    hires_per_year: float | None = param(
        None, "persons/year", 0.0, 1e5, "A fixed number of hires per year, on top of the rest")
    staff_per_10k_target: float | None = param(
        None, "staff/10,000 residents", 0.0, 1000.0,
        "Hire each unit up to this frontline staffing ratio (its staff share of it)")
    hire_units: tuple[str, ...] | None = param(
        None, "unit keys", None, None,
        "Where planned hires go (absent: every unit by its staff share)")
    hire_selection: float | None = param(
        None, "share", 0.0, 0.9,
        "Share of applicants screened out: 1 / (1 - s) applicants per post, the best 1 - s of "
        "them hired (by service skill), at a higher recruitment cost per hire")
    # --- competency development --------------------------------------------------------------
    training_digital_share: float | None = param(
        None, "share", 0.0, 1.0,
        "Share of training aimed at digital skills; the rest at service skills (absent: half)")
    training_units: tuple[str, ...] | None = param(
        None, "unit keys", None, None,
        "Units whose staff the competency money trains (absent: all units)")
    # --- citizen interface: participation and the digital divide in skill ------------------
    complaint_promotion_share: float | None = param(
        None, "share", 0.0, 1.0,
        "Share of the citizen-interface money spent promoting complaint channels")
    complaint_desk_share: float | None = param(
        None, "share", 0.0, 1.0,
        "Share of the citizen-interface money buying complaint-desk response capacity")
    literacy_course_share: float | None = param(
        None, "share", 0.0, 1.0,
        "Share of the citizen-interface money spent on residents' digital-literacy courses")
    literacy_target: str | None = param(
        None, "group", None, None,
        "Who the literacy courses are for: " + ", ".join(LITERACY_TARGETS) + " (absent: all)")
    assisted_points_share: float | None = param(
        None, "share", 0.0, 1.0,
        "Share of the citizen-interface money paying assisted-digital village agents")
    assisted_target: str | None = param(
        None, "area", None, None,
        "Where the assisted-digital agents work: " + ", ".join(AREA_TARGETS)
        + " (absent: rural)")
    # --- connectivity, applications, regulation ----------------------------------------------
    connectivity_rural_share: float | None = param(
        None, "share", 0.0, 1.0,
        "Share of the connectivity money aimed at rural and blank-spot areas (absent: the "
        "rural share of residents, money following people)")
    integration_share: float | None = param(None, "share", 0.0, 1.0, "App money to integration")
    enforcement_share: float | None = param(
        None, "share", 0.0, 1.0,
        "Share of the regulation money spent on enforcement: inspection, sanctions, Ombudsman "
        "follow-up")
    note: str = param("", "", None, None, "Rationale")

    def active(self, year: int) -> bool:
        """Whether the policy is in force in ``year``."""
        return self.start_year <= year and (self.end_year is None or year <= self.end_year)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """Everything a run needs about one region and its policies, validated."""

    name: str
    region: str
    description: str
    population: Population
    budget: Budget
    shares: Shares
    apps: Apps
    staff: Staff
    initial: Initial
    events: tuple[Event, ...] = ()
    policies: tuple[Policy, ...] = ()
    behaviour: Behaviour = dataclasses.field(default_factory=default_behaviour)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    path: str | None = None

    def to_table(self) -> dict[str, Any]:
        """The resolved scenario as plain data (for metadata and saved files)."""
        return as_table(self)


_TABLES = {"population": Population, "budget": Budget, "shares": Shares, "apps": Apps,
           "staff": Staff, "initial": Initial}
_TOP_KEYS = {"base", "scenario", *_TABLES, "event", "policy", "behaviour", "sources"}
_HEAD_KEYS = {"name", "region", "description"}


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; a missing, unreadable, empty, malformed or too deeply nested file (or
    a folder or device given as one) is a ScenarioError. A UTF-8 byte-order mark is accepted.
    """
    p = Path(path)
    if p.is_dir():
        raise ScenarioError(str(path), None, "is a folder, not a file")
    if p.exists() and not p.is_file():
        raise ScenarioError(str(path), None, "is not a regular file (a device or pipe); give a "
                                             "TOML file")
    if not p.exists():
        raise ScenarioError(str(path), None, "file not found")
    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark is dropped
    except UnicodeDecodeError as err:
        raise ScenarioError(str(path), None, f"not UTF-8 text ({err.reason} at byte "
                                             f"{err.start})") from None
    except OSError as err:
        raise ScenarioError(str(path), None, f"cannot read: {err.strerror or err}") from None
    if not text.strip():
        raise ScenarioError(str(path), None, "file is empty")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(path), None, f"TOML syntax error: {err}") from None
    except RecursionError:
        raise ScenarioError(str(path), None, f"nested more than {MAX_TOML_DEPTH} levels deep"
                            ) from None
    depth = _depth(data)
    if depth > MAX_TOML_DEPTH:
        raise ScenarioError(str(path), None, f"nested {depth} levels deep; at most "
                                             f"{MAX_TOML_DEPTH} are allowed")
    return data


def _depth(value: Any) -> int:
    """Levels of tables and arrays in ``value`` (0 for a plain value), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d + 1)
            if d + 1 <= MAX_TOML_DEPTH:  # deeper than that is refused anyway
                stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def merge_tables(base: dict[str, Any], over: dict[str, Any], *,
                 path: str | None = None) -> dict[str, Any]:
    """A what-if's tables over its base's: key by key; ``[[policy]]``/``[[event]]`` appended.

    ``path`` (the what-if's file) names the file in the error when ``policy`` or ``event`` is
    not a list of entries.
    """
    out = dict(base)
    for key, value in over.items():
        if key in ("event", "policy"):
            for source, entries in ((path, value), (None, base.get(key, []))):
                if not isinstance(entries, list):
                    raise ScenarioError(source, key, f"expected [[{key}]] entries, got "
                                                     f"{entries!r}")
            out[key] = [*base.get(key, []), *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = merge_tables(base[key], value, path=path)
        else:
            out[key] = value
    return out


def resolve_file(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read ``path`` and, if it names a ``base``, merge it over that base (recursively)."""
    data = read_toml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(str(path), "base", f"expected a file name, got {base!r}")
    base_path = (path.parent / base).resolve()
    if base_path == path.resolve() or base_path in chain:
        raise ScenarioError(str(path), "base", "scenarios name each other as base (a cycle)")
    if base_path.is_dir():
        raise ScenarioError(str(path), "base", f"{base} is a folder; name a scenario file")
    if not base_path.exists():
        raise ScenarioError(str(path), "base", f"base scenario {base} not found")
    base_data = resolve_file(base_path, (*chain, path.resolve()))
    # A fault in the base is reported against the base file, not the what-if naming it.
    scenario_from_table(base_data, str(path.parent / base))
    merged = merge_tables(base_data, data, path=str(path))
    check_own_name(data, base_data, str(path))
    return merged


def check_own_name(whatif: dict[str, Any], base: dict[str, Any], path: str | None) -> None:
    """A what-if (``whatif``, its own tables before the merge) must set ``[scenario] name``.

    Every output row is labelled by the scenario's name and a run refuses two scenarios of one
    name (:func:`model.runner.check_runs`), so a what-if carrying its base's name would be
    reported as its base, and a run of both would be refused with the error blaming the base.
    """
    head = whatif.get("scenario")
    name = head.get("name") if isinstance(head, dict) else None
    if isinstance(name, str) and name.strip():
        return
    inherited = base.get("scenario", {}).get("name")
    raise ScenarioError(path, "scenario.name",
                        "missing or not text; a what-if needs a name of its own under "
                        f"[scenario] (without one it would carry its base's, {inherited!r})")


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge with its base, and validate a scenario file."""
    p = Path(path)
    return scenario_from_table(resolve_file(p), str(path))


def _validate_shares(shares: Shares, path: str | None, where: str) -> None:
    total = sum(shares.as_dict().values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ScenarioError(path, where, f"shares sum to {total:.6g}, not 1")


def _component(name: Any, path: str | None, where: str) -> str:
    if name not in COMPONENTS:
        raise ScenarioError(path, where, f"{name!r} is not a component; use one of "
                                         + ", ".join(COMPONENTS))
    return name


def _build_event(table: Any, path: str | None, where: str) -> Event:
    event = build(Event, table, path, where)
    if event.kind not in EVENT_KINDS:
        raise ScenarioError(path, f"{where}.kind",
                            f"{event.kind!r} is not an event kind; use one of "
                            + ", ".join(EVENT_KINDS))
    if event.kind == "recruitment" and event.hires <= 0:
        raise ScenarioError(path, f"{where}.hires", "a recruitment event needs hires > 0")
    _check_units(event.units, path, f"{where}.units")
    return event


def _build_policy(table: Any, path: str | None, where: str) -> Policy:
    if not isinstance(table, dict):
        raise ScenarioError(path, where, f"expected a table, got {table!r}")
    table = dict(table)
    shares = table.pop("shares", None)
    shift = table.pop("shift", None)
    policy = build(Policy, table, path, where)
    if policy.end_year is not None and policy.end_year < policy.start_year:
        raise ScenarioError(path, f"{where}.end_year", "ends before it starts")
    if shares is not None:
        s = build(Shares, shares, path, f"{where}.shares")
        _validate_shares(s, path, f"{where}.shares")
        policy = dataclasses.replace(policy, shares=s)
    if shift is not None:
        policy = dataclasses.replace(policy, shift=_build_shift(shift, path, f"{where}.shift"))
    for name in ("hire_units", "training_units"):
        _check_units(getattr(policy, name), path, f"{where}.{name}")
    _check_choice(policy.literacy_target, LITERACY_TARGETS, path, f"{where}.literacy_target")
    _check_choice(policy.assisted_target, AREA_TARGETS, path, f"{where}.assisted_target")
    spent = sum(getattr(policy, k) or 0.0 for k in INTERFACE_PROGRAMMES)
    if spent > 1.0 + SHARE_TOLERANCE:
        names = ", ".join(INTERFACE_PROGRAMMES)
        raise ScenarioError(path, where, f"the citizen-interface programmes ({names}) take "
                                         f"{spent:.6g} of its money, more than 1")
    return policy


SHIFT_KEYS = {"from": "source", "to": "target", "fraction": "fraction"}
"""A shift's keys as a file writes them, each with the :class:`Shift` field it fills."""


def _build_shift(table: Any, path: str | None, where: str) -> Shift:
    """Check a file's ``shift = { from, to, fraction }`` by the names it uses, then build it."""
    if not isinstance(table, dict):
        raise ScenarioError(path, where, f"expected a table, got {table!r}")
    unknown = sorted(set(table) - set(SHIFT_KEYS))
    if unknown:
        raise ScenarioError(path, f"{where}.{unknown[0]}",
                            "unknown key; valid keys are: " + ", ".join(sorted(SHIFT_KEYS)))
    for key in SHIFT_KEYS:
        if key not in table:
            raise ScenarioError(path, f"{where}.{key}",
                                "missing; a shift needs from, to and fraction")
    source = _component(table["from"], path, f"{where}.from")
    target = _component(table["to"], path, f"{where}.to")
    if source == target:
        raise ScenarioError(path, where, "from and to are the same component")
    return build(Shift, {SHIFT_KEYS[k]: v for k, v in table.items()}, path, where)


INTERFACE_PROGRAMMES = ("complaint_promotion_share", "complaint_desk_share",
                        "literacy_course_share", "assisted_points_share")
"""Policy levers paid from the citizen-interface money; the rest keeps counters and portals."""


def _check_units(units: tuple[str, ...] | None, path: str | None, where: str) -> None:
    if units is None:
        return
    if not units:
        raise ScenarioError(path, where, "names no unit; use some of " + ", ".join(UNIT_KEYS))
    for key in units:
        if key not in UNIT_KEYS:
            raise ScenarioError(path, where, f"{key!r} is not a unit; use some of "
                                + ", ".join(UNIT_KEYS))


def _check_choice(value: str | None, choices: tuple[str, ...], path: str | None,
                  where: str) -> None:
    if value is not None and value not in choices:
        raise ScenarioError(path, where, f"{value!r} is not a target group; use one of "
                            + ", ".join(choices))


def scenario_from_table(data: dict[str, Any], path: str | None = None) -> Scenario:
    """Validate a scenario given as plain data (a parsed and merged TOML file, or the app's)."""
    if not isinstance(data, dict) or not data:
        raise ScenarioError(path, None, "no scenario tables found")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ScenarioError(path, unknown[0], "unknown table; valid tables are: "
                            + ", ".join(sorted(_TOP_KEYS)))
    head = data.get("scenario")
    if not isinstance(head, dict):
        raise ScenarioError(path, "scenario", "missing [scenario] table with name and region")
    for key in head:
        if key not in _HEAD_KEYS:
            raise ScenarioError(path, f"scenario.{key}",
                                "unknown key; valid keys are: " + ", ".join(sorted(_HEAD_KEYS)))
    for key in ("name", "region"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise ScenarioError(path, f"scenario.{key}", "missing or not text")
    if not isinstance(head.get("description", ""), str):
        raise ScenarioError(path, "scenario.description", "expected text")
    tables = {}
    for key, cls in _TABLES.items():
        if key not in data:
            raise ScenarioError(path, key, f"missing table [{key}]")
        tables[key] = build(cls, data[key], path, key)
    _validate_shares(tables["shares"], path, "shares")
    events = data.get("event", [])
    policies = data.get("policy", [])
    for key, value in (("event", events), ("policy", policies)):
        if not isinstance(value, list):
            raise ScenarioError(path, key, f"expected [[{key}]] entries")
    behaviour = build(Behaviour, data.get("behaviour", {}), path, "behaviour",
                      base=default_behaviour())
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise ScenarioError(path, "sources", "expected a table of field = \"source\"")
    for key, value in sources.items():
        _check_source_key(key, value, path)
    return _check_runnable(Scenario(
        name=head["name"], region=head["region"], description=head.get("description", ""),
        events=tuple(sorted((_build_event(e, path, f"event[{i}]") for i, e in enumerate(events)),
                            key=lambda e: (e.year, e.month))),
        policies=tuple(_build_policy(p, path, f"policy[{i}]") for i, p in enumerate(policies)),
        behaviour=behaviour, sources=dict(sources), path=path, **tables))


def _check_runnable(sc: Scenario) -> Scenario:
    """Checks across fields that each field's own range cannot make: the values the model
    needs to run at all (limits in :mod:`model.defaults`, with their reasons).
    """
    path = sc.path
    requests = needs_per_month(sc.population.residents, sc.behaviour.need_rate_per_year)
    if requests < MIN_REQUESTS_PER_MONTH:
        raise ScenarioError(path, "population.residents",
                            f"{sc.population.residents} residents make {requests:.3g} service "
                            f"requests a month; the model needs at least "
                            f"{MIN_REQUESTS_PER_MONTH:g}")
    frontline = sc.staff.civil_servants * sc.staff.frontline_share
    if frontline < MIN_FRONTLINE_STAFF:
        raise ScenarioError(path, "staff.frontline_share",
                            f"civil_servants x frontline_share = {frontline:.3g} frontline civil "
                            f"servants; the model needs at least {MIN_FRONTLINE_STAFF:g}")
    if sc.staff.mean_age_years >= sc.staff.retirement_age_years:
        raise ScenarioError(path, "staff.mean_age_years",
                            f"{sc.staff.mean_age_years:g} is not below retirement_age_years "
                            f"{sc.staff.retirement_age_years:g}")
    return sc


def _check_source_key(key: str, value: Any, path: str | None) -> None:
    where = f"sources.{key}"
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(path, where, "expected a non-empty source text")
    if not value.startswith(("data:", "data (derived):", "assumption:")):
        raise ScenarioError(path, where, "start the text with 'data:', 'data (derived):' or "
                                         "'assumption:'")
    table, _, name = key.partition(".")
    cls = _TABLES.get(table, Behaviour if table == "behaviour" else None)
    if cls is None or name not in {f.name for f in dataclasses.fields(cls)}:
        raise ScenarioError(path, where, "names no scenario field (use table.field)")


def shares_in_year(scenario: Scenario, year: int) -> dict[str, float]:
    """The spending split in force in ``year``: base shares, then active policies in order."""
    shares = scenario.shares.as_dict()
    for policy in scenario.policies:
        if not policy.active(year):
            continue
        if policy.shares is not None:
            shares = policy.shares.as_dict()
        if policy.shift is not None:
            shares = shift_share(shares, policy.shift.source, policy.shift.target,
                                 policy.shift.fraction)
    return shares


LEVER_DEFAULTS: dict[str, Any] = {
    "budget_multiplier": 1.0,
    "replace_retirements": 0.0,
    "hires_per_year": 0.0,
    "staff_per_10k_target": 0.0,
    "hire_units": UNIT_KEYS,
    "hire_selection": 0.0,
    "training_digital_share": 0.5,
    "training_units": UNIT_KEYS,
    "complaint_promotion_share": 0.0,
    "complaint_desk_share": 0.0,
    "literacy_course_share": 0.0,
    "literacy_target": "all",
    "assisted_points_share": 0.0,
    "assisted_target": "rural",
    "connectivity_rural_share": None,
    "enforcement_share": 0.0,
}
"""Each lever's value when no policy sets it: no planned hiring beyond routine replacements,
training split evenly, no interface programmes, connectivity money following people (None:
the rural share of residents), no separate enforcement. The routine hiring, hire quality
and integration share come from the scenario's tables."""


def lever_in_year(scenario: Scenario, name: str, year: int) -> Any:
    """A lever (a field of :class:`Policy` other than shares and shift) in force in ``year``:
    the latest active policy that sets it wins, else its default (:data:`LEVER_DEFAULTS`, or the
    scenario's own table for routine hiring, hire quality and the integration share).
    """
    defaults = {"hires_per_year_share": scenario.staff.hires_per_year_share,
                "hire_quality": scenario.staff.hire_quality,
                "integration_share": scenario.apps.integration_share}
    value = defaults[name] if name in defaults else LEVER_DEFAULTS[name]
    for policy in scenario.policies:
        v = getattr(policy, name)
        if policy.active(year) and v is not None:
            value = v
    return value


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with dotted-key overrides (``"shares.apps": 0.3``) validated.

    Shares keep summing to 1: setting one share rescales the others (see :func:`set_share`);
    keys apply in order, so a later share key rescales an earlier one (to fix several shares
    exactly, give ``"shares"`` a whole table, which sets all five at once). A policy's fields
    are addressed by its position: ``"policy.0.shares.apps"`` (rescaling that policy's other
    shares), ``"policy.0.shares"`` (a whole table) or ``"policy.0.hire_quality"``.
    Used by sweeps, calibration and the app, so all change scenarios the same way.
    """
    table = scenario.to_table()
    for key, value in overrides.items():
        head, _, name = key.partition(".")
        if head == "shares":
            table["shares"] = (set_share(table["shares"], name, value) if name
                               else _share_table(value, scenario.path, key))
            continue
        if head == "policy":
            _override_policy(table["policies"], name, value, scenario.path, key)
            continue
        if head not in (*_TABLES, "behaviour") or not name:
            raise ScenarioError(scenario.path, key, "not an overridable field (use table.field)")
        if name not in table[head]:
            raise ScenarioError(scenario.path, key, "unknown field")
        table[head][name] = value
    return _rebuild(scenario, table)


def _share_table(value: Any, path: str | None, key: str) -> dict[str, float]:
    if not isinstance(value, dict) or set(value) != set(COMPONENTS):
        raise ScenarioError(path, key, "expected a table with the shares of "
                            + ", ".join(COMPONENTS))
    return dict(value)


def _override_policy(policies: list[dict[str, Any]], name: str, value: Any,
                     path: str | None, key: str) -> None:
    """Apply ``policy.<index>.<field>`` (``name`` is ``<index>.<field>``) in place."""
    index, _, field = name.partition(".")
    if not index.isdigit() or int(index) >= len(policies) or not field:
        raise ScenarioError(path, key, f"no such policy field (the scenario has {len(policies)} "
                                       "policies; use policy.<index>.<field>)")
    policy = policies[int(index)]
    if field == "shares" or field.startswith("shares."):
        component = field.partition(".")[2]
        if not component:
            policy["shares"] = _share_table(value, path, key)
        elif policy.get("shares") is None:
            raise ScenarioError(path, key, "this policy sets no shares to change")
        else:
            policy["shares"] = set_share(policy["shares"], component, value)
    elif field in policy and field not in ("shift", "name"):
        policy[field] = value
    else:
        raise ScenarioError(path, key, "unknown or not overridable policy field")


def _rebuild(scenario: Scenario, table: dict[str, Any]) -> Scenario:
    data = {"scenario": {"name": table["name"], "region": table["region"],
                         "description": table["description"]},
            **{k: table[k] for k in _TABLES}, "behaviour": table["behaviour"],
            "sources": table["sources"],
            "event": [{k: v for k, v in e.items() if v is not None} for e in table["events"]],
            "policy": [_policy_table(p) for p in table["policies"]]}
    return scenario_from_table(data, scenario.path)


def _policy_table(p: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in p.items() if v is not None}
    if "shift" in out:
        s = out["shift"]
        out["shift"] = {key: s[field] for key, field in SHIFT_KEYS.items()}
    return out

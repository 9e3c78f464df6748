"""The app's logic without a browser: scenarios, controls, what-ifs, runs, numbers and advice.

A what-if is the baseline scenario plus one ``[[policy]]`` from a chosen start year that sets
the levers the user moved: the five spending shares (kept summing to 1 with
:func:`model.scenario.set_share`), a pairwise shift ("move X% of component A's money to B",
the policy's ``shift``), and every other lever a :class:`~model.scenario.Policy` declares
(budget size, staffing plan, training, interface programmes, connectivity, enforcement).
Controls are generated from those declarations (:func:`model.params.describe` and the
dataclass's types): a numeric lever is a slider over its declared range, a lever naming a
group, an area or units is a choice among the values the scenario module declares. Starting
values are the levers in force in the baseline at the start year, so no default is declared
here a second time.

Up to :data:`MAX_WHATIFS` what-ifs are run beside one baseline, every scenario with the same
seeds and, with a posterior (:mod:`model.posterior`), the same parameter draws, so each
what-if's paired difference from the baseline is the policy's alone.

The what-if is built exactly as the CLI would read the saved file: the saved TOML names its
``base`` and holds the ``[[policy]]``; loading it merges the two. Scenario files are read only
from the repository's ``scenarios/`` folder (:func:`list_scenarios`) or from an uploaded file
parsed as data (:func:`source_from_upload`), whose ``base`` may only name a file inside
``scenarios/``.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import math
import os
import re
import time
import tomllib
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pandas as pd

from model import advise as adv
from model import posterior as mp
from model import seeds
from model.defaults import DEFAULT_YEARS
from model.errors import ScenarioError
from model.io import data_root, dumps_toml
from model.params import describe
from model.present.marks import SCALE
from model.present.numbers import (
    INDICES,
    SPEND_COMPONENTS,
    band_table,
    label_of,
    may_be_zero,
    paired_differences,
)
from model.present.text import money, num, pct, tr
from model.rules import PEMDI_FROM_YEAR
from model.runner import run_replications
from model.scenario import (
    AREA_TARGETS,
    COMPONENTS,
    INTERFACE_PROGRAMMES,
    LITERACY_TARGETS,
    Policy,
    Scenario,
    Shares,
    Shift,
    check_own_name,
    lever_in_year,
    merge_tables,
    read_toml,
    resolve_file,
    scenario_from_table,
    shares_in_year,
)
from model.shares import normalised, set_share
from model.units import UNIT_KEYS

SCENARIOS_DIR = data_root() / "scenarios"
"""The scenario files the app offers (read when the app starts; ``egovsim app`` checks it)."""
WHATIF_DIR = SCENARIOS_DIR / "whatif"
"""Saved what-ifs are meant to live here, so their base reads ``../<region>.toml``."""

DEFAULT_POPULATION = 5_000
"""Simulated citizens in the app: small enough to answer a what-if within seconds."""
DEFAULT_REPLICATIONS = 5
"""Seeds per scenario at the calibrated point (runs; the app's answer within about 2 s)."""
DEFAULT_DRAWS = 8
"""Posterior draws K per scenario in the app (assumption: enough for a band that carries
parameter uncertainty while a what-if answers within a few seconds; ``egovsim run --posterior``
takes more)."""
DEFAULT_DRAW_REPLICATIONS = 1
"""Seeds R per posterior draw in the app: K x R = 8 runs per scenario."""
UNCERTAINTY = ("posterior", "point")
"""Where the bands' uncertainty comes from: posterior draws x seeds, or seeds at the calibrated
point (``model/calibrated.toml``)."""
DEFAULT_POSTERIOR = mp.DEFAULT_POSTERIOR
"""The posterior the app draws from by default (``model/posterior.parquet``)."""
DEFAULT_SEED = seeds.DEFAULT_SEED
DEFAULT_START_YEAR = 2025
"""The first year of the what-if when the page opens (the first year without observed data)."""
DEFAULT_COMPARISON_YEAR = DEFAULT_YEARS[1]
"""The year whose indices and Rupiah the page compares when it opens: the last simulated year
(a planner may choose the end of a five-year plan instead, 2029 say)."""
MAX_WHATIFS = 3
"""What-ifs shown side by side against one baseline (more columns no longer fit a page)."""
MAX_UPLOAD_BYTES = 1_000_000
CAP_TOLERANCE = 0.005
"""An index whose 95% quantile is within this of its scale's top (half the last of the two
decimals shown) sits at its cap: a what-if cannot raise it further."""
ADVICE_OBJECTIVE = "ipp"
"""What the advice tab improves when it opens (the objectives: :data:`model.advise.OBJECTIVES`)."""
ADVICE_SEARCH = adv.QUICK
"""How hard the advice tab searches: ``egovsim advise --quick``'s settings (a few minutes)."""
SHIFT_DEFAULT = ("apps", "competency")
"""The components a new what-if's shift control names (giving, receiving) before it is moved:
the README's worked example; a shift of fraction 0 moves nothing."""
NOT_LEVERS = ("name", "start_year", "end_year", "shares", "shift", "note")
"""Fields of :class:`Policy` that are not levers: its name, time window, the split and shift
(offered as their own controls) and its note."""
CHOICES = {"group": LITERACY_TARGETS, "area": AREA_TARGETS, "unit keys": UNIT_KEYS}
"""The values a choice lever may take, by its declared unit (:mod:`model.scenario`,
:mod:`model.units`)."""
WIDE_RANGE = 100.0
"""A numeric lever whose declared range spans more than this many of its units is typed into
a field, not slid: a slider over 0-100,000 persons a year cannot pick 200 (Jember's frontline
has about 1,600 civil servants)."""
LEVER_GROUPS = (
    ("budget", ("budget_multiplier",)),
    ("staff", ("hires_per_year_share", "hire_quality", "replace_retirements", "hires_per_year",
               "staff_per_10k_target", "hire_selection", "hire_units")),
    ("training", ("training_digital_share", "training_units")),
    ("interface", (*INTERFACE_PROGRAMMES, "literacy_target", "assisted_target")),
    ("other", ()),
)
"""Headings under which the sidebar lists the levers; a lever no group names goes to
``other`` (so a newly declared lever always gets a control)."""
_TOL = 1e-9


# --- where scenarios come from ------------------------------------------------------------------
def list_scenarios(root: Path = SCENARIOS_DIR) -> list[str]:
    """Scenario files under ``root`` as POSIX paths relative to it, region files first."""
    files = [p.relative_to(root).as_posix() for p in root.rglob("*.toml") if p.is_file()]
    return sorted(files, key=lambda f: (f.count("/"), f))


def scenario_choices(lang: str, root: Path = SCENARIOS_DIR) -> dict[str, str]:
    """The files of :func:`list_scenarios` by a human label: the region, and for a what-if
    (a file in a subfolder) the policies it adds to its region's file, in words
    (``"Kota Kediri, mulai 2025: ..."``).
    """
    from model.present.sentences import scenario_title
    tables = {name: source_from_file(name, root).scenario.to_table()
              for name in list_scenarios(root)}
    regions = {t["region"]: t for name, t in tables.items() if "/" not in name}
    out: dict[str, str] = {}
    for name, t in tables.items():
        ref = None if "/" not in name else regions.get(t["region"])
        label = scenario_title(t, ref, lang)
        out[label if label not in out else f"{label} ({name})"] = name
    return out


@dataclass(frozen=True)
class Source:
    """The scenario the what-if starts from: its validated scenario and merged TOML data.

    ``base_ref`` is the path a saved what-if uses as ``base`` (relative to ``scenarios/whatif``)
    when the scenario is a file in ``scenarios/``; None for an uploaded file, whose what-if is
    saved with all its tables. ``base`` is, for an uploaded what-if naming a ``base``, that base
    scenario: the what-if is compared with it rather than with itself.
    """

    label: str
    data: dict[str, Any]
    scenario: Scenario
    base_ref: str | None
    base: Scenario | None = None

    @property
    def baseline(self) -> Scenario:
        """What the what-if is compared with: the upload's base, else the scenario itself."""
        return self.base if self.base is not None else self.scenario


def source_from_file(name: str, root: Path = SCENARIOS_DIR) -> Source:
    """The scenario file ``name``, which must be one of :func:`list_scenarios` (no other path)."""
    if name not in list_scenarios(root):
        raise ScenarioError(name, None, "not a scenario file in scenarios/")
    path = (root / name).resolve()
    data = resolve_file(path)
    scenario = scenario_from_table(data, f"scenarios/{name}")
    ref = os.path.relpath(path, (root / WHATIF_DIR.name).resolve()).replace(os.sep, "/")
    base = read_toml(path).get("base")
    base_scenario = None
    if isinstance(base, str):  # a what-if file: compared with the scenario it names
        base_path = (path.parent / base).resolve()
        base_scenario = scenario_from_table(
            resolve_file(base_path), os.path.relpath(base_path, root.resolve().parent))
    return Source(name, data, scenario, ref, base_scenario)


def source_from_upload(content: bytes, filename: str, root: Path = SCENARIOS_DIR,
                       years: tuple[int, int] = DEFAULT_YEARS) -> Source:
    """An uploaded scenario file, parsed as data; its ``base`` may only name a file in ``root``.

    A base is looked up as from ``scenarios/whatif/`` (where what-if files live), then from
    ``scenarios/``; anything resolving outside ``root`` is refused, and so is a policy starting
    outside the simulated ``years`` (it would never act, or act from the first month).
    """
    label = Path(filename).name or "upload.toml"
    if len(content) > MAX_UPLOAD_BYTES:
        raise ScenarioError(label, None, f"file larger than {MAX_UPLOAD_BYTES} bytes")
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(label, None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(label, None, f"TOML syntax error: {err}") from None
    except RecursionError:
        raise ScenarioError(label, None, "nested too deeply") from None
    base = data.pop("base", None)
    base_scenario = None
    if base is not None:
        base_path = _base_inside(base, label, root)
        base_table = resolve_file(base_path)
        base_scenario = scenario_from_table(base_table,
                                            base_path.relative_to(root.resolve()).as_posix())
        check_own_name(data, base_table, label)  # as a what-if file read by egovsim run
        data = merge_tables(base_table, data)
    scenario = scenario_from_table(data, label)
    for i, policy in enumerate(scenario.policies):
        check_start_year(policy.start_year, years, label, f"policy.{i}.start_year")
    return Source(label, data, scenario, None, base_scenario)


def check_start_year(year: int, years: tuple[int, int], where: str | None = None,
                     field: str = "start_year") -> None:
    """Refuse a start year outside the simulated years (after the first: a policy from the
    first year would be the baseline itself).
    """
    if not years[0] < year <= years[1]:
        raise ScenarioError(where, field, f"{year} is outside the simulated years: choose "
                            f"{years[0] + 1}-{years[1]}")


def _base_inside(base: Any, label: str, root: Path) -> Path:
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(label, "base", f"expected a file name, got {base!r}")
    top = root.resolve()
    for folder in (top / WHATIF_DIR.name, top):
        candidate = (folder / base).resolve()
        if candidate.is_relative_to(top) and candidate.is_file():
            return candidate
    raise ScenarioError(label, "base", f"{base!r} is not a scenario file inside scenarios/")


# --- controls ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Control:
    """One control: the lever's key, kind, range or choices, step, unit and declared meaning.

    ``kind`` is ``"slider"`` (a number in ``[lo, hi]``), ``"number"`` (the same, typed: its
    range is wider than :data:`WIDE_RANGE`), ``"select"`` (one of ``choices``) or ``"multi"``
    (some of ``choices``, at least one).
    """

    key: str
    lo: float
    hi: float
    step: float
    unit: str
    doc: str
    integer: bool = False
    kind: str = "slider"
    choices: tuple[str, ...] = ()


def _step(lo: float, hi: float) -> float:
    return 10.0 ** math.floor(math.log10((hi - lo) / 100.0))


@functools.cache
def _policy_types() -> dict[str, Any]:
    return typing.get_type_hints(Policy)


def _kind(name: str) -> str:
    """A lever's control kind from its declared type: number, one text, or a list of texts."""
    tp = _policy_types()[name]
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    base = args[0]
    if base in (float, int):
        return "slider"
    if base is str:
        return "select"
    if typing.get_origin(base) is tuple:
        return "multi"
    raise TypeError(f"Policy.{name}: no control for a {tp}")


def lever_names() -> tuple[str, ...]:
    """Every lever of :class:`Policy`, in declaration order (its fields but :data:`NOT_LEVERS`)."""
    return tuple(f.name for f in dataclasses.fields(Policy) if f.name not in NOT_LEVERS)


def lever_group(name: str) -> str:
    """The sidebar heading of lever ``name`` (see :data:`LEVER_GROUPS`)."""
    return next((g for g, names in LEVER_GROUPS if name in names), LEVER_GROUPS[-1][0])


def _control(row: dict[str, Any], key: str, kind: str) -> Control:
    if kind == "slider":
        wide = row["hi"] - row["lo"] > WIDE_RANGE and row["unit"] != "year"
        return Control(key, float(row["lo"]), float(row["hi"]),
                       1.0 if wide else _step(row["lo"], row["hi"]), row["unit"], row["doc"],
                       kind="number" if wide else "slider")
    if row["unit"] not in CHOICES:
        raise TypeError(f"{key}: no choices declared for unit {row['unit']!r}")
    return Control(key, 0.0, 0.0, 0.0, row["unit"], row["doc"], kind=kind,
                   choices=tuple(CHOICES[row["unit"]]))


def controls(years: tuple[int, int] = DEFAULT_YEARS) -> list[Control]:
    """The what-if's controls: start year, the five shares, the shift, then every lever.

    Ranges, units, choices and meanings come from the declarations of :class:`Policy`,
    :class:`Shares` and :class:`Shift`; the start year is bounded by the simulated years.
    """
    policy = {row["name"]: row for row in describe(Policy)}
    shares = {row["name"]: row for row in describe(Shares)}
    shift = {row["name"]: row for row in describe(Shift)}
    sy = policy["start_year"]
    out = [Control("start_year", max(sy["lo"], years[0] + 1), min(sy["hi"], years[1]), 1,
                   sy["unit"], sy["doc"], integer=True)]
    out += [_control(shares[c], f"shares.{c}", "slider") for c in COMPONENTS]
    out += [Control(f"shift.{end}", 0.0, 0.0, 0.0, shift[end]["unit"], shift[end]["doc"],
                    kind="select", choices=COMPONENTS) for end in ("source", "target")]
    out.append(_control(shift["fraction"], "shift.fraction", "slider"))
    out += [_control(policy[name], name, _kind(name)) for name in lever_names()]
    return out


@functools.cache
def _controls_by_key(years: tuple[int, int] = DEFAULT_YEARS) -> dict[str, Control]:
    return {c.key: c for c in controls(years)}


@dataclass(frozen=True)
class WhatIf:
    """The levers of a what-if from ``start_year`` on: the split, the shift (giving component,
    receiving component, fraction of the giver's money moved; 0 moves nothing), and the value
    of every other lever (:func:`lever_names`).
    """

    start_year: int
    shares: dict[str, float]
    levers: dict[str, Any]
    shift: tuple[str, str, float] = (*SHIFT_DEFAULT, 0.0)

    def value(self, key: str) -> Any:
        """A control's value by its key (``"shares.apps"``, ``"shift.fraction"``, ...)."""
        if key == "start_year":
            return self.start_year
        if key.startswith("shares."):
            return self.shares[key[7:]]
        if key.startswith("shift."):
            return self.shift[("source", "target", "fraction").index(key[6:])]
        return self.levers[key]

    def with_value(self, key: str, value: Any,
                   reference: dict[str, float] | None = None) -> WhatIf:
        """A copy with one control moved.

        Moving a share rescales the other four; when those are all zero (one share was set to
        100%), they are given the remainder in the proportions of ``reference`` (the
        baseline's split), never an equal split nobody chose. Naming as the shift's giver the
        component it gives to swaps the two. The citizen-interface programmes together take at
        most all of its money: one moved beyond what the others leave is held at that.
        """
        if key == "start_year":
            return dataclasses.replace(self, start_year=int(value))
        if key.startswith("shares."):
            name = key[7:]
            rest = sum(v for c, v in self.shares.items() if c != name)
            start = reference if rest <= _TOL and reference is not None else self.shares
            return dataclasses.replace(self, shares=set_share(start, name, float(value)))
        if key.startswith("shift."):
            source, target, fraction = self.shift
            if key == "shift.fraction":
                fraction = _in_range(_controls_by_key()["shift.fraction"], value)
            elif value not in COMPONENTS:
                raise KeyError(value)
            elif key == "shift.source":
                source, target = value, (source if value == target else target)
            elif key == "shift.target":
                source, target = (target if value == source else source), value
            else:
                raise KeyError(key)
            return dataclasses.replace(self, shift=(source, target, fraction))
        if key not in self.levers:
            raise KeyError(key)
        control = _controls_by_key()[key]
        if control.kind in ("slider", "number"):
            value = _in_range(control, value)
            if key in INTERFACE_PROGRAMMES:
                others = sum(self.levers[k] for k in INTERFACE_PROGRAMMES if k != key)
                value = min(value, max(0.0, 1.0 - others))
        elif control.kind == "multi":
            chosen = set(value)
            value = tuple(u for u in control.choices if u in chosen)
            if not value:  # a plan for no unit is no plan: keep the units it had
                return self
        elif value not in control.choices:
            raise KeyError(value)
        return dataclasses.replace(self, levers={**self.levers, key: value})


def _in_range(control: Control, value: Any) -> float:
    """``value`` as a number inside the control's declared range, or a ScenarioError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(None, control.key, f"expected a number, got {value!r}")
    if not control.lo <= value <= control.hi:
        raise ScenarioError(None, control.key, f"{value:g} is outside [{control.lo:g}, "
                            f"{control.hi:g}] ({control.unit})")
    return float(value)


def in_force(scenario: Scenario, start_year: int) -> WhatIf:
    """The baseline's levers in force in ``start_year``: the what-if that changes nothing.

    Connectivity money aimed nowhere in particular follows people: its rural share is then the
    rural share of residents, as the model reads an absent ``connectivity_rural_share``.
    """
    levers = {name: lever_in_year(scenario, name, start_year) for name in lever_names()}
    if levers.get("connectivity_rural_share", 0.0) is None:
        levers["connectivity_rural_share"] = 1.0 - scenario.population.urban_share
    return WhatIf(start_year, shares_in_year(scenario, start_year), levers)


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) > _TOL
    return a != b


def policy_table(scenario: Scenario, whatif: WhatIf) -> dict[str, Any] | None:
    """The ``[[policy]]`` table setting the levers that differ from the baseline, or None."""
    ref = in_force(scenario, whatif.start_year)
    table: dict[str, Any] = {"name": f"what-if from {whatif.start_year}",
                             "start_year": whatif.start_year}
    if any(abs(whatif.shares[c] - ref.shares[c]) > _TOL for c in COMPONENTS):
        table["shares"] = {c: round(whatif.shares[c], 6) for c in COMPONENTS}
        # rounding must not break the sum: the share rounded the most takes the remainder
        worst = max(COMPONENTS, key=lambda c: abs(whatif.shares[c] - table["shares"][c]))
        table["shares"][worst] = round(
            1.0 - sum(v for c, v in table["shares"].items() if c != worst), 6)
    source, target, fraction = whatif.shift
    if fraction > _TOL:
        table["shift"] = {"from": source, "to": target, "fraction": round(fraction, 6)}
    for name in lever_names():
        mine = whatif.levers[name]
        if _differs(mine, ref.levers[name]):
            table[name] = round(mine, 6) if isinstance(mine, float) else (
                list(mine) if isinstance(mine, tuple) else mine)
    if len(table) == 2:
        return None
    table["note"] = "Saved from the egovsim app: levers moved from the baseline in force then"
    return table


def whatif_name(source: Source, whatif: WhatIf, number: int = 1) -> str:
    """A scenario name for the ``number``-th what-if (letters, digits, underscores)."""
    base = re.sub(r"[^A-Za-z0-9_]+", "_", source.scenario.name).strip("_") or "scenario"
    tag = "whatif" if number == 1 else f"whatif{number}"
    return f"{base}_{tag}_{whatif.start_year}"


def whatif_data(source: Source, whatif: WhatIf, number: int = 1) -> dict[str, Any]:
    """The what-if as the TOML data of a scenario file (``base`` + ``[scenario]`` + policy)."""
    head = {"name": whatif_name(source, whatif, number), "region": source.scenario.region,
            "description": f"{source.scenario.name} with the levers set in the egovsim app "
                           f"from {whatif.start_year}"}
    policy = policy_table(source.scenario, whatif)
    overlay: dict[str, Any] = {"scenario": head}
    if policy is not None:
        overlay["policy"] = [policy]
    if source.base_ref is not None:
        return {"base": source.base_ref, **overlay}
    return merge_tables(source.data, overlay)


def whatif_scenario(source: Source, whatif: WhatIf, number: int = 1) -> Scenario:
    """The validated what-if scenario, merged exactly as loading the saved file would."""
    data = whatif_data(source, whatif, number)
    if "base" in data:
        data = merge_tables(source.data, {k: v for k, v in data.items() if k != "base"})
    return scenario_from_table(data, f"{whatif_name(source, whatif, number)}.toml")


# --- the page's address -------------------------------------------------------------------------
def _query_value(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def state_query(lang: str, name: str | None, whatif: WhatIf,
                reference: WhatIf | None = None,
                more: Sequence[tuple[WhatIf, WhatIf | None]] = ()) -> str:
    """The page's state as a query string: language, scenario file, and each what-if's start
    year and levers (those that differ from its ``reference``, the baseline in force, when it
    is given; all otherwise). The shares are given all five or none. The first what-if's keys
    are plain; those of ``more`` (what-if 2, 3: pairs of what-if and reference) are prefixed
    ``w2.``, ``w3.``.
    """
    items: dict[str, Any] = {"lang": lang}
    if name is not None:
        items["region"] = name
    for n, (wi, ref) in enumerate(((whatif, reference), *more), start=1):
        items.update(_whatif_items(wi, ref, "" if n == 1 else f"w{n}."))
    return urlencode(items)


def _whatif_items(whatif: WhatIf, reference: WhatIf | None, prefix: str) -> dict[str, str]:
    """One what-if's entries of :func:`state_query`, their keys prefixed by ``prefix``."""
    items = {f"{prefix}start_year": str(whatif.start_year)}
    moved_split = reference is None or any(
        abs(whatif.shares[c] - reference.shares[c]) > _TOL for c in COMPONENTS)
    for c in controls():
        if c.key == "start_year" or (c.key.startswith("shares.") and not moved_split):
            continue
        value = whatif.value(c.key)
        if (reference is not None and not c.key.startswith("shares.")
                and not _differs(value, reference.value(c.key))):
            continue
        items[prefix + c.key] = _query_value(value)
    return items


@dataclass(frozen=True)
class PageState:
    """State read from the page's address; ``errors`` name each refused parameter. ``more``
    holds what-ifs 2 and 3 as (start year or None, levers).
    """

    lang: str | None
    region: str | None
    start_year: int | None
    levers: dict[str, Any]
    errors: tuple[str, ...]
    more: tuple[tuple[int | None, dict[str, Any]], ...] = ()


def _parse_lever(c: Control, text: str) -> Any:
    """A control's value from its text in the address, or a ValueError saying why not."""
    if c.kind == "select":
        if text not in c.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(c.choices)}")
        return text
    if c.kind == "multi":
        units = tuple(u for u in text.split(",") if u)
        bad = [u for u in units if u not in c.choices]
        if bad or not units:
            raise ValueError(f"{text!r}: give some of {', '.join(c.choices)}")
        return units
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not (math.isfinite(x) and c.lo <= x <= c.hi):
        raise ValueError(f"{text} is outside [{c.lo:g}, {c.hi:g}]")
    return x


def parse_state(search: str | None, langs: tuple[str, ...],
                years: tuple[int, int] = DEFAULT_YEARS) -> PageState:
    """The state in a query string; a value out of range or unknown is refused with a message
    naming the parameter (and the rest still applies).
    """
    query = parse_qs(search or "", keep_blank_values=True)
    value = {k: v[-1] for k, v in query.items()}
    errors: list[str] = []
    lang = value.get("lang")
    if lang is not None and lang not in langs:
        errors.append(f"address: lang: {lang!r} is not one of {', '.join(langs)}")
        lang = None
    region = value.get("region")
    if region is not None and region not in list_scenarios():
        errors.append(f"address: region: {region!r} is not a scenario file in scenarios/")
        region = None
    start, levers = _parse_whatif(value, years, "", errors)
    # what-ifs 2..N for the highest N named by a key (one with none of its own is the default)
    named = [n for n in range(2, MAX_WHATIFS + 1)
             if any(k.startswith(f"w{n}.") for k in value)]
    more = tuple(_parse_whatif(value, years, f"w{n}.", errors)
                 for n in range(2, max(named, default=1) + 1))
    return PageState(lang, region, start, levers, tuple(errors), more)


def _parse_whatif(value: dict[str, str], years: tuple[int, int], prefix: str,
                  errors: list[str]) -> tuple[int | None, dict[str, Any]]:
    """One what-if's start year and levers from the address's ``prefix``-ed keys; each refused
    value is added to ``errors`` (named as in the address) and left out.
    """
    start = None
    key = f"{prefix}start_year"
    if key in value:
        try:
            start = int(value[key])
            check_start_year(start, years, "address", key)
        except ScenarioError as err:  # (a ValueError too: caught first)
            errors.append(str(err))
            start = None
        except ValueError:
            errors.append(f"address: {key}: {value[key]!r} is not a year")
            start = None
    levers: dict[str, Any] = {}
    for c in controls(years):
        if c.key == "start_year" or prefix + c.key not in value:
            continue
        try:
            levers[c.key] = _parse_lever(c, value[prefix + c.key])
        except ValueError as err:
            errors.append(f"address: {prefix}{c.key}: {err}")
    shares = {k: v for k, v in levers.items() if k.startswith("shares.")}
    if shares and (len(shares) != len(COMPONENTS) or abs(sum(shares.values()) - 1.0) > 1e-3):
        errors.append(f"address: {prefix}shares: give all five, summing to 1")
        levers = {k: v for k, v in levers.items() if not k.startswith("shares.")}
    return start, levers


def apply_levers(whatif: WhatIf, levers: dict[str, Any]) -> WhatIf:
    """``whatif`` with the levers of :func:`parse_state` set (the five shares at once)."""
    shares = {k[7:]: v for k, v in levers.items() if k.startswith("shares.")}
    if shares:
        whatif = dataclasses.replace(whatif, shares=normalised({c: shares[c] for c in COMPONENTS}))
    for key, v in levers.items():
        if not key.startswith("shares."):
            whatif = whatif.with_value(key, v)
    return whatif


# --- TOML out ---------------------------------------------------------------------------------
def to_toml(data: dict[str, Any], header: str = "") -> str:
    """Scenario data as TOML (the project's one writer, :func:`model.io.dumps_toml`)."""
    return dumps_toml(data, header)


def whatif_toml(source: Source, whatif: WhatIf, number: int = 1) -> str:
    """The what-if as a scenario file ``egovsim run`` can read from ``scenarios/whatif/``."""
    header = (f"What-if of {source.scenario.name} ({source.scenario.region}) from "
              f"{whatif.start_year}, saved by the egovsim app.\n"
              "Put this file in scenarios/whatif/ and run: egovsim run <this file>")
    text = to_toml(whatif_data(source, whatif, number), header)
    tomllib.loads(text)  # never offer a file that does not parse
    return text


# --- running ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """How the runs are made: where their uncertainty comes from, how many and how big.

    ``uncertainty="posterior"`` draws ``draws`` parameter vectors from the file ``posterior``
    and runs each with ``replications`` seeds; ``"point"`` runs ``replications`` seeds at the
    calibrated point. ``replications=None`` is the default of the uncertainty chosen
    (:data:`DEFAULT_DRAW_REPLICATIONS` per draw, :data:`DEFAULT_REPLICATIONS` at the point).
    """

    replications: int | None = None
    seed: int = DEFAULT_SEED
    years: tuple[int, int] = DEFAULT_YEARS
    population: int | None = DEFAULT_POPULATION
    uncertainty: str = UNCERTAINTY[0]
    draws: int = DEFAULT_DRAWS
    posterior: Path = DEFAULT_POSTERIOR

    def __post_init__(self) -> None:
        if self.uncertainty not in UNCERTAINTY:
            raise ScenarioError(None, "uncertainty", f"{self.uncertainty!r}; use one of "
                                + ", ".join(UNCERTAINTY))


@dataclass(frozen=True, eq=False)
class Plan:
    """What the runs of :class:`Settings` are: the posterior and its draws (None: the point),
    seeds per draw or per scenario, and ``fallback`` when a posterior was asked for but its
    file does not exist.
    """

    posterior: mp.Posterior | None
    draws: pd.DataFrame | None
    replications: int
    fallback: bool

    @property
    def runs(self) -> int:
        """Runs per scenario."""
        return self.replications * (1 if self.draws is None else len(self.draws))


_POSTERIORS: dict[tuple[str, float], mp.Posterior] = {}


def plan(settings: Settings) -> Plan:
    """The runs ``settings`` ask for. A missing posterior file falls back to the point (the
    page says so); a damaged one is an error (:func:`model.posterior.load_posterior`).
    """
    if not plan_draws(settings):
        reps = settings.replications or DEFAULT_REPLICATIONS
        return Plan(None, None, reps, fallback=settings.uncertainty != "point")
    path = Path(settings.posterior)
    key = (str(path.resolve()), path.stat().st_mtime)
    if key not in _POSTERIORS:
        _POSTERIORS.clear()
        _POSTERIORS[key] = mp.load_posterior(path)
    posterior = _POSTERIORS[key]
    draws = mp.draw_parameters(posterior, settings.draws, settings.seed)
    return Plan(posterior, draws, settings.replications or DEFAULT_DRAW_REPLICATIONS, False)


def plan_draws(settings: Settings) -> bool:
    """Whether ``settings`` run posterior draws (the point was not chosen, and the file exists)."""
    return settings.uncertainty == "posterior" and Path(settings.posterior).is_file()


@dataclass(frozen=True, eq=False)
class Comparison:
    """The baseline and up to three what-ifs, run with the same seeds (and draws), in one
    annual table; ``changed[i]`` says whether what-if ``i`` moves any lever.
    """

    annual: pd.DataFrame
    baseline: str
    whatifs: tuple[str, ...]
    settings: Settings
    changed: tuple[bool, ...]
    seconds: float
    plan: Plan

    @property
    def last_year(self) -> int:
        """The last simulated year."""
        return int(self.annual["year"].max())


_CACHE: dict[str, pd.DataFrame] = {}
_CACHE_SIZE = 8


def _runs(scenario: Scenario, settings: Settings, runs: Plan,
          on_run: Callable[[], None] | None) -> pd.DataFrame:
    """Every run of one scenario (cached: the baseline is re-used across what-ifs)."""
    drawn = None if runs.draws is None else runs.draws.to_dict("records")
    key = json.dumps([scenario.to_table(), dataclasses.astuple(settings), drawn,
                      runs.replications], sort_keys=True, default=str)
    if key in _CACHE:
        if on_run:
            for _ in range(runs.runs):
                on_run()
        return _CACHE[key]
    done = (lambda i, _: on_run()) if on_run else None
    if runs.posterior is None:
        annual = run_replications([scenario], runs.replications, settings.seed,
                                  years=settings.years, population=settings.population,
                                  workers=1, on_done=done)
    else:
        annual = mp.run_ensemble([scenario], runs.draws, runs.replications, settings.seed,
                                 years=settings.years, population=settings.population,
                                 config=runs.posterior.config, on_done=done)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = annual
    return annual


def _changes(baseline: Scenario, whatif: Scenario) -> bool:
    return whatif.policies != baseline.policies or whatif.to_table() != {
        **baseline.to_table(), "name": whatif.name, "description": whatif.description,
        "path": whatif.path}


def run_whatifs(baseline: Scenario, whatifs: Sequence[Scenario],
                settings: Settings = Settings(),
                on_progress: Callable[[float], None] | None = None) -> Comparison:
    """Run the baseline and each what-if with the same seeds and draws; time it.

    ``on_progress(fraction)`` is called after each run. A what-if that changes nothing is not
    simulated again: with common random numbers its runs equal the baseline's.
    """
    if not 1 <= len(whatifs) <= MAX_WHATIFS:
        raise ScenarioError(None, "what-ifs", f"give 1 to {MAX_WHATIFS}, not {len(whatifs)}")
    started = time.perf_counter()
    runs = plan(settings)
    total = (1 + len(whatifs)) * runs.runs
    done = [0]

    def tick() -> None:
        done[0] += 1
        if on_progress:
            on_progress(min(1.0, done[0] / total))

    base = _runs(baseline, settings, runs, tick)
    parts, changed = [base], []
    for whatif in whatifs:
        changed.append(_changes(baseline, whatif))
        if changed[-1]:
            parts.append(_runs(whatif, settings, runs, tick).assign(scenario=whatif.name))
        else:
            parts.append(base.assign(scenario=whatif.name))
            for _ in range(runs.runs):
                tick()
    annual = pd.concat(parts, ignore_index=True)
    return Comparison(annual, baseline.name, tuple(w.name for w in whatifs), settings,
                      tuple(changed), time.perf_counter() - started, runs)


def run_whatif(baseline: Scenario, whatif: Scenario, settings: Settings = Settings(),
               on_progress: Callable[[float], None] | None = None) -> Comparison:
    """:func:`run_whatifs` with one what-if (the benchmarks time the app's answer with it)."""
    return run_whatifs(baseline, [whatif], settings, on_progress)


# --- numbers ------------------------------------------------------------------------------------
def comparison_years(cmp: Comparison) -> list[int]:
    """The years a comparison can be read in: after the first simulated year."""
    years = sorted(int(y) for y in cmp.annual["year"].unique())
    return years[1:] or years


def shown_indices(annual: pd.DataFrame, year: int) -> tuple[str, ...]:
    """The indices compared in ``year``: SPBE, Pemdi from its first round (where the run scores
    it), IPP and IKM.
    """
    at = annual[annual["year"] == year]
    pemdi = (year >= PEMDI_FROM_YEAR and "pemdi" in at.columns and at["pemdi"].notna().any())
    return tuple(i for i in ("spbe", "pemdi", "ipp", "ikm") if i in INDICES or
                 (i == "pemdi" and pemdi))


def headline(cmp: Comparison, year: int | None = None) -> pd.DataFrame:
    """One row per what-if and index in ``year`` (default: the last): baseline and what-if
    mean, 90% band and official label; the paired difference (:func:`paired_differences`,
    the report's) with its 90% interval and P(positive); ``could_be_zero`` when the interval
    spans 0 and ``at_cap`` when the baseline's or the what-if's band reaches the index's top.
    """
    year = int(year or cmp.last_year)
    indices = shown_indices(cmp.annual, year)
    diff = paired_differences(cmp.annual, indices, cmp.baseline)
    rows = []
    for name in cmp.whatifs:
        for index in indices:
            bands = band_table(cmp.annual, index)
            b = bands[(bands["scenario"] == cmp.baseline) & (bands["year"] == year)].iloc[0]
            w = bands[(bands["scenario"] == name) & (bands["year"] == year)].iloc[0]
            d = diff[(diff["scenario"] == name) & (diff["index"] == index)
                     & (diff["year"] == year)].iloc[0]
            top = SCALE[index][1]
            rows.append({
                "scenario": name, "index": index, "year": year, "baseline": b["mean"],
                "baseline_lo": b["lo"], "baseline_hi": b["hi"],
                "baseline_label": label_of(index, b["mean"]), "whatif": w["mean"],
                "whatif_lo": w["lo"], "whatif_hi": w["hi"],
                "whatif_label": label_of(index, w["mean"]), "diff": d["mean"],
                "diff_lo": d["lo90"], "diff_hi": d["hi90"], "p_positive": d["p_positive"],
                "could_be_zero": may_be_zero(d), "cap": top,
                "at_cap": max(b["hi"], w["hi"]) >= top - CAP_TOLERANCE})
    return pd.DataFrame(rows)


def difference_text(row: pd.Series | dict, lang: str) -> str:
    """A paired difference as the page writes it: mean, [90% interval], P(positive), and
    "could be zero" exactly when the interval spans 0.
    """
    text = (f"{num(row['diff'], lang, sign=True)} [{num(row['diff_lo'], lang, sign=True)}; "
            f"{num(row['diff_hi'], lang, sign=True)}], "
            + tr(lang, "ui.p_positive", p=pct(row["p_positive"], lang)))
    if may_be_zero({"lo90": row["diff_lo"], "hi90": row["diff_hi"]}):
        text += ", " + tr(lang, "ui.could_be_zero")
    return text


RUPIAH_COLUMNS = (*(f"spend_{c}_idr" for c in SPEND_COMPONENTS), "budget_egov_idr",
                  "staff_cost_idr")
"""The money the Rupiah view shows: each component's spending, the e-government budget, and
the staff's salaries (belanja pegawai, outside that budget)."""


def rupiah_table(cmp: Comparison, year: int | None = None) -> pd.DataFrame:
    """The Rupiah of :data:`RUPIAH_COLUMNS` in ``year``: one row per column, one column per
    scenario (baseline first), means over runs (IDR/year).
    """
    year = int(year or cmp.last_year)
    at = cmp.annual[cmp.annual["year"] == year]
    means = at.groupby("scenario")[list(RUPIAH_COLUMNS)].mean()
    order = [cmp.baseline, *cmp.whatifs]
    out = means.loc[order].T
    out.index.name = "column"
    return out.reset_index()


def rupiah_text(value: float, base: float, lang: str) -> str:
    """A what-if's Rupiah with its difference from the baseline's (none if equal)."""
    text = money(value, lang)
    if abs(value - base) >= 0.5:  # (less than half a Rupiah: the same money)
        text += f" ({money(value - base, lang, sign=True)})"
    return text


def cli_argv(source: Source, whatifs: Sequence[WhatIf], settings: Settings) -> list[str]:
    """The ``egovsim run`` arguments that repeat the app's runs once the what-ifs are saved
    (drawing from the app's posterior file, named when it is not ``model/posterior.parquet``).
    """
    runs = plan(settings)
    base = f"scenarios/{source.label}" if source.base_ref is not None else source.label
    files = [f"scenarios/whatif/{whatif_name(source, wi, i + 1)}.toml"
             for i, wi in enumerate(whatifs)]
    argv = ["run", base, *files, "--replications", str(runs.replications),
            "--seed", str(settings.seed), "--years", f"{settings.years[0]}:{settings.years[1]}",
            "--population", "full" if settings.population is None else str(settings.population)]
    if runs.draws is not None:
        argv += ["--posterior", str(len(runs.draws))]
        own = Path(settings.posterior).resolve()  # absolute: the command works from any folder
        if own != mp.DEFAULT_POSTERIOR.resolve():
            argv += ["--posterior-file", str(own)]
    return argv


def results_metadata(cmp: Comparison, scenarios: list[Scenario],
                     argv: list[str] | None = None) -> dict[str, Any]:
    """A metadata dict shaped like ``egovsim run``'s, so the report reads the app's runs too."""
    from model.io import code_version
    from model.runner import replication_seeds
    s = cmp.settings
    reps = cmp.plan.replications
    out = {"command": "app", "argv": argv or [], "master_seed": s.seed,
           "replications": reps, "replication_seeds": replication_seeds(s.seed, reps),
           "years": list(s.years),
           "population": "full" if s.population is None else s.population,
           "scenarios": [sc.to_table() for sc in scenarios], "code": code_version(),
           "elapsed_seconds": round(cmp.seconds, 3)}
    if cmp.plan.draws is not None:
        out["posterior"] = {"path": str(cmp.plan.posterior.path), "draws": len(cmp.plan.draws),
                            "hypotheses": cmp.plan.posterior.hypotheses(),
                            "drawn": cmp.plan.draws.to_dict("records")}
    return out


# --- advice -------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AdviceResult:
    """A finished advice search and what it was asked."""

    advice: adv.Advice
    context: Any  # model.advice_text.Context
    seconds: float


def advice_from_year(year: int) -> int:
    """The first year of an advised split: :data:`model.advise.DEFAULT_FROM_YEAR` (the first
    budget not yet enacted), or ``year`` itself when that is earlier.
    """
    return min(adv.DEFAULT_FROM_YEAR, year)


def run_advice(scenario: Scenario, year: int, objective: str, settings: Settings = Settings(),
               search: adv.SearchSettings | None = None,
               on_progress: Callable[[float], None] | None = None) -> AdviceResult:
    """The search of ``egovsim advise`` (default :data:`ADVICE_SEARCH`, its quick settings)
    for ``scenario`` and ``year``, in the posterior of ``settings`` (the point if its file
    does not exist or the point was chosen); ``on_progress(fraction)`` after each run.
    """
    from model.advice_text import Context
    search = ADVICE_SEARCH if search is None else search
    started = time.perf_counter()
    from_year = advice_from_year(year)
    adv.check_years(year, from_year)
    adv.check_objective(objective, year)
    metrics = adv.metrics_for(scenario, year)
    adv.objective_metric(objective, metrics)
    posterior = plan(settings).posterior
    worlds = adv.worlds_for(scenario, posterior, search, settings.seed, year=year)
    total = (search.candidates + 1) * len(worlds)
    done = [0]

    def tick(i: int, _: Any) -> None:
        done[0] += 1
        if on_progress:
            on_progress(min(1.0, done[0] / total))

    evaluate = adv.simulation_evaluator(worlds, metrics, from_year, on_done=tick)
    advice = adv.search(evaluate, metrics, objective,
                        status_quo=adv.status_quo_split(scenario, from_year), settings=search,
                        master_seed=settings.seed)
    ctx = Context(scenario=scenario.name, region=scenario.region, year=year,
                  from_year=from_year, worlds=len(worlds),
                  draws=search.draws if posterior is not None else None,
                  replications=search.replications, population=search.population)
    return AdviceResult(advice, ctx, time.perf_counter() - started)


def pareto_table(advice: adv.Advice) -> pd.DataFrame:
    """The Pareto front: shares in percent, each metric's mean and robust value, and whether a
    row is the recommended split or the one in force now; the recommended first.
    """
    front = advice.pareto
    cols = {f"share_{c}": c for c in COMPONENTS}
    out = pd.DataFrame({c: 100.0 * front[f"share_{c}"] for c in cols.values()})
    for m in advice.metrics:
        out[f"{m.name}_mean"] = front[f"{m.name}_mean"]
        out[f"{m.name}_{m.robust}"] = front[f"{m.name}_{m.robust}"]
    out["recommended"] = front["recommended"]
    out["status_quo"] = front["status_quo"]
    return out.sort_values(["recommended", "status_quo"], ascending=False).reset_index(drop=True)


def advice_html(advice: AdviceResult, lang: str) -> str:
    """The sentences of :func:`model.advice_text.advice_markdown` as HTML, every text escaped
    (scenario and region names come from files): headings, paragraphs, bullets, tables and
    inline code only; the line naming the CLI's output files is left out (the page has none).
    """
    from model.advice_text import T, advice_markdown
    md = advice_markdown(advice.advice, advice.context, lang)
    out: list[str] = []
    table: list[list[str]] = []
    bullets: list[str] = []

    def inline(text: str) -> str:
        parts = text.split("`")
        return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p)
                       for i, p in enumerate(parts))

    def flush() -> None:
        if table:
            head, *body = [r for r in table if not set("".join(r)) <= set("- ")]
            rows = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>"
                           for r in body)
            out.append('<table class="egov-table"><tr>' + "".join(
                f"<th>{inline(c)}</th>" for c in head) + f"</tr>{rows}</table>")
            table.clear()
        if bullets:
            out.append("<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>")
            bullets.clear()

    for line in md.splitlines():
        s = line.strip()
        if s.startswith("|"):
            table.append([c.strip() for c in s.strip("|").split("|")])
            continue
        if s.startswith("- "):
            bullets.append(inline(s[2:]))
            continue
        flush()
        if not s or s == T[lang]["files"]:
            continue
        level = len(s) - len(s.lstrip("#"))
        if level:
            tag = f"h{min(level + 2, 6)}"
            out.append(f"<{tag}>{inline(s[level:].strip())}</{tag}>")
        else:
            out.append(f"<p>{inline(s)}</p>")
    flush()
    return "".join(out)

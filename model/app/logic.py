"""The app's logic without a browser: scenarios, controls, the what-if policy, runs and bands.

A what-if is the baseline scenario plus one ``[[policy]]`` from a chosen start year that sets
the levers the user moved: the budget size (``budget_multiplier``, the capital component), the
five spending shares (kept summing to 1 with :func:`model.scenario.set_share`), and staff
recruitment (``hires_per_year_share``, ``hire_quality``). Controls are generated from the
parameter declarations (:func:`model.params.describe`) and their starting values are the levers
in force in the baseline at the start year, so no default is declared here a second time.

The what-if is built exactly as the CLI would read the saved file: the saved TOML names its
``base`` and holds the ``[[policy]]``; loading it merges the two. Scenario files are read only
from the repository's ``scenarios/`` folder (:func:`list_scenarios`) or from an uploaded file
parsed as data (:func:`source_from_upload`), whose ``base`` may only name a file inside
``scenarios/``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pandas as pd

from model import seeds
from model.defaults import DEFAULT_YEARS
from model.errors import ScenarioError
from model.io import data_root, dumps_toml
from model.params import describe
from model.present.numbers import INDICES, band_table, label_of, paired_differences
from model.runner import run_replications
from model.scenario import (
    COMPONENTS,
    Policy,
    Scenario,
    Shares,
    lever_in_year,
    merge_tables,
    read_toml,
    resolve_file,
    scenario_from_table,
    shares_in_year,
)
from model.shares import normalised, set_share

SCENARIOS_DIR = data_root() / "scenarios"
"""The scenario files the app offers (read when the app starts; ``egovsim app`` checks it)."""
WHATIF_DIR = SCENARIOS_DIR / "whatif"
"""Saved what-ifs are meant to live here, so their base reads ``../<region>.toml``."""

DEFAULT_POPULATION = 5_000
"""Simulated citizens in the app: small enough to answer a what-if within 2 s."""
DEFAULT_REPLICATIONS = 5
DEFAULT_SEED = seeds.DEFAULT_SEED
DEFAULT_START_YEAR = 2025
"""The first year of the what-if when the page opens (the first year without observed data)."""
MAX_UPLOAD_BYTES = 1_000_000
LEVERS = ("budget_multiplier", "hires_per_year_share", "hire_quality")
"""Scalar policy levers offered besides the shares."""
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
        base_scenario = scenario_from_table(resolve_file(base_path),
                                            base_path.relative_to(root.resolve()).as_posix())
        data = merge_tables(resolve_file(base_path), data)
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
    """One slider: the lever's key, range, step, unit and declared meaning."""

    key: str
    lo: float
    hi: float
    step: float
    unit: str
    doc: str
    integer: bool = False


def _step(lo: float, hi: float) -> float:
    return 10.0 ** math.floor(math.log10((hi - lo) / 100.0))


def controls(years: tuple[int, int] = DEFAULT_YEARS) -> list[Control]:
    """The what-if's sliders: start year, budget multiplier, five shares, hires, hire quality.

    Ranges, units and meanings come from the declarations of :class:`~model.scenario.Policy`
    and :class:`~model.scenario.Shares`; the start year is bounded by the simulated years.
    """
    policy = {row["name"]: row for row in describe(Policy)}
    shares = {row["name"]: row for row in describe(Shares)}
    sy = policy["start_year"]
    out = [Control("start_year", max(sy["lo"], years[0] + 1), min(sy["hi"], years[1]), 1,
                   sy["unit"], sy["doc"], integer=True)]
    for key in (LEVERS[0], *(f"shares.{c}" for c in COMPONENTS), *LEVERS[1:]):
        row = shares[key[7:]] if key.startswith("shares.") else policy[key]
        out.append(Control(key, float(row["lo"]), float(row["hi"]),
                           _step(row["lo"], row["hi"]), row["unit"], row["doc"]))
    return out


@dataclass(frozen=True)
class WhatIf:
    """The levers of a what-if from ``start_year`` on."""

    start_year: int
    shares: dict[str, float]
    budget_multiplier: float
    hires_per_year_share: float
    hire_quality: float

    def value(self, key: str) -> float:
        """A control's value by its key (``"shares.apps"``, ``"hire_quality"``, ...)."""
        if key.startswith("shares."):
            return self.shares[key[7:]]
        return getattr(self, key)

    def with_value(self, key: str, value: float,
                   reference: dict[str, float] | None = None) -> WhatIf:
        """A copy with one control moved; moving a share rescales the other four.

        When the other four are all zero (one share was set to 100%), they are given the
        remainder in the proportions of ``reference`` (the baseline's split), never an equal
        split nobody chose.
        """
        if key == "start_year":
            return dataclasses.replace(self, start_year=int(value))
        if key.startswith("shares."):
            name = key[7:]
            rest = sum(v for c, v in self.shares.items() if c != name)
            start = reference if rest <= _TOL and reference is not None else self.shares
            return dataclasses.replace(self, shares=set_share(start, name, float(value)))
        if key not in LEVERS:
            raise KeyError(key)
        return dataclasses.replace(self, **{key: float(value)})


def in_force(scenario: Scenario, start_year: int) -> WhatIf:
    """The baseline's levers in force in ``start_year``: the what-if that changes nothing."""
    return WhatIf(start_year, shares_in_year(scenario, start_year),
                  *(lever_in_year(scenario, name, start_year) for name in LEVERS))


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
    for name in LEVERS:
        if abs(getattr(whatif, name) - getattr(ref, name)) > _TOL:
            table[name] = round(getattr(whatif, name), 6)
    if len(table) == 2:
        return None
    table["note"] = "Saved from the egovsim app: levers moved from the baseline in force then"
    return table


def whatif_name(source: Source, whatif: WhatIf) -> str:
    """A scenario name for the what-if (letters, digits, underscores)."""
    base = re.sub(r"[^A-Za-z0-9_]+", "_", source.scenario.name).strip("_") or "scenario"
    return f"{base}_whatif_{whatif.start_year}"


def whatif_data(source: Source, whatif: WhatIf) -> dict[str, Any]:
    """The what-if as the TOML data of a scenario file (``base`` + ``[scenario]`` + policy)."""
    head = {"name": whatif_name(source, whatif), "region": source.scenario.region,
            "description": f"{source.scenario.name} with the levers set in the egovsim app "
                           f"from {whatif.start_year}"}
    policy = policy_table(source.scenario, whatif)
    overlay: dict[str, Any] = {"scenario": head}
    if policy is not None:
        overlay["policy"] = [policy]
    if source.base_ref is not None:
        return {"base": source.base_ref, **overlay}
    return merge_tables(source.data, overlay)


def whatif_scenario(source: Source, whatif: WhatIf) -> Scenario:
    """The validated what-if scenario, merged exactly as loading the saved file would."""
    data = whatif_data(source, whatif)
    if "base" in data:
        data = merge_tables(source.data, {k: v for k, v in data.items() if k != "base"})
    return scenario_from_table(data, f"{whatif_name(source, whatif)}.toml")


# --- the page's address -------------------------------------------------------------------------
def state_query(lang: str, name: str | None, whatif: WhatIf) -> str:
    """The page's state as a query string: language, scenario file, start year and levers."""
    items: dict[str, Any] = {"lang": lang}
    if name is not None:
        items["region"] = name
    items["start_year"] = whatif.start_year
    for c in controls():
        if c.key != "start_year":
            items[c.key] = f"{whatif.value(c.key):.6g}"
    return urlencode(items)


@dataclass(frozen=True)
class PageState:
    """State read from the page's address; ``errors`` name each refused parameter."""

    lang: str | None
    region: str | None
    start_year: int | None
    levers: dict[str, float]
    errors: tuple[str, ...]


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
    start = None
    if "start_year" in value:
        try:
            start = int(value["start_year"])
            check_start_year(start, years, "address")
        except ScenarioError as err:  # (a ValueError too: caught first)
            errors.append(str(err))
            start = None
        except ValueError:
            errors.append(f"address: start_year: {value['start_year']!r} is not a year")
            start = None
    levers: dict[str, float] = {}
    for c in controls(years):
        if c.key == "start_year" or c.key not in value:
            continue
        try:
            x = float(value[c.key])
        except ValueError:
            errors.append(f"address: {c.key}: {value[c.key]!r} is not a number")
            continue
        if not (math.isfinite(x) and c.lo <= x <= c.hi):
            errors.append(f"address: {c.key}: {value[c.key]} is outside [{c.lo:g}, {c.hi:g}]")
            continue
        levers[c.key] = x
    shares = {k: v for k, v in levers.items() if k.startswith("shares.")}
    if shares and (len(shares) != len(COMPONENTS) or abs(sum(shares.values()) - 1.0) > 1e-3):
        errors.append("address: shares: give all five, summing to 1")
        levers = {k: v for k, v in levers.items() if not k.startswith("shares.")}
    return PageState(lang, region, start, levers, tuple(errors))


def apply_levers(whatif: WhatIf, levers: dict[str, float]) -> WhatIf:
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


def whatif_toml(source: Source, whatif: WhatIf) -> str:
    """The what-if as a scenario file ``egovsim run`` can read from ``scenarios/whatif/``."""
    header = (f"What-if of {source.scenario.name} ({source.scenario.region}) from "
              f"{whatif.start_year}, saved by the egovsim app.\n"
              "Put this file in scenarios/whatif/ and run: egovsim run <this file>")
    text = to_toml(whatif_data(source, whatif), header)
    tomllib.loads(text)  # never offer a file that does not parse
    return text


# --- running ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """How many runs and how big: replications, master seed, years, simulated citizens."""

    replications: int = DEFAULT_REPLICATIONS
    seed: int = DEFAULT_SEED
    years: tuple[int, int] = DEFAULT_YEARS
    population: int | None = DEFAULT_POPULATION


@dataclass(frozen=True, eq=False)
class Comparison:
    """Baseline and what-if runs (same replication seeds) in one annual table."""

    annual: pd.DataFrame
    baseline: str
    whatif: str
    settings: Settings
    changed: bool
    seconds: float


_CACHE: dict[str, pd.DataFrame] = {}
_CACHE_SIZE = 8


def _runs(scenario: Scenario, settings: Settings,
          on_run: Callable[[], None] | None) -> pd.DataFrame:
    """All replications of one scenario (cached: the baseline is re-used across what-ifs)."""
    key = json.dumps([scenario.to_table(), dataclasses.astuple(settings)], sort_keys=True,
                     default=str)
    if key in _CACHE:
        if on_run:
            for _ in range(settings.replications):
                on_run()
        return _CACHE[key]
    annual = run_replications([scenario], settings.replications, settings.seed,
                              years=settings.years, population=settings.population, workers=1,
                              on_done=(lambda i, _: on_run()) if on_run else None)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = annual
    return annual


def run_whatif(baseline: Scenario, whatif: Scenario, settings: Settings = Settings(),
               on_progress: Callable[[float], None] | None = None) -> Comparison:
    """Run the baseline and the what-if with the same replication seeds; time it.

    ``on_progress(fraction)`` is called after each run. A what-if that changes nothing is not
    simulated twice: with common random numbers its runs equal the baseline's.
    """
    started = time.perf_counter()
    total = 2 * settings.replications
    done = [0]

    def tick() -> None:
        done[0] += 1
        if on_progress:
            on_progress(min(1.0, done[0] / total))

    base = _runs(baseline, settings, tick)
    changed = whatif.policies != baseline.policies or whatif.to_table() != {
        **baseline.to_table(), "name": whatif.name, "description": whatif.description,
        "path": whatif.path}
    if changed:
        other = _runs(whatif, settings, tick)
    else:
        other = base.assign(scenario=whatif.name)
        for _ in range(settings.replications):
            tick()
    annual = pd.concat([base, other], ignore_index=True)
    return Comparison(annual, baseline.name, whatif.name, settings, changed,
                      time.perf_counter() - started)


# --- numbers ------------------------------------------------------------------------------------
def headline(cmp: Comparison, year: int | None = None) -> pd.DataFrame:
    """One row per index in ``year`` (default: the last): baseline and what-if mean, band,
    official label, and the paired difference with its band.
    """
    year = year or int(cmp.annual["year"].max())
    diff = paired_differences(cmp.annual, INDICES, cmp.baseline)
    rows = []
    for index in INDICES:
        bands = band_table(cmp.annual, index)
        b = bands[(bands["scenario"] == cmp.baseline) & (bands["year"] == year)].iloc[0]
        w = bands[(bands["scenario"] == cmp.whatif) & (bands["year"] == year)].iloc[0]
        d = diff[(diff["index"] == index) & (diff["year"] == year)].iloc[0]
        rows.append({"index": index, "year": year, "baseline": b["mean"], "baseline_lo": b["lo"],
                     "baseline_hi": b["hi"], "baseline_label": label_of(index, b["mean"]),
                     "whatif": w["mean"], "whatif_lo": w["lo"], "whatif_hi": w["hi"],
                     "whatif_label": label_of(index, w["mean"]), "diff": d["mean"],
                     "diff_lo": d["lo90"], "diff_hi": d["hi90"]})
    return pd.DataFrame(rows)


def cli_argv(source: Source, whatif: WhatIf, settings: Settings) -> list[str]:
    """The ``egovsim run`` arguments that repeat the app's runs once the what-if is saved."""
    base = f"scenarios/{source.label}" if source.base_ref is not None else source.label
    return ["run", base, f"scenarios/whatif/{whatif_name(source, whatif)}.toml",
            "--replications", str(settings.replications), "--seed", str(settings.seed),
            "--years", f"{settings.years[0]}:{settings.years[1]}",
            "--population", "full" if settings.population is None else str(settings.population)]


def results_metadata(cmp: Comparison, scenarios: list[Scenario],
                     argv: list[str] | None = None) -> dict[str, Any]:
    """A metadata dict shaped like ``egovsim run``'s, so the report reads the app's runs too."""
    from model.io import code_version
    from model.runner import replication_seeds
    s = cmp.settings
    return {"command": "app", "argv": argv or [], "master_seed": s.seed,
            "replications": s.replications,
            "replication_seeds": replication_seeds(s.seed, s.replications),
            "years": list(s.years),
            "population": "full" if s.population is None else s.population,
            "scenarios": [sc.to_table() for sc in scenarios], "code": code_version(),
            "elapsed_seconds": round(cmp.seconds, 3)}

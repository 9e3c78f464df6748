"""The calibration file (``experiments/calibration.toml``): settings, regions, priors and
competing hypotheses.

Each ``[[parameter]]`` names a scenario field (``key``, as understood by
:func:`model.with_overrides`), the region it belongs to (absent: a shared behavioural
parameter, the same in both regions), its prior family and bounds, and the reason for them.

Each ``[[hypothesis]]`` is one model structure competing in ABC model selection: a ``name``,
its ``reasoning``, the ``[[parameter]]`` names it estimates (``estimate``; default: every
parameter it does not fix) and ``fixed = { "behaviour.<field>" = value }``, the mechanisms it
switches off at neutral values, with ``fixed_reason``. Every parameter is either estimated or
fixed in each hypothesis; naming a behaviour field the model lacks is an error. A file without
``[[hypothesis]]`` is one model that estimates every parameter.

A region's scenario keeps its own ``[behaviour]`` table during calibration (the base of every
simulated scenario is the declared defaults overlaid with it); a scenario may not set a field
that the calibration estimates or fixes.

Everything is validated here, once; errors are :class:`~model.errors.ScenarioError`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.behaviour import Behaviour
from model.calibration.targets import build_targets
from model.defaults import YEAR_RANGE
from model.errors import ScenarioError
from model.params import meta_of
from model.runner import check_run
from model.scenario import (
    COMPONENTS,
    Scenario,
    load_scenario,
    read_toml,
    resolve_file,
    with_overrides,
)
from model.seeds import DEFAULT_SEED, check_seed

PRIOR_FAMILIES = ("uniform", "loguniform")
MIN_FREE_SHARE = 0.05
"""Share of a split left to the components that are not estimated (at least)."""

_SETTINGS = {"seed": int, "population": int, "years": list, "population_size": int,
             "max_generations": int, "min_epsilon": float, "min_acceptance_rate": float,
             "max_walltime_minutes": float, "predictive_draws": int, "predictive_years": list,
             "de_maxiter": int, "de_popsize": int, "point_replications": int,
             "point_population": int, "repeats": int, "min_effective_sample_size": int,
             "final_walltime_minutes": float, "refine_candidates": int,
             "refine_replications": int, "refine_maxiter": int, "refine_popsize": int}
_AT_LEAST_ONE = ("population", "population_size", "max_generations", "point_replications",
                 "point_population", "predictive_draws", "repeats", "de_maxiter", "de_popsize",
                 "refine_candidates", "refine_replications", "refine_popsize")
_ABOVE_ZERO = ("max_walltime_minutes",)
"""Settings that must be above 0 (a model selection with no time finishes no generation)."""
_RUNS = (("population", "years"), ("point_population", "predictive_years"))
"""(population, years) of the runs a calibration makes: the estimation's and the
predictive runs' (``population`` over ``predictive_years``) and the point check's."""
_NEED_RATE = "behaviour.need_rate_per_year"
SINGLE_MODEL = "model"
"""Name of the one hypothesis of a calibration file without ``[[hypothesis]]`` tables."""
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")


@dataclass(frozen=True)
class Settings:
    """How the calibration runs (a ``[settings]`` table; ``[quick]`` overrides it)."""

    seed: int = DEFAULT_SEED
    population: int = 5000
    years: tuple[int, int] = (2018, 2023)
    population_size: int = 200
    max_generations: int = 12
    min_epsilon: float = 0.0
    min_acceptance_rate: float = 0.01
    max_walltime_minutes: float = 25.0
    predictive_draws: int = 100
    predictive_years: tuple[int, int] = (2018, 2030)
    de_maxiter: int = 30
    de_popsize: int = 8
    point_replications: int = 20
    point_population: int = 20_000
    repeats: int = 3
    """Independent ABC-SMC runs (seeds ``run_seed(seed, r)``) sharing the walltime; their
    spread is the uncertainty of the model probabilities."""
    min_effective_sample_size: int = 100
    """Particles (effective) each retained hypothesis' posterior sample reaches through its
    own final generation (:mod:`model.calibration.final`); 0 skips that generation."""
    final_walltime_minutes: float = 4.0
    """Walltime the hypotheses' final generations share, after the repeats' own."""
    refine_candidates: int = 8
    """Particles of the chosen hypothesis (smallest ABC distance) whose replication means are
    compared for the default point's start (:mod:`model.calibration.refine`)."""
    refine_replications: int = 6
    """Replications (common seeds) behind each distance of the default point's search."""
    refine_maxiter: int = 12
    """Generations of each region's differential evolution for the default point; 0 keeps
    the start."""
    refine_popsize: int = 6
    """Population of that search, per estimated quantity of the region (SciPy's popsize)."""


@dataclass(frozen=True)
class ParameterSpec:
    """One estimated parameter: where it goes, its prior and why."""

    name: str
    key: str
    region: str | None
    prior: str
    lo: float
    hi: float
    reason: str

    def share_group(self) -> tuple[str, str] | None:
        """(region, split) if this parameter is one share of a component split, else None."""
        parts = self.key.split(".")
        if parts[0] == "shares" and len(parts) == 2:
            return (self.region or "", "shares")
        if parts[0] == "policy" and len(parts) == 4 and parts[2] == "shares":
            return (self.region or "", ".".join(parts[:3]))
        return None


@dataclass(frozen=True)
class Hypothesis:
    """One competing model structure: what it estimates, what it fixes, and why."""

    name: str
    reasoning: str
    estimate: tuple[str, ...]
    """Names of the ``[[parameter]]`` entries it estimates (file order)."""
    fixed: dict[str, float]
    """``behaviour.<field>`` -> the value it is held at."""
    fixed_reason: str = ""


@dataclass(frozen=True)
class CalibrationConfig:
    """A validated calibration file."""

    path: str
    settings: Settings
    regions: dict[str, Scenario]
    parameters: tuple[ParameterSpec, ...]
    hypotheses: tuple[Hypothesis, ...]
    region_behaviour: dict[str, dict[str, Any]]
    """Each region's own ``[behaviour]`` table (kept in every simulated scenario)."""

    def hypothesis(self, name: str) -> Hypothesis:
        """The hypothesis called ``name``."""
        for h in self.hypotheses:
            if h.name == name:
                return h
        raise KeyError(name)

    def estimated(self, hypothesis: Hypothesis) -> tuple[ParameterSpec, ...]:
        """The parameters ``hypothesis`` estimates, in file order."""
        return tuple(p for p in self.parameters if p.name in hypothesis.estimate)

    @property
    def names(self) -> list[str]:
        """Parameter names in file order."""
        return [p.name for p in self.parameters]

    def spec(self, name: str) -> ParameterSpec:
        """The parameter called ``name``."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)


def _settings(table: Any, path: str, where: str, base: Settings) -> Settings:
    if not isinstance(table, dict):
        raise ScenarioError(path, where, "expected a table")
    values = {}
    for key, value in table.items():
        if key not in _SETTINGS:
            raise ScenarioError(path, f"{where}.{key}", "unknown key; valid keys are: "
                                + ", ".join(sorted(_SETTINGS)))
        tp = _SETTINGS[key]
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, tp) or isinstance(value, bool):
            raise ScenarioError(path, f"{where}.{key}", f"expected {tp.__name__}, got {value!r}")
        if tp is float and not math.isfinite(value):
            raise ScenarioError(path, f"{where}.{key}", f"{value!r} is not a finite number")
        if key == "seed":
            try:
                check_seed(value)
            except ValueError as err:
                raise ScenarioError(path, f"{where}.{key}", str(err)) from None
        if tp is list:
            if (len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                           for v in value)
                    or not YEAR_RANGE[0] <= value[0] <= value[1] <= YEAR_RANGE[1]):
                raise ScenarioError(path, f"{where}.{key}", "expected [first_year, last_year] "
                                    f"within {YEAR_RANGE[0]}-{YEAR_RANGE[1]}, got {value!r}")
            value = (value[0], value[1])
        elif value < 0 or key in _AT_LEAST_ONE and value < 1:
            raise ScenarioError(path, f"{where}.{key}", f"{value!r} is out of range")
        elif key in _ABOVE_ZERO and value == 0:
            raise ScenarioError(path, f"{where}.{key}", "0 leaves no time to finish a "
                                "generation; give it minutes above 0")
        elif key == "min_acceptance_rate" and not 0 < value <= 1:
            raise ScenarioError(path, f"{where}.{key}", f"{value!r} is out of range (0, 1]: "
                                "it caps the simulations of a generation, which the walltime "
                                "needs to end one")
        values[key] = value
    settings = dataclasses.replace(base, **values)
    (first, last), (p_first, p_last) = settings.years, settings.predictive_years
    if not p_first <= first <= last <= p_last:
        # the fit and point-check tables read the predictive runs at every fitted observation
        if "predictive_years" in values:
            raise ScenarioError(path, f"{where}.predictive_years", f"{p_first}-{p_last} does "
                                f"not cover the fitted years {first}-{last}: start it in "
                                f"{first} or before and end it in {last} or after")
        raise ScenarioError(path, f"{where}.years", f"{first}-{last} is not within "
                            f"predictive_years {p_first}-{p_last}, the years the fit is "
                            "checked on; widen predictive_years to cover it")
    return settings


def _lowest_need_rate(region: str, hypotheses: tuple[Hypothesis, ...],
                      specs: tuple[ParameterSpec, ...],
                      region_behaviour: dict[str, dict[str, Any]]) -> tuple[float, str]:
    """The lowest need rate a simulation of ``region`` can have, and where it comes from
    (the fewer needs, the more simulated citizens a run needs).
    """
    field = _NEED_RATE.partition(".")[2]
    own = region_behaviour[region]
    lowest = (float(own.get(field, getattr(Behaviour(), field))), "")
    for h in hypotheses:
        options = [(p.lo, f"the lower end of parameter {p.name}'s prior")
                   for p in specs if p.key == _NEED_RATE and p.name in h.estimate]
        if _NEED_RATE in h.fixed:
            options.append((h.fixed[_NEED_RATE], f"hypothesis {h.name}'s fixed value"))
        lowest = min([lowest, *options], key=lambda o: o[0])
    return lowest


def _check_runs(settings: Settings, table: dict[str, Any], path: str, where: str,
                regions: dict[str, Scenario], hypotheses: tuple[Hypothesis, ...],
                specs: tuple[ParameterSpec, ...],
                region_behaviour: dict[str, dict[str, Any]]) -> None:
    """Refuse settings whose runs the model cannot do (:func:`model.runner.check_run`, at
    the lowest need rate the calibration can simulate) or whose fitted years hold no
    observation of the regions. ``table`` is the ``where`` table (its keys are blamed; the
    others come from ``[settings]`` or the defaults).
    """
    def field(key: str) -> str:
        return f"{where}.{key}" if key in table else f"settings.{key}"

    for name, scenario in regions.items():
        rate, origin = _lowest_need_rate(name, hypotheses, specs, region_behaviour)
        lowest = with_overrides(scenario, {_NEED_RATE: rate})
        for pop_key, years_key in _RUNS:
            try:
                check_run(lowest, years=getattr(settings, years_key),
                          population=getattr(settings, pop_key), where=field(pop_key))
            except ScenarioError as err:
                at = f" (at {_NEED_RATE} = {rate:g}, {origin})" if origin else ""
                raise ScenarioError(path, field(pop_key), f"{err.message}{at}") from None
    first, last = settings.years
    observed = {k: v.region for k, v in regions.items()}
    if not any(t.region != "national" for t in build_targets(observed, settings.years)):
        seen = sorted({t.year for t in build_targets(observed, YEAR_RANGE)
                       if t.region != "national"})
        span = f"observed in {seen[0]}-{seen[-1]}" if seen else "never observed"
        raise ScenarioError(path, field("years"), f"{first}-{last} holds no observed index of "
                            f"{', '.join(regions)} ({span}): there is nothing to fit")


def _check_target(key: str, region: str | None, scenario: Scenario | None, path: str,
                  where: str) -> tuple[float, float] | None:
    """Check that ``key`` can be overridden; return the declared range of a behaviour field."""
    head, _, field = key.partition(".")
    if head == "behaviour":
        if region is not None:
            raise ScenarioError(path, f"{where}.region", "behaviour parameters are shared; "
                                "remove region")
        try:
            meta = meta_of(Behaviour, field)
        except KeyError:
            raise ScenarioError(path, f"{where}.key", f"{field!r} is not a behaviour "
                                "parameter") from None
        return (meta.lo, meta.hi) if meta else None
    if region is None or scenario is None:
        raise ScenarioError(path, f"{where}.region", "a regional parameter needs region = one "
                            "of the [regions]")
    parts = key.split(".")
    if parts[-1] in COMPONENTS and (head == "shares" or parts[:1] == ["policy"]):
        probe = 0.1  # a share: any feasible value will do
    else:
        try:
            probe = _current(scenario, key)
        except (KeyError, IndexError, TypeError):
            raise ScenarioError(path, f"{where}.key", f"{key!r} names no field of region "
                                f"{region}") from None
    with_overrides(scenario, {key: probe})
    return None


def _current(scenario: Scenario, key: str) -> Any:
    table: Any = scenario.to_table()
    for part in key.split("."):
        if part == "policy":
            table = table["policies"]
        elif isinstance(table, list):
            table = table[int(part)]
        else:
            table = table[part]
    if not isinstance(table, int | float):
        raise TypeError(key)
    return table


def _parameter(table: Any, i: int, regions: dict[str, Scenario], path: str) -> ParameterSpec:
    where = f"parameter[{i}]"
    if not isinstance(table, dict):
        raise ScenarioError(path, where, "expected a table")
    allowed = {"key", "region", "prior", "lo", "hi", "reason", "name"}
    for key in table:
        if key not in allowed:
            raise ScenarioError(path, f"{where}.{key}", "unknown key; valid keys are: "
                                + ", ".join(sorted(allowed)))
    for key in ("key", "prior", "lo", "hi", "reason"):
        if key not in table:
            raise ScenarioError(path, f"{where}.{key}", "missing (required)")
    key, prior, reason = table["key"], table["prior"], table["reason"]
    region = table.get("region")
    if not isinstance(key, str) or not isinstance(reason, str) or not reason.strip():
        raise ScenarioError(path, where, "key and reason must be text (a reason is required)")
    if region is not None and region not in regions:
        raise ScenarioError(path, f"{where}.region", f"{region!r} is not one of the regions: "
                            + ", ".join(regions))
    if prior not in PRIOR_FAMILIES:
        raise ScenarioError(path, f"{where}.prior", f"{prior!r}; use one of "
                            + ", ".join(PRIOR_FAMILIES))
    lo, hi = table["lo"], table["hi"]
    for name, v in (("lo", lo), ("hi", hi)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ScenarioError(path, f"{where}.{name}", f"expected a number, got {v!r}")
    if not lo < hi:
        raise ScenarioError(path, f"{where}.hi", "must be above lo")
    if prior == "loguniform" and lo <= 0:
        raise ScenarioError(path, f"{where}.lo", "a log-uniform prior needs lo > 0")
    declared = _check_target(key, region, regions.get(region) if region else None, path, where)
    if declared is not None:
        dlo, dhi = declared
        if dlo is not None and lo < dlo or dhi is not None and hi > dhi:
            raise ScenarioError(path, f"{where}.lo", f"prior [{lo:g}, {hi:g}] leaves the "
                                f"declared range [{dlo:g}, {dhi:g}] of {key}")
    name = table.get("name") or (f"{region}.{key}" if region else key.partition(".")[2])
    return ParameterSpec(name=name, key=key, region=region, prior=prior, lo=float(lo),
                         hi=float(hi), reason=reason.strip())


def _fixed_value(key: Any, value: Any, path: str, where: str) -> float:
    head, _, field = str(key).partition(".")
    if head != "behaviour" or not field:
        raise ScenarioError(path, where, "only behaviour fields can be fixed "
                            "(\"behaviour.<field>\" = value)")
    try:
        meta = meta_of(Behaviour, field)
    except KeyError:
        raise ScenarioError(path, where, f"{field!r} is not a behaviour parameter of this "
                            "model") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(path, where, f"expected a number, got {value!r}")
    if meta and (meta.lo is not None and value < meta.lo or meta.hi is not None
                 and value > meta.hi):
        raise ScenarioError(path, where, f"{value!r} leaves the declared range "
                            f"[{meta.lo:g}, {meta.hi:g}]")
    return float(value)


def _hypothesis(table: Any, i: int, specs: tuple[ParameterSpec, ...], path: str) -> Hypothesis:
    where = f"hypothesis[{i}]"
    if not isinstance(table, dict):
        raise ScenarioError(path, where, "expected a table")
    allowed = {"name", "reasoning", "estimate", "fixed", "fixed_reason"}
    for key in table:
        if key not in allowed:
            raise ScenarioError(path, f"{where}.{key}", "unknown key; valid keys are: "
                                + ", ".join(sorted(allowed)))
    name, reasoning = table.get("name"), table.get("reasoning")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ScenarioError(path, f"{where}.name", "expected a name of letters, digits, _ or - "
                            "(it names an output folder)")
    if not isinstance(reasoning, str) or not reasoning.strip():
        raise ScenarioError(path, f"{where}.reasoning", "missing (required)")
    fixed_table = table.get("fixed", {})
    if not isinstance(fixed_table, dict):
        raise ScenarioError(path, f"{where}.fixed", "expected a table of \"behaviour.<field>\" "
                            "= value")
    fixed = {str(k): _fixed_value(k, v, path, f"{where}.fixed.{k}")
             for k, v in fixed_table.items()}
    fixed_reason = table.get("fixed_reason", "")
    if fixed and (not isinstance(fixed_reason, str) or not fixed_reason.strip()):
        raise ScenarioError(path, f"{where}.fixed_reason", "missing: say why the fixed "
                            "values are neutral")
    by_name = {p.name: p for p in specs}
    estimate = table.get("estimate")
    if estimate is None:
        names = tuple(p.name for p in specs if p.key not in fixed)
    else:
        if not isinstance(estimate, list) or not all(isinstance(n, str) for n in estimate):
            raise ScenarioError(path, f"{where}.estimate", "expected a list of parameter names")
        for n in estimate:
            if n not in by_name:
                raise ScenarioError(path, f"{where}.estimate", f"{n!r} is not a [[parameter]] "
                                    "name")
            if by_name[n].key in fixed:
                raise ScenarioError(path, f"{where}.estimate", f"{n!r} is also fixed")
        names = tuple(p.name for p in specs if p.name in estimate)
        loose = [p.name for p in specs if p.name not in names and p.key not in fixed]
        if loose:
            raise ScenarioError(path, f"{where}.estimate", f"parameter {loose[0]!r} is neither "
                                "estimated nor fixed")
    if not names:
        raise ScenarioError(path, f"{where}.estimate", "estimates no parameter")
    return Hypothesis(name=name, reasoning=reasoning.strip(), estimate=names, fixed=fixed,
                      fixed_reason=str(fixed_reason).strip())


def _hypotheses(tables: Any, specs: tuple[ParameterSpec, ...],
                path: str) -> tuple[Hypothesis, ...]:
    if tables is None:
        return (Hypothesis(name=SINGLE_MODEL, reasoning="every [[parameter]] estimated, one "
                           "model", estimate=tuple(p.name for p in specs), fixed={}),)
    if not isinstance(tables, list) or not tables:
        raise ScenarioError(path, "hypothesis", "expected [[hypothesis]] entries")
    out = tuple(_hypothesis(t, i, specs, path) for i, t in enumerate(tables))
    names = [h.name for h in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScenarioError(path, "hypothesis", f"hypothesis {dup[0]!r} appears twice")
    return out


def _region_behaviour(file: Path, name: str, touched: set[str], path: str) -> dict[str, Any]:
    """A region scenario's own ``[behaviour]`` table (not the loader's committed defaults)."""
    table = dict(resolve_file(file.resolve()).get("behaviour", {}))
    clash = sorted(f"behaviour.{k}" for k in table if f"behaviour.{k}" in touched)
    if clash:
        raise ScenarioError(path, f"regions.{name}", f"its scenario sets {clash[0]}, which the "
                            "calibration estimates or fixes; remove it from one of them")
    return table


def load_config(path: str | Path, quick: bool = False) -> CalibrationConfig:
    """Read and validate a calibration file; ``quick`` applies its ``[quick]`` table."""
    p = str(path)
    data = read_toml(path)
    allowed = {"settings", "quick", "regions", "parameter", "hypothesis"}
    for key in data:
        if key not in allowed:
            raise ScenarioError(p, key, "unknown table; valid tables are: "
                                + ", ".join(sorted(allowed)))
    tables = {"settings": data.get("settings", {}), "quick": data.get("quick", {})}
    full_settings = _settings(tables["settings"], p, "settings", Settings())
    quick_settings = _settings(tables["quick"], p, "quick", full_settings)
    regions_table = data.get("regions")
    if not isinstance(regions_table, dict) or not regions_table:
        raise ScenarioError(p, "regions", "missing [regions] table of name = \"scenario.toml\"")
    regions = {}
    for name, file in regions_table.items():
        if not isinstance(file, str):
            raise ScenarioError(p, f"regions.{name}", "expected a scenario file name")
        regions[name] = load_scenario(Path(path).parent / file)
    params = data.get("parameter")
    if not isinstance(params, list) or not params:
        raise ScenarioError(p, "parameter", "no [[parameter]] entries")
    specs = tuple(_parameter(t, i, regions, p) for i, t in enumerate(params))
    names = [s.name for s in specs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ScenarioError(p, "parameter", f"parameter {sorted(dup)[0]!r} appears twice")
    groups: dict[tuple[str, str], float] = {}
    for s in specs:
        g = s.share_group()
        if g is not None:
            groups[g] = groups.get(g, 0.0) + s.lo
    for (region, split), low in groups.items():
        if low > 1.0 - MIN_FREE_SHARE:
            raise ScenarioError(p, "parameter", f"{region} {split}: the lower bounds of the "
                                "estimated shares leave no room for the others")
    hypotheses = _hypotheses(data.get("hypothesis"), specs, p)
    touched = {s.key for s in specs if s.region is None} | {
        k for h in hypotheses for k in h.fixed}
    region_behaviour = {name: _region_behaviour(Path(path).parent / file, name, touched, p)
                        for name, file in regions_table.items()}
    for where, s in (("settings", full_settings), ("quick", quick_settings)):
        _check_runs(s, tables[where], p, where, regions, hypotheses, specs, region_behaviour)
    settings = quick_settings if quick else full_settings
    return CalibrationConfig(path=p, settings=settings, regions=regions, parameters=specs,
                             hypotheses=hypotheses, region_behaviour=region_behaviour)

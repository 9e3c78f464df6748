"""Experiment files: a base scenario, factors, a design, replications, outcomes, validated.

An experiment is a TOML file (see ``docs/experiments.md``)::

    [experiment]
    name = "quick_sweep"
    base = "../scenarios/kediri.toml"     # relative to the experiment file
    replications = 2
    master_seed = 20240101
    years = [2018, 2030]
    population = 1000                      # or "full"

    [design]
    method = "full_factorial"              # latin_hypercube | sobol | morris

    [[factor]]
    name = "shares.apps"                   # any scenario field, dotted
    range = [0.2, 0.6]                     # or values = [...], or distribution = {...}
    levels = 3                             # full factorial over a range

    [outcomes]
    ipp_2030 = { column = "ipp", year = 2030 }

Everything is checked here, once, before anything runs or is written: unknown keys, wrong types,
empty or reversed ranges, factor values the base scenario rejects (a share outside [0, 1], a
budget share outside its declared range), a missing base file, outcomes naming no output
column or years outside the horizon. Errors are :class:`~model.errors.ScenarioError` naming the
experiment file and the field.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from model.defaults import (
    DEFAULT_POPULATION,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    MAX_REPLICATIONS,
    MAX_RUNS,
    YEAR_RANGE,
)
from model.errors import ScenarioError
from model.experiments.outcomes import STANDARD_OUTCOMES, Outcome, outcome_from_table
from model.params import build
from model.runner import check_run
from model.scenario import (
    COMPONENTS,
    SHARE_TOLERANCE,
    Scenario,
    Shares,
    load_scenario,
    read_toml,
    with_overrides,
)
from model.shares import from_weights

METHODS = ("full_factorial", "latin_hypercube", "sobol", "morris")
SEED_SCHEMES = ("per_run", "common")
DISTRIBUTIONS = {"uniform": ("lo", "hi"), "normal": ("mean", "sd"),
                 "truncnormal": ("mean", "sd", "lo", "hi"), "triangular": ("lo", "mode", "hi"),
                 "lognormal": ("median", "sigma")}
"""Distribution kind -> its required parameters (all numbers)."""

_TOP_KEYS = {"experiment", "design", "factor", "outcomes"}
_EXPERIMENT_KEYS = {"name", "description", "base", "replications", "master_seed", "years",
                    "population", "seeds"}
_DESIGN_KEYS = {"method", "samples", "levels", "second_order", "bootstrap", "confidence"}
_FACTOR_KEYS = {"name", "range", "values", "distribution", "levels", "doc"}
_TAIL = 1e-6  # quantiles checked against the field's declared range for unbounded laws


@dataclass(frozen=True)
class Factor:
    """One varied scenario field: a uniform range, a list of values, or a distribution."""

    name: str
    lo: float | None = None
    hi: float | None = None
    values: tuple[float, ...] | None = None
    distribution: tuple[tuple[str, Any], ...] | None = None
    levels: int | None = None

    @property
    def kind(self) -> str:
        """``range``, ``values`` or ``distribution``."""
        if self.values is not None:
            return "values"
        if self.distribution is not None:
            return "distribution"
        return "range"

    def _law(self) -> Any:
        d = dict(self.distribution or ())
        kind = d["kind"]
        if kind == "uniform":
            return stats.uniform(d["lo"], d["hi"] - d["lo"])
        if kind == "normal":
            return stats.norm(d["mean"], d["sd"])
        if kind == "truncnormal":
            a, b = (d["lo"] - d["mean"]) / d["sd"], (d["hi"] - d["mean"]) / d["sd"]
            return stats.truncnorm(a, b, loc=d["mean"], scale=d["sd"])
        if kind == "triangular":
            width = d["hi"] - d["lo"]
            return stats.triang((d["mode"] - d["lo"]) / width, loc=d["lo"], scale=width)
        return stats.lognorm(d["sigma"], scale=d["median"])  # lognormal

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map points ``u`` of [0, 1] to factor values (inverse CDF; values: equal bins)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return np.asarray(self.values, dtype=float)[idx]
        if self.distribution is not None:
            return self._law().ppf(np.clip(u, _TAIL, 1.0 - _TAIL))
        return self.lo + u * (self.hi - self.lo)

    def grid(self) -> np.ndarray:
        """Levels of a full factorial: the values, an even grid over the range, or quantiles."""
        if self.values is not None:
            return np.asarray(self.values, dtype=float)
        assert self.levels is not None
        if self.distribution is not None:
            return self.ppf((np.arange(self.levels) + 0.5) / self.levels)
        return np.linspace(self.lo, self.hi, self.levels)

    def support(self) -> tuple[float, float]:
        """The smallest and largest value the factor can take."""
        return float(self.ppf(np.array(0.0))), float(self.ppf(np.array(1.0)))


@dataclass(frozen=True)
class Design:
    """How design points are chosen, with the options of each method."""

    method: str
    samples: int | None = None       # LHS points, Sobol base sample N, Morris trajectories
    levels: int = 4                  # Morris grid levels
    second_order: bool = False       # Sobol second-order indices (more runs)
    bootstrap: int = 1000            # resamples for confidence intervals
    confidence: float = 0.95


@dataclass(frozen=True)
class Experiment:
    """A validated experiment."""

    name: str
    base: Scenario
    design: Design
    factors: tuple[Factor, ...]
    outcomes: tuple[Outcome, ...] = STANDARD_OUTCOMES
    replications: int = 1
    master_seed: int = DEFAULT_SEED
    years: tuple[int, int] = DEFAULT_YEARS
    population: int | None = DEFAULT_POPULATION
    seeds: str = "per_run"
    description: str = ""
    path: str | None = None
    base_path: str | None = None

    @property
    def factor_names(self) -> list[str]:
        """Factor names in file order (the columns of the design)."""
        return [f.name for f in self.factors]

    def to_table(self) -> dict[str, Any]:
        """The experiment as plain data (for the manifest), base scenario excluded."""
        return {
            "name": self.name, "description": self.description, "path": self.path,
            "base_path": self.base_path, "replications": self.replications,
            "master_seed": self.master_seed, "years": list(self.years),
            "population": "full" if self.population is None else self.population,
            "seeds": self.seeds, "design": dataclasses.asdict(self.design),
            "factors": [_factor_table(f) for f in self.factors],
            "outcomes": [dataclasses.asdict(o) for o in self.outcomes],
        }


def _factor_table(f: Factor) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "kind": f.kind}
    if f.kind == "range":
        out["range"] = [f.lo, f.hi]
    elif f.kind == "values":
        out["values"] = list(f.values or ())
    else:
        out["distribution"] = dict(f.distribution or ())
    if f.levels is not None:
        out["levels"] = f.levels
    return out


# --- applying factor values to the base scenario -------------------------------------------
def _field_type(name: str) -> Any:
    head, _, leaf = name.partition(".")
    table_cls = typing.get_type_hints(Scenario).get(head)
    if table_cls is None or not dataclasses.is_dataclass(table_cls):
        return None
    return typing.get_type_hints(table_cls).get(leaf)


def apply_factors(base: Scenario, values: dict[str, float]) -> Scenario:
    """The base scenario with the factor values of one design point.

    Non-share fields go through :func:`model.with_overrides`. Shares stay summing to 1: a single
    share factor is set with ``with_overrides`` (the other four components are rescaled in
    proportion to their base shares); with several share factors their values are relative
    weights: the components that are not factors keep their base shares and the factor
    components split the rest in proportion to their weights (all five: ``w / sum(w)``).
    """
    shares = {k: v for k, v in values.items() if k.startswith("shares.")}
    others = {k: (round(v) if _field_type(k) is int else float(v))
              for k, v in values.items() if not k.startswith("shares.")}
    scenario = with_overrides(base, others) if others else base
    if len(shares) == 1:
        return with_overrides(scenario, {k: float(v) for k, v in shares.items()})
    if len(shares) > 1:
        return _with_shares(scenario, shares)
    return scenario


def _with_shares(scenario: Scenario, shares: dict[str, float]) -> Scenario:
    """``scenario`` with several share factors applied as relative weights (normalised)."""
    weights = {k.partition(".")[2]: float(v) for k, v in shares.items()}
    target = from_weights(scenario.shares.as_dict(), weights)
    new = build(Shares, target, scenario.path, "shares")
    total = sum(new.as_dict().values())
    if abs(total - 1.0) > SHARE_TOLERANCE:  # cannot happen unless weights are all zero
        raise ScenarioError(scenario.path, "shares", f"shares sum to {total:.6g}, not 1")
    return dataclasses.replace(scenario, shares=new)


# --- loading --------------------------------------------------------------------------------
def _number(value: Any, path: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(path, where, f"expected a finite number, got {value!r}")
    return float(value)


def _int(value: Any, path: str, where: str, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(path, where, f"expected a whole number, got {value!r}")
    if value < lo:
        raise ScenarioError(path, where, f"{value} must be at least {lo}")
    return value


def _check_keys(table: Any, valid: set[str], path: str, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ScenarioError(path, where, f"expected a table, got {table!r}")
    unknown = sorted(set(table) - valid)
    if unknown:
        field = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ScenarioError(path, field, "unknown key; valid keys are: " + ", ".join(sorted(valid)))
    return table


def _load_factor(raw: Any, i: int, path: str, method: str) -> Factor:
    where = f"factor[{i}]"
    t = _check_keys(raw, _FACTOR_KEYS, path, where)
    name = t.get("name")
    if not isinstance(name, str) or "." not in name:
        raise ScenarioError(path, f"{where}.name", "expected a dotted scenario field, e.g. "
                                                   "'shares.apps' or 'budget.egov_share'")
    given = [k for k in ("range", "values", "distribution") if k in t]
    if len(given) != 1:
        raise ScenarioError(path, where, "give exactly one of range, values, distribution")
    levels = t.get("levels")
    if levels is not None:
        levels = _int(levels, path, f"{where}.levels", lo=2)
    if "range" in t:
        r = t["range"]
        if not isinstance(r, list) or len(r) != 2:
            raise ScenarioError(path, f"{where}.range", f"expected [low, high], got {r!r}")
        lo, hi = (_number(x, path, f"{where}.range") for x in r)
        if not lo < hi:
            raise ScenarioError(path, f"{where}.range", f"low {lo:g} is not below high {hi:g}")
        factor = Factor(name, lo=lo, hi=hi, levels=levels)
    elif "values" in t:
        vals = t["values"]
        if not isinstance(vals, list) or not vals:
            raise ScenarioError(path, f"{where}.values", "expected a non-empty list of numbers")
        nums = tuple(_number(v, path, f"{where}.values") for v in vals)
        if len(set(nums)) != len(nums):
            raise ScenarioError(path, f"{where}.values", "values repeat")
        factor = Factor(name, values=nums, levels=levels)
    else:
        factor = Factor(name, distribution=_load_distribution(t["distribution"], path, where),
                        levels=levels)
    if method != "full_factorial" and levels is not None:
        raise ScenarioError(path, f"{where}.levels", f"levels is used by full_factorial only, "
                                                     f"not by {method}; remove it")
    if method == "full_factorial" and factor.kind != "values" and levels is None:
        raise ScenarioError(path, f"{where}.levels",
                            "a full factorial over a range or distribution needs levels (>= 2)")
    return factor


def _load_distribution(raw: Any, path: str, where: str) -> tuple[tuple[str, Any], ...]:
    w = f"{where}.distribution"
    if not isinstance(raw, dict) or raw.get("kind") not in DISTRIBUTIONS:
        raise ScenarioError(path, f"{w}.kind", "expected one of " + ", ".join(DISTRIBUTIONS))
    kind = raw["kind"]
    needed = DISTRIBUTIONS[kind]
    _check_keys(raw, {"kind", *needed}, path, w)
    d: dict[str, Any] = {"kind": kind}
    for key in needed:
        if key not in raw:
            raise ScenarioError(path, f"{w}.{key}", f"missing (a {kind} needs "
                                                    + ", ".join(needed) + ")")
        d[key] = _number(raw[key], path, f"{w}.{key}")
    for key in ("sd", "sigma", "median"):
        if key in d and d[key] <= 0:
            raise ScenarioError(path, f"{w}.{key}", "must be positive")
    if "lo" in d and not d["lo"] < d["hi"]:
        raise ScenarioError(path, f"{w}", "lo is not below hi")
    if kind == "triangular" and not d["lo"] <= d["mode"] <= d["hi"]:
        raise ScenarioError(path, f"{w}.mode", "mode is outside [lo, hi]")
    return tuple(d.items())


def _check_factor_on_base(base: Scenario, factor: Factor, i: int, path: str) -> None:
    """Every value the factor can take must be accepted by the base scenario."""
    where = f"factor[{i}]." + factor.kind
    if factor.name.startswith("shares."):
        comp = factor.name.partition(".")[2]
        if comp not in COMPONENTS:
            raise ScenarioError(path, f"factor[{i}].name", f"{comp!r} is not a component; use "
                                                           + ", ".join(COMPONENTS))
    lo, hi = factor.support()
    probes = list(factor.values) if factor.values is not None else [lo, hi]
    if factor.name.startswith("shares."):
        for v in probes:
            if not 0.0 <= v <= 1.0:
                raise ScenarioError(path, where, f"{factor.name} = {v:g} is outside [0, 1] "
                                                 "(a share)")
    for v in probes:
        try:
            apply_factors(base, {factor.name: v})
        except ScenarioError as err:
            raise ScenarioError(path, where, f"{factor.name} = {v:g}: {err.message}") from None


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (and its base scenario)."""
    p = str(path)
    data = read_toml(path)
    _check_keys(data, _TOP_KEYS, p, "")
    head = _check_keys(data.get("experiment"), _EXPERIMENT_KEYS, p, "experiment")
    name = head.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(p, "experiment.name", "missing or not text")
    base_name = head.get("base")
    if not isinstance(base_name, str) or not base_name:
        raise ScenarioError(p, "experiment.base", "missing: name the base scenario file")
    base_path = Path(path).parent / base_name
    if base_path.resolve() == Path(path).resolve():
        raise ScenarioError(p, "experiment.base", "names this experiment file itself; name a "
                                                  "scenario file")
    if base_path.is_dir():
        raise ScenarioError(p, "experiment.base", f"{base_name} is a folder; name a scenario file")
    if not base_path.is_file():
        raise ScenarioError(p, "experiment.base", f"base scenario {base_name} not found")
    if "experiment" in read_toml(base_path):
        raise ScenarioError(p, "experiment.base", f"{base_name} is an experiment file; name a "
                                                  "scenario file")
    base = load_scenario(base_path)

    replications = _int(head.get("replications", 1), p, "experiment.replications")
    if replications > MAX_REPLICATIONS:
        raise ScenarioError(p, "experiment.replications",
                            f"{replications} is more than the {MAX_REPLICATIONS:,} allowed")
    seed = head.get("master_seed", DEFAULT_SEED)
    master_seed = _int(seed, p, "experiment.master_seed", lo=0)
    years_raw = head.get("years", list(DEFAULT_YEARS))
    if (not isinstance(years_raw, list) or len(years_raw) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in years_raw)
            or years_raw[0] > years_raw[1] or years_raw[0] < YEAR_RANGE[0]
            or years_raw[1] > YEAR_RANGE[1]):
        raise ScenarioError(p, "experiment.years", f"expected [first, last], got {years_raw!r}")
    years = (years_raw[0], years_raw[1])
    pop_raw = head.get("population", DEFAULT_POPULATION)
    population = None if pop_raw == "full" else _int(pop_raw, p, "experiment.population")
    seeds = head.get("seeds", "per_run")
    if seeds not in SEED_SCHEMES:
        raise ScenarioError(p, "experiment.seeds", "expected one of " + ", ".join(SEED_SCHEMES))
    description = head.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(p, "experiment.description", "expected text")

    design = _load_design(data.get("design"), p)
    factors_raw = data.get("factor")
    if not isinstance(factors_raw, list) or not factors_raw:
        raise ScenarioError(p, "factor", "missing: give at least one [[factor]]")
    factors = tuple(_load_factor(f, i, p, design.method) for i, f in enumerate(factors_raw))
    names = [f.name for f in factors]
    for i, n in enumerate(names):
        if names.index(n) != i:
            raise ScenarioError(p, f"factor[{i}].name", f"{n} is varied twice")
    for i, f in enumerate(factors):
        _check_factor_on_base(base, f, i, p)
    n_runs = design_size(design, factors) * replications
    if n_runs > MAX_RUNS:
        raise ScenarioError(p, "design", f"{n_runs:,} runs (points x replications) is more than "
                                         f"the {MAX_RUNS:,} an experiment may have")
    try:
        check_run(base, years=years, population=population)
    except ScenarioError as err:
        raise ScenarioError(p, "experiment.population", err.message) from None

    outcomes = STANDARD_OUTCOMES
    if "outcomes" in data:
        table = data["outcomes"]
        if not isinstance(table, dict) or not table:
            raise ScenarioError(p, "outcomes", "expected a table of name = {column, year(s)}")
        outcomes = tuple(outcome_from_table(k, v, p) for k, v in table.items())
    for o in outcomes:
        if o.first < years[0] or o.last > years[1]:
            raise ScenarioError(p, f"outcomes.{o.name}", f"years {o.first}-{o.last} are outside "
                                                         f"the horizon {years[0]}-{years[1]}")
    return Experiment(name=name, description=description, base=base, design=design,
                      factors=factors, outcomes=outcomes, replications=replications,
                      master_seed=master_seed, years=years, population=population,
                      seeds=seeds, path=p, base_path=str(base_path))


def design_size(design: Design, factors: tuple[Factor, ...]) -> int:
    """The number of design points ``design`` makes over ``factors`` (before building it)."""
    d = len(factors)
    if design.method == "full_factorial":
        return math.prod(len(f.values) if f.values is not None else int(f.levels or 0)
                         for f in factors)
    samples = int(design.samples or 0)
    if design.method == "sobol":
        return samples * (2 * d + 2 if design.second_order else d + 2)
    if design.method == "morris":
        return samples * (d + 1)
    return samples


def _load_design(raw: Any, path: str) -> Design:
    t = _check_keys(raw if raw is not None else {}, _DESIGN_KEYS, path, "design")
    method = t.get("method")
    if method not in METHODS:
        raise ScenarioError(path, "design.method", "expected one of " + ", ".join(METHODS))
    samples = t.get("samples")
    if method != "full_factorial":
        if samples is None:
            raise ScenarioError(path, "design.samples", f"missing: {method} needs samples")
        samples = _int(samples, path, "design.samples", lo=2)
    elif samples is not None:
        raise ScenarioError(path, "design.samples", "a full factorial takes no samples (it uses "
                                                    "the factors' levels)")
    if method == "sobol" and samples & (samples - 1):
        raise ScenarioError(path, "design.samples", f"{samples} is not a power of 2 (Sobol)")
    levels = _int(t.get("levels", 4), path, "design.levels", lo=2)
    second = t.get("second_order", False)
    if not isinstance(second, bool):
        raise ScenarioError(path, "design.second_order", "expected true or false")
    bootstrap = _int(t.get("bootstrap", 1000), path, "design.bootstrap", lo=10)
    confidence = _number(t.get("confidence", 0.95), path, "design.confidence")
    if not 0.5 <= confidence < 1.0:
        raise ScenarioError(path, "design.confidence", f"{confidence:g} is outside [0.5, 1)")
    return Design(method=method, samples=samples, levels=levels, second_order=second,
                  bootstrap=bootstrap, confidence=confidence)

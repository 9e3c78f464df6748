"""The calibration file (``experiments/calibration.toml``): settings, regions and priors.

Each ``[[parameter]]`` names a scenario field (``key``, as understood by
:func:`model.with_overrides`), the region it belongs to (absent: a shared behavioural
parameter, the same in both regions), its prior family and bounds, and the reason for them.
Everything is validated here, once; errors are :class:`~model.errors.ScenarioError`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.behaviour import Behaviour
from model.errors import ScenarioError
from model.params import meta_of
from model.scenario import COMPONENTS, Scenario, load_scenario, read_toml, with_overrides

PRIOR_FAMILIES = ("uniform", "loguniform")
MIN_FREE_SHARE = 0.05
"""Share of a split left to the components that are not estimated (at least)."""

_SETTINGS = {"seed": int, "population": int, "years": list, "population_size": int,
             "max_generations": int, "min_epsilon": float, "min_acceptance_rate": float,
             "max_walltime_minutes": float, "predictive_draws": int, "predictive_years": list,
             "de_maxiter": int, "de_popsize": int, "point_replications": int,
             "point_population": int}


@dataclass(frozen=True)
class Settings:
    """How the calibration runs (a ``[settings]`` table; ``[quick]`` overrides it)."""

    seed: int = 20240101
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
class CalibrationConfig:
    """A validated calibration file."""

    path: str
    settings: Settings
    regions: dict[str, Scenario]
    parameters: tuple[ParameterSpec, ...]

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
        if tp is list:
            if (len(value) != 2 or not all(isinstance(v, int) for v in value)
                    or value[1] < value[0]):
                raise ScenarioError(path, f"{where}.{key}", "expected [first_year, last_year]")
            value = (value[0], value[1])
        elif key != "seed" and value < 0 or key in ("population", "population_size",
                                                    "max_generations", "point_replications",
                                                    "point_population") and value < 1:
            raise ScenarioError(path, f"{where}.{key}", f"{value!r} is out of range")
        elif key == "min_acceptance_rate" and not 0 < value <= 1:
            raise ScenarioError(path, f"{where}.{key}", f"{value!r} is out of range (0, 1]: "
                                "it caps the simulations of a generation, which the walltime "
                                "needs to end one")
        values[key] = value
    return dataclasses.replace(base, **values)


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


def load_config(path: str | Path, quick: bool = False) -> CalibrationConfig:
    """Read and validate a calibration file; ``quick`` applies its ``[quick]`` table."""
    p = str(path)
    data = read_toml(path)
    allowed = {"settings", "quick", "regions", "parameter"}
    for key in data:
        if key not in allowed:
            raise ScenarioError(p, key, "unknown table; valid tables are: "
                                + ", ".join(sorted(allowed)))
    settings = _settings(data.get("settings", {}), p, "settings", Settings())
    if quick:
        settings = _settings(data.get("quick", {}), p, "quick", settings)
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
    return CalibrationConfig(path=p, settings=settings, regions=regions, parameters=specs)

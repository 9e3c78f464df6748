"""From a parameter vector to scenarios, runs and summary statistics.

A *point* is a mapping from the names of a hypothesis' estimated parameters to values. Each
region's scenario under a point is built by one call of :func:`model.with_overrides` on the
scenario file as loaded: its behaviour is the declared defaults
(:class:`model.behaviour.Behaviour`) overlaid with the scenario file's own ``[behaviour]`` table,
then the hypothesis' fixed values, then the estimated shared parameters, then the region's own
parameters. Estimated shares of a split are set as given and the components not estimated
share the rest in proportion to their values in the scenario file (:func:`model.shares.fix_shares`).

Seeds come from :func:`model.seeds.run_seed`: replication ``r`` of a point is
``run_seed(master, r, point_id(point))``, with ``point_id`` a stable hash of the parameter values
(the fixed ones included), so a simulation is a deterministic function of its parameters and
the two regions of one simulation share their seed (common random numbers).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from model.behaviour import Behaviour
from model.calibration.config import MIN_FREE_SHARE, CalibrationConfig, Hypothesis
from model.runner import Task, run_many
from model.scenario import Scenario, with_overrides
from model.seeds import run_seed
from model.shares import SUM_TOLERANCE, fix_shares

INDICES = ("spbe", "ipp", "ikm")
_DECLARED = {f"behaviour.{f.name}": getattr(Behaviour(), f.name)
             for f in dataclasses.fields(Behaviour)}


def hypothesis_of(config: CalibrationConfig, hypothesis: Hypothesis | str | None) -> Hypothesis:
    """``hypothesis`` itself, the one of that name, or (None) the file's first."""
    if hypothesis is None:
        return config.hypotheses[0]
    return config.hypothesis(hypothesis) if isinstance(hypothesis, str) else hypothesis


def feasible(config: CalibrationConfig, theta: Mapping[str, float]) -> bool:
    """Whether every estimated split in ``theta`` leaves room for its other components."""
    sums: dict[tuple[str, str], float] = {}
    for p in config.parameters:
        g = p.share_group()
        if g is not None and p.name in theta:
            sums[g] = sums.get(g, 0.0) + float(theta[p.name])
    return all(s <= 1.0 - MIN_FREE_SHARE + SUM_TOLERANCE for s in sums.values())


def region_overrides(config: CalibrationConfig, region: str,
                     theta: Mapping[str, float]) -> dict[str, Any]:
    """The ``with_overrides`` mapping of one region's estimated fields (splits given whole)."""
    scenario = config.regions[region]
    scalars: dict[str, Any] = {}
    splits: dict[str, dict[str, float]] = {}
    for p in config.parameters:
        if p.region != region or p.name not in theta:
            continue
        g = p.share_group()
        if g is None:
            scalars[p.key] = float(theta[p.name])
        else:
            splits.setdefault(g[1], {})[p.key.rsplit(".", 1)[1]] = float(theta[p.name])
    table = scenario.to_table()
    for split, fixed in splits.items():
        if split == "shares":
            current = table["shares"]
        else:
            current = table["policies"][int(split.split(".")[1])]["shares"]
        scalars[split] = fix_shares(current, fixed, min_rest=MIN_FREE_SHARE)
    return scalars


def behaviour_overrides(config: CalibrationConfig, theta: Mapping[str, float],
                        hypothesis: Hypothesis | str | None = None) -> dict[str, float]:
    """The shared behaviour of a point as ``behaviour.<field>`` overrides: the hypothesis'
    fixed values and the estimated shared parameters.
    """
    h = hypothesis_of(config, hypothesis)
    estimated = {p.key: float(theta[p.name]) for p in config.parameters
                 if p.region is None and p.name in theta}
    return {**h.fixed, **estimated}


def scenarios_for(config: CalibrationConfig, theta: Mapping[str, float],
                  hypothesis: Hypothesis | str | None = None) -> dict[str, Scenario]:
    """Each region's scenario under ``theta`` (see the module docstring for the layers)."""
    shared = behaviour_overrides(config, theta, hypothesis)
    out = {}
    for name, scenario in config.regions.items():
        own = {f"behaviour.{k}": v for k, v in config.region_behaviour[name].items()}
        out[name] = with_overrides(scenario, {**_DECLARED, **own, **shared,
                                              **region_overrides(config, name, theta)})
    return out


def point_id(values: Mapping[str, float]) -> int:
    """A stable 63-bit identity of a parameter point (order of keys irrelevant)."""
    text = "|".join(f"{k}={float(values[k])!r}" for k in sorted(values))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


def seed_for(config: CalibrationConfig, theta: Mapping[str, float],
             hypothesis: Hypothesis | str | None = None, replication: int = 0) -> int:
    """The seed of replication ``replication`` at ``theta`` (see the module docstring)."""
    h = hypothesis_of(config, hypothesis)
    values = {**h.fixed, **{k: float(v) for k, v in theta.items()}}
    return run_seed(config.settings.seed, replication, point_id(values))


def stats_of(frames: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """Summary statistics ``region.index.year`` from each region's annual table."""
    out = {}
    for region, df in frames.items():
        for row in df[["year", *INDICES]].itertuples(index=False):
            for index in INDICES:
                out[f"{region}.{index}.{int(row.year)}"] = float(getattr(row, index))
    return out


def simulate(config: CalibrationConfig, theta: Mapping[str, float],
             hypothesis: Hypothesis | str | None = None, *, seed: int | None = None,
             years: tuple[int, int] | None = None, population: int | None = None,
             replication: int = 0) -> dict[str, pd.DataFrame]:
    """Each region's annual table under ``theta`` (seed: :func:`seed_for` unless given).

    The regions share the behaviour parameters, so they are stepped together as one batch
    (:func:`model.runner.run_many`): the same tables as one run after the other.
    """
    s = config.settings
    seed = seed_for(config, theta, hypothesis, replication) if seed is None else seed
    scenarios = scenarios_for(config, theta, hypothesis)
    tasks = [Task(sc, replication, seed, years or s.years, population or s.population)
             for sc in scenarios.values()]
    return dict(zip(scenarios, run_many(tasks), strict=True))


class Simulator:
    """The pyabc model of one hypothesis: parameters -> summary statistics (picklable)."""

    def __init__(self, config: CalibrationConfig, hypothesis: str | None = None) -> None:
        self.config = config
        self.hypothesis = hypothesis_of(config, hypothesis).name

    def __call__(self, theta: Mapping[str, float]) -> dict[str, float]:
        """Simulate both regions and return their statistics."""
        theta = {k: float(v) for k, v in dict(theta).items()}
        return stats_of(simulate(self.config, theta, self.hypothesis))

"""From a parameter vector to scenarios, runs and summary statistics.

Shared behavioural parameters replace the declared defaults (:class:`model.behaviour.Behaviour`);
every behavioural parameter not estimated stays at its declared default. Regional parameters
change one region's scenario through :func:`model.with_overrides`. Estimated shares of a split
are set as given and the components not estimated share the rest in proportion to their values
in the scenario file.

Each simulation's seed is a hash of the master seed and the parameter values, so a simulation
is a deterministic function of its parameters (common random numbers across regions).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from model.behaviour import Behaviour
from model.calibration.config import MIN_FREE_SHARE, CalibrationConfig
from model.runner import run
from model.scenario import COMPONENTS, Scenario, with_overrides

INDICES = ("spbe", "ipp", "ikm")


class InfeasibleShares(ValueError):
    """The estimated shares of a split leave less than ``MIN_FREE_SHARE`` for the others."""


def compose_shares(current: Mapping[str, float], fixed: Mapping[str, float]) -> dict[str, float]:
    """A full split: ``fixed`` shares as given, the others share the rest in proportion to
    ``current`` (equally if they are all zero).
    """
    rest = 1.0 - sum(fixed.values())
    if rest < MIN_FREE_SHARE - 1e-12:
        raise InfeasibleShares(f"estimated shares sum to {1 - rest:.3f}")
    others = [c for c in COMPONENTS if c not in fixed]
    base = sum(current[c] for c in others)
    out = dict(fixed)
    for c in others:
        out[c] = rest * (current[c] / base if base > 0 else 1.0 / len(others))
    return {c: float(out[c]) for c in COMPONENTS}


def feasible(config: CalibrationConfig, theta: Mapping[str, float]) -> bool:
    """Whether every estimated split leaves room for its other components."""
    sums: dict[tuple[str, str], float] = {}
    for p in config.parameters:
        g = p.share_group()
        if g is not None:
            sums[g] = sums.get(g, 0.0) + float(theta[p.name])
    return all(s <= 1.0 - MIN_FREE_SHARE + 1e-12 for s in sums.values())


def region_overrides(config: CalibrationConfig, region: str,
                     theta: Mapping[str, float]) -> dict[str, Any]:
    """The ``with_overrides`` mapping of one region (splits given whole)."""
    scenario = config.regions[region]
    scalars: dict[str, Any] = {}
    splits: dict[str, dict[str, float]] = {}
    for p in config.parameters:
        if p.region != region:
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
        scalars[split] = compose_shares(current, fixed)
    return scalars


def behaviour_overrides(config: CalibrationConfig, theta: Mapping[str, float]) -> dict[str, float]:
    """The shared behavioural parameters of ``theta`` as ``behaviour.<field>`` overrides."""
    return {p.key: float(theta[p.name]) for p in config.parameters if p.region is None}


def scenarios_for(config: CalibrationConfig, theta: Mapping[str, float]) -> dict[str, Scenario]:
    """Each region's scenario under ``theta`` (unestimated behaviour at declared defaults)."""
    shared = behaviour_overrides(config, theta)
    out = {}
    for name, scenario in config.regions.items():
        base = dataclasses.replace(scenario, behaviour=Behaviour())
        out[name] = with_overrides(base, {**shared, **region_overrides(config, name, theta)})
    return out


def seed_for(master: int, theta: Mapping[str, float], salt: int = 0) -> int:
    """A 32-bit seed from the master seed, a salt and the parameter values."""
    text = f"{master}|{salt}|" + "|".join(f"{k}={float(theta[k])!r}" for k in sorted(theta))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little")


def stats_of(frames: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """Summary statistics ``region.index.year`` from each region's annual table."""
    out = {}
    for region, df in frames.items():
        for row in df[["year", *INDICES]].itertuples(index=False):
            for index in INDICES:
                out[f"{region}.{index}.{int(row.year)}"] = float(getattr(row, index))
    return out


def simulate(config: CalibrationConfig, theta: Mapping[str, float], *, seed: int | None = None,
             years: tuple[int, int] | None = None, population: int | None = None,
             replication: int = 0) -> dict[str, pd.DataFrame]:
    """Each region's annual table under ``theta``."""
    s = config.settings
    seed = seed_for(s.seed, theta) if seed is None else seed
    return {name: run(sc, seed, years=years or s.years, population=population or s.population,
                      replication=replication)
            for name, sc in scenarios_for(config, theta).items()}


class Simulator:
    """The pyabc model: parameters -> summary statistics (picklable, for worker processes)."""

    def __init__(self, config: CalibrationConfig) -> None:
        self.config = config

    def __call__(self, theta: Mapping[str, float]) -> dict[str, float]:
        """Simulate both regions and return their statistics."""
        theta = {k: float(v) for k, v in dict(theta).items()}
        return stats_of(simulate(self.config, theta))

"""The default point: the chosen hypothesis' best particles, its regions' own quantities refined.

``calibrated.toml`` is the point ``egovsim run`` uses without ``--posterior``. The posterior a
45-minute ABC-SMC run reaches is wide (its final tolerance is a root-mean-square error of about
five tolerances), and a vector of its marginal medians is not itself a draw: it can sit where
no particle is, and fit worse than the particles it summarises. So the point is found, not
summarised, in two steps, both on the calibration's own distance
(:class:`model.calibration.targets.Distance`) of replication means:

1. **Start.** The ``refine_candidates`` particles of the chosen hypothesis with the smallest
   ABC distance are run ``refine_replications`` times each (common seeds) and the one whose
   replication means are closest to the data is the start. Its shared behaviour (the
   mechanisms' parameters) is kept as it is: a joint draw of the posterior.
2. **Regions.** Given the behaviour, each region's fit depends on its own estimated quantities
   (its budget split and starting stocks: latent quantities the sources do not give) and on
   the other region only through the loose national means. Region by region, those
   quantities are searched by differential evolution within their priors, starting from the
   start's values, with the other region held at its current replication means.

The refined point lies inside the hypothesis' prior, and its distance is at most the start's,
which is at most the final tolerance of the ABC run: the final generation would accept it. It
is a point of the posterior's support chosen for its fit, not a summary of the posterior's
spread, which stays in ``posterior.parquet`` and reaches what-ifs through ``--posterior``.

Seeds: the refinement's replications use their own seeds (:func:`model.seeds.refine_seeds`),
not those of the point check (:func:`model.calibration.pipeline.point_check`, 20
replications at 20,000 citizens), so the check that reports the point's fit is out of sample
for the seeds the point was chosen on. Every evaluation uses the same seeds, so the objective
is deterministic and the search reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution

from model.calibration.config import CalibrationConfig, Hypothesis
from model.calibration.de import INFEASIBLE, SearchSpace
from model.calibration.simulate import feasible, hypothesis_of, scenarios_for, stats_of
from model.calibration.targets import Distance, Target
from model.runner import Task, map_runs, run_many
from model.seeds import refine_seeds


def mean_frames(config: CalibrationConfig, theta: Mapping[str, float],
                hypothesis: Hypothesis | str | None, seeds: list[int],
                regions: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Each region's (or each of ``regions``') replication means by year under ``theta``, one
    replication per seed, stepped together (:func:`model.runner.run_many`).
    """
    s = config.settings
    scenarios = scenarios_for(config, theta, hypothesis)
    names = list(scenarios) if regions is None else list(regions)
    tasks = [Task(scenarios[r], i, seed, s.years, s.population)
             for r in names for i, seed in enumerate(seeds)]
    tables = run_many(tasks)
    n = len(seeds)
    return {r: pd.concat(tables[k * n:(k + 1) * n]).groupby("year").mean(numeric_only=True)
            .reset_index() for k, r in enumerate(names)}


class RegionObjective:
    """The distance of replication means as one region's estimated quantities move (the
    other regions held at ``fixed_frames``); picklable, for the process pool.
    """

    def __init__(self, config: CalibrationConfig, targets: list[Target], hypothesis: str,
                 base: Mapping[str, float], region: str,
                 fixed_frames: Mapping[str, pd.DataFrame], seeds: list[int]) -> None:
        self.config, self.hypothesis, self.region = config, hypothesis, region
        self.base = dict(base)
        self.distance = Distance(targets)
        self.fixed = dict(fixed_frames)
        self.seeds = list(seeds)
        self.space = SearchSpace([p for p in config.estimated(hypothesis_of(config, hypothesis))
                                  if p.region == region])

    def bounds(self) -> list[tuple[float, float]]:
        """Search bounds (log bounds for log-uniform priors)."""
        return self.space.bounds()

    def z(self, theta: Mapping[str, float]) -> np.ndarray:
        """The search-space point of ``theta``'s values for this region."""
        return self.space.point(theta)

    def theta(self, z: np.ndarray) -> dict[str, float]:
        """The base point with this region's values from ``z``."""
        return {**self.base, **self.space.values(z)}

    def __call__(self, z: np.ndarray) -> float:
        """The distance at ``z`` (``INFEASIBLE`` for impossible splits)."""
        theta = self.theta(z)
        if not feasible(self.config, theta):
            return INFEASIBLE
        own = mean_frames(self.config, theta, self.hypothesis, self.seeds, (self.region,))
        return float(self.distance(stats_of({**self.fixed, **own})))


@dataclass(frozen=True)
class Refined:
    """The default point and how it was found."""

    point: dict[str, float]
    start_index: int  # row of the start in the hypothesis' posterior sample
    start_abc_distance: float
    start_distance: float  # of the start's replication means
    distance: float  # of the refined point's replication means
    candidates: int
    replications: int

    def describe(self) -> str:
        """One line for headers and summaries."""
        return (f"the best of its {self.candidates} closest particles "
                f"({self.replications}-replication distance {self.start_distance:.3f}), each "
                f"region's own quantities refined by differential evolution (distance "
                f"{self.distance:.3f})")


def refine_point(config: CalibrationConfig, post: pd.DataFrame, hypothesis: str,
                 targets: list[Target], workers: int) -> Refined:
    """The default point of ``hypothesis`` from its posterior sample ``post`` (rows of the
    pooled posterior with its parameter columns and ``distance``); see the module docstring.
    """
    s = config.settings
    h = hypothesis_of(config, hypothesis)
    names = [p.name for p in config.estimated(h)]
    mine = post[post["hypothesis"] == h.name]
    if mine.empty:
        raise ValueError(f"the posterior has no draws of hypothesis {h.name!r}")
    seeds = refine_seeds(s.seed, s.refine_replications)
    distance = Distance(targets)
    closest = mine.nsmallest(s.refine_candidates, "distance", keep="first")
    thetas = [{n: float(row[n]) for n in names} for _, row in closest.iterrows()]
    frames = map_runs(_Frames(config, h.name, seeds), thetas, workers)
    scores = [float(distance(stats_of(f))) for f in frames]
    k = int(np.argmin(scores))
    point, current = thetas[k], dict(frames[k])
    best = scores[k]
    for region in config.regions:
        obj = RegionObjective(config, targets, h.name, point, region,
                              {r: f for r, f in current.items() if r != region}, seeds)
        if not obj.space.specs or s.refine_maxiter == 0:
            continue
        # deferred updating in every case, so the search is the same with any number of
        # workers (immediate updating, SciPy's serial default, is another algorithm)
        res = differential_evolution(
            obj, obj.bounds(), seed=s.seed, maxiter=s.refine_maxiter, popsize=s.refine_popsize,
            polish=False, tol=1e-3, init="latinhypercube", x0=obj.z(point),
            updating="deferred", workers=lambda f, zs: map_runs(f, list(zs), workers))
        if float(res.fun) < best:
            point, best = obj.theta(res.x), float(res.fun)
            current.update(mean_frames(config, point, h.name, seeds, (region,)))
    return Refined(point=point, start_index=int(closest.index[k]),
                   start_abc_distance=float(closest["distance"].iloc[k]),
                   start_distance=scores[k], distance=best,
                   candidates=len(thetas), replications=len(seeds))


class _Frames:
    """``mean_frames`` of a point (picklable, for the process pool)."""

    def __init__(self, config: CalibrationConfig, hypothesis: str, seeds: list[int]) -> None:
        self.config, self.hypothesis, self.seeds = config, hypothesis, seeds

    def __call__(self, theta: Mapping[str, float]) -> dict[str, pd.DataFrame]:
        return mean_frames(self.config, theta, self.hypothesis, self.seeds)

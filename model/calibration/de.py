"""A fast point estimate: SciPy's differential evolution on the calibration distance.

Log-uniform parameters are searched on the log scale. Every evaluation uses the same seed
(common random numbers), so the objective is deterministic and the search reproducible from
the seed. Splits that leave too little for the other components score ``INFEASIBLE``. It fits
one hypothesis (the file's first unless named); the evaluations of a generation run on the
runner's process pool (:func:`model.runner.map_runs`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.optimize import differential_evolution

from model.calibration.config import CalibrationConfig, Hypothesis, ParameterSpec
from model.calibration.simulate import feasible, hypothesis_of, simulate, stats_of
from model.calibration.targets import Distance, Target
from model.runner import map_runs

INFEASIBLE = 1e3


class SearchSpace:
    """Estimated parameters as a search space: log-uniform ones on the log scale."""

    def __init__(self, specs: Sequence[ParameterSpec]) -> None:
        self.specs = list(specs)
        self.log = np.array([p.prior == "loguniform" for p in self.specs], dtype=bool)

    def bounds(self) -> list[tuple[float, float]]:
        """Search bounds (log bounds for log-uniform priors)."""
        return [(np.log(p.lo), np.log(p.hi)) if p.prior == "loguniform" else (p.lo, p.hi)
                for p in self.specs]

    def values(self, z: np.ndarray) -> dict[str, float]:
        """The parameters at search-space point ``z``, by name."""
        x = np.where(self.log, np.exp(z), z)
        return {p.name: float(v) for p, v in zip(self.specs, x, strict=True)}

    def point(self, values: Mapping[str, float]) -> np.ndarray:
        """The search-space point of ``values`` (by name)."""
        x = np.array([float(values[p.name]) for p in self.specs])
        return np.where(self.log, np.log(x), x)


class Objective:
    """Distance of the simulation at a point of the (partly log-) search space."""

    def __init__(self, config: CalibrationConfig, targets: list[Target],
                 hypothesis: Hypothesis | str | None = None) -> None:
        self.config = config
        self.hypothesis = hypothesis_of(config, hypothesis)
        self.space = SearchSpace(config.estimated(self.hypothesis))
        self.distance = Distance(targets)

    def theta(self, z: np.ndarray) -> dict[str, float]:
        """Parameters from a search-space point."""
        return self.space.values(z)

    def bounds(self) -> list[tuple[float, float]]:
        """Search bounds (log bounds for log-uniform priors)."""
        return self.space.bounds()

    def __call__(self, z: np.ndarray) -> float:
        """The distance at ``z`` (``INFEASIBLE`` for impossible splits)."""
        theta = self.theta(z)
        if not feasible(self.config, theta):
            return INFEASIBLE
        stats = stats_of(simulate(self.config, theta, self.hypothesis,
                                  seed=self.config.settings.seed))
        return float(self.distance(stats))


def run_de(config: CalibrationConfig, targets: list[Target], workers: int,
           hypothesis: Hypothesis | str | None = None,
           callback: Callable[[float], None] | None = None) -> tuple[dict[str, float], float]:
    """Minimise the distance; returns (best parameters, its distance)."""
    s = config.settings
    obj = Objective(config, targets, hypothesis)

    def cb(intermediate_result) -> None:
        if callback:
            callback(float(intermediate_result.fun))

    kwargs = dict(seed=s.seed, maxiter=s.de_maxiter, popsize=s.de_popsize, polish=False,
                  tol=1e-3, callback=cb, init="sobol")
    if workers > 1:
        res = differential_evolution(obj, obj.bounds(), updating="deferred",
                                     workers=lambda f, zs: map_runs(f, list(zs), workers),
                                     **kwargs)
    else:
        res = differential_evolution(obj, obj.bounds(), **kwargs)
    return obj.theta(res.x), float(res.fun)

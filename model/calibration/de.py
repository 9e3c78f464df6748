"""A fast point estimate: SciPy's differential evolution on the calibration distance.

Log-uniform parameters are searched on the log scale. Every evaluation uses the same seed
(common random numbers), so the objective is deterministic and the search reproducible from
the seed. Splits that leave too little for the other components score ``INFEASIBLE``.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import get_context

import numpy as np
from scipy.optimize import differential_evolution

from model.calibration.config import CalibrationConfig
from model.calibration.simulate import feasible, simulate, stats_of
from model.calibration.targets import Distance, Target

INFEASIBLE = 1e3


class Objective:
    """Distance of the simulation at a point of the (partly log-) search space."""

    def __init__(self, config: CalibrationConfig, targets: list[Target]) -> None:
        self.config = config
        self.distance = Distance(targets)
        self.log = np.array([p.prior == "loguniform" for p in config.parameters])

    def theta(self, z: np.ndarray) -> dict[str, float]:
        """Parameters from a search-space point."""
        x = np.where(self.log, np.exp(z), z)
        return {p.name: float(v) for p, v in zip(self.config.parameters, x, strict=True)}

    def bounds(self) -> list[tuple[float, float]]:
        """Search bounds (log bounds for log-uniform priors)."""
        return [(np.log(p.lo), np.log(p.hi)) if p.prior == "loguniform" else (p.lo, p.hi)
                for p in self.config.parameters]

    def __call__(self, z: np.ndarray) -> float:
        """The distance at ``z`` (``INFEASIBLE`` for impossible splits)."""
        theta = self.theta(z)
        if not feasible(self.config, theta):
            return INFEASIBLE
        stats = stats_of(simulate(self.config, theta, seed=self.config.settings.seed))
        return float(self.distance(stats))


def run_de(config: CalibrationConfig, targets: list[Target], workers: int,
           callback: Callable[[float], None] | None = None) -> tuple[dict[str, float], float]:
    """Minimise the distance; returns (best parameters, its distance)."""
    s = config.settings
    obj = Objective(config, targets)

    def cb(intermediate_result) -> None:
        if callback:
            callback(float(intermediate_result.fun))

    kwargs = dict(seed=s.seed, maxiter=s.de_maxiter, popsize=s.de_popsize, polish=False,
                  tol=1e-3, callback=cb, init="sobol")
    if workers > 1:
        with get_context("fork").Pool(workers) as pool:
            res = differential_evolution(obj, obj.bounds(), workers=pool.map,
                                         updating="deferred", **kwargs)
    else:
        res = differential_evolution(obj, obj.bounds(), **kwargs)
    return obj.theta(res.x), float(res.fun)

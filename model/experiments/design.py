"""Designs: which factor values to run, and every run's seed, all from one master seed.

Four methods:

- ``full_factorial``: every combination of the factors' levels (values, an even grid over a
  range, or equal-probability quantiles of a distribution).
- ``latin_hypercube``: ``samples`` points, :class:`scipy.stats.qmc.LatinHypercube`.
- ``sobol``: Saltelli's scheme for Sobol indices (:func:`SALib.sample.sobol.sample`), ``N * (D +
  2)`` points (``N * (2D + 2)`` with second-order indices).
- ``morris``: ``samples`` one-at-a-time trajectories on a ``levels``-level grid
  (:func:`SALib.sample.morris.sample`), ``samples * (D + 1)`` points.

The samplers draw points of the unit hypercube; each factor maps [0, 1] to its values through
its inverse CDF (:meth:`Factor.ppf`). The sampler's seed and every run's seed come from
:mod:`model.seeds`, the one seed scheme of every tool, so a run's seed depends only on the
master seed, its replication and (with ``per_run`` seeds) its design point, never on the
executor or on which runs were already done. With ``seeds = "common"`` replication *r* of every
point has the seed of replication *r* of ``egovsim run --seed master_seed``, so a one-point
sweep reproduces that run row for row.

``per_run`` stays the default: a space-filling design (Latin hypercube, Saltelli, Morris)
estimates the mean response over many points with one or two replications each, and
independent luck at each point averages out across them; with common seeds every point shares
the same few draws of luck, so the whole response surface is conditional on them. Choose
``common`` to compare a few policies pairwise (their differences are then not blurred by
luck) or to reproduce ``egovsim run``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

from model.experiments.spec import Experiment
from model.seeds import design_seed
from model.seeds import run_seed as _seed_of_run


@dataclass(frozen=True)
class DesignPoints:
    """The design: factor values (``values[i, j]``: point i, factor j) and unit coordinates."""

    names: tuple[str, ...]
    values: np.ndarray
    unit: np.ndarray | None  # points of [0, 1]^D the values came from (None: factorial)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def table(self) -> pd.DataFrame:
        """One row per design point: ``point`` and one column per factor."""
        df = pd.DataFrame(self.values, columns=list(self.names))
        df.insert(0, "point", np.arange(len(self), dtype=np.int64))
        return df


def run_seed(master_seed: int, point: int, replication: int, scheme: str = "per_run") -> int:
    """The seed of one run: ``per_run``, luck of its own per (point, replication);
    ``common``, replication *r* has the same seed at every point (see the module docstring).
    """
    return _seed_of_run(master_seed, replication, None if scheme == "common" else point)


def run_id(point: int, replication: int) -> str:
    """A run's identifier: ``p000012-r001``."""
    return f"p{point:06d}-r{replication:03d}"


def unit_problem(names: list[str] | tuple[str, ...]) -> dict:
    """A SALib problem over the unit hypercube."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def build_design(exp: Experiment) -> DesignPoints:
    """The design points of ``exp`` (deterministic given its master seed)."""
    names = tuple(exp.factor_names)
    d = exp.design
    seed = design_seed(exp.master_seed)
    if d.method == "full_factorial":
        grids = [f.grid() for f in exp.factors]
        values = np.array(list(itertools.product(*grids)), dtype=float).reshape(-1, len(names))
        return DesignPoints(names, values, None)
    if d.method == "latin_hypercube":
        unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(d.samples)
    elif d.method == "sobol":
        unit = sobol_sample.sample(unit_problem(names), d.samples,
                                   calc_second_order=d.second_order, seed=seed)
    else:
        unit = morris_sample.sample(unit_problem(names), d.samples, num_levels=d.levels,
                                    seed=seed)
    values = np.column_stack([f.ppf(unit[:, j]) for j, f in enumerate(exp.factors)])
    return DesignPoints(names, values, unit)


def runs_table(exp: Experiment, n_points: int) -> pd.DataFrame:
    """Every run: ``run_id``, ``point``, ``replication``, ``seed`` (points major)."""
    rows = [(run_id(p, r), p, r, run_seed(exp.master_seed, p, r, exp.seeds))
            for p in range(n_points) for r in range(exp.replications)]
    return pd.DataFrame(rows, columns=["run_id", "point", "replication", "seed"])

"""Designs: sizes, bounds, determinism from the master seed; run seeds."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from model import load_scenario
from model.experiments.design import build_design, run_seed, runs_table
from model.experiments.outcomes import Outcome
from model.experiments.spec import Design, Experiment, Factor

BASE = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "kediri.toml")
FACTORS = (Factor("a", lo=-1.0, hi=1.0), Factor("b", lo=10.0, hi=20.0),
           Factor("c", values=(1.0, 2.0, 5.0)))


def make(method: str, samples: int | None = None, seed: int = 7, factors=FACTORS,
         **kw) -> Experiment:
    return Experiment(name="d", base=BASE, design=Design(method, samples=samples, **kw),
                      factors=factors, outcomes=(Outcome("y", "y", 2030, 2030),),
                      master_seed=seed, replications=3)


def test_full_factorial_is_every_combination():
    factors = (Factor("a", lo=0.0, hi=1.0, levels=3), Factor("c", values=(1.0, 2.0)))
    d = build_design(make("full_factorial", factors=factors))
    assert len(d) == 6
    assert {tuple(r) for r in d.values} == {(a, c) for a in (0.0, 0.5, 1.0) for c in (1.0, 2.0)}


@pytest.mark.parametrize(("method", "samples", "size"), [
    ("latin_hypercube", 20, 20), ("sobol", 16, 16 * (3 + 2)), ("morris", 6, 6 * (3 + 1))])
def test_sizes_bounds_and_determinism(method, samples, size):
    d = build_design(make(method, samples))
    assert d.values.shape == (size, 3)
    assert np.all((d.values[:, 0] >= -1) & (d.values[:, 0] <= 1))
    assert np.all((d.values[:, 1] >= 10) & (d.values[:, 1] <= 20))
    assert set(d.values[:, 2]) <= {1.0, 2.0, 5.0}
    again = build_design(make(method, samples))
    np.testing.assert_array_equal(d.values, again.values)
    other = build_design(make(method, samples, seed=8))
    assert not np.array_equal(d.values, other.values)


def test_sobol_second_order_size():
    d = build_design(make("sobol", 8, second_order=True))
    assert len(d) == 8 * (2 * 3 + 2)


def test_latin_hypercube_is_stratified():
    d = build_design(make("latin_hypercube", 50))
    for j in range(2):  # one point in each of the 50 equal-probability bins, per factor
        bins = np.floor(d.unit[:, j] * 50).astype(int)
        assert sorted(bins) == list(range(50))


def test_morris_trajectories_move_one_factor_at_a_time():
    d = build_design(make("morris", 5, levels=4))
    steps = np.diff(d.unit.reshape(5, 4, 3), axis=1)
    assert np.all((np.abs(steps) > 1e-12).sum(axis=2) == 1)


def test_distribution_factor_follows_its_law():
    f = Factor("x", distribution=(("kind", "normal"), ("mean", 3.0), ("sd", 0.5)))
    d = build_design(make("latin_hypercube", 4000, factors=(f,)))
    assert d.values[:, 0].mean() == pytest.approx(3.0, abs=0.02)
    assert d.values[:, 0].std() == pytest.approx(0.5, abs=0.02)
    tri = Factor("t", distribution=(("kind", "triangular"), ("lo", 0.0), ("mode", 0.0),
                                    ("hi", 1.0)), levels=4)
    assert tri.grid() == pytest.approx([1 - math.sqrt(1 - q) for q in (0.125, 0.375, 0.625,
                                                                       0.875)])


def test_run_seeds_are_pure_distinct_and_common_when_asked():
    exp = make("latin_hypercube", 10)
    runs = runs_table(exp, 10)
    assert len(runs) == 30 and runs["run_id"].is_unique and runs["seed"].is_unique
    assert run_seed(7, 4, 2) == runs.set_index("run_id").loc["p000004-r002", "seed"]
    common = runs_table(dataclasses.replace(exp, seeds="common"), 10)
    per_rep = common.groupby("replication")["seed"].nunique()
    assert (per_rep == 1).all() and common["seed"].nunique() == 3

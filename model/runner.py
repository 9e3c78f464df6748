"""The pure boundary: ``run(scenario, seed, ...)`` -> one run's yearly table.

Every user of the simulator (the CLI, sweeps, sensitivity analysis, calibration, the app) calls
:func:`run`; it reads no file, writes no file and keeps no global state. Replications draw their
seeds from one master seed with :func:`replication_seeds`: replication *r* gets the same seed in
every scenario (common random numbers), so a what-if and its baseline differ by policy, not by
luck.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd

from model.model import DEFAULT_POPULATION, EGovModel
from model.outputs import ANNUAL_COLUMNS
from model.scenario import Scenario

DEFAULT_YEARS = (2018, 2030)


def replication_seeds(master_seed: int, replications: int) -> list[int]:
    """Seeds for ``replications`` replications, derived from one master ``SeedSequence``."""
    children = np.random.SeedSequence(master_seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def run(scenario: Scenario, seed: int, *, years: tuple[int, int] = DEFAULT_YEARS,
        population: int | None = DEFAULT_POPULATION, replication: int = 0) -> pd.DataFrame:
    """Simulate ``scenario`` from January of ``years[0]`` to December of ``years[1]``.

    ``population`` is the number of simulated citizens (each weighted to stand for
    residents / population), or None for the whole population. Returns one row per year with
    the columns of :data:`model.outputs.ANNUAL_COLUMNS`.
    """
    model = EGovModel(scenario, population=population, start_year=years[0], end_year=years[1],
                      rng=seed)
    while model.running:
        model.step()
    df = pd.DataFrame(model.annual_records)
    df.insert(0, "seed", seed)
    df.insert(0, "replication", replication)
    df.insert(0, "region", scenario.region)
    df.insert(0, "scenario", scenario.name)
    return df[list(ANNUAL_COLUMNS)]


@dataclass(frozen=True)
class Task:
    """One run to do: a scenario, a replication and its seed."""

    scenario: Scenario
    replication: int
    seed: int
    years: tuple[int, int]
    population: int | None


def _do(task: Task) -> pd.DataFrame:
    return run(task.scenario, task.seed, years=task.years, population=task.population,
               replication=task.replication)


def default_workers() -> int:
    """All cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def map_runs(fn: Callable[[Any], Any], items: Sequence[Any], workers: int = 1,
             on_done: Callable[[int, Any], None] | None = None) -> list[Any]:
    """``[fn(x) for x in items]``, in order, serially or on a ``fork`` process pool.

    ``on_done(i, result)`` is called as each result arrives (in completion order). The pool
    uses ``fork``: on short runs it beats ``spawn`` (measured: 1.68x vs 1.27x with 2 workers).
    """
    results: list[Any] = [None] * len(items)
    if workers <= 1 or len(items) <= 1:
        for i, x in enumerate(items):
            results[i] = fn(x)
            if on_done:
                on_done(i, results[i])
        return results
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = {pool.submit(fn, x): i for i, x in enumerate(items)}
        from concurrent.futures import as_completed
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if on_done:
                on_done(i, results[i])
    return results


def run_replications(scenarios: Iterable[Scenario], replications: int, master_seed: int, *,
                     years: tuple[int, int] = DEFAULT_YEARS,
                     population: int | None = DEFAULT_POPULATION, workers: int = 1,
                     on_done: Callable[[int, Any], None] | None = None) -> pd.DataFrame:
    """All replications of all scenarios, one table ordered by scenario, replication, year."""
    seeds = replication_seeds(master_seed, replications)
    tasks = [Task(sc, r, seeds[r], years, population)
             for sc in scenarios for r in range(replications)]
    frames = map_runs(_do, tasks, workers=workers, on_done=on_done)
    return pd.concat(frames, ignore_index=True)

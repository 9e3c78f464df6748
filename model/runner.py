"""The pure boundary: ``run(scenario, seed, ...)`` -> one run's yearly table.

Every user of the simulator (the CLI, sweeps, sensitivity analysis, calibration, the app) calls
:func:`run`; it reads no file, writes no file and keeps no global state. Replications draw their
seeds from one master seed through :mod:`model.seeds`: replication *r* gets the same seed in
every scenario (common random numbers), so a what-if and its baseline differ by policy, not by
luck, and the same seed as replication *r* of a sweep with ``seeds = "common"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from model.backend import Backend, default_workers, local
from model.defaults import (
    DEFAULT_POPULATION,
    DEFAULT_YEARS,
    MAX_POPULATION,
    MAX_REPLICATIONS,
    MIN_REQUESTS_PER_MONTH,
    YEAR_RANGE,
    needs_per_month,
)
from model.errors import ScenarioError
from model.model import EGovModel
from model.outputs import ANNUAL_COLUMNS
from model.scenario import Scenario
from model.seeds import check_seed, replication_seeds


def min_population(scenario: Scenario) -> int:
    """Fewest simulated citizens a run of ``scenario`` needs
    (:data:`model.defaults.MIN_REQUESTS_PER_MONTH` expected requests a month).
    """
    per_citizen = needs_per_month(1, scenario.behaviour.need_rate_per_year)
    return math.ceil(MIN_REQUESTS_PER_MONTH / per_citizen)


def check_run(scenario: Scenario, *, years: tuple[int, int] = DEFAULT_YEARS,
              population: int | None = DEFAULT_POPULATION, where: str = "population") -> None:
    """Refuse a run the model cannot do with one line (:class:`ScenarioError`).

    ``where`` names the option or field the population came from (``--population``,
    ``experiment.population``).
    """
    first, last = years
    if not YEAR_RANGE[0] <= first <= last <= YEAR_RANGE[1]:
        raise ScenarioError(scenario.path, "years", f"{first}-{last} is not FIRST <= LAST within "
                                                    f"{YEAR_RANGE[0]}-{YEAR_RANGE[1]}")
    n = scenario.population.residents if population is None else population
    if n > MAX_POPULATION:
        raise ScenarioError(None, where, f"{n} simulated citizens is more than the "
                                         f"{MAX_POPULATION:,} a run can hold")
    n = min(n, scenario.population.residents)
    needed = min_population(scenario)
    if n < needed:
        raise ScenarioError(scenario.path, where,
                            f"{n} simulated citizens is too few for {scenario.name}: at least "
                            f"{needed} give the {MIN_REQUESTS_PER_MONTH:g} requests a month the "
                            "model needs")


def check_runs(scenarios: Sequence[Scenario], *, years: tuple[int, int] = DEFAULT_YEARS,
               population: int | None = DEFAULT_POPULATION, where: str = "population") -> None:
    """:func:`check_run` for each scenario, and no two with the same name (their rows would be
    pooled into one table).
    """
    names = [sc.name for sc in scenarios]
    for sc in scenarios:
        if names.count(sc.name) > 1:
            raise ScenarioError(sc.path, "scenario.name", f"{sc.name!r} names two scenarios of "
                                                          "this run; give each its own name")
        check_run(sc, years=years, population=population, where=where)


def run(scenario: Scenario, seed: int, *, years: tuple[int, int] = DEFAULT_YEARS,
        population: int | None = DEFAULT_POPULATION, replication: int = 0) -> pd.DataFrame:
    """Simulate ``scenario`` from January of ``years[0]`` to December of ``years[1]``.

    ``population`` is the number of simulated citizens (each weighted to stand for
    residents / population), or None for the whole population. Returns one row per year with
    the columns of :data:`model.outputs.ANNUAL_COLUMNS`. A run the model cannot do (see
    :func:`check_run`) or a bad seed is a :class:`ScenarioError`.
    """
    model = _model_for(scenario, seed, years, population)
    while model.running:
        model.step()
    return _table(scenario, replication, seed, model.annual_records)


def _model_for(scenario: Scenario, seed: int, years: tuple[int, int],
               population: int | None) -> EGovModel:
    """The model of one run, after the checks of :func:`run`."""
    check_run(scenario, years=years, population=population)
    _seed(seed, "seed")
    return EGovModel(scenario, population=population, start_year=years[0], end_year=years[1],
                     rng=seed)


def _table(scenario: Scenario, replication: int, seed: int, records: list[dict]) -> pd.DataFrame:
    """A run's yearly records as its table (:data:`model.outputs.ANNUAL_COLUMNS`)."""
    # One frame built from complete rows (a third of the time of building one and inserting
    # four columns; the same table).
    fixed = {"scenario": scenario.name, "region": scenario.region, "replication": replication,
             "seed": seed}
    missing = set(ANNUAL_COLUMNS) - fixed.keys() - records[0].keys()
    if missing:
        raise KeyError(f"the yearly rows lack {sorted(missing)}")
    return pd.DataFrame([{**fixed, **r} for r in records], columns=list(ANNUAL_COLUMNS))


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


def map_runs(fn: Callable[[Any], Any], items: Sequence[Any], workers: int = 1,
             on_done: Callable[[int, Any], None] | None = None,
             backend: Backend | None = None) -> list[Any]:
    """``[fn(x) for x in items]``, in order, on ``backend`` (default: ``workers`` local
    processes, see :mod:`model.backend`).

    ``on_done(i, result)`` is called as each result arrives (in completion order).
    """
    results: list[Any] = [None] * len(items)

    def keep(i: int, result: Any) -> None:
        results[i] = result
        if on_done:
            on_done(i, result)

    (backend or local(workers if len(items) > 1 else 1)).imap(fn, items, keep)
    return results


BATCH_CITIZENS = 160_000
"""Most simulated citizens stepped together in one batch (:mod:`model.batch`): enough runs of
a few thousand citizens that the per-operation cost is shared (``benchmarks/bench.py``'s
``small_run`` figures: throughput is flat from about 40,000 citizens a batch up), few enough
that a batch's arrays stay a few tens of megabytes."""
BATCH_MAX_RUNS = 32
"""Most runs in one batch (each keeps its own objects and streams)."""


def _citizens_of(task: Any) -> int:
    residents = task.scenario.population.residents
    return residents if task.population is None else min(int(task.population), residents)


def batch_plan(tasks: Sequence[Any], workers: int = 1) -> list[list[int]]:
    """Task indices grouped into batches: runs of one behaviour, size and span, at most
    :data:`BATCH_MAX_RUNS` and :data:`BATCH_CITIZENS` citizens a batch, a group's batches of
    even size; while there are fewer batches than ``workers``, the largest is halved (so
    batching never idles a worker). Order within a batch follows the tasks'.
    """
    groups: dict[tuple, list[int]] = {}
    for i, t in enumerate(tasks):
        groups.setdefault((t.scenario.behaviour, tuple(t.years), _citizens_of(t)), []).append(i)
    plan = []
    for (_, _, n), members in groups.items():
        most = min(BATCH_MAX_RUNS, max(1, BATCH_CITIZENS // n))
        size = math.ceil(len(members) / math.ceil(len(members) / most))  # even batches
        plan += [members[j:j + size] for j in range(0, len(members), size)]
    while plan and len(plan) < workers and max(len(b) for b in plan) > 1:
        big = max(range(len(plan)), key=lambda j: len(plan[j]))
        half = (len(plan[big]) + 1) // 2
        plan[big:big + 1] = [plan[big][:half], plan[big][half:]]
    return plan


def _do_batch(tasks: Sequence[Any]) -> list[pd.DataFrame]:
    from model.batch import run_batch
    models = [_model_for(t.scenario, t.seed, t.years, t.population) for t in tasks]
    return [_table(t.scenario, t.replication, t.seed, records)
            for t, records in zip(tasks, run_batch(models), strict=True)]


def run_many(tasks: Sequence[Any], workers: int = 1,
             on_done: Callable[[int, pd.DataFrame], None] | None = None,
             backend: Backend | None = None) -> list[pd.DataFrame]:
    """``[run(t.scenario, t.seed, ...) for t in tasks]`` (each task with ``scenario``,
    ``replication``, ``seed``, ``years``, ``population``), the same tables, with small runs
    stepped together in batches (:func:`batch_plan`, :mod:`model.batch`) on ``backend``.

    ``on_done(i, table)`` is called for each task as its batch arrives.
    """
    if not tasks:
        return []
    plan = batch_plan(tasks, backend.parallelism() if backend is not None else workers)
    results: list[Any] = [None] * len(tasks)

    def keep(j: int, tables: list[pd.DataFrame]) -> None:
        for i, table in zip(plan[j], tables, strict=True):
            results[i] = table
            if on_done:
                on_done(i, table)

    map_runs(_do_batch, [[tasks[i] for i in batch] for batch in plan], workers=workers,
             on_done=keep, backend=backend)
    return results


def _seed(seed: int, where: str) -> int:
    try:
        return check_seed(seed)
    except ValueError as err:
        raise ScenarioError(None, where, str(err)) from None


def check_replications(replications: int, where: str = "--replications") -> int:
    """``replications`` if within 1 .. :data:`model.defaults.MAX_REPLICATIONS`."""
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise ScenarioError(None, where, f"{replications} is outside 1-{MAX_REPLICATIONS:,}")
    return replications


def run_replications(scenarios: Iterable[Scenario], replications: int, master_seed: int, *,
                     years: tuple[int, int] = DEFAULT_YEARS,
                     population: int | None = DEFAULT_POPULATION, workers: int = 1,
                     on_done: Callable[[int, Any], None] | None = None,
                     backend: Backend | None = None) -> pd.DataFrame:
    """All replications of all scenarios, one table ordered by scenario, replication, year.

    Every scenario and the run settings are checked before the first run starts.
    """
    scenarios = list(scenarios)
    check_replications(replications)
    check_runs(scenarios, years=years, population=population)
    seeds = replication_seeds(_seed(master_seed, "--seed"), replications)
    tasks = [Task(sc, r, seeds[r], years, population)
             for sc in scenarios for r in range(replications)]
    frames = run_many(tasks, workers=workers, on_done=on_done, backend=backend)
    return pd.concat(frames, ignore_index=True)


__all__ = ["Backend", "DEFAULT_YEARS", "Task", "batch_plan", "check_replications", "check_run",
           "check_runs", "default_workers", "map_runs", "min_population", "replication_seeds",
           "run", "run_many", "run_replications"]

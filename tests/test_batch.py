"""model.batch: runs stepped together give the yearly rows of the same runs alone, draw for draw.

The runs of a batch differ in region, policy and seed (Jember has a recruitment round, a
super-app and two MPP openings; the what-ifs change spending, training and hiring from 2025),
so every per-run path — events, levers, budgets, hires — is crossed with the others.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from model.batch import Batch, run_batch
from model.io import data_path
from model.model import EGovModel
from model.scenario import load_scenario, with_overrides

YEARS = (2018, 2026)
POPULATION = 2_000
FRAGMENTATION_ON = {"behaviour.staff_burden_per_fragmentation": 0.8,
                    "behaviour.citizen_confusion_per_fragmentation": 4.0,
                    "behaviour.online_failure_per_fragmentation": 0.3}
"""The fragmentation terms the calibrated point leaves at 0: per-run values that meet the
float32 columns of citizens and staff, where a batch must round as a run alone does."""


def _scenarios():
    names = [("scenarios", "jember.toml"), ("scenarios", "kediri.toml"),
             ("scenarios", "whatif", "jember_recruitment_2025.toml"),
             ("scenarios", "whatif", "kediri_apps_to_training_2025.toml"),
             ("scenarios", "whatif", "jember_training_service_2025.toml")]
    return [load_scenario(data_path(*n)) for n in names]


def _model(scenario, seed: int) -> EGovModel:
    return EGovModel(scenario, population=POPULATION, start_year=YEARS[0], end_year=YEARS[1],
                     rng=seed)


def _alone(scenario, seed: int) -> list[dict]:
    m = _model(scenario, seed)
    while m.running:
        m.step()
    return m.annual_records


def _same(a: dict, b: dict) -> bool:
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("behaviour", [{}, FRAGMENTATION_ON], ids=["calibrated", "fragmented"])
def test_batched_runs_give_each_run_alone_exactly(behaviour):
    scenarios = [with_overrides(sc, behaviour) for sc in _scenarios()]
    plan = [(sc, seed) for seed in (3, 4) for sc in scenarios]
    batched = run_batch([_model(sc, seed) for sc, seed in plan])
    for (sc, seed), rows in zip(plan, batched, strict=True):
        alone = _alone(sc, seed)
        assert [r["year"] for r in rows] == list(range(YEARS[0], YEARS[1] + 1))
        for mine, theirs in zip(rows, alone, strict=True):
            moved = [k for k in theirs if not _same(mine[k], theirs[k])]
            assert not moved, f"{sc.name} seed {seed} {mine['year']}: {moved[:5]}"


def test_a_run_batched_with_others_keeps_its_own_luck():
    """The same run beside different company gives the same rows (no stream is shared)."""
    jember, kediri = _scenarios()[:2]
    first = run_batch([_model(jember, 5), _model(kediri, 6)])[0]
    second = run_batch([_model(jember, 5), _model(jember, 7), _model(kediri, 8)])[0]
    assert first == second
    assert run_batch([_model(jember, 9)])[0] != first  # a different seed is different luck


def test_a_batch_refuses_runs_it_cannot_step_together():
    jember = _scenarios()[0]
    other = dataclasses.replace(jember, behaviour=dataclasses.replace(
        jember.behaviour, need_rate_per_year=jember.behaviour.need_rate_per_year * 1.1))
    with pytest.raises(ValueError, match="behaviour"):
        Batch([_model(jember, 1), _model(other, 1)])
    small = EGovModel(jember, population=POPULATION // 2, start_year=YEARS[0],
                      end_year=YEARS[1], rng=1)
    with pytest.raises(ValueError, match="size"):
        Batch([_model(jember, 1), small])


def test_run_many_gives_the_tables_of_run_in_the_tasks_order():
    from model.runner import Task, run, run_many
    jember, kediri = _scenarios()[:2]
    tasks = [Task(sc, r, seed, YEARS, POPULATION)
             for sc in (jember, kediri) for r, seed in enumerate((21, 22))]
    seen = []
    tables = run_many(tasks, on_done=lambda i, _: seen.append(i))
    assert sorted(seen) == list(range(len(tasks)))
    for t, table in zip(tasks, tables, strict=True):
        alone = run(t.scenario, t.seed, years=t.years, population=t.population,
                    replication=t.replication)
        assert table.equals(alone)


def test_the_batch_plan_keeps_batches_of_one_kind_and_feeds_every_worker():
    from model.runner import BATCH_CITIZENS, BATCH_MAX_RUNS, Task, batch_plan
    jember = _scenarios()[0]
    other = dataclasses.replace(jember, behaviour=dataclasses.replace(
        jember.behaviour, need_rate_per_year=jember.behaviour.need_rate_per_year * 1.1))
    tasks = [Task(sc, r, r, YEARS, POPULATION) for sc in (jember, other) for r in range(40)]
    plan = batch_plan(tasks, workers=1)
    assert sorted(i for batch in plan for i in batch) == list(range(80))
    for batch in plan:
        assert len({tasks[i].scenario.behaviour for i in batch}) == 1
        assert len(batch) <= min(BATCH_MAX_RUNS, BATCH_CITIZENS // POPULATION)
    few = tasks[:6]
    assert len(batch_plan(few, workers=2)) == 2  # one batch would leave a worker idle
    large = [Task(jember, r, r, YEARS, BATCH_CITIZENS) for r in range(3)]
    assert [len(b) for b in batch_plan(large)] == [1, 1, 1]


def test_the_batch_plan_splits_only_while_a_worker_would_idle():
    """A posterior what-if: each draw's baseline and what-if share a behaviour; with more
    draws than workers they stay together (batches of two), a single group is halved."""
    from model.runner import Task, batch_plan
    jember = _scenarios()[0]
    draws = [with_overrides(jember, {"behaviour.need_rate_per_year": 2.0 + k / 10})
             for k in range(8)]
    tasks = [Task(sc, 0, 1, YEARS, POPULATION) for sc in draws for _ in range(2)]
    assert [len(b) for b in batch_plan(tasks, workers=2)] == [2] * 8
    one = [Task(jember, r, r, YEARS, POPULATION) for r in range(5)]
    assert sorted(len(b) for b in batch_plan(one, workers=2)) == [2, 3]


def test_a_batch_starts_in_january_and_no_tasks_are_no_tables():
    from model.runner import run_many
    m = _model(_scenarios()[0], 1)
    m.step()
    with pytest.raises(ValueError, match="January"):
        Batch([m])
    assert run_many([]) == []


def test_a_groups_batches_are_of_even_size():
    from model.runner import Task, batch_plan
    jember = _scenarios()[0]
    tasks = [Task(jember, r, r, YEARS, 20_000) for r in range(20)]  # at most 8 a batch
    assert [len(b) for b in batch_plan(tasks, workers=2)] == [7, 7, 6]


def test_run_many_on_two_worker_processes_gives_the_serial_tables():
    from model.runner import Task, run_many
    jember, kediri = _scenarios()[:2]
    tasks = [Task(sc, r, 30 + r, (2018, 2020), POPULATION)
             for sc in (jember, kediri) for r in range(3)]
    serial, pooled = run_many(tasks, workers=1), run_many(tasks, workers=2)
    assert all(a.equals(b) for a, b in zip(serial, pooled, strict=True))


def test_run_many_on_a_dask_cluster_plans_batches_for_its_workers(monkeypatch):
    """On a cluster the batches are planned for the cluster's workers (two here, so no worker
    idles), not for the one the scheduler's backend names, and give the serial tables."""
    from distributed import LocalCluster

    import model.runner as runner
    from model.backend import Backend
    jember = _scenarios()[0]
    tasks = [runner.Task(jember, r, 30 + r, (2018, 2019), POPULATION) for r in range(4)]
    serial = runner.run_many(tasks, workers=1)
    planned = []
    real = runner.batch_plan
    monkeypatch.setattr(runner, "batch_plan",
                        lambda ts, workers: planned.append(workers) or real(ts, workers))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        tables = runner.run_many(tasks, backend=Backend("scheduler",
                                                        address=cluster.scheduler_address))
    assert planned == [2]
    assert all(a.equals(b) for a, b in zip(serial, tables, strict=True))


def test_each_months_context_in_a_batch_is_the_runs_own_exactly():
    """What citizens face each month (app coverage, waits, facilities, channels...) is, for
    every run of a batch, what the run alone computes, to the bit: the yearly rows alone
    could hide a last-bit difference that flips no discrete choice."""
    from dataclasses import fields

    from model.citizens import MonthContext
    scenarios = [with_overrides(sc, FRAGMENTATION_ON) for sc in _scenarios()[:2]]
    plan = [(sc, seed) for seed in (11, 12) for sc in scenarios]
    alone = [_model(sc, seed) for sc, seed in plan]
    batch = Batch([_model(sc, seed) for sc, seed in plan])
    for _ in range(12 * (YEARS[1] - YEARS[0] + 1) - 1):  # through the MPPs and recruitment
        for m in alone:
            m.step()
        batch.step()
        together = batch._context()
        for b, m in enumerate(alone):
            own = m._context()
            for f in fields(MonthContext):
                mine = np.asarray(getattr(together, f.name))
                theirs = np.asarray(getattr(own, f.name))
                width = theirs.size
                assert np.array_equal(mine[b * width:(b + 1) * width], theirs.ravel()), \
                    (f.name, m.year, m.month)

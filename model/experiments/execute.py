"""Running an experiment on any :class:`~model.backend.Backend` (serial, pool, Dask).

Every run is one :class:`RunTask` handed to the top-level function :func:`execute_task`, which
calls the pure boundary :func:`model.run` (through :func:`simulate_model`) and never raises: an
error comes back as data and is recorded, and the sweep goes on. The task carries its own seed,
so the numbers are identical whichever executor runs it, in whatever order.

Results stream to disk as they arrive (:class:`~model.experiments.store.ResultStore`); the
backend keeps only a small window of tasks in flight, so memory stays flat however long the
sweep.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from model.backend import Backend
from model.errors import ScenarioError
from model.experiments.design import DesignPoints, build_design, runs_table
from model.experiments.spec import Experiment, apply_factors
from model.experiments.store import ResultStore, fingerprint, new_manifest
from model.runner import check_run, run


@dataclass(frozen=True)
class RunTask:
    """One run: the base scenario, one design point's factor values, a replication's seed."""

    run_id: str
    point: int
    replication: int
    seed: int
    factors: tuple[tuple[str, float], ...]
    base: Any  # a Scenario (or whatever ``simulate`` needs)
    years: tuple[int, int]
    population: int | None
    simulate: Callable[[RunTask], pd.DataFrame]

    @property
    def ids(self) -> dict[str, Any]:
        """``run_id``, ``point``, ``replication``, ``seed``."""
        return {"run_id": self.run_id, "point": self.point, "replication": self.replication,
                "seed": self.seed}


@dataclass
class RunResult:
    """What came back from a run: its table, or its error."""

    task: RunTask
    table: pd.DataFrame | None
    error: str | None = None
    trace: str | None = None
    seconds: float = 0.0


def simulate_model(task: RunTask) -> pd.DataFrame:
    """The default simulator: apply the factor values, call :func:`model.run`."""
    scenario = apply_factors(task.base, dict(task.factors))
    return run(scenario, task.seed, years=task.years, population=task.population,
               replication=task.replication)


def execute_task(task: RunTask) -> RunResult:
    """Run one task; an exception is returned as the result's error, never raised."""
    started = time.perf_counter()
    try:
        table = task.simulate(task)
    except Exception as err:  # recorded with its traceback; the sweep goes on
        return RunResult(task, None, f"{type(err).__name__}: {err}", traceback.format_exc(),
                         time.perf_counter() - started)
    return RunResult(task, table, seconds=time.perf_counter() - started)


def execute(tasks: Iterable[RunTask], backend: Backend,
            on_result: Callable[[RunResult], None]) -> None:
    """Run every task on ``backend``; call ``on_result`` in the calling process as each ends."""
    backend.imap(execute_task, tasks, lambda _, result: on_result(result))


@dataclass
class SweepSummary:
    """How a sweep went."""

    name: str
    out: Path
    total: int
    resumed: int
    finished: int = 0
    failed: int = 0
    seconds: float = 0.0
    backend: str = "serial"
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def line(self) -> str:
        """The one-line summary printed at the end."""
        done = self.resumed + self.finished
        return (f"egovsim: {self.name}: {done}/{self.total} runs done ({self.finished} now, "
                f"{self.resumed} from before), {self.failed} failed, {self.seconds:.1f} s on "
                f"{self.backend}; results in {self.out}/ (annual/, outcomes.csv, manifest.json"
                + (", failures.csv" if self.failed else "") + ")")


def check_points(exp: Experiment, design: DesignPoints, points: Iterable[int]) -> None:
    """Refuse, with one line naming the point, a design point whose scenario is invalid or
    that the model cannot run (:func:`model.runner.check_run`); nothing is run or written.
    """
    for point in points:
        values = dict(zip(design.names, (float(v) for v in design.values[point]), strict=True))
        try:
            scenario = apply_factors(exp.base, values)
            check_run(scenario, years=exp.years, population=exp.population)
        except ScenarioError as err:
            shown = ", ".join(f"{k} = {v:.6g}" for k, v in values.items())
            raise ScenarioError(exp.path, f"design point {point} ({shown})",
                                err.message) from None


def run_experiment(exp: Experiment, out: str | Path, backend: Backend | None = None, *,
                   resume: bool = False,
                   simulate: Callable[[RunTask], pd.DataFrame] = simulate_model,
                   progress: bool = True) -> SweepSummary:
    """Run every unfinished run of ``exp`` into the folder ``out`` and compute the outcomes.

    ``simulate`` (a top-level function of a :class:`RunTask`) replaces the model, e.g. with a
    test function of known answer. With the model, every design point still to run is checked
    first (:func:`check_points`). The caller holds the folder (:func:`model.io.output_folder`
    with ``in_place=True``), so no other writer is in it.
    """
    backend = backend or Backend()
    store = ResultStore(out)
    design = build_design(exp)
    design_table = design.table()
    runs = runs_table(exp, len(design))
    fp = fingerprint(exp, design_table, runs)
    done = store.check(fp, resume=resume)  # may refuse; nothing written yet
    todo = runs[~runs["run_id"].isin(done)]
    if simulate is simulate_model:
        check_points(exp, design, sorted(set(todo["point"])))
    backend.check()
    manifest = new_manifest(exp, design_table, fp, backend.describe(), len(runs))
    previous = store.read_manifest() if resume else None
    if previous is not None:  # keep when the experiment started; note when it was resumed
        manifest["resumed"] = manifest["created"]
        manifest["created"] = previous.get("created", manifest["created"])
    store.start(manifest, design_table, runs)
    values = design.values

    def tasks() -> Iterator[RunTask]:
        for rid, point, rep, seed in todo.itertuples(index=False):
            factors = tuple(zip(design.names, (float(v) for v in values[point]), strict=True))
            yield RunTask(rid, int(point), int(rep), int(seed), factors, exp.base, exp.years,
                          exp.population, simulate)

    summary = SweepSummary(exp.name, Path(out), len(runs), resumed=len(runs) - len(todo),
                           backend=backend.describe())
    started = time.perf_counter()
    with tqdm(total=len(runs), initial=summary.resumed, desc=exp.name, unit="run",
              file=sys.stderr, disable=not progress, dynamic_ncols=True) as bar:
        bar.set_postfix(failed=0)

        def on_result(res: RunResult) -> None:
            factors = dict(res.task.factors)
            if res.error is not None:
                store.write_failure(res.task.ids, factors, res.error, res.trace or "")
                summary.failed += 1
            else:
                store.write_run(res.task.ids, factors, res.table)
                summary.finished += 1
            bar.update()
            bar.set_postfix(failed=summary.failed)

        execute(tasks(), backend, on_result)
    summary.seconds = time.perf_counter() - started
    summary.outcomes = store.write_outcomes(exp)
    store.finish(manifest, {"runs_total": len(runs), "runs_done": len(store.done_ids()),
                            "runs_failed": summary.failed, "runs_this_session": summary.finished,
                            "seconds_this_session": round(summary.seconds, 3),
                            "backend": backend.describe()})
    return summary

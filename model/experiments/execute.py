"""Running an experiment: serially, on a local process pool, or on a Dask cluster.

Every run is one :class:`RunTask` handed to the top-level function :func:`execute_task`, which
calls the pure boundary :func:`model.run` (through :func:`simulate_model`) and never raises: an
error comes back as data and is recorded, and the sweep goes on. The task carries its own seed,
so the numbers are identical whichever executor runs it, in whatever order.

Results stream to disk as they arrive (:class:`~model.experiments.store.ResultStore`); at most
a small window of tasks (twice the number of workers) is in flight, so memory stays flat
however long the sweep.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from model.errors import ScenarioError
from model.experiments.design import build_design, runs_table
from model.experiments.spec import Experiment, apply_factors
from model.experiments.store import ResultStore, fingerprint, new_manifest
from model.runner import run

BACKENDS = ("serial", "pool", "dask-local", "scheduler")


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


@dataclass(frozen=True)
class Backend:
    """Where runs execute: ``serial``, ``pool`` (N local processes), ``dask-local`` (a Dask
    LocalCluster of N worker processes) or ``scheduler`` (an existing Dask cluster).
    """

    kind: str = "serial"
    workers: int = 1
    address: str | None = None

    def describe(self) -> str:
        """Short text for the manifest and the summary."""
        if self.kind == "scheduler":
            return f"dask scheduler {self.address}"
        if self.kind == "serial":
            return "serial"
        return f"{self.kind} ({self.workers} workers)"


def check_backend(backend: Backend) -> None:
    """Fail early, before anything is written, if a Dask scheduler cannot be reached."""
    if backend.kind != "scheduler":
        return
    from distributed import Client

    try:
        Client(backend.address, timeout="20s").close()
    except (OSError, TimeoutError, ValueError) as err:
        raise ScenarioError(None, "--scheduler",
                            f"cannot reach a Dask scheduler at {backend.address}: {err}"
                            ) from None


def execute(tasks: Iterable[RunTask], backend: Backend,
            on_result: Callable[[RunResult], None]) -> None:
    """Run every task on ``backend``; call ``on_result`` in the calling process as each ends."""
    if backend.kind == "serial" or (backend.kind == "pool" and backend.workers <= 1):
        for task in tasks:
            on_result(execute_task(task))
    elif backend.kind == "pool":
        _execute_pool(iter(tasks), backend.workers, on_result)
    elif backend.kind in ("dask-local", "scheduler"):
        _execute_dask(iter(tasks), backend, on_result)
    else:
        raise ValueError(f"unknown backend {backend.kind!r}; use one of {BACKENDS}")


def _execute_pool(tasks: Iterator[RunTask], workers: int,
                  on_result: Callable[[RunResult], None]) -> None:
    window = 2 * workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        pending: set = set()

        def fill() -> None:
            while len(pending) < window:
                task = next(tasks, None)
                if task is None:
                    return
                pending.add(pool.submit(execute_task, task))

        fill()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                on_result(fut.result())
            fill()


def _execute_dask(tasks: Iterator[RunTask], backend: Backend,
                  on_result: Callable[[RunResult], None]) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if backend.kind == "dask-local":
        cluster = LocalCluster(n_workers=backend.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = Client(backend.address, timeout="30s")
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = 2 * n_workers
        queue = as_completed()
        for _ in range(window):
            task = next(tasks, None)
            if task is None:
                break
            queue.add(client.submit(execute_task, task, pure=False))
        for fut in queue:
            result = fut.result()
            fut.release()
            on_result(result)
            task = next(tasks, None)
            if task is not None:
                queue.add(client.submit(execute_task, task, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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


def run_experiment(exp: Experiment, out: str | Path, backend: Backend | None = None, *,
                   resume: bool = False,
                   simulate: Callable[[RunTask], pd.DataFrame] = simulate_model,
                   progress: bool = True) -> SweepSummary:
    """Run every unfinished run of ``exp`` into the folder ``out`` and compute the outcomes.

    ``simulate`` (a top-level function of a :class:`RunTask`) replaces the model, e.g. with a
    test function of known answer.
    """
    backend = backend or Backend()
    store = ResultStore(out)
    design = build_design(exp)
    design_table = design.table()
    runs = runs_table(exp, len(design))
    fp = fingerprint(exp, design_table)
    done = store.check(fp, resume=resume)  # may refuse; nothing written yet
    check_backend(backend)
    manifest = new_manifest(exp, design_table, fp, backend.describe(), len(runs))
    previous = store.read_manifest() if resume else None
    if previous is not None:  # keep when the experiment started; note when it was resumed
        manifest["resumed"] = manifest["created"]
        manifest["created"] = previous.get("created", manifest["created"])
    store.start(manifest, design_table, runs)

    todo = runs[~runs["run_id"].isin(done)]
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

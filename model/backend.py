"""Where runs execute: serially, on a local process pool, or on a Dask cluster, one interface.

``egovsim run`` (:func:`model.runner.map_runs`), sweeps and sensitivity analysis
(:mod:`model.experiments.execute`) all hand their work to :meth:`Backend.imap`. Every item
carries its own seed, so the numbers do not depend on the backend or on the order in which
results come back. At most a small window of items (twice the number of workers) is in flight,
so memory stays flat however many items there are.

The local pool uses ``fork``: on short runs it beats ``spawn`` (measured: 1.68x vs 1.27x serial
with 2 workers, ``docs/performance.md``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from model.errors import ScenarioError

KINDS = ("serial", "pool", "dask-local", "scheduler")
WINDOW_PER_WORKER = 2
"""Items in flight per worker (items): one running, one queued, so no worker waits."""
CHECK_TIMEOUT = "20s"
"""How long to try reaching a Dask scheduler before a sweep starts (assumption: a cluster on
the same network answers in well under a second; 20 s allows a slow first connection)."""
CONNECT_TIMEOUT = "30s"
"""How long a sweep waits to connect to the scheduler it was checked against (assumption)."""


def default_workers() -> int:
    """All cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class Backend:
    """``serial``, ``pool`` (N local processes), ``dask-local`` (a Dask LocalCluster of N worker
    processes) or ``scheduler`` (an existing Dask cluster at ``address``).
    """

    kind: str = "serial"
    workers: int = 1
    address: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown backend {self.kind!r}; use one of {KINDS}")

    def describe(self) -> str:
        """Short text for manifests and summaries."""
        if self.kind == "scheduler":
            return f"dask scheduler {self.address}"
        if self.kind == "serial" or (self.kind == "pool" and self.workers <= 1):
            return "serial"
        return f"{self.kind} ({self.workers} workers)"

    def check(self) -> None:
        """Fail early, before anything is written, if a Dask scheduler cannot be reached."""
        if self.kind != "scheduler":
            return
        from distributed import Client

        try:
            Client(self.address, timeout=CHECK_TIMEOUT).close()
        except (OSError, TimeoutError, ValueError) as err:
            raise ScenarioError(None, "--scheduler",
                                f"cannot reach a Dask scheduler at {self.address}: {err}"
                                ) from None

    def parallelism(self) -> int:
        """How many items run at once: a Dask cluster's workers (asked now), else ``workers``.

        Round and batch sizes follow it, so a cluster is filled.
        """
        if self.kind != "scheduler":
            return max(1, self.workers)
        from distributed import Client

        with Client(self.address, timeout=CONNECT_TIMEOUT) as client:
            return _cluster_workers(client)

    def imap(self, fn: Callable[[Any], Any], items: Iterable[Any],
             on_result: Callable[[int, Any], None]) -> None:
        """Call ``fn(item)`` for every item; ``on_result(i, result)`` runs in the calling
        process as each finishes (completion order; ``i`` is the item's position).

        ``fn`` must be a top-level function (it is pickled to the workers). An exception in
        ``fn`` propagates to the caller.
        """
        numbered = enumerate(items)
        if self.kind == "serial" or (self.kind == "pool" and self.workers <= 1):
            for i, item in numbered:
                on_result(i, fn(item))
        elif self.kind == "pool":
            _imap_pool(fn, numbered, self.workers, on_result)
        else:
            _imap_dask(fn, numbered, self, on_result)


def local(workers: int) -> Backend:
    """The local backend for ``workers`` processes (serial for one)."""
    return Backend("serial") if workers <= 1 else Backend("pool", workers=workers)


def _imap_pool(fn: Callable[[Any], Any], numbered: Iterator[tuple[int, Any]], workers: int,
               on_result: Callable[[int, Any], None]) -> None:
    window = WINDOW_PER_WORKER * workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        pending: dict = {}

        def fill() -> None:
            while len(pending) < window:
                nxt = next(numbered, None)
                if nxt is None:
                    return
                pending[pool.submit(fn, nxt[1])] = nxt[0]

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                on_result(pending.pop(fut), fut.result())
            fill()


def _cluster_workers(client: Any) -> int:
    """The workers a Dask client's cluster has now (at least one)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


def _imap_dask(fn: Callable[[Any], Any], numbered: Iterator[tuple[int, Any]], backend: Backend,
               on_result: Callable[[int, Any], None]) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if backend.kind == "dask-local":
        cluster = LocalCluster(n_workers=backend.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = Client(backend.address, timeout=CONNECT_TIMEOUT)
    try:
        n_workers = _cluster_workers(client)
        queue = as_completed()
        index: dict[str, int] = {}

        def submit() -> None:
            nxt = next(numbered, None)
            if nxt is not None:
                fut = client.submit(fn, nxt[1], pure=False)
                index[fut.key] = nxt[0]
                queue.add(fut)

        for _ in range(WINDOW_PER_WORKER * n_workers):
            submit()
        for fut in queue:
            result = fut.result()
            i = index.pop(fut.key)
            fut.release()
            on_result(i, result)
            submit()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

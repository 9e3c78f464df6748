"""``egovsim run SCENARIO...``: replications of scenarios into tables, summary and figures.

The results folder appears whole or not at all: everything is validated first, the folder is
locked, the files are written into a temporary sibling folder and that is renamed into place
(:func:`model.io.output_folder`). An existing folder is replaced only with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from tqdm import tqdm

from model.cli import (
    add_overwrite_option,
    add_posterior_options,
    add_run_options,
    add_workers_option,
)
from model.figures import index_figure
from model.io import code_version, output_folder, write_json, write_table, write_text
from model.observed import observed_indices
from model.posterior import posterior_ensemble
from model.present.exports import write_differences
from model.present.numbers import other_regions
from model.runner import check_runs, default_workers, replication_seeds, run_replications
from model.scenario import load_scenario
from model.summary import INDICES, summary_markdown

KILL_AFTER = "EGOVSIM_TEST_KILL_AFTER"
"""Test hook: the name of a result file after whose writing the process kills itself (SIGKILL),
to show a kill at that moment leaves the old or the new folder, never a mix."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim run``."""
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    add_run_options(p)
    add_workers_option(p)
    add_posterior_options(p)
    p.add_argument("--out", default="results/run", help="output folder (default results/run)")
    add_overwrite_option(p)
    p.add_argument("--quiet", action="store_true",
                   help="print neither the summary nor the progress bar")


def _written(path: Path) -> None:
    if os.environ.get(KILL_AFTER) == path.name:
        os.kill(os.getpid(), signal.SIGKILL)


def _check_policy_windows(scenario, years: tuple[int, int]) -> None:
    """Warn (one line each) of a policy that never acts in the simulated years.

    A warning, not an error: a region file may carry a policy for years a shorter run does not
    reach (Jember's 2021 administration in a 2018-2020 run) and that run is still valid; but a
    what-if whose policy never acts equals its base, so the user is told which and why.
    """
    first, last = years
    for i, p in enumerate(scenario.policies):
        end = last if p.end_year is None else p.end_year
        if p.start_year > last or end < first:
            window = f"{p.start_year}-{'' if p.end_year is None else p.end_year}"
            print(f"egovsim: warning: {scenario.path}: policy[{i}]: {p.name!r} is in force "
                  f"{window}, outside the simulated years {first}-{last}: it never acts in "
                  "this run", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    """Validate everything first, take the folder, simulate, write, publish the folder."""
    scenarios = [load_scenario(path) for path in args.scenarios]
    check_runs(scenarios, years=args.years, population=args.population, where="--population")
    for sc in scenarios:
        _check_policy_windows(sc, args.years)
    ensemble = posterior_ensemble(args)
    observed = observed_indices()
    workers = args.workers or default_workers()
    n_runs = len(scenarios) * args.replications * (args.posterior or 1)
    with output_folder(args.out, overwrite=args.overwrite) as out:
        started = time.perf_counter()
        with tqdm(total=n_runs, desc="runs", unit="run", delay=1.0, file=sys.stderr,
                  disable=args.quiet) as bar:
            if ensemble is not None:
                annual = ensemble.run(scenarios, args, workers,
                                      on_done=lambda i, _: bar.update())
            else:
                annual = run_replications(scenarios, args.replications, args.seed,
                                          years=args.years, population=args.population,
                                          workers=workers, on_done=lambda i, _: bar.update())
        elapsed = time.perf_counter() - started
        write_table(annual, csv=out / "annual.csv")
        _written(out / "annual.csv")
        write_table(annual, parquet=out / "annual.parquet")
        _written(out / "annual.parquet")
        for index in INDICES:
            index_figure(annual, observed, index, out / f"{index}.png")
            _written(out / f"{index}.png")
        first = str(annual["scenario"].iloc[0])
        if annual["scenario"].nunique() - 1 > len(other_regions(annual, first)):
            # only scenarios of the first's region have a paired difference from it
            write_differences(annual, out / "differences.csv")
            _written(out / "differences.csv")
        summary = summary_markdown(annual, observed, "egovsim run: simulated against observed")
        if ensemble is not None:
            summary += "\n" + ensemble.write(annual, out)
        write_text(out / "summary.md", summary)
        _written(out / "summary.md")
        write_json(out / "metadata.json", {
            "command": "run", "argv": sys.argv[1:], "master_seed": args.seed,
            "replications": args.replications,
            "replication_seeds": replication_seeds(args.seed, args.replications),
            "years": list(args.years),
            "population": "full" if args.population is None else args.population,
            "scenarios": [sc.to_table() for sc in scenarios], "code": code_version(),
            "elapsed_seconds": round(elapsed, 3), "workers": workers,
            **(ensemble.metadata() if ensemble is not None else {}),
        })
        _written(out / "metadata.json")
    if not args.quiet:
        print(summary)
    print(f"egovsim: {n_runs} runs in {elapsed:.1f} s; results in {args.out}/", file=sys.stderr)
    return 0


"""``egovsim run SCENARIO...``: replications of scenarios into tables, summary and figures."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from model.cli import add_posterior_options, add_run_options, add_workers_option, check_out_dir
from model.figures import index_figure
from model.io import code_version, write_json, write_table, write_text
from model.observed import observed_indices
from model.posterior import posterior_ensemble
from model.runner import default_workers, replication_seeds, run_replications
from model.scenario import load_scenario
from model.summary import INDICES, summary_markdown


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim run``."""
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    add_run_options(p)
    add_workers_option(p)
    add_posterior_options(p)
    p.add_argument("--out", default="results/run", help="output folder (default results/run)")
    p.add_argument("--quiet", action="store_true", help="do not print the summary")


def main(args: argparse.Namespace) -> int:
    """Validate everything first, simulate, then write each file atomically."""
    scenarios = [load_scenario(path) for path in args.scenarios]
    out = check_out_dir(args.out)
    ensemble = posterior_ensemble(args)
    observed = observed_indices()
    workers = args.workers or default_workers()
    n_runs = len(scenarios) * args.replications * (args.posterior or 1)
    started = time.perf_counter()
    with tqdm(total=n_runs, desc="runs", unit="run", delay=1.0, file=sys.stderr) as bar:
        if ensemble is not None:
            annual = ensemble.run(scenarios, args, workers, on_done=lambda i, _: bar.update())
        else:
            annual = run_replications(scenarios, args.replications, args.seed, years=args.years,
                                      population=args.population, workers=workers,
                                      on_done=lambda i, _: bar.update())
    elapsed = time.perf_counter() - started
    write_table(annual, csv=out / "annual.csv", parquet=out / "annual.parquet")
    for index in INDICES:
        index_figure(annual, observed, index, out / f"{index}.png")
    summary = summary_markdown(annual, observed, "egovsim run: simulated against observed")
    if ensemble is not None:
        summary += "\n" + ensemble.write(annual, out)
    write_text(out / "summary.md", summary)
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
    if not args.quiet:
        print(summary)
    print(f"egovsim: {n_runs} runs in {elapsed:.1f} s; results in {out}/", file=sys.stderr)
    return 0

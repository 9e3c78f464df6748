"""``egovsim advise SCENARIO --year Y``: budget splits that hold up across the posterior."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from tqdm import tqdm

from model import advise as adv
from model import posterior as mp
from model.advice_text import LANGUAGES, Context, advice_markdown, tradeoff_figure
from model.cli import (
    add_overwrite_option,
    add_posterior_options,
    add_workers_option,
    population_arg,
    positive_int,
)
from model.errors import ScenarioError
from model.io import code_version, output_folder, write_json, write_table, write_text
from model.runner import default_workers
from model.scenario import load_scenario
from model.seeds import DEFAULT_SEED


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim advise``."""
    p.add_argument("scenario", metavar="SCENARIO", help="scenario TOML file")
    p.add_argument("--year", type=int, required=True,
                   help=f"year whose indices count ({adv.FIRST_YEAR + 1}-{adv.LAST_YEAR})")
    p.add_argument("--objective", default="ipp",
                   help="what to improve: " + ", ".join(adv.OBJECTIVES) + " (default ipp)")
    p.add_argument("--target", default=None,
                   help="grade or predikat to reach (default: one above the current split's)")
    add_posterior_options(p)
    p.add_argument("--replications", "-r", type=positive_int, default=None,
                   help="seeds per posterior draw (default: 2, or 1 with --quick)")
    p.add_argument("--from-year", type=int, default=adv.DEFAULT_FROM_YEAR,
                   help=f"first year of the new split (default {adv.DEFAULT_FROM_YEAR})")
    q, f = adv.QUICK, adv.FULL
    p.add_argument("--quick", action="store_true",
                   help=f"a short search: {q.draws} draws x {q.replications} seed, "
                   f"{q.population} citizens, {q.candidates} candidates (default: {f.draws} x "
                   f"{f.replications}, {f.population} citizens, {f.candidates} candidates)")
    p.add_argument("--population", type=population_arg, default=None,
                   help="simulated citizens per run (default: as the search settings)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"master seed (default {DEFAULT_SEED})")
    p.add_argument("--lang", default="id", help="language of advice.md: id (default) or en")
    add_workers_option(p)
    p.add_argument("--out", required=True, help="output folder")
    add_overwrite_option(p)


def _settings(args: argparse.Namespace) -> adv.SearchSettings:
    base = adv.QUICK if args.quick else adv.FULL
    changes = {k: v for k, v in (("draws", args.posterior), ("replications", args.replications),
                                 ("population", args.population)) if v is not None}
    return dataclasses.replace(base, **changes)


def _posterior(args: argparse.Namespace) -> mp.Posterior | None:
    """The posterior: ``--posterior-file`` (which must exist), else the default if its file
    exists (a damaged one is an error); None: the point.
    """
    if args.posterior_file is not None:  # a file named must exist
        return mp.load_posterior(args.posterior_file)
    if mp.DEFAULT_POSTERIOR.is_file():
        return mp.load_posterior()
    if args.hypothesis is not None:
        raise ScenarioError(str(mp.DEFAULT_POSTERIOR), None,
                            "file not found, so --hypothesis has nothing to draw from")
    return None


def main(args: argparse.Namespace) -> int:
    """Validate everything, search, then write the four outputs and the metadata."""
    scenario = load_scenario(args.scenario)
    if args.lang not in LANGUAGES:
        raise ScenarioError(None, "--lang", f"{args.lang!r}; use one of " + ", ".join(LANGUAGES))
    adv.check_years(args.year, args.from_year)
    adv.check_objective(args.objective, args.year)
    metrics = adv.metrics_for(scenario, args.year)
    adv.objective_metric(args.objective, metrics)
    target = adv.check_target(args.objective, args.target)
    settings = _settings(args)
    posterior = _posterior(args)
    worlds = adv.worlds_for(scenario, posterior, settings, args.seed,
                            hypothesis=args.hypothesis, year=args.year)
    workers = args.workers or default_workers()
    n_runs = settings.candidates * len(worlds)
    with output_folder(args.out, overwrite=args.overwrite) as out:
        return _search_and_write(args, scenario, metrics, target, settings, posterior, worlds,
                                 workers, n_runs, out)


def _search_and_write(args, scenario, metrics, target, settings, posterior, worlds, workers,
                      n_runs, out) -> int:
    """Search and write every output into ``out`` (the folder published when this returns)."""
    started = time.perf_counter()
    with tqdm(total=n_runs, desc="runs", unit="run", delay=1.0, file=sys.stderr) as bar:
        evaluate = adv.simulation_evaluator(worlds, metrics, args.from_year, workers=workers,
                                            on_done=lambda i, _: bar.update())
        advice = adv.search(evaluate, metrics, args.objective,
                            status_quo=adv.status_quo_split(scenario, args.from_year),
                            settings=settings, master_seed=args.seed, target=target)
    elapsed = time.perf_counter() - started
    ctx = Context(scenario=scenario.name, region=scenario.region, year=args.year,
                  from_year=args.from_year, worlds=len(worlds),
                  draws=settings.draws if posterior is not None else None,
                  replications=settings.replications, hypothesis=args.hypothesis,
                  population=settings.population)
    write_table(advice.table, csv=out / "advice.csv")
    write_table(advice.pareto, csv=out / "pareto.csv")
    tradeoff_figure(advice, out / "tradeoffs.png", args.lang)
    write_text(out / "advice.md", advice_markdown(advice, ctx, args.lang))
    write_json(out / "metadata.json", {
        "command": "advise", "argv": sys.argv[1:], "master_seed": args.seed,
        "scenario": scenario.to_table(), "year": args.year, "from_year": args.from_year,
        "objective": args.objective, "target": advice.target,
        "settings": dataclasses.asdict(settings), "worlds": len(worlds),
        "posterior": None if posterior is None else posterior.path,
        "hypothesis": args.hypothesis, "code": code_version(),
        "elapsed_seconds": round(elapsed, 3), "workers": workers,
    })
    print(f"egovsim: {len(advice.table)} splits in {elapsed:.1f} s; advice in {args.out}/",
          file=sys.stderr)
    return 0

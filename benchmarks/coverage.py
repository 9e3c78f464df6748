"""Coverage study: simulation-based calibration of the ABC model selection.

    .venv/bin/python benchmarks/coverage.py experiments/calibration.toml --out results/coverage

Each synthetic data set ``d`` (``--datasets``, at least 20 for the study) is made the way the
calibration assumes the real data were: a hypothesis drawn from the model prior (uniform over
the file's hypotheses), its parameters drawn from its prior, one simulation at them (seed
``run_seed(seed, DATA_REPLICATION + d, point)``, never a seed the fit uses), and the observed
values replaced by that simulation (same targets, tolerances and readings). The whole model
selection then runs on it at a reduced budget (``--population-size`` particles over all
hypotheses, ``--generations``, ``--minutes`` walltime, ``--population`` citizens per run).

Reported: for each estimated parameter of each hypothesis, how often its posterior 50% and 90%
intervals (weighted quantiles among the generating hypothesis' particles) cover the truth, with
a binomial standard error; and how often model selection gives the generating hypothesis the
highest probability. A well-calibrated posterior covers 50% and 90% of truths; at a reduced
budget ABC's tolerance widens the posterior, so coverage above nominal is expected and below
nominal is the failure to look for. A data set whose generating hypothesis died out counts as
not covered. Each data set's result is kept in ``OUT/set_<d>/`` so a killed study resumes.

Writes ``coverage_runs.csv`` (data set x parameter), ``coverage_selection.csv`` (data set),
``coverage.csv`` (parameter summary) and ``coverage.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from model.calibration import abc as abc_driver
from model.calibration.config import load_config
from model.calibration.pipeline import targets_for
from model.calibration.priors import prior_sample
from model.calibration.report import weighted_quantile
from model.calibration.simulate import simulate, stats_of
from model.calibration.targets import synthetic_targets
from model.io import write_table, write_text
from model.seeds import run_seed

DATA_REPLICATION = 10_000
"""Replication numbers of the synthetic data start here, far from the fit's replication 0."""
LEVELS = (0.5, 0.9)
"""Central interval levels whose coverage is reported."""


def one_data_set(config, d: int, folder: Path, workers: int) -> dict:
    """Simulate data set ``d``, run model selection on it, return its result."""
    s = config.settings
    rng = np.random.default_rng(run_seed(s.seed, DATA_REPLICATION + d))
    h = config.hypotheses[int(rng.integers(len(config.hypotheses)))]
    truth = prior_sample(config, 1, run_seed(s.seed, DATA_REPLICATION + d), h).iloc[0].to_dict()
    stats = stats_of(simulate(config, truth, h, replication=DATA_REPLICATION + d))
    targets = synthetic_targets(targets_for(config), stats)
    started = time.perf_counter()
    history = abc_driver.run_abc(config, targets, folder, workers=workers, progress=False)
    post = abc_driver.posterior(history, config)
    probs = abc_driver.model_probabilities(post, config)
    mine = post[post["hypothesis"] == h.name]
    rows = []
    for name in h.estimate:
        row = {"dataset": d, "hypothesis": h.name, "parameter": name, "truth": truth[name]}
        for level in LEVELS:
            tail = (1.0 - level) / 2.0
            if len(mine):
                lo, hi = weighted_quantile(mine[name].to_numpy(), mine["weight"].to_numpy(),
                                           [tail, 1.0 - tail])
            else:
                lo = hi = float("nan")
            row[f"lo_{level:g}"], row[f"hi_{level:g}"] = lo, hi
            row[f"covered_{level:g}"] = bool(lo <= truth[name] <= hi)
        w = mine["weight"].to_numpy()
        row["rank"] = float(w[mine[name].to_numpy() < truth[name]].sum() / w.sum()) if len(
            mine) else float("nan")
        rows.append(row)
    picked = max(probs, key=probs.get)
    return {"runs": rows, "selection": {
        "dataset": d, "generating": h.name, "picked": picked, "correct": picked == h.name,
        "p_generating": probs[h.name], "generations": int(history.max_t) + 1,
        "simulations": int(history.total_nr_simulations),
        "seconds": round(time.perf_counter() - started, 1)}}


def summarise(runs: pd.DataFrame, selection: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Coverage per parameter (with binomial standard errors) and a readable report."""
    rows = []
    for (h, name), g in runs.groupby(["hypothesis", "parameter"], sort=False):
        row = {"hypothesis": h, "parameter": name, "datasets": len(g)}
        for level in LEVELS:
            c = float(g[f"covered_{level:g}"].mean())
            row[f"coverage_{level:g}"] = c
            row[f"se_{level:g}"] = float(np.sqrt(c * (1 - c) / len(g)))
        rows.append(row)
    table = pd.DataFrame(rows)
    n = len(selection)
    lines = ["# Coverage study (simulation-based calibration)", "",
             f"{n} synthetic data sets; model selection picked the generating hypothesis in "
             f"{int(selection['correct'].sum())} of {n} "
             f"({selection['correct'].mean():.0%}); mean probability given to it "
             f"{selection['p_generating'].mean():.2f}.", "",
             f"Pooled over parameters: 50% intervals covered {runs['covered_0.5'].mean():.0%}, "
             f"90% intervals {runs['covered_0.9'].mean():.0%} of truths.", "",
             "| hypothesis | parameter | data sets | 50% coverage | 90% coverage |",
             "| --- | --- | --- | --- | --- |"]
    for _, r in table.iterrows():
        lines.append(f"| {r['hypothesis']} | {r['parameter']} | {r['datasets']} | "
                     f"{r['coverage_0.5']:.2f} | {r['coverage_0.9']:.2f} |")
    return table, "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--out", default="results/coverage")
    ap.add_argument("--datasets", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--population-size", type=int, default=80,
                    help="ABC particles per generation, all hypotheses together")
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=2.0, help="walltime per data set")
    ap.add_argument("--population", type=int, default=1000, help="simulated citizens per run")
    args = ap.parse_args(argv)
    config = load_config(args.config)
    config = dataclasses.replace(config, settings=dataclasses.replace(
        config.settings, population_size=args.population_size,
        max_generations=args.generations, max_walltime_minutes=args.minutes,
        population=args.population, repeats=1))
    out = Path(args.out)
    runs, selection = [], []
    for d in range(args.datasets):
        folder = out / f"set_{d}"
        done = folder / "result.json"
        if done.is_file():
            result = json.loads(done.read_text())
        else:
            result = one_data_set(config, d, folder, args.workers)
            write_text(done, json.dumps(result, default=float))
        runs += result["runs"]
        selection.append(result["selection"])
        s = result["selection"]
        print(f"data set {d}: generated by {s['generating']}, picked {s['picked']} "
              f"(p {s['p_generating']:.2f}), {s['simulations']} simulations, "
              f"{s['seconds']:.0f} s", file=sys.stderr)
    runs_df, sel_df = pd.DataFrame(runs), pd.DataFrame(selection)
    table, text = summarise(runs_df, sel_df)
    write_table(runs_df, csv=out / "coverage_runs.csv")
    write_table(sel_df, csv=out / "coverage_selection.csv")
    write_table(table, csv=out / "coverage.csv")
    write_text(out / "coverage.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

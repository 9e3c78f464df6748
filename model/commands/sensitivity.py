"""``egovsim sensitivity FILE --out DIR``: run a Sobol or Morris design, then the indices."""

from __future__ import annotations

import argparse
import sys

from model.commands.sweep import add_executor_options, backend_from, experiment_folder
from model.errors import ScenarioError
from model.experiments.design import build_design
from model.experiments.execute import run_experiment
from model.experiments.sensitivity import analyse
from model.experiments.spec import load_experiment


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim sensitivity``."""
    p.add_argument("experiment", metavar="FILE", help="experiment TOML file (sobol or morris)")
    add_executor_options(p)


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the design's runs, then write sobol.csv / morris.csv and noise.csv.

    Indices are computed only from a complete design: if a run failed (recorded in the folder's
    ``failures.csv``, as by ``egovsim sweep``), no index is written and the status is 1;
    ``--resume`` retries the failed runs and then writes them.
    """
    exp = load_experiment(args.experiment)
    if exp.design.method not in ("sobol", "morris"):
        raise ScenarioError(args.experiment, "design.method",
                            f"{exp.design.method} is not a sensitivity design; use sobol or "
                            "morris (or run it with egovsim sweep)")
    with experiment_folder(args, exp) as out:
        summary = run_experiment(exp, out, backend_from(args), resume=args.resume,
                                 progress=not args.quiet)
        print(summary.line(), file=sys.stderr)
        if summary.failed:
            print(f"egovsim: no sensitivity indices written: {summary.failed} of "
                  f"{summary.total} runs failed (see {out}/failures.csv); rerun with --resume "
                  "to retry them", file=sys.stderr)
            return 1
        tables = analyse(exp, build_design(exp), summary.outcomes, out)
    written = [f"{k}.csv" for k in tables]
    print(f"egovsim: sensitivity written to {out}/ ({', '.join(written)}, "
          f"{exp.design.method}.png)", file=sys.stderr)
    return 0

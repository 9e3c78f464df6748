"""``egovsim sweep FILE --out DIR``: run a designed experiment into a resumable Parquet dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.backend import Backend, default_workers, local
from model.cli import add_overwrite_option, positive_int
from model.errors import ScenarioError
from model.experiments.execute import run_experiment
from model.experiments.spec import Experiment, load_experiment
from model.io import output_folder


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """``--workers N | --dask-local N | --scheduler ADDRESS`` and ``--resume``."""
    p.add_argument("--out", default=None,
                   help="results folder (default results/NAME, NAME from the experiment file)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=None,
                       help="local worker processes (default: all cores; 1 = serial)")
    where.add_argument("--dask-local", type=positive_int, metavar="N", default=None,
                       help="start a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="use a running Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--resume", action="store_true",
                   help="continue the runs in --out: skip finished ones, redo the rest")
    add_overwrite_option(p, in_place=True)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def backend_from(args: argparse.Namespace) -> Backend:
    """The executor chosen on the command line."""
    if args.scheduler:
        return Backend("scheduler", address=args.scheduler)
    if args.dask_local:
        return Backend("dask-local", workers=args.dask_local)
    return local(args.workers or default_workers())


def experiment_folder(args: argparse.Namespace, exp: Experiment):
    """The experiment's folder, held (locked) for the run: ``--out`` or ``results/NAME``.

    A sweep folder is long-lived (``--resume`` continues it), so it is written in place; the
    experiment's own check refuses a folder with another experiment's results.
    """
    if args.resume and args.overwrite:
        raise ScenarioError(None, "--overwrite", "cannot be combined with --resume")
    out = args.out if args.out is not None else Path("results") / exp.name
    return output_folder(out, overwrite=args.overwrite, in_place=True)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim sweep``."""
    p.add_argument("experiment", metavar="FILE", help="experiment TOML file")
    add_executor_options(p)


def main(args: argparse.Namespace) -> int:
    """Validate the file and the folder first, then run; print a one-line summary."""
    exp = load_experiment(args.experiment)
    with experiment_folder(args, exp) as out:
        summary = run_experiment(exp, out, backend_from(args), resume=args.resume,
                                 progress=not args.quiet)
    print(summary.line(), file=sys.stderr)
    return 1 if summary.failed else 0

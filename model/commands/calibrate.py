"""``egovsim calibrate FILE --out DIR``: ABC-SMC (or differential evolution) against the
observed indices of Jember and Kediri; see ``docs/calibration.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time

from model.backend import default_workers
from model.cli import add_workers_option, positive_int
from model.io import output_folder


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim calibrate``."""
    p.add_argument("config", metavar="FILE", help="calibration file (experiments/calibration.toml)")
    p.add_argument("--out", required=True, help="output folder; an ABC history there is continued")
    add_workers_option(p)
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="Dask scheduler address (tcp://host:port) to run simulations on")
    p.add_argument("--method", choices=("abc", "de"), default="abc",
                   help="abc: ABC-SMC posterior (default); de: differential-evolution point")
    p.add_argument("--quick", action="store_true",
                   help="use the file's [quick] settings (a small run for tests, about a minute)")
    p.add_argument("--repeats", type=positive_int, default=None, metavar="N",
                   help="independent ABC-SMC runs (seeds) sharing the walltime; their spread "
                        "is the uncertainty of the model probabilities (default: the file's "
                        "repeats setting)")
    p.add_argument("--final-minutes", type=positive_minutes, default=None, metavar="M",
                   help="walltime of the hypotheses' final generations (default: the file's "
                        "final_walltime_minutes); rerun on an --out folder, it continues them")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def positive_minutes(text: str) -> float:
    """Parse a number of minutes > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of minutes above 0")
    return value


def settings_from(config, args: argparse.Namespace):
    """``config`` with the settings the command line overrides (``--repeats``,
    ``--final-minutes``); the run's ``calibration.json`` records the settings used.
    """
    changes = {}
    if args.repeats is not None:
        changes["repeats"] = args.repeats
    if args.final_minutes is not None:
        changes["final_walltime_minutes"] = args.final_minutes
    if not changes:
        return config
    return dataclasses.replace(config, settings=dataclasses.replace(config.settings, **changes))


def main(args: argparse.Namespace) -> int:
    """Validate, estimate, write."""
    from model.calibration.config import load_config
    from model.calibration.pipeline import calibrate  # imports pyabc: only when calibrating

    config = settings_from(load_config(args.config, quick=args.quick), args)
    workers = args.workers or default_workers()
    command = "egovsim calibrate " + shlex.join(sys.argv[2:] if sys.argv[1:2] == ["calibrate"]
                                                 else [args.config, "--out", args.out])
    started = time.perf_counter()
    with output_folder(args.out, in_place=True) as out:  # locked; an ABC history is continued
        summary = calibrate(config, out, method=args.method, workers=workers,
                            scheduler=args.scheduler, progress=not args.quiet, command=command)
    fit = summary["fit"]
    print(f"egovsim: calibration ({args.method}) in {time.perf_counter() - started:.0f} s; "
          f"chosen hypothesis {summary['chosen']}: {int(fit['covered_90'].sum())}/{len(fit)} "
          f"observed points inside the 90% predictive interval; results in {out}/",
          file=sys.stderr)
    return 0

"""``egovsim sensitivity FILE --out DIR``: run a Sobol or Morris design, then the indices."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.commands.sweep import add_executor_options, backend_from, experiment_folder
from model.errors import ScenarioError
from model.experiments.design import build_design
from model.experiments.execute import run_experiment
from model.experiments.sensitivity import analyse
from model.experiments.spec import load_experiment

INDEX_FILES = ("sobol.csv", "morris.csv", "sobol.png", "morris.png", "noise.csv")
"""What :func:`model.experiments.sensitivity.analyse` writes, the indices first (a folder left
with noise.csv alone shows no index)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim sensitivity``."""
    p.add_argument("experiment", metavar="FILE", help="experiment TOML file (sobol or morris)")
    add_executor_options(p)


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the design's runs, then write sobol.csv / morris.csv and noise.csv.

    Indices are computed only from a complete design: if a run failed (recorded in the folder's
    ``failures.csv``, as by ``egovsim sweep``), no index is written, any index file left in the
    folder from before (older code wrote them from incomplete designs) is removed, and the status
    is 1; ``--resume`` retries the failed runs and then writes them.
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
            remove_index_files(out)
            return 1
        tables = analyse(exp, build_design(exp), summary.outcomes, out)
    written = [f"{k}.csv" for k in tables]
    print(f"egovsim: sensitivity written to {out}/ ({', '.join(written)}, "
          f"{exp.design.method}.png)", file=sys.stderr)
    return 0


def remove_index_files(out: Path) -> list[str]:
    """Remove the index files (:data:`INDEX_FILES`) of folder ``out``; the names removed.

    Only those files, each by one ``unlink`` (so each is either whole or gone), the indices
    before ``noise.csv``; nothing else in the folder is touched.
    """
    removed = []
    for name in INDEX_FILES:
        path = Path(out) / name
        if path.is_file() or path.is_symlink():  # a folder of that name is not ours to remove
            path.unlink()
            removed.append(name)
    if removed:
        print(f"egovsim: removed index files left from before, not computed from this folder's "
              f"complete design: {', '.join(removed)}", file=sys.stderr)
    return removed

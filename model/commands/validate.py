"""``egovsim validate FILE...``: check scenario (and experiment) files without running."""

from __future__ import annotations

import argparse
import sys

from model.calibration.config import load_config
from model.errors import ScenarioError
from model.experiments.spec import load_experiment
from model.scenario import load_scenario, read_toml


def load_calibration(path: str):
    """A calibration file, checked with and without its ``[quick]`` settings."""
    load_config(path, quick=True)
    return load_config(path)


VALIDATORS = {"scenario": load_scenario, "experiment": load_experiment,
              "calibration": load_calibration}
"""File kind -> its loader."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim validate``."""
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="scenario, experiment or calibration files")


def load_any(path: str):
    """Validate one file by its kind (an experiment file has an [experiment] table)."""
    data = read_toml(path)
    if "experiment" in data:
        return VALIDATORS["experiment"](path)
    if "regions" in data and "parameter" in data:  # a calibration file
        return VALIDATORS["calibration"](path)
    return VALIDATORS["scenario"](path)


def main(args: argparse.Namespace) -> int:
    """Validate every file; report each bad one on its own line; exit 2 if any is bad."""
    bad = 0
    for path in args.files:
        try:
            load_any(path)
            print(f"ok: {path}")
        except ScenarioError as err:
            print(f"egovsim: error: {err}", file=sys.stderr)
            bad += 1
    return 2 if bad else 0

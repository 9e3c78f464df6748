"""Score the pattern facts of a finished calibration again after a change to the checks.

    .venv/bin/python scripts/rescore_patterns.py experiments/calibration.toml results/calibration

Reads the stored posterior-predictive draws of each hypothesis and runs the chosen point's
replications again (:func:`model.calibration.pipeline.rescore_patterns`); nothing is estimated
again. Rewrites the pattern tables, the point check and ``summary.md`` in the folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.calibration import load_config  # noqa: E402
from model.calibration.pipeline import rescore_patterns  # noqa: E402
from model.errors import ScenarioError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Rescore ``OUT`` (a finished ``egovsim calibrate --method abc`` folder) under ``CONFIG``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    try:
        if not (args.out / "calibration.json").is_file():
            raise ScenarioError(str(args.out), None, "not a finished calibration folder "
                                "(no calibration.json)")
        summary = rescore_patterns(load_config(args.config), args.out, args.workers)
    except ScenarioError as err:
        print(f"rescore_patterns: {err}", file=sys.stderr)
        return 2
    shares = summary["patterns"].query("hypothesis == 'posterior'")[["fact", "share"]]
    print(shares.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

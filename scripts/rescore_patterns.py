"""Score the pattern facts of a finished calibration again after a change to the checks.

    .venv/bin/python scripts/rescore_patterns.py experiments/calibration.toml results/calibration

Reads the stored posterior-predictive draws of each hypothesis and runs the chosen point's
replications again (:func:`model.calibration.pipeline.rescore_patterns`); nothing is estimated
again. Rewrites the pattern tables, ``forecasts.csv``, the point check and ``summary.md`` in the
folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.calibration.folder_cli import folder_main  # noqa: E402
from model.calibration.pipeline import rescore_patterns  # noqa: E402

NEEDED = ("calibration.json",)


def main(argv: list[str] | None = None) -> int:
    """Run on ``OUT`` (a finished ``egovsim calibrate --method abc`` folder) under ``CONFIG``."""
    return folder_main("rescore_patterns", __doc__.splitlines()[0], rescore_patterns, NEEDED, argv)


if __name__ == "__main__":
    sys.exit(main())

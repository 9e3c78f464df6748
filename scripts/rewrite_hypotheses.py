"""Write the per-hypothesis outputs of a finished calibration again from its posterior.

    .venv/bin/python scripts/rewrite_hypotheses.py experiments/calibration.toml OUT

For a calibration folder ``OUT`` kept with ``posterior.parquet`` and ``model_selection.csv`` but
without ``hypotheses/`` (:func:`model.calibration.pipeline.rewrite_outputs`): nothing is
estimated again, and the predictive draws and seeds are the run's, so the tables are the
ones the run wrote. Rewrites ``hypotheses/``, the pattern tables, ``forecasts.csv``, the point
check and ``summary.md`` in the folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.calibration.folder_cli import folder_main  # noqa: E402
from model.calibration.pipeline import rewrite_outputs  # noqa: E402

NEEDED = ("calibration.json", "posterior.parquet", "model_selection.csv", "generations.csv")


def main(argv: list[str] | None = None) -> int:
    """Run on ``OUT`` (a finished ``egovsim calibrate --method abc`` folder) under ``CONFIG``."""
    return folder_main("rewrite_hypotheses", __doc__.splitlines()[0], rewrite_outputs, NEEDED, argv)


if __name__ == "__main__":
    sys.exit(main())

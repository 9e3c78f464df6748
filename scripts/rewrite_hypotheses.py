"""Write the per-hypothesis outputs of a finished calibration again from its posterior.

    .venv/bin/python scripts/rewrite_hypotheses.py experiments/calibration.toml OUT

For a calibration folder ``OUT`` kept with ``posterior.parquet`` and ``model_selection.csv`` but
without ``hypotheses/`` (:func:`model.calibration.pipeline.rewrite_outputs`): nothing is
estimated again, and the predictive draws and seeds are the run's, so the tables are the
ones the run wrote. Rewrites ``hypotheses/``, the pattern tables, the point check and
``summary.md`` in the folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.calibration import load_config  # noqa: E402
from model.calibration.pipeline import rewrite_outputs  # noqa: E402
from model.errors import ScenarioError  # noqa: E402

NEEDED = ("calibration.json", "posterior.parquet", "model_selection.csv", "generations.csv")


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``OUT`` (a finished ``egovsim calibrate --method abc`` folder) under ``CONFIG``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    try:
        for name in NEEDED:
            if not (args.out / name).is_file():
                raise ScenarioError(str(args.out / name), None,
                                    "missing: not a finished ABC calibration folder")
        summary = rewrite_outputs(load_config(args.config), args.out, args.workers)
    except ScenarioError as err:
        print(f"rewrite_hypotheses: {err}", file=sys.stderr)
        return 2
    shares = summary["patterns"].query("hypothesis == 'posterior'")[["fact", "share"]]
    print(shares.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

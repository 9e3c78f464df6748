"""Write a posterior-shaped file around the calibrated point, to try ``--posterior`` by hand.

    .venv/bin/python scripts/synthetic_posterior.py --rows 500 --spread 0.2 --out /tmp/post.parquet

Not a calibration result: the calibration (``egovsim calibrate``) writes the real
``model/posterior.parquet``. Each parameter of ``experiments/calibration.toml`` is drawn
uniformly within ``--spread`` x its prior width around today's calibrated value.
"""

from __future__ import annotations

import argparse
import sys

from model.io import write_table
from model.posterior import default_config, synthetic_posterior


def main(argv: list[str] | None = None) -> int:
    """Write the file; exit status 0."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=500, help="rows (default 500)")
    p.add_argument("--spread", type=float, default=0.2,
                   help="width of the window around the point, as a share of each prior's "
                   "width (default 0.2)")
    p.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    p.add_argument("--hypotheses", default="synthetic",
                   help="comma-separated hypothesis names, given rows in turn")
    p.add_argument("--out", required=True, help="output .parquet file")
    args = p.parse_args(argv)
    table = synthetic_posterior(default_config(), args.rows, args.spread, args.seed,
                                args.hypotheses.split(","))
    write_table(table, parquet=args.out)
    print(f"wrote {len(table)} rows, {table.shape[1] - 2} parameters, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Does the reduced population per calibration run bias the indices?

    .venv/bin/python benchmarks/population_bias.py --small 5000 --large 40000

Runs both regions (the committed scenarios and calibrated behaviour) with ``--replications``
replications at each population size, 2018-2023, and compares the replication means of SPBE,
IPP and IKM at the observed years: difference and its standard error. Writes
``population_bias.csv``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from model import load_scenario
from model.io import write_table
from model.runner import run_replications

POINTS = [("jember", "spbe", 2022), ("jember", "ipp", 2021), ("jember", "ipp", 2022),
          ("jember", "ipp", 2023), ("kediri", "spbe", 2018), ("kediri", "spbe", 2019),
          ("kediri", "spbe", 2020), ("kediri", "spbe", 2021), ("kediri", "spbe", 2023),
          *(("kediri", "ikm", y) for y in range(2020, 2024))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=5000)
    ap.add_argument("--large", type=int, default=40000)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="results/population_bias")
    args = ap.parse_args(argv)
    scen = [load_scenario("scenarios/jember.toml"), load_scenario("scenarios/kediri.toml")]
    runs = {n: run_replications(scen, args.replications, args.seed, years=(2018, 2023),
                                population=n, workers=args.workers)
            for n in (args.small, args.large)}
    rows = []
    for region, index, year in POINTS:
        vals = {n: df[(df["scenario"] == region) & (df["year"] == year)][index].to_numpy()
                for n, df in runs.items()}
        a, b = vals[args.small], vals[args.large]
        se = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
        rows.append({"region": region, "index": index, "year": year,
                     f"mean_{args.small}": a.mean(), f"mean_{args.large}": b.mean(),
                     "difference": a.mean() - b.mean(), "se": se,
                     f"sd_{args.small}": a.std(ddof=1), f"sd_{args.large}": b.std(ddof=1)})
    table = pd.DataFrame(rows)
    write_table(table, csv=Path(args.out) / "population_bias.csv")
    print(table.round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Counterfactual: each region run with the other's component split.

    .venv/bin/python benchmarks/counterfactual.py --out docs/figures/calibration

Jember with Kediri's split: Kediri's shares in every year (Jember's 2021 policy split
replaced). Kediri with Jember's split: Jember's pre-2021 shares, then its 2021 policy split.
Everything else (population, budget, staff, events, starting stocks, behaviour) stays the
region's own. Replication r uses the same seed in both runs (common random numbers). Writes
``counterfactual.csv``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import pandas as pd

from model import load_scenario
from model.defaults import DEFAULT_SEED, DEFAULT_YEARS
from model.io import write_table
from model.runner import run_replications

YEARS = (2021, 2022, 2023, 2025, 2030)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="results/counterfactual")
    args = ap.parse_args(argv)
    jember, kediri = load_scenario("scenarios/jember.toml"), load_scenario("scenarios/kediri.toml")
    jk = dataclasses.replace(jember, name="jember_with_kediri_split", shares=kediri.shares,
                             policies=tuple(p for p in jember.policies if p.shares is None))
    kj = dataclasses.replace(kediri, name="kediri_with_jember_split", shares=jember.shares,
                             policies=(*kediri.policies,
                                       *(p for p in jember.policies if p.shares is not None)))
    annual = run_replications([jember, jk, kediri, kj], args.replications, args.seed,
                              years=DEFAULT_YEARS, workers=args.workers)
    mean = annual.groupby(["scenario", "year"])[["spbe", "ipp", "ikm"]].mean()
    rows = []
    for base, cf, region in (("jember", "jember_with_kediri_split", "Kabupaten Jember"),
                             ("kediri", "kediri_with_jember_split", "Kota Kediri")):
        for y in YEARS:
            b, c = mean.loc[(base, y)], mean.loc[(cf, y)]
            rows.append({"region": region, "run_with": "the other's split", "year": y,
                         "spbe_own": b["spbe"], "spbe_swapped": c["spbe"],
                         "spbe_change": c["spbe"] - b["spbe"], "ipp_own": b["ipp"],
                         "ipp_swapped": c["ipp"], "ipp_change": c["ipp"] - b["ipp"],
                         "ikm_change": c["ikm"] - b["ikm"]})
    table = pd.DataFrame(rows)
    write_table(table, csv=Path(args.out) / "counterfactual.csv")
    print(table.round(2).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

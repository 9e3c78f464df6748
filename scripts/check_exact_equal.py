"""Check that a speed change left every number as it was: the annual tables of Jember and
Kediri (5,000 citizens, 2018-2030, seeds 1-3), and of every what-if in scenarios/whatif
(seed 1, which exercises the levers), and the monthly data collection of Jember and Kediri
(seed 1), compared exactly against saved ones.

    PYTHONPATH=<old checkout> python scripts/check_exact_equal.py --save /tmp/speed_before
    PYTHONPATH=<this checkout> python scripts/check_exact_equal.py --compare /tmp/speed_before
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import model
from model.model import EGovModel
from model.runner import run
from model.scenario import load_scenario

CASES = ([(region, seed) for region in ("jember", "kediri") for seed in (1, 2, 3)]
         + [(f"whatif/{p.stem}", 1) for p in sorted(Path("scenarios/whatif").glob("*.toml"))])


def table(region: str, seed: int) -> pd.DataFrame:
    """One run's annual table (``region`` names a file under scenarios/)."""
    scenario = load_scenario(Path("scenarios") / f"{region}.toml")
    return run(scenario, seed, population=5000, years=(2018, 2030))


def monthly(region: str, seed: int) -> pd.DataFrame:
    """One run's monthly data collection (Mesa's DataCollector)."""
    m = EGovModel(Path("scenarios") / f"{region}.toml", population=5000, start_year=2018,
                  end_year=2030, rng=seed)
    while m.running:
        m.step()
    return m.datacollector.get_model_vars_dataframe()


def _file(folder: Path, region: str, seed: int) -> Path:
    return folder / f"{region.replace('/', '_')}_seed{seed}.parquet"


def main() -> None:
    """Save the tables, or compare them with saved ones (an AssertionError names the cell)."""
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path)
    mode.add_argument("--compare", type=Path)
    args = parser.parse_args()
    print(f"model from {model.__file__}")
    cases = [(r, s, table) for r, s in CASES] + [(f"monthly/{r}", 1, monthly)
                                                   for r in ("jember", "kediri")]
    for region, seed, make in cases:
        df = make(region.removeprefix("monthly/"), seed)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            df.to_parquet(_file(args.save, region, seed))
            print(f"saved {region} seed {seed}: {df.shape}")
        else:
            before = pd.read_parquet(_file(args.compare, region, seed))
            pd.testing.assert_frame_equal(df, before, check_exact=True)
            print(f"{region} seed {seed}: identical ({df.shape[0]} rows x {df.shape[1]} columns)")
    if args.compare:
        print("all tables bit-identical")


if __name__ == "__main__":
    main()

"""Parameter recovery: data simulated from known parameters go through the same ABC pipeline.

    .venv/bin/python benchmarks/recovery.py experiments/calibration.toml --hypothesis people \
        --truth results/calibration/hypotheses/people/parameters.csv --out results/recovery

One hypothesis (``--hypothesis``, default the file's first) is fitted alone. The truth is the
posterior median of a calibration (its ``parameters.csv``) or, without ``--truth``, the prior
centres. Observed values are replaced by one simulation at the truth
(same targets, tolerances and uncertain-year readings); the recovery passes when the 90%
intervals of the identified parameters cover the truth. Writes ``recovery.csv`` and
``recovery.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import pandas as pd

from model.calibration import abc as abc_driver
from model.calibration import report
from model.calibration.config import load_config
from model.calibration.pipeline import targets_for
from model.calibration.priors import prior_sample
from model.calibration.simulate import simulate, stats_of
from model.calibration.targets import synthetic_targets
from model.io import write_table, write_text


def check_history(out: Path, fingerprint: dict) -> None:
    """Continue a killed recovery only if it was the same one: a history in ``out`` made for
    other data (truth, data seed) or settings is refused, never silently extended.
    """
    stamp = out / "recovery.json"
    db = abc_driver.db_path(out, 0)
    text = json.dumps(fingerprint, sort_keys=True, default=str)
    if db.is_file():
        if not stamp.is_file() or stamp.read_text() != text:
            print(f"egovsim: error: {db}: holds an ABC history of another recovery (truth, "
                  "data seed or settings differ); remove it or choose another --out",
                  file=sys.stderr)
            raise SystemExit(2)
        return
    write_text(stamp, text)


def truth_of(config, path: str | None) -> dict[str, float]:
    if path:
        table = pd.read_csv(path)
        return dict(zip(table["parameter"], table["median"].astype(float), strict=True))
    return {p.name: math.sqrt(p.lo * p.hi) if p.prior == "loguniform" else (p.lo + p.hi) / 2
            for p in config.estimated(config.hypotheses[0])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--hypothesis", default=None, help="the hypothesis to fit (default: first)")
    ap.add_argument("--truth", help="parameters.csv of a calibration (its medians are the truth)")
    ap.add_argument("--out", default="results/recovery")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--population-size", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=None, help="walltime of the ABC run")
    ap.add_argument("--data-seed", type=int, default=99, help="seed of the simulated data")
    args = ap.parse_args(argv)
    config = load_config(args.config)
    s = config.settings
    changes = {k: v for k, v in (("population_size", args.population_size),
                                 ("max_walltime_minutes", args.minutes)) if v is not None}
    h = config.hypothesis(args.hypothesis) if args.hypothesis else config.hypotheses[0]
    config = dataclasses.replace(config, settings=dataclasses.replace(s, **changes),
                                 hypotheses=(h,))
    truth = truth_of(config, args.truth)
    stats = stats_of(simulate(config, truth, h, seed=args.data_seed))
    targets = synthetic_targets(targets_for(config), stats)
    out = Path(args.out)
    check_history(out, {"config": str(args.config), "hypothesis": h.name, "truth": truth,
                        "data_seed": args.data_seed,
                        "settings": dataclasses.asdict(config.settings)})
    started = time.perf_counter()
    history = abc_driver.run_abc(config, targets, out, workers=args.workers)
    post = abc_driver.posterior(history, config)
    gens = abc_driver.generations(history, config)
    table = report.parameter_table(config, post, prior_sample(config, 4000, s.seed, h), h)
    table.insert(1, "truth", [truth[n] for n in table["parameter"]])
    table["covered_90"] = (table["q05"] <= table["truth"]) & (table["truth"] <= table["q95"])
    write_table(table, csv=out / "recovery.csv")
    ident = table[table["identification"] != "not identified"]
    lines = [
        "# Parameter recovery", "",
        f"ABC-SMC on data simulated at known parameters: {len(gens)} generations, final "
        f"epsilon {gens['epsilon'].iloc[-1]:.3f}, {int(gens['samples'].sum())} simulations, "
        f"{time.perf_counter() - started:.0f} s.", "",
        f"Identified or weakly identified parameters covered by their 90% interval: "
        f"{int(ident['covered_90'].sum())} of {len(ident)}; all parameters: "
        f"{int(table['covered_90'].sum())} of {len(table)}.", "",
        "| parameter | truth | median | 90% interval | width ratio | identification | covered |",
        "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in table.itertuples():
        lines.append(f"| {r.parameter} | {r.truth:.4g} | {r.median:.4g} | "
                     f"[{r.q05:.4g}, {r.q95:.4g}] | {r.width_ratio:.2f} | {r.identification} | "
                     f"{'yes' if r.covered_90 else 'NO'} |")
    write_text(out / "recovery.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

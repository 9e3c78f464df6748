"""Do the values the calibration fixes decide its result? A Morris screen at the chosen point.

    .venv/bin/python benchmarks/fixed_sensitivity.py [--trajectories 10] [--replications 4]
        [--relative 0.25] [--workers 2] [--out DIR]

The calibration estimates a few behavioural parameters and keeps every other one at its declared
value (``model/behaviour.py``, each with its unit, range and source or labelled assumption).
This screen asks whether those fixed values carry the result: at the most probable hypothesis
of ``model/posterior.parquet`` and its weighted posterior medians (the reference point of the
screen; ``model/calibrated.toml`` is a point refined from that posterior,
:mod:`model.calibration.refine`), one Morris design (SALib, the method of ``egovsim
sensitivity``) moves together

- every **fixed** behavioural parameter (declared, estimated by no hypothesis, switched off by
  none, set by no region's own ``[behaviour]`` table) over its value +- ``--relative`` of it
  (default a quarter, **an assumption**: the screen asks what follows if a fixed value is off by
  that much, not what its uncertainty is), within its declared range;
- every parameter the chosen hypothesis **estimates** (but the regional spending splits, whose
  components are estimated jointly), over its weighted posterior 5-95% interval: the yardstick,
  what the data leave open.

Each design point simulates both regions 2018-2025 at the calibration's population with
``--replications`` seeds, the same seeds at every point (common random numbers). Outcomes, on the
replication means: the calibration distance (mean over the replications of each run's distance,
as ABC sees it), the three pattern quantities (Kediri's SPBE lead in 2022, Jember's IPP rise
2021-2023, the range of Kediri's IKM 2020-2023) and four 2025 forecasts. mu* is the mean
absolute change of an outcome when one parameter moves over its whole range (unit scale),
with SALib's bootstrap interval. The seed noise of a point's outcome (the standard deviation of
a ``--replications``-mean over ``--noise-seeds`` seeds at the committed point) is printed
beside it: a mu* below it is not told apart from noise.

Writes ``factors.csv`` (each factor's group, value and range), ``morris.csv`` (parameter, group,
outcome, mu, mu_star, mu_star_conf, sigma), ``noise.csv`` and ``summary.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SALib.analyze import morris as morris_analyze  # noqa: E402
from SALib.sample import morris as morris_sample  # noqa: E402

from model.behaviour import Behaviour  # noqa: E402
from model.calibration.config import CalibrationConfig, load_config  # noqa: E402
from model.calibration.pipeline import targets_for  # noqa: E402
from model.calibration.report import weighted_quantile  # noqa: E402
from model.calibration.simulate import scenarios_for, stats_of  # noqa: E402
from model.calibration.targets import Distance  # noqa: E402
from model.io import code_version, write_json, write_table, write_text  # noqa: E402
from model.params import meta_of  # noqa: E402
from model.posterior import DEFAULT_POSTERIOR  # noqa: E402
from model.runner import Task, run_many  # noqa: E402
from model.scenario import with_overrides  # noqa: E402
from model.seeds import run_seed  # noqa: E402

YEARS = (2018, 2025)
"""Simulated years: the fitted ones and the first two forecast years (the next evaluations)."""

ORDERED = (("comfortable_utilisation", "max_utilisation"),
           ("hire_age_min_years", "hire_age_max_years"))
"""Pairs whose first must stay below the second (the queue's overload span, the hiring ages):
where their screened ranges would overlap, each stops a third of the way from its value to the
other's, so the two never meet."""

LEVELS = 4
"""Morris grid levels (SALib's usual choice)."""

OUTCOMES = ("distance", "spbe_gap_2022", "jember_ipp_rise_2021_2023",
            "kediri_ikm_range_2020_2023", "jember_ipp_2025", "jember_spbe_2025",
            "kediri_spbe_2025", "kediri_ikm_2025")


def fixed_fields(config: CalibrationConfig) -> list[str]:
    """Behaviour fields no hypothesis estimates or switches off and no region sets itself."""
    touched = {p.key for p in config.parameters if p.region is None}
    touched |= {k for h in config.hypotheses for k in h.fixed}
    touched |= {f"behaviour.{k}" for t in config.region_behaviour.values() for k in t}
    base = Behaviour()
    return [f.name for f in dataclasses.fields(Behaviour)
            if f"behaviour.{f.name}" not in touched
            and isinstance(getattr(base, f.name), float) and meta_of(Behaviour, f.name)]


def factor_table(config: CalibrationConfig, post: pd.DataFrame, hypothesis: str,
                 relative: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """Every screened factor (name, group, value, lo, hi) and the committed point."""
    draws = post[post["hypothesis"] == hypothesis]
    w = draws["weight"].to_numpy()
    specs = config.estimated(config.hypothesis(hypothesis))
    point = {p.name: float(weighted_quantile(draws[p.name], w, [0.5])[0]) for p in specs}
    rows = []
    for p in specs:
        if p.share_group() is not None:
            continue  # splits are estimated jointly: held at the point
        lo, hi = weighted_quantile(draws[p.name], w, [0.05, 0.95])
        rows.append({"factor": p.name, "group": "estimated", "value": point[p.name],
                     "lo": float(lo), "hi": float(hi)})
    base = Behaviour()
    fixed = {}
    for name in fixed_fields(config):
        meta, v = meta_of(Behaviour, name), float(getattr(base, name))
        fixed[name] = [max(meta.lo, v - relative * abs(v)), min(meta.hi, v + relative * abs(v))]
    for low, high in ORDERED:
        if low in fixed and high in fixed and fixed[low][1] >= fixed[high][0]:
            v_low, v_high = float(getattr(base, low)), float(getattr(base, high))
            fixed[low][1] = v_low + (v_high - v_low) / 3.0
            fixed[high][0] = v_high - (v_high - v_low) / 3.0
    rows += [{"factor": name, "group": "fixed", "value": float(getattr(base, name)),
              "lo": lo, "hi": hi} for name, (lo, hi) in fixed.items()]
    return pd.DataFrame(rows), point


def _at(frame: pd.DataFrame, column: str, year: int) -> float:
    return float(frame.loc[frame["year"] == year, column].iloc[0])


def outcomes_of(frames: list[dict[str, pd.DataFrame]], distance: Distance) -> dict[str, float]:
    """The screened outcomes of one point from its replications' tables per region."""
    d = float(np.mean([distance(stats_of(f)) for f in frames]))
    mean = {r: pd.concat([f[r] for f in frames]).groupby("year", as_index=False)
            .mean(numeric_only=True) for r in frames[0]}
    j, k = mean["jember"], mean["kediri"]
    ikm = k.loc[k["year"].between(2020, 2023), "ikm"]
    return {"distance": d,
            "spbe_gap_2022": _at(k, "spbe", 2022) - _at(j, "spbe", 2022),
            "jember_ipp_rise_2021_2023": _at(j, "ipp", 2023) - _at(j, "ipp", 2021),
            "kediri_ikm_range_2020_2023": float(ikm.max() - ikm.min()),
            "jember_ipp_2025": _at(j, "ipp", 2025), "jember_spbe_2025": _at(j, "spbe", 2025),
            "kediri_spbe_2025": _at(k, "spbe", 2025), "kediri_ikm_2025": _at(k, "ikm", 2025)}


def tasks_for(config: CalibrationConfig, point: dict[str, float], hypothesis: str,
              values: dict[str, float], groups: dict[str, str], seeds: list[int]
              ) -> list[Task]:
    """Both regions x every seed at ``point`` with ``values`` (estimated or fixed) moved."""
    theta = {**point, **{k: v for k, v in values.items() if groups[k] == "estimated"}}
    moved = {f"behaviour.{k}": v for k, v in values.items() if groups[k] == "fixed"}
    scen = scenarios_for(config, theta, hypothesis)
    return [Task(with_overrides(sc, moved) if moved else sc, r, seed, YEARS,
                 config.settings.population)
            for r, seed in enumerate(seeds) for sc in scen.values()]


def simulate_points(config, point, hypothesis, rows: list[dict[str, float]], groups, seeds,
                    workers: int, distance: Distance, label: str) -> pd.DataFrame:
    """Outcomes of each point in ``rows``, in chunks (each chunk one parallel ``run_many``)."""
    regions = list(config.regions)
    out, chunk, started = [], max(8, 4 * workers), time.perf_counter()
    for i in range(0, len(rows), chunk):
        part = rows[i:i + chunk]
        tasks = [t for r in part for t in tasks_for(config, point, hypothesis, r, groups, seeds)]
        tables = run_many(tasks, workers=workers)
        per = len(seeds) * len(regions)
        for j in range(len(part)):
            mine = tables[j * per:(j + 1) * per]
            frames = [dict(zip(regions, mine[s * len(regions):(s + 1) * len(regions)],
                               strict=True)) for s in range(len(seeds))]
            out.append(outcomes_of(frames, distance))
        done = i + len(part)
        print(f"{label}: {done}/{len(rows)} points, {time.perf_counter() - started:.0f} s",
              flush=True)
    return pd.DataFrame(out, columns=list(OUTCOMES))


def summary_markdown(morris: pd.DataFrame, noise: pd.DataFrame, meta: dict) -> str:
    """Per outcome: the seed noise, the largest mu* of each group, and the fixed parameters
    whose mu* reaches the estimated parameters' largest."""
    lines = ["# Do the fixed parameters decide the result?", "",
             f"Morris screen at the committed point (hypothesis `{meta['hypothesis']}`), "
             f"{meta['points']} points ({meta['trajectories']} trajectories x "
             f"{meta['factors']} + 1), {meta['replications']} seeds each, both regions "
             f"{YEARS[0]}-{YEARS[1]}, {meta['population']} citizens per run; "
             f"{meta['n_fixed']} fixed parameters over +-{meta['relative']:.0%} of their "
             f"values, {meta['n_estimated']} estimated ones over their posterior 5-95% "
             f"intervals; {meta['seconds']:.0f} s on {meta['workers']} workers.", "",
             "| outcome | seed noise | largest mu*, estimated | largest mu*, fixed | "
             "fixed at or above the estimated's largest |", "| --- | --- | --- | --- | --- |"]
    for outcome in OUTCOMES:
        m = morris[morris["outcome"] == outcome]
        est = m[m["group"] == "estimated"].sort_values("mu_star", ascending=False)
        fix = m[m["group"] == "fixed"].sort_values("mu_star", ascending=False)
        top_est = est.iloc[0]
        above = fix[fix["mu_star"] >= top_est["mu_star"]]
        names = ", ".join(f"`{r.parameter}` {r.mu_star:.3f}" for r in above.itertuples()) or "none"
        lines.append(f"| {outcome} | {float(noise.loc[outcome, 'sd_of_mean']):.3f} | "
                     f"`{top_est['parameter']}` {top_est['mu_star']:.3f} | "
                     f"`{fix.iloc[0]['parameter']}` {fix.iloc[0]['mu_star']:.3f} | {names} |")
    lines += ["", "Ten largest mu* per outcome (group in brackets):", ""]
    for outcome in OUTCOMES:
        m = morris[morris["outcome"] == outcome].nlargest(10, "mu_star")
        lines.append(f"- **{outcome}**: " + "; ".join(
            f"`{r.parameter}` ({r.group}) {r.mu_star:.3f}" for r in m.itertuples()))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trajectories", type=int, default=10)
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--noise-seeds", type=int, default=5,
                   help="sets of --replications seeds at the committed point for the noise")
    p.add_argument("--relative", type=float, default=0.25)
    p.add_argument("--calibration", type=Path, default=ROOT / "experiments" / "calibration.toml")
    p.add_argument("--posterior", type=Path, default=DEFAULT_POSTERIOR)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=20240101)
    p.add_argument("--out", type=Path, default=ROOT / "results" / "fixed_sensitivity")
    args = p.parse_args(argv)
    started = time.perf_counter()
    config = load_config(args.calibration)
    distance = Distance(targets_for(config))
    post = pd.read_parquet(args.posterior)
    hypothesis = str(post.groupby("hypothesis")["weight"].sum().idxmax())
    factors, point = factor_table(config, post, hypothesis, args.relative)
    groups = dict(zip(factors["factor"], factors["group"], strict=True))
    names = list(factors["factor"])
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    unit = morris_sample.sample(problem, args.trajectories, num_levels=LEVELS,
                                seed=args.seed % 2**32)
    lo, hi = factors["lo"].to_numpy(), factors["hi"].to_numpy()
    x = lo + unit * (hi - lo)
    rows = [dict(zip(names, map(float, r), strict=True)) for r in x]
    seeds = [run_seed(args.seed, r) for r in range(args.replications)]
    y = simulate_points(config, point, hypothesis, rows, groups, seeds, args.workers, distance,
                        "design")
    # the seed noise of one point's outcome: other seed sets at the committed point
    noise_seeds = [[run_seed(args.seed, r) for r in range(k * args.replications,
                                                           (k + 1) * args.replications)]
                   for k in range(1, args.noise_seeds + 1)]
    base = pd.concat([simulate_points(config, point, hypothesis, [{}], groups, s, args.workers,
                                      distance, f"noise {k + 1}")
                      for k, s in enumerate(noise_seeds)])
    noise = pd.DataFrame({"sd_of_mean": base.std(ddof=1), "mean": base.mean()})
    noise.index.name = "outcome"
    tables = []
    for outcome in OUTCOMES:
        res = morris_analyze.analyze(problem, unit, y[outcome].to_numpy(), num_levels=LEVELS,
                                     seed=args.seed % 2**32, print_to_console=False)
        tables.append(pd.DataFrame({"parameter": names, "group": [groups[n] for n in names],
                                    "outcome": outcome, "mu": res["mu"],
                                    "mu_star": res["mu_star"],
                                    "mu_star_conf": res["mu_star_conf"],
                                    "sigma": res["sigma"]}))
    morris = pd.concat(tables, ignore_index=True)
    seconds = time.perf_counter() - started
    meta = {"hypothesis": hypothesis, "points": len(rows), "trajectories": args.trajectories,
            "factors": len(names), "n_fixed": int((factors["group"] == "fixed").sum()),
            "n_estimated": int((factors["group"] == "estimated").sum()),
            "replications": args.replications, "noise_seeds": args.noise_seeds,
            "relative": args.relative, "population": config.settings.population,
            "years": list(YEARS), "seed": args.seed, "workers": args.workers,
            "seconds": round(seconds, 1), "code": code_version(), "command": " ".join(sys.argv)}
    args.out.mkdir(parents=True, exist_ok=True)
    write_table(factors, csv=args.out / "factors.csv")
    write_table(morris, csv=args.out / "morris.csv")
    write_table(noise.reset_index(), csv=args.out / "noise.csv")
    write_json(args.out / "meta.json", meta)
    text = summary_markdown(morris, noise, meta)
    write_text(args.out / "summary.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

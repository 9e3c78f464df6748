"""``calibrate``: from a calibration file to every output in one folder.

Order: validate the file and the output folder (nothing is written before), estimate (ABC-SMC
or differential evolution), then write tables, figures and ``calibrated.toml``, each file
atomically. See ``docs/calibration.md``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.calibration import abc as abc_driver
from model.calibration import report
from model.calibration.config import CalibrationConfig
from model.calibration.de import run_de
from model.calibration.priors import prior_sample
from model.calibration.simulate import scenarios_for
from model.calibration.targets import Target, build_targets, pattern_facts
from model.errors import ScenarioError
from model.io import code_version, write_json, write_table, write_text
from model.runner import run_replications


def config_hash(config: CalibrationConfig) -> str:
    """A fingerprint of what the estimation depends on (settings that shape it, priors)."""
    s = config.settings
    data = {"seed": s.seed, "population": s.population, "years": s.years,
            "population_size": s.population_size,
            "parameters": [asdict(p) for p in config.parameters],
            "regions": {k: v.to_table() for k, v in config.regions.items()}}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def targets_for(config: CalibrationConfig) -> list[Target]:
    """The observed targets of the calibration's regions and years."""
    return build_targets({k: v.region for k, v in config.regions.items()}, config.settings.years)


def check_resume(config: CalibrationConfig, out: Path, method: str) -> None:
    """Refuse to continue a history that belongs to another calibration."""
    meta = out / "calibration.json"
    if (out / abc_driver.DB_NAME).exists() and method == "abc":
        if not meta.is_file():
            raise ScenarioError(str(out), None, "holds an ABC history without calibration.json; "
                                "use a new --out folder")
        old = json.loads(meta.read_text(encoding="utf-8")).get("config_hash")
        if old != config_hash(config):
            raise ScenarioError(str(out), None, "holds the history of a different calibration "
                                "(file, settings or scenarios changed); use a new --out folder")


def point_check(config: CalibrationConfig, point: dict[str, float], targets: list[Target],
                workers: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chosen point as ``egovsim run`` will see it (``point_replications`` replications at
    ``point_population`` citizens, 20 and 20,000 by default): the replication mean at each
    observed point, and the pattern facts on the means and per replication.
    """
    s = config.settings
    scen = scenarios_for(config, point)
    annual = run_replications(list(scen.values()), s.point_replications, s.seed,
                              years=s.predictive_years, population=s.point_population,
                              workers=workers)
    names = {sc.name: r for r, sc in scen.items()}
    annual["calibration_region"] = annual["scenario"].map(names)
    mean = annual.groupby(["calibration_region", "year"])[["spbe", "ipp", "ikm"]].mean()
    mean_stats = {f"{r}.{i}.{y}": float(mean.loc[(r, y), i]) for (r, y) in mean.index
                  for i in ("spbe", "ipp", "ikm")}
    fit = report.fit_table(targets, [mean_stats]).drop(
        columns=["q05", "q95", "covered_90"]).rename(columns={"median": "mean",
                                                              "error_of_median": "error"})
    fit["within_0.3"] = fit["error"].abs() <= 0.3
    fit["within_0.15"] = fit["error"].abs() <= 0.15
    reps = report.draw_stats(annual)
    facts = pattern_facts(mean_stats)
    shares = report.pattern_shares(reps)
    every = None if None in facts.values() else all(facts.values())
    shares["holds_on_means"] = [facts.get(k, every) for k in shares["fact"]]
    return fit, shares


def _write_outputs(config: CalibrationConfig, targets: list[Target], out: Path,
                   post: pd.DataFrame | None, point: dict[str, float], workers: int,
                   method: str, header: str) -> dict[str, Any]:
    s = config.settings
    summary: dict[str, Any] = {}
    if post is not None:
        write_table(post, parquet=out / "posterior.parquet")
        prior = prior_sample(config, 4000, s.seed)
        params = report.parameter_table(config, post, prior)
        write_table(params, csv=out / "parameters.csv")
        write_table(report.correlations(config, post), csv=out / "correlations.csv")
        point = report.point_of(params)
        thetas = report.resample(post, s.predictive_draws, s.seed).to_dict("records")
        what = f"posterior predictive ({s.predictive_draws} draws)"
        summary["parameters"] = params
    else:
        thetas = [point] * s.predictive_draws
        what = f"the {method} point, {s.predictive_draws} seeds"
    annual = report.predictive(config, thetas, workers)
    write_table(annual, parquet=out / "predictive.parquet")
    draws = report.draw_stats(annual)
    fit = report.fit_table(targets, draws)
    patterns = report.pattern_shares(draws)
    write_table(fit, csv=out / "fit.csv")
    write_table(patterns, csv=out / "patterns.csv")
    report.band_figures(config, annual, targets, out / "figures", what)
    point_fit, point_patterns = point_check(config, point, targets, workers)
    write_table(point_fit, csv=out / "point_fit.csv")
    write_table(point_patterns, csv=out / "point_patterns.csv")
    write_text(out / "calibrated.toml", report.calibrated_toml(config, point, header))
    summary.update(fit=fit, patterns=patterns, point_fit=point_fit, point_patterns=point_patterns)
    return summary


def _md(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for _, r in df.iterrows():
        cells = [floatfmt.format(v) if isinstance(v, float | np.floating) else str(v)
                 for v in r]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_markdown(summary: dict[str, Any], method: str, gens: pd.DataFrame | None) -> str:
    """A readable summary of the outputs."""
    parts = [f"# Calibration summary ({method})", ""]
    if gens is not None:
        parts += ["## Generations", "", _md(gens, "{:.4g}"), ""]
    if "parameters" in summary:
        p = summary["parameters"].drop(columns=["key"])
        parts += ["## Parameters (posterior median, 90% interval)", "", _md(p, "{:.4g}"), ""]
    fit = summary["fit"].drop(columns=["sigma", "confidence"], errors="ignore")
    parts += ["## Fit: posterior predictive", "", _md(fit), "",
              "## Pattern facts: share of draws", "", _md(summary["patterns"]), "",
              "## The chosen point, as `egovsim run` sees it (replication means)", "",
              _md(summary["point_fit"]), "",
              _md(summary["point_patterns"]), ""]
    return "\n".join(parts)


def calibrate(config: CalibrationConfig, out: Path, *, method: str = "abc", workers: int = 2,
              scheduler: str | None = None, progress: bool = True,
              command: str = "") -> dict[str, Any]:
    """Estimate and write every output into ``out``; returns the summary tables."""
    check_resume(config, out, method)
    targets = targets_for(config)
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    meta = {"config_file": config.path, "config_hash": config_hash(config), "method": method,
            "settings": asdict(config.settings), "workers": workers, "scheduler": scheduler,
            "command": command, "code": code_version(),
            "targets": [asdict(t) for t in targets]}
    write_json(out / "calibration.json", meta)
    gens = None
    post = None
    point: dict[str, float] = {}
    if method == "abc":
        resumed_from = abc_driver.generations_done(out / abc_driver.DB_NAME)
        history = abc_driver.run_abc(config, targets, out, workers=workers, scheduler=scheduler,
                                     progress=progress)
        post = abc_driver.posterior(history)
        gens = abc_driver.generations(history)
        write_table(gens, csv=out / "generations.csv")
        detail = (f"ABC-SMC (pyabc), {len(gens)} generations, final epsilon "
                  f"{gens['epsilon'].iloc[-1]:.3f}, effective sample size "
                  f"{gens['effective_sample_size'].iloc[-1]:.0f} of "
                  f"{int(gens['accepted'].iloc[-1])}, {int(gens['samples'].sum())} simulations; "
                  "chosen point: posterior median")
        if resumed_from:
            detail += (f" (the command continued a history it found with {resumed_from} "
                       "generations: run it as often to reproduce)")
    else:
        point, best = run_de(config, targets, workers)
        detail = f"differential evolution, distance {best:.3f} at the chosen point"
    elapsed = time.perf_counter() - started
    date = time.strftime("%Y-%m-%d", time.gmtime())
    header = (f"Calibrated behavioural parameters: {detail}.\nProduced {date} with seed "
              f"{config.settings.seed}, population {config.settings.population} per run, "
              f"years {config.settings.years[0]}-{config.settings.years[1]}.\n"
              f"Reproduce: {command}\nSee docs/calibration.md.")
    summary = _write_outputs(config, targets, out, post, point, workers, method, header)
    meta["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    meta["estimation_seconds"] = round(elapsed, 1)
    write_json(out / "calibration.json", meta)
    write_text(out / "summary.md", summary_markdown(summary, method, gens))
    summary["generations"] = gens
    return summary

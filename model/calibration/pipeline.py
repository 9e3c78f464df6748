"""``calibrate``: from a calibration file to every output in one folder.

Order: validate the file and the output folder (nothing is written before), estimate (ABC-SMC
model selection over the file's hypotheses, ``repeats`` times with independent seeds, or
differential evolution for one point), then write tables, figures and ``calibrated.toml``,
each file atomically. Outputs (``--out DIR``):

- ``model_selection.csv``: per hypothesis its posterior probability (mean over repeats), its
  spread over the repeats, and its particles and effective sample size;
- ``posterior.parquet``: per hypothesis, the last generation of every repeat and its own final
  generation (:mod:`model.calibration.final`) combined, a column per parameter of the file
  (NaN where a hypothesis does not estimate it), ``hypothesis``, ``weight`` (a hypothesis'
  weights sum to its probability), ``repeat`` (-1: the final generation) and ``distance``;
- ``final_<hypothesis>.parquet``: every proposal of a hypothesis' final generation (a killed
  run continues from it);
- ``generations.csv``: per repeat and generation, epsilon, simulations, acceptance, and each
  hypothesis' probability and effective sample size;
- ``patterns.csv``: the study's facts and the secondary facts
  (:mod:`model.calibration.patterns`) per hypothesis and for the whole posterior;
- ``hypotheses/<name>/``: parameter table, correlations, fit table, pattern shares,
  posterior-predictive table and band figures of each retained hypothesis;
- ``calibrated.toml``, ``point_fit.csv``, ``point_patterns.csv``: the default point
  (:func:`default_point`: the most probable hypothesis, its closest particles, each region's
  own quantities refined, :mod:`model.calibration.refine`) as ``egovsim run`` sees it;
- ``summary.md``, ``calibration.json``; the histories ``abc_<repeat>.db``.

See ``docs/calibration.md``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.backend import Backend, local
from model.calibration import abc as abc_driver
from model.calibration import final, report
from model.calibration.config import CalibrationConfig, Hypothesis
from model.calibration.de import run_de
from model.calibration.patterns import pattern_table, secondary_facts
from model.calibration.priors import prior_sample
from model.calibration.refine import Refined, refine_point
from model.calibration.simulate import hypothesis_of, scenarios_for, stats_of
from model.calibration.targets import Target, build_targets, pattern_facts
from model.errors import ScenarioError
from model.io import code_version, write_json, write_table, write_text
from model.runner import run_replications

REPEATS_FILE = "repeats.json"
"""Which repeats finished (a finished repeat is not run again when the command is rerun)."""


def config_hash(config: CalibrationConfig) -> str:
    """A fingerprint of what the estimation depends on (settings that shape it, priors, the
    regions' scenarios by content: where a scenario file lies, or how its path is spelled,
    does not change the estimation, so a folder resumes from another working directory).
    """
    s = config.settings
    data = {"seed": s.seed, "population": s.population, "years": s.years,
            "population_size": s.population_size,
            "parameters": [asdict(p) for p in config.parameters],
            "hypotheses": [asdict(h) for h in config.hypotheses],
            "region_behaviour": config.region_behaviour,
            "regions": {k: {f: x for f, x in v.to_table().items() if f != "path"}
                        for k, v in config.regions.items()}}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def targets_for(config: CalibrationConfig) -> list[Target]:
    """The observed targets of the calibration's regions and years."""
    return build_targets({k: v.region for k, v in config.regions.items()}, config.settings.years)


def check_resume(config: CalibrationConfig, out: Path, method: str) -> None:
    """Refuse to continue a history that belongs to another calibration."""
    meta = out / "calibration.json"
    if any(out.glob("abc_*.db")) and method == "abc":
        if not meta.is_file():
            raise ScenarioError(str(out), None, "holds an ABC history without calibration.json; "
                                "use a new --out folder")
        old = json.loads(meta.read_text(encoding="utf-8")).get("config_hash")
        if old != config_hash(config):
            raise ScenarioError(str(out), None, "holds the history of a different calibration "
                                "(file, settings or scenarios changed); use a new --out folder")


def point_check(config: CalibrationConfig, point: dict[str, float], targets: list[Target],
                workers: int, hypothesis: Hypothesis | str | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chosen point as ``egovsim run`` will see it (``point_replications`` replications at
    ``point_population`` citizens, 20 and 20,000 by default): the replication mean at each
    observed point, and the pattern facts per replication and on the means.
    """
    s = config.settings
    scen = scenarios_for(config, point, hypothesis)
    annual = run_replications(list(scen.values()), s.point_replications, s.seed,
                              years=s.predictive_years, population=s.point_population,
                              workers=workers)
    names = {sc.name: r for r, sc in scen.items()}
    annual["calibration_region"] = annual["scenario"].map(names)
    mean = annual.groupby(["calibration_region", "year"]).mean(numeric_only=True).reset_index()
    mean_frames = {r: g for r, g in mean.groupby("calibration_region")}
    mean_stats = stats_of(mean_frames)
    fit = report.fit_table(targets, [mean_stats]).drop(
        columns=["q05", "q95", "covered_90"]).rename(columns={"median": "mean",
                                                              "error_of_median": "error"})
    fit["within_0.3"] = fit["error"].abs() <= 0.3
    fit["within_0.15"] = fit["error"].abs() <= 0.15
    shares = pattern_table(report.draws_of(annual))
    facts = {**pattern_facts(mean_stats), **secondary_facts(mean_frames)}
    primary = [facts[k] for k in pattern_facts(mean_stats)]
    facts["all_three"] = None if None in primary else all(primary)
    shares["holds_on_means"] = [facts.get(k) for k in shares["fact"]]
    return fit, shares


def _finished_repeats(out: Path) -> set[int]:
    path = out / REPEATS_FILE
    return set(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else set()


def run_repeats(config: CalibrationConfig, targets: list[Target], out: Path, *, workers: int,
                scheduler: str | None, progress: bool) -> list[Any]:
    """Every repeat's history; each unfinished repeat gets an equal slice of the walltime."""
    s = config.settings
    slice_seconds = 60.0 * s.max_walltime_minutes / s.repeats
    finished = _finished_repeats(out)
    histories = []
    for r in range(s.repeats):
        if r in finished:
            histories.append(abc_driver.load_history(abc_driver.db_path(out, r)))
            continue
        histories.append(abc_driver.run_abc(config, targets, out, workers=workers,
                                            scheduler=scheduler, progress=progress, repeat=r,
                                            deadline=time.time() + slice_seconds))
        finished.add(r)
        write_json(out / REPEATS_FILE, sorted(finished))
    return histories


def model_selection(config: CalibrationConfig, pops: list[pd.DataFrame],
                    finals: dict[str, pd.DataFrame] | None = None,
                    epsilon: float | None = None) -> pd.DataFrame:
    """Per hypothesis: probability (mean over repeats), its sd, min and max over repeats, the
    probability in each repeat (of those that finished a generation, numbered in order), its
    particles and effective sample size in the posterior sample (:func:`pooled_posterior`
    at ``epsilon``), of them from the repeats, the smallest effective size in one repeat,
    its final generation's simulations and accepted particles (``finals``), and whether it
    is retained (has particles in the posterior sample).
    """
    probs = [abc_driver.model_probabilities(p, config) for p in pops]
    ess = [abc_driver.hypothesis_ess(p, config) for p in pops]
    repeats_only = abc_driver.hypothesis_ess(pooled_posterior(pops, config, None, epsilon),
                                             config)
    pooled = pooled_posterior(pops, config, finals, epsilon)
    pooled_ess = abc_driver.hypothesis_ess(pooled, config)
    rows = []
    for h in config.hypotheses:
        ps = np.array([p[h.name] for p in probs])
        mine_final = finals.get(h.name) if finals else None
        row = {"hypothesis": h.name, "probability": float(ps.mean()),
               "probability_sd": float(ps.std(ddof=1)) if len(ps) > 1 else float("nan"),
               "probability_min": float(ps.min()), "probability_max": float(ps.max()),
               "repeats": len(ps)}
        row.update({f"probability_repeat_{r}": float(v) for r, v in enumerate(ps)})
        mine = pooled["hypothesis"] == h.name
        row.update(particles=int(mine.sum()),
                   effective_sample_size=pooled_ess[h.name],
                   particles_repeats=int((mine & (pooled["repeat"] >= 0)).sum()),
                   effective_sample_size_repeats=repeats_only[h.name],
                   effective_sample_size_min_repeat=float(min(e[h.name] for e in ess)),
                   final_simulations=0 if mine_final is None else len(mine_final),
                   final_particles=0 if mine_final is None
                   else len(final.accepted(mine_final)),
                   retained=bool(mine.any()))
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_posterior(pops: list[pd.DataFrame], config: CalibrationConfig,
                     finals: dict[str, pd.DataFrame] | None = None,
                     epsilon: float | None = None) -> pd.DataFrame:
    """The posterior sample: per hypothesis, its particles from every repeat's last
    generation (``repeat`` r; only those within ``epsilon``, if given) and from its own final
    generation (``finals``, ``repeat`` -1) combined (:func:`model.calibration.final.combine`),
    their weights summing to its probability (mean over the repeats).
    """
    probs = [abc_driver.model_probabilities(p, config) for p in pops]
    columns = [*pops[0].columns, "repeat"]
    frames = []
    for h in config.hypotheses:
        p_h = float(np.mean([p[h.name] for p in probs]))
        sets = [p[(p["hypothesis"] == h.name)
                  & (True if epsilon is None else p["distance"] <= epsilon)].assign(repeat=r)
                for r, p in enumerate(pops)]
        if finals and h.name in finals:
            sets.append(final.accepted(finals[h.name]).assign(hypothesis=h.name, repeat=-1))
        mine = final.combine(sets)
        if len(mine) and p_h > 0 and mine["weight"].sum() > 0:
            frames.append(mine.assign(weight=mine["weight"] * p_h).reindex(columns=columns))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def final_epsilon(histories: list[Any]) -> float:
    """The smallest of the repeats' last tolerances (the posterior sample's)."""
    return min(float(h.get_all_populations().query("t == @h.max_t")["epsilon"].iloc[0])
               for h in histories if h.max_t >= 0)


def run_finals(config: CalibrationConfig, targets: list[Target], out: Path,
               histories: list[Any], *, workers: int, scheduler: str | None,
               progress: bool) -> dict[str, pd.DataFrame]:
    """Each retained hypothesis' final generation (:mod:`model.calibration.final`), until its
    effective sample size reaches the file's minimum; the hypotheses still short share
    ``final_walltime_minutes``, each getting an equal part of what is left. The one closest to
    the size goes first, so the time it does not need passes to those further from it (each
    hypothesis' proposals are seeded by its place in the file, not by this order).
    """
    s = config.settings
    ended = [h for h in histories if h.max_t >= 0]
    if not ended or s.min_effective_sample_size <= 0:
        return {}
    pops = [abc_driver.posterior(h, config) for h in ended]
    eps = final_epsilon(ended)
    basis = pooled_posterior(pops, config)
    ess = abc_driver.hypothesis_ess(pooled_posterior(pops, config, None, eps), config)
    backend = Backend("scheduler", address=scheduler) if scheduler else local(workers)
    short = sorted((h for h in config.hypotheses if (basis["hypothesis"] == h.name).any()
                    and ess[h.name] < s.min_effective_sample_size),
                   key=lambda h: s.min_effective_sample_size - ess[h.name])
    end = time.time() + 60.0 * s.final_walltime_minutes
    finals = {}
    for i, h in enumerate(short):
        deadline = time.time() + max(end - time.time(), 0.0) / (len(short) - i)
        if progress:
            print(f"final generation of {h.name}: effective sample size "
                  f"{ess[h.name]:.0f} of {s.min_effective_sample_size} from the repeats",
                  file=sys.stderr)
        finals[h.name] = final.final_generation(
            config, h, basis[basis["hypothesis"] == h.name], eps, targets, out,
            backend=backend, deadline=deadline, have_ess=ess[h.name])
    return finals


def _hypothesis_outputs(config: CalibrationConfig, h: Hypothesis, post: pd.DataFrame,
                        targets: list[Target], folder: Path, workers: int) -> dict[str, Any]:
    """Parameter table, correlations, predictive fit, pattern shares and figures of one
    hypothesis (``post``: its pooled particles).
    """
    s = config.settings
    post = post.assign(weight=post["weight"] / post["weight"].sum())
    params = report.parameter_table(config, post, prior_sample(config, 4000, s.seed, h), h)
    write_table(params, csv=folder / "parameters.csv")
    write_table(report.correlations(config, post, h), csv=folder / "correlations.csv")
    thetas = report.resample(post, s.predictive_draws, s.seed).to_dict("records")
    fit, patterns, annual = _predictive_outputs(
        config, targets, thetas, workers, h, folder,
        f"{h.name}: posterior predictive ({s.predictive_draws} draws)")
    return {"parameters": params, "fit": fit, "patterns": patterns, "annual": annual}


def _predictive_outputs(config, targets, thetas, workers, h, folder: Path, title: str):
    """Simulate ``thetas`` to the predictive years and write ``predictive.parquet``,
    ``fit.csv``, ``patterns.csv`` and the band figures into ``folder``; returns fit, patterns
    and the predictive table.
    """
    annual = report.predictive(config, thetas, workers, h)
    write_table(annual, parquet=folder / "predictive.parquet")
    draws = report.draws_of(annual)
    fit = report.fit_table(targets, [stats for stats, _ in draws])
    patterns = pattern_table(draws)
    write_table(fit, csv=folder / "fit.csv")
    write_table(patterns, csv=folder / "patterns.csv")
    report.band_figures(config, annual, targets, folder / "figures", title)
    return fit, patterns, annual


def _abc_outputs(config: CalibrationConfig, targets: list[Target], out: Path,
                 histories: list[Any], workers: int,
                 finals: dict[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    ended = [r for r, h in enumerate(histories) if h.max_t >= 0]
    if not ended:
        raise ScenarioError(config.path, "settings.max_walltime_minutes", "the walltime ended "
                            "before any repeat finished a generation; raise it")
    pops = [abc_driver.posterior(histories[r], config) for r in ended]
    gens = pd.concat([abc_driver.generations(histories[r], config).assign(repeat=r)
                      for r in ended], ignore_index=True)
    write_table(gens, csv=out / "generations.csv")
    eps = final_epsilon([histories[r] for r in ended])
    selection = model_selection(config, pops, finals, eps)
    write_table(selection, csv=out / "model_selection.csv")
    post = pooled_posterior(pops, config, finals, eps)
    write_table(post, parquet=out / "posterior.parquet")
    per, patterns = hypothesis_outputs(config, post, selection, targets, out, workers)
    best, refined = default_point(config, selection, per, post, targets, workers)
    return {"generations": gens, "selection": selection, "hypotheses": per,
            "repeats_used": ended,
            "patterns": patterns, "chosen": best, "point": refined.point,
            "refined": refined.describe(),
            "fit": per[best]["fit"], "parameters": per[best]["parameters"]}


def default_point(config: CalibrationConfig, selection: pd.DataFrame,
                  per: dict[str, dict[str, Any]], post: pd.DataFrame, targets: list[Target],
                  workers: int) -> tuple[str, Refined]:
    """The documented rule for ``calibrated.toml``: the hypothesis with the highest mean
    probability (:func:`model.calibration.report.choose_hypothesis`) and its default point
    from its posterior sample (:func:`model.calibration.refine.refine_point`).
    """
    best = report.choose_hypothesis(selection, list(per))
    return best, refine_point(config, post, best, targets, workers)


def hypothesis_outputs(config: CalibrationConfig, post: pd.DataFrame,
                       selection: pd.DataFrame, targets: list[Target], out: Path,
                       workers: int) -> tuple[dict[str, dict[str, Any]], pd.DataFrame]:
    """Write ``hypotheses/<name>/`` for every hypothesis with draws in ``post`` (the pooled
    posterior), the mixture's ``patterns.csv`` and ``forecasts.csv``; returns the
    per-hypothesis tables and the pattern table.
    """
    per: dict[str, dict[str, Any]] = {}
    for h in config.hypotheses:
        mine = post[post["hypothesis"] == h.name]
        if len(mine):
            per[h.name] = _hypothesis_outputs(config, h, mine, targets,
                                              out / "hypotheses" / h.name, workers)
    return per, _mixture_outputs(config, per, selection, out)


def _mixture_outputs(config: CalibrationConfig, per: dict[str, dict[str, Any]],
                     selection: pd.DataFrame, out: Path) -> pd.DataFrame:
    """``patterns.csv`` and ``forecasts.csv`` of the hypotheses in ``per`` and of their
    mixture; returns the pattern table.
    """
    patterns = posterior_patterns({n: t["patterns"] for n, t in per.items()}, selection)
    write_table(patterns, csv=out / "patterns.csv")
    forecasts = report.forecast_table({n: t["annual"] for n, t in per.items()}, selection,
                                      config.settings.years[1] + 1)
    write_table(forecasts, csv=out / "forecasts.csv")
    return patterns


def posterior_patterns(per: dict[str, pd.DataFrame], selection: pd.DataFrame) -> pd.DataFrame:
    """``patterns.csv``: each retained hypothesis' pattern table (``per``), and the posterior's,
    the hypotheses weighted by their probability (``selection``: ``model_selection.csv``).
    """
    probs = dict(zip(selection["hypothesis"], selection["probability"], strict=True))
    patterns = pd.concat([t.assign(hypothesis=n) for n, t in per.items()], ignore_index=True)
    mixture = patterns.assign(weighted=patterns["share"] * patterns["hypothesis"].map(probs))
    mixture = mixture.groupby("fact", sort=False).agg(
        kind=("kind", "first"), description=("description", "first"),
        evidence=("evidence", "first"), expected=("expected", "first"),
        share=("weighted", "sum")).reset_index()
    retained = sum(probs[n] for n in per)
    mixture["share"] = mixture["share"] / retained
    return pd.concat([patterns, mixture.assign(hypothesis="posterior")], ignore_index=True)


def rescore_patterns(config: CalibrationConfig, out: Path, workers: int = 2) -> dict[str, Any]:
    """Score the pattern facts of a finished ABC calibration in ``out`` again, after a change
    to the checks (:mod:`model.calibration.patterns`), without estimating anything again: the
    hypotheses' stored posterior-predictive draws (``hypotheses/<name>/predictive.parquet``)
    are read, and the chosen point's replications run as :func:`point_check` runs them.
    Rewrites ``hypotheses/*/patterns.csv``, ``patterns.csv``, ``forecasts.csv``,
    ``point_fit.csv``, ``point_patterns.csv`` and ``summary.md``; returns the summary tables.
    """
    meta = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    selection = pd.read_csv(out / "model_selection.csv")
    per: dict[str, dict[str, Any]] = {}
    for h in config.hypotheses:
        folder = out / "hypotheses" / h.name
        if not (folder / "predictive.parquet").is_file():
            continue  # not retained
        annual = pd.read_parquet(folder / "predictive.parquet")
        patterns = pattern_table(report.draws_of(annual))
        write_table(patterns, csv=folder / "patterns.csv")
        per[h.name] = {"parameters": pd.read_csv(folder / "parameters.csv"),
                       "fit": pd.read_csv(folder / "fit.csv"), "patterns": patterns,
                       "annual": annual}
    patterns = _mixture_outputs(config, per, selection, out)
    return _point_and_summary(config, out, meta, selection, per, patterns, workers)


def rewrite_outputs(config: CalibrationConfig, out: Path, workers: int = 2) -> dict[str, Any]:
    """Write the per-hypothesis outputs of a finished ABC calibration in ``out`` again from
    its pooled posterior (``posterior.parquet``) and ``model_selection.csv``, for a folder
    kept without ``hypotheses/`` (its predictive draws are large); nothing is estimated
    again, and the draws and seeds are those :func:`calibrate` uses, so the tables are the
    ones the run wrote. Rewrites ``hypotheses/``, ``patterns.csv``, ``forecasts.csv``,
    ``point_fit.csv``, ``point_patterns.csv`` and ``summary.md``; returns the summary tables.
    """
    meta = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    selection = pd.read_csv(out / "model_selection.csv")
    post = pd.read_parquet(out / "posterior.parquet")
    per, patterns = hypothesis_outputs(config, post, selection, targets_for(config), out,
                                       workers)
    return _point_and_summary(config, out, meta, selection, per, patterns, workers)


def _point_and_summary(config: CalibrationConfig, out: Path, meta: dict[str, Any],
                       selection: pd.DataFrame, per: dict[str, dict[str, Any]],
                       patterns: pd.DataFrame, workers: int) -> dict[str, Any]:
    """The default point (``calibrated.toml``), its replication check and ``summary.md`` of
    a finished ABC folder.
    """
    targets = targets_for(config)
    best, refined = default_point(config, selection, per,
                                  pd.read_parquet(out / "posterior.parquet"), targets, workers)
    point_fit, point_patterns = point_check(config, refined.point, targets, workers, best)
    write_table(point_fit, csv=out / "point_fit.csv")
    write_table(point_patterns, csv=out / "point_patterns.csv")
    s = config.settings
    header = (f"Calibrated behavioural parameters: the default point of hypothesis {best} "
              f"(highest mean probability), {refined.describe()}, from the posterior of "
              f"{out.name}/ (written by: {meta.get('command', '')}).\n"
              f"Seed {s.seed}, population {s.population} per run, "
              f"years {s.years[0]}-{s.years[1]}.\nSee docs/calibration.md.")
    write_text(out / "calibrated.toml", report.calibrated_toml(config, refined.point, header,
                                                               best))
    summary = {"generations": pd.read_csv(out / "generations.csv"), "selection": selection,
               "hypotheses": per, "chosen": best, "patterns": patterns,
               "refined": refined.describe(),
               "point_fit": point_fit, "point_patterns": point_patterns}
    write_text(out / "summary.md", summary_markdown(summary, meta["method"]))
    return summary


def _md(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return floatfmt.format(v)
        return str(v).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    cols = list(df.columns)
    lines = ["| " + " | ".join(cell(c) for c in cols) + " |", "|" + " --- |" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(cell(v) for v in r) + " |")
    return "\n".join(lines)


def summary_markdown(summary: dict[str, Any], method: str) -> str:
    """A readable summary of the outputs."""
    parts = [f"# Calibration summary ({method})", ""]
    if "selection" in summary:
        parts += ["## Model selection (posterior probability over repeats)", "",
                  _md(summary["selection"], "{:.4g}"), "",
                  f"Chosen point: hypothesis `{summary['chosen']}` (highest mean probability), "
                  f"{summary['refined']}.", "",
                  "## Generations", "", _md(summary["generations"], "{:.4g}"), ""]
        for name, t in summary["hypotheses"].items():
            p = t["parameters"].drop(columns=["key"])
            fit = t["fit"].drop(columns=["sigma", "confidence"], errors="ignore")
            parts += [f"## Hypothesis `{name}`", "",
                      "### Parameters (posterior median, 90% interval)", "", _md(p, "{:.4g}"),
                      "", "### Fit: posterior predictive", "", _md(fit), "",
                      "### Pattern facts: share of draws", "",
                      _md(t["patterns"][["fact", "kind", "share"]]), ""]
    parts += ["## The chosen point, as `egovsim run` sees it (replication means)", "",
              _md(summary["point_fit"]), "",
              _md(summary["point_patterns"][["fact", "kind", "share", "holds_on_means"]]), ""]
    return "\n".join(parts)


def calibrate(config: CalibrationConfig, out: Path, *, method: str = "abc", workers: int = 2,
              scheduler: str | None = None, progress: bool = True,
              command: str = "") -> dict[str, Any]:
    """Estimate and write every output into ``out``; returns the summary tables."""
    check_resume(config, out, method)
    # The output-folder lock (model.io) is taken here, before anything is written.
    targets = targets_for(config)
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    meta = {"config_file": config.path, "config_hash": config_hash(config), "method": method,
            "settings": asdict(config.settings), "workers": workers, "scheduler": scheduler,
            "command": command, "code": code_version(),
            "hypotheses": [asdict(h) for h in config.hypotheses],
            "targets": [asdict(t) for t in targets]}
    write_json(out / "calibration.json", meta)
    s = config.settings
    if method == "abc":
        resumed = sum(abc_driver.generations_done(abc_driver.db_path(out, r))
                      for r in range(s.repeats))
        histories = run_repeats(config, targets, out, workers=workers, scheduler=scheduler,
                                progress=progress)
        finals = run_finals(config, targets, out, histories, workers=workers,
                            scheduler=scheduler, progress=progress)
        estimated = time.perf_counter() - started
        summary = _abc_outputs(config, targets, out, histories, workers, finals)
        best, point = summary["chosen"], summary["point"]
        gens, sel = summary["generations"], summary["selection"]
        row = sel.set_index("hypothesis").loc[best]
        detail = (f"ABC-SMC model selection (pyabc) over {len(config.hypotheses)} hypotheses, "
                  f"{len(summary['repeats_used'])} of {s.repeats} repeats with a finished "
                  f"generation, {len(gens)} generations, "
                  f"{int(gens['samples'].sum())} simulations; chosen: hypothesis {best} "
                  f"(probability {row['probability']:.2f}, effective sample size "
                  f"{row['effective_sample_size']:.0f}), {summary['refined']}")
        if resumed:
            detail += (f" (the command continued histories it found with {resumed} "
                       "generations: run it as often to reproduce)")
    else:
        h = hypothesis_of(config, None)
        best = h.name
        point, dist = run_de(config, targets, workers, h)
        estimated = time.perf_counter() - started
        detail = f"differential evolution on hypothesis {best}, distance {dist:.3f}"
        fit, patterns, annual = _predictive_outputs(
            config, targets, [point] * s.predictive_draws, workers, h, out,
            f"the de point, {s.predictive_draws} seeds")
        # the point's seeds only: no parameter uncertainty, so no posterior rows
        write_table(report.forecast_table({best: annual}, None, s.years[1] + 1),
                    csv=out / "forecasts.csv")
        summary = {"fit": fit, "patterns": patterns, "chosen": best, "point": point}
    date = time.strftime("%Y-%m-%d", time.gmtime())
    header = (f"Calibrated behavioural parameters: {detail}.\nProduced {date} with seed "
              f"{s.seed}, population {s.population} per run, "
              f"years {s.years[0]}-{s.years[1]}.\n"
              f"Reproduce: {command}\nSee docs/calibration.md.")
    point_fit, point_patterns = point_check(config, point, targets, workers, best)
    write_table(point_fit, csv=out / "point_fit.csv")
    write_table(point_patterns, csv=out / "point_patterns.csv")
    write_text(out / "calibrated.toml", report.calibrated_toml(config, point, header, best))
    summary.update(point_fit=point_fit, point_patterns=point_patterns)
    meta["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    meta["estimation_seconds"] = round(estimated, 1)
    meta["chosen_hypothesis"] = best
    write_json(out / "calibration.json", meta)
    write_text(out / "summary.md", summary_markdown(summary, method))
    return summary

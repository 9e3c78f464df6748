"""Posterior ensembles: what-ifs that carry parameter uncertainty as well as luck.

The calibration's posterior (``model/posterior.parquet``) holds weighted parameter vectors: one
column per calibrated parameter, named as in ``experiments/calibration.toml``'s
``[[parameter]]`` entries, plus ``weight`` (non-negative; weights are joint over all rows, so a
hypothesis's posterior probability is the sum of its rows' weights) and ``hypothesis`` (the
model structure the row was fitted under). A parameter the row's hypothesis does not estimate
may be empty (NaN), as the calibration writes it; it is read as that hypothesis' fixed value.
The calibration's ``distance`` and ``repeat`` columns may be present and are not parameters.

An ensemble run draws K vectors by weight (:func:`draw_parameters`, seeded from the master seed
through :func:`model.seeds.draw_seed`) and runs each with R seeds; draw *k*, replication *r* uses
``run_seed(master, r)`` in every scenario and for every draw, so draws differ by parameters,
replications by luck, and scenarios by policy only (:func:`run_ensemble`).

A draw applies to any scenario (:func:`apply_draw`): the shared behaviour parameters to all, a
region's parameters to every scenario whose ``region`` is that calibration region's, so a what-if
based on ``kediri.toml`` gets Kediri's draw. What a scenario sets itself (a field whose value
differs from the calibration's region file, or a behaviour parameter differing from the
calibrated default) is its own choice and stays.

:func:`variance_split` divides each band's variance into parameter uncertainty (between draws)
and luck (seeds, within draws) as a one-way random-effects model: the variance of the draw
means, less the seed noise it still carries, is the parameters' part.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.behaviour import Behaviour, default_behaviour
from model.calibration.config import CalibrationConfig, load_config
from model.calibration.simulate import behaviour_overrides, feasible, region_overrides
from model.errors import ScenarioError
from model.io import data_path, write_table
from model.model import DEFAULT_POPULATION
from model.present.numbers import indices_in
from model.runner import DEFAULT_YEARS, run_many
from model.scenario import Scenario, with_overrides
from model.seeds import draw_seed, run_seed
from model.summary import cell

DEFAULT_POSTERIOR = Path(__file__).resolve().parent / "posterior.parquet"
"""The committed posterior of the calibration (written by ``egovsim calibrate``)."""
DEFAULT_CALIBRATION = ("experiments", "calibration.toml")
"""The calibration file whose ``[[parameter]]`` entries name the posterior's columns, under the
data root (:func:`model.io.data_root`)."""
ID_COLUMNS = ("weight", "hypothesis")
META_COLUMNS = ("distance", "repeat")
"""Columns the calibration writes beside the parameters (ABC distance, repeat number)."""
BOUND_TOLERANCE = 1e-9
"""A value this far outside its prior still counts as inside (written with rounding)."""


@dataclass(frozen=True)
class Posterior:
    """A validated posterior: its rows, the parameter columns and the calibration they map to."""

    path: str
    table: pd.DataFrame
    parameters: tuple[str, ...]
    config: CalibrationConfig

    def hypotheses(self) -> dict[str, float]:
        """Each hypothesis's posterior probability (its share of the total weight)."""
        w = self.table.groupby("hypothesis", sort=True)["weight"].sum()
        return {str(k): float(v) for k, v in (w / w.sum()).items()}


def default_config() -> CalibrationConfig:
    """The calibration file that names the posterior's columns (:data:`DEFAULT_CALIBRATION`)."""
    return load_config(data_path(*DEFAULT_CALIBRATION))


def _error(path: str, column: str | None, message: str) -> ScenarioError:
    return ScenarioError(path, column, message)


def load_posterior(path: str | Path | None = None,
                   config: CalibrationConfig | str | Path | None = None) -> Posterior:
    """Read and validate a posterior file (default :data:`DEFAULT_POSTERIOR`, its columns named
    by :data:`DEFAULT_CALIBRATION`); a fault is a :class:`ScenarioError` naming the column.
    """
    path = DEFAULT_POSTERIOR if path is None else path
    p = str(path)
    if not Path(path).is_file():
        raise _error(p, None, "file not found (the calibration writes it: egovsim calibrate)")
    if config is None:
        cfg = default_config()
    else:
        cfg = config if isinstance(config, CalibrationConfig) else load_config(config)
    try:
        table = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise _error(p, None, f"cannot read as Parquet: {err}") from None
    return validate_posterior(table, p, cfg)


def validate_posterior(table: pd.DataFrame, path: str, config: CalibrationConfig) -> Posterior:
    """Check a posterior table's schema (see the module docstring) and return it."""
    for column in ID_COLUMNS:
        if column not in table.columns:
            raise _error(path, column, "missing column (a posterior has weight, hypothesis and "
                         "one column per calibrated parameter)")
    if len(table) == 0:
        raise _error(path, None, "no rows")
    known = set(config.names)
    params = [str(c) for c in table.columns if c not in ID_COLUMNS and c not in META_COLUMNS]
    for column in params:
        if column not in known:
            raise _error(path, column, f"not a parameter of {config.path}; its parameters are: "
                         + ", ".join(config.names))
    if not params:
        raise _error(path, None, "no parameter columns")
    table = _fixed_filled(table, params, config)
    for column in ("weight", *params):
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().any() or not np.isfinite(values.to_numpy(float)).all():
            raise _error(path, column, "every value must be a finite number")
    table = table.assign(**{c: pd.to_numeric(table[c]).astype(float) for c in ("weight", *params)})
    if (table["weight"] < 0).any() or float(table["weight"].sum()) <= 0:
        raise _error(path, "weight", "weights must be >= 0 with a positive sum")
    hyp = table["hypothesis"]
    if hyp.isna().any() or not all(isinstance(h, str) and h.strip() for h in hyp):
        raise _error(path, "hypothesis", "every row needs a hypothesis name (text)")
    for column in params:
        spec = config.spec(column)
        v = table[column].to_numpy(float)
        if (v < spec.lo - BOUND_TOLERANCE).any() or (v > spec.hi + BOUND_TOLERANCE).any():
            raise _error(path, column, f"values outside the prior [{spec.lo:g}, {spec.hi:g}]")
    clean = table[["weight", "hypothesis", *params]].reset_index(drop=True)
    sub = _restricted(config, params)
    for i, row in enumerate(clean[params].to_dict("records")):
        if not feasible(sub, row):
            raise _error(path, f"row {i}", "its estimated shares leave too little for the "
                         "other components")
    return Posterior(path=path, table=clean, parameters=tuple(params), config=config)


def _fixed_filled(table: pd.DataFrame, params: list[str],
                  config: CalibrationConfig) -> pd.DataFrame:
    """Empty values of a parameter that the row's hypothesis fixes, set to the fixed value."""
    known = {h.name: h for h in config.hypotheses}
    table = table.copy()
    for column in params:
        key = config.spec(column).key
        empty = table[column].isna()
        for name in table.loc[empty, "hypothesis"].unique():
            h = known.get(name)
            if h is not None and key in h.fixed:
                table.loc[empty & (table["hypothesis"] == name), column] = float(h.fixed[key])
    return table


def _restricted(config: CalibrationConfig, names: Sequence[str]) -> CalibrationConfig:
    """The calibration with only the parameters ``names`` (those a posterior gives)."""
    keep = set(names)
    return dataclasses.replace(config, parameters=tuple(p for p in config.parameters
                                                        if p.name in keep))


def draw_parameters(posterior: Posterior, k: int, master_seed: int,
                    hypothesis: str | None = None) -> pd.DataFrame:
    """K rows drawn by weight (with replacement), as columns ``draw``, ``hypothesis``, params.

    Across hypotheses a row is drawn with probability weight / total weight, which draws each
    hypothesis by its posterior probability; ``hypothesis=NAME`` draws within that one only.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise _error(posterior.path, None, f"the number of draws must be >= 1, got {k!r}")
    table = posterior.table
    if hypothesis is not None:
        names = sorted(set(table["hypothesis"]))
        if hypothesis not in names:
            raise _error(posterior.path, "hypothesis", f"{hypothesis!r} is not in the posterior; "
                         "its hypotheses are: " + ", ".join(names))
        table = table[table["hypothesis"] == hypothesis]
    w = table["weight"].to_numpy(float)
    if w.sum() <= 0:
        raise _error(posterior.path, "weight", f"hypothesis {hypothesis!r} has zero weight")
    rng = np.random.default_rng(draw_seed(master_seed))
    rows = rng.choice(len(table), size=k, replace=True, p=w / w.sum())
    out = table.iloc[rows].drop(columns="weight").reset_index(drop=True)
    out.insert(0, "draw", np.arange(k))
    return out


def _value_at(table: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted ``with_overrides`` key in a scenario table (KeyError if none)."""
    node: Any = table
    for part in key.split("."):
        if part == "policy":
            node = node["policies"]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(key)
            node = node[int(part)]
        else:
            node = node[part]
    return node


def _structure(config: CalibrationConfig, theta: Mapping[str, float],
               hypothesis: str | None) -> dict[str, float]:
    """The shared behaviour a draw was simulated with in the calibration.

    With the name of one of the file's hypotheses: every behaviour field any hypothesis fixes
    or estimates, at the draw's value if estimated, else the hypothesis' fixed value, else its
    declared default (what :func:`model.calibration.simulate.scenarios_for` used). Otherwise
    (a synthetic posterior): the draw's own values only.
    """
    sub = _restricted(config, list(theta))
    if hypothesis not in {h.name for h in config.hypotheses}:
        return behaviour_overrides(sub, theta)
    declared = dataclasses.asdict(Behaviour())
    controlled = {k for h in config.hypotheses for k in h.fixed} | {
        p.key for p in config.parameters if p.region is None}
    out = {k: float(declared[k.partition(".")[2]]) for k in controlled}
    out.update(behaviour_overrides(sub, theta, hypothesis))
    return out


def apply_draw(scenario: Scenario, theta: Mapping[str, float],
               config: CalibrationConfig, hypothesis: str | None = None) -> Scenario:
    """``scenario`` under one parameter vector ``theta`` (names as in ``config``), drawn under
    ``hypothesis`` (a name of the file's ``[[hypothesis]]``, or None).

    Shared behaviour parameters apply to every scenario, with the draw's hypothesis' structure
    (:func:`_structure`); a region's parameters to scenarios whose ``region`` is that
    calibration region's. A field the scenario sets to something else than its reference (the
    calibration's region file; for behaviour, the calibrated default) is the scenario's own
    choice and is left as it is.
    """
    theta = {k: float(v) for k, v in theta.items()}
    sub = _restricted(config, list(theta))
    own = scenario.to_table()
    reference_behaviour = dataclasses.asdict(default_behaviour())
    overrides: dict[str, Any] = {}
    for key, value in _structure(config, theta, hypothesis).items():
        field = key.partition(".")[2]
        if own["behaviour"][field] == reference_behaviour[field] and not _same(
                own["behaviour"][field], value):
            overrides[key] = value
    for name, region_scenario in config.regions.items():
        if region_scenario.region != scenario.region:
            continue
        reference = region_scenario.to_table()
        for key, value in region_overrides(sub, name, theta).items():
            try:
                mine = _value_at(own, key)
            except (KeyError, IndexError, TypeError):
                continue  # the scenario has no such field (another structure): nothing to set
            if mine == _value_at(reference, key) and not _same(mine, value):
                overrides[key] = value
    return with_overrides(scenario, overrides) if overrides else scenario


SAME_VALUE = 1e-9
"""Values closer than this (a share, a stock, a count) are the same: a draw that equals the
scenario's own value up to float rounding leaves the scenario exactly as it is."""


def _same(mine: Any, value: Any) -> bool:
    if isinstance(mine, Mapping) and isinstance(value, Mapping):
        return mine.keys() == value.keys() and all(_same(mine[k], value[k]) for k in mine)
    try:
        return abs(float(mine) - float(value)) < SAME_VALUE
    except (TypeError, ValueError):
        return mine == value


@dataclass(frozen=True)
class EnsembleTask:
    """One run of an ensemble: a scenario under one draw, one replication."""

    scenario: Scenario
    draw: int
    hypothesis: str
    replication: int
    seed: int
    years: tuple[int, int]
    population: int | None


def _labelled(task: EnsembleTask, df: pd.DataFrame) -> pd.DataFrame:
    """A run's table with its draw and hypothesis after ``region``."""
    df.insert(2, "hypothesis", task.hypothesis)
    df.insert(2, "draw", task.draw)
    return df


def ensemble_tasks(scenarios: Sequence[Scenario], draws: pd.DataFrame, replications: int,
                   master_seed: int, config: CalibrationConfig, *,
                   years: tuple[int, int] = DEFAULT_YEARS,
                   population: int | None = DEFAULT_POPULATION) -> list[EnsembleTask]:
    """The runs of an ensemble, ordered by scenario, draw, replication."""
    params = [c for c in draws.columns if c not in ("draw", "hypothesis")]
    seeds = [run_seed(master_seed, r) for r in range(replications)]
    tasks = []
    for sc in scenarios:
        for row in draws.to_dict("records"):
            applied = apply_draw(sc, {p: row[p] for p in params}, config,
                                 str(row["hypothesis"]))
            tasks += [EnsembleTask(applied, int(row["draw"]), str(row["hypothesis"]), r,
                                   seeds[r], years, population) for r in range(replications)]
    return tasks


def run_ensemble(scenarios: Sequence[Scenario], draws: pd.DataFrame, replications: int,
                 master_seed: int, *, years: tuple[int, int] = DEFAULT_YEARS,
                 population: int | None = DEFAULT_POPULATION, workers: int = 1,
                 config: CalibrationConfig | None = None,
                 on_done: Callable[[int, Any], None] | None = None) -> pd.DataFrame:
    """Every scenario under every draw with ``replications`` seeds: the annual table with
    ``draw`` and ``hypothesis`` columns after ``region``, ordered by scenario, draw, replication.

    ``draws`` comes from :func:`draw_parameters`; ``config`` maps its columns to scenario
    fields (the default calibration file if None). The same draws and seeds serve every
    scenario, so paired differences carry neither parameter nor seed luck.
    """
    cfg = default_config() if config is None else config
    tasks = ensemble_tasks(scenarios, draws, replications, master_seed, cfg, years=years,
                           population=population)
    # a draw's scenarios and seeds share its behaviour: they are stepped together
    tables = run_many(tasks, workers=workers, on_done=on_done)
    return pd.concat([_labelled(t, df) for t, df in zip(tasks, tables, strict=True)],
                     ignore_index=True)


# --- the command line's use (``egovsim run --posterior K``) -----------------------------------
@dataclass(frozen=True)
class CliEnsemble:
    """What ``egovsim run --posterior K`` needs: the posterior and its K draws."""

    posterior: Posterior
    draws: pd.DataFrame

    def run(self, scenarios: Sequence[Scenario], args: Any, workers: int,
            on_done: Callable[[int, Any], None] | None = None) -> pd.DataFrame:
        """The ensemble of ``args``'s replications, seed, years and population."""
        return run_ensemble(scenarios, self.draws, args.replications, args.seed,
                            years=args.years, population=args.population, workers=workers,
                            config=self.posterior.config, on_done=on_done)

    def write(self, annual: pd.DataFrame, out: Path) -> str:
        """Write ``variance.csv`` into ``out``; return the summary's variance section."""
        write_variance_csv(annual, out / "variance.csv")
        return variance_markdown(annual)

    def metadata(self) -> dict[str, Any]:
        """Where the draws came from, for ``metadata.json``."""
        return {"posterior": {"path": self.posterior.path, "draws": len(self.draws),
                              "hypotheses": self.posterior.hypotheses(),
                              "drawn": self.draws.to_dict("records")}}


def posterior_ensemble(args: Any) -> CliEnsemble | None:
    """The ensemble asked for by ``--posterior K [--hypothesis NAME]`` (None without it)."""
    if args.posterior is None:
        for flag, value in (("--hypothesis", args.hypothesis),
                            ("--posterior-file", args.posterior_file)):
            if value is not None:
                raise ScenarioError(None, flag, "needs --posterior K")
        return None
    posterior = load_posterior(args.posterior_file)
    return CliEnsemble(posterior, draw_parameters(posterior, args.posterior, args.seed,
                                                  args.hypothesis))


# --- the calibrated point and synthetic posteriors (tests, trying things by hand) -------------
def point_values(config: CalibrationConfig) -> dict[str, float]:
    """The calibrated point in posterior columns: each parameter's value in today's defaults
    (``model/calibrated.toml`` for behaviour, the region files for regional parameters).
    """
    behaviour = dataclasses.asdict(default_behaviour())
    out = {}
    for p in config.parameters:
        if p.region is None:
            out[p.name] = float(behaviour[p.key.partition(".")[2]])
        else:
            out[p.name] = float(_value_at(config.regions[p.region].to_table(), p.key))
    return out


def synthetic_posterior(config: CalibrationConfig, rows: int, spread: float, seed: int,
                        hypotheses: Sequence[str] = ("synthetic",)) -> pd.DataFrame:
    """A posterior-shaped table around the calibrated point (not a calibration result).

    Each parameter is uniform within ``spread`` x its prior width around the point, clipped to
    the prior; rows whose shares are infeasible are drawn again. Rows are given to
    ``hypotheses`` in turn, with equal weights. ``spread=0`` repeats the point.
    """
    rng = np.random.default_rng(seed)
    point = point_values(config)
    records: list[dict[str, Any]] = []
    while len(records) < rows:
        theta = {}
        for p in config.parameters:
            step = spread * (p.hi - p.lo) * (rng.random() - 0.5)
            theta[p.name] = float(min(max(point[p.name] + step, p.lo), p.hi))
        if feasible(config, theta):
            records.append(theta)
    table = pd.DataFrame(records)
    table.insert(0, "hypothesis", [hypotheses[i % len(hypotheses)] for i in range(rows)])
    table.insert(0, "weight", 1.0 / rows)
    return table


# --- the variance split ----------------------------------------------------------------------
def variance_split(annual: pd.DataFrame, index: str, year: int) -> pd.DataFrame:
    """Per scenario: the variance of ``index`` in ``year`` and its two parts, parameters and seeds.

    The one-way random-effects decomposition of an ensemble with K draws and R seeds per draw
    (every draw the same R, as :func:`run_ensemble` runs them): a run's value is its draw's
    effect (variance ``parameter_variance``: what the data leave open about the parameters)
    plus seed noise (variance ``seed_variance``: budget, staff, citizens, assessors).

    - ``seed_variance``: the mean over draws of the variance across a draw's seeds (ddof 1).
    - ``draw_means_variance``: the variance of the K draw means (ddof 1). It still carries seed
      noise, ``seed_variance / R`` of it, which is taken off:
      ``parameter_variance = max(0, draw_means_variance - seed_variance / R)``.
    - ``parameter_share``: ``parameter_variance / (parameter_variance + seed_variance)``, the
      parameters' share of one run's variance.

    With one seed per draw (R = 1) the seeds' part cannot be measured, and with one draw the
    parameters' part: those columns are NaN, as is the share when both parts are 0.
    ``variance`` is the variance of all the runs (ddof 1), for reference.
    """
    if "draw" not in annual.columns:
        raise ValueError("the table has no draw column (not a posterior ensemble)")
    rows = []
    at = annual[annual["year"] == year]
    if at.empty:
        raise ValueError(f"no rows for year {year}")
    for (scenario, region), g in at.groupby(["scenario", "region"], sort=False):
        values = g[["draw", index]].dropna()
        by_draw = values.groupby("draw")[index]
        sizes = by_draw.size()
        if sizes.empty:
            raise ValueError(f"{scenario}: no values of {index} in {year}")
        if sizes.nunique() != 1:
            raise ValueError(f"{scenario}: draws have different numbers of seeds for {index} "
                             f"in {year} ({sorted(set(sizes))}); the split needs equal ones")
        k, r = int(len(sizes)), int(sizes.iloc[0])
        draw_means = float(by_draw.mean().var(ddof=1)) if k > 1 else math.nan
        seeds = float(by_draw.var(ddof=1).mean()) if r > 1 else math.nan
        params = max(0.0, draw_means - seeds / r) if k > 1 and r > 1 else math.nan
        known = params + seeds
        rows.append({"scenario": scenario, "region": region, "year": int(year), "index": index,
                     "draws": k, "seeds_per_draw": r, "runs": int(len(values)),
                     "variance": float(values[index].var(ddof=1)),
                     "draw_means_variance": draw_means, "parameter_variance": params,
                     "seed_variance": seeds,
                     "parameter_share": params / known if known > 0 else math.nan})
    return pd.DataFrame(rows)


def _scored(annual: pd.DataFrame, year: int) -> tuple[str, ...]:
    """The indices of :func:`model.present.numbers.indices_in` with values in ``year`` (Pemdi
    from 2026 only).
    """
    at = annual[annual["year"] == year]
    return tuple(i for i in indices_in(annual) if at[i].notna().any())


def variance_table(annual: pd.DataFrame, indices: Sequence[str] | None = None,
                   years: Sequence[int] | None = None) -> pd.DataFrame:
    """:func:`variance_split` for every index and year (all simulated years if None); by
    default the indices with values in that year (SPBE, IPP, IKM, and Pemdi from 2026 where
    the run carries it).
    """
    years = sorted(annual["year"].unique()) if years is None else years
    return pd.concat([variance_split(annual, i, int(y)) for y in years
                      for i in (_scored(annual, int(y)) if indices is None else indices)],
                     ignore_index=True)


def write_variance_csv(annual: pd.DataFrame, path: str | Path) -> None:
    """``variance.csv``: the variance split of each index, scenario and year."""
    write_table(variance_table(annual), csv=path)


def variance_markdown(annual: pd.DataFrame, year: int | None = None) -> str:
    """A Markdown section: how much of each band in ``year`` (default: the last) is parameters."""
    year = int(annual["year"].max()) if year is None else int(year)
    indices = _scored(annual, year)
    table = variance_table(annual, indices, years=[year])
    lines = [f"## Where the uncertainty in {year} comes from", "",
             "Share of each index's variance that is parameter uncertainty (between posterior "
             "draws, after taking off the seed noise their means still carry); the rest is luck "
             "(seeds: budget, staff, citizens, assessors).", "",
             "| scenario | " + " | ".join("Pemdi" if i == "pemdi" else i.upper()
                                          for i in indices) + " |",
             "| --- |" + " --- |" * len(indices)]
    unsplit = set()
    for scenario, t in table.groupby("scenario", sort=False):
        cells = []
        for index in indices:
            row = t[t["index"] == index].iloc[0]
            if row["seeds_per_draw"] < 2 or row["draws"] < 2:
                unsplit.add("seed" if row["seeds_per_draw"] < 2 else "draw")
                cells.append("cannot be split")
            elif math.isnan(row["parameter_share"]):
                cells.append("no spread")
            else:
                cells.append(f"{100 * row['parameter_share']:.0f}% parameters")
        lines.append(f"| {cell(scenario)} | " + " | ".join(cells) + " |")
    lines.append("")
    if "seed" in unsplit:
        lines += ["With one seed per draw the seeds' part of the variance cannot be measured, "
                  "so the split is not made: run with `--replications 2` or more.", ""]
    if "draw" in unsplit:
        lines += ["With one parameter draw the parameters' part of the variance cannot be "
                  "measured, so the split is not made: run with `--posterior 2` or more.", ""]
    return "\n".join(lines)

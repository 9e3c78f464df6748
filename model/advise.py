"""Robust budget advice: splits of the five spending shares that hold up across what the data
leave open (``egovsim advise``).

A candidate is a split of the e-government budget over the five components, put in force from
``from_year`` as a new ``[[policy]]`` on the scenario. Each candidate is simulated in the same
*worlds*: posterior draws x replication seeds (:mod:`model.posterior`), or, without a posterior,
seeds at the calibrated point; every candidate meets the same worlds (common random numbers), so
their differences are the split's. Per candidate and metric: the mean over worlds, a robust
value (the 10th percentile of an index, the 90th of a gap), the regret against the best candidate
in each world, and, for the objective, the probability of reaching a target grade.

The search is NSGA-II (pymoo) over the robust values of every metric, then a genetic algorithm
on the objective's alone (:func:`search`); the candidates it evaluates are all kept. The Pareto
front is taken over those robust values; the recommended split is the front's best on the
objective (highest probability of the target, then highest robust value, then highest mean;
for ``equity``, lowest robust gap, then lowest mean).

The shares are searched through a map of the unit cube onto the simplex (stick-breaking, exact
for a uniform density), so every candidate sums to 1 by construction, each share at least
:data:`MIN_SHARE`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model import rules as regulations
from model.defaults import DEFAULT_YEARS, YEAR_RANGE
from model.errors import ScenarioError
from model.outputs import ANNUAL_COLUMNS
from model.posterior import EnsembleTask, Posterior, draw_parameters, ensemble_tasks
from model.runner import run_many
from model.scenario import COMPONENTS, Policy, Scenario, Shares, shares_in_year
from model.seeds import run_seed, search_seed

OBJECTIVE_METRICS = {"ipp": "ipp", "spbe": "spbe", "pemdi": "pemdi", "ikm": "ikm",
                     "equity": "online_gap"}
"""Each objective and the metric it optimises (``equity``: the online gap)."""
OBJECTIVES = tuple(OBJECTIVE_METRICS)
MIN_SHARE = 0.02
"""Least share of any component in a candidate (assumption: every component keeps a running
budget, for licences, network upkeep, rule reviews and counters, so no split zeroes one)."""
DEFAULT_FROM_YEAR = 2027
"""First year a new split can be in force (assumption: the first regional budget, APBD, not yet
enacted at the end of 2026); set ``from_year`` for another plan."""
PEMDI_FROM_YEAR: int | None = getattr(regulations, "PEMDI_FROM_YEAR", None)
"""First year of the Indeks Pemerintah Digital (PermenPAN-RB 8/2026), which replaces SPBE;
None where the simulator does not score it."""
FIRST_YEAR = DEFAULT_YEARS[0]
"""Every run of the search simulates from this year (the default run's first, whose state the
scenario files' starting values describe) to the advised year."""
LAST_YEAR = YEAR_RANGE[1]
"""Latest advised year: the last a run may cover (:data:`model.defaults.YEAR_RANGE`), as for
``egovsim run --years``; the runs end in the advised year, not in the default run's last."""
ROBUST_QUANTILE = 0.10
"""The robust value of a metric is its 10th percentile over worlds (90th for a gap): an
assumption, a planner's bad case being the worst world in ten."""

SAME_SPLIT = 1e-9
"""Two splits whose shares all differ by less than this are the same split."""

GRADES: dict[str, tuple[tuple[tuple[float, str], ...], Callable[[float], str]]] = {
    "ipp": (regulations.IPP_GRADES, regulations.ipp_grade),
    "spbe": (regulations.SPBE_PREDIKAT, regulations.spbe_predikat),
    "ikm": (regulations.IKM_CATEGORIES, regulations.ikm_category),
}
"""Each graded objective's bands (best first) and its official grading function."""
if hasattr(regulations, "PEMDI_PREDIKAT"):
    GRADES["pemdi"] = (regulations.PEMDI_PREDIKAT, regulations.pemdi_predikat)


@dataclass(frozen=True)
class Metric:
    """One outcome of a candidate in the advised year."""

    name: str
    higher_is_better: bool

    @property
    def robust(self) -> str:
        """Name of its robust statistic (``p10`` of an index, ``p90`` of a gap)."""
        return "p10" if self.higher_is_better else "p90"


@dataclass(frozen=True)
class SearchSettings:
    """How hard the search looks (worlds x candidates = runs)."""

    draws: int
    """Posterior draws per candidate (>= 1); without a posterior, draws x replications seeds."""
    replications: int
    """Seeds per draw (>= 1)."""
    population: int
    """Simulated citizens per run (>= 1)."""
    pop_size: int
    """Candidates per generation of the search (>= 4)."""
    generations: int
    """Generations after the first; half NSGA-II, half the GA on the objective (>= 0)."""

    @property
    def candidates(self) -> int:
        """Candidates the search evaluates (its initial population and each generation's)."""
        return self.pop_size * (self.generations + 1)


QUICK = SearchSettings(draws=4, replications=1, population=2000, pop_size=16, generations=6)
"""``--quick``: 4 worlds, 2,000 citizens, 112 candidates, 448 runs (within 2 minutes on 2 cores)."""
FULL = SearchSettings(draws=8, replications=2, population=5000, pop_size=24, generations=12)
"""The default: 16 worlds, 5,000 citizens (the calibration's), 312 candidates, 4,992 runs
(within 10 minutes on 2 cores)."""


# --- the simplex ------------------------------------------------------------------------------
def shares_from_unit(x: np.ndarray, min_share: float = MIN_SHARE) -> np.ndarray:
    """Map points of the unit cube [0, 1]^4 (rows) to splits of the five components (rows).

    Stick-breaking with v_i = 1 - (1 - x_i)^(1 / (4 - i)): a uniform cube gives a uniform
    simplex. Each split is ``min_share`` plus its part of the rest; it sums to 1.
    """
    x = np.clip(np.atleast_2d(np.asarray(x, float)), 0.0, 1.0)
    n_parts = len(COMPONENTS)
    out = np.empty((len(x), n_parts))
    remaining = np.ones(len(x))
    for i in range(n_parts - 1):
        v = 1.0 - (1.0 - x[:, i]) ** (1.0 / (n_parts - 1 - i))
        out[:, i] = v * remaining
        remaining = remaining - out[:, i]
    out[:, -1] = remaining
    return min_share + (1.0 - n_parts * min_share) * out


def unit_from_shares(shares: np.ndarray, min_share: float = MIN_SHARE) -> np.ndarray:
    """The inverse of :func:`shares_from_unit` (shares below ``min_share`` are raised to it)."""
    n_parts = len(COMPONENTS)
    s = np.atleast_2d(np.asarray(shares, float))
    t = np.clip((s - min_share) / (1.0 - n_parts * min_share), 0.0, None)
    t = t / t.sum(axis=1, keepdims=True)
    x = np.empty((len(s), n_parts - 1))
    remaining = np.ones(len(s))
    for i in range(n_parts - 1):
        v = np.divide(t[:, i], remaining, out=np.zeros(len(s)), where=remaining > 0)
        x[:, i] = 1.0 - (1.0 - np.clip(v, 0.0, 1.0)) ** (n_parts - 1 - i)
        remaining = remaining - t[:, i]
    return x


# --- metrics, grades and targets --------------------------------------------------------------
def metrics_for(scenario: Scenario, year: int) -> tuple[Metric, ...]:
    """The metrics of the front: IPP, SPBE (Pemdi from 2026 where the simulator scores it), IKM,
    the online gap between access quintiles 5 and 1, and, where both urban and rural residents
    live, the satisfaction gap between them. A gap is a size: either side ahead is unequal.
    """
    out = _year_metrics(year)
    if 0.0 < scenario.population.urban_share < 1.0:
        out += (Metric("satisfaction_gap", False),)
    return out


def _year_metrics(year: int) -> tuple[Metric, ...]:
    """The metrics of every region in ``year`` (all but the urban-rural gap)."""
    digital = "pemdi" if scores_pemdi(year) else "spbe"
    return (Metric("ipp", True), Metric(digital, True), Metric("ikm", True),
            Metric("online_gap", False))


def objectives_for(metrics: Sequence[Metric]) -> tuple[str, ...]:
    """The objectives whose metric is among ``metrics``: the only ones accepted with them."""
    names = {m.name for m in metrics}
    return tuple(o for o, name in OBJECTIVE_METRICS.items() if name in names)


def objective_metric(objective: str, metrics: Sequence[Metric]) -> Metric:
    """The metric an objective optimises (:data:`OBJECTIVE_METRICS`), or a ScenarioError
    naming the objectives ``metrics`` score.
    """
    for m in metrics:
        if m.name == OBJECTIVE_METRICS.get(objective):
            return m
    raise ScenarioError(None, "--objective", f"{objective!r} is not an objective scored in "
                        "this year by this simulator; use one of "
                        + ", ".join(objectives_for(metrics)))


def grade_labels(objective: str) -> list[str]:
    """The grades of an objective, best first (empty if it has none)."""
    return [label for _, label in GRADES[objective][0]] if objective in GRADES else []


def check_target(objective: str, target: str | None) -> str | None:
    """``target`` spelled as the official label, or a ScenarioError naming the valid ones."""
    if target is None:
        return None
    labels = grade_labels(objective)
    if not labels:
        raise ScenarioError(None, "--target", f"the objective {objective!r} has no grades")
    for label in labels:
        if label.casefold() == target.strip().casefold():
            return label
    raise ScenarioError(None, "--target", f"{target!r} is not a grade of {objective}; use one "
                        "of " + ", ".join(labels))


def grade_of(objective: str, value: float) -> str:
    """The official grade of a score (as the regulation's grading function reads it)."""
    return GRADES[objective][1](float(value))


def scores_pemdi(year: int) -> bool:
    """Whether the simulator scores the Pemdi index in ``year``."""
    return (PEMDI_FROM_YEAR is not None and "pemdi" in ANNUAL_COLUMNS
            and year >= PEMDI_FROM_YEAR)


def reaches(objective: str, values: np.ndarray, target: str) -> np.ndarray:
    """Whether each score reaches ``target`` or better."""
    labels = grade_labels(objective)
    rank = labels.index(target)
    return np.array([labels.index(grade_of(objective, v)) <= rank for v in np.ravel(values)]
                    ).reshape(np.shape(values))


def next_grade_up(objective: str, value: float) -> str:
    """The grade above that of ``value`` (the best grade if it already has it)."""
    labels = grade_labels(objective)
    return labels[max(labels.index(grade_of(objective, value)) - 1, 0)]


# --- evaluating candidates --------------------------------------------------------------------
Evaluate = Callable[[np.ndarray], np.ndarray]
"""Splits (n, 5) -> metric values (n candidates, worlds, metrics)."""


def worlds_for(scenario: Scenario, posterior: Posterior | None, settings: SearchSettings,
               master_seed: int, *, hypothesis: str | None = None,
               year: int) -> list[EnsembleTask]:
    """The worlds every candidate meets: K draws x R seeds, or K x R seeds at the point."""
    years = (FIRST_YEAR, year)
    if posterior is None:
        return [EnsembleTask(scenario, 0, "point", r, run_seed(master_seed, r), years,
                             settings.population)
                for r in range(settings.draws * settings.replications)]
    draws = draw_parameters(posterior, settings.draws, master_seed, hypothesis)
    return ensemble_tasks([scenario], draws, settings.replications, master_seed,
                          posterior.config, years=years, population=settings.population)


def with_split(scenario: Scenario, shares: Sequence[float], from_year: int) -> Scenario:
    """``scenario`` with the split ``shares`` (in :data:`COMPONENTS` order) from ``from_year``."""
    split = Shares(**{c: float(v) for c, v in zip(COMPONENTS, shares, strict=True)})
    policy = Policy(name="advised split", start_year=from_year, shares=split,
                    note="candidate of egovsim advise")
    return dataclasses.replace(scenario, policies=(*scenario.policies, policy))


def metric_values(annual: pd.DataFrame, year: int, metrics: Sequence[str]) -> np.ndarray:
    """The metrics of one run's table in ``year``."""
    row = annual[annual["year"] == year].iloc[0]
    out = []
    for m in metrics:
        if m == "online_gap":
            out.append(abs(row["online_gap_q5_q1"]))
        elif m == "satisfaction_gap":
            out.append(abs(row["satisfaction_urban"] - row["satisfaction_rural"]))
        else:
            out.append(row[m])
    return np.asarray(out, float)


def simulation_evaluator(worlds: Sequence[EnsembleTask], metrics: Sequence[Metric],
                         from_year: int, *, workers: int = 1,
                         on_done: Callable[[int, Any], None] | None = None) -> Evaluate:
    """Evaluate splits by simulating each in every world (the same worlds for all)."""
    names = tuple(m.name for m in metrics)

    def evaluate(shares: np.ndarray) -> np.ndarray:
        tasks = [dataclasses.replace(w, scenario=with_split(w.scenario, s, from_year))
                 for s in shares for w in worlds]
        # the candidates in one world share its behaviour: they are stepped together
        tables = run_many(tasks, workers=workers, on_done=on_done)
        values = [metric_values(df, t.years[1], names) for t, df in zip(tasks, tables,
                                                                        strict=True)]
        return np.asarray(values).reshape(len(shares), len(worlds), len(names))

    return evaluate


# --- the search -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Advice:
    """The outcome of a search: every evaluated candidate and what was asked."""

    table: pd.DataFrame
    """One row per candidate: shares, flags, and every metric's statistics."""
    values: np.ndarray
    """(candidates, worlds, metrics): each candidate's metrics in each world."""
    metrics: tuple[Metric, ...]
    objective: str
    target: str | None

    @property
    def recommended(self) -> pd.Series:
        """The recommended candidate's row."""
        return self.table[self.table["recommended"]].iloc[0]

    @property
    def status_quo(self) -> pd.Series:
        """The split already in force (candidate 0)."""
        return self.table[self.table["status_quo"]].iloc[0]

    @property
    def pareto(self) -> pd.DataFrame:
        """The candidates on the Pareto front."""
        return self.table[self.table["pareto"]]


def summarise(shares: np.ndarray, values: np.ndarray, metrics: Sequence[Metric],
              objective: str, target: str | None) -> pd.DataFrame:
    """Per candidate: shares, and per metric mean, robust value, mean and largest regret;
    ``p_target`` for the objective when a target is given; the front and the recommendation.
    """
    table = pd.DataFrame(shares, columns=[f"share_{c}" for c in COMPONENTS])
    table.insert(0, "candidate", np.arange(len(shares)))
    table.insert(1, "status_quo", table["candidate"] == 0)
    robust = np.empty((len(shares), len(metrics)))
    for j, m in enumerate(metrics):
        v = values[:, :, j]
        sign = 1.0 if m.higher_is_better else -1.0
        best = sign * (sign * v).max(axis=0, keepdims=True)  # the best candidate in each world
        regret = sign * (best - v)
        q = ROBUST_QUANTILE if m.higher_is_better else 1.0 - ROBUST_QUANTILE
        table[f"{m.name}_mean"] = v.mean(axis=1)
        table[f"{m.name}_{m.robust}"] = np.quantile(v, q, axis=1)
        table[f"{m.name}_regret_mean"] = regret.mean(axis=1)
        table[f"{m.name}_regret_max"] = regret.max(axis=1)
        robust[:, j] = -sign * table[f"{m.name}_{m.robust}"].to_numpy()
    goal = objective_metric(objective, metrics)
    if target is not None:
        j = [m.name for m in metrics].index(goal.name)
        table["p_target"] = reaches(objective, values[:, :, j], target).mean(axis=1)
    table["pareto"] = False
    table.loc[pareto_front(robust), "pareto"] = True
    front = table[table["pareto"]]
    sign = 1.0 if goal.higher_is_better else -1.0
    keys = [sign * front[f"{goal.name}_{goal.robust}"], sign * front[f"{goal.name}_mean"]]
    if target is not None:
        keys.insert(0, front["p_target"])
    order = np.lexsort([k.to_numpy() for k in reversed(keys)])
    table["recommended"] = False
    table.loc[front.index[order[-1]], "recommended"] = True
    return table


def pareto_front(minimise: np.ndarray) -> np.ndarray:
    """Indices of the rows no other row dominates (every column minimised)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
    return np.asarray(NonDominatedSorting().do(minimise, only_non_dominated_front=True))


def search(evaluate: Evaluate, metrics: Sequence[Metric], objective: str, *,
           status_quo: Sequence[float], settings: SearchSettings, master_seed: int,
           target: str | None = None) -> Advice:
    """Search splits in two phases, keeping every candidate evaluated.

    1. NSGA-II over the robust value of every metric for the first half of the generations
       (the trade-offs); the status quo is one member of its first population.
    2. A single-objective genetic algorithm on the objective's robust value for the rest,
       started from phase 1's last population (a multi-objective search spreads its effort
       along the front and comes near, but not close, to any one objective's best: on a toy
       problem within 0.09 of the best shares after 600 candidates, within 0.04 with this).

    ``target=None`` with a graded objective aims one grade above the status quo's mean.
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.core.population import Population
    from pymoo.optimize import minimize

    metrics = tuple(metrics)
    goal = objective_metric(objective, metrics)
    j_goal = [m.name for m in metrics].index(goal.name)
    archive: list[tuple[np.ndarray, np.ndarray]] = []
    seed = search_seed(master_seed)
    first = np.random.default_rng(seed).random((settings.pop_size, len(COMPONENTS) - 1))
    first[0] = unit_from_shares(np.asarray(status_quo, float))[0]
    refine = settings.generations // 2
    phase1 = minimize(_problem(evaluate, metrics, None, archive),
                      NSGA2(pop_size=settings.pop_size, sampling=first,
                            eliminate_duplicates=True),
                      ("n_gen", settings.generations + 1 - refine), seed=seed, verbose=False)
    if refine:
        # phase 1's last population, already evaluated: the GA does not simulate it again
        start = Population.new("X", phase1.pop.get("X"), "F", phase1.pop.get("F")[:, [j_goal]])
        for individual in start:
            individual.evaluated = {"F", "G", "H"}
        minimize(_problem(evaluate, metrics, j_goal, archive),
                 GA(pop_size=settings.pop_size, sampling=start, eliminate_duplicates=True),
                 ("n_gen", refine + 1), seed=seed + 1, verbose=False)
    shares, values = _status_quo_first(np.asarray(status_quo, float), evaluate,
                                       np.concatenate([a for a, _ in archive]),
                                       np.concatenate([v for _, v in archive]))
    if target is None and goal.name in GRADES:
        target = next_grade_up(goal.name, float(values[0, :, j_goal].mean()))
    table = summarise(shares, values, metrics, objective, target)
    return Advice(table=table, values=values, metrics=metrics, objective=objective,
                  target=target)


def robust_objectives(values: np.ndarray, metrics: Sequence[Metric]) -> np.ndarray:
    """(candidates, metrics) to minimise: minus the 10th percentile of each index, the 90th
    percentile of each gap, over worlds.
    """
    cols = []
    for j, m in enumerate(metrics):
        q = ROBUST_QUANTILE if m.higher_is_better else 1.0 - ROBUST_QUANTILE
        sign = -1.0 if m.higher_is_better else 1.0
        cols.append(sign * np.quantile(values[:, :, j], q, axis=1))
    return np.stack(cols, axis=1)


def _problem(evaluate: Evaluate, metrics: Sequence[Metric], only: int | None,
             archive: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    """The pymoo problem: unit cube -> splits -> robust objectives (all, or column ``only``);
    every evaluation is appended to ``archive``.
    """
    from pymoo.core.problem import Problem

    class SplitProblem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(COMPONENTS) - 1,
                             n_obj=len(metrics) if only is None else 1, xl=0.0, xu=1.0)

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any,
                      **kwargs: Any) -> None:
            shares = shares_from_unit(x)
            values = evaluate(shares)
            archive.append((shares, values))
            f = robust_objectives(values, metrics)
            out["F"] = f if only is None else f[:, [only]]

    return SplitProblem()


def _status_quo_first(status_quo: np.ndarray, evaluate: Evaluate, shares: np.ndarray,
                      values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The evaluated candidates with the status quo as candidate 0: the searched copy if the
    simplex holds it (every share at least the floor), else evaluated as it is.
    """
    same = np.flatnonzero(np.abs(shares - status_quo).max(axis=1) < SAME_SPLIT)
    if len(same):
        order = [int(same[0]), *(i for i in range(len(shares)) if i != same[0])]
        return shares[order], values[order]
    return (np.concatenate([status_quo[None, :], shares]),
            np.concatenate([evaluate(status_quo[None, :]), values]))


def status_quo_split(scenario: Scenario, from_year: int) -> list[float]:
    """The split in force in ``from_year`` without advice, in :data:`COMPONENTS` order."""
    shares = shares_in_year(scenario, from_year)
    return [shares[c] for c in COMPONENTS]


def check_years(year: int, from_year: int) -> None:
    """The advised year and the first year of the new split, or a ScenarioError."""
    if not FIRST_YEAR < year <= LAST_YEAR:
        raise ScenarioError(None, "--year", f"{year}; give a year from {FIRST_YEAR + 1} to "
                            f"{LAST_YEAR} (the search simulates from {FIRST_YEAR} to --year)")
    if not FIRST_YEAR < from_year <= year:
        raise ScenarioError(None, "--from-year", f"{from_year} must be after {FIRST_YEAR} and "
                            f"not after --year {year}")


def check_objective(objective: str, year: int) -> None:
    """An objective the simulator scores in ``year``, or a ScenarioError naming those it does
    (:func:`objectives_for` the year's metrics: the list :func:`objective_metric` accepts).
    """
    accepted = objectives_for(_year_metrics(year))
    if objective in accepted:
        return
    if objective not in OBJECTIVES:
        reason = "is not an objective"
    elif objective == "pemdi":
        since = f"from {PEMDI_FROM_YEAR}" if PEMDI_FROM_YEAR else "not by this simulator"
        reason = f"is scored {since}, not in {year}"
    else:
        reason = f"is not scored in {year} (pemdi replaces it from {PEMDI_FROM_YEAR})"
    raise ScenarioError(None, "--objective", f"{objective!r} {reason}; use one of "
                        + ", ".join(accepted))

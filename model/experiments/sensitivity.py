"""Sensitivity analysis on replication-averaged outcomes: SALib Sobol and Morris, seed noise.

Each design point's outcome is the mean over its replications, so the indices describe the
model's expected response. How much seed noise is left in the numbers is reported beside them
(:func:`noise_table`): ``seed_share`` is the share of one run's outcome variance that comes
from the seed (mean within-point variance over total variance), ``seed_share_of_means`` the
share still left in the replication-averaged outcomes the indices are computed from
(within-point variance / replications over the variance of the point means). Indices of
factors whose effect is below ``seed_share_of_means`` are noise.

Morris elementary effects are computed in the unit hypercube (each factor's range scaled to
[0, 1]), so mu* is the outcome change over a factor's whole range, comparable across factors.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from SALib.analyze import morris as morris_analyze  # noqa: E402
from SALib.analyze import sobol as sobol_analyze  # noqa: E402

from model.errors import ScenarioError  # noqa: E402
from model.experiments.design import DesignPoints, design_seed, unit_problem  # noqa: E402
from model.experiments.spec import Experiment  # noqa: E402
from model.io import atomic_write, write_table  # noqa: E402

SOBOL_COLUMNS = ("parameter", "outcome", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("parameter", "outcome", "mu", "mu_star", "mu_star_conf", "sigma")


def point_means(outcomes: pd.DataFrame, names: list[str], n_points: int,
                where: str | None = None) -> pd.DataFrame:
    """Replication-averaged outcomes, one row per design point 0..n_points-1, in order."""
    means = outcomes.groupby("point")[names].mean().reindex(range(n_points))
    missing = means.index[means.isna().any(axis=1)]
    if len(missing):
        raise ScenarioError(where, "annual", f"{len(missing)} of {n_points} design points have no "
                                             "finished run (e.g. point "
                                             f"{int(missing[0])}); rerun with --resume")
    return means


def noise_table(outcomes: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per outcome: total variance of single runs, seed (within-point) variance and shares."""
    rows = []
    for name in names:
        total = float(outcomes[name].var(ddof=1))
        groups = outcomes.groupby("point")[name]
        reps = groups.count()
        within = float(groups.var(ddof=1)[reps > 1].mean()) if (reps > 1).any() else np.nan
        mean_reps = float(reps.mean())
        var_means = float(groups.mean().var(ddof=1))
        rows.append({"outcome": name, "variance": total, "seed_variance": within,
                     "seed_share": within / total if total > 0 else np.nan,
                     "replications": mean_reps,
                     "seed_share_of_means": (within / mean_reps) / var_means
                     if var_means > 0 else np.nan})
    return pd.DataFrame(rows)


def sobol_table(design: DesignPoints, means: pd.DataFrame, *, second_order: bool = False,
                bootstrap: int = 1000, confidence: float = 0.95,
                seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices with bootstrap intervals, per outcome."""
    problem = unit_problem(design.names)
    rows = []
    for name in means.columns:
        res = sobol_analyze.analyze(problem, means[name].to_numpy(dtype=float),
                                    calc_second_order=second_order, num_resamples=bootstrap,
                                    conf_level=confidence, seed=seed)
        for j, par in enumerate(design.names):
            rows.append({"parameter": par, "outcome": name, "S1": res["S1"][j],
                         "S1_conf": res["S1_conf"][j], "ST": res["ST"][j],
                         "ST_conf": res["ST_conf"][j]})
    return pd.DataFrame(rows, columns=list(SOBOL_COLUMNS))


def morris_table(design: DesignPoints, means: pd.DataFrame, *, levels: int = 4,
                 bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Morris mu, mu* (with bootstrap interval) and sigma per factor, per outcome."""
    assert design.unit is not None
    problem = unit_problem(design.names)
    rows = []
    for name in means.columns:
        res = morris_analyze.analyze(problem, design.unit, means[name].to_numpy(dtype=float),
                                     num_resamples=bootstrap, conf_level=confidence,
                                     num_levels=levels, seed=seed)
        for j, par in enumerate(design.names):
            rows.append({"parameter": par, "outcome": name, "mu": res["mu"][j],
                         "mu_star": res["mu_star"][j], "mu_star_conf": res["mu_star_conf"][j],
                         "sigma": res["sigma"][j]})
    return pd.DataFrame(rows, columns=list(MORRIS_COLUMNS))


def analyse(exp: Experiment, design: DesignPoints, outcomes: pd.DataFrame,
            out: str | Path) -> dict[str, pd.DataFrame]:
    """Write ``sobol.csv`` or ``morris.csv``, ``noise.csv`` and a figure into ``out``."""
    out = Path(out)
    names = [o.name for o in exp.outcomes]
    means = point_means(outcomes, names, len(design), str(out))
    d = exp.design
    seed = design_seed(exp.master_seed)
    tables = {"noise": noise_table(outcomes, names)}
    write_table(tables["noise"], csv=out / "noise.csv")
    noise = dict(zip(tables["noise"]["outcome"], tables["noise"]["seed_share_of_means"],
                     strict=True))
    if d.method == "sobol":
        tables["sobol"] = sobol_table(design, means, second_order=d.second_order,
                                      bootstrap=d.bootstrap, confidence=d.confidence, seed=seed)
        write_table(tables["sobol"], csv=out / "sobol.csv")
        sobol_figure(tables["sobol"], out / "sobol.png", noise)
    elif d.method == "morris":
        tables["morris"] = morris_table(design, means, levels=d.levels, bootstrap=d.bootstrap,
                                        confidence=d.confidence, seed=seed)
        write_table(tables["morris"], csv=out / "morris.csv")
        morris_figure(tables["morris"], out / "morris.png", noise)
    else:
        raise ScenarioError(exp.path, "design.method", f"{d.method} is not a sensitivity "
                                                       "design; use sobol or morris")
    return tables


def _save(fig: plt.Figure, path: Path) -> None:
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=120, bbox_inches="tight"))
    plt.close(fig)


def _title(name: str, noise: dict[str, float] | None) -> str:
    share = (noise or {}).get(name)
    if share is None or not np.isfinite(share):
        return name
    return f"{name}\n(seed noise in means: {share:.2f})"


def sobol_figure(table: pd.DataFrame, path: str | Path,
                 noise: dict[str, float] | None = None) -> None:
    """Bars of S1 and ST with their confidence intervals, one panel per outcome; ``noise``
    (outcome -> seed_share_of_means) goes in the panel titles.
    """
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.5 * len(outcomes), 3.8),
                             squeeze=False, sharey=True)
    for ax, name in zip(axes[0], outcomes, strict=True):
        t = table[table["outcome"] == name]
        x = np.arange(len(t))
        ax.bar(x - 0.2, t["S1"], 0.4, yerr=t["S1_conf"], capsize=3, label="first order S1")
        ax.bar(x + 0.2, t["ST"], 0.4, yerr=t["ST_conf"], capsize=3, label="total ST")
        ax.set_xticks(x, t["parameter"], rotation=45, ha="right")
        ax.set_title(_title(name, noise), fontsize=10)
        ax.axhline(0, color="black", lw=0.5)
    axes[0][0].set_ylabel("Sobol index")
    axes[0][0].legend(fontsize=8)
    _save(fig, Path(path))


def morris_figure(table: pd.DataFrame, path: str | Path,
                  noise: dict[str, float] | None = None) -> None:
    """mu* against sigma, one panel per outcome, factors labelled (``noise`` as for Sobol)."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.5 * len(outcomes), 3.8),
                             squeeze=False)
    for ax, name in zip(axes[0], outcomes, strict=True):
        t = table[table["outcome"] == name]
        ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_conf"], fmt="o", capsize=3)
        for _, row in t.iterrows():
            ax.annotate(row["parameter"], (row["mu_star"], row["sigma"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("mu* (effect over the full range)")
        ax.set_title(_title(name, noise), fontsize=10)
    axes[0][0].set_ylabel("sigma (non-linearity, interactions)")
    _save(fig, Path(path))

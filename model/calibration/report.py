"""Calibration outputs per hypothesis: parameter table, correlations, posterior-predictive
fit, band figures and the chosen point (``calibrated.toml``).

The chosen point: the hypothesis with the highest posterior probability (mean over repeats,
:func:`choose_hypothesis`), and in it a point found rather than summarised
(:mod:`model.calibration.refine`): a vector of weighted marginal medians need not be a joint
high-density point, and at the tolerances a 45-minute run reaches it missed observed points
that particles and refined points fit. Its fit is checked by simulating it
(``point_fit.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from model.calibration.config import CalibrationConfig, Hypothesis  # noqa: E402
from model.calibration.simulate import (  # noqa: E402
    INDICES,
    behaviour_overrides,
    hypothesis_of,
    region_overrides,
    simulate,
    stats_of,
)
from model.calibration.targets import (  # noqa: E402
    Distance,
    Target,
    best_reading,
    simulated,
)
from model.figures import INDEX_LABELS  # noqa: E402
from model.io import atomic_write, toml_value  # noqa: E402
from model.outputs import INDICES as ANNUAL_INDICES  # noqa: E402
from model.runner import map_runs  # noqa: E402
from model.shares import rounded_split  # noqa: E402

NOT_IDENTIFIED = 0.75
"""Posterior/prior 90%-width ratio at or above which a parameter is flagged not identified."""
WEAK = 0.5


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of ``x`` under weights ``w`` (midpoint rule on the sorted weights)."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    keep = w > 0
    order = np.argsort(x[keep])
    x, w = x[keep][order], w[keep][order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, x)


def identification(ratio: float) -> str:
    """Label for a posterior/prior width ratio."""
    if ratio >= NOT_IDENTIFIED:
        return "not identified"
    return "weakly identified" if ratio >= WEAK else "identified"


def parameter_table(config: CalibrationConfig, post: pd.DataFrame, prior: pd.DataFrame,
                    hypothesis: Hypothesis | str | None = None) -> pd.DataFrame:
    """Per estimated parameter of one hypothesis (``post``: its particles): median, 90%
    interval, prior range and 90% width, width ratio, flag.
    """
    w = post["weight"].to_numpy()
    rows = []
    for p in config.estimated(hypothesis_of(config, hypothesis)):
        q05, med, q95 = weighted_quantile(post[p.name].to_numpy(), w, [0.05, 0.5, 0.95])
        pq05, pq95 = np.quantile(prior[p.name], [0.05, 0.95])
        if p.prior == "loguniform":  # compare widths on the scale the prior is flat on
            ratio = np.log(q95 / q05) / np.log(pq95 / pq05)
        else:
            ratio = (q95 - q05) / (pq95 - pq05)
        rows.append({"parameter": p.name, "key": p.key, "region": p.region or "shared",
                     "prior": p.prior, "prior_lo": p.lo, "prior_hi": p.hi, "median": med,
                     "q05": q05, "q95": q95, "width_ratio": float(ratio),
                     "identification": identification(float(ratio))})
    return pd.DataFrame(rows)


def correlations(config: CalibrationConfig, post: pd.DataFrame,
                 hypothesis: Hypothesis | str | None = None) -> pd.DataFrame:
    """Weighted pairwise posterior correlations of one hypothesis, strongest first."""
    names = list(hypothesis_of(config, hypothesis).estimate)
    x = post[names].to_numpy(float)
    w = post["weight"].to_numpy()
    cov = np.atleast_2d(np.cov(x, rowvar=False, aweights=w)) if len(x) > 1 else np.full(
        (len(names), len(names)), np.nan)
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    rows = [{"a": a, "b": b, "correlation": float(corr[i, j])}
            for i, a in enumerate(names) for j, b in enumerate(names) if i < j]
    df = pd.DataFrame(rows)
    return df.reindex(df["correlation"].abs().sort_values(ascending=False).index).reset_index(
        drop=True)


def resample(post: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` parameter vectors drawn from the weighted posterior (with replacement)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(post), size=n, p=post["weight"].to_numpy() / post["weight"].sum())
    return post.iloc[idx].reset_index(drop=True)


class _Predict:
    """One posterior-predictive run (picklable for the fork pool)."""

    def __init__(self, config: CalibrationConfig, years: tuple[int, int]) -> None:
        self.config, self.years = config, years

    def __call__(self, item: tuple[int, str, dict[str, float]]) -> pd.DataFrame:
        i, hypothesis, theta = item
        frames = simulate(self.config, theta, hypothesis, years=self.years, replication=i)
        df = pd.concat([f.assign(calibration_region=r, hypothesis=hypothesis)
                        for r, f in frames.items()])
        return df


def predictive(config: CalibrationConfig, thetas: Sequence[Mapping[str, float]],
               workers: int, hypothesis: Hypothesis | str | None = None,
               years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Simulate each parameter vector of one hypothesis once (draw ``i`` is replication
    ``i``, seed :func:`~model.calibration.simulate.seed_for`).
    """
    h = hypothesis_of(config, hypothesis)
    items = [(i, h.name, {k: float(t[k]) for k in h.estimate}) for i, t in enumerate(thetas)]
    frames = map_runs(_Predict(config, years or config.settings.predictive_years), items,
                      workers=workers)
    return pd.concat(frames, ignore_index=True)


def draws_of(annual: pd.DataFrame) -> list[tuple[dict[str, float], dict[str, pd.DataFrame]]]:
    """Each draw (replication) of a predictive table: its summary statistics and its annual
    table per region.
    """
    out = []
    for _, g in annual.groupby("replication", sort=True):
        frames = {r: f for r, f in g.groupby("calibration_region")}
        out.append((stats_of(frames), frames))
    return out


def draw_stats(annual: pd.DataFrame) -> list[dict[str, float]]:
    """Summary statistics of each draw (replication) of a predictive table."""
    return [stats for stats, _ in draws_of(annual)]


def fit_table(targets: list[Target], draws: list[dict[str, float]]) -> pd.DataFrame:
    """Each observed point: predictive median and 90% interval, covered or not.

    Year-uncertain points get a row per reading (as labelled, a year earlier) with the share
    of draws for which that reading is the closer one.
    """
    dist = Distance(targets)
    groups = {t.label for g in dist.groups for t in g}
    shift_of = [({t.label: best_reading(s, g)[0] for g in dist.groups for t in g}) for s in draws]
    rows = []
    for t in targets:
        for year in t.candidate_years():
            vals = np.array([simulated(s, t, year, dist.regions) for s in draws])
            q05, med, q95 = np.quantile(vals, [0.05, 0.5, 0.95])
            row: dict[str, Any] = {
                "region": t.region, "index": t.index, "year_labelled": t.year,
                "year_compared": year, "observed": t.value, "sigma": round(t.sigma, 4),
                "confidence": t.confidence, "median": med, "q05": q05, "q95": q95,
                "error_of_median": med - t.value, "covered_90": bool(q05 <= t.value <= q95)}
            if t.label in groups:
                shift = t.year - year
                row["reading"] = "as labelled" if shift == 0 else "publication year"
                row["share_preferred"] = float(np.mean([d[t.label] == shift for d in shift_of]))
            rows.append(row)
    return pd.DataFrame(rows)


def forecast_table(annuals: Mapping[str, pd.DataFrame], selection: pd.DataFrame | None,
                   first_year: int) -> pd.DataFrame:
    """``forecasts.csv``: the posterior-predictive median and 90% interval of each region's
    index (:data:`model.outputs.INDICES`; a cell without values, as Pemdi before 2026, is left
    out) in each year from ``first_year`` (the first year without fitted points) on, per
    hypothesis (``annuals``: its predictive table, a draw per replication, each draw weighing
    the same) and, unless ``selection`` is None, for the posterior: the hypotheses weighted by
    their probability (``selection``: ``model_selection.csv``) renormalised over those in
    ``annuals``.
    """
    probs = ({n: 1.0 for n in annuals} if selection is None else
             dict(zip(selection["hypothesis"], selection["probability"], strict=True)))
    retained = sum(probs[n] for n in annuals)
    parts = []
    for name, annual in annuals.items():
        a = annual[annual["year"] >= first_year]
        n = a["replication"].nunique()
        parts.append(a.assign(hypothesis=name, weight=probs[name] / retained / n))
    pooled = pd.concat(parts, ignore_index=True)
    frames = [(n, pooled[pooled["hypothesis"] == n]) for n in annuals]
    if selection is not None:
        frames.append(("posterior", pooled))
    rows = []
    for name, frame in frames:
        for (region, year), g in frame.groupby(["calibration_region", "year"], sort=True):
            for index in ANNUAL_INDICES:
                ok = g[index].notna().to_numpy()
                if not ok.any():
                    continue
                lo, mid, hi = weighted_quantile(g[index].to_numpy()[ok],
                                                g["weight"].to_numpy()[ok], (0.05, 0.5, 0.95))
                rows.append({"hypothesis": name, "region": region, "index": index,
                             "year": int(year), "draws": int(ok.sum()), "median": mid,
                             "q05": lo, "q95": hi})
    return pd.DataFrame(rows)


def band_figure(annual: pd.DataFrame, targets: list[Target], region: str, index: str,
                path: Path, title: str) -> None:
    """Posterior-predictive median and 50%/90% bands of one index, observed points on top."""
    g = annual[annual["calibration_region"] == region].groupby("year")[index]
    q = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.fill_between(q.index, q[0.05], q[0.95], color="C0", alpha=0.18, lw=0, label="90% band")
    ax.fill_between(q.index, q[0.25], q[0.75], color="C0", alpha=0.3, lw=0, label="50% band")
    ax.plot(q.index, q[0.5], color="C0", lw=2, label="posterior-predictive median")
    for t in targets:
        if t.region != region or t.index != index:
            continue
        if t.uncertain:
            ax.errorbar([t.year, t.year - 1], [t.value] * 2, yerr=1.645 * t.sigma, fmt="o",
                        mfc="none", color="k", capsize=3)
            ax.plot([t.year - 1, t.year], [t.value] * 2, color="k", lw=0.8, ls=":")
        else:
            ax.errorbar([t.year], [t.value], yerr=1.645 * t.sigma, fmt="o", color="k", capsize=3)
    ax.plot([], [], "ko", label="observed (90% tolerance)")
    ax.plot([], [], "ko", mfc="none", label="observed, year label uncertain (both readings)")
    ax.set_ylim(*((1, 4) if index == "ikm" else (1, 5)))
    ax.set_xlabel("year")
    ax.set_ylabel(INDEX_LABELS[index])
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))
    plt.close(fig)


def band_figures(config: CalibrationConfig, annual: pd.DataFrame, targets: list[Target],
                 folder: Path, what: str) -> list[Path]:
    """One figure per region and index."""
    paths = []
    for region, sc in config.regions.items():
        for index in INDICES:
            path = folder / f"{region}_{index}.png"
            band_figure(annual, targets, region, index, path,
                        f"{sc.region}: {index.upper()}, {what}")
            paths.append(path)
    return paths


def choose_hypothesis(selection: pd.DataFrame, retained: list[str]) -> str:
    """The hypothesis of ``calibrated.toml``: the highest mean posterior probability among the
    ``retained`` (``selection``: ``model_selection.csv``; ties go to the first in the file).
    Its point is :func:`model.calibration.refine.refine_point`'s.
    """
    ranked = selection[selection["hypothesis"].isin(retained)]
    return str(ranked.loc[ranked["probability"].idxmax(), "hypothesis"])


def calibrated_toml(config: CalibrationConfig, point: Mapping[str, float], header: str,
                    hypothesis: Hypothesis | str | None = None) -> str:
    """``calibrated.toml``: ``[behaviour]`` (what ``model/calibrated.toml`` holds: the
    hypothesis' fixed values and estimated shared parameters) and, per region, the scenario
    values to write into its file.
    """
    lines = [f"# {h}" if h else "#" for h in header.splitlines()]
    lines += ["", "[behaviour]"]
    for key, v in behaviour_overrides(config, point, hypothesis).items():
        lines.append(f"{key.partition('.')[2]} = {toml_value(float(v))}")
    for region in config.regions:
        lines += ["", f"[region.{region}]"]
        for key, v in region_overrides(config, region, point).items():
            if isinstance(v, dict):
                v = rounded_split(v)
            lines.append(f'"{key}" = {toml_value(v)}')
    return "\n".join(lines) + "\n"

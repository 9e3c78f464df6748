"""Figures: indices over the years with replication bands and observed points."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from model.io import atomic_write  # noqa: E402
from model.rules import IPP_GRADES, SPBE_PREDIKAT  # noqa: E402

INDEX_LABELS = {"spbe": "SPBE index (1-5)", "ipp": "IPP (1-5)", "ikm": "IKM (1-4)"}
BAND = (0.05, 0.95)


def band_table(annual: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per scenario and year: mean, 5% and 95% quantiles of ``column`` over replications."""
    g = annual.groupby(["scenario", "region", "year"])[column]
    out = pd.DataFrame({"mean": g.mean(), "lo": g.quantile(BAND[0]), "hi": g.quantile(BAND[1])})
    return out.reset_index()


def index_figure(annual: pd.DataFrame, observed: pd.DataFrame, index: str, path: str | Path,
                 title: str | None = None) -> None:
    """One index over the years: a line and 90% band per scenario, observed points on top."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    bands = band_table(annual, index)
    if index in ("spbe", "ipp"):
        edges = SPBE_PREDIKAT if index == "spbe" else IPP_GRADES
        for lower, label in edges[:-1]:
            ax.axhline(lower, color="0.85", lw=0.8, zorder=0)
            ax.text(bands["year"].max() + 0.2, lower, label, fontsize=7, color="0.5",
                    va="bottom")
    for i, ((name, region), b) in enumerate(bands.groupby(["scenario", "region"], sort=False)):
        color = f"C{i}"
        ax.fill_between(b["year"], b["lo"], b["hi"], color=color, alpha=0.2, lw=0)
        ax.plot(b["year"], b["mean"], color=color, lw=2, label=f"{name} (mean, 90% band)")
        obs = observed[(observed["region"] == region) & (observed["index"] == index)]
        if len(obs):
            exact = obs[~obs["year_uncertain"]]
            unsure = obs[obs["year_uncertain"]]
            ax.scatter(exact["year"], exact["value"], color=color, edgecolor="k", zorder=5,
                       s=45, label=f"{region} observed")
            if len(unsure):
                ax.scatter(unsure["year"], unsure["value"], facecolor="none", edgecolor=color,
                           zorder=5, s=45, label=f"{region} observed (year label uncertain)")
    lo, hi = (1, 4) if index == "ikm" else (1, 5)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("year")
    ax.set_ylabel(INDEX_LABELS[index])
    ax.set_title(title or INDEX_LABELS[index])
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))
    plt.close(fig)

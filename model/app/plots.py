"""Figures for the app and the report: indices with bands, differences, who gains, IPP aspects.

Every function returns a :class:`matplotlib.figure.Figure` made without pyplot (no global state,
safe in the app's threads); :func:`png_bytes` renders one. Labels come from
:mod:`model.app.text`, so a figure speaks the page's language.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from model.app.logic import DIVIDE_MEASURES, GROUPS, aspects_table, divide_table, paired_difference
from model.app.text import tr
from model.figures import band_table
from model.rules import IPP_GRADES, IPP_WEIGHTS, SPBE_PREDIKAT

SCALE = {"spbe": (1.0, 5.0), "ipp": (1.0, 5.0), "ikm": (1.0, 4.0)}
COLORS = ("#1f4e79", "#c0504d", "#4f8a3c", "#8064a2", "#d98c1f", "#4bacc6")


def scenario_color(i: int) -> str:
    """The colour of the ``i``-th scenario in every figure."""
    return COLORS[i % len(COLORS)]


def index_figure(annual: pd.DataFrame, observed: pd.DataFrame, index: str,
                 scenarios: list[tuple[str, str]], lang: str) -> Figure:
    """One index over the years: mean line and 90% band per scenario, official bands, observed.

    ``scenarios`` is a list of (scenario name in ``annual``, label to show).
    """
    fig = Figure(figsize=(7.2, 3.9), dpi=100)
    ax = fig.subplots()
    bands = band_table(annual, index)
    years = bands["year"]
    if index in ("spbe", "ipp"):
        edges = SPBE_PREDIKAT if index == "spbe" else IPP_GRADES
        lo_scale, hi_scale = SCALE[index]
        for j, (lower, label) in enumerate(edges):
            bottom = max(lower, lo_scale)
            top = hi_scale if j == 0 else edges[j - 1][0]
            if j % 2 == 0:
                ax.axhspan(bottom, top, color="0.95", zorder=0, lw=0)
            ax.text(years.max() + 0.35, (bottom + top) / 2, label, fontsize=7, color="0.45",
                    va="center")
    regions = []
    for i, (name, label) in enumerate(scenarios):
        b = bands[bands["scenario"] == name]
        if b.empty:
            continue
        color = scenario_color(i)
        ax.fill_between(b["year"], b["lo"], b["hi"], color=color, alpha=0.18, lw=0)
        ax.plot(b["year"], b["mean"], color=color, lw=2, label=label)
        region = b["region"].iloc[0]
        if region not in regions:
            regions.append(region)
    for k, region in enumerate(regions):
        obs = observed[(observed["region"] == region) & (observed["index"] == index)]
        if obs.empty:
            continue
        marker = "os^"[k % 3]
        exact, unsure = obs[~obs["year_uncertain"]], obs[obs["year_uncertain"]]
        ax.scatter(exact["year"], exact["value"], color="k", marker=marker, zorder=5, s=30,
                   label=tr(lang, "plot.observed", region=region))
        if len(unsure):
            ax.scatter(unsure["year"], unsure["value"], facecolor="none", edgecolor="k",
                       marker=marker, zorder=5, s=30,
                       label=tr(lang, "plot.observed_uncertain", region=region))
    ax.set_ylim(*SCALE[index])
    ax.set_xlim(years.min() - 0.3, years.max() + 2.2)
    ax.set_xticks(range(int(years.min()), int(years.max()) + 1, 2))
    ax.set_xlabel(tr(lang, "plot.year"))
    ax.set_ylabel(tr(lang, f"index.{index}"))
    ax.set_title(tr(lang, f"index.{index}") + " — " + tr(lang, "plot.band_note"), fontsize=10)
    ax.legend(fontsize=7, loc="lower right" if index == "ikm" else "upper left",
              framealpha=0.9)
    ax.grid(alpha=0.25)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.12, top=0.92)
    return fig


def difference_figure(annual: pd.DataFrame, baseline: str, whatif: str, lang: str) -> Figure:
    """What-if minus baseline for SPBE, IPP and IKM, with the 90% band of paired differences."""
    fig = Figure(figsize=(7.2, 2.6), dpi=100)
    axes = fig.subplots(1, 3, sharex=True)
    for ax, index in zip(axes, ("spbe", "ipp", "ikm"), strict=True):
        d = paired_difference(annual, baseline, whatif, index)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.fill_between(d["year"], d["lo"], d["hi"], color=COLORS[1], alpha=0.2, lw=0)
        ax.plot(d["year"], d["mean"], color=COLORS[1], lw=2)
        ax.set_title(tr(lang, f"index_short.{index}"), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25)
        span = max(0.05, float(np.nanmax(np.abs(d[["lo", "hi"]].to_numpy()))) * 1.15)
        ax.set_ylim(-span, span)
    axes[0].set_ylabel(tr(lang, "plot.difference"), fontsize=8)
    fig.suptitle(tr(lang, "plot.difference_title"), fontsize=10)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.12, top=0.8, wspace=0.35)
    return fig


def divide_figure(annual: pd.DataFrame, scenarios: list[tuple[str, str]], year: int,
                  lang: str) -> Figure:
    """Online use, waiting and satisfaction by access quintile and area, one bar per scenario."""
    names = [n for n, _ in scenarios]
    table = divide_table(annual, names, year)
    fig = Figure(figsize=(7.2, 3.0), dpi=100)
    axes = fig.subplots(1, len(DIVIDE_MEASURES))
    x = np.arange(len(GROUPS))
    width = 0.8 / max(1, len(scenarios))
    for ax, m in zip(axes, DIVIDE_MEASURES, strict=True):
        for i, (name, label) in enumerate(scenarios):
            vals = (table[(table["scenario"] == name) & (table["measure"] == m)]
                    .set_index("group").loc[list(GROUPS), "value"].to_numpy())
            if m == "online_share":
                vals = 100 * vals
            ax.bar(x + (i - (len(scenarios) - 1) / 2) * width, vals, width,
                   color=scenario_color(i), label=label)
        ax.set_xticks(x, [tr(lang, f"group_short.{g}") for g in GROUPS], fontsize=7,
                      rotation=35)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(tr(lang, f"measure.{m}"), fontsize=9)
        ax.grid(alpha=0.25, axis="y")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=len(scenarios),
               frameon=False)
    fig.suptitle(tr(lang, "plot.divide_title", year=year), fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.25, top=0.82, wspace=0.25)
    return fig


def aspects_figure(annual: pd.DataFrame, scenarios: list[tuple[str, str]], year: int,
                   lang: str) -> Figure:
    """The IPP's six aspect scores (0-1) in ``year``, one bar per scenario."""
    table = aspects_table(annual, [n for n, _ in scenarios], year)
    fig = Figure(figsize=(7.2, 3.2), dpi=100)
    ax = fig.subplots()
    aspects = list(IPP_WEIGHTS)
    y = np.arange(len(aspects))
    h = 0.8 / max(1, len(scenarios))
    for i, (name, label) in enumerate(scenarios):
        vals = table[table["scenario"] == name].set_index("aspect").loc[aspects, "value"]
        ax.barh(y + (i - (len(scenarios) - 1) / 2) * h, vals.to_numpy(), h,
                color=scenario_color(i), label=label)
    ax.set_yticks(y, [tr(lang, f"aspect.{a}") for a in aspects], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(tr(lang, "plot.aspect_score"), fontsize=8)
    ax.set_title(tr(lang, "plot.aspects_title", year=year), fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=len(scenarios),
              frameon=False)
    ax.grid(alpha=0.25, axis="x")
    fig.subplots_adjust(left=0.27, right=0.97, bottom=0.27, top=0.91)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()

"""Figures for the app, the report and ``egovsim run``: indices with bands, differences, who
gains, IPP aspects, and the optional per-unit and spending views.

Every function returns a :class:`matplotlib.figure.Figure` made without pyplot (no global state,
safe in the app's threads); :func:`png_bytes` renders one. Labels come from
:mod:`model.present.text`, so a figure speaks the page's language. Index charts are zoomed to
their data with the official bands shaded and named, mark each method change with a dashed line
and a short label, and draw observed values where the calibration reads them. Legends sit
outside the data, one entry per thing drawn.
"""

from __future__ import annotations

import io
import textwrap
import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from model.present.marks import BANDS, SCALE, method_changes
from model.present.numbers import (
    IPP_PARTS,
    IPP_UNITS,
    MEASURES,
    SPEND_COMPONENTS,
    aspects_table,
    band_table,
    divide_table,
    group_differences,
    indices_in,
    optional_columns,
    paired_differences,
    present_groups,
)
from model.present.text import tr
from model.rules import IPP_WEIGHTS

COLORS = ("#1f4e79", "#c0504d", "#4f8a3c", "#8064a2", "#d98c1f", "#4bacc6")
MIN_SPAN = {"spbe": 0.6, "ipp": 0.6, "ikm": 0.25, "pemdi": 0.6}
"""Smallest height of a zoomed index axis (index points): a flat series still shows the band
edges around it. Assumption: about one predikat/grade band for SPBE and IPP, about half the
IKM's "Baik" band."""
BILLION = 1e9
"""Rupiah per billion (the unit of the spending figure)."""
PAD = 0.08
"""Share of the data's range added above and below it on a zoomed axis."""
FIGSIZE = (7.6, 4.2)
"""Index figure size (inches); a PNG grows below it to hold the legend."""
LEGEND_WIDTH = 110
"""Characters per legend line before a label wraps."""


def scenario_color(i: int) -> str:
    """The colour of the ``i``-th scenario in every figure."""
    return COLORS[i % len(COLORS)]


def _zoom(index: str, values: np.ndarray) -> tuple[float, float]:
    lo_scale, hi_scale = SCALE[index]
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if values.size else SCALE[index]
    pad = max(PAD * (hi - lo), (MIN_SPAN[index] - (hi - lo)) / 2, 0.0)
    lo, hi = max(lo_scale, lo - pad), min(hi_scale, hi + pad)
    return lo, hi


def _draw_bands(ax, index: str, lo: float, hi: float, x_text: float) -> None:
    edges = BANDS[index]
    for j, (lower, label) in enumerate(edges):
        top = SCALE[index][1] if j == 0 else edges[j - 1][0]
        bottom = max(lower, SCALE[index][0])
        if top <= lo or bottom >= hi:
            continue
        if j % 2 == 0:
            ax.axhspan(bottom, top, color="0.94", zorder=0, lw=0)
        ax.axhline(bottom, color="0.8", lw=0.6, zorder=0)
        ax.text(x_text, (max(bottom, lo) + min(top, hi)) / 2, label, fontsize=7, color="0.4",
                va="center", clip_on=True)


def _draw_method_changes(ax, index: str, years: tuple[int, int], lang: str) -> None:
    for m in method_changes(index, years):
        ax.axvline(m.year - 0.5, color="0.35", lw=1, ls="--", zorder=1)
        ax.text(m.year - 0.45, 0.98, tr(lang, f"method.{m.key}.label"), fontsize=7,
                transform=ax.get_xaxis_transform(), color="0.25", va="top", ha="left")


def _legend(ax) -> None:
    """One entry per label, outside the data (below the axes), long labels wrapped."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), [textwrap.fill(t, LEGEND_WIDTH) for t in unique], fontsize=7,
              loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=1, frameon=False)


def index_figure(annual: pd.DataFrame, observed: pd.DataFrame | None, index: str,
                 scenarios: list[tuple[str, str]], lang: str) -> Figure:
    """One index over the years: mean line and 90% band per scenario, official bands, method
    changes, and the observed values of the scenarios' regions.

    ``scenarios`` is a list of (scenario name in ``annual``, label to show). ``observed`` is
    :func:`model.present.marks.observation_points` (None: draw no observations).
    """
    fig = Figure(figsize=FIGSIZE, dpi=100)
    ax = fig.subplots()
    bands = band_table(annual, index)
    years = (int(bands["year"].min()), int(bands["year"].max()))
    regions, values = [], [bands["lo"].to_numpy(), bands["hi"].to_numpy()]
    for i, (name, label) in enumerate(scenarios):
        b = bands[bands["scenario"] == name]
        if b.empty:
            continue
        color = scenario_color(i)
        ax.fill_between(b["year"], b["lo"], b["hi"], color=color, alpha=0.18, lw=0)
        ax.plot(b["year"], b["mean"], color=color, lw=2, label=label)
        if b["region"].iloc[0] not in regions:
            regions.append(b["region"].iloc[0])
    obs = pd.DataFrame() if observed is None else observed[
        observed["region"].isin(regions) & (observed["index"] == index)
        & observed["year_read"].between(*years)]
    for k, region in enumerate(regions):
        mine = obs[obs["region"] == region] if len(obs) else obs
        if mine.empty:
            continue
        marker = "os^"[k % 3]
        ax.scatter(mine["year_read"], mine["value"], color="k", marker=marker, zorder=5, s=30,
                   label=tr(lang, "plot.observed", region=region))
        alt = mine[mine["year_alt"].notna()]
        if len(alt):
            ax.scatter(alt["year_alt"], alt["value"], facecolor="none", edgecolor="0.45",
                       marker=marker, zorder=5, s=30, linestyle=":",
                       label=tr(lang, "plot.observed_alt", region=region))
        values.append(mine["value"].to_numpy())
    lo, hi = _zoom(index, np.concatenate(values))
    _draw_bands(ax, index, lo, hi, years[1] + 0.35)
    _draw_method_changes(ax, index, years, lang)
    ax.set_ylim(lo, hi)
    ax.set_xlim(years[0] - 0.3, years[1] + 2.2)
    ax.set_xticks(range(years[0], years[1] + 1, 2))
    ax.set_xlabel(tr(lang, "plot.year"), fontsize=8)
    ax.set_ylabel(tr(lang, f"index.{index}"), fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(tr(lang, f"index.{index}") + " — " + tr(lang, "plot.band_note"), fontsize=10)
    _legend(ax)
    ax.grid(alpha=0.25)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.13, top=0.92)
    return fig


def difference_figure(annual: pd.DataFrame, baseline: str, whatif: str, lang: str) -> Figure:
    """What-if minus baseline for each index of :func:`model.present.numbers.indices_in` (SPBE,
    IPP, IKM, and Pemdi from 2026 where the run carries it), with the 90% band of paired
    differences.
    """
    sub = annual[annual["scenario"].isin([baseline, whatif])]
    indices = indices_in(sub)
    fig = Figure(figsize=(7.6, 2.7), dpi=100)
    axes = fig.subplots(1, len(indices), sharex=True)
    diff = paired_differences(sub, indices, baseline)
    years = (int(annual["year"].min()), int(annual["year"].max()))
    for ax, index in zip(axes, indices, strict=True):
        d = diff[diff["index"] == index]
        ax.axhline(0, color="0.5", lw=0.8)
        ax.fill_between(d["year"], d["lo90"], d["hi90"], color=COLORS[1], alpha=0.2, lw=0)
        ax.plot(d["year"], d["mean"], color=COLORS[1], lw=2)
        ax.set_title(tr(lang, f"index_short.{index}"), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25)
        edges = np.abs(d[["lo90", "hi90"]].to_numpy(float))
        edges = edges[np.isfinite(edges)]
        span = max(0.05, float(edges.max()) * 1.15 if edges.size else 0.0)
        ax.set_ylim(-span, span)
        for m in method_changes(index, years):
            ax.axvline(m.year - 0.5, color="0.35", lw=1, ls="--")
        ax.set_xticks(range(years[0], years[1] + 1, 4))
    axes[0].set_ylabel(tr(lang, "plot.difference"), fontsize=8)
    fig.suptitle(tr(lang, "plot.difference_title"), fontsize=10)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.12, top=0.8, wspace=0.35)
    return fig


def divide_figure(annual: pd.DataFrame, scenarios: list[tuple[str, str]], year: int,
                  lang: str) -> Figure:
    """Online use, waiting and satisfaction by access quintile and area, one bar per scenario;
    groups without residents (Kediri's rural) are left out.
    """
    names = [n for n, _ in scenarios]
    table = divide_table(annual, names, year)
    fig = Figure(figsize=(7.6, 3.1), dpi=100)
    axes = fig.subplots(1, len(MEASURES))
    width = 0.8 / max(1, len(scenarios))
    for ax, m in zip(axes, MEASURES, strict=True):
        groups = list(present_groups(annual[annual["scenario"].isin(names)], m))
        x = np.arange(len(groups))
        for i, (name, label) in enumerate(scenarios):
            vals = (table[(table["scenario"] == name) & (table["measure"] == m)]
                    .set_index("group").loc[groups, "value"].to_numpy())
            ax.bar(x + (i - (len(scenarios) - 1) / 2) * width,
                   100 * vals if m == "online_share" else vals, width,
                   color=scenario_color(i), label=label)
        ax.set_xticks(x, [tr(lang, f"group_short.{g}") for g in groups], fontsize=7,
                      rotation=35)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(tr(lang, f"measure.{m}"), fontsize=9)
        ax.grid(alpha=0.25, axis="y")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=len(scenarios),
               frameon=False)
    fig.suptitle(tr(lang, "plot.divide_title", year=year), fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.27, top=0.82, wspace=0.25)
    return fig


def gains_figure(annual: pd.DataFrame, baseline: str, whatif: str, year: int,
                 lang: str) -> Figure:
    """Who gains: per group with residents, the what-if minus the baseline in ``year`` (paired
    by run) with its 90% band; online use in percentage points.
    """
    fig = Figure(figsize=(7.6, 3.1), dpi=100)
    axes = fig.subplots(1, len(MEASURES))
    for ax, m in zip(axes, MEASURES, strict=True):
        d = group_differences(annual, baseline, whatif, year, m)
        scale = 100.0 if m == "online_share" else 1.0
        x = np.arange(len(d))
        mean = scale * d["mean"].to_numpy()
        err = np.vstack([mean - scale * d["lo90"].to_numpy(), scale * d["hi90"].to_numpy() - mean])
        ax.bar(x, mean, 0.6, color=COLORS[1], alpha=0.8)
        ax.errorbar(x, mean, yerr=np.clip(err, 0, None), fmt="none", ecolor="0.2", lw=1,
                    capsize=2)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_xticks(x, [tr(lang, f"group_short.{g}") for g in d["group"]], fontsize=7,
                      rotation=35)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(tr(lang, f"measure_diff.{m}"), fontsize=9)
        ax.grid(alpha=0.25, axis="y")
    fig.suptitle(tr(lang, "plot.gains_title", year=year), fontsize=10)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.2, top=0.8, wspace=0.35)
    return fig


def aspects_figure(annual: pd.DataFrame, scenarios: list[tuple[str, str]], year: int,
                   lang: str) -> Figure:
    """The IPP's six aspect scores (0-1) in ``year``, one bar per scenario."""
    table = aspects_table(annual, [n for n, _ in scenarios], year)
    fig = Figure(figsize=(7.6, 3.3), dpi=100)
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


def columns_figure(annual: pd.DataFrame, scenarios: list[tuple[str, str]], year: int,
                   columns: list[str], title: str, unit: str, lang: str,
                   scale: float = 1.0) -> Figure:
    """Optional columns (per-unit IPP scores) in ``year``, one bar per scenario; ``scale``
    divides the values (Rupiah in billions: 1e9). Spending has :func:`spending_figure`.
    """
    fig = Figure(figsize=(7.6, 3.0), dpi=100)
    ax = fig.subplots()
    y = np.arange(len(columns))
    h = 0.8 / max(1, len(scenarios))
    sel = annual[annual["year"] == year]
    for i, (name, label) in enumerate(scenarios):
        vals = [float(sel.loc[sel["scenario"] == name, c].mean()) / scale for c in columns]
        ax.barh(y + (i - (len(scenarios) - 1) / 2) * h, vals, h, color=scenario_color(i),
                label=label)
    ax.set_yticks(y, [tr(lang, f"column.{c}") for c in columns], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(unit, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(scenarios),
              frameon=False)
    ax.grid(alpha=0.25, axis="x")
    fig.subplots_adjust(left=0.27, right=0.97, bottom=0.3, top=0.9)
    return fig


def optional_figures(annual: pd.DataFrame, scenarios: list[tuple[str, str]], year: int,
                     lang: str) -> list[tuple[str, str, Figure]]:
    """The figures of columns a run may carry (declared in ``model.outputs``): the IPP per
    evaluated unit and its evaluator/survey parts, and the Rupiah spent per component.
    (file stem, caption, figure) each; none when the columns are absent.
    """
    out = []
    units = optional_columns(annual, [f"ipp_{u}" for u in (*IPP_UNITS, *IPP_PARTS)])
    if units:
        caption = tr(lang, "report.fig_units", year=year)
        out.append(("ipp_units", caption, columns_figure(
            annual, scenarios, year, units, caption, tr(lang, "index.ipp"), lang)))
    spend = optional_columns(annual, [f"spend_{s}_idr" for s in SPEND_COMPONENTS])
    staff = optional_columns(annual, ["staff_cost_idr"])
    if spend or staff:
        caption = tr(lang, "report.fig_spend", year=year)
        out.append(("spending", caption, spending_figure(annual, scenarios, year, spend,
                                                         bool(staff), caption, lang)))
    return out


def _scenario_bars(ax, sel: pd.DataFrame, scenarios: list[tuple[str, str]],
                   columns: list[str], **style) -> None:
    """One horizontal bar per scenario and column (mean over runs, billion Rupiah)."""
    y = np.arange(len(columns))
    h = 0.8 / max(1, len(scenarios))
    for i, (name, label) in enumerate(scenarios):
        vals = [float(sel.loc[sel["scenario"] == name, c].mean()) / BILLION for c in columns]
        ax.barh(y + (i - (len(scenarios) - 1) / 2) * h, vals, h, color=scenario_color(i),
                label=label, **style)
    ax.invert_yaxis()
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25, axis="x")


def spending_figure(annual: pd.DataFrame, scenarios: list[tuple[str, str]], year: int,
                    spend: list[str], staff: bool, title: str, lang: str) -> Figure:
    """Rupiah in ``year`` (billions, mean over runs), one bar per scenario: the e-government
    components ``spend`` in one panel and, when ``staff``, the frontline staff's salaries and
    recruitment (``staff_cost_idr``) in a panel of their own, hatched and named as outside the
    e-government budget with a note below: that money is belanja pegawai of the modelled
    frontline civil servants only, neither an e-government component nor all staff cost.
    """
    panels = [(p, n) for p, n in (("spend", len(spend)), ("staff", int(staff))) if n]
    rows = [n + 0.6 for _, n in panels]  # bar groups plus room for the panel's title
    top, gaps, foot = 0.75, 0.75 * (len(panels) - 1), 0.75 + (0.45 if staff else 0.0)  # inches
    height = top + gaps + foot + 0.32 * sum(rows)
    fig = Figure(figsize=(7.6, height), dpi=100)
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": rows})[:, 0]
    sel = annual[annual["year"] == year]
    unit = tr(lang, "unit.billion_idr")
    for ax, (panel, _) in zip(axes, panels, strict=True):
        if panel == "spend":
            _scenario_bars(ax, sel, scenarios, spend)
            ax.set_yticks(range(len(spend)), [tr(lang, f"column.{c}") for c in spend],
                          fontsize=8)
            ax.set_title(tr(lang, "plot.spend_egov"), fontsize=9, loc="left")
        else:
            _scenario_bars(ax, sel, scenarios, ["staff_cost_idr"], hatch="///",
                           edgecolor="white", alpha=0.55)
            ax.set_yticks([0], [textwrap.fill(tr(lang, "plot.spend_staff"), 34)], fontsize=8)
            ax.set_title(tr(lang, "plot.spend_outside"), fontsize=9, loc="left")
        ax.set_xlabel(unit, fontsize=8)
    fig.suptitle(textwrap.fill(title, 90), fontsize=10, y=1 - 0.08 / height, va="top")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="upper center", ncol=len(scenarios),
               frameon=False, bbox_to_anchor=(0.5, (foot - 0.42) / height))
    if staff:
        fig.text(0.02, 0.06 / height, textwrap.fill(tr(lang, "plot.spend_staff_note"), 140),
                 fontsize=7, color="0.3", va="bottom")
    fig.subplots_adjust(left=0.3, right=0.97, bottom=foot / height, top=1 - top / height,
                        hspace=gaps / (0.32 * sum(rows) / len(rows)) if gaps else 0.2)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes. Characters the font lacks (a scenario named in another script)
    are drawn as boxes without a warning per glyph.
    """
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from",
                                category=UserWarning)
        warnings.filterwarnings("ignore", message=r"Matplotlib currently does not support",
                                category=UserWarning)
        fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.15)
    return buf.getvalue()


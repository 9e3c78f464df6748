"""``summary.md``: per scenario and year, mean and 90% band of each index beside the observed,
then, for every scenario after the first, its paired difference from the first.

Pemdi, scored from 2026, has its columns where the run carries it (empty before 2026). Numbers
are written with a point and an ASCII minus, never as a negative zero; an interval whose ends
would print alike gets the decimals that tell them apart
(:func:`model.present.text.interval_digits`).
"""

from __future__ import annotations

import math

import pandas as pd

from model.present.marks import observation_points
from model.present.numbers import (
    INDICES,
    band_table,
    indices_in,
    may_be_zero,
    other_regions,
    paired_differences,
)
from model.present.text import interval_digits

__all__ = ["INDICES", "cell", "number", "run_count", "summary_markdown", "summary_table"]

LEVEL_DIGITS = 2
"""Decimals of an index level (mean, band, observed)."""
DIFFERENCE_DIGITS = 3
"""Decimals of a paired difference."""


def summary_table(annual: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario and year: mean, 5% and 95% of each index (Pemdi too where the run
    carries it, :func:`model.present.numbers.indices_in`), and observed values in the year the
    calibration reads them (:func:`model.present.marks.observation_points`).
    """
    if "year_read" not in observed.columns:
        observed = observation_points(observed)
    out = None
    for index in indices_in(annual):
        b = band_table(annual, index).rename(columns={"mean": f"{index}_mean",
                                                      "lo": f"{index}_p05", "hi": f"{index}_p95"})
        out = b if out is None else out.merge(b, on=["scenario", "region", "year"])
        obs = (observed[observed["index"] == index]
               .groupby(["region", "year_read"])["value"].first().rename(f"{index}_observed"))
        out = out.merge(obs, left_on=["region", "year"], right_index=True, how="left")
    return out


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell or heading: one line, ``|`` and markup escaped."""
    s = " ".join(str(text).split())
    for ch in "\\|*_`[]<>#":
        s = s.replace(ch, "\\" + ch)
    return s


def number(x: float, digits: int, sign: bool = False) -> str:
    """``x`` with ``digits`` decimals (a leading ``+`` with ``sign``), never ``-0.00``."""
    shown = round(float(x), digits) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
    return f"{shown:+.{digits}f}" if sign else f"{shown:.{digits}f}"


def _band(mean: float, lo: float, hi: float, digits: int, sign: bool = False) -> str:
    """``mean [lo, hi]``; the interval with the decimals that tell its ends apart."""
    d = interval_digits(lo, hi, digits)
    return f"{number(mean, digits, sign)} [{number(lo, d, sign)}, {number(hi, d, sign)}]"


def run_count(annual: pd.DataFrame, scenario: str) -> str:
    """How many runs a scenario has, in words: ``"21 replications"``, or for a posterior
    ensemble (a ``draw`` column) ``"40 runs (20 parameter draws x 2 seeds)"``.
    """
    rows = annual[annual["scenario"] == scenario]
    seeds = int(rows["replication"].nunique())
    if "draw" not in rows.columns:
        return f"{seeds} replication{'s' if seeds != 1 else ''}"
    draws = int(rows["draw"].nunique())
    runs = int(len(rows[["draw", "replication"]].drop_duplicates()))
    return (f"{runs} run{'s' if runs != 1 else ''} ({draws} parameter "
            f"draw{'s' if draws != 1 else ''} x {seeds} seed{'s' if seeds != 1 else ''})")


def summary_markdown(annual: pd.DataFrame, observed: pd.DataFrame, header: str) -> str:
    """The summary as Markdown: a table per scenario, then a difference section."""
    table = summary_table(annual, observed)
    indices = indices_in(annual)
    over = ("runs (posterior parameter draws x seeds)" if "draw" in annual.columns
            else "replications")
    lines = [f"# {cell(header)}", "",
             f"Mean over {over} and 90% band (5%-95%); observed values from "
             "data/observed.csv where they exist, in the year the calibration reads them (Kediri's "
             "SPBE values labelled 2019 and 2020 as the 2018 and 2019 rounds)."
             + (" Pemdi is scored from 2026." if "pemdi" in indices else ""), ""]
    order = list(dict.fromkeys(annual["scenario"].astype(str)))
    for name in order:
        t = table[table["scenario"] == name]
        region = t["region"].iloc[0]
        lines += [f"## {cell(name)} ({cell(region)}), {run_count(annual, name)}", "",
                  "| year | " + " | ".join(f"{_label(i)} | obs" for i in indices) + " |",
                  "| --- |" + " --- | --- |" * len(indices)]
        for _, r in t.iterrows():
            cells = [str(int(r["year"]))]
            for index in indices:
                mean = r[f"{index}_mean"]
                cells.append("" if pd.isna(mean) else _band(
                    mean, r[f"{index}_p05"], r[f"{index}_p95"], LEVEL_DIGITS))
                obs = r[f"{index}_observed"]
                cells.append("" if pd.isna(obs) else number(obs, LEVEL_DIGITS))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if len(order) > 1:
        lines += _differences(annual, order[0], indices)
    return "\n".join(lines)


def _label(index: str) -> str:
    return "Pemdi" if index == "pemdi" else index.upper()


def _differences(annual: pd.DataFrame, baseline: str, indices: tuple[str, ...]) -> list[str]:
    diff = paired_differences(annual, indices, baseline)
    apart = other_regions(annual, baseline)
    lines = [f"## Differences from {cell(baseline)}", ""]
    if apart:
        lines += [f"Not compared with {cell(baseline)}, being another region (population, "
                  "budget and staff differ, so a difference is no scenario's effect): "
                  + ", ".join(cell(n) for n in apart) + ".", ""]
    if diff.empty:
        return lines
    pairing = ("run by run (same parameter draw and seed)" if "draw" in annual.columns
               else "replication by replication (same seeds)")
    lines += [f"Each scenario minus the first, paired {pairing}: "
              "mean and 90% interval of the paired differences; \"may be zero\" where the "
              "interval spans 0.", ""]
    for name, d in diff.groupby("scenario", sort=False):
        lines += [f"### {cell(name)} minus {cell(baseline)}", "",
                  "| year | " + " | ".join(_label(i) for i in indices) + " |",
                  "| --- |" + " --- |" * len(indices)]
        for year, y in d.groupby("year"):
            cells = [str(int(year))]
            for index in indices:
                row = y[y["index"] == index]
                if row.empty or math.isnan(float(row["mean"].iloc[0])):
                    cells.append("")  # not scored this year (Pemdi before 2026)
                    continue
                r = row.iloc[0]
                text = _band(r["mean"], r["lo90"], r["hi90"], DIFFERENCE_DIGITS, sign=True)
                cells.append(text + (" may be zero" if may_be_zero(r) else ""))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines

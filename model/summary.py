"""``summary.md``: per scenario and year, mean and 90% band of each index beside the observed,
then, for every scenario after the first, its paired difference from the first.
"""

from __future__ import annotations

import pandas as pd

from model.present.marks import observation_points
from model.present.numbers import (
    INDICES,
    band_table,
    may_be_zero,
    other_regions,
    paired_differences,
)

__all__ = ["INDICES", "cell", "summary_markdown", "summary_table"]


def summary_table(annual: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario and year: mean, 5% and 95% of each index, and observed values in
    the year the calibration reads them (:func:`model.present.marks.observation_points`).
    """
    if "year_read" not in observed.columns:
        observed = observation_points(observed)
    out = None
    for index in INDICES:
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


def summary_markdown(annual: pd.DataFrame, observed: pd.DataFrame, header: str) -> str:
    """The summary as Markdown: a table per scenario, then a difference section."""
    table = summary_table(annual, observed)
    n_rep = annual.groupby("scenario")["replication"].nunique()
    lines = [f"# {cell(header)}", "",
             "Mean over replications and 90% band (5%-95%); observed values from "
             "data/observed.csv where they exist, in the year the calibration reads them (Kediri's "
             "SPBE values labelled 2019 and 2020 as the 2018 and 2019 rounds).", ""]
    order = list(dict.fromkeys(annual["scenario"].astype(str)))
    for name in order:
        t = table[table["scenario"] == name]
        region = t["region"].iloc[0]
        lines += [f"## {cell(name)} ({cell(region)}), {n_rep[name]} replications", "",
                  "| year | SPBE | obs | IPP | obs | IKM | obs |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for _, r in t.iterrows():
            cells = [str(int(r["year"]))]
            for index in INDICES:
                cells.append(f"{r[f'{index}_mean']:.2f} [{r[f'{index}_p05']:.2f}, "
                             f"{r[f'{index}_p95']:.2f}]")
                obs = r[f"{index}_observed"]
                cells.append("" if pd.isna(obs) else f"{obs:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if len(order) > 1:
        lines += _differences(annual, order[0])
    return "\n".join(lines)


def _differences(annual: pd.DataFrame, baseline: str) -> list[str]:
    diff = paired_differences(annual, INDICES, baseline)
    apart = other_regions(annual, baseline)
    lines = [f"## Differences from {cell(baseline)}", ""]
    if apart:
        lines += [f"Not compared with {cell(baseline)}, being another region (population, "
                  "budget and staff differ, so a difference is no scenario's effect): "
                  + ", ".join(cell(n) for n in apart) + ".", ""]
    if diff.empty:
        return lines
    lines += ["Each scenario minus the first, paired replication by replication (same seeds): "
              "mean and 90% interval of the paired differences; \"may be zero\" where the "
              "interval spans 0.", ""]
    for name, d in diff.groupby("scenario", sort=False):
        lines += [f"### {cell(name)} minus {cell(baseline)}", "",
                  "| year | SPBE | IPP | IKM |", "| --- | --- | --- | --- |"]
        for year, y in d.groupby("year"):
            cells = [str(int(year))]
            for index in INDICES:
                r = y[y["index"] == index].iloc[0]
                text = f"{r['mean']:+.3f} [{r['lo90']:+.3f}, {r['hi90']:+.3f}]"
                cells.append(text + (" may be zero" if may_be_zero(r) else ""))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines

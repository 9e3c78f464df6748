"""``summary.md``: per region and year, mean and 90% band of each index beside the observed."""

from __future__ import annotations

import pandas as pd

from model.figures import band_table

INDICES = ("spbe", "ipp", "ikm")


def summary_table(annual: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario and year: mean, 5% and 95% of each index, and observed values."""
    out = None
    for index in INDICES:
        b = band_table(annual, index).rename(columns={"mean": f"{index}_mean",
                                                      "lo": f"{index}_p05", "hi": f"{index}_p95"})
        out = b if out is None else out.merge(b, on=["scenario", "region", "year"])
        obs = (observed[observed["index"] == index]
               .groupby(["region", "year"])["value"].first().rename(f"{index}_observed"))
        out = out.merge(obs, left_on=["region", "year"], right_index=True, how="left")
    return out


def summary_markdown(annual: pd.DataFrame, observed: pd.DataFrame, header: str) -> str:
    """The summary as Markdown: a table per scenario."""
    table = summary_table(annual, observed)
    n_rep = annual.groupby("scenario")["replication"].nunique()
    lines = [f"# {header}", "",
             "Mean over replications and 90% band (5%-95%); observed values from "
             "data/observed.csv where they exist (Kediri's 2019/2020 SPBE values have "
             "uncertain year labels).", ""]
    for (name, region), t in table.groupby(["scenario", "region"], sort=False):
        lines += [f"## {name} ({region}), {n_rep[name]} replications", "",
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
    return "\n".join(lines)

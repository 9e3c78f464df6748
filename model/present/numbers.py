"""The numbers every page shows: bands over replications, paired differences, official labels,
groups of residents, and the optional per-unit columns, all computed from an ``annual`` table.

Pure functions of DataFrames: the report, the app, ``summary.md`` and the exports call them, so
each number is computed one way.
"""

from __future__ import annotations

import pandas as pd

from model.outputs import AREAS, DIVIDE_MEASURES, OUTPUTS_BY_NAME, QUINTILES
from model.outputs import INDICES as ALL_INDICES
from model.present.marks import PEMDI_BANDS
from model.rules import IPP_WEIGHTS, ikm_category, ipp_grade, spbe_predikat

INDICES = tuple(i for i in ALL_INDICES if i != "pemdi")
"""The official indices scored in every year, in the order pages show them; Pemdi, scored from
2026 only, is added where a run carries it (:func:`indices_in`)."""
MEASURES = tuple(DIVIDE_MEASURES)
"""Measures of the divide by group (``model.outputs.DIVIDE_MEASURES``)."""
GROUPS = (*QUINTILES, *AREAS)
BAND = (0.05, 0.95)
"""Quantiles of the 90% band over replications (and paired differences)."""
PAIR_KEYS = ("replication", "draw")
"""Columns that pair a run with its counterpart in another scenario: the replication (same
seed: common random numbers) and, in a posterior ensemble, the parameter draw."""

IPP_UNITS = ("dukcapil", "dinsos", "rsud")
"""Service units the IPP may be scored on (columns ``ipp_<unit>``, 1-5), when present."""
IPP_PARTS = ("evaluator", "survey")
"""The IPP's evaluator form and user survey (columns ``ipp_<part>``, 1-5), when present."""
IKM_ELEMENTS = ("requirements", "procedure", "time", "cost", "product", "competence",
                "behaviour", "complaints", "facilities")
"""The nine IKM elements (columns ``ikm_<element>``, 1-4), when present."""
SPEND_COMPONENTS = ("apps", "competency", "connectivity", "regulation", "interface")
"""Components whose Rupiah spending may be reported (columns ``spend_<c>_idr``)."""


def optional_columns(annual: pd.DataFrame, names: list[str] | tuple[str, ...]) -> list[str]:
    """The declared outputs among ``names`` that ``annual`` has, in order (none if absent)."""
    return [n for n in names if n in OUTPUTS_BY_NAME and n in annual.columns
            and annual[n].notna().any()]


def indices_in(annual: pd.DataFrame) -> tuple[str, ...]:
    """The official indices to show for ``annual``: :data:`INDICES`, then Pemdi when the run has
    a value of it in some year (it is empty before 2026, and absent from older results).
    """
    return (*INDICES, *optional_columns(annual, [i for i in ALL_INDICES if i not in INDICES]))


def band_table(annual: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per scenario and year: mean, 5% and 95% quantiles of ``column`` over runs."""
    g = annual.groupby(["scenario", "region", "year"])[column]
    out = pd.DataFrame({"mean": g.mean(), "lo": g.quantile(BAND[0]), "hi": g.quantile(BAND[1])})
    return out.reset_index()


def paired_differences(annual: pd.DataFrame, indices: tuple[str, ...] | list[str] = INDICES,
                       baseline: str | None = None) -> pd.DataFrame:
    """Every other scenario minus ``baseline`` (default: the first listed), paired by run.

    Runs are paired by ``replication`` (and by ``draw`` when the table has one): with common
    random numbers the difference is the scenario's, not chance's. One row per scenario, year
    and index: ``mean``, ``lo90``/``hi90`` (5% and 95% of the paired differences) and
    ``p_positive`` (the share of pairs where the other scenario is higher).

    Only scenarios of the baseline's region are compared (:func:`other_regions` names the
    rest): two regions differ in population, budget and staff, so their difference is not an
    effect of anything a scenario changed.
    """
    names = list(dict.fromkeys(annual["scenario"].astype(str)))
    baseline = names[0] if baseline is None else baseline
    if baseline not in names:
        raise KeyError(f"scenario {baseline!r} is not in the table")
    skip = set(other_regions(annual, baseline))
    names = [n for n in names if n not in skip]
    keys = ["year", *(k for k in PAIR_KEYS if k in annual.columns)]
    base = annual[annual["scenario"] == baseline].set_index(keys)
    rows = []
    for other in names:
        if other == baseline:
            continue
        mine = annual[annual["scenario"] == other].set_index(keys)
        for index in indices:
            diff = (mine[index] - base[index]).dropna().rename("d").reset_index()
            g = diff.groupby("year")["d"]
            part = pd.DataFrame({"mean": g.mean(), "lo90": g.quantile(BAND[0]),
                                 "hi90": g.quantile(BAND[1]),
                                 "p_positive": g.apply(lambda s: float((s > 0).mean()))})
            rows.append(part.reset_index().assign(scenario=other, index=index))
    cols = ["scenario", "year", "index", "mean", "lo90", "hi90", "p_positive"]
    if not rows:
        return pd.DataFrame(columns=cols)
    return pd.concat(rows, ignore_index=True)[cols]


def other_regions(annual: pd.DataFrame, baseline: str) -> list[str]:
    """Scenarios of the table whose region is not ``baseline``'s (none without a ``region``)."""
    if "region" not in annual.columns:
        return []
    region = annual.loc[annual["scenario"] == baseline, "region"].iloc[0]
    others = annual.loc[annual["region"] != region, "scenario"].astype(str)
    return list(dict.fromkeys(others))


def may_be_zero(row: pd.Series | dict) -> bool:
    """True when a difference's 90% interval spans 0: the run cannot tell its sign."""
    return bool(row["lo90"] <= 0.0 <= row["hi90"])


def label_of(index: str, value: float) -> str:
    """The official band of a value: SPBE predikat, IPP grade, IKM category."""
    if index == "pemdi":
        return next(label for lower, label in PEMDI_BANDS if round(value, 2) >= lower)
    return {"spbe": spbe_predikat, "ipp": ipp_grade, "ikm": ikm_category}[index](value)


def present_groups(annual: pd.DataFrame, measure: str) -> tuple[str, ...]:
    """The groups with residents in the table (Kediri, all urban, has no ``rural`` group)."""
    return tuple(g for g in GROUPS if f"{measure}_{g}" in annual.columns
                 and annual[f"{measure}_{g}"].notna().any())


def divide_table(annual: pd.DataFrame, scenarios: list[str], year: int) -> pd.DataFrame:
    """Each measure of the divide by group in ``year``: one row per scenario, measure and
    group that has residents, with the mean over runs.
    """
    sel = annual[(annual["year"] == year) & annual["scenario"].isin(scenarios)]
    rows = [{"scenario": sc, "measure": m, "group": g,
             "value": float(sel.loc[sel["scenario"] == sc, f"{m}_{g}"].mean())}
            for sc in scenarios for m in MEASURES for g in present_groups(sel, m)]
    return pd.DataFrame(rows, columns=["scenario", "measure", "group", "value"])


def group_differences(annual: pd.DataFrame, baseline: str, other: str, year: int,
                      measure: str) -> pd.DataFrame:
    """Per group with residents: ``other`` minus ``baseline`` in ``year``, paired by run."""
    groups = present_groups(annual[annual["scenario"].isin([baseline, other])], measure)
    cols = [f"{measure}_{g}" for g in groups]
    sub = annual[annual["year"] == year].rename(columns=dict(zip(cols, groups, strict=True)))
    diff = paired_differences(sub[sub["scenario"].isin([baseline, other])], list(groups),
                              baseline)
    return diff.rename(columns={"index": "group"}).drop(columns=["scenario", "year"])


def aspects_table(annual: pd.DataFrame, scenarios: list[str], year: int) -> pd.DataFrame:
    """The IPP's six aspect scores (0-1) per scenario in ``year``, means over runs."""
    sel = annual[(annual["year"] == year) & annual["scenario"].isin(scenarios)]
    rows = [{"scenario": sc, "aspect": a,
             "value": float(sel.loc[sel["scenario"] == sc, f"ipp_{a}"].mean())}
            for sc in scenarios for a in IPP_WEIGHTS]
    return pd.DataFrame(rows)


def comparison_table(annual: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """The comparison to hand on (CSV, XLSX): per scenario, year and index the mean and band,
    and for every scenario after the baseline the paired difference with its band. Every index
    of :func:`indices_in`, in the years it has values (no Pemdi rows before 2026).
    """
    names = list(dict.fromkeys(annual["scenario"].astype(str)))
    baseline = names[0] if baseline is None else baseline
    indices = indices_in(annual)
    parts = [band_table(annual, i).dropna(subset=["mean"]).assign(index=i) for i in indices]
    bands = pd.concat(parts, ignore_index=True).rename(columns={"lo": "lo90", "hi": "hi90"})
    diff = paired_differences(annual, indices, baseline).rename(
        columns={"mean": "diff_mean", "lo90": "diff_lo90", "hi90": "diff_hi90"})
    out = bands.merge(diff, on=["scenario", "year", "index"], how="left")
    out.insert(0, "baseline", baseline)
    return out[["baseline", "scenario", "region", "year", "index", "mean", "lo90", "hi90",
                "diff_mean", "diff_lo90", "diff_hi90", "p_positive"]]

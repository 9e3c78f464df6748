"""Scoring a calibration's forecasts (``forecasts.csv``) against evaluations published later.

The calibration fits the regions' indices up to its last fitted year and forecasts every year
after it (:func:`model.calibration.report.forecast_table`). When later evaluations are known,
they go into a table shaped like ``data/observed.csv`` (columns ``region``, ``year``,
``indicator``, ``value``), and :func:`score` sets each one beside each hypothesis' forecast and
the posterior's:

- ``error``: the observed value minus the forecast median;
- ``covered_90``: whether the value lies in the 90% interval;
- ``interval_score``: the interval score of the 90% central interval (Gneiting and Raftery
  2007, "Strictly proper scoring rules, prediction, and estimation", JASA 102, eq. 43): its
  width, plus 2/alpha times how far the value falls outside it, alpha = 0.1. Lower is better; it
  rewards a narrow interval only if the value falls inside it.

A handful of evaluations cannot rank hypotheses with confidence; the summary says how many
values each score rests on.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import ScenarioError
from model.observed import INDEX_INDICATORS
from model.present.marks import SCALE

ALPHA = 0.1
"""One minus the coverage of the forecast interval scored (``q05`` to ``q95``: 90%)."""

INDICATORS = {**{k: v for k, v in INDEX_INDICATORS.items() if k != "SPBE_index_as_reported"},
              "Pemdi_index": "pemdi"}
"""Observed indicators (as named in ``data/observed.csv``) that forecasts are scored on: those
the fit compares with (:data:`model.observed.INDEX_INDICATORS`) but ``SPBE_index_as_reported``,
whose year label may be the publication year, and the Pemdi index, which has no row in the data
yet, so its name here is this module's choice."""

FORECAST_COLUMNS = ("hypothesis", "region", "index", "year", "median", "q05", "q95")
OBSERVED_COLUMNS = ("region", "year", "indicator", "value")


def interval_score(lo: np.ndarray, hi: np.ndarray, x: np.ndarray,
                   alpha: float = ALPHA) -> np.ndarray:
    """The interval score of central ``1 - alpha`` intervals ``[lo, hi]`` at values ``x``."""
    lo, hi, x = (np.asarray(v, float) for v in (lo, hi, x))
    return ((hi - lo) + (2.0 / alpha) * np.maximum(lo - x, 0.0)
            + (2.0 / alpha) * np.maximum(x - hi, 0.0))


def _read(path: str | Path, what: str, needed: tuple[str, ...]) -> pd.DataFrame:
    """A CSV table with the ``needed`` columns, or a ScenarioError naming the file."""
    try:
        df = pd.read_csv(path)
    except (FileNotFoundError, pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise ScenarioError(str(path), None, f"cannot be read as {what} table ({err})"
                            ) from None
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ScenarioError(str(path), missing[0], "column missing")
    return df


def read_forecasts(path: str | Path) -> pd.DataFrame:
    """A ``forecasts.csv``, checked: its columns and numeric values."""
    df = _read(path, "a forecasts", FORECAST_COLUMNS)
    for c in ("year", "median", "q05", "q95"):
        values = pd.to_numeric(df[c], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().argmax())
            raise ScenarioError(str(path), c, f"row {row + 2}: {df[c].iloc[row]!r} is not a number")
        df[c] = values
    return df


def read_observed(path: str | Path, regions: Mapping[str, str]) -> pd.DataFrame:
    """The rows of an observed table (``data/observed.csv``'s columns) that forecasts can be
    scored on: an indicator of :data:`INDICATORS` for a region in ``regions`` (its name as in
    the table -> the calibration's key for it). Columns: ``region`` (the key), ``index``,
    ``year``, ``observed``.
    """
    df = _read(path, "an observed", OBSERVED_COLUMNS)
    df = df[df["indicator"].isin(INDICATORS) & df["region"].isin(regions)].copy()
    for c in ("year", "value"):
        values = pd.to_numeric(df[c], errors="coerce")
        if values.isna().any():
            row = int(df.index[values.isna().to_numpy()][0])
            raise ScenarioError(str(path), c, f"row {row + 2}: {df.loc[row, c]!r} is not a number")
        df[c] = values
    for row, r in df.iterrows():  # a value off its index's scale is a wrong unit or a typo
        lo, hi = SCALE[INDICATORS[r["indicator"]]]
        if not lo <= r["value"] <= hi:
            raise ScenarioError(str(path), "value", f"row {row + 2}: {r['value']:g} is outside "
                                f"{r['indicator']}'s scale {lo:g}-{hi:g}")
    return pd.DataFrame({"region": df["region"].map(regions), "index": df["indicator"].map(
        INDICATORS), "year": df["year"].astype(int), "observed": df["value"].astype(float)})


def score(forecasts: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """Each observed value (:func:`read_observed`) beside each hypothesis' forecast of it:
    ``error``, ``covered_90`` and ``interval_score``. Values without a forecast (a fitted year,
    another index) are left out.
    """
    keys = ["region", "index", "year"]
    f = forecasts[list(FORECAST_COLUMNS)].astype({"year": int})
    both = observed.merge(f, on=keys, how="inner")
    both["error"] = both["observed"] - both["median"]
    both["covered_90"] = (both["q05"] <= both["observed"]) & (both["observed"] <= both["q95"])
    both["interval_score"] = interval_score(both["q05"], both["q95"], both["observed"])
    order = list(dict.fromkeys(forecasts["hypothesis"]))
    both["hypothesis"] = pd.Categorical(both["hypothesis"], order, ordered=True)
    both = both.sort_values(["hypothesis", *keys]).reset_index(drop=True)
    both["hypothesis"] = both["hypothesis"].astype(str)
    return both[["hypothesis", *keys, "observed", "median", "q05", "q95", "error",
                 "covered_90", "interval_score"]]


def summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Per hypothesis: how many values, the share covered, the mean absolute error and the mean
    interval score.
    """
    g = scores.groupby("hypothesis", sort=False)
    return pd.DataFrame({"values": g.size(), "covered_90": g["covered_90"].mean(),
                         "mean_abs_error": g["error"].apply(lambda e: e.abs().mean()),
                         "mean_interval_score": g["interval_score"].mean()}).reset_index()


def _cell(text: object) -> str:
    """Text from a file as one Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def summary_markdown(table: pd.DataFrame, scores: pd.DataFrame, ignored: int,
                     forecasts_path: str, observed_path: str) -> str:
    """``summary.md``: the table and what it can and cannot say."""
    lines = ["# Forecasts against later evaluations", "",
             f"Forecasts: {_cell(forecasts_path)}. Evaluations: {_cell(observed_path)} "
             f"({scores.groupby(['region', 'index', 'year']).ngroups} scored, {ignored} "
             "without a forecast: fitted years, other indicators or regions).", "",
             "| hypothesis | values | share in the 90% interval | mean abs. error "
             "| mean interval score |", "| --- | --- | --- | --- | --- |"]
    for _, r in table.iterrows():
        lines.append(f"| {_cell(r['hypothesis'])} | {int(r['values'])} | {r['covered_90']:.2f} | "
                     f"{r['mean_abs_error']:.3f} | {r['mean_interval_score']:.3f} |")
    lines += ["", "Interval score: the 90% interval's width plus 20 times how far a value falls "
              "outside it (Gneiting and Raftery 2007); lower is better. With few values, a "
              "difference between hypotheses can be chance: each rests on the number of values "
              "shown.", ""]
    return "\n".join(lines)

"""Scoring a calibration's forecasts (``forecasts.csv``) against evaluations published later.

The calibration fits the regions' indices up to its last fitted year and forecasts every year
after it (:func:`model.calibration.report.forecast_table`). When later evaluations are known,
they go into a table shaped like ``data/observed.csv`` (columns ``region``, ``year``,
``indicator``, ``value``), one row per region, indicator and year, every row one that can be
scored (a region of the calibration, an indicator of :data:`INDICATORS`): any other row is
refused by :func:`read_observed`, never skipped. :func:`score` sets each value beside each
hypothesis' forecast and the posterior's:

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
    """A CSV table with the ``needed`` columns, every cell as written (text, an empty cell as
    ``""``), or a ScenarioError naming the file.
    """
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as err:
        raise ScenarioError(str(path), None, f"cannot be read as {what} table: byte "
                            f"{err.start} is not UTF-8 (save the file as UTF-8)") from None
    except (FileNotFoundError, pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise ScenarioError(str(path), None, f"cannot be read as {what} table ({err})"
                            ) from None
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ScenarioError(str(path), missing[0], "column missing")
    return df


def _first(mask: pd.Series) -> int:
    """The first row (0-based, of the table) where ``mask`` holds."""
    return int(mask.to_numpy().argmax())


def _numbers(path: str | Path, df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Turn ``columns`` into numbers in place, or refuse the first cell that is empty, not a
    number, infinite, or (for ``year``) not a whole year. Row numbers are the file's lines
    (the header is line 1).
    """
    for c in columns:
        text = df[c].str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = ~np.isfinite(values)
        if bad.any():
            row = _first(bad)
            why = ("is empty" if text.iloc[row] == "" else
                   f"{df[c].iloc[row]!r} is not a number")
            raise ScenarioError(str(path), c, f"row {row + 2}: {why}")
        if c == "year":
            fraction = values != values.round()
            if fraction.any():
                row = _first(fraction)
                raise ScenarioError(str(path), c, f"row {row + 2}: {df[c].iloc[row]!r} is not a "
                                    "whole year")
            values = values.astype(int)
        df[c] = values


def _one_of(path: str | Path, df: pd.DataFrame, column: str, valid: Mapping[str, str],
            what: str) -> None:
    """Refuse the first row whose ``column`` is not a key of ``valid`` (as written: a stray
    space is not forgiven), listing the valid ones.
    """
    bad = ~df[column].isin(list(valid))
    if bad.any():
        row = _first(bad)
        value = df[column].iloc[row]
        why = "is empty" if value.strip() == "" else f"{value!r} is not {what}"
        raise ScenarioError(str(path), column, f"row {row + 2}: {why}; valid: "
                            + ", ".join(valid))


def _unique(path: str | Path, df: pd.DataFrame, keys: list[str]) -> None:
    """Refuse a row that repeats an earlier row's ``keys``: it would be scored twice."""
    again = df.duplicated(keys)
    if again.any():
        row = _first(again)
        first = _first((df[keys] == df[keys].iloc[row]).all(axis=1))
        shown = ", ".join(str(df[k].iloc[row]) for k in keys)
        raise ScenarioError(str(path), None, f"row {row + 2}: {shown} again (first in row "
                            f"{first + 2}); give one row per {', '.join(keys)}")


def read_forecasts(path: str | Path) -> pd.DataFrame:
    """A ``forecasts.csv``, checked: its columns, numeric values, whole years,
    ``q05 <= median <= q95`` and one row per hypothesis, region, index and year.
    """
    df = _read(path, "a forecasts", FORECAST_COLUMNS)
    _numbers(path, df, ("year", "median", "q05", "q95"))
    reversed_ = df["q05"] > df["q95"]
    if reversed_.any():
        row = _first(reversed_)
        raise ScenarioError(str(path), "q95", f"row {row + 2}: {df['q95'].iloc[row]:g} is "
                            f"below q05 {df['q05'].iloc[row]:g} (an interval of negative width)")
    outside = (df["median"] < df["q05"]) | (df["median"] > df["q95"])
    if outside.any():
        row = _first(outside)
        raise ScenarioError(str(path), "median", f"row {row + 2}: {df['median'].iloc[row]:g} "
                            f"is outside q05-q95 ({df['q05'].iloc[row]:g}-"
                            f"{df['q95'].iloc[row]:g})")
    _unique(path, df, ["hypothesis", "region", "index", "year"])
    return df


def read_observed(path: str | Path, regions: Mapping[str, str]) -> pd.DataFrame:
    """An observed table (``data/observed.csv``'s columns) of values to score forecasts on,
    checked row by row: every row names a region of ``regions`` (its name as in the table ->
    the calibration's key for it) and an indicator of :data:`INDICATORS`, a whole year and a
    value on its index's scale, and no region, indicator and year comes twice. Any other row
    is refused, not skipped: a misspelt name must not make a value vanish from the scores.
    Columns: ``region`` (the key), ``index``, ``year``, ``observed``.
    """
    df = _read(path, "an observed", OBSERVED_COLUMNS)
    _one_of(path, df, "region", regions, "a region of the calibration")
    _one_of(path, df, "indicator", INDICATORS, "an indicator forecasts are scored on")
    _numbers(path, df, ("year", "value"))
    for row, r in df.iterrows():  # a value off its index's scale is a wrong unit or a typo
        lo, hi = SCALE[INDICATORS[r["indicator"]]]
        if not lo <= r["value"] <= hi:
            raise ScenarioError(str(path), "value", f"row {row + 2}: {r['value']:g} is outside "
                                f"{r['indicator']}'s scale {lo:g}-{hi:g}")
    _unique(path, df, ["region", "indicator", "year"])
    return pd.DataFrame({"region": df["region"].map(regions), "index": df["indicator"].map(
        INDICATORS), "year": df["year"].astype(int), "observed": df["value"].astype(float)})


def without_forecast(forecasts: pd.DataFrame, observed: pd.DataFrame) -> int:
    """How many observed values (:func:`read_observed`) no hypothesis forecasts: a year the
    calibration fitted, or one outside its index's forecast years.
    """
    keys = ["region", "index", "year"]
    known = forecasts[keys].astype({"year": int}).drop_duplicates()
    return int((~observed[keys].merge(known, on=keys, how="left", indicator=True)["_merge"]
                .eq("both")).sum())


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
             "without a forecast: years the calibration fitted, or outside an index's forecast "
             "years).", "",
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

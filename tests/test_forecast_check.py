"""Scoring forecasts against later evaluations (``egovsim score-forecasts``): the interval score
from its definition, the matching of evaluations to forecasts, and the command's handling of
bad input. Every evaluation here is synthetic, not a published value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.calibration.forecast_check import interval_score, score, without_forecast

ROOT = Path(__file__).resolve().parent.parent
HEADER = "region,year,indicator,value,unit_or_scale,source_url,confidence,note\n"


def test_interval_score_from_its_definition():
    """Gneiting and Raftery (2007), eq. 43, alpha = 0.1: the width, plus 2/alpha = 20 times the
    distance outside the interval [1, 2]."""
    lo, hi = np.full(3, 1.0), np.full(3, 2.0)
    assert interval_score(lo, hi, np.array([1.5, 3.0, 0.5])) == pytest.approx([1.0, 21.0, 11.0])


def forecasts() -> pd.DataFrame:
    rows = []
    for h, (lo, mid, hi) in {"wide": (3.0, 4.0, 5.0), "narrow": (4.4, 4.5, 4.6)}.items():
        for year in (2024, 2025):
            rows.append({"hypothesis": h, "region": "jember", "index": "ipp", "year": year,
                         "draws": 100, "median": mid, "q05": lo, "q95": hi})
    return pd.DataFrame(rows)


def test_each_evaluation_meets_each_hypothesis_forecast_of_it():
    observed = pd.DataFrame({"region": ["jember", "jember"], "index": ["ipp", "ipp"],
                             "year": [2023, 2024], "observed": [4.51, 4.0]})
    s = score(forecasts(), observed).set_index("hypothesis")
    assert list(s.index) == ["wide", "narrow"]  # 2023 is not a forecast year: left out
    assert s.loc["wide", "error"] == pytest.approx(0.0)
    assert s.loc["narrow", "error"] == pytest.approx(-0.5)
    assert bool(s.loc["wide", "covered_90"]) and not bool(s.loc["narrow", "covered_90"])
    # wide: width 2; narrow: width 0.2 plus 20 x 0.4 below its interval
    assert s.loc["wide", "interval_score"] == pytest.approx(2.0)
    assert s.loc["narrow", "interval_score"] == pytest.approx(0.2 + 20 * 0.4)


def command(tmp_path, observed: str | bytes, *extra: str,
            table: pd.DataFrame | None = None) -> subprocess.CompletedProcess:
    """``egovsim score-forecasts`` on ``observed`` (after the header) and ``table`` (default
    :func:`forecasts`)."""
    obs = tmp_path / "later.csv"
    if isinstance(observed, bytes):
        obs.write_bytes(HEADER.encode() + observed)
    else:
        obs.write_text(HEADER + observed)
    fc = tmp_path / "forecasts.csv"
    (forecasts() if table is None else table).to_csv(fc, index=False)
    return subprocess.run([sys.executable, "-m", "model.cli", "score-forecasts", str(obs),
                           "--forecasts", str(fc), "--out", str(tmp_path / "out"), *extra],
                          capture_output=True, text=True, cwd=ROOT)


def test_command_writes_scores_summary_and_provenance(tmp_path):
    r = command(tmp_path, "Kabupaten Jember,2024,IPP_index,4.0,index 1-5,synthetic,,\n"
                          "Kabupaten Jember,2025,IPP_index,4.55,index 1-5,synthetic,,\n"
                          "Kabupaten Jember,2022,SPBE_index,1.99,index 1-5,synthetic,,\n")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    summary = pd.read_csv(out / "summary.csv").set_index("hypothesis")
    assert summary.loc["narrow", "values"] == 2
    assert summary.loc["narrow", "covered_90"] == pytest.approx(0.5)
    assert summary.loc["wide", "mean_abs_error"] == pytest.approx((0.0 + 0.55) / 2)
    meta = json.loads((out / "metadata.json").read_text())
    assert len(meta["observed_sha256"]) == 64 and meta["code"]
    assert "1 without a forecast" in (out / "summary.md").read_text()


@pytest.mark.parametrize("rows, field", [
    ("Kabupaten Jember,2024,IPP_index,45,index 1-5,synthetic,,\n", "value"),  # wrong scale
    ("Kabupaten Jember,2024,IPP_index,n/a,index 1-5,synthetic,,\n", "value"),
    ("Kabupaten Jember,20x4,IPP_index,4.0,index 1-5,synthetic,,\n", "year"),
    ("Kabupaten Jember,2022,IPP_index,4.0,index 1-5,synthetic,,\n", None),  # nothing to score
])
def test_bad_evaluations_one_line_exit_2_nothing_written(tmp_path, rows, field):
    r = command(tmp_path, rows)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "later.csv" in lines[0]
    if field:
        assert f": {field}: " in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_forecasts_file_without_a_column_is_refused(tmp_path):
    fc = tmp_path / "forecasts.csv"
    forecasts().drop(columns="q95").to_csv(fc, index=False)
    obs = tmp_path / "later.csv"
    obs.write_text(HEADER + "Kabupaten Jember,2024,IPP_index,4.0,index 1-5,synthetic,,\n")
    r = subprocess.run([sys.executable, "-m", "model.cli", "score-forecasts", str(obs),
                        "--forecasts", str(fc), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and r.stderr.strip().endswith("forecasts.csv: q95: column missing")
    assert not (tmp_path / "out").exists()


def refused(r: subprocess.CompletedProcess, tmp_path: Path, file: str = "later.csv") -> str:
    """The one error line of a refused command that wrote nothing."""
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and file in lines[0], r.stderr
    assert not (tmp_path / "out").exists()
    return lines[0]


GOOD = "Kabupaten Jember,2024,IPP_index,4.0,index 1-5,synthetic,,\n"


REGIONS = "valid: Kabupaten Jember, Kota Kediri"
INDICATORS = "valid: SPBE_index, IPP_index, IKM, Pemdi_index"


@pytest.mark.parametrize("row, field, shown, valid", [
    ("Jember,2024,IPP_index,4.0", "region", "'Jember'", REGIONS),
    ("Kota Kediri ,2024,IPP_index,4.0", "region", "'Kota Kediri '", REGIONS),
    (",2024,IPP_index,4.0", "region", "is empty", REGIONS),
    ("Kabupaten Jember,2024,IPP,45", "indicator", "'IPP'", INDICATORS),
    ("Kabupaten Jember,2024,spbe_index,2.0", "indicator", "'spbe_index'", INDICATORS),
    ("Kabupaten Jember,2024,SPBE_index_as_reported,2.0", "indicator",
     "'SPBE_index_as_reported'", INDICATORS),
])
def test_a_row_of_no_known_region_or_indicator_is_refused_not_skipped(tmp_path, row, field,
                                                                       shown, valid):
    """A misspelt name must not make a value (even an off-scale one) vanish from the scores."""
    line = refused(command(tmp_path, GOOD + row + ",index 1-5,synthetic,,\n"), tmp_path)
    assert f"later.csv: {field}: row 3: " in line and shown in line
    assert line.endswith(valid)


def test_a_repeated_region_indicator_and_year_is_refused(tmp_path):
    line = refused(command(tmp_path, GOOD + "Kabupaten Jember,2025,IPP_index,4.1,,,,\n"
                                            "Kabupaten Jember,2024,IPP_index,4.2,,,,\n"), tmp_path)
    assert "row 4: Kabupaten Jember, IPP_index, 2024 again (first in row 2)" in line


@pytest.mark.parametrize("row, field, why", [
    ("Kabupaten Jember,2024.7,IPP_index,4.0", "year", "'2024.7' is not a whole year"),
    ("Kabupaten Jember,,IPP_index,4.0", "year", "is empty"),
    ("Kabupaten Jember,2024,IPP_index,", "value", "is empty"),
    ("Kabupaten Jember,2024,IPP_index,  ", "value", "is empty"),
    ("Kabupaten Jember,2024,IPP_index,n/a", "value", "'n/a' is not a number"),
    ("Kabupaten Jember,2024,IPP_index,inf", "value", "'inf' is not a number"),
])
def test_a_year_or_value_that_is_not_one_is_named(tmp_path, row, field, why):
    line = refused(command(tmp_path, GOOD + row + ",index 1-5,synthetic,,\n"), tmp_path)
    assert line.endswith(f"later.csv: {field}: row 3: {why}")


def test_a_file_that_is_not_utf8_is_one_line(tmp_path):
    line = refused(command(tmp_path, "Kabupaten J\xe9mber,2024,IPP_index,4.0,,,,\n".encode(
        "latin-1")), tmp_path)
    assert "is not UTF-8" in line and "Traceback" not in line


@pytest.mark.parametrize("column, value, field", [
    ("q05", 4.7, "q95"),      # q05 above q95: an interval of negative width
    ("median", 4.8, "median"),  # the median outside its own interval
])
def test_a_forecast_interval_out_of_order_is_refused(tmp_path, column, value, field):
    table = forecasts()
    table.loc[3, column] = value  # narrow, 2025: q05 4.4, median 4.5, q95 4.6
    line = refused(command(tmp_path, GOOD, table=table), tmp_path, "forecasts.csv")
    assert f"forecasts.csv: {field}: row 5: " in line


def test_a_forecasts_file_with_a_repeated_row_is_refused(tmp_path):
    table = pd.concat([forecasts(), forecasts().iloc[[1]]], ignore_index=True)
    line = refused(command(tmp_path, GOOD, table=table), tmp_path, "forecasts.csv")
    assert "row 6: wide, jember, ipp, 2025 again (first in row 3)" in line


def test_values_without_a_forecast_are_counted():
    observed = pd.DataFrame({"region": ["jember"] * 4, "index": ["ipp", "ipp", "spbe", "ipp"],
                             "year": [2023, 2024, 2024, 2031], "observed": 4.0})
    assert without_forecast(forecasts(), observed) == 3  # a fitted year, another index, 2031


def test_summary_counts_every_value_without_a_forecast(tmp_path):
    r = command(tmp_path, GOOD + "Kabupaten Jember,2022,IPP_index,4.0,,,,\n"
                                 "Kabupaten Jember,2031,IPP_index,4.0,,,,\n"
                                 "Kota Kediri,2024,IPP_index,4.0,,,,\n")
    assert r.returncode == 0, r.stderr
    assert "(1 scored, 3 without a forecast" in (tmp_path / "out" / "summary.md").read_text()

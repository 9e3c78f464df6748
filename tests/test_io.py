"""model.io, model.errors, model.observed, model.figures, model.summary: small known answers."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest

from model.errors import ScenarioError
from model.figures import band_table, index_figure
from model.io import atomic_write, code_version, write_json, write_table, write_text
from model.observed import observed_indices
from model.summary import summary_markdown, summary_table


def test_scenario_error_is_one_line_file_field_message():
    assert str(ScenarioError("a.toml", "shares.apps", "1.7 is outside [0, 1]")) == \
        "a.toml: shares.apps: 1.7 is outside [0, 1]"
    assert str(ScenarioError("a.toml", None, "file is empty")) == "a.toml: file is empty"
    assert str(ScenarioError(None, None, "bad")) == "bad"
    assert isinstance(ScenarioError(None, None, "x"), ValueError)


def test_atomic_write_replaces_whole_files_and_cleans_up_on_failure(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    write_text(target, "one")
    assert target.read_text() == "one"

    def boom(p):
        p.write_text("half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "one"  # the old file survives
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]  # no temporary left


def test_write_json_and_table(tmp_path):
    write_json(tmp_path / "m.json", {"b": 1, "a": [1.5]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": [1.5], "b": 1}
    df = pd.DataFrame({"x": [1 / 3, 2.0], "y": ["a", "b"]})
    write_table(df, csv=tmp_path / "t.csv", parquet=tmp_path / "t.parquet")
    assert (tmp_path / "t.csv").read_text() == "x,y\n0.3333333333,a\n2,b\n"
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), df)


def test_code_version_names_package_commit_and_libraries():
    v = code_version()
    assert set(v) >= {"egovsim", "git_commit", "python", "libraries", "format_version"}
    assert v["libraries"]["mesa"] == "3.5.1"


def test_observed_indices_keep_sources_and_flag_uncertain_years():
    obs = observed_indices()
    assert set(obs["index"]) == {"spbe", "ipp", "ikm"}
    assert obs["source_url"].str.startswith("http").all()
    jember_ipp = obs[(obs["region"] == "Kabupaten Jember") & (obs["index"] == "ipp")]
    assert dict(zip(jember_ipp["year"], jember_ipp["value"], strict=True)) == {
        2021: 3.19, 2022: 3.88, 2023: 4.51}
    uncertain = obs[obs["year_uncertain"]]
    assert set(uncertain["value"]) == {2.61, 3.49} and (uncertain["index"] == "spbe").all()


def _annual() -> pd.DataFrame:
    rows = []
    for rep in range(21):
        for year in (2021, 2022):
            rows.append({"scenario": "s", "region": "Kabupaten Jember", "replication": rep,
                         "year": year, "spbe": 1.0 + rep / 10, "ipp": 3.0, "ikm": 3.5})
    return pd.DataFrame(rows)


def test_band_table_mean_and_90_percent_band():
    b = band_table(_annual(), "spbe")
    assert list(b["year"]) == [2021, 2022]
    assert np.allclose(b["mean"], 2.0) and np.allclose(b["lo"], 1.1) and np.allclose(b["hi"], 2.9)


def test_summary_puts_observed_beside_simulated(tmp_path):
    annual, obs = _annual(), observed_indices()
    t = summary_table(annual, obs)
    assert list(t.loc[t["year"] == 2021, "ipp_observed"]) == [3.19]
    text = summary_markdown(annual, obs, "title")
    assert "| 2022 | 2.00 [1.10, 2.90] | 1.99 | 3.00 [3.00, 3.00] | 3.88 |" in text
    assert "21 replications" in text
    index_figure(annual, obs, "ipp", tmp_path / "ipp.png")
    assert (tmp_path / "ipp.png").read_bytes()[:4] == b"\x89PNG"


def test_atomic_write_gives_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        target = tmp_path / "f.txt"
        write_text(target, "x")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's private 0600
    finally:
        os.umask(mask)

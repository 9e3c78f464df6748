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


# --- TOML writer ------------------------------------------------------------------------------
def test_dumps_toml_round_trips_through_tomllib_with_hostile_text():
    import tomllib

    from model.io import dumps_toml
    data = {"base": "../kediri.toml",
            "scenario": {"name": 'a"b\\c\nd\u007fe\x00f\tg', "region": "Kota <Kediri> | é"},
            "shares": {"apps": 0.25, "competency": 1e-7, "big": 1e16, "n": 3, "on": True},
            "sources": {"shares.apps": "data: x"},
            "region": {"kediri": {"shares": {"apps": 0.5}, "initial.regulation": 0.3}},
            "policy": [{"name": "p", "start_year": 2025, "end_year": None,
                        "shift": {"from": "apps", "to": "competency", "fraction": 0.2},
                        "levels": [1, 2.5]}]}
    text = dumps_toml(data, header="made by a test\u007f\nline two")
    expected = {**data, "policy": [{k: v for k, v in data["policy"][0].items() if v is not None}]}
    assert tomllib.loads(text) == expected
    assert text.startswith("# made by a test\\u007F\n# line two\n")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [1, None], object(),
                                   pd.Timestamp("2024-01-01")])
def test_dumps_toml_refuses_what_it_cannot_write(value):
    from model.io import dumps_toml
    with pytest.raises((TypeError, ValueError)):
        dumps_toml({"t": {"x": value}})


def test_write_toml_writes_atomically(tmp_path):
    import tomllib

    from model.io import write_toml
    write_toml(tmp_path / "a.toml", {"behaviour": {"x": np.float64(0.5), "n": np.int64(2)}})
    assert tomllib.loads((tmp_path / "a.toml").read_text()) == {"behaviour": {"x": 0.5, "n": 2}}


# --- output files and folders -----------------------------------------------------------------
def test_file_target_replaces_only_regular_files(tmp_path):
    from model.io import file_target
    (tmp_path / "f.html").write_text("old")
    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "pipe")
    assert file_target(tmp_path / "f.html") == tmp_path / "f.html"
    assert file_target(tmp_path / "new.html") == tmp_path / "new.html"
    for bad, why in (("", "not a file name"), (tmp_path / "sub", "is a folder"),
                     (tmp_path / "pipe", "not a regular file"),
                     (tmp_path / "f.html" / "x", "under a file")):
        with pytest.raises(ScenarioError, match=why):
            file_target(bad)
    with pytest.raises(ScenarioError):
        write_text(tmp_path / "pipe", "x")
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


def test_output_folder_publishes_on_success_and_leaves_nothing_on_error(tmp_path):
    from model.io import MARKER, output_folder
    out = tmp_path / "D"
    with output_folder(out) as tmp:
        assert tmp.parent == tmp_path and tmp != out and not out.exists()
        write_text(tmp / "a.txt", "one")
    assert (out / "a.txt").read_text() == "one" and (out / MARKER).exists()
    with pytest.raises(RuntimeError), output_folder(out, overwrite=True) as tmp:
        write_text(tmp / "a.txt", "two")
        raise RuntimeError("crash while writing")
    assert (out / "a.txt").read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".D.lock", "D"]
    with pytest.raises(ScenarioError, match="--overwrite"), output_folder(out):
        pass
    with output_folder(out, overwrite=True) as tmp:
        write_text(tmp / "b.txt", "two")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt"]


def test_output_folder_refuses_to_replace_a_folder_that_is_not_results(tmp_path):
    from model.io import output_folder
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "precious.py").write_text("x")
    for kwargs in ({"overwrite": True}, {"in_place": True}, {}):
        with pytest.raises(ScenarioError, match="not egovsim results"), \
                output_folder(tmp_path / "src", **kwargs):
            pass
    assert (tmp_path / "src" / "precious.py").read_text() == "x"
    with pytest.raises(ScenarioError, match="root"), output_folder("/"):
        pass


def test_output_folder_without_atomic_exchange_still_replaces_whole(tmp_path, monkeypatch):
    import model.io as io
    out = tmp_path / "D"
    with io.output_folder(out) as tmp:
        write_text(tmp / "a.txt", "old")
    monkeypatch.setattr(io, "_exchange", lambda a, b: False)
    with io.output_folder(out, overwrite=True) as tmp:
        write_text(tmp / "a.txt", "new")
    assert (out / "a.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".D.lock", "D"]


def test_leftovers_of_a_killed_command_are_cleaned_and_an_old_folder_put_back(tmp_path):
    from model.io import MARKER, output_folder
    out = tmp_path / "D"
    # Killed between the two renames of a replacement without atomic exchange: only the old
    # folder set aside and the new temporary one remain.
    (tmp_path / ".D.old-abc").mkdir()
    (tmp_path / ".D.old-abc" / MARKER).touch()
    (tmp_path / ".D.old-abc" / "a.txt").write_text("old")
    (tmp_path / ".D.tmp-xyz").mkdir()
    (tmp_path / ".D.tmp-xyz" / "a.txt").write_text("half")
    with output_folder(out, in_place=True) as folder:
        assert (folder / "a.txt").read_text() == "old"
        (folder / ".a.txt.k2j4.tmp").write_bytes(b"")  # as atomic_write leaves when killed
        (folder / "sub").mkdir()
        (folder / "sub" / ".p.parquet.x.tmp").write_bytes(b"")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".D.lock", "D"]
    with output_folder(out, in_place=True) as folder:
        assert not list(folder.rglob("*.tmp"))

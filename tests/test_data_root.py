"""``data/``, ``scenarios/`` and ``experiments/`` are found through one root, ``EGOVSIM_ROOT``.

The installed package run outside a source checkout reads its default inputs from the folder
the variable names; a wrong folder is one error line naming the variable, exit status 2.
"""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
from conftest import KEDIRI, REPO, cli_env, egovsim_command

from model.io import ROOT_VARIABLE, data_path, data_root


def _copied_tree(tmp_path):
    """A copy of the data root whose observed Jember SPBE 2022 is 4.44 instead of 1.99."""
    root = tmp_path / "root"
    shutil.copytree(REPO / "scenarios", root / "scenarios")
    shutil.copytree(REPO / "experiments", root / "experiments")
    (root / "data").mkdir()
    obs = pd.read_csv(REPO / "data" / "observed.csv")
    row = (obs["region"] == "Kabupaten Jember") & (obs["year"] == 2022) & (
        obs["indicator"] == "SPBE_index")
    assert row.sum() == 1 and float(obs.loc[row, "value"].iloc[0]) == 1.99
    obs.loc[row, "value"] = "4.44"
    obs.to_csv(root / "data" / "observed.csv", index=False)
    return root


def test_without_the_variable_the_root_is_the_source_checkout(monkeypatch):
    monkeypatch.delenv(ROOT_VARIABLE, raising=False)
    assert data_root() == REPO
    assert data_path("data", "observed.csv") == REPO / "data" / "observed.csv"


def test_observed_data_and_the_default_scenario_are_read_from_the_named_root(
        tmp_path, monkeypatch):
    from model.model import resolve_run
    from model.observed import observed_indices
    root = _copied_tree(tmp_path)
    (root / "scenarios" / "jember.toml").write_text(
        (REPO / "scenarios" / "jember.toml").read_text().replace(
            'name = "jember"', 'name = "jember_from_the_copy"', 1))
    monkeypatch.setenv(ROOT_VARIABLE, str(root))
    obs = observed_indices()
    jember_2022 = obs[(obs["region"] == "Kabupaten Jember") & (obs["year"] == 2022)
                      & (obs["index"] == "spbe")]
    assert jember_2022["value"].tolist() == [4.44]
    scenario, _ = resolve_run(None, 300, 2018, 2018, None)
    assert scenario.name == "jember_from_the_copy"


def test_a_missing_root_stops_the_cli_with_one_line_naming_the_variable(tmp_path):
    missing = tmp_path / "no_such_folder"
    out = tmp_path / "out"
    env = cli_env(**{ROOT_VARIABLE: str(missing)})
    proc = subprocess.run([*egovsim_command(), "run", str(KEDIRI), "--out", str(out),
                           "--years", "2018:2018", "--population", "300",
                           "--replications", "1", "--quiet"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and ROOT_VARIABLE in lines[0] and str(missing) in lines[0]
    assert not out.exists()


def test_the_app_command_checks_the_root_before_serving(tmp_path, monkeypatch, capsys):
    import model.commands.app as app_command
    from model.cli import main

    def no_server(*_args):
        raise AssertionError("the server was started despite a missing root")
    monkeypatch.setattr(app_command.os, "execve", no_server)
    monkeypatch.setenv(ROOT_VARIABLE, str(tmp_path / "no_such_folder"))
    assert main(["app"]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]
    assert len(err) == 1 and ROOT_VARIABLE in err[0]

"""Sensitivity pipeline with known answers: Ishigami (Sobol), a linear function (Morris)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiments_fakes import NOISE_SD, ishigami, ishigami_run, linear_run

from model import load_scenario
from model.cli import main as cli_main
from model.experiments.design import build_design
from model.experiments.execute import run_experiment
from model.experiments.outcomes import Outcome
from model.experiments.sensitivity import analyse, noise_table, sobol_table
from model.experiments.spec import Design, Experiment, Factor

ROOT = Path(__file__).resolve().parent.parent
BASE = load_scenario(ROOT / "scenarios" / "kediri.toml")
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
ISHIGAMI_VAR = 13.8446  # a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2 with a = 7, b = 0.1
PI_FACTORS = tuple(Factor(n, lo=-math.pi, hi=math.pi) for n in ("x1", "x2", "x3"))
Y = (Outcome("y", "y", 2030, 2030),)


def experiment(method: str, samples: int, replications: int = 1, factors=PI_FACTORS,
               **kw) -> Experiment:
    return Experiment(name="known", base=BASE, design=Design(method, samples=samples, **kw),
                      factors=factors, outcomes=Y, replications=replications,
                      years=(2030, 2030), master_seed=11)


def test_sobol_analysis_matches_ishigami_analytic_indices():
    exp = experiment("sobol", 4096, bootstrap=100)
    design = build_design(exp)
    y = ishigami(*design.values.T)
    got = sobol_table(design, pd.DataFrame({"y": y}), bootstrap=100, seed=1).set_index(
        "parameter")
    for p in S1:  # N = 4096: estimator error about 0.01
        assert got.loc[p, "S1"] == pytest.approx(S1[p], abs=0.03)
        assert got.loc[p, "ST"] == pytest.approx(ST[p], abs=0.03)
        assert 0 < got.loc[p, "S1_conf"] < 0.05 and 0 < got.loc[p, "ST_conf"] < 0.05


def test_end_to_end_sobol_on_ishigami(tmp_path):
    exp = experiment("sobol", 1024, bootstrap=200)
    # serial: writing the parts, not the function, is the work here (executors are compared
    # in test_experiments_run)
    summary = run_experiment(exp, tmp_path, simulate=ishigami_run, progress=False)
    assert summary.finished == 1024 * 5 and summary.failed == 0
    analyse(exp, build_design(exp), summary.outcomes, tmp_path)
    sobol = pd.read_csv(tmp_path / "sobol.csv")
    assert list(sobol.columns) == ["parameter", "outcome", "S1", "S1_conf", "ST", "ST_conf"]
    got = sobol.set_index("parameter")
    # N = 1024: standard error about 0.03 (95% intervals about 0.06); seed noise of variance
    # 0.25 lowers every index by under 2%. Stated tolerance 0.06.
    for p in S1:
        assert got.loc[p, "S1"] == pytest.approx(S1[p], abs=0.06)
        assert got.loc[p, "ST"] == pytest.approx(ST[p], abs=0.06)
        assert 0 < got.loc[p, "S1_conf"] < 0.1 and 0 < got.loc[p, "ST_conf"] < 0.1
    assert (tmp_path / "sobol.png").stat().st_size > 1000


def test_end_to_end_seed_noise_share(tmp_path):
    exp = experiment("latin_hypercube", 300, replications=3)
    summary = run_experiment(exp, tmp_path, simulate=ishigami_run, progress=False)
    noise = noise_table(summary.outcomes, ["y"]).set_index("outcome").loc["y"]
    # seed variance is NOISE_SD^2 = 0.25; one run's variance is 13.84 + 0.25
    assert noise["seed_variance"] == pytest.approx(NOISE_SD**2, rel=0.15)
    assert noise["seed_share"] == pytest.approx(0.25 / (ISHIGAMI_VAR + 0.25), rel=0.2)
    assert noise["seed_share_of_means"] == pytest.approx(
        (0.25 / 3) / (ISHIGAMI_VAR + 0.25 / 3), rel=0.2)


def test_morris_on_a_linear_function_is_exact(tmp_path):
    factors = (Factor("a", lo=0.0, hi=1.0), Factor("b", lo=0.0, hi=2.0),
               Factor("c", lo=5.0, hi=6.0))
    exp = experiment("morris", 10, factors=factors, levels=4, bootstrap=100)
    summary = run_experiment(exp, tmp_path, simulate=linear_run, progress=False)
    analyse(exp, build_design(exp), summary.outcomes, tmp_path)
    got = pd.read_csv(tmp_path / "morris.csv").set_index("parameter")
    # effects over the whole range: 2 * 1, -3 * 2, 0; a linear function has sigma = 0
    assert got["mu"].to_dict() == pytest.approx({"a": 2.0, "b": -6.0, "c": 0.0}, abs=1e-9)
    assert got["mu_star"].to_dict() == pytest.approx({"a": 2.0, "b": 6.0, "c": 0.0}, abs=1e-9)
    assert np.allclose(got["sigma"], 0.0, atol=1e-9)


def test_morris_on_ishigami_screens_x3_as_interaction_only(tmp_path):
    exp = experiment("morris", 200, levels=4, bootstrap=100)
    design = build_design(exp)
    from model.experiments.sensitivity import morris_table
    got = morris_table(design, pd.DataFrame({"y": ishigami(*design.values.T)}), seed=1)
    got = got.set_index("parameter")
    # x3 acts only through x3^4 sin(x1): signed effects cancel, absolute ones do not
    assert abs(got.loc["x3", "mu"]) < 0.3 * got.loc["x3", "mu_star"]
    assert got.loc["x3", "mu_star"] > 0.5 and got.loc["x3", "sigma"] > 0.5
    assert got.loc["x2", "mu_star"] > got.loc["x3", "mu_star"]


def test_noise_table_known_answer():
    rng = np.random.default_rng(3)
    point_effect = np.repeat(rng.normal(0, 2.0, 400), 5)  # variance 4 between points
    df = pd.DataFrame({"point": np.repeat(np.arange(400), 5),
                       "y": point_effect + rng.normal(0, 1.0, 2000)})  # variance 1 within
    row = noise_table(df, ["y"]).iloc[0]
    assert row["seed_share"] == pytest.approx(1 / 5, abs=0.03)
    assert row["seed_share_of_means"] == pytest.approx(0.2 / 4.2, abs=0.015)


def tiny_sobol(tmp_path: Path) -> Path:
    """A Sobol file on the model: 2 factors, N = 4, so 16 runs of 300 citizens, 2018-2019."""
    text = f"""
[experiment]
name = "tiny_sobol"
base = "{ROOT / 'scenarios' / 'kediri.toml'}"
population = 300
years = [2018, 2019]
[design]
method = "sobol"
samples = 4
bootstrap = 50
[[factor]]
name = "shares.apps"
range = [0.1, 0.5]
[[factor]]
name = "budget.egov_share"
range = [0.005, 0.03]
[outcomes]
spbe_2019 = {{ column = "spbe", year = 2019 }}
"""
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


def test_sensitivity_command_on_the_model(tmp_path, capsys):
    path = tiny_sobol(tmp_path)
    out = tmp_path / "out"
    assert cli_main(["sensitivity", str(path), "--out", str(out), "--workers", "2",
                     "--quiet"]) == 0
    sobol = pd.read_csv(out / "sobol.csv")
    assert set(sobol["parameter"]) == {"shares.apps", "budget.egov_share"}
    assert sobol[["S1_conf", "ST_conf"]].notna().all().all()
    assert "sensitivity written" in capsys.readouterr().err


def _failing_on(calls_that_fail):
    """``execute.run`` that raises on the given calls (1-based, serial: in order)."""
    import model.experiments.execute as execute

    real_run, calls = execute.run, []

    def failing_run(scenario, seed, **kw):
        calls.append(seed)
        if len(calls) in calls_that_fail:
            raise RuntimeError("deliberate failure")
        return real_run(scenario, seed, **kw)

    return execute, real_run, failing_run


def test_failed_runs_give_status_1_and_no_indices_until_resumed(tmp_path, capsys, monkeypatch):
    """As docs/experiments.md says: a failed run is recorded, the status is 1 (as for a sweep),
    and no index is computed from the incomplete design; --resume retries, then writes them."""
    execute, real_run, failing_run = _failing_on((3, 7))
    monkeypatch.setattr(execute, "run", failing_run)
    path, out = tiny_sobol(tmp_path), tmp_path / "out"
    args = ["sensitivity", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert "14/16 runs done" in err and "2 of 16 runs failed" in err
    assert "no sensitivity indices written" in err and "--resume" in err
    assert len(pd.read_csv(out / "failures.csv")) == 2
    for name in ("sobol.csv", "noise.csv", "sobol.png"):
        assert not (out / name).exists()
    monkeypatch.setattr(execute, "run", real_run)
    assert cli_main([*args, "--resume"]) == 0
    assert "16/16 runs done (2 now, 14 from before), 0 failed" in capsys.readouterr().err
    assert set(pd.read_csv(out / "sobol.csv")["parameter"]) == {"shares.apps",
                                                                 "budget.egov_share"}


def test_resume_that_fails_again_removes_stale_index_files_only(tmp_path, capsys, monkeypatch):
    """A folder where older code wrote indices from an incomplete design: a --resume whose
    retried runs fail again gives status 1 and removes those index files (they do not belong to
    the folder's complete design), and nothing else of the folder."""
    execute, _, failing_run = _failing_on((3,))
    monkeypatch.setattr(execute, "run", failing_run)
    path, out = tiny_sobol(tmp_path), tmp_path / "out"
    args = ["sensitivity", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    assert cli_main(args) == 1
    stale = {"sobol.csv": "parameter,outcome,S1,S1_conf,ST,ST_conf\nshares.apps,spbe_2019,"
                          "0.9,0.1,0.9,0.1\n", "noise.csv": "outcome\nspbe_2019\n",
             "sobol.png": "not a picture"}
    for name, text in stale.items():  # as older code left them
        (out / name).write_text(text)
    (out / "notes.txt").write_text("mine")
    kept = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name not in stale}
    capsys.readouterr()

    def always_failing(scenario, seed, **kw):
        raise RuntimeError("deliberate failure again")

    monkeypatch.setattr(execute, "run", always_failing)
    assert cli_main([*args, "--resume"]) == 1
    err = capsys.readouterr().err
    assert "no sensitivity indices written" in err and "sobol.csv" in err
    for name in stale:
        assert not (out / name).exists()
    assert len(pd.read_csv(out / "failures.csv")) == 1
    assert (out / "notes.txt").read_text() == "mine"
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert kept and set(kept) <= set(after)  # runs, metadata and the user's file are kept

"""Posterior ensembles: the file, drawing, applying draws, runs and the variance split."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from conftest import JEMBER, KEDIRI, SCENARIOS

import model.posterior as mp
from model import ScenarioError, load_scenario, with_overrides
from model.cli import main
from model.runner import run_replications
from model.seeds import run_seed

WHATIF = SCENARIOS / "whatif" / "kediri_apps_to_training_2025.toml"
SMALL = {"years": (2018, 2026), "population": 600}
INDEX_COLUMNS = ["spbe", "ipp", "ikm", "online_share", "budget_egov_idr", "staff_headcount"]


@pytest.fixture(scope="module")
def config():
    return mp.default_config()


@pytest.fixture(scope="module")
def point(config):
    return mp.validate_posterior(mp.synthetic_posterior(config, 1, 0.0, 1), "point.parquet",
                                 config)


@pytest.fixture(scope="module")
def spread(config):
    table = mp.synthetic_posterior(config, 60, 0.6, 2, hypotheses=("people", "measurement"))
    return mp.validate_posterior(table, "spread.parquet", config)


@pytest.fixture(scope="module")
def whatif_ensemble(spread, config):
    draws = mp.draw_parameters(spread, 3, 11)
    return mp.run_ensemble([load_scenario(KEDIRI), load_scenario(WHATIF)], draws, 2, 11,
                           config=config, **SMALL)


# --- the file ---------------------------------------------------------------------------------
def _write(tmp_path, table):
    path = tmp_path / "posterior.parquet"
    table.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("change, column", [
    (lambda t: t.drop(columns="weight"), "weight"),
    (lambda t: t.drop(columns="hypothesis"), "hypothesis"),
    (lambda t: t.assign(no_such_parameter=1.0), "no_such_parameter"),
    (lambda t: t.assign(training_gain=np.nan), "training_gain"),
    (lambda t: t.assign(training_gain="high"), "training_gain"),
    (lambda t: t.assign(training_gain=9.0), "training_gain"),
    (lambda t: t.assign(weight=-1.0), "weight"),
    (lambda t: t.assign(weight="heavy"), "weight"),
    (lambda t: t.assign(hypothesis=None), "hypothesis"),
    (lambda t: t.iloc[:0], "no rows"),
])
def test_schema_faults_name_the_file_and_column(tmp_path, config, change, column):
    table = change(mp.synthetic_posterior(config, 5, 0.1, 3))
    path = _write(tmp_path, table)
    with pytest.raises(ScenarioError) as err:
        mp.load_posterior(path, config)
    line = str(err.value)
    assert str(path) in line and column in line and "\n" not in line


def test_missing_or_damaged_file_is_a_scenario_error(tmp_path, config):
    with pytest.raises(ScenarioError, match="file not found"):
        mp.load_posterior(tmp_path / "absent.parquet", config)
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(ScenarioError, match="cannot read as Parquet"):
        mp.load_posterior(bad, config)


def test_a_valid_file_round_trips(tmp_path, config):
    table = mp.synthetic_posterior(config, 8, 0.2, 4, hypotheses=("a", "b"))
    post = mp.load_posterior(_write(tmp_path, table), config)
    assert set(post.parameters) == set(config.names)
    assert post.hypotheses() == pytest.approx({"a": 0.5, "b": 0.5})


# --- drawing ----------------------------------------------------------------------------------
def _two_hypotheses(config, weight_a):
    table = mp.synthetic_posterior(config, 10, 0.2, 5, hypotheses=("a", "b"))
    table["weight"] = np.where(table["hypothesis"] == "a", weight_a, 1 - weight_a) / 5
    return mp.validate_posterior(table, "two.parquet", config)


def test_hypotheses_are_drawn_by_their_posterior_probability(config):
    post = _two_hypotheses(config, 0.8)
    assert post.hypotheses() == pytest.approx({"a": 0.8, "b": 0.2})
    draws = mp.draw_parameters(post, 4000, 7)
    # binomial sd of the share at n=4000 is 0.0063; 0.025 is four of them
    assert (draws["hypothesis"] == "a").mean() == pytest.approx(0.8, abs=0.025)
    only_b = mp.draw_parameters(post, 50, 7, hypothesis="b")
    assert set(only_b["hypothesis"]) == {"b"}


def test_draws_follow_the_master_seed_only(spread):
    a = mp.draw_parameters(spread, 20, 1)
    assert a.equals(mp.draw_parameters(spread, 20, 1))
    assert not a.equals(mp.draw_parameters(spread, 20, 2))
    assert list(a["draw"]) == list(range(20))


@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_fewer_than_one_draw_is_refused(spread, k):
    with pytest.raises(ScenarioError, match="draws must be >= 1"):
        mp.draw_parameters(spread, k, 1)


def test_unknown_hypothesis_lists_the_known_ones(spread):
    with pytest.raises(ScenarioError, match="measurement, people"):
        mp.draw_parameters(spread, 2, 1, hypothesis="leadership")


# --- applying a draw --------------------------------------------------------------------------
def _theta(config, **changes):
    theta = mp.point_values(config)
    theta.update(changes)
    return theta


def test_a_region_draw_reaches_every_scenario_of_that_region(config):
    theta = _theta(config, **{"kediri.initial.regulation": 0.25, "training_gain": 0.4})
    kediri, whatif, jember = (load_scenario(p) for p in (KEDIRI, WHATIF, JEMBER))
    for sc in (kediri, whatif):
        applied = mp.apply_draw(sc, theta, config)
        assert applied.initial.regulation == 0.25
        assert applied.behaviour.training_gain == 0.4
        assert applied.policies == sc.policies  # the what-if's own shift stays
    other = mp.apply_draw(jember, theta, config)
    assert other.initial == jember.initial  # Kediri's draw is not Jember's
    assert other.behaviour.training_gain == 0.4


def test_what_a_scenario_sets_itself_is_kept(config):
    kediri = load_scenario(KEDIRI)
    own = with_overrides(kediri, {"shares": {"apps": 0.2, "competency": 0.2,
                                             "connectivity": 0.2, "regulation": 0.2,
                                             "interface": 0.2},
                                  "behaviour.training_gain": 0.45})
    theta = _theta(config, **{"kediri.shares.apps": 0.5, "training_gain": 0.1,
                              "kediri.initial.interface": 0.7})
    applied = mp.apply_draw(own, theta, config)
    assert applied.shares == own.shares
    assert applied.behaviour.training_gain == 0.45
    assert applied.initial.interface == 0.7
    drawn = mp.apply_draw(kediri, theta, config)
    assert drawn.shares.apps == 0.5 and abs(sum(drawn.shares.as_dict().values()) - 1) < 1e-9


def test_the_calibrated_point_changes_no_scenario(config):
    theta = mp.point_values(config)
    for path in (KEDIRI, JEMBER, WHATIF):
        sc = load_scenario(path)
        assert mp.apply_draw(sc, theta, config) == sc


# --- ensembles --------------------------------------------------------------------------------
def test_a_one_draw_posterior_at_the_point_reproduces_the_point_run(config):
    point = mp.validate_posterior(mp.synthetic_posterior(config, 1, 0.0, 1), "point.parquet",
                                  config)
    scenarios = [load_scenario(KEDIRI), load_scenario(JEMBER)]
    draws = mp.draw_parameters(point, 2, 5)
    ens = mp.run_ensemble(scenarios, draws, 2, 5, config=config, **SMALL)
    ref = run_replications(scenarios, 2, 5, **SMALL)
    for d in (0, 1):
        got = ens[ens["draw"] == d].drop(columns=["draw", "hypothesis"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_bands_widen_when_the_posterior_spreads(point, spread, config):
    scenarios = [load_scenario(KEDIRI)]
    widths = {}
    for name, post in (("point", point), ("spread", spread)):
        ens = mp.run_ensemble(scenarios, mp.draw_parameters(post, 6, 3), 2, 3, config=config,
                              **SMALL)
        last = ens[ens["year"] == SMALL["years"][1]]
        widths[name] = {i: last[i].quantile(0.95) - last[i].quantile(0.05)
                        for i in ("spbe", "ipp")}
    for index in ("spbe", "ipp"):
        # a spread of 0.6 of each prior's width moves the indices far more than seeds do
        assert widths["spread"][index] > 1.5 * widths["point"][index], (index, widths)


def test_every_scenario_gets_the_same_draws_and_seeds(whatif_ensemble):
    keys = ["draw", "hypothesis", "replication", "seed", "year"]
    base = whatif_ensemble[whatif_ensemble["scenario"] == "kediri"][keys].reset_index(drop=True)
    alt = whatif_ensemble[whatif_ensemble["scenario"] != "kediri"][keys].reset_index(drop=True)
    pd.testing.assert_frame_equal(base, alt)
    assert set(base["seed"]) == {run_seed(11, 0), run_seed(11, 1)}
    assert base.groupby("draw")["seed"].nunique().eq(2).all()


def test_paired_differences_are_zero_before_the_policy_starts(whatif_ensemble):
    keys = ["draw", "replication", "year"]
    a = whatif_ensemble[whatif_ensemble["scenario"] == "kediri"].set_index(keys)
    b = whatif_ensemble[whatif_ensemble["scenario"] != "kediri"].set_index(keys)
    diff = (b[INDEX_COLUMNS] - a[INDEX_COLUMNS]).reset_index()
    before = diff[diff["year"] < 2025]
    after = diff[diff["year"] >= 2025]
    assert (before[INDEX_COLUMNS] == 0).all().all()
    assert (after[["spbe", "ipp"]].abs() > 0).any().any()  # the policy does act


# --- the variance split -----------------------------------------------------------------------
def _table(values_by_draw):
    rows = [{"scenario": "s", "region": "r", "year": 2030, "draw": d, "replication": r, "x": v}
            for d, values in enumerate(values_by_draw) for r, v in enumerate(values)]
    return pd.DataFrame(rows)


def test_variance_split_known_answer():
    # draw means 0 and 2 (their variance, ddof 1: 2); each draw's two seeds 2 apart (seed
    # variance, ddof 1: 2). The draw means still carry seed noise 2 / R = 1, so parameters: 1.
    out = mp.variance_split(_table([[-1, 1], [1, 3]]), "x", 2030).iloc[0]
    assert out["draw_means_variance"] == pytest.approx(2.0)
    assert out["seed_variance"] == pytest.approx(2.0)
    assert out["parameter_variance"] == pytest.approx(1.0)
    assert out["parameter_share"] == pytest.approx(1 / 3)
    assert (out["draws"], out["seeds_per_draw"], out["runs"]) == (2, 2, 4)


def test_variance_split_all_parameters_or_all_seeds():
    only_params = mp.variance_split(_table([[1, 1], [3, 3], [5, 5]]), "x", 2030).iloc[0]
    assert only_params["seed_variance"] == 0 and only_params["parameter_share"] == 1
    # draw means equal: what spread there is, is the seeds' (floored at 0, not negative)
    only_seeds = mp.variance_split(_table([[0, 4], [0, 4]]), "x", 2030).iloc[0]
    assert only_seeds["parameter_variance"] == 0 and only_seeds["parameter_share"] == 0
    assert only_seeds["seed_variance"] == pytest.approx(8)


def test_variance_split_recovers_known_parameter_and_seed_variances():
    """Draw effects with variance 1 plus seed noise with variance 4, R = 4 seeds per draw: the
    parameters' share of one run's variance is 1 / (1 + 4) = 0.2. The variance of the draw
    means alone (1 + 4/4 = 2) would say 0.4. With 2,000 draws the estimate's standard error is
    about 0.06 for the parameter variance and 0.01 for the share."""
    rng = np.random.default_rng(20240601)
    k, r = 2000, 4
    effects = rng.normal(0.0, 1.0, size=k)
    values = effects[:, None] + rng.normal(0.0, 2.0, size=(k, r))
    out = mp.variance_split(_table(values.tolist()), "x", 2030).iloc[0]
    assert out["parameter_variance"] == pytest.approx(1.0, abs=0.25)
    assert out["seed_variance"] == pytest.approx(4.0, abs=0.2)
    assert out["parameter_share"] == pytest.approx(0.2, abs=0.04)


def test_one_seed_per_draw_cannot_be_split():
    table = _table([[1.0], [2.0], [4.0]])
    out = mp.variance_split(table, "x", 2030).iloc[0]
    assert np.isnan(out["seed_variance"]) and np.isnan(out["parameter_share"])
    text = mp.variance_markdown(table.assign(spbe=table["x"], ipp=table["x"], ikm=table["x"]))
    assert "100%" not in text and "% parameters" not in text
    assert "| s | cannot be split | cannot be split | cannot be split |" in text
    assert "With one seed per draw" in text and "--replications 2" in text


def test_variance_markdown_escapes_scenario_names():
    name = "a|b <b>bold</b> `code`"
    table = _table([[-1, 1], [1, 3]]).assign(scenario=name)
    text = mp.variance_markdown(table.assign(spbe=table["x"], ipp=table["x"], ikm=table["x"]))
    row = next(line for line in text.splitlines() if line.startswith("| a"))
    assert row.replace("\\|", "").count("|") == 5  # scenario and three indices: 5 bars
    assert "<b>" not in row and "`" not in row.replace("\\`", "")
    assert row.startswith("| a\\|b \\<b\\>bold\\</b\\> \\`code\\` |")


def test_variance_split_on_a_real_ensemble(whatif_ensemble):
    table = mp.variance_table(whatif_ensemble, years=[2026])
    assert (table["parameter_variance"] >= 0).all() and (table["seed_variance"] > 0).all()
    assert table["parameter_share"].between(0, 1).all()
    unfloored = table["parameter_variance"] > 0
    assert np.allclose((table["parameter_variance"] + table["seed_variance"] / 2)[unfloored],
                       table["draw_means_variance"][unfloored])
    # two scenarios; SPBE, IPP, IKM and Pemdi (scored from 2026)
    assert len(table) == 2 * 4 and set(table["index"]) == {"spbe", "ipp", "ikm", "pemdi"}
    assert set(mp.variance_table(whatif_ensemble, years=[2025])["index"]) == {"spbe", "ipp",
                                                                            "ikm"}


# --- the command ------------------------------------------------------------------------------
@pytest.fixture()
def posterior_file(tmp_path, monkeypatch, config):
    path = tmp_path / "posterior.parquet"
    mp.synthetic_posterior(config, 20, 0.3, 8, hypotheses=("people", "measurement")
                           ).to_parquet(path, index=False)
    monkeypatch.setattr(mp, "DEFAULT_POSTERIOR", path)
    return path


def test_run_with_posterior_end_to_end(tmp_path, posterior_file):
    out = tmp_path / "out"
    rc = main(["run", str(KEDIRI), str(WHATIF), "--posterior", "2", "--replications", "2",
               "--population", "400", "--years", "2018:2021", "--quiet", "--workers", "1",
               "--out", str(out)])
    assert rc == 0
    annual = pd.read_csv(out / "annual.csv")
    per = {name: g[["draw", "hypothesis", "replication", "year"]].reset_index(drop=True)
           for name, g in annual.groupby("scenario")}
    assert len(per) == 2
    a, b = per.values()
    pd.testing.assert_frame_equal(a, b)
    assert sorted(a["draw"].unique()) == [0, 1]
    assert set(a["hypothesis"]) <= {"people", "measurement"}
    variance = pd.read_csv(out / "variance.csv")
    assert set(variance["index"]) == {"spbe", "ipp", "ikm"}
    assert "Where the uncertainty" in (out / "summary.md").read_text()


def test_posterior_file_names_the_file_drawn_from(tmp_path, posterior_file, config):
    """--posterior-file draws from that file, not the default (whose hypotheses differ)."""
    own = tmp_path / "own.parquet"
    mp.synthetic_posterior(config, 10, 0.3, 9, hypotheses=("expectations",)).to_parquet(
        own, index=False)
    out = tmp_path / "out"
    rc = main(["run", str(KEDIRI), "--posterior", "2", "--posterior-file", str(own),
               "--population", "300", "--years", "2018:2019", "--quiet", "--workers", "1",
               "--out", str(out)])
    assert rc == 0
    assert set(pd.read_csv(out / "annual.csv")["hypothesis"]) == {"expectations"}
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["posterior"]["path"] == str(own)


@pytest.mark.parametrize("extra, text", [
    (["--hypothesis", "people"], "needs --posterior"),
    (["--posterior-file", "own.parquet"], "needs --posterior"),
    (["--posterior", "2", "--hypothesis", "nobody"], "is not in the posterior"),
])
def test_bad_posterior_options_exit_2_and_write_nothing(tmp_path, posterior_file, capsys,
                                                       extra, text):
    out = tmp_path / "out"
    rc = main(["run", str(KEDIRI), "--population", "300", "--years", "2018:2019", "--quiet",
               "--out", str(out), *extra])
    assert rc == 2 and not out.exists()
    err = capsys.readouterr().err.strip()
    assert text in err and len(err.splitlines()) == 1


def test_missing_posterior_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(mp, "DEFAULT_POSTERIOR", tmp_path / "none.parquet")
    out = tmp_path / "out"
    rc = main(["run", str(KEDIRI), "--posterior", "2", "--quiet", "--out", str(out)])
    assert rc == 2 and not out.exists()
    assert "none.parquet: file not found" in capsys.readouterr().err


def test_posterior_zero_draws_is_a_bad_option(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(KEDIRI), "--posterior", "0"])
    assert exc.value.code == 2


def test_synthetic_posterior_is_feasible_and_in_the_prior(config):
    table = mp.synthetic_posterior(config, 50, 1.0, 9)
    post = mp.validate_posterior(table, "wide.parquet", config)
    assert len(post.table) == 50
    assert dataclasses.is_dataclass(post)


def test_a_policy_split_drawn_for_a_region_reaches_its_what_ifs(config):
    recruit = load_scenario(SCENARIOS / "whatif" / "jember_recruitment_2025.toml")
    theta = _theta(config, **{"jember.policy.0.shares.interface": 0.3})
    applied = mp.apply_draw(recruit, theta, config)
    split = applied.policies[0].shares.as_dict()
    assert split["interface"] == 0.3 and abs(sum(split.values()) - 1) < 1e-9
    assert applied.policies[1:] == recruit.policies[1:]  # the what-if's own policy stays


# --- the committed posterior ----------------------------------------------------------------
def test_the_committed_posterior_loads_with_each_hypothesis_structure(config):
    """``model/posterior.parquet`` as the calibration wrote it (empty where a hypothesis does not
    estimate a parameter, with its distance and repeat) loads, and every draw runs the scenario
    the calibration simulated for that draw: same behaviour and regional values as
    ``scenarios_for`` under the draw's hypothesis (a fragmentation draw keeps the declared
    online-failure cost that the chosen structure switches off)."""
    from model.calibration.simulate import scenarios_for
    post = mp.load_posterior()
    assert len(post.table) >= 500 and set(post.parameters) == set(config.names)
    assert post.table[list(post.parameters)].notna().all().all()
    assert sum(post.hypotheses().values()) == pytest.approx(1.0)
    regions = {"kediri": load_scenario(KEDIRI), "jember": load_scenario(JEMBER)}
    for h in config.hypotheses:
        row = post.table[post.table["hypothesis"] == h.name].iloc[0]
        theta = {p.name: float(row[p.name]) for p in config.estimated(h)}
        expected = scenarios_for(config, theta, h)
        full = {p: float(row[p]) for p in post.parameters}
        for name, sc in regions.items():
            got = mp.apply_draw(sc, full, config, h.name)
            assert got.behaviour == expected[name].behaviour, (h.name, name)
            assert got.shares == expected[name].shares and got.initial == expected[name].initial
            assert got.policies == expected[name].policies, (h.name, name)

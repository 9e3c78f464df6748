"""The calibration file, parameter application, priors, the ABC driver (resume) and the CLI.

The ABC driver's logic is tested on a cheap analytic stand-in for the simulator (known
answer); one end-to-end CLI run and one DE run use the real simulator on a tiny setting.
"""

import dataclasses
import math
import subprocess
import sys
import tomllib

import numpy as np
import pandas as pd
import pytest
import scipy.stats as stats
from calibration_fakes import ROOT, SCEN, TINY, StandIn

import model
from model.calibration import abc as abc_driver
from model.calibration import load_config
from model.calibration.config import MIN_FREE_SHARE
from model.calibration.patterns import SECONDARY
from model.calibration.priors import make_prior, prior_sample
from model.calibration.report import weighted_quantile
from model.calibration.simulate import feasible, point_id, scenarios_for, seed_for
from model.calibration.targets import Target
from model.errors import ScenarioError
from model.seeds import run_seed


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "cal.toml"
    path.write_text(TINY)
    return path


# --- the file ---------------------------------------------------------------------------
def test_repository_calibration_file_is_valid():
    cfg = load_config(ROOT / "experiments" / "calibration.toml")
    quick = load_config(ROOT / "experiments" / "calibration.toml", quick=True)
    assert sum(p.region is None for p in cfg.parameters) >= 8  # shared mechanisms
    assert {p.region for p in cfg.parameters} >= {None, "jember", "kediri"}
    assert all(p.reason for p in cfg.parameters)
    assert quick.settings.population_size < cfg.settings.population_size
    r = subprocess.run([sys.executable, "-m", "model.cli", "validate",
                        str(ROOT / "experiments" / "calibration.toml")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.startswith("ok:"), r.stderr


@pytest.mark.parametrize("edit, field", [
    (("prior = \"uniform\"\nlo = 0.0\nhi = 0.4", "prior = \"normal\"\nlo = 0.0\nhi = 0.4"),
     "parameter[0].prior"),
    (("lo = 0.0\nhi = 0.4", "lo = 0.5\nhi = 0.4"), "parameter[0].hi"),
    (("behaviour.ikm_expectation", "behaviour.no_such_thing"), "parameter[0].key"),
    (("lo = 0.0\nhi = 0.4", "lo = 0.0\nhi = 3.0"), "parameter[0].lo"),  # leaves declared range
    (("region = \"kediri\"", "region = \"surabaya\""), "parameter[3].region"),
    (("key = \"initial.regulation\"", "key = \"initial.nothing\""), "parameter[3].key"),
    (("population = 300", "population = \"many\""), "settings.population"),
    (("reason = \"stock\"", "reason = \"\""), "parameter[3]"),
])
def test_bad_calibration_files_name_the_field(tiny, edit, field):
    text = tiny.read_text()
    assert edit[0] in text
    tiny.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ScenarioError) as err:
        load_config(tiny)
    assert f": {field}" in str(err.value) and "\n" not in str(err.value)


def test_cli_bad_file_one_line_exit_2_nothing_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[settings]\nseed = 1\n[regions]\n")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "model.cli", "calibrate", str(bad), "--out",
                        str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "regions" in r.stderr
    assert not out.exists()


# --- parameters -> scenarios ------------------------------------------------------------------
def test_parameters_reach_the_scenarios(tiny):
    cfg = load_config(tiny)
    theta = {"ikm_expectation": 0.33, "ipp_leniency_from_2022": 1.2,
             "jember.policy.0.shares.interface": 0.45, "kediri.initial.regulation": 0.71}
    sc = scenarios_for(cfg, theta)
    assert sc["jember"].behaviour.ikm_expectation == 0.33
    assert sc["kediri"].behaviour.ipp_leniency_from_2022 == 1.2
    assert sc["jember"].policies[0].shares.interface == 0.45
    assert sum(sc["jember"].policies[0].shares.as_dict().values()) == pytest.approx(1.0)
    assert sc["jember"].shares == cfg.regions["jember"].shares  # base split untouched
    assert sc["kediri"].initial.regulation == 0.71
    assert sc["jember"].initial.regulation == cfg.regions["jember"].initial.regulation
    # unestimated behaviour sits at the declared defaults
    declared = model.behaviour.Behaviour()
    assert sc["kediri"].behaviour.stock_gain_per_year == declared.stock_gain_per_year
    # seeds: the shared scheme, the point's identity a hash of its values (order irrelevant)
    assert seed_for(cfg, theta) == seed_for(cfg, dict(reversed(theta.items())))
    assert seed_for(cfg, theta, replication=3) == run_seed(7, 3, point_id(theta))
    other = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, seed=8))
    assert seed_for(other, theta) != seed_for(cfg, theta)


def test_prior_truncates_infeasible_splits(tmp_path):
    text = TINY.replace('[[parameter]]\nregion = "kediri"', '''[[parameter]]
region = "jember"
key = "policy.0.shares.competency"
prior = "uniform"
lo = 0.1
hi = 0.5
reason = "split"

[[parameter]]
region = "kediri"''')
    path = tmp_path / "c.toml"
    path.write_text(text)
    cfg = load_config(path)
    prior = make_prior(cfg)
    theta = {p.name: (p.lo + p.hi) / 2 for p in cfg.parameters}
    theta["jember.policy.0.shares.interface"] = 0.5
    theta["jember.policy.0.shares.competency"] = 0.5  # sum 1.0 > 1 - MIN_FREE_SHARE
    assert not feasible(cfg, theta) and prior.pdf(theta) == 0.0
    theta["jember.policy.0.shares.competency"] = 0.2
    assert feasible(cfg, theta) and prior.pdf(theta) > 0.0
    draws = prior_sample(cfg, 500, seed=1)
    s = draws["jember.policy.0.shares.interface"] + draws["jember.policy.0.shares.competency"]
    assert len(draws) == 500 and (s <= 1 - MIN_FREE_SHARE + 1e-12).all()
    assert (s > 0.8).any()  # truncation, not a shrunken box


def test_weighted_quantile_known_answer():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert weighted_quantile(x, np.ones(4), [0.5])[0] == pytest.approx(2.5)
    assert weighted_quantile(x, np.array([0, 0, 1.0, 0]), [0.1, 0.9]) == pytest.approx([3, 3])



def test_forecast_table_weighs_hypotheses_by_probability():
    """The posterior's forecast mixes the hypotheses by their probability, renormalised over
    those with draws, not by their numbers of draws: `a` always gives 1 (10 draws) and `b`
    always 3 (30 draws), at probabilities 0.3 and 0.1 (a third hypothesis left no draws), so
    the mixture is 3/4 ones and 1/4 threes (pooling the draws alike would make it 1/4 ones)."""
    from model.calibration.report import forecast_table

    def annual(value, draws):
        rows = [{"replication": i, "calibration_region": "r", "year": y, "spbe": value,
                 "ipp": value + 1, "ikm": value, "pemdi": value if y >= 2026 else np.nan}
                for i in range(draws) for y in (2023, 2024, 2026)]
        return pd.DataFrame(rows)

    selection = pd.DataFrame({"hypothesis": ["a", "b", "gone"],
                              "probability": [0.3, 0.1, 0.6]})
    t = forecast_table({"a": annual(1.0, 10), "b": annual(3.0, 30)}, selection, 2024)
    assert set(t["year"]) == {2024, 2026}  # from the first year without fitted points
    assert not ((t["index"] == "pemdi") & (t["year"] == 2024)).any()  # no values, no row
    mix = t[(t["hypothesis"] == "posterior") & (t["index"] == "spbe")]
    assert (mix["draws"] == 40).all()
    # 75% of the weight at 1: the median and 5% quantile are 1, the 95% quantile is 3
    assert mix["median"].tolist() == pytest.approx([1.0, 1.0])
    assert mix["q05"].tolist() == pytest.approx([1.0, 1.0])
    assert mix["q95"].tolist() == pytest.approx([3.0, 3.0])
    b = t[(t["hypothesis"] == "b") & (t["index"] == "ipp")]
    assert b["median"].tolist() == pytest.approx([4.0, 4.0]) and (b["draws"] == 30).all()
    # a point's seeds alone (no selection): its own rows, no posterior
    alone = forecast_table({"b": annual(3.0, 30)}, None, 2024)
    assert set(alone["hypothesis"]) == {"b"} and (alone["median"] >= 3.0).all()

# --- the ABC driver on a known-answer stand-in ------------------------------------------------
def test_abc_recovers_a_known_answer_and_resumes(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(abc_driver, "Simulator", StandIn)
    cfg = load_config(tiny)
    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings,
                                                                population_size=40))
    truth = {"ikm_expectation": 0.25, "ipp_leniency_from_2022": 1.1}
    targets = [Target("kediri", "ikm", 2021, 3.25, 0.02, "high", 2),
               Target("jember", "ipp", 2022, 3.3, 0.02, "high", 2)]
    out = tmp_path / "abc"
    h = abc_driver.run_abc(cfg, targets, out, workers=1, progress=False)
    assert h.max_t == 1
    first = abc_driver.posterior(h, cfg)
    # resume: two more generations, the first two kept as they were
    cfg3 = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings,
                                                                 max_generations=4))
    h = abc_driver.run_abc(cfg3, targets, out, workers=1, progress=False)
    assert h.max_t == 3
    again, _ = h.get_distribution(m=0, t=1)
    assert np.allclose(np.sort(again["ikm_expectation"]), np.sort(first["ikm_expectation"]))
    gens = abc_driver.generations(h, cfg)
    assert list(gens["t"]) == [0, 1, 2, 3] and gens["epsilon"].is_monotonic_decreasing
    post = abc_driver.posterior(h, cfg)
    for name, value in truth.items():
        lo, hi = weighted_quantile(post[name].to_numpy(), post["weight"].to_numpy(),
                                   [0.05, 0.95])
        assert lo <= value <= hi, (name, lo, hi)
    # the unconstrained parameters stay about as wide as their priors
    w = post["weight"].to_numpy()
    lo, hi = weighted_quantile(post["kediri.initial.regulation"].to_numpy(), w, [0.05, 0.95])
    assert hi - lo > 0.5 * (0.8 - 0.2) * 0.9
    assert math.isclose(post["weight"].sum(), 1.0)
    # the walltime is a hard deadline: a generation under way when it passes is discarded
    late = dataclasses.replace(cfg, settings=dataclasses.replace(
        cfg.settings, max_generations=6, max_walltime_minutes=0.0))
    h = abc_driver.run_abc(late, targets, out, workers=1, progress=False)
    assert h.max_t == 3 and abc_driver.generations_done(abc_driver.db_path(out, 0)) == 4


# --- end to end, real simulator ----------------------------------------------------------------
def test_cli_end_to_end_real_model(tiny, tmp_path):
    out = tmp_path / "cal"
    r = subprocess.run([sys.executable, "-m", "model.cli", "calibrate", str(tiny), "--out",
                        str(out), "--workers", "2", "--quiet"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    for name in ("posterior.parquet", "model_selection.csv", "patterns.csv", "point_fit.csv",
                 "calibrated.toml", "summary.md", "generations.csv", "abc_0.db",
                 "calibration.json"):
        assert (out / name).is_file(), name
    one = out / "hypotheses" / "model"  # a file without [[hypothesis]] is one model
    for name in ("parameters.csv", "correlations.csv", "fit.csv", "patterns.csv"):
        assert (one / name).is_file(), name
    figs = sorted(p.name for p in (one / "figures").glob("*.png"))
    assert figs == [f"{r}_{i}.png" for r in ("jember", "kediri") for i in ("ikm", "ipp", "spbe")]
    assert pd.read_csv(out / "model_selection.csv")["probability"].tolist() == [1.0]
    params = pd.read_csv(one / "parameters.csv")
    assert list(params["parameter"]) == ["ikm_expectation", "ipp_leniency_from_2022",
                                         "jember.policy.0.shares.interface",
                                         "kediri.initial.regulation"]
    fit = pd.read_csv(one / "fit.csv")
    assert set(fit["region"]) == {"jember", "kediri", "national"}
    patterns = pd.read_csv(one / "patterns.csv")
    assert len(patterns) == 4 + len(SECONDARY)
    cal = tomllib.loads((out / "calibrated.toml").read_text())
    assert set(cal["behaviour"]) == {"ikm_expectation", "ipp_leniency_from_2022"}
    # the default point keeps a posterior particle's shared behaviour (refine.py): a joint draw
    post = pd.read_parquet(out / "posterior.parquet")
    shared = post[["ikm_expectation", "ipp_leniency_from_2022"]].to_numpy()
    written = [cal["behaviour"]["ikm_expectation"], cal["behaviour"]["ipp_leniency_from_2022"]]
    assert (abs(shared - written) < 1e-12).all(axis=1).any()
    split = cal["region"]["jember"]["policy.0.shares"]
    assert sum(split.values()) == pytest.approx(1.0, abs=1e-9)
    # the written point is a valid override set for the scenarios, as written
    sc = model.with_overrides(model.load_scenario(SCEN / "jember.toml"),
                              {"policy.0.shares": split})
    assert sc.policies[0].shares.interface == split["interface"]
    # a second call resumes: nothing left to sample, outputs rewritten
    r = subprocess.run([sys.executable, "-m", "model.cli", "calibrate", str(tiny), "--out",
                        str(out), "--workers", "1", "--quiet"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(out / "generations.csv")) == 2
    # another calibration file may not continue this history
    tiny.write_text(tiny.read_text().replace("hi = 0.4", "hi = 0.35"))
    with pytest.raises(ScenarioError, match="different calibration"):
        from model.calibration.pipeline import check_resume
        check_resume(load_config(tiny), out, "abc")


def test_de_point_mode_real_model(tiny, tmp_path):
    from model.calibration.de import run_de
    from model.calibration.pipeline import targets_for
    cfg = load_config(tiny)
    point, best = run_de(cfg, targets_for(cfg), workers=1)
    again, best2 = run_de(cfg, targets_for(cfg), workers=1)
    assert point == again and best == best2  # reproducible from the seed
    spec = {p.name: p for p in cfg.parameters}
    assert all(spec[k].lo <= v <= spec[k].hi for k, v in point.items())
    assert math.isfinite(best)


def test_dask_scheduler_runs_the_simulations(tiny, tmp_path):
    from dask.distributed import LocalCluster

    from model.calibration.pipeline import targets_for
    cfg = load_config(tiny)
    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(
        cfg.settings, population_size=4, max_generations=1))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        h = abc_driver.run_abc(cfg, targets_for(cfg), tmp_path / "dask", workers=1,
                               scheduler=cluster.scheduler_address, progress=False)
    assert h.max_t == 0
    post = abc_driver.posterior(h, cfg)
    assert len(post) == 4 and post[cfg.names].notna().all().all()


def test_effective_sample_size_counts_particles_that_carry_weight():
    assert abc_driver.effective_sample_size(np.ones(150)) == pytest.approx(150)
    assert abc_driver.effective_sample_size([5.0, 0, 0, 0]) == pytest.approx(1)
    assert abc_driver.effective_sample_size([1, 1, 0, 0]) == pytest.approx(2)


def test_spread_kernel_ignores_concentrated_weights():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(0.0, [1.0, 3.0], size=(400, 2)), columns=["a", "b"])
    w = np.full(400, 1e-6)
    w[0] = 1.0  # nearly all weight on one particle
    kernel = abc_driver.SpreadKernel()
    kernel.fit(X, w)
    # the covariance is the population's (sd 1 and 3), not the collapsed weighted one
    assert np.sqrt(np.diag(kernel.cov)) == pytest.approx([1.0, 3.0], rel=0.15)
    # proposals start from particles drawn by weight: here almost always the first
    np.random.seed(0)  # noqa: NPY002 (pyabc draws from the legacy global generator)
    draws = kernel.rvs(2000)
    assert draws.mean().to_numpy() == pytest.approx(X.iloc[0].to_numpy(), abs=0.3)
    # and its density is that of the mixture it draws from
    x = X.iloc[[5]]
    mix = sum(wi * stats.multivariate_normal(xi, kernel.cov).pdf(x.iloc[0])
              for wi, xi in zip(w / w.sum(), X.to_numpy(), strict=True))
    assert float(kernel.pdf(x.iloc[0])) == pytest.approx(mix, rel=1e-6)


def test_prior_density_matches_its_marginals(tiny):
    """The closed-form density equals the product of scipy's marginal densities."""
    cfg = load_config(tiny)
    prior = make_prior(cfg)
    theta = {p.name: p.lo + 0.3 * (p.hi - p.lo) for p in cfg.parameters}
    expected = math.prod(
        (stats.loguniform(p.lo, p.hi) if p.prior == "loguniform"
         else stats.uniform(p.lo, p.hi - p.lo)).pdf(theta[p.name]) for p in cfg.parameters)
    assert prior.pdf(theta) == pytest.approx(expected, rel=1e-12)
    first = cfg.parameters[0]
    assert prior.pdf(dict(theta, **{first.name: first.hi * 1.01})) == 0.0
    names = [p.name for p in cfg.parameters]
    inside = np.array([[theta[n] for n in names], [theta[n] for n in names]])
    inside[1, 0] = first.lo - 1e-9
    assert prior.inside(inside, names).tolist() == [True, False]


def test_spread_kernel_proposals_stay_in_the_support():
    """Batched proposals are pyabc's rejection loop in bulk: a step from a particle drawn by
    weight, kept only inside the prior. One particle at 0 with unit spread and a support of
    [0, inf): the proposals are a half-normal (mean sqrt(2/pi))."""

    class HalfLine:
        def inside(self, values, names):
            return values[:, 0] >= 0.0

    X = pd.DataFrame({"a": [0.0, 1.0, -1.0]})
    kernel = abc_driver.SpreadKernel(support=HalfLine())
    kernel.fit(X, np.array([1.0, 0.0, 0.0]))
    kernel.cov = np.array([[1.0]])
    kernel._chol = np.array([[1.0]])
    np.random.seed(3)  # noqa: NPY002 (pyabc draws from the legacy global generator)
    draws = np.array([kernel.rvs()["a"] for _ in range(4000)])
    assert (draws >= 0).all()
    # half-normal mean sqrt(2/pi) = 0.798, sd 0.603; 4000 draws: se 0.0095, tolerance 4 se
    assert draws.mean() == pytest.approx(math.sqrt(2 / math.pi), abs=0.04)


def test_de_command_on_the_runner_pool_writes_its_point(tiny, tmp_path):
    out = tmp_path / "de"
    r = subprocess.run([sys.executable, "-m", "model.cli", "calibrate", str(tiny), "--out",
                        str(out), "--method", "de", "--workers", "2", "--quiet"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    cal = tomllib.loads((out / "calibrated.toml").read_text())
    spec = {p.name: p for p in load_config(tiny).parameters}
    for name, value in cal["behaviour"].items():
        assert spec[name].lo <= value <= spec[name].hi
    assert (out / "point_fit.csv").is_file() and (out / "patterns.csv").is_file()

"""A hypothesis' own final generation (model.calibration.final): its importance weights give
the ABC posterior at the tolerance (prior included) whatever the particles it starts from,
samples combine into one whose effective size is the sum of theirs, later stages propose
where the tolerance accepts, and a killed final generation continues to the particles of an
uninterrupted one.
"""

import dataclasses
import math
import time
import types

import numpy as np
import pandas as pd
import pytest
from calibration_fakes import TINY, TWO

from model.backend import Backend
from model.calibration import final, load_config, pipeline
from model.calibration.abc import effective_sample_size
from model.errors import ScenarioError

CENTRE, EPS = 0.2, 0.15
"""The toy: accept ikm_expectation within EPS of CENTRE, under a log-uniform prior on
0.05-0.4 (1/x), so its ABC posterior has density proportional to 1/x on [0.05, 0.35]:
mean 2 EPS / ln(7) = 0.1542, E[x^2] = (0.35^2 - 0.05^2) / (2 ln 7), standard deviation
0.0841. The other parameters keep their prior."""
LOG_MEAN = 2 * EPS / math.log(7.0)
LOG_SD = math.sqrt((0.35**2 - 0.05**2) / (2 * math.log(7.0)) - LOG_MEAN**2)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    cfg = load_config(path)
    specs = tuple(dataclasses.replace(p, prior="loguniform", lo=0.05, hi=0.4)
                  if p.name == "ikm_expectation" else p for p in cfg.parameters)
    return dataclasses.replace(cfg, parameters=specs)


def _with(cfg, **settings):
    return dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, **settings))


def _distance(theta):
    return abs(theta["ikm_expectation"] - CENTRE)


def _even_start(cfg, n=200, seed=0):
    """Particles spread evenly over the toy posterior's support (where the posterior falls as
    1/x), the others spread as their prior: a start the final generation must correct by
    its weights."""
    rng = np.random.default_rng(seed)
    cols = {p.name: rng.uniform(p.lo, p.hi, n) for p in cfg.parameters}
    cols["ikm_expectation"] = rng.uniform(CENTRE - EPS, CENTRE + EPS, n)
    return pd.DataFrame(cols).assign(weight=1.0 / n)


def _run(cfg, out, evaluate=_distance, have_ess=0.0, start=None):
    h = cfg.hypotheses[0]
    start = _even_start(cfg) if start is None else start
    return final.final_generation(cfg, h, start, EPS, [], out, backend=Backend("serial"),
                                  deadline=math.inf, have_ess=have_ess, evaluate=evaluate)


def test_weights_recover_the_posterior_from_particles_of_part_of_it(tiny, tmp_path):
    cfg = _with(tiny, min_effective_sample_size=200)
    rounds = _run(cfg, tmp_path)
    got = final.accepted(rounds)
    assert effective_sample_size(got["weight"]) >= 200  # it ran until the size was reached
    assert (got["distance"] <= EPS).all() and (rounds["distance"] > EPS).any()
    x, w = got["ikm_expectation"].to_numpy(), got["weight"].to_numpy()
    mean = np.average(x, weights=w)
    sd = math.sqrt(np.average((x - mean) ** 2, weights=w))
    # standard error of the mean at 200 effective draws: 0.0841 / 14.1 = 0.006; 3 of them
    assert mean == pytest.approx(LOG_MEAN, abs=0.018)
    assert sd == pytest.approx(LOG_SD, rel=0.2)
    # the proposals spread evenly, and the prior's 1/x is what brings the mean down: equal
    # weights, or the kernel's density alone, leave it near the centre, 0.2
    assert x.mean() > 0.185


def test_it_stops_at_once_when_the_repeats_already_reach_the_size(tiny, tmp_path):
    cfg = _with(tiny, min_effective_sample_size=100)
    rounds = _run(cfg, tmp_path, have_ess=100.0)
    assert len(rounds) == 0 and not final.file_of(tmp_path, "model").exists()


def test_combined_effective_size_is_the_sum_of_the_samples():
    rng = np.random.default_rng(3)
    a = pd.DataFrame({"x": rng.random(50), "weight": rng.random(50) ** 4})
    b = pd.DataFrame({"x": rng.random(80), "weight": rng.random(80)})
    empty = pd.DataFrame({"x": [], "weight": []})
    both = final.combine([a, empty, b])
    assert len(both) == 130 and both["weight"].sum() == pytest.approx(1.0)
    expected = effective_sample_size(a["weight"]) + effective_sample_size(b["weight"])
    assert effective_sample_size(both["weight"]) == pytest.approx(expected, rel=1e-12)


class _Killed(Exception):
    pass


def test_a_killed_final_generation_continues_to_the_uninterrupted_particles(tiny, tmp_path):
    cfg = _with(tiny, min_effective_sample_size=60)
    whole = _run(cfg, tmp_path / "whole")
    assert whole["round"].nunique() >= 3
    calls = {"n": 0}

    def dies_in_round_two(theta):
        calls["n"] += 1
        if calls["n"] > final.PROPOSALS_PER_WORKER + 3:
            raise _Killed
        return _distance(theta)

    out = tmp_path / "killed"
    with pytest.raises(_Killed):
        _run(cfg, out, evaluate=dies_in_round_two)
    saved = pd.read_parquet(final.file_of(out, "model"))
    assert list(saved["round"].unique()) == [0]  # the finished round only
    pd.testing.assert_frame_equal(_run(cfg, out), whole)


def test_a_saved_final_generation_from_other_particles_is_refused(tiny, tmp_path):
    cfg = _with(tiny, min_effective_sample_size=20)
    _run(cfg, tmp_path)
    other = _even_start(cfg, seed=1)
    with pytest.raises(ScenarioError, match="final_model.parquet.*other particles"):
        _run(_with(cfg, min_effective_sample_size=40), tmp_path, start=other)


def test_one_round_runs_even_past_the_deadline(tiny, tmp_path):
    cfg = _with(tiny, min_effective_sample_size=100)
    rounds = final.final_generation(cfg, cfg.hypotheses[0], _even_start(cfg), EPS, [],
                                    tmp_path, backend=Backend("serial"), deadline=0.0,
                                    have_ess=0.0, evaluate=_distance)
    assert len(rounds) == final.PROPOSALS_PER_WORKER and rounds["round"].eq(0).all()


def test_a_round_fills_every_worker_of_a_dask_cluster(tiny, tmp_path):
    """On a cluster, a round has PROPOSALS_PER_WORKER proposals for each of its workers (the
    scheduler's backend is not told how many there are; it asks)."""
    from distributed import LocalCluster
    cfg = _with(tiny, min_effective_sample_size=100)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        backend = Backend("scheduler", address=cluster.scheduler_address)
        assert backend.parallelism() == 2
        rounds = final.final_generation(cfg, cfg.hypotheses[0], _even_start(cfg), EPS, [],
                                        tmp_path, backend=backend, deadline=0.0,
                                        have_ess=0.0, evaluate=_distance)
    assert len(rounds) == 2 * final.PROPOSALS_PER_WORKER and rounds["round"].eq(0).all()


def test_later_stages_propose_where_the_tolerance_accepts(tiny, tmp_path):
    """A hypothesis nearly dead in model selection starts from a few particles anywhere in
    the prior; a kernel fitted to them accepts rarely at a narrow tolerance. Fitted again to
    what the tolerance accepted (a stage ends after REFIT_ACCEPTED particles), it proposes
    near the acceptance region, so later stages accept several times as often.
    """
    narrow = 0.01  # accepts ikm_expectation in 0.19-0.21: 5% of the prior's mass (1/x)
    cfg = _with(tiny, min_effective_sample_size=80)
    rng = np.random.default_rng(5)
    few = pd.DataFrame({p.name: rng.uniform(p.lo, p.hi, 5) for p in cfg.parameters})
    few = few.assign(weight=1.0 / 5)
    rounds = final.final_generation(cfg, cfg.hypotheses[0], few, narrow, [], tmp_path,
                                    backend=Backend("serial"), deadline=math.inf,
                                    have_ess=0.0, evaluate=_distance)
    rate = rounds.groupby("stage")["weight"].apply(lambda w: (w > 0).mean())
    assert len(rate) >= 3
    assert rate.iloc[1:].mean() > 3 * rate.iloc[0]
    got = final.accepted(rounds)
    # the stages' samples combine into one of the posterior: 1/x on 0.19-0.21, mean 0.1998
    mean = np.average(got["ikm_expectation"], weights=got["weight"])
    assert mean == pytest.approx(0.2, abs=0.002)


def test_the_hypothesis_closest_to_the_size_runs_first(tmp_path, monkeypatch):
    """The short hypotheses share the final walltime in order of how close they are to the
    size, each taking an equal part of what is left, so what the nearer one does not use
    passes to the farther one (in the file, the farther one comes first)."""
    path = tmp_path / "two.toml"
    path.write_text(TWO)
    cfg = _with(load_config(path), min_effective_sample_size=100, final_walltime_minutes=10.0)
    far, near = (h.name for h in cfg.hypotheses)  # lenient, neutral
    basis = pd.DataFrame({"hypothesis": [far, near], "weight": [1.0, 1.0]})
    monkeypatch.setattr(pipeline.abc_driver, "posterior", lambda h, config: basis)
    monkeypatch.setattr(pipeline, "pooled_posterior", lambda *a, **k: basis)
    monkeypatch.setattr(pipeline, "final_epsilon", lambda histories: 1.0)
    monkeypatch.setattr(pipeline.abc_driver, "hypothesis_ess",
                        lambda post, config: {far: 20.0, near: 90.0})
    monkeypatch.setattr(pipeline, "local", lambda workers: Backend("serial"))
    ran = []

    def quick(config, h, pooled, eps, targets, out, *, backend, deadline, have_ess):
        ran.append((h.name, deadline - time.time()))  # it needs none of its share
        return pd.DataFrame()

    monkeypatch.setattr(pipeline.final, "final_generation", quick)
    history = types.SimpleNamespace(max_t=3)
    pipeline.run_finals(cfg, [], tmp_path, [history], workers=1, scheduler=None,
                        progress=False)
    assert [name for name, _ in ran] == [near, far]
    # the near one's share is half the 10 minutes; the far one, after it, has all of them
    assert ran[0][1] == pytest.approx(300.0, abs=5.0)
    assert ran[1][1] == pytest.approx(600.0, abs=5.0)

"""A hypothesis' own final generation (model.calibration.final): its importance weights give
the ABC posterior at the tolerance whatever the particles it starts from, samples combine
into one whose effective size is the sum of theirs, and a killed final generation continues
to the particles of an uninterrupted one.
"""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from calibration_fakes import TINY

from model.backend import Backend
from model.calibration import final, load_config
from model.calibration.abc import effective_sample_size

CENTRE, EPS = 0.2, 0.04
"""The toy: accept ikm_expectation within EPS of CENTRE (its prior is uniform on 0-0.4), so the
ABC posterior of it is uniform on [CENTRE - EPS, CENTRE + EPS]: mean CENTRE, standard
deviation 2 EPS / sqrt(12); the other parameters keep their prior."""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return load_config(path)


def _with(cfg, **settings):
    return dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, **settings))


def _distance(theta):
    return abs(theta["ikm_expectation"] - CENTRE)


def _left_half(cfg, n=200, seed=0):
    """Particles of the toy posterior's left half only, the others spread as their prior: a
    start the final generation must correct by its weights."""
    rng = np.random.default_rng(seed)
    cols = {p.name: rng.uniform(p.lo, p.hi, n) for p in cfg.parameters}
    cols["ikm_expectation"] = rng.uniform(CENTRE - EPS, CENTRE, n)
    return pd.DataFrame(cols).assign(weight=1.0 / n)


def _run(cfg, out, evaluate=_distance, have_ess=0.0):
    h = cfg.hypotheses[0]
    return final.final_generation(cfg, h, _left_half(cfg), EPS, [], out,
                                  backend=Backend("serial"), deadline=math.inf,
                                  have_ess=have_ess, evaluate=evaluate)


def test_weights_recover_the_posterior_from_particles_of_half_of_it(tiny, tmp_path):
    cfg = _with(tiny, min_effective_sample_size=400)
    rounds = _run(cfg, tmp_path)
    got = final.accepted(rounds)
    assert effective_sample_size(got["weight"]) >= 400  # it ran until the size was reached
    assert (got["distance"] <= EPS).all() and (rounds["distance"] > EPS).any()
    x, w = got["ikm_expectation"].to_numpy(), got["weight"].to_numpy()
    mean = np.average(x, weights=w)
    sd = math.sqrt(np.average((x - mean) ** 2, weights=w))
    # standard error of the mean at 400 effective draws: 0.0231 / 20 = 0.0012; 4 of them
    assert mean == pytest.approx(CENTRE, abs=0.005)
    assert sd == pytest.approx(2 * EPS / math.sqrt(12), rel=0.15)
    # the proposals themselves lean left (so equal weights would fail the check above)
    assert x.mean() < CENTRE - 0.006


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

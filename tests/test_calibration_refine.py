"""The default point (model.calibration.refine): it starts from the particle whose replication
means fit best, and moves each region's own quantities to where the distance is smallest.

A stand-in for the simulation makes the answer known: Jember's IPP is the observed series
shifted by ``10 * (interface - 0.42)`` and Kediri's SPBE the observed values shifted by
``5 * (regulation - 0.61)``, so the distance is smallest at interface 0.42 and regulation 0.61
(the stand-in's constants, chosen inside the priors, not the code's).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from model.calibration import refine
from model.calibration.config import load_config
from model.calibration.pipeline import targets_for
from model.calibration.simulate import stats_of
from model.calibration.targets import Distance
from model.observed import load_observed
from model.seeds import refine_seeds, replication_seeds
from tests.calibration_fakes import TINY

JEMBER_BEST, KEDIRI_BEST = 0.42, 0.61
YEARS = range(2018, 2024)


def _observed(region: str, indicator: str) -> dict[int, float]:
    obs = load_observed()
    rows = obs[(obs["region"] == region) & (obs["indicator"] == indicator)]
    return {int(y): float(v) for y, v in zip(rows["year"], rows["value"], strict=True)}


JEMBER_IPP = _observed("Kabupaten Jember", "IPP_index")
KEDIRI_SPBE = _observed("Kota Kediri", "SPBE_index")
KEDIRI_IKM = _observed("Kota Kediri", "IKM")


def stand_in(config, theta, hypothesis, seeds, regions=None):
    """Replication means of the stand-in (no randomness: every seed gives the same)."""
    out = {}
    for region in regions or ("jember", "kediri"):
        if region == "jember":
            shift = 10.0 * (theta["jember.policy.0.shares.interface"] - JEMBER_BEST)
            ipp = [JEMBER_IPP.get(y, 3.5) + shift for y in YEARS]
            out[region] = pd.DataFrame({"year": list(YEARS), "spbe": 1.99, "ipp": ipp,
                                        "ikm": 3.5})
        else:
            shift = 5.0 * (theta["kediri.initial.regulation"] - KEDIRI_BEST)
            spbe = [KEDIRI_SPBE.get(y, 3.3) + shift for y in YEARS]
            ikm = [KEDIRI_IKM.get(y, 3.5) for y in YEARS]
            out[region] = pd.DataFrame({"year": list(YEARS), "spbe": spbe, "ipp": 4.0,
                                        "ikm": ikm})
    return out


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setattr(refine, "mean_frames", stand_in)
    path = tmp_path / "cal.toml"
    path.write_text(TINY.replace("de_popsize = 2\n", "de_popsize = 2\nrefine_candidates = 3\n"
                                 "refine_replications = 2\nrefine_maxiter = 30\n"
                                 "refine_popsize = 10\n"), encoding="utf-8")
    return load_config(path)


def _posterior(rows):
    """A posterior sample of the file's one hypothesis (``model``)."""
    post = pd.DataFrame(rows)
    post["hypothesis"] = "model"
    post["weight"] = 1.0 / len(post)
    return post


def _distance(config, theta):
    return Distance(targets_for(config))(stats_of(stand_in(config, theta, None, [0])))


def test_regions_move_to_the_known_minimum(config):
    post = _posterior([
        {"ikm_expectation": 0.1, "ipp_leniency_from_2022": 1.0,
         "jember.policy.0.shares.interface": 0.15, "kediri.initial.regulation": 0.25,
         "distance": 5.0},
        {"ikm_expectation": 0.1, "ipp_leniency_from_2022": 1.0,
         "jember.policy.0.shares.interface": 0.48, "kediri.initial.regulation": 0.75,
         "distance": 6.0},
    ])
    r = refine.refine_point(config, post, "model", targets_for(config), workers=1)
    assert r.point["jember.policy.0.shares.interface"] == pytest.approx(JEMBER_BEST, abs=0.01)
    assert r.point["kediri.initial.regulation"] == pytest.approx(KEDIRI_BEST, abs=0.01)
    assert r.distance < r.start_distance
    assert r.distance == pytest.approx(_distance(config, r.point))
    # the shared behaviour is the start particle's, untouched
    assert r.point["ikm_expectation"] == post.loc[r.start_index, "ikm_expectation"]


def test_start_is_the_best_replicated_fit_not_the_best_abc_distance(config):
    """With no search, the point is the candidate whose replication means fit best, though
    another has the smaller (single-replication) ABC distance."""
    config = dataclasses.replace(
        config, settings=dataclasses.replace(config.settings, refine_maxiter=0))
    far = {"jember.policy.0.shares.interface": 0.2, "kediri.initial.regulation": 0.3}
    near = {"jember.policy.0.shares.interface": 0.40, "kediri.initial.regulation": 0.6}
    post = _posterior([{"ikm_expectation": 0.1, "ipp_leniency_from_2022": 1.0, **far,
                        "distance": 1.0},
                       {"ikm_expectation": 0.1, "ipp_leniency_from_2022": 1.0, **near,
                        "distance": 2.0}])
    r = refine.refine_point(config, post, "model", targets_for(config), workers=1)
    assert r.start_index == 1
    assert r.point["kediri.initial.regulation"] == near["kediri.initial.regulation"]
    assert r.distance == r.start_distance


def test_search_stays_inside_the_priors(config):
    post = _posterior([{"ikm_expectation": 0.1, "ipp_leniency_from_2022": 1.0,
                        "jember.policy.0.shares.interface": 0.11,
                        "kediri.initial.regulation": 0.21, "distance": 1.0}])
    # move the known minimum of Kediri outside its prior (0.2-0.8): the search ends at the edge
    global KEDIRI_BEST
    saved, KEDIRI_BEST = KEDIRI_BEST, 0.95
    try:
        r = refine.refine_point(config, post, "model", targets_for(config), workers=1)
    finally:
        KEDIRI_BEST = saved
    assert 0.2 <= r.point["kediri.initial.regulation"] <= 0.8
    assert r.point["kediri.initial.regulation"] == pytest.approx(0.8, abs=0.02)


def test_refine_seeds_are_not_the_point_checks():
    """The point check (replication seeds of the master) is out of sample for the seeds the
    point was chosen on."""
    a, b = refine_seeds(20240101, 20), replication_seeds(20240101, 20)
    assert len(set(a)) == 20 and not set(a) & set(b)
    assert refine_seeds(20240101, 3) == a[:3]
    assert np.all(np.array(a) >= 0)


def test_the_same_point_with_any_number_of_workers(config):
    """The folder rewrite runs with other workers than the calibration: the search must not
    depend on them."""
    post = _posterior([{"ikm_expectation": 0.1, "ipp_leniency_from_2022": 1.0,
                        "jember.policy.0.shares.interface": 0.15,
                        "kediri.initial.regulation": 0.25, "distance": 1.0}])
    one = refine.refine_point(config, post, "model", targets_for(config), workers=1)
    two = refine.refine_point(config, post, "model", targets_for(config), workers=2)
    assert one.point == two.point and one.distance == two.distance

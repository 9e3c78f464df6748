"""Targets, tolerances, the distance, the uncertain-year readings and the pattern facts:
known answers on hand-made statistics (no simulation)."""

import math

import pandas as pd
import pytest

from model.calibration.targets import (
    SHARED_LEVEL,
    Distance,
    Target,
    best_reading,
    build_targets,
    decimals_of,
    pattern_facts,
    sigma_for,
    synthetic_targets,
)

REGIONS = {"jember": "Kabupaten Jember", "kediri": "Kota Kediri"}


def test_decimals_and_sigma_known_answers():
    assert decimals_of("3.6") == 1
    assert decimals_of("3.06") == 2
    assert decimals_of("90") == 0
    # high confidence, two decimals: sqrt(0.05^2 + (0.005/sqrt 3)^2)
    assert sigma_for("high", 2) == pytest.approx(math.sqrt(0.05**2 + 0.005**2 / 3))
    # a value rounded to one decimal is looser than the same value to two
    assert sigma_for("medium", 1) > sigma_for("medium", 2)
    assert sigma_for("medium", 1) == pytest.approx(math.sqrt(0.1**2 + 0.05**2 / 3))


def test_targets_from_observed_file():
    targets = build_targets(REGIONS, (2018, 2023))
    labels = {t.label for t in targets}
    assert {"jember.spbe.2022", "kediri.spbe.2021", "kediri.spbe.2023", "jember.ipp.2021",
            "jember.ipp.2022", "jember.ipp.2023", "kediri.ikm.2020", "kediri.ikm.2023",
            "national.spbe.2022"} <= labels
    assert not any("Lumajang" in t.region for t in targets)
    k23 = next(t for t in targets if t.label == "kediri.spbe.2023")
    assert k23.decimals == 1 and k23.value == 3.6
    unsure = sorted(t.year for t in targets if t.uncertain)
    assert unsure == [2019, 2020]
    assert next(t for t in targets if t.label == "kediri.spbe.2019").candidate_years() == (
        2019, 2018)


def test_years_window_drops_points_outside():
    targets = build_targets(REGIONS, (2021, 2023))
    assert not any(t.uncertain for t in targets)  # 2018-2020 candidates all outside
    assert all(2021 <= t.year <= 2023 for t in targets)


def _stats(**over):
    s = {}
    for y in range(2018, 2024):
        s.update({f"jember.spbe.{y}": 2.0, f"jember.ipp.{y}": 3.0, f"jember.ikm.{y}": 3.3,
                  f"kediri.spbe.{y}": 3.2, f"kediri.ipp.{y}": 3.5, f"kediri.ikm.{y}": 3.5})
    s.update({k.replace("_", "."): v for k, v in over.items()})
    return s


def test_distance_zero_on_synthetic_data_and_known_value():
    targets = build_targets(REGIONS, (2018, 2023))
    stats = _stats()
    synth = synthetic_targets(targets, stats)
    assert Distance(synth)(stats) == pytest.approx(0.0, abs=1e-12)
    # move one exact point by 2 sigma: RMS = sqrt(4 / n_terms)
    t = next(t for t in synth if t.label == "jember.ipp.2022")
    moved = dict(stats, **{"jember.ipp.2022": stats["jember.ipp.2022"] + 2 * t.sigma})
    assert Distance(synth)(moved) == pytest.approx(math.sqrt(4 / len(synth)))
    assert Distance(synth)({}) == math.inf  # missing statistics never pass


def test_shared_level_series_known_answers():
    """Kediri's four IKM points share a level: with covariance a*J + b*I (a the level's
    variance, b the year-to-year one), a common shift d costs n*d^2/(b + n*a) and errors
    summing to zero cost their sum of squares over b."""
    targets = build_targets(REGIONS, (2018, 2023))
    stats = _stats()
    synth = synthetic_targets(targets, stats)
    ikm = [t for t in synth if t.index == "ikm"]
    assert [t.year for t in ikm] == [2020, 2021, 2022, 2023]
    sigma, b = ikm[0].sigma, SHARED_LEVEL["ikm"] ** 2
    a = sigma**2 - b
    dist = Distance(synth)
    n_terms = len(synth)

    def cost(errors):
        moved = dict(stats, **{f"kediri.ikm.{y}": stats[f"kediri.ikm.{y}"] + e
                               for y, e in zip(range(2020, 2024), errors, strict=True)})
        return dist(moved) ** 2 * n_terms

    assert cost([0.05] * 4) == pytest.approx(4 * 0.05**2 / (b + 4 * a))
    trend = [-0.03, -0.01, 0.01, 0.03]
    assert cost(trend) == pytest.approx(sum(e**2 for e in trend) / b)
    # one point alone: more than independent errors would charge (sigma^2), since the other
    # years say the level is right
    assert cost([0.05, 0, 0, 0]) > 0.05**2 / sigma**2
    # the same trend costs far more than with independent errors
    assert cost(trend) > 5 * sum(e**2 for e in trend) / sigma**2


def test_uncertain_pair_takes_the_closer_joint_reading():
    pair = [Target("kediri", "spbe", 2019, 2.61, 0.1, "medium", 2, True),
            Target("kediri", "spbe", 2020, 3.49, 0.1, "medium", 2, True)]
    # publication-year reading fits exactly: 2018 = 2.61, 2019 = 3.49
    stats = {"kediri.spbe.2018": 2.61, "kediri.spbe.2019": 3.49, "kediri.spbe.2020": 3.0}
    shift, ss = best_reading(stats, pair)
    assert shift == 1 and ss == pytest.approx(0.0)
    # labelled reading: 2019 = 2.61, 2020 = 3.49
    stats = {"kediri.spbe.2018": 2.0, "kediri.spbe.2019": 2.61, "kediri.spbe.2020": 3.49}
    assert best_reading(stats, pair) == (0, pytest.approx(0.0))
    # readings are joint: mixing (2018 for one, 2020 for the other) is not allowed
    stats = {"kediri.spbe.2018": 2.61, "kediri.spbe.2019": 0.0, "kediri.spbe.2020": 3.49}
    shift, ss = best_reading(stats, pair)
    assert shift == 0 and ss == pytest.approx((2.61 / 0.1) ** 2)  # not 0 (the mixed reading)


def test_pattern_facts_known_cases():
    good = _stats(kediri_spbe_2022=3.3, jember_spbe_2022=2.0, jember_ipp_2021=3.2,
                  jember_ipp_2023=4.5, kediri_spbe_2021=3.1, kediri_spbe_2023=3.6)
    assert pattern_facts(good) == {"kediri_spbe_above_jember": True,
                                   "jember_ipp_rises_spbe_low": True,
                                   "kediri_ikm_flat_spbe_rises": True}
    facts = pattern_facts(dict(good, **{"kediri.spbe.2022": 2.9}))
    assert not facts["kediri_spbe_above_jember"]
    facts = pattern_facts(dict(good, **{"jember.spbe.2023": 2.7}))  # SPBE no longer low
    assert not facts["jember_ipp_rises_spbe_low"]
    facts = pattern_facts(dict(good, **{"kediri.ikm.2023": 3.65}))  # IKM moved 0.15
    assert not facts["kediri_ikm_flat_spbe_rises"]
    facts = pattern_facts(dict(good, **{"kediri.spbe.2023": 3.3}))  # SPBE rose only 0.2
    assert not facts["kediri_ikm_flat_spbe_rises"]


def test_observed_frame_can_be_injected():
    obs = pd.DataFrame({"region": ["Kota Kediri"], "year": [2021], "index": ["ikm"],
                        "value": [3.5], "confidence": ["low"], "indicator": ["IKM"],
                        "year_uncertain": [False], "source_url": [""]})
    raw = pd.DataFrame({"region": ["Kota Kediri"], "year": [2021], "indicator": ["IKM"],
                        "value": ["3.5"], "confidence": ["low"]})
    (t,) = build_targets(REGIONS, (2018, 2023), observed=obs, raw=raw)
    assert t.sigma == pytest.approx(math.sqrt(0.2**2 + 0.05**2 / 3))

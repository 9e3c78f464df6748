"""model.assessment: bands at their published edges, weights, the method change, noise."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.assessment import (
    IPP_WEIGHTS,
    SPBE_WEIGHTS,
    YearState,
    assess,
    ikm_category,
    ipp_aspects,
    ipp_grade,
    spbe_domains,
    spbe_official_round,
    spbe_predikat,
    weighted_index,
)


def _state(year: int = 2022, level: float = 0.5, **kw) -> YearState:
    stocks = {c: level for c in ("apps", "competency", "connectivity", "regulation",
                                 "interface", "capital")}
    base = dict(year=year, stocks=stocks, integration=level, staff_digital=level,
                staff_service=level, counter_success=level, counter_clean=level,
                complaints=100.0, answered=100.0 * level, innovation=0.0, mpp_open=False,
                mean_satisfaction=level)
    return YearState(**(base | kw))


# Bands (DOMAIN.md): SPBE Memuaskan >= 4.2; Sangat Baik 3.5-<4.2; Baik 2.6-<3.5;
# Cukup 1.8-<2.6; Kurang < 1.8.
@pytest.mark.parametrize(("score", "label"), [
    (5.0, "Memuaskan"), (4.2, "Memuaskan"), (4.19, "Sangat Baik"), (3.5, "Sangat Baik"),
    (3.49, "Baik"), (2.6, "Baik"), (2.59, "Cukup"), (1.8, "Cukup"), (1.79, "Kurang"),
    (1.0, "Kurang"),
    (1.99, "Cukup"),  # Jember 2022
    (3.06, "Baik"),  # Kediri 2021
    (3.6, "Sangat Baik"),  # Kediri 2023
])
def test_spbe_predikat_edges(score, label):
    assert spbe_predikat(score) == label


def test_spbe_predikat_uses_the_published_two_decimals():
    # Scores are published to two decimals: 4.1996 is announced as 4.20.
    assert spbe_predikat(4.1996) == "Memuaskan"
    assert spbe_predikat(4.194) == "Sangat Baik"


# IPP grades (DOMAIN.md): A 4.51-5.00, A- 4.01-4.50, B 3.51-4.00, B- 3.01-3.50, C 2.51-3.00,
# C- 2.01-2.50, D 1.51-2.00, E 1.00-1.50.
@pytest.mark.parametrize(("score", "grade"), [
    (5.0, "A"), (4.51, "A"), (4.50, "A-"), (4.01, "A-"), (4.00, "B"), (3.51, "B"),
    (3.50, "B-"), (3.01, "B-"), (3.00, "C"), (2.51, "C"), (2.50, "C-"), (2.01, "C-"),
    (2.00, "D"), (1.51, "D"), (1.50, "E"), (1.00, "E"),
    (3.19, "B-"), (3.88, "B"),  # Jember 2021, 2022 as published
])
def test_ipp_grade_edges(score, grade):
    assert ipp_grade(score) == grade


def test_ipp_grade_between_published_steps_rounds_to_two_decimals():
    assert ipp_grade(4.5049) == "A-"
    assert ipp_grade(4.5051) == "A"


# IKM (DOMAIN.md, PermenPAN-RB 14/2017): about 3.07-3.53 Baik, >= 3.54 Sangat Baik.
@pytest.mark.parametrize(("score", "label"), [
    (4.0, "Sangat Baik"), (3.54, "Sangat Baik"), (3.53, "Baik"), (3.49, "Baik"),
    (3.07, "Baik"), (3.0, "Kurang Baik"), (2.5, "Tidak Baik"), (1.0, "Tidak Baik"),
])
def test_ikm_category(score, label):
    assert ikm_category(score) == label


def test_official_rounds():
    assert [spbe_official_round(y) for y in range(2017, 2027)] == [
        False, True, True, False, True, True, True, True, True, True]


def test_weights_sum_to_one_and_match_domain_md():
    assert sum(SPBE_WEIGHTS.values()) == pytest.approx(1.0)
    assert sum(IPP_WEIGHTS.values()) == pytest.approx(1.0)
    assert SPBE_WEIGHTS == {"kebijakan": 0.13, "tata_kelola": 0.25, "manajemen": 0.165,
                            "layanan": 0.455}
    assert IPP_WEIGHTS == {"policy": 0.24, "professionalism": 0.25, "facilities": 0.18,
                           "information": 0.11, "complaints": 0.10, "innovation": 0.12}


@pytest.mark.parametrize("weights", [SPBE_WEIGHTS, IPP_WEIGHTS])
def test_weighted_index_known_answers(weights):
    assert weighted_index(dict.fromkeys(weights, 0.0), weights) == pytest.approx(1.0)
    assert weighted_index(dict.fromkeys(weights, 1.0), weights) == pytest.approx(5.0)
    assert weighted_index(dict.fromkeys(weights, 0.5), weights) == pytest.approx(3.0)
    for key, w in weights.items():
        one_hot = dict.fromkeys(weights, 0.0) | {key: 1.0}
        assert weighted_index(one_hot, weights) == pytest.approx(1.0 + 4.0 * w)


def test_weighted_index_hand_computed_spbe():
    parts = {"kebijakan": 0.2, "tata_kelola": 0.4, "manajemen": 0.6, "layanan": 0.8}
    expected = 1 + 4 * (0.13 * 0.2 + 0.25 * 0.4 + 0.165 * 0.6 + 0.455 * 0.8)
    assert weighted_index(parts, SPBE_WEIGHTS) == pytest.approx(expected)


def test_domains_and_aspects_stay_in_unit_interval():
    rng = np.random.default_rng(3)
    for _ in range(200):
        lv = rng.random(6)
        st = _state(stocks=dict(zip(("apps", "competency", "connectivity", "regulation",
                                     "interface", "capital"), lv, strict=True)),
                    integration=rng.random(), staff_digital=rng.random(),
                    staff_service=rng.random(), counter_success=rng.random(),
                    counter_clean=rng.random(), innovation=rng.exponential(),
                    mpp_open=bool(rng.integers(2)))
        for v in (*spbe_domains(st).values(), *ipp_aspects(st, 0.5).values()):
            assert 0.0 <= v <= 1.0


def test_layanan_needs_integration_and_apps():
    assert spbe_domains(_state(stocks=dict.fromkeys(
        ("apps", "competency", "connectivity", "regulation", "interface", "capital"), 0.8),
        integration=0.0))["layanan"] == pytest.approx(0.4)
    assert spbe_domains(_state(level=0.8, integration=1.0))["layanan"] == pytest.approx(0.8)


def test_mpp_improves_facilities_and_answers_improve_complaints():
    closed, open_ = _state(mpp_open=False), _state(mpp_open=True)
    f = 0.5
    assert ipp_aspects(open_, f)["facilities"] == pytest.approx(1 - 0.5 * (1 - f))
    assert ipp_aspects(closed, f)["facilities"] == pytest.approx(0.5)
    none = ipp_aspects(_state(answered=0.0), f)["complaints"]
    all_ = ipp_aspects(_state(answered=100.0), f)["complaints"]
    assert all_ - none == pytest.approx(0.5)
    # with no complaints at all, answering is read off the interface stock
    assert ipp_aspects(_state(complaints=0.0, answered=0.0), f)["complaints"] == pytest.approx(0.5)


def test_spbe_method_factor_applies_before_2021(quiet_behaviour):
    rng = np.random.default_rng(0)
    new = assess(_state(2021), quiet_behaviour, rng)["spbe"]
    old = assess(_state(2020), quiet_behaviour, rng)["spbe"]
    factor = quiet_behaviour.spbe_pre2021_factor
    assert old - 1.0 == pytest.approx(factor * (new - 1.0))
    assert assess(_state(2022), quiet_behaviour, rng)["spbe"] == pytest.approx(new)


def test_first_round_factor_applies_to_2018_only(quiet_behaviour):
    bh = dataclasses.replace(quiet_behaviour, spbe_pre2021_factor=1.2,
                             spbe_first_round_factor=0.8)
    rng = np.random.default_rng(0)
    new = assess(_state(2021), bh, rng)["spbe"]
    assert assess(_state(2019), bh, rng)["spbe"] - 1.0 == pytest.approx(1.2 * (new - 1.0))
    assert assess(_state(2018), bh, rng)["spbe"] - 1.0 == pytest.approx(0.96 * (new - 1.0))
    # IPP and IKM are not SPBE rounds: untouched
    for key in ("ipp", "ikm"):
        assert assess(_state(2018), bh, rng)[key] == pytest.approx(
            assess(_state(2019), bh, rng)[key])


def test_ipp_method_factor_applies_from_2023(quiet_behaviour):
    bh = dataclasses.replace(quiet_behaviour, ipp_factor_from_2023=1.2)
    rng = np.random.default_rng(0)
    old = assess(_state(2022), bh, rng)["ipp"]
    new = assess(_state(2023), bh, rng)["ipp"]
    assert new - 1.0 == pytest.approx(1.2 * (old - 1.0))
    assert assess(_state(2030), bh, rng)["ipp"] == pytest.approx(new)
    assert assess(_state(2018), bh, rng)["ipp"] == pytest.approx(old)


def test_assess_without_noise_is_the_weighted_index(quiet_behaviour):
    s = _state(2022, level=0.6, innovation=0.7, mpp_open=True)
    out = assess(s, quiet_behaviour, np.random.default_rng(0))
    assert out["spbe"] == pytest.approx(weighted_index(spbe_domains(s), SPBE_WEIGHTS))
    aspects = ipp_aspects(s, quiet_behaviour.mpp_facility_effect)
    assert out["ipp"] == pytest.approx(weighted_index(aspects, IPP_WEIGHTS))
    assert out["ipp_innovation"] == pytest.approx(1 - np.exp(-0.7))
    assert out["spbe_predikat"] == spbe_predikat(out["spbe"])
    assert out["ipp_grade"] == ipp_grade(out["ipp"])
    assert out["spbe_official_round"] is True
    assert out["ikm_category"] == ikm_category(out["ikm"])


@pytest.mark.parametrize(("sat", "expected"), [(0.0, None), (1.0, 4.0), (0.5, None)])
def test_ikm_from_satisfaction(quiet_behaviour, sat, expected):
    f = quiet_behaviour.ikm_expectation
    out = assess(_state(mean_satisfaction=sat), quiet_behaviour, np.random.default_rng(0))
    assert out["ikm"] == pytest.approx(expected or 1.0 + 3.0 * (f + (1.0 - f) * sat))
    assert 1.0 <= out["ikm"] <= 4.0


def test_indices_are_clipped_to_their_scales(quiet_behaviour):
    loud = dataclasses.replace(quiet_behaviour, spbe_assessor_sd=1.0, ipp_assessor_sd=1.0)
    rng = np.random.default_rng(11)
    for level in (0.0, 1.0):
        for _ in range(50):
            out = assess(_state(level=level, innovation=50.0 * level), loud, rng)
            assert 1.0 <= out["spbe"] <= 5.0 and 1.0 <= out["ipp"] <= 5.0


def test_assessor_noise_has_the_declared_spread(quiet_behaviour):
    """2,000 seeded evaluations of one state: sample sd within 5% of the declared sd
    (the sd of a sample sd of n=2000 normals is about 1.6%), mean within 4 standard errors."""
    sd = 0.2
    bh = dataclasses.replace(quiet_behaviour, spbe_assessor_sd=sd, ipp_assessor_sd=sd)
    s = _state(2023)
    true = assess(s, quiet_behaviour, np.random.default_rng(0))
    rng = np.random.default_rng(2024)
    draws = np.array([[o["spbe"], o["ipp"]] for o in (assess(s, bh, rng) for _ in range(2000))])
    for j, key in enumerate(("spbe", "ipp")):
        assert draws[:, j].std(ddof=1) == pytest.approx(sd, rel=0.05)
        assert abs(draws[:, j].mean() - true[key]) < 4 * sd / np.sqrt(2000)

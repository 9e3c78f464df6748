"""model.assessment and model.rules: each index scored by its rule, from the states assessors read.

Known answers come from the regulations' numbers (DOMAIN.md), typed here from the rule, not
read from the implementation: IPP weights 24/25/18/11/10/12 (29/2022), evaluator 75% and user
survey 25%, grades A 4.51-5.00 ... F <= 1.00; SPBE domain weights 13/25/16.5/45.5 (59/2020);
Pemdi weights 10/10/15/15/10/15/25 and its bands (8/2026); IKM: nine elements, each 1-4,
averaged (14/2017).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from model import rules
from model.assessment import (
    YearState,
    YearTally,
    assess,
    ipp_unit_aspects,
    spbe_domains,
    spbe_score,
    survey_mean,
    weighted_index,
    within,
)
from model.citizens import Outcomes
from model.rules import (
    IKM_ELEMENTS,
    IPP_WEIGHTS,
    PEMDI_WEIGHTS,
    SPBE_WEIGHTS,
    ikm_category,
    ipp_grade,
    pemdi_predikat,
    spbe_official_round,
    spbe_predikat,
)

# --- the rules' numbers --------------------------------------------------------------------


def test_ipp_weights_are_those_of_29_2022():
    """29/2022's six aspects, as the regulation states them: 24 / 25 / 18 / 11 / 10 / 12 per
    cent, which total 100, with professionalism (25) weighing most and complaints (10)
    least."""
    assert IPP_WEIGHTS == pytest.approx({"policy": 0.24, "professionalism": 0.25,
                                         "facilities": 0.18, "information": 0.11,
                                         "complaints": 0.10, "innovation": 0.12})
    assert sum(IPP_WEIGHTS.values()) == pytest.approx(1.0)
    assert max(IPP_WEIGHTS, key=IPP_WEIGHTS.get) == "professionalism"
    assert min(IPP_WEIGHTS, key=IPP_WEIGHTS.get) == "complaints"


def _documented_percentages(after: str) -> list[float]:
    """The ``a / b / ...`` per-cent list after ``after`` in model/rules.py's documentation."""
    text = " ".join(rules.__doc__.split())
    m = re.search(re.escape(after) + r" ([0-9.]+(?: / [0-9.]+)+)", text)
    assert m, after
    return [float(x) / 100 for x in m.group(1).split("/")]


def test_the_weights_are_the_ones_the_rules_documentation_cites():
    # The weights and the regulation's numbers cited beside them (with their sources) in the
    # rules module's documentation must agree, in the regulation's order.
    assert list(IPP_WEIGHTS.values()) == pytest.approx(
        _documented_percentages("six aspects weighted"))
    assert list(SPBE_WEIGHTS.values()) == pytest.approx(
        _documented_percentages("four domains weighted"))
    assert list(PEMDI_WEIGHTS.values()) == pytest.approx(
        _documented_percentages("seven aspects weighted"))
    for weights in (IPP_WEIGHTS, SPBE_WEIGHTS, PEMDI_WEIGHTS):
        assert sum(weights.values()) == pytest.approx(1.0)


def test_spbe_and_pemdi_weights_are_those_of_their_rules():
    assert SPBE_WEIGHTS == pytest.approx({"kebijakan": 0.13, "tata_kelola": 0.25,
                                          "manajemen": 0.165, "layanan": 0.455})
    assert sorted(PEMDI_WEIGHTS.values()) == pytest.approx(sorted(
        [0.10, 0.10, 0.15, 0.15, 0.10, 0.15, 0.25]))
    assert PEMDI_WEIGHTS["kepuasan"] == pytest.approx(0.25)  # user satisfaction, 25


@pytest.mark.parametrize(("score", "label"), [
    (5.0, "Memuaskan"), (4.2, "Memuaskan"), (4.19, "Sangat Baik"), (3.5, "Sangat Baik"),
    (3.49, "Baik"), (2.6, "Baik"), (2.59, "Cukup"), (1.8, "Cukup"), (1.79, "Kurang"),
    (1.99, "Cukup"),  # Jember 2022, reported as Cukup
    (3.06, "Baik"),  # Kediri 2021, reported as Baik
])
def test_spbe_predikat_edges(score, label):
    assert spbe_predikat(score) == label


@pytest.mark.parametrize(("score", "grade"), [
    (5.0, "A"), (4.51, "A"), (4.50, "A-"), (4.01, "A-"), (4.00, "B"), (3.51, "B"),
    (3.50, "B-"), (3.01, "B-"), (3.00, "C"), (2.51, "C"), (2.50, "C-"), (2.01, "C-"),
    (2.00, "D"), (1.51, "D"), (1.50, "E"), (1.01, "E"), (1.00, "F"),
    (3.19, "B-"), (3.88, "B"), (4.51, "A"),  # Jember 2021-2023 as published
])
def test_ipp_grade_edges(score, grade):
    assert ipp_grade(score) == grade


@pytest.mark.parametrize(("score", "label"), [
    (1.0, "Kurang"), (1.49, "Kurang"), (1.5, "Cukup"), (2.49, "Cukup"), (2.5, "Baik"),
    (3.49, "Baik"), (3.5, "Sangat Baik"), (3.99, "Sangat Baik"), (4.0, "Memuaskan"),
])
def test_pemdi_predikat_edges(score, label):
    assert pemdi_predikat(score) == label


@pytest.mark.parametrize(("score", "label"), [
    (3.49, "Baik"), (3.54, "Sangat Baik"), (3.0644, "Baik"), (3.0643, "Kurang Baik"),
    (2.60, "Kurang Baik"), (2.5996, "Tidak Baik"),
])
def test_ikm_category(score, label):
    assert ikm_category(score) == label


def test_official_rounds():
    """SPBE rounds 2018, 2019, 2021-2025 (none in 2020); from 2026 PermenPAN-RB 8/2026 revokes
    59/2020 and Pemdi replaces SPBE, so there is no SPBE round."""
    assert not spbe_official_round(2020)
    assert all(spbe_official_round(y) for y in (2018, 2019, 2021, 2025))
    assert not any(spbe_official_round(y) for y in (2017, 2026, 2030))


def test_weighted_index_spans_one_to_five():
    for weights in (IPP_WEIGHTS, SPBE_WEIGHTS, PEMDI_WEIGHTS):
        assert weighted_index(dict.fromkeys(weights, 0.0), weights) == pytest.approx(1.0)
        assert weighted_index(dict.fromkeys(weights, 1.0), weights) == pytest.approx(5.0)
    # professionalism alone at full marks: 1 + 4 * 0.25
    parts = dict.fromkeys(IPP_WEIGHTS, 0.0) | {"professionalism": 1.0}
    assert weighted_index(parts, IPP_WEIGHTS) == pytest.approx(2.0)


def test_spbe_before_2021_has_no_management_domain(quiet_behaviour):
    # Three domains at full marks, management at zero: 59/2020 loses its 16.5%, 5/2018 has no
    # management domain at all.
    bh = dataclasses.replace(quiet_behaviour, spbe_pre2021_factor=1.0,
                             spbe_first_round_factor=1.0, spbe_new_method_factor=1.0)
    domains = {"kebijakan": 1.0, "tata_kelola": 1.0, "manajemen": 0.0, "layanan": 1.0}
    assert spbe_score(domains, 2021, bh) == pytest.approx(1 + 4 * (1 - 0.165))
    assert spbe_score(domains, 2019, bh) == pytest.approx(5.0)


def test_spbe_measurement_hypotheses_act_only_where_their_rule_did(quiet_behaviour):
    bh = dataclasses.replace(quiet_behaviour, spbe_pre2021_factor=1.2,
                             spbe_first_round_factor=0.5, spbe_new_method_factor=1.0)
    domains = dict.fromkeys(SPBE_WEIGHTS, 0.5)
    plain = 1 + 4 * 0.5
    assert spbe_score(domains, 2021, bh) == pytest.approx(plain)
    assert spbe_score(domains, 2019, bh) == pytest.approx(1 + (plain - 1) * 1.2)
    assert spbe_score(domains, 2018, bh) == pytest.approx(1 + (plain - 1) * 1.2 * 0.5)


def test_new_method_discount_closes_round_by_round(quiet_behaviour):
    # The first 59/2020 round at half credit, half of what remains learned per round: credits
    # 1/2, 3/4, 7/8 of the score above the floor in 2021-2023; the 5/2018 years untouched.
    bh = dataclasses.replace(quiet_behaviour, spbe_pre2021_factor=1.0,
                             spbe_first_round_factor=1.0, spbe_new_method_factor=0.5,
                             spbe_evidence_learning_per_round=0.5)
    domains = dict.fromkeys(SPBE_WEIGHTS, 0.5)
    for year, credit in ((2021, 0.5), (2022, 0.75), (2023, 0.875)):
        assert spbe_score(domains, year, bh) == pytest.approx(1 + 4 * 0.5 * credit)
    plain = dataclasses.replace(bh, spbe_new_method_factor=1.0)
    assert spbe_score(domains, 2019, bh) == spbe_score(domains, 2019, plain)
    # at a factor of 1 the learning rate changes nothing
    assert spbe_score(domains, 2021, plain) == pytest.approx(1 + 4 * 0.5)


# --- a synthetic year ------------------------------------------------------------------------

N_UNITS = 4


def _outcomes(n_per_unit: int = 50, *, success=True, maladmin=False, complained=False,
              answered=False, wait=1.0, skill=0.6, integrity=0.7, element=0.5,
              online=False) -> Outcomes:
    k = n_per_unit * N_UNITS
    full = lambda v, dt=float: np.full(k, v, dtype=dt)  # noqa: E731
    return Outcomes(unit=np.repeat(np.arange(N_UNITS), n_per_unit), staff=np.zeros(k, int),
                    counter=full(not online, bool), online=full(online, bool),
                    success=full(success, bool), maladmin=full(maladmin, bool),
                    complained=full(complained, bool), answered=full(answered, bool),
                    wait=full(wait), skill=full(skill), integrity=full(integrity),
                    elements=np.full((k, len(IKM_ELEMENTS)), element), answer=full(element))


def _state(tally: YearTally, year: int = 2023, level: float = 0.5, **kw) -> YearState:
    stocks = dict.fromkeys(("apps", "competency", "connectivity", "regulation", "interface",
                            "capital"), level)
    base = dict(year=year, stocks=stocks, integration=level, staff_digital=level,
                complaint_channel=level, facilities=np.full(N_UNITS, level),
                online_offer=np.full(N_UNITS, level), demand_share=np.full(N_UNITS, 0.25),
                innovation=np.zeros(N_UNITS), ipp_units=(0, 1, 2), tally=tally)
    return YearState(**(base | kw))


def _tally(months: int = 12, overload: float = 0.0, on_time: float = 1.0, **kw) -> YearTally:
    t = YearTally(N_UNITS)
    for _ in range(months):
        t.add_month(_outcomes(**kw), np.full(N_UNITS, 5.0), np.full(N_UNITS, overload),
                    np.full(N_UNITS, on_time))
    return t


def test_within_is_the_exponential_chance_of_meeting_the_standard():
    assert within(5.0, 5.0) == pytest.approx(1 - np.exp(-1))
    assert within(10.0, 1e-12) == pytest.approx(1.0)
    assert within(1.0, 1e9) == pytest.approx(0.0, abs=1e-8)


def test_professionalism_reads_the_staff_who_served_and_whether_they_sufficed():
    # skill 0.6, integrity 0.7, not overloaded, every request on time (wait << standard):
    # the mean of the four readings.
    t = _tally(wait=1e-9, skill=0.6, integrity=0.7, overload=0.0)
    prof = ipp_unit_aspects(_state(t))["professionalism"]
    assert prof == pytest.approx(np.full(N_UNITS, (0.6 + 0.7 + 1.0 + 1.0) / 4))
    # overloaded all year (1) and slow (on time with chance 1 - exp(-5/50)): both fall.
    t = _tally(wait=50.0, skill=0.6, integrity=0.7, overload=1.0)
    prof = ipp_unit_aspects(_state(t))["professionalism"]
    assert prof == pytest.approx(np.full(N_UNITS, (0.6 + 0.7 + 0.0
                                                   + (1 - np.exp(-5 / 50))) / 4))


def test_the_skill_of_the_staff_who_served_moves_the_ipp_by_professionalisms_weight(
        quiet_behaviour):
    # Professionalism weighs 25 of 100 (29/2022) and the served staff's skill is one of its
    # four equal readings: skill 0.4 higher everywhere raises each unit's IPP (2021: the
    # evaluator's form alone) by 4 points * 0.25 * 0.4 / 4 = 0.1, and nothing else moves it.
    rng = np.random.default_rng
    low = assess(_state(_tally(skill=0.3), year=2021), quiet_behaviour, rng(0))
    high = assess(_state(_tally(skill=0.7), year=2021), quiet_behaviour, rng(0))
    for unit in ("dukcapil", "dinsos", "rsud"):
        assert high[f"ipp_{unit}"] - low[f"ipp_{unit}"] == pytest.approx(0.1)
    assert high["ipp"] - low["ipp"] == pytest.approx(0.1)


def test_policy_reads_published_standards_and_whether_they_are_kept():
    kept_all = ipp_unit_aspects(_state(_tally(wait=1e-9), level=0.4))["policy"]
    assert kept_all == pytest.approx(np.full(N_UNITS, (0.4 + 1.0) / 2))
    failed = ipp_unit_aspects(_state(_tally(wait=1e-9, success=False), level=0.4))["policy"]
    assert failed == pytest.approx(np.full(N_UNITS, 0.4 / 2))


def test_complaints_read_the_channel_the_share_answered_and_on_time():
    answered = ipp_unit_aspects(_state(_tally(complained=True, answered=True)))["complaints"]
    assert answered == pytest.approx(np.full(N_UNITS, (0.5 + 1.0 + 1.0) / 3))
    ignored = ipp_unit_aspects(_state(_tally(complained=True, answered=False)))["complaints"]
    assert ignored == pytest.approx(np.full(N_UNITS, 0.5 / 3))
    late = ipp_unit_aspects(_state(_tally(complained=True, answered=True, on_time=0.0)))
    assert late["complaints"] == pytest.approx(np.full(N_UNITS, (0.5 + 1.0) / 3))


def test_facilities_are_each_units_own_less_crowding():
    fac = np.array([0.2, 0.9, 0.5, 0.5])
    aspects = ipp_unit_aspects(_state(_tally(overload=0.5), facilities=fac))
    assert aspects["facilities"] == pytest.approx(fac * 0.5)


def test_regional_ipp_is_the_mean_of_the_three_units_and_combines_the_instruments(
        quiet_behaviour):
    rng = np.random.default_rng(0)
    # 50 users a unit a month: 600 a year, more than the survey's sample, so it has
    # sampling error; the answers are all equal, so that error is zero.
    t = _tally(element=0.8)
    out = assess(_state(t, year=2023, facilities=np.array([0.1, 0.5, 0.9, 0.5])),
                 quiet_behaviour, rng)
    units = [out["ipp_dukcapil"], out["ipp_dinsos"], out["ipp_rsud"]]
    assert out["ipp"] == pytest.approx(np.mean(units))
    assert len(set(np.round(units, 9))) == 3  # the units differ by their own facilities
    assert out["ipp_survey"] == pytest.approx(1 + 4 * 0.8)
    assert out["ipp"] == pytest.approx(0.75 * out["ipp_evaluator"] + 0.25 * out["ipp_survey"])


def test_before_2022_the_ipp_is_the_evaluators_form_alone(quiet_behaviour):
    out = assess(_state(_tally(element=0.95), year=2021), quiet_behaviour,
                 np.random.default_rng(0))
    assert out["ipp"] == pytest.approx(out["ipp_evaluator"])
    assert out["ipp_survey"] > out["ipp_evaluator"]  # scored, but not part of the index


def test_residual_ipp_leniency_is_a_hypothesis_off_by_default(quiet_behaviour):
    """Declared off (1); the calibrated default carries it only when the chosen structure
    (``measurement``) estimates it. At 1.1 the form's score above 1 grows by 10%."""
    from model.behaviour import Behaviour
    assert Behaviour().ipp_leniency_from_2022 == 1.0
    off = dataclasses.replace(quiet_behaviour, ipp_leniency_from_2022=1.0)
    rng = np.random.default_rng
    base = assess(_state(_tally()), off, rng(0))["ipp_evaluator"]
    lenient = dataclasses.replace(off, ipp_leniency_from_2022=1.1)
    assert assess(_state(_tally()), lenient, rng(0))["ipp_evaluator"] == pytest.approx(
        1 + (base - 1) * 1.1)


def test_ikm_is_the_mean_of_the_nine_elements_on_the_one_to_four_scale(quiet_behaviour):
    t = YearTally(N_UNITS)
    out = _outcomes()
    out.elements[:] = np.linspace(0.0, 1.0, len(IKM_ELEMENTS))  # element j answers j/8
    t.add_month(out, np.full(N_UNITS, 5.0), np.zeros(N_UNITS), np.ones(N_UNITS))
    res = assess(_state(t), quiet_behaviour, np.random.default_rng(0))
    expected = 1 + 3 * np.linspace(0.0, 1.0, len(IKM_ELEMENTS))
    got = [res[f"ikm_{e}"] for e in IKM_ELEMENTS]
    assert got == pytest.approx(expected)
    assert res["ikm"] == pytest.approx(np.mean(expected))


def test_pemdi_only_from_2026_with_satisfaction_from_online_users(quiet_behaviour):
    rng = np.random.default_rng
    before = assess(_state(_tally(online=True, element=1.0), year=2025), quiet_behaviour,
                    rng(0))
    assert np.isnan(before["pemdi"]) and before["pemdi_predikat"] == ""
    happy = assess(_state(_tally(online=True, element=1.0), year=2026), quiet_behaviour, rng(0))
    sad = assess(_state(_tally(online=True, element=0.0), year=2026), quiet_behaviour, rng(0))
    # user satisfaction weighs 25 of 100: from answers all 0 to all 1 is 4 * 0.25 points
    assert happy["pemdi"] - sad["pemdi"] == pytest.approx(4 * 0.25)
    assert happy["pemdi_predikat"] == pemdi_predikat(happy["pemdi"])


def test_survey_sampling_error_has_the_spread_of_its_sample():
    # 10,000 users answering 0 or 1 half and half (sd 0.5); a sample of 100 has a mean with
    # sd 0.5 / sqrt(100) * sqrt((N - n) / (N - 1)).
    n, resp = 10_000, 100
    rng = np.random.default_rng(4)
    draws = np.array([survey_mean(n, n / 2, n / 2, resp, rng) for _ in range(4000)])
    expected_sd = 0.5 / np.sqrt(resp) * np.sqrt((n - resp) / (n - 1))
    assert draws.mean() == pytest.approx(0.5, abs=4 * expected_sd / np.sqrt(4000))
    assert draws.std(ddof=1) == pytest.approx(expected_sd, rel=0.05)
    # everyone answered: no sampling error
    assert survey_mean(50, 25, 25, resp, rng) == pytest.approx(0.5)


def test_domains_are_the_means_of_their_aspects():
    aspects = {"kebijakan_internal": 0.2, "perencanaan": 0.3, "tik": 0.6, "penyelenggara": 0.9,
               "penerapan_manajemen": 0.4, "audit_tik": 0.8, "layanan_administrasi": 0.1,
               "layanan_publik": 0.5}
    d = spbe_domains(aspects)
    assert d == pytest.approx({"kebijakan": 0.2, "tata_kelola": 0.6, "manajemen": 0.6,
                               "layanan": 0.3})


def test_survey_sampling_error_counts_the_real_users_behind_the_simulated_ones():
    # 400 simulated users standing for 1,000 real ones each: a 100-respondent survey of 400,000
    # users has sampling error; taken as only 400 users it would have less.
    rng = np.random.default_rng(2)
    real = np.array([survey_mean(400, 200, 200, 100, rng, weight=1000.0) for _ in range(3000)])
    few = np.array([survey_mean(400, 200, 200, 100, rng) for _ in range(3000)])
    n = 400_000
    assert real.std(ddof=1) == pytest.approx(0.5 / 10 * np.sqrt((n - 100) / (n - 1)), rel=0.06)
    assert few.std(ddof=1) < 0.9 * real.std(ddof=1)

"""model.citizens: channel choice, assisted digital, outcomes, complaints and their answers,
satisfaction, trust, literacy and the nine survey answers.

A one-unit MonthContext and fixed staff, waits and desks isolate the citizen step from the rest
of the model: :func:`_month` runs the two calls the model makes (``choose_channels``, then
``complete_requests``). Stochastic rules are checked on large seeded samples with tolerances of
4.5 binomial (or Poisson) standard errors, stated in each test; known answers come from the
rule written in the docstring, with the parameters read from (or set on) the behaviour object.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.citizens import ACCUMULATORS, Citizens, MonthContext, Outcomes, Requests
from model.rules import IKM_ELEMENTS, SURVEY

N = 120_000
DEMAND_CUM = np.array([1.0])
WAIT, ONLINE_DAYS, INTER_DAYS = 4.0, 1.0, 2.0
LOGIT = dict(need_rate_per_year=5.0, expectation_weight=0.0,
             online_utility_base=-0.5, online_utility_per_literacy=3.0,
             citizen_confusion_per_fragmentation=1.0, wait_utility_per_day=-0.15,
             rural_travel_utility=-1.0, intermediary_utility_base=-2.5,
             intermediary_utility_per_distrust=2.0)
"""Fixed utilities so that all three channels are used: the tests check the rule, not the
calibrated values."""
SCORE = dict(satisfaction_weight_success=0.5, satisfaction_weight_speed=0.3,
             bad_experience_threshold=0.6)
"""Experience weights under which, with no wait, a request is unhappy exactly when it fails
(success alone scores 0.5 + 0.3 = 0.8; failure without a fee 0.3 + 0.2 = 0.5)."""
ONLY_ONLINE, NO_ONLINE, NO_INTERMEDIARY = 20.0, -20.0, -20.0
"""Utilities far enough from the others' that the channel is (never) chosen: e^-20 ~ 2e-9."""


def _citizens(kediri, urban_share: float, seed: int, literacy: float = 0.5, trust: float = 0.6,
              **behaviour) -> Citizens:
    pop = dataclasses.replace(kediri.population, urban_share=urban_share)
    bh = dataclasses.replace(kediri.behaviour, **(LOGIT | behaviour))
    c = Citizens(pop, bh, N, np.random.default_rng(seed))
    c.literacy[:] = literacy
    c.trust[:] = trust
    return c


def _ctx(n_units: int = 1, **kw) -> MonthContext:
    def per_unit(x: float) -> np.ndarray:
        return np.full(n_units, x)

    base = dict(coverage=np.array([1.0, 1.0]), online_coverage=per_unit(1.0),
                expected_wait=per_unit(WAIT), online_days=per_unit(ONLINE_DAYS),
                intermediary_days=per_unit(INTER_DAYS), travel_relief=per_unit(0.0),
                facilities=per_unit(0.7), assisted=np.array([0.0, 0.0]), fragmentation=0.2,
                regulation=0.5, enforcement=0.0, complaint_channel=1.0, awareness=0.0)
    return MonthContext(**(base | kw))


def _month(c: Citizens, ctx: MonthContext, demand_cum: np.ndarray = DEMAND_CUM,
           skill: float = 0.5, integrity: float = 0.6, excess: float = 0.0,
           wait: float = WAIT, crowding: float = 0.0,
           desks: np.ndarray | float = np.inf) -> tuple[Requests, Outcomes]:
    """One month of requests with every civil servant of the given skill and integrity, and
    per unit the given wait, excess utilisation, crowding and desk capacity (real)."""
    n_units = len(demand_cum)
    req = c.choose_channels(ctx, demand_cum)
    k = len(req.idx)
    out = c.complete_requests(ctx, req, np.zeros(k, dtype=np.intp),
                              np.full(k, skill, dtype=np.float32),
                              np.full(k, integrity, dtype=np.float32),
                              np.full(n_units, wait), np.full(n_units, excess),
                              np.full(n_units, crowding), np.broadcast_to(desks, (n_units,)))
    return req, out


def _channels(req: Requests) -> np.ndarray:
    """0 online, 1 counter, 2 intermediary (failed online attempts count as online choices)."""
    return np.where(req.online, 0, np.where(req.counter, 1, 2))


def _logit(bh, ctx, literacy, trust, urban) -> np.ndarray:
    u_on = (bh.online_utility_base + bh.online_utility_per_literacy * literacy
            - bh.citizen_confusion_per_fragmentation * ctx.fragmentation
            + bh.wait_utility_per_day * ctx.online_days[0])
    u_ct = bh.wait_utility_per_day * ctx.expected_wait[0] + (
        0.0 if urban else bh.rural_travel_utility * (1 - ctx.travel_relief[0]))
    u_in = (bh.intermediary_utility_base + bh.intermediary_utility_per_distrust * (1 - trust)
            + bh.wait_utility_per_day * ctx.intermediary_days[0])
    e = np.exp([u_on, u_ct, u_in])
    return e / e.sum()


def _tolerance(p, k, z: float = 4.5):
    return z * np.sqrt(np.asarray(p) * (1 - np.asarray(p)) / k)


def _p_online_ok(bh, skill: float, fragmentation: float) -> float:
    """The online success rule, unclipped (tests keep it inside (0, 1))."""
    p = (bh.online_success_base + bh.online_success_per_literacy * (skill - 0.5)
         - bh.online_failure_per_fragmentation * fragmentation)
    assert 0.05 < p < 0.95
    return p


def _score(bh, out: Outcomes) -> np.ndarray:
    """The experience score of each request, from its outcomes (the rule in the docstring)."""
    clean = 1.0 - bh.satisfaction_weight_success - bh.satisfaction_weight_speed
    score = (bh.satisfaction_weight_success * out.success
             + bh.satisfaction_weight_speed * np.exp(-out.wait / bh.wait_reference_days)
             + clean * ~out.maladmin)
    return np.minimum(1.0, score + bh.answered_complaint_bonus * out.answered)


# --- needs and channel choice -----------------------------------------------------------
@pytest.mark.parametrize(("urban_share", "relief", "literacy", "trust"), [
    (1.0, 0.0, 0.5, 0.6), (0.0, 0.0, 0.5, 0.6), (0.0, 0.4, 0.3, 0.2), (1.0, 0.0, 0.9, 0.9)])
def test_channel_shares_match_the_multinomial_logit(kediri, urban_share, relief, literacy, trust):
    """Observed shares within 4.5 binomial standard errors of the logit probabilities; the
    number of requests is the need probability 1 - exp(-rate / 12) of everyone (2%)."""
    c = _citizens(kediri, urban_share, seed=7, literacy=literacy, trust=trust)
    ctx = _ctx(travel_relief=np.array([relief]))
    req = c.choose_channels(ctx, DEMAND_CUM)
    k = len(req.idx)
    assert k == pytest.approx(N * (1 - np.exp(-c.bh.need_rate_per_year / 12)), rel=0.02)
    p = _logit(c.bh, ctx, literacy, trust, urban=urban_share == 1.0)
    observed = np.bincount(_channels(req), minlength=3) / k
    assert np.all(np.abs(observed - p) < _tolerance(p, k)), (observed, p)


def test_no_online_channel_without_access_or_without_an_online_service(kediri):
    c = _citizens(kediri, 1.0, seed=1)
    for ctx in (_ctx(coverage=np.array([0.0, 0.0])), _ctx(online_coverage=np.array([0.0]))):
        req = c.choose_channels(ctx, DEMAND_CUM)
        assert not req.online.any()
        assert req.counter.any() and req.inter.any()


def test_access_follows_the_access_rank(kediri):
    """With urban coverage 0.3 and online far preferred, only the citizens ranked below 0.3
    go online: share 0.3 within 4.5 binomial standard errors."""
    c = _citizens(kediri, 1.0, seed=2, online_utility_base=ONLY_ONLINE)
    req = c.choose_channels(_ctx(coverage=np.array([0.0, 0.3])), DEMAND_CUM)
    assert np.all(c.access_rank[req.idx[req.online]] < 0.3)
    assert np.all(c.access_rank[req.idx[~req.online]] >= 0.3)
    assert req.online.mean() == pytest.approx(0.3, abs=_tolerance(0.3, len(req.online)))


def test_failed_online_attempts_end_at_the_counter(kediri):
    """Share of online attempts failing = 1 - p_online_ok, within 4.5 standard errors; those
    go on to a counter, the others succeed online."""
    c = _citizens(kediri, 1.0, seed=3, literacy=0.5)
    ctx = _ctx(fragmentation=0.5)
    req, out = _month(c, ctx)
    p_fail = 1 - _p_online_ok(c.bh, 0.5, 0.5)
    online = req.online
    failed = online & ~req.online_ok
    assert np.array_equal(failed, online & req.counter)
    assert abs(failed.sum() / online.sum() - p_fail) < _tolerance(p_fail, online.sum())
    assert out.success[online & ~req.counter].all()


# --- assisted digital ---------------------------------------------------------------------
def test_assisted_agents_file_online_requests_for_residents_without_access(kediri):
    """Nobody has access; agents reach half of rural requests for services that are online
    60% of the time. Rural online share = 0.6 * 0.5 within 4.5 binomial standard errors, all
    of it assisted; urban residents (outside the agents' area) never go online; the agents'
    requests teach the residents nothing."""
    c = _citizens(kediri, 0.5, seed=21, literacy=0.2, online_utility_base=ONLY_ONLINE)
    lit0 = c.literacy.copy()
    ctx = _ctx(coverage=np.array([0.0, 0.0]), online_coverage=np.array([0.6]),
               assisted=np.array([0.5, 0.0]))
    req, _ = _month(c, ctx)
    rural = ~c.urban[req.idx]
    assert np.array_equal(req.assisted, req.online)
    assert not req.online[~rural].any()
    share = req.online[rural].mean()
    assert abs(share - 0.3) < _tolerance(0.3, rural.sum())
    assert np.array_equal(c.literacy, lit0)
    # where no service is online, an agent has nothing to file
    req = c.choose_channels(_ctx(coverage=np.array([0.0, 0.0]), online_coverage=np.array([0.0]),
                                 assisted=np.array([1.0, 1.0])), DEMAND_CUM)
    assert not req.online.any()


def test_assisted_agents_bring_their_skill_to_connected_residents_with_less(kediri):
    """Everyone connected, agents everywhere. Residents less skilled than an agent file
    through one, and fail online at the agent's rate 1 - p_ok(assisted_literacy) (4.5
    binomial standard errors); residents more skilled than an agent file alone."""
    al = kediri.behaviour.assisted_literacy
    ctx = _ctx(assisted=np.array([1.0, 1.0]), fragmentation=0.3)
    low = _citizens(kediri, 0.5, seed=22, literacy=al / 2, online_utility_base=ONLY_ONLINE)
    req, _ = _month(low, ctx)
    assert req.online.all() and req.assisted.all()
    p_fail = 1 - _p_online_ok(low.bh, al, 0.3)
    assert abs((~req.online_ok).mean() - p_fail) < _tolerance(p_fail, len(req.idx))
    high = _citizens(kediri, 0.5, seed=22, literacy=(1 + al) / 2,
                     online_utility_base=ONLY_ONLINE)
    req, _ = _month(high, ctx)
    assert req.online.all() and not req.assisted.any()


# --- outcomes -------------------------------------------------------------------------------
@pytest.mark.parametrize(("skill", "excess"), [(0.5, 0.0), (0.8, 0.0), (0.5, 0.4)])
def test_counter_success_rate(kediri, skill, excess):
    """p = base + per_skill * (skill - 0.5) - overload_penalty * excess (4.5 s.e.)."""
    c = _citizens(kediri, 1.0, seed=4, online_utility_base=NO_ONLINE)
    req, out = _month(c, _ctx(), skill=skill, excess=excess)
    bh, counter = c.bh, req.counter
    p = (bh.counter_success_base + bh.counter_success_per_skill * (skill - 0.5)
         - bh.overload_penalty * excess)
    assert 0.05 < p < 0.95  # unclipped
    assert abs(out.success[counter].mean() - p) < _tolerance(p, counter.sum())


def test_intermediary_use_is_counted_as_maladministration(kediri):
    c = _citizens(kediri, 1.0, seed=5, trust=0.0)  # distrust makes calo common
    req, out = _month(c, _ctx(), integrity=1.0)
    assert req.inter.sum() > 1000
    # with perfectly honest staff the only maladministration is the calo's fee
    assert np.array_equal(out.maladmin, req.inter)


@pytest.mark.parametrize("enforcement", [0.0, 0.8])
def test_counter_maladministration_rate(kediri, enforcement):
    """p = base * (1 - integrity) * (1 - reg_effect * regulation)
    * (1 - enforcement_effect * enforcement) * (1 + excess), within 4.5 standard errors."""
    c = _citizens(kediri, 1.0, seed=6, online_utility_base=NO_ONLINE,
                  intermediary_utility_base=NO_INTERMEDIARY, enforcement_effect=0.5)
    req, out = _month(c, _ctx(regulation=0.5, enforcement=enforcement), integrity=0.2,
                      excess=0.2)
    bh = c.bh
    p = (bh.maladmin_base * (1 - 0.2) * (1 - bh.maladmin_regulation_effect * 0.5)
         * (1 - bh.enforcement_effect * enforcement) * (1 + 0.2))
    assert req.counter.all()
    assert abs(out.maladmin.mean() - p) < _tolerance(p, len(out.maladmin))


# --- complaints and their answers ------------------------------------------------------------
@pytest.mark.parametrize("awareness", [0.0, 0.5])
def test_unhappy_users_complain_at_the_stated_rate(kediri, awareness):
    """Counter only, no wait: a request is unhappy exactly when it fails (:data:`SCORE`);
    complaints among failures = propensity * channel * (1 + promotion_effect * awareness),
    within 4.5 binomial standard errors; nobody happy complains."""
    c = _citizens(kediri, 1.0, seed=9, complaint_propensity=0.3, promotion_complaint_effect=1.0,
                  online_utility_base=NO_ONLINE, intermediary_utility_base=NO_INTERMEDIARY,
                  **SCORE)
    _, out = _month(c, _ctx(complaint_channel=0.5, awareness=awareness), skill=0.3, wait=0.0)
    failed = ~out.success
    assert not out.complained[~failed].any()
    p = 0.3 * 0.5 * (1 + c.bh.promotion_complaint_effect * awareness)
    rate = out.complained[failed].mean()
    assert abs(rate - p) < _tolerance(p, failed.sum())
    tot = dict(zip(ACCUMULATORS, c.year_totals.sum(axis=1), strict=True))
    assert tot["complaints"] == out.complained.sum()


@pytest.mark.parametrize("fraction", [0.4, 2.0])
def test_desks_answer_the_share_of_complaints_their_capacity_allows(kediri, fraction):
    """Two units; unit 0's desks can answer ``fraction`` of the complaints it receives (real),
    unit 1's any number. Answered share at unit 0 = min(1, capacity / complaints) within 4.5
    binomial standard errors; unit 1 answers all. Complaints do not depend on the desks, so
    a first month with unlimited desks counts them for the same seed."""
    demand_cum, ctx = np.array([0.5, 1.0]), _ctx(n_units=2)
    kw = dict(complaint_propensity=1.0, online_utility_base=NO_ONLINE)
    first = _citizens(kediri, 1.0, seed=23, **kw)
    _, out = _month(first, ctx, demand_cum, skill=0.1, excess=0.4, wait=30.0)
    arrived = np.bincount(out.unit[out.complained], minlength=2) * first.weight
    assert arrived.min() > 5_000
    c = _citizens(kediri, 1.0, seed=23, **kw)
    _, out = _month(c, ctx, demand_cum, skill=0.1, excess=0.4, wait=30.0,
                    desks=np.array([fraction * arrived[0], np.inf]))
    assert not out.answered[~out.complained].any()
    at = [out.complained & (out.unit == u) for u in (0, 1)]
    p = min(1.0, fraction)
    assert abs(out.answered[at[0]].mean() - p) < _tolerance(p, at[0].sum()) + 1e-12
    assert out.answered[at[1]].all()


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_answered_complaints_raise_satisfaction_and_trust(kediri, weight):
    """Same seed, desks of no capacity vs unlimited: exactly the answered users gain memory *
    bonus, times (1 - expectation_weight): on a first request the expectation is the
    experience itself, so the disconfirmation part is the same with or without the bonus."""
    runs = {}
    for desks in (0.0, np.inf):
        c = _citizens(kediri, 1.0, seed=8, complaint_propensity=1.0, expectation_weight=weight)
        _, out = _month(c, _ctx(), skill=0.1, excess=0.4, wait=30.0, desks=desks)
        runs[desks] = (c, out)
    (c0, out0), (c1, out1) = runs[0.0], runs[np.inf]
    assert not out0.answered.any()
    n_answered = int(out1.answered.sum())
    assert n_answered > 1000
    bh = c1.bh
    diff = c1.satisfaction - c0.satisfaction
    changed = np.abs(diff) > 1e-7
    assert changed.sum() == n_answered
    assert np.allclose(diff[changed], bh.satisfaction_memory * bh.answered_complaint_bonus
                       * (1.0 - weight), atol=1e-6)
    tdiff = c1.trust - c0.trust
    assert (np.abs(tdiff) > 1e-7).sum() == n_answered and np.all(tdiff[changed] > 0)


# --- satisfaction, expectations, literacy -------------------------------------------------
def test_satisfaction_memory_and_yearly_totals(kediri):
    """With memory 1 and no disconfirmation, remembered satisfaction is the newest experience
    score: success, speed and no fee by their weights, plus the bonus of an answer (capped
    at 1); the yearly totals count the month's requests."""
    c = _citizens(kediri, 1.0, seed=10, satisfaction_memory=1.0)
    s0 = c.satisfaction.copy()
    req, out = _month(c, _ctx(), desks=50.0)
    tot = dict(zip(ACCUMULATORS, c.year_totals.sum(axis=1), strict=True))
    k = len(req.idx)
    assert tot["visits"] == k
    assert tot["online"] == out.online.sum()
    assert tot["maladmin"] == out.maladmin.sum()
    assert tot["answered"] == out.answered.sum() > 0
    assert np.allclose(c.satisfaction[req.idx], _score(c.bh, out), atol=1e-6)
    untouched = np.ones(c.n, dtype=bool)
    untouched[req.idx] = False
    assert np.array_equal(c.satisfaction[untouched], s0[untouched])
    assert tot["satisfaction"] == pytest.approx(float(c.satisfaction[req.idx].sum()), rel=1e-4)


def test_online_use_raises_literacy(kediri):
    c = _citizens(kediri, 1.0, seed=11, literacy=0.5)
    req, _ = _month(c, _ctx())
    raised = c.literacy > 0.5
    assert raised.sum() == req.online.sum() > 0
    assert np.allclose(c.literacy[raised], 0.5 + c.bh.literacy_gain_per_online_use * 0.5)


def test_start_year_drifts_literacy_and_resets_totals(kediri):
    c = _citizens(kediri, 1.0, seed=12, literacy=0.4)
    _month(c, _ctx())
    c.take_courses(1_000.0, "all", np.random.default_rng(0))
    lit = c.literacy.copy()
    c.start_year()
    assert np.allclose(c.literacy, lit + c.bh.literacy_growth_per_year * (1 - lit))
    assert not c.year_totals.any() and c.course_taken == 0.0


@pytest.mark.parametrize("target", ["urban", "rural", "q1", "q5"])
def test_literacy_courses_raise_the_targeted_group_only_and_count_participants(kediri,
                                                                                target):
    """``places`` real residents take a course: Poisson(places / weight) simulated ones, all
    from the group, each closing ``literacy_course_gain`` of their gap; the count is within
    4.5 Poisson standard errors of places / weight and is reported in real residents."""
    places = 3_000.0
    c = _citizens(kediri, 0.5, seed=24, literacy=0.4, literacy_course_gain=0.3)
    group = {"urban": c.urban, "rural": ~c.urban, "q1": c.quintile == 0,
             "q5": c.quintile == 4}[target]
    c.take_courses(places, target, np.random.default_rng(25))
    took = c.literacy != np.float32(0.4)
    assert not took[~group].any()
    n = int(took.sum())
    mean = places / c.weight
    assert abs(n - mean) < 4.5 * np.sqrt(mean)
    assert c.course_taken == pytest.approx(n * c.weight)
    assert np.allclose(c.literacy[took], 0.4 + c.bh.literacy_course_gain * 0.6)
    c.take_courses(0.0, target, np.random.default_rng(26))
    assert c.course_taken == pytest.approx(n * c.weight)


def test_initial_population(kediri):
    pop = dataclasses.replace(kediri.population, urban_share=0.3)
    c = Citizens(pop, kediri.behaviour, N, np.random.default_rng(13))
    assert c.weight == pytest.approx(pop.residents / N)
    assert abs(c.urban.mean() - 0.3) < _tolerance(0.3, N)
    # quintile 0 (q1) holds the least connected: the highest access ranks, online last
    assert np.all(c.access_rank[c.quintile == 0] >= 0.8)
    assert np.all(c.access_rank[c.quintile == 4] < 0.2)
    assert c.quintile.dtype == np.int8
    assert np.bincount(c.quintile, minlength=5).min() > 0.19 * N
    assert np.array_equal(c.group, c.quintile + 5 * c.urban)
    # literacy is higher in the better-connected quintile
    assert c.literacy[c.quintile == 4].mean() > c.literacy[c.quintile == 0].mean()
    assert c.nbytes < 24 * N  # 23 bytes per citizen (see the module docstring)


def test_satisfaction_is_judged_against_expectations(kediri):
    """Known answer with expectation weight w: first request meets its own expectation, so
    felt = (1 - w) score + w met; the next one is judged against the adapted expectation."""
    w, met, adapt = 0.6, 0.8, 0.3
    c = _citizens(kediri, 1.0, seed=14, expectation_weight=w, expectation_met_satisfaction=met,
                  expectation_adaptation=adapt, satisfaction_memory=1.0)
    assert np.isnan(c.expectation).all()
    ctx = _ctx()
    c0 = _citizens(kediri, 1.0, seed=14, satisfaction_memory=1.0)  # w = 0: felt = score
    _month(c, ctx)
    _month(c0, ctx)
    served = ~np.isnan(c.expectation)
    score = c0.satisfaction[served]  # same seed, same draws: the raw experience scores
    assert served.sum() > 1000
    assert np.allclose(c.expectation[served], score, atol=1e-6)
    assert np.allclose(c.satisfaction[served], (1 - w) * score + w * met, atol=1e-6)
    assert np.all(c.satisfaction[~served] == np.float32(c.bh.initial_satisfaction))
    # a second request, judged against the expectation formed by the first
    e1 = c.expectation.copy()
    _month(c, ctx)
    _month(c0, ctx)
    again = served & (c.expectation != e1)
    s2 = c0.satisfaction[again]
    judged = np.clip(met + s2 - e1[again], 0, 1)
    assert again.sum() > 100
    assert np.allclose(c.satisfaction[again], (1 - w) * s2 + w * judged, atol=1e-5)
    assert np.allclose(c.expectation[again], e1[again] + adapt * (s2 - e1[again]), atol=1e-5)


# --- the nine survey answers -----------------------------------------------------------------
SURVEY_CTX = dict(fragmentation=0.5, regulation=0.45, complaint_channel=0.35,
                  facilities=np.array([0.7]))
SURVEY_STAFF = dict(skill=0.3, integrity=0.4, crowding=0.25, desks=1_000.0, wait=6.0)
"""A month where requests fail and succeed, are redirected, meet fees, complain and are
answered or not, so that every branch of every element occurs."""


def _experience(ctx: MonthContext, req: Requests, out: Outcomes, bh) -> np.ndarray:
    """Each request's nine experiences (0-1, IKM_ELEMENTS order) from what happened to it."""
    s = SURVEY_STAFF
    redirected = req.counter & req.online
    e = {
        "requirements": np.full(len(out.unit), ctx.regulation),  # published standards
        "procedure": np.where(~out.success, 0.0,  # failed: 0; redirected: between
                              np.where(redirected, SURVEY.redirected_procedure_score, 1.0)),
        "time": np.exp(-out.wait / bh.wait_reference_days),
        "cost": 1.0 - out.maladmin,  # an unofficial fee answers 0
        "product": out.success * 1.0,
        "competence": np.full(len(out.unit), s["skill"]),
        "behaviour": np.where(out.maladmin, 0.0, s["integrity"]),
        "complaints": np.where(out.complained, out.answered * 1.0, ctx.complaint_channel),
        "facilities": np.full(len(out.unit), ctx.facilities[0] * (1 - s["crowding"])),
    }
    return np.column_stack([e[name] for name in IKM_ELEMENTS])


def test_survey_answers_follow_what_happened_through_the_floor(kediri):
    """No halo (memory 1, no disconfirmation: remembered satisfaction is the request's own
    score): each answer is f + (1 - f) e for its experience e; a failed request answers the
    floor f on product and procedure, a fee f on cost, an answered complaint 1 on complaints;
    a request's answer is the mean of its nine."""
    c = _citizens(kediri, 1.0, seed=15, satisfaction_memory=1.0, ikm_expectation=0.2,
                  complaint_propensity=0.5)
    ctx = _ctx(**SURVEY_CTX)
    req, out = _month(c, ctx, **SURVEY_STAFF)
    for branch in (~out.success, out.success & req.online & req.counter, out.maladmin,
                   out.answered, out.complained & ~out.answered, ~out.complained):
        assert branch.sum() > 100
    f = c.bh.ikm_expectation
    e = _experience(ctx, req, out, c.bh)
    assert np.allclose(out.elements, f + (1 - f) * e, atol=1e-6)
    col = IKM_ELEMENTS.index
    failed = ~out.success
    assert np.allclose(out.elements[failed][:, [col("product"), col("procedure")]], f)
    assert np.allclose(out.elements[out.maladmin, col("cost")], f)
    assert np.allclose(out.elements[out.answered, col("complaints")], 1.0)
    assert np.allclose(out.answer, out.elements.mean(axis=1))


def test_survey_answers_carry_the_halo_of_remembered_satisfaction(kediri):
    """With memory m, a first request leaves satisfaction s0 + m (score - s0), so the halo
    (remembered minus this request's score) is (1 - m)(s0 - score); each answer is
    f + (1 - f) clip(e + halo, 0, 1). No complaints, so the score is known from outcomes."""
    m, s0 = 0.5, 0.6
    c = _citizens(kediri, 1.0, seed=16, satisfaction_memory=m, ikm_expectation=0.2,
                  complaint_propensity=0.0)
    c.satisfaction[:] = s0
    ctx = _ctx(**SURVEY_CTX)
    req, out = _month(c, ctx, **SURVEY_STAFF)
    halo = (1 - m) * (s0 - _score(c.bh, out))
    assert halo.min() < -0.01 < 0.01 < halo.max()  # both signs occur
    f = c.bh.ikm_expectation
    e = np.clip(_experience(ctx, req, out, c.bh) + halo[:, None], 0, 1)
    assert np.allclose(out.elements, f + (1 - f) * e, atol=1e-5)


def test_the_mean_of_nine_answers_is_numpys_row_mean_exactly():
    """The survey's mean answer is built from whole columns in NumPy's own pairwise order, so
    it equals ``mean(axis=1)`` bit for bit (a different order differs in the last bits)."""
    from model.citizens import _mean_of_nine
    x = np.random.default_rng(3).random((5_000, len(IKM_ELEMENTS)))
    assert np.array_equal(_mean_of_nine(x), x.mean(axis=1))

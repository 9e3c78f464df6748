"""model.citizens: channel choice, outcomes, complaints, satisfaction and trust.

A one-unit MonthContext and a fake ``settle`` isolate the citizen step from the rest of the
model. Stochastic rules are checked on large seeded samples with tolerances of a few binomial
standard errors (stated in each test).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.citizens import ACCUMULATORS, Citizens, MonthContext

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


def _citizens(kediri, urban_share: float, seed: int, literacy: float = 0.5, trust: float = 0.6,
              **behaviour) -> Citizens:
    pop = dataclasses.replace(kediri.population, urban_share=urban_share)
    bh = dataclasses.replace(kediri.behaviour, **(LOGIT | behaviour))
    c = Citizens(pop, bh, N, np.random.default_rng(seed))
    c.literacy[:] = literacy
    c.trust[:] = trust
    c.bh = bh  # kept beside the population for the test's convenience
    return c


def _ctx(**kw) -> MonthContext:
    base = dict(coverage=np.array([1.0, 1.0]), online_coverage=np.array([1.0]),
                expected_wait=np.array([WAIT]), online_days=np.array([ONLINE_DAYS]),
                intermediary_days=np.array([INTER_DAYS]), travel_relief=np.array([0.0]),
                fragmentation=0.2, regulation=0.5, complaint_channel=1.0, answer_rate=0.5)
    return MonthContext(**(base | kw))


def _settle(skill: float = 0.5, integrity: float = 0.6, utilisation: float = 0.5,
            wait: float = WAIT):
    def settle(counter_units, online_units):
        def staff_of(unit, draw):
            k = len(unit)
            return (np.zeros(k, dtype=np.intp), np.full(k, skill, dtype=np.float32),
                    np.full(k, integrity, dtype=np.float32))
        return np.array([wait]), np.array([utilisation]), staff_of
    return settle


def _channels(r) -> np.ndarray:
    """0 online, 1 counter, 2 intermediary (failed online attempts count as online choices)."""
    return np.where(r["online"], 0, np.where(r["counter"], 1, 2))


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


def _tolerance(p: np.ndarray, k: int, z: float = 4.5) -> np.ndarray:
    return z * np.sqrt(p * (1 - p) / k)


@pytest.mark.parametrize(("urban_share", "relief", "literacy", "trust"), [
    (1.0, 0.0, 0.5, 0.6), (0.0, 0.0, 0.5, 0.6), (0.0, 0.4, 0.3, 0.2), (1.0, 0.0, 0.9, 0.9)])
def test_channel_shares_match_the_multinomial_logit(kediri, urban_share, relief, literacy, trust):
    """Observed shares within 4.5 binomial standard errors of the logit probabilities."""
    c = _citizens(kediri, urban_share, seed=7, literacy=literacy, trust=trust)
    ctx = _ctx(travel_relief=np.array([relief]))
    r = c.seek_service(c.bh, ctx, DEMAND_CUM, _settle())
    k = len(r["unit"])
    assert k == pytest.approx(N * (1 - np.exp(-5 / 12)), rel=0.02)
    p = _logit(c.bh, ctx, literacy, trust, urban=urban_share == 1.0)
    observed = np.bincount(_channels(r), minlength=3) / k
    assert np.all(np.abs(observed - p) < _tolerance(p, k)), (observed, p)


def test_no_online_channel_without_access_or_without_an_online_service(kediri):
    c = _citizens(kediri, 1.0, seed=1)
    for ctx in (_ctx(coverage=np.array([0.0, 0.0])), _ctx(online_coverage=np.array([0.0]))):
        r = c.seek_service(c.bh, ctx, DEMAND_CUM, _settle())
        assert not r["online"].any()
        assert r["counter"].any() and (~r["counter"]).any()


def test_access_follows_the_access_rank(kediri):
    """With coverage 0.3 and online far preferred, only the citizens ranked below 0.3 (30%)
    go online: share within 4.5 binomial standard errors."""
    c = _citizens(kediri, 1.0, seed=2, literacy=0.5, online_utility_base=20.0)
    r = c.seek_service(c.bh, _ctx(coverage=np.array([0.0, 0.3])), DEMAND_CUM, _settle())
    raised = c.literacy > 0.5  # online users' literacy rises
    assert np.all(c.access_rank[raised] < 0.3)
    share = r["online"].mean()
    assert share == pytest.approx(0.3, abs=_tolerance(np.array(0.3), len(r["online"])))


def test_failed_online_attempts_end_at_the_counter(kediri):
    """Share of online attempts failing = 1 - p_online_ok, within 4.5 standard errors."""
    c = _citizens(kediri, 1.0, seed=3, literacy=0.5)
    ctx = _ctx(fragmentation=0.5)
    r = c.seek_service(c.bh, ctx, DEMAND_CUM, _settle())
    bh = c.bh
    p_ok = np.clip(bh.online_success_base - bh.online_failure_per_fragmentation * 0.5, .02, .99)
    online = r["online"]
    failed = (online & r["counter"]).sum() / online.sum()
    assert abs(failed - (1 - p_ok)) < _tolerance(np.array(1 - p_ok), online.sum())
    assert np.array_equal(r["success"][online & ~r["counter"]],
                          np.ones((online & ~r["counter"]).sum(), dtype=bool))


@pytest.mark.parametrize(("skill", "utilisation"), [(0.5, 0.5), (0.9, 0.5), (0.5, 1.2)])
def test_counter_success_rate(kediri, skill, utilisation):
    c = _citizens(kediri, 1.0, seed=4, online_utility_base=-20.0)  # nobody goes online
    r = c.seek_service(c.bh, _ctx(), DEMAND_CUM, _settle(skill=skill, utilisation=utilisation))
    bh, counter = c.bh, r["counter"]
    p = np.clip(bh.counter_success_base + bh.counter_success_per_skill * (skill - 0.5)
                - bh.overload_penalty * max(utilisation - 0.8, 0.0), 0.02, 0.99)
    assert abs(r["success"][counter].mean() - p) < _tolerance(np.array(p), counter.sum())


def test_intermediary_use_is_counted_as_maladministration(kediri):
    c = _citizens(kediri, 1.0, seed=5, trust=0.0)  # distrust makes calo common
    r = c.seek_service(c.bh, _ctx(), DEMAND_CUM, _settle(integrity=1.0))
    inter = ~r["online"] & ~r["counter"]
    assert inter.sum() > 1000
    # with perfectly honest staff the only maladministration is the calo's fee
    assert np.array_equal(r["maladmin"], inter)


def test_counter_maladministration_rate(kediri):
    """p = base * (1 - integrity) * (1 - effect * regulation) * (1 + overload)."""
    c = _citizens(kediri, 1.0, seed=6, online_utility_base=-20.0,
                  intermediary_utility_base=-20.0)
    r = c.seek_service(c.bh, _ctx(regulation=0.5), DEMAND_CUM,
                       _settle(integrity=0.2, utilisation=1.0))
    bh = c.bh
    p = bh.maladmin_base * 0.8 * (1 - bh.maladmin_regulation_effect * 0.5) * (1 + 0.2)
    assert r["counter"].all()
    assert abs(r["maladmin"].mean() - p) < _tolerance(np.array(p), len(r["maladmin"]))


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_answered_complaints_raise_satisfaction_and_trust(kediri, weight):
    """Same seed, answer rate 0 vs 1: exactly the answered users gain memory * bonus, times
    (1 - expectation_weight): on a first request the expectation is the experience itself, so
    the disconfirmation part is the same with or without the bonus."""
    runs = {}
    for rate in (0.0, 1.0):
        c = _citizens(kediri, 1.0, seed=8, complaint_propensity=1.0, expectation_weight=weight)
        r = c.seek_service(c.bh, _ctx(answer_rate=rate), DEMAND_CUM,
                           _settle(skill=0.1, utilisation=1.5, wait=30.0))
        runs[rate] = (c, r)
    (c0, r0), (c1, r1) = runs[0.0], runs[1.0]
    assert not r0["answered"].any()
    n_answered = int(r1["answered"].sum())
    assert n_answered > 1000
    bh = c1.bh
    diff = c1.satisfaction - c0.satisfaction
    changed = np.abs(diff) > 1e-7
    assert changed.sum() == n_answered
    assert np.allclose(diff[changed], bh.satisfaction_memory * bh.answered_complaint_bonus
                       * (1.0 - weight), atol=1e-6)
    tdiff = c1.trust - c0.trust
    assert (np.abs(tdiff) > 1e-7).sum() == n_answered and np.all(tdiff[changed] > 0)


def test_unhappy_users_complain_at_the_stated_rate(kediri):
    """Counter only, no wait: a request is unhappy exactly when it fails; complaints among
    failures = propensity * channel availability, within 4.5 binomial standard errors."""
    c = _citizens(kediri, 1.0, seed=9, complaint_propensity=0.3, online_utility_base=-20.0,
                  intermediary_utility_base=-20.0)
    r = c.seek_service(c.bh, _ctx(complaint_channel=0.5), DEMAND_CUM,
                       _settle(skill=0.3, utilisation=0.5, wait=0.0))
    tot = dict(zip(ACCUMULATORS, c.year_totals.sum(axis=1), strict=True))
    failed = ~r["success"]
    complained = tot["complaints"]
    assert complained <= failed.sum()
    p = 0.3 * 0.5
    assert abs(complained / failed.sum() - p) < _tolerance(np.array(p), failed.sum())
    assert r["answered"].sum() <= complained


def test_satisfaction_memory_and_yearly_totals(kediri):
    c = _citizens(kediri, 1.0, seed=10, satisfaction_memory=1.0)
    s0 = c.satisfaction.copy()
    r = c.seek_service(c.bh, _ctx(), DEMAND_CUM, _settle())
    tot = dict(zip(ACCUMULATORS, c.year_totals.sum(axis=1), strict=True))
    k = len(r["unit"])
    assert tot["visits"] == k
    assert tot["online"] == r["online"].sum()
    assert tot["maladmin"] == r["maladmin"].sum()
    assert tot["answered"] == r["answered"].sum()
    changed = c.satisfaction != s0
    # with memory 1 the remembered satisfaction is the newest experience score (0-1)
    assert changed.sum() == k
    assert tot["satisfaction"] == pytest.approx(float(c.satisfaction[changed].sum()), rel=1e-4)
    assert 0.0 <= c.satisfaction.min() and c.satisfaction.max() <= 1.0


def test_online_use_raises_literacy(kediri):
    c = _citizens(kediri, 1.0, seed=11, literacy=0.5)
    r = c.seek_service(c.bh, _ctx(), DEMAND_CUM, _settle())
    raised = c.literacy > 0.5
    assert raised.sum() == r["online"].sum()
    assert np.allclose(c.literacy[raised], 0.5 + c.bh.literacy_gain_per_online_use * 0.5)


def test_start_year_drifts_literacy_and_resets_totals(kediri):
    c = _citizens(kediri, 1.0, seed=12, literacy=0.4)
    c.seek_service(c.bh, _ctx(), DEMAND_CUM, _settle())
    lit = c.literacy.copy()
    c.start_year(c.bh)
    assert np.allclose(c.literacy, lit + c.bh.literacy_growth_per_year * (1 - lit))
    assert not c.year_totals.any()


def test_initial_population(kediri):
    pop = dataclasses.replace(kediri.population, urban_share=0.3)
    c = Citizens(pop, kediri.behaviour, N, np.random.default_rng(13))
    assert c.weight == pytest.approx(pop.residents / N)
    assert abs(c.urban.mean() - 0.3) < _tolerance(np.array(0.3), N)
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
    ctx, settle = _ctx(), _settle()
    c0 = _citizens(kediri, 1.0, seed=14, satisfaction_memory=1.0)  # w = 0: felt = score
    c.seek_service(c.bh, ctx, DEMAND_CUM, settle)
    c0.seek_service(c0.bh, ctx, DEMAND_CUM, settle)
    served = ~np.isnan(c.expectation)
    score = c0.satisfaction[served]  # same seed, same draws: the raw experience scores
    assert served.sum() > 1000
    assert np.allclose(c.expectation[served], score, atol=1e-6)
    assert np.allclose(c.satisfaction[served], (1 - w) * score + w * met, atol=1e-6)
    assert np.all(c.satisfaction[~served] == np.float32(0.7))
    # a second request, judged against the expectation formed by the first
    e1 = c.expectation.copy()
    c.seek_service(c.bh, ctx, DEMAND_CUM, settle)
    c0.seek_service(c0.bh, ctx, DEMAND_CUM, settle)
    again = served & (c.expectation != e1)
    s2 = c0.satisfaction[again]
    judged = np.clip(met + s2 - e1[again], 0, 1)
    assert again.sum() > 100
    assert np.allclose(c.satisfaction[again], (1 - w) * s2 + w * judged, atol=1e-5)
    assert np.allclose(c.expectation[again], e1[again] + adapt * (s2 - e1[again]), atol=1e-5)

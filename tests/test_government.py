"""model.government: the budget, the stock equation, delays and the application portfolio."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from model.behaviour import per_month
from model.government import STOCK_KEYS
from model.model import EGovModel
from model.scenario import COMPONENTS, Event, Policy, with_overrides


@pytest.fixture
def still(kediri):
    """Kediri with a constant, noise-free budget and no policies or events."""
    sc = with_overrides(kediri, {"budget.volatility": 0.0, "budget.apbd_growth_per_year": 0.0})
    return dataclasses.replace(sc, policies=(), events=())


def _gov(scenario, year: int = 2018):
    return EGovModel(scenario, population=200, start_year=year, end_year=year + 1,
                     rng=1).government


def test_budget_is_trend_times_share_times_multiplier(kediri):
    sc = with_overrides(kediri, {"budget.volatility": 0.0})
    sc = dataclasses.replace(sc, policies=(Policy(name="x2", start_year=2020,
                                                  budget_multiplier=2.0),))
    gov = _gov(sc)
    b = sc.budget
    for year, mult in ((2018, 1.0), (2024, 2.0), (2030, 2.0)):
        gov.set_year_budget(year)
        trend = b.apbd_idr * (1 + b.apbd_growth_per_year) ** (year - b.apbd_year)
        assert gov.apbd_idr == pytest.approx(trend)
        assert gov.budget_idr == pytest.approx(trend * b.egov_share * mult)


def test_flows_start_at_the_first_years_planned_spending(still):
    gov = _gov(still)
    for c in COMPONENTS:
        assert gov.flow_idr[c] == pytest.approx(gov.budget_idr * still.shares.as_dict()[c])


def test_budget_cut_cancels_the_same_share_of_projects_in_flight(still):
    sc = dataclasses.replace(still, policies=(Policy(name="cut", start_year=2019,
                                                     budget_multiplier=0.6),))
    gov = _gov(sc)
    before = dict(gov.flow_idr)
    gov.set_year_budget(2019)
    for c in COMPONENTS:
        assert gov.flow_idr[c] == pytest.approx(0.6 * before[c])
    gov.set_year_budget(2018)  # a rise does not add money already in flight
    for c in COMPONENTS:
        assert gov.flow_idr[c] == pytest.approx(0.6 * before[c])


def test_spending_flow_follows_a_first_order_delay(still):
    gov = _gov(still)
    bh = still.behaviour
    f0 = dict(gov.flow_idr)
    gov.budget_idr *= 2.0
    n = 7
    for _ in range(n):
        gov.invest(0.5, SKILL)
    for c in COMPONENTS:
        target = 2.0 * f0[c]
        keep = (1.0 - 1.0 / getattr(bh, f"delay_months_{c}")) ** n
        assert gov.flow_idr[c] == pytest.approx(target - (target - f0[c]) * keep, rel=1e-12)


def _spending(gov, scenario, key: str, flows: dict) -> tuple[float, float, str]:
    """The spending rate x, its half-saturation h and whose depreciation a stock uses."""
    bh, pop = scenario.behaviour, scenario.population
    if key.startswith("connectivity_"):
        rural = gov.connectivity_rural_share()
        share, area = ((rural, 1 - pop.urban_area_share) if key.endswith("rural")
                       else (1 - rural, pop.urban_area_share))
        x = flows["connectivity"] * share / max(pop.area_km2 * area, 1e-9)
        return x, bh.connectivity_half_saturation_idr_per_km2, "connectivity"
    flow = flows["regulation" if key == "enforcement" else key]
    part = {"enforcement": gov.lever("enforcement_share"),
            "regulation": 1 - gov.lever("enforcement_share")}.get(key, 1.0)
    return (flow * part / pop.residents, bh.spend_half_saturation_idr_per_resident,
            "regulation" if key == "enforcement" else key)


SKILL = np.full(4, 0.5)


def _one_month(s: float, x: float, h: float, gain: float, dep_year: float) -> float:
    g = gain / 12.0 * x / (x + h)
    return s + g * (1.0 - s) - per_month(dep_year) * s


def test_one_month_restates_the_documented_stock_equation(still):
    """A restatement of the class docstring's equation (one month, each stock): it pins the
    equation; the derived answers are the steady state and the pure depreciation below."""
    gov = _gov(still)
    bh = still.behaviour
    before = dict(gov.stocks)
    gov.invest(0.5, SKILL)
    for c in STOCK_KEYS:
        x, h, d = _spending(gov, still, c, gov.flow_idr)
        dep = getattr(bh, f"depreciation_per_year_{d}")
        assert gov.stocks[c] == pytest.approx(
            _one_month(before[c], x, h, bh.stock_gain_per_year, dep), rel=1e-12)


@pytest.mark.parametrize("start", [0.0, 0.95])
def test_constant_spending_approaches_the_steady_state(still, start):
    """Without noise, s' = s + g(1 - s) - d s has the fixed point s* = g / (g + d), with
    g = gain/12 * x/(x+h) and d = per_month(depreciation): from below and from above."""
    gov = _gov(still)
    bh = still.behaviour
    steady = {}
    planned = {c: gov.budget_idr * still.shares.as_dict()[c] for c in COMPONENTS}
    for c in STOCK_KEYS:
        gov.stocks[c] = start
        x, h, dep = _spending(gov, still, c, planned)
        g = bh.stock_gain_per_year / 12.0 * (x / (x + h) if x > 0 else 0.0)
        d = per_month(getattr(bh, f"depreciation_per_year_{dep}"))
        steady[c] = (g / (g + d), g + d)
    # the gap shrinks by (1 - g - d) a month: run until the slowest is below 1e-12
    months = math.ceil(math.log(1e-12) / math.log(1.0 - min(r for _, r in steady.values())))
    for _ in range(months):
        gov.invest(0.5, SKILL)
    for c in STOCK_KEYS:
        assert gov.stocks[c] == pytest.approx(steady[c][0], abs=1e-9), c


def test_no_spending_means_exponential_depreciation(still):
    sc = with_overrides(still, {"budget.egov_share": 0.0})
    gov = _gov(sc)
    for c in STOCK_KEYS:
        gov.stocks[c] = 0.8
    for _ in range(12):
        gov.invest(0.5, SKILL)
    for c in STOCK_KEYS:
        whose = _spending(gov, sc, c, gov.flow_idr)[2]
        dep = getattr(sc.behaviour, f"depreciation_per_year_{whose}")
        assert gov.stocks[c] == pytest.approx(0.8 * (1 - dep), rel=1e-9)


def test_capital_is_budget_adequacy_when_the_budget_is_stable(still):
    gov = _gov(still)
    pr = gov.budget_idr / still.population.residents
    h = still.behaviour.spend_half_saturation_idr_per_resident
    # half saturation of the whole budget: five components at h each
    assert gov.capital == pytest.approx(pr / (pr + 5 * h))
    gov.set_year_budget(2019)
    assert gov.capital == pytest.approx(pr / (pr + 5 * h))


def test_new_apps_dilute_integration(still):
    """Partly a restatement of the portfolio equation (retirement and new apps per month); what
    it states beyond the equation is that unintegrated new apps lower the integrated share."""
    sc = with_overrides(still, {"apps.integration_share": 0.0})
    gov = _gov(sc)
    bh = sc.behaviour
    n0, i0, q0 = gov.n_apps, gov.n_integrated, gov.app_quality
    gov.invest(0.6, SKILL)
    r = per_month(bh.app_retirement_per_year)
    new = gov.flow_idr["apps"] / 12.0 / bh.app_cost_idr
    assert new > 0
    assert gov.n_apps == pytest.approx(n0 * (1 - r) + new)
    assert gov.n_integrated == pytest.approx(i0 * (1 - r))
    assert gov.integration < i0 / n0
    q_new = (0.6 + gov.stocks["regulation"]) / 2  # the mean of staff skill and standards
    assert gov.app_quality == pytest.approx((n0 * (1 - r) * q0 + new * q_new) / gov.n_apps)
    unintegrated = gov.n_apps - gov.n_integrated  # half fragmented at the scale
    assert gov.fragmentation == pytest.approx(unintegrated / (unintegrated
                                                              + bh.fragmentation_scale_apps))
    assert gov.apps_stock == pytest.approx(
        1 - math.exp(-gov.n_apps * gov.app_quality / bh.apps_coverage_scale))


def test_integration_money_integrates_and_never_exceeds_the_portfolio(still):
    sc = with_overrides(still, {"apps.integration_share": 1.0})
    gov = _gov(sc)
    bh = sc.behaviour
    n0, i0 = gov.n_apps, gov.n_integrated
    gov.invest(0.5, SKILL)
    r = per_month(bh.app_retirement_per_year)
    speed = 0.5 + 0.5 * gov.stocks["regulation"]
    added = gov.flow_idr["apps"] / 12.0 / bh.integration_cost_idr * speed
    assert gov.n_apps == pytest.approx(n0 * (1 - r))  # no new apps
    assert gov.n_integrated == pytest.approx(min(gov.n_apps, i0 * (1 - r) + added))
    for _ in range(240):
        gov.invest(0.5, SKILL)
        assert gov.n_integrated <= gov.n_apps + 1e-12
    assert gov.integration == pytest.approx(1.0)
    assert gov.fragmentation == pytest.approx(0.0, abs=1e-9)


def test_superapp_integrates_a_share_of_the_rest_and_credits_no_innovation(still):
    gov = _gov(still)
    n, i, inn = gov.n_apps, gov.n_integrated, gov.innovation.copy()
    gov.apply_event(Event(kind="superapp", year=2018, integration_gain=0.3))
    assert gov.n_integrated == pytest.approx(i + 0.3 * (n - i))
    assert np.array_equal(gov.innovation, inn)  # an event acts through what it changes


def test_innovation_decays_and_is_fed_by_each_units_workforce_and_app_spending(still):
    """A restatement of the documented innovation equation (one month, per unit), pinning it
    against silent change; its order check (better-staffed units innovate more) is the intent."""
    gov = _gov(still)
    bh, pop = still.behaviour, still.population
    gov.innovation[:] = 1.0
    skill = np.array([0.2, 0.4, 0.6, 0.8])
    gov.invest(0.5, skill)
    x = gov.flow_idr["apps"] / pop.residents
    h = bh.spend_half_saturation_idr_per_resident
    expected = ((1 - per_month(bh.innovation_decay_per_year))
                + (bh.competency_innovation_per_year * gov.stocks["competency"] * skill
                   + bh.apps_innovation_per_year * x / (x + h)) / 12)
    assert gov.innovation == pytest.approx(expected)
    assert np.all(np.diff(gov.innovation) > 0)  # better staffed units innovate more


def test_aimed_connectivity_money_raises_the_rural_stock_and_not_the_urban(jember):
    sc = with_overrides(jember, {"budget.volatility": 0.0})
    aimed = dataclasses.replace(sc, policies=(*sc.policies, Policy(
        name="rural", start_year=2018, connectivity_rural_share=1.0)))
    base, gov = _gov(sc), _gov(aimed)
    for _ in range(24):
        base.invest(0.5, SKILL)
        gov.invest(0.5, SKILL)
    assert gov.stocks["connectivity_rural"] > base.stocks["connectivity_rural"]
    assert gov.stocks["connectivity_urban"] < base.stocks["connectivity_urban"]


def test_budget_shock_is_mean_preserving_lognormal(kediri):
    """4,000 seeded draws: log-ratio sd within 5% of volatility * (1 - stable share), mean
    ratio to trend within 4 standard errors of 1; the unsteady money counts as less capital."""
    sc = with_overrides(kediri, {"budget.volatility": 0.5, "budget.stable_source_share": 0.4})
    gov = _gov(sc)
    b = sc.budget
    trend = b.apbd_idr * (1 + b.apbd_growth_per_year) ** (2020 - b.apbd_year)
    ratios = []
    for _ in range(4000):
        gov.set_year_budget(2020)
        ratios.append(gov.apbd_idr / trend)
    ratios = np.array(ratios)
    sd = 0.5 * (1 - 0.4)
    assert np.log(ratios).std(ddof=1) == pytest.approx(sd, rel=0.05)
    se = ratios.std(ddof=1) / np.sqrt(len(ratios))
    assert abs(ratios.mean() - 1.0) < 4 * se
    # capital is money that is enough and steady: the same mean budget held steady scores more
    steady = _gov(with_overrides(sc, {"budget.volatility": 0.0}))
    steady.set_year_budget(2020)
    assert gov.capital < 0.9 * steady.capital

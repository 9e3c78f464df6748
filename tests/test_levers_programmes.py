"""The levers' arithmetic: money in, what it buys out (complaint desks, promotion, literacy
courses, assisted-digital agents), the hiring plan a policy asks for, and what staff cost.

Known answers come from the levers' declared meaning (a cost per unit bought, a
half-saturation spending), with the costs read from the behaviour object; each test compares
a policy with the same scenario without it, so it fails if the lever is disconnected.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.model import EGovModel
from model.scenario import Policy, with_overrides
from model.units import UNITS, unit_index

YEARLY_IDR = 12e9
"""Citizen-interface money in flow (IDR/year) set by hand, so the answers are in round sums."""
SHARES = np.array([u.staff_share for u in UNITS])


def _model(scenario, start: int = 2018, end: int = 2019, **levers) -> EGovModel:
    """A small model of ``scenario`` with one policy setting ``levers`` from ``start``."""
    sc = with_overrides(scenario, {"budget.volatility": 0.0})
    policies = (Policy(name="lever", start_year=start, **levers),) if levers else ()
    sc = dataclasses.replace(sc, policies=policies, events=())
    return EGovModel(sc, population=300, start_year=start, end_year=end, rng=1)


def _government(scenario, **levers):
    gov = _model(scenario, **levers).government
    gov.flow_idr["interface"] = YEARLY_IDR
    return gov


def test_funded_desk_capacity_is_the_money_over_the_cost_of_an_answer(kediri):
    """A fifth of Rp12 billion a year buys Rp200 million a month of answers, at
    ``cost_per_answered_complaint_idr`` each, on top of the regular desks."""
    base, funded = _government(kediri), _government(kediri, complaint_desk_share=0.2)
    cost = kediri.behaviour.cost_per_answered_complaint_idr
    extra = funded.desk_capacity(0.5) - base.desk_capacity(0.5)
    assert extra == pytest.approx(0.2 * YEARLY_IDR / 12 / cost)
    assert base.desk_capacity(0.5) > 0  # the regular desks answer without the lever


@pytest.mark.parametrize(("multiple", "awareness"), [(0.0, 0.0), (1.0, 0.5), (3.0, 0.75)])
def test_promotion_awareness_saturates_at_its_half_saturation_spending(kediri, multiple,
                                                                       awareness):
    """Spending h per resident per year (the declared half-saturation) makes half the
    residents aware, 3 h three quarters: x / (x + h)."""
    residents = kediri.population.residents
    h = kediri.behaviour.promotion_half_saturation_idr_per_resident
    share = multiple * h * residents / YEARLY_IDR
    assert share < 1.0
    gov = _government(kediri, complaint_promotion_share=share)
    assert gov.awareness() == pytest.approx(awareness)


def test_literacy_course_places_are_the_money_over_the_cost_of_a_course(kediri):
    gov = _government(kediri, literacy_course_share=0.1)
    cost = kediri.behaviour.literacy_course_cost_idr
    assert 12 * gov.course_places() == pytest.approx(0.1 * YEARLY_IDR / cost)
    assert _government(kediri).course_places() == 0.0


def test_assisted_agents_are_the_money_over_an_agents_yearly_cost(kediri):
    """Agents = money / cost per agent-year; each files its monthly number of requests."""
    bh = kediri.behaviour
    gov = _government(kediri, assisted_points_share=0.05)
    agents = 0.05 * YEARLY_IDR / bh.assisted_agent_cost_idr_per_year
    assert gov.assisted_capacity() == pytest.approx(agents * bh.assisted_requests_per_agent_month)
    assert _government(kediri).assisted_capacity() == 0.0


@pytest.mark.parametrize(("target", "areas"), [("rural", [1, 0]), ("urban", [0, 1]),
                                               ("all", [1, 1])])
def test_assisted_reach_is_capacity_over_the_targeted_areas_requests(jember, target, areas):
    """An agent is within reach of a targeted area's request with chance (agents' monthly
    requests) / (the area's expected requests), and never outside it; twice the money,
    twice the reach while below 1."""
    reach = {}
    for share in (0.01, 0.02):
        m = _model(jember, assisted_points_share=share, assisted_target=target)
        pop = jember.population
        residents = pop.residents * np.array([1 - pop.urban_share, pop.urban_share])
        requests = float(residents @ np.array(areas)) * float(m.citizens.p_need)
        cap = m.government.assisted_capacity()
        assert 0 < cap < requests
        reach[share] = m._assisted_reach()
        assert np.allclose(reach[share], np.array(areas) * cap / requests)
    assert np.allclose(reach[0.02], 2 * reach[0.01])


def test_the_hiring_plan_a_policy_asks_for(jember):
    """A fixed number of hires is counted among all civil servants, of whom the frontline
    share reaches the counters; a target is a frontline ratio per 10,000 residents, split
    over the units by staff share; planned hires go to the units named."""
    target, hires = 30.0, 400.0
    m = _model(jember, replace_retirements=0.7, hires_per_year=hires,
               staff_per_10k_target=target, hire_units=("rsud",), hire_selection=0.3)
    plan = m._hiring_plan()
    assert plan.replace_retirements == 0.7 and plan.selection == 0.3
    assert plan.fixed_hires == pytest.approx(hires * jember.staff.frontline_share)
    assert plan.units == (unit_index("rsud"),)
    total = target * jember.population.residents / 10_000
    assert plan.target_per_unit == pytest.approx(total * SHARES / SHARES.sum())
    default = _model(jember)._hiring_plan()
    assert default.target_per_unit is None and default.fixed_hires == 0.0


def test_staff_cost_is_salaries_plus_recruitment_at_the_selections_price(kediri):
    """Screening out half the applicants doubles them per post: a hire costs
    (1 + selection_cost_ratio * 0.5 / 0.5) times the unselected recruitment cost. The year's
    cost is the headcount's salaries plus that times the year's hires."""
    bh, salary = kediri.behaviour, kediri.staff.salary_idr_per_year
    rows = {}
    for s in (0.0, 0.5):
        m = _model(kediri, start=2018, end=2019, hire_selection=s, hires_per_year=500.0)
        for _ in range(24):
            m.step()
        rows[s] = m.annual_records[-1]
    for s, factor in ((0.0, 1.0), (0.5, 1.0 + bh.selection_cost_ratio)):
        row = rows[s]
        assert row["staff_hired"] > 0
        assert row["staff_cost_idr"] == pytest.approx(
            row["staff_headcount"] * salary
            + bh.recruitment_cost_idr_per_hire * factor * row["staff_hired"])

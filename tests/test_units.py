"""model.units: the four service units and their queueing wait."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.model import EGovModel
from model.units import UNITS


@pytest.fixture
def model(kediri):
    return EGovModel(kediri, population=200, start_year=2018, end_year=2018, rng=3)


def test_the_ipp_units_and_the_mpp_office_are_modelled():
    keys = [u.key for u in UNITS]
    assert keys == ["dukcapil", "dinsos", "rsud", "dpmptsp"]
    assert [u.ipp_unit for u in UNITS] == [True, True, True, False]
    assert sum(u.demand_share for u in UNITS) == pytest.approx(1.0)
    assert sum(u.staff_share for u in UNITS) == pytest.approx(1.0)
    assert all(u.base_days > 0 and 0 <= u.online_affinity <= 1 for u in UNITS)


@pytest.mark.parametrize(("rho", "times"), [(0.0, 1.0), (0.5, 2.0), (0.75, 4.0), (0.9, 10.0)])
def test_wait_is_the_single_server_queues_time_in_system(model, rho, times):
    """The M/M/1 queue's known answer: the mean time in the system is the service time over
    1 - utilisation, so half loaded doubles it and 90% loaded makes it ten times as long."""
    for unit in model.units:
        unit.settle(rho * 1000.0, 1000.0, model.config.behaviour)
        assert unit.utilisation == pytest.approx(rho)
        assert unit.wait_days == pytest.approx(times * unit.spec.base_days)


@pytest.mark.parametrize("rho", [0.95, 1.0, 3.0])
def test_utilisation_is_capped_in_the_wait_formula(model, rho):
    cap = model.config.behaviour.max_utilisation
    unit = model.units[0]
    unit.settle(rho * 100.0, 100.0, model.config.behaviour)
    assert unit.utilisation == pytest.approx(rho)  # the true load is kept
    assert unit.wait_days == pytest.approx(unit.spec.base_days / (1 - cap))


def test_no_capacity_means_the_capped_wait(model):
    cap = model.config.behaviour.max_utilisation
    unit = model.units[1]
    unit.settle(10.0, 0.0, model.config.behaviour)
    assert unit.utilisation == cap
    assert unit.wait_days == pytest.approx(unit.spec.base_days / (1 - cap))


def test_mpp_removes_part_of_the_wait(model):
    relief = model.config.behaviour.mpp_wait_relief
    unit = model.units[3]
    unit.in_mpp = True
    unit.settle(50.0, 100.0, model.config.behaviour)
    assert unit.counter_base_days(relief) == pytest.approx(unit.spec.base_days * (1 - relief))
    assert unit.wait_days == pytest.approx(unit.spec.base_days * (1 - relief) / 0.5)


def test_expected_wait_smooths_the_heard_waits(model):
    """Restates the word-of-mouth update (this month's wait weighs ``expected_wait_memory``);
    a wait held for many months becomes the expected one."""
    unit = model.units[0]
    e0 = unit.expected_wait_days
    m = model.config.behaviour.expected_wait_memory
    unit.settle(50.0, 100.0, model.config.behaviour)
    assert unit.expected_wait_days == pytest.approx((1 - m) * e0 + m * unit.wait_days)
    for _ in range(200):
        unit.settle(80.0, 100.0, model.config.behaviour)
    assert unit.expected_wait_days == pytest.approx(unit.spec.base_days / 0.2)


def test_online_coverage_runs_from_nothing_to_the_units_online_affinity(model):
    """``online_affinity`` is declared as the share of a unit's services that can move online
    at full application coverage: none without applications, that share at full coverage,
    more with more."""
    for unit in model.units:
        assert unit.online_coverage(0.0) == 0.0
        assert unit.online_coverage(1.0) == pytest.approx(unit.spec.online_affinity)
        assert unit.online_coverage(0.6) > unit.online_coverage(0.3)


def test_standards_promise_no_less_than_the_no_queue_turnaround():
    # A standard shorter than the turnaround with nobody queuing could never be kept.
    assert all(u.standard_days >= u.base_days for u in UNITS)


@pytest.mark.parametrize(("rho", "expected"), [(0.5, 0.0), (0.8, 0.0), (0.875, 0.5),
                                               (0.95, 1.0), (2.0, 1.0)])
def test_overload_runs_from_comfortable_to_the_cap(model, rho, expected):
    # With the defaults 0.8 (comfortable) and 0.95 (cap): halfway between is 0.5.
    bh = dataclasses.replace(model.config.behaviour, comfortable_utilisation=0.8,
                             max_utilisation=0.95)
    unit = model.units[0]
    unit.settle(rho * 100.0, 100.0, bh)
    assert unit.overload(bh) == pytest.approx(expected)


def test_capped_wait_stays_finite_for_any_admissible_cap(kediri):
    for cap in (0.5, 0.999):
        bh = dataclasses.replace(kediri.behaviour, max_utilisation=cap)
        m = EGovModel(dataclasses.replace(kediri, behaviour=bh), population=100,
                      start_year=2018, end_year=2018, rng=1)
        m.units[0].settle(1e9, 1.0, bh)
        assert np.isfinite(m.units[0].wait_days)
        assert m.units[0].wait_days == pytest.approx(UNITS[0].base_days / (1 - cap))

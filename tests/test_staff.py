"""model.staff: civil servants' skills, training, learning, retirement and hiring."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.behaviour import per_month
from model.staff import StaffPool
from model.units import UNITS

N = 20_000


@pytest.fixture
def pool(kediri):
    return StaffPool(kediri.staff, N, np.random.default_rng(42))


@pytest.fixture
def still_bh(kediri):
    """No learning by doing, obsolescence or integrity drift: training alone."""
    return dataclasses.replace(kediri.behaviour, learning_by_doing_per_year=0.0,
                               digital_skill_obsolescence_per_year=0.0,
                               integrity_from_regulation_per_year=0.0)


def _check_index(p: StaffPool) -> None:
    assert np.all(np.diff(p.unit) >= 0), "rows stay sorted by unit"
    counts = np.bincount(p.unit, minlength=len(UNITS))
    assert list(p.unit_count) == list(counts)
    assert list(p.unit_start) == list(np.concatenate([[0], np.cumsum(counts)[:-1]]))


def test_initial_pool_represents_the_frontline_staff(kediri, pool):
    spec = kediri.staff
    assert pool.n == N
    assert pool.headcount == pytest.approx(spec.civil_servants * spec.frontline_share)
    assert pool.age.max() < spec.retirement_age_years and pool.age.min() >= 20
    _check_index(pool)
    # Beta(12 m, 12 (1 - m)) skills have sd < 0.15: the mean of 20,000 is within 0.01 of m.
    for col, mean in ((pool.digital, spec.digital_skill), (pool.service, spec.service_skill),
                      (pool.integrity, spec.integrity)):
        assert abs(col.mean() - mean) < 0.01
        assert col.min() >= 0 and col.max() <= 1
    shares = np.array([u.staff_share for u in UNITS])
    assert np.allclose(pool.unit_count / N, shares / shares.sum(), atol=0.015)


def test_retire_at_the_retirement_age_and_age_one_year(pool):
    ret = pool.retirement_age
    pool.age[:] = np.linspace(ret - 5, ret - 0.01, pool.n, dtype=np.float32)
    will_retire = int((pool.age + 1 >= ret).sum())
    total_age = float(pool.age[pool.age + 1 < ret].sum())
    n_survive = pool.n - will_retire
    retired = pool.age_and_turn_over(0.0, 0.5)
    assert retired == will_retire > 0
    assert pool.n == n_survive
    assert pool.age.max() < ret
    assert float(pool.age.sum()) == pytest.approx(total_age + n_survive, rel=1e-5)
    _check_index(pool)


def test_routine_hires_are_poisson_with_the_lever_mean(kediri):
    """200 seeded years with no retirements: mean hires within 4 standard errors of
    share * headcount (Poisson: variance = mean)."""
    n, share = 2_000, 0.03
    hires = []
    for seed in range(200):
        p = StaffPool(kediri.staff, n, np.random.default_rng(seed))
        p.age[:] = 30.0
        p.age_and_turn_over(share, 0.6)
        hires.append(p.n - n)
    expected = share * n
    assert abs(np.mean(hires) - expected) < 4 * np.sqrt(expected / 200)
    assert np.var(hires) == pytest.approx(expected, rel=0.3)


def test_hire_adds_young_untenured_recruits_of_the_given_quality(pool):
    n0 = pool.n
    old_ids = pool.unit.copy()
    pool.hire(5_000, 0.7)
    assert pool.n == n0 + 5_000
    new = pool.tenure_months == 0
    assert new.sum() == 5_000
    assert np.all((pool.age[new] >= 23) & (pool.age[new] < 35))
    assert abs(pool.service[new].mean() - 0.7) < 0.01
    assert abs(pool.digital[new].mean() - 0.85) < 0.01  # hires are digitally ahead: q + 0.15
    assert np.all(pool.pending_digital[new] == 0)
    _check_index(pool)
    assert pool.unit_count.sum() == len(old_ids) + 5_000
    pool.hire(0, 0.7)
    assert pool.n == n0 + 5_000


def test_productivity_known_answer(kediri, pool):
    bh = kediri.behaviour
    pool.tenure_months[:3] = [0.0, bh.hire_learning_months / 2 - 1, 500.0]
    pool.service[:3] = [0.5, 0.5, 1.0]
    prod = pool.productivity(bh, fragmentation=0.5)
    denom = 1 + bh.staff_burden_per_fragmentation * 0.5
    r = bh.requests_per_staff_month
    assert prod[0] == pytest.approx(r * 1.0 / bh.hire_learning_months / denom, rel=1e-6)
    assert prod[1] == pytest.approx(r * 1.0 * 0.5 / denom, rel=1e-6)
    assert prod[2] == pytest.approx(r * 1.5 / denom, rel=1e-6)
    cap = pool.unit_capacity(bh, 0.5)
    assert cap.sum() == pytest.approx(prod.sum() * pool.weight, rel=1e-6)


def test_training_share_and_gain(still_bh, pool):
    """Share trained in a month = per_month(training_share * competency); a trained civil
    servant books g * (1 - skill) and realises 1/payoff of it each month. Tolerance: 4
    binomial standard errors on 20,000."""
    competency = 0.8
    d0, s0 = pool.digital.copy(), pool.service.copy()
    pool.develop(still_bh, competency, 0.0, np.zeros(pool.n))
    trained = pool.pending_digital > 0
    p = per_month(still_bh.training_share_per_year * competency)
    assert abs(trained.mean() - p) < 4 * np.sqrt(p * (1 - p) / pool.n)
    g, rate = still_bh.training_gain, 1 / still_bh.training_payoff_months
    booked = g * (1 - d0[trained])
    assert np.allclose(pool.pending_digital[trained], booked * (1 - rate), rtol=1e-4)
    assert np.allclose(pool.digital[trained], d0[trained] + booked * rate, rtol=1e-4)
    assert np.allclose(pool.service[trained], s0[trained] + g * (1 - s0[trained]) * rate,
                       rtol=1e-4)
    assert np.array_equal(pool.digital[~trained], d0[~trained])
    assert np.all(pool.tenure_months == 121)


def test_no_competency_no_training(still_bh, pool):
    d0 = pool.digital.copy()
    pool.develop(still_bh, 0.0, 0.0, np.zeros(pool.n))
    assert not pool.pending_digital.any()
    assert np.array_equal(pool.digital, d0)


def test_learning_by_doing_scales_with_load_up_to_one_and_a_half(kediri, pool):
    bh = dataclasses.replace(kediri.behaviour, digital_skill_obsolescence_per_year=0.0,
                             integrity_from_regulation_per_year=0.0,
                             learning_by_doing_per_year=0.2)
    s0 = pool.service.copy()
    load = np.tile(np.array([0.0, 0.5, 1.0, 3.0]), pool.n // 4)
    pool.develop(bh, 0.0, 0.0, load)
    lbd = per_month(0.2) * np.minimum(load, 1.5)
    assert np.allclose(pool.service, s0 + lbd * (1 - s0), rtol=1e-5)


def test_digital_obsolescence_and_integrity_from_regulation(kediri, pool):
    bh = dataclasses.replace(kediri.behaviour, learning_by_doing_per_year=0.0,
                             digital_skill_obsolescence_per_year=0.1,
                             integrity_from_regulation_per_year=0.3)
    d0, i0 = pool.digital.copy(), pool.integrity.copy()
    pool.develop(bh, 0.0, 0.5, np.zeros(pool.n))
    assert np.allclose(pool.digital, d0 * (1 - per_month(0.1)), rtol=1e-5)
    assert np.allclose(pool.integrity, i0 + per_month(0.15) * (1 - i0), rtol=1e-5)


def test_improve_units_closes_each_units_gaps(pool):
    s0, i0 = pool.service.copy(), pool.integrity.copy()
    gain = np.array([0.0, 0.1, 0.0, 0.5])
    pool.improve_units(gain)
    g = gain[pool.unit]
    assert np.allclose(pool.service, s0 + g * (1 - s0), rtol=1e-5)
    assert np.allclose(pool.integrity, i0 + g * (1 - i0), rtol=1e-5)

"""model.staff: civil servants' skills, training, learning, retirement and hiring plans.

Known answers come from the rules in the docstrings, with the parameters read from the
behaviour object; stochastic rules are checked on seeded samples with tolerances of 4 to 4.5
standard errors (binomial, Poisson or of a mean), stated in each test.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from model.behaviour import per_month
from model.staff import HiringPlan, StaffPool
from model.units import UNITS

N = 20_000
ALL_UNITS = tuple(range(len(UNITS)))
SHARES = np.array([u.staff_share for u in UNITS])


def _pool(kediri, n: int = N, seed: int = 42, bh=None) -> StaffPool:
    return StaffPool(kediri.staff, bh or kediri.behaviour, n, np.random.default_rng(seed))


@pytest.fixture
def pool(kediri):
    return _pool(kediri)


@pytest.fixture
def still_bh(kediri):
    """No learning by doing, obsolescence or integrity drift: training alone."""
    return dataclasses.replace(kediri.behaviour, learning_by_doing_per_year=0.0,
                               digital_skill_obsolescence_per_year=0.0,
                               integrity_from_regulation_per_year=0.0)


def _plan(**kw) -> HiringPlan:
    """A plan that hires nobody unless told to."""
    base = dict(routine_share=0.0, quality=0.6, replace_retirements=0.0, fixed_hires=0.0,
                target_per_unit=None, units=ALL_UNITS, selection=0.0)
    return HiringPlan(**(base | kw))


def _check_index(p: StaffPool) -> None:
    assert np.all(np.diff(p.unit) >= 0), "rows stay sorted by unit"
    counts = np.bincount(p.unit, minlength=len(UNITS))
    assert list(p.unit_count) == list(counts)
    assert list(p.unit_start) == list(np.concatenate([[0], np.cumsum(counts)[:-1]]))


def _hires_per_unit(p: StaffPool) -> np.ndarray:
    """Simulated rows hired by the last turnover (the only rows without tenure)."""
    return np.bincount(p.unit[p.tenure_months == 0], minlength=len(UNITS))


def _poisson_ok(observed, mean, z: float = 4.5) -> bool:
    return bool(np.all(np.abs(np.asarray(observed) - mean) <= z * np.sqrt(mean) + 1e-12))


# --- the starting pool ------------------------------------------------------------------
def test_initial_pool_represents_the_frontline_staff(kediri, pool):
    """Headcount is the frontline share of the civil servants; ages centre on the stated mean
    (half are younger, 4.5 binomial s.e.); skills are Beta with the stated mean and the
    variance m (1 - m) / (c + 1) of concentration c (means within 4.5 s.e., sd within 5%);
    units get staff by their staff shares (4.5 binomial s.e.)."""
    spec, c = kediri.staff, kediri.behaviour.skill_concentration
    assert pool.n == N
    assert pool.headcount == pytest.approx(spec.civil_servants * spec.frontline_share)
    assert abs((pool.age < spec.mean_age_years).mean() - 0.5) < 4.5 * np.sqrt(0.25 / N)
    _check_index(pool)
    for col, m in ((pool.digital, spec.digital_skill), (pool.service, spec.service_skill),
                   (pool.integrity, spec.integrity)):
        sd = np.sqrt(m * (1 - m) / (c + 1))
        assert abs(col.mean() - m) < 4.5 * sd / np.sqrt(N)
        assert col.std() == pytest.approx(sd, rel=0.05)
    p = SHARES / SHARES.sum()
    assert np.all(np.abs(pool.unit_count / N - p) < 4.5 * np.sqrt(p * (1 - p) / N))


# --- monthly work -----------------------------------------------------------------------
def test_productivity_means_what_its_parameters_declare(kediri, pool):
    """Known answers from the parameters' declared meanings, not from the expression:
    ``requests_per_staff_month`` is what a civil servant of median skill completes at full
    speed; a new hire reaches full speed after ``hire_learning_months`` and not before;
    ``staff_burden_per_fragmentation`` is the extra time per request at full fragmentation;
    a unit's capacity is the sum of its staff's, weighted to real civil servants."""
    # productivity_at_zero_skill at its declared default, where median skill is full speed
    bh = pool.bh = dataclasses.replace(kediri.behaviour, productivity_at_zero_skill=0.5)
    learning = bh.hire_learning_months
    assert learning >= 3
    pool.service[:4] = 0.5
    pool.tenure_months[:4] = [500.0, learning - 1, learning - 2, 0.0]
    full, just, almost, new = pool.productivity(fragmentation=0.0)[:4]
    assert full == pytest.approx(bh.requests_per_staff_month, rel=1e-6)
    assert just == pytest.approx(full) and almost < full and new < almost
    slowed = pool.productivity(fragmentation=1.0)[0]
    assert 1 / slowed == pytest.approx((1 + bh.staff_burden_per_fragmentation) / full)
    pool.service[4] = 1.0
    pool.tenure_months[4] = 500.0
    assert pool.productivity(0.0)[4] > full  # more skill, faster
    cap = pool.unit_capacity(0.5)
    assert cap.sum() == pytest.approx(pool.productivity(0.5).sum() * pool.weight)
    assert np.allclose(cap, [pool.productivity(0.5)[pool.unit == u].sum() * pool.weight
                             for u in range(len(UNITS))])


def test_a_request_meets_a_civil_servant_of_its_unit_uniformly(kediri, pool):
    """Draw (i + 1/2) / count picks the unit's i-th civil servant, so uniform draws meet each
    one equally; a unit left without staff borrows from the whole pool the same way."""
    u = 2
    count = pool.unit_count[u]
    rows = pool.serving(np.full(count, u), (np.arange(count) + 0.5) / count)
    assert np.array_equal(rows, pool.unit_start[u] + np.arange(count))
    pool.age[pool.unit == 3] = pool.retirement_age  # unit 3 retires entirely
    pool.age_and_turn_over(_plan())
    assert pool.unit_count[3] == 0
    rows = pool.serving(np.full(pool.n, 3), (np.arange(pool.n) + 0.5) / pool.n)
    assert np.array_equal(rows, np.arange(pool.n))


# --- training and learning --------------------------------------------------------------
def test_training_share_and_gain(still_bh, pool):
    """Share trained in a month = per_month(training_share * competency); a trained civil
    servant books g * (1 - skill) on each skill (an even split closes both by the full gain)
    and realises 1/payoff of it each month. Tolerance: 4 binomial standard errors."""
    pool.bh = still_bh
    competency = 0.8
    d0, s0 = pool.digital.copy(), pool.service.copy()
    pool.develop(competency, 0.0, np.zeros(pool.n), 0.5, ALL_UNITS)
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
    assert np.all(pool.tenure_months == still_bh.initial_tenure_months + 1)


@pytest.mark.parametrize("digital_share", [0.0, 0.25, 0.5, 0.8, 1.0])
def test_training_gain_is_split_between_digital_and_service_skills(still_bh, pool,
                                                                  digital_share):
    """A training books min(1, 2 d g) of the digital gap and min(1, 2 (1 - d) g) of the
    service gap: an even split closes both by g, all-digital training closes the digital gap
    twice as far and leaves service skills alone, and the reverse."""
    pool.bh = still_bh
    d0, s0 = pool.digital.copy(), pool.service.copy()
    pool.develop(1.0, 0.0, np.zeros(pool.n), digital_share, ALL_UNITS)
    trained = (pool.pending_digital > 0) | (pool.pending_service > 0) | (pool.digital != d0)
    assert trained.sum() > 500
    g, keep = still_bh.training_gain, 1 - 1 / still_bh.training_payoff_months
    g_digital = min(1.0, 2 * digital_share * g)
    g_service = min(1.0, 2 * (1 - digital_share) * g)
    assert np.allclose(pool.pending_digital[trained], g_digital * (1 - d0[trained]) * keep,
                       atol=1e-6)
    assert np.allclose(pool.pending_service[trained], g_service * (1 - s0[trained]) * keep,
                       atol=1e-6)


def test_training_aimed_at_units_trains_only_their_staff_at_the_concentrated_rate(still_bh,
                                                                                   pool):
    """Aimed at units 0 and 2, the same trainings go to their staff only: each of them is
    trained with per_month(share * competency * n / n_target), within 4.5 binomial s.e."""
    pool.bh = still_bh
    aimed = (0, 2)
    target = np.isin(pool.unit, aimed)
    concentration = pool.n / target.sum()
    competency = 0.6 / (still_bh.training_share_per_year * concentration)  # yearly rate 0.6
    assert competency <= 1.0
    pool.develop(competency, 0.0, np.zeros(pool.n), 0.5, aimed)
    trained = pool.pending_digital > 0
    assert not trained[~target].any()
    p = per_month(still_bh.training_share_per_year * competency * concentration)
    assert p == pytest.approx(per_month(0.6))
    assert abs(trained[target].mean() - p) < 4.5 * np.sqrt(p * (1 - p) / target.sum())


def test_no_competency_no_training(still_bh, pool):
    pool.bh = still_bh
    d0 = pool.digital.copy()
    pool.develop(0.0, 0.0, np.zeros(pool.n), 0.5, ALL_UNITS)
    assert not pool.pending_digital.any()
    assert np.array_equal(pool.digital, d0)


def test_learning_by_doing_closes_its_yearly_share_of_the_gap_at_full_workload(kediri):
    """``learning_by_doing_per_year`` is declared as the share of the service-skill gap closed
    per year of full workload: twelve months at load 1 close exactly that share; no work
    teaches nothing, half the work less, and work beyond ``learning_load_cap`` no more than
    the cap."""
    bh = dataclasses.replace(kediri.behaviour, digital_skill_obsolescence_per_year=0.0,
                             integrity_from_regulation_per_year=0.0,
                             learning_by_doing_per_year=0.2)
    pool = _pool(kediri, bh=bh)
    s0 = pool.service.copy()
    cap = bh.learning_load_cap
    load = np.tile(np.array([0.0, 0.5, 1.0, cap, cap + 1.5], dtype=np.float32), pool.n // 5)
    for _ in range(12):
        pool.develop(0.0, 0.0, load, 0.5, ALL_UNITS)
    closed = (pool.service - s0) / (1 - s0)
    by_load = [closed[i::5] for i in range(5)]
    assert np.allclose(by_load[0], 0.0)
    assert np.allclose(by_load[2], 0.2, rtol=1e-4)
    assert np.all(by_load[1] < by_load[2]) and np.all(by_load[2] < by_load[3])
    assert np.allclose(by_load[4], by_load[3], rtol=1e-5)


def test_digital_obsolescence_and_integrity_from_regulation_over_a_year(kediri):
    """The yearly rates as declared, over twelve monthly steps: digital skill loses
    ``digital_skill_obsolescence_per_year`` of itself a year; at full regulation the
    integrity gap closes by ``integrity_from_regulation_per_year`` a year, at half regulation
    by less."""
    bh = dataclasses.replace(kediri.behaviour, learning_by_doing_per_year=0.0,
                             digital_skill_obsolescence_per_year=0.1,
                             integrity_from_regulation_per_year=0.3)
    full, half = _pool(kediri, bh=bh), _pool(kediri, bh=bh)
    d0, i0 = full.digital.copy(), full.integrity.copy()
    for _ in range(12):
        full.develop(0.0, 1.0, np.zeros(full.n), 0.5, ALL_UNITS)
        half.develop(0.0, 0.5, np.zeros(half.n), 0.5, ALL_UNITS)
    assert np.allclose(full.digital, 0.9 * d0, rtol=1e-4)
    assert np.allclose((full.integrity - i0) / (1 - i0), 0.3, rtol=1e-4)
    assert np.all(half.integrity < full.integrity) and np.all(half.integrity > i0)


def test_improve_units_closes_each_units_gaps_up_to_the_cap(kediri, pool):
    cap = kediri.behaviour.max_unit_improvement_per_month
    assert cap < 0.7
    s0, i0 = pool.service.copy(), pool.integrity.copy()
    gain = np.array([0.0, 0.1, 0.0, cap + 0.3])
    pool.improve_units(gain)
    g = np.array([0.0, 0.1, 0.0, cap])[pool.unit]
    assert np.allclose(pool.service, s0 + g * (1 - s0), rtol=1e-5)
    assert np.allclose(pool.integrity, i0 + g * (1 - i0), rtol=1e-5)


# --- retirement and the hiring plan -------------------------------------------------------
def test_retire_at_the_retirement_age_and_age_one_year(pool):
    ret = pool.retirement_age
    pool.age[:] = np.linspace(ret - 5, ret - 0.01, pool.n, dtype=np.float32)
    will_retire = pool.age + 1 >= ret
    per_unit = np.bincount(pool.unit[will_retire], minlength=len(UNITS)) * pool.weight
    total_age = float(pool.age[~will_retire].sum())
    n_survive = pool.n - int(will_retire.sum())
    retired = pool.age_and_turn_over(_plan())
    assert np.allclose(retired, per_unit) and retired.sum() > 0
    assert pool.n == n_survive and pool.hired_this_year == 0.0
    assert pool.age.max() < ret
    assert float(pool.age.sum()) == pytest.approx(total_age + n_survive, rel=1e-5)
    _check_index(pool)


def test_loads_move_with_their_civil_servants_and_hires_start_with_none(kediri, pool):
    """Last month's load (read by learning by doing) stays with each civil servant through
    retirements and the re-sorting after hires; a hire has done no work here yet."""
    ret = pool.retirement_age
    pool.age[:] = np.linspace(ret - 5, ret - 0.01, pool.n, dtype=np.float32)
    pool.load[:] = np.arange(1, pool.n + 1, dtype=np.float32)  # a tag per civil servant
    stays = pool.age + 1 < ret
    kept = pool.load[stays].copy()
    pool.age_and_turn_over(_plan(routine_share=0.05))
    hired = pool.tenure_months == 0
    assert hired.sum() > 0 and np.all(pool.load[hired] == 0.0)
    assert np.array_equal(pool.load[~hired], kept)  # the same people, in the same order


def test_routine_hires_are_poisson_with_the_lever_mean(kediri):
    """200 seeded years with no retirements: mean hires within 4 standard errors of
    share * headcount (Poisson: variance = mean), spread over the units by staff share."""
    n, share = 2_000, 0.03
    hires, by_unit = [], np.zeros(len(UNITS))
    for seed in range(200):
        p = _pool(kediri, n=n, seed=seed)
        p.age[:] = 30.0
        p.age_and_turn_over(_plan(routine_share=share))
        hires.append(p.n - n)
        by_unit += _hires_per_unit(p)
        assert p.hired_this_year == pytest.approx((p.n - n) * p.weight)
    expected = share * n
    assert abs(np.mean(hires) - expected) < 4 * np.sqrt(expected / 200)
    assert np.var(hires) == pytest.approx(expected, rel=0.3)
    assert _poisson_ok(by_unit, 200 * expected * SHARES / SHARES.sum())


def test_planned_replacement_of_each_units_own_retirements(kediri, pool):
    """Unit 1 loses 2,000 rows, unit 3 1,000, the others none; replacing half of each
    unit's retirements hires Poisson(half of them) there (4.5 s.e.) and nobody elsewhere."""
    pool.age[:] = 30.0
    leave = np.zeros(len(UNITS), dtype=int)
    for u, k in ((1, 2_000), (3, 1_000)):
        pool.age[pool.unit_start[u]:pool.unit_start[u] + k] = pool.retirement_age
        leave[u] = k
    retired = pool.age_and_turn_over(_plan(replace_retirements=0.5))
    assert np.allclose(retired, leave * pool.weight)
    hired = _hires_per_unit(pool)
    assert hired[0] == hired[2] == 0
    assert _poisson_ok(hired, 0.5 * leave)


def test_a_fixed_number_of_hires_is_spread_over_the_plans_units_by_staff_share(kediri, pool):
    """6,000 simulated rows' worth of real hires sent to units 0 and 3: each gets its staff
    share of the pair (Poisson, 4.5 s.e.), the others none."""
    pool.age[:] = 30.0
    units = (0, 3)
    pool.age_and_turn_over(_plan(fixed_hires=6_000 * pool.weight, units=units))
    hired = _hires_per_unit(pool)
    expected = np.zeros(len(UNITS))
    expected[list(units)] = 6_000 * SHARES[list(units)] / SHARES[list(units)].sum()
    assert hired[1] == hired[2] == 0
    assert _poisson_ok(hired, expected)


def test_a_staffing_target_is_hired_up_to(kediri, pool):
    """Routine hires of 10% everywhere; unit 0's target is 2,000 rows above its headcount,
    unit 1's 200 (less than its routine hires), units 2 and 3 sit at or above target. Hires
    are the larger of routine and the gap, not their sum: Poisson with those means (4.5 s.e.,
    less than the routine hires a sum would add)."""
    pool.age[:] = 30.0
    head = pool.unit_count.astype(float)
    routine = 0.1 * pool.n * SHARES / SHARES.sum()
    gap = np.array([2_000.0, 200.0, 0.0, -500.0])
    assert routine[1] > gap[1]
    target = head + gap
    pool.age_and_turn_over(_plan(routine_share=0.1, target_per_unit=target * pool.weight))
    expected = np.maximum(routine, gap)
    assert expected[0] == gap[0] and np.allclose(expected[1:], routine[1:])
    assert np.all(4.5 * np.sqrt(expected[:2]) < np.minimum(routine, gap)[:2])
    assert _poisson_ok(_hires_per_unit(pool), expected)


def test_hire_adds_young_untenured_recruits_of_the_given_quality(kediri, pool):
    """Hires' ages are uniform over the hiring ages (mean at the midpoint, 4.5 s.e.); their
    skills Beta with mean q, digital q + premium (4.5 s.e. of a Beta mean)."""
    bh = kediri.behaviour
    n0, k, q = pool.n, 5_000, 0.6
    pool.hire(np.repeat(np.array([0, 2]), k // 2), q)
    assert pool.n == n0 + k
    new = pool.tenure_months == 0
    assert new.sum() == k
    assert np.bincount(pool.unit[new], minlength=len(UNITS)).tolist() == [k // 2, 0, k // 2, 0]
    lo, hi = bh.hire_age_min_years, bh.hire_age_max_years
    assert abs(pool.age[new].mean() - (lo + hi) / 2) < 4.5 * (hi - lo) / np.sqrt(12 * k)
    c = bh.skill_concentration
    for col, m in ((pool.service, q), (pool.digital, q + bh.hire_digital_premium)):
        assert abs(col[new].mean() - m) < 4.5 * np.sqrt(m * (1 - m) / (c + 1) / k)
    assert not pool.pending_digital[new].any() and not pool.pending_service[new].any()
    _check_index(pool)
    pool.hire(np.array([], dtype=int), q)
    assert pool.n == n0 + k


@pytest.mark.parametrize("selection", [0.5, 0.8])
def test_selection_hires_the_best_applicants(kediri, pool, selection):
    """Screening out a share s of applicants keeps the top 1 - s of Beta(q c, (1 - q) c)
    service skills: the hires' mean is E[X | X > the s-quantile], computed from the Beta
    distribution (within 4.5 standard errors of a mean of the tail), above q."""
    bh, q, k = kediri.behaviour, 0.5, 10_000
    dist = stats.beta(q * bh.skill_concentration, (1 - q) * bh.skill_concentration)
    cut = dist.ppf(selection)
    tail_mean = dist.expect(lambda x: x, lb=cut, conditional=True)
    tail_sd = np.sqrt(dist.expect(lambda x: (x - tail_mean) ** 2, lb=cut, conditional=True))
    pool.hire(np.zeros(k, dtype=int), q, selection)
    new = pool.tenure_months == 0
    assert tail_mean > q + 0.05
    assert abs(pool.service[new].mean() - tail_mean) < 4.5 * tail_sd / np.sqrt(k)
    assert pool.service[new].min() == pytest.approx(cut, abs=0.01)


@pytest.mark.parametrize("selection", [0.0, 0.5])
def test_which_unit_a_hire_joins_does_not_depend_on_their_skill(pool, selection):
    """2,000 hires of mean skill 0.5, 500 per unit: every unit's new staff have the same mean
    skill, within 4.5 standard errors of the difference (Beta spread m(1-m)/(c+1))."""
    n0 = pool.n
    pool.hire(np.repeat(np.arange(4), 500), 0.5, selection)
    new = np.zeros(pool.n, dtype=bool)
    new[np.flatnonzero(pool.tenure_months == 0)] = True
    assert new.sum() == pool.n - n0 == 2000
    means = [pool.service[new & (pool.unit == u)].mean() for u in range(4)]
    sd = pool.service[new].std()
    assert max(means) - min(means) < 4.5 * sd * np.sqrt(2 / 500)

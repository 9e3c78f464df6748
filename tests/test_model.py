"""model.model and model.runner: the month loop, events, outputs, seeds, batch_run."""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pandas as pd
import pytest

import model
from model.behaviour import per_month
from model.model import EGovModel
from model.outputs import ANNUAL_COLUMNS, ANNUAL_OUTPUTS, MONTHLY_OUTPUTS
from model.runner import map_runs, replication_seeds, run, run_replications
from model.scenario import Policy


def _steps(m: EGovModel, n: int) -> None:
    for _ in range(n):
        m.step()


def test_batch_run_builds_the_model_from_its_defaults():
    rows = mesa.batch_run(model.EGovModel, parameters={}, rng=[1, 2], max_steps=24,
                          number_processes=1, display_progress=False)
    assert len(rows) == 2
    for row in rows:
        for o in MONTHLY_OUTPUTS:
            assert o.name in row
        assert row["year"] == 2019 and row["month"] == 12
    assert rows[0]["online_share"] != rows[1]["online_share"]


def test_year_and_month_advance_and_the_run_stops_after_end_year(kediri):
    m = EGovModel(kediri, population=300, start_year=2018, end_year=2019, rng=1)
    assert (m.year, m.month) == (2018, 1)
    _steps(m, 13)
    assert (m.year, m.month) == (2019, 2)
    assert m.running
    _steps(m, 11)
    assert not m.running and (m.year, m.month) == (2020, 1)
    m.step()  # a stopped model does not move
    assert (m.year, m.month) == (2020, 1)
    assert [r["year"] for r in m.annual_records] == [2018, 2019]
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 24 and list(df.columns) == [o.name for o in MONTHLY_OUTPUTS]
    assert list(df["month"]) == list(range(1, 13)) * 2


def test_mpp_opens_in_its_month_for_the_units_of_its_event(kediri):
    """Kediri's MPP (2023-09) takes the counters of the units its event names, no others."""
    (mpp,) = [e for e in kediri.events if e.kind == "mpp_open"]
    m = EGovModel(kediri, population=300, start_year=mpp.year, end_year=mpp.year, rng=1)
    assert 0 < len(mpp.units) < len(m.units)  # some units join and some stay outside
    _steps(m, mpp.month - 1)
    assert not m.mpp_open and not any(u.in_mpp for u in m.units)
    m.step()
    assert m.mpp_open
    assert {u.spec.key for u in m.units if u.in_mpp} == set(mpp.units)


def test_recruitment_event_adds_hires_to_the_units(jember):
    (ev,) = [e for e in jember.events if e.kind == "recruitment"]
    m = EGovModel(jember, population=2_000, start_year=ev.year, end_year=ev.year, rng=5)
    _steps(m, ev.month - 1)
    n0, counts0 = m.staff.n, m.staff.unit_count.copy()
    m.step()
    added = m.staff.n - n0
    expected = ev.hires * jember.staff.frontline_share / m.staff.weight
    assert abs(added - expected) < 5 * np.sqrt(expected)  # Poisson, 5 sd
    assert np.all(m.staff.unit_count >= counts0) and m.staff.unit_count.sum() == m.staff.n
    assert len(m.staff.load) == m.staff.n


def test_learning_by_doing_goes_on_through_the_new_year(jember):
    """December's workload teaches in January as any month's does: the year's retirements and
    hires keep each civil servant's load with them (hires start with none). With training and
    complaint-driven improvement off, January's service skill of everyone who stayed is the
    learning-by-doing rule applied to their December load: per_month(rate) * min(load, cap)
    of the gap."""
    bh = dataclasses.replace(jember.behaviour, training_share_per_year=0.0,
                             complaint_improvement=0.0)
    m = EGovModel(dataclasses.replace(jember, behaviour=bh), population=2_000,
                  start_year=2018, end_year=2019, rng=3)
    _steps(m, 12)
    age, service, load = (m.staff.age.copy(), m.staff.service.copy(), m.staff.load.copy())
    m.step()  # January: turnover, then a month of development
    stayed = age + 1 < m.staff.retirement_age
    old = m.staff.tenure_months > 1  # hires of this January have one month of tenure
    assert old.sum() == stayed.sum() and (~old).sum() > 0
    taught = per_month(bh.learning_by_doing_per_year) * np.minimum(load[stayed],
                                                                   bh.learning_load_cap)
    assert np.mean(taught > 0) > 0.25  # not vacuous: many served someone in December
    expected = service[stayed] + taught * (1 - service[stayed])
    np.testing.assert_allclose(m.staff.service[old], expected, rtol=1e-5)


def test_internet_coverage_responds_to_connectivity_money_in_its_own_area(kediri):
    """Connectivity money aimed at rural areas raises rural coverage and lowers urban coverage
    against the same seed without the aim; each area's coverage moves by the declared effect
    (access added by raising the stock from 0 to 1) times its own stock's change, and the other
    area's stock does not enter. Without the effect, coverage is the starting access plus the
    national trend whatever is spent."""
    def coverage(sc):
        m = EGovModel(sc, population=300, start_year=2018, end_year=2020, rng=1)
        _steps(m, 18)
        stocks = m.government.stocks
        return m.internet_coverage(), np.array([stocks["connectivity_rural"],
                                                stocks["connectivity_urban"]])
    base = dataclasses.replace(kediri, policies=())
    aimed = dataclasses.replace(base, policies=(Policy(
        name="rural", start_year=2018, connectivity_rural_share=1.0),))
    (cov0, st0), (cov1, st1) = coverage(base), coverage(aimed)
    assert cov1[0] > cov0[0] and cov1[1] < cov0[1]
    assert cov1.max() < kediri.behaviour.max_internet_access  # below the cap: unclipped
    effect = kediri.behaviour.connectivity_access_effect
    assert np.allclose(cov1 - cov0, effect * (st1 - st0), rtol=1e-9, atol=1e-12)
    flat = model.with_overrides(base, {"behaviour.connectivity_access_effect": 0.0})
    pop, trend = kediri.population, kediri.behaviour.internet_trend_per_year
    start = np.array([pop.internet_access_rural, pop.internet_access_urban])
    for sc in (flat, dataclasses.replace(flat, policies=aimed.policies)):
        assert np.allclose(coverage(sc)[0], start + trend * 1.5)  # July 2019: 18 months


def test_complaint_channels_are_the_national_channel_plus_local_desks(kediri):
    """SP4N-LAPOR, the national channel, exists with no local desks: with no citizen-interface
    stock the channels' availability is ``complaint_channel_floor`` (its declared meaning), a
    full interface stock makes them fully available, and more interface is more channel."""
    m = EGovModel(kediri, population=300, start_year=2018, end_year=2018, rng=1)
    floor = kediri.behaviour.complaint_channel_floor
    assert 0.0 < floor < 1.0

    def channel(level: float) -> float:
        m.government.stocks["interface"] = level
        return m._context().complaint_channel
    assert channel(0.0) == pytest.approx(floor)
    assert channel(1.0) == pytest.approx(1.0)
    assert np.all(np.diff([channel(x) for x in np.linspace(0.0, 1.0, 11)]) > 0)


def test_dissatisfied_users_complain_through_the_months_channels(kediri):
    """Everyone dissatisfied (threshold 1) and certain to complain where a channel is
    (propensity 1), with no promotion: a month's requests complain with the chance of that
    month's channel availability; the year's complaints are within 4.5 binomial standard
    errors of the sum of those chances."""
    sc = model.with_overrides(dataclasses.replace(kediri, policies=()), {
        "behaviour.bad_experience_threshold": 1.0, "behaviour.complaint_propensity": 1.0})
    m = EGovModel(sc, population=10_000, start_year=2018, end_year=2018, rng=3)
    contexts, outcomes = _record(m)
    _steps(m, 12)
    p = np.array([c.complaint_channel for c in contexts])
    k = np.array([len(o.unit) for o in outcomes])
    assert all(c.awareness == 0.0 for c in contexts) and np.all((p > 0.3) & (p < 1.0))
    complained = sum(int(o.complained.sum()) for o in outcomes)
    expected, var = float((k * p).sum()), float((k * p * (1 - p)).sum())
    assert k.sum() > 5_000
    assert abs(complained - expected) < 4.5 * np.sqrt(var)


def _record(m: EGovModel, requests: list | None = None) -> tuple[list, list]:
    """Record each month's context and outcomes (and, given a list, its requests)."""
    contexts, outcomes = [], []
    context, complete = m._context, m.citizens.complete_requests
    choose = m.citizens.choose_channels

    def context_recorded():
        contexts.append(context())
        return contexts[-1]

    def complete_recorded(*args, **kw):
        outcomes.append(complete(*args, **kw))
        return outcomes[-1]

    def choose_recorded(*args, **kw):
        requests.append(choose(*args, **kw))
        return requests[-1]
    m._context = context_recorded
    m.citizens.complete_requests = complete_recorded
    if requests is not None:
        m.citizens.choose_channels = choose_recorded
    return contexts, outcomes


def test_every_request_of_a_month_ends_that_month_in_one_place(kediri):
    """Conservation of requests: each month every request made is completed (succeeds or
    fails; none waits into the next month), ends in exactly one place (online, at a counter,
    through an intermediary; a failed online attempt at the counter), and the year's totals,
    the assessors' tally and the annual row count the same requests."""
    m = EGovModel(kediri, population=2_000, start_year=2018, end_year=2018, rng=2)
    requests: list = []
    _, outcomes = _record(m, requests)
    _steps(m, 12)
    assert len(requests) == len(outcomes) == 12
    for req, out in zip(requests, outcomes, strict=True):
        assert np.array_equal(req.unit, out.unit)  # the same requests, in order
        done_online = req.online & req.online_ok
        place = done_online.astype(int) + req.counter + req.inter
        assert np.all(place == 1)
        assert np.array_equal(req.online & req.counter, req.online & ~req.online_ok)
        assert np.array_equal(out.counter, req.counter) and np.array_equal(out.online, req.online)
        assert not (out.answered & ~out.complained).any()
    made = sum(len(r.unit) for r in requests)
    success = sum(int(o.success.sum()) for o in outcomes)
    failed = sum(int((~o.success).sum()) for o in outcomes)
    assert 0 < failed < made and success + failed == made
    from model.citizens import ACCUMULATORS
    totals = dict(zip(ACCUMULATORS, m.citizens.year_totals, strict=True))
    assert totals["visits"].sum() == made and totals["success"].sum() == success
    assert m.tally.get("requests").sum() == made
    staffed = sum(int((o.counter | o.online).sum()) for o in outcomes)
    inter = sum(int(r.inter.sum()) for r in requests)
    assert m.tally.get("staffed").sum() == staffed == made - inter
    (row,) = m.annual_records
    assert row["success_rate"] == pytest.approx(success / made)
    complaints = sum(int(o.complained.sum()) for o in outcomes)
    answered = sum(int(o.answered.sum()) for o in outcomes)
    assert row["complaint_rate"] == pytest.approx(complaints / made)
    assert row["answered_share"] == pytest.approx(answered / complaints)


def test_overrides_and_scenario_paths_are_accepted(kediri):
    m = EGovModel("scenarios/kediri.toml", population=100, overrides={"shares.apps": 0.5},
                  rng=1)
    assert m.config.shares.apps == 0.5 and m.config.region == kediri.region
    with pytest.raises(ValueError):
        EGovModel(kediri, population=100, start_year=2020, end_year=2019)


def test_population_is_capped_at_residents_and_full_means_everyone(kediri):
    small = dataclasses.replace(kediri, population=dataclasses.replace(
        kediri.population, residents=500))
    m = EGovModel(small, population=10_000, rng=1)
    assert m.citizens.n == 500 and m.citizens.weight == pytest.approx(1.0)
    m = EGovModel(small, population=None, rng=1)
    assert m.citizens.n == 500


def test_run_returns_the_declared_columns_and_the_divide_by_access(kediri):
    df = run(kediri, 11, years=(2018, 2021), population=1_000, replication=3)
    assert list(df.columns) == list(ANNUAL_COLUMNS)
    assert list(df["year"]) == [2018, 2019, 2020, 2021]
    assert (df["replication"] == 3).all() and (df["seed"] == 11).all()
    assert np.allclose(df["online_gap_q5_q1"], df["online_share_q5"] - df["online_share_q1"])
    # q5 is the best-connected quintile (outputs registry): it goes online more (unclipped
    # shares of requests; the gap is not bounded below by the code)
    assert (df["online_gap_q5_q1"] > 0).all()
    assert not df[["spbe", "ipp", "ikm", "online_share"]].isna().any().any()


def test_outputs_are_declared_once_with_units():
    names = [o.name for o in ANNUAL_OUTPUTS]
    assert len(names) == len(set(names))
    assert all(o.unit and o.description for o in ANNUAL_OUTPUTS)
    for required in ("spbe", "spbe_predikat", "ipp", "ipp_grade", "ikm", "online_share",
                     "wait_days", "maladmin_rate", "staff_service_skill", "online_share_q1",
                     "satisfaction_q5", "online_share_urban", "satisfaction_rural"):
        assert required in names


def test_run_is_reproducible_and_seed_sensitive(kediri):
    a = run(kediri, 5, years=(2018, 2019), population=500)
    b = run(kediri, 5, years=(2018, 2019), population=500)
    c = run(kediri, 6, years=(2018, 2019), population=500)
    pd.testing.assert_frame_equal(a, b)
    assert not a[["spbe", "ipp", "ikm"]].equals(c[["spbe", "ipp", "ikm"]])


def test_replication_seeds_derive_from_one_master_seed():
    s3 = replication_seeds(7, 3)
    assert s3 == replication_seeds(7, 3)
    assert replication_seeds(7, 2) == s3[:2]  # adding replications keeps the earlier ones
    assert len(set(s3)) == 3 and s3 != replication_seeds(8, 3)
    children = np.random.SeedSequence(7).spawn(3)
    assert s3 == [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _square(x: int) -> int:
    return x * x


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_map_runs_keeps_order_serial_and_parallel():
    seen = []
    assert map_runs(_square, [3, 1, 2], workers=1, on_done=lambda i, r: seen.append(i)) == [
        9, 1, 4]
    assert seen == [0, 1, 2]
    assert map_runs(_square, list(range(6)), workers=2) == [i * i for i in range(6)]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_results_do_not_depend_on_the_number_of_workers(kediri):
    serial = run_replications([kediri], 3, 4, years=(2018, 2019), population=300, workers=1)
    pooled = run_replications([kediri], 3, 4, years=(2018, 2019), population=300, workers=2)
    pd.testing.assert_frame_equal(serial, pooled)


def test_run_replications_uses_common_random_numbers(kediri, jember):
    df = run_replications([kediri, jember], 2, 99, years=(2018, 2018), population=300)
    assert list(df["scenario"]) == ["kediri", "kediri", "jember", "jember"]
    seeds = replication_seeds(99, 2)
    assert list(df["seed"]) == seeds * 2 and list(df["replication"]) == [0, 1, 0, 1]

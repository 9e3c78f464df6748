"""model.model and model.runner: the month loop, events, outputs, seeds, batch_run."""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pandas as pd
import pytest

import model
from model.model import EGovModel
from model.outputs import ANNUAL_COLUMNS, ANNUAL_OUTPUTS, MONTHLY_OUTPUTS
from model.runner import map_runs, replication_seeds, run, run_replications


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
    assert len(m.load) == m.staff.n


def test_internet_coverage_known_answer(kediri):
    """Each area's coverage is its starting access, plus the national trend, plus what that
    area's own connectivity stock gained since the start (rural money cannot connect towns)."""
    m = EGovModel(kediri, population=300, start_year=2018, end_year=2020, rng=1)
    _steps(m, 18)  # now July 2019
    pop, bh, stocks = kediri.population, kediri.behaviour, m.government.stocks
    trend = bh.internet_trend_per_year * (1 + 6 / 12)
    gained = {a: stocks[f"connectivity_{a}"] - m._conn0[a] for a in ("rural", "urban")}
    assert gained["rural"] != pytest.approx(gained["urban"], abs=1e-6)  # the areas differ
    expected = np.array([pop.internet_access_rural + trend
                         + bh.connectivity_access_effect * gained["rural"],
                         pop.internet_access_urban + trend
                         + bh.connectivity_access_effect * gained["urban"]])
    assert expected.max() < 0.99  # unclipped: the comparison tests the sum, not the cap
    assert np.allclose(m.internet_coverage(), expected)


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


def test_run_returns_the_declared_columns_and_conserves_requests(kediri):
    df = run(kediri, 11, years=(2018, 2021), population=1_000, replication=3)
    assert list(df.columns) == list(ANNUAL_COLUMNS)
    assert list(df["year"]) == [2018, 2019, 2020, 2021]
    assert (df["replication"] == 3).all() and (df["seed"] == 11).all()
    # every request goes through exactly one of the three channels: the counter share
    # (chosen or after a failed online attempt) is what the other two leave
    counter = 1.0 - df["online_share"] - df["intermediary_share"]
    assert (counter > 0).all()
    assert (df["wait_days"] > 0).all()
    assert np.allclose(df["online_gap_q5_q1"], df["online_share_q5"] - df["online_share_q1"])
    # q5 is the best-connected quintile (outputs registry): it is online at least as much
    assert (df["online_share_q5"] >= df["online_share_q1"]).all()
    assert (df["online_gap_q5_q1"] >= 0).all()
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

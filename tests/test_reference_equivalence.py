"""The array model is the same agent-based model as the per-agent Mesa reference.

:mod:`model.reference` writes the citizen and civil-servant rules the ordinary Mesa way, one
Agent per person, inside the array model's own schedule. The two draw different random numbers,
so they are compared statistically: for each compared output and each simulated year, the means
over seeds must agree within

    |mean_array - mean_reference| < Z * sqrt(se_array^2 + se_reference^2) + floor,

with the standard errors measured from the seed-to-seed spread and a small absolute ``floor``
per output (in its own unit) for outputs whose spread is nearly zero. With 16-20 seeds per model
(30-38 degrees of freedom), Z = 4.5 gives a false-alarm chance of under 1e-4 per comparison
(Student t), so under 5% over all of a case's comparisons together (Bonferroni; they are
positively correlated across years, so less in fact). Three cases: Jember and Kediri as
calibrated, and Jember with every lever of a ``[[policy]]`` switched on, because the baselines
leave the hiring plan, training targets, literacy courses, assisted-digital agents, complaint
desks and enforcement at their defaults and would not see a difference in those rules. Separate
tests show the comparison flags known shifts and a change of mechanism in the model itself, so a
pass means something.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import load_scenario, run, with_overrides
from model.model import EGovModel
from model.reference import Citizen, CivilServant, ReferenceModel, run_reference
from model.rules import IKM_ELEMENTS, IPP_UNITS
from model.scenario import resolve_file, scenario_from_table
from model.seeds import replication_seeds

ROOT = Path(__file__).resolve().parent.parent
JEMBER = ROOT / "scenarios" / "jember.toml"
Z = 4.5
FLOORS = {  # absolute tolerance added to Z standard errors, in the output's own unit
    **dict.fromkeys(("online_share", "intermediary_share", "maladmin_rate", "success_rate",
                     "complaint_rate", "online_share_q1", "online_share_rural"), 0.003),
    "counter_maladmin_rate": 0.002, "answered_share": 0.01, "wait_days": 0.05,
    "literacy_mean": 0.002, "literacy_course_participants": 100.0,
    "internet_access_rural": 0.002, "staff_headcount": 5.0,
    **dict.fromkeys(("staff_service_skill", "staff_digital_skill", "staff_integrity"), 0.002),
    **dict.fromkeys(("spbe", "ipp", "ikm", "ipp_evaluator"), 0.005),
    **dict.fromkeys((*(f"ipp_{u}" for u in IPP_UNITS), "ipp_survey"), 0.01),
    **dict.fromkeys((f"ikm_{e}" for e in IKM_ELEMENTS), 0.005),
}
KEYS = tuple(FLOORS)

EVERY_LEVER = {
    "name": "every lever", "start_year": 2019,
    # four times the money, so that each lever moves the state it acts on visibly
    "budget_multiplier": 4.0,
    # staff-procurement planning, with selection
    "replace_retirements": 1.0, "hires_per_year": 300.0, "staff_per_10k_target": 9.0,
    "hire_units": ["dukcapil", "rsud"], "hire_selection": 0.5,
    # competency development aimed at two units, mostly at digital skills
    "training_digital_share": 0.8, "training_units": ["dukcapil", "dinsos"],
    # participation, the digital divide in skill, enforcement, rural connectivity
    "complaint_promotion_share": 0.05, "complaint_desk_share": 0.1,
    "literacy_course_share": 0.15, "literacy_target": "q1",
    "assisted_points_share": 0.5, "assisted_target": "rural",
    "connectivity_rural_share": 0.9, "enforcement_share": 0.8,
}
"""A policy using every lever at once (values chosen to be large, not realistic)."""


def _jember_every_lever():
    data = resolve_file(JEMBER)
    data["policy"] = [*data.get("policy", []), EVERY_LEVER]
    return scenario_from_table(data, "jember with every lever")


CASES = {
    # Jember: rural and urban citizens, a recruitment round (2022), a super-app, two MPP events.
    "jember": dict(scenario=lambda: load_scenario(JEMBER), years=(2018, 2023),
                   population=2000, seeds=20),
    # Kediri: fully urban, app-heavy, the MPP from 2023; satisfaction judged mostly against
    # adapting expectations, so that rule is compared whatever its calibrated weight.
    "kediri": dict(scenario=lambda: with_overrides(
        load_scenario(ROOT / "scenarios" / "kediri.toml"),
        {"behaviour.expectation_weight": 0.8, "behaviour.expectation_adaptation": 0.5}),
        years=(2018, 2023), population=1500, seeds=16),
    "levers": dict(scenario=_jember_every_lever, years=(2018, 2021), population=2000, seeds=16),
}


def _compared(runs: list[pd.DataFrame]) -> pd.DataFrame:
    """The runs in one table, with the maladministration met at counters (every use of an
    intermediary is maladministration too, and its noise would hide the counter's)."""
    df = pd.concat(runs)
    return df.assign(counter_maladmin_rate=df["maladmin_rate"] - df["intermediary_share"])


def _array_runs(scenario, seeds, years, population) -> pd.DataFrame:
    return _compared([run(scenario, s, years=years, population=population) for s in seeds])


def _reference_runs(scenario, seeds, years, population) -> pd.DataFrame:
    return _compared([run_reference(scenario, s, years=years, population=population)
                      for s in seeds])


def mismatches(a: pd.DataFrame, b: pd.DataFrame, keys=KEYS) -> list[str]:
    """(output, year) pairs whose means over seeds differ by more than the tolerance.

    An output empty (NaN) in every run of both models that year, such as the rural online
    share of a fully urban city, is not compared; empty in one model only is a mismatch.
    """
    bad = []
    for (year, ga), (_, gb) in zip(a.groupby("year"), b.groupby("year"), strict=True):
        for key in keys:
            x, y = ga[key].to_numpy(float), gb[key].to_numpy(float)
            if np.isnan(x).all() and np.isnan(y).all():
                continue
            se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
            diff = abs(x.mean() - y.mean())
            tol = Z * se + FLOORS[key]
            if not diff < tol:
                bad.append(f"{key} {year}: {x.mean():.4f} vs {y.mean():.4f} "
                           f"(|diff| {diff:.4f} >= {tol:.4f})")
    return bad


@pytest.fixture(scope="module")
def array_runs():
    return {name: _array_runs(c["scenario"](), replication_seeds(11, c["seeds"]), c["years"],
                              c["population"])
            for name, c in CASES.items()}


def test_the_reference_shares_the_models_constructor_and_schedule():
    """The per-agent reference is the array model with other population containers: it
    defines only the two factories, so the constructor, the step and its phase order, events
    and the yearly assessment are the model's own, not copies."""
    own = {k for k, v in vars(ReferenceModel).items() if callable(v) or isinstance(v, property)}
    assert own == {"_new_citizens", "_new_staff"}
    assert issubclass(ReferenceModel, EGovModel)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_array_model_matches_per_agent_reference(name, array_runs):
    c = CASES[name]
    ref = _reference_runs(c["scenario"](), replication_seeds(22, c["seeds"]), c["years"],
                          c["population"])
    assert sorted(ref.columns) == sorted(array_runs[name].drop(
        columns=["scenario", "region", "replication", "seed"]).columns)
    bad = mismatches(array_runs[name], ref)
    assert not bad, "array model and per-agent reference differ:\n" + "\n".join(bad)


def test_reference_replaces_only_the_populations():
    """The reference shares the model's constructor, schedule, events and assessment: it
    overrides only the two factories that make the citizens and the civil servants, and
    those are Mesa agents, one per simulated person.
    """
    own = {k for k, v in vars(ReferenceModel).items() if inspect.isfunction(v)}
    assert own == {"_new_citizens", "_new_staff"}
    m = ReferenceModel(load_scenario(JEMBER), population=300, end_year=2018, rng=1)
    assert len(m.agents_by_type[Citizen]) == m.citizens.n == 300
    assert len(m.agents_by_type[CivilServant]) == m.staff.n
    m.step()
    assert m.month == 2 and len(m.agents_by_type[Citizen]) == 300


def test_reference_follows_behaviour_parameters():
    """The reference reads parameters from the scenario: an override changes what it does."""
    scenario = load_scenario(ROOT / "scenarios" / "kediri.toml")
    fewer = with_overrides(scenario, {"behaviour.need_rate_per_year": 0.5})
    m0 = ReferenceModel(scenario, population=300, end_year=2018, rng=1)
    m1 = ReferenceModel(fewer, population=300, end_year=2018, rng=1)
    assert m1.citizens.p_need == pytest.approx(1 - np.exp(-0.5 / 12))
    assert m1.citizens.p_need < m0.citizens.p_need


def test_comparison_known_answers():
    """Samples from one distribution pass; a shift of 9 standard errors is flagged."""
    rng = np.random.default_rng(3)
    n = 20

    def sample(shift=0.0):
        rows = [{"year": y, **{k: rng.normal(1.0 + shift, 0.05) for k in KEYS}}
                for _ in range(n) for y in (2018, 2019)]
        return pd.DataFrame(rows)

    base = sample()
    assert mismatches(base, sample()) == []
    se = 0.05 * np.sqrt(2 / n)
    flagged = mismatches(base, sample(shift=9 * se + max(FLOORS.values())))
    assert {line.split()[0] for line in flagged} == set(KEYS)


def test_comparison_detects_a_mechanism_change(array_runs):
    """The tolerance is tight enough to see a change in one mechanism of the model itself.

    Online utility raised by 2 (two thirds of the literacy effect on it), checked in Kediri,
    whose application money puts services online (Jember's puts few: its online share hardly
    moves), and learning by doing doubled, checked in Jember, whose staff are busy enough for
    it to matter: the comparison against the unchanged model has to flag the outputs they move.
    """
    for region, change, column in (
            ("kediri", lambda bh: {"behaviour.online_utility_base": bh.online_utility_base + 2.0},
             "online_share"),
            ("jember", lambda bh: {"behaviour.learning_by_doing_per_year":
                                   bh.learning_by_doing_per_year * 2}, "staff_service_skill")):
        c = CASES[region]
        scenario = c["scenario"]()
        changed = with_overrides(scenario, change(scenario.behaviour))
        other = _array_runs(changed, replication_seeds(33, c["seeds"]), c["years"],
                            c["population"])
        flagged = {line.split()[0] for line in mismatches(array_runs[region], other)}
        assert column in flagged, region


# --- the array model's fast paths keep their meaning -----------------------------------------
def test_unit_choice_equals_searchsorted():
    from model.citizens import _bin_of
    edges = np.cumsum([0.4, 0.15, 0.35, 0.1])
    x = np.concatenate([np.random.default_rng(1).random(10_000) * edges[-1],
                        edges, [0.0, edges[-1]]])  # ties sit in the lower bin, as in numpy
    np.testing.assert_array_equal(_bin_of(x, edges), np.searchsorted(edges, x))
    np.testing.assert_array_equal(_bin_of(np.array([0.0, 0.4, 0.41, 1.0]), edges), [0, 0, 1, 3])


def test_requests_to_a_unit_without_staff_meet_anyone():
    m = EGovModel(ROOT / "scenarios" / "kediri.toml", population=500, end_year=2018, rng=4)
    st = m.staff
    draw = np.linspace(0.0, 0.999, 400)
    unit = np.repeat(np.arange(4), 100)
    j = st.serving(unit, draw)
    np.testing.assert_array_equal(st.unit[j], unit)  # each request stays in its unit
    st._select(np.flatnonzero(st.unit != 1))  # unit 1 loses all its staff
    j = st.serving(unit, draw)
    assert (st.unit[j[unit != 1]] == unit[unit != 1]).all()
    lone = unit == 1  # uniform over everyone: index floor(draw * n)
    np.testing.assert_array_equal(j[lone], (draw[lone] * st.n).astype(np.intp))


def test_needs_are_independent_bernoulli_draws():
    """Each citizen needs a service with probability p_need, independently of the others."""
    from model.citizens import _needing
    rng = np.random.default_rng(8)
    months = 20_000
    hits = np.zeros((months, 200), dtype=bool)
    for t in range(months):
        idx = _needing(rng, 200, 0.3)
        assert (np.diff(idx) > 0).all() and idx[0] >= 0 and idx[-1] < 200
        hits[t, idx] = True
    share = hits.mean(axis=0)
    se = np.sqrt(0.3 * 0.7 / months)
    assert np.abs(share - 0.3).max() < 4.5 * se  # every position, the first and last included
    assert abs(share.mean() - 0.3) < 4 * se / np.sqrt(200)
    # Neighbours are independent: P(both) = p^2. The 199 overlapping pairs of a month have
    # Var(sum) = 199 (p^2 - p^4) + 2 * 198 (p^3 - p^4).
    both = (hits[:, :-1] & hits[:, 1:]).mean()
    var_month = (199 * (0.3**2 - 0.3**4) + 2 * 198 * (0.3**3 - 0.3**4)) / 199**2
    assert abs(both - 0.09) < 4 * np.sqrt(var_month / months)
    np.testing.assert_array_equal(_needing(rng, 200, 1.0), np.arange(200))

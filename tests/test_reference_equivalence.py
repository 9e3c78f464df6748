"""The array model is the same agent-based model as the per-agent Mesa reference.

``benchmarks/reference.py`` writes the citizen and civil-servant rules the ordinary Mesa way, one
Agent per person. Both models use different random streams, so they are compared statistically:
for each key output and each simulated year, the means over seeds must agree within

    |mean_array - mean_reference| < Z * sqrt(se_array^2 + se_reference^2) + floor,

with the standard errors measured from the seed-to-seed spread and a small absolute ``floor``
per output (a fraction of its scale) for outputs whose spread is nearly zero. With about 24
seeds per model, Z = 4 gives a false-alarm chance of well under 1% per comparison (Student t,
about 46 degrees of freedom). Separate tests show the comparison flags known shifts and a
change of mechanism in the model itself, so a pass means something.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import load_scenario, run, with_overrides
from model.runner import replication_seeds

ROOT = Path(__file__).resolve().parent.parent
Z = 4.0
FLOORS = {  # absolute tolerance added to Z standard errors, in the output's own unit
    "online_share": 0.003, "intermediary_share": 0.003, "maladmin_rate": 0.003,
    "wait_days": 0.05, "ikm": 0.005, "ipp": 0.005, "spbe": 0.005, "staff_service_skill": 0.002,
}
KEYS = tuple(FLOORS)


def _load_reference():
    spec = importlib.util.spec_from_file_location("egovsim_reference",
                                                  ROOT / "benchmarks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load_reference()


def _array_runs(scenario, seeds, years, population) -> pd.DataFrame:
    return pd.concat([run(scenario, s, years=years, population=population) for s in seeds])


def _reference_runs(scenario, seeds, years, population) -> pd.DataFrame:
    return pd.concat([pd.DataFrame(reference.run_reference(scenario, s, years=years,
                                                           population=population))
                      for s in seeds])


def mismatches(a: pd.DataFrame, b: pd.DataFrame, keys=KEYS) -> list[str]:
    """(output, year) pairs whose means over seeds differ by more than the tolerance."""
    bad = []
    for (year, ga), (_, gb) in zip(a.groupby("year"), b.groupby("year"), strict=True):
        for key in keys:
            x, y = ga[key].to_numpy(float), gb[key].to_numpy(float)
            se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
            diff = abs(x.mean() - y.mean())
            tol = Z * se + FLOORS[key]
            if not diff < tol:
                bad.append(f"{key} {year}: {x.mean():.4f} vs {y.mean():.4f} "
                           f"(|diff| {diff:.4f} >= {tol:.4f})")
    return bad


CASES = {
    # Jember: rural and urban citizens, a recruitment round (2022), a super-app, two MPP events.
    "jember": dict(years=(2018, 2023), population=2000, seeds=24),
    # Kediri: fully urban, app-heavy, the MPP from 2023; satisfaction judged mostly against
    # adapting expectations, so that rule is compared whatever its calibrated weight.
    "kediri": dict(years=(2018, 2023), population=1500, seeds=20,
                   overrides={"behaviour.expectation_weight": 0.8,
                              "behaviour.expectation_adaptation": 0.5}),
}


def _scenario(name: str):
    return with_overrides(load_scenario(ROOT / "scenarios" / f"{name}.toml"),
                          CASES[name].get("overrides", {}))


@pytest.fixture(scope="module")
def array_runs():
    return {name: _array_runs(_scenario(name), replication_seeds(11, c["seeds"]), c["years"],
                              c["population"])
            for name, c in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_array_model_matches_per_agent_reference(name, array_runs):
    c = CASES[name]
    ref = _reference_runs(_scenario(name), replication_seeds(22, c["seeds"]), c["years"],
                          c["population"])
    assert list(ref.columns) == list(array_runs[name].drop(
        columns=["scenario", "region", "replication", "seed"]).columns)
    bad = mismatches(array_runs[name], ref)
    assert not bad, "array model and per-agent reference differ:\n" + "\n".join(bad)


def test_reference_follows_behaviour_parameters():
    """The reference reads parameters from the scenario: an override changes its output."""
    scenario = load_scenario(ROOT / "scenarios" / "kediri.toml")
    fewer = with_overrides(scenario, {"behaviour.need_rate_per_year": 0.5})
    m0 = reference.ReferenceModel(scenario, population=300, end_year=2018, rng=1)
    m1 = reference.ReferenceModel(fewer, population=300, end_year=2018, rng=1)
    assert m1.p_need < m0.p_need
    assert m1.p_need == pytest.approx(1 - np.exp(-0.5 / 12))


def test_comparison_known_answers():
    """Samples from one distribution pass; a shift of 8 standard errors is flagged."""
    rng = np.random.default_rng(3)
    n = 24

    def sample(shift=0.0):
        rows = [{"year": y, **{k: rng.normal(1.0 + shift, 0.05) for k in KEYS}}
                for _ in range(n) for y in (2018, 2019)]
        return pd.DataFrame(rows)

    base = sample()
    assert mismatches(base, sample()) == []
    se = 0.05 * np.sqrt(2 / n)
    flagged = mismatches(base, sample(shift=8 * se + 0.005))
    assert {line.split()[0] for line in flagged} == set(KEYS)


def test_comparison_detects_a_mechanism_change(array_runs):
    """The tolerance is tight enough to see a change in one mechanism of the model itself.

    Online utility raised by 2 (two thirds of the literacy effect on it) and learning by doing
    doubled: the comparison against the unchanged model has to flag the outputs they move.
    Jember puts little money into applications, so only about a tenth of its requests go
    online; a change of 1 moves that share by about 0.01, the size of the tolerance floor.
    """
    c = CASES["jember"]
    scenario = load_scenario(ROOT / "scenarios" / "jember.toml")
    bh = scenario.behaviour
    changed = with_overrides(scenario, {
        "behaviour.online_utility_base": bh.online_utility_base + 2.0,
        "behaviour.learning_by_doing_per_year": bh.learning_by_doing_per_year * 2})
    other = _array_runs(changed, replication_seeds(33, c["seeds"]), c["years"], c["population"])
    flagged = {line.split()[0] for line in mismatches(array_runs["jember"], other)}
    assert {"online_share", "staff_service_skill"} <= flagged


# --- the array model's fast paths keep their meaning -----------------------------------------
def test_unit_choice_equals_searchsorted():
    from model.citizens import _bin_of
    edges = np.cumsum([0.4, 0.15, 0.35, 0.1])
    x = np.concatenate([np.random.default_rng(1).random(10_000) * edges[-1],
                        edges, [0.0, edges[-1]]])  # ties sit in the lower bin, as in numpy
    np.testing.assert_array_equal(_bin_of(x, edges), np.searchsorted(edges, x))
    np.testing.assert_array_equal(_bin_of(np.array([0.0, 0.4, 0.41, 1.0]), edges), [0, 0, 1, 3])


def test_requests_to_a_unit_without_staff_meet_anyone():
    from model.model import EGovModel
    m = EGovModel(ROOT / "scenarios" / "kediri.toml", population=500, end_year=2018, rng=4)
    st = m.staff
    draw = np.linspace(0.0, 0.999, 400)
    unit = np.repeat(np.arange(4), 100)
    j, _, _ = m._staff_of(unit, draw)
    np.testing.assert_array_equal(st.unit[j], unit)  # each request stays in its unit
    st._select(np.flatnonzero(st.unit != 1))  # unit 1 loses all its staff
    j, _, _ = m._staff_of(unit, draw)
    assert (st.unit[j[unit != 1]] == unit[unit != 1]).all()
    lone = unit == 1  # uniform over everyone: index floor(draw * n)
    np.testing.assert_array_equal(j[lone], (draw[lone] * st.n).astype(np.intp))


def test_needs_are_independent_bernoulli_draws():
    """Each citizen needs a service with probability p_need, independently of the others."""
    from model.citizens import Citizens
    scenario = load_scenario(ROOT / "scenarios" / "kediri.toml")
    citizens = Citizens(scenario.population, scenario.behaviour, 200, np.random.default_rng(8))
    citizens.p_need = np.float32(0.3)
    months = 20_000
    hits = np.zeros((months, 200), dtype=bool)
    for t in range(months):
        idx = citizens._needing()
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
    citizens.p_need = np.float32(1.0)
    np.testing.assert_array_equal(citizens._needing(), np.arange(200))

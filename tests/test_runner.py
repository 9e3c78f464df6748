"""model.runner and model.backend: the run boundary's refusals, and one backend for all."""

from __future__ import annotations

import pytest
from conftest import KEDIRI

from model.backend import Backend, local
from model.errors import ScenarioError
from model.runner import check_run, map_runs, min_population, run, run_replications
from model.scenario import load_scenario, with_overrides


def _square(x: int) -> int:
    return x * x


def test_a_run_below_the_fewest_citizens_is_refused_before_it_starts(kediri):
    n = min_population(kediri)
    check_run(kediri, population=n)
    with pytest.raises(ScenarioError, match="too few"):
        run(kediri, 1, years=(2018, 2018), population=n - 1)
    rarer = with_overrides(kediri, {"behaviour.need_rate_per_year": 0.5})
    assert min_population(rarer) > n  # fewer requests per citizen need more citizens
    with pytest.raises(ScenarioError, match="seed"):
        run(kediri, -1, years=(2018, 2018), population=n)


def test_runs_at_the_fewest_citizens_do_not_crash(kediri):
    # Months without a single request crashed the model; at the minimum they have a chance of
    # e^-20 each, so these 5 x 36 months must all run.
    n = min_population(kediri)
    table = run_replications([kediri], 5, 7, years=(2018, 2020), population=n)
    assert len(table) == 5 * 3


def test_the_same_runs_on_every_backend_give_the_same_results():
    items = list(range(7))
    serial = map_runs(_square, items)
    assert serial == [i * i for i in items]
    assert map_runs(_square, items, backend=local(2)) == serial
    seen: list[int] = []
    Backend("pool", workers=2).imap(_square, iter(items), lambda i, r: seen.append((i, r)))
    assert sorted(seen) == list(enumerate(serial))
    with pytest.raises(ValueError, match="unknown backend"):
        Backend("threads")


def test_run_replications_checks_every_scenario_first(kediri):
    twin = load_scenario(KEDIRI)
    with pytest.raises(ScenarioError, match="scenario.name"):
        run_replications([kediri, twin], 1, 1, years=(2018, 2018), population=300)
    with pytest.raises(ScenarioError, match="--replications"):
        run_replications([kediri], 0, 1, years=(2018, 2018), population=300)



"""Run defaults and the limits of what a run accepts, declared once for every tool.

The command line, experiment files and the Python API take their defaults from here; the
limits are checked at the boundary (:func:`model.runner.check_run`, the scenario loader, the
experiment loader), so an input the model cannot run is refused with one line instead of
crashing after validation.
"""

from __future__ import annotations

from model.seeds import DEFAULT_SEED

DEFAULT_YEARS = (2018, 2030)
"""First and last simulated year (years): the first SPBE round under PermenPAN-RB 5/2018 to the
end of the RPJMN 2025-2029 horizon plus one year of forecast (assumption: the study's window)."""

DEFAULT_POPULATION = 20_000
"""Simulated citizens per run (persons) when none is asked for; each stands for residents / N.
Assumption: large enough that each access quintile has thousands of citizens, small enough
for a run in about 0.1 s (``docs/performance.md``)."""

DEFAULT_REPLICATIONS = 10
"""Replications per scenario of ``egovsim run`` (runs). Assumption: enough for 90% bands."""

YEAR_RANGE = (1990, 2100)
"""Years a run may cover (years), the range of the scenario files' dated fields."""

MAX_REPLICATIONS = 10_000
"""Most replications per scenario or design point (runs). Reason: at 10,000 the Monte Carlo
error of a mean is 1% of one run's spread, far below any index's assessor noise; more only
exhausts memory (every run's yearly rows are held until written)."""

MAX_RUNS = 1_000_000
"""Most runs in one experiment (design points x replications). Reason: the run list, seeds and
outcomes are tables in memory (about 1 kB a run); a million runs of even 1,000 citizens is
days of computing on a cluster, beyond any sweep this model needs."""

MAX_POPULATION = 50_000_000
"""Most simulated citizens per run (persons): the largest ``population.residents`` a scenario
may declare (the province of West Java is about 50 million). Each citizen costs 23 bytes
of state (``docs/performance.md``), so this is about 1.2 GB per run."""

MONTHS_PER_YEAR = 12
"""Months in a year (the model's step is one month)."""

MIN_REQUESTS_PER_MONTH = 20.0
"""Fewest expected service needs a month across the simulated citizens
(:func:`needs_per_month`). Reason: the model needs at least one request every month. Each
citizen's needs arrive at ``need_rate_per_year``, so the chance that nobody needs a service in a
month is exp(-needs_per_month): e^-20 = 2e-9 here, below one in three million 13-year runs. At
the default need rate (1 a year) this is 240 simulated citizens."""


def needs_per_month(citizens: float, need_rate_per_year: float) -> float:
    """Expected service needs a month of ``citizens`` simulated citizens."""
    return citizens * need_rate_per_year / MONTHS_PER_YEAR


MIN_FRONTLINE_STAFF = 10.0
"""Fewest frontline civil servants (``civil_servants * frontline_share``, persons). Reason: the
model spreads them over four service units and needs someone left after retirements; below ten
a unit is empty in most draws and one retirement round can empty the pool. Every Pemda has
hundreds, so no real region is excluded."""

MAX_TOML_DEPTH = 16
"""Deepest nesting of tables and arrays a scenario, experiment or calibration file may have
(levels). Reason: the deepest legitimate value is an inline table in an array entry
(``[[policy]] shares = {...}``, 3 levels); deeper input is refused before any code walks it."""

__all__ = ["DEFAULT_POPULATION", "DEFAULT_REPLICATIONS", "DEFAULT_SEED", "DEFAULT_YEARS",
           "MAX_POPULATION", "MAX_REPLICATIONS", "MAX_RUNS", "MAX_TOML_DEPTH",
           "MIN_FRONTLINE_STAFF", "MIN_REQUESTS_PER_MONTH", "MONTHS_PER_YEAR", "YEAR_RANGE",
           "needs_per_month"]

"""The calibration file's settings are refused at load time when the calibration cannot run
them: too few (or too many) simulated citizens for the model, predictive years that miss the
fitted ones, fitted years without observations, no walltime, refinement counts of 0.

Each case once failed only inside ``egovsim calibrate``, after the whole estimation; here
``load_config`` (so ``egovsim validate``) refuses it, naming the file and the field.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from calibration_fakes import IKM_FLOOR, ROOT, calibration_text
from conftest import run_cli

from model.behaviour import Behaviour
from model.calibration import load_config
from model.defaults import MAX_POPULATION, YEAR_RANGE
from model.errors import ScenarioError
from model.runner import min_population
from model.scenario import with_overrides

NEED_RATE = "behaviour.need_rate_per_year"
REPO_FILE = (ROOT / "experiments" / "calibration.toml").read_text()
CAL = REPO_FILE.replace('"../scenarios/', f'"{ROOT / "scenarios"}/')
"""The repository's calibration file with absolute scenario paths (it can lie anywhere)."""


def edited(table: str, key: str, value: str | None) -> str:
    """:data:`CAL` with ``key`` of ``[table]`` set to ``value`` (None: removed)."""
    head, header, rest = CAL.partition(f"\n[{table}]")
    assert header, table
    first_line, _, rest = rest.partition("\n")
    body, nxt, tail = rest.partition("\n[")
    lines = [ln for ln in body.split("\n") if not re.match(rf"{key}\s*=", ln)]
    if value is not None:
        lines.insert(0, f"{key} = {value}")
    return head + header + first_line + "\n" + "\n".join(lines) + nxt + tail


def refused(tmp_path, text: str, quick: bool = False) -> str:
    path = tmp_path / "cal.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_config(path, quick=quick)
    line = str(err.value)
    assert "\n" not in line and line.startswith(f"{path}: ")
    return line


def loads(tmp_path, text: str):
    path = tmp_path / "cal.toml"
    path.write_text(text)
    load_config(path, quick=True)
    return load_config(path)


def model_minimum(config) -> int:
    """The model's own minimum of simulated citizens over the regions, at the declared need
    rate (the calibration's base behaviour)."""
    rate = Behaviour().need_rate_per_year
    return max(min_population(with_overrides(sc, {NEED_RATE: rate}))
               for sc in config.regions.values())


def test_the_copy_loads_and_an_edit_changes_one_key(tmp_path):
    """The base of every case below is valid, and :func:`edited` changes only its key."""
    assert loads(tmp_path, CAL).settings.population == 5000
    base = tomllib.loads(CAL)
    changed = tomllib.loads(edited("quick", "population", "7"))
    assert changed["quick"].pop("population") == 7 and base["quick"].pop("population") == 1000
    assert changed == base
    assert "population" not in tomllib.loads(edited("settings", "population", None))["settings"]


# --- simulated citizens -----------------------------------------------------------------------
@pytest.mark.parametrize("table, key", [("quick", "population"), ("settings", "population"),
                                        ("quick", "point_population"),
                                        ("settings", "point_population")])
def test_too_few_citizens_is_refused_at_the_models_minimum(tmp_path, table, key):
    """One below the model's minimum (``model.runner.min_population``) is refused, naming the
    table's field; the minimum itself loads."""
    needed = model_minimum(loads(tmp_path, CAL))
    line = refused(tmp_path, edited(table, key, str(needed - 1)))
    assert f": {table}.{key}: {needed - 1} simulated citizens is too few" in line
    assert f"at least {needed} " in line
    loads(tmp_path, edited(table, key, str(needed)))


def test_five_citizens_in_quick_is_refused_also_without_quick(tmp_path):
    """``egovsim validate`` checks both; ``calibrate`` without ``--quick`` refuses a bad
    [quick] too (as it refuses a [quick] key of the wrong type)."""
    text = edited("quick", "population", "5")
    assert ": quick.population: 5 simulated citizens" in refused(tmp_path, text, quick=True)
    assert ": quick.population: 5 simulated citizens" in refused(tmp_path, text)


def test_more_citizens_than_a_run_holds_is_refused(tmp_path):
    line = refused(tmp_path, edited("settings", "point_population", str(MAX_POPULATION + 1)))
    assert ": settings.point_population: " in line and f"{MAX_POPULATION:,}" in line


NEED_RATE_PRIOR = """
[[parameter]]
key = "behaviour.need_rate_per_year"
prior = "uniform"
lo = {lo}
hi = 2.0
reason = "need rate"
"""


def test_an_estimated_need_rate_raises_the_minimum_to_its_priors_lower_end(tmp_path):
    """At need rate 0.2 (the prior's lower end) the model needs five times the citizens of
    the declared rate; the quick population of 1000 is then too few."""
    line = refused(tmp_path, CAL + NEED_RATE_PRIOR.format(lo=0.2))
    assert ": quick.population: 1000 simulated citizens is too few" in line
    assert "lower end of parameter need_rate_per_year's prior" in line
    loads(tmp_path, CAL + NEED_RATE_PRIOR.format(lo=1.0))


def test_a_hypothesis_fixing_a_low_need_rate_raises_the_minimum(tmp_path):
    """300 citizens suffice at need rate 1 (240) but not where a hypothesis fixes it at 0.5."""
    hypotheses = """
[[hypothesis]]
name = "usual"
reasoning = "needs as estimated"

[[hypothesis]]
name = "rare"
reasoning = "few needs"
fixed = {{ "behaviour.need_rate_per_year" = {rate} }}
fixed_reason = "a test"
"""
    text = calibration_text("seed = 7\n", IKM_FLOOR, NEED_RATE_PRIOR.format(lo=1.0), hypotheses)
    line = refused(tmp_path, text.format(rate=0.5))
    assert ": settings.population: 300 simulated citizens is too few" in line
    assert "hypothesis rare's fixed value" in line
    loads(tmp_path, text.format(rate=1.0))


# --- years ------------------------------------------------------------------------------------
@pytest.mark.parametrize("years", ["[2018, 2019]", "[2019, 2030]"])
def test_predictive_years_must_cover_the_fitted_years(tmp_path, years):
    """The fit and point check read the predictive runs at every fitted year (the crash was a
    KeyError 'jember.spbe.2022' after the estimation)."""
    line = refused(tmp_path, edited("quick", "predictive_years", years))
    assert ": quick.predictive_years: " in line and "fitted years 2018-2023" in line
    loads(tmp_path, edited("quick", "predictive_years", "[2018, 2023]"))


def test_fitted_years_beyond_the_inherited_predictive_years_blame_the_years(tmp_path):
    text = edited("quick", "predictive_years", None).replace("[quick]",
                                                            "[quick]\nyears = [2018, 2031]")
    line = refused(tmp_path, text)
    assert ": quick.years: 2018-2031 is not within predictive_years 2018-2030" in line


@pytest.mark.parametrize("key", ["years", "predictive_years"])
def test_years_outside_the_models_range_are_refused(tmp_path, key):
    line = refused(tmp_path, edited("settings", key, f"[{YEAR_RANGE[0] - 10}, 2030]"))
    assert f": settings.{key}: expected [first_year, last_year] within " in line


@pytest.mark.parametrize("years", ["[2010, 2017]", "[2024, 2030]"])
def test_fitted_years_without_an_observation_of_the_regions_are_refused(tmp_path, years):
    """No regional observation, nothing to fit (2024-2030 holds only the national mean)."""
    text = edited("quick", "predictive_years", None)
    text = text.replace("predictive_years = [2018, 2030]", "predictive_years = [2010, 2030]")
    text = text.replace("years = [2018, 2023]", f"years = {years}", 1)
    line = refused(tmp_path, text)
    assert ": settings.years: " in line and "holds no observed index of jember, kediri" in line


# --- walltime and counts ----------------------------------------------------------------------
def test_no_walltime_for_model_selection_is_refused(tmp_path):
    line = refused(tmp_path, edited("quick", "max_walltime_minutes", "0"))
    assert ": quick.max_walltime_minutes: 0 leaves no time" in line
    loads(tmp_path, edited("quick", "final_walltime_minutes", "0"))  # at least one round runs


@pytest.mark.parametrize("key", ["refine_candidates", "refine_replications", "refine_popsize"])
def test_refinement_counts_of_zero_are_refused(tmp_path, key):
    assert f": quick.{key}: 0 is out of range" in refused(tmp_path, edited("quick", key, "0"))


def test_no_refinement_generations_keeps_the_start(tmp_path):
    assert loads(tmp_path, edited("settings", "refine_maxiter", "0")).settings.refine_maxiter == 0


# --- the command line -------------------------------------------------------------------------
def test_validate_and_calibrate_refuse_with_one_line_exit_2_nothing_written(tmp_path):
    path = tmp_path / "cal.toml"
    path.write_text(edited("quick", "population", "5"))
    out = tmp_path / "out"
    for args in (("validate", path), ("calibrate", path, "--quick", "--out", out),
                 ("calibrate", path, "--out", out)):
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and f"{path}: quick.population: 5 simulated citizens" in lines[0]
        assert not out.exists()

"""Experiment files: validation errors, and how factor values change the base scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from model import ScenarioError, load_scenario
from model.cli import main as cli_main
from model.experiments.spec import apply_factors, load_experiment
from model.scenario import COMPONENTS
from model.shares import from_weights

ROOT = Path(__file__).resolve().parent.parent
KEDIRI = ROOT / "scenarios" / "kediri.toml"

GOOD = f"""
[experiment]
name = "t"
base = "{KEDIRI}"
replications = 2
population = 300
years = [2018, 2020]

[design]
method = "full_factorial"

[[factor]]
name = "shares.apps"
values = [0.2, 0.4]

[[factor]]
name = "budget.egov_share"
range = [0.01, 0.02]
levels = 2

[outcomes]
ipp_2020 = {{ column = "ipp", year = 2020 }}
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_file_loads_with_its_parts(tmp_path):
    exp = load_experiment(write(tmp_path, GOOD))
    assert exp.factor_names == ["shares.apps", "budget.egov_share"]
    assert exp.replications == 2 and exp.population == 300 and exp.years == (2018, 2020)
    assert [o.name for o in exp.outcomes] == ["ipp_2020"]


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("replications = 2", "replications = 2\nreplicatoins = 3", "experiment.replicatoins",
     "unknown key"),
    ("levels = 2\n", "levels = 2\nstep = 1\n", "factor[1].step", "unknown key"),
    ("range = [0.01, 0.02]", "range = [0.02, 0.01]", "factor[1].range", "not below"),
    ("values = [0.2, 0.4]", "values = [0.2, 1.4]", "factor[0].values", "outside [0, 1]"),
    ("range = [0.01, 0.02]", "range = [0.01, 2.0]", "factor[1].range", "outside"),
    (f'base = "{KEDIRI}"', 'base = "no_such.toml"', "experiment.base", "not found"),
    (f'base = "{KEDIRI}"\n', "", "experiment.base", "missing"),
    ('method = "full_factorial"', 'method = "anova"', "design.method", "expected one of"),
    ("name = \"budget.egov_share\"", "name = \"budget.no_such\"", "factor[1].range",
     "unknown field"),
    ('column = "ipp"', 'column = "ipp_grade"', "outcomes.ipp_2020.column", "not a numeric"),
    ("year = 2020 }", "year = 2030 }", "outcomes.ipp_2020", "outside the horizon"),
])
def test_bad_files_name_file_and_field(tmp_path, old, new, field, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    line = str(info.value)
    assert line.startswith(f"{path}: {field}:"), line
    assert words in line and "\n" not in line


def test_full_factorial_range_needs_levels(tmp_path):
    path = write(tmp_path, GOOD.replace("levels = 2\n", ""))
    with pytest.raises(ScenarioError, match=r"factor\[1\]\.levels"):
        load_experiment(path)


def test_levels_only_for_full_factorial(tmp_path):
    text = GOOD.replace('method = "full_factorial"', 'method = "latin_hypercube"\nsamples = 8')
    with pytest.raises(ScenarioError, match=r"factor\[1\]\.levels: levels is used by"):
        load_experiment(write(tmp_path, text))


def test_sobol_needs_power_of_two(tmp_path):
    text = GOOD.replace('method = "full_factorial"', 'method = "sobol"\nsamples = 10')
    with pytest.raises(ScenarioError, match="not a power of 2"):
        load_experiment(write(tmp_path, text))


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_cli_bad_file_exits_2_one_line_nothing_written(tmp_path, capsys, command):
    path = write(tmp_path, GOOD.replace("values = [0.2, 0.4]", "values = [0.2, 1.4]"))
    out = tmp_path / "results"
    status = cli_main([command, str(path), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "factor[0].values" in err and str(path) in err
    assert not out.exists()


def test_validate_dispatches_to_experiment_loader(tmp_path, capsys):
    good = write(tmp_path, GOOD)
    bad = write(tmp_path, GOOD.replace("replications = 2", "replications = 0"), "bad.toml")
    assert cli_main(["validate", str(good)]) == 0
    assert cli_main(["validate", str(bad)]) == 2
    assert "experiment.replications" in capsys.readouterr().err


def test_every_shipped_experiment_validates():
    # calibration.toml is a calibration file (validated in tests/test_calibration_pipeline.py)
    files = sorted(p for p in (ROOT / "experiments").glob("*.toml")
                   if p.name != "calibration.toml")
    assert len(files) >= 4
    for path in files:
        load_experiment(path)


def test_one_share_rescales_the_others_proportionally():
    base = load_scenario(KEDIRI)
    before = base.shares.as_dict()
    after = apply_factors(base, {"shares.apps": 0.6}).shares.as_dict()
    assert after["apps"] == pytest.approx(0.6)
    assert sum(after.values()) == pytest.approx(1.0, abs=1e-12)
    others = [c for c in COMPONENTS if c != "apps"]
    for c in others:  # ratios among the other four are kept
        assert after[c] / after["competency"] == pytest.approx(before[c] / before["competency"])


def test_several_shares_are_weights_normalised():
    base = load_scenario(KEDIRI)
    weights = {"shares.apps": 0.3, "shares.competency": 0.1, "shares.connectivity": 0.2,
               "shares.regulation": 0.2, "shares.interface": 0.2}
    got = apply_factors(base, weights).shares.as_dict()
    assert got == pytest.approx({"apps": 0.3, "competency": 0.1, "connectivity": 0.2,
                                 "regulation": 0.2, "interface": 0.2})
    doubled = apply_factors(base, {k: 2 * v for k, v in weights.items()}).shares.as_dict()
    assert doubled == pytest.approx(got)
    # two of five as weights: the other three keep their base shares
    part = from_weights(base.shares.as_dict(), {"apps": 1.0, "competency": 3.0})
    b = base.shares.as_dict()
    free = b["apps"] + b["competency"]
    assert part["apps"] == pytest.approx(free / 4) and part["competency"] == pytest.approx(
        3 * free / 4)
    assert part["regulation"] == b["regulation"]
    assert sum(part.values()) == pytest.approx(1.0)


def test_budget_factor_goes_through_with_overrides():
    base = load_scenario(KEDIRI)
    sc = apply_factors(base, {"budget.egov_share": 0.025, "staff.civil_servants": 4000.4})
    assert sc.budget.egov_share == 0.025
    assert sc.staff.civil_servants == 4000  # whole-number field rounded
    assert sc.shares == base.shares


# --- bounds and runnability, checked before anything runs --------------------------------------
def _exp(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "e.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("change, field", [
    (("replications = 2", "replications = 100000000"), "experiment.replications"),
    (("population = 300", "population = 3"), "experiment.population"),
    (("values = [0.2, 0.4]", "values = " + str([i / 1e6 for i in range(1, 1100)])), "design"),
])
def test_counts_beyond_the_declared_bounds_are_refused(tmp_path, change, field):
    text = GOOD.replace(*change)
    if field == "design":  # 1,099 x 2 levels x 2 replications x 1000 points of a third factor
        text += "[[factor]]\nname = \"budget.volatility\"\nrange = [0.0, 0.2]\nlevels = 1000\n"
    with pytest.raises(ScenarioError, match=field):
        load_experiment(_exp(tmp_path, text))


def test_an_experiment_whose_base_is_itself_or_an_experiment_says_so(tmp_path):
    path = _exp(tmp_path, GOOD.replace(f'base = "{KEDIRI}"', 'base = "e.toml"'))
    with pytest.raises(ScenarioError, match="experiment.base: names this experiment file"):
        load_experiment(path)
    other = tmp_path / "other.toml"
    other.write_text(GOOD)
    path = _exp(tmp_path, GOOD.replace(f'base = "{KEDIRI}"', 'base = "other.toml"'))
    with pytest.raises(ScenarioError, match="is an experiment file"):
        load_experiment(path)


def test_a_design_point_the_model_cannot_run_is_refused_before_any_run(tmp_path):
    # Each factor alone is fine on the base; together some points leave < 10 frontline staff.
    text = GOOD.split("[[factor]]")[0] + """
[[factor]]
name = "staff.civil_servants"
values = [100, 5000]
[[factor]]
name = "staff.frontline_share"
values = [0.05, 0.9]
[outcomes]
ipp_2020 = { column = "ipp", year = 2020 }
"""
    exp = load_experiment(_exp(tmp_path, text))
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match=r"design point 0 \(staff.civil_servants = 100, "
                                            r"staff.frontline_share = 0.05\): .*frontline"):
        from model.experiments.execute import run_experiment
        run_experiment(exp, out, progress=False)
    assert not out.exists() or not any(out.iterdir())

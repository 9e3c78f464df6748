"""model.scenario: loading, what-if merging, policies, shares and overrides."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
from conftest import JEMBER, KEDIRI, SCENARIOS

from model.errors import ScenarioError
from model.scenario import (
    COMPONENTS,
    STOCKS,
    Policy,
    Shares,
    Shift,
    lever_in_year,
    load_scenario,
    read_toml,
    scenario_from_table,
    shares_in_year,
    with_overrides,
)
from model.shares import set_share


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def _shares(**kw: float) -> Shares:
    return Shares(**kw)


def test_components_and_stocks():
    assert COMPONENTS == ("apps", "competency", "connectivity", "regulation", "interface")
    assert STOCKS == (*COMPONENTS, "capital")


def test_region_files_load_with_shares_summing_to_one(kediri, jember):
    for sc in (kediri, jember):
        assert math.isclose(sum(sc.shares.as_dict().values()), 1.0, abs_tol=1e-9)
        assert sc.path and sc.name and sc.region
        # events are kept in date order
        dates = [(e.year, e.month) for e in sc.events]
        assert dates == sorted(dates)
    assert kediri.region == "Kota Kediri" and jember.region == "Kabupaten Jember"


def test_scenario_sources_are_labelled_data_or_assumption(kediri, jember):
    for sc in (kediri, jember):
        assert sc.sources
        for text in sc.sources.values():
            assert text.startswith(("data:", "data (derived):", "assumption:"))


def test_whatif_merges_tables_and_appends_policies(tmp_path, kediri):
    p = _write(tmp_path, "whatif/w.toml", """
base = "../kediri.toml"
[scenario]
name = "w"
[budget]
egov_share = 0.03
[[policy]]
name = "more apps"
start_year = 2025
shares = { apps = 0.5, competency = 0.1, connectivity = 0.1, regulation = 0.15, interface = 0.15 }
""")
    _write(tmp_path, "kediri.toml", KEDIRI.read_text())
    sc = load_scenario(p)
    assert sc.name == "w" and sc.region == kediri.region  # [scenario] merged key by key
    assert sc.budget.egov_share == 0.03
    assert sc.budget.apbd_idr == kediri.budget.apbd_idr  # untouched keys come from the base
    assert sc.policies[: len(kediri.policies)] == kediri.policies
    assert sc.policies[-1].name == "more apps"
    assert sc.events == kediri.events
    assert shares_in_year(sc, 2024) == kediri.shares.as_dict()
    assert shares_in_year(sc, 2025)["apps"] == 0.5


def test_whatif_files_in_the_repository_resolve_their_base():
    for path in sorted((SCENARIOS / "whatif").glob("*.toml")):
        data = read_toml(path)
        assert "base" in data, path
        sc = load_scenario(path)
        base = load_scenario((path.parent / data["base"]).resolve())
        assert sc.region == base.region
        assert len(sc.policies) > len(base.policies), "a what-if adds a policy"


def test_missing_base_names_file_and_field(tmp_path):
    p = _write(tmp_path, "w.toml", 'base = "nowhere.toml"\n[scenario]\nname = "w"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert (info.value.path, info.value.field) == (str(p), "base")
    assert "nowhere.toml" in info.value.message


def test_fault_in_the_base_is_reported_against_the_base(tmp_path):
    base = _write(tmp_path, "base.toml",
                  KEDIRI.read_text(encoding="utf-8").replace("apps = 0.", "apps = 1.7 # ", 1))
    whatif = _write(tmp_path, "w.toml", 'base = "base.toml"\n[scenario]\nname = "w"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(whatif)
    assert (info.value.path, info.value.field) == (str(base), "shares.apps")


WHATIF = SCENARIOS / "whatif" / "kediri_apps_to_training_2025.toml"


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_whatif_without_its_own_name_is_blamed_not_its_base(tmp_path, capsys, command):
    """A what-if must name itself: without [scenario] name it would carry its base's, label its
    rows as the base and, run beside it, be refused with an error blaming the base file."""
    from model.cli import main
    base = _write(tmp_path, "kediri.toml", KEDIRI.read_text(encoding="utf-8"))
    text = re.sub(r"\[scenario\][^\[]*", "", WHATIF.read_text(encoding="utf-8"))
    assert "name =" in text and "kediri_apps" not in text  # the policy's name stays
    whatif = _write(tmp_path, "whatif/w.toml", text)
    out = tmp_path / "out"
    argv = {"validate": ["validate", str(whatif)],
            "run": ["run", str(base), str(whatif), "--replications", "1", "--population", "500",
                    "--years", "2018:2019", "--out", str(out)]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"egovsim: error: {whatif}: scenario.name: missing"), err
    assert "'kediri'" in err and str(base) not in err and not out.exists()


def test_base_cycle_is_an_error(tmp_path):
    a = _write(tmp_path, "a.toml", 'base = "b.toml"\n')
    _write(tmp_path, "b.toml", 'base = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)


@pytest.mark.parametrize(("text", "message"), [
    ("", "file is empty"),
    ("  \n# only a comment is not empty text but has no tables\n", "no scenario tables"),
    ("[scenario\nname = 1", "TOML syntax error"),
])
def test_unreadable_files(tmp_path, text, message):
    p = _write(tmp_path, "bad.toml", text)
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(p)
    assert info.value.path == str(p)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "absent.toml")


def _kediri_with(tmp_path: Path, old: str, new: str) -> Path:
    text = KEDIRI.read_text()
    assert re.search(old, text, flags=re.M), old
    return _write(tmp_path, "k.toml", re.sub(old, new, text, count=1, flags=re.M))


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    (r"^apps = [0-9.]+$", "apps = 1.7", "shares.apps", "outside [0, 1]"),
    (r"^apps = [0-9.]+$", "apps = 0.93", "shares", "not 1"),
    (r"^egov_share = .*$", "egov_share = -0.01", "budget.egov_share", "outside"),
    (r"^apbd_idr = .*$", "apbd_idr = -1.0", "budget.apbd_idr", "outside"),
    (r"^residents = .*$", 'residents = "many"', "population.residents", "expected a whole number"),
    (r"^area_km2 = .*$", 'area_km2 = "63.4"', "population.area_km2", "expected a number"),
    (r"^\[staff\]", "[staff]\nhead_count = 3", "staff.head_count", "unknown key"),
    (r"^\[apps\]", "[apps_table]", "apps_table", "unknown table"),
    (r"^\[initial\]\n", "[initial]\nwhatever = 1\n", "initial.whatever", "valid keys are"),
    (r"^name = .*$", "name = 3", "scenario.name", "missing or not text"),
    (r"^kind = .*$", 'kind = "parade"', "event[0].kind", "not an event kind"),
    (r"^month = \d+$", "month = 13", "event[0].month", "outside"),
])
def test_malformed_kediri_copies(tmp_path, old, new, field, message):
    p = _kediri_with(tmp_path, old, new)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert info.value.path == str(p)
    assert info.value.field == field
    assert message in info.value.message
    assert "\n" not in str(info.value)


def test_missing_table_is_named(tmp_path):
    text = re.sub(r"^\[initial\]\n(.*\n)*?\n", "", KEDIRI.read_text(), count=1, flags=re.M)
    p = _write(tmp_path, "k.toml", text)
    with pytest.raises(ScenarioError, match=r"missing table \[initial\]"):
        load_scenario(p)


@pytest.mark.parametrize(("policy", "field", "message"), [
    ('name = "p"\nstart_year = 2025\nend_year = 2024', "policy[0].end_year", "ends before"),
    ('name = "p"\nstart_year = 2025\nshift = { from = "apps", to = "roads", fraction = 0.2 }',
     "policy[0].shift.to", "not a component"),
    ('name = "p"\nstart_year = 2025\nshift = { from = "apps", to = "apps", fraction = 0.2 }',
     "policy[0].shift", "same component"),
    ('name = "p"\nstart_year = 2025\nshift = { from = "apps", to = "competency", fraction = 2 }',
     "policy[0].shift.fraction", "outside"),
    ('name = "p"\nstart_year = 2025\nshares = { apps = 0.5 }', "policy[0].shares.competency",
     "missing"),
    ('name = "p"\nstart_year = 2025\nshares = { apps = 0.5, competency = 0.5, connectivity = 0.5,'
     ' regulation = 0.0, interface = 0.0 }', "policy[0].shares", "not 1"),
    ('name = "p"\nstart_year = 2025\nhires_per_year_share = 0.9', "policy[0].hires_per_year_share",
     "outside"),
    ('name = "p"\nstart_year = 2025\nbudget_multipler = 2', "policy[0].budget_multipler",
     "unknown key"),
])
def test_bad_policies(tmp_path, policy, field, message):
    p = _write(tmp_path, "k.toml", KEDIRI.read_text() + f"\n[[policy]]\n{policy}\n")
    # [[policy]] after [sources] is fine in TOML: arrays of tables may follow any table.
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert info.value.field == field
    assert message in info.value.message


def test_sources_must_be_labelled_and_name_a_field(tmp_path):
    p = _write(tmp_path, "k.toml",
               KEDIRI.read_text() + '"behaviour.need_rate_per_year" = "a guess"\n')
    with pytest.raises(ScenarioError, match="start the text with"):
        load_scenario(p)
    p = _write(tmp_path, "k.toml", KEDIRI.read_text() + '"budget.nothing" = "assumption: x"\n')
    with pytest.raises(ScenarioError, match="names no scenario field"):
        load_scenario(p)


def test_behaviour_table_overrides_and_is_validated(tmp_path):
    p = _write(tmp_path, "k.toml", KEDIRI.read_text().replace(
        "\n[sources]\n", "\n[behaviour]\nstock_gain_per_year = 1.5\n\n[sources]\n"))
    assert load_scenario(p).behaviour.stock_gain_per_year == 1.5
    p = _write(tmp_path, "k.toml", KEDIRI.read_text().replace(
        "\n[sources]\n", "\n[behaviour]\nstock_gain_per_year = 50.0\n\n[sources]\n"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert info.value.field == "behaviour.stock_gain_per_year"


# --- policies in force ----------------------------------------------------------------------
def _with_policies(sc, *policies: Policy):
    return dataclasses.replace(sc, policies=tuple(policies))


def test_policy_window_is_inclusive_and_open_ended():
    p = Policy(name="p", start_year=2022, end_year=2024)
    assert [p.active(y) for y in (2021, 2022, 2024, 2025)] == [False, True, True, False]
    assert Policy(name="q", start_year=2022).active(2100)


def test_shares_in_year_applies_replacement_then_shift(kediri):
    new = _shares(apps=0.2, competency=0.2, connectivity=0.2, regulation=0.2, interface=0.2)
    sc = _with_policies(
        kediri,
        Policy(name="split", start_year=2022, shares=new),
        Policy(name="shift", start_year=2024, end_year=2025,
               shift=Shift(source="apps", target="competency", fraction=0.25)))
    assert shares_in_year(sc, 2021) == kediri.shares.as_dict()
    assert shares_in_year(sc, 2023) == new.as_dict()
    y24 = shares_in_year(sc, 2024)
    assert y24["apps"] == pytest.approx(0.15) and y24["competency"] == pytest.approx(0.25)
    assert sum(y24.values()) == pytest.approx(1.0)
    assert shares_in_year(sc, 2026) == new.as_dict()


def test_shift_moves_a_fraction_of_the_source_share(kediri):
    sc = _with_policies(kediri, Policy(name="s", start_year=2025, shift=Shift(
        source="apps", target="competency", fraction=0.2)))
    base, after = kediri.shares.as_dict(), shares_in_year(sc, 2025)
    assert after["apps"] == pytest.approx(0.8 * base["apps"])
    assert after["competency"] == pytest.approx(base["competency"] + 0.2 * base["apps"])
    for c in ("connectivity", "regulation", "interface"):
        assert after[c] == base[c]


def test_lever_in_year_defaults_and_latest_active_policy_wins(kediri):
    sc = _with_policies(
        kediri,
        Policy(name="a", start_year=2020, hire_quality=0.7, budget_multiplier=2.0),
        Policy(name="b", start_year=2023, end_year=2024, hire_quality=0.9))
    assert lever_in_year(sc, "hire_quality", 2019) == kediri.staff.hire_quality
    assert lever_in_year(sc, "hire_quality", 2021) == 0.7
    assert lever_in_year(sc, "hire_quality", 2023) == 0.9
    assert lever_in_year(sc, "hire_quality", 2025) == 0.7
    assert lever_in_year(sc, "budget_multiplier", 2019) == 1.0
    assert lever_in_year(sc, "budget_multiplier", 2024) == 2.0
    assert lever_in_year(sc, "hires_per_year_share", 2030) == kediri.staff.hires_per_year_share
    assert lever_in_year(sc, "integration_share", 2030) == kediri.apps.integration_share


# --- set_share and with_overrides -------------------------------------------------------------
def test_set_share_rescales_the_others_proportionally():
    shares = {"apps": 0.4, "competency": 0.1, "connectivity": 0.2, "regulation": 0.15,
              "interface": 0.15}
    out = set_share(shares, "apps", 0.7)
    assert out["apps"] == 0.7
    assert sum(out.values()) == pytest.approx(1.0)
    for c in ("competency", "connectivity", "regulation", "interface"):
        assert out[c] == pytest.approx(shares[c] * 0.3 / 0.6)


def test_set_share_splits_equally_when_the_others_are_zero():
    zero = dict.fromkeys(COMPONENTS, 0.0) | {"apps": 1.0}
    out = set_share(zero, "apps", 0.6)
    assert all(out[c] == pytest.approx(0.1) for c in COMPONENTS if c != "apps")


@pytest.mark.parametrize(("component", "value", "match"), [
    ("apps", 1.2, "outside"), ("apps", -0.1, "outside"), ("roads", 0.2, "unknown component")])
def test_set_share_rejects_bad_values(component, value, match):
    with pytest.raises(ScenarioError, match=match):
        set_share(dict.fromkeys(COMPONENTS, 0.2), component, value)


def test_with_overrides_changes_only_what_is_named(kediri):
    sc = with_overrides(kediri, {"shares.apps": 0.3, "behaviour.stock_gain_per_year": 1.2,
                                 "budget.egov_share": 0.02, "staff.hire_quality": 0.8})
    assert sc.shares.apps == 0.3 and sum(sc.shares.as_dict().values()) == pytest.approx(1.0)
    assert sc.behaviour.stock_gain_per_year == 1.2
    assert sc.budget.egov_share == 0.02 and sc.staff.hire_quality == 0.8
    assert sc.population == kediri.population and sc.events == kediri.events
    assert sc.policies == kediri.policies and sc.initial == kediri.initial
    assert kediri.shares.apps != 0.3  # the original is untouched (frozen)


def test_with_overrides_keeps_policies_with_shifts(tmp_path):
    sc = load_scenario(SCENARIOS / "whatif" / "kediri_apps_to_training_2025.toml")
    again = with_overrides(sc, {"budget.egov_share": 0.02})
    assert again.policies == sc.policies


@pytest.mark.parametrize(("key", "value", "match"), [
    ("budget.egov_share", -1.0, "outside"),
    ("budget.egov_share", "two", "expected a number"),
    ("budget.nothing", 1.0, "unknown field"),
    ("nowhere.x", 1.0, "not an overridable field"),
    ("budget", 1.0, "not an overridable field"),
    ("shares.apps", 1.5, "outside"),
    ("behaviour.stock_gain_per_year", 99.0, "outside"),
])
def test_with_overrides_validates(kediri, key, value, match):
    with pytest.raises(ScenarioError, match=match):
        with_overrides(kediri, {key: value})


def test_to_table_round_trips(kediri, jember):
    for sc in (kediri, jember):
        assert with_overrides(sc, {}) == sc


def test_scenario_from_table_rejects_non_tables():
    with pytest.raises(ScenarioError, match="no scenario tables"):
        scenario_from_table({}, "x.toml")
    with pytest.raises(ScenarioError, match=r"missing \[scenario\]"):
        scenario_from_table({"budget": {}}, "x.toml")


@pytest.mark.parametrize("path", [JEMBER, KEDIRI], ids=["jember", "kediri"])
def test_every_region_field_states_its_source(path):
    """Provenance: each value of a region file is data with its source or a labelled
    assumption, in its [sources] table."""
    from model.scenario import _TABLES
    scenario = load_scenario(path)
    fields = {f"{t}.{f.name}" for t, cls in _TABLES.items() for f in dataclasses.fields(cls)}
    assert sorted(fields - set(scenario.sources)) == []


# --- files the loader must refuse with one line ----------------------------------------------
KEDIRI_BASE = f'base = "{KEDIRI}"\n'


@pytest.mark.parametrize("text", [
    "a = " + "[" * 2000 + "]" * 2000,                       # deeper than Python's recursion
    "a = " + "{b = " * 2000 + "1" + "}" * 2000,
    "a = " + "[" * 40 + "]" * 40,                           # parses, but deeper than allowed
])
def test_deeply_nested_toml_is_one_error_not_a_recursion(tmp_path, text):
    path = _write(tmp_path, "deep.toml", text)
    with pytest.raises(ScenarioError, match="nested"):
        read_toml(path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (KEDIRI_BASE + '[scenario]\nname = "b"\nregion = "K"\n'
                                        ).encode())
    assert load_scenario(path).name == "b"


def test_a_folder_or_device_as_scenario_says_what_it_is(tmp_path):
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario("/dev/null")
    path = _write(tmp_path, "w.toml", 'base = ".."\n')
    with pytest.raises(ScenarioError, match=r"base: \.\. is a folder"):
        load_scenario(path)
    path = _write(tmp_path, "self.toml", 'base = "self.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(path)


@pytest.mark.parametrize("key", ["policy", "event"])
def test_policy_or_event_that_is_not_a_list_in_a_whatif_is_one_error(tmp_path, key):
    path = _write(tmp_path, "w.toml", f"{KEDIRI_BASE}{key} = 5\n")
    with pytest.raises(ScenarioError, match=rf"w.toml: {key}: expected \[\[{key}\]\]"):
        load_scenario(path)


# --- values each in range that together the model cannot run ----------------------------------
def test_too_few_residents_for_one_request_a_month_is_refused(kediri):
    from model.defaults import MIN_REQUESTS_PER_MONTH
    # Each resident needs need_rate_per_year services a year, so rate / 12 a month.
    enough = math.ceil(MIN_REQUESTS_PER_MONTH * 12 / kediri.behaviour.need_rate_per_year)
    assert with_overrides(kediri, {"population.residents": enough}).population.residents == enough
    with pytest.raises(ScenarioError, match="population.residents"):
        with_overrides(kediri, {"population.residents": enough - 1})
    with pytest.raises(ScenarioError, match="population.residents"):  # rarer needs, more people
        with_overrides(kediri, {"population.residents": enough,
                                "behaviour.need_rate_per_year": 0.5})


def test_too_few_frontline_staff_or_staff_older_than_retirement_are_refused(kediri):
    with pytest.raises(ScenarioError, match="staff.frontline_share"):
        with_overrides(kediri, {"staff.civil_servants": 10, "staff.frontline_share": 0.0})
    with pytest.raises(ScenarioError, match="staff.frontline_share"):
        with_overrides(kediri, {"staff.civil_servants": 1, "staff.frontline_share": 1.0})
    with pytest.raises(ScenarioError, match="staff.mean_age_years"):
        with_overrides(kediri, {"staff.mean_age_years": 65, "staff.retirement_age_years": 40})
    ok = with_overrides(kediri, {"staff.mean_age_years": 57, "staff.retirement_age_years": 58})
    assert ok.staff.mean_age_years == 57

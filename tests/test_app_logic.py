"""The app's logic without a browser: texts, controls, the what-if policy, files, runs."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from model import cli
from model.app import logic
from model.errors import ScenarioError
from model.params import describe
from model.present.numbers import aspects_table, paired_differences
from model.present.text import LANGS, num, pct, texts, tr
from model.scenario import COMPONENTS, Policy, Shares, load_scenario, shares_in_year

JEMBER = "jember.toml"


@pytest.fixture(scope="module")
def jember() -> logic.Source:
    return logic.source_from_file(JEMBER)


# --- texts ---------------------------------------------------------------------------------------
def test_both_languages_have_the_same_keys_and_placeholders():
    en, id_ = texts("en"), texts("id")
    assert set(en) == set(id_)
    field = re.compile(r"\{(\w*)\}")
    for key in en:
        assert set(field.findall(en[key])) == set(field.findall(id_[key])), key
    differing = [k for k in en if en[k] != id_[k]]
    assert len(differing) > 0.8 * len(en)  # really translated, not copied


def test_every_control_has_a_label_and_help_in_both_languages():
    for lang in LANGS:
        for control in logic.controls():
            assert tr(lang, f"control.{control.key}.label")
            assert tr(lang, f"control.{control.key}.help")
            assert tr(lang, f"unit.{control.unit}")
        for group, _ in logic.LEVER_GROUPS:
            assert tr(lang, f"lever_group.{group}")


def test_numbers_are_written_the_local_way():
    assert num(1234.5, "en", 2) == "1,234.50"
    assert num(1234.5, "id", 2) == "1.234,50"
    assert num(-0.126, "id", 2, sign=True) == "−0,13"
    assert num(0.1, "en", 1, sign=True) == "+0.1"
    assert pct(0.456, "id") == "46%"
    assert num(float("nan"), "en") == "–"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        texts("fr")


# --- where scenarios come from -------------------------------------------------------------------
def test_only_files_in_scenarios_can_be_chosen():
    names = logic.list_scenarios()
    assert {"jember.toml", "kediri.toml"} <= set(names)
    assert all(not n.startswith(("/", "..")) for n in names)
    for bad in ("../pyproject.toml", "/etc/passwd", "whatif/../../pyproject.toml", "nope.toml"):
        with pytest.raises(ScenarioError, match="not a scenario file in scenarios/"):
            logic.source_from_file(bad)


def test_a_region_file_is_saved_as_base_relative_to_whatif(jember):
    assert jember.base_ref == "../jember.toml"
    a, b = jember.scenario.to_table(), load_scenario(logic.SCENARIOS_DIR / JEMBER).to_table()
    a.pop("path"), b.pop("path")
    assert a == b


def test_upload_is_parsed_as_data_and_its_base_must_stay_in_scenarios():
    text = (logic.SCENARIOS_DIR / "whatif" / "kediri_apps_to_training_2025.toml").read_bytes()
    src = logic.source_from_upload(text, "mine.toml")
    ref = load_scenario(logic.SCENARIOS_DIR / "whatif" / "kediri_apps_to_training_2025.toml")
    assert src.scenario.policies == ref.policies and src.scenario.shares == ref.shares
    assert src.base_ref is None
    for base in ("../../pyproject.toml", "/etc/hostname", "../../../etc/passwd", "missing.toml"):
        bad = f'base = "{base}"\n[scenario]\nname = "x"\n'.encode()
        with pytest.raises(ScenarioError, match=r"mine\.toml: base: .*inside scenarios/"):
            logic.source_from_upload(bad, "mine.toml")
    with pytest.raises(ScenarioError, match="TOML syntax error"):
        logic.source_from_upload(b"[scenario\n", "broken.toml")
    with pytest.raises(ScenarioError, match="larger than"):
        logic.source_from_upload(b"#" * (logic.MAX_UPLOAD_BYTES + 1), "big.toml")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        logic.source_from_upload(b"\xff\xfe\x00", "bin.toml")


def test_an_uploaded_region_file_without_base_is_validated():
    text = (logic.SCENARIOS_DIR / "kediri.toml").read_text().replace(
        "egov_share = ", "egov_share = 7 #")
    with pytest.raises(ScenarioError, match=r"k\.toml: budget\.egov_share: 7(\.0)? is outside"):
        logic.source_from_upload(text.encode(), "k.toml")


# --- controls and the what-if policy -------------------------------------------------------------
def test_controls_come_from_the_declarations():
    ctl = {c.key: c for c in logic.controls((2018, 2030))}
    assert list(ctl)[:9] == ["start_year", *(f"shares.{c}" for c in COMPONENTS),
                             "shift.source", "shift.target", "shift.fraction"]
    assert list(ctl)[9:12] == ["budget_multiplier", "hires_per_year_share", "hire_quality"]
    assert ctl["shift.source"].choices == COMPONENTS and ctl["shift.fraction"].hi == 1.0
    assert ctl["literacy_target"].kind == "select"
    assert ctl["literacy_target"].choices == ("all", "urban", "rural", "q1", "q2", "q3", "q4",
                                              "q5")
    assert ctl["assisted_target"].choices == ("all", "urban", "rural")
    assert ctl["hire_units"].kind == ctl["training_units"].kind == "multi"
    assert ctl["hires_per_year"].kind == ctl["staff_per_10k_target"].kind == "number"
    assert ctl["budget_multiplier"].kind == ctl["hire_selection"].kind == "slider"
    policy = {r["name"]: r for r in describe(Policy)}
    shares = {r["name"]: r for r in describe(Shares)}
    for key in ("budget_multiplier", "hires_per_year_share", "hire_quality"):
        assert (ctl[key].lo, ctl[key].hi, ctl[key].unit) == (
            policy[key]["lo"], policy[key]["hi"], policy[key]["unit"])
    for c in COMPONENTS:
        assert (ctl[f"shares.{c}"].lo, ctl[f"shares.{c}"].hi) == (shares[c]["lo"], shares[c]["hi"])
        assert ctl[f"shares.{c}"].step == 0.01
    assert (ctl["start_year"].lo, ctl["start_year"].hi) == (2019, 2030)
    assert ctl["start_year"].integer


def test_starting_values_are_the_levers_in_force(jember):
    sc = jember.scenario
    for year in (2019, 2025):
        wi = logic.in_force(sc, year)
        assert wi.shares == shares_in_year(sc, year)
        assert wi.value("budget_multiplier") == 1.0
        assert wi.value("hires_per_year_share") == sc.staff.hires_per_year_share
        assert wi.value("hire_quality") == sc.staff.hire_quality
        assert wi.value("training_digital_share") == 0.5
        assert wi.value("literacy_target") == "all" and wi.value("shift.fraction") == 0.0
        # money following people: the rural share of residents, as the model reads "absent"
        assert wi.value("connectivity_rural_share") == pytest.approx(
            1.0 - sc.population.urban_share)
    # Jember's 2021 policy changes the split: before and after differ
    assert logic.in_force(sc, 2019).shares == sc.shares.as_dict()
    assert logic.in_force(sc, 2025).shares != sc.shares.as_dict()


def test_moving_one_share_rescales_the_others_proportionally(jember):
    wi = logic.in_force(jember.scenario, 2019)
    moved = wi.with_value("shares.apps", 0.5)
    assert moved.shares["apps"] == 0.5
    factor = (1.0 - 0.5) / (1.0 - wi.shares["apps"])  # the other four shrink alike
    for c in ("competency", "connectivity", "regulation", "interface"):
        assert moved.shares[c] == pytest.approx(wi.shares[c] * factor, abs=1e-12)
    assert sum(moved.shares.values()) == pytest.approx(1.0, abs=1e-12)


def test_an_untouched_whatif_adds_no_policy(jember):
    wi = logic.in_force(jember.scenario, 2025)
    assert logic.policy_table(jember.scenario, wi) is None
    sc = logic.whatif_scenario(jember, wi)
    assert sc.policies == jember.scenario.policies
    assert sc.name == "jember_whatif_2025"


def test_the_policy_sets_only_the_moved_levers(jember):
    wi = logic.in_force(jember.scenario, 2026).with_value("budget_multiplier", 1.5)
    table = logic.policy_table(jember.scenario, wi)
    assert {k for k in table if k not in ("name", "note")} == {"start_year", "budget_multiplier"}
    assert table["start_year"] == 2026 and table["budget_multiplier"] == 1.5
    wi2 = wi.with_value("shares.competency", 0.55)
    table2 = logic.policy_table(jember.scenario, wi2)
    assert sum(table2["shares"].values()) == pytest.approx(1.0, abs=1e-9)
    assert table2["shares"]["competency"] == 0.55
    sc = logic.whatif_scenario(jember, wi2)
    assert sc.policies[-1].start_year == 2026
    assert shares_in_year(sc, 2026)["competency"] == pytest.approx(0.55)
    assert shares_in_year(sc, 2025) == shares_in_year(jember.scenario, 2025)


def test_saved_file_runs_with_the_cli_and_equals_what_the_app_ran(jember, tmp_path, capsys):
    wi = (logic.in_force(jember.scenario, 2024).with_value("shares.regulation", 0.2)
          .with_value("hires_per_year_share", 0.03).with_value("hire_quality", 0.7)
          .with_value("shift.fraction", 0.2).with_value("literacy_target", "q1")
          .with_value("literacy_course_share", 0.1)
          .with_value("training_units", ["rsud", "dukcapil"]))
    text = logic.whatif_toml(jember, wi)
    policy = tomllib.loads(text)["policy"][0]
    assert set(policy) == {"name", "start_year", "note", "shares", "hires_per_year_share",
                           "hire_quality", "shift", "literacy_target", "literacy_course_share",
                           "training_units"}  # only what changed
    assert policy["shift"] == {"from": "apps", "to": "competency", "fraction": 0.2}
    assert policy["training_units"] == ["dukcapil", "rsud"]
    assert text.splitlines()[0].startswith("#") and 'base = "../jember.toml"' in text
    (tmp_path / "whatif").mkdir()
    shutil.copy(logic.SCENARIOS_DIR / JEMBER, tmp_path / JEMBER)
    saved = tmp_path / "whatif" / "saved.toml"
    saved.write_text(text)
    assert cli.main(["validate", str(saved)]) == 0
    loaded = load_scenario(saved).to_table()
    ran = logic.whatif_scenario(jember, wi).to_table()
    loaded.pop("path"), ran.pop("path")
    assert loaded == ran
    assert logic.source_from_upload(text.encode(), "saved.toml").scenario.policies == \
        logic.whatif_scenario(jember, wi).policies


def test_a_whatif_of_an_upload_is_saved_whole(jember):
    text = (logic.SCENARIOS_DIR / "kediri.toml").read_bytes()
    src = logic.source_from_upload(text, "kediri_copy.toml")
    wi = logic.in_force(src.scenario, 2025).with_value("hire_quality", 0.9)
    saved = logic.whatif_toml(src, wi)
    assert "base =" not in saved
    again = logic.source_from_upload(saved.encode(), "again.toml").scenario
    assert again.policies == logic.whatif_scenario(src, wi).policies
    assert again.sources == src.scenario.sources and again.events == src.scenario.events


def test_toml_writer_round_trips():
    data = {"base": "../a.toml", "scenario": {"name": 'quo"te', "description": "line\nnext é"},
            "sources": {"budget.egov_share": "data: x", "odd key": "y"},
            "behaviour": {"x": 1.5, "n": 3, "flag": True, "lst": [1, 2.5]},
            "policy": [{"name": "p", "start_year": 2025, "shares": {"apps": 0.5, "b": 0.5}},
                       {"name": "q", "start_year": 2026, "end_year": None}]}
    out = tomllib.loads(logic.to_toml(data, "header line"))
    data["policy"][1].pop("end_year")
    assert out == data


# --- runs -----------------------------------------------------------------------------------------
SMALL = logic.Settings(replications=2, seed=7, years=(2018, 2021), population=400,
                       uncertainty="point")


def test_unchanged_whatif_equals_baseline_without_rerunning(jember):
    wi = logic.in_force(jember.scenario, 2020)
    cmp = logic.run_whatifs(jember.scenario, [logic.whatif_scenario(jember, wi)], SMALL)
    assert cmp.changed == (False,)
    assert set(cmp.annual["scenario"]) == {"jember", "jember_whatif_2020"}
    assert len(cmp.annual) == 2 * 2 * 4
    d = paired_differences(cmp.annual, ("spbe",), cmp.baseline)
    assert np.all(d[["mean", "lo90", "hi90"]].to_numpy() == 0.0)


def test_a_changed_whatif_runs_with_the_baselines_seeds(jember):
    wi = logic.in_force(jember.scenario, 2020).with_value("budget_multiplier", 0.0)
    progress = []
    cmp = logic.run_whatifs(jember.scenario, [logic.whatif_scenario(jember, wi)], SMALL,
                            progress.append)
    assert cmp.changed == (True,)
    assert progress[-1] == 1.0 and progress == sorted(progress) and len(progress) == 4
    a = cmp.annual
    seeds = a.groupby("scenario")["seed"].apply(lambda s: tuple(sorted(set(s))))
    assert seeds["jember"] == seeds["jember_whatif_2020"]
    # before the start year the two are the same runs (common random numbers)
    early = a[a["year"] < 2020].pivot_table(index=["year", "replication"], columns="scenario",
                                             values="spbe")
    assert np.allclose(early["jember"], early["jember_whatif_2020"])
    budget = a[a["year"] == 2021].groupby("scenario")["budget_egov_idr"].mean()
    assert budget["jember_whatif_2020"] == 0.0 < budget["jember"]
    h = logic.headline(cmp)
    assert list(h["index"]) == ["spbe", "ipp", "ikm"] and (h["year"] == 2021).all()
    assert h["diff"].to_numpy() == pytest.approx((h["whatif"] - h["baseline"]).to_numpy())
    # no e-government money for two years lowers the IPP's aspects (stocks depreciate)
    asp = aspects_table(a, [cmp.baseline, *cmp.whatifs], 2021).groupby("scenario")["value"].sum()
    assert asp["jember_whatif_2020"] < asp["jember"]


# --- the command ----------------------------------------------------------------------------------
def test_app_command_binds_localhost_and_checks_the_port(capsys):
    from model.commands.app import solara_argv
    args = cli.build_parser().parse_args(["app"])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    argv = solara_argv(args.host, args.port)
    assert argv[argv.index("--host") + 1] == "127.0.0.1" and "--no-check-version" in argv
    for bad in ("0", "70000", "http"):
        with pytest.raises(SystemExit) as exc:
            cli.build_parser().parse_args(["app", "--port", bad])
        assert exc.value.code == 2
    assert "is not a port number" in capsys.readouterr().err


def test_report_names_the_cli_command_that_repeats_the_runs(jember):
    wi = logic.in_force(jember.scenario, 2025).with_value("hire_quality", 0.7)
    argv = logic.cli_argv(jember, [wi, wi], logic.Settings(uncertainty="point"))
    args = cli.build_parser().parse_args(argv)
    assert args.scenarios == ["scenarios/jember.toml", "scenarios/whatif/jember_whatif_2025.toml",
                              "scenarios/whatif/jember_whatif2_2025.toml"]
    assert (args.replications, args.seed, args.years, args.population, args.posterior) == (
        logic.DEFAULT_REPLICATIONS, logic.DEFAULT_SEED, logic.DEFAULT_YEARS,
        logic.DEFAULT_POPULATION, None)


# --- split controls, address, start years, uploads with a base -----------------------------------
def test_a_share_set_to_100_then_0_gives_back_the_baselines_split(jember):
    ref = logic.in_force(jember.scenario, 2025)
    all_apps = ref.with_value("shares.apps", 1.0, ref.shares)
    assert all_apps.shares["apps"] == 1.0
    back = all_apps.with_value("shares.apps", 0.0, ref.shares)
    others = [c for c in COMPONENTS if c != "apps"]
    rest = sum(ref.shares[c] for c in others)
    for c in others:  # the baseline's proportions, not 25% each
        assert back.shares[c] == pytest.approx(ref.shares[c] / rest, abs=1e-12)
    assert len({round(back.shares[c], 6) for c in others}) > 1


def test_the_address_round_trips_and_refuses_bad_values(jember):
    wi = (logic.in_force(jember.scenario, 2027).with_value("hire_quality", 0.8)
          .with_value("shares.competency", 0.4))
    query = logic.state_query("en", "jember.toml", wi)
    state = logic.parse_state(query, LANGS)
    assert (state.lang, state.region, state.start_year, state.errors) == (
        "en", "jember.toml", 2027, ())
    back = logic.apply_levers(logic.in_force(jember.scenario, 2027), state.levers)
    assert back.value("hire_quality") == pytest.approx(0.8)
    for c in COMPONENTS:
        assert back.shares[c] == pytest.approx(wi.shares[c], abs=1e-5)
    bad = logic.parse_state("lang=fr&region=../pyproject.toml&start_year=2031&hire_quality=7"
                            "&shares.apps=0.9", LANGS)
    assert (bad.lang, bad.region, bad.start_year, bad.levers) == (None, None, None, {})
    text = " ".join(bad.errors)
    for field in ("lang", "region", "start_year", "hire_quality", "shares"):
        assert f"address: {field}:" in text, field
    assert "2031 is outside the simulated years" in text


def test_an_uploaded_whatif_without_its_own_name_is_refused_as_the_command_line_does():
    text = (logic.SCENARIOS_DIR / "whatif" / "kediri_apps_to_training_2025.toml").read_text()
    head = text.index("[scenario]")
    anonymous = text[:head] + text[text.index("[[policy]]"):]
    with pytest.raises(ScenarioError, match=r"mine\.toml: scenario\.name: missing"):
        logic.source_from_upload(anonymous.encode(), "mine.toml")


def test_an_upload_whose_policy_starts_outside_the_years_is_refused():
    text = (logic.SCENARIOS_DIR / "whatif" / "kediri_apps_to_training_2025.toml").read_text()
    late = text.replace("start_year = 2025", "start_year = 2031").encode()
    with pytest.raises(ScenarioError, match=r"late\.toml: policy\.0\.start_year: 2031 is "
                                            r"outside the simulated years"):
        logic.source_from_upload(late, "late.toml")


def test_an_uploaded_whatif_is_compared_with_its_base():
    text = (logic.SCENARIOS_DIR / "whatif" / "kediri_apps_to_training_2025.toml").read_bytes()
    src = logic.source_from_upload(text, "mine.toml")
    assert src.base is not None and src.base.name == "kediri"
    assert src.baseline is src.base and src.baseline.policies == ()
    wi = logic.in_force(src.scenario, 2025)
    settings = logic.Settings(replications=2, seed=7, years=(2018, 2026), population=400,
                              uncertainty="point")
    cmp = logic.run_whatifs(src.baseline, [logic.whatif_scenario(src, wi)], settings)
    assert cmp.changed == (True,)  # the upload's own policy is the difference
    d = paired_differences(cmp.annual, ("spbe",), cmp.baseline)
    assert d.loc[d["year"] == 2026, "mean"].abs().iloc[0] > 0


def test_a_region_with_a_delete_character_still_saves_valid_toml(jember):
    import dataclasses
    odd = dataclasses.replace(jember.scenario, region="Kota\u007fKediri")
    src = dataclasses.replace(jember, scenario=odd)
    text = logic.whatif_toml(src, logic.in_force(odd, 2025).with_value("hire_quality", 0.7))
    assert tomllib.loads(text)["scenario"]["region"] == "Kota\u007fKediri"


def test_a_whatif_file_is_compared_with_the_file_it_names_as_base():
    src = logic.source_from_file("whatif/kediri_apps_to_training_2025.toml")
    assert src.base is not None and src.base.name == "kediri" and src.baseline is src.base
    assert logic.source_from_file(JEMBER).base is None


# --- every lever, the shift, several what-ifs, posterior, Rupiah, advice ------------------------
def test_every_numeric_policy_lever_has_a_control_over_its_declared_range():
    import dataclasses
    ctl = {c.key: c for c in logic.controls()}
    declared = {f.name: f.metadata["meta"] for f in dataclasses.fields(Policy)
                if "meta" in f.metadata and f.metadata["meta"].lo is not None
                and f.name not in ("start_year", "end_year")}
    assert len(declared) >= 15
    for name, meta in declared.items():  # a new numeric lever without a control fails here
        assert ctl[name].kind == ("number" if meta.hi - meta.lo > logic.WIDE_RANGE
                                  else "slider"), name
        assert (ctl[name].lo, ctl[name].hi, ctl[name].unit) == (meta.lo, meta.hi, meta.unit)
    for name in ("literacy_target", "assisted_target", "hire_units", "training_units"):
        assert ctl[name].kind in ("select", "multi") and ctl[name].choices, name
    for lang in LANGS:  # every choice can be read in both languages
        for c in ctl.values():
            for choice in c.choices:
                assert tr(lang, f"component.{choice}" if c.unit == "component"
                          else f"choice.{choice}")


def test_interface_programmes_together_take_at_most_all_its_money(jember):
    wi = (logic.in_force(jember.scenario, 2025).with_value("complaint_desk_share", 0.7)
          .with_value("literacy_course_share", 0.6))
    assert wi.value("literacy_course_share") == pytest.approx(0.3)
    logic.whatif_scenario(jember, wi)  # valid: no programme sum above 1


def test_the_shift_names_two_components_and_never_the_same_twice(jember):
    wi = logic.in_force(jember.scenario, 2025)
    assert wi.shift == ("apps", "competency", 0.0)
    swapped = wi.with_value("shift.source", "competency")
    assert swapped.shift[:2] == ("competency", "apps")
    assert logic.policy_table(jember.scenario, wi) is None  # a shift of 0 moves nothing


SHIFT_SETTINGS = logic.Settings(replications=1, seed=3, years=(2018, 2022), population=400,
                                uncertainty="point")


def test_the_shift_control_moves_exactly_its_share_of_the_app_rupiah():
    kediri = logic.source_from_file("kediri.toml")
    wi = logic.in_force(kediri.scenario, 2020).with_value("shift.fraction", 0.2)
    cmp = logic.run_whatifs(kediri.scenario, [logic.whatif_scenario(kediri, wi)],
                            SHIFT_SETTINGS)
    a = cmp.annual.set_index(["scenario", "year"])
    base, what = a.loc[cmp.baseline], a.loc[cmp.whatifs[0]]
    assert (what["budget_egov_idr"] == base["budget_egov_idr"]).all()  # same money, draw for draw
    after = base.index >= 2020
    apps, comp = base["spend_apps_idr"], base["spend_competency_idr"]
    # known answer: apps loses exactly 20% of its Rupiah, competency gains the same Rupiah
    assert np.allclose(what["spend_apps_idr"][after], 0.8 * apps[after], rtol=1e-12)
    assert np.allclose(what["spend_competency_idr"][after], comp[after] + 0.2 * apps[after],
                       rtol=1e-12)
    for c in ("connectivity", "regulation", "interface"):
        assert np.allclose(what[f"spend_{c}_idr"], base[f"spend_{c}_idr"], rtol=1e-12)
    assert np.allclose(what["spend_apps_idr"][~after], apps[~after], rtol=1e-12)
    table = logic.rupiah_table(cmp, 2022).set_index("column")
    assert table.loc["spend_apps_idr", cmp.whatifs[0]] == pytest.approx(
        0.8 * table.loc["spend_apps_idr", cmp.baseline], rel=1e-12)
    assert list(table.index) == list(logic.RUPIAH_COLUMNS)


@pytest.fixture(scope="module")
def posterior_file(tmp_path_factory):
    from scripts.synthetic_posterior import main
    path = tmp_path_factory.mktemp("posterior") / "posterior.parquet"
    assert main(["--rows", "20", "--spread", "0.3", "--seed", "5", "--out", str(path)]) == 0
    return path


def test_three_whatifs_share_the_baselines_draws_and_seeds(jember, posterior_file):
    settings = logic.Settings(seed=11, years=(2018, 2021), population=400, draws=2,
                              posterior=posterior_file)
    wis = [logic.in_force(jember.scenario, 2020).with_value("budget_multiplier", 1.5),
           logic.in_force(jember.scenario, 2020).with_value("shift.fraction", 0.3),
           logic.in_force(jember.scenario, 2020).with_value("hire_quality", 0.9)]
    cmp = logic.run_whatifs(jember.scenario, [logic.whatif_scenario(jember, w, i + 1)
                                              for i, w in enumerate(wis)], settings)
    assert len(set(cmp.whatifs)) == 3 and cmp.changed == (True, True, True)
    a = cmp.annual
    assert cmp.plan.posterior.path == str(posterior_file) and len(cmp.plan.draws) == 2
    runs = a.groupby("scenario")[["draw", "replication", "seed"]].apply(
        lambda g: sorted(map(tuple, g.drop_duplicates().to_numpy())))
    assert len({str(r) for r in runs}) == 1 and len(runs.iloc[0]) == 2  # K=2 draws x R=1
    # the draws' parameters reach the runs: the two draws differ at the baseline
    assert a[(a["scenario"] == "jember") & (a["year"] == 2021)]["spbe"].nunique() == 2
    diff = paired_differences(a, ("spbe", "ipp", "ikm"), cmp.baseline)
    early = diff[diff["year"] < 2020]
    assert len(early) == 3 * 2 * 3 and (early[["mean", "lo90", "hi90"]] == 0.0).all().all()
    late = diff[diff["year"] == 2021]
    assert late.groupby("scenario")["mean"].apply(lambda s: s.abs().sum()).gt(0).all()
    h = logic.headline(cmp, 2021)
    assert list(h["scenario"].unique()) == list(cmp.whatifs) and len(h) == 9


def test_the_cli_command_draws_from_the_apps_own_posterior_file(jember, posterior_file):
    """A posterior other than the default is named in the repeating command; the default is
    not (the command stays the short one)."""
    wi = logic.in_force(jember.scenario, 2025).with_value("hire_quality", 0.7)
    own = logic.cli_argv(jember, [wi], logic.Settings(posterior=posterior_file, draws=3))
    args = cli.build_parser().parse_args(own)
    assert (args.posterior, args.posterior_file) == (3, posterior_file)
    assert logic.DEFAULT_POSTERIOR.is_file()  # committed with the package
    default = logic.cli_argv(jember, [wi], logic.Settings(posterior=logic.DEFAULT_POSTERIOR))
    assert "--posterior" in default and "--posterior-file" not in default


def test_the_cli_command_names_a_relative_posterior_file_absolutely(jember, posterior_file,
                                                                    monkeypatch):
    """A posterior file given relative to the app's folder is named by its absolute path, so
    the repeating command draws from it wherever it is run."""
    monkeypatch.chdir(posterior_file.parent)
    argv = logic.cli_argv(jember, [], logic.Settings(posterior=Path(posterior_file.name),
                                                     draws=2))
    named = Path(argv[argv.index("--posterior-file") + 1])
    assert named.is_absolute() and named == posterior_file.resolve()


def test_posterior_is_the_default_and_a_missing_file_falls_back_to_the_point(tmp_path,
                                                                            posterior_file):
    assert logic.Settings().uncertainty == "posterior"
    assert logic.Settings().posterior == logic.DEFAULT_POSTERIOR
    runs = logic.plan(logic.Settings(posterior=posterior_file))
    assert len(runs.draws) == logic.DEFAULT_DRAWS and runs.replications == 1
    assert not runs.fallback and runs.runs == logic.DEFAULT_DRAWS
    missing = logic.plan(logic.Settings(posterior=tmp_path / "none.parquet"))
    assert missing.fallback and missing.draws is None
    assert missing.replications == logic.DEFAULT_REPLICATIONS
    point = logic.plan(logic.Settings(posterior=posterior_file, uncertainty="point"))
    assert not point.fallback and point.draws is None
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(ScenarioError, match="bad.parquet: cannot read as Parquet"):
        logic.plan(logic.Settings(posterior=tmp_path / "bad.parquet"))
    with pytest.raises(ScenarioError, match="uncertainty"):
        logic.Settings(uncertainty="guess")


def _synthetic(diffs: dict[str, list[float]], base: dict[str, float]) -> logic.Comparison:
    """A baseline and one what-if over len(diffs[i]) paired replications in 2030."""
    import pandas as pd
    rows = []
    n = len(next(iter(diffs.values())))
    for r in range(n):
        b = {"scenario": "b", "region": "R", "replication": r, "year": 2030, **base}
        w = {**b, "scenario": "w", **{i: base[i] + diffs[i][r] for i in diffs}}
        rows += [b, w]
    annual = pd.DataFrame(rows)
    return logic.Comparison(annual, "b", ("w",), logic.Settings(), (True,), 0.0,
                            logic.Plan(None, None, n, False))


def test_could_be_zero_appears_exactly_when_the_interval_spans_zero():
    cmp = _synthetic({"spbe": [0.1, 0.2, 0.3, 0.2], "ipp": [-0.1, 0.1, 0.2, 0.0],
                      "ikm": [-0.2, -0.1, -0.3, -0.2]},
                     {"spbe": 2.0, "ipp": 4.99, "ikm": 3.0})
    h = logic.headline(cmp, 2030).set_index("index")
    assert list(h["could_be_zero"]) == [False, True, False]
    for lang, words in (("en", "could be zero"), ("id", "bisa nol")):
        for index, row in h.iterrows():
            text = logic.difference_text(row, lang)
            assert (words in text) == (row["diff_lo"] <= 0 <= row["diff_hi"]), (index, text)
    assert h.loc["spbe", "p_positive"] == 1.0 and h.loc["ikm", "p_positive"] == 0.0
    # 5% and 95% quantiles of 0.1, 0.2, 0.2, 0.3 by linear interpolation: 0.115 and 0.285
    assert logic.difference_text(h.loc["spbe"], "id") == "+0,20 [+0,12; +0,28], P(>0) 100%"
    # IPP 4.99 + 0.2 reaches 5 (its scale's top): the note's flag; SPBE and IKM do not
    assert list(h["at_cap"]) == [False, True, False] and h.loc["ipp", "cap"] == 5.0


def test_rupiah_is_written_the_indonesian_way():
    from model.present.text import money
    assert money(70.9e9, "id") == "Rp70,9 M" and money(70.9e9, "en") == "Rp70.9 bn"
    assert money(1234.5e9, "id") == "Rp1,2 T" and money(2.5e6, "id") == "Rp2,5 jt"
    assert money(12_345, "id") == "Rp12.345" and money(12_345, "en") == "Rp12,345"
    assert money(-14.2e9, "id", sign=True) == "−Rp14,2 M"
    assert logic.rupiah_text(56.7e9, 70.9e9, "id") == "Rp56,7 M (−Rp14,2 M)"
    assert logic.rupiah_text(70.9e9, 70.9e9, "id") == "Rp70,9 M"


def test_the_address_keeps_every_whatif_side_by_side(jember):
    """What-ifs 2 and 3 travel in the address too (keys w2., w3.), each with its own start
    year and levers; a bad value in one is refused by its prefixed name, the others apply."""
    refs = [logic.in_force(jember.scenario, y) for y in (2025, 2026, 2027)]
    wis = [refs[0].with_value("hire_quality", 0.8),
           refs[1].with_value("shift.fraction", 0.3),
           refs[2].with_value("assisted_target", "all")]
    query = logic.state_query("en", "jember.toml", wis[0], refs[0],
                              list(zip(wis[1:], refs[1:], strict=True)))
    state = logic.parse_state(query, LANGS)
    assert state.errors == () and state.start_year == 2025
    assert [start for start, _ in state.more] == [2026, 2027]
    back = [logic.apply_levers(r, lv) for r, lv in zip(
        refs, (state.levers, *(lv for _, lv in state.more)), strict=True)]
    assert back == wis
    bad = logic.parse_state(query.replace("w2.shift.fraction=0.3", "w2.shift.fraction=7"), LANGS)
    assert bad.errors and all("w2.shift.fraction" in e for e in bad.errors)
    assert bad.more[0][1] == {} and bad.more[1][1] == state.more[1][1]
    # a what-if without its start year keeps its levers (the page gives it the default year),
    # and what-if 3 alone keeps its number (what-if 2 is then the baseline in force)
    partial = logic.parse_state("w3.hire_quality=0.7", LANGS)
    assert partial.errors == () and partial.more == ((None, {}), (None, {"hire_quality": 0.7}))


def test_the_address_keeps_the_new_levers(jember):
    ref = logic.in_force(jember.scenario, 2025)
    wi = (ref.with_value("shift.fraction", 0.25).with_value("shift.target", "interface")
          .with_value("assisted_target", "all").with_value("hire_units", ["dinsos"]))
    query = logic.state_query("id", "jember.toml", wi, ref)
    assert "hire_quality" not in query and "shares." not in query  # only what moved
    state = logic.parse_state(query, LANGS)
    assert state.errors == ()
    back = logic.apply_levers(ref, state.levers)
    assert back.shift == ("apps", "interface", 0.25) and back == wi
    bad = logic.parse_state("assisted_target=moon&hire_units=dinsos,mars&shift.source=x", LANGS)
    assert bad.levers == {} and len(bad.errors) == 3



def test_advice_runs_the_quick_search_and_escapes_file_text(jember):
    import dataclasses

    from model.advise import SearchSettings
    hostile = dataclasses.replace(jember.scenario, name="<script>x</script>",
                                  region="<img src=x>Jember")
    tiny = SearchSettings(draws=1, replications=1, population=300, pop_size=4, generations=0)
    progress = []
    result = logic.run_advice(hostile, 2020, "ipp", logic.Settings(uncertainty="point"), tiny,
                              progress.append)
    assert progress[-1] <= 1.0 and len(progress) >= tiny.candidates
    table = logic.pareto_table(result.advice)
    assert table["recommended"].iloc[0]
    shares = table[list(COMPONENTS)].sum(axis=1)
    assert np.allclose(shares, 100.0)
    for lang in LANGS:
        page = logic.advice_html(result, lang)
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;" in page and "<table" in page and "<h3>" in page
    assert result.context.draws is None  # the point: no posterior was asked for


def test_a_typed_number_outside_its_declared_range_is_refused(jember):
    wi = logic.in_force(jember.scenario, 2025).with_value("hires_per_year", 200)
    assert wi.value("hires_per_year") == 200.0
    with pytest.raises(ScenarioError, match=r"hires_per_year: 200000 is outside \[0, 100000\]"):
        wi.with_value("hires_per_year", 200_000)
    with pytest.raises(ScenarioError, match="hires_per_year: expected a number, got None"):
        wi.with_value("hires_per_year", None)
    with pytest.raises(ScenarioError, match=r"shift.fraction: 1.5 is outside \[0, 1\]"):
        wi.with_value("shift.fraction", 1.5)

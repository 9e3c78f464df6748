"""Budget advice: the simplex, robustness metrics, the search on a known optimum, the text and
the command's bad inputs."""

from __future__ import annotations

import re
from itertools import takewhile

import numpy as np
import pandas as pd
import pytest
from conftest import JEMBER, KEDIRI

import model.advise as adv
import model.posterior as mp
from model import ScenarioError
from model.advice_text import LANGUAGES, Context, T, advice_markdown, whole_percentages
from model.cli import main

IPP, SPBE, IKM = adv.Metric("ipp", True), adv.Metric("spbe", True), adv.Metric("ikm", True)
GAP = adv.Metric("online_gap", False)
TOY_METRICS = (IPP, SPBE, IKM, GAP)
OPTIMUM = np.array([0.10, 0.40, 0.10, 0.10, 0.30])
TINY = adv.SearchSettings(draws=2, replications=1, population=300, pop_size=8, generations=2)


# --- the simplex ------------------------------------------------------------------------------
def test_every_point_of_the_cube_is_a_split_above_the_floor():
    x = np.random.default_rng(1).random((5000, 4))
    s = adv.shares_from_unit(x)
    assert np.allclose(s.sum(axis=1), 1.0, atol=1e-12)
    assert s.min() >= adv.MIN_SHARE - 1e-12
    corners = adv.shares_from_unit(np.array([[0, 0, 0, 0], [1, 1, 1, 1]]))
    assert np.allclose(corners.sum(axis=1), 1.0)


def test_a_uniform_cube_gives_a_uniform_simplex():
    # naive stick-breaking would give the first component a mean share of 1/2
    s = adv.shares_from_unit(np.random.default_rng(2).random((40_000, 4)), min_share=0.0)
    # each share of a uniform 5-simplex has mean 1/5 and sd 0.163; 40,000 points: se 0.0008
    assert np.allclose(s.mean(axis=0), 0.2, atol=0.004)


def test_the_inverse_map_round_trips():
    s = adv.shares_from_unit(np.random.default_rng(3).random((50, 4)))
    assert np.allclose(adv.shares_from_unit(adv.unit_from_shares(s)), s, atol=1e-12)


# --- robustness -------------------------------------------------------------------------------
def test_regret_is_the_shortfall_from_the_best_candidate_in_each_world():
    values = np.zeros((2, 2, 4))
    values[:, :, 0] = [[1.0, 3.0], [2.0, 2.0]]  # IPP: best per world 2, 3
    values[:, :, 3] = [[0.1, 0.3], [0.2, 0.2]]  # gap: best (lowest) per world 0.1, 0.2
    t = adv.summarise(np.full((2, 5), 0.2), values, TOY_METRICS, "ipp", "A")
    assert t["ipp_regret_mean"].tolist() == pytest.approx([0.5, 0.5])
    assert t["ipp_regret_max"].tolist() == pytest.approx([1.0, 1.0])
    assert t["online_gap_regret_mean"].tolist() == pytest.approx([0.05, 0.05])
    assert t["online_gap_regret_max"].tolist() == pytest.approx([0.1, 0.1])
    assert t["ipp_mean"].tolist() == pytest.approx([2.0, 2.0])
    assert t["p_target"].tolist() == [0.0, 0.0]


def test_the_target_is_read_as_the_official_grade():
    assert adv.reaches("ipp", np.array([4.49, 4.51, 5.0]), "A").tolist() == [False, True, True]
    assert adv.reaches("spbe", np.array([2.59, 2.6]), "Baik").tolist() == [False, True]
    assert adv.next_grade_up("ipp", 3.2) == "B" and adv.next_grade_up("ipp", 4.8) == "A"
    assert adv.check_target("spbe", "sangat baik") == "Sangat Baik"


def test_the_recommendation_prefers_the_surer_candidate():
    # candidate 1 has the higher mean but a bad world; candidate 2 is steadier
    values = np.zeros((3, 4, 4))
    values[:, :, 0] = [[3.0, 3.0, 3.0, 3.0], [4.9, 4.9, 4.9, 2.0], [4.6, 4.6, 4.6, 4.6]]
    t = adv.summarise(np.full((3, 5), 0.2), values, TOY_METRICS, "ipp", "A")
    assert int(t.loc[t["recommended"], "candidate"].iloc[0]) == 2


# --- the search on a known optimum ------------------------------------------------------------
def _toy_evaluate(worlds=6, seed=4):
    luck = np.random.default_rng(seed).normal(0, 0.05, worlds)  # common to every candidate

    def evaluate(shares):
        dist = ((shares - OPTIMUM) ** 2).sum(axis=1)
        out = np.empty((len(shares), worlds, 4))
        out[:, :, 0] = 4.9 - 8 * dist[:, None] + luck[None, :]
        out[:, :, 1] = 1 + 3 * shares[:, [0]] + 0 * luck[None, :]  # SPBE wants apps
        out[:, :, 2] = 3 + 0.5 * shares[:, [4]] + 0 * luck[None, :]
        out[:, :, 3] = 0.3 - 0.2 * shares[:, [2]] + 0 * luck[None, :]
        return out

    return evaluate


@pytest.fixture(scope="module")
def toy_advice():
    settings = adv.SearchSettings(draws=6, replications=1, population=0, pop_size=24,
                                  generations=25)
    return adv.search(_toy_evaluate(), TOY_METRICS, "ipp", status_quo=[0.2] * 5,
                      settings=settings, master_seed=5, target="A")


def test_advice_finds_a_known_optimum(toy_advice):
    best = toy_advice.recommended
    got = np.array([best[f"share_{c}"] for c in adv.COMPONENTS])
    assert np.abs(got - OPTIMUM).max() < 0.05, got
    assert bool(best["pareto"]) and best["p_target"] == 1.0


def test_every_candidate_is_a_split_and_the_status_quo_is_first(toy_advice):
    t = toy_advice.table
    shares = t[[f"share_{c}" for c in adv.COMPONENTS]].to_numpy()
    assert np.allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    assert t["status_quo"].tolist()[0] and t["status_quo"].sum() == 1
    assert np.allclose(shares[0], 0.2)
    assert t["recommended"].sum() == 1
    assert len(t) >= 24 * 20  # the generations did run
    # the front trades IPP against SPBE: it holds splits heavier on apps than the optimum's
    assert toy_advice.pareto["share_apps"].max() > 0.3


def test_the_search_is_reproducible(toy_advice):
    settings = adv.SearchSettings(draws=6, replications=1, population=0, pop_size=24,
                                  generations=25)
    again = adv.search(_toy_evaluate(), TOY_METRICS, "ipp", status_quo=[0.2] * 5,
                       settings=settings, master_seed=5, target="A")
    pd.testing.assert_frame_equal(again.table, toy_advice.table)


# --- the text ---------------------------------------------------------------------------------
ENGLISH = {"the", "and", "of", "split", "share", "shares", "probability", "target", "draw",
           "draws", "seed", "seeds", "mean", "regret", "better", "worse", "gives", "up",
           "recommended", "now", "front", "budget", "objective", "world", "worlds", "is", "in",
           "with", "from", "to", "at", "percentile", "application", "training", "interface",
           "gap", "online", "satisfaction", "advice", "point", "posterior", "calibration",
           "search", "searched", "evaluated", "component", "measure", "difference"}


def _words(text):
    unquoted = re.sub(r"`[^`]*`", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]*", unquoted)}


CONTEXTS = {
    "point": Context("jember", "Kabupaten Jember", 2029, 2027, 4, None, 1, population=2000),
    "posterior": Context("jember_recruitment_2025", "Kabupaten Jember", 2029, 2027, 8, 4, 2,
                         hypothesis="people", population=2000),
}


@pytest.mark.parametrize("ctx", CONTEXTS.values(), ids=CONTEXTS.keys())
def test_the_indonesian_advice_has_no_english(toy_advice, ctx):
    text = advice_markdown(toy_advice, ctx, "id")
    assert not _words(text) & ENGLISH, _words(text) & ENGLISH
    english = advice_markdown(toy_advice, ctx, "en")
    assert len(_words(english) & ENGLISH) > 10  # the check can tell the languages apart


def test_the_advice_says_when_only_seeds_are_uncertain(toy_advice):
    point = advice_markdown(toy_advice, CONTEXTS["point"], "en")
    assert "No posterior" in point and "only seeds" in point
    post = advice_markdown(toy_advice, CONTEXTS["posterior"], "en")
    assert "No posterior" not in post and "4 parameter draws" in post


def test_both_languages_have_the_same_sentences():
    assert T["id"].keys() == T["en"].keys()


def test_a_split_is_printed_in_whole_percentages_that_add_to_100():
    assert whole_percentages([1 / 3] * 3) == [34, 33, 33]  # a tie goes to the earlier share
    # each rounded on its own: 48 + 8 + 6 + 14 + 22 = 98
    assert whole_percentages([0.4844, 0.0836, 0.0640, 0.1435, 0.2245]) == [49, 8, 6, 14, 23]


def _known_advice(target):
    """The status quo and one split in four worlds, with known means and probabilities."""
    values = np.zeros((2, 4, 4))
    values[:, :, 0] = [[4.3, 4.3, 4.45, 4.4504],  # mean 4.3751, printed 4.38; A in 0 of 4
                       [4.6, 4.6, 4.4, 4.2996]]  # mean 4.4749, printed 4.47; A in 2 of 4
    values[:, :, 1] = [[3.0] * 4, [2.999] * 4]  # 0.001 lower, printed 3.00 both
    values[:, :, 2], values[:, :, 3] = 3.0, 0.2
    shares = np.array([[0.2] * 5, [0.4844, 0.0836, 0.0640, 0.1435, 0.2245]])
    table = adv.summarise(shares, values, TOY_METRICS, "ipp", target)
    assert table["recommended"].tolist() == [False, True]
    return adv.Advice(table=table, values=values, metrics=TOY_METRICS, objective="ipp",
                      target=target)


def _table(text, head):
    """The cells of the markdown table under ``head``."""
    lines = text.splitlines()
    rows = takewhile(lambda r: r.startswith("|"), lines[lines.index(head) + 2:])
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_split_adds_to_100_and_differences_are_of_the_printed_values(lang):
    text = advice_markdown(_known_advice("A"), CONTEXTS["point"], lang)
    split = _table(text, T[lang]["split_head"])
    assert [r[1] for r in split] == ["20%"] * 5
    assert [r[2] for r in split] == ["49%", "8%", "6%", "14%", "23%"]
    rows = _table(text, T[lang]["trade_head"])
    assert len(rows) == len(TOY_METRICS)
    number = {"id": lambda c: float(c.replace(",", ".")), "en": float}[lang]
    for _, now, new, diff in rows:
        assert number(diff) == pytest.approx(number(new) - number(now)), (now, new, diff)
    assert [number(c) for c in rows[0][1:]] == pytest.approx([4.38, 4.47, 0.09])
    assert not re.search(r"[-\u2212]0[.,]0+(?![0-9])", text)  # no negative zero


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_zero_regret_is_not_printed_as_minus_zero(lang):
    values = np.zeros((2, 4, 4))
    values[:, :, :3] = 3.0
    values[:, :, 3] = [[0.3] * 4, [0.2] * 4]  # the second split has the least gap everywhere
    table = adv.summarise(np.full((2, 5), 0.2), values, TOY_METRICS, "equity", None)
    assert str(table["online_gap_regret_max"].iloc[1]) == "-0.0"  # as the arithmetic gives it
    advice = adv.Advice(table=table, values=values, metrics=TOY_METRICS, objective="equity",
                        target=None)
    text = advice_markdown(advice, CONTEXTS["point"], lang)
    assert not re.search(r"[-\u2212]0[.,]0+(?![0-9])", text)


def test_the_top_grade_is_a_target_without_or_better():
    assert "Target: `A` in 2029." in advice_markdown(_known_advice("A"), CONTEXTS["point"], "en")
    assert "Sasaran: `A` pada tahun 2029." in advice_markdown(_known_advice("A"),
                                                              CONTEXTS["point"], "id")
    lower = advice_markdown(_known_advice("A-"), CONTEXTS["point"], "en")
    assert "Target: `A-` or better in 2029." in lower


def test_a_probability_says_how_many_worlds_it_rests_on_and_how_many_citizens():
    en = advice_markdown(_known_advice("A"), CONTEXTS["point"], "en")
    assert ("reaching `A`: 50% (2 of 4 worlds) with the recommended split, 0% (0 of 4 worlds) "
            "with the current one") in en
    assert "a better IPP in 50% (2 of 4 worlds)" in en
    assert "Each run simulates 2,000 citizens." in en
    id_ = advice_markdown(_known_advice("A"), CONTEXTS["posterior"], "id")
    assert "50% (2 dari 4 dunia)" in id_ and "2.000 warga tiruan" in id_


def test_file_text_cannot_break_the_page(toy_advice):
    ctx = Context("x`\n# injected", "R`egion", 2029, 2027, 4, None, 1)
    text = advice_markdown(toy_advice, ctx, "id")
    assert "\n# injected" not in text and "`x' # injected`" in text


# --- the command ------------------------------------------------------------------------------
@pytest.fixture()
def tiny(monkeypatch):
    monkeypatch.setattr(adv, "QUICK", TINY)


def _advise(out, *extra):
    return main(["advise", str(JEMBER), "--year", "2020", "--from-year", "2019", "--quick",
                 "--workers", "1", "--out", str(out), *extra])


def test_advise_end_to_end_at_the_point(tmp_path, tiny, monkeypatch):
    monkeypatch.setattr(mp, "DEFAULT_POSTERIOR", tmp_path / "absent.parquet")
    out = tmp_path / "out"
    assert _advise(out) == 0
    table = pd.read_csv(out / "advice.csv")
    shares = table[[f"share_{c}" for c in adv.COMPONENTS]]
    assert np.allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    assert table["recommended"].sum() == 1 and table["status_quo"].iloc[0]
    assert len(pd.read_csv(out / "pareto.csv")) == table["pareto"].sum()
    assert (out / "tradeoffs.png").stat().st_size > 1000
    text = (out / "advice.md").read_text()
    assert "tidak ada, jadi saran dihitung pada titik kalibrasi" in text
    assert not _words(text) & ENGLISH


def test_advise_end_to_end_with_a_posterior(tmp_path, tiny, monkeypatch):
    path = tmp_path / "posterior.parquet"
    mp.synthetic_posterior(mp.default_config(), 10, 0.3, 6, hypotheses=("people", "other")
                           ).to_parquet(path, index=False)
    monkeypatch.setattr(mp, "DEFAULT_POSTERIOR", path)
    out = tmp_path / "out"
    assert _advise(out, "--lang", "en", "--objective", "spbe", "--hypothesis", "people") == 0
    text = (out / "advice.md").read_text()
    assert "2 parameter draws" in text and "hypothesis `people` only" in text


@pytest.mark.parametrize("extra, text", [
    (["--year", "2017"], "--year"),
    (["--year", "2101"], "--year: 2101; give a year from 2019 to 2100"),
    (["--from-year", "2021"], "--from-year"),
    (["--objective", "happiness"], "--objective"),
    (["--objective", "pemdi"], "--objective"),
    (["--target", "Z"], "--target"),
    (["--objective", "equity", "--target", "A"], "--target"),
    (["--lang", "fr"], "--lang"),
])
def test_bad_advise_input_is_one_line_exit_2_nothing_written(tmp_path, tiny, capsys, extra,
                                                             text):
    out = tmp_path / "out"
    assert _advise(out, *extra) == 2
    err = capsys.readouterr().err.strip()
    assert text in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_advise_accepts_every_year_a_run_may_cover():
    """The old 2019-2030 limit was an accident: it reused DEFAULT_YEARS, the default run's
    window, though the search's runs end in the advised year. So --year takes every year a run
    may cover (model.defaults.YEAR_RANGE, as egovsim run --years does) after the search's
    first simulated year, and a refusal says which years."""
    from model.cli import years_arg
    from model.defaults import DEFAULT_YEARS, YEAR_RANGE
    first, last = DEFAULT_YEARS[0], YEAR_RANGE[1]
    assert years_arg(f"{first}:{last}") == (first, last)  # egovsim run takes it
    for year in (first + 1, 2031, last):
        adv.check_years(year, first + 1)  # and so does egovsim advise
    for year in (first, last + 1):
        with pytest.raises(ScenarioError, match=rf"^--year: {year}; give a year from "
                                                rf"{first + 1} to {last} \(the search "):
            adv.check_years(year, first + 1)


def test_a_named_posterior_file_that_is_missing_is_one_line_exit_2(tmp_path, tiny, capsys):
    out = tmp_path / "out"
    assert _advise(out, "--posterior-file", str(tmp_path / "none.parquet")) == 2
    err = capsys.readouterr().err.strip()
    assert "none.parquet: file not found" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_fewer_than_one_draw_is_refused(tmp_path, tiny):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        _advise(out, "--posterior", "0")
    assert exc.value.code == 2 and not out.exists()


@pytest.mark.parametrize("year", [2024, 2029])  # SPBE, then Pemdi
def test_an_objective_refused_is_told_exactly_the_ones_accepted(jember, year):
    metrics = adv.metrics_for(jember, year)
    checks = (lambda o: adv.check_objective(o, year), lambda o: adv.objective_metric(o, metrics))

    def accepted(objective):
        try:
            for check in checks:
                check(objective)
        except ScenarioError:
            return False
        return True

    names = {*adv.OBJECTIVES, *(m.name for m in metrics), "happiness"}
    ok = {o for o in names if accepted(o)}
    assert {"ipp", "ikm", "equity"} < ok and ok < names
    for objective in names - ok:
        for check in checks:
            with pytest.raises(ScenarioError) as err:
                check(objective)
            listed = str(err.value).split("use one of ")[1].split(", ")
            assert set(listed) == ok, (objective, listed)


def test_an_objective_the_year_cannot_score_is_refused():
    with pytest.raises(ScenarioError, match="pemdi"):
        adv.check_objective("pemdi", 2024)  # before Pemdi replaced SPBE
    with pytest.raises(ScenarioError, match="not an objective"):
        adv.check_objective("ipp2", 2029)


def test_metrics_include_the_urban_rural_gap_only_where_both_live(jember, kediri):
    assert "satisfaction_gap" in [m.name for m in adv.metrics_for(jember, 2029)]
    assert "satisfaction_gap" not in [m.name for m in adv.metrics_for(kediri, 2029)]
    assert KEDIRI.exists()


def test_a_gap_counts_either_side_ahead():
    row = pd.DataFrame([{"year": 2029, "ipp": 4.0, "online_gap_q5_q1": -0.2,
                         "satisfaction_urban": 0.6, "satisfaction_rural": 0.7}])
    got = adv.metric_values(row, 2029, ["ipp", "online_gap", "satisfaction_gap"])
    assert got.tolist() == pytest.approx([4.0, 0.2, 0.1])

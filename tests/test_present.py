"""model.present: paired differences, sentences built with the grammar of the case, marks,
escaping and exports, on hand-made tables whose answers are known without the code."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from model.present.exports import comparison_csv, comparison_xlsx, write_differences
from model.present.marks import inside_band, method_changes, observation_points
from model.present.numbers import (
    comparison_table,
    group_differences,
    indices_in,
    label_of,
    may_be_zero,
    other_regions,
    paired_differences,
    present_groups,
)
from model.present.safe import markdown_text, safe_url
from model.present.sentences import direction, group_change, index_change, scenario_title
from model.present.text import interval_digits, num, tr
from model.summary import number, summary_markdown


def _table(values: dict[str, list[float]], column: str = "ipp", year: int = 2030,
           **extra) -> pd.DataFrame:
    rows = []
    for sc, vals in values.items():
        for r, v in enumerate(vals):
            rows.append({"scenario": sc, "region": "R", "replication": r, "year": year,
                         column: v, **extra})
    return pd.DataFrame(rows)


# --- paired differences ---------------------------------------------------------------------
def test_differences_are_paired_by_replication_not_pooled():
    # every pair differs by exactly 0.5, although the replications spread over 4 points
    df = _table({"base": [1.0, 2.0, 3.0, 4.0, 5.0], "w": [1.5, 2.5, 3.5, 4.5, 5.5]})
    d = paired_differences(df, ("ipp",)).iloc[0]
    assert (d["scenario"], d["index"]) == ("w", "ipp")
    assert d["mean"] == pytest.approx(0.5) and d["lo90"] == pytest.approx(0.5)
    assert d["hi90"] == pytest.approx(0.5) and d["p_positive"] == 1.0
    assert not may_be_zero(d)


def test_differences_pair_by_draw_when_a_posterior_ensemble_has_one():
    rows = []
    for draw, level in ((0, 1.0), (1, 3.0)):
        for rep in range(2):
            rows += [{"scenario": "base", "region": "R", "replication": rep, "draw": draw,
                      "year": 2030, "ipp": level + rep},
                     {"scenario": "w", "region": "R", "replication": rep, "draw": draw,
                      "year": 2030, "ipp": level + rep - 0.25}]
    d = paired_differences(pd.DataFrame(rows), ("ipp",)).iloc[0]
    # paired by replication alone, draws would mix and the spread would reach 2 points
    assert d["mean"] == pytest.approx(-0.25) and d["hi90"] == pytest.approx(-0.25)
    assert d["p_positive"] == 0.0


def test_an_interval_spanning_zero_may_be_zero_and_the_first_scenario_is_the_baseline():
    df = _table({"a": [1.0, 1.0, 1.0, 1.0], "b": [0.9, 1.1, 0.8, 1.3], "c": [2.0] * 4})
    d = paired_differences(df, ("ipp",)).set_index("scenario")
    assert list(d.index) == ["b", "c"]
    assert may_be_zero(d.loc["b"]) and d.loc["b", "p_positive"] == 0.5
    assert d.loc["c", "mean"] == pytest.approx(1.0) and not may_be_zero(d.loc["c"])


def test_differences_csv_has_the_declared_columns(tmp_path):
    df = _table({"a": [1.0, 2.0], "b": [2.0, 3.0]})
    write_differences(df, tmp_path / "differences.csv", ("ipp",))
    out = pd.read_csv(tmp_path / "differences.csv")
    assert list(out.columns) == ["scenario", "year", "index", "mean", "lo90", "hi90",
                                 "p_positive"]
    assert out.loc[0, "mean"] == 1.0


def _annual(n: int = 4) -> pd.DataFrame:
    rows = []
    for sc, shift in (("kediri", 0.0), ("kediri_w", 0.1)):
        for rep in range(n):
            for year in (2024, 2025):
                rows.append({"scenario": sc, "region": "Kota Kediri", "replication": rep,
                             "year": year, "spbe": 3.0 + shift + 0.01 * rep, "ipp": 4.0,
                             "ikm": 3.5 - shift / 10})
    return pd.DataFrame(rows)


def test_summary_has_a_difference_section_for_every_scenario_after_the_first():
    text = summary_markdown(_annual(), observation_points(), "run")
    assert "## Differences from kediri" in text and "### kediri\\_w minus kediri" in text
    # SPBE +0.1 in every pair; IPP equal (a zero-width interval at 0 "may be zero")
    assert "| 2025 | +0.100 [+0.100, +0.100] | +0.000 [+0.000, +0.000] may be zero |" in text


def test_summary_escapes_names_that_would_break_its_tables():
    df = _annual().replace({"kediri_w": "bad|name\nwith [link](x)"})
    text = summary_markdown(df, observation_points(), "run")
    heading = [line for line in text.splitlines() if line.startswith("## bad")][0]
    assert "\\|" in heading and "\n" not in heading and "\\[link\\]" in heading


def test_comparison_exports_hold_the_same_table():
    df = _annual()
    csv = pd.read_csv(io.BytesIO(comparison_csv(df)))
    xlsx = pd.read_excel(io.BytesIO(comparison_xlsx(df)), sheet_name="comparison")
    assert list(csv.columns) == list(xlsx.columns)
    assert len(csv) == len(xlsx) == 2 * 2 * 3
    row = csv[(csv["scenario"] == "kediri_w") & (csv["index"] == "spbe") & (csv["year"] == 2025)]
    assert row["diff_mean"].iloc[0] == pytest.approx(0.1)
    assert np.allclose(csv["mean"], xlsx["mean"])


# --- sentences ------------------------------------------------------------------------------
ZERO = {"mean": 1e-6, "lo90": 0.0, "hi90": 2e-6}
UNSURE = {"mean": 0.02, "lo90": -0.03, "hi90": 0.06}
UP = {"mean": 0.12, "lo90": 0.05, "hi90": 0.2}
DOWN = {"mean": -0.12, "lo90": -0.2, "hi90": -0.05}


def test_direction_of_a_change():
    assert direction(ZERO, "ikm") == "zero"
    assert direction(UNSURE, "ikm") == "unsure"
    assert direction(UP, "ikm") == "up" and direction(DOWN, "ikm") == "down"
    # a tiny but sure change that rounds to 0.00 is not announced as a direction
    assert direction({"mean": 0.004, "lo90": 0.001, "hi90": 0.008}, "ikm") == "unsure"
    # online share in percent: 0.3 percentage points rounds to 0
    assert direction({"mean": 0.003, "lo90": 0.002, "hi90": 0.004}, "online_share") == "zero"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_index_change_sentences_follow_the_numbers(lang):
    zero = index_change(lang, "ikm", 2030, "A", "B", ZERO, 3.54, 3.54)
    assert tr(lang, "report.pair", other="", base="")  # texts exist
    assert ("tidak berubah" in zero) if lang == "id" else ("unchanged" in zero)
    assert "90%" not in zero.split(".")[0] or "agree" not in zero  # no agreement claimed
    unsure = index_change(lang, "ipp", 2030, "A", "B", UNSURE, 4.0, 4.02)
    assert ("bisa saja nol" in unsure) if lang == "id" else ("may be zero" in unsure)
    up = index_change(lang, "spbe", 2030, "A", "B", UP, 3.45, 3.57)
    assert ("lebih tinggi" in up) if lang == "id" else ("higher" in up)
    assert "Baik" in up and "Sangat Baik" in up  # the predikat changes, both named
    same = index_change(lang, "ikm", 2030, "A", "B", DOWN, 3.4, 3.3)
    stays = "tetap Baik" if lang == "id" else "stays Baik"
    assert stays in same and ("dari Baik menjadi Baik" not in same)


def _groups(**rows: dict) -> pd.DataFrame:
    return pd.DataFrame([{"group": g, **r} for g, r in rows.items()])


def test_group_sentences_all_improve_all_worsen_mixed_and_none():
    all_better = group_change("en", "wait_days", _groups(q1=DOWN, q2=DOWN, urban=DOWN))
    assert "improves for every group" in all_better and "worse" not in all_better
    all_worse = group_change("en", "satisfaction", _groups(q1=DOWN, q5=DOWN))
    assert "worsens for every group" in all_worse and "improves" not in all_worse
    mixed = group_change("en", "satisfaction", _groups(q1=UP, q5=DOWN, urban=UNSURE))
    assert "improves for" in mixed and "worsens for" in mixed
    assert "no resolvable change for urban residents" in mixed
    none = group_change("en", "satisfaction", _groups(q1=ZERO, q5=UNSURE))
    assert "no group changes" in none
    # online use is a change, not by itself a gain: rises/falls, never improves
    online = group_change("en", "online_share", _groups(q1=DOWN, q5=DOWN))
    assert "falls for every group" in online and "percentage points" in online
    id_mixed = group_change("id", "wait_days", _groups(q1=UP, q5=DOWN))
    assert "memburuk untuk" in id_mixed and "membaik untuk" in id_mixed


def test_group_differences_leave_out_groups_without_residents():
    rows = []
    for sc, d in (("a", 0.0), ("b", 0.1)):
        for rep in range(3):
            rows.append({"scenario": sc, "region": "Kota Kediri", "replication": rep,
                         "year": 2030, "satisfaction_urban": 0.7 + d,
                         "satisfaction_rural": np.nan, "satisfaction_q1": 0.6})
    df = pd.DataFrame(rows)
    assert present_groups(df, "satisfaction") == ("q1", "urban")
    g = group_differences(df, "a", "b", 2030, "satisfaction").set_index("group")
    assert list(g.index) == ["q1", "urban"] and g.loc["urban", "mean"] == pytest.approx(0.1)


def test_titles_name_the_region_and_the_added_policy():
    base = {"name": "kediri", "region": "Kota Kediri", "policies": []}
    policy = {"name": "x", "start_year": 2025, "end_year": None,
              "shift": {"source": "apps", "target": "competency", "fraction": 0.2}}
    whatif = {"name": "kediri_apps_to_training_2025", "region": "Kota Kediri",
              "policies": [policy]}
    assert scenario_title(base, None, "id") == "Kota Kediri"
    title = scenario_title(whatif, base, "id")
    assert title.startswith("Kota Kediri, mulai 2025") and "kompetensi" in title
    assert "kediri_apps" not in title


def test_labels_include_pemdi_bands():
    assert label_of("pemdi", 1.49) == "Kurang" and label_of("pemdi", 4.0) == "Memuaskan"
    assert label_of("ikm", 3.5323) == "Baik" and label_of("ikm", 3.5324) == "Sangat Baik"


# --- marks ----------------------------------------------------------------------------------
def test_kediri_early_spbe_is_read_a_year_earlier_with_the_label_kept_as_alternative():
    pts = observation_points()
    unsure = pts[pts["year_alt"].notna()].sort_values("year")
    assert list(unsure["year"]) == [2019, 2020] and list(unsure["year_read"]) == [2018, 2019]
    exact = pts[pts["year_alt"].isna()]
    assert (exact["year_read"] == exact["year"]).all()


def test_inside_the_band_allows_the_observations_own_tolerance():
    pts = observation_points()
    ikm = pts[(pts["region"] == "Kota Kediri") & (pts["index"] == "ikm")]
    # a band 0.007 wide that every point misses by at most 0.015 (issue: "0 of 4 inside")
    bands = pd.DataFrame({"year": ikm["year"], "lo": ikm["value"] + 0.008,
                          "hi": ikm["value"] + 0.015})
    assert inside_band(ikm, bands)["inside"].all()
    far = bands.assign(lo=ikm["value"] + 0.5, hi=ikm["value"] + 0.6)
    assert not inside_band(ikm, far)["inside"].any()


def test_method_changes_inside_the_run():
    assert [m.year for m in method_changes("spbe", (2018, 2030))] == [2021, 2026]
    assert [m.year for m in method_changes("ipp", (2018, 2030))] == [2022]
    assert method_changes("spbe", (2022, 2025)) == []


# --- escaping -------------------------------------------------------------------------------
def test_file_text_shows_literally_in_markdown():
    out = markdown_text('<img src=x onerror="window.__xss=1">Kediri [a](javascript:alert(1))')
    assert "<" not in out and "](" not in out and "&lt;img" in out
    assert safe_url("https://example.org/a") and safe_url("javascript:alert(1)") is None
    assert safe_url('https://x.org/"onmouseover=') is None


# --- optional columns and figures -------------------------------------------------------------
def test_per_unit_and_spending_figures_appear_only_when_their_columns_are_declared_and_present(
        monkeypatch):
    from model import outputs
    from model.present.plots import optional_figures
    df = _annual()
    assert optional_figures(df, [("kediri", "K")], 2025, "en") == []  # columns absent
    df = df.assign(ipp_dukcapil=4.1, ipp_rsud=3.9, spend_apps_idr=2.0e9)
    # columns the output registry does not declare are not shown
    for name in ("ipp_dukcapil", "ipp_rsud", "spend_apps_idr"):
        monkeypatch.delitem(outputs.OUTPUTS_BY_NAME, name)
    assert optional_figures(df, [("kediri", "K")], 2025, "en") == []
    monkeypatch.undo()
    assert all(n in outputs.OUTPUTS_BY_NAME for n in ("ipp_dukcapil", "ipp_rsud",
                                                       "spend_apps_idr"))
    figs = optional_figures(df, [("kediri", "K"), ("kediri_w", "W")], 2025, "id")
    assert [stem for stem, _, _ in figs] == ["ipp_units", "spending"]
    spend_ax = figs[1][2].axes[0]
    assert spend_ax.patches[0].get_width() == pytest.approx(2.0)  # billions of Rupiah


@pytest.mark.parametrize(("lang", "outside", "salaries", "old_label"), [
    ("en", "outside the e-government budget", "frontline staff salaries", "Staff"),
    ("id", "di luar anggaran e-government", "gaji dan rekrutmen petugas layanan", "Pegawai")])
def test_the_spending_figure_shows_frontline_salaries_apart_and_named_as_outside_the_budget(
        lang, outside, salaries, old_label):
    """Frontline salaries (staff_cost_idr, belanja pegawai) are no e-government component nor all
    staff cost: their bar sits in a panel of its own, hatched, named as outside the budget, with
    a note; the components' panel carries only the components."""
    from model.present.plots import optional_figures
    df = _annual().assign(spend_apps_idr=2.0e9, spend_regulation_idr=1.0e9,
                          staff_cost_idr=60.0e9)
    (stem, caption, fig), = [f for f in optional_figures(df, [("kediri", "K"), ("kediri_w", "W")],
                                                         2025, lang) if f[0] == "spending"]
    egov, staff = fig.axes
    ticks = lambda ax: [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]  # noqa: E731
    assert ticks(egov) == [tr(lang, "column.spend_apps_idr"),
                           tr(lang, "column.spend_regulation_idr")]
    assert ticks(staff) == [tr(lang, "plot.spend_staff")]
    assert salaries in ticks(staff)[0].lower() and outside in ticks(staff)[0].lower()
    assert old_label not in ticks(egov) + ticks(staff)  # the bare "Staff" bar is gone
    title = {ax: ax.get_title(loc="left").lower() for ax in (egov, staff)}
    assert outside.split(" e-")[0] in title[staff] and "e-government" in title[egov]
    assert outside.split(" e-")[0] not in title[egov]
    assert [p.get_width() for p in egov.patches] == pytest.approx([2.0, 1.0, 2.0, 1.0])
    assert [p.get_width() for p in staff.patches] == pytest.approx([60.0, 60.0])
    assert all(p.get_hatch() for p in staff.patches) and not any(p.get_hatch()
                                                                   for p in egov.patches)
    notes = [t.get_text().replace("\n", " ") for t in fig.texts]
    assert tr(lang, "plot.spend_staff_note") in notes
    assert "belanja pegawai" in notes[-1] and "e-government" in notes[-1]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["K", "W"]
    assert caption == tr(lang, "report.fig_spend", year=2025)
    assert "e-government" in caption.lower() and salaries.split(" dan ")[0] in caption.lower()


def test_a_name_in_another_script_draws_without_font_warnings(recwarn):
    from model.present.plots import index_figure, png_bytes
    df = _annual()
    fig = index_figure(df, None, "spbe", [("kediri", "京都 🏛 Kediri"), ("kediri_w", "W")], "en")
    assert png_bytes(fig)[:4] == b"\x89PNG"
    assert not [w for w in recwarn if "Glyph" in str(w.message)]


def test_scenarios_of_another_region_are_not_differenced():
    """Jember minus Kediri is no policy's effect: only the baseline's region is compared."""
    df = _table({"base": [1.0, 2.0], "w": [1.5, 2.5]})
    other = _table({"elsewhere": [4.0, 4.0]}).assign(region="S")
    table = pd.concat([df, other], ignore_index=True)
    d = paired_differences(table, ("ipp",))
    assert list(d["scenario"]) == ["w"]
    assert other_regions(table, "base") == ["elsewhere"]
    assert paired_differences(pd.concat([other, df]), ("ipp",)).empty


# --- Pemdi where the run carries it ---------------------------------------------------------
def _with_pemdi(n: int = 4) -> pd.DataFrame:
    """Four years; Pemdi scored from 2026 (empty before), 0.2 higher under kediri_w."""
    rows = []
    for sc, shift in (("kediri", 0.0), ("kediri_w", 0.2)):
        for rep in range(n):
            for year in (2024, 2025, 2026, 2027):
                rows.append({"scenario": sc, "region": "Kota Kediri", "replication": rep,
                             "year": year, "spbe": 3.0 + 0.01 * rep, "ipp": 4.0, "ikm": 3.5,
                             "pemdi": 2.8 + shift + 0.01 * rep if year >= 2026 else np.nan})
    return pd.DataFrame(rows)


def test_pemdi_is_in_every_table_in_the_years_it_is_scored(tmp_path):
    df = _with_pemdi()
    text = summary_markdown(df, observation_points(), "run")
    assert "| year | SPBE | obs | IPP | obs | IKM | obs | Pemdi | obs |" in text
    assert "| 2027 | 3.01 [3.00, 3.03] |  | 4.00 [4.00, 4.00] |  | 3.50 [3.50, 3.50] |  | " \
           "2.81 [2.80, 2.83] |  |" in text
    rows_2024 = [line for line in text.splitlines() if line.startswith("| 2024 |")]
    assert rows_2024 and all(line.endswith("|  |  |") for line in rows_2024[:2])  # not scored
    assert "| year | SPBE | IPP | IKM | Pemdi |" in text
    assert "| 2026 | +0.000 [+0.000, +0.000] may be zero | " in text
    assert text.count("+0.200 [+0.200, +0.200] |") == 2  # Pemdi in 2026 and 2027
    write_differences(df, tmp_path / "differences.csv")
    diff = pd.read_csv(tmp_path / "differences.csv")
    pemdi = diff[diff["index"] == "pemdi"]
    assert list(pemdi["year"]) == [2026, 2027] and np.allclose(pemdi["mean"], 0.2)
    assert len(diff) == 4 * 3 + 2  # no empty Pemdi rows for 2024 and 2025
    table = comparison_table(df)
    pemdi = table[table["index"] == "pemdi"]
    assert sorted(set(pemdi["year"])) == [2026, 2027] and pemdi["mean"].notna().all()
    assert len(table) == 2 * (4 * 3 + 2)


def test_without_pemdi_values_nothing_about_pemdi_is_shown(tmp_path):
    for df in (_annual(), _annual().assign(pemdi=np.nan)):
        assert indices_in(df) == ("spbe", "ipp", "ikm")
        assert "Pemdi" not in summary_markdown(df, observation_points(), "run")
        assert set(comparison_table(df)["index"]) == {"spbe", "ipp", "ikm"}


def test_the_difference_figure_has_a_pemdi_panel_where_the_run_carries_it():
    from model.present.plots import difference_figure
    assert len(difference_figure(_annual(), "kediri", "kediri_w", "en").axes) == 3
    fig = difference_figure(_with_pemdi(), "kediri", "kediri_w", "en")
    assert [ax.get_title() for ax in fig.axes] == ["SPBE", "IPP", "IKM", "Pemdi"]


# --- how a posterior ensemble's runs are counted ----------------------------------------------
def test_summary_counts_a_posterior_ensembles_runs_as_draws_times_seeds():
    df = pd.concat([_annual(2).assign(draw=d) for d in range(3)], ignore_index=True)
    text = summary_markdown(df, observation_points(), "run")
    assert "## kediri (Kota Kediri), 6 runs (3 parameter draws x 2 seeds)" in text
    assert "replications" not in text and "replication by replication" not in text
    assert "paired run by run (same parameter draw and seed)" in text
    assert "## kediri (Kota Kediri), 4 replications" in summary_markdown(
        _annual(), observation_points(), "run")


# --- numbers as printed -----------------------------------------------------------------------
def test_no_negative_zero_and_intervals_whose_ends_print_apart():
    assert number(-0.0001, 3, sign=True) == "+0.000" and number(-0.004, 2) == "0.00"
    df = _annual()
    df.loc[df["scenario"] == "kediri_w", "ikm"] = 3.5 - 0.0001  # a tiny fall: -0.0001
    assert "-0.000" not in summary_markdown(df, observation_points(), "run")
    # paired differences -0.0702 ... -0.0698: at 3 decimals both ends would read -0.070
    df = _annual(5)
    w = df["scenario"] == "kediri_w"
    df.loc[w, "spbe"] = df.loc[~w, "spbe"].to_numpy() - (0.0702 - 0.0001 * df.loc[w, "replication"])
    text = summary_markdown(df, observation_points(), "run")
    assert "| 2025 | -0.070 [-0.0702, -0.0698] |" in text
    assert interval_digits(-0.0702, -0.0698, 2) == 4 and interval_digits(0.1, 0.1, 3) == 3


@pytest.mark.parametrize("lang", ["id", "en"])
def test_index_change_never_says_between_a_value_and_itself(lang):
    near = {"mean": -0.07, "lo90": -0.0704, "hi90": -0.0696}
    text = index_change(lang, "spbe", 2030, "A", "B", near, 3.5, 3.43)
    assert num(-0.0704, lang, 4, sign=True) in text and num(-0.0696, lang, 4, sign=True) in text
    one = {"mean": -0.07, "lo90": -0.07, "hi90": -0.07}
    text = index_change(lang, "spbe", 2030, "A", "B", one, 3.5, 3.43)
    assert text.startswith(tr(lang, "change.index_down_one", year=2030, index="SPBE", other="B",
                              base="A", size="0" + ("," if lang == "id" else ".") + "07",
                              lo=num(-0.07, lang, 2, sign=True)))
    assert ("antara" not in text) if lang == "id" else ("between" not in text)
    for x in (-0.0001, -0.004):
        assert "−0" + ("," if lang == "id" else ".") + "00" not in num(x, lang, 2, sign=True)
        assert "−" not in num(x, lang, 2)

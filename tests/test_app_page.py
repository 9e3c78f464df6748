"""The Solara page rendered with Solara's own test renderer (no browser)."""

from __future__ import annotations

import base64
import time
import tomllib

import ipyvuetify as v
import ipywidgets
import pytest
import solara

from model.app import logic, page
from model.present.text import LANGS, tr

FAST = logic.Settings(replications=2, years=(2018, 2030), population=500, uncertainty="point")


@pytest.fixture(scope="module")
def rendered():
    """The page (rendered once for this module: a render costs seconds), with fresh state and
    small runs, after its first run has finished. Tests start by setting the language."""
    mp = pytest.MonkeyPatch()
    mp.setattr(page, "current_settings", lambda: FAST)
    for var, value in ((page.lang, "id"), (page.source_name, page.DEFAULT_SOURCE),
                       (page.uploaded, None), (page.whatifs, None), (page.editing, 0),
                       (page.message, ""), (page.ran_with, None), (page.view, "indices"),
                       (page.comparison_year, None)):
        var.set(value)
    before = page.run_task.latest
    box, rc = solara.render(page.Page(), handle_error=False)
    _until(lambda: page.run_task.latest is not before)
    _wait()
    _until(lambda: _with_class(rc, "egov-headline"))
    yield rc
    rc.close()
    mp.undo()


def _wait(timeout: float = 60.0) -> None:
    started = time.time()
    time.sleep(0.05)
    while page.run_task.pending or page.run_task.latest is None:
        assert time.time() - started < timeout, "the run did not finish"
        time.sleep(0.05)


def _until(condition, timeout: float = 30.0):
    """Poll ``condition`` until it is truthy (the page re-renders after a run finishes)."""
    started = time.time()
    while not (result := condition()):
        assert time.time() - started < timeout, "condition not met in time"
        time.sleep(0.05)
    return result


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, ipywidgets.Widget):
            yield from _walk(child)


def _with_class(rc, name: str) -> list:
    """Widgets whose CSS classes include ``name`` (reacton's finder matches whole values)."""
    roots = rc.find().widgets
    def classes(w) -> list[str]:
        attrs = getattr(w, "attributes", None) or {}  # solara.HTML keeps them there
        return ((getattr(w, "class_", None) or "") + " " + attrs.get("class", "")).split()

    return [w for r in roots for w in _walk(r) if name in classes(w)]


def _lever(rc, key: str):
    """The slider of lever ``key``: found by its label text in the page's language."""
    label = tr(page.lang.value, f"control.{key}.label")
    for col in _with_class(rc, "egov-lever"):
        if any(label in str(getattr(c, "children", "")) for c in col.children):
            return next(c for c in col.children if isinstance(c, v.Slider))
    raise AssertionError(f"no slider for {key}")



def _one_whatif(lang: str):
    """The page in ``lang`` editing a single what-if equal to its baseline; its source."""
    page.lang.set(lang)
    source = page.current_source()
    page.editing.set(0)
    page.whatifs.set((logic.in_force(source.scenario, logic.DEFAULT_START_YEAR),))
    return source

def test_page_shows_generated_sliders_and_the_first_run(rendered):
    rc = rendered
    assert len(_with_class(rc, "egov-lever")) == len(logic.controls())
    assert len(rc.find(v.Slider).widgets) >= 6
    assert _lever(rc, "shares.apps").v_model == pytest.approx(
        logic.in_force(page.current_source().scenario, logic.DEFAULT_START_YEAR).shares["apps"])
    cmp = page.run_task.latest.cmp
    assert cmp.changed == (False,)
    assert len(_with_class(rc, "egov-headline")) == 1
    # figures are drawn in a thread after the numbers: the difference and the three indices
    images = _until(lambda: rc.find(ipywidgets.Image).widgets)
    assert len(images) == 4
    assert all(bytes(im.value[:8]) == b"\x89PNG\r\n\x1a\n" for im in images)
    for name, n_images in (("divide", 1), ("aspects", 1), ("about", 0), ("indices", 4)):
        page.view.set(name)
        _until(lambda n=n_images: len(rc.find(ipywidgets.Image).widgets) == n)


def test_moving_a_share_keeps_the_split_consistent_and_run_changes_the_numbers(rendered):
    rc = rendered
    page.lang.set("id")
    before = page.run_task.latest.cmp
    _lever(rc, "shares.competency").v_model = 0.6
    wi = page.whatifs.value[0]
    assert wi.shares["competency"] == 0.6
    assert sum(wi.shares.values()) == pytest.approx(1.0)
    _until(lambda: _lever(rc, "shares.apps").v_model == pytest.approx(wi.shares["apps"]))
    _until(lambda: _with_class(rc, "egov-info"))  # "press Run": the shown results are stale
    _until(lambda: rc.find(v.Btn, children=[tr("id", "ui.run")]).widgets)[0].click()
    _wait()
    _until(lambda: page.run_task.latest.cmp is not before)
    after = page.run_task.latest.cmp
    assert after.changed == (True,) and page.run_task.latest.whatifs == (wi,)
    assert page.ran_with.value[1] == (wi,)
    diff = logic.headline(after)["diff"].abs().sum()
    assert diff > 0  # the what-if moved at least one index somewhere


def _link_data(widget) -> bytes:
    head, _, data = widget.attributes["href"].partition(",")
    assert head.endswith(";base64")
    return base64.b64decode(data)


def test_save_and_report_are_downloads_of_what_was_set(rendered):
    rc = rendered
    page.lang.set("id")
    _lever(rc, "hire_quality").v_model = 0.8
    saved = _until(lambda: [w for w in _with_class(rc, "egov-save")
                            if b"hire_quality = 0.8" in _link_data(w)])[0]
    assert saved.attributes["download"] == "jember_whatif_2025.toml"
    policy = tomllib.loads(_link_data(saved).decode())["policy"][0]
    assert policy["hire_quality"] == 0.8 and policy["start_year"] == 2025
    _until(lambda: rc.find(v.Btn, children=[tr("id", "ui.report")]).widgets)[0].click()
    link = _until(lambda: _with_class(rc, "egov-report"), timeout=60)[0]
    report = _link_data(link).decode("utf-8")
    assert report.startswith("<!DOCTYPE html>") and '<html lang="id">' in report
    assert tr("id", "report.changes_h") in report
    assert "egovsim run scenarios/jember.toml scenarios/whatif/jember_whatif_2025.toml" in report


def test_switching_language_changes_every_label(rendered):
    rc = rendered
    page.lang.set("id")
    _until(lambda: rc.find(v.Btn, children=[tr("id", "ui.run")]).widgets)
    toggle = rc.find(v.BtnToggle, class_="egov-lang").widget
    toggle.v_model = list(LANGS).index("en")  # what a click on "English" does
    assert page.lang.value == "en"
    _until(lambda: rc.find(v.Btn, children=[tr("en", "ui.run")]).widgets)
    rc.find(v.Btn, children=[tr("id", "ui.run")]).assert_empty()
    _until(lambda: _lever(rc, "hire_quality"))  # found by its English label


def test_a_bad_upload_shows_one_line_and_keeps_the_baseline(rendered):
    rc = rendered
    page.lang.set("id")
    page.on_upload({"name": "evil.toml", "data": b'base = "../../pyproject.toml"\n'})
    assert page.uploaded.value is None
    assert "evil.toml: base:" in page.message.value
    boxes = _until(lambda: _with_class(rc, "egov-error"))
    assert "evil.toml: base:" in boxes[0].unsafe_innerHTML
    page.message.set("")


def test_a_second_whatif_with_a_shift_shows_both_columns_and_the_rupiah(rendered):
    rc = rendered
    page.lang.set("en")
    _until(lambda: rc.find(v.Btn, children=[tr("en", "ui.add_whatif")]).widgets)[0].click()
    assert len(page.whatifs.value) == 2 and page.editing.value == 1
    _lever(rc, "shift.fraction").v_model = 0.2  # the second what-if: 20% of apps to training
    second = page.whatifs.value[1]
    assert second.shift == ("apps", "competency", 0.2)
    assert page.whatifs.value[0].shift[2] != 0.2
    before = page.run_task.latest
    # the run button is back once the page has re-rendered for the new what-if
    _until(lambda: rc.find(v.Btn, children=[tr("en", "ui.run")]).widgets)[0].click()
    _until(lambda: page.run_task.latest is not before)
    _wait()
    cmp = page.run_task.latest.cmp
    assert len(cmp.whatifs) == 2 and cmp.changed[1]
    headline = _until(lambda: [w for w in _with_class(rc, "egov-headline")
                               if "What-if 2" in str(w.children)])
    markup = " ".join(getattr(w, "unsafe_innerHTML", "") or "" for w in _walk(headline[0]))
    assert markup.count("egov-whatif-col") == 2 and "P(&gt;0)" in markup
    money = _until(lambda: _with_class(rc, "egov-rupiah"))
    text = " ".join(getattr(w, "unsafe_innerHTML", "") or "" for w in _walk(money[0]))
    assert "Rp" in text and " bn" in text and tr("en", "ui.staff_cost") in text
    assert len(_with_class(rc, "egov-save")) == 2
    page.editing.set(1)
    page.remove_whatif()
    assert len(page.whatifs.value) == 1


def test_without_a_posterior_file_one_line_says_the_runs_use_the_point(tmp_path):
    source = logic.source_from_file("kediri.toml")
    settings = logic.Settings(years=(2018, 2020), population=400, replications=2,
                              posterior=tmp_path / "posterior.parquet")
    wi = logic.in_force(source.scenario, 2020).with_value("shift.fraction", 0.2)
    cmp = logic.run_whatifs(source.scenario, [logic.whatif_scenario(source, wi)], settings)
    assert cmp.plan.fallback
    box, rc = solara.render(page.Headline(cmp, "id", 2020), handle_error=False)
    notes = _with_class(rc, "egov-fallback")
    assert len(notes) == 1 and "posterior.parquet" in notes[0].unsafe_innerHTML
    assert "2 benih acak" in notes[0].unsafe_innerHTML
    rc.close()


def test_the_advice_tab_searches_in_the_background_and_shows_the_front(rendered, monkeypatch):
    from model.advise import SearchSettings
    rc = rendered
    page.lang.set("id")
    tiny = SearchSettings(draws=1, replications=1, population=300, pop_size=4, generations=0)
    monkeypatch.setattr(logic, "ADVICE_SEARCH", tiny)
    page.view.set("advice")
    button = _until(lambda: rc.find(v.Btn, children=[tr("id", "ui.advice_run")]).widgets)
    button[0].click()
    box = _until(lambda: _with_class(rc, "egov-advice"), timeout=120)[0]
    markup = " ".join(getattr(w, "unsafe_innerHTML", "") or "" for w in _walk(box))
    assert "egov-pareto" in markup and tr("id", "ui.advice_rec") in markup
    assert "Saran pembagian anggaran" in markup and "<h3>" in markup  # advice_text's sentences
    page.view.set("indices")


def test_lever_groups_fold_until_opened_or_moved(rendered):
    rc = rendered
    source = _one_whatif("en")
    title = tr("en", "lever_group.interface")
    _until(lambda: rc.find(v.Btn, children=["▸ " + title]).widgets)
    folded = _until(lambda: len(_with_class(rc, "egov-folded")) == 4 and 4)
    # staff, training, interface, other: hidden, still in the page
    rc.find(v.Btn, children=["▸ " + title]).widgets[0].click()
    _until(lambda: len(_with_class(rc, "egov-folded")) == folded - 1)
    _lever(rc, "complaint_desk_share").v_model = 0.2  # a moved lever keeps its group open
    _until(lambda: rc.find(v.Btn, children=["▾ " + title]).widgets[0].disabled)
    page.whatifs.set((logic.in_force(source.scenario, logic.DEFAULT_START_YEAR),))


def test_with_a_posterior_the_headline_says_its_bands_carry_parameter_uncertainty(tmp_path):
    from scripts.synthetic_posterior import main
    path = tmp_path / "posterior.parquet"
    assert main(["--rows", "10", "--spread", "0.3", "--out", str(path)]) == 0
    source = logic.source_from_file("kediri.toml")
    settings = logic.Settings(years=(2018, 2020), population=400, draws=3, posterior=path)
    wi = logic.in_force(source.scenario, 2020).with_value("enforcement_share", 0.3)
    cmp = logic.run_whatifs(source.scenario, [logic.whatif_scenario(source, wi)], settings)
    box, rc = solara.render(page.Headline(cmp, "en", 2020), handle_error=False)
    texts = " ".join(str(getattr(w, "children", "")) for r in rc.find().widgets for w in _walk(r))
    assert tr("en", "ui.posterior_note", k=3, r=1, pop="400", seconds="")[:60] in texts
    assert not _with_class(rc, "egov-fallback")
    rc.close()


def test_a_wide_lever_is_typed_and_a_number_outside_its_range_gets_one_line(rendered):
    rc = rendered
    source = _one_whatif("en")
    label = tr("en", "control.hires_per_year.label")
    field = _until(lambda: [w for w in rc.find(v.TextField).widgets
                            if str(w.label).startswith(label)])[0]
    field.v_model = "200"
    _until(lambda: page.whatifs.value[0].value("hires_per_year") == 200.0)
    page.message.set("")
    field.v_model = "500000"
    _until(lambda: "hires_per_year: 500000 is outside [0, 100000]" in page.message.value)
    assert page.whatifs.value[0].value("hires_per_year") == 200.0
    page.message.set("")
    page.whatifs.set((logic.in_force(source.scenario, logic.DEFAULT_START_YEAR),))


def test_an_address_with_three_whatifs_opens_all_three():
    """A shared link with w2. and w3. keys opens the page with three what-ifs, each with its
    own start year and levers (the page builds them from logic.parse_state)."""
    for var, value in ((page.source_name, "jember.toml"), (page.uploaded, None),
                       (page.whatifs, None), (page.editing, 0), (page.message, "")):
        var.set(value)
    page.apply_address("lang=en&region=jember.toml&start_year=2025&hire_quality=0.8"
                       "&w2.start_year=2026&w2.budget_multiplier=1.5&w3.start_year=2027")
    wis = page.whatifs.value
    assert [w.start_year for w in wis] == [2025, 2026, 2027] and page.message.value == ""
    assert wis[0].value("hire_quality") == pytest.approx(0.8)
    assert wis[1].value("budget_multiplier") == pytest.approx(1.5)
    assert wis[1].value("hire_quality") != pytest.approx(0.8)
    page.whatifs.set(None)  # leave the page's state as a fresh session has it

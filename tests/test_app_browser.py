"""End to end: ``egovsim app`` in a subprocess, driven in Debian's Chromium with Playwright."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from model.present.text import tr

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tmp_path):
    port = _free_port()
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "model.cli", "app", "--port", str(port)],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        started = time.time()
        while True:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.time() - started < 90, "the app did not answer within 90 s"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    assert "Traceback" not in (tmp_path / "app.log").read_text()


def _wait_change(read, before, timeout=60.0):
    started = time.time()
    while (now := read()) == before:
        assert time.time() - started < timeout, "nothing changed"
        time.sleep(0.1)
    return now, time.time() - started


@contextmanager
def _browser(tmp_path):
    """A fresh Chromium page; every response of 400 or more, or failed request, is recorded."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 1400, "height": 1000})
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.bad = []
            page.on("response", lambda r: page.bad.append((r.status, r.url))
                    if r.status >= 400 else None)
            # (a reload aborts the old session's close notice: not a missing resource)
            page.on("requestfailed", lambda r: None if "/_solara/api/close/" in r.url
                    else page.bad.append(("failed", r.url)))
            yield page
        finally:
            ctx.close()


def _lever(page, lang: str, key: str):
    """The control of lever ``key``, found by its label in ``lang``."""
    return page.locator(".egov-lever", has_text=tr(lang, f"control.{key}.label")).first


def _click_slider(page, lever, fraction: float) -> None:
    """Click ``lever``'s slider at ``fraction`` of its width (scrolled into view first)."""
    slider = lever.locator(".v-slider")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)


def _headline(page):
    """The headline once no run is under way (while one is, the old numbers are greyed and
    take no clicks)."""
    headline = page.locator(".egov-headline")
    headline.filter(has_text="SPBE").filter(has_text="IPP").wait_for(timeout=90_000)
    page.wait_for_function("!document.querySelector('.egov-stale-run')", timeout=90_000)
    return headline



def _screenshot(page, path, height: int, settle_ms: int) -> None:
    """A full-page picture of the app at 1400 px wide (a real image, not a blank page)."""
    page.set_viewport_size({"width": 1400, "height": height})
    page.wait_for_timeout(settle_ms)
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000

def test_app_in_chromium(app_url, tmp_path):
    with _browser(tmp_path) as page:
        page.goto(app_url)
        # the headline's box is mounted before its table is drawn: wait for the table
        headline = page.locator(".egov-headline")
        headline.filter(has_text="SPBE").filter(has_text="IPP").wait_for(timeout=90_000)
        body = page.inner_text("body")
        assert "SPBE" in body and "IPP" in body and "Traceback" not in body
        assert page.locator(".v-slider").count() >= 6

        # before any change the what-if is the baseline, and the note says so
        no_change = tr("id", "ui.no_change", n=5, pop="5.000", seconds="")[:40]
        _wait_change(lambda: no_change in headline.inner_text(), False, 30)

        def images() -> list[str]:
            return [img.get_attribute("src") or ""
                    for img in page.locator(".egov-results img").all()]

        # the figures are drawn after the numbers: the difference and the three indices
        _wait_change(lambda: len(images()) == 4, False, 60)
        before_images = images()

        # move a component control: the budget size, to about a third of its range
        lever = _lever(page, "id", "budget_multiplier")
        label_before = lever.text_content()
        _click_slider(page, lever, 0.3)
        _wait_change(lever.text_content, label_before, timeout=15)

        page.locator(".egov-run").click()
        _, seconds = _wait_change(
            lambda: no_change not in (t := headline.inner_text()) and "SPBE" in t, False)
        print(f"what-if answered in the browser within {seconds:.2f} s")
        _wait_change(lambda: len(images()) == 4 and not set(images()) & set(before_images),
                     False, 30)

        save = page.locator(".egov-save")
        assert save.get_attribute("href").startswith("data:application/toml;base64,")
        assert save.get_attribute("download").endswith(".toml")

        # switch the language: labels change
        run_label = page.locator(".egov-run").text_content().strip()
        assert run_label == tr("id", "ui.run")
        page.locator(".egov-lang button", has_text="English").click()
        _wait_change(lambda: page.locator(".egov-run").text_content().strip(), run_label,
                     timeout=30)
        assert page.locator(".egov-run").text_content().strip() == tr("en", "ui.run")
        assert tr("en", "control.start_year.label") in page.locator(
            ".egov-lever").first.text_content()
        _wait_change(lambda: tr("en", "ui.baseline") in headline.inner_text(), False, 30)
        assert "Traceback" not in page.inner_text("body")
        shown = set(images())  # figures are redrawn with English labels
        _wait_change(lambda: len(images()) == 4 and not set(images()) & shown, False, 30)

        _screenshot(page, tmp_path / "screenshot.png", 2300, 300)
        # offline: nothing the page asks for is missing (KaTeX, fonts, scripts)
        assert page.bad == []


XSS = '<img src=x onerror=\\"window.__xss=1\\">'


def _hostile_kediri(tmp_path) -> Path:
    """Kediri with the payloads of a stored-XSS attack in its region and description."""
    text = (REPO / "scenarios" / "kediri.toml").read_text(encoding="utf-8")
    text = text.replace('region = "Kota Kediri"', f'region = "{XSS}Kediri"')
    text = re.sub(r'description = ".*"', f'description = "{XSS} and '
                  '<a href=\\"javascript:window.__xss=2\\">click</a>"', text, count=1)
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_picker_uploads_and_file_text_never_runs_as_script(app_url, tmp_path):
    with _browser(tmp_path) as page:
        page.goto(app_url)
        _headline(page)
        hostile = _hostile_kediri(tmp_path)
        with page.expect_file_chooser() as chooser:
            page.locator(".egov-upload button, .egov-upload .widget-upload").first.click()
        chooser.value.set_files(str(hostile))
        # the region is shown as text, literally
        page.get_by_text("<img src=x", exact=False).first.wait_for(timeout=60_000)
        page.wait_for_timeout(300)  # the upload's run starts
        _headline(page)
        page.locator(".egov-views button", has_text=tr("id", "ui.tab_about")).click()
        page.locator(".egov-about").wait_for(timeout=30_000)
        about = page.locator(".egov-about")
        assert "javascript:" in about.inner_text()  # shown as text ...
        assert about.locator("a").count() == 0  # ... never a link
        assert page.locator('a[href^="javascript:"]').count() == 0
        assert page.locator("img[src=x]").count() == 0
        page.wait_for_timeout(500)
        assert page.evaluate("window.__xss") is None

        # a what-if with a base is compared with that base, not with itself
        with page.expect_file_chooser() as chooser:
            page.locator(".egov-upload button, .egov-upload .widget-upload").first.click()
        chooser.value.set_files(str(REPO / "scenarios" / "whatif" /
                                    "kediri_apps_to_training_2025.toml"))
        page.get_by_text(tr("id", "ui.uploaded_base", base="Kota Kediri")).wait_for(
            timeout=60_000)
        no_change = tr("id", "ui.no_change", n=5, pop="5.000", seconds="")[:40]
        headline = _headline(page)
        _wait_change(lambda: no_change not in headline.inner_text()
                     and "egov-stale-run" not in page.content(), False, 90)
        assert page.evaluate("window.__xss") is None


def test_reload_restores_the_state_and_exports_download(app_url, tmp_path):
    with _browser(tmp_path) as page:
        page.goto(app_url + "?lang=en&region=kediri.toml&start_year=2027&hire_quality=0.85")
        _headline(page)
        levers = page.locator(".egov-lever")
        assert "2027" in levers.nth(0).text_content()
        assert "0.85" in _lever(page, "en", "hire_quality").text_content()
        assert page.locator(".egov-run").text_content().strip() == tr("en", "ui.run")
        # once the first run is drawn, move a lever: the address follows, and a reload (a
        # shared link) restores it
        _wait_change(lambda: page.locator(".egov-png").count() == 4, False, 60)
        budget = _lever(page, "en", "budget_multiplier")
        _click_slider(page, budget, 0.3)
        def address() -> str:  # asked of the page: the sync API's page.url lags behind
            return page.evaluate("location.search")

        _wait_change(lambda: re.search(r"budget_multiplier=(?!1&)[0-9.]+", address()), None, 30)
        shown = re.search(r"budget_multiplier=([0-9.]+)", address()).group(1)
        label = f": {float(shown):.2f}"
        _wait_change(lambda: label in budget.text_content(), False, 15)
        page.reload()
        _headline(page)
        _wait_change(lambda: label in _lever(page, "en", "budget_multiplier").text_content(),
                     False, 30)
        assert "2027" in page.locator(".egov-lever").nth(0).text_content()

        for css, mime in ((".egov-csv", "data:text/csv;base64,"),
                          (".egov-xlsx", "data:application/vnd.openxmlformats"),
                          (".egov-png", "data:image/png;base64,")):
            link = page.locator(css).first
            link.wait_for(timeout=60_000)
            assert link.get_attribute("href").startswith(mime), css
        with page.expect_download() as download:
            page.locator(".egov-csv").click()
        path = download.value.path()
        head = Path(path).read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("baseline,scenario,region,year,index,mean")
        assert page.locator(".egov-png").count() == 4  # the difference and three indices
        assert page.bad == []


def test_shift_and_a_second_whatif_side_by_side_with_the_rupiah(app_url, tmp_path):
    with _browser(tmp_path) as page:
        page.goto(app_url + "?lang=en&region=kediri.toml")
        headline = _headline(page)
        assert page.locator(".egov-whatif-col").count() == 1
        # what-if 1: move part of the app money to training with the shift control
        shift = _lever(page, "en", "shift.fraction")
        _click_slider(page, shift, 0.2)
        moved, _ = _wait_change(lambda: re.search(r"moved: ([1-9]\d*)%", shift.text_content()),
                                None, 15)
        assert 10 <= int(moved.group(1)) <= 30, shift.text_content()
        _wait_change(lambda: re.search(r"shift.fraction=0\.[0-9]+", page.evaluate(
            "location.search")), None, 15)
        # what-if 2: the same region with a larger budget
        page.locator(".egov-add-whatif").click()
        _wait_change(lambda: page.locator(".egov-whatifs button", has_text="What-if 2").count(),
                     0, 15)
        budget = _lever(page, "en", "budget_multiplier")
        _click_slider(page, budget, 0.3)
        _wait_change(lambda: re.search(r"baseline e-government budget\): (?!1\.00)",
                                       budget.text_content()), None, 15)
        page.locator(".egov-run").click()
        _wait_change(lambda: page.locator(".egov-whatif-col").count(), 1, 90)
        headline = _headline(page)
        text, _ = _wait_change(lambda: t if "What-if 2" in (t := headline.inner_text()) else "",
                               "", 30)
        assert "What-if 1" in text and "What-if 2" in text and "P(>0)" in text
        rupiah = page.locator(".egov-rupiah")
        rupiah.wait_for(timeout=30_000)
        money = rupiah.inner_text()
        assert "Application development" in money and "Rp" in money and " bn" in money
        assert "What-if 2" in money and "belanja pegawai" in money
        # the comparison year can be chosen; the numbers follow it
        page.locator(".egov-year .v-field").click()
        page.locator(".v-overlay--active .v-list-item", has_text="2029").click()
        _wait_change(lambda: "2029" in headline.inner_text(), False, 30)
        # the Rupiah table follows in its own update (it can arrive after the headline's)
        _wait_change(lambda: "Money in 2029" in page.locator(".egov-rupiah").inner_text(),
                     False, 30)
        _screenshot(page, tmp_path / "side_by_side.png", 2600, 500)
        assert page.bad == []

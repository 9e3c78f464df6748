"""End to end: ``egovsim app`` in a subprocess, driven in Debian's Chromium with Playwright."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
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


def test_app_in_chromium(app_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 1400, "height": 1000})
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
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
            lever = page.locator(".egov-lever").nth(1)
            assert tr("id", "control.budget_multiplier.label") in lever.text_content()
            label_before = lever.text_content()
            box = lever.locator(".v-slider").bounding_box()
            page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + box["height"] / 2)
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

            page.set_viewport_size({"width": 1400, "height": 2300})
            page.wait_for_timeout(300)
            shot = REPO / "results" / "app" / "screenshot.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            ctx.close()

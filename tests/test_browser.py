"""The dashboard as a person sees it: `csto-monitor serve` on the crawled sample outlets, opened
in headless Chromium (Debian's `chromium`, installed by `make test`) through Playwright."""

import json
import shutil
from urllib.parse import urlencode

import pytest
import sqlite_utils
import yaml

from crawler.dashboard import DATASETTE_DIR
from tests.conftest import serving

METADATA = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
DESK = METADATA["plugins"]["datasette-dashboards"]["desk"]
CANNED = METADATA["databases"]["monitor"]["queries"]
VEGA_PANELS = sorted(slug for slug, chart in DESK["charts"].items() if chart["library"] == "vega-lite")
MARKS = "svg.marks, canvas.marks"  # what Vega draws a chart into


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


class Visit:
    """A page opened in a fresh tab, with every JavaScript error and console error it caused."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1200})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(f"console: {message.text}"))
        self.page.goto(url, wait_until="networkidle")

    def legend(self, panel: str) -> set[str]:
        """The entries of a Vega chart's legend."""
        return set(self.page.locator(f"#chart-{panel} g.role-legend-label text").all_text_contents())


def open_dashboard(browser, served: str, **filters) -> Visit:
    visit = Visit(browser, f"{served}/-/dashboards/desk" + (f"?{urlencode(filters)}" if filters else ""))
    for panel in VEGA_PANELS:
        visit.page.wait_for_selector(f"#chart-{panel} :is({MARKS})", timeout=30_000)
    return visit


def test_every_panel_renders_without_a_javascript_error(browser, served):
    visit = open_dashboard(browser, served)
    for panel in VEGA_PANELS:
        assert visit.page.locator(f"#chart-{panel} :is({MARKS})").count() == 1, panel
    for panel, chart in DESK["charts"].items():
        text = visit.page.locator(f"#chart-{panel}").inner_text()
        if chart["library"] == "metric":
            assert text.strip().isdigit(), (panel, text)
        if chart["library"] == "table":
            assert visit.page.locator(f"#chart-{panel} table tr").count() > 1, panel
    assert "CSTO" in visit.legend("stance-over-time") and 2 <= len(visit.legend("stance-over-time")) <= 8
    assert visit.errors == []


def test_filters_change_the_charts(browser, served):
    everyone = open_dashboard(browser, served)
    putin = open_dashboard(browser, served, actor="Putin")
    assert putin.legend("stance-over-time") == {"Putin"} and len(everyone.legend("stance-over-time")) > 1
    outlet = open_dashboard(browser, served, outlet="Steppe Observer")
    assert outlet.legend("articles-per-day") == {"Steppe Observer"} and len(everyone.legend("articles-per-day")) > 1
    again = open_dashboard(browser, served)  # a filtered view leaves nothing behind for the next visitor
    assert again.legend("stance-over-time") == everyone.legend("stance-over-time")
    assert everyone.errors == putin.errors == outlet.errors == again.errors == []


@pytest.mark.parametrize("name", sorted(name for name, query in CANNED.items() if "fragment" in query))
def test_each_canned_query_opens_with_its_chart_drawn(browser, served, name):
    visit = Visit(browser, f"{served}/monitor/{name}?actor=&since=#{CANNED[name]['fragment']}")
    visit.page.wait_for_selector(MARKS, timeout=30_000)
    assert visit.page.locator(MARKS).count() >= 1
    assert visit.errors == []


def test_markup_in_an_article_stays_inert_text_on_every_page(browser, crawled, tmp_path):
    path = tmp_path / "monitor.db"
    shutil.copy(crawled["db"], path)
    db = sqlite_utils.Database(path)
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold</b>'
    article = db["articles"].insert({"url": 'http://evil.example/a?x="><script>alert(3)</script>', "title": f"Evil {hostile}",
                                     "published": "2026-06-29", "text": f"CSTO body {hostile}", "outlet_id": 1,
                                     "language": "en"}).last_pk
    db["stances"].insert({"article_id": article, "actor_id": 1, "label": "critical", "score": -0.9, "mentions": 1,
                          "evidence": json.dumps([f"Sentence {hostile}"]), "model": "test"})
    db.close()
    with serving(path) as base:
        for url in (f"{base}/monitor/articles/{article}", f"{base}/monitor/articles?_search=Evil",
                    f"{base}/monitor/stances?article_id={article}", f"{base}/-/dashboards/desk",
                    f"{base}/monitor/strong_stances?actor=&since="):
            visit = Visit(browser, url)
            dialogs = []
            visit.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            visit.page.reload(wait_until="networkidle")
            assert "alert(2)" in visit.page.locator("body").inner_text(), url  # shown as text
            assert visit.page.locator("main script, main img, .dashboard-grid img, .dashboard-grid b").count() == 0, url
            assert dialogs == [] and visit.errors == [], url

"""The dashboard as a person sees it: `csto-monitor serve` on the crawled sample outlets, opened
in headless Chromium (Debian's `chromium`, installed by `make test`) through Playwright."""

import json
import re
import shutil
import urllib.request
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
        if chart["library"] == "metric":  # a count, or a review panel saying there is nothing to measure yet
            assert text.strip().isdigit() or text.strip() in ("no reviews", "none reviewed"), (panel, text)
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
    # an outlet's name and group come from sources.yml: shown as typed in every panel, never run
    outlet = next(db.query("select id, outlet_group from outlets where id = 1"))
    db["outlets"].update(1, {"name": 'Evil <b onmouseover="alert(4)">Outlet</b> <script>alert(2)</script>',
                             "outlet_group": outlet["outlet_group"] and f"{outlet['outlet_group']} <b>group</b>"})
    db.close()
    with serving(path) as base:
        for url in (f"{base}/monitor/articles/{article}", f"{base}/monitor/articles?_search=Evil",
                    f"{base}/monitor/stances?article_id={article}", f"{base}/-/dashboards/desk",
                    f"{base}/-/dashboards/desk?date_start=2000-01-01",  # every story and shift, whatever the day
                    f"{base}/monitor/strong_stances?actor=&since="):
            visit = Visit(browser, url)
            dialogs = []
            visit.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            visit.page.reload(wait_until="networkidle")
            assert "alert(2)" in visit.page.locator("body").inner_text(), url  # shown as text
            assert visit.page.locator("main script, main img, .dashboard-grid img, .dashboard-grid b").count() == 0, url
            assert dialogs == [] and visit.errors == [], url
        shown = Visit(browser, f"{base}/-/dashboards/desk?date_start=2000-01-01").page
        for panel in ("strong-stances", "stories", "outlet-health"):
            shown.wait_for_selector(f"#card-{panel} table", timeout=30_000)
            assert '<b onmouseover="alert(4)">Outlet</b>' in shown.locator(f"#card-{panel}").inner_text(), panel


def article_id(db, url_part: str) -> int:
    return next(sqlite_utils.Database(db).query("select id from articles where url like ?", [f"%{url_part}%"]))["id"]


def test_the_home_page_leads_to_the_desk_dashboard(browser, served):
    visit = Visit(browser, served + "/")
    visit.page.get_by_text("Open the desk dashboard").click()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url.endswith("/-/dashboards/desk") and not visit.errors


def test_an_article_page_reads_as_an_article_with_its_stances_and_evidence(browser, served, crawled):
    number = article_id(crawled["db"], "pashinyan-doverie-odkb")  # Russian, judged by e5-ru
    visit = Visit(browser, f"{served}/monitor/articles/{number}")
    page = visit.page
    assert page.title().startswith("Пашинян подорвал доверие к ОДКБ")
    meta = page.locator(".article-meta").inner_text()
    assert "Eurasia Wire" in meta and "2026-05-07" in meta and "language ru" in meta and "Ольга Белова" in meta
    assert page.locator(".article-meta a", has_text="the original").get_attribute("href").endswith("ru/pashinyan-doverie-odkb.html")
    rows = {row.locator("td").first.inner_text().split(" (")[0]: row for row in page.locator(".stance-list tr").all()[1:]}
    assert "Pashinyan" in rows and rows["Pashinyan"].locator("td.label-critical").count() == 1
    evidence = rows["Pashinyan"].locator("ul.evidence li").all_inner_texts()
    assert evidence and all("Пашинян" in sentence for sentence in evidence)
    marked = page.locator(".article-text mark").all_inner_texts()
    assert {"Никол Пашинян", "Пашиняна", "ОДКБ"} <= set(marked)  # inflected forms highlighted too
    body = page.locator("body").inner_text()
    assert '["' not in body and "outlet_id" not in body and not visit.errors  # no raw JSON, no bare ids


def test_an_armenian_article_page_says_why_it_is_not_judged(browser, served, crawled):
    number = article_id(crawled["db"], "pashinyan-csto-obligations")
    visit = Visit(browser, f"{served}/monitor/articles/{number}")
    assert "not judged (none:hy" in visit.page.locator(".stance-list").inner_text()
    assert "Փաշինյանը" in visit.page.locator(".article-text mark").all_inner_texts()


def test_a_copy_links_its_original_and_the_original_its_copies(browser, served, crawled):
    db = sqlite_utils.Database(crawled["db"])
    copy = next(db.query("select id, duplicate_of from articles where duplicate_of is not null"))
    visit = Visit(browser, f"{served}/monitor/articles/{copy['id']}")
    assert "A copy of" in visit.page.locator("body").inner_text()
    original = Visit(browser, f"{served}/monitor/articles/{copy['duplicate_of']}")
    links = [link.get_attribute("href") for link in original.page.locator("ul li a").all()]
    assert any(link.endswith(f"/articles/{copy['id']}") for link in links), links


def test_stance_rows_are_titled_by_names_and_evidence_is_a_list(browser, served, crawled):
    db = sqlite_utils.Database(crawled["db"])
    row = next(db.query("""select s.article_id, s.actor_id, a.title from stances s join articles a on a.id = s.article_id
                           join actors ac on ac.id = s.actor_id where ac.name = 'Putin' and s.label is not null limit 1"""))
    visit = Visit(browser, f"{served}/monitor/stances/{row['article_id']},{row['actor_id']}")
    assert visit.page.title() == f"Putin in “{row['title']}”"
    assert visit.page.locator("ul.evidence li").count() >= 1
    table = Visit(browser, f"{served}/monitor/stances?label=critical")
    assert table.page.locator("td ul.evidence").count() >= 1 and '["' not in table.page.locator("table.rows-and-columns").inner_text()


def test_canned_queries_take_names_in_any_case_and_say_when_a_value_matches_nothing(browser, served):
    lower = Visit(browser, f"{served}/monitor/strong_stances?" + urlencode({"actor": "pashinyan", "since": ""}))
    assert lower.page.locator("table.rows-and-columns tbody tr").count() >= 1
    assert lower.page.locator(".parameter-problem").count() == 0 and not lower.errors
    unknown = Visit(browser, f"{served}/monitor/strong_stances?" + urlencode({"actor": "Pashinian", "since": "April"}))
    problems = unknown.page.locator(".parameter-problem").all_inner_texts()
    assert any("No actor is named “Pashinian”" in p and "Pashinyan" in p for p in problems)
    assert any("since must be a date written YYYY-MM-DD" in p for p in problems)
    language = Visit(browser, f"{served}/monitor/articles_mentioning?" + urlencode({"actor": "Tokayev", "language": "russian",
                                                                                  "outlet": "", "since": ""}))
    problems = language.page.locator(".parameter-problem").all_inner_texts()
    assert any("“russian”" in p and "ru" in p.split("stored ones are", 1)[1] for p in problems), problems
    feed = Visit(browser, f"{served}/monitor/alerts_stance?" + urlencode({"actor": "PUTIN", "label": "Critical"}))
    assert feed.page.locator("table.rows-and-columns tbody tr").count() >= 1


@pytest.mark.parametrize("query", ["Russia's", "C.S.T.O.", '"unclosed', "peacekeepers AND", "(CSTO"])
def test_any_full_text_query_is_answered_instead_of_a_syntax_error(served, query):
    import urllib.request

    for path in ("search.json", "alerts_search.atom"):
        with urllib.request.urlopen(f"{served}/monitor/{path}?" + urlencode({"q": query, "_shape": "array"}), timeout=30) as answer:
            assert answer.status == 200, (path, query)
    rows = json.load(urllib.request.urlopen(f"{served}/monitor/search.json?" + urlencode({"q": "Armenia's", "_shape": "array"}), timeout=30))
    assert rows and all("Armenia" in row["passage"] for row in rows)  # the words are searched for


def test_every_canned_query_is_reachable_from_the_dashboard(browser, served):
    visit = open_dashboard(browser, served)
    links = [link.get_attribute("href") for link in visit.page.locator("#chart-queries-and-feeds a").all()]
    reached = {link.split("/monitor/", 1)[1].split("?", 1)[0] for link in links}
    assert reached == set(CANNED), sorted(set(CANNED) ^ reached)
    for link in links:  # each opens without an error
        page = Visit(browser, link if link.startswith("http") else served + link)
        assert page.page.locator(".message-error").count() == 0 and not page.errors, link


def test_a_story_page_shows_its_reports_and_how_each_outlet_portrayed_each_actor(browser, served, crawled):
    db = sqlite_utils.Database(crawled["db"])
    story = next(db.query("select story_id from articles where duplicate_of is not null"))["story_id"]
    visit = Visit(browser, f"{served}/monitor/stories/{story}")
    assert visit.page.title().startswith("Story: ") and not visit.errors
    tables = visit.page.locator("table.stance-list")
    assert tables.nth(0).locator("tr").count() == 3  # the original and its copy, first to last
    assert "(a copy)" in tables.nth(0).inner_text()
    matrix = tables.nth(1).inner_text()
    assert "Tokayev" in matrix and "supportive" in matrix and '["' not in visit.page.locator("body").inner_text()


def test_the_stories_feed_lists_stories_that_mention_an_actor(served):
    import feedparser

    feed = feedparser.parse(f"{served}/monitor/alerts_stories.atom?actor=tokayev")
    assert not feed.bozo and feed.entries
    assert all(re.match(r"(1 report|\d+ reports) from (1 outlet|\d+ outlets) since", entry.content[0].value)
               for entry in feed.entries)
    assert any(" 1 outlet since" not in entry.content[0].value for entry in feed.entries)
    assert all(entry.link.startswith(f"{served}/monitor/stories/") for entry in feed.entries)  # the story page
    assert urllib.request.urlopen(feed.entries[0].link, timeout=30).status == 200

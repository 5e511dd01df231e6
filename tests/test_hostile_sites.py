"""Broken and hostile sites: every problem is logged once with its URL, counted, and the crawl
goes on. One crawl of tests/hostile_site.py, then a second one over the unchanged site."""

import json
import re

import pytest
from scrapy.settings import default_settings
import sqlite_utils

from tests.conftest import NO_STANCE, csto_monitor
from tests.hostile_site import JAVASCRIPT_LINK, RECENT_IN_BIG_SITEMAP, HostileSite

# a local page answers in milliseconds; the timeout is for /a/slow only, and long enough that a busy
# machine (the stance stage of another test on both cores) never times out a page that answers:
# these crawls run no stance stage of their own, so nothing in the crawl process holds its reactor
# up. A timed-out page is not retried within the run (it is the next run's): /a/slow costs one wait a run.
TIMEOUT = 5
NOT_TIMEOUTS = ",".join(e if isinstance(e, str) else f"{e.__module__}.{e.__qualname__}" for e in default_settings.RETRY_EXCEPTIONS
                        if e != "scrapy.exceptions.DownloadTimeoutError")
FAST = ["--set", f"RETRY_EXCEPTIONS={NOT_TIMEOUTS}", "--set", "SECTION_MAX_PAGES=3", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", f"DOWNLOAD_TIMEOUT={TIMEOUT}",
        "--set", f"DOWNLOAD_MAXSIZE={1024 * 1024}", "--set", "RETRY_TIMES=1"] + list(NO_STANCE)  # what is tested here is fetching and reading pages, not stance
PROBLEMS = ["a/pdf", "a/image", "a/missing", "a/crash", "a/loop1", "a/slow", "a/endless",
            "empty-feed.xml", "not-a-feed.xml", "gone/feed.xml"]  # and JAVASCRIPT_LINK, listed by feed.xml


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with HostileSite() as site:
        sources = folder / "sources.yml"
        sources.write_text(site.sources())
        db = folder / "monitor.db"
        first = csto_monitor("crawl", "--sources", str(sources), "--db", str(db), "--since", "2024-01-01", *FAST)
        log_size = len(site.log)
        second = csto_monitor("crawl", "--sources", str(sources), "--db", str(db), *FAST)
        second_size = len(site.log)
        before_refresh = sqlite_utils.Database(db).execute("select count(*) from articles").fetchone()[0]
        refresh = csto_monitor("crawl", "--sources", str(sources), "--db", str(db), "--refresh", "--since", "2024-01-01", *FAST)
        yield {"site": site, "db": sqlite_utils.Database(db), "first": first, "second": second, "refresh": refresh, "before_refresh": before_refresh,
               "first_log": site.log[:log_size], "second_log": site.log[log_size:second_size],
               "refresh_log": site.log[second_size:]}


def stored(hostile, path: str) -> dict | None:
    rows = list(hostile["db"].query("select * from articles where url = ?", [hostile["site"].base + path]))
    return rows[0] if rows else None


def test_the_run_survives_and_counts_every_problem(hostile):
    first = hostile["first"]
    run = next(hostile["db"].query("select * from crawl_runs order by id limit 1"))
    assert run["errors"] == len(PROBLEMS) + 1, first.stderr[-3000:]
    assert run["status"] == "partial"  # Gone Gazette could not be read at all
    assert first.returncode == 1
    assert "Traceback" not in first.stderr


@pytest.mark.parametrize("path", PROBLEMS)
def test_each_problem_is_logged_once_with_its_url(hostile, path):
    url = hostile["site"].base + path
    lines = [line for line in hostile["first"].stderr.splitlines()
             if re.search(re.escape(url) + r"\b", line) and "WARNING" in line and "health:" not in line]  # the run's health summary may name it again
    assert len(lines) == 1, lines


def test_an_entry_that_cannot_be_fetched_is_skipped_with_a_warning_and_the_rest_of_its_feed_is_read(hostile):
    lines = [line for line in hostile["first"].stderr.splitlines() if JAVASCRIPT_LINK in line and "WARNING" in line]
    assert len(lines) == 1 and "not a web address" in lines[0] and "feed.xml" in lines[0], lines
    for path in ("a/undeclared-1251", "a/wrong-charset", "a/malformed", "a/canonical-story"):  # listed after it
        assert stored(hostile, path), path
    stats = json.loads(next(hostile["db"].query("select stats from crawl_runs order by id limit 1"))["stats"])
    assert stats["outlets/Hostile Herald/bad_entries"] == 1


def test_pages_in_koi8_undeclared_or_wrongly_declared_windows_1251_are_decoded(hostile):
    assert stored(hostile, "a/wrong-charset")["title"] == "Министры ОДКБ подвели итоги года"
    assert stored(hostile, "a/koi8")["title"] == "Министры ОДКБ встретились в Бишкеке"
    undeclared = stored(hostile, "a/undeclared-1251")
    assert undeclared["title"] == "Министры ОДКБ договорились о новой встрече"
    assert "совместную систему ПВО" in undeclared["text"]


def test_malformed_html_is_still_read(hostile):
    assert "joint air defence system" in stored(hostile, "a/malformed")["text"]


def test_pdf_and_image_at_an_article_url_are_not_stored(hostile):
    assert stored(hostile, "a/pdf") is None and stored(hostile, "a/image") is None


def test_rss1_atom_and_google_news_sitemap_are_read_with_the_since_cutoff(hostile):
    for path in ("a/from-rss1", "a/from-atom", "a/news-recent", *RECENT_IN_BIG_SITEMAP):
        assert stored(hostile, path), path
    requested = {path for _, path, _ in hostile["first_log"]}
    assert "/a/news-too-old" not in requested and "/a/atom-too-old" not in requested
    assert not [p for p in requested if p.startswith("/a/archive-")]  # 49,998 old entries of the big sitemap


def test_tracking_parameters_and_canonical_urls_make_one_row(hostile):
    rows = list(hostile["db"].query("select url from articles where title = 'Canonical CSTO story'"))
    assert [r["url"] for r in rows] == [hostile["site"].base + "a/canonical-story"]
    requested = [path for _, path, _ in hostile["first_log"]]
    assert "/a/tracked" in requested and not [p for p in requested if "utm_source" in p]


def test_429_is_retried_after_the_time_retry_after_asks(hostile):
    (first_when, first_status), (second_when, second_status) = hostile["site"].requested("/a/retry-after")[:2]
    assert (first_status, second_status) == (429, 200)
    assert second_when - first_when >= 1.0
    assert stored(hostile, "a/retry-after")


def test_second_run_costs_a_304_per_feed_and_fetches_no_stored_article(hostile):
    second = dict((path, status) for _, path, status in hostile["second_log"])
    assert all(second[path] == 304 for path in ("/sitemap.xml", "/rss1.rdf", "/atom.xml", "/empty-feed.xml"))
    # ...but the feed that listed pages failing with a 500 and a timeout is read again, and they are retried
    assert second["/feed.xml"] == 200 and "/a/crash" in second and "/a/slow" in second
    stored_paths = {"/" + r["url"].removeprefix(hostile["site"].base) for r in hostile["db"].query("select url from articles")}
    assert not stored_paths & set(second), stored_paths & set(second)
    runs = list(hostile["db"].query("select articles_new, stats from crawl_runs order by id"))
    assert runs[1]["articles_new"] == 0
    assert json.loads(runs[1]["stats"])["feeds/not_modified"] >= 2  # Scrapy's stats of the run, as JSON


def test_refresh_fetches_known_pages_again_without_adding_rows(hostile):
    refresh = dict((path, status) for _, path, status in hostile["refresh_log"])
    assert refresh["/feed.xml"] == 200 and refresh["/a/koi8"] == 200
    runs = list(hostile["db"].query("select articles_new from crawl_runs order by id"))
    assert len(runs) == 3 and runs[2]["articles_new"] == 0
    assert hostile["db"].execute("select count(*) from articles").fetchone()[0] == hostile["before_refresh"] > 0


def test_section_pages_follow_only_matching_links_up_to_the_page_limit(hostile):
    requested = {path for _, path, _ in hostile["first_log"]}
    assert {"/section/1", "/section/2", "/section/3"} <= requested and "/section/4" not in requested
    for number in (1, 2, 3):
        assert stored(hostile, f"a/section-story-{number}")
    assert not [p for p in requested if p.startswith("/about/")]  # does not match `follow`


def test_requests_name_the_project_and_a_contact_url(hostile):
    from crawler.settings import CONTACT_URL

    assert hostile["site"].user_agents == {f"csto-monitor/0.1 (+{CONTACT_URL})"}

"""The spider's set-up: per-outlet politeness and the incremental cut-off, built as Scrapy builds it."""

import json

import pytest
from scrapy.crawler import Crawler

from crawler.storage.database import open_database
from crawler.spiders.outlets import OutletsSpider, parse_since
from crawler.urls import article_identity, normalise_url

SOURCES = """outlets:
  - name: Slow Outlet
    url: http://slow.example/
    feeds: [http://slow.example/rss]
    delay: 2.5
    concurrency: 1
  - name: Plain Outlet
    url: http://plain.example/
    feeds: [http://plain.example/rss]
"""


def spider_for(tmp_path, **arguments):
    sources = tmp_path / "sources.yml"
    sources.write_text(SOURCES)
    crawler = Crawler(OutletsSpider, {"DB_PATH": str(tmp_path / "monitor.db")})  # settings not frozen yet, as in a crawl
    return crawler, OutletsSpider.from_crawler(crawler, sources=str(sources), **arguments)


def test_outlet_delay_and_concurrency_become_download_slots(tmp_path):
    crawler, _ = spider_for(tmp_path)
    assert crawler.settings.getdict("DOWNLOAD_SLOTS") == {"slow.example": {"delay": 2.5, "concurrency": 1}}


def write_runs(tmp_path, *runs: tuple[str, str, dict]) -> None:
    """crawl_runs rows (started, status, stats) in the spider's database."""
    db = open_database(tmp_path / "monitor.db")
    with db.atomic():
        db["crawl_runs"].insert_all({"started": started, "status": status, "stats": json.dumps(stats)}
                                    for started, status, stats in runs)
    db.close()


BOTH_READ = {"outlets/Slow Outlet/discovery_ok": 1, "outlets/Plain Outlet/discovery_ok": 1}


def test_since_defaults_per_outlet_to_its_last_good_run(tmp_path):
    write_runs(tmp_path, ("2026-05-01T02:00:00+00:00", "ok", BOTH_READ),
               ("2026-05-02T02:00:00+00:00", "partial",
                {"outlets/Slow Outlet/discovery_ok": 1, "outlets/Plain Outlet/discovery_failed": 1}))
    _, spider = spider_for(tmp_path)
    assert spider.since_by_outlet == {"Slow Outlet": "2026-05-02", "Plain Outlet": "2026-05-01"}
    _, explicit = spider_for(tmp_path, since="2024-01-01")
    assert explicit.since == "2024-01-01"
    _, refresh = spider_for(tmp_path, refresh="1")
    assert refresh.refresh and refresh.since_by_outlet == {}


def test_a_bad_since_is_a_readable_error():
    with pytest.raises(ValueError, match="since must be a date like 2024-01-01"):
        parse_since("yesterday")


def test_tracking_parameters_and_fragments_are_stripped():
    assert normalise_url("HTTP://Example.COM:80/news/a?utm_source=rss&utm_medium=x&fbclid=1&id=7#top") == "http://example.com/news/a?id=7"


def test_an_article_is_stored_under_its_canonical_url_on_the_same_site():
    assert article_identity("http://a.example/amp/story?utm_source=x", "http://a.example/story") == "http://a.example/story"
    assert article_identity("http://a.example/story", "http://aggregator.example/copy") == "http://a.example/story"


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    from crawler.middlewares import retry_after_seconds

    assert retry_after_seconds(b"7") == 7.0
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True).encode()
    assert 25 <= retry_after_seconds(soon) <= 30
    assert retry_after_seconds(b"not a date") is None and retry_after_seconds(None) is None


def test_a_run_that_skipped_a_bad_entry_does_not_move_the_outlets_cut_off(tmp_path):
    write_runs(tmp_path, ("2026-05-01T02:00:00+00:00", "ok", BOTH_READ),
               ("2026-05-02T02:00:00+00:00", "ok", {**BOTH_READ, "outlets/Plain Outlet/bad_entries": 1}))  # a javascript: link
    _, spider = spider_for(tmp_path)
    assert spider.since_by_outlet == {"Slow Outlet": "2026-05-02", "Plain Outlet": "2026-05-01"}

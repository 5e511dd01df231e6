"""Stage 7: write the article, its stances and its signature to SQLite in one transaction, and
record what became of every fetched URL (`pages`).

An article whose URL is already stored is left alone: re-running a crawl never duplicates rows.
A page dropped by an earlier stage (irrelevant, no text) is recorded too, so the next run does
not fetch it again. The run itself (lock, crawl_runs row, outlets and actors, health, summaries)
belongs to the CrawlRun extension (crawler/extensions/crawl_run.py), which hands this stage the
run's id (`run_id`) when the row is written and reads `failure` when the spider closes.
"""

import json
import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler import counters
from crawler.storage.articles import count_stored_article, limit_size, storage_problem, store_article
from crawler.storage.database import open_database, utc_now

logger = logging.getLogger(__name__)


def stop_crawl(crawler, problem: str) -> None:
    """The database cannot be written (disk full, read-only): log the one line and stop the
    crawl. The failed transaction was rolled back, so nothing is half-written; what was not
    stored is fetched again next run. `csto-monitor crawl` reports the line and exits 2."""
    logger.warning("crawl stopped: %s", problem)
    deferred_from_coro(crawler.engine.close_spider_async(reason="storage_failed"))


class StorePipeline:
    def __init__(self, db_path: str, max_size_mb: float, crawler):
        self.db_path = db_path
        self.max_size_mb = max_size_mb
        self.crawler = crawler
        self.stats = crawler.stats
        self.db = None
        self.ids: dict[tuple[str, str], int] = {}  # (table, name) -> id of outlets and actors
        self.run_id: int | None = None  # this run's crawl_runs id, set by the CrawlRun extension
        self.failure: str | None = None  # why the database could not be written, once it could not

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(settings.get("DB_PATH"), settings.getfloat("DB_MAX_SIZE_MB"), crawler)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self, spider=None):
        self.db = open_database(self.db_path)
        limit_size(self.db, self.max_size_mb)

    def close_spider(self, spider=None):
        if self.db is not None:
            self.db.close()

    def _id_by_name(self, table: str, name: str | None) -> int | None:
        """The id of an outlet or actor, which the CrawlRun extension wrote when the spider opened."""
        if (table, name) not in self.ids:
            row = self.db.execute(f"select id from [{table}] where name = ?", [name]).fetchone()
            self.ids[(table, name)] = row[0] if row else None
        return self.ids[(table, name)]

    def _article_id(self, url: str | None) -> int | None:
        if not url:
            return None
        row = self.db.execute("select id from articles where url = ?", [url]).fetchone()
        return row[0] if row else None

    def _record_pages(self, item, outcome: str, reason: str | None = None, article_id: int | None = None) -> None:
        self.db["pages"].upsert_all(
            [
                {"url": url, "outcome": outcome, "reason": reason, "article_id": article_id,
                 "http_status": 200, "fetched_at": item.crawled_at or utc_now(),
                 "crawl_run_id": self.run_id}
                for url in dict.fromkeys([*item.fetched_urls, item.url])
            ],
            pk="url",
        )

    def item_dropped(self, item, response, exception, spider=None):
        """A page an earlier stage dropped: remember why, so it is not fetched again."""
        if self.failure:
            return
        try:
            with self.db.atomic():
                self._record_pages(item, "dropped", str(exception))
        except sqlite3.Error as error:
            self.fail(error)

    def fail(self, error: sqlite3.Error) -> None:
        """Stop the crawl, once, on the first write that failed."""
        if self.failure is None:
            self.failure = storage_problem(self.db_path, error)
            stop_crawl(self.crawler, self.failure)

    def process_item(self, item):
        if self.failure:
            raise DropItem("not stored: the database cannot be written")
        try:
            return self._store(item)
        except sqlite3.Error as error:
            self.fail(error)
            raise DropItem(f"not stored: {error}") from None

    def _store(self, item):
        existing = self._article_id(item.url)
        if existing is not None:  # another URL of an article already stored
            self.stats.inc_value("articles/already_stored")
            with self.db.atomic():
                self._record_pages(item, "stored", "already stored", existing)
            return item
        with self.db.atomic():
            article_id = store_article(
                self.db,
                {
                    "url": item.url,
                    "canonical_url": item.canonical_url,
                    "outlet_id": self._id_by_name("outlets", item.outlet),
                    "title": item.title,
                    "author": item.author,
                    "published": item.published,
                    "language": item.language,
                    "language_prob": item.language_prob,
                    "text": item.text,
                    "text_hash": item.text_hash,
                    "duplicate_of": self._article_id(item.duplicate_of_url),
                    "matched_terms": json.dumps(item.matched_terms, ensure_ascii=False),
                    "crawled_at": item.crawled_at or utc_now(),
                    "crawl_run_id": self.run_id,
                    "source": item.source,
                    "capture_url": item.capture_url,
                    "captured_at": item.captured_at,
                },
                [stance_record(stance, self._id_by_name("actors", stance["actor"]), item.mentions.get(stance["actor"], []))
                 for stance in item.stances],
                minhash=item.minhash,
                band_keys=item.band_keys,
                supersedes_id=self._article_id(item.supersedes_url),
            )
            self._record_pages(item, "duplicate" if item.duplicate_of_url else "stored", None, article_id)
            if self.run_id is not None:  # counted with the article: a run killed later keeps a true count
                count_stored_article(self.db, self.run_id)
        self.stats.inc_value(counters.ARTICLES_STORED)
        counters.count(self.stats, item.outlet, counters.ARTICLES_NEW)
        logger.info("stored %s (%s, %d actors)", item.url, item.language, len(item.stances))
        return item


def stance_record(stance: dict, actor_id: int | None, mentions) -> dict:
    """A row of `stances` (without article_id) from the stance stage's dict and the mentions."""
    return {
        "actor_id": actor_id,
        **{key: stance[key] for key in ("label", "score", "confidence", "mentions", "evidence", "model")},
        "headline": int(stance["headline"]),
        "mentioned_as": json.dumps(mentioned_as(mentions), ensure_ascii=False),
    }


def mentioned_as(mentions) -> list[str]:
    """The distinct words an article names an actor by, in order of first appearance."""
    return list(dict.fromkeys(m.sentence[m.start:m.end] for m in mentions))

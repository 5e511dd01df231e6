"""Stage 7: write the article, its stances and its signature to SQLite in one transaction,
record what became of every fetched URL (`pages`), keep this run's crawl_runs row, and refresh
the dashboard's summary tables when the run ends.

Outlets and actors are upserted from the configuration files when the spider opens, so the
dashboard can name them. An article whose URL is already stored is left alone: re-running a
crawl never duplicates rows. A page dropped by an earlier stage (irrelevant, no text) is
recorded too, so the next run does not fetch it again.
"""

import json
import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler import lock
from crawler.config import load_actors
from crawler.database import open_database, utc_now
from crawler.health import HealthRules, check_run
from crawler.outlet_health import OutletHealthRules, alert_lines, assess_outlets
from crawler.storage import limit_size, storage_problem, store_article
from crawler.summaries import refresh_summaries

logger = logging.getLogger(__name__)


def run_counts(stats: dict) -> dict:
    """The crawl_runs counters, read from Scrapy's stats."""
    return {
        "pages_fetched": stats.get("response_received_count", 0),
        "articles_new": stats.get("articles/new", 0),
        "duplicates": stats.get("articles/duplicate", 0),
        "dropped": stats.get("articles/dropped/irrelevant", 0) + stats.get("articles/dropped/no_text", 0),
        "errors": stats.get("errors/count", 0),
    }


def run_status(reason: str, outlets: list, stats: dict) -> str:
    """ok; partial when some outlet could not be read at all (every feed, sitemap or section
    page failed); failed when all outlets failed or the crawl did not finish. (A health warning
    makes an ok run partial too: see spider_closed.)"""
    dead = [
        o.name for o in outlets
        if stats.get(f"outlets/{o.name}/discovery_failed") and not stats.get(f"outlets/{o.name}/discovery_ok")
    ]
    if reason != "finished" or (outlets and len(dead) == len(outlets)):
        return "failed"
    return "partial" if dead else "ok"


class StorePipeline:
    def __init__(self, db_path: str, actors_file: str, crawler):
        self.db_path = db_path
        self.actors_file = actors_file
        self.crawler = crawler
        self.stats = crawler.stats
        self.db = None
        self.run_id = None
        self.outlet_ids: dict[str, int] = {}
        self.actor_ids: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(settings.get("DB_PATH"), settings.get("ACTORS_FILE"), crawler)
        pipeline.max_size_mb = settings.getfloat("DB_MAX_SIZE_MB", 0)
        pipeline.health_rules = HealthRules.from_settings(settings)
        pipeline.outlet_health_rules = OutletHealthRules.from_settings(settings)
        pipeline.outlet_health_day = settings.get("OUTLET_HEALTH_DAY")
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self, spider=None):
        # `csto-monitor crawl` holds the lock already; `scrapy crawl` takes it here
        self.took_lock = lock.acquire(self.db_path)
        self.db = open_database(self.db_path)
        limit_size(self.db, self.max_size_mb)
        with self.db.atomic():
            # the lock is ours, so a run still marked running died without finishing (kill -9)
            self.db.execute("update crawl_runs set status = 'interrupted' where status = 'running'")
            for outlet in self.crawler.spider.outlets:
                self.outlet_ids[outlet.name] = self._upsert_by_name(
                    "outlets", {"name": outlet.name, "url": outlet.url, "country": outlet.country, "language": outlet.language}
                )
            for actor in load_actors(self.actors_file).actors:
                self.actor_ids[actor.name] = self._upsert_by_name("actors", {"name": actor.name, "kind": actor.kind})
            self.started = utc_now()
            self.run_id = self.db["crawl_runs"].insert({"started": self.started, "status": "running"}).last_pk
        self.stats.set_value("crawl_run/id", self.run_id)

    def _upsert_by_name(self, table: str, record: dict) -> int:
        row = self.db.execute(f"select id from [{table}] where name = ?", [record["name"]]).fetchone()
        if row:
            self.db[table].update(row[0], record)
            return row[0]
        return self.db[table].insert(record).last_pk

    def _article_id(self, url: str | None) -> int | None:
        if not url:
            return None
        row = self.db.execute("select id from articles where url = ?", [url]).fetchone()
        return row[0] if row else None

    def _record_pages(self, item, outcome: str, reason: str | None = None, article_id: int | None = None) -> None:
        self.db["pages"].upsert_all(
            [
                {"url": url, "outcome": outcome, "reason": reason, "article_id": article_id,
                 "http_status": 200, "fetched_at": item.crawled_at or utc_now(), "crawl_run_id": self.run_id}
                for url in dict.fromkeys([*item.fetched_urls, item.url])
            ],
            pk="url",
        )

    def item_dropped(self, item, response, exception, spider=None):
        """A page an earlier stage dropped: remember why, so it is not fetched again."""
        if self.crawler.stats.get_value("storage/error"):
            return
        try:
            with self.db.atomic():
                self._record_pages(item, "dropped", str(exception))
        except sqlite3.Error as error:
            self.storage_failed(error)

    def storage_failed(self, error: sqlite3.Error) -> None:
        """The database cannot be written (disk full, read-only): stop the crawl. The failed
        article's transaction was rolled back, so nothing is half-written; what was not stored
        is fetched again next run."""
        if not self.crawler.stats.get_value("storage/error"):
            self.crawler.stats.set_value("storage/error", storage_problem(self.db_path, error))
            logger.warning("crawl stopped: %s", self.crawler.stats.get_value("storage/error"))  # the command reports it
            self.crawler.engine.close_spider(self.crawler.spider, "storage_failed")

    def process_item(self, item):
        if self.crawler.stats.get_value("storage/error"):
            raise DropItem("not stored: the database cannot be written")
        try:
            return self._store(item)
        except sqlite3.Error as error:
            self.storage_failed(error)
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
                    "outlet_id": self.outlet_ids.get(item.outlet),
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
                },
                [
                    {
                        "actor_id": self.actor_ids[stance["actor"]],
                        **{key: stance[key] for key in ("label", "score", "confidence", "mentions", "evidence", "model")},
                    }
                    for stance in item.stances
                ],
                minhash=item.minhash,
                supersedes_id=self._article_id(item.supersedes_url),
            )
            self._record_pages(item, "duplicate" if item.duplicate_of_url else "stored", None, article_id)
        self.stats.inc_value("articles/new")
        self.stats.inc_value(f"outlets/{item.outlet}/articles_new")
        logger.info("stored %s (%s, %d actors)", item.url, item.language, len(item.stances))
        return item

    def spider_closed(self, spider, reason):
        """Finish this run's crawl_runs row once every page and item is done: counts, status,
        per-outlet yields and health warnings; then refresh the dashboard's summaries."""
        try:
            if not self.crawler.stats.get_value("storage/error"):
                self._finish_run(reason)
        except sqlite3.Error as error:
            self.storage_failed(error)
        finally:
            self.db.close()
            if self.took_lock:
                lock.release(self.db_path)

    def _finish_run(self, reason: str) -> None:
        stats = self.stats.get_stats()
        counts = run_counts(stats)
        status = run_status(reason, self.crawler.spider.outlets, stats)
        with self.db.atomic():
            spider = self.crawler.spider
            warnings = check_run(self.db, self.run_id, spider.outlets, self.outlet_ids, stats, self.health_rules,
                                 str(spider.sources))
            health = assess_outlets(self.db, self.run_id, self.started, spider.outlets, self.outlet_ids, stats,
                                    self.outlet_health_rules, self.outlet_health_day)
            alerts, notes = alert_lines(health)
            warnings += alerts
            if warnings and status == "ok":
                status = "partial"
            self.db["crawl_runs"].update(
                self.run_id,
                {"finished": utc_now(), "status": status, **counts, "warnings": json.dumps(warnings, ensure_ascii=False),
                 "notes": json.dumps(notes, ensure_ascii=False),
                 "stats": json.dumps(stats, default=str, sort_keys=True)},
            )
        for warning in warnings:
            logger.warning("health: %s", warning)
        for note in notes:
            logger.info("health: %s", note)
        days = refresh_summaries(self.db)
        logger.info("dashboard summaries refreshed for %s", "every day" if days < 0 else f"{days} publication days")
        logger.info("crawl run %s %s: %s", self.run_id, status, json.dumps(counts))

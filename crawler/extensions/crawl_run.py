"""The owner of a crawl run: the database's lock, this run's `crawl_runs` row, the outlets and
actors the dashboard names, and, when the spider closes, the per-outlet counts, health checks,
outlet health, the desk's reviews not yet applied (crawler/storage/reviews.py) and the refresh
of the dashboard's summary tables.

The lock is taken when the crawler is built, before any component opens the database
(`csto-monitor crawl` holds it already; `scrapy crawl` takes it here). The row is written when
the spider opens and finished when it closes; a crawl that dies in between leaves it `running`,
and the next run marks it `interrupted`. The store stage only writes articles: this extension
finds it through `crawler.get_item_pipeline` and hands it the run's id; when the spider closes it
reads whether the store stage could not write (`failure`). The outlets to read come from the
SOURCES_FILE setting (the spider sets it to what it was started with).
"""

import json
import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import counters
from crawler.config import load_actors, load_sources
from crawler.operations.health import HealthRules, check_run
from crawler.operations.outlet_health import OutletHealthRules, alert_lines, assess_outlets
from crawler.storage import lock
from crawler.storage.articles import storage_problem
from crawler.storage.database import open_database, utc_now
from crawler.storage.reviews import apply_desk_reviews
from crawler.storage.shifts import ShiftRules, refresh_shifts
from crawler.storage.summaries import refresh_summaries
from pipelines.store import StorePipeline, stop_crawl
from crawler.rules import rules_from_settings
from pipelines.actors import ActorFinder
from pipelines.names import NameFinder, read_names
from pipelines.stories import StoryRules, assign_stories

logger = logging.getLogger(__name__)

def run_counts(stats: dict) -> dict:
    """The crawl_runs counters, read from Scrapy's stats."""
    return {
        "pages_fetched": stats.get("response_received_count", 0) + stats.get(counters.RECORDS_READ, 0),
        "articles_new": stats.get(counters.ARTICLES_STORED, 0),
        "duplicates": stats.get(counters.DUPLICATES, 0),
        "dropped": stats.get(counters.DROPPED_IRRELEVANT, 0) + stats.get(counters.DROPPED_NO_TEXT, 0)
        + stats.get(counters.DROPPED_OUT_OF_PERIOD, 0),
        "errors": stats.get(counters.ERRORS_TOTAL, 0),
    }


def run_status(reason: str, outlets: list, stats: dict) -> str:
    """ok; partial when some outlet could not be read at all (every feed, sitemap or section
    page failed); failed when all outlets failed or the crawl did not finish. (A health warning
    makes an ok run partial too: see CrawlRun.finish.)"""
    dead = [o.name for o in outlets if counters.outlet_stat(stats, o.name, counters.DISCOVERY_FAILED)
            and not counters.outlet_stat(stats, o.name, counters.DISCOVERY_OK)]
    if reason != "finished" or (outlets and len(dead) == len(outlets)):
        return "failed"
    return "partial" if dead else "ok"


def upsert_by_name(db, table: str, record: dict) -> int:
    """The id of the row named record["name"], inserted or updated from `record`."""
    row = db.execute(f"select id from [{table}] where name = ?", [record["name"]]).fetchone()
    if row:
        db[table].update(row[0], record)
        return row[0]
    return db[table].insert(record).last_pk


class CrawlRun:
    """Scrapy extension (CRAWL_RUN_ENABLED): one run of the crawl in the database, start to end."""

    def __init__(self, crawler, db_path: str, actors_file: str, health_rules: HealthRules,
                 outlet_health_rules: OutletHealthRules, outlet_health_day: str | None, shift_rules: ShiftRules,
                 story_rules: StoryRules, sources_file: str, kind: str = "crawl", names_models: dict | None = None):
        self.crawler = crawler
        self.names_models = names_models or {}  # language -> NER model (pipelines/names.py)
        self.db_path = db_path
        self.sources_file = sources_file
        self.outlets = []  # sources.yml's, read when the run opens
        self.actors_file = actors_file
        self.health_rules = health_rules
        self.outlet_health_rules = outlet_health_rules
        self.outlet_health_day = outlet_health_day
        self.shift_rules = shift_rules
        self.story_rules = story_rules
        self.db = None
        self.run_id = None
        self.started = None
        self.outlet_ids: dict[str, int] = {}
        self.actors = ()  # actors.yml's, read when the run opens
        self.store = None  # the store stage (crawler.get_item_pipeline), told the run's id
        self.storage_failure: str | None = None  # why the database could not be written, once it could not
        self.kind = kind  # crawl, or backfill (crawler/spiders/archive.py)
        self.took_lock = lock.acquire(db_path)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("CRAWL_RUN_ENABLED"):
            raise NotConfigured("CRAWL_RUN_ENABLED is off (a fetch-only or check crawl writes no run)")
        extension = cls(crawler, settings.get("DB_PATH"), settings.get("ACTORS_FILE"), HealthRules.from_settings(settings),
                        OutletHealthRules.from_settings(settings), settings.get("OUTLET_HEALTH_DAY"),
                        rules_from_settings(ShiftRules, settings, "SHIFT_"), rules_from_settings(StoryRules, settings, "STORY_"),
                        settings.get("SOURCES_FILE"), settings.get("RUN_KIND"), settings.getdict("NAMES_MODELS"))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        self.store = self.crawler.get_item_pipeline(StorePipeline)
        self.outlets = load_sources(self.sources_file)
        self.db = open_database(self.db_path)
        try:
            with self.db.atomic():
                # the lock is ours, so a run still marked running died without finishing (kill -9)
                self.db.execute("update crawl_runs set status = 'interrupted' where status = 'running'")
                for outlet in self.outlets:
                    self.outlet_ids[outlet.name] = upsert_by_name(
                        self.db, "outlets",
                        {"name": outlet.name, "url": outlet.url, "country": outlet.country, "language": outlet.language,
                         "outlet_group": outlet.group or None})
                self.actors = load_actors(self.actors_file).actors
                for actor in self.actors:
                    upsert_by_name(self.db, "actors", {"name": actor.name, "kind": actor.kind})
                self.started = utc_now()
                self.run_id = self.db["crawl_runs"].insert({"started": self.started, "status": "running",
                                                            "kind": self.kind}).last_pk
        except sqlite3.Error as error:
            self.fail(error)
            return
        if self.store is not None:
            self.store.run_id = self.run_id

    def fail(self, error: sqlite3.Error) -> None:
        """The run's row cannot be written: stop the crawl (once)."""
        if self.storage_failure is None:
            self.storage_failure = storage_problem(self.db_path, error)
            stop_crawl(self.crawler, self.storage_failure)

    def spider_closed(self, spider, reason):
        """Finish this run's crawl_runs row once every page and item is done; release the lock."""
        if self.storage_failure is None and self.store is not None:
            self.storage_failure = self.store.failure
        try:
            if self.run_id is not None and self.storage_failure is None:
                self.finish(reason)
        except sqlite3.Error as error:
            self.storage_failure = self.storage_failure or storage_problem(self.db_path, error)
        finally:
            if self.db is not None:
                self.db.close()
            if self.took_lock:
                lock.release(self.db_path)

    def finish(self, reason: str) -> None:
        """Counts, status, per-outlet yields and health warnings; then the dashboard's summaries."""
        stats = self.crawler.stats.get_stats()
        counts = run_counts(stats)
        status = run_status(reason, self.outlets, stats)
        with self.db.atomic():
            warnings = check_run(self.db, self.run_id, self.outlets, self.outlet_ids, stats, self.health_rules,
                                 str(self.sources_file), quiet_check=self.kind == "crawl")
            notes = []
            if self.kind == "crawl":  # a backfill's volume is the archive's, not the outlet's today
                health = assess_outlets(self.db, self.run_id, self.started, self.outlets, self.outlet_ids, stats,
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
        reviewed = apply_desk_reviews(self.db, self.db_path)
        if reviewed:
            logger.info("desk reviews applied to articles of %d publication days", len(reviewed))
        days = refresh_summaries(self.db)
        logger.info("dashboard summaries refreshed for %s", "every day" if days < 0 else f"{days} publication days")
        placed = assign_stories(self.db, self.story_rules, ActorFinder(self.actors))
        logger.info("stories: %d articles placed", placed)
        named = read_names(self.db, NameFinder(ActorFinder(self.actors), self.names_models))
        logger.info("new names: %d articles read", named)
        shifts = refresh_shifts(self.db, self.shift_rules)
        logger.info("shifts: %d weeks in which an actor's volume or stance left its baseline", shifts)
        logger.info("crawl run %s %s: %s", self.run_id, status, json.dumps(counts))

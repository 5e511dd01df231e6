"""Scale-out: several crawl processes share one frontier in Redis; one of them writes SQLite.

    writer:    csto-monitor crawl --redis-url redis://HOST:6379 --db data/monitor.db
    fetchers:  csto-monitor crawl --redis-url redis://HOST:6379 --fetch-only     (any machine)

scrapy-redis replaces Scrapy's scheduler and duplicate filter by a queue and a set in Redis, so
every request (feeds, sitemaps, articles) is fetched by exactly one process. Fetchers run every
stage up to stance and push the finished items to a Redis list; the writer crawls like any
process, and also pops those items and runs them through its own dedupe and store stages: the
database keeps a single writer and a single duplicate index.

The keys of one night's run are named by `--redis-run` (default: today's UTC date, so processes
started by the same nightly schedule share a frontier): csto-monitor:RUN:requests, :dupefilter,
:items, :fetcher:ID (a heartbeat per live fetcher). The writer seeds the duplicate filter with
every page already in the database, waits while items arrive or a fetcher is alive, and deletes
the run's keys when it closes.
"""

import base64
from dataclasses import asdict, fields
from datetime import datetime, timezone
import json
import logging
import os
import socket

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from crawler import counters
from crawler.items import ArticleItem
from crawler.stages import item_pipelines
from crawler.urls import normalise_url

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
PRODUCED_FIELDS = {f.name for f in fields(ArticleItem)} - {"html", "mentions"}  # what dedupe and store read


def default_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def key(run: str, part: str) -> str:
    return f"csto-monitor:{run}:{part}"


def redis_settings(url: str, run: str, fetch_only: bool) -> dict:
    """The settings that turn a crawl into one process of a shared-frontier crawl."""
    settings = {
        "REDIS_URL": url,
        "REDIS_RUN": run,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": key(run, "requests"),
        "SCHEDULER_DUPEFILTER_KEY": key(run, "dupefilter"),
        "SCHEDULER_PERSIST": True,  # a process that finishes early must not empty the others' queue
        "SCRAPE_ROLE": "fetcher" if fetch_only else "writer",
    }
    if fetch_only:
        settings["ITEM_PIPELINES"] = item_pipelines(without=("dedupe", "store"),
                                                    add={"crawler.extensions.scale_out.PushToWriter": 700})
        settings["CRAWL_RUN_ENABLED"] = False  # the writer's run: a fetcher writes no database
        settings["CLEAN_TEMPLATES_IN_DB"] = False  # outlet boilerplate learned in memory only
        settings["DOWNLOADER_MIDDLEWARES"] = {  # those read and write the writer's database
            "crawler.middlewares.SkipFetchedPagesMiddleware": None,
            "crawler.middlewares.ConditionalGetMiddleware": None,
        }
    return settings


def encode_item(item: ArticleItem, dropped: str | None = None) -> str:
    record = {name: value for name, value in asdict(item).items() if name in PRODUCED_FIELDS}
    if record.get("minhash") is not None:
        record["minhash"] = base64.b64encode(record["minhash"]).decode()
    return json.dumps({"item": record, "dropped": dropped}, ensure_ascii=False)


def decode_item(text: str) -> tuple[ArticleItem, str | None]:
    record = json.loads(text)
    values = record["item"]
    if values.get("minhash") is not None:
        values["minhash"] = base64.b64decode(values["minhash"])
    return ArticleItem(**values), record["dropped"]


def connect(settings):
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


class PushToWriter:
    """Fetcher's last stage: hand each finished item (and each dropped page) to the writer."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = connect(crawler.settings)
        self.items = key(crawler.settings.get("REDIS_RUN"), "items")
        self.heartbeat_key = key(crawler.settings.get("REDIS_RUN"), f"fetcher:{socket.gethostname()}:{os.getpid()}")
        self.heartbeat = task.LoopingCall(self.beat)

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def beat(self) -> None:
        self.server.set(self.heartbeat_key, "alive", ex=HEARTBEAT_SECONDS * 4)

    def open_spider(self, spider=None):
        self.heartbeat.start(HEARTBEAT_SECONDS)

    def close_spider(self, spider=None):
        if self.heartbeat.running:
            self.heartbeat.stop()
        self.server.delete(self.heartbeat_key)

    def process_item(self, item):
        self.server.rpush(self.items, encode_item(item))
        self.crawler.stats.inc_value(counters.PUSHED)
        return item

    def item_dropped(self, item, response, exception, spider=None):
        self.server.rpush(self.items, encode_item(item, dropped=str(exception)))


class Writer:
    """Writer's extension: seeds the shared duplicate filter, stores what fetchers push, and
    keeps the crawl open until no fetcher is alive and no item is waiting."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = connect(crawler.settings)
        self.run = crawler.settings.get("REDIS_RUN")
        self.stages = []

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.get("SCRAPE_ROLE") != "writer":
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        from scrapy_redis.dupefilter import RFPDupeFilter

        from crawler.storage.database import open_database
        from crawler.storage.fetch_state import fetched_page_urls
        from pipelines.dedupe import DedupePipeline
        from pipelines.store import StorePipeline

        self.store = self.crawler.get_item_pipeline(StorePipeline)
        self.stages = [stage for stage in (self.crawler.get_item_pipeline(DedupePipeline), self.store) if stage is not None]
        shared = RFPDupeFilter(self.server, key(self.run, "dupefilter"))  # the frontier's own fingerprints
        db = open_database(self.crawler.settings.get("DB_PATH"))
        try:
            known = [shared.request_fingerprint(Request(normalise_url(url))) for url in fetched_page_urls(db)]
        finally:
            db.close()
        for start in range(0, len(known), 5000):
            self.server.sadd(key(self.run, "dupefilter"), *known[start : start + 5000])
        logger.info("shared frontier %s: %d known pages marked as seen", self.run, len(known))

    def drain(self) -> int:
        done = 0
        while (text := self.server.lpop(key(self.run, "items"))) is not None:
            item, dropped = decode_item(text.decode() if isinstance(text, bytes) else text)
            if dropped is not None:
                self.store.item_dropped(item, None, dropped)
            else:
                self.store_pushed(item)
            done += 1
        return done

    def store_pushed(self, item: ArticleItem) -> None:
        from scrapy.exceptions import DropItem

        try:
            for stage in self.stages:
                item = stage.process_item(item)
            self.crawler.stats.inc_value("articles/from_fetchers")
        except DropItem as reason:
            logger.warning("item from a fetcher not stored: %s", reason)

    def fetchers_alive(self) -> bool:
        return any(True for _ in self.server.scan_iter(key(self.run, "fetcher:*")))

    def spider_idle(self, spider):
        if self.drain() or self.fetchers_alive() or self.server.llen(key(self.run, "items")):
            raise DontCloseSpider

    def spider_closed(self, spider, reason):
        self.server.delete(*(key(self.run, part) for part in ("requests", "dupefilter", "items")))

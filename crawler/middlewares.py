"""Downloader middleware: never fetch an article page that is already in the database."""

import logging

from scrapy import signals
from scrapy.exceptions import IgnoreRequest

from crawler.database import open_database

logger = logging.getLogger(__name__)


class SkipStoredArticlesMiddleware:
    """Ignores article requests whose URL is already stored, so a nightly run only fetches
    what is new. The database is the state: nothing is kept between runs in memory."""

    def __init__(self, db_path: str, stats):
        self.db_path = db_path
        self.stats = stats
        self.stored: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.settings.get("DB_PATH"), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider):
        db = open_database(self.db_path)
        self.stored = {url for (url,) in db.execute("select url from articles").fetchall()}
        db.close()
        logger.info("%d article URLs already stored will not be fetched again", len(self.stored))

    def process_request(self, request, spider=None):
        if request.meta.get("article") and request.url in self.stored:
            self.stats.inc_value("articles/skipped_stored")
            raise IgnoreRequest(f"already stored: {request.url}")
        return None

"""Downloader middlewares for incremental, polite nightly runs.

- SkipFetchedPagesMiddleware: never fetch an article URL again whose outcome is known
  (stored, a copy, or dropped as irrelevant), unless the run is a refresh.
- ConditionalGetMiddleware: re-read feeds and sitemaps with If-None-Match / If-Modified-Since,
  so an unchanged feed costs a 304.
- RetryAfterMiddleware: Scrapy's retries, plus a wait before retrying a 429 or 503: the
  server's Retry-After when it sends one, else an exponential backoff.
- RedirectLoopMiddleware: placed before Scrapy's RedirectMiddleware, it reports a redirect back
  to a URL of the same chain as a loop instead of letting it vanish silently in the duplicate filter.

The database is the state that outlives a run (crawler/storage/fetch_state.py): nothing is kept
in memory between runs. What a run was started with (a refresh) comes from the settings.
"""

import asyncio
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
import logging

from urllib.parse import urljoin

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest
from w3lib.url import safe_url_string

from crawler.storage.database import open_database, utc_now
from crawler.storage.fetch_state import feed_validators, known_article_urls, save_feed_validators

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class AlreadyFetched(IgnoreRequest):
    """The article URL's outcome is known from an earlier run: not an error."""


class RedirectLoop(IgnoreRequest):
    """A redirect chain came back to a URL it had already visited."""


class SkipFetchedPagesMiddleware:
    def __init__(self, db_path: str, refresh: bool, stats):
        self.db_path = db_path
        self.refresh = refresh
        self.stats = stats
        self.known: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.settings.get("DB_PATH"), crawler.settings.getbool("CRAWL_REFRESH"), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider):
        if self.refresh:
            logger.info("refresh: article pages already fetched will be fetched again")
            return
        db = open_database(self.db_path)
        try:
            self.known = known_article_urls(db)
        finally:
            db.close()
        logger.info("%d article URLs with a known outcome will not be fetched again", len(self.known))

    def process_request(self, request, spider=None):
        if request.meta.get("article") and request.url in self.known:
            self.stats.inc_value("articles/skipped_known")
            raise AlreadyFetched(f"already fetched: {request.url}")
        return None


def may_pass(response=None) -> bool:
    """A failure that may not happen next time: no answer (timeout, refused), a 5xx or a 429."""
    return response is None or response.status >= 500 or response.status == 429


class ConditionalGetMiddleware:
    """For requests with meta["conditional"] (feeds, sitemaps): send the validators stored
    from the last fetch, and store the new ones, but only when the run finishes, and not for a
    feed or sitemap through which a request failed for a reason that may pass (timeout, 5xx;
    such a request carries its feeds in meta["via"]): a run killed half-way, or an article that
    failed that way, leaves the old validators, so the next run reads the feed again instead of
    getting a 304 while articles it lists are unstored."""

    def __init__(self, db_path: str, refresh: bool, stats):
        self.db_path = db_path
        self.refresh = refresh
        self.stats = stats
        self.db = None
        self.validators: dict[str, dict] = {}  # url -> its feed_state row, saved when the run ends
        self.failed_via: set[str] = set()  # feeds and sitemaps that listed a request that may pass next time

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.settings.get("DB_PATH"), crawler.settings.getbool("CRAWL_REFRESH"), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider):
        self.db = open_database(self.db_path)

    def spider_closed(self, spider, reason):
        try:
            if reason == "finished":
                save_feed_validators(self.db, [row for url, row in self.validators.items() if url not in self.failed_via])
        finally:
            self.db.close()

    def process_request(self, request, spider=None):
        if not request.meta.get("conditional") or self.refresh:
            return None
        etag, last_modified = feed_validators(self.db, request.url)
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))
        return None

    def process_response(self, request, response, spider=None):
        if may_pass(response) and request.meta.get("via"):
            self.failed_via.update(request.meta["via"])
        if not request.meta.get("conditional"):
            return response
        if response.status == 304:
            self.stats.inc_value("feeds/not_modified")
        elif response.status == 200:
            header = lambda name: (response.headers.get(name) or b"").decode("latin-1") or None  # noqa: E731
            self.validators[request.url] = {
                "url": request.url, "etag": header(b"ETag"), "last_modified": header(b"Last-Modified"),
                "http_status": response.status, "checked_at": utc_now(),
            }
        return response

    def process_exception(self, request, exception, spider=None):
        if not isinstance(exception, IgnoreRequest) and request.meta.get("via"):
            self.failed_via.update(request.meta["via"])
        return None


def retry_after_seconds(value: bytes | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Waits before retrying a 429 or 503 (Retry-After, else RETRY_BACKOFF_BASE * 2**attempt),
    never longer than RETRY_AFTER_MAX seconds; other retries are Scrapy's own."""

    WAIT_STATUSES = (429, 503)

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX")

    async def process_response(self, request, response, spider=None):
        if response.status not in self.WAIT_STATUSES or request.meta.get("dont_retry"):
            return super().process_response(request, response)
        attempt = request.meta.get("retry_times", 0)
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            wait = self.backoff_base * 2**attempt
        wait = min(wait, self.max_wait)
        retry = get_retry_request(request, spider=self.crawler.spider, reason=f"{response.status} (waited {wait:.1f}s)",
                                  give_up_log_level=self.give_up_log_level)
        if retry is None:
            return response
        logger.info("%s answered %s: retrying in %.1fs", request.url, response.status, wait)
        await asyncio.sleep(wait)
        return retry


class RedirectLoopMiddleware:
    """Before Scrapy's RedirectMiddleware: a redirect to a URL the chain has visited already
    (its own included) ends the request as a RedirectLoop, which the spider reports."""

    def process_response(self, request, response, spider=None):
        location = response.headers.get(b"Location")
        if response.status not in REDIRECT_STATUSES or not location or request.meta.get("dont_redirect"):
            return response
        target = urljoin(request.url, safe_url_string(location.decode("latin-1")))
        if target in (*request.meta.get("redirect_urls", []), request.url):
            raise RedirectLoop(f"redirect loop back to {target}")
        return response

"""The `outlets` spider: discover articles through each outlet's feeds, sitemaps and section
pages, and hand every article page to the pipelines.

    scrapy crawl outlets -a sources=sources.yml [-a since=2024-01-01] [-a refresh=1] -s DB_PATH=data/monitor.db

Discovery uses libraries, not hand-written parsers: feedparser for RSS 2.0 / RSS 1.0 / Atom,
Scrapy's own sitemap parser (the one SitemapSpider uses; sitemap indexes, urlsets, Google News
`<news:publication_date>`), LinkExtractor for section pages. Entries dated before `since`
(default: per outlet, the start of the last run that read the outlet without a failure) are
not fetched. An entry that cannot be fetched (a `javascript:` link, a malformed URL) is skipped
with a warning and counted; the rest of the document is read, and the outlet's cut-off does not
move past it (crawler/storage/database.py, last_read_starts).

Check mode (`csto-monitor check-outlets`) is its own spider, crawler/spiders/check.py.
"""

from datetime import date
import logging
import re
import time
from urllib.parse import urlsplit

from charset_normalizer import from_bytes
import feedparser
import scrapy
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip, gzip_magic_number
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawler import counters
from crawler.config import Outlet, load_sources
from crawler.sitemaps import SitemapDocument
from crawler.storage.database import last_read_starts, utc_now
from crawler.items import ArticleItem
from crawler.middlewares import AlreadyFetched, may_pass
from crawler.urls import article_identity, normalise_url

HTML_TYPES = (b"text/html", b"application/xhtml+xml")
WEB_SCHEMES = ("http", "https")


def is_html(content_type: str | bytes | None) -> bool:
    """Whether a Content-Type (bytes from Scrapy's headers, text from a CDX line) is an HTML page's."""
    value = content_type.decode("latin-1") if isinstance(content_type, bytes) else (content_type or "")
    return value.split(";")[0].strip().lower().encode() in HTML_TYPES


def parse_since(value) -> str | None:
    """A cut-off date as 'YYYY-MM-DD', or None; raises ValueError with a readable message."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise ValueError(f"since must be a date like 2024-01-01, not {text!r}") from None


def truthy(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class OutletsSpider(scrapy.Spider):
    name = "outlets"

    def __init__(self, sources: str | None = None, since: str | None = None, refresh=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = sources
        self.since = parse_since(since)
        self.refresh = truthy(refresh) if refresh is not None else False
        self.outlets: list[Outlet] = []
        self.since_by_outlet: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        logging.getLogger("scrapy.core.downloader.handlers.http11").addFilter(reported_by_spider)
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(robots_failure_as_warning)
        settings = crawler.settings
        spider.sources = spider.sources or settings.get("SOURCES_FILE")
        spider.outlets = load_sources(spider.sources)
        spider.refresh = spider.refresh or settings.getbool("CRAWL_REFRESH")
        spider.since = spider.since or parse_since(settings.get("CRAWL_SINCE"))
        # the other components (the run, the middlewares) read what the spider was started with
        # from the settings, which are not frozen until the spider is built
        settings.set("SOURCES_FILE", str(spider.sources), "spider")
        settings.set("CRAWL_REFRESH", spider.refresh, "spider")
        if spider.since is None and not spider.refresh:
            starts = last_read_starts(settings.get("DB_PATH"), {o.name: counters.read_without_failure(o.name) for o in spider.outlets})
            spider.since_by_outlet = {name: parse_since(started) for name, started in starts.items()}
        settings.set("DOWNLOAD_SLOTS", {**settings.getdict("DOWNLOAD_SLOTS"), **outlet_slots(spider.outlets)}, "spider")
        return spider

    # --- discovery ---------------------------------------------------------------------------
    async def start(self):
        if self.since:
            self.logger.info("only entries dated %s or later are fetched", self.since)
        for name, day in self.since_by_outlet.items():
            self.logger.info("%s: only entries dated %s or later are fetched (its last good run)", name, day)
        for outlet in self.outlets:
            for url in outlet.feeds:
                yield self._discovery_request(url, self.parse_feed, outlet)
            for url in outlet.sitemaps:
                yield self._discovery_request(url, self.parse_sitemap, outlet)
            for url in outlet.start_urls:
                yield self._request(url, self.parse_section, outlet, discovery=True, section_page=1)

    def _request(self, url: str, callback, outlet: Outlet, **meta) -> scrapy.Request:
        request = scrapy.Request(url, callback=callback, errback=self.on_error, cb_kwargs={"outlet": outlet}, meta=meta)
        counters.count(self.crawler.stats, outlet.name, counters.REQUESTS)
        return request

    def _discovery_request(self, url: str, callback, outlet: Outlet, via: tuple = ()) -> scrapy.Request:
        return self._request(url, callback, outlet, via=via, **self._discovery_meta())

    def _discovery_meta(self) -> dict:
        """Feeds and sitemaps: re-read with conditional requests (a 304 reaches the callback);
        they may be as large as the sitemap protocol allows (DISCOVERY_MAXSIZE)."""
        return {"discovery": True, "conditional": True, "handle_httpstatus_list": [304],
                "download_maxsize": self.crawler.settings.getint("DISCOVERY_MAXSIZE")}

    def _article_requests(self, found: list[tuple[str, str | None]], outlet: Outlet, via: tuple = ()):
        """Requests for the article links (URL, day) a feed, sitemap or section page listed."""
        counters.count(self.crawler.stats, outlet.name, counters.LISTED, len(found))
        for url, _ in found:
            request = self._entry_request(url, self.parse_article, outlet, via, article=True)
            if request is not None:
                yield request

    def _entry_request(self, url: str, callback, outlet: Outlet, via: tuple, **meta) -> scrapy.Request | None:
        """The request for one listed link, or None (a warning, counted) when it cannot be fetched:
        one bad entry never costs the rest of its feed or sitemap."""
        problem = None
        if urlsplit(url).scheme.lower() not in WEB_SCHEMES:
            problem = "not a web address"
        else:
            try:
                return self._request(normalise_url(url) if meta.get("article") else url, callback, outlet, via=via, **meta)
            except ValueError as error:
                problem = str(error)
        counters.count(self.crawler.stats, outlet.name, counters.BAD_ENTRIES)
        self.record_error(url, f"{problem} (listed by {via[-1] if via else 'a section page'}); skipped, the rest is read",
                          outlet=outlet)
        return None

    @staticmethod
    def via(response) -> tuple:
        """The feeds and sitemaps that led to `response`, itself included: a request found
        through them that fails for a reason that may pass (timeout, 5xx) keeps them from being
        marked unchanged (see on_error)."""
        return (*response.meta.get("via", ()), response.request.url)

    def _recent(self, day: str | None, outlet: Outlet) -> bool:
        since = self.since or self.since_by_outlet.get(outlet.name)
        return not (since and day and day[:10] < since)

    def discovery_ok(self, outlet: Outlet) -> None:
        """A feed, sitemap or section page of the outlet answered with something readable."""
        counters.count(self.crawler.stats, outlet.name, counters.DISCOVERY_OK)

    def unchanged(self, response, outlet: Outlet) -> bool:
        """True for a 304: the feed or sitemap has not changed since the last run."""
        if response.status == 304:
            self.discovery_ok(outlet)
            return True
        return False

    def parse_feed(self, response, outlet: Outlet):
        """RSS 2.0, RSS 1.0 and Atom, read by feedparser."""
        if self.unchanged(response, outlet):
            return
        feed = feedparser.parse(response.body)
        if not feed.entries:
            problem = f"not a readable feed ({feed.get('bozo_exception')})" if feed.bozo else "feed has no entries"
            self.record_error(response.url, problem, outlet)
            return
        self.discovery_ok(outlet)
        found = []
        for entry in feed.entries:
            link = entry.get("link")
            if not link:
                continue
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            day = time.strftime("%Y-%m-%d", stamp) if stamp else None
            if self._recent(day, outlet):
                found.append((urljoin_or_keep(response, link), day))
            else:
                self.crawler.stats.inc_value("discovery/older_than_since")
        yield from self._article_requests(found, outlet, self.via(response))

    def parse_sitemap(self, response, outlet: Outlet):
        """Sitemap indexes, sitemaps and Google News sitemaps, read by Scrapy's own streaming
        sitemap parser, with the `since` cut-off on <lastmod> or <news:publication_date>."""
        if self.unchanged(response, outlet):
            return
        body = response.body
        if gzip_magic_number(response):
            body = gunzip(body, max_size=self.crawler.settings.getint("DISCOVERY_MAXSIZE"))
        try:
            sitemap = SitemapDocument(body)
        except Exception as error:  # lxml raises several kinds on a body that is not XML
            self.record_error(response.url, f"not a readable sitemap ({error})", outlet)
            return
        if sitemap.type not in ("sitemapindex", "urlset"):
            self.record_error(response.url, f"not a readable sitemap (root element <{sitemap.type}>)", outlet)
            return
        self.discovery_ok(outlet)
        found = []
        for entry in sitemap:
            location = urljoin_or_keep(response, entry["loc"])
            day = entry.get("publication_date") or entry.get("lastmod")
            if not self._recent(day, outlet):
                self.crawler.stats.inc_value("discovery/older_than_since")
            elif sitemap.type == "sitemapindex":
                request = self._entry_request(location, self.parse_sitemap, outlet, self.via(response), **self._discovery_meta())
                if request is not None:
                    yield request
            else:
                found.append((location, day))
        yield from self._article_requests(found, outlet, self.via(response))

    def parse_section(self, response, outlet: Outlet):
        """A section or tag page: article links matching the outlet's `follow` patterns, then
        the next page (rel="next"), at most SECTION_MAX_PAGES pages per start URL."""
        self.discovery_ok(outlet)
        articles = LinkExtractor(allow=outlet.follow or (r".",))
        found = [(link.url, None) for link in articles.extract_links(response) if outlet.owns(link.url)]
        yield from self._article_requests(found, outlet)
        page = response.meta.get("section_page", 1)
        if page >= self.section_max_pages():
            return
        for link in LinkExtractor(restrict_css=('a[rel~="next"]', 'link[rel~="next"]'), tags=("a", "link")).extract_links(response):
            yield self._request(link.url, self.parse_section, outlet, discovery=True, section_page=page + 1)

    def section_max_pages(self) -> int:
        return self.crawler.settings.getint("SECTION_MAX_PAGES")

    # --- articles ----------------------------------------------------------------------------
    def parse_article(self, response, outlet: Outlet):
        counters.count(self.crawler.stats, outlet.name, counters.PAGES)
        content_type = response.headers.get(b"Content-Type", b"text/html")
        if not is_html(content_type) or not isinstance(response, TextResponse):
            shown = content_type.split(b";")[0].strip().lower().decode(errors="replace")
            self.record_error(response.url, f"not an HTML page ({shown})", outlet=outlet)
            return
        html = decoded_html(response)
        page = scrapy.Selector(text=html)
        canonical = page.css('link[rel="canonical"]::attr(href)').get() or page.css('meta[property="og:url"]::attr(content)').get()
        canonical = response.urljoin(canonical.strip()) if canonical else None
        yield ArticleItem(
            url=article_identity(response.url, canonical),
            outlet=outlet.name,
            html=html,
            canonical_url=canonical,
            fetched_urls=sorted({response.request.url, *response.meta.get("redirect_urls", []), normalise_url(response.url)}),
            crawled_at=utc_now(),
        )

    # --- problems ----------------------------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        outlet = request.cb_kwargs.get("outlet")
        if failure.check(AlreadyFetched) or "Forbidden by robots.txt" in str(failure.value):
            self.crawler.stats.inc_value("requests/ignored")  # expected, not an error
            return
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        elif failure.check(DownloadCancelledError):
            reason = f"larger than the size cap ({request.meta.get('download_maxsize') or self.crawler.settings.getint('DOWNLOAD_MAXSIZE')} bytes)"
        else:
            reason = failure.getErrorMessage() or failure.type.__name__
        if may_pass(response):
            # may work next time: its date must not fall before the next run's cut-off
            # (crawler.storage.database.last_read_starts; the feeds that listed it are not
            # answered with a 304 either: crawler/middlewares.py)
            if outlet is not None:
                counters.count(self.crawler.stats, outlet.name, counters.TRANSIENT_FAILURES)
        first_url = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL as discovered
        self.record_error(first_url, reason, outlet if request.meta.get("discovery") else None, outlet)

    def record_error(self, url: str, reason: str, discovery_of: Outlet | None = None, outlet: Outlet | None = None) -> None:
        """Log a problem once with its URL and count it in the run's errors and its outlet's; a
        failed feed, sitemap or section page also counts against the outlet's discovery."""
        reason = re.sub(r"\s+", " ", reason)[:200]
        self.logger.warning("skipped %s: %s", url, reason)
        stats = self.crawler.stats
        stats.inc_value(counters.ERRORS_TOTAL)
        outlet = outlet or discovery_of
        if outlet is not None:
            counters.count(stats, outlet.name, counters.ERRORS)
        if discovery_of is not None:
            counters.count(stats, discovery_of.name, counters.DISCOVERY_FAILED)
            counters.note_first_error(stats, discovery_of.name, f"{url}: {reason}")


def urljoin_or_keep(response, link: str) -> str:
    """`link` made absolute against the page; as it is when it cannot be (the request for it
    then reports the problem)."""
    try:
        return response.urljoin(link)
    except ValueError:
        return link


def reported_by_spider(record: logging.LogRecord) -> bool:
    """Scrapy warns about a page over the size cap; the spider's errback reports the same
    problem once with its URL, so Scrapy's line is left out."""
    return "larger than download max size" not in record.getMessage()


def robots_failure_as_warning(record: logging.LogRecord) -> bool:
    """Scrapy logs a robots.txt it could not download as an error with a traceback; for an
    outlet that is down (cron mails every error line) it is one warning line: the outlet's own
    requests fail next, and the spider reports and counts them."""
    if record.levelno > logging.WARNING:  # "Error downloading <robots.txt>: <the reason>", with a traceback
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


def decoded_html(response: TextResponse) -> str:
    """The page as text. Scrapy decodes by the HTTP header, a BOM or the page's meta tag. A page
    that declares no charset at all, or declares UTF-8 but is not valid UTF-8 (a wrong header
    on an old windows-1251 site), is decoded by charset detection (charset_normalizer) instead
    of Scrapy's guess, which garbles Cyrillic in windows-1251 or KOI8-R."""
    header = response.headers.get(b"Content-Type", b"").decode("latin-1")
    declared = http_content_type_encoding(header) or html_body_declared_encoding(response.body)
    if declared and declared.replace("-", "").lower() not in ("utf8", "utf8sig"):
        return response.text
    try:
        return response.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(response.body).best()
        return str(best) if best is not None else response.text


def outlet_slots(outlets: list[Outlet]) -> dict:
    """DOWNLOAD_SLOTS for outlets that set their own delay or concurrency in sources.yml."""
    slots = {}
    for outlet in outlets:
        slot = {key: value for key, value in (("delay", outlet.delay), ("concurrency", outlet.concurrency)) if value is not None}
        if slot:
            slots[urlsplit(outlet.url).hostname] = slot
    return slots

"""The `outlets` spider: discover articles through each outlet's feeds, sitemaps and section
pages, and hand every article page to the pipelines.

    scrapy crawl outlets -a sources=sources.yml -s DB_PATH=data/monitor.db
"""

from datetime import datetime, timezone
import re

import feedparser
import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import Sitemap

from crawler.config import Outlet, load_sources
from crawler.items import ArticleItem

HTML_TYPES = (b"text/html", b"application/xhtml+xml")


class OutletsSpider(scrapy.Spider):
    name = "outlets"

    def __init__(self, sources: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = sources
        self.outlets: list[Outlet] = []

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.sources = spider.sources or crawler.settings.get("SOURCES_FILE")
        spider.outlets = load_sources(spider.sources)
        return spider

    async def start(self):
        for outlet in self.outlets:
            for url in outlet.feeds:
                yield self._request(url, self.parse_feed, outlet)
            for url in outlet.sitemaps:
                yield self._request(url, self.parse_sitemap, outlet)
            for url in outlet.start_urls:
                yield self._request(url, self.parse_section, outlet)

    def _request(self, url: str, callback, outlet: Outlet, **meta) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, cb_kwargs={"outlet": outlet}, meta=meta
        )

    def _article_request(self, url: str, outlet: Outlet, **meta) -> scrapy.Request:
        return self._request(url, self.parse_article, outlet, article=True, **meta)

    def parse_feed(self, response, outlet: Outlet):
        """RSS 2.0, RSS 1.0 and Atom, read by feedparser."""
        feed = feedparser.parse(response.body)
        if feed.bozo and not feed.entries:
            self.record_error(response.url, f"not a readable feed ({feed.get('bozo_exception')})")
            return
        for entry in feed.entries:
            link = entry.get("link")
            if link:
                yield self._article_request(response.urljoin(link), outlet)

    def parse_sitemap(self, response, outlet: Outlet):
        """Sitemaps and sitemap indexes, read by Scrapy's own sitemap parser."""
        try:
            sitemap = Sitemap(response.body)
        except Exception as error:  # lxml raises several kinds on a body that is not XML
            self.record_error(response.url, f"not a readable sitemap ({error})")
            return
        for entry in sitemap:
            location = entry.get("loc")
            if not location:
                continue
            if sitemap.type == "sitemapindex":
                yield self._request(location, self.parse_sitemap, outlet)
            else:
                yield self._article_request(location, outlet, lastmod=entry.get("lastmod"))

    def parse_section(self, response, outlet: Outlet):
        """A section or tag page: article links matching the outlet's `follow` patterns, then
        the next page (rel="next"), up to DEPTH_LIMIT pages deep."""
        articles = LinkExtractor(allow=outlet.follow or (r".",), allow_domains=(), unique=True)
        for link in articles.extract_links(response):
            if outlet.owns(link.url):
                yield self._article_request(link.url, outlet)
        for link in LinkExtractor(restrict_css=('a[rel~="next"]',)).extract_links(response):
            yield self._request(link.url, self.parse_section, outlet)

    def parse_article(self, response, outlet: Outlet):
        content_type = response.headers.get(b"Content-Type", b"text/html").split(b";")[0].strip().lower()
        if content_type not in HTML_TYPES or not isinstance(response, scrapy.http.TextResponse):
            self.record_error(response.url, f"not an HTML page ({content_type.decode(errors='replace')})")
            return
        canonical = response.css('link[rel="canonical"]::attr(href)').get() or response.css(
            'meta[property="og:url"]::attr(content)'
        ).get()
        yield ArticleItem(
            url=response.url,
            outlet=outlet.name,
            html=response.text,
            canonical_url=response.urljoin(canonical) if canonical else None,
            crawled_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )

    def on_error(self, failure):
        request = failure.request
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            # robots.txt said no, or the article is already stored: not an error
            self.crawler.stats.inc_value("requests/ignored")
            return
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage() or failure.type.__name__
        self.record_error(request.url, reason)

    def record_error(self, url: str, reason: str) -> None:
        """Log a problem once with its URL and count it in the run's errors."""
        self.logger.warning("skipped %s: %s", url, re.sub(r"\s+", " ", reason)[:200])
        self.crawler.stats.inc_value("errors/count")

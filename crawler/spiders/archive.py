"""The `archive` spider (`csto-monitor backfill`): an outlet's history from a web archive or WARC files.

    scrapy crawl archive -a sources=sources.yml -a archive=http://127.0.0.1:8080/coll \\
        -a period_from=2025-01-01 -a period_until=2025-12-31 -s DB_PATH=data/monitor.db -s RUN_KIND=backfill
    scrapy crawl archive -a sources=sources.yml -a warc=a.warc.gz,b.warc ...

- A web archive (`archive`): per outlet, its CDX server lists the captures under the outlet's URL
  in the period and up to BACKFILL_CAPTURED_AFTER_DAYS after it (`ARCHIVE/cdx`, or the Internet
  Archive's, BACKFILL_WAYBACK_*); per original URL the earliest capture with status 200 and an
  HTML type is fetched as it was archived (`ARCHIVE/TIMESTAMPid_/URL`), a redirect capture
  followed within the archive. The archive's
  HTTP goes through Scrapy: politeness, AutoThrottle, retries and Retry-After as for a crawl.
- WARC or ARC files (`warc`, gzipped or not, read with warcio): every response record with status
  200 and an HTML type under an outlet's URL, the first per URL. A truncated or corrupt record is
  one warning, counted, and the rest of the files is read.

Each page becomes the same ArticleItem a crawl makes (OutletsSpider.parse_article), under its
original URL, with where it came from (`source`, `capture_url`, `captured_at`) and the period,
which the relevance stage holds its publication date to. URLs whose outcome is already known
(stored by a crawl or an earlier backfill, or dropped) are not read again: a backfill run twice,
or run again after being killed, stores nothing twice and continues where it stopped.
"""

from datetime import date, datetime, timedelta
import json
from pathlib import Path
from urllib.parse import quote, urlsplit

import scrapy
from scrapy.http import HtmlResponse, Headers

from crawler import counters
from crawler.config import load_sources
from crawler.middlewares import REDIRECT_STATUSES
from crawler.spiders.outlets import OutletsSpider, is_html, parse_since, truthy
from crawler.storage.database import open_database
from crawler.storage.fetch_state import known_article_urls
from crawler.urls import normalise_url

def capture_time(timestamp: str) -> str:
    """A CDX or WARC timestamp (20250314123000, or ISO 8601) as ISO 8601 UTC to the second."""
    if timestamp[:4].isdigit() and "-" not in timestamp[:8]:
        return datetime.strptime(timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").isoformat() + "+00:00"
    return timestamp.replace("Z", "+00:00")[:25]


def cdx_rows(text: str) -> list[dict]:
    """A CDX server's JSON answer as dicts: JSON lines of objects (pywb), or one array of arrays
    whose first row names the fields (the Internet Archive)."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        table = json.loads(text)
        return [dict(zip(table[0], row)) for row in table[1:]] if table else []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class ArchiveSpider(OutletsSpider):
    name = "archive"

    def __init__(self, sources=None, archive=None, warc=None, period_from=None, period_until=None, dry_run=None,
                 *args, **kwargs):
        super().__init__(sources, *args, **kwargs)
        self.archive = archive.rstrip("/") if archive else None
        self.warc_files = [Path(p) for p in (warc.split(",") if isinstance(warc, str) else warc or [])]
        self.period = (parse_since(period_from) or "0001-01-01", parse_since(period_until) or "9999-12-31")
        self.dry_run = truthy(dry_run)
        self.known: set[str] = set()
        self.found: dict[str, int] = {}  # outlet -> captures of articles to read (what --dry-run prints)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super(OutletsSpider, cls).from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.sources = spider.sources or settings.get("SOURCES_FILE")
        spider.outlets = load_sources(spider.sources)
        settings.set("SOURCES_FILE", str(spider.sources), "spider")
        if not spider.dry_run:
            db = open_database(settings.get("DB_PATH"))
            try:
                spider.known = known_article_urls(db)
            finally:
                db.close()
        return spider

    # --- where the captures are --------------------------------------------------------------
    def cdx_url(self, outlet) -> str:
        if self.archive == "wayback":
            base = self.crawler.settings.get("BACKFILL_WAYBACK_CDX")
        else:
            base = f"{self.archive}/cdx"
        return (f"{base}?url={quote(outlet.url, safe='')}&matchType=prefix&output=json"
                f"&from={self.period[0].replace('-', '')}&to={self.captured_until().replace('-', '')}")

    def captured_until(self) -> str:
        """The last day of captures listed: an article is often archived days after it was
        published, so captures up to BACKFILL_CAPTURED_AFTER_DAYS after --until are read too (their
        publication date must still be in the period)."""
        if self.period[1] >= "9999":
            return self.period[1]
        later = date.fromisoformat(self.period[1]) + timedelta(days=self.crawler.settings.getint("BACKFILL_CAPTURED_AFTER_DAYS"))
        return later.isoformat()

    def capture_url(self, timestamp: str, original: str) -> str:
        base = self.crawler.settings.get("BACKFILL_WAYBACK_CAPTURES") if self.archive == "wayback" else self.archive
        return f"{base}/{timestamp}id_/{original}"

    def outlet_of(self, url: str):
        return next((o for o in self.outlets if url.startswith(o.url) or
                     urlsplit(url).netloc == urlsplit(o.url).netloc), None)

    async def start(self):
        self.logger.info("backfill of %s to %s from %s", *self.period,
                         self.archive or ", ".join(p.name for p in self.warc_files))
        if self.warc_files:
            for path in self.warc_files:
                for item in self.read_warc(path):
                    yield item
            return
        for outlet in self.outlets:
            yield self._request(self.cdx_url(outlet), self.parse_cdx, outlet, **{"discovery": True})

    def wanted(self, outlet, url: str) -> bool:
        """Whether a capture of `url` is one to read: not read already (in this run or before)."""
        key = normalise_url(url)
        if key in self.known or url in self.known:
            counters.count(self.crawler.stats, outlet.name, "captures_known")
            self.crawler.stats.inc_value(counters.CAPTURES_SKIPPED)
            return False
        self.known.add(key)
        self.found[outlet.name] = self.found.get(outlet.name, 0) + 1
        self.crawler.stats.inc_value(counters.CAPTURES_FOUND)
        return True

    # --- a web archive -----------------------------------------------------------------------
    def parse_cdx(self, response, outlet):
        counters.count(self.crawler.stats, outlet.name, counters.DISCOVERY_OK)
        try:
            rows = cdx_rows(response.text)
        except ValueError as error:
            self.record_error(response.url, f"not a CDX answer ({error})", discovery_of=outlet)
            return
        chosen: dict[str, dict] = {}
        for row in sorted(rows, key=lambda r: str(r.get("timestamp", ""))):
            status, mime = str(row.get("status") or row.get("statuscode") or ""), row.get("mime") or row.get("mimetype")
            original = row.get("url") or row.get("original")
            if not original or not (status == "200" and is_html(mime) or status.isdigit() and int(status) in REDIRECT_STATUSES):
                self.crawler.stats.inc_value(counters.CAPTURES_SKIPPED)
                continue
            key = normalise_url(original)
            if key not in chosen or (chosen[key]["status"] != "200" and status == "200"):
                chosen[key] = {"status": status, "timestamp": str(row["timestamp"]), "url": original}
        counters.count(self.crawler.stats, outlet.name, counters.LISTED, len(chosen))
        for capture in chosen.values():
            if not self.wanted(outlet, capture["url"]) or self.dry_run:
                continue
            yield self.capture_request(outlet, capture["timestamp"], capture["url"])

    def capture_request(self, outlet, timestamp: str, original: str, redirects: int = 0):
        """The capture of `original` at `timestamp`, as archived."""
        return self._request(self.capture_url(timestamp, original), self.parse_capture, outlet,
                             original=original, timestamp=timestamp, redirects=redirects, dont_redirect=True,
                             handle_httpstatus_list=list(REDIRECT_STATUSES))

    def parse_capture(self, response, outlet):
        meta = response.meta
        if response.status in REDIRECT_STATUSES:
            target = response.headers.get(b"Location", b"").decode("latin-1")
            if not target or meta["redirects"] >= self.crawler.settings.getint("BACKFILL_MAX_REDIRECTS"):
                self.record_error(meta["original"], "redirect capture without a target within the archive", outlet=outlet)
                return
            target = response.urljoin(target)
            if "id_/" in target:  # an archive URL: the original follows id_/
                target = target.split("id_/", 1)[1]
            yield self.capture_request(outlet, meta["timestamp"], target, meta["redirects"] + 1)
            return
        yield from self.article_from(response.body, response.headers, meta["original"], outlet, response.url,
                                     meta["timestamp"], self.archive)

    # --- WARC files --------------------------------------------------------------------------
    def read_warc(self, path: Path):
        from warcio.archiveiterator import ArchiveIterator

        stats = self.crawler.stats
        try:
            with open(path, "rb") as stream:
                records = ArchiveIterator(stream, arc2warc=True)
                while True:
                    try:
                        record = next(records)
                    except StopIteration:
                        self.check_complete(path, records)
                        break
                    except Exception as error:  # warcio: a broken gzip member or record header
                        self.record_error(str(path), f"a truncated or corrupt record ({type(error).__name__}: "
                                                     f"{str(error)[:120]}); the records after it in this file are not read")
                        break
                    found = self.warc_record(record, path)
                    if found is not None:
                        yield from found
        except OSError as error:
            self.record_error(str(path), f"cannot read the file ({error.strerror or error})")
        stats.inc_value("captures/files_read")

    def check_complete(self, path: Path, records) -> None:
        """warcio stops quietly at a record cut off part-way: bytes left after the last whole record are one."""
        end = (records.get_record_offset() or 0) + (records.get_record_length() or 0)
        size = path.stat().st_size
        if end < size:
            self.record_error(str(path), f"a truncated or corrupt record at byte {end}; the {size - end} bytes "
                                         "after it are not read")

    def warc_record(self, record, path: Path):
        if record.rec_type != "response" or record.http_headers is None:
            return None
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        outlet = self.outlet_of(url)
        if outlet is None:
            return None
        status = record.http_headers.get_statuscode()
        if status != "200" or not is_html(record.http_headers.get_header("Content-Type")):
            self.crawler.stats.inc_value(counters.CAPTURES_SKIPPED)
            return None
        try:
            body = record.content_stream().read()
        except Exception as error:  # a record cut off inside its body
            self.record_error(url, f"{path.name}: a truncated record ({type(error).__name__})", outlet=outlet)
            return None
        if not self.wanted(outlet, url) or self.dry_run:
            return None
        self.crawler.stats.inc_value(counters.RECORDS_READ)
        headers = Headers({name: value for name, value in record.http_headers.headers})
        when = record.rec_headers.get_header("WARC-Date") or ""
        return self.article_from(body, headers, url, outlet, None, when, path.name)

    # --- the page, as a crawl would have fetched it --------------------------------------------
    def article_from(self, body: bytes, headers, original: str, outlet, capture: str | None, timestamp: str, source: str):
        """The ArticleItem of an archived page, made by the crawl's own parse_article (which also
        reports a capture that is not HTML)."""
        page = HtmlResponse(url=original, body=body, headers=headers, request=scrapy.Request(original))
        for item in self.parse_article(page, outlet):
            item.source, item.capture_url, item.period = source, capture, self.period
            item.captured_at = capture_time(timestamp) if timestamp else None
            yield item

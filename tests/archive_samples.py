"""A past year of the sample outlets as web archives hold it: WARC files written with warcio from
the hand-written outlets' pages (never fetched: each outlet is given a base URL of its own), and
a pywb collection made from them (tests/test_backfill.py).

Besides one capture of every article page, published + 1 day: a second capture of one article a
month later, a redirect capture to an article, a 404, a 500, a non-HTML capture (an image) and
the outlets' windows-1251 page as it was served (charset only in its meta tag).
"""

from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.samples.server import SampleOutlets

BASES = {"Caucasus Ledger": "http://caucasus-ledger.example/", "Eurasia Wire": "http://eurasia-wire.example/",
         "Steppe Observer": "http://steppe-observer.example/"}
PERIOD = ("2026-01-01", "2026-06-30")


def sample_outlets() -> SampleOutlets:
    """The hand-written outlets, at the archive's base URLs (not served)."""
    outlets = SampleOutlets()
    for outlet in outlets.outlets:
        outlet.base = BASES[outlet.name]
    return outlets


def write_sources(outlets: SampleOutlets, path: Path) -> Path:
    return outlets.write_sources(path)


def record(writer: WARCWriter, url: str, when: datetime, status: int, content_type: str | None, body: bytes,
           headers: dict | None = None) -> None:
    reason = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 500: "Internal Server Error"}[status]
    http = [("Content-Type", content_type)] if content_type else []
    http += list((headers or {}).items())
    writer.write_record(writer.create_warc_record(
        url, "response", payload=BytesIO(body), http_headers=StatusAndHeaders(f"{status} {reason}", http, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")}))


def write_year(path: Path, outlets: SampleOutlets, truncate: bool = False) -> dict:
    """Write the year's captures to `path` (gzipped records); with `truncate`, the file ends
    inside a last record. Return what was written: the articles captured, by outlet."""
    captured = {}
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for outlet in outlets.outlets:
            for article in outlet.articles:
                page = outlet.article_page(article)
                url = outlet.base + article["slug"]
                when = datetime.combine(date.fromisoformat(article["published"]) + timedelta(days=1), datetime.min.time())
                record(writer, url, when, page.status, page.content_type, page.body)
                captured.setdefault(outlet.name, []).append(article)
        first = outlets.outlets[0]
        article = first.articles[0]
        url = first.base + article["slug"]
        again = datetime.combine(date.fromisoformat(article["published"]) + timedelta(days=30), datetime.min.time())
        page = first.article_page(article)
        record(writer, url, again, 200, page.content_type, page.body)  # a second capture of one article
        moved = datetime(2026, 3, 2)
        record(writer, first.base + "old/" + article["slug"], moved, 301, "text/html", b"", {"Location": url})
        record(writer, first.base + "missing.html", moved, 404, "text/html", b"<h1>Not found</h1>")
        record(writer, first.base + "broken.html", moved, 500, "text/html", b"<h1>Error</h1>")
        record(writer, first.base + "logo.png", moved, 200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        if truncate:
            last = BytesIO()
            record(WARCWriter(last, gzip=True), first.base + "cut-off.html", moved, 200, "text/html", b"<p>" * 4000)
            stream.write(last.getvalue()[: len(last.getvalue()) // 2])
    return captured

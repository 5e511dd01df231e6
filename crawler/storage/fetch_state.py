"""What earlier runs left for the next one to fetch less: the article URLs whose outcome is known
(`pages`, `articles`) and the validators of each feed and sitemap (`feed_state`). Read and
written by the downloader middlewares (crawler/middlewares.py) and the scale-out writer."""

import sqlite_utils

KNOWN_OUTCOMES = ("stored", "duplicate", "dropped")


def known_article_urls(db: sqlite_utils.Database) -> set[str]:
    """Every URL stored as an article or fetched with a known outcome: not fetched again."""
    placeholders = ", ".join("?" for _ in KNOWN_OUTCOMES)
    known = {url for (url,) in db.execute(f"select url from pages where outcome in ({placeholders})", KNOWN_OUTCOMES)}
    return known | {url for (url,) in db.execute("select url from articles")}


def fetched_page_urls(db: sqlite_utils.Database) -> list[str]:
    """Every URL of `pages` (what a shared frontier marks as seen)."""
    return [url for (url,) in db.execute("select url from pages")]


def feed_validators(db: sqlite_utils.Database, url: str) -> tuple[str | None, str | None]:
    """(ETag, Last-Modified) the feed or sitemap answered with last time, or (None, None)."""
    row = db.execute("select etag, last_modified from feed_state where url = ?", [url]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def save_feed_validators(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Keep `rows` (url, etag, last_modified, http_status, checked_at) for the next run."""
    if rows:
        with db.atomic():
            db["feed_state"].upsert_all(rows, pk="url")

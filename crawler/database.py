"""The SQLite database researchers query: schema, migrations and opening it for writing.

Every table is described column by column in the README ("Database schema"). Schema changes
are sqlite-utils migrations: each a small function, applied in order when the database is
opened, recorded in `_sqlite_migrations` so that a database written by an earlier version is
upgraded in place.
"""

from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from crawler import outlet_health
from crawler.summaries import DAILY_VOLUME, create_summary_tables

BUSY_TIMEOUT_MS = 10_000


def utc_now() -> str:
    """The current time as every timestamp column stores it: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

migrations = Migrations("csto_monitor")


@migrations()
def initial_schema(db: sqlite_utils.Database) -> None:
    db["outlets"].create(
        {"id": int, "name": str, "url": str, "country": str, "language": str},
        pk="id",
        not_null={"name"},
    )
    db["outlets"].create_index(["name"], unique=True)
    db["actors"].create({"id": int, "name": str, "kind": str}, pk="id", not_null={"name"})
    db["actors"].create_index(["name"], unique=True)
    db["crawl_runs"].create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "status": str,
            "pages_fetched": int,
            "articles_new": int,
            "duplicates": int,
            "dropped": int,
            "errors": int,
        },
        pk="id",
    )
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "canonical_url": str,
            "outlet_id": int,
            "title": str,
            "author": str,
            "published": str,
            "language": str,
            "language_prob": float,
            "text": str,
            "text_hash": str,
            "duplicate_of": int,
            "matched_terms": str,
            "crawled_at": str,
            "crawl_run_id": int,
        },
        pk="id",
        not_null={"url"},
        foreign_keys=[
            ("outlet_id", "outlets", "id"),
            ("duplicate_of", "articles", "id"),
            ("crawl_run_id", "crawl_runs", "id"),
        ],
    )
    db["articles"].create_index(["url"], unique=True)
    for columns in (["outlet_id"], ["published"], ["language"], ["text_hash"], ["duplicate_of"]):
        db["articles"].create_index(columns)
    db["articles"].enable_fts(["title", "text"], create_triggers=True)
    db["stances"].create(
        {
            "article_id": int,
            "actor_id": int,
            "label": str,
            "score": float,
            "confidence": float,
            "mentions": int,
            "evidence": str,
            "model": str,
        },
        pk=("article_id", "actor_id"),
        foreign_keys=[("article_id", "articles", "id"), ("actor_id", "actors", "id")],
    )
    db["stances"].create_index(["actor_id", "label"])
    db["article_signatures"].create(
        {"article_id": int, "minhash": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )


@migrations()
def incremental_crawl_state(db: sqlite_utils.Database) -> None:
    """State a nightly run needs from the last: what each fetched URL became, the validators of
    each feed and sitemap, and Scrapy's stats of each run."""
    db["crawl_runs"].add_column("stats", str)
    db["pages"].create(
        {
            "url": str,
            "outcome": str,
            "reason": str,
            "article_id": int,
            "http_status": int,
            "fetched_at": str,
            "crawl_run_id": int,
        },
        pk="url",
        foreign_keys=[("article_id", "articles", "id"), ("crawl_run_id", "crawl_runs", "id")],
    )
    db["feed_state"].create(
        {"url": str, "etag": str, "last_modified": str, "http_status": int, "checked_at": str},
        pk="url",
    )


@migrations()
def outlet_templates(db: sqlite_utils.Database) -> None:
    """Lines the clean stage learned to be an outlet's boilerplate, with how many pages had them."""
    db["outlet_templates"].create({"outlet": str, "line": str, "pages": int}, pk=("outlet", "line"))


@migrations()
def dashboard_summaries(db: sqlite_utils.Database) -> None:
    """Daily summary tables the dashboard reads (crawler/summaries.py); filled by the next refresh."""
    create_summary_tables(db)


@migrations()
def dashboard_volume_view(db: sqlite_utils.Database) -> None:
    """The daily_volume view the dashboard's volume panels read (crawler/summaries.py)."""
    db.create_view("daily_volume", DAILY_VOLUME)


@migrations()
def run_health(db: sqlite_utils.Database) -> None:
    """Each run's health warnings, and what each outlet yielded in each run (crawler/health.py)."""
    db["crawl_runs"].add_column("warnings", str)
    db["crawl_run_outlets"].create(
        {"crawl_run_id": int, "outlet_id": int, "pages_fetched": int, "articles_new": int, "errors": int,
         "discovery_failed": int},
        pk=("crawl_run_id", "outlet_id"),
        foreign_keys=[("crawl_run_id", "crawl_runs", "id"), ("outlet_id", "outlets", "id")],
    )
    db["crawl_run_outlets"].create_index(["outlet_id", "crawl_run_id"])


@migrations()
def outlet_health_alerts(db: sqlite_utils.Database) -> None:
    """Per run and outlet: volume against its 28-day baseline and extraction checks
    (crawler/outlet_health.py); a run's notes (bursts) beside its warnings."""
    outlet_health.create_table(db)
    db["crawl_runs"].add_column("notes", str)


ARTICLE_ALERTS = """
    with strongest as (
      select s.article_id, ac.name as actor, s.label, s.score, json_extract(s.evidence, '$[0]') as evidence,
        row_number() over (partition by s.article_id order by abs(coalesce(s.score, 0)) desc, ac.name) as rank
      from stances s join actors ac on ac.id = s.actor_id
    )
    select a.id as article_id, a.crawled_at,
      a.url as atom_id, coalesce(a.title, a.url) as atom_title, a.crawled_at as atom_updated, a.url as atom_link,
      o.name as atom_author_name,
      o.name || ' · published ' || coalesce(a.published, 'undated')
        || coalesce(' · ' || st.actor || ': ' || coalesce(st.label, 'no stance') || coalesce(' (score ' || printf('%.2f', st.score) || ')', ''), '')
        || coalesce(char(10) || st.evidence, '') as atom_content,
      a.published, o.name as outlet, st.actor, st.label, st.score, st.evidence
    from articles a
    join outlets o on o.id = a.outlet_id
    left join strongest st on st.article_id = a.id and st.rank = 1
"""


@migrations()
def article_alerts_view(db: sqlite_utils.Database) -> None:
    """One Atom-ready row per article with the actor it portrays most strongly: what the outlet
    and full-text alert feeds (datasette/metadata.yml) select from."""
    db.create_view("article_alerts", ARTICLE_ALERTS)


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the monitor database in WAL mode, with the schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    return db


def last_read_starts(path: str | Path, outlet_names: list[str]) -> dict[str, str]:
    """For each outlet: when the last run that read it without a failed feed, sitemap or
    section page, and without a page that failed for a reason that may pass (timeout, 5xx),
    started (UTC, ISO 8601). Outlets never read so are left out."""
    if not Path(path).exists():
        return {}
    db = sqlite_utils.Database(path)
    try:
        if "stats" not in db["crawl_runs"].columns_dict:
            return {}
        starts = {}
        for name in outlet_names:
            ok, failed, transient = (f'$."outlets/{name}/{key}"' for key in ("discovery_ok", "discovery_failed", "transient_failures"))
            row = db.execute(
                "select max(started) from crawl_runs where status in ('ok', 'partial') "
                "and json_extract(stats, ?) > 0 and json_extract(stats, ?) is null and json_extract(stats, ?) is null",
                [ok, failed, transient],
            ).fetchone()
            if row and row[0]:
                starts[name] = row[0]
        return starts
    finally:
        db.close()

"""Opening the SQLite database researchers query: WAL mode, a busy timeout, foreign keys, and the
schema brought up to date by the migrations (crawler/storage/migrations.py). Every table is
described column by column in the README ("Database schema").
"""

from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from crawler import counters
from crawler.storage.migrations import migrations

BUSY_TIMEOUT_MS = 10_000


def utc_now() -> str:
    """The current time as every timestamp column stores it: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
            ok, failed, transient = (f'$."{counters.stat_key(name, key)}"' for key in (
                counters.DISCOVERY_OK, counters.DISCOVERY_FAILED, counters.TRANSIENT_FAILURES))
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

"""Opening the SQLite database researchers query: WAL mode, a busy timeout, foreign keys, and the
schema brought up to date by the migrations (crawler/storage/migrations.py). Every table is
described column by column in docs/schema.md (summed up in the README, "Database schema").
"""

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from crawler.storage.migrations import migrations

BUSY_TIMEOUT_MS = 10_000


class Database(sqlite_utils.Database):
    """sqlite-utils' Database whose outermost `atomic()` transaction begins IMMEDIATE: it takes the
    write lock first, so a writer that must wait for another (a review posted on the dashboard
    while the crawl writes) waits out the busy timeout. A deferred transaction that read before
    writing would fail at once with "database is locked" once the other writer had committed."""

    @contextmanager
    def atomic(self):
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                raise


def with_busy_timeout(db: Database) -> Database:
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return db


def utc_now() -> str:
    """The current time as every timestamp column stores it: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the monitor database in WAL mode, with the schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = with_busy_timeout(Database(path))
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    return db


def last_read_starts(path: str | Path, conditions: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    """For each outlet: when (UTC, ISO 8601) the last ok or partial run started whose stats have
    the outlet's `required` key and none of its `forbidden` keys (`conditions`: name ->
    (required, forbidden), crawler/counters.py's read_without_failure). Outlets never read so
    are left out."""
    if not Path(path).exists():
        return {}
    db = sqlite_utils.Database(path)
    try:
        if "stats" not in db["crawl_runs"].columns_dict:
            return {}
        starts = {}
        for name, (required, forbidden) in conditions.items():
            keys = [f'$."{key}"' for key in (required, *forbidden)]
            row = db.execute(
                "select max(started) from crawl_runs where status in ('ok', 'partial') and json_extract(stats, ?) > 0"
                + " and json_extract(stats, ?) is null" * len(forbidden), keys).fetchone()
            if row and row[0]:
                starts[name] = row[0]
        return starts
    finally:
        db.close()

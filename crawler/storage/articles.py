"""Writing one article with its stances and signature: the single place rows enter `articles`,
`stances`, `article_signatures` and `article_bands`, used by the store stage and by benchmarks/dashboard.py.

The caller holds the transaction (`with db.atomic():`), so a crawl can write one article per
transaction and a bulk load thousands.
"""

import json
import logging
import os
from pathlib import Path

import sqlite_utils

from crawler.storage.signatures import store_band_keys

logger = logging.getLogger(__name__)


def store_article(
    db: sqlite_utils.Database,
    article: dict,
    stances: list[dict],
    minhash: bytes | None = None,
    band_keys: list[int] | None = None,
    supersedes_id: int | None = None,
) -> int:
    """Insert `article` (a row of `articles`) with its `stances` (rows of `stances` without
    article_id; `evidence` a list of sentences) and return its id. `supersedes_id`: an older
    stored copy of the same story that this earlier-published one replaces as the original."""
    article_id = db["articles"].insert(article).last_pk
    if supersedes_id is not None:
        db.execute(
            "update articles set duplicate_of = ? where id = ? or duplicate_of = ?",
            [article_id, supersedes_id, supersedes_id],
        )
    if minhash:
        db["article_signatures"].insert({"article_id": article_id, "minhash": minhash})
        if band_keys:
            store_band_keys(db, article_id, band_keys)
    store_stances(db, article_id, stances)
    return article_id


def store_stances(db: sqlite_utils.Database, article_id: int, stances: list[dict]) -> None:
    """Insert (or replace) an article's `stances` rows; `evidence` a list of sentences."""
    db["stances"].insert_all(
        (
            {**stance, "article_id": article_id, "evidence": json.dumps(stance["evidence"], ensure_ascii=False)}
            for stance in stances
        ),
        replace=True,
    )


def count_stored_article(db: sqlite_utils.Database, run_id: int) -> None:
    """Add one to the run's `articles_new`, in the caller's transaction with the article itself."""
    db.execute("update crawl_runs set articles_new = coalesce(articles_new, 0) + 1 where id = ?", [run_id])


def mark_unfinished_run(db: sqlite_utils.Database, run_id: int, finished: str) -> None:
    """A run whose process was stopped before it could finish its row (a second Ctrl-C): marked
    interrupted, with the articles it stored counted."""
    with db.atomic():
        db.execute("update crawl_runs set status = 'interrupted', finished = ?, articles_new = "
                   "(select count(*) from articles where crawl_run_id = ?) where id = ? and status = 'running'",
                   [finished, run_id, run_id])


class StorageError(RuntimeError):
    """The database cannot be written; the message is one line saying why and what to do."""


def storage_problem(db_path, error: Exception, before_crawl: bool = False) -> str:
    """One line for a failed write: what went wrong and how to fix it."""
    text = str(error)
    if "full" in text:
        fix = "free disk space (or raise DB_MAX_SIZE_MB) and run again"
    elif "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text.lower():
        fix = "make the file and its folder writable, or pass --db with another path"
    else:
        fix = "check the file (`sqlite3 DB 'pragma integrity_check'`) and the disk"
    if before_crawl:
        return f"cannot write {db_path}: {text}; {fix}. Nothing was crawled"
    return (f"cannot write {db_path}: {text}; {fix}. The crawl stopped; articles not stored "
            "are fetched again by the next run")


SQLITE_HEADER = b"SQLite format 3\x00"


def writable_folder_problem(folder: Path) -> str:
    return (f"cannot write in the folder {folder}, which holds the database and its lock file: "
            "make it writable, or pass --db with a path in a writable folder")


def check_database_path(db_path, writable: bool = True) -> None:
    """Before the lock is taken: raise StorageError (one line) when `db_path` is not a SQLite
    database, its folder does not exist, or (`writable`) its folder cannot be written, so nothing
    (no lock file, no folder) is left behind."""
    path = Path(db_path)
    if path.is_dir():
        raise StorageError(f"{db_path} is a folder: pass --db with the path of a database file, such as {path / 'monitor.db'}")
    if path.exists() and path.stat().st_size:
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise StorageError(f"{db_path} is not a SQLite database: pass --db with the path of a monitor database "
                                   "(a new one is created where none exists)")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise StorageError(f"the folder {folder} (of --db {db_path}) does not exist: create it (mkdir -p {folder}) "
                           "or pass --db with a path in an existing folder")
    if writable and not os.access(folder, os.W_OK):
        raise StorageError(writable_folder_problem(folder))


def limit_size(db: sqlite_utils.Database, max_size_mb: float) -> None:
    """Let the database grow to at most `max_size_mb` (0: no limit): past it a write fails as on
    a full disk, which the store stage reports and stops on (setting DB_MAX_SIZE_MB)."""
    if max_size_mb > 0:
        page_size = db.execute("pragma page_size").fetchone()[0]
        db.execute(f"pragma max_page_count = {max(1, int(max_size_mb * 1024 * 1024 // page_size))}")


def check_writable(db_path) -> None:
    """Raise StorageError (one line) unless the database can be opened, upgraded and written."""
    import sqlite3

    from crawler.storage.database import open_database

    try:
        db = open_database(db_path)
        try:
            db.execute("begin immediate")
            db.execute("create table _write_check (x)")
            db.execute("rollback")
        finally:
            db.close()
    except (sqlite3.Error, OSError) as error:
        raise StorageError(storage_problem(db_path, error, before_crawl=True)) from None

"""Writing one article with its stances and signature: the single place rows enter `articles`,
`stances` and `article_signatures`, used by the store stage and by benchmarks/dashboard.py.

The caller holds the transaction (`with db.atomic():`), so a crawl can write one article per
transaction and a bulk load thousands.
"""

import json

import sqlite_utils


def store_article(
    db: sqlite_utils.Database,
    article: dict,
    stances: list[dict],
    minhash: bytes | None = None,
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
    db["stances"].insert_all(
        (
            {**stance, "article_id": article_id, "evidence": json.dumps(stance["evidence"], ensure_ascii=False)}
            for stance in stances
        ),
        replace=True,
    )
    return article_id


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


def limit_size(db: sqlite_utils.Database, max_size_mb: float) -> None:
    """Let the database grow to at most `max_size_mb` (0: no limit): past it a write fails as on
    a full disk, which the store stage reports and stops on (setting DB_MAX_SIZE_MB)."""
    if max_size_mb > 0:
        page_size = db.execute("pragma page_size").fetchone()[0]
        db.execute(f"pragma max_page_count = {max(1, int(max_size_mb * 1024 * 1024 // page_size))}")


def check_writable(db_path) -> None:
    """Raise StorageError (one line) unless the database can be opened, upgraded and written."""
    import sqlite3

    from crawler.database import open_database

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

"""The schema: created on open, in WAL mode, migrations safe to re-run."""

import sqlite3
import time

import sqlite_utils

from crawler.storage.database import open_database
from crawler.storage.migrations import migrations


def test_database_is_created_in_wal_mode_with_every_table(tmp_path):
    db = open_database(tmp_path / "sub" / "monitor.db")
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert {"outlets", "articles", "actors", "stances", "crawl_runs", "articles_fts"} <= set(db.table_names())
    assert set(db["articles"].columns_dict) >= {
        "id", "url", "canonical_url", "outlet_id", "title", "author", "published", "language", "language_prob",
        "text", "text_hash", "duplicate_of", "matched_terms", "crawled_at", "crawl_run_id"}
    assert set(db["stances"].columns_dict) == {
        "article_id", "actor_id", "label", "score", "confidence", "mentions", "evidence", "model", "headline",
        "mentioned_as", "review_id"}
    assert "outlet_group" in db["outlets"].columns_dict and "stance_shifts" in db.table_names()


def test_reopening_applies_no_migration_twice(tmp_path):
    path = tmp_path / "monitor.db"
    open_database(path).close()
    db = open_database(path)
    names = [row[0] for row in db.execute("select name from _sqlite_migrations order by id")]
    assert names == ["initial_schema", "incremental_crawl_state", "outlet_templates", "dashboard_summaries",
                     "dashboard_volume_view", "run_health", "outlet_health_alerts", "article_alerts_view",
                     "page_reasons_as_categories", "stance_headline", "stance_mentioned_as", "outlet_groups",
                     "stance_shifts", "fast_feeds_and_table_pages", "stories", "desk_reviews",
                     "backfill_provenance", "duplicate_band_index", "new_names"]


def test_a_database_of_the_first_version_is_upgraded_in_place(tmp_path):
    path = tmp_path / "monitor.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="incremental_crawl_state")
    old["articles"].insert({"url": "http://x/1", "title": "Kept", "text": "Body"})
    old.close()
    db = open_database(path)
    assert "stats" in db["crawl_runs"].columns_dict
    assert {"pages", "feed_state"} <= set(db.table_names())
    assert [r["title"] for r in db.query("select title from articles")] == ["Kept"]


def test_full_text_search_covers_title_and_text(tmp_path):
    db = open_database(tmp_path / "monitor.db")
    with db.atomic():
        db["articles"].insert({"url": "http://x/1", "title": "Summit in Yerevan", "text": "The alliance met."})
    assert [r["url"] for r in db["articles"].search("Yerevan")] == ["http://x/1"]


def test_an_upgrade_turns_reasons_that_embedded_a_url_into_their_category(tmp_path):
    path = tmp_path / "monitor.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="page_reasons_as_categories")
    old["pages"].insert_all([{"url": "http://x/1", "outcome": "dropped", "reason": "no topic keyword in http://x/1"},
                             {"url": "http://x/2", "outcome": "dropped", "reason": "no article text at http://x/2"},
                             {"url": "http://x/3", "outcome": "stored", "reason": "already stored"}])
    old.close()
    db = open_database(path)
    assert [r["reason"] for r in db.query("select reason from pages order by url")] == [
        "no topic keyword", "no article text", "already stored"]


def test_the_schema_a_fresh_database_gets_is_the_one_the_migrations_froze(tmp_path):
    """Each migration creates its tables from its own frozen definitions: the summary and
    outlet_health tables exist with their columns even though no code outside the migrations
    creates them any more."""
    db = open_database(tmp_path / "monitor.db")
    assert list(db["daily_stances"].columns_dict) == ["day", "week", "outlet_id", "actor_id", "language", "articles",
                                                      "scored", "score_sum", "critical", "neutral", "supportive"]
    assert "idx_articles_day" in {index.name for index in db["articles"].indexes}
    assert {"outlet_id", "day", "status", "note"} <= set(db["outlet_health"].columns_dict)
    assert "daily_volume" in db.view_names() and "article_alerts" in db.view_names()


def test_every_table_view_and_column_a_migration_makes_is_described_in_the_metadata(tmp_path):
    """Researchers read the schema on the published site: a migration that adds a table or a
    column without a description in datasette/metadata.yml fails here."""
    import yaml

    from crawler.dashboard import DATASETTE_DIR
    from crawler.storage.database import open_database

    described = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())["databases"]["monitor"]["tables"]
    db = open_database(tmp_path / "monitor.db")
    # FTS5's own shadow tables and sqlite-utils' record of applied migrations are not ours to describe
    ours = [name for name in db.table_names() + db.view_names()
            if not name.startswith(("articles_fts", "_sqlite_migrations"))]
    undescribed = {}
    for name in ours:
        entry = described.get(name) or {}
        missing = [column for column in db[name].columns_dict if not (entry.get("columns") or {}).get(column)]
        if not entry.get("description") or missing:
            undescribed[name] = missing or ["(the table itself)"]
    assert undescribed == {}
    assert len(ours) >= 18  # outlets, actors, articles, stances, stories, ... and the views


def read_then_write_while_another_writes(path, database_class) -> str | None:
    """A holds the write lock and commits after a moment; meanwhile B, in a transaction of
    `database_class`, reads and then writes. Returns B's error, if any."""
    import threading

    from crawler.storage.database import BUSY_TIMEOUT_MS

    b = database_class(path)
    b.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    holding, errors = threading.Event(), []

    def other_writer():
        a = open_database(path)  # (a connection is used in the thread that opened it)
        with a.atomic():
            a.execute("insert into actors (name, kind) values ('A', 'person')")
            holding.set()
            time.sleep(0.5)

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert holding.wait(timeout=30)
    try:
        with b.atomic():
            b.execute("select count(*) from actors").fetchone()
            b.execute("insert into actors (name, kind) values ('B', 'person')")
    except sqlite3.OperationalError as error:
        errors.append(str(error))
    writer.join()
    return errors[0] if errors else None


def test_a_writer_that_reads_first_waits_for_another_writer_instead_of_failing(tmp_path):
    """A review posted while the crawl writes (crawler/storage/database.py, Database): each
    transaction takes the write lock first, so the busy timeout applies."""
    from crawler.storage.database import Database

    open_database(tmp_path / "deferred.db").close()
    open_database(tmp_path / "immediate.db").close()
    assert "locked" in (read_then_write_while_another_writes(tmp_path / "deferred.db", sqlite_utils.Database) or "")
    assert read_then_write_while_another_writes(tmp_path / "immediate.db", Database) is None

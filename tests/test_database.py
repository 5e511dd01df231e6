"""The schema: created on open, in WAL mode, migrations safe to re-run."""

import sqlite_utils

from crawler.database import migrations, open_database


def test_database_is_created_in_wal_mode_with_every_table(tmp_path):
    db = open_database(tmp_path / "sub" / "monitor.db")
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert {"outlets", "articles", "actors", "stances", "crawl_runs", "articles_fts"} <= set(db.table_names())
    assert set(db["articles"].columns_dict) >= {
        "id", "url", "canonical_url", "outlet_id", "title", "author", "published", "language", "language_prob",
        "text", "text_hash", "duplicate_of", "matched_terms", "crawled_at", "crawl_run_id"}
    assert set(db["stances"].columns_dict) == {
        "article_id", "actor_id", "label", "score", "confidence", "mentions", "evidence", "model"}


def test_reopening_applies_no_migration_twice(tmp_path):
    path = tmp_path / "monitor.db"
    open_database(path).close()
    db = open_database(path)
    names = [row[0] for row in db.execute("select name from _sqlite_migrations order by id")]
    assert names == ["initial_schema", "incremental_crawl_state", "outlet_templates", "dashboard_summaries",
                     "dashboard_volume_view", "run_health", "outlet_health_alerts", "article_alerts_view"]


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

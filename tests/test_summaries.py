"""The dashboard's summary tables: equal to the same figures computed from articles and stances,
after a full refresh, after incremental refreshes, and when an earlier-published copy takes over."""

import pytest

from crawler.storage.database import open_database, utc_now
from crawler.storage.articles import store_article
from crawler.storage.summaries import refresh_summaries

FROM_ARTICLES = """
    select date(published) as day, outlet_id, language, sum(duplicate_of is null) as articles,
      sum(duplicate_of is not null) as copies
    from articles group by 1, 2, 3 order by 1, 2, 3
"""
FROM_STANCES = """
    select date(a.published) as day, a.outlet_id, s.actor_id, a.language, count(*) as articles, count(s.label) as scored,
      round(sum(s.score), 6) as score_sum, sum(s.label = 'critical') as critical
    from articles a join stances s on s.article_id = a.id where a.duplicate_of is null
    group by 1, 2, 3, 4 order by 1, 2, 3, 4
"""
SUMMARY_ARTICLES = "select day, outlet_id, language, articles, copies from daily_articles order by 1, 2, 3"
SUMMARY_STANCES = """
    select day, outlet_id, actor_id, language, articles, scored, round(score_sum, 6), critical
    from daily_stances order by 1, 2, 3, 4
"""
WEEKS_FROM_STANCES = """
    select date(date(a.published), '-6 days', 'weekday 1') as week, s.actor_id, count(s.label), round(sum(s.score), 6)
    from articles a join stances s on s.article_id = a.id where a.duplicate_of is null
    group by 1, 2 order by 1, 2
"""
WEEKS_FROM_SUMMARY = "select week, actor_id, sum(scored), round(sum(score_sum), 6) from weekly_stances group by 1, 2 order by 1, 2"


def rows(db, sql, params=()):
    return [tuple(row) for row in db.execute(sql, params).fetchall()]


def assert_summaries_match(db):
    assert rows(db, SUMMARY_ARTICLES) == rows(db, FROM_ARTICLES)
    assert rows(db, SUMMARY_STANCES) == rows(db, FROM_STANCES)
    assert rows(db, WEEKS_FROM_SUMMARY) == rows(db, WEEKS_FROM_STANCES)


def stance(actor_id, score, label="critical"):
    return {"actor_id": actor_id, "label": label, "score": score, "confidence": 0.9, "mentions": 1,
            "evidence": ["A sentence."], "model": "test"}


class Crawl:
    """Writes articles as the store stage does, one crawl run at a time."""

    def __init__(self, db):
        self.db = db
        self.count = 0

    def run(self, articles, refresh=True):
        run_id = self.db["crawl_runs"].insert({"started": utc_now(), "status": "running"}).last_pk
        ids = []
        with self.db.atomic():
            for published, outlet, stances, extra in articles:
                self.count += 1
                row = {"url": f"http://x/{self.count}", "published": published, "outlet_id": outlet,
                       "language": "en", "text": "t", "crawl_run_id": run_id, **extra.get("row", {})}
                ids.append(store_article(self.db, row, stances, supersedes_id=extra.get("supersedes")))
        self.db["crawl_runs"].update(run_id, {"status": "ok", "finished": utc_now()})
        if refresh:
            refresh_summaries(self.db)
        return ids


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "monitor.db")
    database["outlets"].insert_all([{"id": 1, "name": "A"}, {"id": 2, "name": "B"}])
    database["actors"].insert_all([{"id": 1, "name": "Putin"}, {"id": 2, "name": "CSTO"}])
    return database


def test_a_full_refresh_equals_the_figures_from_the_articles(db):
    crawl = Crawl(db)
    crawl.run([
        ("2026-03-02T09:00:00+00:00", 1, [stance(1, -0.8), stance(2, 0.4, "supportive")], {}),
        ("2026-03-02T23:30:00-05:00", 1, [stance(1, -0.2, "neutral")], {}),  # 04:30 UTC on the 3rd
        ("2026-03-08", 2, [stance(2, 0.9, "supportive")], {}),  # a Sunday: still the week of the 2nd
        (None, 2, [stance(1, None, None)], {"row": {"language": "ru"}}),
    ])
    assert_summaries_match(db)
    assert rows(db, "select distinct week from weekly_stances where week is not null order by 1") == [("2026-03-02",)]
    assert db.execute("select articles, scored from daily_stances where day is null").fetchone() == (1, 0)
    volume = "select day, outlet_id, articles from daily_volume where actor = ? order by 1, 2"
    assert rows(db, volume, [""]) == rows(db, "select day, outlet_id, articles from daily_articles order by 1, 2")
    assert rows(db, volume, ["CSTO"]) == [("2026-03-02", 1, 1), ("2026-03-08", 2, 1)]


def test_incremental_refreshes_keep_every_day_right(db):
    crawl = Crawl(db)
    first = crawl.run([("2026-03-02", 1, [stance(1, -0.8)], {}), ("2026-03-03", 2, [stance(2, 0.5, "supportive")], {})])
    crawl.run([
        ("2026-03-02", 2, [stance(1, 0.6, "supportive")], {}),  # a day already summarised
        ("2026-03-02", 1, [stance(1, -0.8)], {"row": {"duplicate_of": first[0]}}),  # a copy
        ("2026-04-10", 1, [stance(2, -0.3)], {}),
    ])
    assert_summaries_match(db)
    assert db.execute("select copies from daily_articles where day = '2026-03-02' and outlet_id = 1").fetchone() == (1,)


def test_an_earlier_copy_taking_over_moves_the_story_to_its_day(db):
    crawl = Crawl(db)
    later = crawl.run([("2026-05-20", 1, [stance(1, -0.7)], {})])[0]
    crawl.run([("2026-05-18", 2, [stance(1, -0.7)], {"supersedes": later})])
    assert_summaries_match(db)
    assert rows(db, "select day, articles, copies from daily_articles order by day") == [("2026-05-18", 1, 0), ("2026-05-20", 0, 1)]
    assert rows(db, "select day from daily_stances") == [("2026-05-18",)]


def test_a_run_that_died_before_refreshing_is_summarised_by_the_next(db):
    crawl = Crawl(db)
    crawl.run([("2026-06-01", 1, [stance(1, 0.3, "supportive")], {})])
    crawl.run([("2026-06-02", 1, [stance(2, -0.5)], {})], refresh=False)  # killed before its refresh
    crawl.run([("2026-06-03", 2, [stance(1, -0.5)], {})])
    assert_summaries_match(db)
    assert rows(db, "select count(*) from crawl_runs where coalesce(summarised, 0) = 0") == [(0,)]


def test_an_earlier_database_gets_its_summaries_on_the_first_refresh(tmp_path):
    import sqlite_utils

    from crawler.storage.migrations import migrations

    path = tmp_path / "monitor.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="dashboard_summaries")
    old["outlets"].insert({"id": 1, "name": "A"})
    old["actors"].insert({"id": 1, "name": "Putin"})
    run_id = old["crawl_runs"].insert({"status": "ok"}).last_pk
    store_article(old, {"url": "http://x/1", "published": "2026-01-05", "outlet_id": 1, "language": "en",
                        "crawl_run_id": run_id}, [stance(1, -0.9)])
    old.close()
    db = open_database(path)
    assert db["daily_stances"].count == 0
    refresh_summaries(db)
    assert_summaries_match(db)
    assert db["daily_stances"].count == 1

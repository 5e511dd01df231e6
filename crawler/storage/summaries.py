"""Summary tables the dashboard reads instead of scanning a million stance rows.

- `daily_articles`: per publication day, outlet and language, the originals and the copies.
- `daily_stances`: per publication day, outlet, actor and language, over originals only, how
  many articles mention the actor, how many of them have a stance, the sum of their scores and
  the count of each label (a mean is `score_sum / scored`, so days add up exactly).
- `weekly_stances`: daily_stances added up per week.
- `daily_volume` (a view): daily_articles with actor '' beside daily_stances' article counts
  with the actor's name, so one query counts all articles or those that mention an actor.

They are refreshed when a crawl ends, for the days its articles fall on (and the days of the
older copies an earlier-published original took over from). A run that died before refreshing
is left marked in `crawl_runs.summarised` and picked up by the next refresh, so the summaries
never lag behind the articles for longer than one run.
"""

import sqlite_utils

DAY = "date(published)"
WEEK = "date({day}, '-6 days', 'weekday 1')"  # the Monday that starts the day's week
MEASURES = ("articles", "scored", "score_sum", "critical", "neutral", "supportive")

DAILY_ARTICLES = f"""
    select {DAY} as day, {WEEK.format(day=DAY)} as week, outlet_id, language,
      sum(duplicate_of is null) as articles, sum(duplicate_of is not null) as copies
    from articles where {{days}}
    group by day, outlet_id, language
"""

DAILY_STANCES = f"""
    select {DAY} as day, {WEEK.format(day=DAY)} as week, a.outlet_id, s.actor_id, a.language,
      count(*) as articles, count(s.label) as scored, sum(s.score) as score_sum,
      sum(s.label = 'critical') as critical, sum(s.label = 'neutral') as neutral,
      sum(s.label = 'supportive') as supportive
    from articles a join stances s on s.article_id = a.id
    where a.duplicate_of is null and {{days}}
    group by day, a.outlet_id, s.actor_id, a.language
"""

WEEKLY_STANCES = f"""
    select week, outlet_id, actor_id, language, {", ".join(f"sum({m}) as {m}" for m in MEASURES)}
    from daily_stances where {{weeks}}
    group by week, outlet_id, actor_id, language
"""


def days_to_refresh(db: sqlite_utils.Database) -> list[str | None] | None:
    """Publication days touched by runs not yet summarised; None when nothing was ever summarised."""
    pending = "select id from crawl_runs where coalesce(summarised, 0) = 0"
    if not db.execute("select 1 from crawl_runs where summarised = 1 limit 1").fetchone():
        return None
    rows = db.execute(
        f"select distinct {DAY} from articles where crawl_run_id in ({pending}) "
        f"or duplicate_of in (select id from articles where crawl_run_id in ({pending}))"
    ).fetchall()
    return [row[0] for row in rows]


def refresh_summaries(db: sqlite_utils.Database) -> int:
    """Bring the summary tables up to date in one transaction; return how many days were
    recomputed (-1: all of them, when the tables were never filled)."""
    with db.atomic():
        days = days_to_refresh(db)
        recompute_days(db, days)
        db.execute("update crawl_runs set summarised = 1 where coalesce(summarised, 0) = 0")
    db.analyze()  # fresh statistics, so SQLite's planner picks the indexes the panels were written for
    return -1 if days is None else len(days)


def recompute_days(db: sqlite_utils.Database, days: list[str | None] | None) -> None:
    """Recompute the summary rows of the publication `days` (None: every day; a None among them:
    the undated articles) and of their weeks, in the caller's transaction. Also called when a
    desk review changes an article's label (crawler/storage/reviews.py)."""
    if days is None:
        for table in ("daily_articles", "daily_stances", "weekly_stances"):
            db.execute(f"delete from {table}")
        day_condition, week_condition, params, weeks = "1", "1", [], []
    else:
        dated = [day for day in days if day is not None]
        marks = ", ".join("?" * len(dated))
        undated = " or {} is null" if None in days else ""
        day_condition = f"({DAY} in ({marks}){undated.format(DAY)})"
        params = dated
        for table in ("daily_articles", "daily_stances"):
            db.execute(f"delete from {table} where day in ({marks}){undated.format('day')}", dated)
        weeks = sorted({db.execute(f"select {WEEK.format(day='?')}", [day]).fetchone()[0] for day in dated})
        week_marks = ", ".join("?" * len(weeks))
        week_condition = f"(week in ({week_marks}){undated.format('week')})"
        db.execute(f"delete from weekly_stances where {week_condition}", weeks)
    columns = "day, week, outlet_id, language, articles, copies"
    db.execute(f"insert into daily_articles ({columns}) {DAILY_ARTICLES.format(days=day_condition)}", params)
    columns = f"day, week, outlet_id, actor_id, language, {', '.join(MEASURES)}"
    db.execute(f"insert into daily_stances ({columns}) {DAILY_STANCES.format(days=day_condition)}", params)
    columns = f"week, outlet_id, actor_id, language, {', '.join(MEASURES)}"
    db.execute(f"insert into weekly_stances ({columns}) {WEEKLY_STANCES.format(weeks=week_condition)}", weeks)

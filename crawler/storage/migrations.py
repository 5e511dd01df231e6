"""The schema as a sequence of sqlite-utils migrations, applied in order when the database is
opened and recorded in `_sqlite_migrations`, so a database written by an earlier version is
upgraded in place.

Each migration carries its own table definitions, frozen as they were when it was written: a
later change of the code that reads or fills a table never changes what an old migration
creates. A schema change is a new migration at the end, never an edit of one here.
"""

import sqlite_utils
from sqlite_utils import Migrations

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
    """Daily summary tables the dashboard reads (crawler/storage/summaries.py); filled by the next refresh."""
    _summary_tables_v1(db)


@migrations()
def dashboard_volume_view(db: sqlite_utils.Database) -> None:
    """The daily_volume view the dashboard's volume panels read (crawler/storage/summaries.py)."""
    db.create_view("daily_volume", _DAILY_VOLUME_V1)


@migrations()
def run_health(db: sqlite_utils.Database) -> None:
    """Each run's health warnings, and what each outlet yielded in each run (crawler/operations/health.py)."""
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
    (crawler/operations/outlet_health.py); a run's notes (bursts) beside its warnings."""
    _outlet_health_table_v1(db)
    db["crawl_runs"].add_column("notes", str)


_ARTICLE_ALERTS_V1 = """
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
    db.create_view("article_alerts", _ARTICLE_ALERTS_V1)



@migrations()
def page_reasons_as_categories(db: sqlite_utils.Database) -> None:
    """`pages.reason` names a category (`no topic keyword`, `no article text`), the URL being in
    `url`: reasons written by earlier versions lose the URL they embedded."""
    db.execute("update pages set reason = 'no topic keyword' where reason like 'no topic keyword in %'")
    db.execute("update pages set reason = 'no article text' where reason like 'no article text at %'")



@migrations()
def stance_headline(db: sqlite_utils.Database) -> None:
    """Whether the article's headline names the actor (1) or not (0), beside how many mentions
    were judged: what a desk reads of how sure a judgement is. Unknown (NULL) for older rows."""
    db["stances"].add_column("headline", int)


@migrations()
def stance_mentioned_as(db: sqlite_utils.Database) -> None:
    """How the article names the actor: a JSON list of the distinct words found (Пашиняна,
    Пашинян), for the article page's highlighting and for searching an actor's every form.
    Unknown (NULL) for older rows."""
    db["stances"].add_column("mentioned_as", str)


@migrations()
def outlet_groups(db: sqlite_utils.Database) -> None:
    """The desk's group of each outlet (sources.yml `group`), for comparing groups of outlets."""
    db["outlets"].add_column("outlet_group", str)
    db["outlets"].create_index(["outlet_group"])


@migrations()
def stance_shifts(db: sqlite_utils.Database) -> None:
    """Weeks in which an actor's volume or stance left its own baseline (crawler/storage/shifts.py),
    per outlet group ('' = every outlet); rebuilt after each crawl."""
    db["stance_shifts"].create(
        {"week": str, "actor_id": int, "outlet_group": str, "kind": str, "value": float, "baseline_mean": float,
         "baseline_sd": float, "deviation_sd": float, "direction": str, "articles": int},
        foreign_keys=[("actor_id", "actors", "id")],
    )
    db["stance_shifts"].create_index(["week"])
    db["stance_shifts"].create_index(["actor_id", "week"])


@migrations()
def fast_feeds_and_table_pages(db: sqlite_utils.Database) -> None:
    """What keeps the alert feeds and the table pages fast at a million stance rows: the feeds
    read articles newest first (by outlet too), and the article_alerts view picks each article's
    strongest stance for the rows it returns instead of ranking every stance; the stances page
    counts and facets by label and model from indexes."""
    db["articles"].create_index(["crawled_at", "id"])
    db["articles"].create_index(["outlet_id", "crawled_at", "id"])
    db["stances"].create_index(["label"])
    db["stances"].create_index(["model"])
    db.execute("drop view if exists article_alerts")
    db.create_view("article_alerts", _ARTICLE_ALERTS_V2)


@migrations()
def stories(db: sqlite_utils.Database) -> None:
    """Stories: the reports of one event across outlets (crawler/storage/stories.py). Articles of
    an older database have none until the next crawl ends, which places them all, oldest first."""
    db["stories"].create(
        {"id": int, "title": str, "first_published": str, "last_published": str, "articles": int, "outlets": int,
         "languages": str, "representative_article_id": int, "centroid": bytes, "anchors": str},
        pk="id", foreign_keys=[("representative_article_id", "articles", "id")],
    )
    db["stories"].create_index(["last_published"])
    db["stories"].create_index(["first_published"])
    db["articles"].add_column("story_id", int)  # (a declared foreign key would rebuild articles and its search triggers)
    db["articles"].create_index(["story_id"])


@migrations()
def desk_reviews(db: sqlite_utils.Database) -> None:
    """The desk's reviews of stance judgements (crawler/storage/reviews.py): every review applied to
    this database, and on each stance the review whose label replaced the model's (`review_id`).
    The reviews themselves live in the desk file beside the database, which a rebuilt database
    takes them back from; articles are found there by canonical URL (else URL)."""
    db["reviews"].create(
        {"id": int, "article_id": int, "actor_id": int, "label": str, "note": str, "reviewer": str,
         "reviewed_at": str, "model_label": str, "model_score": float, "model_confidence": float, "previous_id": int},
        pk="id", foreign_keys=[("article_id", "articles", "id"), ("actor_id", "actors", "id")],
    )
    db["reviews"].create_index(["article_id", "actor_id"])
    db["stances"].add_column("review_id", int)
    db["stances"].create_index(["review_id"])
    db.execute("create index idx_articles_review_key on articles (coalesce(canonical_url, url))")
    db.create_view("model_desk_pairs", _MODEL_DESK_PAIRS_V1)


@migrations()
def backfill_provenance(db: sqlite_utils.Database) -> None:
    """Where each article came from (`source`: NULL when crawled, else the web archive's URL or the
    WARC file's name a backfill read it from, crawler/spiders/archive.py; `capture_url`,
    `captured_at`), each run's kind (crawl or backfill), and `weekly_coverage`: per outlet and week
    between its first and last article, how many were crawled and how many came from archives.
    The article_alerts view leaves backfilled articles out."""
    db["articles"].add_column("source", str)
    db["articles"].add_column("capture_url", str)
    db["articles"].add_column("captured_at", str)
    db["crawl_runs"].add_column("kind", str)
    db.create_view("weekly_coverage", _WEEKLY_COVERAGE_V1)
    db.create_view("outlet_history", _OUTLET_HISTORY_V1)
    # the alert feeds announce what was crawled, never years-old articles a backfill stored today
    db.execute("drop view if exists article_alerts")
    db.create_view("article_alerts", _ARTICLE_ALERTS_V2 + "    where a.source is null\n")



@migrations()
def duplicate_band_index(db: sqlite_utils.Database) -> None:
    """The duplicate index on disk (crawler/storage/signatures.py): LSH band keys of every stored
    signature, filled by the dedupe stage when it opens and by the store stage per article."""
    db["article_bands"].create({"key": int, "article_id": int}, foreign_keys=[("article_id", "articles", "id")])
    db["article_bands"].create_index(["key"])
    db["article_bands"].create_index(["article_id"])
    db["article_bands_layout"].create({"bands": int, "rows": int})


@migrations()
def new_names(db: sqlite_utils.Database) -> None:
    """Persons and organisations named in stored articles that actors.yml does not track
    (pipelines/names.py): `names` (one per person or organisation across languages, by `key`),
    `article_names` (which article names it, as what, in which sentence), `articles.names_read`
    (1 once the article was read for names)."""
    db["names"].create({"id": int, "key": str, "name": str, "kind": str, "aliases": str}, pk="id", not_null={"key", "name"})
    db["names"].create_index(["key"], unique=True)
    db["article_names"].create(
        {"article_id": int, "name_id": int, "surface": str, "sentence": str},
        pk=("article_id", "name_id"),
        foreign_keys=[("article_id", "articles", "id"), ("name_id", "names", "id")],
    )
    db["article_names"].create_index(["name_id"])
    db["articles"].add_column("names_read", int)

# --- frozen definitions the migrations above create ---------------------------------------
# article_alerts v2: the strongest stance per article found through the stances primary key,
# only for the articles a feed returns
_ARTICLE_ALERTS_V2 = """
    select a.id as article_id, a.crawled_at,
      a.url as atom_id, coalesce(a.title, a.url) as atom_title, a.crawled_at as atom_updated, a.url as atom_link,
      o.name as atom_author_name,
      o.name || ' · published ' || coalesce(a.published, 'undated')
        || coalesce(' · ' || ac.name || ': ' || coalesce(st.label, 'no stance') || coalesce(' (score ' || printf('%.2f', st.score) || ')', ''), '')
        || coalesce(char(10) || json_extract(st.evidence, '$[0]'), '') as atom_content,
      a.published, o.name as outlet, ac.name as actor, st.label, st.score, json_extract(st.evidence, '$[0]') as evidence
    from articles a
    join outlets o on o.id = a.outlet_id
    left join stances st on st.article_id = a.id and st.actor_id = (
      select s.actor_id from stances s join actors sa on sa.id = s.actor_id where s.article_id = a.id
      order by abs(coalesce(s.score, 0)) desc, sa.name limit 1)
    left join actors ac on ac.id = st.actor_id
"""

# Per reviewed stance of an original article that a model had judged: the desk's current label
# beside the model's label at the time of the review (the "Model and desk" panels).
_MODEL_DESK_PAIRS_V1 = """
    select s.article_id, s.actor_id, ac.name as actor, a.language, a.outlet_id, date(a.published) as day,
      r.label as desk_label, r.model_label, r.reviewed_at, r.id as review_id
    from stances s join reviews r on r.id = s.review_id join articles a on a.id = s.article_id
    join actors ac on ac.id = s.actor_id
    where a.duplicate_of is null and r.model_label is not null
"""

# Per outlet and week (Mondays) from its first to its last article: originals crawled, originals
# from archives, and where the week's coverage came from (crawl, archive, both, none).
_WEEKLY_COVERAGE_V1 = """
    with recursive counted as (
      select outlet_id, date(published, '-6 days', 'weekday 1') as week,
        sum(source is null) as crawled, sum(source is not null) as archived
      from articles where duplicate_of is null and published is not null group by outlet_id, week
    ),
    bounds as (select outlet_id, min(week) as first, max(week) as last from counted group by outlet_id),
    weeks(outlet_id, week, last) as (
      select outlet_id, first, last from bounds
      union all select outlet_id, date(week, '+7 days'), last from weeks where week < last
    )
    select w.outlet_id, w.week, coalesce(c.crawled, 0) as crawled, coalesce(c.archived, 0) as archived,
      case when c.crawled > 0 and c.archived > 0 then 'crawl and archive' when c.crawled > 0 then 'crawl'
        when c.archived > 0 then 'archive' else 'none' end as came_from
    from weeks w left join counted c on c.outlet_id = w.outlet_id and c.week = w.week
"""

# Per outlet: its first and last week with articles, the week from which no week lacks any
# (history complete from), weeks with and without articles, originals crawled and from archives.
_OUTLET_HISTORY_V1 = """
    with gaps as (select outlet_id, max(week) as last_gap from weekly_coverage where came_from = 'none' group by outlet_id)
    select w.outlet_id, o.name as outlet, min(w.week) as first_week, max(w.week) as last_week,
      coalesce((select min(x.week) from weekly_coverage x where x.outlet_id = w.outlet_id and x.week > g.last_gap),
               min(w.week)) as complete_from,
      sum(w.came_from <> 'none') as weeks_with_articles, sum(w.came_from = 'none') as weeks_without,
      sum(w.crawled) as crawled, sum(w.archived) as archived
    from weekly_coverage w join outlets o on o.id = w.outlet_id left join gaps g on g.outlet_id = w.outlet_id
    group by w.outlet_id
"""

_STANCE_COUNTS_V1 = {"articles": int, "scored": int, "score_sum": float, "critical": int, "neutral": int, "supportive": int}


def _summary_tables_v1(db: sqlite_utils.Database) -> None:
    """The summary tables, each with the covering indexes its dashboard panels read."""
    db["daily_articles"].create(
        {"day": str, "week": str, "outlet_id": int, "language": str, "articles": int, "copies": int},
        foreign_keys=[("outlet_id", "outlets", "id")],
    )
    db["daily_articles"].create_index(["day", "outlet_id", "language", "articles", "copies"])
    db["daily_stances"].create(
        {"day": str, "week": str, "outlet_id": int, "actor_id": int, "language": str, **_STANCE_COUNTS_V1},
        foreign_keys=[("outlet_id", "outlets", "id"), ("actor_id", "actors", "id")],
    )
    db["daily_stances"].create_index(["day"])
    db["daily_stances"].create_index(["actor_id", "day", "outlet_id", "language", "articles", "scored", "score_sum"])
    db["daily_stances"].create_index(["outlet_id", "actor_id", "day", "language", "articles", "scored", "score_sum", "critical", "neutral", "supportive"])
    db["weekly_stances"].create(
        {"week": str, "outlet_id": int, "actor_id": int, "language": str, **_STANCE_COUNTS_V1},
        foreign_keys=[("outlet_id", "outlets", "id"), ("actor_id", "actors", "id")],
    )
    db["weekly_stances"].create_index(["week"])
    db["weekly_stances"].create_index(["actor_id", "week", "outlet_id", "language", "articles", "scored", "score_sum"])
    db["articles"].create_index(["date(published)"], index_name="idx_articles_day")  # an index on the expression
    db["crawl_runs"].add_column("summarised", int)


def _outlet_health_table_v1(db) -> None:
    db["outlet_health"].create(
        {"crawl_run_id": int, "outlet_id": int, "day": str, "articles": int, "baseline_mean": float,
         "baseline_days": int, "pages": int, "kept": int, "no_text": int, "median_chars": int,
         "baseline_median_chars": int, "low": int, "high": int, "extraction": int, "status": str, "note": str},
        pk=("crawl_run_id", "outlet_id"),
        foreign_keys=[("crawl_run_id", "crawl_runs", "id"), ("outlet_id", "outlets", "id")],
    )
    db["outlet_health"].create_index(["outlet_id", "day"])


# Articles per day, outlet and language, either all of them (actor '') or those that mention one
# actor (actor = its name): what the dashboard's volume panels count under the actor filter.
_DAILY_VOLUME_V1 = """
    select day, week, outlet_id, language, '' as actor, articles from daily_articles
    union all
    select d.day, d.week, d.outlet_id, d.language, ac.name as actor, d.articles
    from daily_stances d join actors ac on ac.id = d.actor_id
"""

"""The stories table (pipelines/stories.py assigns articles to stories, and hands this module
the vectors): the unplaced articles, the recent stories with their centroids, and the writes.
"""

from dataclasses import dataclass
from datetime import date
import json
from typing import NamedTuple

import numpy as np
import sqlite_utils


@dataclass
class Story:
    id: int | None
    centroid_sum: np.ndarray
    count: int
    last_day: date
    anchors: set


class UnplacedArticle(NamedTuple):
    id: int
    title: str | None
    text: str | None
    published: str | None
    crawled_at: str | None
    duplicate_of: int | None
    outlet_id: int | None
    language: str | None


def unplaced_articles(db: sqlite_utils.Database) -> list[UnplacedArticle]:
    """Every article without a story, oldest publication first."""
    return [UnplacedArticle(*row) for row in db.execute(
        """select id, title, text, published, crawled_at, duplicate_of, outlet_id, language from articles
           where story_id is null order by coalesce(published, crawled_at), id""").fetchall()]


def actors_of_unplaced(db: sqlite_utils.Database) -> dict[int, list[int]]:
    """article id -> the actors judged in it, for the articles without a story."""
    actors: dict[int, list[int]] = {}
    for article_id, actor_id in db.execute(
            "select s.article_id, s.actor_id from articles a join stances s on s.article_id = a.id where a.story_id is null"):
        actors.setdefault(article_id, []).append(actor_id)
    return actors


def copies_join_their_originals(db: sqlite_utils.Database, copies: list[UnplacedArticle]) -> None:
    """A copy (duplicate_of set) is in its original's story; the original may be of an earlier run."""
    for copy in copies:
        db.execute("update articles set story_id = (select story_id from articles where id = ?) where id = ?",
                   [copy.duplicate_of, copy.id])


def load_recent_stories(db: sqlite_utils.Database, since: date) -> list[Story]:
    stories = []
    for story_id, centroid, count, last, anchors in db.execute(
            "select id, centroid, articles, last_published, anchors from stories where last_published >= ?", [since.isoformat()]):
        vector = np.frombuffer(centroid, dtype=np.float32).copy()
        stories.append(Story(story_id, vector * max(1, count), max(1, count), date.fromisoformat(last[:10]),
                             set(json.loads(anchors or "[]"))))
    return stories


def save_story(db: sqlite_utils.Database, story: Story, article: UnplacedArticle, day: date) -> None:
    """Insert a new story (this article its representative) or update a joined one, and set the
    article's story."""
    centroid = (story.centroid_sum / story.count).astype(np.float32).tobytes()
    values = {"centroid": centroid, "last_published": story.last_day.isoformat(),
              "anchors": json.dumps(sorted(story.anchors), ensure_ascii=False)}
    if story.id is None:
        story.id = db["stories"].insert({
            "title": article.title, "first_published": day.isoformat(), "articles": 1, "outlets": 1,
            "languages": json.dumps([article.language] if article.language else []), "representative_article_id": article.id,
            **values}).last_pk
    else:
        db["stories"].update(story.id, values)
    db.execute("update articles set story_id = ? where id = ?", [story.id, article.id])


def refresh_story_counts(db: sqlite_utils.Database, article_ids: set, title_language: str = "en") -> None:
    """articles, outlets, languages, the publication span, the representative and title (its
    first original report in `title_language`, else its first) of the stories these articles joined."""
    ids = sorted(article_ids)
    for start in range(0, len(ids), 500):
        refresh_story_counts_of(db, ids[start:start + 500], title_language)


def refresh_story_counts_of(db: sqlite_utils.Database, article_ids: list[int], title_language: str) -> None:
    marks = ",".join("?" * len(article_ids))
    db.execute(f"""
        update stories set representative_article_id = (
          select a.id from articles a where a.story_id = stories.id
          order by a.language = ? desc, a.duplicate_of is not null, coalesce(a.published, a.crawled_at), a.id limit 1)
        where id in (select story_id from articles where id in ({marks}))""", [title_language, *article_ids])
    db.execute(f"""
        update stories set title = coalesce((select a.title from articles a where a.id = stories.representative_article_id), title)
        where id in (select story_id from articles where id in ({marks}))""", list(article_ids))
    db.execute(f"""
        update stories set
          articles = (select count(*) from articles a where a.story_id = stories.id),
          outlets = (select count(distinct a.outlet_id) from articles a where a.story_id = stories.id),
          languages = (select json_group_array(language) from (select distinct a.language from articles a
                       where a.story_id = stories.id and a.language is not null order by a.language)),
          first_published = coalesce((select min(substr(a.published, 1, 10)) from articles a where a.story_id = stories.id), first_published),
          last_published = coalesce((select max(substr(a.published, 1, 10)) from articles a where a.story_id = stories.id), last_published)
        where id in (select story_id from articles where id in ({marks}))""", list(article_ids))

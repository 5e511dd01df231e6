"""Articles labelled with the author's stance toward one target, and judging them as a crawl does.

Two formats:
- JSON lines: {"title", "text", "target", "aliases": [...], "label": "critical|neutral|supportive"}
  (optional "language", default en; "aliases" default: the target's name);
- PerSenT's CSV (Bastan et al. 2020): TITLE, TARGET_ENTITY, DOCUMENT (one paragraph a line),
  TRUE_SENTIMENT (Negative / Neutral / Positive); the target's aliases are its full name and its
  surname (the name's last word).

Each article is judged as the crawl judges it: the actor finder of the actors stage with the
target as a person, the stance model, and the combination rule (stance.judge_article). An
article in which the target is never found counts as neutral, as it would show on no panel.
"""

import csv
from dataclasses import dataclass
from pathlib import Path
import sys

from crawler.config import Actor
from lab.jsonlines import numbered_records
from lab.training import scores
from pipelines.actors import ActorFinder
from stance import LABELS, judge_article

PERSENT_LABELS = {"Negative": "critical", "Neutral": "neutral", "Positive": "supportive"}
PERSENT_COLUMNS = ("TITLE", "TARGET_ENTITY", "DOCUMENT", "TRUE_SENTIMENT")


@dataclass(frozen=True)
class LabelledArticle:
    title: str
    text: str
    target: str
    aliases: tuple[str, ...]
    label: str
    language: str = "en"


def read_articles(path: str | Path) -> list[LabelledArticle]:
    """The labelled articles of a JSON-lines or PerSenT CSV file; ValueError (one line, naming
    the file and the line or row) on anything else."""
    return read_persent(path) if str(path).lower().endswith(".csv") else read_jsonl(path)


def read_jsonl(path: str | Path) -> list[LabelledArticle]:
    articles = []
    for number, record in numbered_records(path):
        try:
            label = record["label"]
            if label not in LABELS:
                raise ValueError(f"label {label!r} is not one of {', '.join(LABELS)}")
            target = str(record["target"])
            articles.append(LabelledArticle(
                title=record.get("title") or "", text=str(record["text"]), target=target,
                aliases=tuple(record.get("aliases") or (target,)), label=label, language=record.get("language", "en")))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path}:{number}: not a labelled article ({error}); expected JSON with title, text, "
                             "target, aliases and label (critical, neutral or supportive)") from None
    return articles


def persent_aliases(name: str) -> tuple[str, ...]:
    """A PerSenT target's aliases: its full name and its surname."""
    words = name.split()
    return tuple(dict.fromkeys([name, words[-1]])) if words else (name,)


def read_persent(path: str | Path) -> list[LabelledArticle]:
    csv.field_size_limit(sys.maxsize)  # whole articles in one field
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in PERSENT_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: not a PerSenT file: no column {missing[0]} (expected {', '.join(PERSENT_COLUMNS)})")
        articles = []
        for number, row in enumerate(reader, 2):
            sentiment = row["TRUE_SENTIMENT"]
            if sentiment not in PERSENT_LABELS or not row["TARGET_ENTITY"]:
                raise ValueError(f"{path}: row {number}: TRUE_SENTIMENT {sentiment!r} is not Negative, Neutral or "
                                 "Positive, or TARGET_ENTITY is empty")
            paragraphs = [p.strip() for p in row["DOCUMENT"].split("\n") if p.strip()]
            articles.append(LabelledArticle(title=row["TITLE"], text="\n".join(paragraphs), target=row["TARGET_ENTITY"],
                                            aliases=persent_aliases(row["TARGET_ENTITY"]), label=PERSENT_LABELS[sentiment]))
    return articles


def find_target(article: LabelledArticle, follow_persons: bool = False) -> list:
    """The target's mentions, found by the actors stage's finder with the target as a person."""
    finder = ActorFinder((Actor(name=article.target, kind="person", aliases=article.aliases),), follow_persons)
    return finder.find(article.title, article.text, article.language).get(article.target, [])


def judge(model, article: LabelledArticle, batch_size: int = 64) -> str | None:
    """The label the crawl would store for the target, None when the target is not found."""
    mentions = find_target(article)
    if not mentions:
        return None
    return judge_article(model, {article.target: mentions}, batch_size)[article.target].label


def evaluate_articles(model, articles: list[LabelledArticle], progress=None) -> dict:
    """Macro-F1, accuracy, per-label F1, n, and `found`: articles in which the target was found
    (one that was not counts as neutral)."""
    predicted, found = [], 0
    for done, article in enumerate(articles, 1):
        label = judge(model, article)
        found += label is not None
        predicted.append(label or "neutral")
        if progress and done % 100 == 0:
            progress(done, len(articles))
    return {**scores([a.label for a in articles], predicted), "found": found}

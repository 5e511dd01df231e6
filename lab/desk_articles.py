"""Articles in the desk's own domain (lab/data/desk_*.yml), each with a reader's portrayal of
several actors, judged as a crawl judges them: the actors stage's finder over actors.yml, the
model stance.yml assigns to the article's language, the article judgement.

The desk's reviews of stored articles (reviewed_articles) read the same way.

desk_articles.yml only measures; desk_tuning.yml trains, pooled with PerSenT, the English model's
learned combination (`csto-monitor stance fit-combination --desk-articles`). An actor the reader labelled but the finder does not find
counts as neutral, as it would show on no panel.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

from lab.training import critical_recall, scores
from stance import LABELS, judge_article

DATA_DIR = Path(__file__).resolve().parent / "data"
DESK_ARTICLES = DATA_DIR / "desk_articles.yml"
DESK_TUNING = DATA_DIR / "desk_tuning.yml"


@dataclass(frozen=True)
class DeskArticle:
    title: str
    text: str
    language: str
    actors: dict  # actor name (as in actors.yml) -> the reader's label


@dataclass(frozen=True)
class ActorJudgement:
    """One labelled actor of one article: the reader's label and the product's judgement (None:
    the finder did not find the actor)."""

    article: int
    language: str
    actor: str
    gold: str
    judged: object  # stance.ArticleStance | None

    @property
    def label(self) -> str:
        return self.judged.label if self.judged is not None else "neutral"


def read_desk_articles(path: str | Path = DESK_ARTICLES) -> list[DeskArticle]:
    """The articles of a desk set; ValueError (one line, naming the file and the entry) on anything else."""
    try:
        entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read a desk article set ({str(error).splitlines()[0]})") from None
    articles = []
    for number, entry in enumerate(entries or [], 1):
        try:
            actors = {str(name): str(label) for name, label in entry["actors"].items()}
            wrong = [label for label in actors.values() if label not in LABELS]
            if wrong or not actors:
                raise ValueError(f"label {wrong[0]!r} is not one of {', '.join(LABELS)}" if wrong else "no actors")
            articles.append(DeskArticle(str(entry["title"]), str(entry["text"]), str(entry["language"]), actors))
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"{path}: entry {number}: not a desk article ({error}); expected title, text, language "
                             "and actors (name: critical, neutral or supportive)") from None
    return articles


def reviewed_articles(reviewed_stances: list[dict]) -> list[DeskArticle]:
    """The articles of the desk's reviewed stances (rows of crawler/storage/reviews.py's
    reviewed_stances), each with the desk's label of every actor it reviewed there."""
    articles: dict[int, DeskArticle] = {}
    for row in reviewed_stances:
        article = articles.setdefault(row["article_id"], DeskArticle(row["title"] or "", row["text"] or "",
                                                                     row["language"] or "und", {}))
        article.actors[row["actor"]] = row["label"]
    return list(articles.values())


def judge_desk_articles(articles: list[DeskArticle], finder, model_for_language) -> list[ActorJudgement]:
    """Every labelled actor of every article, judged as the crawl judges it; `model_for_language(lang)`
    gives the model (None: no model covers that language)."""
    judged = []
    for index, article in enumerate(articles):
        model = model_for_language(article.language)
        if model is None:
            raise ValueError(f"no stance model is configured for language '{article.language}'")
        mentions = finder.find(article.title, article.text, article.language)
        stances = judge_article(model, mentions, headline=article.title)
        judged.extend(ActorJudgement(index, article.language, actor, gold, stances.get(actor))
                      for actor, gold in article.actors.items())
    return judged


def desk_scores(judgements: list[ActorJudgement]) -> dict:
    """Macro-F1, accuracy and per-label F1 over the labelled actors, critical recall, and how many were found."""
    gold = [j.gold for j in judgements]
    predicted = [j.label for j in judgements]
    recall = critical_recall(gold, predicted)
    return {**scores(gold, predicted), "critical_recall": None if recall is None else round(recall, 4),
            "found": sum(j.judged is not None for j in judgements)}

"""Stance per actor: critical / neutral / supportive, independent of Scrapy and SQLite.

Typical use::

    from stance import Mention, load_model, combine_mentions

    model = load_model()                      # the offline default (MiniLM + trained head)
    preds = model.predict([Mention("Putin was furious.", 0, 5)])
    article = combine_mentions(preds)         # label, score, confidence, evidence
"""

from stance.labels import LABELS, Mention, MentionStance
from stance.aggregate import ArticleStance, combine_mentions, judge_article

_FROM_MODEL = ("DEFAULT_MODEL_DIR", "StanceModel", "load_model")


def __getattr__(name: str):
    """The model's names are imported on first use: a module that needs only the labels (the
    actor finder, a crawl without the stance stage) does not pay for importing torch."""
    if name in _FROM_MODEL:
        from stance import model

        return getattr(model, name)
    raise AttributeError(f"module 'stance' has no attribute {name!r}")

__all__ = [
    "LABELS",
    "Mention",
    "MentionStance",
    "ArticleStance",
    "combine_mentions",
    "judge_article",
    "StanceModel",
    "DEFAULT_MODEL_DIR",
    "load_model",
]

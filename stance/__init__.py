"""Stance per actor: critical / neutral / supportive, independent of Scrapy and SQLite.

Typical use::

    from stance import Mention, load_model, combine_mentions

    model = load_model()                      # the offline default (MiniLM + trained head)
    preds = model.predict([Mention("Putin was furious.", 0, 5)])
    article = combine_mentions(preds)         # label, score, confidence, evidence
"""

from stance.labels import LABELS, Mention, MentionStance
from stance.aggregate import ArticleStance, combine_mentions, judge_article
from stance.model import DEFAULT_MODEL_DIR, StanceModel, load_model

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

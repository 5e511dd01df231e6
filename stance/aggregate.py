"""Combine the judgements of an actor's mentions in one article into one article-level stance.

The rule (also in the README):
- score: the mean of the mention scores (P(supportive) - P(critical)), each weighted by the
  model's confidence in that mention, so a hesitant mention moves the article less;
- label: critical when score <= -THRESHOLD, supportive when score >= THRESHOLD, else neutral;
- confidence: the mean probability the mentions give to the article's label;
- evidence: up to MAX_EVIDENCE distinct sentences that pushed hardest towards that label.
"""

from dataclasses import dataclass, field

from stance.labels import MentionStance

THRESHOLD = 0.2
MAX_EVIDENCE = 3


@dataclass
class ArticleStance:
    label: str
    score: float
    confidence: float
    mentions: int
    evidence: list[str] = field(default_factory=list)


def label_for(score: float) -> str:
    if score <= -THRESHOLD:
        return "critical"
    if score >= THRESHOLD:
        return "supportive"
    return "neutral"


def combine_mentions(judgements: list[MentionStance]) -> ArticleStance:
    if not judgements:
        raise ValueError("combine_mentions needs at least one judged mention")
    weights = [max(j.confidence, 1e-6) for j in judgements]
    score = sum(w * j.score for w, j in zip(weights, judgements)) / sum(weights)
    label = label_for(score)
    confidence = sum(j.probabilities.get(label, 0.0) for j in judgements) / len(judgements)
    return ArticleStance(
        label=label,
        score=round(score, 4),
        confidence=round(confidence, 4),
        mentions=len(judgements),
        evidence=evidence_sentences(judgements, label),
    )


def evidence_sentences(judgements: list[MentionStance], label: str) -> list[str]:
    """The sentences whose mentions leaned most towards `label`, strongest first, no repeats."""
    ranked = sorted(judgements, key=lambda j: j.probabilities.get(label, 0.0), reverse=True)
    evidence: list[str] = []
    for judgement in ranked:
        sentence = judgement.mention.sentence.strip()
        if sentence not in evidence:
            evidence.append(sentence)
        if len(evidence) == MAX_EVIDENCE:
            break
    return evidence


def judge_article(model, mentions_by_actor: dict[str, list], batch_size: int = 64) -> dict[str, ArticleStance]:
    """Every actor's stance in one article: all its mentions judged by `model` in one batch,
    then combined per actor. The crawl's stance stage and `stance eval --articles` both judge so."""
    flat = [(actor, mention) for actor, mentions in mentions_by_actor.items() for mention in mentions]
    judgements = model.predict([mention for _, mention in flat], batch_size) if flat else []
    by_actor: dict[str, list[MentionStance]] = {}
    for (actor, _), judgement in zip(flat, judgements):
        by_actor.setdefault(actor, []).append(judgement)
    return {actor: combine_mentions(actor_judgements) for actor, actor_judgements in by_actor.items()}

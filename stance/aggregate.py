"""Combine the judgements of an actor's mentions in one article into one article-level stance.

Two ways, the second where the model ships one (`combination.json` beside its config):
- the rule: score = the mean of the mention scores (P(supportive) - P(critical)), each weighted
  by the model's confidence in that mention; label critical when score <= -THRESHOLD,
  supportive when score >= THRESHOLD, else neutral; confidence = the mean probability the
  mentions give to that label;
- a learned combination: a multinomial logistic regression over FEATURES of the mentions,
  fitted on articles labelled by readers (`csto-monitor stance fit-combination`); label = its
  most probable class, confidence = that probability, score = P(supportive) - P(critical).
Either way the evidence is up to MAX_EVIDENCE distinct sentences that leaned hardest towards the
label, and `headline` says whether the headline names the actor.
"""

from dataclasses import dataclass, field
import json
import math
from pathlib import Path

from stance.labels import LABELS, Mention, MentionStance

THRESHOLD = 0.2
MAX_EVIDENCE = 3


COMBINATION_FILE = "combination.json"
FEATURES = ("mean_score", "min_score", "max_score", "share_critical", "share_supportive", "headline_score",
            "first_score", "mentions_up_to_20")


@dataclass
class ArticleStance:
    label: str
    score: float
    confidence: float
    mentions: int
    evidence: list[str] = field(default_factory=list)
    headline: bool = False


def named_in_headline(mentions: list[Mention], headline: str | None) -> bool:
    """Whether the headline is one of the sentences the mentions stand in."""
    return bool(headline) and any(mention.sentence == headline for mention in mentions)


def article_features(judgements: list[MentionStance], headline: str | None = None) -> list[float]:
    """What the learned combination reads of an actor's judged mentions (in article order, the
    headline's first): their scores' mean, extremes and the shares leaning each way, the
    headline's mean score (0 without one), the first mention's score, and how many (up to 20)."""
    scores = [j.score for j in judgements]
    in_headline = [j.score for j in judgements if headline and j.mention.sentence == headline]
    return [sum(scores) / len(scores), min(scores), max(scores),
            sum(j.probabilities.get("critical", 0) > 0.5 for j in judgements) / len(scores),
            sum(j.probabilities.get("supportive", 0) > 0.5 for j in judgements) / len(scores),
            sum(in_headline) / len(in_headline) if in_headline else 0.0, scores[0], min(len(scores), 20) / 20]


@dataclass(frozen=True)
class LearnedCombination:
    """Multinomial logistic regression from FEATURES to labels: `weights[i]` and `bias[i]` give
    the logit of `labels[i]`. `fitted` says on what and how well (cross-validated)."""

    labels: tuple[str, ...]
    weights: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    fitted: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_file(cls, path: str | Path) -> "LearnedCombination":
        """Read a combination file; ValueError (one line, naming the file) when it does not fit."""
        try:
            data = json.loads(Path(path).read_text())
            combination = cls(tuple(data["labels"]), tuple(tuple(float(w) for w in row) for row in data["weights"]),
                              tuple(float(b) for b in data["bias"]), data.get("fitted", {}))
            if list(data["features"]) != list(FEATURES) or set(combination.labels) != set(LABELS) or \
                    len(combination.weights) != len(combination.labels) or \
                    any(len(row) != len(FEATURES) for row in combination.weights):
                raise ValueError(f"expected features {', '.join(FEATURES)} and labels {', '.join(LABELS)}")
            return combination
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: not a stance combination ({error}); fit one with "
                             "`csto-monitor stance fit-combination`") from None

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "labels": list(self.labels), "weights": [list(r) for r in self.weights],
                "bias": list(self.bias), "fitted": self.fitted}

    def probabilities(self, features: list[float]) -> dict[str, float]:
        logits = [b + sum(w * x for w, x in zip(row, features)) for row, b in zip(self.weights, self.bias)]
        top = max(logits)
        exps = [math.exp(logit - top) for logit in logits]
        return {label: e / sum(exps) for label, e in zip(self.labels, exps)}


def label_for(score: float) -> str:
    if score <= -THRESHOLD:
        return "critical"
    if score >= THRESHOLD:
        return "supportive"
    return "neutral"


def combine_mentions(judgements: list[MentionStance], headline: str | None = None,
                     combination: LearnedCombination | None = None) -> ArticleStance:
    """The article's stance toward one actor from its judged mentions (in article order);
    `headline`: the article's title, where it names the actor."""
    if not judgements:
        raise ValueError("combine_mentions needs at least one judged mention")
    in_headline = named_in_headline([j.mention for j in judgements], headline)
    if combination is not None:
        probabilities = combination.probabilities(article_features(judgements, headline))
        label = max(probabilities, key=probabilities.get)
        return ArticleStance(
            label=label,
            score=round(probabilities["supportive"] - probabilities["critical"], 4),
            confidence=round(probabilities[label], 4),
            mentions=len(judgements),
            evidence=evidence_sentences(judgements, label),
            headline=in_headline,
        )
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
        headline=in_headline,
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


def judge_article(model, mentions_by_actor: dict[str, list], batch_size: int = 64,
                  headline: str | None = None) -> dict[str, ArticleStance]:
    """Every actor's stance in one article: all its mentions judged by `model` in one batch,
    then combined per actor (by the model's learned combination where it has one). The crawl's
    stance stage and `stance eval --articles` both judge so."""
    flat = [(actor, mention) for actor, mentions in mentions_by_actor.items() for mention in mentions]
    judgements = model.predict([mention for _, mention in flat], batch_size) if flat else []
    by_actor: dict[str, list[MentionStance]] = {}
    for (actor, _), judgement in zip(flat, judgements):
        by_actor.setdefault(actor, []).append(judgement)
    combination = getattr(model, "combination", None)
    return {actor: combine_mentions(actor_judgements, headline, combination) for actor, actor_judgements in by_actor.items()}

"""Combine the judgements of an actor's mentions in one article into one article-level judgement.

One judgement gives everything shown: the article's probabilities of critical / neutral /
supportive; the label is the most probable, the confidence that label's probability and the
score P(supportive) - P(critical) of the same probabilities (so a critical label always has a
negative score, a supportive one a positive score, and a neutral article scores near 0).
The probabilities come from
- a learned combination where the model ships one (`combination.json` beside its config): a
  multinomial logistic regression over FEATURES of the mentions, fitted on articles labelled by
  readers, real news and articles of the desk's own domain (`csto-monitor stance fit-combination`);
- otherwise the mean of the mentions' probabilities, each weighted by the model's confidence in it.
The evidence is up to MAX_EVIDENCE distinct sentences that leaned hardest towards the label, and
`headline` says whether the headline names the actor.
"""

from dataclasses import dataclass, field
import json
import math
from pathlib import Path

from stance.labels import LABELS, Mention, MentionStance

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
    probabilities: dict = field(default_factory=dict)  # per label: what label, score and confidence come from


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

    def logits(self, features: list[float]) -> dict[str, float]:
        return {label: b + sum(w * x for w, x in zip(row, features))
                for label, row, b in zip(self.labels, self.weights, self.bias)}

    def probabilities(self, features: list[float]) -> dict[str, float]:
        return softmax(self.logits(features))


def softmax(logits: dict[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exps = {label: math.exp(value - top) for label, value in logits.items()}
    total = sum(exps.values())
    return {label: e / total for label, e in exps.items()}


def mean_probabilities(judgements: list[MentionStance]) -> dict[str, float]:
    """The mentions' probabilities averaged, each mention weighted by the model's confidence in it."""
    weights = [max(j.confidence, 1e-6) for j in judgements]
    return {label: sum(w * j.probabilities.get(label, 0.0) for w, j in zip(weights, judgements)) / sum(weights)
            for label in LABELS}


def article_probabilities(judgements: list[MentionStance], headline: str | None = None,
                          combination: LearnedCombination | None = None) -> dict[str, float]:
    """The article judgement: its probability per label."""
    if combination is not None:
        return combination.probabilities(article_features(judgements, headline))
    return mean_probabilities(judgements)


def combine_mentions(judgements: list[MentionStance], headline: str | None = None,
                     combination: LearnedCombination | None = None) -> ArticleStance:
    """The article's stance toward one actor from its judged mentions (in article order);
    `headline`: the article's title, where it names the actor."""
    if not judgements:
        raise ValueError("combine_mentions needs at least one judged mention")
    probabilities = article_probabilities(judgements, headline, combination)
    label = max(probabilities, key=probabilities.get)
    return ArticleStance(
        label=label,
        score=round(probabilities["supportive"] - probabilities["critical"], 4),
        confidence=round(probabilities[label], 4),
        mentions=len(judgements),
        evidence=evidence_sentences(judgements, label),
        headline=named_in_headline([j.mention for j in judgements], headline),
        probabilities={name: round(value, 4) for name, value in probabilities.items()},
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

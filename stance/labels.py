"""The vocabulary the stance model speaks: labels, a mention to judge, a judgement."""

from dataclasses import dataclass, field

LABELS = ("critical", "neutral", "supportive")


@dataclass(frozen=True)
class Mention:
    """One mention of an actor: the sentence it stands in and its character span there, and
    the actor's name where known (zero-shot hypotheses name the actor, not the inflected form)."""

    sentence: str
    start: int
    end: int
    actor: str | None = None

    @property
    def surface(self) -> str:
        return self.sentence[self.start : self.end]


@dataclass
class MentionStance:
    """The model's judgement of one mention: label, class probabilities and a score in [-1, 1]."""

    mention: Mention
    label: str
    probabilities: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        """P(supportive) - P(critical): negative means critical, positive supportive."""
        return self.probabilities.get("supportive", 0.0) - self.probabilities.get("critical", 0.0)

    @property
    def confidence(self) -> float:
        return self.probabilities.get(self.label, 0.0)

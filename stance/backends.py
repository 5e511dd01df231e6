"""Stance from any Hugging Face model, by name or path, next to the offline default.

- `SequenceClassifierStance`: a sequence-classification model trained for stance. It reads the
  window around the mention paired with the target (`input: pair`, the usual format of
  target-dependent models) or the window alone (`input: sentence`); `labels` maps the model's
  own label names to critical / neutral / supportive.
- `ZeroShotStance`: a natural-language-inference model. For each label a hypothesis template
  ("This text is critical of {actor}.") is paired with the window; the three entailment scores,
  softmaxed, are the label probabilities. A multilingual NLI model thus judges Russian,
  Ukrainian or Armenian text with no stance training data.

Both batch every mention they are given in one pass (sorted by length, `batch_size` at a time)
and expose what `StanceModel` does: `name`, `languages`, `predict(mentions, batch_size)`.
"""

from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification

from stance.features import window_around
from stance.labels import LABELS, Mention, MentionStance
from stance.quiet import quiet_loading
from stance.tokenizer import load_tokenizer

DEFAULT_TEMPLATES = {
    "critical": "This text is critical of {actor}.",
    "neutral": "This text is neutral about {actor}.",
    "supportive": "This text is supportive of {actor}.",
}


class HuggingFaceStance:
    """What both backends share: loading a sequence-classification model and batching pairs."""

    def __init__(self, model: str | Path, name: str | None, languages, device: str = "cpu", max_length: int = 256):
        self.path = str(model)
        self.name = name or Path(self.path).name
        self.languages = tuple(languages)
        self.max_length = max_length
        self.device = torch.device(device)
        self.tokenizer = load_tokenizer(self.path)
        with quiet_loading():
            self.model = AutoModelForSequenceClassification.from_pretrained(self.path).to(self.device).eval()

    @torch.inference_mode()
    def logits(self, pairs: list[tuple[str, str | None]], batch_size: int) -> torch.Tensor:
        """The model's logits for each (text, second text or None), in the order given."""
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1] or ""))
        out = torch.empty((len(pairs), self.model.config.num_labels))
        for start in range(0, len(order), batch_size):
            chunk = [pairs[i] for i in order[start : start + batch_size]]
            first = [text for text, _ in chunk]
            second = [other for _, other in chunk] if chunk[0][1] is not None else None
            batch = self.tokenizer(first, second, padding=True, truncation=True, max_length=self.max_length,
                                   return_tensors="pt").to(self.device)
            out[torch.tensor(order[start : start + batch_size])] = self.model(**batch).logits.float().cpu()
        return out

    def label_index(self, wanted: str) -> int:
        """The index of the model's label called `wanted` (case ignored)."""
        for index, label in self.model.config.id2label.items():
            if str(label).lower() == wanted.lower():
                return int(index)
        known = ", ".join(str(label) for label in self.model.config.id2label.values())
        raise ValueError(f"{self.path}: the model has no label {wanted!r} (its labels: {known}); fix the label mapping")


class SequenceClassifierStance(HuggingFaceStance):
    def __init__(self, model, labels: dict[str, str], name=None, languages=("en",), input: str = "pair",
                 device="cpu", max_length=256):
        super().__init__(model, name, languages, device, max_length)
        if sorted(set(labels.values())) != sorted(LABELS):
            raise ValueError(f"{self.path}: the label mapping must map onto {', '.join(LABELS)}; it gives {labels}")
        if input not in ("pair", "sentence"):
            raise ValueError(f"{self.path}: input must be pair or sentence, not {input!r}")
        self.input = input
        self.indexes = {ours: self.label_index(theirs) for theirs, ours in labels.items()}

    def predict(self, mentions: list[Mention], batch_size: int = 64) -> list[MentionStance]:
        if not mentions:
            return []
        windows = [window_around(m) for m in mentions]
        pairs = [(w.sentence, w.surface if self.input == "pair" else None) for w in windows]
        probabilities = torch.softmax(self.logits(pairs, batch_size), dim=-1)
        results = []
        for mention, probs in zip(mentions, probabilities):
            by_label = {label: float(probs[index]) for label, index in self.indexes.items()}
            total = sum(by_label.values()) or 1.0  # models with extra labels: renormalise over ours
            by_label = {label: p / total for label, p in by_label.items()}
            results.append(MentionStance(mention, max(by_label, key=by_label.get), by_label))
        return results


class ZeroShotStance(HuggingFaceStance):
    def __init__(self, model, templates: dict[str, str] | None = None, name=None, languages=("en",),
                 entailment_label: str = "entailment", device="cpu", max_length=256):
        super().__init__(model, name, languages, device, max_length)
        self.templates = templates or DEFAULT_TEMPLATES
        if sorted(self.templates) != sorted(LABELS) or not all("{actor}" in t for t in self.templates.values()):
            raise ValueError(f"{self.path}: templates need one entry per label ({', '.join(LABELS)}), each with {{actor}}")
        self.entailment = self.label_index(entailment_label)

    def predict(self, mentions: list[Mention], batch_size: int = 64) -> list[MentionStance]:
        if not mentions:
            return []
        windows = [window_around(m) for m in mentions]
        pairs = [
            (window.sentence, self.templates[label].format(actor=mention.actor or window.surface))
            for mention, window in zip(mentions, windows)
            for label in LABELS
        ]
        entailment = self.logits(pairs, batch_size)[:, self.entailment].reshape(len(mentions), len(LABELS))
        probabilities = torch.softmax(entailment, dim=-1)
        results = []
        for mention, probs in zip(mentions, probabilities):
            by_label = dict(zip(LABELS, (float(p) for p in probs)))
            results.append(MentionStance(mention, max(by_label, key=by_label.get), by_label))
        return results

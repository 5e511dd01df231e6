"""The configured stance models, and which one judges an article in a given language.

A model judges only the languages it is configured for; the first model in the configuration
that covers a language is the one used. An article in a language no model covers gets no
stance: the pipeline stores its mentions with `model` = `none:LANG`.
"""

from pathlib import Path

from stance.backends import SequenceClassifierStance, ZeroShotStance
from stance.model import load_model


def build_backend(spec: dict, device: str = "cpu", default_model_dir: str | Path | None = None):
    """A loaded model for one entry of stance.yml (see crawler.config.load_stance_models)."""
    backend, languages = spec.get("backend", "default"), spec["languages"]
    if backend == "default":
        model = load_model(spec.get("model") or default_model_dir, device=device)
        model.languages = tuple(languages)
        model.name = spec.get("name") or model.name
        return model
    options = {"name": spec.get("name"), "languages": languages, "device": device}
    if "max_length" in spec:
        options["max_length"] = int(spec["max_length"])
    if backend == "classifier":
        return SequenceClassifierStance(spec["model"], spec["labels"], input=spec.get("input", "pair"), **options)
    if backend == "zero-shot":
        return ZeroShotStance(spec["model"], spec.get("templates"),
                              entailment_label=spec.get("entailment_label", "entailment"), **options)
    raise ValueError(f"unknown stance backend {backend!r}")


class StanceModels:
    """The loaded models, in order of preference."""

    def __init__(self, models: list):
        self.models = models

    @classmethod
    def from_specs(cls, specs: list[dict], device: str = "cpu", default_model_dir=None) -> "StanceModels":
        return cls([build_backend(spec, device, default_model_dir) for spec in specs])

    def for_language(self, language: str | None):
        """The model that judges `language`, or None when no model covers it."""
        return next((model for model in self.models if language in model.languages), None)

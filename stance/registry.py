"""The configured stance models, and which one judges an article in a given language.

A model judges only the languages it is configured for; the first model in the configuration
that covers a language is the one used. An article in a language no model covers gets no
stance: the pipeline stores its mentions with `model` = `none:LANG`.
"""

import logging
from pathlib import Path

from stance.backends import SequenceClassifierStance, ZeroShotStance
from stance.model import load_model

logger = logging.getLogger(__name__)

RUNTIMES = ("torch", "onnx-int8")


def build_backend(spec: dict, device: str = "cpu", default_model_dir: str | Path | None = None, threads: int = 1):
    """A loaded model for one entry of stance.yml (see crawler.config.load_stance_models);
    `threads`: CPU threads each call of the model may use."""
    backend, languages = spec.get("backend", "default"), spec["languages"]
    if backend == "default":
        model = load_model(spec.get("model") or default_model_dir, device=device)
        if spec.get("runtime", "torch") == "onnx-int8":
            if device == "cpu":
                from stance.quantized import KEEP_FLOAT, quantize_encoder

                quantize_encoder(model.encoder, threads, tuple(model.config.get("int8_keep_float", KEEP_FLOAT)))
            else:
                logger.info("runtime onnx-int8 is for CPUs; %s runs the PyTorch encoder on %s", spec.get("name"), device)
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
    def from_specs(cls, specs: list[dict], device: str = "cpu", default_model_dir=None, threads: int = 1) -> "StanceModels":
        return cls([build_backend(spec, device, default_model_dir, threads) for spec in specs])

    def for_language(self, language: str | None):
        """The model that judges `language`, or None when no model covers it."""
        return next((model for model in self.models if language in model.languages), None)

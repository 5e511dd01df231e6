"""The configured stance models, and which one judges an article in a given language.

A model judges only the languages it is configured for; the first model in the configuration
that covers a language is the one used. An article in a language no model covers gets no
stance: the pipeline stores its mentions with `model` = `none:LANG`.
"""

import logging
from pathlib import Path
import threading

from stance.folders import model_directory
from stance.quiet import quiet_loading

logger = logging.getLogger(__name__)

RUNTIMES = ("torch", "onnx-int8")


def build_backend(spec: dict, device: str = "cpu", default_model_dir: str | Path | None = None,
                  threads: int | None = None):
    """A loaded model for one entry of stance.yml (see crawler.config.load_stance_models);
    `threads`: CPU threads each call of the model may use (PyTorch's own choice when None)."""
    backend, languages = spec.get("backend", "default"), spec["languages"]
    # imported here: a crawl with nothing new to judge never imports PyTorch or transformers
    import torch

    from stance.backends import SequenceClassifierStance, ZeroShotStance
    from stance.model import load_model

    if device == "cpu" and threads:
        torch.set_num_threads(threads)
    threads = threads or torch.get_num_threads()

    if backend == "default":
        directory = spec.get("model") or default_model_dir
        if spec.get("runtime", "torch") == "onnx-int8" and device == "cpu":
            from stance.quantized import load_int8_model

            model = load_int8_model(directory, threads)
        else:
            if spec.get("runtime", "torch") == "onnx-int8":
                logger.info("runtime onnx-int8 is for CPUs; %s runs the PyTorch encoder on %s", spec.get("name"), device)
            model = load_model(directory, device=device)
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


def check_model_folder(spec: dict, default_model_dir: str | Path | None = None) -> None:
    """FileNotFoundError (one line) when a default-backend entry's model folder holds no model;
    nothing is loaded. Other backends name Hugging Face models, found only when they load."""
    if spec.get("backend", "default") == "default":
        model_directory(spec.get("model") or default_model_dir)


class StanceModels:
    """The configured models, in order of preference. Built from stance.yml's entries, each model
    is loaded when an article in one of its languages first needs it, in the thread that asks: a
    crawl with nothing new to judge loads none, a crawl of English articles only the English one."""

    def __init__(self, specs: list[dict], build):
        self.specs, self.build = specs, build
        self.languages = [tuple(spec["languages"]) for spec in specs]
        self.loaded = {}
        self.lock = threading.Lock()

    @classmethod
    def from_specs(cls, specs: list[dict], device: str = "cpu", default_model_dir=None,
                   threads: int | None = None) -> "StanceModels":
        for spec in specs:  # a missing model folder is an error now, not when its first article comes
            check_model_folder(spec, default_model_dir)
        return cls(specs, lambda spec: build_backend(spec, device, default_model_dir, threads))

    def covers(self, language: str | None) -> bool:
        """Whether a model is configured for `language` (nothing is loaded to tell)."""
        return self.index_for(language) is not None

    def index_for(self, language: str | None) -> int | None:
        return next((index for index, languages in enumerate(self.languages) if language in languages), None)

    def for_language(self, language: str | None):
        """The model that judges `language` (loaded on first use), or None when no model covers it."""
        index = self.index_for(language)
        if index is None:
            return None
        with self.lock:
            if index not in self.loaded:
                with quiet_loading():  # whoever asks first: no progress bars in a crawl's output
                    self.loaded[index] = self.build(self.specs[index])
            return self.loaded[index]

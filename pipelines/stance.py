"""Stage 5: a thin adapter from the item's mentions to the stance models in `stance/`.

stance.yml says which model judges which language (settings STANCE_FILE, STANCE_MODEL_DIR for
the default backend's folder). All mentions of an article go to its model in one batch, in a
worker thread so the crawl keeps downloading while it thinks. STANCE_WORKERS threads (default:
one per CPU core) judge that many articles at once, each with its share of the cores: on CPU a
small batch gains nothing from two threads, so two articles side by side run almost twice as
fast as one article on two threads (docs/stance-experiments.md, Stance speed). An article in
a language no model is configured for keeps its actors and mention counts, with label, score and
confidence left NULL and the reason in `model` ("none:hy"): never another language's model's guess.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
import os

import torch

from crawler import settings as defaults
from crawler.config import load_stance_models
from stance import judge_article
from stance.aggregate import named_in_headline
from stance.registry import StanceModels


class StancePipeline:
    def __init__(self, specs: list[dict], model_dir: str | None, batch_size: int, device: str, stats, workers: int = 0):
        self.specs = specs
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.device = device
        self.stats = stats
        cores = os.cpu_count() or 1
        self.workers = workers or (cores if device == "cpu" else 1)
        self.threads_per_worker = max(1, cores // self.workers)
        self.models = None
        self.executor = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            load_stance_models(settings.get("STANCE_FILE")),
            settings.get("STANCE_MODEL_DIR") or None,
            settings.getint("STANCE_BATCH_SIZE", defaults.STANCE_BATCH_SIZE),
            settings.get("STANCE_DEVICE", "cpu"),
            crawler.stats,
            settings.getint("STANCE_WORKERS", defaults.STANCE_WORKERS),
        )

    def open_spider(self, spider=None):
        if self.device == "cpu":
            torch.set_num_threads(self.threads_per_worker)
        self.models = StanceModels.from_specs(self.specs, device=self.device, default_model_dir=self.model_dir,
                                              threads=self.threads_per_worker)
        self.executor = ThreadPoolExecutor(self.workers, thread_name_prefix="stance")

    def close_spider(self, spider=None):
        if self.executor:
            self.executor.shutdown()

    async def process_item(self, item):
        if not item.mentions:
            return item
        model = self.models.for_language(item.language)
        if model is None:
            item.stances = [
                {"actor": actor, "label": None, "score": None, "confidence": None, "mentions": len(mentions),
                 "evidence": [], "model": f"none:{item.language}",
                 "headline": named_in_headline(mentions, item.title)}
                for actor, mentions in item.mentions.items()
            ]
            self.stats.inc_value("stance/skipped_language")
            return item
        stances = await asyncio.get_running_loop().run_in_executor(
            self.executor, judge_article, model, item.mentions, self.batch_size, item.title)
        item.stances = [{"actor": actor, "model": model.name, **vars(stance)} for actor, stance in stances.items()]
        self.stats.inc_value("stance/mentions_judged", sum(len(m) for m in item.mentions.values()))
        return item

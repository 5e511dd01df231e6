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
        self.workers, self.threads_per_worker = stance_workers(workers, device)
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
        self.models = StanceModels.from_specs(self.specs, device=self.device, default_model_dir=self.model_dir,
                                              threads=self.threads_per_worker)
        self.executor = ThreadPoolExecutor(self.workers, thread_name_prefix="stance")

    def close_spider(self, spider=None):
        if self.executor:
            self.executor.shutdown()
        self.models = None  # their memory is free for what runs when the crawl ends (stories)

    async def process_item(self, item):
        if not item.mentions:
            return item
        if not self.models.covers(item.language):
            self.stats.inc_value("stance/skipped_language")
        else:
            self.stats.inc_value("stance/mentions_judged", sum(len(m) for m in item.mentions.values()))
        item.stances = await asyncio.get_running_loop().run_in_executor(
            self.executor, judge_stances, self.models, item.language, item.title, item.mentions, self.batch_size)
        return item


def stance_workers(workers: int = 0, device: str = "cpu") -> tuple[int, int]:
    """(articles judged at once, torch threads each): STANCE_WORKERS, by default one article per
    CPU core on one thread each (on a GPU one article at a time)."""
    cores = os.cpu_count() or 1
    workers = workers or (cores if device == "cpu" else 1)
    return workers, max(1, cores // workers)


def judge_stances(models: StanceModels, language: str, title: str | None, mentions: dict, batch_size: int) -> list[dict]:
    """One dict per actor (actor, label, score, confidence, mentions, evidence, headline, model)
    for an article's mentions: judged by its language's model, or, in a language no model covers,
    the mention counts with the stance left NULL. The stance stage and `csto-monitor rejudge` judge so."""
    model = models.for_language(language)
    if model is None:
        return [
            {"actor": actor, "label": None, "score": None, "confidence": None, "mentions": len(actor_mentions),
             "evidence": [], "model": f"none:{language}", "headline": named_in_headline(actor_mentions, title)}
            for actor, actor_mentions in mentions.items()
        ]
    stances = judge_article(model, mentions, batch_size, title)
    return [{"actor": actor, "model": model.name, **vars(stance)} for actor, stance in stances.items()]

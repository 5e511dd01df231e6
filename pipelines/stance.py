"""Stage 5: a thin adapter from the item's mentions to the stance models in `stance/`.

stance.yml says which model judges which language (settings STANCE_FILE, STANCE_MODEL_DIR for
the default backend's folder). All mentions of an article go to its model in one batch, in a
worker thread (`asyncio.to_thread`) so the crawl keeps downloading while it thinks. An article in
a language no model is configured for keeps its actors and mention counts, with label, score and
confidence left NULL and the reason in `model` ("none:ru"): never an English model's guess.
"""

import asyncio

from crawler.config import load_stance_models
from stance import combine_mentions
from stance.registry import StanceModels


class StancePipeline:
    def __init__(self, specs: list[dict], model_dir: str | None, batch_size: int, device: str, stats):
        self.specs = specs
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.device = device
        self.stats = stats
        self.models = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            load_stance_models(settings.get("STANCE_FILE")),
            settings.get("STANCE_MODEL_DIR") or None,
            settings.getint("STANCE_BATCH_SIZE", 64),
            settings.get("STANCE_DEVICE", "cpu"),
            crawler.stats,
        )

    def open_spider(self, spider=None):
        self.models = StanceModels.from_specs(self.specs, device=self.device, default_model_dir=self.model_dir)

    async def process_item(self, item):
        if not item.mentions:
            return item
        model = self.models.for_language(item.language)
        if model is None:
            item.stances = [
                {"actor": actor, "label": None, "score": None, "confidence": None,
                 "mentions": len(mentions), "evidence": [], "model": f"none:{item.language}"}
                for actor, mentions in item.mentions.items()
            ]
            self.stats.inc_value("stance/skipped_language")
            return item
        flat = [(actor, m) for actor, mentions in item.mentions.items() for m in mentions]
        judgements = await asyncio.to_thread(model.predict, [m for _, m in flat], self.batch_size)
        by_actor: dict[str, list] = {}
        for (actor, _), judgement in zip(flat, judgements):
            by_actor.setdefault(actor, []).append(judgement)
        item.stances = []
        for actor, actor_judgements in by_actor.items():
            article_stance = combine_mentions(actor_judgements)
            item.stances.append({"actor": actor, "model": model.name, **vars(article_stance)})
        self.stats.inc_value("stance/mentions_judged", len(flat))
        return item

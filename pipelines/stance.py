"""Stage 5: a thin adapter from the item's mentions to the stance model in `stance/`.

The model runs in a worker thread (`asyncio.to_thread`) so the crawl keeps downloading while
it thinks. An article in a language the model is not configured for keeps its actors and
mention counts, with label, score and confidence left NULL and the reason in `model`
("none:ru"): never an English model's guess.
"""

import asyncio

from stance import combine_mentions, load_model


class StancePipeline:
    def __init__(self, model_dir: str | None, batch_size: int, device: str, stats):
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.device = device
        self.stats = stats
        self.model = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            settings.get("STANCE_MODEL_DIR") or None,
            settings.getint("STANCE_BATCH_SIZE", 64),
            settings.get("STANCE_DEVICE", "cpu"),
            crawler.stats,
        )

    def open_spider(self, spider=None):
        self.model = load_model(self.model_dir, device=self.device)

    async def process_item(self, item):
        if not item.mentions:
            return item
        if item.language not in self.model.languages:
            item.stances = [
                {"actor": actor, "label": None, "score": None, "confidence": None,
                 "mentions": len(mentions), "evidence": [], "model": f"none:{item.language}"}
                for actor, mentions in item.mentions.items()
            ]
            self.stats.inc_value("stance/skipped_language")
            return item
        flat = [(actor, m) for actor, mentions in item.mentions.items() for m in mentions]
        judgements = await asyncio.to_thread(self.model.predict, [m for _, m in flat], self.batch_size)
        by_actor: dict[str, list] = {}
        for (actor, _), judgement in zip(flat, judgements):
            by_actor.setdefault(actor, []).append(judgement)
        item.stances = []
        for actor, actor_judgements in by_actor.items():
            article_stance = combine_mentions(actor_judgements)
            item.stances.append({"actor": actor, "model": self.model.name, **vars(article_stance)})
        self.stats.inc_value("stance/mentions_judged", len(flat))
        return item

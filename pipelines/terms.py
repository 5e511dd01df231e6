"""Find configured terms (topic keywords, actor aliases) in text.

Rules shared by relevance and actor detection:
- a term matches only as whole words: no letter or digit may touch it on either side, so
  "Russia" matches "Russia's" and "(Russia)" but not "Belorussia";
- case is ignored; with `respect_capitals` (actor aliases), a term written in capitals
  (US, EU, ЕС, РФ) matches only in capitals, so that the pronoun "us" is not the United States;
- whitespace inside a term matches any run of whitespace;
- a word ending in `*` matches any ending of that stem: "Организаци* Договора" finds
  Организация, Организации, Организацию ... Договора (Russian cases change endings);
- with `inflect` (actor aliases), a Russian or Ukrainian word also matches its inflected forms
  (pipelines/morphology.py): "Путин" finds Путина, Путину, Путиным, Путине.
"""

from dataclasses import dataclass
import re

from pipelines.morphology import inflected_forms


@dataclass(frozen=True)
class TermMatch:
    key: str  # what the term stands for (the keyword itself, or the actor's name)
    term: str
    start: int
    end: int


def word_pattern(word: str, inflect: bool = False) -> str:
    if word.endswith("*") and len(word) > 1:
        return re.escape(word[:-1]) + r"\w*"
    forms = inflected_forms(word) if inflect else ()
    if len(forms) > 1:
        return "(?:" + "|".join(re.escape(form) for form in sorted(forms, key=lambda f: (-len(f), f))) + ")"
    return re.escape(word)


def term_pattern(term: str, respect_capitals: bool = False, inflect: bool = False) -> str:
    body = r"\s+".join(word_pattern(word, inflect) for word in term.split())
    if respect_capitals and term.isupper():
        return rf"(?<!\w){body}(?!\w)"
    return rf"(?<!\w)(?i:{body})(?!\w)"


WORD = re.compile(r"\w+")


class TermMatcher:
    """One compiled regex for many terms; longer terms win where two overlap.

    A regex of hundreds of alternatives is slow to run over text that holds none of them, which
    is most text; so the text's words are first looked up among the terms' first words (every
    form of them) and the regex runs only where one is present."""

    def __init__(self, terms_by_key: dict[str, tuple[str, ...] | list[str]], respect_capitals: bool = False,
                 inflect: bool = False):
        self._key_of: dict[str, str] = {}
        self._first_words: set[str] = set()
        self._first_stems: set[str] = set()
        alternatives = []
        pairs = [(term, key) for key, terms in terms_by_key.items() for term in terms]
        for number, (term, key) in enumerate(sorted(pairs, key=lambda p: -len(p[0]))):
            group = f"t{number}"
            self._key_of[group] = (key, term)
            alternatives.append(f"(?P<{group}>{term_pattern(term, respect_capitals, inflect)})")
            first = term.split()[0]
            forms = inflected_forms(first) if inflect and not first.endswith("*") else {first.lower()}
            for form in forms:
                words = WORD.findall(form)
                if not words:  # a term that starts with no word character: every text may hold it
                    self._first_stems.add("")
                elif first.endswith("*"):
                    self._first_stems.add(words[0])
                else:
                    self._first_words.add(words[0])
        self._regex = re.compile("|".join(alternatives)) if alternatives else None

    def _begins_term(self, word: str) -> bool:
        """Whether a word of the text (lower case) may be the first word of a term."""
        return word in self._first_words or any(word.startswith(stem) for stem in self._first_stems)

    def might_match(self, text: str) -> bool:
        """False when `text` certainly holds no term (no word of it begins one)."""
        return any(self._begins_term(word) for word in WORD.findall(text.lower()))

    def finditer(self, text: str):
        """Matches from left to right, never overlapping. The regex is tried only where a word
        that may begin a term starts, not at every character."""
        if not self._regex or not text:
            return
        if "" in self._first_stems:
            matches = self._regex.finditer(text)
        else:
            matches = self._matches_at_candidate_words(text)
        for match in matches:
            key, term = self._key_of[match.lastgroup]
            yield TermMatch(key, term, match.start(), match.end())

    def _matches_at_candidate_words(self, text: str):
        end = 0
        for word in WORD.finditer(text):
            if word.start() < end or not self._begins_term(word.group().lower()):
                continue
            match = self._regex.match(text, word.start())
            if match:
                end = match.end()
                yield match

    def keys_in(self, text: str) -> list[str]:
        """The distinct keys found in `text`, in order of first appearance."""
        return list(dict.fromkeys(m.key for m in self.finditer(text)))

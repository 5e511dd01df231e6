"""Find configured terms (topic keywords, actor aliases) in text.

Rules shared by relevance and actor detection:
- a term matches only as whole words: no letter or digit may touch it on either side, so
  "Russia" matches "Russia's" and "(Russia)" but not "Belorussia";
- case is ignored, except for a term written in capitals (US, EU, ЕС, РФ), which matches
  only in capitals so that the pronoun "us" is not the United States;
- whitespace inside a term matches any run of whitespace.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TermMatch:
    key: str  # what the term stands for (the keyword itself, or the actor's name)
    term: str
    start: int
    end: int


def term_pattern(term: str) -> str:
    body = r"\s+".join(re.escape(word) for word in term.split())
    flags = "" if term.isupper() else "(?i:"
    close = "" if term.isupper() else ")"
    return rf"(?<!\w){flags}{body}{close}(?!\w)"


class TermMatcher:
    """One compiled regex for many terms; longer terms win where two overlap."""

    def __init__(self, terms_by_key: dict[str, tuple[str, ...] | list[str]]):
        self._key_of: dict[str, str] = {}
        alternatives = []
        pairs = [(term, key) for key, terms in terms_by_key.items() for term in terms]
        for number, (term, key) in enumerate(sorted(pairs, key=lambda p: -len(p[0]))):
            group = f"t{number}"
            self._key_of[group] = (key, term)
            alternatives.append(f"(?P<{group}>{term_pattern(term)})")
        self._regex = re.compile("|".join(alternatives)) if alternatives else None

    def finditer(self, text: str):
        if not self._regex or not text:
            return
        for match in self._regex.finditer(text):
            key, term = self._key_of[match.lastgroup]
            yield TermMatch(key, term, match.start(), match.end())

    def keys_in(self, text: str) -> list[str]:
        """The distinct keys found in `text`, in order of first appearance."""
        return list(dict.fromkeys(m.key for m in self.finditer(text)))

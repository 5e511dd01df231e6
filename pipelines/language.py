"""Stage 3: the language of the cleaned text.

langdetect, made deterministic with a fixed seed, decides among the 55 languages it knows.
It knows neither Armenian nor Kazakh, both common in CSTO coverage, so two script rules come
first: text written mostly in the Armenian alphabet is `hy`; Cyrillic text with the letters
only Kazakh uses (ә ғ қ ң ө ұ ү һ) is `kk`. Short or unclear text is `und`, and so is text
whose letters are not mostly in one script (an even mix of English and Russian, say), where
langdetect's answer is a guess.
"""

import re

from langdetect import DetectorFactory, LangDetectException, detect_langs
from crawler import settings as defaults

DetectorFactory.seed = 0  # langdetect samples at random; a fixed seed gives the same answer every run

UNDETERMINED = "und"
ARMENIAN = re.compile(r"[\u0531-\u0556\u0561-\u0587]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
KAZAKH_ONLY = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")
MIXED_SCRIPT_SHARE = 0.25  # both Latin and Cyrillic at least this share of the letters: a mix
LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
LETTER = re.compile(r"[^\W\d_]")


def script_language(text: str) -> tuple[str, float] | None:
    """`hy` or `kk` by alphabet, with the share of letters that decided it; None otherwise."""
    letters = len(LETTER.findall(text))
    if not letters:
        return None
    armenian = len(ARMENIAN.findall(text)) / letters
    if armenian >= 0.5:
        return "hy", round(armenian, 4)
    cyrillic = len(CYRILLIC.findall(text))
    if cyrillic / letters >= 0.5 and len(KAZAKH_ONLY.findall(text)) / cyrillic >= 0.02:
        return "kk", round(cyrillic / letters, 4)
    return None


def detect_language(text: str, min_chars: int = 40, min_probability: float = 0.7) -> tuple[str, float]:
    """(ISO 639-1 code, probability), or ("und", probability) for short or unclear text."""
    if not text or len(text.strip()) < min_chars:
        return UNDETERMINED, 0.0
    by_script = script_language(text)
    if by_script:
        return by_script
    letters = len(LETTER.findall(text)) or 1
    latin, cyrillic = len(LATIN.findall(text)) / letters, len(CYRILLIC.findall(text)) / letters
    if min(latin, cyrillic) >= MIXED_SCRIPT_SHARE:
        return UNDETERMINED, round(max(latin, cyrillic), 4)
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return UNDETERMINED, 0.0
    probability = round(best.prob, 4)
    if probability < min_probability:
        return UNDETERMINED, probability
    return best.lang, probability


class LanguagePipeline:
    def __init__(self, min_chars: int, min_probability: float):
        self.min_chars = min_chars
        self.min_probability = min_probability

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(settings.getint("LANGUAGE_MIN_CHARS", defaults.LANGUAGE_MIN_CHARS), settings.getfloat("LANGUAGE_MIN_PROBABILITY", defaults.LANGUAGE_MIN_PROBABILITY))

    def process_item(self, item):
        item.language, item.language_prob = detect_language(item.text, self.min_chars, self.min_probability)
        return item

"""Stage 3: the language of the cleaned text, with langdetect made deterministic."""

from langdetect import DetectorFactory, LangDetectException, detect_langs

DetectorFactory.seed = 0  # langdetect samples at random; a fixed seed gives the same answer every run

UNDETERMINED = "und"


def detect_language(text: str, min_chars: int = 40, min_probability: float = 0.7) -> tuple[str, float]:
    """(ISO 639-1 code, probability), or ("und", probability) for short or unclear text."""
    if not text or len(text.strip()) < min_chars:
        return UNDETERMINED, 0.0
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
        return cls(settings.getint("LANGUAGE_MIN_CHARS", 40), settings.getfloat("LANGUAGE_MIN_PROBABILITY", 0.7))

    def process_item(self, item):
        item.language, item.language_prob = detect_language(item.text, self.min_chars, self.min_probability)
        return item

"""Language detection is deterministic and says "und" when it cannot tell."""

from pipelines.language import detect_language

ENGLISH = "The leaders of the alliance met in the capital to discuss border security and joint exercises."
RUSSIAN = "Лидеры стран союза встретились в столице, чтобы обсудить безопасность границ и совместные учения."


def test_english_and_russian_are_recognised():
    assert detect_language(ENGLISH)[0] == "en"
    language, probability = detect_language(RUSSIAN)
    assert language == "ru" and probability > 0.9


def test_detection_is_deterministic():
    assert len({detect_language(ENGLISH + " " + RUSSIAN) for _ in range(5)}) == 1


def test_short_text_is_undetermined():
    assert detect_language("CSTO") == ("und", 0.0)

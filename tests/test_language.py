"""Language detection: deterministic, right on the languages CSTO coverage is written in, and
"und" when it cannot tell."""

import pytest

from pipelines.language import detect_language

TEXTS = {
    "en": "The leaders of the alliance met in the capital to discuss border security and joint exercises.",
    "ru": "Лидеры стран союза встретились в столице, чтобы обсудить безопасность границ и совместные учения.",
    "uk": "Лідери країн союзу зустрілися в столиці, щоб обговорити безпеку кордонів і спільні навчання.",
    "hy": "Դաշինքի երկրների ղեկավարները հանդիպեցին մայրաքաղաքում՝ քննարկելու սահմանների անվտանգությունը։",
    "kk": "Одақ елдерінің басшылары астанада кездесіп, шекара қауіпсіздігі мен бірлескен жаттығуларды талқылады.",
}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_each_language_of_csto_coverage_is_recognised(language):
    detected, probability = detect_language(TEXTS[language])
    assert detected == language and probability >= 0.7


def test_russian_with_an_english_quote_is_russian():
    text = TEXTS["ru"] + " " + TEXTS["ru"] + ' Министр сказал: "We will meet again."'
    assert detect_language(text)[0] == "ru"


def test_an_even_mix_of_two_languages_is_undetermined():
    text = "The summit ended without a declaration. Саммит завершился без декларации. " * 3
    assert detect_language(text)[0] == "und"


def test_detection_is_deterministic():
    mixed = TEXTS["en"] + " " + TEXTS["ru"]
    assert len({detect_language(mixed) for _ in range(5)}) == 1


def test_short_text_is_undetermined():
    assert detect_language("CSTO") == ("und", 0.0)


def test_languages_outside_latin_and_cyrillic_still_reach_langdetect():
    assert detect_language("今日はいい天気ですね。明日も晴れるといいですね。首脳会議は明日から始まります。" * 2)[0] == "ja"

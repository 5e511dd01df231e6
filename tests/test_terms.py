"""Topic keywords and actor aliases from the shipped actors.yml, found as whole words."""

import pytest

from crawler.config import DEFAULT_ACTORS_FILE, load_actors
from pipelines.actors import ActorFinder
from pipelines.terms import TermMatcher


@pytest.fixture(scope="module")
def finder():
    return ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors)


@pytest.fixture(scope="module")
def topic():
    keywords = load_actors(DEFAULT_ACTORS_FILE).topic_keywords
    return TermMatcher({k: (k,) for k in keywords})


def test_possessive_matches_but_a_longer_word_does_not(finder):
    assert set(finder.find(None, "Russia's envoy left. Belorussian media were silent.")) == {"Russia"}


def test_capitalised_aliases_match_only_in_capitals(finder):
    assert "US" not in finder.find(None, "The minister told us the talks had ended.")
    assert "US" in finder.find(None, "The US envoy arrived in Yerevan on Monday.")


@pytest.mark.parametrize("form", ["Путин", "Путина", "Путину", "Путиным", "Путине"])
def test_russian_inflected_forms_of_putin_are_found(finder, form):
    mentions = finder.find(None, f"В статье говорится о том, что {form} выступил на саммите.", "ru")
    assert list(mentions) == ["Putin"]
    mention = mentions["Putin"][0]
    assert mention.surface == form


def test_lukashenko_and_odkb_in_russian(finder):
    mentions = finder.find(None, "Лукашенко заявил, что ОДКБ должна укреплять союз.", "ru")
    assert set(mentions) == {"Lukashenko", "CSTO"}


@pytest.mark.parametrize("text, actor, surface", [
    ("Встреча с Токаевым прошла в Астане.", "Tokayev", "Токаевым"),
    ("Письмо Пашиняну передали вчера.", "Pashinyan", "Пашиняну"),
    ("Санкции против Российской Федерации продлили.", "Russia", "Российской Федерации"),
    ("Делегация Соединённых Штатов не приехала.", "US", "Соединённых Штатов"),
    ("Заяву Зеленського опублікували.", "Zelensky", "Зеленського"),
    ("Візит Путіна до Мінська відклали.", "Putin", "Путіна"),
    ("Уряд України відповів.", "Ukraine", "України"),
    ("Putin’s envoy met Kazakhstan's minister.", "Putin", "Putin"),
])
def test_names_written_once_are_found_in_every_form(finder, text, actor, surface):
    mentions = finder.find(None, text, "ru")
    assert [m.surface for m in mentions[actor]] == [surface] and mentions[actor][0].actor == actor


def test_metonyms_stand_for_their_actor_only_where_configured(tmp_path):
    assert "Russia" in ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors).find(None, "В Кремле ответили отказом.", "ru")
    path = tmp_path / "actors.yml"
    path.write_text("topic_keywords: [CSTO]\nactors:\n  - name: Belarus\n    kind: country\n"
                    "    aliases: [Belarus]\n    metonyms: [Minsk regime]\n")
    configured = ActorFinder(load_actors(path).actors)
    assert "Belarus" in configured.find(None, "The Minsk regime jailed another reporter.")
    assert "Belarus" not in ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors).find(None, "The regime jailed a reporter.")


def test_each_mention_keeps_its_own_sentence_and_span(finder):
    mentions = finder.find("Putin meets Tokayev", "Tokayev praised the deal. Later, Putin left Astana.")
    assert [m.sentence for m in mentions["Tokayev"]] == ["Putin meets Tokayev", "Tokayev praised the deal."]
    later = mentions["Putin"][1]
    assert later.sentence == "Later, Putin left Astana." and later.surface == "Putin"


@pytest.mark.parametrize("text", [
    "The CSTO summit ended.", "Саммит ОДКБ завершился.", "ՀԱՊԿ-ի գագաթնաժողովը ավարտվեց։",
    "ҰҚШҰ саммиті аяқталды.", "the collective security treaty organization met",
])
def test_topic_keywords_in_every_language(topic, text):
    assert topic.keys_in(text)


def test_unrelated_text_matches_no_topic_keyword(topic):
    assert topic.keys_in("The football cup final went to extra time in Shymkent.") == []


@pytest.mark.parametrize("form", ["Организация", "Организации", "Организацию", "Организацией"])
def test_inflected_full_name_of_the_csto_is_a_topic_keyword(topic, form):
    assert topic.keys_in(f"{form} Договора о коллективной безопасности провела учения.")


def test_topic_keywords_ignore_case(topic):
    assert topic.keys_in("The Csto secretariat replied.") and topic.keys_in("саммит одкб")


@pytest.mark.parametrize("text", [
    "The Collective Security Treaty Organization met; Russia's envoy and the U.S. delegation left the Kremlin.",
    "Президент Российской Федерации Владимир Путин и Пашинян обсудили ОДКБ; Организации Договора о коллективной безопасности 30 лет.",
    "Belorussian media, us, the US, Armenia-based analysts, (Kazakhstan), Tokayev’s aides and Lukashenko_2 handles.",
])
def test_scanning_only_candidate_words_finds_what_a_full_regex_scan_finds(finder, text):
    matcher = finder.matcher
    everywhere = [(m.start(), m.end(), m.lastgroup) for m in matcher._regex.finditer(text)]
    found = [(m.start, m.end) for m in matcher.finditer(text)]
    assert found == [(start, end) for start, end, _ in everywhere] and found
